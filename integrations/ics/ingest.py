"""iCalendar bytes -> busy time over a horizon, bounded in size, occurrences and CPU time.

The pipeline: size check, decode, lean scan (:mod:`.scan`), read events (:mod:`.events`),
group by UID into series (:mod:`.series`), expand inside the horizon only, drop free time
(TRANSP:TRANSPARENT, STATUS:CANCELLED), convert to UTC, clip, merge.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo

from integrations.ics.decode import check_size, decode
from integrations.ics.events import BadEvent, EventReader, EventSpec
from integrations.ics.model import (
    BudgetExceeded,
    BusyBlock,
    IngestResult,
    Limits,
    Skipped,
    UnreadableCalendar,
)
from integrations.ics.reference import reference_busy
from integrations.ics.rules import Budget
from integrations.ics.scan import RawCalendar, scan
from integrations.ics.series import Series
from integrations.ics.values import Time
from integrations.ics.zones import ZoneResolver, iana_zone
from planner.core.intervals import Interval, merge

__all__ = [
    "BusyBlock",
    "IngestResult",
    "Limits",
    "Skipped",
    "UnreadableCalendar",
    "ingest",
    "reference_busy",
]


def ingest(
    data: bytes,
    *,
    start: datetime,
    end: datetime,
    zone: str | ZoneInfo,
    limits: Limits = Limits(),  # noqa: B008 - frozen, so sharing the default is safe
    with_titles: bool = False,
) -> IngestResult:
    """Busy time of the calendar ``data`` inside ``[start, end)``.

    ``zone`` is the owner's IANA zone; all-day and floating times are read in it. Raises
    :class:`UnreadableCalendar` when the input as a whole cannot be read; single bad events
    are skipped and listed in ``IngestResult.skipped``.
    """
    owner = _owner_zone(zone)
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("start and end must be timezone-aware")
    check_size(data, limits.max_bytes)
    calendars = scan(decode(data))
    run = _Run(start.astimezone(owner), end.astimezone(owner), owner, Budget(limits))
    for calendar in calendars:
        if not run.calendar(calendar):
            break
    return run.result(with_titles)


def _owner_zone(zone: str | ZoneInfo) -> ZoneInfo:
    if isinstance(zone, ZoneInfo):
        return zone
    found = iana_zone(zone)
    if found is None:
        raise ValueError(f"unknown time zone {zone!r}")
    return found


class _Run:
    """The state of one ingestion."""

    def __init__(self, low: datetime, high: datetime, owner: ZoneInfo, budget: Budget) -> None:
        self.low, self.high, self.owner, self.budget = low, high, owner, budget
        self.low_utc, self.high_utc = low.astimezone(UTC), high.astimezone(UTC)
        self.found: list[tuple[Interval, EventSpec]] = []
        self.skipped: list[Skipped] = []
        self.warnings: list[str] = []
        self.events = 0

    def calendar(self, calendar: RawCalendar) -> bool:
        """Expand one VCALENDAR; False when the budget ran out."""
        groups = self._groups(calendar)
        try:
            for specs in groups.values():
                self.budget.start_series()
                self.budget.check_time()
                self._series(specs)
        except BudgetExceeded as error:
            self.warnings.append(f"{error}; busy time may be incomplete")
            return False
        return True

    def _groups(self, calendar: RawCalendar) -> dict[object, list[EventSpec]]:
        zones = ZoneResolver(calendar.timezones, self.warnings)
        reader = EventReader(zones, self._x_wr(calendar.x_wr_timezone))
        groups: dict[object, list[EventSpec]] = defaultdict(list)
        for raw in calendar.events:
            self.events += 1
            try:
                spec = reader.read(raw)
            except BadEvent as error:
                self._skip(raw.first("UID"), str(error))
                continue
            except Exception as error:
                self._skip(raw.first("UID"), f"event cannot be read ({error})")
                continue
            groups[spec.uid if spec.uid is not None else object()].append(spec)
        return groups

    def _skip(self, uid: tuple[object, str] | None, reason: str) -> None:
        self.skipped.append(Skipped(uid[1].strip() if uid else None, reason))

    def _x_wr(self, name: str | None) -> tzinfo | None:
        if name is None:
            return None
        found = iana_zone(name)
        if found is None:
            self.warnings.append(f"X-WR-TIMEZONE {name!r} is not a known time zone; ignored")
        return found

    def _series(self, specs: list[EventSpec]) -> None:
        if len(specs) == 1 and not specs[0].has_rules and specs[0].recurrence_id is None:
            self._keep(specs[0].start, specs[0].end, specs[0])
            return
        try:
            for first, last, spec in Series(specs).occurrences(self.low, self.high, self.budget):
                self._keep(first, last, spec)
        except BadEvent as error:
            self.skipped.append(Skipped(specs[0].uid, str(error)))
        except BudgetExceeded as error:
            self.skipped.append(Skipped(specs[0].uid, str(error)))
            raise
        except Exception as error:
            self.skipped.append(Skipped(specs[0].uid, f"event cannot be expanded ({error})"))

    def _keep(self, first: Time, last: Time, spec: EventSpec) -> None:
        if spec.free:
            return
        begin, finish = self._utc(first), self._utc(last)
        if begin < self.high_utc and finish > self.low_utc and begin < finish:
            self.found.append((Interval(begin, finish), spec))

    def _utc(self, value: Time) -> datetime:
        if not isinstance(value, datetime):
            value = datetime(value.year, value.month, value.day, tzinfo=self.owner)
        elif value.tzinfo is None:
            value = value.replace(tzinfo=self.owner)
        return value.astimezone(UTC)

    def result(self, with_titles: bool) -> IngestResult:
        """The collected busy time, clipped to the horizon and merged."""
        clipped = [
            Interval(max(i.start, self.low_utc), min(i.end, self.high_utc)) for i, _ in self.found
        ]
        blocks = None
        if with_titles:
            pairs = zip(clipped, self.found, strict=True)
            blocks = [BusyBlock(i.start, i.end, spec.title) for i, (_, spec) in pairs]
            blocks.sort(key=lambda block: (block.start, block.end))
        return IngestResult(
            busy=merge(clipped),
            events=self.events,
            occurrences=len(self.found),
            skipped=self.skipped,
            warnings=self.warnings,
            blocks=blocks,
        )
