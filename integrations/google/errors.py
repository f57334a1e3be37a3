"""The few exceptions of the Google integration, each carrying the data a caller needs.

Everything else (an unexpected :class:`googleapiclient.errors.HttpError`, a network error)
propagates unchanged: the service layer treats it as "this sync failed, keep the old
busy time and mark the source stale".
"""

from __future__ import annotations

import json
from typing import Any

from googleapiclient.errors import HttpError


class GoogleIntegrationError(Exception):
    """Base class of the exceptions raised on purpose by this package."""


class ReconnectNeeded(GoogleIntegrationError):
    """The grant is gone (revoked, expired, password changed): the owner must connect again.

    ``reason`` is the OAuth error code, usually ``invalid_grant``.
    """

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"Google access was revoked or expired ({reason}); reconnect")
        self.reason = reason
        self.detail = detail


class FullSyncRequired(GoogleIntegrationError):
    """The sync token is no longer valid (HTTP 410 ``fullSyncRequired``): do a full sync."""

    def __init__(self, calendar_id: str) -> None:
        super().__init__(f"sync token of calendar {calendar_id!r} expired; full sync needed")
        self.calendar_id = calendar_id


class AuthorizationFailed(GoogleIntegrationError):
    """The OAuth callback cannot be accepted; ``reason`` says why in a word.

    Reasons: ``state_mismatch`` (the callback does not belong to this session),
    ``access_denied`` (the user said no), ``missing_code``, ``exchange_failed``.
    """

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(
            f"Google authorization failed: {reason}" + (f" ({detail})" if detail else "")
        )
        self.reason = reason
        self.detail = detail


def http_status(error: HttpError) -> int:
    """The HTTP status of an API error."""
    return int(error.resp.status)


def error_reasons(error: HttpError) -> list[str]:
    """The machine reasons of an API error (``rateLimitExceeded``, ``fullSyncRequired``...).

    Google puts them in ``error.errors[].reason``; newer endpoints in
    ``error.details[].reason`` or ``error.status``. All found are returned, in order.
    """
    try:
        data: Any = json.loads(error.content.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return []
    body = data.get("error") if isinstance(data, dict) else None
    if not isinstance(body, dict):
        return []
    reasons: list[str] = []
    for key in ("errors", "details"):
        items = body.get(key)
        if isinstance(items, list):
            reasons += [str(i["reason"]) for i in items if isinstance(i, dict) and "reason" in i]
    if isinstance(body.get("status"), str):
        reasons.append(body["status"])
    return reasons
