"""Calendar sources: uploads, subscribed links against a real loopback server, sync state,
stale sources that still count as busy, and privacy of titles. Runs on both backends."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import ip_network
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from integrations.ics.fetch import REFUSED_MESSAGE, AddressPolicy
from planner.core.intervals import Interval
from planner.services import calendars, sources
from planner.services.errors import Invalid, NotFound
from planner.store.models import BusyBlock, Connection, Couple, Source, User

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
NOW = datetime(2026, 11, 30, 8, tzinfo=UTC)  # a Monday
DENTIST = Interval(datetime(2026, 12, 1, 10, tzinfo=UTC), datetime(2026, 12, 1, 11, tzinfo=UTC))
LOCAL = sources.FetchSettings(policy=AddressPolicy(allow=(ip_network("127.0.0.0/8"),)))
WEEKS = 4


def calendar(*events: tuple[str, datetime, datetime]) -> bytes:
    """An iCalendar file with one VEVENT per (title, start, end), UTC times."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//sources//EN"]
    for n, (title, start, end) in enumerate(events):
        lines += ["BEGIN:VEVENT", f"UID:event-{n}@test", "DTSTAMP:20261101T000000Z",
                  f"DTSTART:{start:%Y%m%dT%H%M%SZ}", f"DTEND:{end:%Y%m%dT%H%M%SZ}",
                  f"SUMMARY:{title}", "END:VEVENT"]  # fmt: skip
    return ("\r\n".join([*lines, "END:VCALENDAR"]) + "\r\n").encode()


DENTIST_ICS = calendar(("Dentist", DENTIST.start, DENTIST.end))


@dataclass
class Served:
    """What the loopback calendar server answers, and what it was asked."""

    body: bytes = DENTIST_ICS
    etag: str = '"v1"'
    status: int = 200
    requests: list[dict[str, str]] = field(default_factory=list)
    on_request: Callable[[], object] | None = None


class CalendarServer(ThreadingHTTPServer):
    """A real HTTP server on 127.0.0.1 serving one calendar with an ETag."""

    daemon_threads = True
    block_on_close = False

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.served = Served()

    def url(self, path: str = "/calendar.ics", scheme: str = "http") -> str:
        return f"{scheme}://127.0.0.1:{self.server_address[1]}{path}"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: CalendarServer

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        served = self.server.served
        served.requests.append(dict(self.headers.items()))
        if served.on_request is not None:
            served.on_request()
        if served.status != 200:
            return self._reply(served.status, b"no calendar here")
        if self.headers.get("If-None-Match") == served.etag:
            return self._reply(304, b"", ETag=served.etag)
        return self._reply(200, served.body, ETag=served.etag, **{"Content-Type": "text/calendar"})

    def _reply(self, status: int, body: bytes, **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def server() -> Iterator[CalendarServer]:
    """The loopback calendar server, shut down after the test."""
    server = CalendarServer()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def person(session: Session, name: str, zone: str = "Europe/Berlin", couple: Couple | None = None
           ) -> int:  # fmt: skip
    user = User(email=f"{name}@example.com", password_hash="x", display_name=name, zone=zone,
                couple=couple)  # fmt: skip
    session.add(user)
    session.commit()
    return user.id


def couple(session: Session) -> tuple[int, int]:
    """Lena and Sam, paired."""
    pair = Couple()
    session.add(pair)
    return person(session, "Lena", couple=pair), person(session, "Sam", "America/New_York", pair)


def upload(session: Session, user_id: int, data: bytes, **kwargs: object) -> int:
    options: dict[str, object] = {"now": NOW, "horizon_weeks": WEEKS, "max_bytes": 1 << 20}
    return sources.add_upload(session, user_id, name="Mine", data=data, **{**options, **kwargs})  # type: ignore[arg-type]


def subscribe(session: Session, user_id: int, url: str, fetch: sources.FetchSettings = LOCAL
              ) -> int:  # fmt: skip
    return sources.add_url(session, user_id, name="", url=url, now=NOW, horizon_weeks=WEEKS,
                           fetch=fetch)  # fmt: skip


def sync(session: Session, source_id: int, at: datetime = NOW) -> sources.SyncResult:
    return sources.sync_source(session, source_id, now=at, horizon_weeks=WEEKS, fetch=LOCAL)


WEEK = Interval(NOW, NOW + timedelta(days=7))


# --- uploads ---------------------------------------------------------------------------------


def test_an_example_upload_keeps_its_bytes_and_its_busy_time(session: Session) -> None:
    lena = person(session, "Lena")
    data = (EXAMPLES / "lena-berlin.ics").read_bytes()
    source_id = upload(session, lena, data)
    source = session.get(Source, source_id)
    assert source is not None and source.raw == data and source.kind == "upload"
    [view] = calendars.sources_of(session, lena)
    assert view.last_success_at == NOW and view.stale_since is None and view.blocks > 10
    titles = {title for _, title in calendars.own_blocks(session, lena, WEEK)}
    assert "Team stand-up" in titles


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "That file is empty"),
        (b"hello, this is not a calendar", "That calendar cannot be read: not an iCalendar"),
        (b"BEGIN:VCALENDAR\r\n" + b"X" * 3000, "That file is larger than 2 KB"),
    ],
    ids=["empty", "not-ics", "oversize"],
)
def test_a_bad_upload_names_the_file_and_stores_nothing(
    session: Session, data: bytes, message: str
) -> None:
    lena = person(session, "Lena")
    with pytest.raises(Invalid) as caught:
        upload(session, lena, data, max_bytes=2048)
    assert caught.value.field == "file" and message in caught.value.message
    assert calendars.sources_of(session, lena) == []


def test_syncing_an_upload_reads_its_bytes_over_the_moved_horizon(session: Session) -> None:
    lena = person(session, "Lena")
    later = DENTIST.start + timedelta(weeks=6)
    data = calendar(("Dentist", *DENTIST), ("Checkup", later, later + timedelta(hours=1)))
    source_id = upload(session, lena, data)
    far = Interval(later - timedelta(days=1), later + timedelta(days=1))
    assert calendars.own_blocks(session, lena, far) == []  # beyond the first horizon
    result = sync(session, source_id, NOW + timedelta(weeks=3))
    assert result.outcome == "ok" and result.ok
    assert [title for _, title in calendars.own_blocks(session, lena, far)] == ["Checkup"]


def test_skipped_events_are_summarised(session: Session) -> None:
    lena = person(session, "Lena")
    bad = DENTIST_ICS.replace(b"END:VCALENDAR", b"BEGIN:VEVENT\r\nUID:bad@test\r\n"
                              b"DTSTART:20261202T100000Z\r\nDTEND:20261202T110000Z\r\n"
                              b"RRULE:FREQ=DAILY;INTERVAL=0\r\nSUMMARY:Broken\r\nEND:VEVENT\r\n"
                              b"END:VCALENDAR")  # fmt: skip
    source_id = upload(session, lena, bad)
    result = sync(session, source_id)
    assert result.skipped == 1 and result.skipped_reasons
    assert "1 events skipped" in result.message and result.blocks == 1


# --- subscribed links ------------------------------------------------------------------------


def test_a_link_is_fetched_at_once_and_a_second_sync_is_not_modified(
    session: Session, server: CalendarServer
) -> None:
    lena = person(session, "Lena")
    source_id = subscribe(session, lena, server.url())
    [view] = calendars.sources_of(session, lena)
    assert view.name == "127.0.0.1" and view.blocks == 1 and view.url == server.url()
    result = sync(session, source_id, NOW + timedelta(hours=1))
    assert result.outcome == "not_modified" and result.ok
    assert server.served.requests[-1].get("If-None-Match") == '"v1"'
    [view] = calendars.sources_of(session, lena)
    assert view.last_success_at == NOW + timedelta(hours=1) and view.blocks == 1


def test_a_changed_calendar_replaces_the_blocks(session: Session, server: CalendarServer) -> None:
    lena = person(session, "Lena")
    source_id = subscribe(session, lena, server.url())
    moved = DENTIST.start + timedelta(days=1)
    server.served.body = calendar(("Dentist (moved)", moved, moved + timedelta(hours=1)))
    server.served.etag = '"v2"'
    assert sync(session, source_id).outcome == "ok"
    assert calendars.own_blocks(session, lena, WEEK) == [
        (Interval(moved, moved + timedelta(hours=1)), "Dentist (moved)")
    ]


def test_webcal_is_accepted_as_https(session: Session, server: CalendarServer) -> None:
    lena = person(session, "Lena")
    with pytest.raises(Invalid) as caught:  # the loopback server speaks plain http
        subscribe(session, lena, server.url(scheme="webcal"))
    assert caught.value.message != REFUSED_MESSAGE and "secure connection" in caught.value.message


@pytest.mark.parametrize(
    "url", ["http://10.0.0.1/cal.ics", "http://127.1/cal.ics", "ftp://example.com/cal.ics",
            "http://user:pw@example.com/cal.ics", "not a url", "LOOPBACK"],
)  # fmt: skip
def test_every_refused_link_gets_the_same_plain_message(
    session: Session, server: CalendarServer, url: str
) -> None:
    lena = person(session, "Lena")
    url = server.url() if url == "LOOPBACK" else url
    with pytest.raises(Invalid) as caught:
        subscribe(session, lena, url, fetch=sources.FetchSettings())  # production policy
    assert caught.value.field == "url" and caught.value.message == REFUSED_MESSAGE
    assert server.served.requests == [] and calendars.sources_of(session, lena) == []


def test_a_link_that_fails_at_once_is_not_added(session: Session, server: CalendarServer) -> None:
    lena = person(session, "Lena")
    server.served.status = 404
    with pytest.raises(Invalid) as caught:
        subscribe(session, lena, server.url())
    assert caught.value.message == "The server answered 404 Not Found."
    server.served.status, server.served.body = 200, b"<html>not a calendar</html>"
    with pytest.raises(Invalid, match="That calendar cannot be read"):
        subscribe(session, lena, server.url())
    assert calendars.sources_of(session, lena) == []


# --- failures keep the last snapshot ---------------------------------------------------------


def test_a_failing_server_makes_the_source_stale_and_its_blocks_still_count(
    session: Session, server: CalendarServer
) -> None:
    lena, sam = couple(session)
    source_id = subscribe(session, lena, server.url())
    server.served.status = 500
    first, second = NOW + timedelta(hours=1), NOW + timedelta(hours=2)
    result = sync(session, source_id, first)
    assert result.outcome == "failed" and result.message == (
        "The server answered 500 Internal Server Error."
    )
    sync(session, source_id, second)
    [view] = calendars.sources_of(session, lena)
    assert view.stale_since == first and view.last_success_at == NOW and view.blocks == 1
    assert view.last_error == "The server answered 500 Internal Server Error."
    assert calendars.partner_busy(session, sam, WEEK) == [DENTIST]
    summary = calendars.partner_calendars(session, sam)
    assert summary is not None and (summary.stale, summary.stale_since) == (1, first)
    server.served.status = 200
    server.served.etag = '"v2"'
    assert sync(session, source_id, second).outcome == "ok"
    [view] = calendars.sources_of(session, lena)
    assert view.stale_since is None and view.last_error is None


def test_a_calendar_that_turns_unreadable_keeps_its_old_blocks(
    session: Session, server: CalendarServer
) -> None:
    lena = person(session, "Lena")
    source_id = subscribe(session, lena, server.url())
    server.served.body, server.served.etag = b"<html>Service unavailable</html>", '"v2"'
    result = sync(session, source_id)
    assert result.outcome == "failed" and result.message.startswith("That calendar cannot be read")
    assert calendars.own_blocks(session, lena, WEEK) == [(DENTIST, "Dentist")]


# --- ownership, listing, privacy -------------------------------------------------------------


def test_only_the_owner_removes_a_source(session: Session) -> None:
    lena, sam = couple(session)
    source_id = upload(session, lena, DENTIST_ICS)
    with pytest.raises(NotFound):
        sources.delete_source(session, sam, source_id)
    with pytest.raises(NotFound):
        sources.sync_source(session, source_id, now=NOW, horizon_weeks=1, owner=sam)
    sources.delete_source(session, lena, source_id)
    assert calendars.sources_of(session, lena) == []
    assert session.scalars(select(BusyBlock)).all() == []


def test_the_partner_sees_merged_busy_time_and_never_a_title(session: Session) -> None:
    lena, sam = couple(session)
    after = DENTIST.end
    upload(
        session,
        lena,
        calendar(("Dentist", *DENTIST), ("Therapy", after, after + timedelta(hours=1))),
    )
    upload(session, lena, calendar(("Dentist", *DENTIST)))
    seen = calendars.partner_busy(session, sam, WEEK)
    assert seen == [Interval(DENTIST.start, after + timedelta(hours=1))]
    assert all(type(slot) is Interval for slot in seen)
    assert "Dentist" not in repr(seen) and "Therapy" not in repr(seen)
    assert calendars.partner_busy(session, lena, WEEK) == []
    assert {title for _, title in calendars.own_blocks(session, lena, WEEK)} == {
        "Dentist",
        "Therapy",
    }
    summary = calendars.partner_calendars(session, sam)
    assert summary is not None and (summary.name, summary.sources, summary.stale) == ("Lena", 2, 0)
    assert "Dentist" not in repr(summary)


def test_sync_user_syncs_every_source(session: Session, server: CalendarServer) -> None:
    lena = person(session, "Lena")
    upload(session, lena, DENTIST_ICS)
    subscribe(session, lena, server.url())
    results = sources.sync_user(session, lena, NOW, horizon_weeks=WEEKS, fetch=LOCAL)
    assert [r.outcome for r in results] == ["ok", "not_modified"]


def test_user_names_and_passwords_in_links_are_masked() -> None:
    assert (
        calendars.mask_url("https://me:secret@cal.example/x.ics") == "https://***@cal.example/x.ics"
    )
    assert calendars.mask_url("https://cal.example/x.ics") == "https://cal.example/x.ics"


# --- protection after a sync -----------------------------------------------------------------


def test_a_sync_that_changes_busy_time_protects_the_couple_connections(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    planning = pytest.importorskip(
        "planner.services.planning", reason="planning.protect not there yet"
    )
    if not hasattr(planning, "protect"):
        pytest.skip("planning.protect not there yet")
    calls: list[int] = []
    monkeypatch.setattr(planning, "protect", lambda _s, couple_id, *, now: calls.append(couple_id))
    lena, _sam = couple(session)
    alone = person(session, "Kim")
    source_id = upload(session, lena, DENTIST_ICS)
    sync(session, source_id)  # nothing changed: nothing to defend
    stored = session.get(Source, source_id)
    assert stored is not None
    stored.raw = calendar(("Dentist (moved)", DENTIST.end, DENTIST.end + timedelta(hours=1)))
    session.commit()
    assert sync(session, source_id).changed
    upload(session, alone, DENTIST_ICS)
    couple_id = session.get(User, lena).couple_id  # type: ignore[union-attr]
    assert calls == [couple_id, couple_id]


def test_a_new_meeting_marks_a_clashing_connection_conflicted(session: Session) -> None:
    planning = pytest.importorskip(
        "planner.services.planning", reason="planning.protect not there yet"
    )
    if not hasattr(planning, "protect"):
        pytest.skip("planning.protect not there yet")
    lena, _sam = couple(session)
    couple_id = session.get(User, lena).couple_id  # type: ignore[union-attr]
    end = DENTIST.start + timedelta(minutes=45)
    connection = Connection(
        couple_id=couple_id, uid="c1@test", ritual="check-in", start=DENTIST.start, end=end
    )
    session.add(connection)
    session.commit()
    upload(session, lena, DENTIST_ICS)
    session.refresh(connection)
    assert connection.status == "conflicted"
