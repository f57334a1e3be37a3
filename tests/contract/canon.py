"""The canonical calendar every kind of source is tested with, expressed once.

Seven events in Europe/Berlin around the end of summer time (Sunday 25 October 2026, 03:00
CEST -> 02:00 CET): a timed event, a transparent one, a cancelled one, a weekly series with
an EXDATE and one instance moved (RECURRENCE-ID), an all-day opaque event, a night that
crosses the DST change, and a trip that starts before the window. :func:`expected_busy`
works out the busy time from these definitions with nothing but datetime arithmetic, and
``test_contract`` checks it once against the figures written out by hand in :data:`BUSY`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from planner.core.intervals import Interval, clip

ZONE = "Europe/Berlin"
BERLIN = ZoneInfo(ZONE)
Moment = datetime | date


def at(text: str) -> datetime:
    """A wall-clock time in Berlin."""
    return datetime.fromisoformat(text).replace(tzinfo=BERLIN)


def utc(text: str) -> datetime:
    """A UTC time."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@dataclass(frozen=True)
class Move:
    """One instance of a series moved: its original start, new start and end, new title."""

    original: datetime
    start: datetime
    end: datetime
    title: str


@dataclass(frozen=True)
class Event:
    """One canonical event (Berlin wall-clock times, or dates for all-day events)."""

    uid: str
    title: str
    start: Moment
    end: Moment
    transparent: bool = False
    cancelled: bool = False
    weekly: int = 1  # occurrences of a weekly series
    exdates: tuple[datetime, ...] = ()
    moved: tuple[Move, ...] = ()

    @property
    def all_day(self) -> bool:
        return not isinstance(self.start, datetime)


WINDOW = Interval(utc("2026-10-19T00:00"), utc("2026-11-04T00:00"))
EMPTY = Interval(utc("2027-03-01T00:00"), utc("2027-03-08T00:00"))

STANDUP_MOVED = Move(at("2026-10-26T09:00"), at("2026-10-27T15:00"), at("2026-10-27T15:30"),
                     "Stand-up (moved)")  # fmt: skip
EVENTS: tuple[Event, ...] = (
    Event("trip", "Trip", at("2026-10-18T18:00"), at("2026-10-19T06:00")),
    Event("dentist", "Dentist", at("2026-10-20T10:00"), at("2026-10-20T11:00")),
    Event("focus", "Focus time", at("2026-10-20T14:00"), at("2026-10-20T16:00"), transparent=True),
    Event("lunch", "Lunch", at("2026-10-21T12:00"), at("2026-10-21T13:00"), cancelled=True),
    Event("conference", "Conference", date(2026, 10, 22), date(2026, 10, 23)),
    Event("train", "Night train", at("2026-10-24T22:00"), at("2026-10-25T06:00")),
    Event("standup", "Stand-up", at("2026-10-12T09:00"), at("2026-10-12T09:30"), weekly=5,
          exdates=(at("2026-10-19T09:00"),), moved=(STANDUP_MOVED,)),
)  # fmt: skip

BUSY = [  # the busy time of EVENTS over WINDOW, worked out by hand (UTC)
    Interval(utc("2026-10-19T00:00"), utc("2026-10-19T04:00")),  # trip, clipped
    Interval(utc("2026-10-20T08:00"), utc("2026-10-20T09:00")),  # dentist, CEST
    Interval(utc("2026-10-21T22:00"), utc("2026-10-22T22:00")),  # conference, a Berlin day
    Interval(utc("2026-10-24T20:00"), utc("2026-10-25T05:00")),  # night train, 9 hours
    Interval(utc("2026-10-27T14:00"), utc("2026-10-27T14:30")),  # the moved stand-up, CET
    Interval(utc("2026-11-02T08:00"), utc("2026-11-02T08:30")),  # stand-up, 09:00 CET
]
FREE = {  # time that must stay free, and why
    "transparent": Interval(utc("2026-10-20T12:00"), utc("2026-10-20T14:00")),
    "cancelled": Interval(utc("2026-10-21T10:00"), utc("2026-10-21T11:00")),
    "exdate": Interval(utc("2026-10-19T07:00"), utc("2026-10-19T07:30")),
    "moved away": Interval(utc("2026-10-26T08:00"), utc("2026-10-26T08:30")),
}
MOVED_TO = Interval(utc("2026-10-27T14:00"), utc("2026-10-27T14:30"))
TITLES = {"Trip", "Dentist", "Conference", "Night train", "Stand-up", "Stand-up (moved)"}

ADDED = Event("added", "Added meeting", at("2026-10-29T17:00"), at("2026-10-29T18:00"))
REMOVED = "dentist"


def to_utc(moment: Moment) -> datetime:
    """A Berlin time or date (midnight in Berlin) in UTC."""
    if not isinstance(moment, datetime):
        moment = datetime(moment.year, moment.month, moment.day, tzinfo=BERLIN)
    return moment.astimezone(UTC)


def occurrences(event: Event) -> Iterator[tuple[Moment, Moment]]:
    """Start and end of each occurrence of ``event`` on the Berlin wall clock."""
    moved = {m.original: m for m in event.moved}
    for week in range(event.weekly):
        start, end = event.start + timedelta(weeks=week), event.end + timedelta(weeks=week)
        if start in event.exdates:
            continue
        move = moved.get(start) if isinstance(start, datetime) else None
        yield (move.start, move.end) if move else (start, end)


def expected_busy(events: Iterable[Event], window: Interval) -> list[Interval]:
    """The busy time of ``events`` inside ``window``, in normal form."""
    spans = [
        Interval(to_utc(start), to_utc(end))
        for event in events
        if not (event.transparent or event.cancelled)
        for start, end in occurrences(event)
    ]
    return clip(spans, window)


def changed(events: Iterable[Event]) -> tuple[Event, ...]:
    """``events`` with :data:`ADDED` added and :data:`REMOVED` removed."""
    return (*[e for e in events if e.uid != REMOVED], ADDED)
