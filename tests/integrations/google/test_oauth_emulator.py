"""The OAuth round trip against the emulator: consent page, PKCE, state, scopes, revoke."""

from __future__ import annotations

from dataclasses import replace

import pytest

from integrations.google.client import build_service, execute
from integrations.google.config import READ, WRITE, can_write
from integrations.google.emulator import RunningEmulator
from integrations.google.errors import AuthorizationFailed, ReconnectNeeded
from integrations.google.oauth import (
    credentials,
    finish_authorization,
    revoke,
    start_authorization,
)
from tests.integrations.google.test_client_support import (
    CLIENT,
    USER,
    Recorder,
    consent,
    endpoints,
    register,
)


@pytest.fixture
def emulator(google_emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch) -> RunningEmulator:
    # oauthlib refuses plain http unless told; the emulator lives on loopback http.
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    register(google_emulator)
    return google_emulator


def token_requests(emulator: RunningEmulator) -> int:
    return sum(1 for e in emulator.admin.log() if e.path == "/token")


def test_round_trip_with_pkce_then_api_call_and_refresh_callback(emulator: RunningEmulator) -> None:
    ends = endpoints(emulator)
    url, pending = start_authorization(CLIENT, ends, [READ], login_hint=USER)
    grant = finish_authorization(CLIENT, ends, pending, consent(url))
    assert grant.refresh_token and grant.access_token
    assert READ in grant.granted and not grant.missing
    assert grant.expiry is not None

    recorder = Recorder()
    creds = credentials(
        grant.refresh_token,
        CLIENT.client_id,
        CLIENT.client_secret,
        ends,
        on_refresh=recorder.refreshed.append,
    )
    service = build_service(creds, ends, timeout=5.0)
    answer = execute(service.events().list(calendarId="primary", maxResults=5))
    assert answer["kind"] == "calendar#events"
    assert len(recorder.refreshed) == 1 and recorder.refreshed[0].access_token == creds.token

    emulator.admin.expire_access_tokens()
    execute(service.events().list(calendarId="primary", maxResults=5))
    assert len(recorder.refreshed) == 2  # the 401 made google-auth refresh once, reported


def test_wrong_code_verifier_fails_the_exchange(emulator: RunningEmulator) -> None:
    ends = endpoints(emulator)
    url, pending = start_authorization(CLIENT, ends, [READ])
    params = consent(url)
    with pytest.raises(AuthorizationFailed) as caught:
        finish_authorization(CLIENT, ends, replace(pending, code_verifier="x" * 64), params)
    assert caught.value.reason == "exchange_failed"


def test_wrong_state_is_rejected_before_the_code_is_used(emulator: RunningEmulator) -> None:
    ends = endpoints(emulator)
    url, _ = start_authorization(CLIENT, ends, [READ])
    params = consent(url)
    _, other_session = start_authorization(CLIENT, ends, [READ])
    with pytest.raises(AuthorizationFailed) as caught:
        finish_authorization(CLIENT, ends, other_session, params)
    assert caught.value.reason == "state_mismatch"
    assert token_requests(emulator) == 0


def test_unticked_write_scope_is_reported(emulator: RunningEmulator) -> None:
    ends = endpoints(emulator)
    url, pending = start_authorization(CLIENT, ends, [READ, WRITE])
    grant = finish_authorization(CLIENT, ends, pending, consent(url, untick=[WRITE]))
    assert grant.missing == {WRITE}
    assert READ in grant.granted and not can_write(grant.granted)


def test_incremental_authorization_keeps_earlier_scopes(emulator: RunningEmulator) -> None:
    ends = endpoints(emulator)
    url, pending = start_authorization(CLIENT, ends, [READ])
    finish_authorization(CLIENT, ends, pending, consent(url))
    url, pending = start_authorization(CLIENT, ends, [WRITE])
    grant = finish_authorization(CLIENT, ends, pending, consent(url))
    assert {READ, WRITE} <= grant.granted and not grant.missing and can_write(grant.granted)


def test_refusal_is_reported(emulator: RunningEmulator) -> None:
    ends = endpoints(emulator)
    url, pending = start_authorization(CLIENT, ends, [READ])
    with pytest.raises(AuthorizationFailed) as caught:
        finish_authorization(CLIENT, ends, pending, consent(url, decision="deny"))
    assert caught.value.reason == "access_denied"
    assert token_requests(emulator) == 0


def test_revoke_then_reconnect_needed(emulator: RunningEmulator) -> None:
    ends = endpoints(emulator)
    url, pending = start_authorization(CLIENT, ends, [READ])
    grant = finish_authorization(CLIENT, ends, pending, consent(url))
    assert grant.refresh_token
    assert revoke(grant.refresh_token, ends) is True
    assert revoke(grant.refresh_token, ends) is False
    creds = credentials(grant.refresh_token, CLIENT.client_id, CLIENT.client_secret, ends)
    service = build_service(creds, ends, timeout=5.0)
    with pytest.raises(ReconnectNeeded) as caught:
        execute(service.events().list(calendarId="primary"))
    assert caught.value.reason == "invalid_grant"
