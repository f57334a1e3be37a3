"""OAuth pieces that need no server: the consent URL, state checks, grants, refresh errors."""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import parse_qs, urlsplit

import pytest
from google.auth.exceptions import RefreshError

from integrations.google.config import (
    CALENDAR_LIST,
    FREEBUSY,
    GOOGLE,
    READ,
    WRITE,
    for_emulator,
    scopes_for,
)
from integrations.google.errors import AuthorizationFailed
from integrations.google.oauth import (
    OAuthClient,
    PendingAuthorization,
    credentials,
    finish_authorization,
    grant_from_token,
    refresh_error_code,
    start_authorization,
)

CLIENT = OAuthClient("cid.apps", "secret", "https://planner.example.org/google/callback")


def test_scopes_are_least_privilege() -> None:
    assert scopes_for() == [CALENDAR_LIST, READ]
    assert scopes_for(privacy=True) == [CALENDAR_LIST, FREEBUSY]
    assert scopes_for(write_back=True) == [CALENDAR_LIST, READ, WRITE]


def test_emulator_endpoints_share_one_base() -> None:
    endpoints = for_emulator("http://127.0.0.1:5555/")
    assert endpoints.api_root == "http://127.0.0.1:5555/calendar/v3/"
    assert endpoints.token_uri.startswith("http://127.0.0.1:5555/")


def test_consent_url_has_state_pkce_offline_and_incremental_grant() -> None:
    url, pending = start_authorization(CLIENT, GOOGLE, [READ, WRITE])
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == GOOGLE.auth_uri
    assert query["state"] == pending.state and len(pending.state) >= 32
    assert query["access_type"] == "offline"
    assert query["include_granted_scopes"] == "true"
    assert query["redirect_uri"] == CLIENT.redirect_uri
    assert query["scope"].split() == [READ, WRITE]
    assert query["code_challenge_method"] == "S256"
    digest = hashlib.sha256(pending.code_verifier.encode()).digest()
    assert query["code_challenge"] == base64.urlsafe_b64encode(digest).decode().rstrip("=")
    assert 43 <= len(pending.code_verifier) <= 128
    _, other = start_authorization(CLIENT, GOOGLE, [READ])
    assert other.state != pending.state and other.code_verifier != pending.code_verifier


PENDING = PendingAuthorization("s" * 43, "v" * 64, (READ,))


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({"state": "forged", "code": "c"}, "state_mismatch"),
        ({"code": "c"}, "state_mismatch"),
        ({"state": "s" * 43, "error": "access_denied"}, "access_denied"),
        ({"state": "s" * 43}, "missing_code"),
    ],
)
def test_bad_callbacks_are_refused_before_any_exchange(params: dict[str, str], reason: str) -> None:
    with pytest.raises(AuthorizationFailed) as caught:
        finish_authorization(CLIENT, GOOGLE, PENDING, params)
    assert caught.value.reason == reason


def test_grant_reports_unticked_scopes() -> None:
    token = {
        "access_token": "a",
        "refresh_token": "r",
        "scope": f"{READ} openid",
        "expires_at": 1e9,
    }
    grant = grant_from_token(token, [READ, WRITE])
    assert grant.missing == {WRITE}
    assert READ in grant.granted and grant.refresh_token == "r"
    assert grant.expiry is not None and grant.expiry.tzinfo is not None
    assert grant_from_token({"access_token": "a"}, [READ]).missing == frozenset()


def test_refresh_error_code() -> None:
    body = {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}
    error = RefreshError  # google-auth's exceptions are untyped
    assert refresh_error_code(error("invalid_grant: Token", body)) == "invalid_grant"  # type: ignore[no-untyped-call]
    assert refresh_error_code(error("invalid_grant: Bad")) == "invalid_grant"  # type: ignore[no-untyped-call]
    assert refresh_error_code(error("timeout")) == ""  # type: ignore[no-untyped-call]


def test_credentials_keep_the_configured_token_uri() -> None:
    endpoints = for_emulator("http://127.0.0.1:9")
    creds = credentials("r", "cid", "sec", endpoints)
    assert creds.token_uri == endpoints.token_uri
    assert creds.refresh_token == "r" and not creds.valid
