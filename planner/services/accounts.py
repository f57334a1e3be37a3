"""Accounts: sign up and sign in with e-mail and password (argon2id hashes)."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from planner.services.errors import Conflict, Invalid
from planner.store.models import User, normalize_email

MIN_PASSWORD = 10
MAX_PASSWORD = 256
_EMAIL = re.compile(r"^[^@\s<>\"',;:()\[\]\\]{1,64}@[a-z0-9.-]{1,190}\.[a-z]{2,63}$")
_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("a password nobody has")


def check_email(email: str) -> str:
    """The normalised e-mail address, or :class:`Invalid` naming the ``email`` field."""
    normal = normalize_email(email)
    if len(normal) > 254 or not _EMAIL.match(normal):
        raise Invalid("Please enter a valid e-mail address.", field="email")
    return normal


def check_zone(zone: str) -> str:
    """An IANA zone name that exists, or :class:`Invalid` naming the ``zone`` field."""
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid(f"Unknown time zone {zone!r}.", field="zone") from None
    return zone


def check_password(password: str) -> str:
    """A password of acceptable length, or :class:`Invalid` naming the ``password`` field."""
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise Invalid(
            f"Use a password of {MIN_PASSWORD} to {MAX_PASSWORD} characters.", field="password"
        )
    return password


def sign_up(session: Session, *, email: str, password: str, name: str, zone: str) -> User:
    """A new account; :class:`Conflict` when the e-mail address is taken."""
    display = " ".join(name.split())[:80]
    if not display:
        raise Invalid("Please tell us your name.", field="name")
    user = User(
        email=check_email(email),
        password_hash=_hasher.hash(check_password(password)),
        display_name=display,
        zone=check_zone(zone),
    )
    session.add(user)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Conflict("An account with that e-mail address exists.", field="email") from None
    return user


def authenticate(session: Session, *, email: str, password: str) -> User | None:
    """The account with this e-mail and password, else None (same work either way)."""
    user = session.scalar(select(User).where(User.email == normalize_email(email)))
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password[:MAX_PASSWORD])
    except (VerificationError, InvalidHashError):
        return None
    if user is None:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
        session.commit()
    return user


def set_password(session: Session, user_id: int, password: str) -> None:
    """Give the account a new password (checked like a new one)."""
    user = session.get(User, user_id)
    if user is None:
        raise Invalid("There is no such account.")
    user.password_hash = _hasher.hash(check_password(password))
    session.commit()
