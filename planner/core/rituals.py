"""The catalogue of rituals: the kinds of connection time the planner proposes.

A ritual has a duration, a cadence (``per_week``) and preferred local windows.
The windows are wall-clock times applied in *each* partner's own zone, so a
date night must fall in the evening for both of them. ``ideal`` is the local
start time the scorer leans towards, if the ritual has one. The descriptions
are our own short notes on how to make the most of that time.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from types import MappingProxyType
from zoneinfo import ZoneInfo

from planner.core.windows import WeeklyWindow, parse_windows


class UnknownRitual(ValueError):
    """No ritual has this key; ``valid`` lists the keys there are."""

    def __init__(self, key: str, valid: tuple[str, ...]) -> None:
        super().__init__(f"unknown ritual '{key}'; choose one of: {', '.join(valid)}")
        self.key = key
        self.valid = valid


@dataclass(frozen=True)
class Ritual:
    """A kind of connection time: how long, how often, and when it is best held."""

    key: str
    name: str
    duration: timedelta
    per_week: int
    windows: tuple[WeeklyWindow, ...]
    description: str
    long_distance: bool = False
    ideal: time | None = None

    def __post_init__(self) -> None:
        """Reject non-positive durations and negative cadences."""
        if self.duration <= timedelta(0):
            raise ValueError(f"ritual '{self.key}': duration must be positive, not {self.duration}")
        if self.per_week < 0:
            raise ValueError(f"ritual '{self.key}': per_week must be >= 0, not {self.per_week}")


_DATE_NIGHT = Ritual(
    key="date-night",
    name="Date night",
    duration=timedelta(hours=2, minutes=30),
    per_week=1,
    windows=parse_windows("Mon-Fri 17:30-23:30; Sat,Sun 11:00-23:30"),
    ideal=time(19, 0),
    description=(
        "An evening that belongs to the two of you. Put the phones in a drawer, pick "
        "something you both enjoy or try something new, and be curious about each other "
        "as if you were still getting to know one another."
    ),
)

_COFFEE = Ritual(
    key="coffee",
    name="Morning coffee",
    duration=timedelta(minutes=30),
    per_week=2,
    windows=parse_windows("Mon-Fri 06:30-10:00"),
    ideal=time(7, 30),
    description=(
        "Half an hour together before the day pulls you in different directions. Share "
        "what each of you is looking forward to or worried about today, and ask how you "
        "can help. A warm hand on a shoulder says more than a calendar invite."
    ),
)

_CHECK_IN = Ritual(
    key="check-in",
    name="Listening check-in",
    duration=timedelta(minutes=45),
    per_week=1,
    windows=parse_windows("Mon-Fri 17:00-21:30; Sat,Sun 09:00-21:30"),
    ideal=time(18, 30),
    description=(
        "Take turns: one talks about how the week really felt, the other just listens, "
        "then says back what they heard before offering any advice. Name feelings rather "
        "than faults, and end by asking what would make next week easier."
    ),
)

_AFFECTION = Ritual(
    key="affection",
    name="Affection evening",
    duration=timedelta(hours=1),
    per_week=1,
    windows=parse_windows("Mon-Sun 18:00-22:30"),
    ideal=time(20, 0),
    description=(
        "Slow down and be close: a long walk hand in hand, a cuddle on the sofa, a "
        "massage. No screens and no agenda; the point is touch, warmth and simply "
        "enjoying each other's company."
    ),
)

_VIDEO_CALL = Ritual(
    key="video-call",
    name="Video call",
    duration=timedelta(hours=1),
    per_week=2,
    windows=parse_windows(
        "Mon-Fri 07:00-09:30; Mon-Fri 12:00-14:00; Mon-Fri 17:00-23:00; Sat,Sun 08:00-23:00"
    ),
    long_distance=True,
    description=(
        "Distance is easier when you are properly present. Find a quiet spot, give each "
        "other your full attention, and share the small things as well as the big ones. "
        "Plan something to look forward to together, even if it is just the next call."
    ),
)

CATALOGUE: Mapping[str, Ritual] = MappingProxyType(
    {r.key: r for r in (_DATE_NIGHT, _COFFEE, _CHECK_IN, _AFFECTION, _VIDEO_CALL)}
)

DEFAULT_RITUALS: tuple[str, ...] = ("date-night", "coffee", "check-in")
"""What a couple living in one zone gets unless they choose otherwise."""

LONG_DISTANCE_RITUALS: tuple[str, ...] = ("date-night", "video-call", "check-in")
"""What a couple in different zones gets unless they choose otherwise (the date is a video date)."""


def lives_apart(zone_a: ZoneInfo, zone_b: ZoneInfo, at: datetime) -> bool:
    """True when the partners' clocks differ at ``at``: they are a long-distance couple."""
    return at.astimezone(zone_a).utcoffset() != at.astimezone(zone_b).utcoffset()


def ritual(key: str) -> Ritual:
    """The catalogue ritual called ``key``; :class:`UnknownRitual` lists the valid keys."""
    try:
        return CATALOGUE[key]
    except KeyError:
        raise UnknownRitual(key, tuple(sorted(CATALOGUE))) from None


def default_rituals(long_distance: bool) -> tuple[Ritual, ...]:
    """The default rituals for a couple, depending on whether they live apart."""
    keys = LONG_DISTANCE_RITUALS if long_distance else DEFAULT_RITUALS
    return tuple(CATALOGUE[k] for k in keys)


def with_overrides(
    r: Ritual, *, duration: timedelta | None = None, per_week: int | None = None
) -> Ritual:
    """A copy of ``r`` with the given duration and/or cadence replaced (validated)."""
    return dataclasses.replace(
        r,
        duration=r.duration if duration is None else duration,
        per_week=r.per_week if per_week is None else per_week,
    )
