"""Connections: accepting proposals, cancelling, and the RFC 5546 invite of a connection.

When both partners accept a proposal it becomes a connection (or, for an alternative offered
by :func:`planner.services.planning.protect`, moves the conflicted connection: same UID,
SEQUENCE + 1). Confirmation is race-safe: the store locks the couple and PostgreSQL's
exclusion constraint refuses overlaps; a lost race is a :class:`Conflict`.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from integrations.ics.invites import Person, invite_calendar
from planner.services.caldav_sources import CaldavSettings
from planner.services.errors import Conflict, NotFound
from planner.services.feed import connection_invite, refresh_feed
from planner.services.google_sources import GoogleSettings
from planner.services.outbox import queue_changes
from planner.services.schedule import (
    OPEN,
    live_connections,
    lock_couple,
    member,
    partners,
    planned_uid,
    slot_of,
)
from planner.services.write_back_tasks import request_write_back
from planner.store.connections import confirm_connection, info
from planner.store.errors import SlotTaken
from planner.store.models import Connection, Proposal, ProposalAcceptance

SERVICE_ADDRESS = "planner@connection-planner.invalid"
TAKEN = "That time was just taken by another connection. Please pick another proposal."


def accept(
    session: Session,
    user_id: int,
    proposal_id: int,
    *,
    now: datetime,
    google: GoogleSettings | None = None,
    caldav: CaldavSettings | None = None,
) -> str:
    """Record the user's yes; with both partners' yes, confirm. Returns the proposal's state.

    Once confirmed, the connection is queued for write-back to Google and CalDAV for
    partners who asked (with ``google`` / ``caldav``; an engine job writes it after the
    commit, and a failure there is recorded, never undoes the confirmation).
    Accepting twice changes nothing. :class:`Conflict` when the time was just taken or the
    proposal is no longer open; :class:`NotFound` for anyone outside the couple.
    """
    prop = _locked_proposal(session, user_id, proposal_id)
    if prop.state == "confirmed":
        return "confirmed"
    if prop.state not in OPEN or prop.start <= now:
        raise Conflict(f"This proposal is no longer open ({_state_word(prop, now)}).")
    if session.get(ProposalAcceptance, (prop.id, user_id)) is None:
        session.add(ProposalAcceptance(proposal_id=prop.id, user_id=user_id, accepted_at=now))
        session.flush()
    if not _everyone_accepted(session, prop):
        prop.state = "accepted"
        session.commit()
        return "accepted"
    try:
        _confirm(session, prop)
    except (SlotTaken, IntegrityError):
        session.rollback()
        raise Conflict(TAKEN) from None
    prop.state = "confirmed"
    refresh_feed(session, prop.couple_id, now=now)
    queue_changes(session, prop.couple_id, now=now)
    which = Connection.proposal_id == prop.id
    _write_back(session, prop.couple_id, which, google, now, caldav)
    session.commit()
    return "confirmed"


def _write_back(
    session: Session,
    couple_id: int,
    which: Any,
    google: GoogleSettings | None,
    now: datetime,
    caldav: CaldavSettings | None = None,
) -> None:
    """Queue the write-back of the connections matching ``which`` to the partners' Google
    and CalDAV calendars (an engine job does it once the caller commits)."""
    if google is None and caldav is None:
        return
    ids = list(session.scalars(select(Connection.id).where(which)))
    people = [p.id for p in partners(session, couple_id)]
    request_write_back(session, ids, people, now=now)


def _state_word(prop: Proposal, now: datetime) -> str:
    return "it has passed" if prop.state in OPEN and prop.start <= now else prop.state


def _locked_proposal(session: Session, user_id: int, proposal_id: int) -> Proposal:
    """The proposal, locked for this transaction, when the user is one of its couple."""
    query = select(Proposal).where(Proposal.id == proposal_id).with_for_update()
    prop = session.scalars(query.execution_options(populate_existing=True)).first()
    if prop is None:
        raise NotFound("There is no such proposal.")
    member(session, user_id, prop.couple_id, "proposal")
    return prop


def _everyone_accepted(session: Session, prop: Proposal) -> bool:
    """True when every partner of the couple (two of them) has accepted."""
    people = {p.id for p in partners(session, prop.couple_id)}
    query = select(ProposalAcceptance.user_id).where(ProposalAcceptance.proposal_id == prop.id)
    return len(people) == 2 and people <= set(session.scalars(query))


def _confirm(session: Session, prop: Proposal) -> None:
    """Book the proposal's slot, or move the connection it replaces; SlotTaken on a clash."""
    moved = session.get(Connection, prop.replaces_connection_id or 0)
    if moved is not None and moved.status != "cancelled":
        _move(session, moved, prop)
        return
    confirm_connection(
        session,
        couple_id=prop.couple_id,
        ritual=prop.ritual,
        slot=slot_of(prop),
        proposal_id=prop.id,
        uid=planned_uid(session, prop),
    )


def _move(session: Session, conn: Connection, prop: Proposal) -> None:
    """Move ``conn`` to the proposal's slot: same UID, SEQUENCE + 1, confirmed again."""
    lock_couple(session, conn.couple_id)
    clash = live_connections(session, conn.couple_id, slot_of(prop), skip=conn.id)
    if clash:
        raise SlotTaken(slot_of(prop), info(clash[0]))
    conn.start, conn.end = prop.start, prop.end
    conn.sequence += 1
    conn.status = "confirmed"
    conn.proposal_id = prop.id
    with session.begin_nested():
        session.flush()  # PostgreSQL's exclusion constraint may still refuse (IntegrityError)


def cancel(
    session: Session,
    user_id: int,
    connection_id: int,
    *,
    now: datetime,
    google: GoogleSettings | None = None,
    caldav: CaldavSettings | None = None,
) -> None:
    """Cancel a connection (SEQUENCE + 1) and withdraw alternatives offered for it; with
    ``google`` / ``caldav``, remove it from the partners' Google and CalDAV calendars
    (failures are recorded)."""
    conn = _connection(session, user_id, connection_id)
    if conn.status == "cancelled":
        return
    lock_couple(session, conn.couple_id)
    conn.status = "cancelled"
    conn.sequence += 1
    conn.updated_at = now
    query = select(Proposal).where(
        Proposal.replaces_connection_id == conn.id, Proposal.state.in_(OPEN)
    )
    for alternative in session.scalars(query):
        alternative.state = "expired"
    session.flush()
    refresh_feed(session, conn.couple_id, now=now)
    queue_changes(session, conn.couple_id, now=now)
    _write_back(session, conn.couple_id, Connection.id == conn.id, google, now, caldav)
    session.commit()


def _connection(session: Session, user_id: int, connection_id: int) -> Connection:
    """The connection when the user is one of its couple, else :class:`NotFound`."""
    conn = session.get(Connection, connection_id)
    if conn is None:
        raise NotFound("There is no such connection.")
    member(session, user_id, conn.couple_id, "connection")
    return conn


def invite_for(
    session: Session,
    user_id: int,
    connection_id: int,
    *,
    now: datetime,
    organizer: str = SERVICE_ADDRESS,
) -> bytes:
    """The connection as an iTIP message: METHOD:REQUEST, or METHOD:CANCEL once cancelled."""
    conn = _connection(session, user_id, connection_id)
    cancelled = conn.status == "cancelled"
    invite = replace(
        connection_invite(conn),
        organizer=Person(organizer, "Connection Planner"),
        attendees=tuple(Person(p.email, p.display_name) for p in partners(session, conn.couple_id)),
    )
    return invite_calendar([invite], method="CANCEL" if cancelled else "REQUEST", stamp=now)
