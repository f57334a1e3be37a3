"""How good a slot is: the score components and their weights.

Every component is a number in 0..1 and the score is their weighted sum, so it
is in 0..1 too. *Static* components depend only on the slot and the two
partners; they are computed once per candidate. *Dynamic* ones depend on the
proposals already chosen and are recomputed while choosing.

- ``fit``: how close the local start is to the ritual's ideal time, in both zones.
- ``comfort``: how much of the slot lies in comfortable local hours for BOTH partners.
- ``lightness``: how lightly booked the slot's local day is, for the busier partner.
- ``room``: clearance from the nearest busy block beyond the required buffer.
- ``spread`` (dynamic): distance from other proposals; same ritual wants days apart.
- ``variety`` (dynamic): how far it moves from last week's slot for the same ritual.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from planner.core.availability import busy_near
from planner.core.intervals import Interval, overlapping
from planner.core.model import WEEK, PartnerPlan, PlanSettings
from planner.core.rituals import Ritual
from planner.core.windows import local_instant

WEIGHTS: dict[str, float] = {
    "fit": 0.25,
    "comfort": 0.20,
    "lightness": 0.15,
    "room": 0.10,
    "spread": 0.20,
    "variety": 0.10,
}
_DAY_MINUTES = 24 * 60
_WEEK_MINUTES = 7 * _DAY_MINUTES
_FIT_SCALE = 240.0  # minutes from the ideal start at which fit reaches 0
_LATE_SCALE = 90.0  # minutes outside comfortable hours at which comfort reaches 0
_VARIETY_SCALE = 180.0  # minutes of shift from last week that earn full variety
_OTHER_GAP = timedelta(hours=12)  # distance from another ritual that earns full spread


@dataclass
class PartnerView:
    """A partner's busy blocks cut to the horizon, with fast neighbour and day-load look-ups."""

    name: str
    zone: ZoneInfo
    busy: list[Interval]
    starts: list[datetime] = field(init=False)
    ends: list[datetime] = field(init=False)
    _load: dict[date, timedelta] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        """Index the (normal-form) busy blocks by start and by end."""
        self.starts = [b.start for b in self.busy]
        self.ends = [b.end for b in self.busy]

    @classmethod
    def of(cls, plan: PartnerPlan, horizon: Interval) -> PartnerView:
        """The view of ``plan`` around ``horizon`` (two days of margin for local days)."""
        return cls(plan.name, plan.zone, busy_near(plan.busy, horizon, timedelta(days=2)))

    def previous_end(self, slot: Interval) -> datetime | None:
        """The end of the last busy block ending at or before the slot starts."""
        i = bisect_right(self.ends, slot.start)
        return self.ends[i - 1] if i else None

    def next_start(self, slot: Interval) -> datetime | None:
        """The start of the first busy block starting at or after the slot ends."""
        j = bisect_left(self.starts, slot.end)
        return self.starts[j] if j < len(self.starts) else None

    def load(self, day: date) -> timedelta:
        """Busy time on the partner's local ``day`` (cached)."""
        if day not in self._load:
            bounds = Interval(
                local_instant(day, time(0), self.zone),
                local_instant(day + timedelta(days=1), time(0), self.zone),
            )
            parts = overlapping(self.busy, bounds)
            self._load[day] = sum(
                (min(b.end, bounds.end) - max(b.start, bounds.start) for b in parts), timedelta()
            )
        return self._load[day]


def wall_minutes(moment: datetime) -> int:
    """Minutes since local midnight of an aware datetime."""
    return moment.hour * 60 + moment.minute


def minute_of_week(moment: datetime) -> int:
    """Minutes since local Monday 00:00 of an aware datetime."""
    return moment.weekday() * _DAY_MINUTES + wall_minutes(moment)


def comfort(start: int, length: int, settings: PlanSettings) -> float:
    """1 when ``[start, start+length)`` (local minutes) is all in comfortable hours."""
    lo, hi = wall_minutes_of(settings.comfortable_start), wall_minutes_of(settings.comfortable_end)
    return _comfort(start, length, lo, hi)


@lru_cache(maxsize=4096)
def _comfort(start: int, length: int, lo: int, hi: int) -> float:
    """:func:`comfort` on plain minutes (cached: slot grids repeat the same few values)."""
    if hi <= lo:
        hi += _DAY_MINUTES
    inside = sum(
        max(0, min(start + length, hi + shift) - max(start, lo + shift))
        for shift in (-_DAY_MINUTES, 0, _DAY_MINUTES)
    )
    return max(0.0, 1.0 - (length - inside) / _LATE_SCALE)


def wall_minutes_of(value: time) -> int:
    """Minutes since midnight of a wall-clock time."""
    return value.hour * 60 + value.minute


def circular_distance(x: int, y: int, period: int) -> int:
    """The shortest distance between ``x`` and ``y`` on a circle of ``period``."""
    d = abs(x - y) % period
    return min(d, period - d)


@lru_cache(maxsize=4096)
def fit(start: int, ideal: time | None) -> float:
    """1 at the ritual's ideal local start, falling to 0 four hours away (cached)."""
    if ideal is None:
        return 1.0
    distance = circular_distance(start, wall_minutes_of(ideal), _DAY_MINUTES)
    return max(0.0, 1.0 - distance / _FIT_SCALE)


def room(view: PartnerView, slot: Interval, settings: PlanSettings) -> float:
    """Clearance from the nearest busy block beyond the buffer, as a share of ``settings.room``."""
    before, after = view.previous_end(slot), view.next_start(slot)
    known = [slot.start - before] if before is not None else []
    known += [after - slot.end] if after is not None else []
    if not known or settings.room <= timedelta(0):
        return 1.0
    return max(0.0, min(1.0, (min(known) - settings.buffer) / settings.room))


def lightness(load: timedelta, settings: PlanSettings) -> float:
    """1 on a free day, 0 on a day with at least ``settings.heavy_day`` of busy time."""
    if settings.heavy_day <= timedelta(0):
        return 1.0
    return max(0.0, 1.0 - load / settings.heavy_day)


def static_score(
    slot: Interval, ritual: Ritual, a: PartnerView, b: PartnerView, settings: PlanSettings
) -> float:
    """The weighted static components for ``slot`` (at most the sum of their weights)."""
    length = int(ritual.duration.total_seconds() // 60)
    la, lb = slot.start.astimezone(a.zone), slot.start.astimezone(b.zone)
    ma, mb = wall_minutes(la), wall_minutes(lb)
    return (
        WEIGHTS["fit"] * (fit(ma, ritual.ideal) + fit(mb, ritual.ideal)) / 2
        + WEIGHTS["comfort"] * min(comfort(ma, length, settings), comfort(mb, length, settings))
        + WEIGHTS["lightness"] * lightness(max(a.load(la.date()), b.load(lb.date())), settings)
        + WEIGHTS["room"] * min(room(a, slot, settings), room(b, slot, settings))
    )


@dataclass(frozen=True)
class Placed:
    """A slot already chosen, as the dynamic components see it."""

    ritual: str
    slot: Interval
    week: int
    local_minute: int  # minute of week on the first partner's clock
    day: date  # local date on the first partner's clock
    bounds: tuple[float, float] = field(init=False)  # the slot in POSIX seconds, for speed

    def __post_init__(self) -> None:
        """Cache the slot's bounds as POSIX seconds."""
        object.__setattr__(self, "bounds", seconds(self.slot))


def seconds(slot: Interval) -> tuple[float, float]:
    """The slot's start and end as POSIX timestamps."""
    return slot.start.timestamp(), slot.end.timestamp()


def spread(bounds: tuple[float, float], ritual: Ritual, placed: Iterable[Placed]) -> float:
    """1 when far from every chosen slot; the same ritual wants ``7 days / 2·per_week`` apart."""
    same_gap = WEEK.total_seconds() / (2 * max(ritual.per_week, 1))
    other_gap = _OTHER_GAP.total_seconds()
    start, end = bounds
    worst = 1.0
    for other in placed:
        gap = max(other.bounds[0] - end, start - other.bounds[1], 0.0)
        worst = min(worst, gap / (same_gap if other.ritual == ritual.key else other_gap))
    return worst


def variety(local_minute: int, ritual: Ritual, week: int, placed: Iterable[Placed]) -> float:
    """1 unless last week's slot for this ritual was at (nearly) the same weekday and time."""
    best = 1.0
    for other in placed:
        if other.ritual == ritual.key and other.week == week - 1:
            shift = circular_distance(local_minute, other.local_minute, _WEEK_MINUTES)
            best = min(best, shift / _VARIETY_SCALE)
    return best


def dynamic_score(
    bounds: tuple[float, float], local_minute: int, ritual: Ritual, week: int, placed: list[Placed]
) -> float:
    """The weighted dynamic components for a slot (``bounds`` in POSIX seconds)."""
    return WEIGHTS["spread"] * spread(bounds, ritual, placed) + WEIGHTS["variety"] * variety(
        local_minute, ritual, week, placed
    )
