"""The guarded transport beyond GET, against real local servers on 127.0.0.1: any method
with a body, statuses handed back, Basic credentials built safely, and servers that close
the connection after their answer (HTTP/1.0, ``Connection: close``)."""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from integrations.ics.addresses import AddressPolicy, parse_url
from integrations.ics.fetch import fetch_calendar
from integrations.ics.transport import FetchFailed, FetchLimits, Transport, basic_auth

LOCAL = AddressPolicy(allow=(ipaddress.ip_network("127.0.0.1/32"),))
ICS = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"


class Echo(BaseHTTPRequestHandler):
    """HTTP/1.0 (closes after each answer): PROPFIND echoes its body with 207, DELETE is 404,
    GET is a calendar."""

    seen: ClassVar[list[tuple[str, str, bytes]]] = []

    def do_PROPFIND(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.seen.append(("PROPFIND", self.headers.get("Depth", ""), body))
        self.answer(207, body)

    def do_DELETE(self) -> None:
        self.seen.append(("DELETE", self.headers.get("Connection", ""), b""))
        self.answer(404, b"not here")

    def do_GET(self) -> None:
        self.answer(200, ICS)

    def answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", '"e1"')
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass


@pytest.fixture
def echo() -> Iterator[str]:
    Echo.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_issue_a_server_closing_the_connection_after_its_answer_is_read_whole(
    echo: str,
) -> None:
    # fetch_calendar used to fail with "the server could not be reached" (EBADF) here.
    got = fetch_calendar(f"{echo}/cal.ics", policy=LOCAL)
    assert got.body == ICS and got.etag == '"e1"'


def test_any_method_with_a_body_and_headers(echo: str) -> None:
    with Transport(FetchLimits(deadline=5.0), LOCAL) as transport:
        answer = transport.send("PROPFIND", parse_url(f"{echo}/dav/"), {"Depth": "1"}, b"<x/>")
        gone = transport.send("DELETE", parse_url(f"{echo}/dav/a.ics"), {})
    assert (answer.status, answer.body, answer.header("etag")) == (207, b"<x/>", '"e1"')
    assert (gone.status, gone.body) == (404, b"")  # error bodies are not read
    assert Echo.seen == [("PROPFIND", "1", b"<x/>"), ("DELETE", "close", b"")]


def test_bodies_of_any_method_are_capped(echo: str) -> None:
    with pytest.raises(FetchFailed) as caught, Transport(FetchLimits(max_bytes=3), LOCAL) as t:
        t.send("PROPFIND", parse_url(f"{echo}/dav/"), {}, b"<long/>")
    assert caught.value.kind == "too_large"


def test_basic_credentials_are_utf8_and_refuse_what_cannot_be_sent() -> None:
    assert basic_auth("Aladdin", "open sesame") == "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
    assert basic_auth("lena", "pä:ss") == "Basic bGVuYTpww6Q6c3M="
    for user, password in [("a:b", "x"), ("a", "x\r\nX-Evil: 1"), ("a\n", "x")]:
        with pytest.raises(ValueError):
            basic_auth(user, password)
