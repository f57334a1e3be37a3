"""events.watch and channels.stop, and the notifications a change of events sends.

Callers hold ``state.lock``. What Google documents and the emulator checks (see
:mod:`integrations.google.emulator.push` for the sources and the deviations):

- ``id`` is required, at most 64 characters of ``A-Za-z0-9-_+/=``, and unique: a second
  watch with the same id answers 400 ``channelIdNotUnique``;
- ``type`` is ``web_hook`` (or ``webhook``), ``address`` is required and must be https
  (400 ``push.webhookUrlNotHttps``; the emulator also takes http on loopback);
- ``token`` is optional, at most 256 characters, and comes back in every notification;
- ``params.ttl`` is the lifetime in seconds, 604800 (a week) when absent; a requested
  ``expiration`` (ms) can shorten it. Google does not document a maximum for Calendar
  channels; the emulator caps lifetimes at :data:`MAX_TTL_SECONDS`.
- The answer is ``{"kind": "api#channel", "id", "resourceId", "resourceUri", "token",
  "expiration"}``; ``resourceId`` is the same for every channel on one calendar.
- channels.stop takes ``{"id", "resourceId"}`` and answers 204; a channel that does not
  exist, or was made by another OAuth client, is 404 ``notFound``.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta
from ipaddress import ip_address
from typing import Any
from urllib.parse import quote, urlsplit

from integrations.google.emulator.errors import ApiError, invalid
from integrations.google.emulator.push import Channel, notification
from integrations.google.emulator.state import AccessToken, Calendar, EmulatorState

DEFAULT_TTL_SECONDS = 604800
MAX_TTL_SECONDS = 30 * 24 * 3600
CHANNEL_ID = re.compile(r"[A-Za-z0-9\-_+/=]{1,64}")
MAX_TOKEN = 256
LOOPBACK_NAMES = ("localhost",)


def open_channel(
    state: EmulatorState,
    calendar: Calendar,
    access: AccessToken,
    body: dict[str, Any],
    resource_uri: str,
) -> Channel:
    """events.watch on ``calendar``: check ``body``, store the channel, queue ``sync``."""
    channel_id = _channel_id(state, body.get("id"))
    address = _address(body.get("address"))
    if body.get("type") not in ("web_hook", "webhook"):
        raise invalid(f"Unknown channel type: {body.get('type')}")
    token = body.get("token")
    if token is not None and (not isinstance(token, str) or len(token) > MAX_TOKEN):
        raise invalid("Invalid channel token.")
    channel = Channel(
        channel_id, token, address, calendar.id, resource_id(calendar), resource_uri,
        _expiration(state.now(), body), access.client_id, access.user,
    )  # fmt: skip
    state.channels[channel_id] = channel
    state.push.send(notification(channel, "sync"))
    return channel


def _channel_id(state: EmulatorState, value: Any) -> str:
    if not value:
        raise ApiError(400, "required", "Required: channel id")
    if not isinstance(value, str) or not CHANNEL_ID.fullmatch(value):
        raise invalid(f"Invalid channel id: {value}")
    if value in state.channels:
        raise ApiError(400, "channelIdNotUnique", f"Channel id not unique: {value}")
    return value


def _address(value: Any) -> str:
    """An https address, or http to a loopback host (the emulator's deviation)."""
    if not value or not isinstance(value, str):
        raise ApiError(400, "required", "Required: channel address")
    try:
        parts = urlsplit(value)
        host = parts.hostname or ""
    except ValueError:
        raise invalid(f"Invalid channel address: {value}") from None
    if parts.scheme == "https" and host:
        return value
    if parts.scheme == "http" and _loopback(host):
        return value
    raise ApiError(400, "push.webhookUrlNotHttps", f"WebHook callback must be HTTPS: {value}")


def _loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


def _expiration(now: datetime, body: dict[str, Any]) -> datetime:
    """When the channel ends: ``params.ttl`` (default a week, capped), or earlier when a
    shorter ``expiration`` (ms since the epoch) was asked for."""
    params = body.get("params") or {}
    ttl = params.get("ttl", str(DEFAULT_TTL_SECONDS)) if isinstance(params, dict) else None
    if not isinstance(ttl, (str, int)) or not str(ttl).isdigit() or int(ttl) < 1:
        raise invalid(f"Invalid value for ttl: {ttl}")
    end = now + timedelta(seconds=min(int(ttl), MAX_TTL_SECONDS))
    asked = body.get("expiration")
    if asked is not None:
        if not str(asked).isdigit():
            raise invalid(f"Invalid value for expiration: {asked}")
        end = min(end, datetime.fromtimestamp(int(asked) / 1000, now.tzinfo))
    if end <= now:
        raise invalid("Channel expiration must be in the future.")
    return end.replace(microsecond=end.microsecond // 1000 * 1000)  # Google counts in ms


def resource_id(calendar: Calendar) -> str:
    """An opaque id for the events of ``calendar``, the same for every channel on it."""
    return hashlib.sha256(f"events:{calendar.id}".encode()).hexdigest()[:27]


def resource_uri(api_root: str, calendar_id: str) -> str:
    """The version-specific address of the watched collection, as Google reports it."""
    return f"{api_root}calendars/{quote(calendar_id, safe='@')}/events?alt=json"


def resource(channel: Channel) -> dict[str, Any]:
    """The Channel resource events.watch answers with (``expiration`` in ms, a string)."""
    body: dict[str, Any] = {
        "kind": "api#channel",
        "id": channel.id,
        "resourceId": channel.resource_id,
        "resourceUri": channel.resource_uri,
    }
    if channel.token is not None:
        body["token"] = channel.token
    body["expiration"] = str(int(channel.expiration.timestamp() * 1000))
    return body


def stop_channel(state: EmulatorState, access: AccessToken, body: dict[str, Any]) -> None:
    """channels.stop: forget the channel; nothing is sent over it afterwards."""
    channel_id, resource = body.get("id"), body.get("resourceId")
    channel = state.channels.get(channel_id) if isinstance(channel_id, str) else None
    if channel is None or channel.resource_id != resource or channel.client_id != access.client_id:
        raise ApiError(404, "notFound", f"Channel '{channel_id}' not found for project.")
    del state.channels[channel.id]


def calendar_changed(state: EmulatorState, calendar: Calendar) -> int:
    """Queue an ``exists`` message on every live channel of ``calendar``; how many."""
    now = state.now()
    live = [
        c for c in state.channels.values() if c.calendar_id == calendar.id and c.expiration > now
    ]
    for channel in live:
        state.push.send(notification(channel, "exists"))
    return len(live)
