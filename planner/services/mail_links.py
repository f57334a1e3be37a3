"""Accept and Decline links in invite mail: signed, single-purpose, expiring, idempotent.

A link carries (proposal, partner, action, the invite's UID), signed with the app's secret
key and a salt per action (itsdangerous), and stamped with the time its mail was queued; it
works without a session for :data:`LINK_LIFETIME`. An accept link cannot be used to decline,
and the other way round. The link answers the invite it came in: the proposal is found by
the UID (:func:`~planner.services.outbox.proposal_of`), so planning again does not break
it, and a proposal that was withdrawn, replaced or has passed gets :class:`ProposalGone`.
Opening a link only shows what it would do (:func:`preview`): mail scanners fetch links, so
nothing changes until the person presses the button (:func:`respond`), and pressing it
twice changes nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from itsdangerous import BadData, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from planner.core.rituals import CATALOGUE
from planner.services import invites, planning
from planner.services.caldav_sources import CaldavSettings
from planner.services.errors import Conflict, NotFound, ServiceError
from planner.services.google_sources import GoogleSettings
from planner.services.outbox import latest_mail, proposal_of
from planner.services.schedule import OPEN, member
from planner.store.models import MailMessage, Proposal, User

Action = Literal["accept", "decline"]
ACTIONS: tuple[Action, ...] = ("accept", "decline")
LINK_LIFETIME = timedelta(days=14)
MAX_TOKEN_CHARS = 512


class LinkInvalid(ServiceError):
    """The link was changed, cut short, or is for another action."""

    status = 400


class LinkExpired(ServiceError):
    """The link is older than :data:`LINK_LIFETIME`."""

    status = 410


class ProposalGone(ServiceError):
    """The invite the link came in was withdrawn, declined, replaced or has passed."""

    status = 410


@dataclass(frozen=True)
class Ticket:
    """What a valid link allows: one partner's ``action`` on the invite ``uid``, first sent
    for proposal ``proposal_id``."""

    proposal_id: int
    user_id: int
    action: Action
    uid: str = ""


def _serializer(secret: str, action: Action, now: datetime) -> URLSafeTimedSerializer:
    """A serializer whose clock is ``now``: signing stamps it, checking measures age from it."""
    stamp = int(now.timestamp())

    class _At(TimestampSigner):
        def get_timestamp(self) -> int:
            return stamp

    return URLSafeTimedSerializer(secret, salt=f"planner.mail.{action}", signer=_At)


def make_token(secret: str, ticket: Ticket, *, issued: datetime) -> str:
    """The token of a link for ``ticket``, issued at ``issued`` (the mail's queue time)."""
    payload = {"p": ticket.proposal_id, "u": ticket.user_id, "a": ticket.action, "i": ticket.uid}
    return str(_serializer(secret, ticket.action, issued).dumps(payload))


def read_token(
    secret: str, action: str, token: str, *, now: datetime, max_age: timedelta = LINK_LIFETIME
) -> Ticket:
    """The ticket behind ``token`` for ``action``; :class:`LinkInvalid` or
    :class:`LinkExpired` when it cannot be used."""
    if action not in ACTIONS or len(token) > MAX_TOKEN_CHARS:
        raise LinkInvalid(_INVALID)
    serializer = _serializer(secret, action, now)
    try:
        payload: Any = serializer.loads(token, max_age=int(max_age.total_seconds()))
    except SignatureExpired:
        raise LinkExpired(_EXPIRED) from None
    except BadData:
        raise LinkInvalid(_INVALID) from None
    if not isinstance(payload, dict) or payload.get("a") != action:
        raise LinkInvalid(_INVALID)
    return Ticket(int(payload["p"]), int(payload["u"]), action, str(payload.get("i", "")))


_INVALID = (
    "This link is not valid: it may have been cut short when copied. Open your week in "
    "Connection Planner to answer instead."
)
_EXPIRED = "This link has expired. Open your week in Connection Planner to answer instead."
_WEEK = " Open your week in Connection Planner to see the current plan."
_GONE = {
    "declined": "This proposal was declined, so there is nothing left to accept." + _WEEK,
    "cancelled": "This connection time was cancelled, so there is nothing left to answer." + _WEEK,
    "passed": "This proposal is no longer open: its time has passed." + _WEEK,
    "withdrawn": "This proposal is no longer open: it was replaced by a new plan or withdrawn."
    + _WEEK,
}


@dataclass(frozen=True)
class LinkView:
    """What the confirm page shows before anything changes."""

    action: Action
    name: str
    start: datetime
    end: datetime
    zone: str
    state: str
    person: str
    proposal_id: int


def preview(session: Session, ticket: Ticket, *, now: datetime) -> LinkView:
    """The proposal and partner behind ``ticket``, when the link can still be answered:
    :class:`ProposalGone` (410) when its invite was withdrawn, declined (for accept),
    replaced or has passed, :class:`Conflict` for declining confirmed time,
    :class:`NotFound` for a partner who is no longer in the couple."""
    prop = resolve(session, ticket)
    user: User = member(session, ticket.user_id, prop.couple_id, "proposal")
    if prop.state in OPEN and prop.start <= now:
        raise ProposalGone(_GONE["passed"])
    if prop.state == "confirmed" and ticket.action == "decline":
        raise Conflict("This is confirmed connection time now; to call it off, cancel it in "
                       "the app.")  # fmt: skip
    if prop.state not in (*OPEN, "confirmed", "declined"):
        raise ProposalGone(_GONE["withdrawn"])
    ritual = CATALOGUE.get(prop.ritual)
    return LinkView(ticket.action, ritual.name if ritual else prop.ritual, prop.start, prop.end,
                    user.zone, prop.state, user.display_name, prop.id)  # fmt: skip


def resolve(session: Session, ticket: Ticket) -> Proposal:
    """The proposal the link's invite stands for now (see the module docstring); a declined
    one only for a decline link, where answering again is harmless."""
    uid = ticket.uid or _uid_of(session, ticket)
    row = latest_mail(session, uid, ticket.user_id) if uid else None
    if row is None:
        raise NotFound("This proposal no longer exists; open your week to see the current plan.")
    found = proposal_of(session, row)
    if found is not None:
        return found
    own = _mailed_proposal(session, ticket, uid)
    if own is not None and own.state == "confirmed":  # an alternative that moved a connection
        return own
    if own is not None and own.state == "declined":
        if ticket.action == "decline":
            return own
        raise ProposalGone(_GONE["declined"])
    raise ProposalGone(_GONE["cancelled" if row.kind == "cancelled" else "withdrawn"])


def _uid_of(session: Session, ticket: Ticket) -> str:
    """The UID of the invite a link without one (made before links carried it) came in."""
    query = select(MailMessage.uid).where(
        MailMessage.proposal_id == ticket.proposal_id, MailMessage.user_id == ticket.user_id
    )
    return session.scalars(query.order_by(MailMessage.id).limit(1)).first() or ""


def _mailed_proposal(session: Session, ticket: Ticket, uid: str) -> Proposal | None:
    """The proposal ``ticket`` names, when it is still the one mailed under ``uid`` (the
    same couple, ritual and time: SQLite may give a deleted proposal's id to another)."""
    prop = session.get(Proposal, ticket.proposal_id)
    query = select(MailMessage).where(
        MailMessage.uid == uid, MailMessage.user_id == ticket.user_id,
        MailMessage.proposal_id == ticket.proposal_id,
    )  # fmt: skip
    row = session.scalars(query.limit(1)).first()
    if prop is None or row is None:
        return None
    same = (prop.couple_id, prop.ritual, prop.start) == (row.couple_id, row.ritual, row.start)
    return prop if same else None


def respond(
    session: Session,
    ticket: Ticket,
    *,
    now: datetime,
    google: GoogleSettings | None = None,
    caldav: CaldavSettings | None = None,
) -> str:
    """Apply the ticket: the proposal's state afterwards. Doing it again is harmless: an
    accepted (or confirmed) proposal stays so, a declined one stays declined. Refusals as
    :func:`preview` gives them."""
    view = preview(session, ticket, now=now)
    if ticket.action == "accept":
        return invites.accept(
            session, ticket.user_id, view.proposal_id, now=now, google=google, caldav=caldav
        )
    if view.state == "declined":
        session.rollback()
        return "declined"
    try:
        planning.decline(session, ticket.user_id, view.proposal_id, now=now)
    except Conflict:
        session.rollback()
        raise
    return "declined"
