"""The Flask app factory: OAuth, Calendar v3 and admin blueprints plus fault hooks and log."""

from __future__ import annotations

import contextlib
import json
import socket
import time
from collections.abc import Iterator
from typing import Any

from flask import Flask, Response, g, request

from integrations.google.emulator.errors import ApiError, OAuthError
from integrations.google.emulator.faults import Fault, LogEntry
from integrations.google.emulator.state import EmulatorState

ADMIN_PREFIX = "/_emulator"


def create_emulator(state: EmulatorState | None = None) -> Flask:
    """A WSGI app emulating Google's OAuth 2.0 endpoints and the Calendar v3 API.

    ``state`` is shared with the caller (tests seed and inspect it in-process); a new,
    empty one is made when omitted. The app keeps it in ``app.extensions["google_emulator"]``.
    """
    from integrations.google.emulator.admin_api import admin
    from integrations.google.emulator.calendar_api import calendar
    from integrations.google.emulator.oauth import oauth

    app = Flask(__name__)
    app.extensions["google_emulator"] = state or EmulatorState()
    app.register_blueprint(oauth)
    app.register_blueprint(calendar, url_prefix="/calendar/v3")
    app.register_blueprint(admin, url_prefix=ADMIN_PREFIX)
    app.before_request(_inject_fault)
    app.after_request(_finish)
    app.register_error_handler(ApiError, lambda e: e.response())
    app.register_error_handler(OAuthError, lambda e: e.response())
    return app


def current_state() -> EmulatorState:
    """The state of the app handling the current request."""
    from flask import current_app

    state: EmulatorState = current_app.extensions["google_emulator"]
    return state


def _inject_fault() -> Response | None:
    """Apply the first queued fault matching this request (admin paths are exempt)."""
    if request.path.startswith(ADMIN_PREFIX):
        return None
    fault = current_state().faults.take(request.method, request.path, ("error", "delay", "drop"))
    fault = fault or current_state().faults.take(request.method, request.path, ("truncate",))
    g.fault = fault
    if fault is None:
        return None
    if fault.kind == "delay":
        time.sleep(fault.delay)
    if fault.kind == "error":
        domain, reason, message = fault.error_parts()
        return ApiError(fault.status, reason, message, domain).response()
    return None


def _finish(response: Response) -> Response:
    """Log the request; carry out a ``drop`` or ``truncate`` fault after the work is done."""
    if request.path.startswith(ADMIN_PREFIX):
        return response
    fault: Fault | None = g.get("fault")
    kind = fault.kind if fault is not None and fault.kind != "error" else None
    status = 0 if kind in ("drop", "truncate") else response.status_code
    state = current_state()
    entry = LogEntry(request.method, request.path, request.args.to_dict(flat=False), status)
    entry.fault = fault.kind if fault is not None else None
    entry.body = _json_body()
    state.log.append(entry)
    if kind == "drop":
        _close_socket()
    elif kind == "truncate":
        return _truncated(response)
    return response


def _json_body() -> Any:
    data = request.get_data(cache=True)
    if not data or request.mimetype != "application/json":
        return None
    try:
        return json.loads(data)
    except ValueError:
        return None


def _close_socket() -> None:
    """Shut the client's connection before a byte of the answer is written."""
    sock = request.environ.get("werkzeug.socket")
    if isinstance(sock, socket.socket):
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def _truncated(response: Response) -> Response:
    """Send the status line, headers and half the body, then close the connection."""
    body = response.get_data()
    sock = request.environ.get("werkzeug.socket")

    def chunks() -> Iterator[bytes]:
        yield body[: len(body) // 2]
        if isinstance(sock, socket.socket):
            sock.shutdown(socket.SHUT_RDWR)

    result = Response(chunks(), status=response.status_code, headers=dict(response.headers))
    result.headers["Content-Length"] = str(len(body) + 1)
    return result
