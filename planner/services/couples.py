"""Couples: pairing through a single-use invite link, leaving, and each partner's settings.

A couple is made by one partner (:func:`create_couple`), who shares an invite link
(:func:`invite`); the other follows it (:func:`invite_status`, :func:`join`). Only the sha256
of a link's token is stored; a link works once, for seven days, and a new link revokes the
older unused ones. :func:`leave` takes effect at once: the leaver's calendars stop counting,
the couple's open proposals expire and its upcoming connections are cancelled in the feed.

Rituals are chosen per partner and combined per couple (:func:`effective_rituals`):

- each partner has a switch per ritual, starting at the couple's defaults (date night,
  morning coffee and a check-in; a video call instead of coffee when the two live on
  different clocks); a ritual is planned only when neither partner's switch is off;
- when the partners ask for different cadences or lengths, the couple gets the *smaller*
  number per week (nobody is booked more often than they asked) and the *longer* duration
  (nobody's time together is cut shorter than they asked);
- a ritual at zero times per week is not planned.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from planner.core.rituals import CATALOGUE, Ritual, default_rituals, lives_apart, with_overrides
from planner.core.windows import WindowSpecError, format_windows, parse_windows
from planner.services.accounts import check_zone
from planner.services.errors import Conflict, Invalid, NotFound
from planner.services.feed import refresh_feed
from planner.store.models import Connection, Couple, Invite, Proposal, RitualSetting, User
from planner.store.tokens import hash_token, new_token

INVITE_LIFETIME = timedelta(days=7)
PER_WEEK_RANGE = range(0, 8)
MINUTES_RANGE = range(15, 361)
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


@dataclass(frozen=True)
class RitualChoice:
    """One ritual as a partner set it, and what the couple gets (``together``; None = off)."""

    ritual: Ritual
    enabled: bool
    per_week: int
    duration_minutes: int
    together: Ritual | None


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


def leave(session: Session, user_id: int, now: datetime) -> None:
    """Leave the couple at once: the leaver's calendars stop counting, open proposals
    expire, upcoming connections are cancelled (the feed shows them cancelled) and open
    invite links stop working."""
    user = _user(session, user_id, lock=True)
    couple_id = user.couple_id
    if couple_id is None:
        raise Conflict("You are not in a couple.")
    user.couple_id = None
    session.execute(
        update(Proposal)
        .where(Proposal.couple_id == couple_id, Proposal.state.in_(OPEN_PROPOSALS))
        .values(state="expired")
    )
    for connection in session.scalars(
        select(Connection).where(
            Connection.couple_id == couple_id,
            Connection.status != "cancelled",
            Connection.start > now,
        )
    ):
        connection.status, connection.sequence = "cancelled", connection.sequence + 1
        connection.updated_at = now
    _revoke_open_invites(session, couple_id, now)
    session.flush()
    refresh_feed(session, couple_id, now=now)
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
class RitualInput:
    """A partner's choice for one ritual, as entered."""

    key: str
    enabled: bool
    per_week: int
    duration_minutes: int


@dataclass(frozen=True)
class _Pref:
    """One partner's effective wish for one ritual."""

    enabled: bool
    per_week: int
    minutes: int


def _minutes(ritual: Ritual) -> int:
    return int(ritual.duration.total_seconds() // 60)


def _default_keys(users: list[User], now: datetime) -> frozenset[str]:
    """The rituals a couple of ``users`` gets unless they choose otherwise."""
    zones = [ZoneInfo(u.zone) for u in users]
    apart = len(zones) == 2 and lives_apart(zones[0], zones[1], now)
    return frozenset(r.key for r in default_rituals(apart))


def _settings(session: Session, users: list[User]) -> dict[tuple[int, str], RitualSetting]:
    rows = session.scalars(
        select(RitualSetting).where(RitualSetting.user_id.in_([u.id for u in users]))
    )
    return {(row.user_id, row.ritual): row for row in rows}


def _pref(row: RitualSetting | None, ritual: Ritual, default_on: bool) -> _Pref:
    if row is None:
        return _Pref(default_on, ritual.per_week, _minutes(ritual))
    per_week = ritual.per_week if row.per_week is None else row.per_week
    minutes = _minutes(ritual) if row.duration_minutes is None else row.duration_minutes
    return _Pref(row.enabled, per_week, minutes)


def _together(ritual: Ritual, prefs: list[_Pref]) -> Ritual | None:
    """The ritual as the couple gets it: off if anyone is off; fewest per week, longest."""
    if not prefs or not all(p.enabled for p in prefs):
        return None
    per_week = min(p.per_week for p in prefs)
    if per_week == 0:
        return None
    minutes = max(p.minutes for p in prefs)
    return with_overrides(ritual, per_week=per_week, duration=timedelta(minutes=minutes))


def _circle(session: Session, user: User) -> list[User]:
    """The user's couple as it is now (just the user when not paired)."""
    return members(session, user.couple_id) if user.couple_id is not None else [user]


def ritual_choices(session: Session, user_id: int, now: datetime) -> tuple[RitualChoice, ...]:
    """Every catalogue ritual with the user's own choice and what the couple gets."""
    user = _user(session, user_id)
    users = _circle(session, user)
    defaults, rows = _default_keys(users, now), _settings(session, users)
    choices = []
    for key, ritual in CATALOGUE.items():
        prefs = {u.id: _pref(rows.get((u.id, key)), ritual, key in defaults) for u in users}
        own = prefs[user.id]
        together = _together(ritual, list(prefs.values()))
        choices.append(RitualChoice(ritual, own.enabled, own.per_week, own.minutes, together))
    return tuple(choices)


def effective_rituals(session: Session, couple_id: int, now: datetime) -> tuple[Ritual, ...]:
    """The rituals to plan for the couple, combining both partners' choices (see module)."""
    users = members(session, couple_id)
    defaults, rows = _default_keys(users, now), _settings(session, users)
    found = (
        _together(ritual, [_pref(rows.get((u.id, key)), ritual, key in defaults) for u in users])
        for key, ritual in CATALOGUE.items()
    )
    return tuple(r for r in found if r is not None)


def check_ritual(choice: RitualInput) -> RitualInput:
    """``choice`` when its values are acceptable; :class:`Invalid` names ``key.field``."""
    if choice.key not in CATALOGUE:
        raise Invalid(f"There is no ritual called {choice.key!r}.", field="ritual")
    if choice.per_week not in PER_WEEK_RANGE:
        raise Invalid("Choose from 0 to 7 times per week.", field=f"{choice.key}.per_week")
    if choice.duration_minutes not in MINUTES_RANGE:
        raise Invalid("Choose from 15 to 360 minutes.", field=f"{choice.key}.duration_minutes")
    return choice


def set_rituals(session: Session, user_id: int, choices: list[RitualInput], now: datetime) -> None:
    """Save the user's choices for several rituals at once (all checked before any is saved).

    Only differences from the couple's defaults are stored, so untouched rituals keep
    following the defaults (which change when a partner moves to another clock).
    """
    checked = [check_ritual(c) for c in choices]
    user = _user(session, user_id)
    defaults = _default_keys(_circle(session, user), now)
    for choice in checked:
        _store_choice(session, user.id, choice, choice.key in defaults)
    session.commit()


def set_ritual(
    session: Session,
    user_id: int,
    key: str,
    *,
    enabled: bool,
    per_week: int,
    duration_minutes: int,
    now: datetime,
) -> None:
    """Save the user's choice for one ritual (see :func:`set_rituals`)."""
    set_rituals(session, user_id, [RitualInput(key, enabled, per_week, duration_minutes)], now)


def _store_choice(session: Session, user_id: int, choice: RitualInput, default_on: bool) -> None:
    """Upsert the user's row for the ritual, or delete it when it says "the defaults"."""
    ritual = CATALOGUE[choice.key]
    per_week = None if choice.per_week == ritual.per_week else choice.per_week
    minutes = None if choice.duration_minutes == _minutes(ritual) else choice.duration_minutes
    row = session.get(RitualSetting, (user_id, choice.key))
    if choice.enabled == default_on and per_week is None and minutes is None:
        if row is not None:
            session.delete(row)
        return
    row = row or RitualSetting(user_id=user_id, ritual=choice.key)
    row.enabled, row.per_week, row.duration_minutes = choice.enabled, per_week, minutes
    session.add(row)


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
