"""The interval algebra: properties of merge, intersect, subtract, clip, plus unit tests."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given

from planner.core.intervals import (
    Interval,
    NaiveDatetimeError,
    PeriodEndBeforeStart,
    clip,
    intersect,
    interval,
    merge,
    overlapping,
    subtract,
    total,
    widen,
)
from tests.core.strategies import BASE, interval_lists, intervals


def is_normal(items: list[Interval]) -> bool:
    """Sorted, non-empty, disjoint and non-adjacent."""
    return all(i.start < i.end for i in items) and all(
        x.end < y.start for x, y in itertools.pairwise(items)
    )


def at(minutes: int) -> datetime:
    """BASE plus some minutes."""
    return BASE + timedelta(minutes=minutes)


def span(start: int, end: int) -> Interval:
    """An interval in minutes after BASE."""
    return Interval(at(start), at(end))


@given(interval_lists())
def test_merge_is_idempotent_and_normal(items: list[Interval]) -> None:
    merged = merge(items)
    assert merge(merged) == merged
    assert is_normal(merged)
    assert total(items) == sum((i.duration for i in merged), timedelta())


@given(interval_lists(), interval_lists())
def test_intersect_is_commutative_and_normal(a: list[Interval], b: list[Interval]) -> None:
    assert intersect(a, b) == intersect(b, a)
    assert is_normal(intersect(a, b))


@given(interval_lists(), interval_lists())
def test_subtract_removes_all_of_b(a: list[Interval], b: list[Interval]) -> None:
    rest = subtract(a, b)
    assert is_normal(rest)
    assert intersect(rest, b) == []


@given(interval_lists(), interval_lists())
def test_subtract_and_intersect_partition_a(a: list[Interval], b: list[Interval]) -> None:
    assert merge(subtract(a, b) + intersect(a, b)) == merge(a)


@given(interval_lists(), intervals())
def test_clip_stays_within_bounds(items: list[Interval], bounds: Interval) -> None:
    clipped = clip(items, bounds)
    assert all(bounds.contains(i) for i in clipped)
    assert clipped == intersect(items, [bounds])


@given(interval_lists(), intervals())
def test_overlapping_finds_exactly_the_overlaps(items: list[Interval], probe: Interval) -> None:
    merged = merge(items)
    assert list(overlapping(merged, probe)) == [i for i in merged if i.overlaps(probe)]


def test_adjacent_intervals_merge() -> None:
    assert merge([span(60, 120), span(0, 60)]) == [span(0, 120)]


def test_empty_intervals_are_dropped() -> None:
    assert merge([span(10, 10)]) == []


def test_subtract_splits_an_interval() -> None:
    assert subtract([span(0, 100)], [span(20, 30), span(50, 60)]) == [
        span(0, 20),
        span(30, 50),
        span(60, 100),
    ]


def test_widen_grows_both_sides_and_merges() -> None:
    five = timedelta(minutes=5)
    assert widen([span(10, 20), span(28, 40)], five, five) == [span(5, 45)]


def test_interval_converts_to_utc() -> None:
    plus_two = timezone(timedelta(hours=2))
    checked = interval(
        datetime(2026, 1, 1, 12, tzinfo=plus_two), datetime(2026, 1, 1, 13, tzinfo=UTC)
    )
    assert checked == Interval(
        datetime(2026, 1, 1, 10, tzinfo=UTC), datetime(2026, 1, 1, 13, tzinfo=UTC)
    )


def test_interval_rejects_naive_and_reversed() -> None:
    with pytest.raises(NaiveDatetimeError):
        interval(datetime(2026, 1, 1), at(0))
    with pytest.raises(PeriodEndBeforeStart) as info:
        interval(at(10), at(0))
    assert info.value.start == at(10)


def test_merge_of_200000_intervals_runs() -> None:
    items = [span(k * 7 % 100_003, k * 7 % 100_003 + 5) for k in range(200_000)]
    merged = merge(items)
    assert is_normal(merged)
    assert merged[0].start == at(0)
