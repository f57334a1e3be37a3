"""Choosing connection time: candidate slots, greedy selection, alternatives.

Week ``k`` of a plan is ``[start + 7k days, start + 7(k+1) days)``. For every
week, and every ritual (longest first), the planner picks ``per_week`` slots
one at a time. Candidates are slot starts on a ``settings.step`` grid (on the
first partner's local clock) inside the intersection of

- both partners' free time (their windows minus busy blocks widened by the
  buffer, nothing before ``now + notice``), and
- the ritual's preferred windows on each partner's own clock.

Each pick is the candidate with the highest score (see :mod:`planner.core.scoring`)
that keeps at least ``settings.buffer`` away from every slot already picked;
ties go to the earliest start. There is no randomness: equal input gives equal
output. Busy blocks are cut down to the horizon by one linear pass before any
sorting, so a year of calendar costs little more than the weeks planned.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from planner.core.availability import free_time
from planner.core.intervals import (
    Interval,
    NaiveDatetimeError,
    intersect,
    interval,
    overlapping,
)
from planner.core.model import WEEK, PartnerPlan, PlanSettings, Proposal
from planner.core.reasons import explain
from planner.core.rituals import Ritual
from planner.core.scoring import (
    PartnerView,
    Placed,
    dynamic_score,
    minute_of_week,
    seconds,
    static_score,
)
from planner.core.windows import window_intervals

__all__ = ["DEFAULT_SETTINGS", "PartnerPlan", "PlanSettings", "Proposal", "alternatives", "propose"]

DEFAULT_SETTINGS = PlanSettings()
_EPOCH = datetime(2000, 1, 3, tzinfo=UTC)  # a Monday midnight: the origin of the slot grid


@dataclass(frozen=True)
class _Candidate:
    """A possible slot with its static score."""

    slot: Interval
    week: int
    base: float
    local_minute: int
    day: date  # local date on the first partner's clock
    bounds: tuple[float, float]  # the slot in POSIX seconds


@dataclass(frozen=True)
class _Context:
    """Everything one planning run shares: the partners' views, mutual free time, the weeks."""

    a: PartnerView
    b: PartnerView
    mutual: list[Interval]
    origin: datetime
    horizon: Interval
    settings: PlanSettings


def _context(
    a: PartnerPlan,
    b: PartnerPlan,
    *,
    now: datetime,
    origin: datetime,
    horizon: Interval,
    settings: PlanSettings,
) -> _Context:
    """Cut both calendars to ``horizon`` and compute the couple's mutual free time."""
    views = PartnerView.of(a, horizon), PartnerView.of(b, horizon)
    free = [
        free_time(
            window_intervals(plan.windows, plan.zone, horizon),
            view.busy,
            now=now,
            notice=settings.notice,
            buffer=settings.buffer,
        )
        for plan, view in zip((a, b), views, strict=True)
    ]
    mutual = intersect(free[0], free[1])
    return _Context(views[0], views[1], mutual, origin, horizon, settings)


def _weeks(start: datetime, now: datetime, first: int, count: int) -> Interval:
    """The checked horizon of ``count`` weeks from week ``first`` after ``start``.

    Raises :class:`NaiveDatetimeError` for a naive ``start`` or ``now``.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise NaiveDatetimeError(now)
    if first < 0 or count < 0:
        raise ValueError(f"weeks must not be negative, got week {first} and count {count}")
    return interval(start + first * WEEK, start + (first + count) * WEEK)


def _grid(
    region: Interval, length: timedelta, step: timedelta, view: PartnerView
) -> Iterator[datetime]:
    """Slot starts inside ``region`` on the ``step`` grid of the partner's local clock."""
    offset = region.start.astimezone(view.zone).utcoffset() or timedelta(0)
    steps = -((_EPOCH - (region.start + offset)) // step)  # ceiling division
    moment = _EPOCH + steps * step - offset
    while moment + length <= region.end:
        yield moment
        moment += step


def _candidates(ctx: _Context, ritual: Ritual) -> dict[int, list[_Candidate]]:
    """The ritual's candidates by week, each list in order of start."""
    regions = intersect(
        intersect(ctx.mutual, window_intervals(ritual.windows, ctx.a.zone, ctx.horizon)),
        window_intervals(ritual.windows, ctx.b.zone, ctx.horizon),
    )
    out: dict[int, list[_Candidate]] = defaultdict(list)
    for region in regions:
        for moment in _grid(region, ritual.duration, ctx.settings.step, ctx.a):
            slot = Interval(moment, moment + ritual.duration)
            week = (moment - ctx.origin) // WEEK
            base = static_score(slot, ritual, ctx.a, ctx.b, ctx.settings)
            local = moment.astimezone(ctx.a.zone)
            out[week].append(
                _Candidate(slot, week, base, minute_of_week(local), local.date(), seconds(slot))
            )
    return out


def _clashes(bounds: tuple[float, float], placed: Sequence[Placed], gap: float) -> bool:
    """True when a slot (POSIX seconds) comes within ``gap`` seconds of any placed slot."""
    start, end = bounds
    return any(p.bounds[0] < end + gap and start < p.bounds[1] + gap for p in placed)


def _full_days(ritual: Ritual, placed: Sequence[Placed], settings: PlanSettings) -> set[date]:
    """Local days that take no more of ``ritual``: it is there already, or the day is full."""
    per_day: dict[date, int] = defaultdict(int)
    for p in placed:
        per_day[p.day] += 1
    full = {day for day, count in per_day.items() if count >= settings.max_per_day}
    return full | {p.day for p in placed if p.ritual == ritual.key}


def _pick(
    pool: Sequence[_Candidate], ritual: Ritual, placed: Sequence[Placed], settings: PlanSettings
) -> tuple[_Candidate, float] | None:
    """The best candidate not clashing with ``placed``; the earliest among equals.

    ``pool`` holds one week's candidates; only slots placed within a week of it matter.
    """
    if not pool:
        return None
    near = [p for p in placed if abs(p.week - pool[0].week) <= 1]
    seconds_apart = settings.buffer.total_seconds()
    full = _full_days(ritual, near, settings)
    best: tuple[_Candidate, float] | None = None
    for cand in pool:
        if cand.day in full or _clashes(cand.bounds, near, seconds_apart):
            continue
        score = cand.base + dynamic_score(cand.bounds, cand.local_minute, ritual, cand.week, near)
        if best is None or score > best[1]:
            best = (cand, score)
    return best


def _proposal(ctx: _Context, ritual: Ritual, cand: _Candidate, score: float) -> Proposal:
    """The public proposal for a picked candidate, with its reason."""
    free = next(overlapping(ctx.mutual, cand.slot))  # the mutual free interval holding the slot
    reason = explain(cand.slot, free, ctx.a, ctx.b)
    return Proposal(ritual.key, cand.slot, round(min(1.0, max(0.0, score)), 4), reason, cand.week)


def _fill(
    ctx: _Context, ritual: Ritual, pool: Sequence[_Candidate], placed: list[Placed], count: int
) -> list[Proposal]:
    """Pick up to ``count`` slots for ``ritual`` from ``pool``, recording them in ``placed``."""
    out: list[Proposal] = []
    for _ in range(count):
        pick = _pick(pool, ritual, placed, ctx.settings)
        if pick is None:
            break
        cand, score = pick
        placed.append(Placed(ritual.key, cand.slot, cand.week, cand.local_minute, cand.day))
        out.append(_proposal(ctx, ritual, cand, score))
    return out


def propose(
    a: PartnerPlan,
    b: PartnerPlan,
    rituals: Sequence[Ritual],
    *,
    now: datetime,
    start: datetime,
    weeks: int,
    settings: PlanSettings = DEFAULT_SETTINGS,
) -> list[Proposal]:
    """Proposals for ``weeks`` weeks from ``start``: up to ``per_week`` per ritual and week.

    Sorted by slot start (then ritual key). Weeks without enough mutual free time
    simply get fewer proposals.
    """
    horizon = _weeks(start, now, 0, weeks)
    ctx = _context(a, b, now=now, origin=horizon.start, horizon=horizon, settings=settings)
    unique: dict[str, Ritual] = {}
    for r in rituals:
        unique.setdefault(r.key, r)  # a ritual named twice is planned once
    ordered = sorted(unique.values(), key=lambda r: r.duration, reverse=True)
    pools = [_candidates(ctx, r) for r in ordered]
    placed: list[Placed] = []
    out: list[Proposal] = []
    for week in range(weeks):
        for r, pool in zip(ordered, pools, strict=True):
            out.extend(_fill(ctx, r, pool.get(week, []), placed, r.per_week))
    return sorted(out, key=lambda p: (p.slot.start, p.ritual))


def alternatives(
    a: PartnerPlan,
    b: PartnerPlan,
    ritual: Ritual,
    *,
    week: int,
    now: datetime,
    start: datetime,
    exclude: Sequence[Interval],
    keep: Sequence[Proposal] = (),
    settings: PlanSettings = DEFAULT_SETTINGS,
    limit: int = 3,
) -> list[Proposal]:
    """The next best slots for ``ritual`` in ``week``, best first.

    They overlap nothing in ``exclude`` (e.g. the slot that was taken away), keep
    the buffer from every kept proposal and from each other, and are scored as
    if ``keep`` were already planned.
    """
    horizon = _weeks(start, now, week, 1)
    origin = horizon.start - week * WEEK
    ctx = _context(a, b, now=now, origin=origin, horizon=horizon, settings=settings)
    pool = [
        c
        for c in _candidates(ctx, ritual).get(week, [])
        if not any(c.slot.overlaps(x) for x in exclude)
    ]
    placed = [_placed(ctx, p) for p in keep]
    return _fill(ctx, ritual, pool, placed, max(0, limit))


def _placed(ctx: _Context, proposal: Proposal) -> Placed:
    """A kept proposal as the dynamic scorer sees it."""
    local = proposal.slot.start.astimezone(ctx.a.zone)
    return Placed(
        proposal.ritual, proposal.slot, proposal.week, minute_of_week(local), local.date()
    )
