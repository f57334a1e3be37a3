"""Secrets at rest (Google refresh tokens, CalDAV app passwords), bound to their owner.

Encryption is Fernet (AES-128-CBC + HMAC-SHA256) through :class:`MultiFernet`: the keys are
a list from configuration, passed in (never read from the environment here); the first key
encrypts, every key decrypts, so a new key can be put in front and :func:`rotate` run. The
plaintext is ``{"u": owner_id, "s": secret}``: a ciphertext copied onto another account's
row decrypts but names the wrong owner and is refused with :class:`SecretError`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import select
from sqlalchemy.orm import Session

from planner.store.models import CaldavAccount, GoogleAccount

UNREADABLE = "The stored secret cannot be decrypted with the configured keys."


class SecretError(Exception):
    """A stored secret cannot be used; ``message`` says why in plain words."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _fernet(keys: Sequence[str | bytes]) -> MultiFernet:
    """The key ring; :class:`SecretError` when there is no key or one is malformed."""
    if not keys:
        raise SecretError("No secret key is configured (PLANNER_SECRET_KEYS).")
    try:
        return MultiFernet([Fernet(k) for k in keys])
    except (ValueError, TypeError):
        raise SecretError("A configured secret key is not a valid Fernet key.") from None


def encrypt(secret: str, user_id: int, keys: Sequence[str | bytes]) -> bytes:
    """``secret`` encrypted with the first key, bound to ``user_id``."""
    payload = json.dumps({"u": user_id, "s": secret}, separators=(",", ":")).encode()
    return _fernet(keys).encrypt(payload)


def decrypt(token: bytes, user_id: int, keys: Sequence[str | bytes]) -> str:
    """The secret in ``token`` when it belongs to ``user_id``; :class:`SecretError` when no
    key opens it or it was stored for another account."""
    try:
        payload = json.loads(_fernet(keys).decrypt(token))
    except InvalidToken:
        raise SecretError(
            "The stored secret cannot be decrypted with the configured keys."
        ) from None
    if not isinstance(payload, dict) or payload.get("u") != user_id:
        raise SecretError("The stored secret belongs to another account.")
    return str(payload["s"])


def rotate(session: Session, keys: Sequence[str | bytes]) -> int:
    """Re-encrypt every stored secret with the first of ``keys``; the number re-encrypted.

    Every key that encrypted a stored secret must still be in ``keys``. Commits.
    """
    ring = _fernet(keys)
    count = 0
    for account in session.scalars(select(GoogleAccount).with_for_update()):
        if account.refresh_token is None:
            continue
        account.refresh_token = _rotated(session, ring, account.refresh_token, account.user_id)
        count += 1
    for caldav in session.scalars(select(CaldavAccount).with_for_update()):
        caldav.password = _rotated(session, ring, caldav.password, caldav.user_id)
        count += 1
    session.commit()
    return count


def _rotated(session: Session, ring: MultiFernet, token: bytes, user_id: int) -> bytes:
    """``token`` encrypted with the first key; rolls back and raises when no key opens it."""
    try:
        return ring.rotate(token)
    except InvalidToken:
        session.rollback()
        raise SecretError(
            f"The secret of account {user_id} cannot be decrypted with the given keys."
        ) from None
