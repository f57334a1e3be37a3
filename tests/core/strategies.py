"""Hypothesis strategies shared by the core tests: intervals, windows, zones, busy sets."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from planner.core.intervals import Interval
from planner.core.windows import WeeklyWindow

HOSTILE_ZONES = (
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "Pacific/Apia",
    "Asia/Kolkata",
    "America/Bogota",
    "Asia/Kathmandu",
    "UTC",
)
BASE = datetime(2026, 3, 1, tzinfo=UTC)


def intervals(span_minutes: int = 2000, max_length: int = 300) -> st.SearchStrategy[Interval]:
    """Minute-aligned intervals (possibly empty) within ``span_minutes`` of BASE."""
    return st.builds(
        lambda start, length: Interval(
            BASE + timedelta(minutes=start), BASE + timedelta(minutes=start + length)
        ),
        st.integers(0, span_minutes),
        st.integers(0, max_length),
    )


def interval_lists(max_size: int = 30) -> st.SearchStrategy[list[Interval]]:
    """Unordered, possibly overlapping lists of intervals."""
    return st.lists(intervals(), max_size=max_size)


zones = st.sampled_from(HOSTILE_ZONES).map(ZoneInfo)
wall_times = st.builds(time, st.integers(0, 23), st.sampled_from((0, 15, 30, 45)))
weekly_windows = st.builds(
    WeeklyWindow, st.frozensets(st.integers(0, 6), min_size=1), wall_times, wall_times
)


def busy_sets(start: datetime, days: int, max_size: int = 60) -> st.SearchStrategy[list[Interval]]:
    """Random busy blocks (15-minute grid, up to 5 hours) around ``days`` days from ``start``."""
    block = st.builds(
        lambda offset, length: Interval(
            start + timedelta(minutes=15 * offset),
            start + timedelta(minutes=15 * (offset + length)),
        ),
        st.integers(-96, days * 96),
        st.integers(1, 20),
    )
    return st.lists(block, max_size=max_size)
