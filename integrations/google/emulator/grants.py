"""Grants and tokens: issuing, checking and revoking access and refresh tokens; scopes.

Callers hold ``state.lock``. An access token names its refresh token, so revoking either
revokes the grant: the refresh token and every access token minted from it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import timedelta
from typing import Any

from integrations.google.emulator.errors import insufficient_scope, unauthorized
from integrations.google.emulator.state import (
    AccessToken,
    EmulatorState,
    OAuthClient,
    RefreshToken,
    new_token,
)

PREFIX = "https://www.googleapis.com/auth/"
CALENDAR_SCOPES = frozenset(
    PREFIX + name
    for name in (
        "calendar",
        "calendar.readonly",
        "calendar.events",
        "calendar.events.readonly",
        "calendar.events.owned",
        "calendar.events.owned.readonly",
        "calendar.events.freebusy",
        "calendar.freebusy",
        "calendar.calendarlist",
        "calendar.calendarlist.readonly",
        "calendar.calendars",
        "calendar.calendars.readonly",
        "calendar.app.created",
        "calendar.settings.readonly",
        "calendar.acls",
        "calendar.acls.readonly",
        "calendar.events.public.readonly",
    )
)
IDENTITY_SCOPES = frozenset(
    {"openid", "email", "profile", PREFIX + "userinfo.email", PREFIX + "userinfo.profile"}
)


def _scopes(*names: str) -> frozenset[str]:
    return frozenset(PREFIX + n for n in names)


_READ_EVENTS = _scopes(
    "calendar",
    "calendar.readonly",
    "calendar.events",
    "calendar.events.readonly",
    "calendar.events.owned",
    "calendar.events.owned.readonly",
    "calendar.events.freebusy",
    "calendar.events.public.readonly",
    "calendar.app.created",
)
METHOD_SCOPES: dict[str, frozenset[str]] = {
    "calendarList.list": _scopes(
        "calendar", "calendar.readonly", "calendar.calendarlist", "calendar.calendarlist.readonly"
    ),
    "events.list": _READ_EVENTS,
    "events.get": _READ_EVENTS,
    "events.write": _scopes(
        "calendar", "calendar.events", "calendar.events.owned", "calendar.app.created"
    ),
    "freebusy.query": _scopes(
        "calendar", "calendar.readonly", "calendar.freebusy", "calendar.events.freebusy"
    ),
    "events.watch": _READ_EVENTS,
    "channels.stop": _READ_EVENTS
    | _scopes(
        "calendar.acls",
        "calendar.acls.readonly",
        "calendar.calendarlist",
        "calendar.calendarlist.readonly",
        "calendar.settings",
        "calendar.settings.readonly",
    ),
}
"""Which scopes allow each method (from the discovery document; checked by the tests)."""


def known_scope(scope: str) -> bool:
    return scope in CALENDAR_SCOPES or scope in IDENTITY_SCOPES


def issue_tokens(
    state: EmulatorState,
    client: OAuthClient,
    user: str,
    scopes: list[str],
    offline: bool = False,
    force_refresh: bool = False,
    refresh: RefreshToken | None = None,
) -> dict[str, Any]:
    """A token response; a refresh token only for the first offline grant (or prompt=consent)."""
    body: dict[str, Any] = {}
    if refresh is None and offline:
        refresh = _live_refresh(state, client.client_id, user)
        if refresh is None or force_refresh:
            refresh = RefreshToken(new_token("1//0"), client.client_id, user, list(scopes))
            state.refresh_tokens[refresh.token] = refresh
            body["refresh_token"] = refresh.token
        else:
            refresh.scopes = refresh.scopes + [s for s in scopes if s not in refresh.scopes]
    lifetime = state.ACCESS_LIFETIME_SECONDS
    access = AccessToken(
        new_token("ya29."),
        client.client_id,
        user,
        list(scopes),
        expires_at=state.now() + timedelta(seconds=lifetime),
        refresh_token=refresh.token if refresh else None,
    )
    state.access_tokens[access.token] = access
    body = {
        "access_token": access.token,
        "expires_in": lifetime,
        **body,
        "scope": " ".join(scopes),
        "token_type": "Bearer",
    }
    if "openid" in scopes:
        body["id_token"] = id_token(state, client, user)
    return body


def _live_refresh(state: EmulatorState, client_id: str, user: str) -> RefreshToken | None:
    for refresh in state.refresh_tokens.values():
        if refresh.client_id == client_id and refresh.user == user and not refresh.revoked:
            return refresh
    return None


def revoke_grant(state: EmulatorState, token: str) -> bool:
    """Revoke the grant behind a refresh or access token; False when the token is unknown."""
    access = state.access_tokens.get(token)
    refresh_value = access.refresh_token if access else token
    refresh = state.refresh_tokens.get(refresh_value or "")
    if access is None and refresh is None:
        return False
    if (access and access.revoked) or (access is None and refresh and refresh.revoked):
        return False
    if access is not None:
        access.revoked = True
    if refresh is not None:
        refresh.revoked = True
        for other in state.access_tokens.values():
            if other.refresh_token == refresh.token:
                other.revoked = True
        state.grants.pop((refresh.user, refresh.client_id), None)
    return True


def bearer(state: EmulatorState, header: str | None, method: str) -> AccessToken:
    """The access token of an ``Authorization: Bearer`` header allowed to call ``method``."""
    if not header or not header.startswith("Bearer "):
        raise unauthorized()
    access = state.access_tokens.get(header[len("Bearer ") :].strip())
    if access is None or access.revoked or state.now() >= access.expires_at:
        raise unauthorized()
    if not METHOD_SCOPES[method] & set(access.scopes):
        raise insufficient_scope()
    return access


def id_token(state: EmulatorState, client: OAuthClient, user: str) -> str:
    """An ID token shaped like Google's, signed HS256 with the client secret (not RS256)."""
    now = int(state.now().timestamp())
    claims = {
        "iss": "https://accounts.google.com",
        "aud": client.client_id,
        "azp": client.client_id,
        "sub": hashlib.sha256(user.encode()).hexdigest()[:21],
        "email": user,
        "email_verified": True,
        "iat": now,
        "exp": now + state.ACCESS_LIFETIME_SECONDS,
    }
    parts = [_b64({"alg": "HS256", "typ": "JWT"}), _b64(claims)]
    signing = ".".join(parts).encode()
    signature = hmac.new(client.client_secret.encode(), signing, hashlib.sha256).digest()
    return ".".join([*parts, base64.urlsafe_b64encode(signature).rstrip(b"=").decode()])


def _b64(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
