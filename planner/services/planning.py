"""Planning a couple's connection time: plan, decline, protect (accepting is in ``invites``).

Every use case takes a Session, plain values and ``now``, commits its own unit of work and
raises :mod:`planner.services.errors`. Slots come from :mod:`planner.core.proposals`; busy
time from :func:`planner.store.busy.busy_of_user` (a stale source still counts with its last
snapshot); live connections count as busy for both partners. The queries these share with
the week view and invites are in :mod:`planner.services.schedule`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from planner.core.intervals import Interval
from planner.core.model import WEEK
from planner.core.proposals import Proposal as Slot
from planner.core.proposals import alternatives, propose
from planner.core.rituals import CATALOGUE, Ritual, with_overrides
from planner.services.errors import Conflict, Invalid, NotFound
from planner.services.feed import refresh_feed
from planner.services.outbox import queue_changes
from planner.services.rituals import effective_rituals
from planner.services.schedule import (
    LIVE,
    OPEN,
    as_slot,
    live_connections,
    lock_couple,
    member,
    open_proposals,
    pair,
    partner_plan,
    partners,
    slot_of,
    week_origin,
    zone_of,
)
from planner.store.busy import busy_of_user
from planner.store.models import Connection, Proposal, ProposalAcceptance, User

MAX_WEEKS = 12


@dataclass(frozen=True)
class ProtectionReport:
    """What :func:`protect` found for one upcoming connection."""

    connection_id: int
    ritual: str
    slot: Interval
    status: str  # "confirmed" or "conflicted" after the check
    changed: bool  # the status changed in this run
    alternative_id: int | None  # the open alternative proposal, when conflicted


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
    queue_changes(session, couple_id, now=now)
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
    queue_changes(session, prop.couple_id, now=now)
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
    queue_changes(session, couple_id, now=now)
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
