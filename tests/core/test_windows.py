"""Weekly windows: parsing and formatting, and their expansion to UTC across DST."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner.core.intervals import Interval
from planner.core.windows import (
    WeeklyWindow,
    WindowSpecError,
    format_windows,
    parse_windows,
    window_intervals,
)
from tests.core.strategies import weekly_windows, zones

WEEKDAYS = frozenset(range(5))


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("", ()),
        ("Mon 09:00-17:00;", (WeeklyWindow(frozenset({0}), time(9), time(17)),)),
        (
            "Mon-Fri 18:00-22:30; Sat,Sun 09:00-22:00",
            (
                WeeklyWindow(WEEKDAYS, time(18), time(22, 30)),
                WeeklyWindow(frozenset({5, 6}), time(9), time(22)),
            ),
        ),
        ("mon-FRI 18:00-22:30", (WeeklyWindow(WEEKDAYS, time(18), time(22, 30)),)),
        ("Fri-Mon 20:00-23:00", (WeeklyWindow(frozenset({4, 5, 6, 0}), time(20), time(23)),)),
        ("Monday, Wednesday 7:30-9:00", (WeeklyWindow(frozenset({0, 2}), time(7, 30), time(9)),)),
        ("Sun 18:00 - 24:00", (WeeklyWindow(frozenset({6}), time(18), time(0)),)),
        ("Sat 00:00-24:00", (WeeklyWindow(frozenset({5}), time(0), time(0)),)),
    ],
)
def test_parse_good_specs(spec: str, expected: tuple[WeeklyWindow, ...]) -> None:
    assert parse_windows(spec) == expected


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("Fry 18:00-22:00", "unknown day 'Fry' in 'Fry 18:00-22:00'"),
        (
            "Mon-Fri 18:00-25:00",
            "invalid time '25:00' (hours 00-24, minutes 00-59) in 'Mon-Fri 18:00-25:00'",
        ),
        ("Mon 1800-2200", "invalid time '1800' (expected HH:MM) in 'Mon 1800-2200'"),
        ("Mon 24:00-02:00", "24:00 is only allowed as an end time in 'Mon 24:00-02:00'"),
        (
            "18:00-22:00",
            "expected days and a time range like 'Mon-Fri 18:00-22:00' in '18:00-22:00'",
        ),
        ("Mon 18:00", "expected days and a time range like 'Mon-Fri 18:00-22:00' in 'Mon 18:00'"),
        ("Mon-Wed-Fri 18:00-22:00", "bad day range 'Mon-Wed-Fri' in 'Mon-Wed-Fri 18:00-22:00'"),
        ("Mon,,Tue 18:00-22:00", "missing day in 'Mon,,Tue 18:00-22:00'"),
        (
            "Sat 09:00-12:00; Fri 18:00-22:61",
            "invalid time '22:61' (hours 00-24, minutes 00-59) in 'Fri 18:00-22:61'",
        ),
    ],
)
def test_parse_bad_specs_say_exactly_what_is_wrong(spec: str, message: str) -> None:
    with pytest.raises(WindowSpecError) as info:
        parse_windows(spec)
    assert str(info.value) == message
    assert info.value.spec == spec
    assert message.startswith(info.value.detail.split(" in '")[0])


def test_window_validates_its_fields() -> None:
    with pytest.raises(ValueError, match="days"):
        WeeklyWindow(frozenset({7}), time(9), time(10))
    with pytest.raises(ValueError, match="whole minutes"):
        WeeklyWindow(frozenset({1}), time(9, 0, 30), time(10))


def test_format_is_compact() -> None:
    windows = parse_windows("Sat,Mon-Fri 18:00-24:00; Sun,Sat 09:00-22:00; Mon,Wed 07:00-08:00")
    assert format_windows(windows) == (
        "Mon-Sat 18:00-24:00; Sat,Sun 09:00-22:00; Mon,Wed 07:00-08:00"
    )


@given(st.lists(weekly_windows, max_size=6))
def test_format_round_trips(windows: list[WeeklyWindow]) -> None:
    assert parse_windows(format_windows(windows)) == tuple(windows)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A UTC datetime."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def occurrence(zone: str, day: date, start: time, end: time) -> list[Interval]:
    """The expansion of a one-day window around ``day`` (the week has only that occurrence)."""
    window = WeeklyWindow(frozenset({day.weekday()}), start, end)
    around = datetime.combine(day, time(12), tzinfo=UTC)
    span = Interval(around - timedelta(days=3), around + timedelta(days=3))
    return window_intervals([window], ZoneInfo(zone), span)


# zone, spring-forward day, fall-back day, wall hour just before the change, length of the change
DST_CASES = [
    ("Europe/Berlin", date(2026, 3, 29), date(2026, 10, 25), time(1), 60),
    ("America/New_York", date(2026, 3, 8), date(2026, 11, 1), time(0), 60),
    ("Australia/Lord_Howe", date(2026, 10, 4), date(2026, 4, 5), time(0, 30), 30),
    ("Pacific/Apia", date(2020, 9, 27), date(2020, 4, 5), time(2), 60),
]


@pytest.mark.parametrize(("zone", "spring", "fall", "before", "shift"), DST_CASES)
def test_window_across_spring_forward_is_shorter(
    zone: str, spring: date, fall: date, before: time, shift: int
) -> None:
    end = time(before.hour + 3, before.minute)
    [got] = occurrence(zone, spring, before, end)
    assert got.duration == timedelta(hours=3) - timedelta(minutes=shift)


@pytest.mark.parametrize(("zone", "spring", "fall", "before", "shift"), DST_CASES)
def test_window_across_fall_back_is_longer(
    zone: str, spring: date, fall: date, before: time, shift: int
) -> None:
    end = time(before.hour + 3, before.minute)
    [got] = occurrence(zone, fall, before, end)
    assert got.duration == timedelta(hours=3) + timedelta(minutes=shift)


@pytest.mark.parametrize("day", [date(2026, 3, 29), date(2026, 10, 25), date(2026, 6, 1)])
def test_kolkata_has_no_dst(day: date) -> None:
    [got] = occurrence("Asia/Kolkata", day, time(1), time(4))
    assert got == Interval(
        datetime.combine(day, time(19, 30), UTC) - timedelta(days=1),
        datetime.combine(day, time(22, 30), UTC) - timedelta(days=1),
    )


@pytest.mark.parametrize(
    ("zone", "day", "wall", "expected"),
    [
        # nonexistent: the UTC offset from before the gap
        ("Europe/Berlin", date(2026, 3, 29), time(2, 30), utc(2026, 3, 29, 1, 30)),
        ("America/New_York", date(2026, 3, 8), time(2, 30), utc(2026, 3, 8, 7, 30)),
        ("Australia/Lord_Howe", date(2026, 10, 4), time(2, 15), utc(2026, 10, 3, 15, 45)),
        ("Pacific/Apia", date(2020, 9, 27), time(3, 30), utc(2020, 9, 26, 14, 30)),
        # ambiguous: the first occurrence
        ("Europe/Berlin", date(2026, 10, 25), time(2, 30), utc(2026, 10, 25, 0, 30)),
        ("America/New_York", date(2026, 11, 1), time(1, 30), utc(2026, 11, 1, 5, 30)),
        ("Australia/Lord_Howe", date(2026, 4, 5), time(1, 45), utc(2026, 4, 4, 14, 45)),
        ("Pacific/Apia", date(2020, 4, 5), time(3, 30), utc(2020, 4, 4, 13, 30)),
    ],
)
def test_boundary_resolution_follows_rfc5545(
    zone: str, day: date, wall: time, expected: datetime
) -> None:
    [got] = occurrence(zone, day, wall, time(12))
    assert got.start == expected


def test_window_starting_in_the_gap_can_vanish() -> None:
    # 02:30 (nonexistent) is 01:30 UTC, 03:00 CEST is 01:00 UTC: nothing is left that night.
    assert occurrence("Europe/Berlin", date(2026, 3, 29), time(2, 30), time(3)) == []


def test_midnight_crossing_window_into_spring_forward() -> None:
    [got] = occurrence("Europe/Berlin", date(2026, 3, 28), time(22), time(3))
    assert got == Interval(utc(2026, 3, 28, 21), utc(2026, 3, 29, 1))


def test_midnight_crossing_window_into_fall_back() -> None:
    [got] = occurrence("Europe/Berlin", date(2026, 10, 24), time(22), time(3))
    assert got == Interval(utc(2026, 10, 24, 20), utc(2026, 10, 25, 2))


def test_window_to_24_00_ends_at_midnight() -> None:
    [got] = occurrence("America/New_York", date(2026, 6, 1), time(18), time(0))
    assert got == Interval(utc(2026, 6, 1, 22), utc(2026, 6, 2, 4))


def test_apia_skipped_friday_lands_on_saturday() -> None:
    # 30 December 2011 never happened in Samoa; Friday 10:00 at the old offset is Saturday 10:00.
    windows = parse_windows("Fri 10:00-12:00")
    span = Interval(utc(2011, 12, 28), utc(2012, 1, 2))
    got = window_intervals(windows, ZoneInfo("Pacific/Apia"), span)
    assert got == [Interval(utc(2011, 12, 30, 20), utc(2011, 12, 30, 22))]


def test_windows_are_clipped_to_the_span() -> None:
    span = Interval(utc(2026, 6, 1, 20), utc(2026, 6, 2, 1))
    got = window_intervals(parse_windows("Mon 18:00-23:00"), ZoneInfo("UTC"), span)
    assert got == [Interval(utc(2026, 6, 1, 20), utc(2026, 6, 1, 23))]


@given(st.lists(weekly_windows, max_size=4), zones, st.integers(0, 365 * 24))
def test_expansion_is_normal_and_within_span(
    windows: list[WeeklyWindow], zone: ZoneInfo, hours: int
) -> None:
    span = Interval(utc(2026, 1, 1) + timedelta(hours=hours), utc(2026, 1, 15))
    if span.end < span.start:
        span = Interval(span.end, span.start)
    got = window_intervals(windows, zone, span)
    assert all(span.contains(i) and i.start < i.end for i in got)
    assert all(x.end < y.start for x, y in itertools.pairwise(got))


@given(weekly_windows)
def test_weekly_total_matches_nominal_length_without_dst(window: WeeklyWindow) -> None:
    span = Interval(utc(2026, 6, 1), utc(2026, 6, 29))  # four whole weeks, Monday to Monday
    got = window_intervals([window], ZoneInfo("UTC"), span)
    assert sum((i.duration for i in got), timedelta()) == 4 * len(window.days) * window.length
