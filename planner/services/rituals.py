"""Rituals chosen per partner and combined per couple (:func:`effective_rituals`).

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

from sqlalchemy import select
from sqlalchemy.orm import Session

from planner.core.rituals import CATALOGUE, Ritual, default_rituals, lives_apart, with_overrides
from planner.services.couples import members
from planner.services.errors import Invalid, NotFound
from planner.store.models import RitualSetting, User

PER_WEEK_RANGE = range(0, 8)
MINUTES_RANGE = range(15, 361)


@dataclass(frozen=True)
class RitualChoice:
    """One ritual as a partner set it, and what the couple gets (``together``; None = off)."""

    ritual: Ritual
    enabled: bool
    per_week: int
    duration_minutes: int
    together: Ritual | None


def _user(session: Session, user_id: int) -> User:
    """The partner row, or :class:`NotFound`."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("There is no such account.")
    return user


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
