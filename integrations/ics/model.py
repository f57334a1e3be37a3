"""The value types of iCalendar ingestion: limits, results and the one exception. Busy blocks
and skipped events are the types of the source interface (:mod:`integrations.sources`)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from integrations.sources import Block as BusyBlock
from integrations.sources import Skipped
from planner.core.intervals import Interval

__all__ = ["BusyBlock", "Clock", "IngestResult", "Limits", "Skipped", "UnreadableCalendar"]

#: Seconds of CPU time spent so far, by some measure; only differences count.
Clock = Callable[[], float]

MEGABYTE = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Bounds on one ingestion: input size, occurrences per source and horizon, CPU time.

    ``cpu_seconds`` bounds the whole source: past it, reading stops and the result says its
    busy time may be incomplete. ``series_cpu_seconds`` bounds one recurring series: past it,
    that series alone is skipped with a reason and the rest of the calendar is still read.
    ``clock`` measures that time: by default the calling thread's own CPU time, so other
    threads of a server cannot spend a reading's budget; tests pass a fake one.
    """

    max_bytes: int = 25 * MEGABYTE
    max_occurrences: int = 100_000
    cpu_seconds: float = 5.0
    series_cpu_seconds: float = 1.0
    clock: Clock = time.thread_time


@dataclass
class IngestResult:
    """What one calendar contributes to busy time over a horizon.

    ``events`` counts the VEVENTs read, ``occurrences`` the busy occurrences that overlap the
    horizon (before merging), ``skipped`` the events left out and why, ``warnings`` anything
    else the owner should know (unknown time zones, a limit that cut expansion short).
    """

    busy: list[Interval]
    events: int = 0
    occurrences: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    blocks: list[BusyBlock] | None = None


class UnreadableCalendar(Exception):
    """The whole input cannot be read as iCalendar; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class BudgetExceeded(Exception):
    """Internal: the CPU-time budget of an ingestion ran out."""
