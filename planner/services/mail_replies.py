"""iTIP replies: an attendee's PARTSTAT, sent by their calendar app to the ORGANIZER address
and posted here by an inbound-mail service, applied to the proposal it answers.

The UID is looked up among the invites this service mailed; the attendee must be one of the
partners it was mailed to and still in the couple; the SEQUENCE must be the latest one
mailed to them (an answer to an older version of the invite is refused: the newer invite
needs its own answer). The proposal is the one the invite stands for now, found by its UID
(:func:`~planner.services.outbox.proposal_of`), so planning again does not break replies.
ACCEPTED accepts, DECLINED declines, TENTATIVE changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from integrations.mail.reply import InvalidReply, Reply, parse_reply
from planner.services import invites, planning
from planner.services.caldav_sources import CaldavSettings
from planner.services.errors import Conflict, Forbidden, Invalid, NotFound
from planner.services.google_sources import GoogleSettings
from planner.services.outbox import proposal_of
from planner.store.models import MailMessage, User


@dataclass(frozen=True)
class ReplyOutcome:
    """What a reply did: the proposal's state afterwards and a sentence saying so."""

    uid: str
    attendee: str
    partstat: str
    state: str
    message: str


def read_reply(data: bytes) -> Reply:
    """The REPLY in ``data``; :class:`Invalid` (422, field ``body``) saying what is wrong."""
    try:
        return parse_reply(data)
    except InvalidReply as error:
        raise Invalid(f"That is not a usable iTIP REPLY: {error.reason}.", field="body") from None


def _latest(session: Session, reply: Reply) -> MailMessage:
    """The last invite about the reply's UID mailed to its attendee, after every check."""
    rows = list(session.scalars(
        select(MailMessage).where(MailMessage.uid == reply.uid)
        .order_by(MailMessage.sequence.desc(), MailMessage.id.desc())
    ))  # fmt: skip
    if not rows:
        raise NotFound("No invite with that UID was sent by this service.")
    user = session.scalar(select(User).where(User.email == reply.attendee))
    mine = [r for r in rows if user is not None and r.user_id == user.id]
    if user is None or not mine or user.couple_id != mine[0].couple_id:
        raise Forbidden(f"{reply.attendee} is not a partner of the couple this invite is for.")
    latest = mine[0]
    if reply.sequence < latest.sequence:
        raise Conflict(
            f"This reply answers version {reply.sequence} of the invite, but version "
            f"{latest.sequence} was sent since; answer the newer invite instead."
        )
    if reply.sequence > latest.sequence:
        raise Conflict(f"No version {reply.sequence} of this invite was ever sent.")
    return latest


def apply_reply(
    session: Session,
    data: bytes,
    *,
    now: datetime,
    google: GoogleSettings | None = None,
    caldav: CaldavSettings | None = None,
) -> ReplyOutcome:
    """Apply the REPLY in ``data``; commits. Errors: :class:`Invalid` (malformed),
    :class:`NotFound` (unknown UID), :class:`Forbidden` (not a partner of the couple),
    :class:`Conflict` (an older SEQUENCE, or nothing left to answer)."""
    reply = read_reply(data)
    latest = _latest(session, reply)
    prop = proposal_of(session, latest)
    if prop is None:
        raise Conflict("This invite was withdrawn or cancelled; there is nothing to answer.")
    user_id, proposal_id, state = latest.user_id, prop.id, str(prop.state)
    if reply.partstat == "ACCEPTED":
        state = invites.accept(session, user_id, proposal_id, now=now, google=google, caldav=caldav)
        return ReplyOutcome(reply.uid, reply.attendee, reply.partstat, state, f"Now {state}.")
    if reply.partstat == "TENTATIVE" or state == "declined":
        session.rollback()
        return ReplyOutcome(reply.uid, reply.attendee, reply.partstat, state, "Nothing changed.")
    if state == "confirmed":
        raise Conflict("This is confirmed connection time; to call it off, cancel it in the app.")
    planning.decline(session, user_id, proposal_id, now=now)
    return ReplyOutcome(reply.uid, reply.attendee, reply.partstat, "declined", "Declined.")
