"""Full and incremental sync, free/busy and failures, against the emulator over HTTP."""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any

import pytest
from googleapiclient.errors import HttpError

from integrations.google.client import authorized_http, build_service
from integrations.google.config import FREEBUSY, READ
from integrations.google.emulator import RunningEmulator
from integrations.google.errors import FullSyncRequired, ReconnectNeeded
from integrations.google.freebusy import free_busy
from integrations.google.oauth import credentials
from integrations.google.sync import apply_changes, full_sync, incremental_sync
from tests.integrations.google.test_client_support import (
    CLIENT,
    NOW,
    USER,
    WINDOW,
    Recorder,
    api_requests,
    connect,
    endpoints,
    register,
    timed,
)

DAY = NOW + timedelta(days=2)


@pytest.fixture
def emulator(google_emulator: RunningEmulator) -> RunningEmulator:
    register(google_emulator)
    return google_emulator


def seed(emulator: RunningEmulator) -> None:
    add = emulator.admin.add_event
    add(USER, timed("meet01", DAY))
    add(USER, timed("transp1", DAY + timedelta(hours=2), transparency="transparent"))
    add(USER, timed("location1", DAY, hours=8, eventType="workingLocation"))
    add(USER, timed("outoffice1", DAY + timedelta(days=1), hours=3, eventType="outOfOffice"))
    add(USER, timed("focus1", DAY + timedelta(hours=4), eventType="focusTime"))
    declined = [{"email": USER, "responseStatus": "declined"}, {"email": "sam@example.org"}]
    add(USER, timed("declined1", DAY + timedelta(hours=6), attendees=declined))
    day = (DAY + timedelta(days=3)).date()
    add(USER, {"id": "trip01", "summary": "Trip", "start": {"date": day.isoformat()},
               "end": {"date": (day + timedelta(days=1)).isoformat()}})  # fmt: skip
    add(USER, timed("later01", NOW + timedelta(days=60)))
    weekly = timed("series01", NOW + timedelta(days=1), summary="Choir")
    weekly["start"]["timeZone"] = weekly["end"]["timeZone"] = "UTC"
    add(USER, weekly | {"recurrence": ["RRULE:FREQ=WEEKLY;COUNT=3"]})


def test_full_then_incremental_sync(emulator: RunningEmulator) -> None:
    seed(emulator)
    service, _ = connect(emulator)
    snapshot = full_sync(service, "primary", WINDOW, owner_zone="UTC")

    assert {"meet01", "outoffice1", "focus1", "trip01"} <= set(snapshot.blocks)
    assert not {"transp1", "location1", "declined1", "later01"} & set(snapshot.blocks)
    weekly = sorted(k for k in snapshot.blocks if k.startswith("series01_"))
    assert len(weekly) == 3 and snapshot.blocks[weekly[0]].title == "Choir"
    assert snapshot.time_zone == "Europe/Berlin" and snapshot.sync_token
    trip = snapshot.blocks["trip01"]
    assert trip.start.utcoffset() == timedelta(0) and trip.start.hour in (22, 23)  # Berlin
    listed = api_requests(emulator, "GET", "/events")
    assert listed[0].query["singleEvents"] == ["true"] and listed[0].query["maxResults"] == ["2500"]

    emulator.admin.add_event(USER, timed("added01", DAY + timedelta(days=4)))
    emulator.admin.patch_event(USER, "meet01", timed("meet01", DAY + timedelta(hours=10)))
    emulator.admin.delete_event(USER, "focus1")
    emulator.admin.patch_event(USER, "outoffice1", {"transparency": "transparent"})

    changes = incremental_sync(service, "primary", snapshot.sync_token or "")
    assert "syncToken" in api_requests(emulator, "GET", "/events")[-1].query
    after = apply_changes(snapshot, changes)
    assert "added01" in after.blocks and not {"focus1", "outoffice1"} & set(after.blocks)
    assert after.blocks["meet01"].start == DAY + timedelta(hours=10)
    assert after.sync_token == changes.sync_token != snapshot.sync_token

    quiet = incremental_sync(service, "primary", after.sync_token or "")
    assert not quiet.busy and not quiet.freed


def test_expired_sync_token_means_full_sync(emulator: RunningEmulator) -> None:
    seed(emulator)
    service, _ = connect(emulator)
    snapshot = full_sync(service, "primary", WINDOW)
    emulator.admin.expire_sync_tokens()
    recorder = Recorder()
    with pytest.raises(FullSyncRequired) as caught:
        incremental_sync(service, "primary", snapshot.sync_token or "", policy=recorder.policy())
    assert caught.value.calendar_id == "primary" and recorder.sleeps == []  # 410 not retried
    again = full_sync(service, "primary", WINDOW)
    assert set(again.blocks) == set(snapshot.blocks) and again.sync_token != snapshot.sync_token
    incremental_sync(service, "primary", again.sync_token or "")


def test_short_pages_give_the_same_snapshot(emulator: RunningEmulator) -> None:
    seed(emulator)
    service, _ = connect(emulator)
    whole = full_sync(service, "primary", WINDOW)
    emulator.admin.clear_log()
    emulator.admin.add_fault("short_page", path="*/events", page_size=1, times=50)
    paged = full_sync(service, "primary", WINDOW)
    assert paged.blocks == whole.blocks and paged.sync_token
    pages = api_requests(emulator, "GET", "/events")
    assert len(pages) > 5
    assert all("pageToken" in p.query for p in pages[1:]) and "pageToken" not in pages[0].query
    assert all(p.query["singleEvents"] == ["true"] for p in pages)


def test_429_then_503_then_success_backs_off(emulator: RunningEmulator) -> None:
    seed(emulator)
    service, _ = connect(emulator)
    emulator.admin.clear_log()
    emulator.admin.fail(429, path="*/events")
    emulator.admin.fail(503, path="*/events")
    recorder = Recorder()
    snapshot = full_sync(service, "primary", WINDOW, policy=recorder.policy(base=0.5, cap=8))
    assert "meet01" in snapshot.blocks
    assert [e.status for e in api_requests(emulator)] == [429, 503, 200]
    assert recorder.sleeps == [0.5, 1.0]


def test_retries_are_capped_and_bounded(emulator: RunningEmulator) -> None:
    service, _ = connect(emulator)
    assert full_sync(service, "primary", WINDOW).sync_token  # the access token is fetched
    emulator.admin.clear_log()
    emulator.admin.fail(503, path="*/events", times=6)
    recorder = Recorder()
    with pytest.raises(HttpError) as caught:
        full_sync(service, "primary", WINDOW, policy=recorder.policy(base=1, cap=3))
    assert caught.value.resp.status == 503
    assert len(api_requests(emulator)) == 5
    assert recorder.sleeps == [1, 2, 3, 3]


def test_rate_limit_403_is_retried_but_insufficient_permissions_is_not(
    emulator: RunningEmulator,
) -> None:
    service, _ = connect(emulator, scopes=[FREEBUSY])
    emulator.admin.fail(403, path="*/events", reason="userRateLimitExceeded")
    recorder = Recorder()
    with pytest.raises(HttpError) as caught:
        full_sync(service, "primary", WINDOW, policy=recorder.policy())
    assert caught.value.resp.status == 403
    statuses = [e.status for e in api_requests(emulator)]
    assert statuses == [403, 403] and recorder.sleeps == [1.0]  # rate limit, then no scope
    assert "insufficientPermissions" in str(caught.value.content)


def test_revoked_grant_needs_reconnect(emulator: RunningEmulator) -> None:
    service, _ = connect(emulator)
    emulator.admin.revoke_refresh_tokens(USER)
    with pytest.raises(ReconnectNeeded) as caught:
        full_sync(service, "primary", WINDOW)
    assert caught.value.reason == "invalid_grant"


class FaultOnSecondPage:
    """A transport that queues an emulator fault just before the second events page."""

    def __init__(self, inner: Any, emulator: RunningEmulator, status: int) -> None:
        self.inner, self.emulator, self.status, self.pages = inner, emulator, status, 0

    def request(self, uri: str, method: str = "GET", *args: Any, **kwargs: Any) -> Any:
        if "/events" in uri and method == "GET":
            self.pages += 1
            if self.pages == 2:
                self.emulator.admin.fail(self.status, path="*/events", times=5)
        return self.inner.request(uri, method, *args, **kwargs)


def test_failure_between_pages_returns_nothing(emulator: RunningEmulator) -> None:
    seed(emulator)
    ends = endpoints(emulator)
    tokens = emulator.admin.issue_tokens(USER, CLIENT.client_id, [READ])
    creds = credentials(tokens["refresh_token"], CLIENT.client_id, CLIENT.client_secret, ends)
    hooked = FaultOnSecondPage(authorized_http(creds, 5.0), emulator, 500)
    service = build_service(creds, ends, http=hooked)
    emulator.admin.add_fault("short_page", path="*/events", page_size=2, times=50)
    recorder = Recorder()
    result: Any = None
    with pytest.raises(HttpError):
        result = full_sync(service, "primary", WINDOW, policy=recorder.policy())
    assert result is None
    statuses = [e.status for e in api_requests(emulator)]
    assert statuses == [200, 500, 500, 500, 500, 500]


def test_free_busy_privacy_mode(emulator: RunningEmulator) -> None:
    seed(emulator)
    service, _ = connect(emulator, scopes=[FREEBUSY])
    others = [f"nobody{n}@example.org" for n in range(55)]
    answer = free_busy(service, [USER, *others], WINDOW)
    assert len(api_requests(emulator, "POST", "/freeBusy")) == 2  # 56 calendars, 50 a request
    assert answer.errors["nobody0@example.org"] == ("notFound",) and len(answer.errors) == 55
    busy = answer.busy[USER]
    start = DAY.astimezone(UTC)
    assert any(i.start <= start < i.end for i in busy)
    assert all(i.start.tzinfo is not None for i in busy)
    assert not any(i.start <= NOW + timedelta(days=60) < i.end for i in busy)


def test_the_requested_read_scopes_can_list_calendars_and_read_events(
    seeded_emulator: RunningEmulator,
) -> None:
    """Google refuses calendarList with events.readonly alone; scopes_for asks for both."""
    from integrations.google.config import scopes_for
    from tests.integrations.google.conftest import calendar_service

    service = calendar_service(seeded_emulator, scopes_for())
    listed = service.calendarList().list().execute()
    assert any(item.get("primary") for item in listed["items"])
    service.events().list(calendarId="primary", singleEvents=True).execute()
