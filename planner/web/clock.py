""" "Now" for the web layer: the real clock, or the one a test put in ``app.extensions``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from flask import current_app

KEY = "planner.clock"


def now() -> datetime:
    """The current instant (aware, UTC); tests set ``app.extensions["planner.clock"]``."""
    clock: Callable[[], datetime] | None = current_app.extensions.get(KEY)
    return clock() if clock is not None else datetime.now(UTC)
