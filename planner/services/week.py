"""The week view: a partner's week with busy time, mutual free time, proposals and connections.

Read-only. The viewer's own blocks carry their titles (only ever shown to the viewer); the
partner's busy time is merged intervals without titles.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from planner.core.availability import free_time
from planner.core.intervals import Interval, intersect, subtract
from planner.core.rituals import CATALOGUE
from planner.core.windows import window_intervals
from planner.services.errors import NotFound
from planner.services.schedule import (
    acceptances,
    live_connections,
    open_proposals,
    partner_plan,
    partners,
    slot_of,
    zone_of,
)
from planner.store.busy import busy_of_user
from planner.store.models import BusyBlock, Connection, Proposal, Source, User

ZERO = timedelta(0)


@dataclass(frozen=True)
class Bar:
    """A stretch of one day: local times for the viewer (and the partner), and where to draw
    it as a share of the day (``top`` and ``height`` in percent)."""

    start: datetime
    end: datetime
    label: str
    top: float
    height: float


@dataclass(frozen=True)
class Item:
    """A proposal or connection as the week page shows it."""

    id: int
    kind: str  # "proposal" or "connection"
    ritual: str
    name: str
    start: datetime  # viewer's zone
    end: datetime
    partner_start: datetime | None  # partner's zone, when the zones differ
    partner_end: datetime | None
    state: str
    reason: str = ""
    accepted_by_me: bool = False
    accepted_by_partner: bool = False
    replaces: int | None = None


@dataclass(frozen=True)
class Day:
    """One local day of the viewer's week."""

    date: date
    own: list[Bar]
    partner: list[Bar]
    free: list[Bar]
    items: list[Item]
    marks: list[Bar]  # items on the timeline; ``label``: proposal, connection, conflicted


@dataclass(frozen=True)
class WeekView:
    """Everything the week page shows; the partner's busy time carries no titles."""

    start: date
    viewer: str
    viewer_zone: str
    partner: str | None
    partner_zone: str | None
    days: list[Day]
    conflicted: list[tuple[Item, Item | None]]  # a conflicted connection and its alternative

    @property
    def previous(self) -> date:
        """The Monday before."""
        return self.start - timedelta(days=7)

    @property
    def next(self) -> date:
        """The Monday after."""
        return self.start + timedelta(days=7)


def week_view(session: Session, user_id: int, week_start: date, *, now: datetime) -> WeekView:
    """The viewer's week (Monday to Sunday on their clock) holding ``week_start``."""
    me = session.get(User, user_id)
    if me is None:
        raise NotFound("There is no such partner.")
    zone = zone_of(me)
    monday = week_start - timedelta(days=week_start.weekday())
    bounds = [_local_day(monday + timedelta(days=i), zone) for i in range(7)]
    week = Interval(bounds[0].start, bounds[-1].end)
    people = partners(session, me.couple_id) if me.couple_id else [me]
    other = next((p for p in people if p.id != me.id), None)
    items, conflicted = items_in(session, me, other, week)
    own = _own_blocks(session, me.id, week)
    theirs = [(b, "busy") for b in busy_of_user(session, other.id, week)] if other else []
    free = [(f, "free") for f in _mutual_free(session, me, other, week, now)]
    marks = [(Interval(i.start, i.end), _mark(i)) for i in items]
    days = [
        Day(
            (span.start.astimezone(zone)).date(),
            _bars(own, span, zone),
            _bars(theirs, span, zone),
            _bars(free, span, zone),
            [i for i in items if span.start <= i.start < span.end],
            _bars(marks, span, zone),
        )
        for span in bounds
    ]
    partner_name, partner_zone = (other.display_name, other.zone) if other else (None, None)
    return WeekView(monday, me.display_name, me.zone, partner_name, partner_zone, days, conflicted)


def _mark(item: Item) -> str:
    """How an item is drawn on the timeline: proposal, connection or conflicted."""
    return "conflicted" if item.state == "conflicted" else item.kind


def _local_day(day: date, zone: ZoneInfo) -> Interval:
    """The day from local midnight to local midnight (23 or 25 hours on DST days)."""
    start = datetime(day.year, day.month, day.day, tzinfo=zone)
    after = day + timedelta(days=1)
    return Interval(start, datetime(after.year, after.month, after.day, tzinfo=zone))


def _own_blocks(session: Session, user_id: int, week: Interval) -> list[tuple[Interval, str]]:
    """The viewer's own busy blocks in the week, with their titles (only ever shown to them)."""
    rows = session.execute(
        select(BusyBlock.start, BusyBlock.end, BusyBlock.title, Source.name)
        .join(Source, Source.id == BusyBlock.source_id)
        .where(Source.user_id == user_id, Source.counts_as_busy.is_(True))
        .where(BusyBlock.start < week.end, BusyBlock.end > week.start)
        .order_by(BusyBlock.start, BusyBlock.id)
    )
    return [(Interval(s, e), title or name) for s, e, title, name in rows]


def _mutual_free(
    session: Session, me: User, other: User | None, week: Interval, now: datetime
) -> list[Interval]:
    """When both partners are inside their windows and free, from now on, minus connections."""
    if other is None or me.couple_id is None:
        return []
    frees = []
    for person in (me, other):
        plan_ = partner_plan(session, person, week)
        windows = window_intervals(plan_.windows, plan_.zone, week)
        frees.append(free_time(windows, plan_.busy, now=now, notice=ZERO, buffer=ZERO))
    booked = [slot_of(c) for c in live_connections(session, me.couple_id, week)]
    return subtract(intersect(frees[0], frees[1]), booked)


def _bars(blocks: Sequence[tuple[Interval, str]], day: Interval, zone: ZoneInfo) -> list[Bar]:
    """The parts of ``blocks`` inside ``day`` as bars on the viewer's clock."""
    length = (day.end - day.start).total_seconds()
    out = []
    for block, label in blocks:
        start, end = max(block.start, day.start), min(block.end, day.end)
        if start < end:
            top = (start - day.start).total_seconds() / length * 100
            height = (end - start).total_seconds() / length * 100
            out.append(Bar(start.astimezone(zone), end.astimezone(zone), label, top, height))
    return out


def items_in(
    session: Session, me: User, other: User | None, week: Interval
) -> tuple[list[Item], list[tuple[Item, Item | None]]]:
    """The proposals and connections overlapping ``week`` (any window), earliest first, and the
    conflicted connections with their alternatives."""
    if me.couple_id is None:
        return [], []
    conns = live_connections(session, me.couple_id, week)
    props = [
        p
        for p in open_proposals(session, me.couple_id, week)
        if p.replaces_connection_id or not any(p.start < c.end and c.start < p.end for c in conns)
    ]
    said_yes = acceptances(session, [p.id for p in props])
    shown = [_proposal_item(p, me, other, said_yes.get(p.id, set())) for p in props]
    shown += [_item(c, "connection", me, other, c.status) for c in conns]
    by_replaced = {i.replaces: i for i in shown if i.replaces is not None}
    conflicted = [(i, by_replaced.get(i.id)) for i in shown if i.state == "conflicted"]
    return sorted(shown, key=lambda i: (i.start, i.kind, i.id)), conflicted


def _proposal_item(prop: Proposal, me: User, other: User | None, yes: set[int]) -> Item:
    """A proposal for the page, with who has accepted it."""
    base = _item(prop, "proposal", me, other, prop.state)
    partner_yes = other is not None and other.id in yes
    return replace(
        base,
        reason=prop.reason,
        accepted_by_me=me.id in yes,
        accepted_by_partner=partner_yes,
        replaces=prop.replaces_connection_id,
    )


def _item(row: Proposal | Connection, kind: str, me: User, other: User | None, state: str) -> Item:
    """A row on both clocks (the partner's only when it differs from the viewer's)."""
    mine, theirs = zone_of(me), zone_of(other) if other else None
    ritual = CATALOGUE.get(row.ritual)
    differs = theirs is not None and not _same_clock(mine, theirs, row.start)
    return Item(
        id=row.id,
        kind=kind,
        ritual=row.ritual,
        name=ritual.name if ritual else row.ritual,
        start=row.start.astimezone(mine),
        end=row.end.astimezone(mine),
        partner_start=row.start.astimezone(theirs) if differs and theirs else None,
        partner_end=row.end.astimezone(theirs) if differs and theirs else None,
        state=state,
    )


def _same_clock(a: ZoneInfo, b: ZoneInfo, at: datetime) -> bool:
    """True when the two zones show the same wall-clock time at ``at``."""
    return at.astimezone(a).utcoffset() == at.astimezone(b).utcoffset()
