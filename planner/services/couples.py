"""Couples: pairing through a single-use invite link, leaving, and each partner's settings.

A couple is made by one partner (:func:`create_couple`), who shares an invite link
(:func:`invite`); the other follows it (:func:`invite_status`, :func:`join`). Only the sha256
of a link's token is stored; a link works once, for seven days, and a new link revokes the
older unused ones. :func:`leave` takes effect at once: the leaver's calendars stop counting,
the couple's open proposals expire and its upcoming connections are cancelled in the feed.
Rituals, chosen per partner and combined per couple, are in :mod:`planner.services.rituals`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from planner.core.windows import WindowSpecError, format_windows, parse_windows
from planner.services.accounts import check_zone
from planner.services.caldav_sources import CaldavSettings
from planner.services.errors import Conflict, Invalid, NotFound
from planner.services.feed import refresh_feed
from planner.services.google_sources import GoogleSettings
from planner.services.outbox import queue_changes
from planner.services.write_back_tasks import request_write_back
from planner.store.models import Connection, Couple, Invite, Proposal, User
from planner.store.tokens import hash_token, new_token

INVITE_LIFETIME = timedelta(days=7)
MAX_WINDOWS_SPEC = 1000
OPEN_PROPOSALS = ("proposed", "accepted")

UNKNOWN_LINK = (
    "This invite link is not valid. Check that you copied all of it, or ask for a new one."
)
USED_LINK = "This invite link has already been used. Each link works once; ask for a new one."
EXPIRED_LINK = "This invite link has expired or was replaced by a newer one. Ask for a new one."


@dataclass(frozen=True)
class IssuedInvite:
    """A fresh invite link's secret (shown once, never stored) and when it stops working."""

    token: str
    expires_at: datetime


@dataclass(frozen=True)
class PendingInvite:
    """The couple's open invite link, without its secret."""

    token_hash: str
    expires_at: datetime

    def matches(self, token: str) -> bool:
        """True when ``token`` is this link's secret."""
        return hash_token(token) == self.token_hash


@dataclass(frozen=True)
class Invitation:
    """What the join page may show about a valid link."""

    inviter_name: str
    expires_at: datetime


def _user(session: Session, user_id: int, *, lock: bool = False) -> User:
    """The partner row (locked for update when asked), or :class:`NotFound`."""
    query = select(User).where(User.id == user_id)
    user = session.scalar(query.with_for_update() if lock else query)
    if user is None:
        raise NotFound("There is no such account.")
    return user


def members(session: Session, couple_id: int) -> list[User]:
    """The partners who belong to the couple now, in the order they joined (by account)."""
    return list(session.scalars(select(User).where(User.couple_id == couple_id).order_by(User.id)))


def partner_of(session: Session, user_id: int) -> User | None:
    """The other partner of the user's couple, or None when they are alone or not paired."""
    user = _user(session, user_id)
    if user.couple_id is None:
        return None
    others = [u for u in members(session, user.couple_id) if u.id != user_id]
    return others[0] if others else None


def create_couple(session: Session, user_id: int, now: datetime) -> int:
    """A new couple with the user as its first partner; :class:`Conflict` when already in one."""
    user = _user(session, user_id, lock=True)
    if user.couple_id is not None:
        raise Conflict("You are already in a couple.")
    couple = Couple(created_at=now)
    session.add(couple)
    session.flush()
    user.couple_id = couple.id
    session.commit()
    return couple.id


def invite(session: Session, user_id: int, now: datetime) -> IssuedInvite:
    """A new single-use link to the user's couple, valid for 7 days; older open links stop."""
    user = _user(session, user_id, lock=True)
    if user.couple_id is None:
        raise Conflict("Create your couple first, then invite your partner.")
    if len(members(session, user.couple_id)) >= 2:
        raise Conflict("Your couple already has two partners.")
    _revoke_open_invites(session, user.couple_id, now)
    token = new_token()
    expires = now + INVITE_LIFETIME
    session.add(
        Invite(couple_id=user.couple_id, inviter_id=user.id, token_hash=hash_token(token),
               created_at=now, expires_at=expires)
    )  # fmt: skip
    session.commit()
    return IssuedInvite(token, expires)


def _revoke_open_invites(session: Session, couple_id: int, now: datetime) -> None:
    """End every unused, unexpired invite of the couple now (they read as expired)."""
    session.execute(
        update(Invite)
        .where(Invite.couple_id == couple_id, Invite.used_at.is_(None), Invite.expires_at > now)
        .values(expires_at=now)
    )


def pending_invite(session: Session, user_id: int, now: datetime) -> PendingInvite | None:
    """The open invite link of the user's couple, if there is one."""
    couple_id = _user(session, user_id).couple_id
    row = session.scalars(
        select(Invite)
        .where(Invite.couple_id == couple_id, Invite.used_at.is_(None), Invite.expires_at > now)
        .order_by(Invite.expires_at.desc())
    ).first()
    return PendingInvite(row.token_hash, row.expires_at) if row else None


def _usable_invite(session: Session, token: str, now: datetime, *, lock: bool) -> Invite:
    """The invite behind ``token`` if it can still be used; otherwise a plain refusal."""
    query = select(Invite).where(Invite.token_hash == hash_token(token))
    row = session.scalar(query.with_for_update() if lock else query)
    if row is None:
        raise NotFound(UNKNOWN_LINK)
    if row.used_at is not None:
        raise Conflict(USED_LINK)
    if row.expires_at <= now:
        raise NotFound(EXPIRED_LINK)
    return row


def invite_status(session: Session, token: str, now: datetime) -> Invitation:
    """Who invites through ``token``; :class:`NotFound` (unknown, expired) or Conflict (used)."""
    row = _usable_invite(session, token, now, lock=False)
    return Invitation(_user(session, row.inviter_id).display_name, row.expires_at)


def join(session: Session, user_id: int, token: str, now: datetime) -> int:
    """Join the couple behind ``token``; the link is used up. Returns the couple id."""
    row = _usable_invite(session, token, now, lock=True)
    user = _user(session, user_id, lock=True)
    if user.couple_id == row.couple_id:
        raise Conflict("This is your own invite link. Send it to your partner.")
    if user.couple_id is not None:
        raise Conflict("You are already in a couple. Leave it first to join another one.")
    session.scalar(select(Couple.id).where(Couple.id == row.couple_id).with_for_update())
    count = session.scalar(select(func.count()).where(User.couple_id == row.couple_id))
    if count is None or count >= 2:
        raise Conflict("This couple already has two partners.")
    used = session.execute(
        update(Invite).where(Invite.id == row.id, Invite.used_at.is_(None)).values(used_at=now)
    )
    if getattr(used, "rowcount", 0) != 1:
        raise Conflict(USED_LINK)
    user.couple_id = row.couple_id
    session.commit()
    return row.couple_id


def leave(
    session: Session,
    user_id: int,
    now: datetime,
    *,
    google: GoogleSettings | None = None,
    caldav: CaldavSettings | None = None,
) -> None:
    """Leave the couple at once: the leaver's calendars stop counting, open proposals
    expire, upcoming connections are cancelled (the feed shows them cancelled and, with
    ``google`` / ``caldav``, they leave the partners' Google and CalDAV calendars) and open
    invite links stop working."""
    user = _user(session, user_id, lock=True)
    couple_id = user.couple_id
    if couple_id is None:
        raise Conflict("You are not in a couple.")
    people = members(session, couple_id)
    user.couple_id = None
    session.execute(
        update(Proposal)
        .where(Proposal.couple_id == couple_id, Proposal.state.in_(OPEN_PROPOSALS))
        .values(state="expired")
    )
    cancelled: list[int] = []
    for connection in session.scalars(
        select(Connection).where(
            Connection.couple_id == couple_id,
            Connection.status != "cancelled",
            Connection.start > now,
        )
    ):
        connection.status, connection.sequence = "cancelled", connection.sequence + 1
        connection.updated_at = now
        cancelled.append(connection.id)
    _revoke_open_invites(session, couple_id, now)
    session.flush()
    refresh_feed(session, couple_id, now=now)
    queue_changes(session, couple_id, now=now, recipients=people)
    if google is not None or caldav is not None:
        request_write_back(session, cancelled, [u.id for u in people], now=now)
    session.commit()


def update_settings(session: Session, user_id: int, *, zone: str, windows: str) -> None:
    """Save the partner's zone and weekly windows (stored in their normal form)."""
    user = _user(session, user_id)
    user.zone = check_zone(zone.strip())
    user.windows = check_windows(windows)
    session.commit()


def check_windows(spec: str) -> str:
    """The normal form of a weekly windows spec, or :class:`Invalid` naming ``windows``."""
    if len(spec) > MAX_WINDOWS_SPEC:
        raise Invalid(f"Keep the windows under {MAX_WINDOWS_SPEC} characters.", field="windows")
    try:
        parsed = parse_windows(spec)
    except WindowSpecError as error:
        raise Invalid(f"Windows: {error.detail}.", field="windows") from None
    if not parsed:
        raise Invalid("Give at least one window, e.g. 'Mon-Fri 18:00-22:00'.", field="windows")
    return format_windows(parsed)


@dataclass(frozen=True)
class Profile:
    """A partner's own planning settings, as the settings page shows them."""

    name: str
    zone: str
    windows: str


def profile(session: Session, user_id: int) -> Profile:
    """The partner's name, zone and weekly windows."""
    user = _user(session, user_id)
    return Profile(user.display_name, user.zone, user.windows)
