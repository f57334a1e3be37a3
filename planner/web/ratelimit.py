"""A small fixed-window rate limiter, one per app, counting in memory.

Each worker process counts on its own, so behind N workers a client gets at most N times
the limit; for sign-in throttling that is the intended order of magnitude. Limits are
written like ``"10 per minute"``.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

_UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
_SPEC = re.compile(r"^\s*(\d+)\s*(?:per|/)\s*(second|minute|hour|day)s?\s*$", re.IGNORECASE)


class BadLimit(ValueError):
    """A limit that is not of the form ``N per second|minute|hour|day``."""


def parse_limit(spec: str) -> tuple[int, int]:
    """``(count, window in seconds)`` of a limit such as ``"10 per minute"``."""
    found = _SPEC.match(spec)
    if not found or int(found.group(1)) < 1:
        raise BadLimit(f"rate limit {spec!r} should look like '10 per minute'")
    return int(found.group(1)), _UNITS[found.group(2).lower()]


@dataclass
class RateLimiter:
    """Counts hits per key in fixed windows; ``clock`` is injectable for tests."""

    count: int
    window: int
    clock: Callable[[], float] = time.monotonic
    _hits: dict[str, tuple[int, int]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def of(cls, spec: str) -> RateLimiter:
        """A limiter for a limit such as ``"10 per minute"``."""
        count, window = parse_limit(spec)
        return cls(count, window)

    def hit(self, key: str) -> float | None:
        """Count one hit; None when allowed, else seconds until the window resets."""
        now = self.clock()
        slot = int(now // self.window)
        with self._lock:
            if len(self._hits) > 100_000:
                self._hits = {k: v for k, v in self._hits.items() if v[0] == slot}
            seen_slot, hits = self._hits.get(key, (slot, 0))
            hits = hits + 1 if seen_slot == slot else 1
            self._hits[key] = (slot, hits)
        return None if hits <= self.count else (slot + 1) * self.window - now
