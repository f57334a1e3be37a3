"""The ``radicale`` fixture: a real Radicale CalDAV server on 127.0.0.1 for each test.

Radicale's own WSGI application (htpasswd auth with plain passwords, rights owner_only,
storage in the test's temporary folder) is served by :mod:`wsgiref` on a free port in a
thread, behind a small middleware that records every request (method and path), so tests
can count what a sync cost, tells ``on_request`` of it when set, and refuses server-side
expansion when asked. When Radicale cannot be imported or started, the tests that use it
skip and say why.

The fixture yields a :class:`RunningRadicale` with the server's ``url``, the user
``USER`` / ``PASSWORD``, the ``requests`` seen, and plain-HTTP helpers (independent of our
client) to make calendars and put, get and delete events.
"""

from __future__ import annotations

import base64
import http.client
import io
import ipaddress
import socketserver
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest

from integrations.caldav import Network
from integrations.ics.addresses import AddressPolicy
from integrations.ics.transport import FetchLimits

USER = "lena"
PASSWORD = "app-password-1234"
LOOPBACK = AddressPolicy(allow=(ipaddress.ip_network("127.0.0.1/32"),))
NETWORK = Network(limits=FetchLimits(deadline=10.0, socket_timeout=5.0), policy=LOOPBACK)

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class _Server(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass


@dataclass
class RunningRadicale:
    """A Radicale server on loopback and what it was asked."""

    url: str  # http://127.0.0.1:PORT/
    storage: Path
    requests: list[tuple[str, str]] = field(default_factory=list)
    refuse_expand: bool = False  # answer 501 to a REPORT asking for expansion
    on_request: Callable[[str, str], None] | None = None  # told (method, path) of each request

    def calendar_url(self, name: str) -> str:
        """The URL of the user's calendar called ``name``."""
        return f"{self.url}{USER}/{name}/"

    def request(
        self, method: str, url: str, body: bytes | None = None, **headers: str
    ) -> tuple[int, dict[str, str], bytes]:
        """A plain request as the user: (status, headers in lower case, body)."""
        parts = urlsplit(url)
        conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
        token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        sent = {
            "Authorization": f"Basic {token}",
            **{k.replace("_", "-"): v for k, v in headers.items()},
        }
        try:
            conn.request(method, parts.path, body=body, headers=sent)
            response = conn.getresponse()
            answer = response.read()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, answer
        finally:
            conn.close()

    def make_calendar(self, name: str, display: str, *components: str) -> str:
        """Create a calendar (MKCALENDAR with a display name, and the components it takes
        when given); its URL."""
        comps = "".join(f'<C:comp name="{c}"/>' for c in components)
        taken = f"<C:supported-calendar-component-set>{comps}</C:supported-calendar-component-set>"
        body = (
            '<?xml version="1.0" encoding="utf-8"?>'
            '<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">'
            f"<D:set><D:prop><D:displayname>{display}</D:displayname>"
            f"{taken if components else ''}</D:prop></D:set></C:mkcalendar>"
        ).encode()
        url = self.calendar_url(name)
        status, _, _ = self.request("MKCALENDAR", url, body, Content_Type="application/xml")
        assert status == 201, status
        return url

    def put(self, calendar_url: str, name: str, ics: bytes) -> str:
        """Store ``ics`` as ``name`` in the calendar; the new ETag."""
        status, headers, _ = self.request(
            "PUT", f"{calendar_url}{name}", ics, Content_Type="text/calendar"
        )
        assert status in (201, 204), status
        return headers.get("etag", "")

    def get(self, url: str) -> tuple[int, bytes]:
        """GET ``url``: (status, body)."""
        status, _, body = self.request("GET", url)
        return status, body

    def delete(self, url: str) -> None:
        """DELETE ``url``."""
        status, _, _ = self.request("DELETE", url)
        assert status in (200, 204), status

    def count(self, *methods: str) -> int:
        """How many requests with one of ``methods`` (all when none) were seen."""
        return sum(1 for method, _ in self.requests if not methods or method in methods)


def _recording(app: WsgiApp, running: RunningRadicale) -> WsgiApp:
    """``app`` with every request recorded, and expansion refused when asked."""

    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method, path = str(environ["REQUEST_METHOD"]), str(environ.get("PATH_INFO", ""))
        running.requests.append((method, path))
        if running.on_request is not None:
            running.on_request(method, path)
        if method == "REPORT" and running.refuse_expand:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length)
            if b"expand" in body:
                start_response("501 Not Implemented", [("Content-Length", "0")])
                return [b""]
            environ["wsgi.input"] = io.BytesIO(body)
        return app(environ, start_response)

    return wrapped


def _application(folder: Path) -> WsgiApp:
    from radicale import config
    from radicale.app import Application

    users = folder / "users"
    users.write_text(f"{USER}:{PASSWORD}\n")
    configuration = config.load()
    configuration.update(
        {
            "auth": {
                "type": "htpasswd",
                "htpasswd_filename": str(users),
                "htpasswd_encryption": "plain",
                "delay": "0",
            },
            "storage": {
                "filesystem_folder": str(folder / "collections"),
                "_filesystem_fsync": "False",
            },
            "rights": {"type": "owner_only"},
            "web": {"type": "none"},
        },
        "tests",
        privileged=True,
    )
    app: WsgiApp = Application(configuration)
    return app


@pytest.fixture
def radicale(tmp_path: Path) -> Iterator[RunningRadicale]:
    """A fresh Radicale for one test (see the module docstring)."""
    running = RunningRadicale("", tmp_path / "collections")
    try:
        app = _application(tmp_path)
        server = make_server("127.0.0.1", 0, _recording(app, running), _Server, _Quiet)
    except Exception as error:  # any failure to start means "not available here"
        pytest.skip(f"Radicale could not start: {error!r}")
    running.url = f"http://127.0.0.1:{server.server_port}/"
    thread = threading.Thread(
        target=server.serve_forever, args=(0.05,), name="radicale", daemon=True
    )
    thread.start()
    try:
        yield running
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
