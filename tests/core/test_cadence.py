"""next_weekly: the next weekly moment on a person's clock, across zones and DST."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner.core.cadence import next_weekly

BERLIN = ZoneInfo("Europe/Berlin")
ZONES = [ZoneInfo(z) for z in ("Europe/Berlin", "Pacific/Apia", "Australia/Lord_Howe",
                                "America/New_York", "Asia/Kolkata", "UTC")]  # fmt: skip


def test_sunday_evening_in_berlin() -> None:
    wednesday = datetime(2026, 3, 4, 12, tzinfo=UTC)
    assert next_weekly(wednesday, BERLIN, 6, 18 * 60) == datetime(2026, 3, 8, 17, tzinfo=UTC)


def test_exactly_at_the_moment_gives_the_next_week() -> None:
    moment = datetime(2026, 3, 8, 17, tzinfo=UTC)
    assert next_weekly(moment, BERLIN, 6, 18 * 60) == moment + timedelta(weeks=1)


def test_skipped_wall_time_is_the_instant_it_would_have_been() -> None:
    # 2026-03-29 02:30 does not exist in Berlin; it is 03:30 CEST = 01:30 UTC.
    found = next_weekly(datetime(2026, 3, 27, tzinfo=UTC), BERLIN, 6, 150)
    assert found == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)


def test_naive_and_impossible_moments_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        next_weekly(datetime(2026, 3, 4), BERLIN, 6, 0)
    with pytest.raises(ValueError, match="no such weekly moment"):
        next_weekly(datetime(2026, 3, 4, tzinfo=UTC), BERLIN, 7, 0)


@given(
    after=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC)
    ),
    zone=st.sampled_from(ZONES),
    weekday=st.integers(0, 6),
    minute=st.integers(0, 24 * 60 - 1),
)
def test_next_weekly_is_after_within_a_week_and_on_the_right_weekday(
    after: datetime, zone: ZoneInfo, weekday: int, minute: int
) -> None:
    found = next_weekly(after, zone, weekday, minute)
    assert after < found <= after + timedelta(days=7, hours=2)
    assert found.astimezone(zone).weekday() == weekday
