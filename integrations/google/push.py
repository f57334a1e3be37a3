"""Push notifications: open a channel on a calendar's events (``events.watch``), stop one
(``channels.stop``), and read a notification's headers.

Google's documentation (the push guide, ``events.watch`` and ``channels.stop`` references,
https://developers.google.com/workspace/calendar/api/guides/push):

- A watch request carries the channel ``id`` (unique, at most 64 characters), ``type``
  ``web_hook``, the receiving ``address`` (https with a valid certificate), an optional
  ``token`` (echoed in every notification as ``X-Goog-Channel-Token``) and
  ``params.ttl`` in seconds (604800, a week, when absent). The answer is a Channel:
  ``kind`` ``api#channel``, ``id``, ``resourceId``, ``resourceUri``, ``token`` and
  ``expiration`` (milliseconds since the epoch, as a string).
- Google posts an empty body with ``X-Goog-Channel-ID``, ``X-Goog-Channel-Token``,
  ``X-Goog-Channel-Expiration``, ``X-Goog-Resource-ID``, ``X-Goog-Resource-URI``,
  ``X-Goog-Resource-State`` (``sync`` once when the channel opens, then ``exists`` or
  ``not_exists``) and ``X-Goog-Message-Number``. A notification only says "something
  changed": the receiver syncs to learn what.
- Channels are not renewed: a new one is opened before the old one expires and the old
  one stopped with its ``id`` and ``resourceId``.

``events.watch`` needs an events scope (``calendar.events.readonly`` and kin, or
``calendar.events.freebusy``); ``calendar.freebusy`` alone, the privacy mode, cannot watch.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from googleapiclient.errors import HttpError

from integrations.google.client import DEFAULT_POLICY, RetryPolicy, execute
from integrations.google.config import SCOPE_PREFIX
from integrations.google.errors import http_status

DEFAULT_TTL = 604800
"""Google's default channel lifetime in seconds (a week)."""

WATCH_SCOPES = frozenset(
    SCOPE_PREFIX + name
    for name in (
        "calendar",
        "calendar.readonly",
        "calendar.events",
        "calendar.events.readonly",
        "calendar.events.owned",
        "calendar.events.owned.readonly",
        "calendar.events.freebusy",
    )
)
"""Scopes (of those this app may hold) that allow ``events.watch``, per the discovery document."""

SYNC, EXISTS, NOT_EXISTS = "sync", "exists", "not_exists"


@dataclass(frozen=True)
class WatchChannel:
    """An open channel: its id and token (ours), Google's resource id, and when it ends."""

    id: str
    token: str
    resource_id: str
    expiration: datetime


def can_watch(granted: Iterable[str]) -> bool:
    """True when the granted scopes allow ``events.watch``."""
    return bool(WATCH_SCOPES & set(granted))


def new_channel_id() -> str:
    """A fresh channel id (a UUID, as Google suggests)."""
    return str(uuid.uuid4())


def new_channel_token() -> str:
    """A fresh unguessable channel token (43 URL-safe characters)."""
    return secrets.token_urlsafe(32)


def open_channel(
    service: Any,
    calendar_id: str,
    address: str,
    *,
    ttl: int = DEFAULT_TTL,
    channel_id: str | None = None,
    token: str | None = None,
    policy: RetryPolicy = DEFAULT_POLICY,
) -> WatchChannel:
    """Watch the events of ``calendar_id``: notifications go to ``address``.

    A lost answer is not retried (the channel may exist already, and a second watch with
    the same id is refused); 429 and 5xx are, under ``policy``.
    """
    channel_id = channel_id or new_channel_id()
    token = token or new_channel_token()
    body = {
        "id": channel_id,
        "type": "web_hook",
        "address": address,
        "token": token,
        "params": {"ttl": str(ttl)},
    }
    request = service.events().watch(calendarId=calendar_id, body=body)
    answer = execute(request, replace(policy, retry_transport=False))
    expiration = datetime.fromtimestamp(int(answer["expiration"]) / 1000, UTC)
    return WatchChannel(str(answer["id"]), token, str(answer["resourceId"]), expiration)


def stop_channel(
    service: Any, channel_id: str, resource_id: str, *, policy: RetryPolicy = DEFAULT_POLICY
) -> bool:
    """Stop a channel; False when Google no longer knows it (expired or stopped before)."""
    request = service.channels().stop(body={"id": channel_id, "resourceId": resource_id})
    try:
        execute(request, policy)
    except HttpError as error:
        if http_status(error) == 404:
            return False
        raise
    return True


@dataclass(frozen=True)
class PushHeaders:
    """The parts of a notification the receiver checks (header names are case-blind)."""

    channel_id: str
    token: str
    resource_id: str
    state: str
    message_number: int | None

    @classmethod
    def of(cls, headers: Any) -> PushHeaders:
        """Read a notification's headers from any mapping (Flask's headers, a dict)."""
        low = {str(k).lower(): str(v) for k, v in headers.items()}
        number = low.get("x-goog-message-number", "")
        return cls(
            channel_id=low.get("x-goog-channel-id", ""),
            token=low.get("x-goog-channel-token", ""),
            resource_id=low.get("x-goog-resource-id", ""),
            state=low.get("x-goog-resource-state", ""),
            message_number=int(number) if number.isdigit() else None,
        )
