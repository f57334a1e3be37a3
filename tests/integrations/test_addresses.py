"""The address rules of the calendar fetch: which IPs are blocked, which URLs are refused.

Nothing here touches the network: resolver answers are given as lists.
"""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from integrations.ics.addresses import (
    REFUSED_MESSAGE,
    AddressPolicy,
    UrlRefused,
    check_address,
    checked_addresses,
    parse_loose_ipv4,
    parse_url,
)

BLOCKED = [
    # IPv4 categories
    ("0.0.0.0", "this network"),
    ("0.1.2.3", "this network"),
    ("10.0.0.1", "private"),
    ("10.255.255.255", "private"),
    ("172.16.0.1", "private"),
    ("172.31.255.254", "private"),
    ("192.168.1.1", "private"),
    ("100.64.0.1", "cgnat"),
    ("100.127.255.254", "cgnat"),
    ("127.0.0.1", "loopback"),
    ("127.255.255.254", "loopback"),
    ("169.254.169.254", "link-local"),  # cloud metadata
    ("192.0.0.1", "ietf protocol assignments"),
    ("192.0.2.1", "documentation"),
    ("198.51.100.7", "documentation"),
    ("203.0.113.9", "documentation"),
    ("192.88.99.1", "6to4 relay anycast"),
    ("198.18.0.1", "benchmarking"),
    ("198.19.255.254", "benchmarking"),
    ("224.0.0.1", "multicast"),
    ("239.255.255.250", "multicast"),
    ("240.0.0.1", "reserved"),
    ("255.255.255.254", "reserved"),
    ("255.255.255.255", "broadcast"),
    # odd IPv4 spellings, as a resolver might hand them back
    ("127.1", "loopback"),
    ("2130706433", "loopback"),
    ("0x7f.0.0.1", "loopback"),
    ("0x7f000001", "loopback"),
    ("0177.0.0.1", "loopback"),
    ("0177.0.0.01", "loopback"),
    ("10.1", "private"),
    ("0", "this network"),
    # IPv6 categories
    ("::", "unspecified"),
    ("::1", "loopback"),
    ("fc00::1", "private"),
    ("fd12:3456:789a::1", "private"),
    ("fe80::1", "link-local"),
    ("fe80::1%eth0", "scoped address"),
    ("fec0::1", "site-local"),
    ("ff02::1", "multicast"),
    ("ff0e::1", "multicast"),
    ("100::1", "discard-only"),
    ("2001:db8::1", "documentation"),
    ("3fff::1", "documentation"),
    ("2001:10::1", "ietf protocol assignments"),
    ("2001:2::1", "ietf protocol assignments"),
    ("5f00::1", "srv6 sids"),
    ("::2:3:4:5:6", "reserved"),
    ("4000::1", "reserved"),
    ("64:ff9b:1::1", "local-use nat64"),
    ("::ffff:0:7f00:1", "ipv4-translated"),
    # IPv6 forms embedding a blocked IPv4
    ("::ffff:127.0.0.1", "ipv4-mapped of 127.0.0.1"),
    ("::ffff:7f00:1", "ipv4-mapped of 127.0.0.1"),
    ("::ffff:10.0.0.1", "ipv4-mapped of 10.0.0.1"),
    ("::ffff:169.254.169.254", "ipv4-mapped of 169.254.169.254"),
    ("::ffff:0.0.0.0", "ipv4-mapped of 0.0.0.0"),
    ("::127.0.0.1", "ipv4-compatible of 127.0.0.1"),
    ("::10.0.0.1", "ipv4-compatible of 10.0.0.1"),
    ("::93.184.215.14", "ipv4-compatible of 93.184.215.14"),  # deprecated form: always refused
    ("64:ff9b::127.0.0.1", "nat64 of 127.0.0.1"),
    ("64:ff9b::a9fe:a9fe", "nat64 of 169.254.169.254"),
    ("2002:7f00:1::", "6to4 of 127.0.0.1"),
    ("2002:a00:1:1::1", "6to4 of 10.0.0.1"),
    ("2002:c0a8:101::1", "6to4 of 192.168.1.1"),
    # Teredo: the client address is the last 32 bits, inverted (80ff:fffe = ~127.0.0.1)
    ("2001:0:4136:e378:8000:63bf:80ff:fffe", "teredo of 127.0.0.1"),
    ("2001:0:4136:e378:8000:63bf:f5ff:fffe", "teredo of 10.0.0.1"),
    # not addresses at all
    ("", "not an ip address"),
    ("localhost", "not an ip address"),
    ("1.2.3.4.5", "not an ip address"),
    ("256.1.1.1", "not an ip address"),
    ("08.1.1.1", "not an ip address"),
]

ALLOWED = [
    "93.184.215.14",
    "8.8.8.8",
    "1.1.1.1",
    "100.63.255.255",  # just below CGNAT
    "100.128.0.0",  # just above CGNAT
    "172.15.255.255",
    "172.32.0.0",
    "198.17.255.255",
    "198.20.0.0",
    "223.255.255.255",
    "2606:4700::1111",
    "2001:4860:4860::8888",
    "2a00:1450:4001::1",
    "::ffff:93.184.215.14",  # mapped public v4
    "64:ff9b::93.184.215.14",  # NAT64 of public v4
    "2002:5db8:d70e::1",  # 6to4 of 93.184.215.14
    "2001:0:4136:e378:8000:63bf:a247:28f1",  # Teredo, client 93.184.215.14
]


@pytest.mark.parametrize(("ip", "reason"), BLOCKED)
def test_blocked_addresses_name_their_reason(ip: str, reason: str) -> None:
    assert check_address(ip) == reason


@pytest.mark.parametrize("ip", ALLOWED)
def test_public_addresses_are_allowed(ip: str) -> None:
    assert check_address(ip) is None


def test_check_address_takes_ipaddress_objects() -> None:
    assert check_address(ipaddress.ip_address("10.0.0.1")) == "private"
    assert check_address(ipaddress.ip_address("2606:4700::1111")) is None


@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_every_non_global_ipv4_is_blocked(value: int) -> None:
    address = ipaddress.IPv4Address(value)
    if not address.is_global:
        assert check_address(address) is not None


@given(st.integers(min_value=0, max_value=2**128 - 1))
def test_every_non_global_ipv6_is_blocked_outside_embedding_forms(value: int) -> None:
    address = ipaddress.IPv6Address(value)
    embedding = ("::ffff:0:0/96", "64:ff9b::/96", "2002::/16", "2001::/32")
    if any(address in ipaddress.ip_network(net) for net in embedding):
        return
    if not address.is_global:
        assert check_address(address) is not None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("127.0.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("0x7f.0.0.1", "127.0.0.1"),
        ("0X7F.1", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("0x", "0.0.0.0"),
        ("1.2.3.4.", "1.2.3.4"),
        ("1.2.65535", "1.2.255.255"),
        ("1.2.65536", None),
        ("4294967296", None),
        ("1.256.0.0", None),
        ("1..2", None),
        ("09", None),
        ("", None),
        ("a.b", None),
    ],
)
def test_loose_ipv4_reads_like_inet_aton(text: str, expected: str | None) -> None:
    address = parse_loose_ipv4(text)
    assert (str(address) if address else None) == expected


REFUSED_URLS = [
    ("ftp://example.com/cal.ics", "scheme"),
    ("file:///etc/passwd", "scheme"),
    ("gopher://example.com/", "scheme"),
    ("javascript:alert(1)", "scheme"),
    ("example.com/cal.ics", "scheme"),
    ("", "empty"),
    ("http://", "bad host name"),
    ("http:///cal.ics", "bad host name"),
    ("http://exa mple.com/", "whitespace"),
    ("http://example.com/\x00", "control"),
    ("http://example.com\\@10.0.0.1/", "backslash"),
    ("http://user:pw@example.com/", "credentials"),
    ("http://example.com@10.0.0.1/", "credentials"),
    ("http://example.com:0/", "port 0"),
    ("http://example.com:99999/", "unreadable url"),
    ("http://example.com:abc/", "unreadable url"),
    ("http://[::1/", "unreadable url"),
    ("http://exa_mple..com/", "host name"),
    ("http://-bad.com/", "bad host name"),
    ("http://localhost/", "loopback"),
    ("http://LOCALHOST./", "loopback"),
    ("http://api.localhost:8080/", "loopback"),
    ("http://1.2.3.4.5/", "bad ipv4 literal"),
    ("http://1.2.3.256/", "bad ipv4 literal"),
    ("http://0x7g.0.0.1/", "bad ipv4 literal"),
    ("http://" + "a" * 4100 + ".com/", "too long"),
]


@pytest.mark.parametrize(("url", "detail"), REFUSED_URLS)
def test_unusable_urls_are_refused_by_syntax(url: str, detail: str) -> None:
    with pytest.raises(UrlRefused) as caught:
        parse_url(url)
    assert str(caught.value) == REFUSED_MESSAGE
    assert detail in caught.value.detail


LITERALS = [
    ("http://127.0.0.1/", "loopback"),
    ("http://127.1/", "loopback"),
    ("http://2130706433/", "loopback"),
    ("http://0x7f.0.0.1/", "loopback"),
    ("http://0177.0.0.1/", "loopback"),
    ("http://0x7f000001:8080/", "loopback"),
    ("https://127.0.0.1./", "loopback"),
    ("webcal://10.0.0.1/cal.ics", "private"),
    ("http://169.254.169.254/latest/meta-data/", "link-local"),
    ("http://100.64.0.1/", "cgnat"),
    ("http://0.0.0.0:8000/", "this network"),
    ("http://0/", "this network"),
    ("http://198.18.0.1/", "benchmarking"),
    ("http://255.255.255.255/", "broadcast"),
    ("http://224.0.0.1/", "multicast"),
    ("http://192.0.2.1/", "documentation"),
    ("http://[::1]/", "loopback"),
    ("http://[::]/", "unspecified"),
    ("http://[::ffff:127.0.0.1]/", "ipv4-mapped of 127.0.0.1"),
    ("http://[::ffff:7f00:1]/", "ipv4-mapped of 127.0.0.1"),
    ("http://[::ffff:a9fe:a9fe]/", "ipv4-mapped of 169.254.169.254"),
    ("http://[::127.0.0.1]/", "ipv4-compatible of 127.0.0.1"),
    ("http://[64:ff9b::7f00:1]/", "nat64 of 127.0.0.1"),
    ("http://[2002:7f00:1::1]/", "6to4 of 127.0.0.1"),
    ("http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/", "teredo of 127.0.0.1"),
    ("http://[fd00::1]/", "private"),
    ("http://[fe80::1%25eth0]/", "scoped address"),
    ("http://1.1/", "unusual ipv4 spelling"),  # public, but spelled oddly: still refused
]


@pytest.mark.parametrize(("url", "detail"), LITERALS)
def test_ip_literal_hosts_are_checked_without_resolving(url: str, detail: str) -> None:
    with pytest.raises(UrlRefused) as caught:  # the (public) resolver answer is never used
        checked_addresses(parse_url(url), ["93.184.215.14"], AddressPolicy())
    assert str(caught.value) == REFUSED_MESSAGE
    assert detail in caught.value.detail


@pytest.mark.parametrize(
    ("url", "scheme", "host", "port", "path", "final"),
    [
        ("webcal://Example.COM/cal.ics", "https", "example.com", 443, "/cal.ics", None),
        ("webcals://example.com/c", "https", "example.com", 443, "/c", None),
        ("WEBCAL://example.com:8443/c", "https", "example.com", 8443, "/c", None),
        ("http://example.com", "http", "example.com", 80, "/", "http://example.com/"),
        ("HTTPS://example.com./a?b=1#frag", "https", "example.com", 443, "/a?b=1", None),
        ("http://example.com/ä%20b?q=ü", "http", "example.com", 80, "/%C3%A4%20b?q=%C3%BC", None),
        ("http://bücher.example/", "http", "xn--bcher-kva.example", 80, "/", None),
        ("  https://example.com/x  ", "https", "example.com", 443, "/x", None),
        ("http://[2606:4700::1111]:8080/", "http", "2606:4700::1111", 8080, "/", None),
    ],
)
def test_accepted_urls_are_normalized(
    url: str, scheme: str, host: str, port: int, path: str, final: str | None
) -> None:
    target = parse_url(url)
    assert (target.scheme, target.host, target.port, target.path) == (scheme, host, port, path)
    if final:
        assert target.url == final


def test_target_url_brackets_ipv6_and_keeps_odd_ports() -> None:
    assert parse_url("http://[2606:4700::1111]:8080/x").url == "http://[2606:4700::1111]:8080/x"
    assert parse_url("webcal://example.com/c.ics").url == "https://example.com/c.ics"


def test_one_blocked_answer_refuses_the_host() -> None:
    target = parse_url("https://calendar.example/")
    answers = ["93.184.215.14", "10.0.0.1"]
    with pytest.raises(UrlRefused) as caught:
        checked_addresses(target, answers, AddressPolicy())
    assert caught.value.detail == "calendar.example is 10.0.0.1: private"


@pytest.mark.parametrize(
    ("answer", "detail"),
    [
        ("127.0.0.1", "loopback"),
        ("0x7f.0.0.1", "loopback"),
        ("2130706433", "loopback"),
        ("::ffff:127.0.0.1", "ipv4-mapped of 127.0.0.1"),
        ("64:ff9b::a00:1", "nat64 of 10.0.0.1"),
        ("not-an-ip", "unreadable"),
    ],
)
def test_resolver_answers_are_read_and_checked(answer: str, detail: str) -> None:
    target = parse_url("https://calendar.example/")
    with pytest.raises(UrlRefused) as caught:
        checked_addresses(target, ["93.184.215.14", answer], AddressPolicy())
    assert detail in caught.value.detail


def test_allowed_answers_come_back_canonical_and_deduplicated() -> None:
    target = parse_url("https://calendar.example/")
    answers = ["93.184.215.14", "2606:4700:0::1111", "93.184.215.14"]
    assert checked_addresses(target, answers, AddressPolicy()) == [
        "93.184.215.14",
        "2606:4700::1111",
    ]


def test_policy_exempts_only_its_networks_and_their_ip_version() -> None:
    policy = AddressPolicy(allow=(ipaddress.ip_network("127.0.0.1/32"),))
    target = parse_url("http://calendar.test/")
    assert checked_addresses(target, ["0x7f.0.0.1"], policy) == ["127.0.0.1"]
    for answer in ("127.0.0.2", "::ffff:127.0.0.1", "::1"):
        with pytest.raises(UrlRefused):
            checked_addresses(target, [answer], policy)


def test_refusal_message_never_varies() -> None:
    refused = UrlRefused("calendar.example is 10.0.0.1: private")
    assert str(refused) == REFUSED_MESSAGE
    assert refused.args == (REFUSED_MESSAGE,)
    assert "10.0.0.1" not in repr(refused)
    assert isinstance(refused, ValueError)
