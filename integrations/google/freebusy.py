"""Privacy mode: busy intervals from ``freebusy.query``, never event details.

With only the ``calendar.freebusy`` scope the app learns when a calendar is busy and
nothing else: no ids, no titles, no sync tokens. Each call reads the whole window again.
Google takes at most 50 calendars per request, so longer lists are split; like the event
sync, the result is all or nothing (any failed request raises). Errors Google reports for
single calendars (``notFound``, ``internalError``...) do not fail the call: they are
returned per calendar, and such a calendar has no busy time in the result, so the caller
must treat it as failed (keep its old busy time), never as free.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from integrations.google.client import DEFAULT_POLICY, RetryPolicy, execute
from planner.core.intervals import Interval, merge

MAX_CALENDARS = 50


@dataclass(frozen=True)
class FreeBusy:
    """Busy time per calendar id over ``window``; ``errors`` holds the reasons Google gave
    for calendars it could not read (those are absent from ``busy``)."""

    window: Interval
    busy: Mapping[str, list[Interval]]
    errors: Mapping[str, tuple[str, ...]]


def chunks(items: Sequence[str], size: int = MAX_CALENDARS) -> Iterator[Sequence[str]]:
    """``items`` in consecutive slices of at most ``size``."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def parse_calendar(entry: Mapping[str, Any]) -> tuple[list[Interval], tuple[str, ...]]:
    """The busy intervals and error reasons of one calendar in a freebusy answer."""
    errors = tuple(str(e.get("reason", "unknown")) for e in entry.get("errors") or [])
    busy = [Interval(_utc(b["start"]), _utc(b["end"])) for b in entry.get("busy") or []]
    return merge(busy), errors


def free_busy(
    service: Any,
    calendar_ids: Sequence[str],
    window: Interval,
    *,
    policy: RetryPolicy = DEFAULT_POLICY,
) -> FreeBusy:
    """Busy time of every calendar in ``calendar_ids`` within ``window``."""
    busy: dict[str, list[Interval]] = {}
    errors: dict[str, tuple[str, ...]] = {}
    unique = list(dict.fromkeys(calendar_ids))
    for chunk in chunks(unique):
        body = {
            "timeMin": window.start.astimezone(UTC).isoformat(),
            "timeMax": window.end.astimezone(UTC).isoformat(),
            "timeZone": "UTC",
            "items": [{"id": calendar_id} for calendar_id in chunk],
        }
        answer = execute(service.freebusy().query(body=body), policy)
        calendars = answer.get("calendars") or {}
        for calendar_id in chunk:
            entry = calendars.get(calendar_id)
            if entry is None:
                errors[calendar_id] = ("missing",)
                continue
            intervals, reasons = parse_calendar(entry)
            if reasons:
                errors[calendar_id] = reasons
            else:
                busy[calendar_id] = intervals
    return FreeBusy(window, busy, errors)
