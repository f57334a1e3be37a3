"""Planning a couple's connection time: plan, decline, protect (accepting is in ``invites``).

Every use case takes a Session, plain values and ``now``, commits its own unit of work and
raises :mod:`planner.services.errors`. Slots come from :mod:`planner.core.proposals`; busy
time from :func:`planner.store.busy.busy_of_user` (a stale source still counts with its last
snapshot); live connections count as busy for both partners.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from planner.core.availability import free_time
from planner.core.intervals import Interval, intersect, merge, subtract
from planner.core.model import WEEK
from planner.core.proposals import PartnerPlan, alternatives, propose
from planner.core.proposals import Proposal as Slot
from planner.core.rituals import CATALOGUE, Ritual, with_overrides
from planner.core.windows import WindowSpecError, parse_windows, window_intervals
from planner.services.couples import effective_rituals
from planner.services.errors import Conflict, Invalid, NotFound
from planner.services.feed import refresh_feed
from planner.store.busy import busy_of_user
from planner.store.models import (
    BusyBlock,
    Connection,
    Couple,
    Proposal,
    ProposalAcceptance,
    Source,
    User,
)

OPEN = ("proposed", "accepted")
LIVE = ("confirmed", "conflicted")
MAX_WEEKS = 12
ZERO = timedelta(0)


@dataclass(frozen=True)
class ProtectionReport:
    """What :func:`protect` found for one upcoming connection."""

    connection_id: int
    ritual: str
    slot: Interval
    status: str  # "confirmed" or "conflicted" after the check
    changed: bool  # the status changed in this run
    alternative_id: int | None  # the open alternative proposal, when conflicted


# --- the couple as the planner sees it ------------------------------------------------------


def partners(session: Session, couple_id: int) -> list[User]:
    """The couple's partners, oldest account first."""
    query = select(User).where(User.couple_id == couple_id).order_by(User.id)
    return list(session.scalars(query))


def pair(session: Session, couple_id: int) -> tuple[User, User]:
    """Both partners, or :class:`Conflict` when the couple is not complete."""
    found = partners(session, couple_id)
    if len(found) != 2:
        raise Conflict("Invite your partner first: planning needs both of you.")
    return found[0], found[1]


def member(session: Session, user_id: int, couple_id: int, what: str) -> User:
    """The user when they belong to the couple; otherwise :class:`NotFound` for ``what``."""
    user = session.get(User, user_id)
    if user is None or user.couple_id is None or user.couple_id != couple_id:
        raise NotFound(f"There is no such {what}.")
    return user


def lock_couple(session: Session, couple_id: int) -> None:
    """Serialise changes to one couple's plan (row lock on PostgreSQL, no-op on SQLite)."""
    session.scalar(select(Couple.id).where(Couple.id == couple_id).with_for_update())


def zone_of(user: User) -> ZoneInfo:
    """The partner's zone as a ZoneInfo."""
    return ZoneInfo(user.zone)


def partner_plan(
    session: Session, user: User, horizon: Interval, extra: Iterable[Interval] = ()
) -> PartnerPlan:
    """The partner's zone, windows and busy time (plus ``extra``) over ``horizon``."""
    try:
        windows = parse_windows(user.windows)
    except WindowSpecError as error:
        raise Invalid(f"{user.display_name}'s meeting windows: {error}", field="windows") from None
    busy = merge([*busy_of_user(session, user.id, horizon), *extra])
    return PartnerPlan(user.display_name, zone_of(user), windows, busy)


def live_connections(
    session: Session, couple_id: int, window: Interval, *, skip: int | None = None
) -> list[Connection]:
    """The couple's live connections overlapping ``window`` (except ``skip``), earliest first."""
    query = select(Connection).where(
        Connection.couple_id == couple_id,
        Connection.status.in_(LIVE),
        Connection.start < window.end,
        Connection.end > window.start,
    )
    rows = session.scalars(query.order_by(Connection.start, Connection.id))
    return [c for c in rows if c.id != skip]


def open_proposals(session: Session, couple_id: int, window: Interval) -> list[Proposal]:
    """The couple's open proposals overlapping ``window``, earliest first."""
    query = select(Proposal).where(
        Proposal.couple_id == couple_id,
        Proposal.state.in_(OPEN),
        Proposal.start < window.end,
        Proposal.end > window.start,
    )
    return list(session.scalars(query.order_by(Proposal.start, Proposal.id)))


def week_origin(moment: datetime, zone: ZoneInfo) -> datetime:
    """Monday 00:00 on ``zone``'s clock of the week holding ``moment``."""
    local = moment.astimezone(zone)
    monday = local.date() - timedelta(days=local.weekday())
    return datetime(monday.year, monday.month, monday.day, tzinfo=zone)


def slot_of(row: Proposal | Connection) -> Interval:
    """The row's time as an interval."""
    return Interval(row.start, row.end)


def as_slot(row: Proposal | Connection, origin: datetime) -> Slot:
    """A stored proposal or connection as the core's proposal (for ``keep``)."""
    return Slot(row.ritual, slot_of(row), 0.0, "", (row.start - origin) // WEEK)


# --- rituals --------------------------------------------------------------------------------


def ritual_for(
    session: Session, couple_id: int, key: str, length: timedelta, now: datetime
) -> Ritual:
    """The couple's version of ritual ``key`` with the given length."""
    found = {r.key: r for r in effective_rituals(session, couple_id, now)}
    base = found.get(key) or CATALOGUE.get(key) or CATALOGUE["date-night"]
    return with_overrides(base, duration=length)


# --- plan -----------------------------------------------------------------------------------


def plan(session: Session, couple_id: int, *, now: datetime, weeks: int) -> list[Proposal]:
    """Fresh proposals for ``weeks`` weeks from this week (Monday on the first partner's clock).

    Replaces the couple's untouched open proposals; keeps those a partner accepted and the
    alternatives offered for conflicted connections. Deterministic. Commits.
    """
    if not 1 <= weeks <= MAX_WEEKS:
        raise Invalid(f"Plan 1 to {MAX_WEEKS} weeks at a time.", field="weeks")
    a_user, b_user = pair(session, couple_id)
    origin = week_origin(now, zone_of(a_user))
    horizon = Interval(origin, origin + weeks * WEEK)
    _drop_untouched(session, couple_id, now)
    kept: list[Proposal | Connection] = [*live_connections(session, couple_id, horizon)]
    kept += open_proposals(session, couple_id, horizon)
    blocked = [slot_of(k) for k in kept]
    a, b = (partner_plan(session, u, horizon, blocked) for u in (a_user, b_user))
    rituals = effective_rituals(session, couple_id, now)
    found = propose(a, b, rituals, now=now, start=origin, weeks=weeks)
    rows = [_row(couple_id, s, origin, now) for s in _room_left(found, rituals, kept, origin)]
    session.add_all(rows)
    session.commit()
    return rows


def _drop_untouched(session: Session, couple_id: int, now: datetime) -> None:
    """Delete open proposals nobody accepted (not alternatives); expire the past ones."""
    accepted = select(ProposalAcceptance.proposal_id)
    untouched = (
        Proposal.couple_id == couple_id,
        Proposal.state == "proposed",
        Proposal.replaces_connection_id.is_(None),
        Proposal.id.not_in(accepted),
    )
    session.execute(delete(Proposal).where(*untouched, Proposal.start >= now))
    for row in session.scalars(select(Proposal).where(*untouched)):
        row.state = "expired"
    session.flush()


def _room_left(
    found: Sequence[Slot],
    rituals: Sequence[Ritual],
    kept: Sequence[Proposal | Connection],
    origin: datetime,
) -> list[Slot]:
    """The best of ``found`` per ritual and week, up to what ``kept`` leaves of ``per_week``."""
    room = {(r.key, w): r.per_week for r in rituals for w in range(MAX_WEEKS)}
    for k in kept:
        if isinstance(k, Connection) or k.replaces_connection_id is None:
            key = (k.ritual, (k.start - origin) // WEEK)
            room[key] = room.get(key, 0) - 1
    chosen: list[Slot] = []
    for slot in sorted(found, key=lambda s: (-s.score, s.slot.start, s.ritual)):
        if room.get((slot.ritual, slot.week), 0) > 0:
            room[(slot.ritual, slot.week)] -= 1
            chosen.append(slot)
    return sorted(chosen, key=lambda s: (s.slot.start, s.ritual))


def _row(
    couple_id: int, slot: Slot, origin: datetime, now: datetime, replaces: int | None = None
) -> Proposal:
    """A new proposal row for a core slot found from ``origin``."""
    return Proposal(
        couple_id=couple_id,
        ritual=slot.ritual,
        start=slot.slot.start,
        end=slot.slot.end,
        score=slot.score,
        reason=slot.reason,
        week_start=origin + slot.week * WEEK,
        state="proposed",
        replaces_connection_id=replaces,
        created_at=now,
    )


# --- decline --------------------------------------------------------------------------------


def decline(session: Session, user_id: int, proposal_id: int, *, now: datetime) -> Proposal | None:
    """Decline a proposal; the next best slot for that ritual and week, stored, or None."""
    prop = session.get(Proposal, proposal_id)
    if prop is None:
        raise NotFound("There is no such proposal.")
    member(session, user_id, prop.couple_id, "proposal")
    lock_couple(session, prop.couple_id)
    session.refresh(prop)
    if prop.state not in OPEN:
        raise Conflict(f"This proposal is already {prop.state}.")
    prop.state = "declined"
    session.flush()
    found = _next_best(session, prop, now)
    row = None if found is None else _row(prop.couple_id, found, prop.week_start, now)
    if row is not None:
        row.replaces_connection_id = prop.replaces_connection_id
        session.add(row)
    session.commit()
    return row


def _next_best(session: Session, prop: Proposal, now: datetime) -> Slot | None:
    """The best slot for the proposal's ritual and week, keeping everything else planned."""
    a_user, b_user = pair(session, prop.couple_id)
    origin = prop.week_start
    week = Interval(origin, origin + WEEK)
    conns = live_connections(session, prop.couple_id, week, skip=prop.replaces_connection_id)
    others = open_proposals(session, prop.couple_id, week)
    declined = session.scalars(
        select(Proposal).where(
            Proposal.couple_id == prop.couple_id,
            Proposal.ritual == prop.ritual,
            Proposal.week_start == origin,
            Proposal.state == "declined",
        )
    )
    exclude = [slot_of(p) for p in (*declined, *others)]
    blocked = [slot_of(c) for c in conns]
    a, b = (partner_plan(session, u, week, blocked) for u in (a_user, b_user))
    ritual = ritual_for(session, prop.couple_id, prop.ritual, prop.end - prop.start, now)
    keep = [as_slot(c, origin) for c in conns] + [as_slot(p, origin) for p in others]
    found = alternatives(
        a, b, ritual, week=0, now=now, start=origin, exclude=exclude, keep=keep, limit=1
    )
    return found[0] if found else None


# --- protect --------------------------------------------------------------------------------


def protect(session: Session, couple_id: int, *, now: datetime) -> list[ProtectionReport]:
    """Check every upcoming live connection against both partners' current busy time.

    A clash marks the connection conflicted and offers the nearest good alternative (same
    ritual, same week or the next) as a proposal that replaces it; a clash that went away
    puts it back to confirmed (and withdraws the alternative). Repeating it changes nothing.
    Commits; refreshes the feed when a status changed.
    """
    lock_couple(session, couple_id)
    people = partners(session, couple_id)
    query = select(Connection).where(
        Connection.couple_id == couple_id, Connection.status.in_(LIVE), Connection.end > now
    )
    rows = list(session.scalars(query.order_by(Connection.start, Connection.id)))
    reports = [_protect_one(session, c, people, now) for c in rows]
    if any(r.changed for r in reports):
        refresh_feed(session, couple_id, now=now)
    session.commit()
    return reports


def _protect_one(
    session: Session, conn: Connection, people: Sequence[User], now: datetime
) -> ProtectionReport:
    """Check one connection; mark or restore it and offer or withdraw an alternative."""
    before = conn.status
    alternative = _open_alternative(session, conn.id)
    if any(busy_of_user(session, p.id, slot_of(conn)) for p in people):
        conn.status = "conflicted"
        if alternative is None and len(people) == 2:
            alternative = _offer_alternative(session, conn, (people[0], people[1]), now)
    else:
        conn.status = "confirmed"
        if alternative is not None:
            alternative.state = "expired"
            alternative = None
    session.flush()
    changed = conn.status != before
    alt_id = alternative.id if alternative else None
    return ProtectionReport(conn.id, conn.ritual, slot_of(conn), conn.status, changed, alt_id)


def _open_alternative(session: Session, connection_id: int) -> Proposal | None:
    """The open proposal offered to replace the connection, if any."""
    query = select(Proposal).where(
        Proposal.replaces_connection_id == connection_id, Proposal.state.in_(OPEN)
    )
    return session.scalars(query.order_by(Proposal.id).limit(1)).first()


def _offer_alternative(
    session: Session, conn: Connection, people: tuple[User, User], now: datetime
) -> Proposal | None:
    """The nearest good slot for the connection's ritual in its week or the next, stored."""
    origin = week_origin(conn.start, zone_of(people[0]))
    horizon = Interval(origin, origin + 2 * WEEK)
    others = live_connections(session, conn.couple_id, horizon, skip=conn.id)
    blocked = [slot_of(c) for c in others]
    a, b = (partner_plan(session, p, horizon, blocked) for p in people)
    ritual = ritual_for(session, conn.couple_id, conn.ritual, conn.end - conn.start, now)
    keep = [as_slot(c, origin) for c in others]
    found = [
        slot
        for week in (0, 1)
        for slot in alternatives(
            a, b, ritual, week=week, now=now, start=origin, exclude=[], keep=keep, limit=8
        )
    ]
    if not found:
        return None
    best = min(found, key=lambda s: (abs(s.slot.start - conn.start), s.slot.start))
    row = _row(conn.couple_id, best, origin, now, replaces=conn.id)
    row.reason = f"Your planned time now clashes with a new commitment. {best.reason}"
    session.add(row)
    session.flush()
    return row


# --- the week view --------------------------------------------------------------------------


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
    items, conflicted = _items(session, me, other, week)
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


def _items(
    session: Session, me: User, other: User | None, week: Interval
) -> tuple[list[Item], list[tuple[Item, Item | None]]]:
    """The week's proposals and connections, and the conflicted connections with alternatives."""
    if me.couple_id is None:
        return [], []
    conns = live_connections(session, me.couple_id, week)
    props = [
        p
        for p in open_proposals(session, me.couple_id, week)
        if p.replaces_connection_id or not any(p.start < c.end and c.start < p.end for c in conns)
    ]
    said_yes = _acceptances(session, [p.id for p in props])
    shown = [_proposal_item(p, me, other, said_yes.get(p.id, set())) for p in props]
    shown += [_item(c, "connection", me, other, c.status) for c in conns]
    by_replaced = {i.replaces: i for i in shown if i.replaces is not None}
    conflicted = [(i, by_replaced.get(i.id)) for i in shown if i.state == "conflicted"]
    return sorted(shown, key=lambda i: (i.start, i.kind, i.id)), conflicted


def _acceptances(session: Session, ids: Sequence[int]) -> dict[int, set[int]]:
    """Who accepted each of the proposals."""
    out: dict[int, set[int]] = {}
    rows = session.execute(
        select(ProposalAcceptance.proposal_id, ProposalAcceptance.user_id).where(
            ProposalAcceptance.proposal_id.in_(ids)
        )
    )
    for proposal_id, user_id in rows:
        out.setdefault(proposal_id, set()).add(user_id)
    return out


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
