"""One sync loop for every kind of source, over :class:`integrations.sources.CalendarSource`.

A sync has three steps, and no transaction is open during the network read:

1. load: in one short transaction, the source row and its owner's zone, and the kind's
   adapter built with what the last sync kept (:class:`Loaded`); the transaction ends
   (on SQLite every transaction holds the write lock, so it must not wait on a server);
2. read: ``adapter.read(window)`` with no transaction open;
3. store: in a new short transaction, the new busy blocks (only the rows that changed, see
   :func:`planner.store.replace_busy`) unless the reading is ``kept``, the adapter's state
   and the sync state. A failure at any step rolls back and marks the source stale; its
   old blocks still count.

What differs between kinds (uploads and links, Google, CalDAV) lives in their loaders:
:func:`planner.services.fetching.load_ics`, :func:`planner.services.google_sources.load_google`
and :func:`planner.services.caldav_sources.load_caldav`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from integrations.sources import BROKEN, CalendarSource, Reading, SourceFailed
from planner.core.intervals import Interval
from planner.services.errors import NotFound
from planner.store import NotFound as StoreNotFound
from planner.store import record_sync_failure, record_sync_success, replace_busy
from planner.store.models import Source, User

if TYPE_CHECKING:
    from planner.services.sources import Outcome, SyncResult, SyncSettings

log = logging.getLogger(__name__)

Block = tuple[Interval, str | None]


def blocks_of(_session: Session, reading: Reading) -> list[Block]:
    """The blocks of a reading as the store takes them."""
    return [(block.interval, block.title) for block in reading.blocks]


def no_more(_session: Session, _error: SourceFailed, _now: datetime) -> None:
    """Nothing to do after a failure but mark the source stale."""


@dataclass
class Loaded:
    """A source's adapter loaded with what the last sync kept, and the kind's steps of the
    store transaction: ``keep`` stores the adapter's state after a successful read,
    ``blocks`` turns a reading into the blocks to store, ``failed`` does what a failure
    needs beyond marking the source stale (such as asking for a reconnect). ``message`` is
    the owner's words for an unexpected failure of the read."""

    adapter: CalendarSource
    keep: Callable[[Session, Reading], None]
    blocks: Callable[[Session, Reading], list[Block]] = blocks_of
    failed: Callable[[Session, SourceFailed, datetime], None] = field(default=no_more)
    message: str = BROKEN


def sync_one(
    session: Session, source_id: int, window: Interval, now: datetime, settings: SyncSettings
) -> SyncResult:
    """Sync one source over ``window`` (see the module docstring); a failure is recorded,
    not raised. :class:`NotFound` when there is no such source."""
    name, loaded = _load(session, source_id, now, settings)
    session.commit()  # end the read transaction before the network
    if isinstance(loaded, SourceFailed):
        return _failed(session, source_id, name, now, loaded, None)
    try:
        reading = loaded.adapter.read(window)
    except SourceFailed as error:
        return _failed(session, source_id, name, now, error, loaded)
    except Exception:
        log.exception("reading source %s failed", source_id)
        return _failed(session, source_id, name, now, SourceFailed(loaded.message), loaded)
    return _store(session, source_id, name, now, loaded, reading)


def _load(
    session: Session, source_id: int, now: datetime, settings: SyncSettings
) -> tuple[str, Loaded | SourceFailed]:
    """The source's name and its loaded adapter, or why it cannot be read."""
    row = session.execute(
        select(Source, User.zone)
        .join(User, User.id == Source.user_id)
        .where(Source.id == source_id)
    ).first()
    if row is None:
        raise NotFound("There is no such calendar.")
    source, zone = row
    try:
        return source.name, _loader(source.kind)(session, source, zone, now, settings)
    except SourceFailed as error:
        return source.name, error


Loader = Callable[[Session, Source, str, datetime, "SyncSettings"], Loaded]


def _loader(kind: str) -> Loader:
    """The loader of a kind of source."""
    if kind == "google":
        from planner.services.google_sources import load_google

        return load_google
    if kind == "caldav":
        from planner.services.caldav_sources import load_caldav

        return load_caldav
    from planner.services.fetching import load_ics

    return load_ics


def _store(
    session: Session, source_id: int, name: str, now: datetime, loaded: Loaded, reading: Reading
) -> SyncResult:
    """Store a successful reading in one transaction; the result: ``changed`` when a busy
    row was written, "not_modified" when the source said so and no row was written."""
    from planner.services.sources import sync_result

    try:
        written = 0
        if not reading.kept:
            blocks = loaded.blocks(session, reading)
            written = replace_busy(session, source_id, reading.window, blocks)
        loaded.keep(session, reading)
        source = session.get(Source, source_id)
        etag, modified = (source.etag, source.last_modified) if source else (None, None)
        record_sync_success(session, source_id, now, etag=etag, last_modified=modified)
        session.commit()
    except StoreNotFound:
        session.rollback()
        raise NotFound("There is no such calendar.") from None
    except Exception:
        log.exception("storing source %s failed", source_id)
        return _failed(session, source_id, name, now, SourceFailed(BROKEN), None)
    outcome: Outcome = "not_modified" if reading.unchanged and not written else "ok"
    result = sync_result(source_id, name, outcome, None if reading.kept else reading)
    return replace(result, changed=written > 0)


def _failed(
    session: Session,
    source_id: int,
    name: str,
    now: datetime,
    error: SourceFailed,
    loaded: Loaded | None,
) -> SyncResult:
    """Roll back, do the kind's failure steps, mark the source stale, commit; the failure
    as a result."""
    from planner.services.sources import SyncResult

    session.rollback()
    if loaded is not None:
        loaded.failed(session, error, now)
    record_sync_failure(session, source_id, now, error.message)
    session.commit()
    return SyncResult(source_id, name, "failed", error.message)
