"""Google calendars as sources: connect a grant, and sync busy time from Google.

The refresh token is stored encrypted and bound to its owner (:mod:`planner.services.secrets`).
A sync (the one loop of :mod:`planner.services.sync`, loaded by :func:`load_google`) reads
through the calendar's adapter (:mod:`integrations.google.source`: events with a snapshot
and sync token, or free/busy in privacy mode), which reads every page first (all or
nothing), then replaces the snapshot with :func:`planner.store.replace_busy` and saves the
adapter's state (snapshot, sync token, window) in ONE transaction: a failure anywhere leaves
the old snapshot whole and the source stale, never free. A full sync covers the horizon plus
a week of slack, so later syncs can be incremental until the horizon runs past the stored
window; one that brings no change is "not modified". A revoked grant deletes the token and
asks for a reconnect.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from integrations.google.client import DEFAULT_POLICY, DEFAULT_TIMEOUT, RetryPolicy, build_service
from integrations.google.config import GoogleEndpoints
from integrations.google.events import GoogleBusyBlock
from integrations.google.oauth import Grant, RefreshedToken, credentials
from integrations.google.source import REVOKED as REVOKED
from integrations.google.source import UNREACHABLE as UNREACHABLE
from integrations.google.source import GoogleEventsSource, GoogleFreeBusySource
from integrations.google.sync import Snapshot
from integrations.sources import Reading, SourceFailed
from planner.core.intervals import Interval
from planner.services import secrets
from planner.services.errors import Invalid
from planner.services.sync import Loaded, blocks_of
from planner.store import record_sync_failure
from planner.store.models import Connection, GoogleAccount, GoogleCalendar, Source, User

if TYPE_CHECKING:
    from planner.services.sources import SyncSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GoogleSettings:
    """How to reach Google: endpoints, the app's OAuth client, secret keys, retry policy,
    and where Google posts push notifications (None: push is off, polling only)."""

    endpoints: GoogleEndpoints
    client_id: str
    client_secret: str
    keys: tuple[str, ...]
    policy: RetryPolicy = field(default=DEFAULT_POLICY)
    timeout: float = DEFAULT_TIMEOUT
    redirect_uri: str = ""
    push_address: str | None = None


class SyncFailed(Exception):
    """A Google sync that failed with a message meant for the owner."""


def connect_google(
    session: Session,
    user_id: int,
    grant: Grant,
    calendars: Sequence[tuple[str, str]],
    *,
    keys: Sequence[str],
    now: datetime,
    privacy: bool = False,
    write_back: bool = False,
) -> list[int]:
    """Store the grant (token encrypted) and one ``google`` source per chosen calendar
    (``(id, name)``; already connected ones are kept). The source ids, in order; commits."""
    if session.get(User, user_id) is None:
        raise Invalid("There is no such account.")
    account = session.get(GoogleAccount, user_id)
    if account is None:
        account = GoogleAccount(user_id=user_id)
        session.add(account)
    if grant.refresh_token:
        account.refresh_token = secrets.encrypt(grant.refresh_token, user_id, keys)
    elif account.refresh_token is None:
        raise Invalid("Google did not grant offline access; connect again.", field="google")
    account.scopes = " ".join(sorted(grant.granted))
    account.privacy, account.write_back = privacy, write_back
    account.reconnect_needed_at = None
    ids = add_calendars(session, user_id, calendars)
    session.commit()
    return ids


def add_calendars(
    session: Session, user_id: int, calendars: Sequence[tuple[str, str]]
) -> list[int]:
    """The ids of the user's sources for ``calendars`` (``(id, name)``), created when
    missing (not committed)."""
    return [_calendar_source(session, user_id, cid, name) for cid, name in calendars]


def _calendar_source(session: Session, user_id: int, calendar_id: str, name: str) -> int:
    """The id of the user's source for ``calendar_id``, created when missing."""
    query = (
        select(Source.id)
        .join(GoogleCalendar, GoogleCalendar.source_id == Source.id)
        .where(Source.user_id == user_id, GoogleCalendar.calendar_id == calendar_id)
    )
    found = session.scalar(query)
    if found is not None:
        return found
    source = Source(
        user_id=user_id, kind="google", name=(" ".join(name.split()) or calendar_id)[:200]
    )
    session.add(source)
    session.flush()
    session.add(GoogleCalendar(source_id=source.id, calendar_id=calendar_id))
    return source.id


def google_service(
    account: GoogleAccount,
    settings: GoogleSettings,
    refreshed: list[RefreshedToken],
) -> Any:
    """A Calendar service for the account; refreshes are collected in ``refreshed``."""
    return grant_service(account.user_id, account.refresh_token, settings, refreshed)


def grant_service(
    user_id: int,
    refresh_token: bytes | None,
    settings: GoogleSettings,
    refreshed: list[RefreshedToken],
) -> Any:
    """:func:`google_service` from the owner's id and stored (encrypted) refresh token, read
    beforehand, so Google can be asked with no transaction open."""
    if refresh_token is None:
        raise SyncFailed(REVOKED)
    try:
        token = secrets.decrypt(refresh_token, user_id, settings.keys)
    except secrets.SecretError as error:
        raise SyncFailed(error.message) from None
    creds = credentials(
        token,
        settings.client_id,
        settings.client_secret,
        settings.endpoints,
        on_refresh=refreshed.append,
    )
    return build_service(creds, settings.endpoints, timeout=settings.timeout)


def keep_refreshed(
    account: GoogleAccount, refreshed: list[RefreshedToken], keys: Sequence[str]
) -> None:
    """Store a rotated refresh token (encrypted) when Google sent one."""
    rotated = [r.refresh_token for r in refreshed if r.refresh_token]
    if rotated and account.refresh_token is not None:
        account.refresh_token = secrets.encrypt(rotated[-1], account.user_id, keys)


def mark_reconnect(session: Session, user_id: int, now: datetime) -> None:
    """The grant is gone: forget the token, ask for a reconnect, every Google source stale."""
    account = session.get(GoogleAccount, user_id)
    if account is not None:
        account.refresh_token = None
        account.reconnect_needed_at = now
    query = select(Source.id).where(Source.user_id == user_id, Source.kind == "google")
    for source_id in session.scalars(query).all():
        record_sync_failure(session, source_id, now, REVOKED)


def load_google(
    session: Session, source: Source, _zone: str, _now: datetime, settings: SyncSettings
) -> Loaded:
    """A Google source loaded for the sync loop (:mod:`planner.services.sync`): its adapter
    with the stored snapshot and a service on the decrypted grant; refreshed tokens are kept
    after a read, whether it worked or not, and a revoked grant asks for a reconnect."""
    google = settings.google
    if google is None:
        raise SourceFailed("Google is not configured here.")
    calendar = session.get(GoogleCalendar, source.id)
    if calendar is None:
        raise Invalid("There is no such calendar.")
    account = session.get(GoogleAccount, source.user_id)
    if account is None:
        raise SourceFailed("Connect Google first.")
    refreshed: list[RefreshedToken] = []
    try:
        service = google_service(account, google, refreshed)
    except SyncFailed as error:
        raise SourceFailed(str(error)) from None
    adapter = _adapter(service, account, calendar, google.policy)
    user_id, privacy = source.user_id, account.privacy

    def keep(_session: Session, reading: Reading) -> None:
        keep_refreshed(account, refreshed, google.keys)
        _keep(calendar, adapter, reading)

    def blocks(session: Session, reading: Reading) -> list[tuple[Interval, str | None]]:
        found = blocks_of(session, reading)
        return _without_connections(session, user_id, reading.window, found) if privacy else found

    def failed(session: Session, error: SourceFailed, now: datetime) -> None:
        if error.reconnect:
            mark_reconnect(session, user_id, now)
        elif (again := session.get(GoogleAccount, user_id)) is not None:
            keep_refreshed(again, refreshed, google.keys)

    return Loaded(adapter, keep, blocks, failed, UNREACHABLE)


def _keep(
    calendar: GoogleCalendar,
    adapter: GoogleEventsSource | GoogleFreeBusySource,
    reading: Reading,
) -> None:
    """Store the adapter's state after a read: the snapshot, its sync token and window."""
    snapshot = adapter.snapshot if isinstance(adapter, GoogleEventsSource) else None
    calendar.sync_token = snapshot.sync_token if snapshot else None
    calendar.window_start, calendar.window_end = reading.window.start, reading.window.end
    calendar.snapshot = _dump(snapshot) if snapshot else None
    if snapshot is not None:
        calendar.time_zone = snapshot.time_zone


def _without_connections(
    session: Session, user_id: int, window: Interval, blocks: list[tuple[Interval, str | None]]
) -> list[tuple[Interval, str | None]]:
    """Free/busy cannot tell the couple's own connection events (written back, or from the
    subscribed feed) from other plans, so a busy stretch that lies wholly inside one of the
    couple's connections is taken to be that connection and dropped: a connection must
    never clash with its own copy. A meeting reaching past it merges into a longer stretch
    and still counts. (Events mode skips our events by their id instead.)"""
    user = session.get(User, user_id)
    if user is None or user.couple_id is None:
        return blocks
    query = select(Connection.start, Connection.end).where(
        Connection.couple_id == user.couple_id,
        Connection.status != "cancelled",
        Connection.end > window.start,
        Connection.start < window.end,
    )
    ours = [Interval(start, end) for start, end in session.execute(query)]
    return [
        (b, t) for b, t in blocks if not any(o.start <= b.start and b.end <= o.end for o in ours)
    ]


def _adapter(
    service: Any, account: GoogleAccount, calendar: GoogleCalendar, policy: RetryPolicy
) -> GoogleEventsSource | GoogleFreeBusySource:
    """The source that reads the calendar: free/busy only in privacy mode, else events
    from the stored snapshot."""
    if account.privacy:
        return GoogleFreeBusySource(service, calendar.calendar_id, policy=policy)
    snapshot = _load(calendar)
    return GoogleEventsSource(service, calendar.calendar_id, snapshot=snapshot, policy=policy)


def _dump(snapshot: Snapshot) -> str:
    """The snapshot's blocks as JSON."""
    blocks = {
        k: [b.start.isoformat(), b.end.isoformat(), b.title] for k, b in snapshot.blocks.items()
    }
    return json.dumps(blocks, separators=(",", ":"))


def _load(calendar: GoogleCalendar) -> Snapshot | None:
    """The stored snapshot, or None when there is none."""
    if calendar.snapshot is None or calendar.window_start is None or calendar.window_end is None:
        return None
    raw: dict[str, list[Any]] = json.loads(calendar.snapshot)
    blocks = {
        k: GoogleBusyBlock(k, datetime.fromisoformat(s), datetime.fromisoformat(e), t)
        for k, (s, e, t) in raw.items()
    }
    window = Interval(calendar.window_start, calendar.window_end)
    return Snapshot(calendar.calendar_id, window, blocks, calendar.sync_token, calendar.time_zone)
