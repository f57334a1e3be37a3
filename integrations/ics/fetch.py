"""Fetch a subscribed ICS URL without letting it reach inside our network, bounded in time and size.

Every URL, the first and each redirect, goes through :func:`parse_url` (http, https, webcal),
is resolved once, and every answer is checked (:func:`check_address`). The connection then
goes to a checked address, never to a second lookup, while the Host header, TLS SNI and the
certificate check use the host name. One deadline covers resolving, connecting, redirects
and reading; a watchdog shuts the socket when it passes, so a server dribbling bytes cannot
stretch it. Bodies are streamed and cut at ``max_bytes``, before or after gzip. The guarded
requests themselves are :mod:`integrations.ics.transport`, shared with CalDAV.

Refused URLs raise :class:`UrlRefused`, everything else that goes wrong on the network raises
:class:`FetchFailed` with a plain message.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from urllib.parse import urljoin

from integrations.ics.addresses import (
    REFUSED_MESSAGE,
    AddressPolicy,
    Target,
    UrlRefused,
    check_address,
    parse_url,
)
from integrations.ics.transport import (
    USER_AGENT,
    FetchFailed,
    FetchLimits,
    Response,
    Transport,
    system_resolve,
)
from integrations.ics.transport import open_socket as _open_socket
from integrations.ics.wire import Resolver, status_text
from integrations.ics.wire import size_text as _size_text  # noqa: F401 - tests read it here

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

REDIRECTS = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True)
class Fetched:
    """What a fetch returned; store ``etag`` and ``last_modified`` for the next one."""

    body: bytes | None  # None when not modified
    not_modified: bool
    etag: str | None
    last_modified: str | None
    url: str  # final URL after redirects, as fetched (webcal spelled https)
    content_type: str | None


def fetch_calendar(
    url: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    limits: FetchLimits = FetchLimits(),  # noqa: B008 - frozen, so sharing is safe
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
    transport = Transport(limits, policy, resolve=resolve, tls=tls, opener=_open_socket)
    with transport:
        for hop in range(limits.max_redirects + 1):
            outcome = _outcome(transport.send("GET", target, headers, redirected=hop > 0))
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


def _outcome(response: Response) -> Fetched | str:
    """The calendar fetched, or the Location a redirect points to."""
    status = response.status
    if status in REDIRECTS:
        location = response.header("Location")
        if not location:
            raise FetchFailed("the server redirected without a new address", kind="protocol")
        return location
    if status != 304 and not 200 <= status < 300:
        raise FetchFailed(
            f"the server answered {status_text(status)}", kind="http_status", status=status
        )
    return Fetched(
        body=None if status == 304 else response.body,
        not_modified=status == 304,
        etag=response.header("ETag"),
        last_modified=response.header("Last-Modified"),
        url=response.url,
        content_type=response.header("Content-Type"),
    )


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
