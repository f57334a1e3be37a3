"""Alembic, driven from Python: the migration scripts ship inside this package.

No ``alembic.ini`` is needed. ``upgrade(url)`` brings a database to ``head``; developers
create a revision with ``python -m planner.store.migrate revision "message"`` (autogenerate
against a database already at head, then review the script by hand).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Final

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

from planner.store.db import make_engine

MIGRATIONS: Final = Path(__file__).resolve().with_name("migrations")


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config pointing at the packaged scripts, optionally sharing ``connection``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def _engine(url: str | Engine) -> Engine:
    return url if isinstance(url, Engine) else make_engine(url)


def upgrade(url: str | Engine, revision: str = "head") -> None:
    """Migrate the database at ``url`` (or behind an engine) to ``revision`` in one transaction."""
    engine = _engine(url)
    try:
        with engine.begin() as connection:
            command.upgrade(alembic_config(connection), revision)
    finally:
        if engine is not url:
            engine.dispose()


def downgrade(url: str | Engine, revision: str) -> None:
    """Migrate the database down to ``revision`` (``"base"`` empties it)."""
    engine = _engine(url)
    try:
        with engine.begin() as connection:
            command.downgrade(alembic_config(connection), revision)
    finally:
        if engine is not url:
            engine.dispose()


def head_revision() -> str:
    """The newest revision among the migration scripts (what ``upgrade`` leads to)."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "no migration scripts found"
    return head


def current_revision(url: str | Engine) -> str | None:
    """The revision the database is at, or ``None`` for an unmigrated one."""
    engine = _engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        if engine is not url:
            engine.dispose()


def revision(url: str, message: str) -> None:
    """Autogenerate a new revision script by comparing ``url`` (at head) with the models."""
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            command.revision(alembic_config(connection), message=message, autogenerate=True)
    finally:
        engine.dispose()


def main(argv: list[str]) -> int:
    """``python -m planner.store.migrate upgrade URL`` or ``... revision URL MESSAGE``."""
    if len(argv) >= 2 and argv[0] == "upgrade":
        upgrade(argv[1], argv[2] if len(argv) > 2 else "head")
    elif len(argv) == 3 and argv[0] == "revision":
        revision(argv[1], argv[2])
    else:
        print("usage: python -m planner.store.migrate upgrade URL [REV] | revision URL MESSAGE")
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
