"""Google push channels against the emulator with the real client, on both database
backends: opening, renewing and stopping channels, and checking notifications (real ones,
as the emulator posts them to a loopback receiver)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from integrations.google.config import FREEBUSY, GOOGLE
from integrations.google.emulator import RunningEmulator
from planner.services import google_account, google_push
from planner.services.errors import NotFound, ServiceError
from planner.services.google_sources import GoogleSettings
from planner.store.models import GoogleChannel
from tests.integrations.google.conftest import google_emulator  # noqa: F401
from tests.integrations.google.push_receiver import PushReceiver, Received
from tests.integrations.google.test_client_support import NOW, USER, endpoints, timed
from tests.services import test_google
from tests.services.test_google import connected

emulator = test_google.emulator
settings = test_google.settings


@pytest.fixture
def receiver() -> Iterator[PushReceiver]:
    running = PushReceiver().start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def push(settings: GoogleSettings, receiver: PushReceiver) -> GoogleSettings:
    """Settings with push on, notifications going to the loopback receiver."""
    return replace(settings, push_address=receiver.url)


def channels(session: Session) -> list[GoogleChannel]:
    session.expire_all()
    return list(session.scalars(select(GoogleChannel).order_by(GoogleChannel.id)))


def headers(message: Received) -> dict[str, str]:
    return dict(message.headers)


def test_push_is_on_only_where_google_can_post(emulator: RunningEmulator) -> None:
    address = google_push.push_address
    assert address("https://planner.example", GOOGLE) == "https://planner.example/google/push"
    assert address("http://planner.example", GOOGLE) is None
    assert address("http://127.0.0.1:5000", endpoints(emulator)) == (
        "http://127.0.0.1:5000/google/push"
    )


def test_open_stores_the_channel_with_its_token_hashed(
    session: Session, emulator: RunningEmulator, push: GoogleSettings, receiver: PushReceiver
) -> None:
    lena, source_id = connected(session, emulator)
    assert google_push.open_channels(session, lena, push, NOW) == 1
    (row,) = channels(session)
    (open_,) = emulator.admin.channels()
    assert (row.source_id, row.channel_id, row.resource_id) == (
        source_id, open_.id, open_.resource_id,
    )  # fmt: skip
    assert open_.address == receiver.url and open_.calendar_id == USER
    assert open_.token is not None and row.token_hash == google_push.hash_token(open_.token)
    assert open_.token not in row.token_hash
    assert row.expiration == open_.expiration
    sync = receiver.wait_for(1)[0]
    assert google_push.receive_push(session, headers(sync), NOW) is None
    assert google_push.open_channels(session, lena, push, NOW) == 0  # it lasts


def test_no_push_without_an_address_or_an_events_scope(
    session: Session, emulator: RunningEmulator, settings: GoogleSettings, push: GoogleSettings
) -> None:
    lena, _ = connected(session, emulator, scopes=[FREEBUSY], privacy=True)
    assert google_push.open_channels(session, lena, settings, NOW) == 0
    assert google_push.open_channels(session, lena, push, NOW) == 0
    assert google_push.renew_channels(session, NOW, push) == 0
    assert emulator.admin.channels() == [] and channels(session) == []
    assert not [e for e in emulator.admin.log() if e.path.endswith("/watch")]


def test_a_change_names_its_source_and_bad_notifications_are_refused(
    session: Session, emulator: RunningEmulator, push: GoogleSettings, receiver: PushReceiver
) -> None:
    lena, source_id = connected(session, emulator)
    google_push.open_channels(session, lena, push, NOW)
    emulator.admin.add_event(USER, timed("meet01", NOW + timedelta(days=1)))
    change = headers(receiver.wait_for(2)[1])
    assert change["X-Goog-Resource-State"] == "exists"
    assert google_push.receive_push(session, change, NOW) == source_id
    lowered = {k.lower(): v for k, v in change.items()}
    assert google_push.receive_push(session, lowered, NOW) == source_id
    for bad in (
        {"X-Goog-Channel-Token": "guess"},
        {"X-Goog-Channel-Token": ""},
        {"X-Goog-Channel-ID": "unknown-channel"},
        {"X-Goog-Resource-ID": "another-resource"},
    ):
        with pytest.raises(NotFound):
            google_push.receive_push(session, {**change, **bad}, NOW)
    for broken in ({"X-Goog-Channel-ID": ""}, {"X-Goog-Resource-State": "changed"}):
        with pytest.raises(ServiceError) as caught:
            google_push.receive_push(session, {**change, **broken}, NOW)
        assert caught.value.status == 400
    (row,) = channels(session)
    with pytest.raises(NotFound):
        google_push.receive_push(session, change, row.expiration + timedelta(hours=1))


def test_renewal_opens_a_new_channel_then_stops_the_old_one(
    session: Session, emulator: RunningEmulator, push: GoogleSettings, receiver: PushReceiver
) -> None:
    _, source_id = connected(session, emulator)
    assert google_push.renew_channels(session, NOW, push) == 1  # opens the missing one
    (old,) = channels(session)
    old_id, old_end = old.channel_id, old.expiration
    assert google_push.renew_channels(session, old_end - timedelta(days=2), push) == 0
    assert google_push.renew_channels(session, old_end - timedelta(hours=12), push) == 1
    (new,) = channels(session)
    assert new.channel_id != old_id and new.source_id == source_id
    assert [c.id for c in emulator.admin.channels()] == [new.channel_id]
    stops = [e for e in emulator.admin.log() if e.path.endswith("/channels/stop")]
    assert [(e.body["id"], e.status) for e in stops] == [(old_id, 204)]


def test_a_channel_that_cannot_be_opened_leaves_polling(
    session: Session, emulator: RunningEmulator, push: GoogleSettings
) -> None:
    lena, _ = connected(session, emulator)
    emulator.admin.fail(400, path="*/watch", reason="push.webhookUrlNotHttps")
    assert google_push.open_channels(session, lena, push, NOW) == 0
    assert channels(session) == []


def test_disconnect_stops_the_channels_before_revoking(
    session: Session, emulator: RunningEmulator, push: GoogleSettings
) -> None:
    lena, _ = connected(session, emulator)
    google_push.open_channels(session, lena, push, NOW)
    assert google_account.disconnect(session, lena, push)
    assert emulator.admin.channels() == [] and channels(session) == []
    paths = [e.path for e in emulator.admin.log()]
    assert paths.index("/calendar/v3/channels/stop") < paths.index("/revoke")


def test_unselecting_a_calendar_stops_its_channel(
    session: Session, emulator: RunningEmulator, push: GoogleSettings
) -> None:
    emulator.admin.add_calendar(USER, "team@group.calendar.google.com", "Team")
    lena, _ = connected(session, emulator)
    available = google_account.calendars(session, lena, push, NOW)
    google_account.choose(session, lena, available, [USER, "team@group.calendar.google.com"])
    assert google_push.open_channels(session, lena, push, NOW) == 2
    google_account.choose(session, lena, available, ["team@group.calendar.google.com"], push)
    assert [c.calendar_id for c in emulator.admin.channels()] == ["team@group.calendar.google.com"]
    assert len(channels(session)) == 1


def test_no_call_to_google_inside_a_transaction(
    session: Session,
    emulator: RunningEmulator,
    push: GoogleSettings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lena, _ = connected(session, emulator)
    calls: list[str] = []

    def outside(name: str, real: Any) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            assert not session.in_transaction(), f"{name} called inside a transaction"
            calls.append(name)
            return real(*args, **kwargs)

        return call

    for name in ("open_channel", "stop_channel"):
        monkeypatch.setattr(google_push, name, outside(name, getattr(google_push, name)))
    google_push.open_channels(session, lena, push, NOW)
    (row,) = channels(session)
    google_push.renew_channels(session, row.expiration - timedelta(hours=1), push)
    google_push.stop_channels(session, lena, push)
    assert calls == ["open_channel", "open_channel", "stop_channel", "stop_channel"]
