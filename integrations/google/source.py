"""Google calendars behind :class:`integrations.sources.CalendarSource`.

:class:`GoogleEventsSource` reads events (titles for the owner): an incremental sync from
its ``snapshot`` when that has a sync token and covers the window, else a full sync over
the window plus :data:`SLACK` (so the next reads can stay incremental until the window runs
past it). An incremental sync that brings no change reports ``unchanged``. Both are all or
nothing (:mod:`integrations.google.sync`): the snapshot is replaced only after a whole read.

:class:`GoogleFreeBusySource` is the privacy mode: ``freebusy.query`` over the window, busy
intervals only, no titles, no ids, nothing kept between reads.

The service object is built by the caller (credentials, endpoints, timeout), so refreshed
tokens are saved by the caller's callback. A revoked grant raises
:class:`~integrations.sources.SourceFailed` with ``reconnect``; anything else that goes
wrong raises it with :data:`UNREACHABLE`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from integrations.google.client import DEFAULT_POLICY, RetryPolicy
from integrations.google.errors import FullSyncRequired, ReconnectNeeded
from integrations.google.freebusy import free_busy
from integrations.google.sync import Changes, Snapshot, apply_changes, full_sync, incremental_sync
from integrations.sources import (
    Block,
    Reading,
    Skipped,
    SourceFailed,
    sorted_blocks,
    unexpected_as,
)
from planner.core.intervals import Interval

SLACK = timedelta(days=7)
REVOKED = "Google access was revoked: connect again"
UNREACHABLE = "Google could not be read just now; the last busy time still counts."
UNREADABLE_EVENT = "its start or end cannot be read"


@contextmanager
def _google_failures() -> Iterator[None]:
    """Every failure inside the block as :class:`SourceFailed` (a revoked grant with
    ``reconnect``)."""
    with unexpected_as(UNREACHABLE, "a Google calendar"):
        try:
            yield
        except ReconnectNeeded as error:
            raise SourceFailed(REVOKED, reconnect=True) from error


class GoogleEventsSource:
    """One Google calendar read event by event; ``snapshot`` (with its sync token) is the
    state to load before a read and store after one."""

    def __init__(
        self,
        service: Any,
        calendar_id: str,
        *,
        snapshot: Snapshot | None = None,
        owner_zone: str | None = None,
        policy: RetryPolicy = DEFAULT_POLICY,
        slack: timedelta = SLACK,
    ) -> None:
        self.service, self.calendar_id, self.snapshot = service, calendar_id, snapshot
        self.owner_zone, self.policy, self.slack = owner_zone, policy, slack

    def read(self, window: Interval) -> Reading:
        """The calendar's busy time over ``window`` (and the slack after it)."""
        with _google_failures():
            snapshot, unchanged = self._sync(window)
        self.snapshot = snapshot
        blocks = (Block(b.start, b.end, b.title) for b in snapshot.blocks.values())
        skipped = tuple(Skipped(i, UNREADABLE_EVENT) for i in snapshot.skipped)
        return Reading(snapshot.window, sorted_blocks(blocks), skipped, (), unchanged)

    def _sync(self, window: Interval) -> tuple[Snapshot, bool]:
        """The snapshot brought up to date incrementally when possible, else a full sync;
        and whether nothing changed."""
        changes = self._changes(window)
        if changes is not None and self.snapshot is not None:
            return apply_changes(self.snapshot, changes), _empty(changes)
        wide = Interval(window.start, window.end + self.slack)
        fresh = full_sync(
            self.service, self.calendar_id, wide, owner_zone=self.owner_zone, policy=self.policy
        )
        return fresh, False

    def _changes(self, window: Interval) -> Changes | None:
        """The changes since the snapshot's token, or None when a full sync is needed."""
        old = self.snapshot
        if old is None or old.sync_token is None:
            return None
        if old.window.start > window.start or old.window.end < window.end:
            return None
        try:
            return incremental_sync(
                self.service,
                self.calendar_id,
                old.sync_token,
                owner_zone=self.owner_zone,
                policy=self.policy,
            )
        except FullSyncRequired:
            return None


def _empty(changes: Changes) -> bool:
    """True when an incremental sync brought no event at all."""
    return not changes.busy and not changes.freed and not changes.skipped


class GoogleFreeBusySource:
    """One Google calendar in privacy mode: busy intervals only, never titles."""

    def __init__(
        self, service: Any, calendar_id: str, *, policy: RetryPolicy = DEFAULT_POLICY
    ) -> None:
        self.service, self.calendar_id, self.policy = service, calendar_id, policy

    def read(self, window: Interval) -> Reading:
        """The calendar's busy intervals over ``window``; a calendar Google reports an
        error for fails (it is never read as free)."""
        with _google_failures():
            answer = free_busy(self.service, [self.calendar_id], window, policy=self.policy)
        busy = answer.busy.get(self.calendar_id)
        if busy is None:
            raise SourceFailed(UNREACHABLE)
        return Reading(window, tuple(Block(b.start, b.end) for b in busy))
