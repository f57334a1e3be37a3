"""One UID's events -> occurrences, with recurring-ical-events' series semantics.

A series is a core (the event without RECURRENCE-ID and the highest SEQUENCE) and its
modifications (RECURRENCE-ID, RFC 5545 §3.8.4.4, also RANGE=THISANDFUTURE). RDATE (§3.8.5.2,
also PERIOD values), EXDATE (§3.8.5.1) and RRULE (§3.8.5.3) add and remove starts.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from integrations.ics.events import BadEvent, EventSpec, comparable, to_datetime
from integrations.ics.recurrence import Recurrence
from integrations.ics.rules import Budget
from integrations.ics.values import Time

Occurrence = tuple[Time, Time, EventSpec]
_ZERO = timedelta(0)


def recurrence_ids(value: Time) -> tuple[datetime, ...]:
    """The naive keys a start is recognised by: its UTC time and its wall time."""
    if not isinstance(value, datetime):
        return (datetime(value.year, value.month, value.day),)
    if value.tzinfo is None:
        return (value,)
    return (value.astimezone(UTC).replace(tzinfo=None), value.replace(tzinfo=None))


def _later(old: EventSpec | None, new: EventSpec) -> EventSpec:
    return new if old is None or new.sequence > old.sequence else old


def _extension(spec: EventSpec) -> tuple[timedelta, timedelta]:
    before, after = spec.duration, _ZERO
    if spec.recurrence_id is not None:
        start, end, rid = comparable(spec.start, spec.end, spec.recurrence_id)
        if start < rid:
            after = rid - start  # type: ignore[operator]
        if start > rid:
            before = end - rid  # type: ignore[operator]
    return before, after


def _moved_by(spec: EventSpec) -> timedelta:
    if not spec.this_and_future or spec.recurrence_id is None:
        return _ZERO
    start, rid = comparable(spec.start, spec.recurrence_id)
    return start - rid  # type: ignore[operator]


class Series:
    """The events sharing one UID."""

    def __init__(self, specs: list[EventSpec]) -> None:
        self.by_id: dict[datetime, EventSpec] = {}
        self.future: list[datetime] = []
        core: EventSpec | None = None
        for spec in specs:
            if spec.recurrence_id is None:
                core = _later(core, spec)
                continue
            ids = recurrence_ids(spec.recurrence_id)
            for key in ids:
                self.by_id[key] = _later(self.by_id.get(key), spec)
            if spec.this_and_future:
                self.future.append(ids[0])
        self.future.sort()
        self.core = core
        self.modifications = list({id(m): m for m in self.by_id.values()}.values())

    def occurrences(self, low: datetime, high: datetime, budget: Budget) -> Iterator[Occurrence]:
        """Every occurrence that may overlap ``[low, high)`` (aware; more is harmless)."""
        if self.core is None:
            for mod in self.modifications:
                yield mod.start, mod.end, mod
            return
        recurrence = Recurrence(self.core)
        done: set[int] = set()
        seen: set[datetime] = set()
        for start in recurrence.starts(*self._window(recurrence, low, high), budget):
            ids = recurrence_ids(start)
            if start in seen or recurrence.excluded(start, ids):
                continue
            found = self._modification(ids)
            if found is None:
                seen.add(start)
                yield self._core_occurrence(recurrence, start, ids)
            elif id(found) not in done:
                done.add(id(found))
                yield found.start, found.end, found
        for mod in self.modifications:
            rid = mod.recurrence_id
            if id(mod) in done or rid is None:
                continue
            if recurrence.check_datetimes.intersection(recurrence_ids(rid)):
                continue
            if not self._superseded(recurrence, mod, budget):
                yield mod.start, mod.end, mod

    def _window(
        self, recurrence: Recurrence, low: datetime, high: datetime
    ) -> tuple[datetime, datetime]:
        before, after = _extension(recurrence.core)
        for key in self.future:
            more_before, more_after = _extension(self.by_id[key])
            before, after = max(before, more_before), max(after, more_after)
        zone = recurrence.zone
        return to_datetime(low - before, zone), to_datetime(high + after, zone)

    def _modification(self, ids: tuple[datetime, ...]) -> EventSpec | None:
        found = None
        for key in ids:
            found = self.by_id.get(key, found)
        return found

    def _core_occurrence(
        self, recurrence: Recurrence, start: datetime, ids: tuple[datetime, ...]
    ) -> Occurrence:
        component = recurrence.core
        for key in self.future:
            if key < ids[0]:
                component = self.by_id[key]
            else:
                break
        first = start + _moved_by(component)
        length = component.duration
        for key in ids:
            length = recurrence.replace_ends.get(key, length)
        return recurrence.original_kind(first), recurrence.original_kind(first + length), component

    def _superseded(self, recurrence: Recurrence, mod: EventSpec, budget: Budget) -> bool:
        """A modification that carries its own rules and an older SEQUENCE than the core,
        whose RECURRENCE-ID the core's rules do not produce (recurring-ical-events #148)."""
        if not mod.has_rules or mod.recurrence_id is None:
            return False
        if mod.sequence >= recurrence.core.sequence:
            return False
        ids = set(recurrence_ids(mod.recurrence_id))
        day = recurrence_ids(mod.recurrence_id)[0].replace(hour=0, minute=0, second=0)
        window = self._window(recurrence, day, day + timedelta(days=1))
        for start in recurrence.starts(*window, budget):
            start_ids = recurrence_ids(start)
            if not recurrence.excluded(start, start_ids) and ids.intersection(start_ids):
                return False
        return True


__all__ = ["BadEvent", "Occurrence", "Series", "recurrence_ids"]
