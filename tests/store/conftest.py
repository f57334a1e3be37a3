"""Store fixtures: engines and sessions on the backends of :mod:`tests.db`, and builders."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from planner.store.db import make_engine, session_factory
from planner.store.models import Couple, Source, User


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


def add_couple(session: Session, *names: str) -> tuple[Couple, list[User]]:
    """A committed couple with partners named ``names`` (emails ``name@example.com``)."""
    couple = Couple()
    partners = [
        User(
            email=f"{name}@example.com",
            password_hash="x",
            display_name=name,
            zone="Europe/Berlin",
            couple=couple,
        )
        for name in names
    ]
    session.add_all([couple, *partners])
    session.commit()
    return couple, partners


def add_source(session: Session, user: User, name: str = "work", counts: bool = True) -> Source:
    """A committed uploaded-calendar source of ``user``."""
    source = Source(user_id=user.id, kind="upload", name=name, counts_as_busy=counts)
    session.add(source)
    session.commit()
    return source
