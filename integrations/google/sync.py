"""Reading busy time from Google: full sync, incremental sync and applying changes.

All or nothing: a sync reads every page first and only then returns a complete
:class:`Snapshot` (or :class:`Changes`) with the new sync token, which Google sends on the
last page only. A failure on any page raises and nothing partial is returned, so the
caller keeps its old snapshot and token. Pages are followed by hand with ``pageToken``
(``list_next`` rebuilds the URL and mishandles repeated query parameters).

Errors: an expired sync token (HTTP 410) raises :class:`FullSyncRequired`; a revoked grant
raises :class:`ReconnectNeeded` (from the credentials); anything else propagates after the
retry policy of :mod:`integrations.google.client` gave up.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, tzinfo
from typing import Any

from googleapiclient.errors import HttpError

from integrations.google.client import DEFAULT_POLICY, RetryPolicy, execute
from integrations.google.errors import FullSyncRequired, http_status
from integrations.google.events import GoogleBusyBlock, UnreadableEvent, busy_block, zone
from planner.core.intervals import Interval, merge

PAGE_SIZE = 2500
"""Google's largest ``maxResults`` for events.list."""

MAX_PAGES = 400
"""A runaway guard: 400 pages of 2500 is a million events in one window."""


class TooManyPages(RuntimeError):
    """The server kept sending ``nextPageToken`` (or repeated one): the sync is abandoned."""

    def __init__(self, calendar_id: str, pages: int) -> None:
        super().__init__(f"calendar {calendar_id!r}: gave up after {pages} pages")
        self.calendar_id = calendar_id
        self.pages = pages


@dataclass(frozen=True)
class Snapshot:
    """Everything busy in one calendar within ``window`` at the time of a sync.

    ``blocks`` is keyed by event id. ``time_zone`` is the calendar's zone (all-day events
    are read in it); ``sync_token`` continues from here with :func:`incremental_sync`.
    ``skipped`` lists ids of events whose times could not be read.
    """

    calendar_id: str
    window: Interval
    blocks: Mapping[str, GoogleBusyBlock]
    sync_token: str | None
    time_zone: str | None
    skipped: tuple[str, ...] = ()

    def busy(self) -> list[Interval]:
        """The busy time of the snapshot, in normal form."""
        return merge(b.interval for b in self.blocks.values())


@dataclass(frozen=True)
class Changes:
    """What changed since a sync token: events now busy and ids now free or gone."""

    calendar_id: str
    busy: Mapping[str, GoogleBusyBlock]
    freed: frozenset[str]
    sync_token: str
    time_zone: str | None = None
    skipped: tuple[str, ...] = field(default=())


def _pages(
    service: Any, params: Mapping[str, Any], policy: RetryPolicy
) -> Iterator[Mapping[str, Any]]:
    """Every page of one events.list query, following ``nextPageToken`` by hand."""
    calendar_id = str(params["calendarId"])
    seen: set[str] = set()
    token: str | None = None
    for _ in range(MAX_PAGES):
        query = dict(params, pageToken=token) if token else dict(params)
        page = execute(service.events().list(**query), policy)
        yield page
        token = page.get("nextPageToken")
        if not token:
            return
        if token in seen:
            raise TooManyPages(calendar_id, len(seen) + 1)
        seen.add(token)
    raise TooManyPages(calendar_id, MAX_PAGES)


def _read_all(
    service: Any, params: Mapping[str, Any], policy: RetryPolicy
) -> tuple[list[Mapping[str, Any]], str | None, str | None]:
    """All items of a query, the calendar's time zone and the final sync token."""
    items: list[Mapping[str, Any]] = []
    time_zone: str | None = None
    sync_token: str | None = None
    for page in _pages(service, params, policy):
        items.extend(page.get("items") or [])
        time_zone = time_zone or page.get("timeZone")
        sync_token = page.get("nextSyncToken")
    return items, time_zone, sync_token


def classify(
    items: Iterable[Mapping[str, Any]], owner_zone: tzinfo
) -> tuple[dict[str, GoogleBusyBlock], set[str], list[str]]:
    """Split events into busy blocks, ids that are free, and ids that cannot be read.

    Later items win over earlier ones with the same id (Google lists each id once; the
    rule only matters for a malformed answer)."""
    busy: dict[str, GoogleBusyBlock] = {}
    free: set[str] = set()
    skipped: list[str] = []
    for event in items:
        event_id = str(event.get("id", ""))
        try:
            block = busy_block(event, owner_zone)
        except UnreadableEvent:
            skipped.append(event_id)
            continue
        if block is None:
            busy.pop(event_id, None)
            free.add(event_id)
        else:
            free.discard(event_id)
            busy[event_id] = block
    return busy, free, skipped


def full_sync(
    service: Any,
    calendar_id: str,
    window: Interval,
    *,
    owner_zone: str | None = None,
    page_size: int = PAGE_SIZE,
    policy: RetryPolicy = DEFAULT_POLICY,
) -> Snapshot:
    """Every busy event occurrence of ``calendar_id`` overlapping ``window``.

    Recurring events are expanded by Google (``singleEvents``). All-day events are read in
    the calendar's time zone, else ``owner_zone``, else UTC.
    """
    params = {
        "calendarId": calendar_id,
        "singleEvents": True,
        "timeMin": window.start.astimezone(UTC).isoformat(),
        "timeMax": window.end.astimezone(UTC).isoformat(),
        "maxResults": page_size,
    }
    items, time_zone, sync_token = _read_all(service, params, policy)
    zone_name = time_zone or owner_zone
    busy, _, skipped = classify(items, zone(zone_name))
    inside = {k: b for k, b in busy.items() if b.interval.overlaps(window)}
    return Snapshot(calendar_id, window, inside, sync_token, zone_name, tuple(skipped))


def incremental_sync(
    service: Any,
    calendar_id: str,
    sync_token: str,
    *,
    owner_zone: str | None = None,
    page_size: int = PAGE_SIZE,
    policy: RetryPolicy = DEFAULT_POLICY,
) -> Changes:
    """The changes to ``calendar_id`` since ``sync_token`` (deleted events included).

    Raises :class:`FullSyncRequired` when Google answers 410: the token expired and the
    caller must run :func:`full_sync` and replace its snapshot.
    """
    params = {
        "calendarId": calendar_id,
        "singleEvents": True,
        "syncToken": sync_token,
        "maxResults": page_size,
    }
    try:
        items, time_zone, new_token = _read_all(service, params, policy)
    except HttpError as error:
        if http_status(error) == 410:
            raise FullSyncRequired(calendar_id) from error
        raise
    if not new_token:
        raise FullSyncRequired(calendar_id)
    zone_name = time_zone or owner_zone
    busy, free, skipped = classify(items, zone(zone_name))
    return Changes(calendar_id, busy, frozenset(free), new_token, zone_name, tuple(skipped))


def apply_changes(snapshot: Snapshot, changes: Changes) -> Snapshot:
    """The snapshot after ``changes``: freed ids removed, busy ones added or replaced, all
    kept to the snapshot's window. Pure."""
    blocks = {k: b for k, b in snapshot.blocks.items() if k not in changes.freed}
    for event_id, block in changes.busy.items():
        if block.interval.overlaps(snapshot.window):
            blocks[event_id] = block
        else:
            blocks.pop(event_id, None)
    skipped = tuple(dict.fromkeys(snapshot.skipped + changes.skipped))
    return replace(snapshot, blocks=blocks, sync_token=changes.sync_token, skipped=skipped)
