"""Writing a connection into a CalDAV calendar, and taking it out again (RFC 4791 §5.3.2).

One connection is one calendar object at a URL derived from its UID, so writing it again
changes the same object. The first write is ``PUT`` with ``If-None-Match: *``; later ones
use ``If-Match`` with the ETag we were given, so an event the owner deleted by hand is not
brought back: a 412 is followed by a GET, and a 404 there means "deleted by the owner"
(reported, not rewritten). When the event is still there but was edited, ours wins (it
carries a higher SEQUENCE): the PUT is repeated with the new ETag, and unconditionally if
that races too. A cancelled connection is deleted; 404 means it is gone already.

The event carries no ORGANIZER and no ATTENDEE, so a server that schedules (RFC 6638) never
sends invitations on our behalf; no METHOD either (stored objects must not have one).
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, replace
from datetime import datetime

from integrations.caldav.client import Client, unexpected
from integrations.ics.invites import Invite, event_calendar
from integrations.ics.transport import Response

CONTENT_TYPE = "text/calendar; charset=utf-8"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


class WriteOutcome(enum.Enum):
    """What a write did."""

    WRITTEN = "written"
    DELETED_BY_USER = "deleted_by_user"  # the owner removed it; we did not put it back


@dataclass(frozen=True)
class Written:
    """The outcome of a write and the ETag to send next time (None when the server gave
    none, or nothing was written)."""

    outcome: WriteOutcome
    etag: str | None


def event_url(calendar_url: str, uid: str) -> str:
    """The URL of the object holding the event with ``uid`` in the calendar."""
    name = _UNSAFE.sub("-", uid)[:200] or "event"
    return f"{calendar_url.rstrip('/')}/{name}.ics"


def event_body(invite: Invite, stamp: datetime) -> bytes:
    """The event as a stored calendar object (see the module docstring)."""
    return event_calendar(replace(invite, organizer=None, attendees=()), stamp=stamp)


def write_event(
    client: Client, url: str, invite: Invite, *, stamp: datetime, etag: str | None, known: bool
) -> Written:
    """Create (``known`` False) or update the event at ``url``; :class:`FetchFailed` when
    the server refuses."""
    body = event_body(invite, stamp)
    condition = {"If-Match": etag or "*"} if known else {"If-None-Match": "*"}
    response = _put(client, url, body, condition)
    if _ok(response):
        return Written(WriteOutcome.WRITTEN, response.header("ETag"))
    if response.status != 412:
        raise unexpected(response)
    return _overwrite(client, url, body, known=known)


def _overwrite(client: Client, url: str, body: bytes, *, known: bool) -> Written:
    """After a 412: write over what is there now, unless the owner deleted our event."""
    current = client.request("GET", url, {"Accept": "text/calendar"})
    if current.status in (404, 410) and known:
        return Written(WriteOutcome.DELETED_BY_USER, None)
    if current.status not in (404, 410) and not _ok(current):
        raise unexpected(current)
    etag = current.header("ETag") if _ok(current) else None
    response = _put(client, url, body, {"If-Match": etag} if etag else {})
    if response.status == 412:
        response = _put(client, url, body, {})
    if not _ok(response):
        raise unexpected(response)
    return Written(WriteOutcome.WRITTEN, response.header("ETag"))


def delete_event(client: Client, url: str) -> bool:
    """Delete the event at ``url``: True when deleted, False when it was gone already."""
    response = client.request("DELETE", url)
    if response.status in (404, 410):
        return False
    if not _ok(response):
        raise unexpected(response)
    return True


def _put(client: Client, url: str, body: bytes, condition: dict[str, str]) -> Response:
    return client.request("PUT", url, {"Content-Type": CONTENT_TYPE, **condition}, body)


def _ok(response: Response) -> bool:
    return 200 <= response.status < 300
