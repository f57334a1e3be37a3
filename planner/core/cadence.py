"""When recurring work is due next: a weekly moment on a person's own clock.

Pure: ``after`` is an argument, never the clock.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

MINUTES_A_DAY = 24 * 60


def next_weekly(after: datetime, zone: ZoneInfo, weekday: int, minute: int) -> datetime:
    """The first instant strictly after ``after`` that is ``weekday`` (Monday 0) at
    ``minute`` minutes past midnight on ``zone``'s clock, in UTC.

    A wall-clock time that a DST change skips is taken as the instant it would have been
    (so a 02:30 on a spring-forward night is 03:30); a repeated one is its first occurrence.
    """
    if after.tzinfo is None:
        raise ValueError("after must be timezone-aware")
    if not 0 <= weekday <= 6 or not 0 <= minute < MINUTES_A_DAY:
        raise ValueError(f"no such weekly moment: weekday {weekday}, minute {minute}")
    local = after.astimezone(zone)
    at = time(minute // 60, minute % 60)
    day = local.date() + timedelta(days=(weekday - local.weekday()) % 7)
    for extra in (0, 7, 14):
        wall = datetime.combine(day + timedelta(days=extra), at, tzinfo=zone)
        instant = wall.astimezone(UTC)
        if instant > after:
            return instant
    raise AssertionError("a weekly moment recurs within two weeks")  # pragma: no cover
