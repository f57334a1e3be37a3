"""Google push notifications: a channel on each Google source's calendar, renewed before it
ends and stopped when the calendar goes; a notification is checked and names the source
to sync.

Push is on when :attr:`GoogleSettings.push_address` is set, which
:func:`push_address` allows only where Google can post to us: ``PLANNER_BASE_URL`` is
https (Google refuses any other webhook), or the Google endpoints are not Google's (the
emulator, which also posts to http on loopback). Otherwise, and for a partner whose grant
cannot watch events (privacy mode's ``calendar.freebusy``), there is polling only; polling
also stays the fallback for a lost notification or a channel that could not be opened.

Google does not renew channels: :func:`renew_channels` (run by the scheduler) opens a new
one for every source whose channel ends within :data:`RENEW_MARGIN`, or that has none,
stores it, and only then stops the old one, so no change falls between two channels.
Only the sha256 of a channel's token is stored; :func:`receive_push` compares in constant
time. No network call happens inside a database transaction: each step reads what it
needs, ends the transaction, talks to Google, then writes in a new one.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from integrations.google.config import GOOGLE, GoogleEndpoints
from integrations.google.errors import ReconnectNeeded
from integrations.google.oauth import RefreshedToken
from integrations.google.push import (
    DEFAULT_TTL,
    SYNC,
    PushHeaders,
    WatchChannel,
    can_watch,
    open_channel,
    stop_channel,
)
from planner.services.errors import NotFound, ServiceError
from planner.services.google_sources import (
    GoogleSettings,
    SyncFailed,
    google_service,
    keep_refreshed,
)
from planner.store.models import GoogleAccount, GoogleCalendar, GoogleChannel, Source

log = logging.getLogger(__name__)

PUSH_PATH = "/google/push"
RENEW_MARGIN = timedelta(days=1)
"""A channel ending sooner than this is replaced (channels live a week)."""
EXPIRY_GRACE = timedelta(minutes=10)
"""Notifications are accepted this long past a channel's end (clocks differ a little)."""
BATCH = 500
"""At most this many sources get a new channel per :func:`renew_channels` run."""
NOT_PUSH = "This is not a Google push notification."
UNKNOWN = "No such push channel."
_NO_HASH = "0" * 64
T = TypeVar("T")


def push_address(base_url: str, endpoints: GoogleEndpoints) -> str | None:
    """Where Google posts notifications, or None when push is off (see the module doc)."""
    if base_url.startswith("https://") or endpoints.api_root != GOOGLE.api_root:
        return base_url.rstrip("/") + PUSH_PATH
    return None


def hash_token(token: str) -> str:
    """The stored form of a channel token: its sha256, hex."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class _Due:
    """A source that needs a new channel, and its channels to stop once that one is stored."""

    source_id: int
    calendar_id: str
    old: tuple[tuple[str, str], ...]


def open_channels(
    session: Session,
    user_id: int,
    settings: GoogleSettings,
    now: datetime,
    only: Collection[int] | None = None,
) -> int:
    """Open a channel for each of the partner's Google sources (or ``only`` these) that has
    none lasting past the renewal margin; how many were opened. Commits."""
    if settings.push_address is None:
        return 0
    due = _due(session, now, user_id=user_id, only=only).get(user_id, [])
    return _open(session, user_id, due, settings, now) if due else _end(session, 0)


def renew_channels(session: Session, now: datetime, settings: GoogleSettings) -> int:
    """For the scheduler: give every watchable Google source a channel that lasts past
    :data:`RENEW_MARGIN`, stop the channels replaced, forget long-dead ones; how many were
    opened. Commits."""
    session.execute(delete(GoogleChannel).where(GoogleChannel.expiration < now - RENEW_MARGIN))
    session.commit()
    if settings.push_address is None:
        return 0
    due = _due(session, now)
    return sum(_open(session, user_id, items, settings, now) for user_id, items in due.items())


def _due(
    session: Session,
    now: datetime,
    *,
    user_id: int | None = None,
    only: Collection[int] | None = None,
) -> dict[int, list[_Due]]:
    """The sources needing a new channel, by owner (live grants that can watch only)."""
    lasting = select(GoogleChannel.source_id).where(GoogleChannel.expiration > now + RENEW_MARGIN)
    query = (
        select(Source.user_id, GoogleCalendar.source_id, GoogleCalendar.calendar_id,
               GoogleAccount.scopes)
        .join(Source, Source.id == GoogleCalendar.source_id)
        .join(GoogleAccount, GoogleAccount.user_id == Source.user_id)
        .where(GoogleAccount.refresh_token.is_not(None),
               GoogleCalendar.source_id.not_in(lasting))
        .order_by(GoogleCalendar.source_id)
        .limit(BATCH)
    )  # fmt: skip
    if user_id is not None:
        query = query.where(Source.user_id == user_id)
    if only is not None:
        query = query.where(GoogleCalendar.source_id.in_(list(only)))
    rows = [r for r in session.execute(query) if can_watch(r.scopes.split())]
    old = _channels_of(session, [r.source_id for r in rows])
    due: dict[int, list[_Due]] = defaultdict(list)
    for r in rows:
        due[r.user_id].append(_Due(r.source_id, r.calendar_id, tuple(old[r.source_id])))
    return dict(due)


def _channels_of(session: Session, source_ids: list[int]) -> dict[int, list[tuple[str, str]]]:
    """The stored channels (id, resource id) of ``source_ids``."""
    query = select(GoogleChannel.source_id, GoogleChannel.channel_id, GoogleChannel.resource_id)
    found: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for source_id, channel_id, resource_id in session.execute(
        query.where(GoogleChannel.source_id.in_(source_ids))
    ):
        found[source_id].append((channel_id, resource_id))
    return found


def _open(
    session: Session, user_id: int, due: list[_Due], settings: GoogleSettings, now: datetime
) -> int:
    """Open the channels of one partner's ``due`` sources, store them, stop the old ones."""
    refreshed: list[RefreshedToken] = []
    service = _service(session, user_id, settings, refreshed)
    _end(session, None)
    if service is None:
        return 0
    opened = _watch_all(service, user_id, due, settings)
    stale = _store(session, user_id, due, opened, refreshed, settings)
    _stop_all(service, stale, settings)
    return len(opened)


def _watch_all(
    service: Any, user_id: int, due: list[_Due], settings: GoogleSettings
) -> list[tuple[int, WatchChannel]]:
    """Open a channel per due source (network; no transaction open)."""
    assert settings.push_address is not None
    opened: list[tuple[int, WatchChannel]] = []
    for item in due:
        try:
            channel = open_channel(
                service, item.calendar_id, settings.push_address, ttl=DEFAULT_TTL,
                policy=settings.policy,
            )  # fmt: skip
        except ReconnectNeeded:
            log.info("Google grant of partner %s is gone; no push channels", user_id)
            break
        except Exception as error:
            log.warning("push channel for source %s not opened: %s", item.source_id, error)
            continue
        opened.append((item.source_id, channel))
    return opened


def _store(
    session: Session,
    user_id: int,
    due: list[_Due],
    opened: list[tuple[int, WatchChannel]],
    refreshed: list[RefreshedToken],
    settings: GoogleSettings,
) -> list[tuple[str, str]]:
    """Store the new channels, forget the ones they replace; the channels to stop. Commits."""
    stale: list[tuple[str, str]] = []
    renewed: set[int] = set()
    for source_id, channel in opened:
        if session.get(Source, source_id) is None:  # removed meanwhile
            stale.append((channel.id, channel.resource_id))
            continue
        session.add(GoogleChannel(
            source_id=source_id, channel_id=channel.id, token_hash=hash_token(channel.token),
            resource_id=channel.resource_id, expiration=channel.expiration,
        ))  # fmt: skip
        renewed.add(source_id)
    replaced = [old for item in due if item.source_id in renewed for old in item.old]
    if replaced:
        ids = [channel_id for channel_id, _ in replaced]
        session.execute(delete(GoogleChannel).where(GoogleChannel.channel_id.in_(ids)))
    _keep_refreshed(session, user_id, refreshed, settings)
    session.commit()
    return stale + replaced


def stop_channels(
    session: Session,
    user_id: int,
    settings: GoogleSettings | None,
    only: Iterable[int] | None = None,
) -> int:
    """Stop the push channels of the partner's Google sources (or ``only`` these) with
    Google and forget them; how many Google stopped. Call it before the grant is revoked
    (stopping needs it); a channel Google could not be told about ends by itself within a
    week, and its notifications are refused meanwhile. Commits."""
    query = select(GoogleChannel.channel_id, GoogleChannel.resource_id).join(
        Source, Source.id == GoogleChannel.source_id
    )
    query = query.where(Source.user_id == user_id)
    if only is not None:
        query = query.where(GoogleChannel.source_id.in_(list(only)))
    channels = [(c, r) for c, r in session.execute(query)]
    if not channels:
        return 0
    refreshed: list[RefreshedToken] = []
    service = _service(session, user_id, settings, refreshed) if settings else None
    _end(session, None)
    stopped = _stop_all(service, channels, settings) if service and settings else 0
    ids = [channel_id for channel_id, _ in channels]
    session.execute(delete(GoogleChannel).where(GoogleChannel.channel_id.in_(ids)))
    if settings is not None:
        _keep_refreshed(session, user_id, refreshed, settings)
    session.commit()
    return stopped


def _stop_all(service: Any, channels: list[tuple[str, str]], settings: GoogleSettings) -> int:
    """Stop each channel (network; no transaction open); how many Google stopped."""
    stopped = 0
    for channel_id, resource_id in channels:
        try:
            stopped += stop_channel(service, channel_id, resource_id, policy=settings.policy)
        except ReconnectNeeded:
            break
        except Exception as error:
            log.warning("push channel %s not stopped: %s", channel_id, error)
    return stopped


def receive_push(session: Session, headers: Mapping[str, str], now: datetime) -> int | None:
    """The source to sync for a notification with these ``headers``; None for the
    ``sync`` message that opens a channel. :class:`ServiceError` (400) when they are not a
    notification, :class:`NotFound` for an unknown or ended channel, a wrong token or a
    wrong resource (one answer for all, so none of them can be told apart)."""
    push = PushHeaders.of(headers)
    if not 0 < len(push.channel_id) <= 64 or push.state not in ("sync", "exists", "not_exists"):
        raise ServiceError(NOT_PUSH)
    row = session.scalar(select(GoogleChannel).where(GoogleChannel.channel_id == push.channel_id))
    good = hmac.compare_digest(hash_token(push.token), row.token_hash if row else _NO_HASH)
    if row is None or not good or row.resource_id != push.resource_id:
        raise NotFound(UNKNOWN)
    if row.expiration + EXPIRY_GRACE < now:
        raise NotFound(UNKNOWN)
    return None if push.state == SYNC else row.source_id


def _service(
    session: Session, user_id: int, settings: GoogleSettings, refreshed: list[RefreshedToken]
) -> Any:
    """A Calendar service for the partner's live grant, or None (no network yet)."""
    account = session.get(GoogleAccount, user_id)
    if account is None or account.refresh_token is None:
        return None
    try:
        return google_service(account, settings, refreshed)
    except SyncFailed as error:
        log.warning("no Google service for partner %s: %s", user_id, error)
        return None


def _keep_refreshed(
    session: Session, user_id: int, refreshed: list[RefreshedToken], settings: GoogleSettings
) -> None:
    account = session.get(GoogleAccount, user_id)
    if account is not None:
        keep_refreshed(account, refreshed, settings.keys)


def _end(session: Session, value: T) -> T:
    """End the open (read) transaction before talking to Google; ``value`` passes through."""
    session.commit()
    return value
