"""The ``google_emulator`` fixture: a Google Calendar v3 + OAuth emulator on loopback.

Each test gets a fresh emulator served by Werkzeug on 127.0.0.1 (a free port) in a
thread. The fixture yields a :class:`~integrations.google.emulator.RunningEmulator`:

- ``base_url`` (``http://127.0.0.1:PORT``), ``api_root`` (``base_url + "/calendar/v3/"``),
  ``auth_uri``, ``token_uri``, ``revoke_uri``;
- ``admin``: an :class:`~integrations.google.emulator.EmulatorAdmin` (add_user,
  add_calendar, add_event, register_client, issue_tokens, expire_access_tokens,
  expire_sync_tokens, add_fault/fail, log, advance, seed_demo, reset);
- ``state``: the in-memory state itself.

``seeded_emulator`` adds the user ``USER`` and the OAuth client ``CLIENT_ID``;
:func:`calendar_service` builds the real Calendar v3 client against an emulator.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from integrations.google.emulator import RunningEmulator, start_emulator


@pytest.fixture
def google_emulator() -> Iterator[RunningEmulator]:
    running = start_emulator()
    try:
        yield running
    finally:
        running.stop()


CLIENT_ID = "test-client.apps.googleusercontent.com"
CLIENT_SECRET = "test-client-secret"
REDIRECT_URI = "http://127.0.0.1:9/oauth/callback"
USER = "lena@example.org"
SCOPE = "https://www.googleapis.com/auth/"


def calendar_service(
    running: RunningEmulator,
    scopes: list[str],
    user: str = USER,
    client_id: str = CLIENT_ID,
) -> Any:
    """A real google-api-python-client Calendar v3 service talking to ``running``.

    The client (``CLIENT_ID``) must be registered; the tokens are issued by the admin, as
    if ``user`` had consented to ``scopes``. The credentials refresh against the emulator.
    """
    from google.oauth2.credentials import Credentials
    from googleapiclient.discovery import build

    client = running.state.clients[client_id]
    tokens = running.admin.issue_tokens(user, client_id, scopes)
    credentials = Credentials(
        tokens["access_token"],
        refresh_token=tokens["refresh_token"],
        token_uri=running.token_uri,
        client_id=client_id,
        client_secret=client.client_secret,
        scopes=scopes,
    )
    return build(
        "calendar",
        "v3",
        credentials=credentials,
        static_discovery=True,
        cache_discovery=False,
        client_options={"api_endpoint": running.api_root},
    )


@pytest.fixture
def seeded_emulator(google_emulator: RunningEmulator) -> RunningEmulator:
    """The emulator with ``USER`` (Europe/Berlin) and the test client registered."""
    google_emulator.admin.add_user(USER, "Lena", "Europe/Berlin")
    google_emulator.admin.register_client(CLIENT_ID, CLIENT_SECRET, [REDIRECT_URI])
    return google_emulator
