"""The pieces of :mod:`integrations.ics.transport` below one request: the deadline clock and
its watchdog, sockets opened to checked addresses, bounded bodies, plain failure messages.

Nothing here decides which address may be used; that is :mod:`integrations.ics.addresses`.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Callable, Iterable
from http import HTTPStatus
from types import TracebackType

from integrations.ics.addresses import parse_address

Resolver = Callable[[str, int], Iterable[str]]
CHUNK = 64 * 1024
MiB = 1024 * 1024


class FetchFailed(Exception):
    """A request could not be completed; ``str()`` is a plain message for the user.

    ``kind`` is one of timeout, too_large, http_status, redirects, tls, refused, dns,
    network, protocol, encoding (CalDAV adds auth and unsupported); ``status`` is the HTTP
    status for http_status.
    """

    def __init__(self, message: str, *, kind: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.status = status


class Clock:
    """One deadline shared by every step of an exchange."""

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
        """The failure to raise once the deadline has passed."""
        return FetchFailed(
            f"the server took too long to answer (more than {self.seconds:g} seconds)",
            kind="timeout",
        )


class Watchdog:
    """Shuts the current socket down when the deadline passes, waking any blocked read."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.fired = False
        self.sock: socket.socket | None = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(clock.end - time.monotonic(), 0), self._fire)
        self._timer.daemon = True

    def __enter__(self) -> Watchdog:
        self._timer.start()
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self._timer.cancel()

    def guard(self, sock: socket.socket | None) -> None:
        """Watch ``sock`` (None: nothing) from now on."""
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


def open_socket(address: str, port: int, timeout: float) -> socket.socket:
    """A TCP socket connected to ``address`` (an IP that was already checked)."""
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


def within(seconds: float, fn: Resolver, host: str, port: int) -> list[str]:
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


def status_text(status: int) -> str:
    """``404 Not Found`` (or ``HTTP 499`` for a status without a name)."""
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"HTTP {status}"


def size_text(n: int) -> str:
    """A byte limit in plain words: ``10 MB``, ``1.5 MB``, ``1000 bytes``."""
    if n % MiB == 0:
        return f"{n // MiB} MB"
    return f"{n / MiB:.1f} MB" if n >= MiB // 10 else f"{n} bytes"


def plain_failure(exc: BaseException) -> FetchFailed:
    """A network error as a :class:`FetchFailed` with a message for the user."""
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


class Body:
    """Streams a response body, cutting it off at ``max_bytes`` and the deadline."""

    def __init__(
        self,
        response: http.client.HTTPResponse,
        watchdog: Watchdog,
        max_bytes: int,
        socket_timeout: float,
    ) -> None:
        self.response, self.watchdog = response, watchdog
        self.max, self.socket_timeout = max_bytes, socket_timeout
        self.raw = 0
        self.decoder = _decoder(response.getheader("Content-Encoding"))

    def read(self) -> bytes:
        """The whole (decoded) body; :class:`FetchFailed` when it is too large."""
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
        if self.response.isclosed():  # the whole body was read and the server hung up
            return b""
        sock = self.watchdog.sock
        if sock is not None:
            sock.settimeout(min(self.socket_timeout, self.watchdog.clock.left()))
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
        return FetchFailed(f"the calendar is larger than {size_text(self.max)}", kind="too_large")


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
