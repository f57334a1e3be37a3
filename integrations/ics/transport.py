"""HTTP requests that cannot be turned against our own network, bounded in time and size.

The guarded transport under :func:`integrations.ics.fetch.fetch_calendar` (GET of an ICS
URL) and the CalDAV client (PROPFIND, REPORT, PUT, DELETE, GET). A :class:`Transport` is one
exchange of one or more requests under ONE deadline:

* every :class:`~integrations.ics.addresses.Target` is resolved once and every answer is
  checked by the :class:`~integrations.ics.addresses.AddressPolicy` (one blocked answer
  refuses the host); the socket then goes to a checked address, never to a second lookup,
  while the Host header, TLS SNI and the certificate check use the host name;
* a watchdog shuts the socket when the deadline passes, so a server dribbling bytes cannot
  stretch it; bodies are streamed and cut at ``max_bytes``, before or after gzip;
* redirects are never followed here: a caller that wants them (a GET, a PROPFIND during
  discovery) reads ``Location``, checks it with :func:`~integrations.ics.addresses.parse_url`
  and sends again, under the same deadline.

Refused addresses raise :class:`UrlRefused`, everything else that goes wrong on the network
raises :class:`FetchFailed` with a plain message. An HTTP error status is not an exception
here: it comes back as a :class:`Response` (without a body) for the caller to judge.
"""

from __future__ import annotations

import base64
import functools
import http.client
import socket
import ssl
import time
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import TracebackType

from integrations.ics.addresses import AddressPolicy, Target, UrlRefused, checked_addresses
from integrations.ics.wire import (
    Body,
    Clock,
    FetchFailed,
    Resolver,
    Watchdog,
    open_socket,
    plain_failure,
    within,
)

__all__ = [
    "FetchFailed",
    "FetchLimits",
    "Opener",
    "Response",
    "Transport",
    "basic_auth",
    "open_socket",
    "system_resolve",
]

Opener = Callable[[str, int, float], socket.socket]
MiB = 1024 * 1024
USER_AGENT = "ConnectionPlanner/0.1 (calendar subscription)"


@dataclass(frozen=True)
class FetchLimits:
    """How much one exchange may cost. The defaults suit a worker syncing calendars."""

    max_bytes: int = 10 * MiB
    deadline: float = 15.0  # seconds for the whole exchange, redirects included
    max_redirects: int = 5
    socket_timeout: float = 10.0  # longest wait for any single connect or read


@dataclass(frozen=True)
class Response:
    """One HTTP answer. ``body`` is read for 2xx answers only (empty otherwise)."""

    status: int
    headers: Mapping[str, str]  # names in lower case
    body: bytes
    url: str

    def header(self, name: str) -> str | None:
        """The value of header ``name`` (any case), or None."""
        return self.headers.get(name.lower())


def system_resolve(host: str, port: int) -> list[str]:
    """The addresses the system resolver gives for ``host`` (TCP)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return [str(info[4][0]) for info in infos]


def basic_auth(username: str, password: str) -> str:
    """The ``Authorization`` value for HTTP Basic (RFC 7617, UTF-8).

    :class:`ValueError` when the user name holds a colon or either holds a control
    character: those cannot be sent safely.
    """
    if ":" in username:
        raise ValueError("a user name cannot contain a colon")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in username + password):
        raise ValueError("control characters cannot be sent in a user name or password")
    token = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
    return f"Basic {token}"


@functools.cache
def default_tls() -> ssl.SSLContext:
    """The verifying TLS context (HTTP/1.1 only)."""
    context = ssl.create_default_context()
    context.set_alpn_protocols(["http/1.1"])
    return context


class _PinnedHTTP(http.client.HTTPConnection):
    """HTTP to ``address`` (already checked) while speaking to ``host``."""

    def __init__(self, target: Target, address: str, timeout: float, opener: Opener) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self.address, self.seconds, self.opener = address, timeout, opener

    def connect(self) -> None:
        self.sock = self.opener(self.address, self.port, self.seconds)


class _PinnedHTTPS(http.client.HTTPSConnection):
    """HTTPS to ``address`` with SNI and certificate checked against ``host``."""

    def __init__(
        self, target: Target, address: str, timeout: float, tls: ssl.SSLContext, opener: Opener
    ) -> None:
        super().__init__(target.host, target.port, timeout=timeout, context=tls)
        self.address, self.seconds, self.tls, self.opener = address, timeout, tls, opener

    def connect(self) -> None:
        raw = self.opener(self.address, self.port, self.seconds)
        try:
            self.sock = self.tls.wrap_socket(raw, server_hostname=self.host)
        except BaseException:
            raw.close()
            raise


_Connection = _PinnedHTTP | _PinnedHTTPS


class Transport:
    """One exchange: its deadline, watchdog and settings, shared by every request in it.

    Use it as a context manager (that runs the watchdog). ``resolve`` replaces the system
    resolver and ``tls`` the verifying context (tests); ``opener`` opens the TCP socket to a
    checked address (tests count connections with it).
    """

    def __init__(
        self,
        limits: FetchLimits = FetchLimits(),
        policy: AddressPolicy = AddressPolicy(),  # noqa: B008 - frozen, so sharing is safe
        *,
        resolve: Resolver | None = None,
        tls: ssl.SSLContext | None = None,
        opener: Opener = open_socket,
    ) -> None:
        self.limits, self.policy = limits, policy
        self.resolve, self.tls = resolve or system_resolve, tls or default_tls()
        self.opener = opener
        self.clock = Clock(limits.deadline)
        self.watchdog = Watchdog(self.clock)

    def __enter__(self) -> Transport:
        self.watchdog.__enter__()
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.watchdog.__exit__(*exc)

    def send(
        self,
        method: str,
        target: Target,
        headers: Mapping[str, str],
        body: bytes | None = None,
        *,
        redirected: bool = False,
    ) -> Response:
        """The answer to one request (see the module docstring for what is checked).

        ``redirected`` says ``target`` came from a redirect (a refusal then names it).
        """
        addresses = self._addresses(target, redirected)
        try:
            conn = self._connect(target, addresses)
            try:
                conn.request(method, target.path, body=body, headers=self._headers(headers))
                with conn.getresponse() as answer:  # closing it releases the socket
                    response = self._response(target, answer, method)
            finally:
                conn.close()
                self.watchdog.guard(None)
        except (OSError, http.client.HTTPException, zlib.error) as exc:
            raise self._failure(exc) from exc
        if self.watchdog.fired:  # the socket was shut under a read that then saw a clean end
            raise self.clock.expired()
        return response

    def _headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        found = {name.lower() for name in headers}
        extra = {"User-Agent": USER_AGENT} if "user-agent" not in found else {}
        return {**extra, **headers, "Connection": "close"}

    def _addresses(self, target: Target, redirected: bool) -> list[str]:
        try:
            return checked_addresses(target, self._answers(target), self.policy)
        except UrlRefused as refused:
            if not redirected:
                raise
            raise UrlRefused(f"redirect to {target.url}: {refused.detail}") from None

    def _answers(self, target: Target) -> list[str]:
        if target.literal is not None:
            return []
        try:
            answers = within(self.clock.left(), self.resolve, target.host, target.port)
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
            return _PinnedHTTPS(target, address, timeout, self.tls, self.opener)
        return _PinnedHTTP(target, address, timeout, self.opener)

    def _response(self, target: Target, answer: http.client.HTTPResponse, method: str) -> Response:
        headers = {name.lower(): value for name, value in answer.getheaders()}
        body = b""
        if 200 <= answer.status < 300 and method != "HEAD":
            limits = self.limits
            body = Body(answer, self.watchdog, limits.max_bytes, limits.socket_timeout).read()
        return Response(answer.status, headers, body, target.url)

    def _failure(self, exc: BaseException) -> FetchFailed:
        if self.watchdog.fired or time.monotonic() >= self.clock.end - 0.01:
            return self.clock.expired()
        if isinstance(exc, TimeoutError):
            seconds = self.limits.socket_timeout
            return FetchFailed(
                f"the server stopped answering (for {seconds:g} seconds)", kind="timeout"
            )
        return plain_failure(exc)
