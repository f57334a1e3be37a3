"""fetch_calendar against real local servers on 127.0.0.1; nothing here reaches the internet.

Host names are mapped by an injected resolver; the address policy exempts 127.0.0.1/32 only.
"""

from __future__ import annotations

import datetime as dt
import gzip
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from integrations.ics import fetch as fetch_module
from integrations.ics.fetch import (
    REFUSED_MESSAGE,
    AddressPolicy,
    FetchFailed,
    FetchLimits,
    UrlRefused,
    fetch_calendar,
)

LOCAL = AddressPolicy(allow=(ipaddress.ip_network("127.0.0.1/32"),))
QUICK = FetchLimits(deadline=0.5, socket_timeout=5.0)
SMALL = FetchLimits(max_bytes=1000)
ICS = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nEND:VCALENDAR\r\n"
ETAG = '"v1"'
LAST_MODIFIED = "Mon, 01 Jan 2024 00:00:00 GMT"


def local_resolver(*names: str) -> Callable[[str, int], list[str]]:
    """A resolver that knows ``names`` as 127.0.0.1 and fails the test on anything else."""

    def resolve(host: str, port: int) -> list[str]:
        if host not in names:
            raise AssertionError(f"unexpected lookup of {host}")
        return ["127.0.0.1"]

    return resolve


def no_resolver(host: str, port: int) -> list[str]:
    raise AssertionError(f"unexpected lookup of {host}")


@dataclass
class Seen:
    path: str
    headers: dict[str, str]


@dataclass
class Log:
    requests: list[Seen] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Server

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self.server.log.requests.append(Seen(self.path, dict(self.headers.items())))
        name, _, arg = self.path.lstrip("/").partition("/")
        route = getattr(self, f"route_{name.replace('-', '_')}", None)
        try:
            if route is None:
                self.reply(404, b"nope")
            else:
                route(arg)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            pass

    def reply(self, status: int, body: bytes, **headers: str) -> None:
        self.send_response(status)
        for name, value in {"Content-Length": str(len(body)), **headers}.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def route_cal(self, arg: str) -> None:
        fresh = (
            self.headers.get("If-None-Match") == ETAG
            or self.headers.get("If-Modified-Since") == LAST_MODIFIED
        )
        if fresh:
            self.send_response(304)
            self.send_header("ETag", ETAG)
            self.end_headers()
            return
        headers = {"ETag": ETAG, "Last_Modified": LAST_MODIFIED}
        self.reply(200, ICS, Content_Type="text/calendar; charset=utf-8", **headers)

    def route_hops(self, arg: str) -> None:
        left = int(arg)
        location = "/cal" if left == 0 else f"/hops/{left - 1}"
        self.reply(302, b"", Location=location)

    def route_to(self, arg: str) -> None:
        self.reply(301, b"", Location=arg.replace("~", "/"))

    def route_status(self, arg: str) -> None:
        self.reply(int(arg), b"error page")

    def route_big_length(self, arg: str) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "5000")
        self.end_headers()
        self.wfile.write(b"x" * 5000)

    def route_big_stream(self, arg: str) -> None:
        self.send_response(200)
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        for _ in range(10_000):  # 40 MB unless the client hangs up first
            self.wfile.write(b"x" * 4096)

    def route_big_chunked(self, arg: str) -> None:
        self.send_response(200)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for _ in range(10_000):
            self.wfile.write(b"1000\r\n" + b"x" * 4096 + b"\r\n")

    def route_gzip(self, arg: str) -> None:
        body = b"\0" * int(arg) if arg else ICS
        self.reply(200, gzip.compress(body), Content_Encoding="gzip")

    def route_brotli(self, arg: str) -> None:
        self.reply(200, b"...", Content_Encoding="br")

    def route_slow(self, arg: str) -> None:
        self.server.log.release.wait(5)
        self.reply(200, ICS)

    def route_dribble(self, arg: str) -> None:
        self.send_response(200)
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        for _ in range(50):
            self.wfile.write(b"x")
            self.wfile.flush()
            if self.server.log.release.wait(0.1):
                return

    def route_dribble_headers(self, arg: str) -> None:
        self.wfile.write(b"HTTP/1.1 200 OK\r\n")
        for index in range(50):
            self.wfile.write(f"X-{index}: y\r\n".encode())
            self.wfile.flush()
            if self.server.log.release.wait(0.1):
                return

    def route_hangup(self, arg: str) -> None:
        self.close_connection = True

    def route_garbage(self, arg: str) -> None:
        self.wfile.write(b"this is not http\r\n\r\n")
        self.close_connection = True


class Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.log = Log()
        self.port = self.server_address[1]
        if tls is not None:
            self.socket = tls.wrap_socket(self.socket, server_side=True)

    def url(self, path: str, host: str = "127.0.0.1", scheme: str = "http") -> str:
        return f"{scheme}://{host}:{self.port}{path}"

    @property
    def paths(self) -> list[str]:
        return [seen.path for seen in self.log.requests]


def serve(tls: ssl.SSLContext | None = None) -> Iterator[Server]:
    server = Server(tls)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        server.log.release.set()
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def server() -> Iterator[Server]:
    yield from serve()


@pytest.fixture
def connects(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every address fetch_calendar opens a socket to."""
    opened: list[str] = []
    real = fetch_module._open_socket

    def spy(address: str, port: int, timeout: float) -> socket.socket:
        opened.append(address)
        return real(address, port, timeout)

    monkeypatch.setattr(fetch_module, "_open_socket", spy)
    return opened


def failure(url: str, **kwargs: object) -> FetchFailed:
    with pytest.raises(FetchFailed) as caught:
        fetch_calendar(url, policy=LOCAL, **kwargs)  # type: ignore[arg-type]
    return caught.value


# --- plain fetches and conditional GET ---------------------------------------------------------


def test_fetches_a_calendar(server: Server) -> None:
    got = fetch_calendar(server.url("/cal"), policy=LOCAL)
    assert got.body == ICS
    assert not got.not_modified
    assert (got.etag, got.last_modified) == (ETAG, LAST_MODIFIED)
    assert got.content_type == "text/calendar; charset=utf-8"
    assert got.url == server.url("/cal")
    sent = server.log.requests[0].headers
    assert sent["Accept-Encoding"] == "gzip"
    assert "If-None-Match" not in sent


def test_second_fetch_with_validators_is_not_modified(server: Server) -> None:
    first = fetch_calendar(server.url("/cal"), policy=LOCAL)
    again = fetch_calendar(
        server.url("/cal"), etag=first.etag, last_modified=first.last_modified, policy=LOCAL
    )
    assert again.not_modified and again.body is None
    assert (again.etag, again.last_modified) == (ETAG, LAST_MODIFIED)
    sent = server.log.requests[1].headers
    assert (sent["If-None-Match"], sent["If-Modified-Since"]) == (ETAG, LAST_MODIFIED)


def test_last_modified_alone_is_enough(server: Server) -> None:
    again = fetch_calendar(server.url("/cal"), last_modified=LAST_MODIFIED, policy=LOCAL)
    assert again.not_modified


def test_validators_that_cannot_be_headers_are_dropped(server: Server) -> None:
    got = fetch_calendar(server.url("/cal"), etag='"v1"\r\nX-Evil: 1', policy=LOCAL)
    assert got.body == ICS
    assert "X-Evil" not in server.log.requests[0].headers


def test_gzip_is_decoded(server: Server) -> None:
    assert fetch_calendar(server.url("/gzip/"), policy=LOCAL).body == ICS


# --- pinning: connect to the checked address, speak to the host name ---------------------------


def test_connects_to_the_resolved_address_with_the_original_host(
    server: Server, connects: list[str]
) -> None:
    got = fetch_calendar(
        server.url("/cal", host="calendar.test"),
        policy=LOCAL,
        resolve=local_resolver("calendar.test"),
    )
    assert got.body == ICS
    assert connects == ["127.0.0.1"]
    assert server.log.requests[0].headers["Host"] == f"calendar.test:{server.port}"
    assert got.url == server.url("/cal", host="calendar.test")


def test_resolves_each_host_once(server: Server) -> None:
    lookups: list[str] = []

    def resolve(host: str, port: int) -> list[str]:
        lookups.append(host)
        return ["127.0.0.1"]

    fetch_calendar(server.url("/hops/2", host="calendar.test"), policy=LOCAL, resolve=resolve)
    assert lookups == ["calendar.test"] * 4  # one lookup per request, none from the socket layer


def test_tries_the_next_checked_address_when_one_refuses(
    server: Server, connects: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    policy = AddressPolicy(allow=(ipaddress.ip_network("127.0.0.0/24"),))
    got = fetch_calendar(
        server.url("/cal", host="calendar.test"),
        policy=policy,
        resolve=lambda host, port: ["127.0.0.2", "127.0.0.1"],
    )
    assert got.body == ICS
    assert connects == ["127.0.0.2", "127.0.0.1"]


# --- refusals ----------------------------------------------------------------------------------


def test_loopback_is_refused_without_the_policy(server: Server, connects: list[str]) -> None:
    with pytest.raises(UrlRefused) as caught:
        fetch_calendar(server.url("/cal"), resolve=no_resolver)
    assert str(caught.value) == REFUSED_MESSAGE
    assert caught.value.detail == "127.0.0.1 is 127.0.0.1: loopback"
    assert connects == [] and server.log.requests == []


def test_a_name_resolving_to_loopback_is_refused_without_the_policy(
    server: Server, connects: list[str]
) -> None:
    with pytest.raises(UrlRefused) as caught:
        fetch_calendar(
            server.url("/cal", host="calendar.test"), resolve=local_resolver("calendar.test")
        )
    assert "loopback" in caught.value.detail
    assert connects == [] and server.log.requests == []


@pytest.mark.parametrize("host", ["127.1", "2130706433", "0x7f.0.0.1", "0177.0.0.1", "[::1]"])
def test_odd_loopback_spellings_are_refused_even_with_the_policy(
    server: Server, connects: list[str], host: str
) -> None:
    with pytest.raises(UrlRefused):
        fetch_calendar(server.url("/cal", host=host), policy=LOCAL, resolve=no_resolver)
    assert connects == []


def test_rebinding_across_records_is_refused(server: Server, connects: list[str]) -> None:
    with pytest.raises(UrlRefused) as caught:
        fetch_calendar(
            server.url("/cal", host="calendar.test"),
            policy=LOCAL,
            resolve=lambda host, port: ["127.0.0.1", "10.0.0.1"],
        )
    assert caught.value.detail == "calendar.test is 10.0.0.1: private"
    assert connects == []


@pytest.mark.parametrize(
    "location",
    [
        "http://10.0.0.1/cal",
        "http://[::ffff:127.0.0.2]/cal",
        "http://[::ffff:127.0.0.1]/cal",  # the mapped form of an allowed v4 is not exempt
        "http://169.254.169.254/latest/meta-data/",
        "http://127.1/cal",
        "http://internal.test/cal",  # resolves to 10.0.0.5 below
        "file:///etc/passwd",
        "gopher://127.0.0.1/",
    ],
)
def test_redirect_to_a_blocked_address_is_refused_without_connecting(
    server: Server, connects: list[str], location: str
) -> None:
    def resolve(host: str, port: int) -> list[str]:
        return ["10.0.0.5"] if host == "internal.test" else ["127.0.0.1"]

    with pytest.raises(UrlRefused) as caught:
        fetch_calendar(
            server.url("/to/" + location.replace("/", "~")), policy=LOCAL, resolve=resolve
        )
    assert str(caught.value) == REFUSED_MESSAGE
    assert caught.value.detail.startswith("redirect to")
    assert connects == ["127.0.0.1"]  # the first hop only
    assert len(server.log.requests) == 1


# --- redirects ---------------------------------------------------------------------------------


def test_follows_a_redirect(server: Server) -> None:
    got = fetch_calendar(server.url("/hops/0"), policy=LOCAL)
    assert got.body == ICS
    assert got.url == server.url("/cal")


def test_follows_five_redirects(server: Server) -> None:
    assert fetch_calendar(server.url("/hops/4"), policy=LOCAL).body == ICS
    assert len(server.log.requests) == 6


def test_six_redirects_are_too_many(server: Server) -> None:
    error = failure(server.url("/hops/5"))
    assert error.kind == "redirects"
    assert str(error) == "the calendar address redirected too many times (more than 5)"
    assert len(server.log.requests) == 6


def test_redirect_limit_is_configurable(server: Server) -> None:
    assert failure(server.url("/hops/0"), limits=FetchLimits(max_redirects=0)).kind == "redirects"


def test_redirect_keeps_the_conditional_headers(server: Server) -> None:
    again = fetch_calendar(server.url("/hops/1"), etag=ETAG, policy=LOCAL)
    assert again.not_modified
    assert all(seen.headers.get("If-None-Match") == ETAG for seen in server.log.requests)


# --- limits ------------------------------------------------------------------------------------


def test_declared_length_over_the_limit_fails_before_reading(server: Server) -> None:
    error = failure(server.url("/big-length"), limits=SMALL)
    assert error.kind == "too_large"
    assert str(error) == "the calendar is larger than 1000 bytes"


@pytest.mark.parametrize("path", ["/big-stream", "/big-chunked"])
def test_undeclared_length_over_the_limit_stops_reading(server: Server, path: str) -> None:
    started = time.monotonic()
    error = failure(server.url(path), limits=SMALL)
    assert error.kind == "too_large"
    assert time.monotonic() - started < 2


def test_gzip_bomb_is_cut_at_the_limit(server: Server) -> None:
    error = failure(server.url("/gzip/20000000"), limits=FetchLimits(max_bytes=100_000))
    assert error.kind == "too_large"


def test_default_limit_is_described_in_megabytes() -> None:
    assert fetch_module._size_text(FetchLimits().max_bytes) == "10 MB"


def test_unknown_content_encoding_fails(server: Server) -> None:
    assert failure(server.url("/brotli")).kind == "encoding"


@pytest.mark.parametrize("path", ["/slow", "/dribble", "/dribble-headers"])
def test_slow_servers_hit_the_deadline(server: Server, path: str) -> None:
    started = time.monotonic()
    error = failure(server.url(path), limits=QUICK)
    elapsed = time.monotonic() - started
    assert error.kind == "timeout"
    assert str(error) == "the server took too long to answer (more than 0.5 seconds)"
    assert elapsed < 1.5


def test_slow_resolver_hits_the_deadline() -> None:
    def resolve(host: str, port: int) -> list[str]:
        time.sleep(1.5)
        return ["127.0.0.1"]

    error = failure("http://calendar.test/", limits=QUICK, resolve=resolve)
    assert error.kind == "timeout"


# --- failures ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (404, "the server answered 404 Not Found"),
        (500, "the server answered 500 Internal Server Error"),
        (403, "the server answered 403 Forbidden"),
        (599, "the server answered HTTP 599"),
    ],
)
def test_http_errors_have_plain_messages(server: Server, status: int, message: str) -> None:
    error = failure(server.url(f"/status/{status}"))
    assert (str(error), error.kind, error.status) == (message, "http_status", status)


def test_connection_refused() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    error = failure(f"http://127.0.0.1:{port}/")
    assert (str(error), error.kind) == ("the server refused the connection", "refused")


def test_unknown_name() -> None:
    def resolve(host: str, port: int) -> list[str]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    error = failure("https://nowhere.test/", resolve=resolve)
    assert (str(error), error.kind) == ("the server's name could not be found", "dns")


def test_empty_answer_is_an_unknown_name() -> None:
    assert failure("https://nowhere.test/", resolve=lambda host, port: []).kind == "dns"


@pytest.mark.parametrize("path", ["/garbage", "/hangup"])
def test_broken_answers_fail_plainly(server: Server, path: str) -> None:
    error = failure(server.url(path))
    assert (str(error), error.kind) == ("the server sent a broken or incomplete answer", "protocol")


def test_redirect_without_location(server: Server) -> None:
    assert failure(server.url("/status/302")).kind == "protocol"


# --- TLS: SNI and certificate checked against the host name, not the pinned address ------------


@dataclass
class Pki:
    client: ssl.SSLContext
    server: ssl.SSLContext
    sni: list[str | None]


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    """A CA and a certificate for calendar.test, made with cryptography (a google-auth dep)."""
    pytest.importorskip("cryptography")
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    def name(text: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])

    now = dt.datetime.now(dt.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())

    def build(
        subject: str, public: object, issuer: str, signer: object, ca: bool
    ) -> x509.Certificate:
        builder = (
            x509.CertificateBuilder()
            .subject_name(name(subject))
            .issuer_name(name(issuer))
            .public_key(public)  # type: ignore[arg-type]
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if not ca:
            san = x509.SubjectAlternativeName([x509.DNSName("calendar.test")])
            builder = builder.add_extension(san, critical=False)
        return builder.sign(signer, hashes.SHA256())  # type: ignore[arg-type]

    ca = build("Test CA", ca_key.public_key(), "Test CA", ca_key, True)
    leaf = build("calendar.test", key.public_key(), "Test CA", ca_key, False)
    folder: Path = tmp_path_factory.mktemp("pki")
    pem = serialization.Encoding.PEM
    (folder / "leaf.pem").write_bytes(leaf.public_bytes(pem))
    (folder / "key.pem").write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    client = ssl.create_default_context(cadata=ca.public_bytes(pem).decode())
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(folder / "leaf.pem", folder / "key.pem")
    sni: list[str | None] = []
    server.sni_callback = lambda sock, server_name, context: sni.append(server_name)
    return Pki(client, server, sni)


@pytest.fixture
def tls_server(pki: Pki) -> Iterator[Server]:
    pki.sni.clear()
    yield from serve(pki.server)


@pytest.mark.parametrize("scheme", ["https", "webcal", "webcals"])
def test_https_pins_the_address_and_verifies_the_name(
    tls_server: Server, pki: Pki, connects: list[str], scheme: str
) -> None:
    got = fetch_calendar(
        tls_server.url("/cal", host="calendar.test", scheme=scheme),
        policy=LOCAL,
        resolve=local_resolver("calendar.test"),
        tls=pki.client,
    )
    assert got.body == ICS
    assert got.url == tls_server.url("/cal", host="calendar.test", scheme="https")
    assert connects == ["127.0.0.1"]
    assert pki.sni == ["calendar.test"]
    assert tls_server.log.requests[0].headers["Host"] == f"calendar.test:{tls_server.port}"


def test_certificate_for_another_name_fails(tls_server: Server, pki: Pki) -> None:
    error = failure(
        tls_server.url("/cal", host="other.test", scheme="https"),
        resolve=local_resolver("other.test"),
        tls=pki.client,
    )
    assert (str(error), error.kind) == ("the server's security certificate is not valid", "tls")
    assert tls_server.log.requests == []


def test_untrusted_certificate_fails(tls_server: Server) -> None:
    error = failure(
        tls_server.url("/cal", host="calendar.test", scheme="https"),
        resolve=local_resolver("calendar.test"),
    )
    assert error.kind == "tls"


def test_plain_http_to_a_tls_port_fails_plainly(tls_server: Server) -> None:
    assert failure(tls_server.url("/cal")).kind in {"protocol", "network"}
