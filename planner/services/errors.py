"""The few exceptions services raise; the web layer maps them to HTTP in one place.

Each carries a message meant for the person using the app, and where it concerns one
input, the name of that field.
"""

from __future__ import annotations


class ServiceError(Exception):
    """Something the user asked for cannot be done; ``status`` is the HTTP equivalent."""

    status = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class Invalid(ServiceError):
    """An input is well-formed but not acceptable (a bad zone, a window spec, a file)."""

    status = 422


class NotFound(ServiceError):
    """The thing does not exist, or is not this user's to see."""

    status = 404


class Forbidden(ServiceError):
    """The user may not do this."""

    status = 403


class Conflict(ServiceError):
    """The request clashes with the current state (already paired, slot taken)."""

    status = 409


class Unauthorized(ServiceError):
    """No valid credentials came with the request."""

    status = 401


class TooLarge(ServiceError):
    """The request body is larger than this operation accepts."""

    status = 413


class UnsupportedType(ServiceError):
    """The request body is not of the media type this operation accepts."""

    status = 415


class Unavailable(ServiceError):
    """A provider we depend on (Google, a calendar server) could not answer just now."""

    status = 502
