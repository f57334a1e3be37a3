"""Helpers for the emulator tests (no tests here): connect a user, drive the consent page.

Everything goes through the real libraries over loopback HTTP: google-auth credentials,
google-api-python-client with its shipped discovery document, and plain urllib for the
browser's part of the OAuth dance.
"""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

from integrations.google.client import RetryPolicy, build_service
from integrations.google.config import READ, GoogleEndpoints, for_emulator
from integrations.google.emulator import RunningEmulator
from integrations.google.oauth import OAuthClient, RefreshedToken, credentials
from planner.core.intervals import Interval

CLIENT = OAuthClient("planner-test.apps", "s3cret", "http://127.0.0.1:1/google/callback")
USER = "lena@example.org"
NOW = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
WINDOW = Interval(NOW - timedelta(days=1), NOW + timedelta(days=28))


def endpoints(emulator: RunningEmulator) -> GoogleEndpoints:
    """The library's endpoints for this emulator (and a check that both agree)."""
    ends = for_emulator(emulator.base_url)
    assert (ends.auth_uri, ends.token_uri, ends.revoke_uri, ends.api_root) == (
        emulator.auth_uri,
        emulator.token_uri,
        emulator.revoke_uri,
        emulator.api_root,
    )
    return ends


def register(emulator: RunningEmulator, user: str = USER, zone: str = "Europe/Berlin") -> None:
    emulator.admin.add_user(user, time_zone=zone)
    emulator.admin.register_client(CLIENT.client_id, CLIENT.client_secret, [CLIENT.redirect_uri])


class Recorder:
    """Collects sleeps and refreshed tokens so tests can look at them."""

    def __init__(self) -> None:
        self.sleeps: list[float] = []
        self.refreshed: list[RefreshedToken] = []

    def policy(self, **kwargs: Any) -> RetryPolicy:
        return RetryPolicy(sleep=self.sleeps.append, random=lambda: 1.0, **kwargs)


def connect(
    emulator: RunningEmulator,
    scopes: Iterable[str] = (READ,),
    recorder: Recorder | None = None,
    user: str = USER,
) -> tuple[Any, str]:
    """A Calendar service for ``user`` (granted ``scopes`` without the browser) and the
    refresh token. The first call refreshes the (absent) access token at the emulator."""
    tokens = emulator.admin.issue_tokens(user, CLIENT.client_id, list(scopes))
    creds = credentials(
        tokens["refresh_token"],
        CLIENT.client_id,
        CLIENT.client_secret,
        endpoints(emulator),
        on_refresh=recorder.refreshed.append if recorder else None,
    )
    return build_service(creds, endpoints(emulator), timeout=5.0), tokens["refresh_token"]


def timed(event_id: str, start: datetime, hours: float = 1.0, **fields: Any) -> dict[str, Any]:
    """A timed event body in UTC."""
    end = start + timedelta(hours=hours)
    return {
        "id": event_id,
        "summary": fields.pop("summary", event_id),
        "start": {"dateTime": start.isoformat()},
        "end": {"dateTime": end.isoformat()},
        **fields,
    }


def api_requests(emulator: RunningEmulator, method: str = "*", path: str = "") -> list[Any]:
    """The logged Calendar API requests (token endpoint excluded)."""
    return [
        e
        for e in emulator.admin.log()
        if "/calendar/v3/" in e.path and method in ("*", e.method) and path in e.path
    ]


class _Form(HTMLParser):
    """The inputs of the consent page's form."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden: dict[str, str] = {}
        self.checkboxes: list[str] = []
        self.action = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.action = a.get("action", "")
        elif tag == "input" and a.get("type") == "hidden":
            self.hidden[a["name"]] = a.get("value", "")
        elif tag == "input" and a.get("type") == "checkbox":
            self.checkboxes.append(a.get("value", ""))


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def consent(
    auth_url: str,
    *,
    user: str = USER,
    untick: Iterable[str] = (),
    decision: str = "allow",
    redirect_uri: str = CLIENT.redirect_uri,
) -> dict[str, str]:
    """Play the browser: open the consent page, choose the account and scopes, press a
    button, and return the query parameters of the redirect back to the app."""
    with urllib.request.urlopen(auth_url, timeout=5) as page:
        form = _Form()
        form.feed(page.read().decode("utf-8"))
    unticked = set(untick)
    fields = [*form.hidden.items(), ("user", user), ("decision", decision)]
    fields += [("granted", s) for s in form.checkboxes if s not in unticked]
    target = urllib.parse.urljoin(auth_url, form.action)
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        opener.open(target, data=urllib.parse.urlencode(fields).encode(), timeout=5)
    except urllib.error.HTTPError as answer:
        location = answer.headers["Location"]
        assert answer.code == 302 and location.startswith(redirect_uri), location
        query = urllib.parse.urlsplit(location).query
        return {k: v[0] for k, v in urllib.parse.parse_qs(query).items()}
    raise AssertionError("the consent page did not redirect")
