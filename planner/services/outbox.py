"""The outbox: the invite mails a couple's changes call for, queued once per change.

:func:`queue_changes` compares what each partner's calendar should hold (every open
proposal as a TENTATIVE invite, every connection as CONFIRMED or CANCELLED) with what was
last mailed to that partner for each UID, and queues one :class:`MailMessage` per
difference: *proposed*, *confirmed*, *moved*, *cancelled*, or *withdrawn* (a proposal that
was declined, replaced or dropped gets a CANCEL, so it leaves the calendar it was put in).
It runs inside the service's transaction, so a change and its mail commit together; sending
happens afterwards (:mod:`planner.services.mail`) and never undoes the change.

SEQUENCE rises with every mail about one UID (RFC 5546 §2.1.4): the first mail carries the
connection's SEQUENCE (0 for a proposal), each later one the larger of the connection's and
the highest mailed about that UID + 1. A proposal's UID is the one its connection will get
(:func:`~planner.services.schedule.planned_uid`), so confirming updates the tentative event
in place. The connection then takes the SEQUENCE that was mailed (and the feed is rendered
again), so the mail, the .ics download, the feed and the calendar write-back all publish one
UID with one SEQUENCE; a calendar that took the mailed invite never sees the others as older.
The dedupe key (``message_id``) is derived from UID, SEQUENCE and recipient, and is unique:
the same change is never queued twice, whoever calls this and how often.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from planner.services.effects import after_commit
from planner.services.feed import refresh_feed
from planner.services.schedule import OPEN, partners, planned_uid
from planner.store.models import Connection, MailMessage, Proposal, User


@dataclass(frozen=True)
class Wanted:
    """What one event should look like in the partners' calendars now."""

    uid: str
    status: str  # TENTATIVE, CONFIRMED or CANCELLED
    ritual: str
    start: datetime
    end: datetime
    base: int  # the lowest SEQUENCE it may carry: the connection's
    note: str = ""
    proposal_id: int | None = None
    connection_id: int | None = None


def queue_changes(
    session: Session, couple_id: int, *, now: datetime, recipients: Sequence[User] | None = None
) -> int:
    """Queue the mails the couple's current state calls for (``recipients``: the partners
    to write to, by default the couple's members); the number queued. The caller commits."""
    people = list(recipients) if recipients is not None else partners(session, couple_id)
    if not people:
        return 0
    wanted = _wanted(session, couple_id, now)
    mailed = _last_mailed(session, couple_id, now, set(wanted))
    top = _highest(mailed)  # one change gets one SEQUENCE, the same for both partners
    published = dict(top)
    queued = 0
    for person in people:
        uids = set(wanted) | {uid for uid, user_id in mailed if user_id == person.id}
        for uid in sorted(uids):
            row = _change(wanted.get(uid), mailed.get((uid, person.id)), top.get(uid), person, now)
            if row is not None and _insert(session, row, couple_id, now):
                published[uid] = max(published.get(uid, 0), row.sequence)
                queued += 1
    if queued:
        after_commit(session, "deliver_mail")
    if _catch_up(session, wanted, published, now):
        refresh_feed(session, couple_id, now=now)
    return queued


def _highest(mailed: dict[tuple[str, int], MailMessage]) -> dict[str, int]:
    """The highest SEQUENCE mailed about each UID, to either partner."""
    top: dict[str, int] = {}
    for (uid, _), row in mailed.items():
        top[uid] = max(top.get(uid, 0), row.sequence)
    return top


def _catch_up(
    session: Session, wanted: dict[str, Wanted], top: dict[str, int], now: datetime
) -> bool:
    """Raise each connection's SEQUENCE to the highest mailed about its UID (a confirmation
    mails the tentative invite's SEQUENCE + 1); True when one was raised."""
    raised = False
    for uid, want in wanted.items():
        conn = session.get(Connection, want.connection_id) if want.connection_id else None
        if conn is not None and conn.sequence < top.get(uid, -1):
            conn.sequence, conn.updated_at, raised = top[uid], now, True
    if raised:
        session.flush()
    return raised


def _wanted(session: Session, couple_id: int, now: datetime) -> dict[str, Wanted]:
    """Every upcoming connection and open proposal of the couple, by UID."""
    found: dict[str, Wanted] = {}
    connections = select(Connection).where(Connection.couple_id == couple_id, Connection.end > now)
    for c in session.scalars(connections.order_by(Connection.start, Connection.id)):
        status = "CANCELLED" if c.status == "cancelled" else "CONFIRMED"
        found[c.uid] = Wanted(c.uid, status, c.ritual, c.start, c.end, c.sequence,
                              proposal_id=c.proposal_id, connection_id=c.id)  # fmt: skip
    proposals = select(Proposal).where(
        Proposal.couple_id == couple_id, Proposal.state.in_(OPEN), Proposal.start > now
    )
    for p in session.scalars(proposals.order_by(Proposal.start, Proposal.id)):
        uid = planned_uid(session, p)
        if uid not in found:
            found[uid] = Wanted(uid, "TENTATIVE", p.ritual, p.start, p.end, 0, p.reason, p.id)
    return found


def _last_mailed(
    session: Session, couple_id: int, now: datetime, uids: set[str]
) -> dict[tuple[str, int], MailMessage]:
    """The last mail (highest SEQUENCE) per UID and partner, for upcoming or wanted events."""
    query = select(MailMessage).where(
        MailMessage.couple_id == couple_id,
        or_(MailMessage.end > now, MailMessage.uid.in_(uids)),
    )
    last: dict[tuple[str, int], MailMessage] = {}
    for row in session.scalars(query.order_by(MailMessage.sequence, MailMessage.id)):
        last[(row.uid, row.user_id)] = row
    return last


def _change(
    want: Wanted | None,
    last: MailMessage | None,
    top: int | None,
    person: User,
    now: datetime,
) -> MailMessage | None:
    """The mail that takes the partner from ``last`` to ``want``, or None when none is due;
    ``top`` is the highest SEQUENCE mailed about the UID to anyone (one counter per UID)."""
    cancelled = last is None or last.method == "CANCEL"
    base = want.base if want is not None else 0
    sequence = base if top is None else max(base, top + 1)
    if want is None:  # a proposal that is no longer open: take it out of the calendar
        if last is None or cancelled or last.end <= now:
            return None
        gone = Wanted(last.uid, "CANCELLED", last.ritual, last.start, last.end, 0,
                      proposal_id=last.proposal_id, connection_id=last.connection_id)  # fmt: skip
        return _row(gone, "withdrawn", sequence, person)
    if last is None:
        if want.status == "CANCELLED":
            return None  # never in their calendar: nothing to take out
        return _row(want, "proposed" if want.status == "TENTATIVE" else "confirmed", sequence,
                    person)  # fmt: skip
    if want.status == "CANCELLED":
        return None if cancelled else _row(want, "cancelled", sequence, person)
    same = (last.event_status, last.start, last.end) == (want.status, want.start, want.end)
    if same and not cancelled:
        return None
    return _row(want, _kind(want, last), sequence, person)


def _kind(want: Wanted, last: MailMessage) -> str:
    if want.status == "TENTATIVE":
        return "proposed"
    moved = (last.start, last.end) != (want.start, want.end)
    return "moved" if moved and last.event_status == "CONFIRMED" else "confirmed"


def dedupe_key(uid: str, sequence: int, user_id: int) -> str:
    """The outbox key of the mail about ``uid`` at ``sequence`` to one partner (also the
    left part of its Message-ID)."""
    text = f"{uid}\x1f{sequence}\x1fpartner:{user_id}"
    return hashlib.sha256(text.encode()).hexdigest()[:40]


def _row(want: Wanted, kind: str, sequence: int, person: User) -> MailMessage:
    cancel = want.status == "CANCELLED"
    return MailMessage(
        message_id=dedupe_key(want.uid, sequence, person.id), user_id=person.id,
        recipient=person.email, kind=kind, method="CANCEL" if cancel else "REQUEST",
        uid=want.uid, sequence=sequence, event_status=want.status, ritual=want.ritual,
        start=want.start, end=want.end, note=want.note, proposal_id=want.proposal_id,
        connection_id=want.connection_id, state="pending", attempts=0,
    )  # fmt: skip


def _insert(session: Session, row: MailMessage, couple_id: int, now: datetime) -> bool:
    """Add the row unless its key is already queued (then False)."""
    row.couple_id, row.created_at = couple_id, now
    exists = select(MailMessage.id).where(MailMessage.message_id == row.message_id)
    if session.scalar(exists) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:  # queued by a concurrent transaction in the meantime
        return False
    return True


def outbox_of(session: Session, user_id: int, *, limit: int = 50) -> list[MailMessage]:
    """The partner's mails, newest first."""
    query = select(MailMessage).where(MailMessage.user_id == user_id)
    return list(session.scalars(query.order_by(MailMessage.id.desc()).limit(limit)))


def attendees(session: Session, row: MailMessage) -> list[User]:
    """Everyone mailed about the row's event (both partners), oldest account first."""
    ids = select(MailMessage.user_id).where(MailMessage.uid == row.uid).distinct()
    return list(session.scalars(select(User).where(User.id.in_(ids)).order_by(User.id)))


def latest_mail(session: Session, uid: str, user_id: int) -> MailMessage | None:
    """The last mail about ``uid`` to the partner (highest SEQUENCE): what their calendar
    holds of that event now."""
    query = select(MailMessage).where(MailMessage.uid == uid, MailMessage.user_id == user_id)
    order = (MailMessage.sequence.desc(), MailMessage.id.desc())
    return session.scalars(query.order_by(*order).limit(1)).first()


def proposal_of(session: Session, row: MailMessage) -> Proposal | None:
    """The proposal the invite in ``row`` stands for now, or None when it was withdrawn or
    cancelled. Found by UID, not by the row's proposal id: planning again replaces untouched
    proposals with new rows (new ids, and on SQLite maybe old ids for other times), while
    the same time keeps its UID and so its invite."""
    if row.method == "CANCEL" or row.couple_id is None:
        return None
    if row.event_status == "TENTATIVE":
        query = select(Proposal).where(
            Proposal.couple_id == row.couple_id, Proposal.ritual == row.ritual,
            Proposal.start == row.start, Proposal.state.in_(OPEN),
        )  # fmt: skip
        found = list(session.scalars(query.order_by(Proposal.id)))
        return next((p for p in found if planned_uid(session, p) == row.uid), None)
    conn = session.scalar(select(Connection).where(Connection.uid == row.uid))
    if conn is None or conn.proposal_id is None:
        return None
    return session.get(Proposal, conn.proposal_id)
