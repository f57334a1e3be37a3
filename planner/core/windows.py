"""Weekly wall-clock windows ("Mon-Fri 18:00-22:30") and their expansion to UTC intervals.

A :class:`WeeklyWindow` is a range of local wall-clock time on some days of the
week. ``end <= start`` means the window crosses midnight into the next day, so
``Fri 22:00-02:00`` runs from Friday 22:00 to Saturday 02:00, ``Mon 18:00-24:00``
(stored with ``end == 00:00``) runs to midnight, and ``Sun 00:00-24:00`` is the
whole of Sunday.

Spec syntax (case-insensitive)::

    spec   := clause (";" clause)*
    clause := days " " HH:MM "-" HH:MM
    days   := item ("," item)*      item := day | day "-" day   (ranges may wrap: Sat-Mon)
    day    := Mon | Tue | ... | Sun (three-letter or full English names)

Time zones and DST: every local boundary (each start and each end) is converted
to UTC on its own, so a window is an hour shorter on a spring-forward night and
an hour longer on a fall-back night when it spans the transition (half an hour
for Australia/Lord_Howe). Local times that do not exist or exist twice are
resolved as RFC 5545 section 3.3.5 prescribes for DATE-TIME values with a TZID:

- an *ambiguous* time (it occurs twice when the clocks go back) means its first
  occurrence;
- a *nonexistent* time (it falls into the gap when the clocks go forward) is
  interpreted with the UTC offset in force before the gap, so 02:30 on a
  Berlin spring-forward night is 01:30 UTC, the instant the clocks show 03:30.

Both rules are exactly what :mod:`zoneinfo` does for ``fold=0``. A window whose
two boundaries collapse to the same or reversed UTC instants by these rules
(only possible when it starts inside a gap) contributes nothing that day.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from planner.core.intervals import Interval, clip

DAY_NAMES: tuple[str, ...] = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_FULL_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DAY_LOOKUP: dict[str, int] = {
    **{name.lower(): i for i, name in enumerate(DAY_NAMES)},
    **{name: i for i, name in enumerate(_FULL_NAMES)},
}
_TIME_RE = re.compile(r"(\d{1,2}):(\d{2})")
_CLAUSE_RE = re.compile(r"^(?P<days>.*?)\s+(?P<start>\S+?)\s*-\s*(?P<end>\S+)$")


class WindowSpecError(ValueError):
    """A window spec could not be parsed; ``detail`` says what is wrong and where."""

    def __init__(self, spec: str, detail: str) -> None:
        super().__init__(detail)
        self.spec = spec
        self.detail = detail


@dataclass(frozen=True)
class WeeklyWindow:
    """Local wall-clock ``start``-``end`` on each of ``days`` (0 = Monday .. 6 = Sunday).

    ``end <= start`` means the window ends on the following day.
    """

    days: frozenset[int]
    start: time
    end: time

    def __post_init__(self) -> None:
        """Reject empty or out-of-range days, zoned times and sub-minute precision."""
        if not self.days or not self.days <= frozenset(range(7)):
            raise ValueError(f"days must be a non-empty subset of 0..6, got {sorted(self.days)}")
        for value in (self.start, self.end):
            if value.tzinfo is not None or value.second or value.microsecond:
                raise ValueError(f"window times must be naive whole minutes, got {value}")

    @property
    def crosses_midnight(self) -> bool:
        """True when the window ends on the day after it starts."""
        return self.end <= self.start

    @property
    def length(self) -> timedelta:
        """The nominal wall-clock length (DST nights may differ in real time)."""
        minutes = _minutes(self.end) - _minutes(self.start)
        return timedelta(minutes=minutes if minutes > 0 else minutes + 24 * 60)


def _minutes(value: time) -> int:
    """Minutes since midnight of a wall-clock time."""
    return value.hour * 60 + value.minute


def parse_windows(spec: str) -> tuple[WeeklyWindow, ...]:
    """The windows described by ``spec``, in order; empty clauses are ignored.

    Raises :class:`WindowSpecError` naming the offending part and clause.
    """
    return tuple(_parse_clause(spec, part.strip()) for part in spec.split(";") if part.strip())


def _parse_clause(spec: str, clause: str) -> WeeklyWindow:
    """One ``days HH:MM-HH:MM`` clause."""
    match = _CLAUSE_RE.match(clause)
    if match is None:
        raise _error(spec, clause, "expected days and a time range like 'Mon-Fri 18:00-22:00'")
    days = _parse_days(spec, clause, match["days"])
    start = _parse_time(spec, clause, match["start"], allow_24=False)
    end = _parse_time(spec, clause, match["end"], allow_24=True)
    return WeeklyWindow(days, start, end)


def _error(spec: str, clause: str, detail: str) -> WindowSpecError:
    """A spec error whose message names the clause it happened in."""
    return WindowSpecError(spec, f"{detail} in '{clause}'")


def _parse_days(spec: str, clause: str, text: str) -> frozenset[int]:
    """A comma-separated list of days and (possibly wrapping) day ranges."""
    days: set[int] = set()
    for item in text.split(","):
        bounds = [_parse_day(spec, clause, name.strip()) for name in item.split("-")]
        if len(bounds) > 2:
            raise _error(spec, clause, f"bad day range '{item.strip()}'")
        first, last = bounds[0], bounds[-1]
        days.update((first + k) % 7 for k in range((last - first) % 7 + 1))
    return frozenset(days)


def _parse_day(spec: str, clause: str, name: str) -> int:
    """The weekday number of a day name."""
    if not name:
        raise _error(spec, clause, "missing day")
    try:
        return _DAY_LOOKUP[name.lower()]
    except KeyError:
        raise _error(spec, clause, f"unknown day '{name}'") from None


def _parse_time(spec: str, clause: str, text: str, *, allow_24: bool) -> time:
    """An ``HH:MM`` wall-clock time; ``24:00`` only as an end (stored as 00:00)."""
    match = _TIME_RE.fullmatch(text)
    if match is None:
        raise _error(spec, clause, f"invalid time '{text}' (expected HH:MM)")
    hour, minute = int(match[1]), int(match[2])
    if (hour, minute) == (24, 0):
        if not allow_24:
            raise _error(spec, clause, "24:00 is only allowed as an end time")
        return time(0, 0)
    if hour > 23 or minute > 59:
        raise _error(spec, clause, f"invalid time '{text}' (hours 00-24, minutes 00-59)")
    return time(hour, minute)


def format_windows(windows: Iterable[WeeklyWindow]) -> str:
    """The spec text of ``windows``; ``parse_windows(format_windows(w)) == tuple(w)``."""
    return "; ".join(_format_one(w) for w in windows)


def _format_one(window: WeeklyWindow) -> str:
    """One clause: compact days, then ``HH:MM-HH:MM`` with midnight as an end shown as 24:00."""
    end = "24:00" if window.end == time(0) else window.end.strftime("%H:%M")
    return f"{_format_days(window.days)} {window.start.strftime('%H:%M')}-{end}"


def _format_days(days: frozenset[int]) -> str:
    """Runs of three or more consecutive days as ranges, the rest as a list."""
    parts: list[str] = []
    for run in _runs(sorted(days)):
        if len(run) >= 3:
            parts.append(f"{DAY_NAMES[run[0]]}-{DAY_NAMES[run[-1]]}")
        else:
            parts.extend(DAY_NAMES[d] for d in run)
    return ",".join(parts)


def _runs(ordered: list[int]) -> list[list[int]]:
    """Sorted day numbers split into runs of consecutive days."""
    runs: list[list[int]] = []
    for day in ordered:
        if runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    return runs


def local_instant(day: date, wall: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of wall-clock ``wall`` on ``day`` in ``zone``, resolved per RFC 5545."""
    return datetime.combine(day, wall, tzinfo=zone).astimezone(UTC)


def window_intervals(
    windows: Iterable[WeeklyWindow], zone: ZoneInfo, span: Interval
) -> list[Interval]:
    """The UTC intervals covered by ``windows`` in ``zone``, clipped to ``span``, normal form."""
    windows = tuple(windows)
    first = span.start.astimezone(zone).date() - timedelta(days=1)
    last = span.end.astimezone(zone).date()
    out: list[Interval] = []
    day = first
    while day <= last:
        out.extend(_occurrence(w, day, zone) for w in windows if day.weekday() in w.days)
        day += timedelta(days=1)
    return clip(out, span)


def _occurrence(window: WeeklyWindow, day: date, zone: ZoneInfo) -> Interval:
    """The window's occurrence starting on ``day``; each boundary converted separately."""
    end_day = day + timedelta(days=1) if window.crosses_midnight else day
    start = local_instant(day, window.start, zone)
    end = local_instant(end_day, window.end, zone)
    return Interval(start, max(start, end))
