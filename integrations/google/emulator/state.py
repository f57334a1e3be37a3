"""The emulator's in-memory world: users, calendars, events, OAuth clients and tokens.

Everything lives in one :class:`EmulatorState` guarded by one re-entrant lock; the HTTP
handlers take the lock for the whole of a request's work, so every request sees and
leaves a consistent state. The clock is an argument (``clock``), so tests can move time.
"""

from __future__ import annotations

import itertools
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from integrations.google.emulator.faults import FaultQueue, RequestLog
from integrations.google.emulator.push import Channel, PushSender

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The real current time, aware UTC (the default clock)."""
    return datetime.now(UTC)


@dataclass
class User:
    """A Google account; ``email`` is also the id of its primary calendar."""

    email: str
    name: str = ""
    time_zone: str = "UTC"


@dataclass
class Calendar:
    """A calendar and the one user who sees it in their calendar list."""

    id: str
    owner: str
    summary: str
    time_zone: str = "UTC"
    access_role: str = "owner"
    primary: bool = False
    description: str = ""
    events: dict[str, StoredEvent] = field(default_factory=dict)


@dataclass
class StoredEvent:
    """One stored event resource: a single event, a recurring master or an exception.

    ``body`` holds the client-visible fields (summary, start, end, recurrence, ...);
    ``seq`` is the state's change counter at the last write, which sync tokens compare.
    """

    id: str
    body: dict[str, Any]
    created: datetime
    updated: datetime
    seq: int
    sequence: int = 0

    @property
    def status(self) -> str:
        return str(self.body.get("status", "confirmed"))


@dataclass
class OAuthClient:
    """A registered OAuth client (a "Web application" in Google's console)."""

    client_id: str
    client_secret: str
    redirect_uris: list[str]
    name: str = "Connection Planner"


@dataclass
class AuthCode:
    """An authorization code waiting for the token endpoint (single use)."""

    client_id: str
    user: str
    scopes: list[str]
    redirect_uri: str
    code_challenge: str
    offline: bool
    expires_at: datetime
    prompt_consent: bool = False
    used: bool = False
    issued: list[str] = field(default_factory=list)


@dataclass
class RefreshToken:
    token: str
    client_id: str
    user: str
    scopes: list[str]
    revoked: bool = False


@dataclass
class AccessToken:
    token: str
    client_id: str
    user: str
    scopes: list[str]
    expires_at: datetime
    refresh_token: str | None = None
    revoked: bool = False


@dataclass
class SyncPoint:
    """What a sync token stands for: a calendar, a change counter and the list options."""

    calendar_id: str
    seq: int
    single_events: bool
    dead: bool = False


@dataclass
class PageCursor:
    """Where a ``pageToken`` continues: the first page's query, the last key shown, and the
    change counter when the listing began (the sync point of its ``nextSyncToken``)."""

    params: dict[str, str]
    after: tuple[datetime, str] | None
    seq: int


class EmulatorState:
    """All emulator data plus the lock, the clock, the fault queue, the request log and the
    sender of push notifications."""

    CODE_LIFETIME_SECONDS = 600
    ACCESS_LIFETIME_SECONDS = 3599

    def __init__(self, clock: Clock = utc_now) -> None:
        self.lock = threading.RLock()
        self.clock = clock
        self.offset = timedelta(0)
        self.faults = FaultQueue()
        self.log = RequestLog()
        self.push = PushSender()
        self.reset()

    def reset(self) -> None:
        """Forget everything (faults and log included); the clock stays."""
        with self.lock:
            self.users: dict[str, User] = {}
            self.calendars: dict[str, Calendar] = {}
            self.clients: dict[str, OAuthClient] = {}
            self.codes: dict[str, AuthCode] = {}
            self.refresh_tokens: dict[str, RefreshToken] = {}
            self.access_tokens: dict[str, AccessToken] = {}
            self.grants: dict[tuple[str, str], list[str]] = {}
            self.sync_points: dict[str, SyncPoint] = {}
            self.cursors: dict[str, PageCursor] = {}
            self.channels: dict[str, Channel] = {}
            self._counter = itertools.count(1)
            self.seq = 0
            self.faults.clear()
            self.log.clear()

    def next_seq(self) -> int:
        """Advance and return the change counter (call with the lock held)."""
        self.seq = next(self._counter)
        return self.seq

    def now(self) -> datetime:
        """The emulator's time: the clock plus what :meth:`EmulatorAdmin.advance` added."""
        return self.clock() + self.offset

    def calendars_of(self, email: str) -> list[Calendar]:
        """The calendars in ``email``'s calendar list, primary first."""
        mine = [c for c in self.calendars.values() if c.owner == email]
        return sorted(mine, key=lambda c: (not c.primary, c.id))

    def resolve_calendar(self, user: str, calendar_id: str) -> Calendar | None:
        """``primary`` or a calendar id, as seen by ``user`` (None when not visible)."""
        if calendar_id == "primary":
            calendar_id = user
        calendar = self.calendars.get(calendar_id)
        return calendar if calendar is not None and calendar.owner == user else None


def new_token(prefix: str) -> str:
    """An unguessable token with a recognisable prefix (``ya29.`` for access tokens)."""
    return prefix + secrets.token_urlsafe(32)
