"""Push channels in the emulator (events.watch, channels.stop and the notifications), called
through the real google-api-python-client, delivered to a loopback receiver."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import pytest
from googleapiclient.errors import HttpError

from integrations.google.emulator import EmulatorState, RunningEmulator, start_emulator
from tests.integrations.google.conftest import (
    CLIENT_ID,
    CLIENT_SECRET,
    REDIRECT_URI,
    SCOPE,
    USER,
    calendar_service,
)
from tests.integrations.google.push_receiver import PushReceiver

READ = SCOPE + "calendar.events.readonly"
WRITE = SCOPE + "calendar.events"
T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
OTHER = "team@group.calendar.google.com"


@pytest.fixture
def emulator() -> Iterator[RunningEmulator]:
    """An emulator whose clock stands at ``T0`` (moved on with ``admin.advance``)."""
    running = start_emulator(state=EmulatorState(clock=lambda: T0))
    running.admin.add_user(USER, "Lena", "Europe/Berlin")
    running.admin.add_calendar(USER, OTHER, "Team", access_role="owner")
    running.admin.register_client(CLIENT_ID, CLIENT_SECRET, [REDIRECT_URI])
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def receiver() -> Iterator[PushReceiver]:
    running = PushReceiver().start()
    try:
        yield running
    finally:
        running.stop()


def _event(event_id: str, hour: int = 10) -> dict[str, Any]:
    start = T0.replace(hour=hour) + timedelta(days=1)
    return {
        "id": event_id,
        "summary": event_id,
        "start": {"dateTime": start.isoformat()},
        "end": {"dateTime": (start + timedelta(hours=1)).isoformat()},
    }


def _watch(service: Any, address: str, calendar: str = "primary", **body: Any) -> Any:
    request = {"id": "channel-1", "type": "web_hook", "address": address, **body}
    return service.events().watch(calendarId=calendar, body=request).execute()


def _reason(error: HttpError) -> str:
    return str(error.error_details[0]["reason"])


def _low(message: Any) -> dict[str, str]:
    return {k.lower(): v for k, v in message.headers.items()}


def test_watch_answers_a_channel_and_sends_sync_first(
    emulator: RunningEmulator, receiver: PushReceiver
) -> None:
    service = calendar_service(emulator, [READ])
    channel = _watch(service, receiver.url, token="secret-token", params={"ttl": "3600"})
    assert channel["kind"] == "api#channel"
    assert channel["id"] == "channel-1" and channel["token"] == "secret-token"
    assert channel["expiration"] == str(int((T0 + timedelta(hours=1)).timestamp() * 1000))
    assert channel["resourceUri"].endswith("/calendar/v3/calendars/primary/events?alt=json")
    (sync,) = receiver.wait_for(1)
    headers = _low(sync)
    assert sync.body == b""
    assert headers["x-goog-channel-id"] == "channel-1"
    assert headers["x-goog-channel-token"] == "secret-token"
    assert headers["x-goog-resource-state"] == "sync"
    assert headers["x-goog-message-number"] == "1"
    assert headers["x-goog-resource-id"] == channel["resourceId"]
    assert headers["x-goog-resource-uri"] == channel["resourceUri"]
    expires = parsedate_to_datetime(headers["x-goog-channel-expiration"])
    assert expires == T0 + timedelta(hours=1)


def test_default_ttl_is_a_week_and_no_token_no_header(
    emulator: RunningEmulator, receiver: PushReceiver
) -> None:
    channel = _watch(calendar_service(emulator, [READ]), receiver.url)
    assert channel["expiration"] == str(int((T0 + timedelta(days=7)).timestamp() * 1000))
    assert "token" not in channel
    assert "x-goog-channel-token" not in _low(receiver.wait_for(1)[0])


def test_changes_send_exists_with_increasing_numbers_only_for_that_calendar(
    emulator: RunningEmulator, receiver: PushReceiver
) -> None:
    service = calendar_service(emulator, [READ, WRITE])
    _watch(service, receiver.url)
    receiver.wait_for(1)
    service.events().insert(calendarId="primary", body=_event("first1")).execute()
    emulator.admin.patch_event(USER, "first1", {"summary": "moved"})
    emulator.admin.add_event(OTHER, _event("other1"))  # another calendar: no message
    service.events().delete(calendarId=USER, eventId="first1").execute()
    emulator.admin.push_deliveries(wait=10)
    messages = [_low(m) for m in receiver.wait_for(4)]
    assert [(m["x-goog-resource-state"], m["x-goog-message-number"]) for m in messages] == [
        ("sync", "1"),
        ("exists", "2"),
        ("exists", "3"),
        ("exists", "4"),
    ]
    assert len(receiver.messages) == 4


def test_channels_on_one_calendar_share_the_resource_id(
    emulator: RunningEmulator, receiver: PushReceiver
) -> None:
    service = calendar_service(emulator, [READ])
    first = _watch(service, receiver.url)
    second = _watch(service, receiver.url, calendar=USER, id="channel-2")
    other = _watch(service, receiver.url, calendar=OTHER, id="channel-3")
    assert first["resourceId"] == second["resourceId"] != other["resourceId"]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"address": "http://example.org/hook"}, "push.webhookUrlNotHttps"),
        ({"type": "email"}, "invalid"),
        ({"id": "x" * 65}, "invalid"),
        ({"id": "has space"}, "invalid"),
        ({"id": ""}, "required"),
        ({"token": "t" * 257}, "invalid"),
        ({"params": {"ttl": "soon"}}, "invalid"),
    ],
)
def test_watch_refuses_what_google_refuses(
    emulator: RunningEmulator, receiver: PushReceiver, body: dict[str, Any], reason: str
) -> None:
    with pytest.raises(HttpError) as caught:
        _watch(calendar_service(emulator, [READ]), body.pop("address", receiver.url), **body)
    assert caught.value.resp.status == 400
    assert _reason(caught.value) == reason
    assert emulator.admin.channels() == []


def test_a_channel_id_is_unique(emulator: RunningEmulator, receiver: PushReceiver) -> None:
    service = calendar_service(emulator, [READ])
    _watch(service, receiver.url)
    with pytest.raises(HttpError) as caught:
        _watch(service, receiver.url, calendar=OTHER)
    assert caught.value.resp.status == 400
    assert _reason(caught.value) == "channelIdNotUnique"


def test_watch_needs_an_events_scope(emulator: RunningEmulator, receiver: PushReceiver) -> None:
    service = calendar_service(emulator, [SCOPE + "calendar.freebusy"])
    with pytest.raises(HttpError) as caught:
        _watch(service, receiver.url)
    assert caught.value.resp.status == 403
    assert _reason(caught.value) == "insufficientPermissions"


def test_stop_ends_the_channel(emulator: RunningEmulator, receiver: PushReceiver) -> None:
    service = calendar_service(emulator, [READ])
    channel = _watch(service, receiver.url)
    receiver.wait_for(1)
    stop = {"id": channel["id"], "resourceId": channel["resourceId"]}
    assert service.channels().stop(body=stop).execute() == ""
    emulator.admin.add_event(USER, _event("after1"))
    emulator.admin.push_deliveries(wait=10)
    assert len(receiver.messages) == 1
    with pytest.raises(HttpError) as caught:
        service.channels().stop(body=stop).execute()
    assert caught.value.resp.status == 404


def test_stop_needs_the_resource_id_and_the_same_client(
    emulator: RunningEmulator, receiver: PushReceiver
) -> None:
    channel = _watch(calendar_service(emulator, [READ]), receiver.url)
    emulator.admin.register_client("other-client", "other-secret", [REDIRECT_URI])
    stranger = calendar_service(emulator, [READ], client_id="other-client")
    for service, resource in ((calendar_service(emulator, [READ]), "wrong"),
                              (stranger, channel["resourceId"])):  # fmt: skip
        with pytest.raises(HttpError) as caught:
            service.channels().stop(body={"id": "channel-1", "resourceId": resource}).execute()
        assert caught.value.resp.status == 404
    assert [c.id for c in emulator.admin.channels()] == ["channel-1"]


def test_an_expired_channel_sends_nothing(
    emulator: RunningEmulator, receiver: PushReceiver
) -> None:
    _watch(calendar_service(emulator, [READ]), receiver.url, params={"ttl": "60"})
    receiver.wait_for(1)
    emulator.admin.advance(61)
    emulator.admin.add_event(USER, _event("late1"))
    emulator.admin.push_deliveries(wait=10)
    assert len(receiver.messages) == 1


def test_a_change_never_waits_on_the_receiver(
    emulator: RunningEmulator, receiver: PushReceiver
) -> None:
    service = calendar_service(emulator, [READ, WRITE])
    receiver.hold()  # the receiver keeps the sync message open
    _watch(service, receiver.url)
    receiver.wait_for(1)
    inserted = service.events().insert(calendarId="primary", body=_event("quick1")).execute()
    assert inserted["id"] == "quick1"
    assert len(receiver.messages) == 1  # still held: the insert did not wait for it
    receiver.release()
    assert _low(receiver.wait_for(2)[1])["x-goog-resource-state"] == "exists"


def test_an_unreachable_or_silent_address_is_given_up(
    emulator: RunningEmulator, receiver: PushReceiver
) -> None:
    silent = PushReceiver().start()
    silent.hold()
    closed = PushReceiver().start()
    closed_url = closed.url
    closed.stop()
    emulator.state.push.timeout = 0.2
    service = calendar_service(emulator, [READ])
    try:
        _watch(service, closed_url, id="refused")
        _watch(service, silent.url, id="silent")
        _watch(service, receiver.url, id="alive")
        receiver.wait_for(1)
    finally:
        silent.stop()
    deliveries = {d.channel_id: d for d in emulator.admin.push_deliveries(wait=10)}
    assert deliveries["refused"].status is None and deliveries["refused"].error
    assert deliveries["silent"].status is None and "timed out" in str(deliveries["silent"].error)
    assert deliveries["alive"].status == 200


def test_an_https_address_is_accepted(emulator: RunningEmulator) -> None:
    channel = _watch(calendar_service(emulator, [READ]), "https://127.0.0.1:9/hook")
    assert channel["id"] == "channel-1"
    (delivery,) = emulator.admin.push_deliveries(wait=10)
    assert delivery.state == "sync" and delivery.error
