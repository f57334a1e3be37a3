"""Writing confirmed connections into the owner's Google calendar, idempotently.

Every connection gets one event whose id is derived from the connection's stable UID
(:func:`event_id_for`), so a write can always be repeated: an insert whose answer was
lost and is sent again gets 409 ``duplicate`` and is then compared and patched if needed.
Exactly one event per connection, whatever the network does.

The owner stays in charge of their calendar: when they deleted the event by hand (Google
keeps it as ``status: cancelled``), nothing here creates it again; the result says
:attr:`WriteOutcome.DELETED_BY_USER` and the service decides what to tell them.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from googleapiclient.errors import HttpError

from integrations.google.client import DEFAULT_POLICY, RetryPolicy, execute
from integrations.google.errors import http_status
from integrations.google.events import UID_PROPERTY
from integrations.ics.invites import Invite, clean_text

EVENT_ID_PREFIX = "cp"
GONE = frozenset({404, 410})


class WriteOutcome(StrEnum):
    """What a write-back did."""

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    DELETED_BY_USER = "deleted_by_user"


def event_id_for(connection_uid: str) -> str:
    """The Google event id of a connection: ``cp`` + base32hex (lower case) of the SHA-256
    of its UID; 54 characters of ``[a-v0-9]``, the same for the same UID forever."""
    digest = hashlib.sha256(connection_uid.encode("utf-8")).digest()
    return EVENT_ID_PREFIX + base64.b32hexencode(digest).decode("ascii").rstrip("=").lower()


def _when(value: datetime) -> dict[str, str]:
    return {"dateTime": value.astimezone(UTC).isoformat().replace("+00:00", "Z"), "timeZone": "UTC"}


def event_body(connection: Invite) -> dict[str, Any]:
    """The event resource for a connection (busy, private, tagged with its UID)."""
    return {
        "id": event_id_for(connection.uid),
        "summary": clean_text(connection.summary),
        "description": clean_text(connection.description),
        "start": _when(connection.start),
        "end": _when(connection.end),
        "sequence": connection.sequence,
        "transparency": "opaque",
        "visibility": "private",
        "extendedProperties": {"private": {UID_PROPERTY: connection.uid}},
    }


def _moment(value: Mapping[str, Any]) -> datetime | None:
    text = value.get("dateTime")
    return datetime.fromisoformat(str(text)).astimezone(UTC) if text else None


def differs(existing: Mapping[str, Any], connection: Invite) -> bool:
    """True when the stored event is behind the connection: an older SEQUENCE or other
    times. (A higher stored SEQUENCE alone is Google's own count of edits: no change.)"""
    if int(existing.get("sequence", 0)) < connection.sequence:
        return True
    start = _moment(existing.get("start") or {})
    end = _moment(existing.get("end") or {})
    return start != connection.start.astimezone(UTC) or end != connection.end.astimezone(UTC)


def _patch_times(
    service: Any, calendar_id: str, existing: Mapping[str, Any], connection: Invite, policy: Any
) -> None:
    body = {
        "start": _when(connection.start),
        "end": _when(connection.end),
        "sequence": max(int(existing.get("sequence", 0)), connection.sequence),
    }
    request = service.events().patch(
        calendarId=calendar_id, eventId=existing["id"], body=body, sendUpdates="none"
    )
    execute(request, policy)


def _reconcile(
    service: Any, calendar_id: str, connection: Invite, policy: RetryPolicy
) -> WriteOutcome | None:
    """Bring an existing event in line; None when there is no event with the id at all."""
    event_id = event_id_for(connection.uid)
    try:
        existing = execute(service.events().get(calendarId=calendar_id, eventId=event_id), policy)
    except HttpError as error:
        if http_status(error) in GONE:
            return None
        raise
    if existing.get("status") == "cancelled":
        return WriteOutcome.DELETED_BY_USER
    if not differs(existing, connection):
        return WriteOutcome.UNCHANGED
    _patch_times(service, calendar_id, existing, connection, policy)
    return WriteOutcome.UPDATED


def upsert_connection(
    service: Any, calendar_id: str, connection: Invite, *, policy: RetryPolicy = DEFAULT_POLICY
) -> WriteOutcome:
    """Make sure the connection's event exists with its current times, exactly once.

    Inserts with the deterministic id; a 409 means the event is already there (maybe from a
    write whose answer was lost), and it is patched when its SEQUENCE or times are behind.
    An event the owner deleted is left deleted (:attr:`WriteOutcome.DELETED_BY_USER`).
    """
    request = service.events().insert(
        calendarId=calendar_id, body=event_body(connection), sendUpdates="none"
    )
    try:
        execute(request, policy)
        return WriteOutcome.CREATED
    except HttpError as error:
        if http_status(error) != 409:
            raise
    outcome = _reconcile(service, calendar_id, connection, policy)
    if outcome is None:  # 409 then 404: the id is taken in a way we cannot see
        raise RuntimeError(f"event {event_id_for(connection.uid)} conflicts but cannot be read")
    return outcome


def move_connection(
    service: Any, calendar_id: str, connection: Invite, *, policy: RetryPolicy = DEFAULT_POLICY
) -> WriteOutcome:
    """Move the connection's event to its new times and SEQUENCE (same UID, same id).

    An event that was never written is created; one the owner deleted stays deleted.
    """
    outcome = _reconcile(service, calendar_id, connection, policy)
    if outcome is None:
        return upsert_connection(service, calendar_id, connection, policy=policy)
    return outcome


def cancel_connection(
    service: Any, calendar_id: str, connection_uid: str, *, policy: RetryPolicy = DEFAULT_POLICY
) -> bool:
    """Delete the connection's event. True when deleted now, False when it was already gone
    (404, or 410 for an event deleted before)."""
    request = service.events().delete(
        calendarId=calendar_id, eventId=event_id_for(connection_uid), sendUpdates="none"
    )
    try:
        execute(request, policy)
    except HttpError as error:
        if http_status(error) in GONE:
            return False
        raise
    return True
