"""Calendar sources: add an upload or an ICS URL, sync them, list them, and read busy time.

An upload keeps its bytes in ``Source.raw`` as the source of truth; a URL source keeps its
validators and the stretch its stored blocks cover (:mod:`planner.services.fetching`). Every
sync reads ``[now - 1 day, now + horizon)`` in the owner's zone (and a week of slack) through
the one sync loop of :mod:`planner.services.sync`, which writes only the busy rows that
changed, in one transaction, and never waits on a server inside one. A sync that fails
leaves the old blocks in place and marks the source stale: a failing calendar is never read
as free time.
Titles are stored for the owner only; a partner gets merged busy intervals and nothing else
(reading them is in :mod:`planner.services.calendars`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from integrations.ics import IngestResult
from integrations.ics.fetch import AddressPolicy, FetchLimits
from integrations.ics.source import UploadSource, UrlSource
from integrations.sources import Reading, SourceFailed
from planner.core.intervals import Interval, interval
from planner.services import fetching
from planner.services.errors import Invalid, NotFound
from planner.services.sync import sync_one
from planner.store import record_sync_success, replace_busy
from planner.store.models import Source, User

if TYPE_CHECKING:
    from planner.services.caldav_sources import CaldavSettings
    from planner.services.google_sources import GoogleSettings

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
    changed: bool = False

    @property
    def ok(self) -> bool:
        """True unless the sync failed."""
        return self.outcome != "failed"


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
    adapter = UploadSource(data, _zone(session, user_id))
    try:
        reading = adapter.read(horizon(now, horizon_weeks))
    except SourceFailed as error:
        raise Invalid(error.message, field="file") from None
    source = Source(user_id=user_id, kind="upload", name=_name(name, "Uploaded calendar"), raw=data)
    return _add(session, source, reading, now)


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
    url = url.strip()
    adapter = UrlSource(
        url, _zone(session, user_id), fetch_limits=fetch.limits, policy=fetch.policy
    )
    try:
        reading = adapter.read(horizon(now, horizon_weeks))
    except SourceFailed as error:
        raise Invalid(error.message, field="url") from None
    default = urlsplit(adapter.fetched_url or url).hostname or "Subscribed calendar"
    source = Source(user_id=user_id, kind="ics_url", name=_name(name, default), url=url)
    fetching.keep(source, adapter)
    return _add(session, source, reading, now)


def _add(session: Session, source: Source, reading: Reading, now: datetime) -> int:
    """Store a new source with its first snapshot, commit, and protect the couple's plans."""
    session.add(source)
    session.flush()
    _store(session, source, reading, now)
    session.commit()
    _protect(session, source.user_id, now)
    return source.id


@dataclass(frozen=True)
class SyncSettings:
    """What syncing every kind of source needs: how links are fetched, and the Google and
    CalDAV settings (None: that kind is not configured here)."""

    fetch: FetchSettings = field(default_factory=FetchSettings)
    google: GoogleSettings | None = None
    caldav: CaldavSettings | None = None


def sync_source(
    session: Session,
    source_id: int,
    *,
    now: datetime,
    horizon_weeks: int,
    fetch: FetchSettings = FetchSettings(),
    owner: int | None = None,
    google: GoogleSettings | None = None,
    caldav: CaldavSettings | None = None,
) -> SyncResult:
    """Sync one source (see :mod:`planner.services.sync`); a failure is recorded, not raised.
    A sync that changed busy time protects the couple's plans.

    With ``owner``, a source of anyone else is :class:`NotFound`. Google sources need
    ``google`` (see :mod:`planner.services.google_sources`), CalDAV sources ``caldav``
    (:mod:`planner.services.caldav_sources`).
    """
    if owner is not None and _owner_of(session, source_id) != owner:
        raise NotFound("There is no such calendar.")
    settings = SyncSettings(fetch, google, caldav)
    result = sync_one(session, source_id, horizon(now, horizon_weeks), now, settings)
    if result.changed:
        _protect(session, _owner_of(session, source_id), now)
    return result


def sync_user(
    session: Session,
    user_id: int,
    now: datetime,
    *,
    horizon_weeks: int,
    fetch: FetchSettings = FetchSettings(),
    google: GoogleSettings | None = None,
    caldav: CaldavSettings | None = None,
) -> list[SyncResult]:
    """Sync every source of the user ("sync all"), then protect the couple's plans once
    when busy time changed."""
    ids = session.scalars(select(Source.id).where(Source.user_id == user_id).order_by(Source.id))
    settings, window = SyncSettings(fetch, google, caldav), horizon(now, horizon_weeks)
    results = [sync_one(session, i, window, now, settings) for i in ids.all()]
    if any(r.changed for r in results):
        _protect(session, user_id, now)
    return results


def _store(session: Session, source: Source, reading: Reading, now: datetime) -> None:
    """Replace the source's blocks in the reading's window and note success."""
    blocks = [(block.interval, block.title) for block in reading.blocks]
    replace_busy(session, source.id, reading.window, blocks)
    record_sync_success(
        session, source.id, now, etag=source.etag, last_modified=source.last_modified
    )


def sync_result(
    source_id: int, name: str, outcome: Outcome, result: Reading | IngestResult | None
) -> SyncResult:
    """The result of a sync that worked: what was read, in plain words."""
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


def _zone(session: Session, user_id: int) -> str:
    """The user's zone, read in a transaction that ends here: what follows (a fetch, a
    parse) holds no lock. :class:`NotFound` when there is no such user."""
    zone = _user(session, user_id).zone
    session.commit()
    return zone


def _name(name: str, default: str) -> str:
    """A source name: whitespace collapsed, at most 200 characters, else ``default``."""
    return (" ".join(name.split()) or default)[:MAX_NAME]


def _size(n: int) -> str:
    """A byte count in plain words (10 MB, 512 KB)."""
    mega, kilo = 1024 * 1024, 1024
    if n >= mega:
        return f"{n / mega:.1f}".removesuffix(".0") + " MB"
    return f"{max(n // kilo, 1)} KB"
