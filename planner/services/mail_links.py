"""Accept and Decline links in invite mail: signed, single-purpose, expiring, idempotent.

A link carries (proposal, partner, action), signed with the app's secret key and a salt per
action (itsdangerous), and stamped with the time its mail was queued; it works without a
session for :data:`LINK_LIFETIME`. An accept link cannot be used to decline, and the other
way round. Opening a link only shows what it would do (:func:`preview`): mail scanners
fetch links, so nothing changes until the person presses the button (:func:`respond`),
and pressing it twice changes nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from itsdangerous import BadData, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from planner.core.rituals import CATALOGUE
from planner.services import invites, planning
from planner.services.caldav_sources import CaldavSettings
from planner.services.errors import Conflict, NotFound, ServiceError
from planner.services.google_sources import GoogleSettings
from planner.services.schedule import member
from planner.store.models import Proposal, User

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


@dataclass(frozen=True)
class Ticket:
    """What a valid link allows: one partner's ``action`` on one proposal."""

    proposal_id: int
    user_id: int
    action: Action


def _serializer(secret: str, action: Action, now: datetime) -> URLSafeTimedSerializer:
    """A serializer whose clock is ``now``: signing stamps it, checking measures age from it."""
    stamp = int(now.timestamp())

    class _At(TimestampSigner):
        def get_timestamp(self) -> int:
            return stamp

    return URLSafeTimedSerializer(secret, salt=f"planner.mail.{action}", signer=_At)


def make_token(secret: str, ticket: Ticket, *, issued: datetime) -> str:
    """The token of a link for ``ticket``, issued at ``issued`` (the mail's queue time)."""
    payload = {"p": ticket.proposal_id, "u": ticket.user_id, "a": ticket.action}
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
    return Ticket(int(payload["p"]), int(payload["u"]), action)


_INVALID = (
    "This link is not valid: it may have been cut short when copied. Open your week in "
    "Connection Planner to answer instead."
)
_EXPIRED = "This link has expired. Open your week in Connection Planner to answer instead."


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


def preview(session: Session, ticket: Ticket) -> LinkView:
    """The proposal and partner behind ``ticket``; :class:`NotFound` when either is gone."""
    prop = session.get(Proposal, ticket.proposal_id)
    if prop is None:
        raise NotFound("This proposal no longer exists; open your week to see the current plan.")
    user: User = member(session, ticket.user_id, prop.couple_id, "proposal")
    ritual = CATALOGUE.get(prop.ritual)
    return LinkView(ticket.action, ritual.name if ritual else prop.ritual, prop.start, prop.end,
                    user.zone, prop.state, user.display_name)  # fmt: skip


def respond(
    session: Session,
    ticket: Ticket,
    *,
    now: datetime,
    google: GoogleSettings | None = None,
    caldav: CaldavSettings | None = None,
) -> str:
    """Apply the ticket: the proposal's state afterwards. Doing it again is harmless: an
    accepted (or confirmed) proposal stays so, a declined one stays declined."""
    view = preview(session, ticket)
    if ticket.action == "accept":
        return invites.accept(
            session, ticket.user_id, ticket.proposal_id, now=now, google=google, caldav=caldav
        )
    if view.state == "declined":
        session.rollback()
        return "declined"
    try:
        planning.decline(session, ticket.user_id, ticket.proposal_id, now=now)
    except Conflict:
        session.rollback()
        raise
    return "declined"
