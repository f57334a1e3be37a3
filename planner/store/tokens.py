"""Secrets for invite and feed links: only their sha256 ever reaches the database."""

from __future__ import annotations

import hashlib
import secrets


def new_token() -> str:
    """A fresh URL-safe secret of 256 random bits."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """The stored form of a token: lower-case hex sha256 (64 characters)."""
    return hashlib.sha256(token.encode()).hexdigest()
