"""What a sync costs the database, counted in SQL statements (never in time): an unchanged
link is a handful of statements and touches no busy row, a changed one rewrites only the
rows that changed, and no transaction is open while the server is asked. Both backends."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session

from planner.services import sources
from planner.store.models import BusyBlock
from tests.services.test_sources import (  # noqa: F401 - the fixture
    DENTIST,
    LOCAL,
    NOW,
    CalendarServer,
    calendar,
    person,
    server,
    subscribe,
    sync,
)

LATER = DENTIST.start + timedelta(days=2)


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    """The SQL statements run on ``engine`` inside the block."""
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def engine_of(session: Session) -> Engine:
    bind = session.get_bind()
    assert isinstance(bind, Engine)
    return bind


def rows(session: Session, source_id: int) -> dict[int, tuple[Any, ...]]:
    query = select(BusyBlock.id, BusyBlock.start, BusyBlock.end, BusyBlock.title).where(
        BusyBlock.source_id == source_id
    )
    found = {i: (start, end, title) for i, start, end, title in session.execute(query)}
    session.commit()
    return found


def touching_busy(seen: list[str]) -> list[str]:
    return [s for s in seen if "busy_block" in s]


def test_an_unchanged_link_costs_a_handful_of_statements_and_no_busy_row(
    session: Session,
    server: CalendarServer,  # noqa: F811
) -> None:
    lena = person(session, "Lena")
    server.served.body = calendar(
        ("Dentist", *DENTIST), ("Lunch", LATER, LATER + timedelta(hours=1))
    )
    source_id = subscribe(session, lena, server.url())
    before = rows(session, source_id)
    with statements(engine_of(session)) as seen:
        result = sync(session, source_id, NOW + timedelta(hours=1))
    assert result.outcome == "not_modified" and not result.changed
    assert server.served.requests[-1].get("If-None-Match") == '"v1"'
    assert touching_busy(seen) == [] and len(seen) <= 4, seen
    assert rows(session, source_id) == before


def test_a_horizon_past_the_stored_stretch_reads_the_whole_calendar_again(
    session: Session,
    server: CalendarServer,  # noqa: F811
) -> None:
    lena = person(session, "Lena")
    source_id = subscribe(session, lena, server.url())
    result = sync(session, source_id, NOW + timedelta(days=8))
    assert "If-None-Match" not in server.served.requests[-1]  # no body kept to fall back on
    assert result.outcome == "ok" and result.blocks == 0 and not result.changed
    assert len(rows(session, source_id)) == 1  # the dentist, now in the past, stays


def test_a_changed_link_rewrites_only_the_rows_that_changed(
    session: Session,
    server: CalendarServer,  # noqa: F811
) -> None:
    lena = person(session, "Lena")
    lunch = ("Lunch", LATER, LATER + timedelta(hours=1))
    server.served.body = calendar(("Dentist", *DENTIST), lunch)
    source_id = subscribe(session, lena, server.url())
    before = rows(session, source_id)
    moved = DENTIST.start + timedelta(hours=3)
    server.served.body = calendar(("Dentist", moved, moved + timedelta(hours=1)), lunch)
    server.served.etag = '"v2"'
    with statements(engine_of(session)) as seen:
        result = sync(session, source_id)
    assert result.outcome == "ok" and result.changed
    written = [s for s in touching_busy(seen) if not s.lstrip().upper().startswith("SELECT")]
    assert [s.split()[0].upper() for s in written] == ["DELETE", "INSERT"], written
    after = rows(session, source_id)
    [lunch_id] = [i for i, row in before.items() if row[2] == "Lunch"]
    assert after[lunch_id] == before[lunch_id]  # untouched, same id
    assert sorted(r[2] for r in after.values()) == ["Dentist", "Lunch"]
    assert (moved, moved + timedelta(hours=1), "Dentist") in after.values()


def test_no_transaction_is_open_while_the_server_is_asked(
    session: Session,
    server: CalendarServer,  # noqa: F811
) -> None:
    lena = person(session, "Lena")
    source_id = subscribe(session, lena, server.url())
    server.served.etag = '"v2"'
    seen: list[bool] = []
    server.served.on_request = lambda: seen.append(session.in_transaction())
    assert sources.sync_source(session, source_id, now=NOW, horizon_weeks=4, fetch=LOCAL).ok
    assert seen == [False]
