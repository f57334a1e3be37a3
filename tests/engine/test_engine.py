"""The engine end to end on both queues: a real consumer runs the jobs in threads; the
test changes a calendar on a loopback server and never asks for a sync itself."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from planner.services import invites, planning, sources
from planner.store.models import Connection, Couple, MailMessage, Source, User
from planner.web.config import Config, fetch_settings
from tests.engine.conftest import Clock, Engine, make_engine
from tests.services.test_sources import CalendarServer, calendar

NOW = datetime(2026, 11, 30, 8, tzinfo=UTC)  # a Monday
WAIT = 60.0  # seconds a job may take on a slow machine before the test gives up


def wait_for(check: Callable[[], bool], what: str) -> None:
    """Poll ``check`` until it holds; fail, naming ``what``, after :data:`WAIT` seconds."""
    give_up = time.monotonic() + WAIT
    while not check():
        if time.monotonic() > give_up:
            pytest.fail(f"the engine did not {what} within {WAIT:g} s")
        time.sleep(0.05)


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def engine_(
    engine_config: Config, sessions: sessionmaker[Session], clock: Clock
) -> Iterator[Engine]:
    engine = make_engine(engine_config, sessions, clock)
    yield engine
    engine.stop()


def couple_with_link(session: Session, config: Config, url: str) -> tuple[int, int, int, int]:
    """Lena (Berlin, a subscribed link) and Sam (New York, an empty upload), paired; the
    ids of the couple, Lena, Sam and Lena's link."""
    pair = Couple()
    people = [
        User(email=f"{n}@example.com", password_hash="x", display_name=n, zone=z, couple=pair)
        for n, z in (("Lena", "Europe/Berlin"), ("Sam", "America/New_York"))
    ]
    session.add_all(people)
    session.commit()
    lena, sam = people[0].id, people[1].id
    link = sources.add_url(session, lena, name="work", url=url, now=NOW, horizon_weeks=1,
                           fetch=fetch_settings(config))  # fmt: skip
    sources.add_upload(session, sam, name="home", data=calendar(), now=NOW, horizon_weeks=1,
                       max_bytes=1 << 20)  # fmt: skip
    return pair.id, lena, sam, link


def confirmed(session: Session, couple_id: int, lena: int, sam: int) -> Connection:
    """Plan, and both accept the first proposal; its connection."""
    first = planning.plan(session, couple_id, now=NOW, weeks=1)[0]
    for user in (lena, sam):
        invites.accept(session, user, first.id, now=NOW)
    conn = session.scalars(select(Connection).where(Connection.proposal_id == first.id)).one()
    session.commit()
    return conn


def mails_since(session: Session, last_id: int) -> dict[int, int]:
    """How many mails each partner got after mail row ``last_id``."""
    rows = session.execute(
        select(MailMessage.user_id, func.count())
        .where(MailMessage.id > last_id)
        .group_by(MailMessage.user_id)
    )
    counts = {user_id: n for user_id, n in rows}
    session.commit()
    return counts


def test_a_clash_added_to_a_link_is_noticed_and_told_once_without_a_click(
    engine_: Engine,
    session: Session,
    server: CalendarServer,
    clock: Clock,
) -> None:
    couple_id, lena, sam, link = couple_with_link(session, engine_.config, server.url())
    conn = confirmed(session, couple_id, lena, sam)
    last_mail = session.scalar(select(func.max(MailMessage.id))) or 0
    session.commit()
    server.served.body = calendar(("Drinks", conn.start - timedelta(minutes=30), conn.end))
    server.served.etag = '"v2"'
    clock.now = NOW + timedelta(minutes=20)  # past the next sync time of every source

    engine_.start()
    engine_.jobs.tick()  # what the minutely schedule does

    def conflicted() -> bool:
        session.expire_all()
        status = session.scalar(select(Connection.status).where(Connection.id == conn.id))
        session.commit()
        return status == "conflicted"

    wait_for(conflicted, "mark the connection conflicted")
    wait_for(lambda: mails_since(session, last_mail) == {lena: 1, sam: 1}, "mail each once")
    engine_.jobs.tick()  # a second round finds nothing new to say
    time.sleep(0.5)
    assert mails_since(session, last_mail) == {lena: 1, sam: 1}
    requests = len(server.served.requests)
    assert requests >= 2  # added, then read again by the schedule
    source = session.get(Source, link)
    assert source is not None and source.next_sync_at is not None
    assert source.next_sync_at > clock.now and source.sync_claimed_until is None


def test_a_duplicate_sync_is_skipped_while_one_holds_the_source(
    engine_: Engine,
    session: Session,
    server: CalendarServer,
) -> None:
    _, _, _, link = couple_with_link(session, engine_.config, server.url())
    from planner.services import freshness

    assert freshness.claim_sync(session, link, now=NOW)
    assert engine_.jobs.run_sync(link) == "skipped"
    freshness.release_sync(session, link, now=NOW, every=timedelta(minutes=15))
    assert engine_.jobs.run_sync(link) in {"ok", "not_modified"}


def test_the_schedule_takes_each_due_source_once_and_spreads_the_next_times(
    engine_: Engine,
    session: Session,
    server: CalendarServer,
) -> None:
    from planner.services import freshness

    _, _, _, link = couple_with_link(session, engine_.config, server.url())
    every = timedelta(minutes=15)
    due = freshness.due_sources(session, now=NOW, every=every)
    assert link in due and freshness.due_sources(session, now=NOW, every=every) == []
    source = session.get(Source, link)
    assert source is not None and source.next_sync_at is not None
    assert every * 0.9 <= source.next_sync_at - NOW <= every * 1.1
