"""The partner's calendar list (``calendarList.list``), so they can choose which calendars count.

Needs the ``calendar.calendarlist.readonly`` scope. Pages are followed by hand and the list
is capped at :data:`MAX_CALENDARS` entries, so a strange account cannot make us loop.
Calendars marked ``deleted`` or ``hidden`` are left out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from integrations.google.client import DEFAULT_POLICY, RetryPolicy, execute

MAX_CALENDARS = 500
PAGE_SIZE = 250
WRITE_ROLES = frozenset({"owner", "writer"})


@dataclass(frozen=True)
class CalendarEntry:
    """One calendar of the partner's list: id, name, whether it is primary, access role."""

    id: str
    name: str
    primary: bool
    access_role: str
    time_zone: str | None = None

    @property
    def writable(self) -> bool:
        """True when events can be written to it (owner or writer)."""
        return self.access_role in WRITE_ROLES


def entry(item: Mapping[str, Any]) -> CalendarEntry:
    """A :class:`CalendarEntry` from one ``calendarListEntry``."""
    calendar_id = str(item["id"])
    name = item.get("summaryOverride") or item.get("summary") or calendar_id
    return CalendarEntry(
        id=calendar_id,
        name=" ".join(str(name).split())[:200] or calendar_id,
        primary=bool(item.get("primary")),
        access_role=str(item.get("accessRole", "reader")),
        time_zone=item.get("timeZone"),
    )


def list_calendars(service: Any, *, policy: RetryPolicy = DEFAULT_POLICY) -> list[CalendarEntry]:
    """The partner's calendars, the primary one first, then by name."""
    found: list[CalendarEntry] = []
    token: str | None = None
    while len(found) < MAX_CALENDARS:
        kwargs: dict[str, Any] = {"maxResults": PAGE_SIZE}
        if token:
            kwargs["pageToken"] = token
        page = execute(service.calendarList().list(**kwargs), policy)
        items = page.get("items") or []
        found.extend(entry(i) for i in items if not i.get("deleted") and not i.get("hidden"))
        token = page.get("nextPageToken")
        if not token or not items:
            break
    return sorted(found[:MAX_CALENDARS], key=lambda c: (not c.primary, c.name.casefold()))
