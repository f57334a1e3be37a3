"""What ``bench.feed`` serves: a Flask hello-world (``bench.feed_app:hello``) as the floor, and
:func:`seed`, which fills a migrated database with one couple whose feed is rendered.

Our own app is served through the real entry point, ``wsgi:app``, configured from the
environment like in production.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import Flask

from planner.core.rituals import CATALOGUE
from planner.services.feed import issue_token, refresh_feed
from planner.store import make_engine, session_factory
from planner.store.models import BusyBlock, Connection, Couple, Source, User

hello = Flask(__name__)


@hello.get("/")
def index() -> str:
    """The smallest useful Flask response."""
    return "Hello, World!"


NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)
CONNECTIONS = 20
SECRET_TITLE = "Bench secret: dentist"
"""A busy title in the seeded database that must never reach the feed."""


@dataclass(frozen=True)
class Seeded:
    """The live feed token and the ETag of the rendered feed."""

    token: str
    etag: str
    size: int


def seed(url: str) -> Seeded:
    """One couple (Berlin and New York), ~20 connections, busy blocks, a feed and a token."""
    engine = make_engine(url)
    try:
        with session_factory(engine)() as session:
            couple = Couple()
            lena = User(email="lena@example.com", password_hash="x", display_name="Lena",
                        zone="Europe/Berlin", couple=couple)  # fmt: skip
            sam = User(email="sam@example.com", password_hash="x", display_name="Sam",
                       zone="America/New_York", couple=couple)  # fmt: skip
            session.add_all([couple, lena, sam])
            session.flush()
            source = Source(user_id=lena.id, kind="upload", name="Work")
            session.add(source)
            session.flush()
            session.add_all(_connections(couple.id) + _busy(source.id))
            session.flush()
            token = issue_token(session, couple.id, now=NOW)
            feed = refresh_feed(session, couple.id, now=NOW)
            session.commit()
            return Seeded(token, feed.etag, len(feed.body))
    finally:
        engine.dispose()


def _connections(couple_id: int) -> list[Connection]:
    rituals = sorted(CATALOGUE)
    first = NOW + timedelta(days=1, hours=6)
    return [
        Connection(
            couple_id=couple_id,
            uid=f"bench-{n}@connection-planner",
            ritual=rituals[n % len(rituals)],
            start=first + timedelta(days=n * 1.5),
            end=first + timedelta(days=n * 1.5, hours=1),
            status="cancelled" if n % 7 == 6 else "confirmed",
            sequence=n % 3,
            updated_at=NOW,
        )
        for n in range(CONNECTIONS)
    ]


def _busy(source_id: int) -> list[BusyBlock]:
    start = NOW + timedelta(days=1, hours=8)
    starts = [start + timedelta(days=n) for n in range(40)]
    return [
        BusyBlock(source_id=source_id, start=s, end=s + timedelta(hours=2), title=SECRET_TITLE)
        for s in starts
    ]
