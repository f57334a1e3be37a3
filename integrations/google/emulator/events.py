"""Event resources: validation, insert/patch/update/delete, and Google's JSON for them.

Callers hold ``state.lock``. A deleted event stays as a tombstone (``status: cancelled``)
so sync tokens can report it and a second delete answers 410 ``deleted`` like Google.
Every insert, change and delete queues an ``exists`` notification on the calendar's push
channels (:func:`~integrations.google.emulator.watch.calendar_changed`).
"""

from __future__ import annotations

import copy
import re
import secrets
from datetime import date, datetime, timedelta
from typing import Any

from integrations.google.emulator.errors import ApiError, invalid, not_found
from integrations.google.emulator.recurrence import check_recurrence, occurrences
from integrations.google.emulator.state import Calendar, EmulatorState, StoredEvent
from integrations.google.emulator.times import (
    event_time,
    format_rfc3339,
    instance_suffix,
    is_all_day,
    time_object,
)
from integrations.google.emulator.watch import calendar_changed

ID_PATTERN = re.compile(r"[a-v0-9]{5,1024}")
BASE32HEX = "0123456789abcdefghijklmnopqrstuv"
EVENT_TYPES = ("default", "outOfOffice", "focusTime", "workingLocation", "birthday", "fromGmail")
READ_ONLY = ("kind", "etag", "created", "updated", "htmlLink", "creator", "organizer")
SIGNIFICANT = ("start", "end", "recurrence", "summary", "location", "description", "status")
_INSTANCE_ID = re.compile(r"^(?P<master>.+)_(?P<stamp>\d{8}(T\d{6}Z)?)$")


def new_event_id() -> str:
    """A random id in Google's alphabet (base32hex, lower case)."""
    return "".join(secrets.choice(BASE32HEX) for _ in range(26))


def validate(body: dict[str, Any], calendar: Calendar) -> None:
    """Raise a 400 ``ApiError`` unless ``body`` is an event Google would accept."""
    if "end" not in body:
        raise ApiError(400, "required", "Missing end time.")
    if "start" not in body:
        raise ApiError(400, "required", "Missing start time.")
    start, end = body["start"], body["end"]
    if not isinstance(start, dict) or not isinstance(end, dict):
        raise invalid("Invalid start or end time.")
    if is_all_day(start) != is_all_day(end):
        raise invalid("Start and end times must either both be date or both be dateTime.")
    if event_time(end, calendar.time_zone) < event_time(start, calendar.time_zone):
        raise ApiError(400, "timeRangeEmpty", "The specified time range is empty.")
    if body.get("recurrence"):
        check_recurrence(body["recurrence"])
        if not is_all_day(start) and "timeZone" not in start:
            raise ApiError(400, "required", "Missing time zone definition for start time.")
    if body.get("eventType", "default") not in EVENT_TYPES:
        raise invalid(f"Invalid event type: {body.get('eventType')}")
    if body.get("transparency", "opaque") not in ("opaque", "transparent"):
        raise invalid("Invalid transparency value.")
    if body.get("status", "confirmed") not in ("confirmed", "tentative", "cancelled"):
        raise invalid("Invalid status value.")


def _clean(body: dict[str, Any]) -> dict[str, Any]:
    return {k: copy.deepcopy(v) for k, v in body.items() if k not in READ_ONLY}


def insert(state: EmulatorState, calendar: Calendar, body: dict[str, Any]) -> StoredEvent:
    """events.insert: a client id must be base32hex (5-1024 chars) and new (else 409)."""
    event_id = body.get("id") or new_event_id()
    if not isinstance(event_id, str) or not _valid_id(calendar, event_id, body):
        raise invalid("Invalid resource id value.")
    if event_id in calendar.events:
        raise ApiError(409, "duplicate", "The requested identifier already exists.")
    fields = _clean(body)
    fields["id"] = event_id
    fields.setdefault("status", "confirmed")
    fields.setdefault("eventType", "default")
    fields.setdefault("iCalUID", f"{event_id}@google.com")
    validate(fields, calendar)
    now = state.now()
    stored = StoredEvent(event_id, fields, created=now, updated=now, seq=state.next_seq())
    calendar.events[event_id] = stored
    calendar_changed(state, calendar)
    return stored


def _valid_id(calendar: Calendar, event_id: str, body: dict[str, Any]) -> bool:
    """base32hex, or ``master_stamp`` for an exception of a stored series."""
    if "recurringEventId" not in body:
        return ID_PATTERN.fullmatch(event_id) is not None
    match = _INSTANCE_ID.match(event_id)
    master = body["recurringEventId"]
    return match is not None and match.group("master") == master and master in calendar.events


def find(state: EmulatorState, calendar: Calendar, event_id: str) -> StoredEvent:
    """The stored event, or a new exception for a virtual instance id (404 when neither)."""
    stored = calendar.events.get(event_id) or _materialize(state, calendar, event_id)
    if stored is None:
        raise not_found()
    return stored


def _materialize(state: EmulatorState, calendar: Calendar, event_id: str) -> StoredEvent | None:
    """Turn instance ``master_20240501T080000Z`` of a stored series into an exception."""
    match = _INSTANCE_ID.match(event_id)
    master = calendar.events.get(match.group("master")) if match else None
    if match is None or master is None or not master.body.get("recurrence"):
        return None
    for body in instances(master, calendar, None, None, around=match.group("stamp")):
        if body["id"] == event_id:
            now = state.now()
            fields = {k: v for k, v in body.items() if k not in (*READ_ONLY, "sequence")}
            stored = StoredEvent(event_id, fields, now, now, state.seq, master.sequence)
            calendar.events[event_id] = stored
            return stored
    return None


def change(
    state: EmulatorState, calendar: Calendar, event_id: str, body: dict[str, Any], replace: bool
) -> StoredEvent:
    """events.patch (merge top-level fields) or events.update (``replace``)."""
    stored = find(state, calendar, event_id)
    fields = _clean(body) if replace else {**stored.body, **_clean(body)}
    for key in ("id", "recurringEventId", "originalStartTime", "iCalUID"):
        if key in stored.body:
            fields[key] = stored.body[key]
    fields.setdefault("status", "confirmed")
    fields.setdefault("eventType", "default")
    validate(fields, calendar)
    if any(fields.get(k) != stored.body.get(k) for k in SIGNIFICANT):
        stored.sequence += 1
    stored.body = fields
    _touch(state, stored)
    calendar_changed(state, calendar)
    return stored


def delete(state: EmulatorState, calendar: Calendar, event_id: str) -> None:
    """events.delete: cancel (a series with its exceptions); twice is 410 ``deleted``."""
    stored = find(state, calendar, event_id)
    if stored.status == "cancelled":
        raise ApiError(410, "deleted", "Resource has been deleted")
    stored.body["status"] = "cancelled"
    _touch(state, stored)
    for other in calendar.events.values():
        if other.body.get("recurringEventId") == event_id and other.status != "cancelled":
            other.body["status"] = "cancelled"
            _touch(state, other)
    calendar_changed(state, calendar)


def _touch(state: EmulatorState, stored: StoredEvent) -> None:
    stored.updated = max(state.now(), stored.updated + timedelta(milliseconds=1))
    stored.seq = state.next_seq()


def etag(stored: StoredEvent) -> str:
    return f'"{int(stored.updated.timestamp() * 1000)}{stored.seq:06d}"'


def resource(stored: StoredEvent, calendar: Calendar) -> dict[str, Any]:
    """The event as Google returns it (a cancelled one only with its identifying fields)."""
    head = {"kind": "calendar#event", "etag": etag(stored), "id": stored.id}
    if stored.status == "cancelled":
        head["status"] = "cancelled"
        head["updated"] = format_rfc3339(stored.updated)
        for key in ("recurringEventId", "originalStartTime"):
            if key in stored.body:
                head[key] = copy.deepcopy(stored.body[key])
        return head
    owner = {"email": calendar.owner, "self": True}
    result: dict[str, Any] = {
        **head,
        "status": stored.status,
        "htmlLink": f"https://www.google.com/calendar/event?eid={stored.id}",
        "created": format_rfc3339(stored.created),
        "updated": format_rfc3339(stored.updated),
        "creator": owner,
        "organizer": owner,
    }
    result.update(copy.deepcopy({k: v for k, v in stored.body.items() if k != "id"}))
    result["sequence"] = stored.sequence
    result.setdefault("reminders", {"useDefault": True})
    for attendee in result.get("attendees", []):
        if attendee.get("email") == calendar.owner:
            attendee["self"] = True
        attendee.setdefault("responseStatus", "needsAction")
    return result


def instances(
    master: StoredEvent,
    calendar: Calendar,
    start: datetime | None,
    end: datetime | None,
    around: str | None = None,
) -> list[dict[str, Any]]:
    """The instances of a series in [start, end) as stored-style bodies (no exceptions)."""
    first = master.body["start"]
    zone_name = calendar.time_zone
    if around is not None:
        start = event_time(_stamp_time(around, first), zone_name) - timedelta(days=1)
        end = start + timedelta(days=2)
    assert start is not None and end is not None
    result = []
    for wall, begin, finish in occurrences(master.body, zone_name, start, end):
        wall_end = wall + (finish - begin)
        original = time_object(wall, first, zone_name)
        body = {k: v for k, v in master.body.items() if k != "recurrence"}
        body["id"] = f"{master.id}_{instance_suffix(begin, is_all_day(first), wall)}"
        body["start"] = original
        body["end"] = time_object(wall_end, master.body["end"], zone_name)
        if is_all_day(first):
            body["end"] = {"date": (wall.date() + (_days(master))).isoformat()}
        body["recurringEventId"] = master.id
        body["originalStartTime"] = copy.deepcopy(original)
        result.append(body)
    return result


def _days(master: StoredEvent) -> timedelta:
    first = date.fromisoformat(master.body["start"]["date"])
    return date.fromisoformat(master.body["end"]["date"]) - first


def _stamp_time(stamp: str, template: dict[str, Any]) -> dict[str, Any]:
    if len(stamp) == 8:
        return {"date": f"{stamp[:4]}-{stamp[4:6]}-{stamp[6:8]}", **_tz(template)}
    text = f"{stamp[:4]}-{stamp[4:6]}-{stamp[6:8]}T{stamp[9:11]}:{stamp[11:13]}:{stamp[13:15]}Z"
    return {"dateTime": text}


def _tz(template: dict[str, Any]) -> dict[str, Any]:
    return {"timeZone": template["timeZone"]} if "timeZone" in template else {}
