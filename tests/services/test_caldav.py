"""CalDAV sources and write-back against a real Radicale, on both database backends: connect
(password encrypted and bound), choose, sync (an unchanged calendar costs one request, a
change is picked up, a failure is stale never free), and write-back on confirm, move and
cancel through the same services the web calls."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session, sessionmaker

from integrations.caldav.source import AUTH, REFUSED, SLACK
from integrations.caldav.writeback import event_url
from integrations.ics import ingest
from planner.services import caldav_account, caldav_writeback, couples, invites, secrets, sources
from planner.services.caldav_sources import CaldavSettings
from planner.services.errors import Invalid
from planner.services.write_back_tasks import WriteBackSettings, run_due
from planner.store.models import (
    BusyBlock,
    CaldavAccount,
    CaldavCalendar,
    CaldavEvent,
    Connection,
    Proposal,
    Source,
    User,
    WriteBackIssue,
)
from tests.integrations.caldav.calendars import LATER, NOW, OBJECTS, WEEKS
from tests.integrations.caldav.conftest import (  # noqa: F401 - the fixture
    NETWORK,
    PASSWORD,
    USER,
    RunningRadicale,
    radicale,
)
from tests.transactions import watching

KEY = Fernet.generate_key().decode()
SETTINGS = CaldavSettings(keys=(KEY,), network=NETWORK)


def person(session: Session, name: str) -> int:
    user = User(
        email=f"{name}@example.com", password_hash="x", display_name=name, zone="Europe/Berlin"
    )
    session.add(user)
    session.commit()
    return user.id


@pytest.fixture
def work(radicale: RunningRadicale) -> str:  # noqa: F811
    url = radicale.make_calendar("work", "Work")
    for name, data in OBJECTS.items():
        radicale.put(url, name, data)
    return url


def connect(session: Session, radicale: RunningRadicale, user_id: int, **kw: Any) -> int:  # noqa: F811
    return caldav_account.connect(
        session, user_id, server_url=radicale.url, username=USER,
        password=kw.get("password", PASSWORD), settings=kw.get("settings", SETTINGS),
    )  # fmt: skip


def connected(session: Session, radicale: RunningRadicale, work: str) -> tuple[int, int]:  # noqa: F811
    """Lena with her Work calendar counting: (user id, source id)."""
    lena = person(session, "lena")
    account_id = connect(session, radicale, lena)
    (source_id,) = caldav_account.choose(session, lena, account_id, urls=[work], write_url=None)
    return lena, source_id


def sync(session: Session, source_id: int, days: float = 0) -> sources.SyncResult:
    now = NOW + timedelta(days=days)
    return sources.sync_source(session, source_id, now=now, horizon_weeks=WEEKS, caldav=SETTINGS)


def stored(session: Session, source_id: int) -> list[tuple[Any, Any, Any]]:
    query = select(BusyBlock.start, BusyBlock.end, BusyBlock.title).where(
        BusyBlock.source_id == source_id
    )
    return sorted((start, end, title) for start, end, title in session.execute(query))


def expected(days: float = 0, slack: timedelta = SLACK) -> list[tuple[Any, Any, Any]]:
    """The busy blocks of a sync ``days`` after NOW: its horizon and the slack after it."""
    window = sources.horizon(NOW + timedelta(days=days), WEEKS)
    result = ingest(
        b"".join(OBJECTS.values()), start=window.start, end=window.end + slack,
        zone="Europe/Berlin", with_titles=True,
    )  # fmt: skip
    return sorted((b.start, b.end, b.title) for b in result.blocks or [])


def test_connect_keeps_the_app_password_encrypted_and_bound_to_the_owner(
    session: Session,
    radicale: RunningRadicale,  # noqa: F811
    work: str,
) -> None:
    lena = person(session, "lena")
    account = session.get(CaldavAccount, connect(session, radicale, lena))
    assert account is not None and PASSWORD.encode() not in account.password
    assert secrets.decrypt(account.password, lena, [KEY]) == PASSWORD
    with pytest.raises(secrets.SecretError):
        secrets.decrypt(account.password, lena + 1, [KEY])
    view = caldav_account.account_view(session, lena, account.id)
    assert [(c.name, c.url, c.writable, c.chosen) for c in view.calendars] == [
        ("Work", work, True, False)
    ]
    assert connect(session, radicale, lena) == account.id  # connecting again: same account


def test_a_wrong_password_or_a_refused_address_is_a_clear_error(
    session: Session,
    radicale: RunningRadicale,  # noqa: F811
    work: str,
) -> None:
    lena = person(session, "lena")
    with pytest.raises(Invalid) as caught:
        connect(session, radicale, lena, password="wrong")
    assert caught.value.field == "password" and "app password" in caught.value.message
    closed = CaldavSettings(keys=(KEY,))  # the default policy: loopback is refused
    with pytest.raises(Invalid) as caught:
        connect(session, radicale, lena, settings=closed)
    assert (caught.value.field, caught.value.message) == ("server_url", REFUSED)
    assert session.scalars(select(CaldavAccount)).all() == []


def test_sync_reads_busy_time_like_an_ics_file_of_the_same_events(
    session: Session,
    radicale: RunningRadicale,  # noqa: F811
    work: str,
) -> None:
    _, source_id = connected(session, radicale, work)
    result = sync(session, source_id)
    assert result.outcome == "ok" and result.blocks == len(expected())
    assert stored(session, source_id) == expected()
    calendar = session.get(CaldavCalendar, source_id)
    assert calendar is not None and calendar.ctag and calendar.expand is True


def test_an_unchanged_calendar_costs_one_request_and_a_change_is_picked_up(
    session: Session,
    radicale: RunningRadicale,  # noqa: F811
    work: str,
) -> None:
    _, source_id = connected(session, radicale, work)
    sync(session, source_id)
    before = len(radicale.requests)
    result = sync(session, source_id, days=2)
    assert radicale.requests[before:] == [("PROPFIND", "/lena/work/")]
    asked = expected(2, slack=timedelta(0))
    assert result.outcome == "not_modified" and set(asked) <= set(stored(session, source_id))
    assert asked[-1][0] == NOW + timedelta(weeks=WEEKS)  # stored by the first sync

    radicale.put(work, "later.ics", LATER)
    before = len(radicale.requests)
    result = sync(session, source_id, days=2)
    assert [m for m, _ in radicale.requests[before:]] == ["PROPFIND", "REPORT"]
    assert result.outcome == "ok" and "Concert" in [t for _, _, t in stored(session, source_id)]


def test_a_horizon_past_the_stored_window_is_read_again(
    session: Session,
    radicale: RunningRadicale,  # noqa: F811
    work: str,
) -> None:
    _, source_id = connected(session, radicale, work)
    sync(session, source_id)
    before = len(radicale.requests)
    assert sync(session, source_id, days=8).outcome == "ok"
    assert radicale.count("REPORT") == 2 and len(radicale.requests) - before == 2


def test_a_refused_expansion_is_remembered(
    session: Session,
    radicale: RunningRadicale,  # noqa: F811
    work: str,
) -> None:
    _, source_id = connected(session, radicale, work)
    radicale.refuse_expand = True
    sync(session, source_id)
    assert session.get(CaldavCalendar, source_id).expand is False  # type: ignore[union-attr]
    radicale.put(work, "later.ics", LATER)
    before = radicale.count("REPORT")
    sync(session, source_id)
    assert radicale.count("REPORT") == before + 1  # asked without expansion straight away
    assert stored(session, source_id)[-1][2] is not None


def test_a_failing_calendar_is_stale_never_free(
    session: Session,
    radicale: RunningRadicale,  # noqa: F811
    work: str,
) -> None:
    lena, source_id = connected(session, radicale, work)
    sync(session, source_id)
    before = stored(session, source_id)
    account = session.scalars(select(CaldavAccount)).one()
    account.password = secrets.encrypt("revoked", lena, [KEY])
    session.commit()
    result = sync(session, source_id, days=1)
    assert (result.outcome, result.message) == ("failed", AUTH)
    source = session.get(Source, source_id)
    assert source is not None and source.stale_since is not None
    assert stored(session, source_id) == before and before


def test_issue_empty_caldav_calendar_syncs(
    session: Session,
    radicale: RunningRadicale,  # noqa: F811
) -> None:
    """A calendar with nothing in the window used to answer b"" and the sync failed with
    "file is empty" (the source turned stale); it is simply free time."""
    empty = radicale.make_calendar("empty", "Empty")
    lena = person(session, "lena")
    account_id = connect(session, radicale, lena)
    (source_id,) = caldav_account.choose(session, lena, account_id, urls=[empty], write_url=None)
    result = sync(session, source_id)
    assert (result.outcome, result.blocks) == ("ok", 0), result.message
    source = session.get(Source, source_id)
    assert source is not None and source.stale_since is None and source.last_error is None
    before = len(radicale.requests)
    assert sync(session, source_id, days=1).outcome == "not_modified"
    assert radicale.requests[before:] == [("PROPFIND", "/lena/empty/")]


def test_a_calendar_emptied_since_the_last_sync_clears_its_busy_time(
    session: Session,
    radicale: RunningRadicale,  # noqa: F811
    work: str,
) -> None:
    _, source_id = connected(session, radicale, work)
    assert sync(session, source_id).blocks and stored(session, source_id)
    for name in OBJECTS:
        radicale.delete(f"{work}{name}")
    result = sync(session, source_id)
    assert (result.outcome, result.blocks) == ("ok", 0), result.message
    assert stored(session, source_id) == []


def test_choosing_again_removes_calendars_no_longer_chosen(
    session: Session,
    radicale: RunningRadicale,  # noqa: F811
    work: str,
) -> None:
    home = radicale.make_calendar("home", "Home")
    lena = person(session, "lena")
    account_id = connect(session, radicale, lena)
    ids = caldav_account.choose(session, lena, account_id, urls=[work, home], write_url=home)
    assert len(ids) == 2
    assert caldav_account.choose(session, lena, account_id, urls=[home], write_url=home) == []
    assert [s.name for s in session.scalars(select(Source))] == ["Home"]
    with pytest.raises(Invalid):
        caldav_account.choose(session, lena, account_id, urls=["http://evil/"], write_url=None)


# --- write-back ---------------------------------------------------------------------------


def couple_with_proposal(
    session: Session,
    radicale: RunningRadicale,  # noqa: F811
    work: str,
) -> tuple[int, int, int]:
    """Lena (CalDAV, writing to Work) and Sam, paired, with one open proposal."""
    lena = person(session, "lena")
    account_id = connect(session, radicale, lena)
    caldav_account.choose(session, lena, account_id, urls=[], write_url=work)
    sam = person(session, "sam")
    couple_id = couples.create_couple(session, lena, NOW)
    couples.join(session, sam, couples.invite(session, lena, NOW).token, NOW)
    return lena, sam, proposal(session, couple_id, NOW + timedelta(days=3))


def proposal(session: Session, couple_id: int, start: Any, replaces: int | None = None) -> int:
    prop = Proposal(
        couple_id=couple_id, ritual="date-night", start=start, end=start + timedelta(hours=2),
        score=1.0, reason="free", week_start=NOW, replaces_connection_id=replaces,
    )  # fmt: skip
    session.add(prop)
    session.commit()
    return prop.id


def write_back(session: Session) -> None:
    """What the engine's write-back job does after a change."""
    run_due(session, WriteBackSettings(caldav=SETTINGS), now=NOW)


def accept_both(session: Session, people: tuple[int, int], prop: int) -> Connection:
    for user_id in people:
        invites.accept(session, user_id, prop, now=NOW, caldav=SETTINGS)
    write_back(session)
    query = select(Connection).where(Connection.proposal_id == prop)
    return session.scalars(query.execution_options(populate_existing=True)).one()


def event_of(session: Session, radicale: RunningRadicale, conn: Connection) -> bytes | None:  # noqa: F811
    row = session.scalars(select(CaldavEvent).where(CaldavEvent.connection_uid == conn.uid)).one()
    status, body = radicale.get(row.url)
    return body if status == 200 else None


def test_confirm_move_and_cancel_are_written_to_the_chosen_calendar(
    session: Session,
    radicale: RunningRadicale,  # noqa: F811
    work: str,
) -> None:
    lena, sam, prop = couple_with_proposal(session, radicale, work)
    conn = accept_both(session, (lena, sam), prop)
    body = event_of(session, radicale, conn)
    assert body is not None and f"UID:{conn.uid}".encode() in body and b"SEQUENCE:0" in body
    assert b"ATTENDEE" not in body and b"ORGANIZER" not in body

    moved = proposal(session, conn.couple_id, NOW + timedelta(days=4), replaces=conn.id)
    conn = accept_both(session, (lena, sam), moved)
    body = event_of(session, radicale, conn)
    assert body is not None and b"SEQUENCE:1" in body
    assert conn.start.strftime("%Y%m%dT%H%M%SZ").encode() in body

    invites.cancel(session, sam, conn.id, now=NOW, caldav=SETTINGS)
    write_back(session)
    assert session.scalars(select(CaldavEvent)).all() == []
    assert [p for m, p in radicale.requests if m == "DELETE"]
    assert session.scalars(select(WriteBackIssue)).all() == []


def test_an_event_deleted_by_hand_is_noted_and_not_put_back(
    session: Session,
    radicale: RunningRadicale,  # noqa: F811
    work: str,
) -> None:
    lena, sam, prop = couple_with_proposal(session, radicale, work)
    conn = accept_both(session, (lena, sam), prop)
    row = session.scalars(select(CaldavEvent)).one()
    radicale.delete(row.url)
    moved = proposal(session, conn.couple_id, NOW + timedelta(days=4), replaces=conn.id)
    accept_both(session, (lena, sam), moved)
    assert radicale.get(row.url)[0] == 404
    (issue,) = caldav_account.account_view(session, lena, row.account_id).issues
    assert issue.kind == "caldav_deleted" and "not added again" in issue.message


def test_a_failing_write_never_undoes_the_confirmation(
    session: Session,
    radicale: RunningRadicale,  # noqa: F811
    work: str,
) -> None:
    lena, sam, prop = couple_with_proposal(session, radicale, work)
    account = session.scalars(select(CaldavAccount)).one()
    account.password = secrets.encrypt("revoked", lena, [KEY])
    session.commit()
    conn = accept_both(session, (lena, sam), prop)
    assert conn.status == "confirmed"
    (issue,) = session.scalars(select(WriteBackIssue)).all()
    assert issue.kind == "caldav_failed" and "app password" in issue.message


def test_leaving_the_couple_removes_the_event(
    session: Session,
    radicale: RunningRadicale,  # noqa: F811
    work: str,
) -> None:
    lena, sam, prop = couple_with_proposal(session, radicale, work)
    conn = accept_both(session, (lena, sam), prop)
    url = session.scalars(select(CaldavEvent)).one().url
    couples.leave(session, sam, NOW, caldav=SETTINGS)
    write_back(session)
    assert radicale.get(url)[0] == 404 and conn.uid


def test_rotating_keys_re_encrypts_caldav_passwords(
    session: Session,
    radicale: RunningRadicale,  # noqa: F811
    work: str,
) -> None:
    lena = person(session, "lena")
    connect(session, radicale, lena)
    new = Fernet.generate_key().decode()
    assert secrets.rotate(session, [new, KEY]) == 1
    account = session.scalars(select(CaldavAccount)).one()
    assert secrets.decrypt(account.password, lena, [new]) == PASSWORD


# --- write-back out of transactions, and again after a kill -------------------------------


class Killed(Exception):
    """The process died here."""


def killed(*args: Any, **kwargs: Any) -> None:
    raise Killed


def objects_with(radicale: RunningRadicale, calendar: str, uid: str) -> list[str]:  # noqa: F811
    """The paths of the calendar's objects holding the event with ``uid``."""
    status, _, body = radicale.request("PROPFIND", calendar, Depth="1")
    assert status == 207, status
    hrefs = [h for h in re.findall(r"<[^>]*href>([^<]+)</", body.decode()) if h.endswith(".ics")]
    origin = radicale.url.rstrip("/")
    return [h for h in hrefs if f"UID:{uid}".encode() in radicale.get(origin + h)[1]]


def test_no_transaction_is_open_while_the_calendar_is_asked(
    session: Session,
    engine: Engine,
    radicale: RunningRadicale,  # noqa: F811
    work: str,
) -> None:
    lena, sam, prop = couple_with_proposal(session, radicale, work)
    with watching(engine) as watch:
        radicale.on_request = watch.note
        conn = accept_both(session, (lena, sam), prop)
        moved = proposal(session, conn.couple_id, NOW + timedelta(days=4), replaces=conn.id)
        conn = accept_both(session, (lena, sam), moved)
        invites.cancel(session, sam, conn.id, now=NOW, caldav=SETTINGS)
        write_back(session)
    assert {"PUT", "DELETE"} <= {method for method, _, _ in watch.seen}
    assert watch.inside() == []
    assert session.scalars(select(CaldavEvent)).all() == []  # and what came of it was recorded


def test_a_write_back_killed_before_its_recording_runs_again_to_one_event(
    session: Session,
    radicale: RunningRadicale,  # noqa: F811
    work: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lena, sam, prop = couple_with_proposal(session, radicale, work)
    conn = accept_both_unwritten(session, (lena, sam), prop)
    with monkeypatch.context() as patch:
        patch.setattr(caldav_writeback, "_record_outcome", killed)
        with pytest.raises(Killed):
            caldav_writeback.write_back(session, [conn.id], [lena, sam], settings=SETTINGS, now=NOW)
    session.rollback()
    assert session.scalars(select(CaldavEvent)).all() == []  # written, nothing recorded
    assert len(objects_with(radicale, work, conn.uid)) == 1

    for _ in range(2):
        caldav_writeback.write_back(session, [conn.id], [lena, sam], settings=SETTINGS, now=NOW)
    (path,) = objects_with(radicale, work, conn.uid)
    row = session.scalars(select(CaldavEvent)).one()
    assert row.url == event_url(work, conn.uid) and row.url.endswith(path)
    assert row.etag == radicale.request("GET", row.url)[1]["etag"]
    assert session.scalars(select(WriteBackIssue)).all() == []


def test_a_cancellation_killed_before_its_recording_is_finished_by_the_next_run(
    session: Session,
    radicale: RunningRadicale,  # noqa: F811
    work: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lena, sam, prop = couple_with_proposal(session, radicale, work)
    conn = accept_both(session, (lena, sam), prop)
    invites.cancel(session, sam, conn.id, now=NOW)  # cancelled, not yet taken out
    with monkeypatch.context() as patch:
        patch.setattr(caldav_writeback, "_record_outcome", killed)
        with pytest.raises(Killed):
            caldav_writeback.write_back(session, [conn.id], [lena, sam], settings=SETTINGS, now=NOW)
    session.rollback()
    assert objects_with(radicale, work, conn.uid) == []
    assert len(session.scalars(select(CaldavEvent)).all()) == 1  # deleted, not recorded

    caldav_writeback.write_back(session, [conn.id], [lena, sam], settings=SETTINGS, now=NOW)
    assert session.scalars(select(CaldavEvent)).all() == []
    assert session.scalars(select(WriteBackIssue)).all() == []


def accept_both_unwritten(session: Session, people: tuple[int, int], prop: int) -> Connection:
    """Both accept with write-back off: the connection is confirmed, nothing written."""
    for user_id in people:
        invites.accept(session, user_id, prop, now=NOW)
    return session.scalars(select(Connection).where(Connection.proposal_id == prop)).one()


def test_an_account_removed_during_the_write_back_is_left_alone(
    session: Session,
    sessions: sessionmaker[Session],
    radicale: RunningRadicale,  # noqa: F811
    work: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lena, sam, prop = couple_with_proposal(session, radicale, work)
    conn = accept_both_unwritten(session, (lena, sam), prop)
    write_account = caldav_writeback._write_account

    def removing(*args: Any) -> Any:
        results = write_account(*args)
        with sessions() as other:  # Lena removes the account while the answer is on its way
            other.execute(delete(CaldavAccount))
            other.commit()
        return results

    monkeypatch.setattr(caldav_writeback, "_write_account", removing)
    caldav_writeback.write_back(session, [conn.id], [lena, sam], settings=SETTINGS, now=NOW)
    assert session.scalars(select(CaldavEvent)).all() == []
    assert session.scalars(select(WriteBackIssue)).all() == []
