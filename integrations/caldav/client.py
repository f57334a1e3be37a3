"""A small CalDAV client over the guarded transport of :mod:`integrations.ics.transport`.

One :class:`Client` is one exchange with one server under one deadline (use it as a context
manager). Every URL, the server's first address, each redirect and every href the server
hands us, goes through the same checks as an ICS URL: parsed by
:func:`~integrations.ics.addresses.parse_url`, resolved once, every address checked by the
:class:`~integrations.ics.addresses.AddressPolicy`, the socket pinned to a checked address.

Credentials are HTTP Basic. They go to the origin the user gave, and to another origin only
over https (iCloud keeps calendars on other hosts than the one you sign in to), never over
plain http to a host the user did not name. Redirects are followed only where the caller
asks (PROPFIND during discovery), with the same method and body, each hop checked again.

A 401, or a 403 on a read, raises :class:`AuthFailed` (check the user name and app
password); any other status a caller did not expect raises
:class:`~integrations.ics.transport.FetchFailed` (a 403 on a write: no write access).
"""

from __future__ import annotations

import ssl
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from urllib.parse import urljoin

from integrations.caldav import xml
from integrations.ics.addresses import AddressPolicy, Target, UrlRefused, parse_url
from integrations.ics.transport import (
    FetchFailed,
    FetchLimits,
    Opener,
    Response,
    Transport,
    basic_auth,
    open_socket,
)
from integrations.ics.wire import Resolver, status_text

REDIRECTS = frozenset({301, 302, 307, 308})
READS = frozenset({"PROPFIND", "REPORT", "GET"})  # a 403 on these: the account has no access
AUTH_MESSAGE = "the server did not accept the user name and app password; check both"


class AuthFailed(FetchFailed):
    """The server refused the credentials (401) or access with them (403)."""

    def __init__(self, message: str = AUTH_MESSAGE, *, status: int | None = None) -> None:
        super().__init__(message, kind="auth", status=status)


@dataclass(frozen=True)
class Credentials:
    """A user name and an app password (never shown in a repr)."""

    username: str
    password: str = field(repr=False)


@dataclass(frozen=True)
class Network:
    """How requests may travel: bounds, allowed networks, and test seams (resolver, TLS
    context, socket opener)."""

    limits: FetchLimits = field(default_factory=FetchLimits)
    policy: AddressPolicy = field(default_factory=AddressPolicy)
    resolve: Resolver | None = None
    tls: ssl.SSLContext | None = None
    opener: Opener = open_socket


class Client:
    """Requests to one CalDAV server with one set of credentials (see the module docstring).

    :class:`UrlRefused` when ``server_url`` may not be used; :class:`AuthFailed` when the
    credentials cannot be sent (a colon in the user name, control characters).
    """

    def __init__(self, server_url: str, credentials: Credentials, network: Network) -> None:
        self.origin = parse_url(server_url)
        try:
            self.authorization = basic_auth(credentials.username, credentials.password)
        except ValueError as error:
            raise AuthFailed(str(error)) from None
        self.network = network
        self.transport = Transport(
            network.limits,
            network.policy,
            resolve=network.resolve,
            tls=network.tls,
            opener=network.opener,
        )
        self.requests = 0

    def __enter__(self) -> Client:
        self.transport.__enter__()
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.transport.__exit__(*exc)

    def request(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None = None,
        body: bytes | None = None,
        *,
        follow: bool = False,
    ) -> Response:
        """The answer to ``method url``, after redirects when ``follow``; :class:`AuthFailed`
        on 401/403, any other status is the caller's to judge."""
        target = parse_url(url)
        for hop in range(self.network.limits.max_redirects + 1):
            response = self._send(method, target, headers or {}, body, hop > 0)
            if response.status == 401 or (response.status == 403 and method in READS):
                raise AuthFailed(status=response.status)
            if not follow or response.status not in REDIRECTS:
                return response
            target = _redirect(target, response)
        raise FetchFailed("the server redirected too many times", kind="redirects")

    def _send(
        self, method: str, target: Target, headers: Mapping[str, str], body: bytes | None, hop: bool
    ) -> Response:
        extra = {"Authorization": self.authorization} if self._may_authenticate(target) else {}
        self.requests += 1
        return self.transport.send(method, target, {**headers, **extra}, body, redirected=hop)

    def _may_authenticate(self, target: Target) -> bool:
        """True for the user's own origin, and for any https origin."""
        origin = (self.origin.scheme, self.origin.host, self.origin.port)
        return target.scheme == "https" or (target.scheme, target.host, target.port) == origin

    def propfind(
        self, url: str, props: Iterable[str], *, depth: str = "0", follow: bool = False
    ) -> list[xml.DavResponse]:
        """The multistatus of a PROPFIND for ``props`` (Clark names)."""
        headers = {"Depth": depth, "Content-Type": "application/xml; charset=utf-8"}
        response = self.request("PROPFIND", url, headers, xml.propfind(props), follow=follow)
        return multistatus(response)

    def report(self, url: str, body: bytes, *, depth: str = "1") -> list[xml.DavResponse]:
        """The multistatus of a REPORT."""
        headers = {"Depth": depth, "Content-Type": "application/xml; charset=utf-8"}
        return multistatus(self.request("REPORT", url, headers, body))


def multistatus(response: Response) -> list[xml.DavResponse]:
    """The responses in a 207 answer; :class:`FetchFailed` for any other status or XML."""
    if response.status != 207:
        raise unexpected(response)
    try:
        return xml.parse_multistatus(response.body, response.url)
    except xml.UnreadableXml as error:
        raise FetchFailed(
            f"the server sent an answer that cannot be read ({error})", kind="protocol"
        ) from None


def unexpected(response: Response) -> FetchFailed:
    """The failure for a status the caller did not expect."""
    status = response.status
    if status == 403:
        return FetchFailed(
            "the server does not let this account change that calendar", kind="forbidden"
        )
    if status in REDIRECTS or status == 303:
        return FetchFailed("the server sent us to another address", kind="redirects")
    return FetchFailed(
        f"the server answered {status_text(status)}", kind="http_status", status=status
    )


def _redirect(current: Target, response: Response) -> Target:
    location = response.header("Location")
    if not location:
        raise FetchFailed("the server redirected without a new address", kind="protocol")
    try:
        return parse_url(urljoin(current.url, location))
    except UrlRefused as refused:
        raise UrlRefused(f"redirect to {location!r}: {refused.detail}") from None
