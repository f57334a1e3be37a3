"""Google event resources -> busy blocks. Pure: no IO, no clock.

The rules (one function each, so each can be read and tested on its own):

* free: ``status`` cancelled; ``transparency`` transparent ("show as available", birthdays
  and other all-day markers usually are); ``eventType`` workingLocation; an invitation the
  owner declined (the attendee with ``self: true`` has ``responseStatus`` declined); and
  connection time itself, written back by us (our private extended property) or coming
  from the couple's feed subscribed in Google (an ``iCalUID`` of our domain): a connection
  must never clash with its own copy.
* busy: everything else, including ``outOfOffice`` and ``focusTime`` and invitations the
  owner has not answered yet (a tentative "maybe" is busy too: time is not promised away).
* times: ``dateTime`` values carry an offset and become aware UTC; a ``dateTime`` without
  one is read in the event's ``timeZone`` or else the owner's zone. All-day events
  (``date``) run from midnight to midnight in the owner's zone (the calendar's zone), the
  end date exclusive as in iCalendar.

Every busy block keeps the event id (to apply incremental changes) and the title, which
only the owner ever sees.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from integrations.ics.invites import UID_DOMAIN
from planner.core.intervals import Interval

FREE_EVENT_TYPES = frozenset({"workingLocation"})
UID_PROPERTY = "connectionPlannerUid"
"""The private extended property that carries a written-back connection's UID."""
OWN_UID_SUFFIX = "@" + UID_DOMAIN


@dataclass(frozen=True)
class GoogleBusyBlock:
    """One busy event occurrence: its Google id, aware-UTC ``[start, end)``, owner-only title."""

    event_id: str
    start: datetime
    end: datetime
    title: str | None

    @property
    def interval(self) -> Interval:
        """The block as a core interval."""
        return Interval(self.start, self.end)


class UnreadableEvent(ValueError):
    """An event whose start or end cannot be read; ``event_id`` says which."""

    def __init__(self, event_id: str, reason: str) -> None:
        super().__init__(f"event {event_id!r}: {reason}")
        self.event_id = event_id
        self.reason = reason


def zone(name: str | None, fallback: tzinfo = UTC) -> tzinfo:
    """The zone called ``name``, or ``fallback`` when it is empty or unknown."""
    if not name:
        return fallback
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return fallback


def is_cancelled(event: Mapping[str, Any]) -> bool:
    """True for a deleted event (and cancelled instances of a series)."""
    return event.get("status") == "cancelled"


def is_transparent(event: Mapping[str, Any]) -> bool:
    """True when the event is shown as "available"."""
    return event.get("transparency") == "transparent"


def declined_by_owner(event: Mapping[str, Any]) -> bool:
    """True when the calendar's owner declined this invitation."""
    attendees = event.get("attendees") or []
    return any(a.get("self") and a.get("responseStatus") == "declined" for a in attendees)


def is_connection(event: Mapping[str, Any]) -> bool:
    """True for connection time of ours: written back, or from the subscribed feed."""
    private = (event.get("extendedProperties") or {}).get("private") or {}
    return UID_PROPERTY in private or str(event.get("iCalUID", "")).endswith(OWN_UID_SUFFIX)


def is_free(event: Mapping[str, Any]) -> bool:
    """True when the event does not make its owner busy."""
    return (
        is_cancelled(event)
        or is_transparent(event)
        or event.get("eventType") in FREE_EVENT_TYPES
        or declined_by_owner(event)
        or is_connection(event)
    )


def moment(value: Mapping[str, Any], owner_zone: tzinfo, event_id: str = "") -> datetime:
    """An event's ``start`` or ``end`` as an aware UTC datetime."""
    if value.get("dateTime"):
        try:
            parsed = datetime.fromisoformat(str(value["dateTime"]))
        except ValueError as error:
            raise UnreadableEvent(event_id, f"bad dateTime {value['dateTime']!r}") from error
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=zone(value.get("timeZone"), owner_zone))
        return parsed.astimezone(UTC)
    if value.get("date"):
        return midnight(_day(value["date"], event_id), owner_zone)
    raise UnreadableEvent(event_id, "neither date nor dateTime")


def midnight(day: date, owner_zone: tzinfo) -> datetime:
    """The start of ``day`` in ``owner_zone``, in UTC (fold 0 on a repeated midnight)."""
    return datetime.combine(day, time(0), tzinfo=owner_zone).astimezone(UTC)


def _day(text: Any, event_id: str) -> date:
    try:
        return date.fromisoformat(str(text))
    except ValueError as error:
        raise UnreadableEvent(event_id, f"bad date {text!r}") from error


def event_interval(event: Mapping[str, Any], owner_zone: tzinfo) -> Interval:
    """The ``[start, end)`` of an event in UTC. A missing end means "as long as a day" for
    all-day events and "a moment" otherwise (Google always sends one in practice)."""
    event_id = str(event.get("id", ""))
    start_value = event.get("start") or {}
    start = moment(start_value, owner_zone, event_id)
    end_value = event.get("end")
    if end_value:
        end = moment(end_value, owner_zone, event_id)
    elif start_value.get("date"):
        end = midnight(_day(start_value["date"], event_id) + timedelta(days=1), owner_zone)
    else:
        end = start
    return Interval(start, max(start, end))


def busy_block(event: Mapping[str, Any], owner_zone: tzinfo) -> GoogleBusyBlock | None:
    """The busy block of one event, or None when the event leaves its owner free (or
    lasts no time at all)."""
    if is_free(event):
        return None
    span = event_interval(event, owner_zone)
    if span.start >= span.end:
        return None
    title = event.get("summary")
    return GoogleBusyBlock(str(event["id"]), span.start, span.end, title if title else None)
