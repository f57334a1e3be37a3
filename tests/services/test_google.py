"""Google sources and write-back against the emulator with the real client libraries,
on both database backends: full then incremental sync, 410, a crash between pages, a revoked
grant, and exactly-once write-back of confirmed connections."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from integrations.google.client import RetryPolicy, authorized_http, build_service
from integrations.google.config import CALENDAR_LIST, READ, WRITE
from integrations.google.emulator import RunningEmulator
from integrations.google.events import UID_PROPERTY
from integrations.google.oauth import Grant
from integrations.google.writeback import event_id_for
from planner.services import couples, google_sources, invites, secrets, sources, writeback
from planner.services.google_sources import GoogleSettings
from planner.services.write_back_tasks import WriteBackSettings, run_due
from planner.store.models import (
    BusyBlock,
    Connection,
    GoogleAccount,
    GoogleCalendar,
    Proposal,
    Source,
    User,
)
from tests.integrations.google.conftest import google_emulator  # noqa: F401
from tests.integrations.google.test_client_support import (
    CLIENT,
    NOW,
    USER,
    endpoints,
    register,
    timed,
)
from tests.integrations.google.test_sync_emulator import FaultOnSecondPage
from tests.transactions import watching

KEY = Fernet.generate_key().decode()
DAY = NOW + timedelta(days=2)
WEEKS = 2


@pytest.fixture
def emulator(
    google_emulator: RunningEmulator,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> RunningEmulator:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    register(google_emulator)
    return google_emulator


@pytest.fixture
def settings(emulator: RunningEmulator) -> GoogleSettings:
    policy = RetryPolicy(sleep=lambda _: None, random=lambda: 0.0)
    return GoogleSettings(
        endpoints(emulator), CLIENT.client_id, CLIENT.client_secret, (KEY,), policy, 5.0
    )


def person(session: Session, name: str) -> int:
    user = User(email=f"{name}@example.com", password_hash="x", display_name=name, zone="UTC")
    session.add(user)
    session.commit()
    return user.id


def grant(emulator: RunningEmulator, scopes: list[str]) -> Grant:
    tokens = emulator.admin.issue_tokens(USER, CLIENT.client_id, scopes)
    return Grant(
        tokens["access_token"], tokens["refresh_token"], None, frozenset(scopes), frozenset()
    )


def connected(
    session: Session, emulator: RunningEmulator, scopes: list[str] | None = None, **opts: Any
) -> tuple[int, int]:
    """Lena with her Google calendar connected: (user id, source id)."""
    lena = person(session, "lena")
    scopes = scopes or [CALENDAR_LIST, READ]
    (source_id,) = google_sources.connect_google(
        session, lena, grant(emulator, scopes), [(USER, "Lena")], keys=[KEY], now=NOW, **opts
    )
    return lena, source_id


def sync(session: Session, source_id: int, settings: GoogleSettings, days: float = 0) -> Any:
    now = NOW + timedelta(days=days)
    return sources.sync_source(session, source_id, now=now, horizon_weeks=WEEKS, google=settings)


def blocks(session: Session, source_id: int) -> list[tuple[Any, Any]]:
    query = select(BusyBlock.start, BusyBlock.end).where(BusyBlock.source_id == source_id)
    return sorted((start, end) for start, end in session.execute(query))


def test_connect_stores_the_token_encrypted_and_bound_to_the_owner(
    session: Session, emulator: RunningEmulator
) -> None:
    lena, source_id = connected(session, emulator)
    account = session.get(GoogleAccount, lena)
    assert account is not None and account.refresh_token is not None
    token = emulator.state and secrets.decrypt(account.refresh_token, lena, [KEY])
    assert token and token.encode() not in account.refresh_token
    source = session.get(Source, source_id)
    assert source is not None and source.kind == "google"
    with pytest.raises(secrets.SecretError):
        secrets.decrypt(account.refresh_token, lena + 1, [KEY])


def test_full_then_incremental_sync(
    session: Session, emulator: RunningEmulator, settings: GoogleSettings
) -> None:
    emulator.admin.add_event(USER, timed("meet01", DAY))
    emulator.admin.add_event(
        USER, timed("free01", DAY + timedelta(hours=3), transparency="transparent")
    )
    _, source_id = connected(session, emulator)
    result = sync(session, source_id, settings)
    assert result.ok and result.blocks == 1
    assert blocks(session, source_id) == [(DAY, DAY + timedelta(hours=1))]
    calendar = session.get(GoogleCalendar, source_id)
    assert calendar is not None and calendar.sync_token

    emulator.admin.add_event(USER, timed("meet02", DAY + timedelta(days=1)))
    emulator.admin.delete_event(USER, "meet01")
    emulator.admin.clear_log()
    assert sync(session, source_id, settings, days=1).ok
    listed = [e for e in emulator.admin.log() if e.path.endswith("/events")]
    assert listed and all("syncToken" in e.query for e in listed)
    start = DAY + timedelta(days=1)
    assert blocks(session, source_id) == [(start, start + timedelta(hours=1))]


def test_expired_sync_token_means_full_resync(
    session: Session, emulator: RunningEmulator, settings: GoogleSettings
) -> None:
    emulator.admin.add_event(USER, timed("meet01", DAY))
    _, source_id = connected(session, emulator)
    assert sync(session, source_id, settings).ok
    emulator.admin.expire_sync_tokens()
    emulator.admin.add_event(USER, timed("meet02", DAY + timedelta(hours=5)))
    result = sync(session, source_id, settings)
    assert result.ok and result.blocks == 2
    assert len(blocks(session, source_id)) == 2


def test_a_crash_between_pages_keeps_the_old_snapshot_and_marks_it_stale(
    session: Session,
    emulator: RunningEmulator,
    settings: GoogleSettings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for n in range(5):
        emulator.admin.add_event(USER, timed(f"meet0{n}", DAY + timedelta(hours=2 * n)))
    _, source_id = connected(session, emulator)
    assert sync(session, source_id, settings).ok
    before = blocks(session, source_id)
    token = session.get(GoogleCalendar, source_id).sync_token  # type: ignore[union-attr]

    def hooked(creds: Any, ends: Any, *, timeout: float = 5.0, http: Any = None) -> Any:
        inner = FaultOnSecondPage(authorized_http(creds, timeout), emulator, 500)
        return build_service(creds, ends, http=inner)

    monkeypatch.setattr(google_sources, "build_service", hooked)
    emulator.admin.expire_sync_tokens()  # force a full sync over several pages
    emulator.admin.add_fault("short_page", path="*/events", page_size=2, times=50)
    emulator.admin.add_event(USER, timed("meet09", DAY + timedelta(days=3)))
    result = sync(session, source_id, settings)

    assert not result.ok
    assert [e.status for e in emulator.admin.log() if e.path.endswith("/events")][-2:] == [500, 500]
    session.expire_all()
    assert blocks(session, source_id) == before
    source = session.get(Source, source_id)
    assert source is not None and source.stale_since is not None
    assert session.get(GoogleCalendar, source_id).sync_token == token  # type: ignore[union-attr]


def test_revoked_grant_asks_to_reconnect(
    session: Session, emulator: RunningEmulator, settings: GoogleSettings
) -> None:
    emulator.admin.add_event(USER, timed("meet01", DAY))
    lena, source_id = connected(session, emulator)
    assert sync(session, source_id, settings).ok
    emulator.admin.revoke_refresh_tokens(USER)
    result = sync(session, source_id, settings)
    assert not result.ok and result.message == "Google access was revoked: connect again"
    session.expire_all()
    account = session.get(GoogleAccount, lena)
    assert account is not None and account.refresh_token is None
    assert account.reconnect_needed_at is not None
    source = session.get(Source, source_id)
    assert source is not None and source.stale_since is not None
    assert len(blocks(session, source_id)) == 1  # stale, never free


def test_privacy_mode_reads_free_busy_only(
    session: Session, emulator: RunningEmulator, settings: GoogleSettings
) -> None:
    from integrations.google.config import FREEBUSY

    emulator.admin.add_event(USER, timed("meet01", DAY, summary="Therapy"))
    _, source_id = connected(session, emulator, [CALENDAR_LIST, FREEBUSY], privacy=True)
    assert sync(session, source_id, settings).ok
    titles = session.scalars(select(BusyBlock.title).where(BusyBlock.source_id == source_id))
    assert list(titles) == [None]
    assert not [e for e in emulator.admin.log() if e.path.endswith("/events")]


# --- write-back ---------------------------------------------------------------------------


def couple_with_proposal(session: Session, emulator: RunningEmulator) -> tuple[int, int, int]:
    """Lena (Google, write-back on) and Sam, paired, with one open proposal."""
    lena, _ = connected(session, emulator, [CALENDAR_LIST, READ, WRITE], write_back=True)
    account = session.get(GoogleAccount, lena)
    assert account is not None
    account.write_calendar_id = USER
    sam = person(session, "sam")
    couple_id = couples.create_couple(session, lena, NOW)
    couples.join(session, sam, couples.invite(session, lena, NOW).token, NOW)
    start = DAY + timedelta(hours=8)
    proposal = Proposal(
        couple_id=couple_id, ritual="date-night", start=start, end=start + timedelta(hours=2),
        score=1.0, reason="free", week_start=NOW,
    )  # fmt: skip
    session.add(proposal)
    session.commit()
    return lena, sam, proposal.id


def write_back(session: Session, settings: GoogleSettings) -> None:
    """What the engine's write-back job does after a change."""
    run_due(session, WriteBackSettings(google=settings), now=NOW)


def confirm(session: Session, people: tuple[int, int], prop: int, s: GoogleSettings) -> Connection:
    for user_id in people:
        invites.accept(session, user_id, prop, now=NOW, google=s)
    write_back(session, s)
    conn = session.scalars(select(Connection).where(Connection.proposal_id == prop)).one()
    return conn


def written(emulator: RunningEmulator, conn: Connection) -> list[dict[str, Any]]:
    return [
        e
        for e in emulator.admin.events(USER)
        if e["id"] == event_id_for(conn.uid) and e.get("status") != "cancelled"
    ]


def test_confirming_writes_exactly_one_event_even_when_the_answer_is_dropped(
    session: Session, emulator: RunningEmulator, settings: GoogleSettings
) -> None:
    lena, sam, prop = couple_with_proposal(session, emulator)
    emulator.admin.add_fault("drop", path="*/events", method="POST")
    conn = confirm(session, (lena, sam), prop, settings)
    assert conn.status == "confirmed"
    assert emulator.admin.faults() == []  # the dropped answer really happened
    (event,) = written(emulator, conn)
    assert event["summary"] == "Date night"
    assert event["start"]["dateTime"].startswith(conn.start.strftime("%Y-%m-%dT%H:%M"))
    assert writeback.issues(session, lena) == []

    invites.cancel(session, sam, conn.id, now=NOW, google=settings)
    write_back(session, settings)
    assert written(emulator, conn) == []


def test_an_event_deleted_by_hand_is_recorded_not_recreated(
    session: Session, emulator: RunningEmulator, settings: GoogleSettings
) -> None:
    lena, sam, prop = couple_with_proposal(session, emulator)
    conn = confirm(session, (lena, sam), prop, settings)
    emulator.admin.delete_event(USER, event_id_for(conn.uid))
    writeback.write_back(session, [conn.id], [lena, sam], settings=settings, now=NOW)
    writeback.write_back(session, [conn.id], [lena, sam], settings=settings, now=NOW)
    assert written(emulator, conn) == []
    (issue,) = writeback.issues(session, lena)
    assert issue.kind == "deleted_by_user" and "not added again" in issue.message


def test_a_failing_write_never_undoes_the_confirmation(
    session: Session, emulator: RunningEmulator, settings: GoogleSettings
) -> None:
    lena, sam, prop = couple_with_proposal(session, emulator)
    emulator.admin.fail(500, path="*/events", times=50)
    conn = confirm(session, (lena, sam), prop, settings)
    assert conn.status == "confirmed"
    (issue,) = writeback.issues(session, lena)
    assert issue.kind == "failed" and "still planned" in issue.message


def test_leaving_the_couple_removes_the_event(
    session: Session, emulator: RunningEmulator, settings: GoogleSettings
) -> None:
    lena, sam, prop = couple_with_proposal(session, emulator)
    conn = confirm(session, (lena, sam), prop, settings)
    assert len(written(emulator, conn)) == 1
    couples.leave(session, sam, NOW, google=settings)
    write_back(session, settings)
    assert written(emulator, conn) == []


# --- write-back out of transactions, and again after a kill -------------------------------


class Killed(Exception):
    """The process died here."""


def events_of(emulator: RunningEmulator, conn: Connection) -> list[dict[str, Any]]:
    """The live events in Lena's calendar carrying the connection's UID, whatever their id."""
    return [
        e
        for e in emulator.admin.events(USER)
        if e.get("extendedProperties", {}).get("private", {}).get(UID_PROPERTY) == conn.uid
        and e.get("status") != "cancelled"
    ]


def test_no_transaction_is_open_while_google_is_asked(
    session: Session, engine: Engine, emulator: RunningEmulator, settings: GoogleSettings
) -> None:
    lena, sam, prop = couple_with_proposal(session, emulator)
    emulator.admin.expire_access_tokens()  # the write-back refreshes the token first
    with watching(engine) as watch:
        emulator.server.app = watch.wsgi(emulator.server.app)
        conn = confirm(session, (lena, sam), prop, settings)
        emulator.admin.delete_event(USER, event_id_for(conn.uid))
        writeback.write_back(session, [conn.id], [lena, sam], settings=settings, now=NOW)
        invites.cancel(session, sam, conn.id, now=NOW, google=settings)
    paths = [path for _, path, _ in watch.seen]
    assert "/token" in paths and any(path.endswith("/events") for path in paths)
    assert watch.inside() == []
    (issue,) = writeback.issues(session, lena)  # and what came of it was recorded
    assert issue.kind == "deleted_by_user"


def test_a_write_back_killed_before_its_recording_runs_again_to_one_event(
    session: Session,
    emulator: RunningEmulator,
    settings: GoogleSettings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lena, sam, prop = couple_with_proposal(session, emulator)
    for user_id in (lena, sam):
        invites.accept(session, user_id, prop, now=NOW)  # confirmed, not written yet
    conn = session.scalars(select(Connection).where(Connection.proposal_id == prop)).one()

    def killed(*args: Any, **kwargs: Any) -> None:
        raise Killed

    with monkeypatch.context() as patch:
        patch.setattr(writeback, "_record_outcome", killed)
        with pytest.raises(Killed):
            writeback.write_back(session, [conn.id], [lena, sam], settings=settings, now=NOW)
    session.rollback()
    assert len(events_of(emulator, conn)) == 1  # written, nothing recorded
    for _ in range(2):
        writeback.write_back(session, [conn.id], [lena, sam], settings=settings, now=NOW)
    (event,) = events_of(emulator, conn)
    assert event["id"] == event_id_for(conn.uid)
    inserts = [e.status for e in emulator.admin.log() if e.method == "POST" and "/events" in e.path]
    assert inserts == [200, 409, 409]
    assert writeback.issues(session, lena) == []


def test_a_grant_replaced_during_the_write_back_is_not_marked_lost(
    session: Session,
    sessions: sessionmaker[Session],
    emulator: RunningEmulator,
    settings: GoogleSettings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lena, sam, prop = couple_with_proposal(session, emulator)
    for user_id in (lena, sam):
        invites.accept(session, user_id, prop, now=NOW)
    conn = session.scalars(select(Connection).where(Connection.proposal_id == prop)).one()
    emulator.admin.revoke_refresh_tokens(USER)
    fresh = secrets.encrypt("a-new-grant", lena, [KEY])
    write_partner = writeback._write_partner

    def reconnecting(*args: Any) -> Any:
        outcome = write_partner(*args)
        with sessions() as other:  # Lena connects again while the answer is on its way
            account = other.get(GoogleAccount, lena)
            assert account is not None
            account.refresh_token = fresh
            other.commit()
        return outcome

    monkeypatch.setattr(writeback, "_write_partner", reconnecting)
    writeback.write_back(session, [conn.id], [lena, sam], settings=settings, now=NOW)
    account = session.get(GoogleAccount, lena, populate_existing=True)
    assert account is not None and account.refresh_token == fresh
    assert account.reconnect_needed_at is None
    assert writeback.issues(session, lena) == []
