"""Calendar sources: add an upload or an ICS URL, sync them, list them, and read busy time.

An upload keeps its bytes in ``Source.raw`` as the source of truth; a URL source keeps the
last body it fetched there too, so a "not modified" answer can still cover a horizon that
moved on. Every sync reads ``[now - 1 day, now + horizon)`` in the owner's zone and replaces
the source's busy blocks there in one transaction. A sync that fails leaves the old blocks
in place and marks the source stale: a failing calendar is never read as free time.
Titles are stored for the owner only; a partner gets merged busy intervals and nothing else.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from integrations.ics import IngestResult, UnreadableCalendar, ingest
from integrations.ics.fetch import (
    AddressPolicy,
    Fetched,
    FetchFailed,
    FetchLimits,
    UrlRefused,
    fetch_calendar,
)
from planner.core.intervals import Interval, clip, interval
from planner.services.errors import Invalid, NotFound
from planner.store import busy_of_user, record_sync_failure, record_sync_success, replace_busy
from planner.store.models import BusyBlock, Source, User

log = logging.getLogger(__name__)

Outcome = Literal["ok", "not_modified", "failed"]
MAX_NAME = 200
LOOKBACK = timedelta(days=1)
SKIPPED_SHOWN = 3


@dataclass(frozen=True)
class FetchSettings:
    """How URL sources are fetched: size and time bounds, and the networks allowed."""

    limits: FetchLimits = field(default_factory=FetchLimits)
    policy: AddressPolicy = field(default_factory=AddressPolicy)


@dataclass(frozen=True)
class SyncResult:
    """What one sync did, in plain data; ``message`` is meant for the owner."""

    source_id: int
    name: str
    outcome: Outcome
    message: str
    blocks: int = 0
    skipped: int = 0
    skipped_reasons: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True unless the sync failed."""
        return self.outcome != "failed"


@dataclass(frozen=True)
class SourceView:
    """A source as its owner sees it in a list."""

    id: int
    name: str
    kind: str
    url: str | None
    last_success_at: datetime | None
    last_error: str | None
    stale_since: datetime | None
    blocks: int


class _SyncError(Exception):
    """Internal: a sync failed; ``message`` is plain and safe to show the owner."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def horizon(now: datetime, weeks: int) -> Interval:
    """The window every sync reads: from a day before ``now`` to ``weeks`` after it."""
    return interval(now - LOOKBACK, now + timedelta(weeks=weeks))


def add_upload(
    session: Session,
    user_id: int,
    *,
    name: str,
    data: bytes,
    now: datetime,
    horizon_weeks: int,
    max_bytes: int,
) -> int:
    """Keep an uploaded .ics as a new source of the user and sync it; its id.

    :class:`Invalid` (field ``file``) when it is empty, too large or cannot be read.
    """
    if not data:
        raise Invalid("That file is empty. Choose an .ics calendar file.", field="file")
    if len(data) > max_bytes:
        raise Invalid(f"That file is larger than {_size(max_bytes)}.", field="file")
    user = _user(session, user_id)
    try:
        result = _ingest(data, user, horizon(now, horizon_weeks))
    except _SyncError as error:
        raise Invalid(error.message, field="file") from None
    source = Source(user_id=user_id, kind="upload", name=_name(name, "Uploaded calendar"), raw=data)
    return _add(session, source, result, now, horizon_weeks)


def add_url(
    session: Session,
    user_id: int,
    *,
    name: str,
    url: str,
    now: datetime,
    horizon_weeks: int,
    fetch: FetchSettings = FetchSettings(),
) -> int:
    """Subscribe the user to an http, https or webcal calendar, fetched now; its id.

    :class:`Invalid` (field ``url``) when the address is refused (always the same message),
    cannot be fetched, or does not hold a readable calendar.
    """
    user = _user(session, user_id)
    url = url.strip()
    try:
        fetched = _fetch(url, None, None, fetch)
        result = _ingest(fetched.body or b"", user, horizon(now, horizon_weeks))
    except _SyncError as error:
        raise Invalid(error.message, field="url") from None
    default = urlsplit(fetched.url).hostname or "Subscribed calendar"
    source = Source(user_id=user_id, kind="ics_url", name=_name(name, default), url=url)
    _keep(source, fetched)
    return _add(session, source, result, now, horizon_weeks)


def _add(session: Session, source: Source, result: IngestResult, now: datetime, weeks: int) -> int:
    """Store a new source with its first snapshot, commit, and protect the couple's plans."""
    session.add(source)
    session.flush()
    _store(session, source, result, horizon(now, weeks), now)
    session.commit()
    _protect(session, source.user_id, now)
    return source.id


def sync_source(
    session: Session,
    source_id: int,
    *,
    now: datetime,
    horizon_weeks: int,
    fetch: FetchSettings = FetchSettings(),
    owner: int | None = None,
) -> SyncResult:
    """Sync one source (see the module docstring); a failure is recorded, not raised.

    With ``owner``, a source of anyone else is :class:`NotFound`.
    """
    if owner is not None and _owner_of(session, source_id) != owner:
        raise NotFound("There is no such calendar.")
    result = _sync(session, source_id, now, horizon_weeks, fetch)
    if result.ok:
        _protect(session, _owner_of(session, source_id), now)
    return result


def sync_user(
    session: Session,
    user_id: int,
    now: datetime,
    *,
    horizon_weeks: int,
    fetch: FetchSettings = FetchSettings(),
) -> list[SyncResult]:
    """Sync every source of the user ("sync all"), then protect the couple's plans once."""
    ids = session.scalars(select(Source.id).where(Source.user_id == user_id).order_by(Source.id))
    results = [_sync(session, source_id, now, horizon_weeks, fetch) for source_id in ids.all()]
    if any(r.ok for r in results):
        _protect(session, user_id, now)
    return results


def _sync(
    session: Session, source_id: int, now: datetime, weeks: int, fetch: FetchSettings
) -> SyncResult:
    """One source's sync in its own unit of work; failures become a stale source."""
    source = session.get(Source, source_id)
    if source is None:
        raise NotFound("There is no such calendar.")
    name, window = source.name, horizon(now, weeks)
    try:
        fetched = _refetch(source, fetch)
        data = _snapshot(source, fetched)
        result = None if data is None else _ingest(data, _user(session, source.user_id), window)
        _keep(source, fetched)
        _store(session, source, result, window, now)
        session.commit()
    except _SyncError as error:
        return _failed(session, source_id, name, now, error.message)
    except Exception:
        log.exception("sync of source %s failed", source_id)
        return _failed(session, source_id, name, now, "Something went wrong reading it.")
    return _result(source_id, name, fetched, result)


def _refetch(source: Source, fetch: FetchSettings) -> Fetched | None:
    """A fresh (conditional) fetch for a URL source; None for an upload."""
    if source.kind != "ics_url" or not source.url:
        return None
    return _fetch(source.url, source.etag, source.last_modified, fetch)


def _snapshot(source: Source, fetched: Fetched | None) -> bytes | None:
    """The bytes to read: a new body, else the kept one (None when there is nothing)."""
    if fetched is not None and not fetched.not_modified:
        return fetched.body or b""
    return source.raw


def _keep(source: Source, fetched: Fetched | None) -> None:
    """Remember a new body and the validators of a fetch."""
    if fetched is None:
        return
    if not fetched.not_modified:
        source.raw = fetched.body
    source.etag, source.last_modified = fetched.etag, fetched.last_modified


def _store(
    session: Session, source: Source, result: IngestResult | None, window: Interval, now: datetime
) -> None:
    """Replace the source's blocks in ``window`` (when there is a result) and note success."""
    if result is not None:
        blocks = [(Interval(b.start, b.end), b.title) for b in result.blocks or []]
        replace_busy(session, source.id, window, blocks)
    record_sync_success(
        session, source.id, now, etag=source.etag, last_modified=source.last_modified
    )


def _failed(session: Session, source_id: int, name: str, now: datetime, message: str) -> SyncResult:
    """Roll back the failed sync, mark the source stale, commit; the failure as a result."""
    session.rollback()
    record_sync_failure(session, source_id, now, message)
    session.commit()
    return SyncResult(source_id, name, "failed", message)


def _result(
    source_id: int, name: str, fetched: Fetched | None, result: IngestResult | None
) -> SyncResult:
    """The result of a sync that worked."""
    outcome: Outcome = "not_modified" if fetched is not None and fetched.not_modified else "ok"
    if result is None:
        return SyncResult(source_id, name, outcome, f"{name}: unchanged.")
    reasons = tuple(s.reason for s in result.skipped[:SKIPPED_SHOWN])
    count = len(result.blocks or [])
    message = f"{name}: {'unchanged, ' if outcome == 'not_modified' else ''}{count} busy blocks."
    if result.skipped:
        message += f" {len(result.skipped)} events skipped ({'; '.join(reasons)})."
    return SyncResult(
        source_id, name, outcome, message, count, len(result.skipped), reasons,
        tuple(result.warnings),
    )  # fmt: skip


def _fetch(url: str, etag: str | None, last_modified: str | None, fetch: FetchSettings) -> Fetched:
    """Fetch ``url`` conditionally; refusals and failures as plain :class:`_SyncError`."""
    try:
        return fetch_calendar(
            url, etag=etag, last_modified=last_modified, limits=fetch.limits, policy=fetch.policy
        )
    except UrlRefused as refused:
        log.info("calendar url refused: %s", refused.detail)
        raise _SyncError(str(refused)) from None
    except FetchFailed as failed:
        raise _SyncError(_sentence(failed.message)) from None


def _ingest(data: bytes, owner: User, window: Interval) -> IngestResult:
    """The calendar's blocks with titles in the owner's zone, or a plain :class:`_SyncError`."""
    try:
        return ingest(data, start=window.start, end=window.end, zone=owner.zone, with_titles=True)
    except UnreadableCalendar as error:
        raise _SyncError(f"That calendar cannot be read: {error.reason}.") from None


def _protect(session: Session, user_id: int, now: datetime) -> None:
    """Defend the couple's connections against what a sync brought in."""
    couple_id = session.scalar(select(User.couple_id).where(User.id == user_id))
    if couple_id is None:
        return
    from planner.services import planning

    planning.protect(session, couple_id, now=now)


def delete_source(session: Session, user_id: int, source_id: int) -> None:
    """Remove one of the user's sources and its busy blocks; :class:`NotFound` otherwise."""
    source = session.get(Source, source_id)
    if source is None or source.user_id != user_id:
        raise NotFound("There is no such calendar.")
    session.delete(source)
    session.commit()


def sources_of(session: Session, user_id: int) -> list[SourceView]:
    """The user's sources with their sync state and block counts, oldest first."""
    counts = (
        select(BusyBlock.source_id, func.count().label("n"))
        .group_by(BusyBlock.source_id)
        .subquery()
    )
    rows = session.execute(
        select(Source, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.source_id == Source.id)
        .where(Source.user_id == user_id)
        .order_by(Source.id)
    )
    return [
        SourceView(
            s.id,
            s.name,
            s.kind,
            mask_url(s.url),
            s.last_success_at,
            s.last_error,
            s.stale_since,
            int(n),
        )
        for s, n in rows
    ]


def own_blocks(session: Session, user_id: int, window: Interval) -> list[tuple[Interval, str]]:
    """The owner's busy blocks in ``window`` with their titles, by start. Owner only."""
    rows = session.execute(
        select(BusyBlock.start, BusyBlock.end, BusyBlock.title)
        .join(Source, Source.id == BusyBlock.source_id)
        .where(Source.user_id == user_id, Source.counts_as_busy.is_(True))
        .where(BusyBlock.start < window.end, BusyBlock.end > window.start)
        .order_by(BusyBlock.start, BusyBlock.end)
    )
    return [
        (part, title or "Busy")
        for start, end, title in rows
        for part in clip([Interval(start, end)], window)
    ]


def partner_busy(session: Session, viewer_id: int, window: Interval) -> list[Interval]:
    """The viewer's partner's busy time in ``window``: merged intervals, never titles.

    Stale sources count with their last good snapshot. Empty without a partner.
    """
    partner = partner_of(session, viewer_id)
    return busy_of_user(session, partner.id, window) if partner is not None else []


@dataclass(frozen=True)
class PartnerCalendars:
    """What a partner may know of the other's calendars: how many, and since when one is stale."""

    name: str
    sources: int
    stale: int
    stale_since: datetime | None


def partner_calendars(session: Session, viewer_id: int) -> PartnerCalendars | None:
    """A summary of the viewer's partner's calendars (no names, links or errors); None alone."""
    partner = partner_of(session, viewer_id)
    if partner is None:
        return None
    states = session.scalars(select(Source.stale_since).where(Source.user_id == partner.id)).all()
    stale = [s for s in states if s is not None]
    return PartnerCalendars(partner.display_name, len(states), len(stale), min(stale, default=None))


def partner_of(session: Session, user_id: int) -> User | None:
    """The other partner of the user's couple, if any."""
    couple_id = session.scalar(select(User.couple_id).where(User.id == user_id))
    if couple_id is None:
        return None
    return session.scalar(
        select(User).where(User.couple_id == couple_id, User.id != user_id).order_by(User.id)
    )


def mask_url(url: str | None) -> str | None:
    """``url`` with any user name or password replaced by ``***``."""
    if not url:
        return url
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"***@{host}"))


def _owner_of(session: Session, source_id: int) -> int:
    """The id of the user a source belongs to."""
    owner = session.scalar(select(Source.user_id).where(Source.id == source_id))
    if owner is None:
        raise NotFound("There is no such calendar.")
    return owner


def _user(session: Session, user_id: int) -> User:
    """The user, or :class:`NotFound`."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("There is no such account.")
    return user


def _name(name: str, default: str) -> str:
    """A source name: whitespace collapsed, at most 200 characters, else ``default``."""
    return (" ".join(name.split()) or default)[:MAX_NAME]


def _sentence(message: str) -> str:
    """``message`` as a sentence: capitalised, ending with a full stop."""
    text = message[:1].upper() + message[1:]
    return text if text.endswith(".") else f"{text}."


def _size(n: int) -> str:
    """A byte count in plain words (10 MB, 512 KB)."""
    mega, kilo = 1024 * 1024, 1024
    if n >= mega:
        return f"{n / mega:.1f}".removesuffix(".0") + " MB"
    return f"{max(n // kilo, 1)} KB"
