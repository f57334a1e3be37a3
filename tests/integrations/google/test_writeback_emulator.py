"""Write-back against the emulator: exactly one event per connection, whatever happens."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from googleapiclient.errors import HttpError

from integrations.google.config import READ, WRITE
from integrations.google.emulator import RunningEmulator
from integrations.google.sync import full_sync
from integrations.google.writeback import (
    WriteOutcome,
    cancel_connection,
    event_id_for,
    move_connection,
    upsert_connection,
)
from integrations.ics.invites import Invite, stable_uid
from tests.integrations.google.test_client_support import (
    NOW,
    USER,
    WINDOW,
    Recorder,
    api_requests,
    connect,
    register,
)

START = NOW + timedelta(days=3, hours=18)
CONNECTION = Invite(
    uid=stable_uid("couple-1", "date-night", START.isoformat()),
    start=START,
    end=START + timedelta(hours=2),
    summary="Date night",
    description="Phones away.",
    sequence=0,
    status="CONFIRMED",
)
EVENT_ID = event_id_for(CONNECTION.uid)


@pytest.fixture
def emulator(google_emulator: RunningEmulator) -> RunningEmulator:
    register(google_emulator)
    return google_emulator


def stored(emulator: RunningEmulator) -> list[dict[str, Any]]:
    return [e for e in emulator.admin.events(USER) if e["id"] == EVENT_ID]


def test_upsert_creates_once_and_then_is_a_no_op(emulator: RunningEmulator) -> None:
    service, _ = connect(emulator, scopes=[READ, WRITE])
    assert upsert_connection(service, USER, CONNECTION) is WriteOutcome.CREATED
    assert upsert_connection(service, USER, CONNECTION) is WriteOutcome.UNCHANGED
    (event,) = stored(emulator)
    assert event["summary"] == "Date night" and event["transparency"] == "opaque"  # busy to others
    snapshot = full_sync(service, USER, WINDOW)
    assert EVENT_ID not in snapshot.blocks  # but never to us: it must not clash with itself


def test_dropped_answer_after_insert_still_gives_one_event(emulator: RunningEmulator) -> None:
    service, _ = connect(emulator, scopes=[READ, WRITE])
    emulator.admin.add_fault("drop", path="*/events", method="POST")
    recorder = Recorder()
    outcome = upsert_connection(service, USER, CONNECTION, policy=recorder.policy())
    assert outcome is WriteOutcome.UNCHANGED  # it was there already: the first insert worked
    posts = [e.status for e in api_requests(emulator, "POST", "/events")]
    assert posts == [0, 409]  # the answer was dropped, the repeat met the existing event
    assert len(stored(emulator)) == 1


def test_move_patches_times_and_sequence(emulator: RunningEmulator) -> None:
    service, _ = connect(emulator, scopes=[READ, WRITE])
    upsert_connection(service, USER, CONNECTION)
    moved = replace(
        CONNECTION,
        start=START + timedelta(days=1),
        end=START + timedelta(days=1, hours=2),
        sequence=1,
    )
    assert move_connection(service, USER, moved) is WriteOutcome.UPDATED
    (event,) = stored(emulator)
    assert event["start"]["dateTime"].startswith(
        (START + timedelta(days=1)).strftime("%Y-%m-%dT%H")
    )
    assert int(event["sequence"]) >= 1
    assert move_connection(service, USER, moved) is WriteOutcome.UNCHANGED
    again = replace(moved, sequence=2, start=START, end=START + timedelta(hours=2))
    assert upsert_connection(service, USER, again) is WriteOutcome.UPDATED
    assert len(stored(emulator)) == 1


def test_move_of_a_never_written_connection_creates_it(emulator: RunningEmulator) -> None:
    service, _ = connect(emulator, scopes=[READ, WRITE])
    assert move_connection(service, USER, CONNECTION) is WriteOutcome.CREATED


def test_event_deleted_by_hand_is_not_recreated(emulator: RunningEmulator) -> None:
    service, _ = connect(emulator, scopes=[READ, WRITE])
    upsert_connection(service, USER, CONNECTION)
    emulator.admin.delete_event(USER, EVENT_ID)
    assert upsert_connection(service, USER, CONNECTION) is WriteOutcome.DELETED_BY_USER
    moved = replace(CONNECTION, sequence=1, start=START + timedelta(hours=1))
    assert move_connection(service, USER, moved) is WriteOutcome.DELETED_BY_USER
    (event,) = stored(emulator)
    assert event["status"] == "cancelled"


def test_cancel_deletes_once(emulator: RunningEmulator) -> None:
    service, _ = connect(emulator, scopes=[READ, WRITE])
    upsert_connection(service, USER, CONNECTION)
    assert cancel_connection(service, USER, CONNECTION.uid) is True
    assert cancel_connection(service, USER, CONNECTION.uid) is False  # 410: deleted before
    assert cancel_connection(service, USER, "never-written") is False  # 404
    assert stored(emulator)[0]["status"] == "cancelled"


def test_write_without_write_scope_fails_at_once(emulator: RunningEmulator) -> None:
    service, _ = connect(emulator, scopes=[READ])
    recorder = Recorder()
    with pytest.raises(HttpError) as caught:
        upsert_connection(service, USER, CONNECTION, policy=recorder.policy())
    assert caught.value.resp.status == 403 and recorder.sleeps == []
    assert len(api_requests(emulator, "POST")) == 1
