"""Confirmed connections, and the guard that two live ones of a couple never overlap.

The guard has two layers. :func:`confirm_connection` locks the couple (``SELECT ... FOR
UPDATE`` on PostgreSQL; on SQLite the transaction already began with ``BEGIN IMMEDIATE``),
checks for an overlap and only then inserts, so concurrent confirmations serialise. On
PostgreSQL the exclusion constraint ``ex_connection_no_overlap`` also refuses an overlapping
row whatever code wrote it; that refusal is reported as the same :class:`SlotTaken`.
"""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from planner.core.intervals import Interval, interval
from planner.store.errors import ConnectionInfo, NotFound, SlotTaken
from planner.store.models import Connection, Couple

EXCLUSION_VIOLATION = "23P01"  # PostgreSQL SQLSTATE exclusion_violation


def new_uid() -> str:
    """A fresh, stable iCalendar UID for a connection."""
    return f"{uuid.uuid4()}@connection-planner"


def confirm_connection(
    session: Session,
    *,
    couple_id: int,
    ritual: str,
    slot: Interval,
    proposal_id: int | None = None,
    uid: str | None = None,
    protect: bool = True,
) -> ConnectionInfo:
    """Book ``slot`` for the couple, or raise :class:`SlotTaken` with the connection in the way.

    Runs inside the caller's transaction (the lock lasts until the caller commits or rolls
    back). ``protect=False`` skips the lock and the check; it exists only so tests can show
    what happens without them, and the PostgreSQL constraint still applies.
    """
    slot = interval(slot.start, slot.end)
    if slot.start == slot.end:
        raise ValueError("a connection needs a non-empty slot")
    if protect:
        _lock_couple(session, couple_id)
        clash = _first_clash(session, couple_id, slot)
        if clash is not None:
            raise SlotTaken(slot, clash)
    row = Connection(
        couple_id=couple_id,
        proposal_id=proposal_id,
        uid=uid or new_uid(),
        ritual=ritual,
        start=slot.start,
        end=slot.end,
    )
    _insert(session, row, slot)
    return info(row)


def _lock_couple(session: Session, couple_id: int) -> None:
    """Hold the couple's row lock until the transaction ends (a no-op SELECT on SQLite)."""
    found = session.scalar(select(Couple.id).where(Couple.id == couple_id).with_for_update())
    if found is None:
        raise NotFound("couple", couple_id)


def _insert(session: Session, row: Connection, slot: Interval) -> None:
    """Insert in a savepoint; turn PostgreSQL's exclusion violation into :class:`SlotTaken`."""
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError as error:
        if getattr(error.orig, "sqlstate", None) != EXCLUSION_VIOLATION:
            raise
        clash = _first_clash(session, row.couple_id, slot)
        if clash is None:  # the other row is gone again; report the refusal as it was
            raise
        raise SlotTaken(slot, clash) from error


def _first_clash(session: Session, couple_id: int, slot: Interval) -> ConnectionInfo | None:
    """The earliest live connection of the couple that overlaps ``slot``, if any."""
    query = select(Connection).where(*_live_overlapping(couple_id, slot))
    found = session.scalars(query.order_by(Connection.start).limit(1)).first()
    return None if found is None else info(found)


def _live_overlapping(couple_id: int, window: Interval) -> tuple[ColumnElement[bool], ...]:
    """WHERE clauses: live (not cancelled) connections of a couple that overlap ``window``."""
    return (
        Connection.couple_id == couple_id,
        Connection.status != "cancelled",
        Connection.start < window.end,
        Connection.end > window.start,
    )


def connections_of_couple(
    session: Session, couple_id: int, window: Interval
) -> list[ConnectionInfo]:
    """The couple's live connections that overlap ``window``, earliest first."""
    window = interval(window.start, window.end)
    query = select(Connection).where(*_live_overlapping(couple_id, window))
    return [info(c) for c in session.scalars(query.order_by(Connection.start, Connection.id))]


def info(row: Connection) -> ConnectionInfo:
    """A detached snapshot of a connection row."""
    return ConnectionInfo(
        id=row.id,
        couple_id=row.couple_id,
        uid=row.uid,
        sequence=row.sequence,
        ritual=row.ritual,
        slot=Interval(row.start, row.end),
        status=row.status,
        proposal_id=row.proposal_id,
        updated_at=row.updated_at,
    )
