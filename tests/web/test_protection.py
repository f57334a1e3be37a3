"""Connections are defended: a new clash offers an alternative, and double-booking is refused."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import Flask
from icalendar import Calendar
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from planner.core.intervals import Interval
from planner.services import invites, planning
from planner.services.errors import Conflict
from planner.store.busy import replace_busy
from planner.store.connections import confirm_connection
from planner.store.db import session_factory
from planner.store.models import Connection, Couple, Proposal, Source, User
from tests.db import unguarded_postgres
from tests.web.test_proposals import (
    HORIZON,
    NOW,
    SECRET,
    add_busy,
    confirm,
    feed_body,
    make_pair,
    plan,
    post,
    proposals,
)


def clash_with(session: Session, user_id: int, conn: Connection) -> int:
    """A new meeting of the user overlapping the connection's first half hour."""
    meeting = Interval(conn.start, conn.start + timedelta(minutes=30))
    return add_busy(session, user_id, [meeting])


def connection(session: Session, connection_id: int) -> Connection:
    """The connection as stored now."""
    found = session.get(Connection, connection_id, populate_existing=True)
    session.commit()
    assert found is not None
    return found


def test_a_clash_marks_the_connection_and_offers_an_alternative(
    app: Flask, session: Session
) -> None:
    pair = make_pair(app, session)
    date_night = next(p for p in plan(pair, session) if p.ritual == "date-night")
    conn = confirm(pair, session, date_night.id)
    uid, conn_id = conn.uid, conn.id
    clash_with(session, pair.sam_id, conn)

    (report,) = planning.protect(session, pair.couple_id, now=NOW)
    assert report.status == "conflicted" and report.changed and report.alternative_id
    again = planning.protect(session, pair.couple_id, now=NOW)  # idempotent
    assert [(r.status, r.changed, r.alternative_id) for r in again] == [
        ("conflicted", False, report.alternative_id)
    ]
    alternatives = [p for p in proposals(session, pair.couple_id) if p.replaces_connection_id]
    assert [a.id for a in alternatives] == [report.alternative_id]
    alternative = alternatives[0]
    assert alternative.ritual == "date-night"
    assert alternative.end - alternative.start == date_night.end - date_night.start
    assert timedelta(0) < abs(alternative.start - conn.start) < timedelta(days=14)

    page = pair.lena.get("/week?start=2026-03-02").text
    assert "now overlaps a new commitment" in page and "Alternative" in page
    assert SECRET not in page  # Sam's meeting stays Sam's

    post(pair.lena, f"/proposals/{alternative.id}/accept")
    post(pair.sam, f"/proposals/{alternative.id}/accept")
    moved = connection(session, conn_id)
    # 0 tentative invite mail, 1 confirmation, 2 the move: one SEQUENCE with the mail
    assert (moved.uid, moved.sequence, moved.status) == (uid, 2, "confirmed")
    assert (moved.start, moved.end) == (alternative.start, alternative.end)
    body = feed_body(session, pair.couple_id)
    (event,) = Calendar.from_ical(body).walk("VEVENT")
    assert str(event["UID"]) == uid and int(event["SEQUENCE"]) == 2
    assert event.decoded("DTSTART") == alternative.start
    assert [r.status for r in planning.protect(session, pair.couple_id, now=NOW)] == ["confirmed"]


def test_a_clash_that_goes_away_restores_the_connection(app: Flask, session: Session) -> None:
    pair = make_pair(app, session)
    conn = confirm(pair, session, plan(pair, session)[0].id)
    source_id = clash_with(session, pair.lena_id, conn)
    (report,) = planning.protect(session, pair.couple_id, now=NOW)
    assert report.status == "conflicted"
    replace_busy(session, source_id, HORIZON, [])  # the meeting was cancelled
    session.commit()
    (report,) = planning.protect(session, pair.couple_id, now=NOW)
    assert (report.status, report.changed, report.alternative_id) == ("confirmed", True, None)
    assert connection(session, conn.id).status == "confirmed"
    assert not [
        p for p in proposals(session, pair.couple_id, "proposed") if p.replaces_connection_id
    ]


# --- the race: two overlapping proposals confirmed at the same moment ------------------------


def overlapping_pair(
    sessions: sessionmaker[Session], round_: int = 0
) -> tuple[int, int, list[int]]:
    """A couple and two overlapping proposals that the first partner has already accepted."""
    with sessions() as session:
        couple = Couple()
        people = [
            User(email=f"{n}{round_}@example.com", password_hash="x", display_name=n, zone="UTC")
            for n in ("ana", "bo")
        ]
        for person in people:
            person.couple = couple
        session.add_all([couple, *people])
        session.flush()
        start = NOW + timedelta(days=2)
        rows = [
            Proposal(
                couple_id=couple.id,
                ritual="date-night",
                start=start + timedelta(hours=h),
                end=start + timedelta(hours=h + 2),
                score=1.0,
                reason="test",
                week_start=NOW,
            )
            for h in (0, 1)
        ]
        session.add_all(rows)
        session.commit()
        for row in rows:
            invites.accept(session, people[0].id, row.id, now=NOW)
        return couple.id, people[1].id, [r.id for r in rows]


def race(sessions: sessionmaker[Session], user_id: int, ids: list[int]) -> list[str | Conflict]:
    """The second partner accepts both proposals at once, from two threads."""
    barrier = threading.Barrier(2, timeout=20)
    outcomes: list[str | Conflict] = []
    failures: list[BaseException] = []

    def accept(proposal_id: int) -> None:
        with sessions() as session:
            try:
                barrier.wait()
                outcomes.append(invites.accept(session, user_id, proposal_id, now=NOW))
            except Conflict as conflict:
                outcomes.append(conflict)
            except BaseException as error:
                failures.append(error)

    threads = [threading.Thread(target=accept, args=(i,)) for i in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not failures, failures
    return outcomes


def live(sessions: sessionmaker[Session], couple_id: int) -> int:
    with sessions() as session:
        query = select(Connection).where(Connection.couple_id == couple_id)
        return len([c for c in session.scalars(query) if c.status != "cancelled"])


def test_two_simultaneous_acceptances_book_exactly_one(
    backend: str, sessions: sessionmaker[Session]
) -> None:
    if backend != "postgresql":
        pytest.skip("a real concurrency test needs PostgreSQL (SQLite serialises every writer)")
    for round_ in range(3):
        couple_id, second, ids = overlapping_pair(sessions, round_)
        outcomes = race(sessions, second, ids)
        assert sorted(map(str, outcomes)) == sorted(["confirmed", invites.TAKEN]), outcomes
        assert live(sessions, couple_id) == 1


@pytest.fixture
def unguarded(backend: str, request: pytest.FixtureRequest) -> Iterator[Engine]:
    """A PostgreSQL schema with the same tables but without the exclusion constraint."""
    if backend != "postgresql":
        pytest.skip("the control race runs on PostgreSQL only, like the race itself")
    with unguarded_postgres(request.getfixturevalue("pg_admin"), "web_unguarded") as engine:
        yield engine


def test_control_without_protection_double_books(
    unguarded: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race above can fail: without the lock, the check and the constraint both land."""
    unprotected = functools.partial(confirm_connection, protect=False)
    monkeypatch.setattr(invites, "confirm_connection", unprotected)
    sessions = session_factory(unguarded)
    couple_id, second, ids = overlapping_pair(sessions)
    outcomes = race(sessions, second, ids)
    assert outcomes == ["confirmed", "confirmed"], outcomes
    assert live(sessions, couple_id) == 2


def test_protect_without_connections_reports_nothing(session: Session) -> None:
    """protect() of a couple without connections reports nothing and changes nothing."""
    couple = Couple()
    session.add(couple)
    session.commit()
    assert planning.protect(session, couple.id, now=NOW) == []
    assert session.scalar(select(Source.id)) is None
