"""Responses shared by the pages and the API."""

from __future__ import annotations

from flask import Response


def calendar_download(body: bytes, filename: str) -> Response:
    """An .ics file as an attachment, never cached by anyone but the browser's download."""
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
