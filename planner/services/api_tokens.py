"""Personal API tokens: created once (shown once), stored hashed, revocable."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from planner.services.errors import Invalid, NotFound
from planner.store.models import ApiToken
from planner.store.tokens import hash_token, new_token

PREFIX = "cp_"
MAX_TOKENS = 20
_TOUCH_EVERY = timedelta(minutes=5)


@dataclass(frozen=True)
class TokenInfo:
    """What a partner may see of one of their tokens (never the token itself)."""

    id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None


def create_token(session: Session, user_id: int, *, name: str, now: datetime) -> str:
    """A new token for ``user_id``; the only time the token is ever returned."""
    label = " ".join(name.split())[:80]
    if not label:
        raise Invalid("Give the token a name, e.g. the app that will use it.", field="name")
    if len(list_tokens(session, user_id)) >= MAX_TOKENS:
        raise Invalid(f"You can have at most {MAX_TOKENS} tokens; revoke one first.", field="name")
    token = PREFIX + new_token()
    session.add(ApiToken(user_id=user_id, name=label, token_hash=hash_token(token), created_at=now))
    session.commit()
    return token


def list_tokens(session: Session, user_id: int) -> list[TokenInfo]:
    """The live tokens of ``user_id``, newest first."""
    rows = session.scalars(
        select(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .order_by(ApiToken.id.desc())
    )
    return [TokenInfo(r.id, r.name, r.created_at, r.last_used_at) for r in rows]


def revoke_token(session: Session, user_id: int, token_id: int, *, now: datetime) -> None:
    """Revoke one of the user's tokens; :class:`NotFound` for anyone else's."""
    row = session.get(ApiToken, token_id)
    if row is None or row.user_id != user_id or row.revoked_at is not None:
        raise NotFound("There is no such token.")
    row.revoked_at = now
    session.commit()


def user_for_token(session: Session, token: str, *, now: datetime) -> int | None:
    """The user a live token belongs to, else None; notes when it was last used."""
    if not token.startswith(PREFIX) or len(token) > 200:
        return None
    row = session.scalar(
        select(ApiToken).where(
            ApiToken.token_hash == hash_token(token), ApiToken.revoked_at.is_(None)
        )
    )
    if row is None:
        return None
    if row.last_used_at is None or now - row.last_used_at > _TOUCH_EVERY:
        row.last_used_at = now
        session.commit()
    return row.user_id
