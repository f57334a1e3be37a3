"""The one place where errors become HTTP responses: JSON for the API, a page otherwise.

Service errors carry their status and a message for people; HTTP errors keep theirs;
anything else is logged with its traceback and answered with a plain 500 that reveals
nothing.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from integrations.ics import UnreadableCalendar
from planner.services.errors import ServiceError
from planner.store import NotFound as StoreNotFound
from planner.store import SlotTaken

log = logging.getLogger(__name__)

_PLAIN = {
    400: "The request could not be understood.",
    401: "Please sign in first.",
    403: "You may not do that.",
    404: "There is nothing here.",
    405: "That action is not allowed here.",
    409: "That clashes with something that changed in the meantime.",
    413: "That upload is too large.",
    422: "Some of what you sent is not valid.",
    429: "Too many attempts. Please wait a minute and try again.",
    500: "Something went wrong on our side. Please try again.",
}


def wants_json() -> bool:
    """API paths and clients that prefer JSON get JSON errors."""
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def error_response(status: int, message: str, field: str | None = None) -> tuple[Response, int]:
    """An error as JSON ``{"error": {"status", "message", "field"}}`` or as a page."""
    if wants_json():
        body: dict[str, object] = {"status": status, "message": message}
        if field:
            body["field"] = field
        return jsonify(error=body), status
    page = render_template("errors/error.html", status=status, message=message, field=field)
    return Response(page, mimetype="text/html"), status


def register_error_handlers(app: Flask) -> None:
    """Install the handlers on ``app``."""

    @app.errorhandler(ServiceError)
    def _service(error: ServiceError) -> tuple[Response, int]:
        return error_response(error.status, error.message, error.field)

    @app.errorhandler(UnreadableCalendar)
    def _calendar(error: UnreadableCalendar) -> tuple[Response, int]:
        return error_response(422, f"That calendar cannot be read: {error.reason}", "file")

    @app.errorhandler(SlotTaken)
    def _taken(_error: SlotTaken) -> tuple[Response, int]:
        return error_response(409, "That time was just taken by another connection.")

    @app.errorhandler(StoreNotFound)
    def _missing(_error: StoreNotFound) -> tuple[Response, int]:
        return error_response(404, _PLAIN[404])

    @app.errorhandler(CSRFError)
    def _csrf(_error: CSRFError) -> tuple[Response, int]:
        return error_response(
            400,
            "The form or request has no valid CSRF token. Reload the page and try again "
            "(API clients: send the X-CSRFToken header, or use an API token).",
        )

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> tuple[Response, int]:
        status = error.code or 500
        message = _PLAIN.get(status) or error.description or "Error"
        return error_response(status, message)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> tuple[Response, int]:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, _PLAIN[500])
