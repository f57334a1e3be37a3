"""Calendar v3 endpoints, at the paths google-api-python-client calls below ``/calendar/v3``.

Every handler checks the Bearer token and the method's scopes, then works under the lock.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from integrations.google.emulator import events, listing, watch
from integrations.google.emulator.errors import ApiError, invalid, json_response, not_found
from integrations.google.emulator.grants import bearer
from integrations.google.emulator.state import Calendar, EmulatorState
from integrations.google.emulator.times import format_rfc3339, parse_rfc3339

calendar = Blueprint("emulator_calendar", __name__)

MAX_FREEBUSY_CALENDARS = 50
WRITE_ROLES = ("owner", "writer")
COLORS = {"owner": "#9fe1e7", "writer": "#f83a22", "reader": "#16a765"}


def _state() -> EmulatorState:
    from integrations.google.emulator.app import current_state

    return current_state()


def _user(state: EmulatorState, method: str) -> str:
    return bearer(state, request.headers.get("Authorization"), method).user


def _calendar(state: EmulatorState, user: str, calendar_id: str, write: bool = False) -> Calendar:
    found = state.resolve_calendar(user, calendar_id)
    if found is None:
        raise not_found()
    if write and found.access_role not in WRITE_ROLES:
        message = "You need to have writer access to this calendar."
        raise ApiError(403, "requiredAccessLevel", message)
    return found


def _body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError(400, "parseError", "Parse Error")
    return data


@calendar.get("/users/me/calendarList")
def calendar_list() -> Response:
    state = _state()
    with state.lock:
        user = _user(state, "calendarList.list")
        items = [_list_entry(c) for c in state.calendars_of(user)]
    size, first = _page_request(request.args.to_dict(), len(items))
    body: dict[str, Any] = {"kind": "calendar#calendarList", "etag": f'"{state.seq}"'}
    body["items"] = items[first : first + size]
    if first + size < len(items):
        body["nextPageToken"] = f"clp{first + size}"
    else:
        body["nextSyncToken"] = f"cl{state.seq}"
    return json_response(body)


def _page_request(params: dict[str, str], total: int) -> tuple[int, int]:
    """(page size, first index) of a calendarList request: maxResults defaults to 100 and is
    capped at 250; a pageToken is ``clp<index>`` from an earlier page."""
    text = params.get("maxResults", "100")
    if not text.isdigit() or int(text) < 1:
        raise invalid("Invalid value for maxResults")
    token = params.get("pageToken", "clp0")
    if not token.startswith("clp") or not token[3:].isdigit() or int(token[3:]) > total:
        raise invalid("Invalid page token value.")
    return min(int(text), 250), int(token[3:])


def _list_entry(cal: Calendar) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "kind": "calendar#calendarListEntry",
        "etag": f'"{abs(hash(cal.id)) % 10**12}"',
        "id": cal.id,
        "summary": cal.summary,
        "timeZone": cal.time_zone,
        "colorId": "14",
        "backgroundColor": COLORS.get(cal.access_role, "#9fe1e7"),
        "foregroundColor": "#000000",
        "selected": True,
        "accessRole": cal.access_role,
        "defaultReminders": [],
    }
    if cal.description:
        entry["description"] = cal.description
    if cal.primary:
        entry["primary"] = True
    return entry


@calendar.get("/calendars/<calendar_id>/events")
def list_events(calendar_id: str) -> Response:
    state = _state()
    with state.lock:
        user = _user(state, "events.list")
        cal = _calendar(state, user, calendar_id)
        short = state.faults.take("GET", request.path, ("short_page",))
        params = {k: v for k, v in request.args.items() if k not in ("alt", "prettyPrint")}
        body = listing.list_events(state, cal, params, short)
    return json_response(body)


@calendar.post("/calendars/<calendar_id>/events")
def insert_event(calendar_id: str) -> Response:
    state = _state()
    with state.lock:
        user = _user(state, "events.write")
        cal = _calendar(state, user, calendar_id, write=True)
        stored = events.insert(state, cal, _body())
        return json_response(events.resource(stored, cal))


@calendar.get("/calendars/<calendar_id>/events/<event_id>")
def get_event(calendar_id: str, event_id: str) -> Response:
    state = _state()
    with state.lock:
        user = _user(state, "events.get")
        cal = _calendar(state, user, calendar_id)
        stored = cal.events.get(event_id) or events.find(state, cal, event_id)
        return json_response(events.resource(stored, cal))


@calendar.route("/calendars/<calendar_id>/events/<event_id>", methods=["PATCH", "PUT"])
def change_event(calendar_id: str, event_id: str) -> Response:
    state = _state()
    with state.lock:
        user = _user(state, "events.write")
        cal = _calendar(state, user, calendar_id, write=True)
        replace = request.method == "PUT"
        stored = events.change(state, cal, event_id, _body(), replace=replace)
        return json_response(events.resource(stored, cal))


@calendar.delete("/calendars/<calendar_id>/events/<event_id>")
def delete_event(calendar_id: str, event_id: str) -> Response:
    state = _state()
    with state.lock:
        user = _user(state, "events.write")
        cal = _calendar(state, user, calendar_id, write=True)
        events.delete(state, cal, event_id)
    return Response(status=204)


@calendar.post("/calendars/<calendar_id>/events/watch")
def watch_events(calendar_id: str) -> Response:
    """events.watch: a push channel on the calendar's events (see ``watch``)."""
    state = _state()
    with state.lock:
        access = bearer(state, request.headers.get("Authorization"), "events.watch")
        cal = _calendar(state, access.user, calendar_id)
        uri = watch.resource_uri(request.url_root + "calendar/v3/", calendar_id)
        channel = watch.open_channel(state, cal, access, _body(), uri)
        return json_response(watch.resource(channel))


@calendar.post("/channels/stop")
def stop_channel() -> Response:
    """channels.stop: no more notifications over that channel; 204 with no body."""
    state = _state()
    with state.lock:
        access = bearer(state, request.headers.get("Authorization"), "channels.stop")
        watch.stop_channel(state, access, _body())
    return Response(status=204)


@calendar.post("/freeBusy")
def free_busy() -> Response:
    """freebusy.query: per-calendar errors are reported inside a 200 answer."""
    state = _state()
    with state.lock:
        user = _user(state, "freebusy.query")
        body = _body()
        start, end = _freebusy_window(body)
        items = body.get("items") or []
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise invalid("Invalid items.")
        if len(items) > MAX_FREEBUSY_CALENDARS:
            raise ApiError(400, "tooManyCalendarsRequested", "Too many calendars requested.")
        calendars = {
            str(i.get("id")): _busy(state, user, str(i.get("id")), start, end) for i in items
        }
    answer: dict[str, Any] = {"kind": "calendar#freeBusy", "timeMin": format_rfc3339(start)}
    answer.update({"timeMax": format_rfc3339(end), "calendars": calendars})
    return json_response(answer)


def _freebusy_window(body: dict[str, Any]) -> tuple[Any, Any]:
    for name in ("timeMin", "timeMax"):
        if not body.get(name):
            raise ApiError(400, "required", f"Missing {name} parameter.")
    start = parse_rfc3339(str(body["timeMin"]), "timeMin")
    end = parse_rfc3339(str(body["timeMax"]), "timeMax")
    if end <= start:
        raise ApiError(400, "timeRangeEmpty", "The specified time range is empty.")
    expansion = body.get("calendarExpansionMax")
    if expansion is not None and not 1 <= int(expansion) <= MAX_FREEBUSY_CALENDARS:
        raise invalid("Invalid calendarExpansionMax value.")
    return start, end


def _busy(state: EmulatorState, user: str, calendar_id: str, start: Any, end: Any) -> Any:
    cal = state.resolve_calendar(user, calendar_id)
    if cal is None:
        return {"errors": [{"domain": "global", "reason": "notFound"}], "busy": []}
    return {"busy": listing.busy_intervals(cal, start, end)}
