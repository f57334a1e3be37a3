"""The couple's private feed: an ICS body rendered when connections change, behind a token.

The body is rendered by :func:`refresh_feed` whenever a connection is confirmed, moved or
cancelled, and stored with its ETag; serving the feed is then a token lookup and a copy.
Tokens carry 256 random bits; only their sha256 is stored. Rotating revokes the old token
at once; unknown and revoked tokens look the same to the outside.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, bindparam, select
from sqlalchemy.orm import Session

from integrations.ics.invites import Invite, feed_calendar
from planner.core.rituals import CATALOGUE
from planner.store.models import Connection, Couple, FeedCache, FeedToken, User
from planner.store.tokens import hash_token, new_token

REFRESH = timedelta(hours=1)
CANCELLED_KEPT = timedelta(days=30)


@dataclass(frozen=True)
class FeedBody:
    """A rendered feed, its strong ETag (quoted, as HTTP wants it) and when it was stored."""

    body: bytes
    etag: str
    updated_at: datetime | None = None


@dataclass(frozen=True)
class FeedState:
    """What the feed page may say about a couple's feed without knowing its token."""

    active_since: datetime | None
    """When the live token was issued; None when the couple has no live token."""
    updated_at: datetime | None
    """When the body was last rendered; None before the first rendering."""


def connection_invite(connection: Connection) -> Invite:
    """A connection as an iCalendar event: the ritual's name and description, its UID and
    SEQUENCE, CONFIRMED or CANCELLED. The feed, invites and write-back all start here."""
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


@dataclass(frozen=True)
class WriteTarget:
    """A connection as write-back needs it, read before any request to a calendar."""

    id: int
    ritual: str
    cancelled: bool
    invite: Invite


def write_targets(session: Session, connection_ids: Iterable[int]) -> list[WriteTarget]:
    """The connections of ``connection_ids`` that exist, as Google and CalDAV write-back
    need them."""
    found = [c for i in connection_ids if (c := session.get(Connection, i)) is not None]
    return [
        WriteTarget(c.id, c.ritual, c.status == "cancelled", connection_invite(c)) for c in found
    ]


def feed_name(session: Session, couple_id: int) -> str:
    """``Lena & Sam: connection time``."""
    names = session.scalars(
        select(User.display_name).where(User.couple_id == couple_id).order_by(User.id)
    ).all()
    return f"{' & '.join(names) or 'Our'}: connection time"


def refresh_feed(session: Session, couple_id: int, *, now: datetime) -> FeedBody:
    """Render the couple's feed (live connections and those cancelled in the last 30 days)
    and store it with its ETag; the caller commits.

    The couple's row is locked first (PostgreSQL ``FOR NO KEY UPDATE``, which does not
    conflict with the share locks that inserting a connection or proposal takes on it;
    SQLite transactions are serialised anyway), so two transactions changing one couple's
    connections render the feed one after the other: the second sees the first's committed
    work and updates its row instead of racing it to insert one.
    """
    lock = select(Couple.id).where(Couple.id == couple_id).with_for_update(key_share=True)
    session.execute(lock)  # FOR NO KEY UPDATE: does not wait on rows that merely refer to it
    rows = session.scalars(
        select(Connection)
        .where(Connection.couple_id == couple_id)
        .where((Connection.status != "cancelled") | (Connection.updated_at >= now - CANCELLED_KEPT))
        .order_by(Connection.start, Connection.id)
        .execution_options(populate_existing=True)
    ).all()
    body = feed_calendar(
        [connection_invite(c) for c in rows],
        name=feed_name(session, couple_id),
        refresh=REFRESH,
        stamp=now,
    )
    etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    cache = session.get(FeedCache, couple_id, populate_existing=True)
    cache = cache or FeedCache(couple_id=couple_id)
    cache.body, cache.etag, cache.updated_at = body, etag, now
    session.add(cache)
    return FeedBody(body, etag, now)


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


def rotate_feed(session: Session, couple_id: int, *, now: datetime) -> str:
    """Revoke the couple's feed link and issue a new one; commits. Returns the new token,
    which is never stored and so can be shown only now."""
    token = issue_token(session, couple_id, now=now)
    session.commit()
    return token


def feed_state(session: Session, couple_id: int) -> FeedState:
    """Whether the couple's feed has a live link (since when) and when it was last rendered."""
    since = session.scalar(
        select(FeedToken.created_at)
        .where(FeedToken.couple_id == couple_id, FeedToken.revoked_at.is_(None))
        .order_by(FeedToken.created_at.desc())
        .limit(1)
    )
    updated = session.scalar(select(FeedCache.updated_at).where(FeedCache.couple_id == couple_id))
    return FeedState(since, updated)


_BY_TOKEN_HASH = (
    select(FeedCache.body, FeedCache.etag, FeedCache.updated_at)
    .join(FeedToken, FeedToken.couple_id == FeedCache.couple_id)
    .where(FeedToken.token_hash == bindparam("token_hash"), FeedToken.revoked_at.is_(None))
)
"""Built once: the feed is the hot path, and building the statement cost more than running it."""


def feed_for_token(session: Session, token: str) -> FeedBody | None:
    """The feed behind a live token, else None (unknown and revoked look the same).

    One indexed lookup (the token hash is unique) joined to the stored body; nothing is
    rendered here. The web app serves feeds through :class:`FeedLookup`, the same query
    without a session.
    """
    row = session.execute(_BY_TOKEN_HASH, {"token_hash": hash_token(token)}).first()
    return FeedBody(row.body, row.etag, row.updated_at) if row else None


class FeedLookup:
    """:func:`feed_for_token` for the hot path: the same statement, compiled once for the
    engine's dialect and run on a bare pooled DBAPI connection.

    Why: per request, SQLAlchemy's execution machinery (connection object, events, compiled
    cache, result rows) cost more than the rest of the feed path together: about 65 us of
    300 us of server CPU under gunicorn (``python -m bench.feed``). And on SQLite the
    engine opens every transaction with ``BEGIN IMMEDIATE``, so each feed request would
    take the write lock and the workers would queue behind one another; the bare connection
    runs the one SELECT in autocommit, reading one WAL snapshot beside other readers and the
    writer. Revocation still takes effect at once: nothing is cached between requests.
    """

    def __init__(self, engine: Engine) -> None:
        dialect = engine.dialect
        compiled = _BY_TOKEN_HASH.compile(dialect=dialect)
        self._engine = engine
        self._sql = str(compiled)
        self._positional = compiled.positiontup if compiled.positional else None
        updated = FeedCache.__table__.c.updated_at.type.dialect_impl(dialect)
        self._updated_at = updated.result_processor(dialect, None)

    def __call__(self, token: str) -> FeedBody | None:
        """The feed behind a live token, else None (unknown and revoked look the same)."""
        values = {"token_hash": hash_token(token)}
        params: Any = values
        if self._positional is not None:
            params = tuple(values[name] for name in self._positional)
        connection = self._engine.raw_connection()
        try:
            cursor = connection.cursor()
            cursor.execute(self._sql, params)
            row = cursor.fetchone()
        finally:
            connection.close()  # back to the pool, which ends any transaction the driver began
        if row is None:
            return None
        body, etag, updated_at = row
        if self._updated_at is not None:
            updated_at = self._updated_at(updated_at)
        return FeedBody(bytes(body), etag, updated_at)
