"""Free time of one partner and mutual free time of a couple.

Free time is the partner's windows minus their busy blocks, each widened by a
buffer on both sides (travel, winding down), minus everything before
``now + notice`` (nobody wants a date night proposed for ten minutes from now).
All results are in the normal form of :mod:`planner.core.intervals`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from planner.core.intervals import Interval, intersect, merge, subtract, widen


class NegativeDurationError(ValueError):
    """A buffer, notice or step that must not be negative was negative."""

    def __init__(self, name: str, value: timedelta) -> None:
        super().__init__(f"{name} must not be negative, got {value}")
        self.name = name
        self.value = value


def check_non_negative(name: str, value: timedelta) -> None:
    """Raise :class:`NegativeDurationError` when ``value`` is below zero."""
    if value < timedelta(0):
        raise NegativeDurationError(name, value)


def busy_near(busy: Iterable[Interval], span: Interval, margin: timedelta) -> list[Interval]:
    """The busy blocks that touch ``span`` grown by ``margin``, merged; one linear filter first.

    This is how a year of busy blocks is cut down to a planning horizon before
    any sorting happens.
    """
    lo, hi = span.start - margin, span.end + margin
    return merge(b for b in busy if b.end > lo and b.start < hi)


def free_time(
    windows: Iterable[Interval],
    busy: Iterable[Interval],
    *,
    now: datetime,
    notice: timedelta,
    buffer: timedelta,
) -> list[Interval]:
    """``windows`` minus ``busy`` widened by ``buffer`` on both sides, from ``now + notice`` on.

    Empty busy blocks (zero-length events) block nothing, not even a buffer.
    """
    check_non_negative("notice", notice)
    check_non_negative("buffer", buffer)
    open_windows = merge(windows)
    if not open_windows:
        return []
    earliest = max(now + notice, open_windows[0].start)
    if earliest >= open_windows[-1].end:
        return []
    hull = Interval(earliest, open_windows[-1].end)
    blocked = widen(busy_near(busy, hull, buffer), buffer, buffer)
    return subtract(intersect(open_windows, [hull]), blocked)


def mutual_free_time(a: Iterable[Interval], b: Iterable[Interval]) -> list[Interval]:
    """The time both partners are free: the intersection of their free time."""
    return intersect(a, b)
