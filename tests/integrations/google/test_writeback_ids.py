"""Event ids for connections: deterministic, Google-valid, distinct; the event body."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from integrations.google.writeback import differs, event_body, event_id_for
from integrations.ics.invites import Invite, stable_uid

GOOGLE_ID = re.compile(r"^[a-v0-9]{5,1024}$")


@given(st.text(min_size=1, max_size=300))
def test_event_id_is_valid_and_deterministic(uid: str) -> None:
    event_id = event_id_for(uid)
    assert GOOGLE_ID.fullmatch(event_id)
    assert event_id == event_id_for(uid)


def test_event_ids_differ_per_uid() -> None:
    uids = [stable_uid("couple", str(n)) for n in range(2000)]
    assert len({event_id_for(u) for u in uids}) == len(uids)


def test_event_id_is_pinned() -> None:
    # Changing the derivation would duplicate every written event: this must never move.
    pinned = "cp2blfnrbb021ptvfk50s72lq21jb7b8m0uafhjdv7vd7k2h7cjh20"
    assert event_id_for("a@connection-planner.invalid") == pinned


START = datetime(2025, 3, 30, 18, 0, tzinfo=UTC)
CONNECTION = Invite(
    uid="u1@connection-planner.invalid",
    start=START,
    end=START + timedelta(hours=2),
    summary="Date night\x07",
    sequence=2,
)


def test_event_body_is_busy_private_and_in_utc() -> None:
    body = event_body(CONNECTION)
    assert body["id"] == event_id_for(CONNECTION.uid)
    assert body["summary"] == "Date night"
    assert body["start"] == {"dateTime": "2025-03-30T18:00:00Z", "timeZone": "UTC"}
    assert body["transparency"] == "opaque"
    assert body["visibility"] == "private"
    assert body["sequence"] == 2


def test_differs_compares_instants_and_sequence() -> None:
    plus2 = timezone(timedelta(hours=2))
    same = {
        "sequence": 2,
        "start": {"dateTime": START.astimezone(plus2).isoformat()},
        "end": {"dateTime": "2025-03-30T20:00:00Z"},
    }
    assert not differs(same, CONNECTION)
    assert not differs({**same, "sequence": 7}, CONNECTION)
    assert differs({**same, "sequence": 1}, CONNECTION)
    assert differs({**same, "end": {"dateTime": "2025-03-30T21:00:00Z"}}, CONNECTION)
