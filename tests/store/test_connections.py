"""A couple's live connections never overlap, even when two requests confirm at once."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session, sessionmaker

from planner.core.intervals import Interval
from planner.store import connections
from planner.store.connections import confirm_connection, connections_of_couple
from planner.store.db import session_factory
from planner.store.errors import ConnectionInfo, NotFound, SlotTaken
from planner.store.migrate import upgrade
from planner.store.models import NO_OVERLAP, Connection
from tests.db import at, unguarded_postgres
from tests.store.conftest import add_couple

EVENING = Interval(at(13, 19), at(13, 21))
OVERLAPPING = Interval(at(13, 20), at(13, 22))
Outcome = ConnectionInfo | SlotTaken


def book(session: Session, couple_id: int, slot: Interval, protect: bool = True) -> ConnectionInfo:
    booked = confirm_connection(
        session, couple_id=couple_id, ritual="date_night", slot=slot, protect=protect
    )
    session.commit()
    return booked


def test_overlap_refused_with_the_clashing_connection(session: Session) -> None:
    couple, _ = add_couple(session, "ana", "bo")
    first = book(session, couple.id, EVENING)
    assert first.uid.endswith("@connection-planner") and first.sequence == 0
    with pytest.raises(SlotTaken) as caught:
        book(session, couple.id, OVERLAPPING)
    assert caught.value.clash == first
    assert caught.value.slot == OVERLAPPING
    session.rollback()
    assert connections_of_couple(session, couple.id, Interval(at(13, 0), at(14, 0))) == [first]


def test_touching_slots_cancelled_ones_and_other_couples_do_not_clash(session: Session) -> None:
    couple, _ = add_couple(session, "ana", "bo")
    other, _ = add_couple(session, "cy", "di")
    first = book(session, couple.id, EVENING)
    book(session, couple.id, Interval(EVENING.end, at(13, 22)))  # half-open: touching is fine
    book(session, other.id, OVERLAPPING)
    row = session.get(Connection, first.id)
    assert row is not None
    row.status = "cancelled"
    session.commit()
    book(session, couple.id, Interval(at(13, 18), at(13, 20)))


def test_unknown_couple_is_not_found(session: Session) -> None:
    with pytest.raises(NotFound, match="couple"):
        book(session, 404, EVENING)


def test_postgresql_constraint_alone_refuses_an_unprotected_overlap(
    backend: str, session: Session
) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite has no exclusion constraint; confirm_connection's lock guards it")
    couple, _ = add_couple(session, "ana", "bo")
    first = book(session, couple.id, EVENING)
    with pytest.raises(SlotTaken) as caught:
        book(session, couple.id, OVERLAPPING, protect=False)
    assert caught.value.clash == first
    assert NO_OVERLAP in str(caught.value.__cause__)


# --- concurrency --------------------------------------------------------------------------


def race(sessions: sessionmaker[Session], couple_id: int, protect: bool) -> list[Outcome]:
    """Two threads, each with its own connection, confirm overlapping slots at one moment."""
    barrier = threading.Barrier(2, timeout=20)
    outcomes: list[Outcome] = []
    failures: list[BaseException] = []

    def confirm(slot: Interval) -> None:
        with sessions() as session:
            try:
                barrier.wait()
                outcomes.append(book(session, couple_id, slot, protect))
            except SlotTaken as taken:
                outcomes.append(taken)
            except BaseException as error:
                failures.append(error)

    threads = [threading.Thread(target=confirm, args=(s,)) for s in (EVENING, OVERLAPPING)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not failures, failures
    return outcomes


def booked(outcomes: list[Outcome]) -> list[ConnectionInfo]:
    return [o for o in outcomes if isinstance(o, ConnectionInfo)]


def live_rows(sessions: sessionmaker[Session], couple_id: int) -> int:
    with sessions() as session:
        return len(connections_of_couple(session, couple_id, Interval(at(1, 0), at(30, 0))))


def widen_the_race(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hold each confirmation between its check and its insert, so unguarded ones interleave."""
    real = connections._first_clash

    def slow(session: Session, couple_id: int, slot: Interval) -> ConnectionInfo | None:
        found = real(session, couple_id, slot)
        time.sleep(0.3)
        return found

    monkeypatch.setattr(connections, "_first_clash", slow)


@pytest.mark.parametrize("widened", [False, True], ids=["plain", "widened"])
def test_two_simultaneous_confirmations_book_exactly_one(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch, widened: bool
) -> None:
    if widened:
        widen_the_race(monkeypatch)
    rounds = 2 if widened else 5
    for _ in range(rounds):
        with sessions() as session:
            couple, _ = add_couple(session)
        outcomes = race(sessions, couple.id, protect=True)
        assert len(booked(outcomes)) == 1, outcomes
        (taken,) = [o for o in outcomes if isinstance(o, SlotTaken)]
        assert taken.clash == booked(outcomes)[0]
        assert live_rows(sessions, couple.id) == 1


@pytest.fixture
def unguarded(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A database with the same tables but neither the exclusion constraint nor the SQLite
    ``BEGIN IMMEDIATE`` hook: what confirm_connection would face without its protection."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'unguarded.db'}"
        upgrade(url)
        plain = create_engine(url, connect_args={"timeout": 15})  # pysqlite's deferred BEGIN
        yield plain
        plain.dispose()
        return
    with unguarded_postgres(request.getfixturevalue("pg_admin"), "store_unguarded") as engine:
        yield engine


@pytest.mark.parametrize("protect", [False, True], ids=["no-check", "check-without-lock"])
def test_control_without_protection_double_books(
    unguarded: Engine, monkeypatch: pytest.MonkeyPatch, protect: bool
) -> None:
    """The race above can fail: without the lock (and constraint) both confirmations land."""
    no_lock: Callable[[Session, int], None] = lambda _session, _couple_id: None  # noqa: E731
    monkeypatch.setattr(connections, "_lock_couple", no_lock)
    widen_the_race(monkeypatch)
    sessions = session_factory(unguarded)
    with sessions() as session:
        couple, _ = add_couple(session)
    outcomes = race(sessions, couple.id, protect=protect)
    assert len(booked(outcomes)) == 2, outcomes  # double-booked
    assert live_rows(sessions, couple.id) == 2
