"""The in-process admin helper: seed users, calendars, events and clients; issue and expire
tokens; queue faults; read the request log. The HTTP admin API (``/_emulator``) wraps it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from integrations.google.emulator import events
from integrations.google.emulator.errors import not_found
from integrations.google.emulator.faults import Fault, LogEntry
from integrations.google.emulator.grants import issue_tokens
from integrations.google.emulator.push import Channel, Delivery
from integrations.google.emulator.state import Calendar, EmulatorState, OAuthClient, User


class EmulatorAdmin:
    """Administration of one :class:`EmulatorState` (thread-safe: every call takes its lock)."""

    def __init__(self, state: EmulatorState) -> None:
        self.state = state

    def add_user(self, email: str, name: str = "", time_zone: str = "UTC") -> User:
        """A user and their primary calendar (id = email, accessRole owner)."""
        with self.state.lock:
            user = User(email, name or email.split("@")[0].title(), time_zone)
            self.state.users[email] = user
            self.state.calendars.setdefault(
                email, Calendar(email, email, email, time_zone, "owner", primary=True)
            )
            return user

    def add_calendar(
        self,
        owner: str,
        calendar_id: str,
        summary: str,
        access_role: str = "reader",
        time_zone: str | None = None,
    ) -> Calendar:
        """A secondary calendar in ``owner``'s calendar list (reader, writer or owner)."""
        with self.state.lock:
            zone = time_zone or self.state.users[owner].time_zone
            cal = Calendar(calendar_id, owner, summary, zone, access_role)
            self.state.calendars[calendar_id] = cal
            return cal

    def add_event(self, calendar_id: str, event: dict[str, Any]) -> dict[str, Any]:
        """Insert ``event`` (Calendar v3 JSON; exceptions name ``recurringEventId``)."""
        with self.state.lock:
            cal = self._calendar(calendar_id)
            stored = events.insert(self.state, cal, event)
            return events.resource(stored, cal)

    def patch_event(self, calendar_id: str, event_id: str, patch: dict[str, Any]) -> dict[str, Any]:
        """Change an event as its owner would in Google Calendar (bumps ``updated``)."""
        with self.state.lock:
            cal = self._calendar(calendar_id)
            stored = events.change(self.state, cal, event_id, patch, replace=False)
            return events.resource(stored, cal)

    def delete_event(self, calendar_id: str, event_id: str) -> None:
        with self.state.lock:
            events.delete(self.state, self._calendar(calendar_id), event_id)

    def events(self, calendar_id: str) -> list[dict[str, Any]]:
        """Every stored event of a calendar, cancelled ones included (as Google returns them)."""
        with self.state.lock:
            cal = self._calendar(calendar_id)
            return [events.resource(s, cal) for s in cal.events.values()]

    def event(self, calendar_id: str, event_id: str) -> dict[str, Any] | None:
        with self.state.lock:
            cal = self._calendar(calendar_id)
            stored = cal.events.get(event_id)
            return events.resource(stored, cal) if stored else None

    def _calendar(self, calendar_id: str) -> Calendar:
        cal = self.state.calendars.get(calendar_id)
        if cal is None:
            raise not_found()
        return cal

    def register_client(
        self, client_id: str, client_secret: str, redirect_uris: list[str], name: str = ""
    ) -> OAuthClient:
        with self.state.lock:
            client = OAuthClient(client_id, client_secret, list(redirect_uris))
            client.name = name or client.name
            self.state.clients[client_id] = client
            return client

    def issue_tokens(
        self, user: str, client_id: str, scopes: list[str], offline: bool = True
    ) -> dict[str, Any]:
        """A token response as if ``user`` had consented (skips the browser round trip)."""
        with self.state.lock:
            client = self.state.clients[client_id]
            key = (user, client_id)
            self.state.grants[key] = list(dict.fromkeys(self.state.grants.get(key, []) + scopes))
            return issue_tokens(self.state, client, user, scopes, offline, force_refresh=offline)

    def expire_access_tokens(self, token: str | None = None) -> int:
        """Expire one access token, or all; returns how many. Refresh tokens stay valid."""
        with self.state.lock:
            past = self.state.now() - timedelta(seconds=1)
            chosen = [t for t in self.state.access_tokens.values() if token in (None, t.token)]
            for access in chosen:
                access.expires_at = past
            return len(chosen)

    def expire_sync_tokens(self, token: str | None = None) -> int:
        """Kill one sync token, or all: using it then answers 410 ``fullSyncRequired``."""
        with self.state.lock:
            chosen = [p for t, p in self.state.sync_points.items() if token in (None, t)]
            for point in chosen:
                point.dead = True
            return len(chosen)

    def revoke_refresh_tokens(self, user: str | None = None) -> int:
        """Revoke refresh tokens (as if the user removed access in their Google Account)."""
        from integrations.google.emulator.grants import revoke_grant

        with self.state.lock:
            chosen = [
                r.token
                for r in self.state.refresh_tokens.values()
                if user in (None, r.user) and not r.revoked
            ]
            return sum(revoke_grant(self.state, t) for t in chosen)

    def channels(self) -> list[Channel]:
        """The push channels open now (expired ones included until stopped or reset)."""
        with self.state.lock:
            return list(self.state.channels.values())

    def push_deliveries(self, wait: float = 0.0) -> list[Delivery]:
        """Every push notification tried so far, in order, with the receiver's answer;
        first waits up to ``wait`` seconds for the queued ones to be tried."""
        if wait:
            self.state.push.wait_idle(wait)
        return list(self.state.push.deliveries)

    def add_fault(self, kind: str, path: str = "*", method: str = "*", **options: Any) -> Fault:
        """Queue a fault (see :mod:`integrations.google.emulator.faults` for the kinds)."""
        return self.state.faults.add(Fault(kind=kind, path=path, method=method, **options))

    def fail(self, status: int, path: str = "*", method: str = "*", **options: Any) -> Fault:
        """Queue an ``error`` fault: the next matching request answers ``status``."""
        return self.add_fault("error", path, method, status=status, **options)

    def faults(self) -> list[Fault]:
        return self.state.faults.pending()

    def clear_faults(self) -> None:
        self.state.faults.clear()

    def log(self) -> list[LogEntry]:
        """Every non-admin request so far: method, path, query, status, fault."""
        return self.state.log.entries()

    def clear_log(self) -> None:
        self.state.log.clear()

    def advance(self, seconds: float) -> None:
        """Move the emulator's clock forward (tokens and codes age, ``updated`` moves on)."""
        with self.state.lock:
            self.state.offset += timedelta(seconds=seconds)

    def reset(self) -> None:
        """Forget all users, calendars, events, clients, tokens, faults and the log."""
        self.state.reset()

    def seed_demo(self, now: Any = None) -> dict[str, Any]:
        """Load :func:`~integrations.google.emulator.seed.seed_demo` into this state."""
        from integrations.google.emulator.seed import seed_demo

        return seed_demo(self.state, now or self.state.now())
