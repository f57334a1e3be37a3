"""OAuth 2.0 as Google runs it: the consent page, the token endpoint and revocation.

``GET /o/oauth2/v2/auth`` shows a consent page (account, client, one checkbox per scope);
``POST /o/oauth2/v2/auth`` is its Consent/Cancel button and redirects to the client with
``code`` and ``state`` (or ``error=access_denied``). ``POST /token`` exchanges codes (PKCE
S256 checked) and refresh tokens; ``POST /revoke`` revokes a grant.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, render_template_string, request

from integrations.google.emulator.errors import OAuthError, json_response
from integrations.google.emulator.grants import issue_tokens, known_scope, revoke_grant
from integrations.google.emulator.pages import CONSENT_PAGE, ERROR_PAGE
from integrations.google.emulator.state import AuthCode, EmulatorState, OAuthClient, new_token

oauth = Blueprint("emulator_oauth", __name__)

AUTH_PATH = "/o/oauth2/v2/auth"


class _PageError(Exception):
    """An authorize request that cannot be redirected back (unknown client or redirect)."""

    def __init__(self, status: int, error: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.error, self.detail = status, error, detail


def _state() -> EmulatorState:
    from integrations.google.emulator.app import current_state

    return current_state()


def _client_and_redirect(state: EmulatorState, args: dict[str, str]) -> OAuthClient:
    client = state.clients.get(args.get("client_id", ""))
    if client is None:
        raise _PageError(401, "invalid_client", "The OAuth client was not found.")
    if args.get("redirect_uri") not in client.redirect_uris:
        detail = f"redirect_uri {args.get('redirect_uri')!r} is not registered for this client."
        raise _PageError(400, "redirect_uri_mismatch", detail)
    return client


def _request_problem(args: dict[str, str]) -> tuple[str, str] | None:
    """(error, description) for a request Google would bounce back to the client."""
    if args.get("response_type") != "code":
        return "unsupported_response_type", "response_type must be code"
    scopes = args.get("scope", "").split()
    if not scopes:
        return "invalid_request", "Missing required parameter: scope"
    unknown = [s for s in scopes if not known_scope(s)]
    if unknown:
        return "invalid_scope", f"Some requested scopes were invalid: {' '.join(unknown)}"
    if not args.get("state"):
        return "invalid_request", "Missing required parameter: state"
    if not args.get("code_challenge"):
        return "invalid_request", "Missing required parameter: code_challenge"
    if args.get("code_challenge_method") != "S256":
        return "invalid_request", "code_challenge_method must be S256"
    return None


def _back(args: dict[str, str], **params: str) -> Response:
    """Redirect to the client's redirect_uri with ``params`` and the echoed state."""
    if args.get("state"):
        params["state"] = args["state"]
    location = f"{args['redirect_uri']}?{urlencode(params)}"
    return Response(status=302, headers={"Location": location})


def _error_page(error: _PageError) -> Response:
    html = render_template_string(ERROR_PAGE, error=error.error, detail=error.detail)
    return Response(html, status=error.status, content_type="text/html; charset=utf-8")


@oauth.get(AUTH_PATH)
def authorize() -> Response:
    """The consent page (or a bounce back to the client with an error)."""
    state, args = _state(), request.args.to_dict()
    with state.lock:
        try:
            client = _client_and_redirect(state, args)
        except _PageError as error:
            return _error_page(error)
        problem = _request_problem(args)
        if problem is not None:
            return _back(args, error=problem[0], error_description=problem[1])
        users = sorted(state.users)
    html = render_template_string(
        CONSENT_PAGE,
        client=client,
        scopes=args["scope"].split(),
        users=users,
        hint=args.get("login_hint", ""),
        params={k: v for k, v in args.items()},
        action=AUTH_PATH,
    )
    return Response(html, content_type="text/html; charset=utf-8")


@oauth.post(AUTH_PATH)
def consent() -> Response:
    """The Consent/Cancel button: redirect with a code or ``error=access_denied``."""
    state, form = _state(), request.form
    args = {k: v for k, v in form.items() if k not in ("decision", "user", "granted")}
    with state.lock:
        try:
            _client_and_redirect(state, args)
        except _PageError as error:
            return _error_page(error)
        problem = _request_problem(args)
        if problem is not None:
            return _back(args, error=problem[0], error_description=problem[1])
        requested = args["scope"].split()
        granted = [s for s in requested if s in form.getlist("granted")]
        user = form.get("user", "")
        if form.get("decision") != "allow" or not granted or user not in state.users:
            return _back(args, error="access_denied")
        code = new_token("4/0A")
        state.codes[code] = AuthCode(
            client_id=args["client_id"],
            user=user,
            scopes=_with_previous(state, args, user, granted),
            redirect_uri=args["redirect_uri"],
            code_challenge=args["code_challenge"],
            offline=args.get("access_type") == "offline",
            expires_at=state.now() + timedelta(seconds=state.CODE_LIFETIME_SECONDS),
            prompt_consent="consent" in args.get("prompt", "").split(),
        )
    return _back(args, code=code, scope=" ".join(state.codes[code].scopes))


def _with_previous(
    state: EmulatorState, args: dict[str, str], user: str, granted: list[str]
) -> list[str]:
    """``include_granted_scopes=true`` adds what this user granted this client before."""
    key = (user, args["client_id"])
    previous = state.grants.get(key, [])
    state.grants[key] = previous + [s for s in granted if s not in previous]
    if args.get("include_granted_scopes") != "true":
        return granted
    return previous + [s for s in granted if s not in previous]


def _authenticate(state: EmulatorState) -> OAuthClient:
    """The client from HTTP Basic or the body (``invalid_client`` 401 otherwise)."""
    auth = request.authorization
    if auth is not None and auth.type == "basic":
        client_id, secret = auth.username or "", auth.password or ""
    else:
        client_id = request.form.get("client_id", "")
        secret = request.form.get("client_secret", "")
    client = state.clients.get(client_id)
    if client is None:
        raise OAuthError("invalid_client", "The OAuth client was not found.", 401)
    if not hmac.compare_digest(client.client_secret, secret):
        raise OAuthError("invalid_client", "Unauthorized", 401)
    return client


@oauth.post("/token")
def token() -> Response:
    """``authorization_code`` and ``refresh_token`` grants, answered like Google."""
    state, form = _state(), request.form
    with state.lock:
        grant_type = form.get("grant_type")
        if not grant_type:
            raise OAuthError("invalid_request", "Missing required parameter: grant_type")
        if grant_type not in ("authorization_code", "refresh_token"):
            raise OAuthError("unsupported_grant_type", f"Invalid grant_type: {grant_type}")
        client = _authenticate(state)
        if grant_type == "authorization_code":
            return json_response(_exchange_code(state, client))
        return json_response(_refresh(state, client))


def _exchange_code(state: EmulatorState, client: OAuthClient) -> dict[str, Any]:
    code_value = request.form.get("code")
    if not code_value:
        raise OAuthError("invalid_request", "Missing required parameter: code")
    code = state.codes.get(code_value)
    if code is None or code.client_id != client.client_id:
        raise OAuthError("invalid_grant", "Malformed auth code.")
    if code.used:
        for refresh in code.issued:
            revoke_grant(state, refresh)
        raise OAuthError("invalid_grant", "Bad Request")
    if state.now() >= code.expires_at:
        raise OAuthError("invalid_grant", "Bad Request")
    if request.form.get("redirect_uri") != code.redirect_uri:
        raise OAuthError("invalid_grant", "Bad Request")
    verifier = request.form.get("code_verifier")
    if not verifier:
        raise OAuthError("invalid_grant", "Missing code verifier.")
    if not hmac.compare_digest(s256(verifier), code.code_challenge):
        raise OAuthError("invalid_grant", "Invalid code verifier.")
    code.used = True
    body = issue_tokens(state, client, code.user, code.scopes, code.offline, code.prompt_consent)
    if "refresh_token" in body:
        code.issued.append(body["refresh_token"])
    return body


def _refresh(state: EmulatorState, client: OAuthClient) -> dict[str, Any]:
    value = request.form.get("refresh_token")
    if not value:
        raise OAuthError("invalid_request", "Missing required parameter: refresh_token")
    refresh = state.refresh_tokens.get(value)
    if refresh is None or refresh.revoked or refresh.client_id != client.client_id:
        raise OAuthError("invalid_grant", "Token has been expired or revoked.")
    scopes = refresh.scopes
    if request.form.get("scope"):
        asked = request.form["scope"].split()
        if not set(asked) <= set(refresh.scopes):
            raise OAuthError("invalid_scope", "Some requested scopes were not granted.")
        scopes = asked
    return issue_tokens(state, client, refresh.user, scopes, refresh=refresh)


@oauth.post("/revoke")
def revoke() -> Response:
    """Revoke a refresh or access token, and with it the whole grant."""
    state = _state()
    value = request.values.get("token", "")
    with state.lock:
        if not revoke_grant(state, value):
            body = {"error": "invalid_token", "error_description": "Token expired or revoked"}
            return json_response(body, 400)
    return json_response({})


def s256(verifier: str) -> str:
    """The PKCE S256 challenge of ``verifier``: BASE64URL(SHA256(verifier)), unpadded."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
