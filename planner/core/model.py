"""The value types of planning: partners' plans, settings and proposals.

They live here so that scoring, reasons and the proposal search can share them
without importing each other; :mod:`planner.core.proposals` re-exports them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import time, timedelta
from zoneinfo import ZoneInfo

from planner.core.availability import check_non_negative
from planner.core.intervals import Interval
from planner.core.windows import WeeklyWindow

WEEK = timedelta(days=7)


@dataclass(frozen=True)
class PartnerPlan:
    """One partner as the planner sees them: zone, windows they like to meet in, busy blocks."""

    name: str
    zone: ZoneInfo
    windows: tuple[WeeklyWindow, ...]
    busy: Sequence[Interval]


@dataclass(frozen=True)
class PlanSettings:
    """Knobs of the planner; the defaults suit most couples.

    - ``buffer``: minimum gap kept between a proposal and any busy block (and between proposals).
    - ``notice``: nothing is proposed earlier than ``now + notice``.
    - ``step``: granularity of slot starts, on the first partner's local clock.
    - ``comfortable_start`` / ``comfortable_end``: local hours that are fine for anyone;
      time outside them (early mornings, late nights) is penalised in each partner's zone.
    - ``heavy_day``: busy time in one local day at which that day counts as fully booked.
    - ``room``: clearance beyond ``buffer`` from the nearest busy block that earns full marks.
    - ``max_per_day``: at most this many proposals on one local day (the first partner's
      clock); a ritual never gets two slots on the same day.
    """

    buffer: timedelta = timedelta(minutes=15)
    notice: timedelta = timedelta(hours=12)
    step: timedelta = timedelta(minutes=15)
    comfortable_start: time = time(7, 0)
    comfortable_end: time = time(22, 30)
    heavy_day: timedelta = timedelta(hours=8)
    room: timedelta = timedelta(hours=1)
    max_per_day: int = 2

    def __post_init__(self) -> None:
        """Reject negative durations and a non-positive step."""
        for name in ("buffer", "notice", "heavy_day", "room"):
            check_non_negative(name, getattr(self, name))
        if self.max_per_day < 1:
            raise ValueError(f"max_per_day must be at least 1, got {self.max_per_day}")
        if self.step <= timedelta(0):
            raise ValueError(f"step must be positive, got {self.step}")


@dataclass(frozen=True)
class Proposal:
    """A proposed slot for a ritual: ``score`` in 0..1 (higher is better), ``week`` 0-based."""

    ritual: str
    slot: Interval
    score: float
    reason: str
    week: int
