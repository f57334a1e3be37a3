"""The core event of a series: its starts from RRULE, RDATE and DTSTART, minus EXDATE."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, tzinfo

from integrations.ics.events import BadEvent, EventSpec, comparable, to_datetime
from integrations.ics.rules import Budget, Rule, read_rule, starts
from integrations.ics.values import Time


def _ids(value: Time) -> tuple[datetime, ...]:
    if not isinstance(value, datetime):
        return (datetime(value.year, value.month, value.day),)
    if value.tzinfo is None:
        return (value,)
    return (value.astimezone(UTC).replace(tzinfo=None), value.replace(tzinfo=None))


class Recurrence:
    """RRULE + RDATE + DTSTART - EXDATE of one core event, all in one time frame."""

    def __init__(self, core: EventSpec) -> None:
        self.core = core
        self.check_datetimes: set[datetime] = set()
        self.check_dates: set[date] = set()
        self.replace_ends: dict[datetime, timedelta] = {}
        rdates: list[Time] = []
        for exdate in core.exdates:
            self.check_datetimes.update(_ids(exdate))
            if not isinstance(exdate, datetime):
                self.check_dates.add(exdate)
        for rdate in core.rdates:
            if isinstance(rdate, tuple):
                rdates.append(rdate[0])
                self._period(rdate[0], rdate[1])
            else:
                rdates.append(rdate)
        everything = [core.start, core.end, *core.exdates, *rdates]
        self.all_dates = not any(isinstance(v, datetime) for v in everything)
        self.zone: tzinfo | None = next(
            (v.tzinfo for v in everything if isinstance(v, datetime) and v.tzinfo), None
        )
        self.start = to_datetime(core.start, self.zone)
        self.rdates = sorted({to_datetime(v, self.zone) for v in rdates})
        self.rules = [read_rule(text, self.start, self.all_dates) for text in core.rrules]
        self._add_start()

    def _period(self, first: Time, second: Time | timedelta) -> None:
        try:
            length = second if isinstance(second, timedelta) else second - first
        except TypeError:
            raise BadEvent("RDATE period mixes dates and date-times") from None
        for key in _ids(first):
            self.replace_ends[key] = length

    def _add_start(self) -> None:
        untils = [rule.until for rule in self.rules if rule.until is not None]
        last = None
        for until in untils:
            if last is None or _greater(until, last):
                last = until
        if last is None or not _greater(self.start, last):
            self.rdates = sorted({*self.rdates, self.start})

    def original_kind(self, value: datetime) -> Time:
        """A start or end back as a date when the core's DTSTART and DTEND were dates."""
        if not isinstance(self.core.start, datetime) and not isinstance(self.core.end, datetime):
            return date(value.year, value.month, value.day)
        return value

    def excluded(self, start: datetime, ids: tuple[datetime, ...]) -> bool:
        """Whether an EXDATE removes this start."""
        if date(start.year, start.month, start.day) in self.check_dates:
            return True
        return any(key in self.check_datetimes for key in ids)

    def starts(self, low: datetime, high: datetime, budget: Budget) -> Iterator[datetime]:
        """Candidate starts in ``[low, high]``, RDATEs (and DTSTART) first, then each rule."""
        for rdate in self.rdates:
            if low <= rdate <= high:
                budget.tick()
                yield rdate
        for rule in self.rules:
            yield from _rule_starts(rule, self.start, low, high, budget)


def _rule_starts(
    rule: Rule, start: datetime, low: datetime, high: datetime, budget: Budget
) -> Iterator[datetime]:
    try:
        yield from starts(rule, start, low, high, budget)
    except BadEvent:
        raise
    except (ValueError, OverflowError) as error:
        raise BadEvent(f"recurrence rule {rule.text!r} cannot be expanded ({error})") from None


def _greater(left: Time, right: Time) -> bool:
    first, second = comparable(left, right)
    return first > second
