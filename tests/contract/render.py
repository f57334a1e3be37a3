"""The canonical events rendered for each kind: iCalendar text (upload, ICS URL, CalDAV),
Google Calendar v3 event JSON (the emulator), and records (the in-memory source)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from integrations.memory import MemoryEvent
from tests.contract.canon import ZONE, Event, Moment, Move
from tests.zones import BERLIN_VTIMEZONE

UID_DOMAIN = "contract.test"

VTIMEZONE = BERLIN_VTIMEZONE.splitlines()


# --- iCalendar -------------------------------------------------------------------------------


def ics(events: Iterable[Event]) -> bytes:
    """One VCALENDAR holding every event (an uploaded file, a subscribed link)."""
    return _calendar([line for event in events for line in _vevents(event)])


def ics_object(event: Event) -> bytes:
    """One calendar object for one UID, overrides included (a CalDAV resource)."""
    return _calendar(_vevents(event))


def _calendar(body: list[str]) -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//connection-planner//contract//EN"]
    return ("\r\n".join([*lines, *VTIMEZONE, *body, "END:VCALENDAR"]) + "\r\n").encode()


def _vevents(event: Event) -> list[str]:
    lines = _vevent(event.uid, event.title, event.start, event.end)
    if event.transparent:
        lines.append("TRANSP:TRANSPARENT")
    if event.cancelled:
        lines.append("STATUS:CANCELLED")
    if event.weekly > 1:
        lines.append(f"RRULE:FREQ=WEEKLY;COUNT={event.weekly}")
    lines += [f"EXDATE;{_value(moment)}" for moment in event.exdates]
    lines.append("END:VEVENT")
    for move in event.moved:
        lines += _vevent(event.uid, move.title, move.start, move.end)
        lines += [f"RECURRENCE-ID;{_value(move.original)}", "END:VEVENT"]
    return lines


def _vevent(uid: str, title: str, start: Moment, end: Moment) -> list[str]:
    return ["BEGIN:VEVENT", f"UID:{uid}@{UID_DOMAIN}", "DTSTAMP:20261001T000000Z",
            f"DTSTART;{_value(start)}", f"DTEND;{_value(end)}", f"SUMMARY:{title}"]  # fmt: skip


def _value(moment: Moment) -> str:
    """``TZID=Europe/Berlin:20261020T100000`` or ``VALUE=DATE:20261022``."""
    if isinstance(moment, datetime):
        return f"TZID={ZONE}:{moment:%Y%m%dT%H%M%S}"
    return f"VALUE=DATE:{moment:%Y%m%d}"


# --- Google Calendar v3 ----------------------------------------------------------------------


def google_id(uid: str) -> str:
    """A valid Google event id (base32hex) for a canonical uid."""
    return uid.encode().hex()


def google_events(event: Event) -> list[dict[str, Any]]:
    """The event as Calendar v3 JSON: the event (or series) first, then its moved instances."""
    body: dict[str, Any] = {"id": google_id(event.uid), "summary": event.title,
                            "start": _time(event.start), "end": _time(event.end)}  # fmt: skip
    if event.transparent:
        body["transparency"] = "transparent"
    if event.cancelled:
        body["status"] = "cancelled"
    if event.weekly > 1:
        body["recurrence"] = [f"RRULE:FREQ=WEEKLY;COUNT={event.weekly}"]
        body["recurrence"] += [f"EXDATE;{_value(moment)}" for moment in event.exdates]
    return [body, *(_google_move(event, move) for move in event.moved)]


def _google_move(event: Event, move: Move) -> dict[str, Any]:
    master = google_id(event.uid)
    stamp = move.original.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return {"id": f"{master}_{stamp}", "recurringEventId": master, "summary": move.title,
            "originalStartTime": _time(move.original), "start": _time(move.start),
            "end": _time(move.end)}  # fmt: skip


def _time(moment: Moment) -> dict[str, str]:
    if isinstance(moment, datetime):
        return {"dateTime": moment.isoformat(), "timeZone": ZONE}
    return {"date": moment.isoformat()}


# --- in memory -------------------------------------------------------------------------------


def records(event: Event) -> list[MemoryEvent]:
    """The event as in-memory records: the event (or series), then one per moved instance."""
    first = MemoryEvent(event.uid, event.start, event.end, event.title, event.transparent,
                        event.cancelled, event.weekly, event.exdates)  # fmt: skip
    moved = [MemoryEvent(event.uid, m.start, m.end, m.title, recurrence_id=m.original)
             for m in event.moved]  # fmt: skip
    return [first, *moved]


def all_records(events: Iterable[Event]) -> list[MemoryEvent]:
    """Every record of ``events``."""
    return [record for event in events for record in records(event)]
