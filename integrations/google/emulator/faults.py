"""Fault injection and the request log.

A :class:`Fault` matches requests by HTTP method and a glob over the path (``fnmatch``
rules: ``*/events`` matches every events collection). Faults wait in a queue; the first
matching fault with uses left is consumed by a request. Kinds:

``error``       answer ``status`` with Google's error JSON (``reason``/``domain`` default
                per status: 401 authError, 403 rateLimitExceeded, 429 rateLimitExceeded,
                500 backendError, 503 backendError); the request has no effect.
``delay``       sleep ``delay`` seconds, then handle the request normally.
``drop``        handle the request (a write takes effect), then close the connection
                without answering. httplib2 (under google-api-python-client) silently
                resends a request whose connection closed before the status line, so
                queue ``times=2`` for the client to see the error (its resend of an
                insert meets 409 ``duplicate`` first, then the drop).
``truncate``    handle the request, send the status line, headers and half the body,
                then close: the client reads an incomplete response (no resend).
``short_page``  a list answers at most ``page_size`` items (0 allowed) but keeps a
                ``nextPageToken`` when more remain.
"""

from __future__ import annotations

import fnmatch
import threading
from dataclasses import asdict, dataclass, field
from typing import Any

KINDS = ("error", "delay", "drop", "truncate", "short_page")

DEFAULT_REASONS: dict[int, tuple[str, str, str]] = {
    400: ("global", "badRequest", "Bad Request"),
    401: ("global", "authError", "Invalid Credentials"),
    403: ("usageLimits", "rateLimitExceeded", "Rate Limit Exceeded"),
    404: ("global", "notFound", "Not Found"),
    409: ("global", "conflict", "Conflict"),
    410: ("global", "deleted", "Resource has been deleted"),
    429: ("usageLimits", "rateLimitExceeded", "Rate Limit Exceeded"),
    500: ("global", "backendError", "Backend Error"),
    503: ("global", "backendError", "Service Unavailable"),
}


@dataclass
class Fault:
    """One injected fault; see the module docstring for the kinds."""

    kind: str
    path: str = "*"
    method: str = "*"
    status: int = 500
    reason: str | None = None
    domain: str | None = None
    message: str | None = None
    delay: float = 0.0
    page_size: int = 0
    times: int = 1

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; one of {', '.join(KINDS)}")
        if self.times < 1:
            raise ValueError("times must be at least 1")
        self.method = self.method.upper()

    def matches(self, method: str, path: str) -> bool:
        return self.method in ("*", method.upper()) and fnmatch.fnmatchcase(path, self.path)

    def error_parts(self) -> tuple[str, str, str]:
        """The (domain, reason, message) of an ``error`` fault, defaults filled in."""
        domain, reason, message = DEFAULT_REASONS.get(self.status, ("global", "unknown", "Error"))
        return self.domain or domain, self.reason or reason, self.message or message

    @classmethod
    def from_json(cls, data: Any) -> Fault:
        if not isinstance(data, dict):
            raise ValueError("a fault is a JSON object")
        known = set(cls.__dataclass_fields__)
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fault fields: {', '.join(sorted(unknown))}")
        return cls(**data)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class FaultQueue:
    """Pending faults, consumed first-match-first by requests (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, method: str, path: str, kinds: tuple[str, ...] = KINDS) -> Fault | None:
        """Consume one use of the first fault of ``kinds`` matching the request."""
        with self._lock:
            for fault in self._faults:
                if fault.kind in kinds and fault.matches(method, path):
                    fault.times -= 1
                    if fault.times == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def pending(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()


@dataclass
class LogEntry:
    """One handled request. ``status`` is 0 when the response was dropped."""

    method: str
    path: str
    query: dict[str, list[str]]
    status: int
    fault: str | None = None
    body: Any = field(default=None, repr=False)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class RequestLog:
    """Every non-admin request, in arrival order (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[LogEntry] = []

    def append(self, entry: LogEntry) -> None:
        with self._lock:
            self._entries.append(entry)

    def entries(self) -> list[LogEntry]:
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
