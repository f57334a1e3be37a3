"""The oracle: busy time as icalendar + x-wr-timezone + recurring-ical-events compute it.

Slow but independent of our own expansion; tests compare :func:`integrations.ics.ingest`
against it. It raises whatever those libraries raise.
"""

from __future__ import annotations

import warnings
from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events
import x_wr_timezone

from integrations.ics.decode import decode
from planner.core.intervals import Interval, clip, merge


def reference_busy(
    data: bytes, *, start: datetime, end: datetime, zone: str | ZoneInfo
) -> list[Interval]:
    """Busy time in ``[start, end)`` the way the usual library pipeline computes it.

    Parse with icalendar, apply X-WR-TIMEZONE, expand with recurring-ical-events, drop
    TRANSPARENT and CANCELLED occurrences, read all-day and floating times in ``zone``,
    then clip and merge.
    """
    owner = ZoneInfo(zone) if isinstance(zone, str) else zone
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # icalendar's guesses about TZIDs; not our concern here
        found = _occurrences(decode(data), start.astimezone(owner), end.astimezone(owner), owner)
    return clip(merge(found), Interval(start.astimezone(UTC), end.astimezone(UTC)))


def _occurrences(text: str, start: datetime, end: datetime, owner: tzinfo) -> list[Interval]:
    calendars = icalendar.Calendar.from_ical(text, multiple=True)
    found: list[Interval] = []
    for calendar in calendars:
        standard = x_wr_timezone.to_standard(calendar)
        query = recurring_ical_events.of(standard)
        for event in query.between(start, end):
            if _is_free(event):
                continue
            first = _aware(event["DTSTART"].dt, owner)
            last = _aware(event["DTEND"].dt, owner) if "DTEND" in event else first
            found.append(Interval(first.astimezone(UTC), last.astimezone(UTC)))
    return found


def _is_free(event: icalendar.Component) -> bool:
    transp = str(event.get("TRANSP", "")).strip().upper()
    status = str(event.get("STATUS", "")).strip().upper()
    return transp == "TRANSPARENT" or status == "CANCELLED"


def _aware(value: date | datetime, owner: tzinfo) -> datetime:
    if not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day, tzinfo=owner)
    if value.tzinfo is None:
        return value.replace(tzinfo=owner)
    return value
