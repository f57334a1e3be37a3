"""Calendar v3 in the emulator, called through the real google-api-python-client."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from typing import Any

import googleapiclient
import pytest
from googleapiclient.errors import HttpError

from integrations.google.emulator import RunningEmulator
from integrations.google.emulator.grants import METHOD_SCOPES
from tests.integrations.google.conftest import SCOPE, USER, calendar_service

READ = SCOPE + "calendar.events.readonly"
WRITE = SCOPE + "calendar.events"
BERLIN = "Europe/Berlin"


def _at(text: str) -> dict[str, str]:
    """A Berlin time; ``2025-03-03T10:00`` gets its +01:00 (these tests stay in winter)."""
    if len(text) == 16:
        text += ":00+01:00"
    return {"dateTime": text, "timeZone": BERLIN}


def _event(event_id: str, start: str, end: str, **extra: Any) -> dict[str, Any]:
    return {"id": event_id, "summary": event_id, "start": _at(start), "end": _at(end), **extra}


def _reason(error: HttpError) -> str:
    return str(error.error_details[0]["reason"])


def _all_pages(request: Any, service: Any) -> tuple[list[list[str]], dict[str, Any]]:
    pages, last = [], {}
    while request is not None:
        last = request.execute()
        pages.append([item["id"] for item in last["items"]])
        assert ("nextPageToken" in last) != ("nextSyncToken" in last)
        request = service.events().list_next(request, last)
    return pages, last


def test_scopes_match_the_discovery_document() -> None:
    path = os.path.join(os.path.dirname(googleapiclient.__file__), "discovery_cache", "documents")
    with open(os.path.join(path, "calendar.v3.json")) as handle:
        methods = {
            f"{name}.{method}": set(spec["scopes"])
            for name, resource in json.load(handle)["resources"].items()
            for method, spec in resource.get("methods", {}).items()
        }
    assert METHOD_SCOPES["calendarList.list"] == methods["calendarList.list"]
    assert METHOD_SCOPES["events.list"] == methods["events.list"]
    assert METHOD_SCOPES["events.get"] == methods["events.get"]
    assert METHOD_SCOPES["events.write"] == methods["events.insert"] == methods["events.patch"]
    assert METHOD_SCOPES["freebusy.query"] == methods["freebusy.query"]
    assert METHOD_SCOPES["events.watch"] == methods["events.watch"]
    assert METHOD_SCOPES["channels.stop"] == methods["channels.stop"]


def test_calendar_list(seeded_emulator: RunningEmulator) -> None:
    seeded_emulator.admin.add_calendar(USER, "team@group.calendar.google.com", "Team")
    service = calendar_service(seeded_emulator, [SCOPE + "calendar.readonly"])
    items = service.calendarList().list().execute()["items"]
    assert [(i["id"], i["accessRole"], i.get("primary")) for i in items] == [
        (USER, "owner", True),
        ("team@group.calendar.google.com", "reader", None),
    ]
    assert items[0]["timeZone"] == BERLIN


def test_paging_with_short_pages_then_sync_then_410(seeded_emulator: RunningEmulator) -> None:
    admin = seeded_emulator.admin
    for day in range(1, 8):
        admin.add_event(USER, _event(f"event{day}", f"2025-03-0{day}T10:00:00+01:00",
                                     f"2025-03-0{day}T11:00:00+01:00"))  # fmt: skip
    admin.add_fault("short_page", path="*/events", page_size=1)
    admin.add_fault("short_page", path="*/events", page_size=0)
    service = calendar_service(seeded_emulator, [WRITE])
    request = service.events().list(calendarId="primary", maxResults=3)
    pages, last = _all_pages(request, service)
    assert [len(p) for p in pages] == [1, 0, 3, 3]
    assert [i for page in pages for i in page] == [f"event{d}" for d in range(1, 8)]

    events = service.events()
    events.patch(calendarId="primary", eventId="event2", body={"summary": "moved"}).execute()
    events.delete(calendarId="primary", eventId="event3").execute()
    body = _event("freshone", "2025-03-09T10:00:00+01:00", "2025-03-09T11:00:00+01:00")
    events.insert(calendarId="primary", body=body).execute()
    changed = events.list(calendarId="primary", syncToken=last["nextSyncToken"]).execute()
    assert {i["id"]: i["status"] for i in changed["items"]} == {
        "event2": "confirmed",
        "event3": "cancelled",
        "freshone": "confirmed",
    }
    again = events.list(calendarId="primary", syncToken=changed["nextSyncToken"]).execute()
    assert again["items"] == []

    admin.expire_sync_tokens()
    with pytest.raises(HttpError) as caught:
        events.list(calendarId="primary", syncToken=again["nextSyncToken"]).execute()
    assert caught.value.status_code == 410
    assert _reason(caught.value) == "fullSyncRequired"


def test_refused_parameter_combinations(seeded_emulator: RunningEmulator) -> None:
    events = calendar_service(seeded_emulator, [READ]).events()
    token = events.list(calendarId="primary").execute()["nextSyncToken"]
    refused = [
        (
            {"syncToken": token, "timeMin": "2025-01-01T00:00:00Z"},
            "syncTokenWithRequestRestrictions",
        ),
        ({"syncToken": token, "showDeleted": False}, "syncTokenWithRequestRestrictions"),
        ({"orderBy": "startTime"}, "badRequest"),
        ({"maxResults": 0}, "invalid"),
    ]
    for params, reason in refused:
        with pytest.raises(HttpError) as caught:
            events.list(calendarId="primary", **params).execute()
        assert (caught.value.status_code, _reason(caught.value)) == (400, reason), params


def _series(admin: Any) -> None:
    """Daily 10:00 Berlin x5 from Mon 2025-03-03; Tue moved to 14:00, Thu cancelled."""
    rule = ["RRULE:FREQ=DAILY;COUNT=5"]
    admin.add_event(USER, _event("series", "2025-03-03T10:00", "2025-03-03T11:00", recurrence=rule))
    moved = _event("series_20250304T090000Z", "2025-03-04T14:00", "2025-03-04T15:00")
    moved |= {"recurringEventId": "series", "originalStartTime": _at("2025-03-04T10:00")}
    admin.add_event(USER, moved)
    admin.delete_event(USER, "series_20250306T090000Z")


def test_single_events_expansion(seeded_emulator: RunningEmulator) -> None:
    _series(seeded_emulator.admin)
    events = calendar_service(seeded_emulator, [READ]).events()
    window = {"timeMin": "2025-03-01T00:00:00Z", "timeMax": "2025-03-10T00:00:00Z"}
    single = events.list(calendarId="primary", singleEvents=True, orderBy="startTime",
                         **window).execute()["items"]  # fmt: skip
    assert [(i["id"], i["start"]["dateTime"]) for i in single] == [
        ("series_20250303T090000Z", "2025-03-03T10:00:00+01:00"),
        ("series_20250304T090000Z", "2025-03-04T14:00:00+01:00"),
        ("series_20250305T090000Z", "2025-03-05T10:00:00+01:00"),
        ("series_20250307T090000Z", "2025-03-07T10:00:00+01:00"),
    ]
    assert all(i["recurringEventId"] == "series" for i in single)
    assert single[1]["originalStartTime"]["dateTime"] == "2025-03-04T10:00:00+01:00"
    masters = events.list(calendarId="primary", **window).execute()["items"]
    assert {i["id"]: i["status"] for i in masters} == {
        "series": "confirmed",
        "series_20250304T090000Z": "confirmed",
        "series_20250306T090000Z": "cancelled",  # Google lists cancelled exceptions here too
    }
    assert masters[0]["recurrence"] == ["RRULE:FREQ=DAILY;COUNT=5"]
    deleted = events.list(calendarId="primary", singleEvents=True, showDeleted=True, **window)
    assert len(deleted.execute()["items"]) == 5


def test_window_bounds_and_dst(seeded_emulator: RunningEmulator) -> None:
    admin = seeded_emulator.admin
    rule = ["RRULE:FREQ=WEEKLY"]
    admin.add_event(USER, _event("stand", "2025-03-24T09:30", "2025-03-24T10:00", recurrence=rule))
    events = calendar_service(seeded_emulator, [READ]).events()
    window = {"timeMin": "2025-03-24T09:00:00Z", "timeMax": "2025-04-07T07:30:00Z"}
    request = events.list(calendarId="primary", singleEvents=True, orderBy="startTime", **window)
    items = request.execute()
    starts = [i["start"]["dateTime"] for i in items["items"]]
    # Ends exactly at timeMin (08:30Z..09:00Z) excluded; starts exactly at timeMax excluded.
    assert starts == ["2025-03-31T09:30:00+02:00"]


def test_freebusy(seeded_emulator: RunningEmulator) -> None:
    admin = seeded_emulator.admin
    _series(admin)
    lunch = _event("lunch", "2025-03-05T12:00", "2025-03-05T13:00", transparency="transparent")
    admin.add_event(USER, lunch)
    service = calendar_service(seeded_emulator, [SCOPE + "calendar.freebusy"])
    body = {
        "timeMin": "2025-03-04T00:00:00Z",
        "timeMax": "2025-03-07T00:00:00Z",
        "items": [{"id": "primary"}, {"id": "nobody@example.org"}],
    }
    answer = service.freebusy().query(body=body).execute()
    assert answer["calendars"]["primary"]["busy"] == [
        {"start": "2025-03-04T13:00:00Z", "end": "2025-03-04T14:00:00Z"},
        {"start": "2025-03-05T09:00:00Z", "end": "2025-03-05T10:00:00Z"},
    ]
    assert answer["calendars"]["nobody@example.org"]["errors"] == [
        {"domain": "global", "reason": "notFound"}
    ]
    many = {**body, "items": [{"id": f"c{n}@example.org"} for n in range(51)]}
    with pytest.raises(HttpError) as caught:
        service.freebusy().query(body=many).execute()
    assert caught.value.status_code == 400
    with pytest.raises(HttpError) as caught:
        service.events().list(calendarId="primary").execute()
    assert _reason(caught.value) == "insufficientPermissions"


def test_insert_with_client_id_and_duplicates(seeded_emulator: RunningEmulator) -> None:
    service = calendar_service(seeded_emulator, [SCOPE + "calendar.events.owned"])
    events = service.events()
    body = _event("conn0a1b2c3d4e5f", "2025-03-07T19:00:00+01:00", "2025-03-07T21:00:00+01:00")
    created = events.insert(calendarId="primary", body=body).execute()
    assert created["id"] == "conn0a1b2c3d4e5f" and created["sequence"] == 0
    assert created["iCalUID"] == "conn0a1b2c3d4e5f@google.com"
    for bad_id, status, reason in [
        ("conn0a1b2c3d4e5f", 409, "duplicate"),
        ("has-dash", 400, "invalid"),
        ("wxyz0", 400, "invalid"),
        ("abc", 400, "invalid"),
    ]:
        with pytest.raises(HttpError) as caught:
            events.insert(calendarId="primary", body={**body, "id": bad_id}).execute()
        assert (caught.value.status_code, _reason(caught.value)) == (status, reason)
    moved = {"start": _at("2025-03-07T20:00:00+01:00"), "end": _at("2025-03-07T22:00:00+01:00")}
    patched = events.patch(calendarId="primary", eventId=created["id"], body=moved).execute()
    assert patched["sequence"] == 1 and patched["etag"] != created["etag"]
    assert patched["updated"] >= created["updated"] and patched["summary"] == body["summary"]
    assert events.delete(calendarId="primary", eventId=created["id"]).execute() == ""
    with pytest.raises(HttpError) as caught:
        events.delete(calendarId="primary", eventId=created["id"]).execute()
    assert (caught.value.status_code, _reason(caught.value)) == (410, "deleted")
    got = events.get(calendarId="primary", eventId=created["id"]).execute()
    assert got["status"] == "cancelled"


def test_write_permissions(seeded_emulator: RunningEmulator) -> None:
    seeded_emulator.admin.add_calendar(USER, "team@group.calendar.google.com", "Team")
    body = _event("abcde12345", "2025-03-07T19:00:00+01:00", "2025-03-07T21:00:00+01:00")
    reader = calendar_service(seeded_emulator, [READ]).events()
    with pytest.raises(HttpError) as caught:
        reader.insert(calendarId="primary", body=body).execute()
    assert (caught.value.status_code, _reason(caught.value)) == (403, "insufficientPermissions")
    writer = calendar_service(seeded_emulator, [WRITE]).events()
    with pytest.raises(HttpError) as caught:
        writer.insert(calendarId="team@group.calendar.google.com", body=body).execute()
    assert (caught.value.status_code, _reason(caught.value)) == (403, "requiredAccessLevel")
    with pytest.raises(HttpError) as caught:
        writer.get(calendarId="nobody@example.org", eventId="abcde12345").execute()
    assert caught.value.status_code == 404


def test_demo_seed(google_emulator: RunningEmulator) -> None:
    info = google_emulator.admin.seed_demo(datetime(2025, 3, 20, 12, tzinfo=UTC))
    service = calendar_service(google_emulator, [SCOPE + "calendar"], info["users"][0],
                               info["client_id"])  # fmt: skip
    items = service.events().list(calendarId="primary", singleEvents=True, orderBy="startTime",
                                  timeMin="2025-03-24T00:00:00Z", timeMax="2025-04-07T00:00:00Z",
                                  ).execute()["items"]  # fmt: skip
    kinds = {i.get("eventType") for i in items}
    assert kinds == {"default", "focusTime", "workingLocation", "outOfOffice"}
    summaries = [i["summary"] for i in items]
    assert "Team stand-up (moved)" in summaries and "Trip to Lisbon" in summaries
    assert summaries.count("Team stand-up") == 8  # 10 weekdays, one moved, one cancelled
    assert summaries.count("1:1 with Mara") == 1  # the second Thursday is an EXDATE
    declined = next(i for i in items if i["summary"] == "Quarterly planning")
    me = next(a for a in declined["attendees"] if a.get("self"))
    assert me["responseStatus"] == "declined"
    assert any(i.get("transparency") == "transparent" for i in items)
