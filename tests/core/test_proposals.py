"""Proposals: invariants as properties over random couples in hostile zones, plus alternatives."""

from __future__ import annotations

import collections
import itertools
import random
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from planner.core.availability import free_time
from planner.core.intervals import Interval, intersect, widen
from planner.core.model import WEEK
from planner.core.proposals import PartnerPlan, PlanSettings, Proposal, alternatives, propose
from planner.core.rituals import CATALOGUE, Ritual, with_overrides
from planner.core.windows import parse_windows, window_intervals
from tests.core.strategies import busy_sets, weekly_windows, zones

BROAD = parse_windows("Mon-Fri 06:30-09:30; Mon-Fri 17:00-24:00; Sat,Sun 08:00-24:00")
ORIGIN = datetime(2026, 1, 5, tzinfo=UTC)


@st.composite
def partners(draw: st.DrawFn, name: str, start: datetime, days: int) -> PartnerPlan:
    """A partner in a hostile zone with broad or random windows and a random calendar."""
    windows = draw(st.one_of(st.just(BROAD), st.lists(weekly_windows, min_size=1, max_size=3)))
    busy = draw(busy_sets(start, days))
    return PartnerPlan(name, draw(zones), tuple(windows), busy)


@st.composite
def rituals(draw: st.DrawFn) -> list[Ritual]:
    """One to three catalogue rituals, some with a different cadence."""
    chosen = draw(st.lists(st.sampled_from(sorted(CATALOGUE)), min_size=1, max_size=3, unique=True))
    return [
        with_overrides(CATALOGUE[k], per_week=draw(st.sampled_from([None, 0, 1, 3])))
        for k in chosen
    ]


@st.composite
def plans(draw: st.DrawFn) -> dict[str, object]:
    """Keyword arguments for ``propose``: a couple, rituals, times, settings."""
    start = ORIGIN + timedelta(
        days=draw(st.integers(0, 360)), minutes=15 * draw(st.integers(0, 95))
    )
    weeks = draw(st.integers(1, 2))
    settings = PlanSettings(
        buffer=timedelta(minutes=draw(st.sampled_from([0, 15, 30]))),
        notice=timedelta(hours=draw(st.sampled_from([0, 12]))),
        step=timedelta(minutes=draw(st.sampled_from([15, 30, 60]))),
    )
    return {
        "a": draw(partners("Alex", start, 7 * weeks)),
        "b": draw(partners("Sam", start, 7 * weeks)),
        "rituals": draw(rituals()),
        "now": start + timedelta(hours=draw(st.integers(-48, 72))),
        "start": start,
        "weeks": weeks,
        "settings": settings,
    }


def free_of(p: PartnerPlan, horizon: Interval, now: datetime, s: PlanSettings) -> list[Interval]:
    """A partner's free time over the horizon, computed independently of the planner."""
    windows = window_intervals(p.windows, p.zone, horizon)
    return free_time(windows, p.busy, now=now, notice=s.notice, buffer=s.buffer)


def inside(slot: Interval, items: list[Interval]) -> bool:
    """True when one interval of a normal-form list contains ``slot``."""
    return any(i.contains(slot) for i in items)


def check_placement(proposals: list[Proposal], kw: dict[str, object]) -> None:
    """Every proposal lies in mutual free time, both partners' and the ritual's windows."""
    a, b, s = kw["a"], kw["b"], kw["settings"]
    assert isinstance(a, PartnerPlan) and isinstance(b, PartnerPlan)
    assert isinstance(s, PlanSettings)
    start, now = kw["start"], kw["now"]
    assert isinstance(start, datetime) and isinstance(now, datetime)
    horizon = Interval(start, start + int(str(kw.get("weeks", 1))) * WEEK)
    mutual = intersect(free_of(a, horizon, now, s), free_of(b, horizon, now, s))
    by_key = {r.key: r for r in CATALOGUE.values()}
    for p in proposals:
        assert inside(p.slot, mutual)
        assert p.slot.start >= now + s.notice
        for partner in (a, b):
            ritual_windows = window_intervals(by_key[p.ritual].windows, partner.zone, horizon)
            assert inside(p.slot, ritual_windows)
            assert inside(p.slot, window_intervals(partner.windows, partner.zone, horizon))
            assert intersect([p.slot], widen(partner.busy, s.buffer, s.buffer)) == []


@given(plans())
def test_proposals_lie_in_free_time_and_all_windows(kw: dict[str, object]) -> None:
    check_placement(propose(**kw), kw)  # type: ignore[arg-type]


@given(plans())
def test_proposals_do_not_overlap_and_respect_cadence(kw: dict[str, object]) -> None:
    got = propose(**kw)  # type: ignore[arg-type]
    settings = kw["settings"]
    assert isinstance(settings, PlanSettings)
    assert got == sorted(got, key=lambda p: p.slot.start)
    for x, y in itertools.combinations(got, 2):
        assert not widen([x.slot], settings.buffer, settings.buffer)[0].overlaps(y.slot)
    cadence = {r.key: r.per_week for r in kw["rituals"]}  # type: ignore[attr-defined]
    for (key, _week), group in itertools.groupby(
        sorted(got, key=lambda p: (p.ritual, p.week)), key=lambda p: (p.ritual, p.week)
    ):
        assert len(list(group)) <= cadence[key]


@given(plans())
def test_no_ritual_twice_a_day_and_no_day_overfull(kw: dict[str, object]) -> None:
    got = propose(**kw)  # type: ignore[arg-type]
    a, settings = kw["a"], kw["settings"]
    assert isinstance(a, PartnerPlan) and isinstance(settings, PlanSettings)
    days = [(p.slot.start.astimezone(a.zone).date(), p.ritual) for p in got]
    assert len(days) == len(set(days)), "a ritual got two slots on one local day"
    per_day = collections.Counter(day for day, _ in days)
    assert max(per_day.values(), default=0) <= settings.max_per_day


@given(plans())
def test_proposals_are_deterministic_and_well_formed(kw: dict[str, object]) -> None:
    got = propose(**kw)  # type: ignore[arg-type]
    assert propose(**kw) == got  # type: ignore[arg-type]
    durations = {r.key: r.duration for r in kw["rituals"]}  # type: ignore[attr-defined]
    start = kw["start"]
    assert isinstance(start, datetime)
    for p in got:
        assert 0.0 <= p.score <= 1.0
        assert p.week == (p.slot.start - start) // WEEK
        assert p.slot.duration == durations[p.ritual]


@given(plans())
def test_reasons_name_local_times_and_nothing_else(kw: dict[str, object]) -> None:
    a, b = kw["a"], kw["b"]
    assert isinstance(a, PartnerPlan) and isinstance(b, PartnerPlan)
    for p in propose(**kw):  # type: ignore[arg-type]
        assert re.search(r"\b\d\d:\d\d\b", p.reason)
        assert p.reason.endswith(".")
        assert "Interval" not in p.reason and "datetime" not in p.reason
        if a.zone.key != b.zone.key:
            for zone in (a.zone, b.zone):
                assert p.slot.start.astimezone(zone).strftime("%H:%M") in p.reason


@given(plans(), st.data())
def test_alternatives_avoid_the_excluded_and_the_kept(
    kw: dict[str, object], data: st.DataObject
) -> None:
    got = propose(**kw)  # type: ignore[arg-type]
    if not got:
        return
    taken = data.draw(st.sampled_from(got))
    keep = [p for p in got if p is not taken]
    ritual = next(r for r in kw["rituals"] if r.key == taken.ritual)  # type: ignore[attr-defined]
    options = alternatives(
        kw["a"],  # type: ignore[arg-type]
        kw["b"],  # type: ignore[arg-type]
        ritual,
        week=taken.week,
        now=kw["now"],  # type: ignore[arg-type]
        start=kw["start"],  # type: ignore[arg-type]
        exclude=[taken.slot],
        keep=keep,
        settings=kw["settings"],  # type: ignore[arg-type]
    )
    assert len(options) <= 3
    check_placement(options, kw)
    for option in options:
        assert option.week == taken.week and option.ritual == taken.ritual
        assert not option.slot.overlaps(taken.slot)
        assert not any(option.slot.overlaps(k.slot) for k in keep)
    assert len({o.slot for o in options}) == len(options)


def year_of_busy(seed: int, count: int) -> list[Interval]:
    """``count`` random busy blocks in the UTC working days of 2026, unsorted."""
    rnd = random.Random(seed)
    base = datetime(2026, 1, 1, 7, tzinfo=UTC)
    out = []
    for _ in range(count):
        begin = base + timedelta(days=rnd.randrange(365), minutes=15 * rnd.randrange(36))
        out.append(Interval(begin, begin + timedelta(minutes=15 * rnd.randint(1, 4))))
    return out


def test_planning_a_month_against_a_year_of_busy_blocks() -> None:
    """A year of dense busy time on both sides (speed is measured by ``make bench``)."""
    a = PartnerPlan("Alex", ZoneInfo("Europe/Berlin"), BROAD, year_of_busy(1, 20_000))
    b = PartnerPlan("Sam", ZoneInfo("America/New_York"), BROAD, year_of_busy(2, 20_000))
    start = datetime(2026, 3, 2, tzinfo=UTC)
    got = propose(a, b, list(CATALOGUE.values()), now=start, start=start, weeks=4)
    assert got
    busy = widen([*a.busy, *b.busy], PlanSettings().buffer, PlanSettings().buffer)
    assert not any(intersect([p.slot], busy) for p in got)
