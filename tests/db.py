"""Databases for tests, over two backends: SQLite (a temp file, always) and PostgreSQL (when
it answers at 127.0.0.1:5432; otherwise its tests skip and say why).

PostgreSQL tests never touch ``public``: each test session migrates a schema of its own
and drops it at the end; tests that need an empty or altered schema make another throwaway
one with :func:`pg_schema`. Between tests the tables are truncated.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from planner.store.db import make_engine, session_factory
from planner.store.migrate import upgrade
from planner.store.models import Base

PG_URL = os.environ.get(
    "PLANNER_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
BACKENDS = ["sqlite", "postgresql"]


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """An aware UTC instant in March 2026 (short to write in tests)."""
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


@pytest.fixture(scope="session")
def pg_admin() -> Iterator[Engine]:
    """An engine on the shared PostgreSQL database, or a skip that says why there is none."""
    engine = make_engine(PG_URL, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:  # any failure to connect means "not available here"
        engine.dispose()
        reason = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
        where = f"{engine.url.host}:{engine.url.port}"
        pytest.skip(f"PostgreSQL not reachable at {where}: {reason}")
    with engine.begin() as connection:
        had_gist = connection.scalar(
            text("SELECT count(*) FROM pg_extension WHERE extname = 'btree_gist'")
        )
        # In public, not in a throwaway schema: dropping that schema must not take it along.
        connection.execute(text("CREATE EXTENSION IF NOT EXISTS btree_gist WITH SCHEMA public"))
    yield engine
    if not had_gist:
        _drop_extension_if_unused(engine)
    engine.dispose()


def _drop_extension_if_unused(engine: Engine) -> None:
    """Leave the shared database as found; keep the extension if anything else now uses it."""
    try:
        with engine.begin() as connection:
            connection.execute(text("DROP EXTENSION IF EXISTS btree_gist"))  # RESTRICT
    except Exception:
        pass


@contextmanager
def pg_schema(admin: Engine, prefix: str = "store") -> Iterator[str]:
    """A fresh empty schema; yields a URL whose search_path is that schema, drops it after."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {name}"))
    try:
        url = make_url(PG_URL).update_query_dict({"options": f"-csearch_path={name}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {name} CASCADE"))


@pytest.fixture(scope="session")
def pg_url(pg_admin: Engine) -> Iterator[str]:
    """A migrated schema shared by this test session's PostgreSQL tests."""
    with pg_schema(pg_admin) as url:
        upgrade(url)
        yield url


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The name of the backend under test."""
    return str(request.param)


@pytest.fixture
def db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database on the backend under test."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'store.db'}"
        upgrade(url)
        yield url
        return
    url = str(request.getfixturevalue("pg_url"))  # skips here when PostgreSQL is away
    yield url
    _truncate(url)


def _truncate(url: str) -> None:
    engine = make_engine(url)
    try:
        tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
        with engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    finally:
        engine.dispose()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on the database under test."""
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    """The session factory the application would use."""
    return session_factory(engine)


@pytest.fixture
def session(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """One session; rolled back and closed after the test."""
    with sessions() as session:
        yield session
        session.rollback()


@contextmanager
def unguarded_postgres(admin: Engine, prefix: str) -> Iterator[Engine]:
    """A migrated PostgreSQL schema without the no-overlap exclusion constraint, for the
    control runs that show the race tests can fail."""
    from planner.store.models import NO_OVERLAP

    with pg_schema(admin, prefix) as url:
        upgrade(url)
        engine = make_engine(url)
        with engine.begin() as connection:
            connection.execute(text(f"ALTER TABLE connection DROP CONSTRAINT {NO_OVERLAP}"))
        yield engine
        engine.dispose()
