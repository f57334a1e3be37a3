"""Half-open, timezone-aware intervals and their algebra.

An :class:`Interval` is ``[start, end)`` with both ends timezone-aware. The
operations here take any iterable of intervals (in any order, overlapping or
not) and return a *normal form*: a sorted list of disjoint, non-adjacent,
non-empty intervals. Every operation is a sort followed by one linear sweep,
so it is O(n log n) in the number of intervals.

Adjacent intervals (``a.end == b.start``) are merged: in half-open terms they
cover one contiguous stretch of time.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import NamedTuple


class NaiveDatetimeError(ValueError):
    """An interval end was a naive datetime; the core only accepts aware ones."""

    def __init__(self, value: datetime) -> None:
        super().__init__(f"datetime {value.isoformat()} has no time zone")
        self.value = value


class PeriodEndBeforeStart(ValueError):
    """An interval was built with its end before its start."""

    def __init__(self, start: datetime, end: datetime) -> None:
        super().__init__(
            f"interval ends ({end.isoformat()}) before it starts ({start.isoformat()})"
        )
        self.start = start
        self.end = end


class Interval(NamedTuple):
    """A half-open stretch of time ``[start, end)``; both ends are aware datetimes.

    Build checked intervals with :func:`interval`; the tuple constructor itself
    does no checking so that hot loops stay cheap.
    """

    start: datetime
    end: datetime

    @property
    def duration(self) -> timedelta:
        """The length of the interval."""
        return self.end - self.start

    def contains(self, other: Interval) -> bool:
        """True when ``other`` lies wholly inside this interval."""
        return self.start <= other.start and other.end <= self.end

    def overlaps(self, other: Interval) -> bool:
        """True when the two intervals share some time (touching is not sharing)."""
        return self.start < other.end and other.start < self.end

    def utc(self) -> Interval:
        """The same interval with both ends expressed in UTC."""
        return Interval(self.start.astimezone(UTC), self.end.astimezone(UTC))


def interval(start: datetime, end: datetime) -> Interval:
    """A checked interval: both ends aware, ``end >= start``, stored in UTC."""
    for value in (start, end):
        if value.tzinfo is None or value.utcoffset() is None:
            raise NaiveDatetimeError(value)
    if end < start:
        raise PeriodEndBeforeStart(start, end)
    return Interval(start.astimezone(UTC), end.astimezone(UTC))


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """The normal form of ``intervals``: sorted, disjoint, adjacent ones joined, empties dropped.

    Idempotent: ``merge(merge(x)) == merge(x)``.
    """
    ordered = sorted(i for i in intervals if i.start < i.end)
    if not ordered:
        return []
    out: list[Interval] = []
    cur_start, cur_end = ordered[0]
    for start, end in ordered[1:]:
        if start <= cur_end:
            if end > cur_end:
                cur_end = end
        else:
            out.append(Interval(cur_start, cur_end))
            cur_start, cur_end = start, end
    out.append(Interval(cur_start, cur_end))
    return out


def intersect(a: Iterable[Interval], b: Iterable[Interval]) -> list[Interval]:
    """The time covered by both ``a`` and ``b``, in normal form. Commutative."""
    left, right = merge(a), merge(b)
    out: list[Interval] = []
    i = j = 0
    while i < len(left) and j < len(right):
        start = max(left[i].start, right[j].start)
        end = min(left[i].end, right[j].end)
        if start < end:
            out.append(Interval(start, end))
        if left[i].end <= right[j].end:
            i += 1
        else:
            j += 1
    return out


def subtract(a: Iterable[Interval], b: Iterable[Interval]) -> list[Interval]:
    """The time in ``a`` that is not in ``b``, in normal form."""
    removed = merge(b)
    out: list[Interval] = []
    j = 0
    for start, end in merge(a):
        while j < len(removed) and removed[j].end <= start:
            j += 1
        k, cursor = j, start
        while k < len(removed) and removed[k].start < end:
            if removed[k].start > cursor:
                out.append(Interval(cursor, removed[k].start))
            cursor = max(cursor, removed[k].end)
            k += 1
        if cursor < end:
            out.append(Interval(cursor, end))
    return out


def clip(intervals: Iterable[Interval], bounds: Interval) -> list[Interval]:
    """The parts of ``intervals`` that fall inside ``bounds``, in normal form."""
    return intersect(intervals, [bounds])


def widen(intervals: Iterable[Interval], before: timedelta, after: timedelta) -> list[Interval]:
    """Each interval grown by ``before`` at its start and ``after`` at its end, in normal form."""
    return merge(Interval(i.start - before, i.end + after) for i in intervals)


def total(intervals: Iterable[Interval]) -> timedelta:
    """The total time covered by ``intervals`` (overlaps counted once)."""
    return sum((i.duration for i in merge(intervals)), timedelta())


def overlapping(intervals: Sequence[Interval], probe: Interval) -> Iterator[Interval]:
    """The members of a *normal-form* sequence that overlap ``probe``, by binary search."""
    lo, hi = 0, len(intervals)
    while lo < hi:
        mid = (lo + hi) // 2
        if intervals[mid].end <= probe.start:
            lo = mid + 1
        else:
            hi = mid
    for item in intervals[lo:]:
        if item.start >= probe.end:
            break
        yield item
