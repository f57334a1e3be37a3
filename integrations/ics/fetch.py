"""Fetch a subscribed ICS URL without letting it reach inside our network, bounded in time and size.

Every URL, the first and each redirect, goes through :func:`parse_url` (http, https, webcal),
is resolved once, and every answer is checked (:func:`check_address`). The connection then
goes to a checked address, never to a second lookup, while the Host header, TLS SNI and the
certificate check use the host name. One deadline covers resolving, connecting, redirects
and reading; a watchdog shuts the socket when it passes, so a server dribbling bytes cannot
stretch it. Bodies are streamed and cut at ``max_bytes``, before or after gzip.

Refused URLs raise :class:`UrlRefused`, everything else that goes wrong on the network raises
:class:`FetchFailed` with a plain message.
"""

from __future__ import annotations

import contextlib
import functools
import http.client
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http import HTTPStatus
from types import TracebackType
from urllib.parse import urljoin

from integrations.ics.addresses import (
    REFUSED_MESSAGE,
    AddressPolicy,
    Target,
    UrlRefused,
    check_address,
    checked_addresses,
    parse_address,
    parse_url,
)

__all__ = [
    "REFUSED_MESSAGE",
    "AddressPolicy",
    "FetchFailed",
    "FetchLimits",
    "Fetched",
    "UrlRefused",
    "check_address",
    "fetch_calendar",
    "system_resolve",
]

Resolver = Callable[[str, int], Iterable[str]]
REDIRECTS = frozenset({301, 302, 303, 307, 308})
USER_AGENT = "ConnectionPlanner/0.1 (calendar subscription)"
CHUNK = 64 * 1024
MiB = 1024 * 1024


@dataclass(frozen=True)
class FetchLimits:
    """How much one fetch may cost. The defaults suit a worker syncing subscribed calendars."""

    max_bytes: int = 10 * MiB
    deadline: float = 15.0  # seconds for the whole fetch, redirects included
    max_redirects: int = 5
    socket_timeout: float = 10.0  # longest wait for any single connect or read


@dataclass(frozen=True)
class Fetched:
    """What a fetch returned; store ``etag`` and ``last_modified`` for the next one."""

    body: bytes | None  # None when not modified
    not_modified: bool
    etag: str | None
    last_modified: str | None
    url: str  # final URL after redirects, as fetched (webcal spelled https)
    content_type: str | None


class FetchFailed(Exception):
    """The calendar could not be fetched; ``str()`` is a plain message for the user.

    ``kind`` is one of timeout, too_large, http_status, redirects, tls, refused, dns,
    network, protocol, encoding; ``status`` is the HTTP status for http_status.
    """

    def __init__(self, message: str, *, kind: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.status = status


def system_resolve(host: str, port: int) -> list[str]:
    """The addresses the system resolver gives for ``host`` (TCP)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return [str(info[4][0]) for info in infos]


def fetch_calendar(
    url: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    limits: FetchLimits = FetchLimits(),
    policy: AddressPolicy = AddressPolicy(),  # noqa: B008 - frozen, so sharing is safe
    resolve: Resolver | None = None,
    tls: ssl.SSLContext | None = None,
) -> Fetched:
    """GET ``url`` (conditionally, given the previous ``etag`` / ``last_modified``).

    ``resolve`` replaces the system resolver (tests); ``tls`` replaces the default verifying
    context (tests with their own CA). Raises :class:`UrlRefused` or :class:`FetchFailed`.
    """
    target = parse_url(url)
    headers = _request_headers(etag, last_modified)
    session = _Session(limits, policy, resolve or system_resolve, tls or _default_tls())
    with session.watchdog:
        for hop in range(limits.max_redirects + 1):
            outcome = session.get(target, headers, redirected=hop > 0)
            if isinstance(outcome, Fetched):
                return _fill_validators(outcome, etag, last_modified)
            target = _redirect_target(target, outcome)
    raise FetchFailed(
        f"the calendar address redirected too many times (more than {limits.max_redirects})",
        kind="redirects",
    )


def _request_headers(etag: str | None, last_modified: str | None) -> dict[str, str]:
    headers = {
        "User-Agent": USER_AGENT,
        "Accept": "text/calendar, */*;q=0.5",
        "Accept-Encoding": "gzip",
        "Connection": "close",
    }
    if etag and _header_safe(etag):
        headers["If-None-Match"] = etag
    if last_modified and _header_safe(last_modified):
        headers["If-Modified-Since"] = last_modified
    return headers


def _header_safe(value: str) -> bool:
    return value.isascii() and value.isprintable()


def _fill_validators(fetched: Fetched, etag: str | None, last_modified: str | None) -> Fetched:
    if not fetched.not_modified:
        return fetched
    return Fetched(
        None,
        True,
        fetched.etag or etag,
        fetched.last_modified or last_modified,
        fetched.url,
        fetched.content_type,
    )


def _redirect_target(current: Target, location: str) -> Target:
    try:
        return parse_url(urljoin(current.url, location))
    except UrlRefused as refused:
        raise UrlRefused(f"redirect to {location!r}: {refused.detail}") from None
    except ValueError:
        raise UrlRefused(f"unreadable redirect {location!r}") from None


@functools.cache
def _default_tls() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.set_alpn_protocols(["http/1.1"])
    return context


class _Clock:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        """Seconds left; :class:`FetchFailed` once none are."""
        left = self.end - time.monotonic()
        if left <= 0:
            raise self.expired()
        return left

    def expired(self) -> FetchFailed:
        return FetchFailed(
            f"the server took too long to answer (more than {self.seconds:g} seconds)",
            kind="timeout",
        )


class _Watchdog:
    """Shuts the current socket down when the deadline passes, waking any blocked read."""

    def __init__(self, clock: _Clock) -> None:
        self.clock = clock
        self.fired = False
        self.sock: socket.socket | None = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(clock.end - time.monotonic(), 0), self._fire)
        self._timer.daemon = True

    def __enter__(self) -> _Watchdog:
        self._timer.start()
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self._timer.cancel()

    def guard(self, sock: socket.socket | None) -> None:
        with self._lock:
            self.sock = sock
            if self.fired and sock is not None:
                _shutdown(sock)

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            if self.sock is not None:
                _shutdown(self.sock)


def _shutdown(sock: socket.socket) -> None:
    # The plain socket method: SSLSocket.shutdown would tear down TLS state under a reader.
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _open_socket(address: str, port: int, timeout: float) -> socket.socket:
    ip = parse_address(address)
    family = socket.AF_INET6 if ip is not None and ip.version == 6 else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.connect((address, port))
    except BaseException:
        sock.close()
        raise
    return sock


class _PinnedHTTP(http.client.HTTPConnection):
    """HTTP to ``address`` (already checked) while speaking to ``host``."""

    def __init__(self, target: Target, address: str, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self.address = address
        self.seconds = timeout

    def connect(self) -> None:
        self.sock = _open_socket(self.address, self.port, self.seconds)


class _PinnedHTTPS(http.client.HTTPSConnection):
    """HTTPS to ``address`` with SNI and certificate checked against ``host``."""

    def __init__(self, target: Target, address: str, timeout: float, tls: ssl.SSLContext) -> None:
        super().__init__(target.host, target.port, timeout=timeout, context=tls)
        self.address = address
        self.seconds = timeout
        self.tls = tls

    def connect(self) -> None:
        raw = _open_socket(self.address, self.port, self.seconds)
        try:
            self.sock = self.tls.wrap_socket(raw, server_hostname=self.host)
        except BaseException:
            raw.close()
            raise


_Connection = _PinnedHTTP | _PinnedHTTPS


class _Session:
    """One fetch: its clock, watchdog and settings, shared by every redirect hop."""

    def __init__(
        self, limits: FetchLimits, policy: AddressPolicy, resolve: Resolver, tls: ssl.SSLContext
    ) -> None:
        self.limits, self.policy, self.resolve, self.tls = limits, policy, resolve, tls
        self.clock = _Clock(limits.deadline)
        self.watchdog = _Watchdog(self.clock)

    def get(self, target: Target, headers: dict[str, str], *, redirected: bool) -> Fetched | str:
        """The result of one GET, or the Location it redirects to."""
        try:
            addresses = checked_addresses(target, self._answers(target), self.policy)
        except UrlRefused as refused:
            if not redirected:
                raise
            raise UrlRefused(f"redirect to {target.url}: {refused.detail}") from None
        try:
            conn = self._connect(target, addresses)
            try:
                conn.request("GET", target.path, headers=headers)
                with conn.getresponse() as response:  # closing it releases the socket
                    outcome = self._outcome(target, response)
            finally:
                conn.close()
                self.watchdog.guard(None)
        except (OSError, http.client.HTTPException, zlib.error) as exc:
            raise self._failure(exc) from exc
        if self.watchdog.fired:  # the socket was shut under a read that then saw a clean end
            raise self.clock.expired()
        return outcome

    def _answers(self, target: Target) -> list[str]:
        if target.literal is not None:
            return []
        try:
            answers = _within(self.clock.left(), self.resolve, target.host, target.port)
        except TimeoutError:
            raise self.clock.expired() from None
        except (OSError, UnicodeError) as exc:
            raise FetchFailed("the server's name could not be found", kind="dns") from exc
        if not answers:
            raise FetchFailed("the server's name could not be found", kind="dns")
        return answers

    def _connect(self, target: Target, addresses: list[str]) -> _Connection:
        error: OSError = ConnectionError("no address")
        for address in addresses:
            conn = self._connection(target, address)
            try:
                conn.connect()
            except ssl.SSLError:
                raise
            except OSError as exc:
                error = exc
                continue
            self.watchdog.guard(conn.sock)
            return conn
        raise error

    def _connection(self, target: Target, address: str) -> _Connection:
        timeout = min(self.limits.socket_timeout, self.clock.left())
        if target.scheme == "https":
            return _PinnedHTTPS(target, address, timeout, self.tls)
        return _PinnedHTTP(target, address, timeout)

    def _outcome(self, target: Target, response: http.client.HTTPResponse) -> Fetched | str:
        status = response.status
        if status in REDIRECTS:
            location = response.getheader("Location")
            if not location:
                raise FetchFailed("the server redirected without a new address", kind="protocol")
            return location
        if status == 304:
            return self._fetched(target, response, None)
        if not 200 <= status < 300:
            raise FetchFailed(
                f"the server answered {_status_text(status)}", kind="http_status", status=status
            )
        return self._fetched(target, response, _Body(response, self).read())

    def _fetched(
        self, target: Target, response: http.client.HTTPResponse, body: bytes | None
    ) -> Fetched:
        return Fetched(
            body=body,
            not_modified=body is None,
            etag=response.getheader("ETag"),
            last_modified=response.getheader("Last-Modified"),
            url=target.url,
            content_type=response.getheader("Content-Type"),
        )

    def _failure(self, exc: BaseException) -> FetchFailed:
        if self.watchdog.fired or time.monotonic() >= self.clock.end - 0.01:
            return self.clock.expired()
        if isinstance(exc, TimeoutError):
            seconds = self.limits.socket_timeout
            return FetchFailed(
                f"the server stopped answering (for {seconds:g} seconds)", kind="timeout"
            )
        return _plain_failure(exc)


def _status_text(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"HTTP {status}"


def _plain_failure(exc: BaseException) -> FetchFailed:
    if isinstance(exc, ssl.SSLCertVerificationError):
        return FetchFailed("the server's security certificate is not valid", kind="tls")
    if isinstance(exc, ssl.SSLError):
        return FetchFailed("a secure connection to the server failed", kind="tls")
    if isinstance(exc, ConnectionRefusedError):
        return FetchFailed("the server refused the connection", kind="refused")
    if isinstance(exc, zlib.error):
        return FetchFailed("the server sent a damaged compressed calendar", kind="encoding")
    if isinstance(exc, http.client.HTTPException | ConnectionResetError | BrokenPipeError):
        return FetchFailed("the server sent a broken or incomplete answer", kind="protocol")
    return FetchFailed("the server could not be reached", kind="network")


def _within(seconds: float, fn: Resolver, host: str, port: int) -> list[str]:
    """``fn(host, port)`` as a list, or TimeoutError after ``seconds`` (the call is abandoned)."""
    box: list[list[str] | BaseException] = []

    def run() -> None:
        try:
            box.append(list(fn(host, port)))
        except BaseException as exc:  # handed to the caller below
            box.append(exc)

    thread = threading.Thread(target=run, name=f"resolve {host}", daemon=True)
    thread.start()
    thread.join(seconds)
    if not box:
        raise TimeoutError(host)
    if isinstance(box[0], BaseException):
        raise box[0]
    return box[0]


def _size_text(n: int) -> str:
    if n % MiB == 0:
        return f"{n // MiB} MB"
    return f"{n / MiB:.1f} MB" if n >= MiB // 10 else f"{n} bytes"


class _Body:
    """Streams a response body, cutting it off at the size limit and the deadline."""

    def __init__(self, response: http.client.HTTPResponse, session: _Session) -> None:
        self.response, self.session = response, session
        self.max = session.limits.max_bytes
        self.raw = 0
        self.decoder = _decoder(response.getheader("Content-Encoding"))

    def read(self) -> bytes:
        self._check_length()
        parts: list[bytes] = []
        size = 0
        while chunk := self._next_chunk():
            data = self._decode(chunk, self.max - size)
            size += len(data)
            parts.append(data)
        if self.decoder is not None:
            tail = self.decoder.flush()
            if size + len(tail) > self.max:
                raise self._too_large()
            parts.append(tail)
        return b"".join(parts)

    def _check_length(self) -> None:
        length = self.response.getheader("Content-Length", "").strip()
        if length.isdigit() and int(length) > self.max:
            raise self._too_large()

    def _next_chunk(self) -> bytes:
        sock = self.session.watchdog.sock
        if sock is not None:
            sock.settimeout(min(self.session.limits.socket_timeout, self.session.clock.left()))
        chunk = self.response.read(CHUNK)
        self.raw += len(chunk)
        if self.raw > self.max:
            raise self._too_large()
        return chunk

    def _decode(self, chunk: bytes, room: int) -> bytes:
        if self.decoder is None:
            return chunk
        data = self.decoder.decompress(chunk, room + 1)
        if len(data) > room:
            raise self._too_large()
        return data

    def _too_large(self) -> FetchFailed:
        return FetchFailed(f"the calendar is larger than {_size_text(self.max)}", kind="too_large")


def _decoder(encoding: str | None) -> zlib._Decompress | None:
    name = (encoding or "identity").strip().lower()
    if name == "identity":
        return None
    if name in ("gzip", "x-gzip"):
        return zlib.decompressobj(wbits=31)
    if name == "deflate":
        return zlib.decompressobj(wbits=47)
    raise FetchFailed(
        f"the server sent the calendar in an unknown encoding ({name})", kind="encoding"
    )
