"""The admin HTTP API under ``/_emulator`` (for the CLI-served emulator and other processes).

``POST /users``, ``/calendars``, ``/events``, ``/clients``, ``/tokens``: seed and issue;
``POST /expire`` ``{"what": "access_tokens"|"sync_tokens"|"refresh_tokens"}``;
``GET|POST|DELETE /faults``; ``GET|DELETE /log``; ``POST /reset``; ``POST /seed/demo``;
``POST /advance`` ``{"seconds": N}``; ``GET /channels`` (push channels and the
notifications tried). Bodies and answers are JSON.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import Blueprint, Response, request

from integrations.google.emulator.admin import EmulatorAdmin
from integrations.google.emulator.errors import invalid, json_response
from integrations.google.emulator.faults import Fault

admin = Blueprint("emulator_admin", __name__)


def _admin() -> EmulatorAdmin:
    from integrations.google.emulator.app import current_state

    return EmulatorAdmin(current_state())


def _json() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise invalid("The admin API takes a JSON object.")
    return data


@admin.post("/users")
def add_user() -> Response:
    data = _json()
    user = _admin().add_user(data["email"], data.get("name", ""), data.get("timeZone", "UTC"))
    return json_response(asdict(user), 201)


@admin.post("/calendars")
def add_calendar() -> Response:
    data = _json()
    cal = _admin().add_calendar(
        data["owner"], data["id"], data.get("summary", data["id"]),
        data.get("accessRole", "reader"), data.get("timeZone"),
    )  # fmt: skip
    return json_response({"id": cal.id, "owner": cal.owner, "accessRole": cal.access_role}, 201)


@admin.post("/events")
def add_event() -> Response:
    data = _json()
    return json_response(_admin().add_event(data["calendarId"], data["event"]), 201)


@admin.get("/calendars/<calendar_id>/events")
def stored_events(calendar_id: str) -> Response:
    return json_response({"items": _admin().events(calendar_id)})


@admin.post("/clients")
def register_client() -> Response:
    data = _json()
    client = _admin().register_client(
        data["client_id"], data["client_secret"], data["redirect_uris"], data.get("name", "")
    )
    return json_response(asdict(client), 201)


@admin.post("/tokens")
def issue_tokens() -> Response:
    data = _json()
    body = _admin().issue_tokens(
        data["user"], data["client_id"], data["scopes"], bool(data.get("offline", True))
    )
    return json_response(body, 201)


@admin.post("/expire")
def expire() -> Response:
    data, helper = _json(), _admin()
    actions = {
        "access_tokens": helper.expire_access_tokens,
        "sync_tokens": helper.expire_sync_tokens,
    }
    what = data.get("what")
    if what == "refresh_tokens":
        return json_response({"expired": helper.revoke_refresh_tokens(data.get("user"))})
    if what not in actions:
        raise invalid("what: access_tokens, sync_tokens or refresh_tokens")
    return json_response({"expired": actions[what](data.get("token"))})


@admin.route("/faults", methods=["GET", "POST", "DELETE"])
def faults() -> Response:
    helper = _admin()
    if request.method == "POST":
        data = request.get_json(silent=True)
        items = data if isinstance(data, list) else [data]
        try:
            added = [helper.state.faults.add(Fault.from_json(item)) for item in items]
        except (TypeError, ValueError) as error:
            raise invalid(str(error)) from None
        return json_response({"faults": [f.to_json() for f in added]}, 201)
    if request.method == "DELETE":
        helper.clear_faults()
    return json_response({"faults": [f.to_json() for f in helper.faults()]})


@admin.route("/log", methods=["GET", "DELETE"])
def log() -> Response:
    helper = _admin()
    if request.method == "DELETE":
        helper.clear_log()
    return json_response({"requests": [e.to_json() for e in helper.log()]})


@admin.get("/channels")
def channels() -> Response:
    helper = _admin()
    found = [
        {"id": c.id, "calendarId": c.calendar_id, "address": c.address,
         "expiration": c.expiration.isoformat(), "messageNumber": c.message_number}
        for c in helper.channels()
    ]  # fmt: skip
    deliveries = [asdict(d) for d in helper.push_deliveries()]
    return json_response({"channels": found, "deliveries": deliveries})


@admin.post("/reset")
def reset() -> Response:
    _admin().reset()
    return json_response({})


@admin.post("/seed/demo")
def seed_demo() -> Response:
    return json_response(_admin().seed_demo(), 201)


@admin.post("/advance")
def advance() -> Response:
    _admin().advance(float(_json()["seconds"]))
    return json_response({})
