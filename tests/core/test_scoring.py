"""Scoring behaviour, told as small stories about a couple, and the wording of reasons."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from planner.core.intervals import Interval
from planner.core.proposals import PartnerPlan, PlanSettings, Proposal, alternatives, propose
from planner.core.rituals import ritual
from planner.core.scoring import comfort, fit
from planner.core.windows import WeeklyWindow, local_instant, parse_windows

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
MONDAY = datetime(2026, 6, 7, 22, tzinfo=UTC)  # Monday 8 June 2026, 00:00 in Berlin
NOW = MONDAY - timedelta(days=1)
ALL_DAY = parse_windows("Mon-Sun 06:00-24:00")


def local(p: Proposal, zone: ZoneInfo = BERLIN) -> datetime:
    """The proposal's start on a local clock."""
    return p.slot.start.astimezone(zone)


def at(day: int, hour: int, minute: int = 0, zone: ZoneInfo = BERLIN) -> datetime:
    """Local wall-clock time ``day`` days after Monday 8 June 2026, as UTC."""
    return local_instant(
        (MONDAY + timedelta(days=1)).date() + timedelta(days=day), time(hour, minute), zone
    )


def busy(day: int, start: int, end: int, zone: ZoneInfo = BERLIN) -> Interval:
    """A busy block on a local day, whole hours."""
    return Interval(at(day, start, zone=zone), at(day, end, zone=zone))


def couple(
    busy_a: Sequence[Interval] = (),
    busy_b: Sequence[Interval] = (),
    windows: tuple[WeeklyWindow, ...] = ALL_DAY,
) -> tuple[PartnerPlan, PartnerPlan]:
    """Alex and Sam, both in Berlin."""
    return (
        PartnerPlan("Alex", BERLIN, windows, list(busy_a)),
        PartnerPlan("Sam", BERLIN, windows, list(busy_b)),
    )


def test_comfort_penalises_late_nights_and_early_mornings() -> None:
    settings = PlanSettings()
    assert comfort(19 * 60, 150, settings) == 1.0
    assert comfort(23 * 60, 60, settings) < comfort(22 * 60, 60, settings) < 1.0
    assert comfort(4 * 60, 90, settings) == 0.0


def test_fit_is_best_at_the_ideal_time() -> None:
    assert fit(19 * 60, time(19)) == 1.0
    assert fit(17 * 60, time(19)) == 0.5
    assert fit(12 * 60, None) == 1.0


def test_date_night_prefers_the_evening() -> None:
    a, b = couple()
    [date] = propose(a, b, [ritual("date-night")], now=NOW, start=MONDAY, weeks=1)
    assert 18 <= local(date).hour <= 20


def test_date_night_avoids_a_heavily_booked_day() -> None:
    workdays = [busy(d, 8, 17) for d in range(5) if d != 2]  # Wednesday is light
    evenings = parse_windows("Mon-Fri 17:00-23:30")
    a, b = couple(workdays, [], evenings)
    [date] = propose(a, b, [ritual("date-night")], now=NOW, start=MONDAY, weeks=1)
    assert local(date).weekday() == 2


def test_the_busier_partner_decides_how_heavy_a_day_is() -> None:
    a, b = couple([busy(0, 8, 18)], [busy(1, 8, 18)], parse_windows("Mon,Tue 17:00-23:30"))
    got = propose(a, b, [ritual("date-night")], now=NOW, start=MONDAY, weeks=1)
    assert [local(p).weekday() for p in got] == [0]  # equal days: the earlier one wins the tie


def test_prefers_more_room_after_a_commitment() -> None:
    evening = parse_windows("Tue 17:00-23:30")
    a, b = couple([busy(1, 15, 18)], [])
    a = PartnerPlan("Alex", BERLIN, evening, a.busy)
    b = PartnerPlan("Sam", BERLIN, evening, [])
    [check_in] = propose(a, b, [ritual("check-in")], now=NOW, start=MONDAY, weeks=1)
    assert local(check_in).time() >= time(19, 0)  # not squeezed in right after 18:15


def test_two_zones_pick_hours_comfortable_for_both() -> None:
    a = PartnerPlan("Alex", BERLIN, ALL_DAY, [])
    b = PartnerPlan("Sam", NEW_YORK, ALL_DAY, [])
    got = propose(a, b, [ritual("video-call")], now=NOW, start=MONDAY, weeks=2)
    assert len(got) == 4
    for p in got:
        for zone in (BERLIN, NEW_YORK):
            start, end = p.slot.start.astimezone(zone), p.slot.end.astimezone(zone)
            assert time(7) <= start.time() and end.time() <= time(22, 30), (p, zone)
        assert f"{local(p):%H:%M} in Berlin" in p.reason
        assert f"{local(p, NEW_YORK):%H:%M} in New York" in p.reason


def test_coffee_twice_a_week_is_spread_out() -> None:
    a, b = couple()
    got = propose(a, b, [ritual("coffee")], now=NOW, start=MONDAY, weeks=1)
    assert len(got) == 2
    assert got[1].slot.start - got[0].slot.start >= timedelta(days=2)


def test_rituals_keep_away_from_each_other() -> None:
    a, b = couple()
    got = propose(a, b, [ritual("date-night"), ritual("check-in")], now=NOW, start=MONDAY, weeks=1)
    assert len({local(p).date() for p in got}) == 2


def test_week_two_does_not_copy_week_one() -> None:
    a, b = couple()
    first, second = propose(a, b, [ritual("date-night")], now=NOW, start=MONDAY, weeks=2)
    assert (local(first).weekday(), local(first).time()) != (
        local(second).weekday(),
        local(second).time(),
    )


def test_no_proposal_inside_the_notice_period() -> None:
    a, b = couple()
    got = propose(a, b, [ritual("coffee")], now=MONDAY, start=MONDAY, weeks=1)
    assert all(p.slot.start >= MONDAY + PlanSettings().notice for p in got)


def test_reason_in_one_zone() -> None:
    windows = parse_windows("Fri 18:30-23:00")
    a = PartnerPlan("Alex", BERLIN, windows, [])
    b = PartnerPlan("Sam", BERLIN, windows, [busy(4, 16, 17)])
    [date] = propose(a, b, [ritual("date-night")], now=NOW, start=MONDAY, weeks=1)
    assert date.reason == (
        "You're both free Friday from 18:30 until 23:00; "
        "Sam's last commitment that day ends at 17:00."
    )


def test_reason_across_zones() -> None:
    a = PartnerPlan("Alex", BERLIN, ALL_DAY, [])
    b = PartnerPlan("Sam", NEW_YORK, ALL_DAY, [busy(4, 15, 16, NEW_YORK)])
    # the ritual's windows meet on both clocks only at Berlin 19:00 = New York 13:00
    only = parse_windows("Fri 13:00-14:00; Fri 19:00-20:00")
    call = dataclasses.replace(ritual("video-call"), windows=only, per_week=1)
    [p] = propose(a, b, [call], now=NOW, start=MONDAY, weeks=1)
    assert p.reason == (
        "Friday 19:00 in Berlin is 13:00 in New York; "
        "Sam's next commitment starts at 15:00 New York time."
    )


def test_reason_when_nothing_else_is_planned() -> None:
    a, b = couple(windows=parse_windows("Sat 00:00-24:00"))
    [date] = propose(a, b, [ritual("date-night")], now=NOW, start=MONDAY, weeks=1)
    assert date.reason == (
        "You're both free all day Saturday, so 19:00 leaves plenty of room; "
        "neither of you has anything else that day."
    )


def test_alternatives_offer_other_evenings() -> None:
    a, b = couple()
    plan = propose(a, b, [ritual("date-night"), ritual("coffee")], now=NOW, start=MONDAY, weeks=1)
    [taken] = [p for p in plan if p.ritual == "date-night"]
    keep = [p for p in plan if p is not taken]
    options = alternatives(
        a, b, ritual("date-night"), week=0, now=NOW, start=MONDAY, exclude=[taken.slot], keep=keep
    )
    assert len(options) == 3
    assert all(not o.slot.overlaps(taken.slot) for o in options)
    assert all(17 <= local(o).hour <= 21 for o in options)
    assert len({local(o).date() for o in options}) == 3
    assert options[0].score >= max(o.score for o in options[1:])


def test_settings_are_validated() -> None:
    with pytest.raises(ValueError, match="step must be positive"):
        PlanSettings(step=timedelta(0))
    with pytest.raises(ValueError, match="buffer must not be negative"):
        PlanSettings(buffer=timedelta(minutes=-1))


def test_weeks_must_not_be_negative() -> None:
    a, b = couple()
    with pytest.raises(ValueError, match="weeks must not be negative"):
        propose(a, b, [ritual("coffee")], now=NOW, start=MONDAY, weeks=-1)
    assert propose(a, b, [ritual("coffee")], now=NOW, start=MONDAY, weeks=0) == []
