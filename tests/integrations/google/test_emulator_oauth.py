"""The emulator's OAuth 2.0 through the real libraries: google-auth-oauthlib's Flow for the
authorization-code + PKCE round trip, google-auth's Credentials for refresh, requests for
the consent page (a plain HTTP client standing in for the browser)."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from google.auth.exceptions import RefreshError
from google.auth.transport.requests import Request
from google.oauth2.credentials import Credentials
from google_auth_oauthlib.flow import Flow
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError
from oauthlib.oauth2.rfc6749.errors import InvalidGrantError

from integrations.google.emulator import RunningEmulator
from tests.integrations.google.conftest import (
    CLIENT_ID,
    CLIENT_SECRET,
    REDIRECT_URI,
    SCOPE,
    USER,
)

READ = SCOPE + "calendar.events.readonly"
WRITE = SCOPE + "calendar.events.owned"


@pytest.fixture(autouse=True)
def _plain_http(monkeypatch: pytest.MonkeyPatch) -> None:
    """oauthlib refuses http:// and a narrowed scope unless told; the emulator is loopback."""
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    monkeypatch.setenv("OAUTHLIB_RELAX_TOKEN_SCOPE", "1")


class _Form(HTMLParser):
    """The consent form: hidden fields, the selected account, the scope checkboxes."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden: dict[str, str] = {}
        self.scopes: list[str] = []
        self.users: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "input" and a.get("type") == "hidden":
            self.hidden[a["name"]] = a["value"]
        elif tag == "input" and a.get("type") == "checkbox":
            self.scopes.append(a["value"])
        elif tag == "option":
            self.users.append(a["value"])


def _flow(running: RunningEmulator, scopes: list[str]) -> Flow:
    config = {
        "web": {
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "auth_uri": running.auth_uri,
            "token_uri": running.token_uri,
            "redirect_uris": [REDIRECT_URI],
        }
    }
    return Flow.from_client_config(
        config, scopes=scopes, redirect_uri=REDIRECT_URI, autogenerate_code_verifier=True
    )


def _consent(url: str, untick: tuple[str, ...] = (), decision: str = "allow") -> dict[str, str]:
    """Open the consent page, untick scopes, press the button; the redirect's parameters."""
    page = requests.get(url, timeout=5)
    assert page.status_code == 200, page.text
    form = _Form()
    form.feed(page.text)
    assert CLIENT_ID in page.text
    data: dict[str, Any] = dict(form.hidden)
    data["user"] = USER
    data["granted"] = [s for s in form.scopes if s not in untick]
    data["decision"] = decision
    action = url.split("?")[0]
    answer = requests.post(action, data=data, allow_redirects=False, timeout=5)
    assert answer.status_code == 302
    location = answer.headers["Location"]
    assert location.startswith(REDIRECT_URI + "?")
    return {k: v[0] for k, v in parse_qs(urlparse(location).query).items()}


def _authorize(running: RunningEmulator, flow: Flow, **extra: str) -> tuple[str, dict[str, str]]:
    options = {"access_type": "offline", "include_granted_scopes": "true", "prompt": "consent"}
    url, state = flow.authorization_url(**{**options, **extra})
    return state, _consent(url)


def _service(running: RunningEmulator, credentials: Credentials) -> Any:
    options = {"api_endpoint": running.api_root}
    return build("calendar", "v3", credentials=credentials, client_options=options)


def test_round_trip_with_pkce_refresh_and_revoke(seeded_emulator: RunningEmulator) -> None:
    running = seeded_emulator
    flow = _flow(running, [READ, WRITE])
    url, state = flow.authorization_url(access_type="offline", prompt="consent")
    query = parse_qs(urlparse(url).query)
    assert query["code_challenge_method"] == ["S256"]
    back = _consent(url)
    assert back["state"] == state
    token = flow.fetch_token(code=back["code"])
    assert token["token_type"] == "Bearer"
    assert token["expires_in"] == 3599
    assert set(token["scope"]) == {READ, WRITE}
    assert token["refresh_token"].startswith("1//")
    credentials = flow.credentials
    assert credentials.token_uri == running.token_uri
    items = _service(running, credentials).events().list(calendarId="primary").execute()
    assert items["items"] == []

    old = credentials.token
    credentials.refresh(Request())
    assert credentials.token != old

    answer = requests.post(running.revoke_uri, params={"token": credentials.refresh_token})
    assert answer.status_code == 200
    with pytest.raises(RefreshError, match="invalid_grant"):
        credentials.refresh(Request())
    headers = {"Authorization": f"Bearer {credentials.token}"}
    answer = requests.get(running.api_root + "calendars/primary/events", headers=headers)
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"].startswith("Bearer ")
    assert answer.json()["error"]["errors"][0]["reason"] == "authError"


def test_wrong_verifier_is_invalid_grant(seeded_emulator: RunningEmulator) -> None:
    flow = _flow(seeded_emulator, [READ])
    _, back = _authorize(seeded_emulator, flow)
    flow.code_verifier = "x" * 64
    with pytest.raises(InvalidGrantError, match="code verifier"):
        flow.fetch_token(code=back["code"])


def test_code_is_single_use(seeded_emulator: RunningEmulator) -> None:
    flow = _flow(seeded_emulator, [READ])
    _, back = _authorize(seeded_emulator, flow)
    flow.fetch_token(code=back["code"])
    with pytest.raises(InvalidGrantError):
        flow.fetch_token(code=back["code"])


def test_unticked_scope_is_not_granted(seeded_emulator: RunningEmulator) -> None:
    running = seeded_emulator
    flow = _flow(running, [READ, WRITE])
    url, _ = flow.authorization_url(access_type="offline")
    back = _consent(url, untick=(WRITE,))
    token = flow.fetch_token(code=back["code"])
    assert token["scope"] == [READ]
    service = _service(running, flow.credentials)
    body = {"start": {"date": "2025-01-01"}, "end": {"date": "2025-01-02"}}
    with pytest.raises(HttpError) as caught:
        service.events().insert(calendarId="primary", body=body).execute()
    assert caught.value.status_code == 403
    assert caught.value.error_details[0]["reason"] == "insufficientPermissions"


def test_include_granted_scopes_and_refresh_token_only_first(
    seeded_emulator: RunningEmulator,
) -> None:
    first = _flow(seeded_emulator, [READ])
    _, back = _authorize(seeded_emulator, first, prompt="select_account")
    assert "refresh_token" in first.fetch_token(code=back["code"])
    second = _flow(seeded_emulator, [WRITE])
    _, back = _authorize(seeded_emulator, second, prompt="select_account")
    token = second.fetch_token(code=back["code"])
    assert "refresh_token" not in token  # Google sends it once, unless prompt=consent
    assert set(token["scope"]) == {READ, WRITE}
    third = _flow(seeded_emulator, [WRITE])
    _, back = _authorize(seeded_emulator, third, include_granted_scopes="false")
    token = third.fetch_token(code=back["code"])
    assert token["scope"] == [WRITE] and "refresh_token" in token


def test_cancel_gives_access_denied(seeded_emulator: RunningEmulator) -> None:
    url, state = _flow(seeded_emulator, [READ]).authorization_url()
    back = _consent(url, decision="deny")
    assert back == {"error": "access_denied", "state": state}


def test_bad_authorize_requests(seeded_emulator: RunningEmulator) -> None:
    url, _ = _flow(seeded_emulator, [READ]).authorization_url()
    wrong = requests.get(url.replace("oauth%2Fcallback", "elsewhere"), timeout=5)
    assert wrong.status_code == 400 and "redirect_uri_mismatch" in wrong.text
    unknown = requests.get(url.replace(CLIENT_ID, "nobody"), timeout=5)
    assert unknown.status_code == 401 and "invalid_client" in unknown.text
    no_pkce = url.split("&code_challenge=")[0]
    answer = requests.get(no_pkce, allow_redirects=False, timeout=5)
    assert answer.status_code == 302
    assert "error=invalid_request" in answer.headers["Location"]


def test_token_endpoint_errors(seeded_emulator: RunningEmulator) -> None:
    uri = seeded_emulator.token_uri
    tokens = seeded_emulator.admin.issue_tokens(USER, CLIENT_ID, [READ])
    refresh = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    basic = requests.post(uri, data=refresh, auth=(CLIENT_ID, CLIENT_SECRET), timeout=5)
    assert basic.status_code == 200
    assert set(basic.json()) == {"access_token", "expires_in", "scope", "token_type"}
    wrong = requests.post(uri, data=refresh, auth=(CLIENT_ID, "nope"), timeout=5)
    assert (wrong.status_code, wrong.json()["error"]) == (401, "invalid_client")
    body = {**refresh, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    odd = requests.post(uri, data={**body, "grant_type": "password"}, timeout=5)
    assert (odd.status_code, odd.json()["error"]) == (400, "unsupported_grant_type")
    missing = requests.post(uri, data={**body, "refresh_token": ""}, timeout=5)
    assert (missing.status_code, missing.json()["error"]) == (400, "invalid_request")
    gone = requests.post(uri, data={**body, "refresh_token": "1//0nothing"}, timeout=5)
    assert gone.json() == {
        "error": "invalid_grant",
        "error_description": "Token has been expired or revoked.",
    }


def test_expired_access_token_is_refreshed_by_the_client(
    seeded_emulator: RunningEmulator,
) -> None:
    tokens = seeded_emulator.admin.issue_tokens(USER, CLIENT_ID, [READ])
    credentials = Credentials(
        tokens["access_token"],
        refresh_token=tokens["refresh_token"],
        token_uri=seeded_emulator.token_uri,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
    )
    service = _service(seeded_emulator, credentials)
    assert seeded_emulator.admin.expire_access_tokens() == 1
    service.events().list(calendarId="primary").execute()
    trail = [(e.method, e.path, e.status) for e in seeded_emulator.admin.log()]
    events_path = "/calendar/v3/calendars/primary/events"
    assert trail == [("GET", events_path, 401), ("POST", "/token", 200), ("GET", events_path, 200)]
