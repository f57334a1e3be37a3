"""One database session per request, opened on first use and closed at teardown."""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from planner.store import make_engine, session_factory

_KEY = "planner.sessions"


def init_db(app: Flask, url: str) -> Engine:
    """Create the app's engine and session factory; sessions are closed after each request."""
    engine = make_engine(url)
    app.extensions[_KEY] = session_factory(engine)
    app.extensions["planner.engine"] = engine
    app.teardown_appcontext(_close)
    return engine


def sessions_of(app: Flask) -> sessionmaker[Session]:
    """``app``'s session factory."""
    factory: sessionmaker[Session] = app.extensions[_KEY]
    return factory


def sessions() -> sessionmaker[Session]:
    """The current app's session factory (for work outside a request, such as the CLI)."""
    factory: sessionmaker[Session] = current_app.extensions[_KEY]
    return factory


def db() -> Session:
    """The request's session; uncommitted work is rolled back when the request ends."""
    if "db" not in g:
        g.db = sessions()()
    session: Session = g.db
    return session


def _close(_error: BaseException | None) -> None:
    session: Session | None = g.pop("db", None)
    if session is not None:
        session.rollback()
        session.close()
