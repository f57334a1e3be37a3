"""OAuth 2.0 for a web app: authorization URL with state and PKCE, code exchange, refresh.

The flow is split the way a web app needs it. :func:`start_authorization` returns the URL
to send the browser to and a :class:`PendingAuthorization` (state, PKCE code verifier,
requested scopes) that the web layer keeps in the user's session. The callback hands the
query parameters and that pending record to :func:`finish_authorization`, which checks the
state, exchanges the code with the verifier and reports which requested scopes the user
granted and which they unticked.

:func:`credentials` rebuilds google-auth credentials from a stored refresh token with the
configured token endpoint (``Credentials.from_authorized_user_info`` would drop a custom
``token_uri``). Refreshed tokens are reported through an ``on_refresh`` callback, never
kept in a global; a revoked grant surfaces as :class:`ReconnectNeeded`.

Plain ``http://`` endpoints (the emulator on loopback) need ``OAUTHLIB_INSECURE_TRANSPORT=1``
in the environment; oauthlib refuses them otherwise. Production never sets it.
"""

from __future__ import annotations

import hmac
import json
import secrets
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from google.auth.exceptions import RefreshError
from google.auth.transport import Request
from google.oauth2.credentials import Credentials
from google_auth_oauthlib.flow import Flow  # type: ignore[import-untyped]
from oauthlib.oauth2 import OAuth2Error  # type: ignore[import-untyped]

from integrations.google.config import GoogleEndpoints
from integrations.google.errors import AuthorizationFailed, ReconnectNeeded

REVOKE_TIMEOUT = 10.0


@dataclass(frozen=True)
class OAuthClient:
    """The app's OAuth client registration: id, secret and the callback URL."""

    client_id: str
    client_secret: str
    redirect_uri: str


@dataclass(frozen=True)
class PendingAuthorization:
    """What the web layer keeps in the session between redirect and callback."""

    state: str
    code_verifier: str
    scopes: tuple[str, ...]


@dataclass(frozen=True)
class Grant:
    """The outcome of a successful code exchange.

    ``refresh_token`` is None when Google did not issue a new one (it only does on consent);
    ``granted`` holds every scope of the grant (with ``include_granted_scopes`` also the
    ones granted earlier); ``missing`` the requested scopes the user unticked.
    """

    access_token: str
    refresh_token: str | None
    expiry: datetime | None
    granted: frozenset[str]
    missing: frozenset[str]


@dataclass(frozen=True)
class RefreshedToken:
    """A new access token (and maybe a rotated refresh token), for ``on_refresh``."""

    access_token: str
    expiry: datetime | None
    refresh_token: str | None


TokenUpdater = Callable[[RefreshedToken], None]


def client_config(client: OAuthClient, endpoints: GoogleEndpoints) -> dict[str, Any]:
    """The client configuration in Google's ``client_secrets.json`` "web" format."""
    return {
        "web": {
            "client_id": client.client_id,
            "client_secret": client.client_secret,
            "auth_uri": endpoints.auth_uri,
            "token_uri": endpoints.token_uri,
            "redirect_uris": [client.redirect_uri],
        }
    }


def make_flow(
    client: OAuthClient,
    endpoints: GoogleEndpoints,
    scopes: Sequence[str],
    *,
    state: str | None = None,
    code_verifier: str | None = None,
) -> Flow:
    """A google-auth-oauthlib web flow for ``client`` against ``endpoints``."""
    return Flow.from_client_config(
        client_config(client, endpoints),
        scopes=list(scopes),
        redirect_uri=client.redirect_uri,
        state=state,
        code_verifier=code_verifier,
        autogenerate_code_verifier=code_verifier is None,
    )


def start_authorization(
    client: OAuthClient,
    endpoints: GoogleEndpoints,
    scopes: Sequence[str],
    *,
    login_hint: str | None = None,
    prompt: str = "consent",
) -> tuple[str, PendingAuthorization]:
    """The consent URL (offline access, PKCE S256, earlier grants included) and the
    record the caller must keep until the callback.

    ``prompt="consent"`` makes Google issue a refresh token even on a repeated grant.
    """
    state = secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(64)  # 86 characters of [A-Za-z0-9_-]: RFC 7636 §4.1
    flow = make_flow(client, endpoints, scopes, state=state, code_verifier=verifier)
    extra = {"login_hint": login_hint} if login_hint else {}
    url, _ = flow.authorization_url(
        access_type="offline", include_granted_scopes="true", prompt=prompt, **extra
    )
    return url, PendingAuthorization(state, verifier, tuple(scopes))


def finish_authorization(
    client: OAuthClient,
    endpoints: GoogleEndpoints,
    pending: PendingAuthorization,
    params: Mapping[str, str],
) -> Grant:
    """Check the callback ``params`` (its query string) against ``pending`` and exchange
    the code. Raises :class:`AuthorizationFailed` on a wrong state, a refusal or a
    failed exchange.
    """
    returned = params.get("state", "")
    if not hmac.compare_digest(returned.encode(), pending.state.encode()):
        raise AuthorizationFailed("state_mismatch")
    if "error" in params:
        raise AuthorizationFailed(params["error"], params.get("error_description", ""))
    code = params.get("code")
    if not code:
        raise AuthorizationFailed("missing_code")
    flow = make_flow(
        client, endpoints, pending.scopes, state=pending.state, code_verifier=pending.code_verifier
    )
    try:
        token = flow.fetch_token(code=code)
    except Warning as changed:  # oauthlib: "Scope has changed"; the token rides along
        token = getattr(changed, "token", None)
        if token is None:
            raise
    except OAuth2Error as error:
        raise AuthorizationFailed("exchange_failed", str(error.error)) from error
    return grant_from_token(token, pending.scopes)


def grant_from_token(token: Mapping[str, Any], requested: Sequence[str]) -> Grant:
    """A :class:`Grant` from a token response; a missing ``scope`` means "as requested"."""
    scope = token.get("scope")
    if isinstance(scope, str):
        granted = frozenset(scope.split())
    elif scope:
        granted = frozenset(scope)
    else:
        granted = frozenset(requested)
    expires_at = token.get("expires_at")
    expiry = datetime.fromtimestamp(float(expires_at), UTC) if expires_at else None
    return Grant(
        access_token=str(token["access_token"]),
        refresh_token=token.get("refresh_token"),
        expiry=expiry,
        granted=granted,
        missing=frozenset(requested) - granted,
    )


class ReportingCredentials(Credentials):
    """User credentials that report every refresh to ``on_refresh`` and turn a revoked
    grant (``invalid_grant``) into :class:`ReconnectNeeded`."""

    def __init__(self, *args: Any, on_refresh: TokenUpdater | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)  # type: ignore[no-untyped-call]
        self._on_refresh = on_refresh

    def refresh(self, request: Request) -> None:
        try:
            super().refresh(request)  # type: ignore[no-untyped-call]
        except RefreshError as error:
            reason = refresh_error_code(error)
            if reason == "invalid_grant":
                raise ReconnectNeeded(reason, str(error.args[0])) from error
            raise
        if self._on_refresh is not None:
            expiry = self.expiry.replace(tzinfo=UTC) if self.expiry else None
            self._on_refresh(RefreshedToken(str(self.token), expiry, self.refresh_token))


def refresh_error_code(error: RefreshError) -> str:
    """The OAuth error code (``invalid_grant``...) of a failed refresh, or ``""``."""
    for arg in error.args[1:]:
        if isinstance(arg, Mapping) and isinstance(arg.get("error"), str):
            return str(arg["error"])
    head = str(error.args[0]) if error.args else ""
    return head.split(":", 1)[0].strip() if ":" in head else ""


def credentials(
    refresh_token: str,
    client_id: str,
    client_secret: str,
    endpoints: GoogleEndpoints,
    *,
    access_token: str | None = None,
    expiry: datetime | None = None,
    scopes: Sequence[str] | None = None,
    on_refresh: TokenUpdater | None = None,
) -> ReportingCredentials:
    """Credentials for one grant, refreshed against ``endpoints.token_uri``.

    Pass a still-valid ``access_token`` and its aware ``expiry`` to skip the first refresh.
    ``scopes`` stay unset by default so a refresh asks for exactly what was granted.
    """
    naive_expiry = expiry.astimezone(UTC).replace(tzinfo=None) if expiry else None
    return ReportingCredentials(
        access_token,
        refresh_token=refresh_token,
        token_uri=endpoints.token_uri,
        client_id=client_id,
        client_secret=client_secret,
        scopes=list(scopes) if scopes else None,
        expiry=naive_expiry,
        on_refresh=on_refresh,
    )


def revoke(token: str, endpoints: GoogleEndpoints, timeout: float = REVOKE_TIMEOUT) -> bool:
    """Revoke a refresh or access token. True when revoked now, False when the server says
    it was not valid any more (already revoked or expired). Network errors propagate."""
    body = urllib.parse.urlencode({"token": token}).encode()
    request = urllib.request.Request(
        endpoints.revoke_uri,
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return 200 <= int(response.status) < 300
    except urllib.error.HTTPError as error:
        if error.code == 400 and _error_code(error.read()) in {"invalid_token", "invalid_request"}:
            return False
        raise


def _error_code(body: bytes) -> str:
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return ""
    return str(data.get("error", "")) if isinstance(data, dict) else ""
