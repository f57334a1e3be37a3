"""events.list and freeBusy: windows, recurring expansion, ordering, paging, sync tokens.

Callers hold ``state.lock``. Page tokens and sync tokens are opaque keys into the state:
a page token remembers the first page's query, its offset and the change counter when
the listing began; the last page's ``nextSyncToken`` stands for that counter, so a change
made while paging is reported by the next incremental sync.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from integrations.google.emulator import events
from integrations.google.emulator.errors import ApiError, invalid
from integrations.google.emulator.faults import Fault
from integrations.google.emulator.state import (
    Calendar,
    EmulatorState,
    PageCursor,
    StoredEvent,
    SyncPoint,
    new_token,
)
from integrations.google.emulator.times import event_time, format_rfc3339, parse_rfc3339

DEFAULT_PAGE = 250
MAX_PAGE = 2500
UNBOUNDED_PAST = datetime(1970, 1, 1, tzinfo=UTC)
UNBOUNDED_YEARS = 2
"""Without ``timeMax`` a series is expanded up to this many years after now."""
NOT_WITH_SYNC = (
    "timeMin",
    "timeMax",
    "orderBy",
    "iCalUID",
    "q",
    "updatedMin",
    "privateExtendedProperty",
    "sharedExtendedProperty",
)

Key = tuple[datetime, str]
Row = tuple[Key, StoredEvent]
"""A listed event with its sort key; pages continue after the last key (keyset paging)."""


def _flag(params: dict[str, str], name: str) -> bool:
    return params.get(name, "false").lower() == "true"


def list_events(
    state: EmulatorState, calendar: Calendar, params: dict[str, str], short: Fault | None
) -> dict[str, Any]:
    """The ``calendar#events`` answer for one page."""
    if "pageToken" in params:
        cursor = state.cursors.get(params["pageToken"])
        if cursor is None:
            raise invalid("Invalid page token value.")
        query, after, seq = cursor.params, cursor.after, cursor.seq
    else:
        query, after, seq = dict(params), None, state.seq
    _check(query)
    size = min(int(query.get("maxResults", DEFAULT_PAGE)), MAX_PAGE)
    if short is not None:
        size = min(size, short.page_size)
    rows = [r for r in _rows(state, calendar, query, seq) if after is None or r[0] > after]
    page = rows[:size]
    body = _envelope(calendar, [events.resource(s, calendar) for _, s in page])
    if size < len(rows):
        token = new_token("p")
        state.cursors[token] = PageCursor(query, page[-1][0] if page else after, seq)
        body["nextPageToken"] = token
    else:
        token = new_token("s")
        single = _flag(query, "singleEvents")
        state.sync_points[token] = SyncPoint(calendar.id, seq, single)
        body["nextSyncToken"] = token
    return body


def _check(query: dict[str, str]) -> None:
    """Google's 400s for parameter combinations it refuses."""
    try:
        size = int(query.get("maxResults", DEFAULT_PAGE))
    except ValueError:
        raise invalid("Invalid value for maxResults.") from None
    if size < 1:
        raise invalid("Invalid value for maxResults.")
    order = query.get("orderBy")
    if order not in (None, "startTime", "updated"):
        raise invalid(f"Invalid value for orderBy: {order}")
    if order == "startTime" and not _flag(query, "singleEvents"):
        message = "The requested ordering is not available for the particular query."
        raise ApiError(400, "badRequest", message)
    if "syncToken" in query:
        restricted = any(name in query for name in NOT_WITH_SYNC)
        if restricted or query.get("showDeleted", "").lower() == "false":
            message = "Sync token cannot be used with other request restrictions."
            raise ApiError(400, "syncTokenWithRequestRestrictions", message)


def _window(query: dict[str, str], now: datetime) -> tuple[datetime, datetime]:
    start = parse_rfc3339(query["timeMin"], "timeMin") if "timeMin" in query else UNBOUNDED_PAST
    default_end = now + timedelta(days=366 * UNBOUNDED_YEARS)
    end = parse_rfc3339(query["timeMax"], "timeMax") if "timeMax" in query else default_end
    if end <= start and "timeMax" in query and "timeMin" in query:
        raise ApiError(400, "timeRangeEmpty", "The specified time range is empty.")
    return start, end


def _rows(state: EmulatorState, calendar: Calendar, query: dict[str, str], seq: int) -> list[Row]:
    """Every event of the listing (all pages), ordered."""
    if "syncToken" in query:
        rows = _changed(state, calendar, query["syncToken"], seq)
    else:
        start, end = _window(query, state.now())
        single = _flag(query, "singleEvents")
        rows = _matching(calendar, start, end, single, _flag(query, "showDeleted"))
    if query.get("orderBy") == "updated":
        rows = [((s.updated, s.id), s) for _, s in rows]
    return sorted(rows, key=lambda r: r[0])


def _changed(state: EmulatorState, calendar: Calendar, token: str, seq: int) -> list[Row]:
    point = state.sync_points.get(token)
    if point is None or point.dead or point.calendar_id != calendar.id:
        message = "Sync token is no longer valid, a full sync is required."
        raise ApiError(410, "fullSyncRequired", message)
    changed = {k: s for k, s in calendar.events.items() if point.seq < s.seq <= seq}
    start, end = UNBOUNDED_PAST, state.now() + timedelta(days=366 * UNBOUNDED_YEARS)
    if not point.single_events:
        return [(_start(s, calendar), s) for s in changed.values()]
    rows = []
    for stored in changed.values():
        if stored.body.get("recurrence") and stored.status != "cancelled":
            rows += _expanded(stored, calendar, start, end, include_cancelled=True)
        else:
            rows.append((_start(stored, calendar), stored))
    return rows


def _matching(
    calendar: Calendar, start: datetime, end: datetime, single: bool, deleted: bool
) -> list[Row]:
    rows: list[Row] = []
    for stored in calendar.events.values():
        cancelled = stored.status == "cancelled"
        is_exception = "recurringEventId" in stored.body
        if stored.body.get("recurrence"):
            if cancelled and not deleted:
                continue
            if single and not cancelled:
                rows += _expanded(stored, calendar, start, end, include_cancelled=deleted)
            elif _any_instance(stored, calendar, start, end):
                rows.append((_start(stored, calendar), stored))
        elif single and is_exception:
            continue  # emitted by the expansion of its series
        elif cancelled and not deleted and not is_exception:
            continue  # cancelled exceptions stay when singleEvents=false (Google does so)
        elif _overlaps(stored, calendar, start, end):
            rows.append((_start(stored, calendar), stored))
    return rows


def _expanded(
    master: StoredEvent,
    calendar: Calendar,
    start: datetime,
    end: datetime,
    include_cancelled: bool,
) -> list[Row]:
    """The series' instances in the window, exceptions replacing their originals."""
    exceptions = {
        s.id: s for s in calendar.events.values() if s.body.get("recurringEventId") == master.id
    }
    rows = []
    for body in events.instances(master, calendar, start, end):
        stored = exceptions.pop(body["id"], None) or StoredEvent(
            body["id"], body, master.created, master.updated, master.seq, master.sequence
        )
        if stored.status != "cancelled" or include_cancelled:
            rows.append((_start(stored, calendar), stored))
    for stored in exceptions.values():  # moved into the window from elsewhere
        keep = stored.status != "cancelled" or include_cancelled
        if keep and _overlaps(stored, calendar, start, end):
            rows.append((_start(stored, calendar), stored))
    return rows


def _any_instance(master: StoredEvent, calendar: Calendar, start: datetime, end: datetime) -> bool:
    return bool(events.instances(master, calendar, start, end)[:1])


def _start(stored: StoredEvent, calendar: Calendar) -> Key:
    value = stored.body.get("start") or stored.body.get("originalStartTime")
    return (event_time(value, calendar.time_zone) if value else UNBOUNDED_PAST), stored.id


def _overlaps(stored: StoredEvent, calendar: Calendar, start: datetime, end: datetime) -> bool:
    """Google's window rule: the event's end > timeMin and its start < timeMax."""
    if "start" not in stored.body:
        return True
    begin = event_time(stored.body["start"], calendar.time_zone)
    finish = event_time(stored.body["end"], calendar.time_zone)
    return finish > start and begin < end


def _envelope(calendar: Calendar, items: list[dict[str, Any]]) -> dict[str, Any]:
    updated = max((i.get("updated", "") for i in items), default="") or format_rfc3339(
        datetime.now(UTC)
    )
    return {
        "kind": "calendar#events",
        "etag": f'"p{len(items):04d}{abs(hash(updated)) % 10**12:012d}"',
        "summary": calendar.summary,
        "description": calendar.description,
        "updated": updated,
        "timeZone": calendar.time_zone,
        "accessRole": calendar.access_role,
        "defaultReminders": [],
        "items": items,
    }


def busy_intervals(calendar: Calendar, start: datetime, end: datetime) -> list[dict[str, str]]:
    """freeBusy's merged busy intervals: opaque, not cancelled, instances expanded."""
    spans = []
    for (begin, _), stored in _matching(calendar, start, end, True, False):
        if stored.status == "cancelled" or stored.body.get("transparency") == "transparent":
            continue
        finish = event_time(stored.body["end"], calendar.time_zone)
        spans.append((max(begin, start), min(finish, end)))
    merged: list[list[datetime]] = []
    for begin, finish in sorted(spans):
        if merged and begin <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], finish)
        elif finish > begin:
            merged.append([begin, finish])
    return [{"start": format_rfc3339(b, False), "end": format_rfc3339(f, False)} for b, f in merged]
