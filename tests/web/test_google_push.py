"""``POST /google/push`` on both database backends: valid notifications queue a sync through
the engine seam, bad ones get a 4xx (never a 500), with CSRF on; and end to end, the
emulator's notification about a new event reaches the served app and queues the sync."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.fernet import Fernet
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from integrations.google.config import CALENDAR_LIST, READ, for_emulator
from integrations.google.emulator import RunningEmulator
from integrations.google.oauth import Grant
from planner.services import google_push, google_sources
from planner.store.models import GoogleChannel, Source, User
from planner.web import create_app
from planner.web.config import Config, current_google
from planner.web.db import sessions
from planner.web.google_push import ENGINE
from tests.integrations.google.conftest import google_emulator  # noqa: F401
from tests.integrations.google.test_client_support import CLIENT, USER, register, timed
from tests.web.conftest import strict

NOW = datetime.now(UTC)
TOKEN = "channel-token-" + "x" * 30


class RecordingEngine:
    """Stands in for the task engine: records the sources it was asked to sync."""

    def __init__(self, fail: bool = False) -> None:
        self.synced: list[int] = []
        self.fail = fail
        self.arrived = threading.Condition()

    def sync_source(self, source_id: int) -> None:
        if self.fail:
            raise ConnectionError("queue down")
        with self.arrived:
            self.synced.append(source_id)
            self.arrived.notify_all()

    def wait(self, count: int, timeout: float = 10.0) -> list[int]:
        with self.arrived:
            done = self.arrived.wait_for(lambda: len(self.synced) >= count, timeout)
        assert done, f"expected {count} queued syncs, got {self.synced}"
        return self.synced


def swap_engine(app: Flask, engine: Any) -> Callable[[], None]:
    """Put ``engine`` at the seam; the returned function puts the original back."""
    original = app.extensions[ENGINE]
    app.extensions[ENGINE] = engine
    return lambda: app.extensions.__setitem__(ENGINE, original)


@pytest.fixture
def strict_app(config: Config) -> Iterator[Flask]:
    """The app with CSRF on, as in production (Google sends no CSRF token)."""
    app = create_app(strict(config))
    yield app
    app.extensions["planner.engine"].dispose()


@pytest.fixture
def engine(strict_app: Flask) -> Iterator[RecordingEngine]:
    recording = RecordingEngine()
    restore = swap_engine(strict_app, recording)
    yield recording
    restore()


@pytest.fixture
def channel(strict_app: Flask) -> dict[str, str]:
    """A stored channel on a Google source; the headers of an ``exists`` notification."""
    with strict_app.app_context(), sessions()() as session:
        user = User(email="lena@example.com", password_hash="x", display_name="Lena", zone="UTC")
        session.add(user)
        session.flush()
        source = Source(user_id=user.id, kind="google", name="Lena")
        session.add(source)
        session.flush()
        session.add(GoogleChannel(
            source_id=source.id, channel_id="chan-1", token_hash=google_push.hash_token(TOKEN),
            resource_id="res-1", expiration=NOW + timedelta(days=7),
        ))  # fmt: skip
        session.commit()
        source_id = source.id
    return {
        "X-Goog-Channel-ID": "chan-1",
        "X-Goog-Channel-Token": TOKEN,
        "X-Goog-Resource-ID": "res-1",
        "X-Goog-Resource-State": "exists",
        "X-Goog-Message-Number": "2",
        "X-Source": str(source_id),
    }


def test_a_change_queues_a_sync_of_its_source(
    strict_app: Flask, engine: RecordingEngine, channel: dict[str, str]
) -> None:
    response = strict_app.test_client().post("/google/push", headers=channel)
    assert response.status_code == 200
    assert engine.synced == [int(channel["X-Source"])]


def test_the_sync_message_is_answered_without_a_sync(
    strict_app: Flask, engine: RecordingEngine, channel: dict[str, str]
) -> None:
    sync = {**channel, "X-Goog-Resource-State": "sync", "X-Goog-Message-Number": "1"}
    assert strict_app.test_client().post("/google/push", headers=sync).status_code == 200
    assert engine.synced == []


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"X-Goog-Channel-Token": "wrong"}, 404),
        ({"X-Goog-Channel-ID": "chan-2"}, 404),
        ({"X-Goog-Resource-ID": "res-2"}, 404),
        ({"X-Goog-Channel-ID": ""}, 400),
        ({"X-Goog-Resource-State": "gone"}, 400),
        ({"X-Goog-Channel-ID": "c" * 5000}, 400),
    ],
)
def test_bad_notifications_are_refused(
    strict_app: Flask,
    engine: RecordingEngine,
    channel: dict[str, str],
    change: dict[str, str],
    status: int,
) -> None:
    response = strict_app.test_client().post("/google/push", headers={**channel, **change})
    assert response.status_code == status
    assert engine.synced == []


def test_a_body_is_refused_and_only_post_is_allowed(
    strict_app: Flask, engine: RecordingEngine, channel: dict[str, str]
) -> None:
    client: FlaskClient = strict_app.test_client()
    assert client.post("/google/push", headers=channel, data=b"x" * 5000).status_code == 413
    assert client.get("/google/push", headers=channel).status_code == 405
    assert engine.synced == []


def test_a_queue_that_fails_answers_503_so_google_retries(
    strict_app: Flask, channel: dict[str, str]
) -> None:
    restore = swap_engine(strict_app, RecordingEngine(fail=True))
    try:
        response = strict_app.test_client().post("/google/push", headers=channel)
    finally:
        restore()
    assert response.status_code == 503


@pytest.fixture
def served(config: Config, google_emulator: RunningEmulator) -> Iterator[Flask]:  # noqa: F811
    """The app served on a loopback port (its base URL), talking to the emulator."""
    holder: dict[str, Flask] = {}
    key = Fernet.generate_key().decode()
    server = make_server("127.0.0.1", 0, lambda env, start: holder["app"](env, start))
    register(google_emulator)
    app = create_app(replace(
        config, base_url=f"http://127.0.0.1:{server.port}", secret_keys=(key,),
        google_client_id=CLIENT.client_id, google_client_secret=CLIENT.client_secret,
        google_endpoints=for_emulator(google_emulator.base_url),
    ))  # fmt: skip
    holder["app"] = app
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app
    server.shutdown()
    server.server_close()
    app.extensions["planner.engine"].dispose()


def test_a_push_from_the_emulator_queues_a_sync(
    served: Flask,
    google_emulator: RunningEmulator,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    recording = RecordingEngine()
    restore = swap_engine(served, recording)
    tokens = google_emulator.admin.issue_tokens(USER, CLIENT.client_id, [CALENDAR_LIST, READ])
    grant = Grant(tokens["access_token"], tokens["refresh_token"], None,
                  frozenset([CALENDAR_LIST, READ]), frozenset())  # fmt: skip
    try:
        with served.test_request_context(), sessions()() as session:
            settings = current_google()
            assert (
                settings is not None
                and settings.push_address
                == served.extensions["planner.config"].base_url + "/google/push"
            )
            user = User(email="lena@example.com", password_hash="x", display_name="L", zone="UTC")
            session.add(user)
            session.commit()
            (source_id,) = google_sources.connect_google(
                session, user.id, grant, [(USER, "Lena")], keys=settings.keys, now=NOW
            )
            assert google_push.open_channels(session, user.id, settings, NOW) == 1
        google_emulator.admin.add_event(USER, timed("meet01", NOW + timedelta(days=1)))
        assert recording.wait(1) == [source_id]
        # the sync message may come before the channel is stored (then 404): it asks nothing
        deliveries = google_emulator.admin.push_deliveries(wait=10)
        assert [(d.state, d.status) for d in deliveries][1:] == [("exists", 200)]
    finally:
        restore()
