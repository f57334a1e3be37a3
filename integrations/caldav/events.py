"""Reading a calendar's events over a window: one calendar-query REPORT (RFC 4791 §7.8).

The server picks the events that overlap the window (a recurring event comes with its
master and every override) and, when asked, expands them itself (§9.6.5: one instance per
occurrence, no rules). We ask for that expansion unless told the server refused it before;
a refusal (an error status) is retried once without it. Either way the answer is iCalendar
that :func:`integrations.ics.ingest` turns into busy time, expanding whatever rules are
still in it, so transparency, status, all-day and floating times follow the same rules as
for an ICS URL. The window is widened by a day on each side because servers match floating
and all-day events in UTC or the calendar's zone; ingest clips to the owner's real window.

Events we wrote ourselves (UIDs ``…@connection-planner.invalid``) are left out: a confirmed
connection written back to a calendar must not read back as busy time over itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from integrations.caldav import xml
from integrations.caldav.client import Client
from integrations.ics.invites import UID_DOMAIN
from integrations.ics.transport import FetchFailed

PAD = timedelta(days=1)
_UID = re.compile(r"^UID(?:;[^:\r\n]*)?:(.*?)\s*$", re.MULTILINE | re.IGNORECASE)
_FOLD = re.compile(r"\r?\n[ \t]")


@dataclass(frozen=True)
class CalendarData:
    """The events of a window as iCalendar bytes (one VCALENDAR per stored object).

    ``objects`` counts the objects the server sent, ``own`` those left out as ours;
    ``expand_refused`` is True when the server answered the expanded query with an error.
    """

    data: bytes
    objects: int
    own: int
    expand_refused: bool


def read_window(
    client: Client,
    calendar_url: str,
    start: datetime,
    end: datetime,
    *,
    expand: bool = True,
    own_domain: str = UID_DOMAIN,
) -> CalendarData:
    """The events of the calendar overlapping ``[start, end)`` (padded, see the module
    docstring); :class:`FetchFailed` when the server cannot answer."""
    low, high = _stamp(start - PAD), _stamp(end + PAD)
    refused = False
    try:
        found = client.report(calendar_url, xml.calendar_query(low, high, expand=expand))
    except FetchFailed as error:
        if not expand or error.kind != "http_status" or error.status == 404:
            raise
        refused = True
        found = client.report(calendar_url, xml.calendar_query(low, high, expand=False))
    texts = [text for item in found if (text := _data(item))]
    mine = [text for text in texts if _is_own(text, own_domain)]
    kept = [text for text in texts if not _is_own(text, own_domain)]
    body = "\r\n".join(kept).encode("utf-8")
    return CalendarData(body, len(texts), len(mine), refused)


def _stamp(moment: datetime) -> str:
    """``20261101T000000Z``, the UTC form CalDAV time ranges take."""
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _data(item: xml.DavResponse) -> str:
    """The calendar data of one response, exactly as sent (empty when none)."""
    element = item.props.get(xml.CALENDAR_DATA)
    return "".join(element.itertext()).strip() if element is not None else ""


def uids(text: str) -> list[str]:
    """The UIDs in an iCalendar text (folded lines joined first)."""
    return [match.group(1) for match in _UID.finditer(_FOLD.sub("", text))]


def _is_own(text: str, domain: str) -> bool:
    """True when the object is one of ours (every UID in it ends in ``@domain``)."""
    found = uids(text)
    suffix = f"@{domain}".lower()
    return bool(found) and all(uid.lower().endswith(suffix) for uid in found)
