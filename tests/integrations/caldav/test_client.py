"""The CalDAV client against a real Radicale on 127.0.0.1: discovery, busy time (server-side
expansion and ours give what ICS ingestion gives), change markers, write-back, and the
address, credential and size rules. Nothing here reaches the internet."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from integrations.caldav import (
    AuthFailed,
    Client,
    Credentials,
    WriteOutcome,
    calendar_state,
    delete_event,
    discover,
    event_url,
    read_window,
    write_event,
)
from integrations.caldav.xml import UnreadableXml, parse_multistatus
from integrations.ics import ingest
from integrations.ics.addresses import AddressPolicy, UrlRefused
from integrations.ics.invites import Invite
from integrations.ics.transport import FetchFailed, FetchLimits
from planner.core.intervals import Interval
from tests.integrations.caldav.calendars import LATER, NOW, OBJECTS, OURS, WEEKS
from tests.integrations.caldav.conftest import NETWORK, PASSWORD, USER, RunningRadicale

WINDOW = Interval(NOW - timedelta(days=1), NOW + timedelta(weeks=WEEKS))
ZONE = "Europe/Berlin"


def client(radicale: RunningRadicale, password: str = PASSWORD, **network: object) -> Client:
    return Client(radicale.url, Credentials(USER, password), replace(NETWORK, **network))  # type: ignore[arg-type]


def blocks(data: bytes) -> list[tuple[object, object, object]]:
    result = ingest(data, start=WINDOW.start, end=WINDOW.end, zone=ZONE, with_titles=True)
    return [(b.start, b.end, b.title) for b in result.blocks or []]


@pytest.fixture
def work(radicale: RunningRadicale) -> str:
    """A "Work" calendar holding every object of :data:`OBJECTS`."""
    url = radicale.make_calendar("work", "Work")
    for name, data in OBJECTS.items():
        radicale.put(url, name, data)
    return url


def test_discovers_event_calendars_from_the_bare_server_address(
    radicale: RunningRadicale, work: str
) -> None:
    radicale.make_calendar("home", "Home", "VEVENT")
    radicale.make_calendar("tasks", "Tasks", "VTODO")
    with client(radicale) as c:
        found = discover(c, radicale.url)
    assert sorted((cal.name, cal.url, cal.writable) for cal in found.calendars) == [
        ("Home", radicale.calendar_url("home"), True),
        ("Work", work, True),
    ]
    assert all(cal.ctag and cal.sync_token for cal in found.calendars)
    assert ("PROPFIND", "/.well-known/caldav") in radicale.requests


def test_an_address_that_is_a_calendar_is_the_only_calendar(
    radicale: RunningRadicale, work: str
) -> None:
    radicale.make_calendar("home", "Home")
    with client(radicale) as c:
        found = discover(c, work)
    assert [cal.name for cal in found.calendars] == ["Work"]


def test_a_wrong_password_is_a_clear_error(radicale: RunningRadicale, work: str) -> None:
    with pytest.raises(AuthFailed) as caught, client(radicale, "wrong") as c:
        discover(c, radicale.url)
    assert caught.value.status == 401
    assert "user name and app password" in str(caught.value)


@pytest.mark.parametrize("expand", [True, False], ids=["server-expands", "we-expand"])
def test_busy_time_is_what_ics_ingestion_gives_for_the_same_events(
    radicale: RunningRadicale, work: str, expand: bool
) -> None:
    with client(radicale) as c:
        read = read_window(c, work, WINDOW.start, WINDOW.end, expand=expand)
    assert not read.expand_refused and read.objects == len(OBJECTS)
    expected = blocks(b"".join(OBJECTS.values()))
    assert blocks(read.data) == expected
    titles = [title for _, _, title in expected]
    assert titles.count("Standup") == 3 and "Standup (moved)" in titles  # 16 March excluded
    assert "Maybe" not in titles and "Gone" not in titles and "Holiday" in titles
    if expand:
        assert b"RRULE:FREQ=WEEKLY" not in read.data  # Radicale did expand


def test_a_server_that_refuses_expansion_is_asked_again_without_it(
    radicale: RunningRadicale, work: str
) -> None:
    radicale.refuse_expand = True
    with client(radicale) as c:
        read = read_window(c, work, WINDOW.start, WINDOW.end, expand=True)
    assert read.expand_refused and b"RRULE:FREQ=WEEKLY" in read.data
    assert blocks(read.data) == blocks(b"".join(OBJECTS.values()))
    assert radicale.count("REPORT") == 2


def test_change_markers_move_only_when_the_calendar_changes(
    radicale: RunningRadicale, work: str
) -> None:
    with client(radicale) as c:
        first = calendar_state(c, work)
        again = calendar_state(c, work)
        assert c.requests == 2
    assert first.known and first == again
    radicale.put(work, "later.ics", LATER)
    with client(radicale) as c:
        assert calendar_state(c, work) != first


def test_events_we_wrote_ourselves_are_not_read_as_busy(
    radicale: RunningRadicale, work: str
) -> None:
    radicale.put(work, "ours.ics", OURS)
    with client(radicale) as c:
        read = read_window(c, work, WINDOW.start, WINDOW.end)
    assert read.own == 1 and b"connection-planner.invalid" not in read.data


INVITE = Invite(
    uid="c0ffee@connection-planner.invalid",
    start=NOW + timedelta(days=3),
    end=NOW + timedelta(days=3, hours=2),
    summary="Date night",
    status="CONFIRMED",
)
NEXT = replace(INVITE, sequence=1)


def test_write_back_creates_moves_and_deletes_one_event(
    radicale: RunningRadicale, work: str
) -> None:
    url = event_url(work, INVITE.uid)
    with client(radicale) as c:
        first = write_event(c, url, INVITE, stamp=NOW, etag=None, known=False)
    status, body = radicale.get(url)
    assert first.outcome is WriteOutcome.WRITTEN and first.etag and status == 200
    assert b"UID:c0ffee@connection-planner.invalid" in body and b"METHOD" not in body
    day = timedelta(days=1)
    moved = replace(INVITE, start=INVITE.start + day, end=INVITE.end + day, sequence=1)
    with client(radicale) as c:
        second = write_event(c, url, moved, stamp=NOW, etag=first.etag, known=True)
    _, body = radicale.get(url)
    assert second.etag != first.etag and b"SEQUENCE:1" in body and b"20260306T080000Z" in body
    with client(radicale) as c:
        assert delete_event(c, url) is True
        assert delete_event(c, url) is False  # gone already
    assert radicale.get(url)[0] == 404


def test_an_event_the_owner_deleted_is_not_put_back(radicale: RunningRadicale, work: str) -> None:
    url = event_url(work, INVITE.uid)
    with client(radicale) as c:
        first = write_event(c, url, INVITE, stamp=NOW, etag=None, known=False)
    radicale.delete(url)
    with client(radicale) as c:
        again = write_event(c, url, NEXT, stamp=NOW, etag=first.etag, known=True)
    assert again.outcome is WriteOutcome.DELETED_BY_USER and radicale.get(url)[0] == 404


def test_an_event_edited_by_hand_is_overwritten_with_ours(
    radicale: RunningRadicale, work: str
) -> None:
    url = event_url(work, INVITE.uid)
    with client(radicale) as c:
        first = write_event(c, url, INVITE, stamp=NOW, etag=None, known=False)
    _, body = radicale.get(url)
    radicale.put(work, url.rsplit("/", 1)[1], body.replace(b"Date night", b"Edited"))
    with client(radicale) as c:
        again = write_event(c, url, NEXT, stamp=NOW, etag=first.etag, known=True)
    _, body = radicale.get(url)
    assert again.outcome is WriteOutcome.WRITTEN and b"Date night" in body


def test_a_lost_record_of_our_event_is_recovered_by_writing_over_it(
    radicale: RunningRadicale, work: str
) -> None:
    url = event_url(work, INVITE.uid)
    with client(radicale) as c:
        write_event(c, url, INVITE, stamp=NOW, etag=None, known=False)
        again = write_event(c, url, replace(INVITE, sequence=2), stamp=NOW, etag=None, known=False)
    assert again.outcome is WriteOutcome.WRITTEN and b"SEQUENCE:2" in radicale.get(url)[1]


def test_a_server_name_resolving_to_a_private_address_is_refused(radicale: RunningRadicale) -> None:
    port = radicale.url.split(":")[2].rstrip("/")
    url = f"http://calendar.example.test:{port}/"

    def resolve(host: str, _port: int) -> list[str]:
        assert host == "calendar.example.test"
        return ["127.0.0.1"]

    with pytest.raises(UrlRefused) as caught:
        closed = replace(NETWORK, policy=AddressPolicy(), resolve=resolve)
        with Client(url, Credentials(USER, PASSWORD), closed) as c:
            discover(c, url)
    assert "loopback" in caught.value.detail and radicale.requests == []
    with Client(url, Credentials(USER, PASSWORD), replace(NETWORK, resolve=resolve)) as c:
        assert discover(c, url).calendars == ()  # allowed by the test policy: it answers


def test_a_literal_private_address_is_refused_before_any_connection() -> None:
    def opener(address: str, port: int, timeout: float) -> socket.socket:
        raise AssertionError(f"connected to {address}")

    closed = replace(NETWORK, policy=AddressPolicy(), opener=opener)
    url = "https://10.0.0.1/dav/"
    with pytest.raises(UrlRefused), Client(url, Credentials(USER, PASSWORD), closed) as c:
        discover(c, url)


class _Redirect(BaseHTTPRequestHandler):
    """Sends every PROPFIND on to ``target`` (another origin) and notes if credentials came."""

    target = ""
    saw_credentials: ClassVar[list[bool]] = []

    def do_PROPFIND(self) -> None:
        self.saw_credentials.append("Authorization" in self.headers)
        self.send_response(307)
        self.send_header("Location", self.target)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass


@pytest.fixture
def redirector(radicale: RunningRadicale) -> Iterator[str]:
    _Redirect.target, _Redirect.saw_credentials = radicale.url, []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Redirect)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/dav/"
    server.shutdown()
    server.server_close()


def test_credentials_do_not_follow_a_redirect_to_another_plain_http_origin(
    radicale: RunningRadicale, redirector: str
) -> None:
    with pytest.raises(AuthFailed), Client(redirector, Credentials(USER, PASSWORD), NETWORK) as c:
        discover(c, redirector)
    assert _Redirect.saw_credentials[0] is True  # the address the user gave gets them
    assert ("PROPFIND", "/") in radicale.requests  # followed, but without credentials


def test_answers_larger_than_the_limit_fail(radicale: RunningRadicale, work: str) -> None:
    small = FetchLimits(max_bytes=2000, deadline=10.0)
    with pytest.raises(FetchFailed) as caught, client(radicale, limits=small) as c:
        read_window(c, work, WINDOW.start, WINDOW.end)
    assert caught.value.kind == "too_large"


def test_a_colon_in_the_user_name_cannot_be_sent(radicale: RunningRadicale) -> None:
    with pytest.raises(AuthFailed, match="colon"):
        Client(radicale.url, Credentials("a:b", PASSWORD), NETWORK)


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">]>
<multistatus xmlns="DAV:"><response><href>&lol2;</href></response></multistatus>"""


@pytest.mark.parametrize(
    "body", [BOMB, b"<html>no</html>", b"not xml"], ids=["entities", "not-dav", "garbage"]
)
def test_answers_that_are_not_plain_multistatus_xml_are_refused(body: bytes) -> None:
    with pytest.raises(UnreadableXml):
        parse_multistatus(body, "https://example.org/")
