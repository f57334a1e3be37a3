"""The contract every calendar source keeps (:mod:`integrations.sources`), asked of every kind.

The same questions, the same canonical events (:mod:`tests.contract.canon`), the same
answers: memory, upload, ICS URL, Google events, Google free/busy and CalDAV.
"""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest

from integrations.sources import CalendarSource, Reading, SourceFailed
from planner.core.intervals import Interval, intersect
from tests.contract.canon import (
    ADDED,
    BUSY,
    EMPTY,
    EVENTS,
    FREE,
    MOVED_TO,
    REMOVED,
    TITLES,
    WINDOW,
    changed,
    expected_busy,
)
from tests.contract.harness import Harness


def test_the_expected_busy_time_matches_the_figures_worked_out_by_hand() -> None:
    assert expected_busy(EVENTS, WINDOW) == BUSY
    assert expected_busy(EVENTS, EMPTY) == []
    for name, free in FREE.items():
        assert intersect(BUSY, [free]) == [], name


def well_formed(reading: Reading, window: Interval) -> None:
    """Blocks are aware UTC, non-empty, sorted, inside what the reading covers."""
    assert reading.window.start <= window.start and window.end <= reading.window.end
    for block in reading.blocks:
        assert block.start.utcoffset() == timedelta(0) and block.start.tzinfo is UTC
        assert block.end.tzinfo is UTC and block.start < block.end
        assert block.interval.overlaps(reading.window)
    assert list(reading.blocks) == sorted(reading.blocks, key=lambda b: (b.start, b.end))


class TestCalendarSource:
    """One set of questions; the ``harness`` fixture runs it against every kind."""

    def test_is_a_calendar_source(self, harness: Harness) -> None:
        assert isinstance(harness.source, CalendarSource)

    def test_busy_time_is_the_expected_set(self, harness: Harness) -> None:
        reading = harness.source.read(WINDOW)
        well_formed(reading, WINDOW)
        assert reading.busy(WINDOW) == BUSY
        assert reading.skipped == () and reading.warnings == ()

    def test_transparent_cancelled_and_excluded_time_is_free(self, harness: Harness) -> None:
        busy = harness.source.read(WINDOW).busy(WINDOW)
        for name, free in FREE.items():
            assert intersect(busy, [free]) == [], f"{name} time is busy"

    def test_a_moved_instance_is_busy_at_its_new_time_only(self, harness: Harness) -> None:
        busy = harness.source.read(WINDOW).busy(WINDOW)
        assert intersect(busy, [MOVED_TO]) == [MOVED_TO]
        assert intersect(busy, [FREE["moved away"]]) == []

    def test_titles_where_the_kind_gives_them(self, harness: Harness) -> None:
        reading = harness.source.read(WINDOW)
        inside = [b for b in reading.blocks if b.interval.overlaps(WINDOW)]
        titles = {b.title for b in inside}
        assert titles == (TITLES if harness.titles else {None})
        if harness.titles:
            (moved,) = [b for b in inside if b.interval == MOVED_TO]
            assert moved.title == "Stand-up (moved)"

    def test_a_second_read_without_changes_gives_the_same_busy_time(self, harness: Harness) -> None:
        first = harness.source.read(WINDOW)
        second = harness.source.read(WINDOW)
        assert second.busy(WINDOW) == first.busy(WINDOW) == BUSY
        assert not first.unchanged
        assert second.unchanged is harness.tells_unchanged

    def test_added_and_removed_events_show_on_the_next_read(self, harness: Harness) -> None:
        harness.source.read(WINDOW)
        harness.add(ADDED)
        harness.remove(REMOVED)
        reading = harness.source.read(WINDOW)
        assert not reading.unchanged
        assert reading.busy(WINDOW) == expected_busy(changed(EVENTS), WINDOW)
        assert reading.busy(WINDOW) != BUSY
        if harness.titles:
            titles = {b.title for b in reading.blocks if b.interval.overlaps(WINDOW)}
            assert "Added meeting" in titles and "Dentist" not in titles

    def test_a_failure_raises_and_the_next_read_is_whole_again(self, harness: Harness) -> None:
        source = harness.source
        source.read(WINDOW)
        harness.fail()
        with pytest.raises(SourceFailed) as caught:
            source.read(WINDOW)
        message = caught.value.message
        assert message and "\n" not in message and "Traceback" not in message
        assert not caught.value.reconnect
        harness.heal()
        assert source.read(WINDOW).busy(WINDOW) == BUSY

    def test_a_first_read_that_fails_raises_too(self, harness: Harness) -> None:
        harness.fail()
        with pytest.raises(SourceFailed):
            harness.source.read(WINDOW)

    def test_a_window_with_nothing_in_it_gives_an_empty_reading(self, harness: Harness) -> None:
        reading = harness.source.read(EMPTY)
        well_formed(reading, EMPTY)
        assert reading.busy(EMPTY) == []
        assert not [b for b in reading.blocks if b.interval.overlaps(EMPTY)]
