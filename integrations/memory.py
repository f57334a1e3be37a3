"""A calendar source held in memory: a real :class:`~integrations.sources.CalendarSource`
over a list of simple event records, for tests and demos.

It follows the rules every other kind follows: transparent and cancelled events are free;
all-day dates and naive (floating) times are read in the source's zone; a weekly series
repeats at the same wall-clock time (so 09:00 stays 09:00 across a DST change), minus its
``exdates``, with single instances replaced by records that name the series' ``uid`` and
the instance's original start in ``recurrence_id``. Blocks are clipped to the window.
``version`` counts changes and ``seen`` is the version of the last read, so a read without
a change in between reports ``unchanged``; :meth:`MemorySource.fail` makes reads fail.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from integrations.sources import Block, Reading, SourceFailed, sorted_blocks
from planner.core.intervals import Interval

Moment = datetime | date
MAX_WEEKLY = 5000
WEEK = timedelta(weeks=1)
FAILED = "The calendar cannot be read just now."


@dataclass(frozen=True)
class MemoryEvent:
    """One event, one instance of a series (``recurrence_id``), or a weekly series
    (``weekly`` occurrences, 1 for a single event)."""

    uid: str
    start: Moment
    end: Moment
    title: str | None = None
    transparent: bool = False
    cancelled: bool = False
    weekly: int = 1
    exdates: tuple[Moment, ...] = ()
    recurrence_id: Moment | None = None

    def __post_init__(self) -> None:
        if isinstance(self.start, datetime) != isinstance(self.end, datetime):
            raise ValueError(f"event {self.uid!r}: start and end must both be dates or times")
        if not 1 <= self.weekly <= MAX_WEEKLY:
            raise ValueError(f"event {self.uid!r}: weekly must be 1 to {MAX_WEEKLY}")


class MemorySource:
    """Events in memory (see the module docstring); ``zone`` is the owner's zone."""

    def __init__(self, events: Iterable[MemoryEvent] = (), zone: str | ZoneInfo = "UTC") -> None:
        self.zone = zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)
        self.events: list[MemoryEvent] = list(events)
        self.version = 0
        self.seen: int | None = None
        self.failure: str | None = None

    def put(self, event: MemoryEvent) -> None:
        """Add ``event``, replacing the record with the same uid and recurrence id."""
        key = (event.uid, event.recurrence_id)
        self.events = [e for e in self.events if (e.uid, e.recurrence_id) != key] + [event]
        self.version += 1

    def remove(self, uid: str) -> None:
        """Remove every record of ``uid`` (a series with its instances)."""
        self.events = [e for e in self.events if e.uid != uid]
        self.version += 1

    def fail(self, message: str = FAILED) -> None:
        """Make every read raise :class:`SourceFailed` with ``message`` until :meth:`heal`."""
        self.failure = message

    def heal(self) -> None:
        """Make reads work again."""
        self.failure = None

    def read(self, window: Interval) -> Reading:
        """The busy time over ``window`` (see :class:`integrations.sources.Reading`)."""
        if self.failure is not None:
            raise SourceFailed(self.failure)
        blocks = [self._clip(block, window) for block in self._busy() if _overlaps(block, window)]
        unchanged, self.seen = self.seen == self.version, self.version
        return Reading(window, sorted_blocks(blocks), unchanged=unchanged)

    def _busy(self) -> Iterator[Block]:
        """Every busy occurrence of every event, in UTC."""
        overrides = {(e.uid, self._utc(e.recurrence_id)): e for e in self.events if e.recurrence_id}
        for event in self.events:
            if event.recurrence_id is not None:
                yield from self._block(event)
                continue
            for start, end in self._occurrences(event):
                if (event.uid, start) not in overrides:
                    yield from self._block(event, start, end)

    def _occurrences(self, event: MemoryEvent) -> Iterator[tuple[datetime, datetime]]:
        """The UTC start and end of each instance of ``event`` not excluded by an exdate (a
        timed instance lasts exactly as long as the first, RFC 5545 §3.8.5.3)."""
        length = self._utc(event.end) - self._utc(event.start)
        excluded = {self._utc(moment) for moment in event.exdates}
        for week in range(event.weekly):
            start = self._utc(_shift(event.start, week))
            if start in excluded:
                continue
            all_day = not isinstance(event.end, datetime)  # days are nominal, times exact
            yield start, self._utc(_shift(event.end, week)) if all_day else start + length

    def _block(
        self, event: MemoryEvent, start: datetime | None = None, end: datetime | None = None
    ) -> Iterator[Block]:
        """The busy block of one occurrence, unless the event leaves its owner free."""
        if event.transparent or event.cancelled:
            return
        begin = start or self._utc(event.start)
        finish = end or self._utc(event.end)
        if begin < finish:
            yield Block(begin, finish, event.title)

    def _utc(self, moment: Moment) -> datetime:
        """A date (midnight), naive or aware time as aware UTC, read in the source's zone."""
        if not isinstance(moment, datetime):
            moment = datetime(moment.year, moment.month, moment.day)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=self.zone)
        return moment.astimezone(UTC)

    @staticmethod
    def _clip(block: Block, window: Interval) -> Block:
        """``block`` cut to ``window``."""
        return Block(max(block.start, window.start), min(block.end, window.end), block.title)


def _shift(moment: Moment, weeks: int) -> Moment:
    """``moment`` that many weeks later on the wall clock of its own zone."""
    return moment + weeks * WEEK


def _overlaps(block: Block, window: Interval) -> bool:
    """True when the block shares time with the window."""
    return block.start < window.end and window.start < block.end
