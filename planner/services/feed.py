"""The couple's private feed: an ICS body rendered when connections change, behind a token.

The body is rendered by :func:`refresh_feed` whenever a connection is confirmed, moved or
cancelled, and stored with its ETag; serving the feed is then a token lookup and a copy.
Tokens carry 256 random bits; only their sha256 is stored. Rotating revokes the old token
at once; unknown and revoked tokens look the same to the outside.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from integrations.ics.invites import Invite, feed_calendar
from planner.core.rituals import CATALOGUE
from planner.store.models import Connection, Couple, FeedCache, FeedToken, User
from planner.store.tokens import hash_token, new_token

REFRESH = timedelta(hours=1)
CANCELLED_KEPT = timedelta(days=30)


@dataclass(frozen=True)
class FeedBody:
    """A rendered feed and its strong ETag (quoted, as HTTP wants it)."""

    body: bytes
    etag: str


def _invite(connection: Connection) -> Invite:
    ritual = CATALOGUE.get(connection.ritual)
    return Invite(
        uid=connection.uid,
        start=connection.start,
        end=connection.end,
        summary=ritual.name if ritual else "Connection time",
        description=ritual.description if ritual else "",
        sequence=connection.sequence,
        status="CANCELLED" if connection.status == "cancelled" else "CONFIRMED",
        categories=("Connection time",),
    )


def feed_name(session: Session, couple_id: int) -> str:
    """``Lena & Sam: connection time``."""
    names = session.scalars(
        select(User.display_name).where(User.couple_id == couple_id).order_by(User.id)
    ).all()
    return f"{' & '.join(names) or 'Our'}: connection time"


def refresh_feed(session: Session, couple_id: int, *, now: datetime) -> FeedBody:
    """Render the couple's feed (live connections and those cancelled in the last 30 days)
    and store it with its ETag; the caller commits."""
    rows = session.scalars(
        select(Connection)
        .where(Connection.couple_id == couple_id)
        .where((Connection.status != "cancelled") | (Connection.updated_at >= now - CANCELLED_KEPT))
        .order_by(Connection.start, Connection.id)
    ).all()
    body = feed_calendar(
        [_invite(c) for c in rows], name=feed_name(session, couple_id), refresh=REFRESH, stamp=now
    )
    etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    cache = session.get(FeedCache, couple_id) or FeedCache(couple_id=couple_id)
    cache.body, cache.etag, cache.updated_at = body, etag, now
    session.add(cache)
    return FeedBody(body, etag)


def issue_token(session: Session, couple_id: int, *, now: datetime) -> str:
    """A new feed token for the couple; every older token is revoked. The caller commits.

    The token itself is returned once and never stored.
    """
    for old in session.scalars(
        select(FeedToken).where(FeedToken.couple_id == couple_id, FeedToken.revoked_at.is_(None))
    ):
        old.revoked_at = now
    token = new_token()
    session.add(FeedToken(couple_id=couple_id, token_hash=hash_token(token), created_at=now))
    if session.get(FeedCache, couple_id) is None and session.get(Couple, couple_id) is not None:
        refresh_feed(session, couple_id, now=now)
    return token


def feed_for_token(session: Session, token: str) -> FeedBody | None:
    """The feed behind a live token, else None (unknown and revoked look the same)."""
    row = session.execute(
        select(FeedCache.body, FeedCache.etag)
        .join(FeedToken, FeedToken.couple_id == FeedCache.couple_id)
        .where(FeedToken.token_hash == hash_token(token), FeedToken.revoked_at.is_(None))
    ).first()
    return FeedBody(row.body, row.etag) if row else None
