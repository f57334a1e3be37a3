"""Which calendar addresses (URLs) and IP addresses a fetch may use. Pure functions, no IO.

:func:`parse_url` turns a subscribed URL into a :class:`Target` or raises :class:`UrlRefused`;
:func:`checked_addresses` vets what a resolver answered for it. :func:`check_address` answers
``None`` for an IP that may be connected to, else a short reason for logs ("loopback",
"nat64 of 127.0.0.1", ...).

The decision does not lean on ``ipaddress``'s ``is_global``: the ranges are written out
below so they can be read and tested. IPv6 is default-deny: only global unicast
(2000::/3) minus the listed blocks is allowed, plus the forms that embed an IPv4 address
when the embedded address is itself allowed.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_V4 = ipaddress.IPv4Network
_V6 = ipaddress.IPv6Network

#: IPv4 ranges that are never fetched from. The most specific match names the reason.
BLOCKED_V4: tuple[tuple[ipaddress.IPv4Network, str], ...] = (
    (_V4("0.0.0.0/8"), "this network"),
    (_V4("10.0.0.0/8"), "private"),
    (_V4("100.64.0.0/10"), "cgnat"),
    (_V4("127.0.0.0/8"), "loopback"),
    (_V4("169.254.0.0/16"), "link-local"),
    (_V4("172.16.0.0/12"), "private"),
    (_V4("192.0.0.0/24"), "ietf protocol assignments"),
    (_V4("192.0.2.0/24"), "documentation"),
    (_V4("192.88.99.0/24"), "6to4 relay anycast"),
    (_V4("192.168.0.0/16"), "private"),
    (_V4("198.18.0.0/15"), "benchmarking"),
    (_V4("198.51.100.0/24"), "documentation"),
    (_V4("203.0.113.0/24"), "documentation"),
    (_V4("224.0.0.0/4"), "multicast"),
    (_V4("240.0.0.0/4"), "reserved"),
    (_V4("255.255.255.255/32"), "broadcast"),
)

#: IPv6 ranges blocked outright (no embedded IPv4 worth looking at).
BLOCKED_V6: tuple[tuple[ipaddress.IPv6Network, str], ...] = (
    (_V6("::/128"), "unspecified"),
    (_V6("::1/128"), "loopback"),
    (_V6("::ffff:0:0:0/96"), "ipv4-translated"),
    (_V6("64:ff9b:1::/48"), "local-use nat64"),
    (_V6("100::/64"), "discard-only"),
    (_V6("2001::/23"), "ietf protocol assignments"),
    (_V6("2001:db8::/32"), "documentation"),
    (_V6("3fff::/20"), "documentation"),
    (_V6("5f00::/16"), "srv6 sids"),
    (_V6("fc00::/7"), "private"),
    (_V6("fe80::/10"), "link-local"),
    (_V6("fec0::/10"), "site-local"),
    (_V6("ff00::/8"), "multicast"),
)

#: The only IPv6 space allowed at all (global unicast); the rest is reserved.
GLOBAL_UNICAST_V6 = _V6("2000::/3")


def _embedded_v4_last32(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address:
    return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)


def _sixtofour(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address:
    return ipaddress.IPv4Address((int(ip) >> 80) & 0xFFFFFFFF)


def _teredo_client(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address:
    return ipaddress.IPv4Address(~int(ip) & 0xFFFFFFFF)


#: IPv6 forms that carry an IPv4 address: (prefix, name, how to get the IPv4 out).
#: Checked before :data:`BLOCKED_V6`; Teredo (2001::/32) sits inside 2001::/23.
EMBEDDING_V6: tuple[
    tuple[ipaddress.IPv6Network, str, Callable[[ipaddress.IPv6Address], ipaddress.IPv4Address]],
    ...,
] = (
    (_V6("::ffff:0:0/96"), "ipv4-mapped", _embedded_v4_last32),
    (_V6("64:ff9b::/96"), "nat64", _embedded_v4_last32),
    (_V6("2002::/16"), "6to4", _sixtofour),
    (_V6("2001::/32"), "teredo", _teredo_client),
)

#: IPv4-compatible ::a.b.c.d (deprecated); ``::`` and ``::1`` are named separately.
IPV4_COMPATIBLE = _V6("::/96")


def check_address(ip: str | IPAddress) -> str | None:
    """``None`` if ``ip`` may be connected to, else the reason it may not.

    ``ip`` is an address as a resolver returns it; odd IPv4 spellings (``127.1``,
    ``0x7f.0.0.1``) are read the way ``inet_aton`` reads them. Anything unreadable is refused.
    """
    address = ip if not isinstance(ip, str) else parse_address(ip)
    if address is None:
        return "not an ip address"
    if isinstance(address, ipaddress.IPv4Address):
        return _check_v4(address)
    return _check_v6(address)


def parse_address(text: str) -> IPAddress | None:
    """The address ``text`` spells, strictly or in an ``inet_aton`` IPv4 form; else ``None``."""
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return parse_loose_ipv4(text)


def _most_specific(address: IPAddress, table: tuple[tuple[IPNetwork, str], ...]) -> str | None:
    matches = [(net.prefixlen, reason) for net, reason in table if address in net]
    return max(matches)[1] if matches else None


def _check_v4(address: ipaddress.IPv4Address) -> str | None:
    return _most_specific(address, BLOCKED_V4)


def _check_v6(address: ipaddress.IPv6Address) -> str | None:
    if address.scope_id:
        return "scoped address"
    for net, name, extract in EMBEDDING_V6:
        if address in net:
            inner = extract(address)
            return f"{name} of {inner}" if _check_v4(inner) else None
    blocked = _most_specific(address, BLOCKED_V6)
    if blocked:
        return blocked
    if address in IPV4_COMPATIBLE:
        return f"ipv4-compatible of {_embedded_v4_last32(address)}"
    if address not in GLOBAL_UNICAST_V6:
        return "reserved"
    return None


_NUMBER = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$", re.IGNORECASE)


def looks_like_ipv4(host: str) -> bool:
    """True when a URL host must be read as an IPv4 address (its last label is a number).

    This is the WHATWG URL rule: ``127.1``, ``2130706433`` and ``1.2.3.0x4`` are IPv4 hosts,
    never DNS names, so they are never sent to a resolver.
    """
    labels = host.rstrip(".").split(".") if host.rstrip(".") else [""]
    return bool(_NUMBER.match(labels[-1]))


def _number(part: str) -> int | None:
    if not _NUMBER.match(part):
        return None
    if part[:2].lower() == "0x":
        return int(part[2:] or "0", 16)
    if len(part) > 1 and part.startswith("0"):
        return int(part, 8) if all(c in "01234567" for c in part) else None
    return int(part)


def parse_loose_ipv4(text: str) -> ipaddress.IPv4Address | None:
    """``text`` read as ``inet_aton`` reads it (1-4 parts, hex/octal/decimal), else ``None``."""
    parts = text[:-1].split(".") if text.endswith(".") else text.split(".")
    if not 1 <= len(parts) <= 4:
        return None
    numbers = [_number(part) for part in parts]
    if any(n is None for n in numbers):
        return None
    values = [n for n in numbers if n is not None]
    *head, last = values
    if any(n > 255 for n in head) or last >= 256 ** (5 - len(values)):
        return None
    value = last
    for index, part in enumerate(head):
        value |= part << (8 * (3 - index))
    return ipaddress.IPv4Address(value)


REFUSED_MESSAGE = "This calendar address can't be used. Use a public http(s) or webcal link."


class UrlRefused(ValueError):
    """A URL that may not be fetched. ``str()`` is always :data:`REFUSED_MESSAGE`.

    ``detail`` says why ("resolves to 10.0.0.1 (private)"), for logs and tests only: it can
    name internal addresses, so it is never shown to the user.
    """

    def __init__(self, detail: str) -> None:
        super().__init__(REFUSED_MESSAGE)
        self.detail = detail

    def __str__(self) -> str:
        return REFUSED_MESSAGE


@dataclass(frozen=True)
class AddressPolicy:
    """Networks exempted from the block list: only for tests and explicit operator opt-in."""

    allow: tuple[IPNetwork, ...] = ()

    def reason(self, address: IPAddress) -> str | None:
        """``None`` if ``address`` may be connected to under this policy, else why not."""
        if any(address.version == net.version and address in net for net in self.allow):
            return None
        return check_address(address)


@dataclass(frozen=True)
class Target:
    """A URL that passed the syntax checks: what to connect to and what to ask for."""

    scheme: str  # "http" or "https"
    host: str  # ASCII host name or IP literal without brackets: Host header, SNI, certificate
    port: int
    path: str  # path and query, ASCII, starting with "/"
    literal: IPAddress | None  # the address when the host is an IP literal (never resolved)

    @property
    def url(self) -> str:
        """The URL as fetched (webcal spelled https, no fragment, default port dropped)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        port = "" if self.port == default else f":{self.port}"
        return f"{self.scheme}://{host}{port}{self.path}"


SCHEMES = {"http": "http", "https": "https", "webcal": "https", "webcals": "https"}
MAX_URL_LENGTH = 4096
_LABEL = re.compile(r"^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$")
_PATH_SAFE = "/%:@!$&'()*+,;=~-._?"


def parse_url(url: str) -> Target:
    """The :class:`Target` of ``url``, or :class:`UrlRefused` when it may not be fetched."""
    text = url.strip() if isinstance(url, str) else ""
    if not text or len(text) > MAX_URL_LENGTH:
        raise UrlRefused("empty or too long")
    if any(ord(c) < 0x21 or c in "\x7f\\" for c in text):
        raise UrlRefused("whitespace, control character or backslash in url")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise UrlRefused(f"unreadable url: {exc}") from None
    scheme = SCHEMES.get(parts.scheme.lower())
    if scheme is None:
        raise UrlRefused(f"scheme {parts.scheme!r} not allowed")
    if "@" in parts.netloc:
        raise UrlRefused("credentials in url")
    if port == 0:
        raise UrlRefused("port 0")
    host, literal = _host(parts.hostname or "", bracketed="[" in parts.netloc)
    path = quote(parts.path or "/", safe=_PATH_SAFE)
    query = f"?{quote(parts.query, safe=_PATH_SAFE)}" if parts.query else ""
    default = 443 if scheme == "https" else 80
    return Target(scheme, host, port or default, path + query, literal)


def _host(host: str, *, bracketed: bool) -> tuple[str, IPAddress | None]:
    if bracketed:
        try:
            address = ipaddress.IPv6Address(host)
        except ValueError:
            raise UrlRefused(f"bad ipv6 literal {host!r}") from None
        return str(address), address
    try:
        host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise UrlRefused("host name cannot be encoded") from None
    if looks_like_ipv4(host):
        return host, _ipv4_literal(host)
    return _host_name(host), None


def _ipv4_literal(host: str) -> ipaddress.IPv4Address:
    address = parse_loose_ipv4(host)
    if address is None:
        raise UrlRefused(f"bad ipv4 literal {host!r}")
    if str(address) != host:
        reason = check_address(address) or "public"
        raise UrlRefused(f"unusual ipv4 spelling {host!r} = {address} ({reason})")
    return address


def _host_name(host: str) -> str:
    name = host[:-1] if host.endswith(".") else host
    if not name or len(name) > 253 or not all(_LABEL.match(label) for label in name.split(".")):
        raise UrlRefused(f"bad host name {host!r}")
    if name == "localhost" or name.endswith(".localhost"):
        raise UrlRefused(f"{name} is loopback")
    return name


def checked_addresses(target: Target, answers: Iterable[str], policy: AddressPolicy) -> list[str]:
    """The addresses to try for ``target``, all allowed; else :class:`UrlRefused`.

    ``answers`` is what the resolver returned (ignored for IP literals). One blocked answer
    refuses the whole host, so a name cannot rebind between a public and a private record.
    """
    if target.literal is not None:
        addresses: list[IPAddress] = [target.literal]
    else:
        addresses = [_answer(target.host, answer) for answer in answers]
    for address in addresses:
        reason = policy.reason(address)
        if reason is not None:
            raise UrlRefused(f"{target.host} is {address}: {reason}")
    return list(dict.fromkeys(str(address) for address in addresses))


def _answer(host: str, answer: str) -> IPAddress:
    address = parse_address(answer) if isinstance(answer, str) else None
    if address is None:
        raise UrlRefused(f"{host} resolved to unreadable {answer!r}")
    return address
