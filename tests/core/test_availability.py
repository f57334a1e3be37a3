"""Free time of a partner and of a couple."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner.core.availability import NegativeDurationError, free_time, mutual_free_time
from planner.core.intervals import Interval, intersect, merge, subtract, widen
from tests.core.strategies import BASE, interval_lists


def span(start: int, end: int) -> Interval:
    """An interval in minutes after BASE."""
    return Interval(BASE + timedelta(minutes=start), BASE + timedelta(minutes=end))


QUARTER = timedelta(minutes=15)


def test_busy_is_widened_by_the_buffer() -> None:
    got = free_time([span(0, 600)], [span(120, 180)], now=BASE, notice=timedelta(0), buffer=QUARTER)
    assert got == [span(0, 105), span(195, 600)]


def test_nothing_before_now_plus_notice() -> None:
    got = free_time([span(0, 600)], [], now=BASE, notice=timedelta(hours=2), buffer=QUARTER)
    assert got == [span(120, 600)]


def test_all_in_the_past_is_nothing() -> None:
    assert free_time([span(0, 60)], [], now=BASE, notice=timedelta(hours=2), buffer=QUARTER) == []
    assert free_time([], [span(0, 60)], now=BASE, notice=QUARTER, buffer=QUARTER) == []


def test_negative_buffer_is_rejected() -> None:
    with pytest.raises(NegativeDurationError, match="buffer must not be negative"):
        free_time([span(0, 60)], [], now=BASE, notice=QUARTER, buffer=-QUARTER)


@given(interval_lists(), interval_lists(), st.integers(0, 2000), st.integers(0, 120))
def test_free_time_matches_the_definition(
    windows: list[Interval], busy: list[Interval], now: int, buffer: int
) -> None:
    pad = timedelta(minutes=buffer)
    got = free_time(windows, busy, now=BASE + timedelta(minutes=now), notice=QUARTER, buffer=pad)
    blocked = widen(merge(busy), pad, pad)  # empty busy blocks block nothing
    expected = subtract(subtract(windows, blocked), [span(-(10**6), now + 15)])
    assert got == expected
    assert intersect(got, blocked) == []


@given(interval_lists(), interval_lists())
def test_mutual_free_time_is_the_intersection(a: list[Interval], b: list[Interval]) -> None:
    assert mutual_free_time(a, b) == intersect(a, b) == mutual_free_time(b, a)
    assert merge(mutual_free_time(a, a)) == merge(a)
