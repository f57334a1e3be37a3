"""RRULE -> bounded occurrence starts, with dateutil, as recurring-ical-events builds them.

Guards: INTERVAL=0 is refused; for rules without COUNT whose period is fixed (SECONDLY to
WEEKLY) the rule's start jumps forward by whole periods to just before the window, so a
FREQ=SECONDLY rule from 1900 costs nothing; UNTIL is clamped to the window end; a rule
whose filters never match (BYYEARDAY=366;BYMONTH=1) stops walking at the window's year
instead of year 9999 (see :class:`_HorizonIterInfo`); every start ticks the budget.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import dateutil.rrule
from dateutil.rrule import rrule, rrulestr

from integrations.ics.events import BadEvent, comparable
from integrations.ics.model import BudgetExceeded, Limits
from integrations.ics.values import Time, parse_time

_NEGATIVE_COUNT = re.compile(r"COUNT=-\d+;?")
_PERIODS = {
    "SECONDLY": timedelta(seconds=1),
    "MINUTELY": timedelta(minutes=1),
    "HOURLY": timedelta(hours=1),
    "DAILY": timedelta(days=1),
    "WEEKLY": timedelta(weeks=1),
}
_MARGIN = timedelta(days=2)
_SLACK = timedelta(hours=1)


class _PastHorizon(Exception):
    """dateutil walked past the last year a rule may yield in."""


class _HorizonIterInfo(dateutil.rrule._iterinfo):
    """dateutil's per-rule calendar cache, which it rebuilds for every month it walks.

    dateutil checks UNTIL only when a candidate matches, so a rule whose filters never
    match walks month by month to year 9999 (seconds of CPU, uninterruptible). A rule we
    tag with ``_stop_year`` stops here instead; untagged rules behave exactly as before.
    (No ``__slots__`` here: dateutil initialises the fields it lists in ``self.__slots__``.)
    """

    def rebuild(self, year: int, month: int) -> None:
        stop = getattr(self.rrule, "_stop_year", None)
        if stop is not None and year > stop:
            raise _PastHorizon
        super().rebuild(year, month)


dateutil.rrule._iterinfo = _HorizonIterInfo  # type: ignore[misc]


class Budget:
    """Counts occurrences and CPU time of one ingestion; raises when either runs out."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.clock = limits.clock
        self.deadline = self.clock() + limits.cpu_seconds
        self.series_deadline = self.deadline
        self.generated = 0

    def start_series(self) -> None:
        """Give the next series its own share of CPU time (within the whole budget)."""
        share = self.clock() + self.limits.series_cpu_seconds
        self.series_deadline = min(self.deadline, share)

    def tick(self) -> None:
        """Count one generated occurrence start."""
        self.generated += 1
        if self.generated > self.limits.max_occurrences:
            raise BudgetExceeded(
                f"stopped after {self.limits.max_occurrences} occurrences (the limit)"
            )
        if not self.generated & 255:
            self.check_time()

    def check_time(self) -> None:
        """Raise BudgetExceeded when the whole budget is spent, BadEvent when the series' is."""
        now = self.clock()
        if now > self.deadline:
            raise BudgetExceeded(f"stopped after {self.limits.cpu_seconds:g} s of CPU time")
        if now > self.series_deadline:
            seconds = self.limits.series_cpu_seconds
            raise BadEvent(
                f"recurrence takes more than {seconds:g} s of CPU time to expand; "
                "only the occurrences found until then count as busy"
            )


@dataclass
class Rule:
    """One RRULE anchored at a start, plus the UNTIL value recurring-ical-events filters by."""

    text: str
    until: Time | None
    parts: dict[str, str]


def read_rule(text: str, start: datetime, all_dates: bool) -> Rule:
    """Check ``text`` and find its UNTIL as recurring-ical-events does; raises BadEvent."""
    text = _NEGATIVE_COUNT.sub("", _normalised(text))
    parts = dict(item.partition("=")[::2] for item in text.split(";") if item)
    if parts.get("INTERVAL", "1").strip() in {"0", "00", "+0", "-0"}:
        raise BadEvent("recurrence rule has INTERVAL=0")
    try:
        _build(text, start)
    except ValueError:
        text = _rewrite_until(text, start, all_dates)
        try:
            _build(text, start)
        except (ValueError, TypeError) as error:
            raise BadEvent(f"recurrence rule {text!r} cannot be read ({error})") from None
    except (TypeError, KeyError, IndexError, OverflowError) as error:
        raise BadEvent(f"recurrence rule {text!r} cannot be read ({error})") from None
    parts = dict(item.partition("=")[::2] for item in text.split(";") if item)
    try:
        until = parse_time(parts["UNTIL"], None) if "UNTIL" in parts else None
    except ValueError as error:
        raise BadEvent(f"recurrence rule has an unreadable UNTIL ({error})") from None
    return Rule(text, until, parts)


def _normalised(text: str) -> str:
    """Upper case, only NAME=VALUE parts, no X- parts (icalendar drops the first kind)."""
    items = text.upper().replace(" ", "").split(";")
    kept = [i.rpartition(":")[2] if ":" in i.partition("=")[0] else i for i in items]
    return ";".join(i for i in kept if "=" in i and not i.startswith("X-"))


def _build(text: str, start: datetime) -> rrule:
    rule = rrulestr(text, dtstart=start)
    if not isinstance(rule, rrule):
        raise ValueError("not a single rule")
    return rule


def _rewrite_until(text: str, start: datetime, all_dates: bool) -> str:
    """recurring-ical-events' repair of UNTIL values of the wrong kind."""
    head, sep, tail = text.partition(";UNTIL=")
    if not sep:
        raise BadEvent(f"recurrence rule {text!r} cannot be read")
    until, semi, rest = tail.partition(";")
    if all_dates:
        until = until[:8]
    elif start.tzinfo is None:
        until = until[:-1]
    else:
        until = until + "T000000" if len(until) == 8 else until
        if len(until) != 15:
            raise BadEvent(f"recurrence rule has a bad UNTIL {until!r}")
        until += "Z"
    return head + semi + rest + ";UNTIL=" + until


def starts(
    rule: Rule, start: datetime, low: datetime, high: datetime, budget: Budget
) -> Iterator[datetime]:
    """The rule's starts in ``[low, high]`` (both in the rule start's frame)."""
    if _never(rule.parts):
        return
    if start.tzinfo is not None and low.tzinfo is not None:
        # Same tzinfo object on both sides: comparisons skip utcoffset() (slow for VTIMEZONEs).
        # One hour of slack covers wall-clock ambiguity; extra starts are clipped later.
        low = low.astimezone(start.tzinfo) - _SLACK
        high = high.astimezone(start.tzinfo) + _SLACK
    jumped = _jumped(rule, start, low)
    if jumped is None:
        return
    for moment in _walk(_clamped(_build(jumped[1], jumped[0]), high), low, budget):
        if moment > high:
            break
        if rule.until is not None:
            left, right = comparable(moment, rule.until)
            if left > right:
                continue
        yield moment


def _clamped(built: rrule, high: datetime) -> rrule:
    """The rule with UNTIL no later than ``high``, tagged to stop walking after ``high``'s year."""
    until = getattr(built, "_until", None)
    if until is None or until > high:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            built = built.replace(until=high)
    built._stop_year = high.year + 1  # type: ignore[attr-defined]
    return built


def _walk(built: rrule, low: datetime, budget: Budget) -> Iterator[datetime]:
    """The rule's starts from ``low`` on; CPU time is checked while walking up to ``low``."""
    try:
        for walked, moment in enumerate(built):
            if moment >= low:
                budget.tick()
                yield moment
            elif not walked & 1023:
                budget.check_time()
    except _PastHorizon:
        return


_MONTH_DAYS = {2: 29, 4: 30, 6: 30, 9: 30, 11: 30}


def _never(parts: dict[str, str]) -> bool:
    """Whether BYMONTHDAY fits none of the BYMONTH months (dateutil would walk to year 9999)."""
    if "BYMONTHDAY" not in parts:
        return False
    try:
        days = [abs(int(d)) for d in parts["BYMONTHDAY"].split(",") if d]
        months = [int(m) for m in parts.get("BYMONTH", "").split(",") if m] or list(range(1, 13))
    except ValueError:
        return False
    return not any(day <= _MONTH_DAYS.get(month, 31) for day in days for month in months)


def _jumped(rule: Rule, start: datetime, low: datetime) -> tuple[datetime, str] | None:
    """(anchor, rule text) with the anchor moved forward by whole periods to just before
    ``low`` where that is exact; a COUNT shrinks by the periods skipped when every period
    holds exactly one start (no BY parts). ``None`` when COUNT runs out before ``low``."""
    period = _PERIODS.get(rule.parts.get("FREQ", "").strip())
    if period is None:
        return start, rule.text
    try:
        period *= int(rule.parts.get("INTERVAL", "1"))
        count = int(rule.parts["COUNT"]) if "COUNT" in rule.parts else None
    except ValueError:
        return start, rule.text
    simple = not any(key.startswith("BY") for key in rule.parts)
    wall = low.astimezone(start.tzinfo) if start.tzinfo and low.tzinfo else low
    gap = wall.replace(tzinfo=None) - start.replace(tzinfo=None) - _MARGIN
    if period <= timedelta(0) or gap <= period or (count is not None and not simple):
        return start, rule.text
    skipped = gap // period
    if count is None:
        return start + period * skipped, rule.text
    if skipped >= count:
        return None
    parts = {**rule.parts, "COUNT": str(count - skipped)}
    return start + period * skipped, ";".join(f"{k}={v}" for k, v in parts.items())
