"""Each injected fault as the real client sees it (HttpError status and reason, timeouts,
connection errors), plus the request log and the admin HTTP API."""

from __future__ import annotations

import http.client
import time
from typing import Any

import google_auth_httplib2
import httplib2
import pytest
import requests
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from integrations.google.emulator import RunningEmulator
from tests.integrations.google.conftest import SCOPE, USER, calendar_service

WRITE = SCOPE + "calendar.events"
EVENTS = "/calendar/v3/calendars/primary/events"


def _body(event_id: str) -> dict[str, Any]:
    start, end = "2025-03-07T19:00:00+01:00", "2025-03-07T21:00:00+01:00"
    return {"id": event_id, "summary": "Date night", "start": {"dateTime": start},
            "end": {"dateTime": end}}  # fmt: skip


def _no_sleep(request: Any) -> Any:
    request._sleep = lambda seconds: None
    return request


@pytest.mark.parametrize(
    ("status", "reason", "domain"),
    [
        (403, "rateLimitExceeded", "usageLimits"),
        (403, "userRateLimitExceeded", "usageLimits"),
        (429, "rateLimitExceeded", "usageLimits"),
        (500, "backendError", "global"),
        (503, "backendError", "global"),
    ],
)
def test_error_faults(
    seeded_emulator: RunningEmulator, status: int, reason: str, domain: str
) -> None:
    admin = seeded_emulator.admin
    events = calendar_service(seeded_emulator, [WRITE]).events()
    admin.fail(status, path="*/events", method="GET", reason=reason)
    with pytest.raises(HttpError) as caught:
        events.list(calendarId="primary").execute()
    assert caught.value.status_code == status
    assert caught.value.error_details[0] == {
        "domain": domain,
        "reason": reason,
        "message": caught.value.reason,
    }
    # googleapiclient's own retry (num_retries) recognises each as retryable.
    admin.fail(status, path="*/events", method="GET", reason=reason, times=2)
    _no_sleep(events.list(calendarId="primary")).execute(num_retries=2)
    assert [e.status for e in admin.log()][-3:] == [status, status, 200]


def test_401_fault_is_refreshed_once_then_surfaces(seeded_emulator: RunningEmulator) -> None:
    admin = seeded_emulator.admin
    events = calendar_service(seeded_emulator, [WRITE]).events()
    admin.fail(401, path=EVENTS)
    events.list(calendarId="primary").execute()
    assert [(e.path, e.status) for e in admin.log()] == [
        (EVENTS, 401), ("/token", 200), (EVENTS, 200),
    ]  # fmt: skip
    admin.fail(401, path=EVENTS, times=5)
    with pytest.raises(HttpError) as caught:
        events.list(calendarId="primary").execute()
    assert caught.value.status_code == 401
    assert caught.value.error_details[0]["reason"] == "authError"


def test_delay_and_client_timeout(seeded_emulator: RunningEmulator) -> None:
    admin = seeded_emulator.admin
    admin.add_fault("delay", path=EVENTS, delay=0.3)
    events = calendar_service(seeded_emulator, [WRITE]).events()
    began = time.monotonic()
    events.list(calendarId="primary").execute()
    assert time.monotonic() - began >= 0.3

    tokens = admin.issue_tokens(USER, "test-client.apps.googleusercontent.com", [WRITE])
    from google.oauth2.credentials import Credentials

    authorized = google_auth_httplib2.AuthorizedHttp(
        Credentials(tokens["access_token"]), http=httplib2.Http(timeout=0.2)
    )
    impatient = build("calendar", "v3", http=authorized,
                      client_options={"api_endpoint": seeded_emulator.api_root})  # fmt: skip
    admin.add_fault("delay", path=EVENTS, delay=0.6)
    with pytest.raises(TimeoutError):
        impatient.events().list(calendarId="primary").execute()


def test_dropped_insert_took_effect(seeded_emulator: RunningEmulator) -> None:
    admin = seeded_emulator.admin
    events = calendar_service(seeded_emulator, [WRITE]).events()
    # httplib2 resends once when the connection closes before the status line: drop both.
    admin.add_fault("drop", path=EVENTS, method="POST", times=2)
    with pytest.raises((ConnectionError, http.client.HTTPException)):
        events.insert(calendarId="primary", body=_body("dropped00001")).execute()
    assert admin.event(USER, "dropped00001") is not None
    assert [(e.method, e.status, e.fault) for e in admin.log()] == [
        ("POST", 0, "drop"),
        ("POST", 0, "drop"),  # the resend met 409 duplicate, then was dropped as well
    ]
    with pytest.raises(HttpError) as caught:  # a caller retrying learns it already exists
        events.insert(calendarId="primary", body=_body("dropped00001")).execute()
    assert caught.value.error_details[0]["reason"] == "duplicate"


def test_single_drop_is_resent_by_httplib2(seeded_emulator: RunningEmulator) -> None:
    admin = seeded_emulator.admin
    events = calendar_service(seeded_emulator, [WRITE]).events()
    admin.add_fault("drop", path=EVENTS, method="POST")
    with pytest.raises(HttpError) as caught:
        events.insert(calendarId="primary", body=_body("dropped00002")).execute()
    assert (caught.value.status_code, caught.value.error_details[0]["reason"]) == (
        409,
        "duplicate",
    )


def test_truncated_answer_after_the_write(seeded_emulator: RunningEmulator) -> None:
    admin = seeded_emulator.admin
    events = calendar_service(seeded_emulator, [WRITE]).events()
    admin.add_fault("truncate", path=EVENTS, method="POST")
    with pytest.raises(http.client.IncompleteRead):
        events.insert(calendarId="primary", body=_body("truncated001")).execute()
    assert admin.event(USER, "truncated001") is not None
    assert [(e.method, e.status, e.fault) for e in admin.log()] == [("POST", 0, "truncate")]


def test_admin_http_api(seeded_emulator: RunningEmulator) -> None:
    base = seeded_emulator.base_url + "/_emulator"
    fault = {"kind": "error", "status": 503, "path": "*/events", "method": "GET"}
    assert requests.post(f"{base}/faults", json=fault, timeout=5).status_code == 201
    assert requests.get(f"{base}/faults", timeout=5).json()["faults"][0]["status"] == 503
    events = calendar_service(seeded_emulator, [WRITE]).events()
    with pytest.raises(HttpError) as caught:
        events.list(calendarId="primary", maxResults=5).execute()
    assert caught.value.status_code == 503
    log = requests.get(f"{base}/log", timeout=5).json()["requests"]
    assert log[0]["path"] == EVENTS and log[0]["status"] == 503
    assert log[0]["query"] == {"maxResults": ["5"], "alt": ["json"]}
    bad = requests.post(f"{base}/faults", json={"kind": "explode"}, timeout=5)
    assert bad.status_code == 400
    event = {"calendarId": USER, "event": _body("viaadmin01")}
    assert requests.post(f"{base}/events", json=event, timeout=5).status_code == 201
    requests.post(f"{base}/expire", json={"what": "access_tokens"}, timeout=5)
    assert events.get(calendarId="primary", eventId="viaadmin01").execute()["id"] == "viaadmin01"
    assert requests.post(f"{base}/reset", timeout=5).status_code == 200
    assert seeded_emulator.state.users == {}
