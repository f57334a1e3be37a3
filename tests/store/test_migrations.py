"""The migrations build the schema the models describe, on both backends."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from planner.store.db import make_engine
from planner.store.migrate import current_revision, downgrade, head_revision, upgrade
from planner.store.models import NO_OVERLAP, Base
from tests.db import pg_schema


@pytest.fixture
def empty_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no tables at all on the backend under test."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    admin: Engine = request.getfixturevalue("pg_admin")
    with pg_schema(admin, "store_empty") as url:
        yield url


def table_names(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_from_empty_builds_every_table(empty_url: str) -> None:
    assert current_revision(empty_url) is None
    upgrade(empty_url)
    assert current_revision(empty_url) == head_revision() == "0008"
    assert table_names(empty_url) == set(Base.metadata.tables) | {"alembic_version"}


def test_downgrade_to_base_and_up_again(empty_url: str) -> None:
    upgrade(empty_url)
    downgrade(empty_url, "base")
    assert table_names(empty_url) == {"alembic_version"}
    upgrade(empty_url)
    assert current_revision(empty_url) == head_revision()


def test_models_and_migrated_schema_agree(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_postgresql_schema_has_the_no_overlap_exclusion(backend: str, engine: Engine) -> None:
    if backend != "postgresql":
        pytest.skip("exclusion constraints exist only on PostgreSQL")
    with engine.connect() as connection:
        definition = connection.scalar(
            text(
                "SELECT pg_get_constraintdef(c.oid) FROM pg_constraint c "
                "JOIN pg_class t ON t.oid = c.conrelid "
                "WHERE c.conname = :name AND t.relnamespace = current_schema()::regnamespace"
            ),
            {"name": NO_OVERLAP},
        )
    assert definition is not None
    assert definition.startswith('EXCLUDE USING gist (couple_id WITH =, tstzrange(start, "end"')
    assert "WITH &&" in definition and "cancelled" in definition
