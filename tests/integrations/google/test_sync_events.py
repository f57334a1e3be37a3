"""Event -> busy block rules and applying incremental changes (pure, no server)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from integrations.google.events import GoogleBusyBlock, UnreadableEvent, busy_block
from integrations.google.sync import (
    Changes,
    Snapshot,
    TooManyPages,
    apply_changes,
    classify,
    full_sync,
)
from planner.core.intervals import Interval

BERLIN = ZoneInfo("Europe/Berlin")


def event(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "e1",
        "status": "confirmed",
        "summary": "Dentist",
        "start": {"dateTime": "2025-03-10T09:00:00+01:00"},
        "end": {"dateTime": "2025-03-10T10:00:00+01:00"},
    }
    return base | fields


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_timed_event_is_busy_in_utc_with_id_and_title() -> None:
    block = busy_block(event(), BERLIN)
    assert block == GoogleBusyBlock("e1", utc(2025, 3, 10, 8), utc(2025, 3, 10, 9), "Dentist")


@pytest.mark.parametrize(
    "fields",
    [
        {"status": "cancelled"},
        {"transparency": "transparent"},
        {"eventType": "workingLocation"},
        {"attendees": [{"email": "me@x.org", "self": True, "responseStatus": "declined"}]},
        {"extendedProperties": {"private": {"connectionPlannerUid": "x@y"}}},
        {"iCalUID": "94a56fc3@connection-planner.invalid"},
    ],
    ids=[
        "cancelled",
        "transparent",
        "working-location",
        "declined-by-me",
        "written-back",
        "from-our-feed",
    ],
)
def test_free_events(fields: dict[str, Any]) -> None:
    assert busy_block(event(**fields), BERLIN) is None


@pytest.mark.parametrize(
    "fields",
    [
        {"eventType": "outOfOffice"},
        {"eventType": "focusTime"},
        {"eventType": "fromGmail"},
        {"transparency": "opaque"},
        {"attendees": [{"email": "other@x.org", "responseStatus": "declined"}]},
        {"attendees": [{"email": "me@x.org", "self": True, "responseStatus": "needsAction"}]},
        {"attendees": [{"email": "me@x.org", "self": True, "responseStatus": "tentative"}]},
        {"iCalUID": "abc@google.com", "extendedProperties": {"private": {"other": "1"}}},
    ],
    ids=[
        "ooo",
        "focus",
        "gmail",
        "opaque",
        "other-declined",
        "unanswered",
        "tentative",
        "foreign-uid",
    ],
)
def test_busy_events(fields: dict[str, Any]) -> None:
    assert busy_block(event(**fields), BERLIN) is not None


def test_all_day_event_uses_owner_zone_midnights_across_dst() -> None:
    block = busy_block(event(start={"date": "2025-03-30"}, end={"date": "2025-03-31"}), BERLIN)
    assert block is not None
    assert (block.start, block.end) == (utc(2025, 3, 29, 23), utc(2025, 3, 30, 22))


def test_all_day_transparent_is_free() -> None:
    all_day = event(start={"date": "2025-03-30"}, end={"date": "2025-03-31"})
    assert busy_block(all_day | {"transparency": "transparent"}, BERLIN) is None


def test_all_day_without_end_lasts_one_day() -> None:
    block = busy_block(event(start={"date": "2025-01-01"}, end=None), ZoneInfo("Asia/Kolkata"))
    assert block is not None
    assert block.end - block.start == timedelta(days=1)
    assert block.start == utc(2024, 12, 31, 18, 30)


def test_naive_date_time_is_read_in_its_own_zone() -> None:
    block = busy_block(
        event(
            start={"dateTime": "2025-07-01T09:00:00", "timeZone": "America/New_York"},
            end={"dateTime": "2025-07-01T10:00:00", "timeZone": "America/New_York"},
        ),
        BERLIN,
    )
    assert block is not None and block.start == utc(2025, 7, 1, 13)


def test_zulu_and_empty_title() -> None:
    block = busy_block(
        event(
            summary="",
            start={"dateTime": "2025-07-01T09:00:00Z"},
            end={"dateTime": "2025-07-01T09:30:00.000Z"},
        ),
        BERLIN,
    )
    assert block is not None and block.title is None and block.end == utc(2025, 7, 1, 9, 30)


def test_zero_length_event_is_not_busy() -> None:
    assert busy_block(event(end={"dateTime": "2025-03-10T09:00:00+01:00"}), BERLIN) is None


def test_unreadable_event_is_skipped_not_fatal() -> None:
    busy, free, skipped = classify([event(id="bad", start={}), event(id="ok")], BERLIN)
    assert list(busy) == ["ok"] and skipped == ["bad"] and not free
    with pytest.raises(UnreadableEvent):
        busy_block(event(start={"dateTime": "soon"}), BERLIN)


WINDOW = Interval(utc(2025, 3, 1), utc(2025, 4, 1))


def block(event_id: str, day: int) -> GoogleBusyBlock:
    return GoogleBusyBlock(event_id, utc(2025, 3, day, 9), utc(2025, 3, day, 10), event_id)


def test_apply_changes_adds_replaces_removes_and_clips_to_window() -> None:
    snapshot = Snapshot("cal", WINDOW, {"a": block("a", 1), "b": block("b", 2)}, "t1", "UTC")
    outside = GoogleBusyBlock("a", utc(2025, 5, 1, 9), utc(2025, 5, 1, 10), "a")
    changes = Changes(
        "cal",
        busy={"c": block("c", 3), "b": block("b", 4), "a": outside},
        freed=frozenset({"gone"}),
        sync_token="t2",
    )
    after = apply_changes(snapshot, changes)
    assert after.sync_token == "t2"
    assert set(after.blocks) == {"b", "c"}
    assert after.blocks["b"].start == utc(2025, 3, 4, 9)
    freed = apply_changes(after, Changes("cal", {}, frozenset({"c"}), "t3"))
    assert set(freed.blocks) == {"b"} and freed.busy() == [block("b", 4).interval]


class LoopingEvents:
    """An events collection whose server keeps answering the same ``nextPageToken``."""

    def list(self, **params: Any) -> LoopingEvents:
        return self

    def execute(self, num_retries: int = 0) -> dict[str, Any]:
        return {"items": [event()], "nextPageToken": "again"}


class LoopingService:
    def events(self) -> LoopingEvents:
        return LoopingEvents()


def test_a_repeated_page_token_abandons_the_sync() -> None:
    with pytest.raises(TooManyPages):
        full_sync(LoopingService(), "primary", WINDOW)
