"""Errors in Google's two shapes: the Calendar API's and the OAuth token endpoint's."""

from __future__ import annotations

import json
from typing import Any

from flask import Response

STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    410: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}

WWW_AUTHENTICATE = 'Bearer realm="https://accounts.google.com/", error="invalid_token"'


class ApiError(Exception):
    """A Calendar API error, answered as ``{"error": {"errors": [...], "code", "message"}}``."""

    def __init__(
        self, status: int, reason: str, message: str, domain: str = "global", **extra: str
    ) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason
        self.message = message
        self.domain = domain
        self.extra = extra

    def body(self) -> dict[str, Any]:
        item: dict[str, Any] = {"domain": self.domain, "reason": self.reason}
        item["message"] = self.message
        item.update(self.extra)
        error: dict[str, Any] = {"errors": [item], "code": self.status, "message": self.message}
        if self.status in STATUS_NAMES:
            error["status"] = STATUS_NAMES[self.status]
        return {"error": error}

    def response(self) -> Response:
        response = json_response(self.body(), self.status)
        if self.status == 401:
            response.headers["WWW-Authenticate"] = WWW_AUTHENTICATE
        return response


def unauthorized() -> ApiError:
    """Google's 401 for a missing, unknown, expired or revoked access token."""
    return ApiError(
        401, "authError", "Invalid Credentials", locationType="header", location="Authorization"
    )


def insufficient_scope() -> ApiError:
    return ApiError(
        403, "insufficientPermissions", "Request had insufficient authentication scopes."
    )


def not_found() -> ApiError:
    return ApiError(404, "notFound", "Not Found")


def invalid(message: str, reason: str = "invalid") -> ApiError:
    return ApiError(400, reason, message)


class OAuthError(Exception):
    """A token endpoint error: ``{"error": ..., "error_description": ...}``."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status

    def response(self) -> Response:
        body = {"error": self.error, "error_description": self.description}
        return json_response(body, self.status)


def json_response(body: Any, status: int = 200) -> Response:
    """JSON the way Google sends it: UTF-8, ``application/json; charset=UTF-8``."""
    text = json.dumps(body, indent=2, ensure_ascii=False)
    return Response(text, status=status, content_type="application/json; charset=UTF-8")
