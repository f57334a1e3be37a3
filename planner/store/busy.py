"""Busy blocks and source sync state: the store's side of "sync a source"."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from planner.core.intervals import Interval, clip, interval, subtract
from planner.store.errors import NotFound
from planner.store.models import BusyBlock, Source
from planner.store.types import aware_utc

Block = tuple[Interval, str | None]


@dataclass(frozen=True)
class SourceState:
    """The sync state of one source, as plain data."""

    id: int
    user_id: int
    kind: str
    name: str
    last_success_at: datetime | None
    last_error: str | None
    stale_since: datetime | None


def replace_busy(
    session: Session, source_id: int, window: Interval, blocks: Sequence[Block]
) -> int:
    """Make ``blocks`` the busy time of a source inside ``window``; outside it nothing changes.

    New blocks are clipped to the window; stored blocks that straddle a window edge keep
    their part outside it. Only what changed is written: a stored row whose part inside the
    window (and title) is among the new blocks stays untouched, other rows touching the
    window are deleted (their outside parts kept), and new blocks not stored yet are
    inserted. All of it happens in one SAVEPOINT: on any error the previous snapshot is
    left whole and the error propagates. The caller commits. The number of rows written.
    """
    window = interval(window.start, window.end)
    fresh = [(part, title) for slot, title in blocks for part in _inside(slot, window)]
    with session.begin_nested():
        _lock_source(session, source_id)
        stale, added = _changes(_stored(session, source_id, window), fresh, window)
        if stale:
            session.execute(delete(BusyBlock).where(BusyBlock.id.in_(stale)))
        _insert_blocks(session, source_id, added)
    return len(stale) + len(added)


def _inside(slot: Interval, window: Interval) -> list[Interval]:
    """The checked UTC part of ``slot`` that lies inside ``window`` (empty or one interval)."""
    return clip([interval(slot.start, slot.end)], window)


def _lock_source(session: Session, source_id: int) -> None:
    """Lock the source row (PostgreSQL) so two syncs of one source serialise."""
    found = session.scalar(select(Source.id).where(Source.id == source_id).with_for_update())
    if found is None:
        raise NotFound("source", source_id)


def _stored(session: Session, source_id: int, window: Interval) -> list[tuple[int, Block]]:
    """The source's stored rows touching ``window``: id and block."""
    query = select(BusyBlock.id, BusyBlock.start, BusyBlock.end, BusyBlock.title).where(
        BusyBlock.source_id == source_id,
        BusyBlock.start < window.end,
        BusyBlock.end > window.start,
    )
    return [(i, (Interval(start, end), title)) for i, start, end, title in session.execute(query)]


def _changes(
    stored: Sequence[tuple[int, Block]], fresh: Sequence[Block], window: Interval
) -> tuple[list[int], list[Block]]:
    """The ids of stored rows to delete and the blocks to insert so that the part inside
    ``window`` becomes ``fresh`` (stored rows matching a fresh block, inside the window,
    stay; a deleted row's parts outside the window are inserted again)."""
    wanted = Counter(fresh)
    stale: list[int] = []
    kept_outside: list[Block] = []
    for row_id, (slot, title) in stored:
        inside = (_inside(slot, window) or [slot])[0]
        if wanted[(inside, title)] > 0:
            wanted[(inside, title)] -= 1
            continue
        stale.append(row_id)
        kept_outside += [(part, title) for part in subtract([slot], [window])]
    return stale, kept_outside + list(wanted.elements())


def _insert_blocks(session: Session, source_id: int, blocks: Iterable[Block]) -> None:
    """Insert ``blocks`` for the source in one executemany."""
    rows = [
        {"source_id": source_id, "start": slot.start, "end": slot.end, "title": title}
        for slot, title in blocks
    ]
    if rows:
        session.execute(insert(BusyBlock), rows)


def busy_of_user(session: Session, user_id: int, window: Interval) -> list[Interval]:
    """The user's busy time inside ``window``, merged across the sources that count."""
    window = interval(window.start, window.end)
    rows = session.execute(
        select(BusyBlock.start, BusyBlock.end)
        .join(Source, Source.id == BusyBlock.source_id)
        .where(
            Source.user_id == user_id,
            Source.counts_as_busy.is_(True),
            BusyBlock.start < window.end,
            BusyBlock.end > window.start,
        )
    )
    return clip((Interval(start, end) for start, end in rows), window)


def stale_sources(
    session: Session,
    user_id: int,
    *,
    now: datetime | None = None,
    max_age: timedelta | None = None,
) -> list[SourceState]:
    """The user's sources whose busy time may be out of date, oldest trouble first.

    A source is stale once a sync failed (``stale_since`` set). With ``now`` and ``max_age``
    also one that never synced or last succeeded more than ``max_age`` before ``now``.
    """
    rows = session.scalars(select(Source).where(Source.user_id == user_id).order_by(Source.id))
    cutoff = aware_utc(now) - max_age if now is not None and max_age is not None else None
    stale = [s for s in rows if s.stale_since is not None or _too_old(s, cutoff)]
    return sorted((_state(s) for s in stale), key=_trouble_since)


def _too_old(source: Source, cutoff: datetime | None) -> bool:
    """True when a cutoff is given and the source has not succeeded since."""
    if cutoff is None:
        return False
    return source.last_success_at is None or source.last_success_at < cutoff


def _trouble_since(state: SourceState) -> datetime:
    """Sort key: when the trouble began (never-synced sources count from the start of time)."""
    return state.stale_since or state.last_success_at or datetime.min.replace(tzinfo=UTC)


def _state(source: Source) -> SourceState:
    """A detached snapshot of a source's sync state."""
    return SourceState(
        id=source.id,
        user_id=source.user_id,
        kind=source.kind,
        name=source.name,
        last_success_at=source.last_success_at,
        last_error=source.last_error,
        stale_since=source.stale_since,
    )


def record_sync_success(
    session: Session, source_id: int, now: datetime, *, etag: str | None, last_modified: str | None
) -> None:
    """Note a successful sync: clear the error and the staleness, keep the validators."""
    source = _source(session, source_id)
    source.last_success_at = aware_utc(now)
    source.last_error = None
    source.stale_since = None
    source.etag = etag
    source.last_modified = last_modified


def record_sync_failure(session: Session, source_id: int, now: datetime, error: str) -> None:
    """Note a failed sync: keep the old blocks, mark the source stale since the first failure."""
    source = _source(session, source_id)
    source.last_error = error
    if source.stale_since is None:
        source.stale_since = aware_utc(now)


def _source(session: Session, source_id: int) -> Source:
    """The source row, or :class:`NotFound`."""
    source = session.get(Source, source_id)
    if source is None:
        raise NotFound("source", source_id)
    return source
