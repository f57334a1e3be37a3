"""Scanned VEVENTs -> typed event specifications, with recurring-ical-events' reading rules.

The rules mirrored here (RFC 5545 §3.6.1, §3.8.2.2, §3.8.2.5): DTEND wins over DURATION; with
neither, a DATE DTSTART lasts one day and a DATE-TIME one has no length; an end before the
start is swapped. X-WR-TIMEZONE turns UTC and floating date-times into that zone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo

from integrations.ics.scan import Params, RawEvent
from integrations.ics.values import DateLike, Period, Time, parse_duration, parse_list, unescape
from integrations.ics.zones import ZoneResolver


class BadEvent(ValueError):
    """This event cannot be used; the message says why in plain words."""


@dataclass
class EventSpec:
    """What one VEVENT says about time."""

    uid: str | None
    start: Time
    end: Time
    rrules: list[str] = field(default_factory=list)
    rdates: list[Time | Period] = field(default_factory=list)
    exdates: list[Time] = field(default_factory=list)
    recurrence_id: Time | None = None
    this_and_future: bool = False
    sequence: int = -1
    free: bool = False
    title: str | None = None

    @property
    def duration(self) -> timedelta:
        """End minus start (both made comparable)."""
        start, end = comparable(self.start, self.end)
        return end - start  # type: ignore[operator]

    @property
    def has_rules(self) -> bool:
        """Whether RRULE, RDATE or EXDATE generate or remove occurrences."""
        return bool(self.rrules or self.rdates or self.exdates)


def to_datetime(value: Time, zone: tzinfo | None) -> datetime:
    """recurring-ical-events' ``convert_to_datetime``."""
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    if value.tzinfo is None:
        return value if zone is None else value.replace(tzinfo=zone)
    return value.replace(tzinfo=None) if zone is None else value


def comparable(*values: Time) -> list[Time]:
    """recurring-ical-events' ``make_comparable``: mixed kinds become one kind."""
    if all(not isinstance(v, datetime) for v in values):
        return list(values)
    zone = next((v.tzinfo for v in values if isinstance(v, datetime) and v.tzinfo), None)
    return [to_datetime(v, zone) for v in values]


class EventReader:
    """Reads the events of one calendar with its time zones."""

    def __init__(self, zones: ZoneResolver, x_wr: tzinfo | None) -> None:
        self._zones = zones
        self._x_wr = x_wr

    def read(self, raw: RawEvent) -> EventSpec:
        """The event's specification; raises :class:`BadEvent` when it has no usable start."""
        uid = _text(raw, "UID")
        found = raw.first("DTSTART")
        if found is None:
            raise BadEvent("event has no DTSTART")
        x_wr = self._x_wr if raw.top_level else None
        start = self._time(found, x_wr, "DTSTART")
        spec = EventSpec(uid=uid, start=start, end=self._end(raw, start, x_wr))
        spec.start, spec.end = _ordered(spec.start, spec.end)
        self._recurrence(raw, spec, x_wr)
        spec.sequence = _sequence(raw)
        spec.free = _upper(raw, "TRANSP") == "TRANSPARENT" or _upper(raw, "STATUS") == "CANCELLED"
        spec.title = unescape(_text(raw, "SUMMARY") or "") or None
        return spec

    def _tz(self, params: Params) -> tzinfo | None:
        tzid = params.get("TZID")
        return self._zones.resolve(tzid) if tzid else None

    def _time(self, found: tuple[Params, str], x_wr: tzinfo | None, name: str) -> Time:
        values = self._values(found, x_wr, name)
        if len(values) != 1 or isinstance(values[0], timedelta | tuple):
            raise BadEvent(f"{name} {found[1]!r} is not one date or date-time")
        return values[0]

    def _values(self, found: tuple[Params, str], x_wr: tzinfo | None, name: str) -> list[DateLike]:
        params, text = found
        try:
            values = parse_list(text, self._tz(params))
        except (ValueError, IndexError) as error:
            raise BadEvent(f"{name} value {text.strip()[:40]!r} cannot be read ({error})") from None
        return [_x_wr(v, x_wr) for v in values] if x_wr is not None else values

    def _end(self, raw: RawEvent, start: Time, x_wr: tzinfo | None) -> Time:
        found = raw.first("DTEND")
        if found is not None:
            return self._time(found, x_wr, "DTEND")
        duration = raw.first("DURATION")
        if duration is not None:
            try:
                length = parse_duration(duration[1])
            except (ValueError, OverflowError):
                raise BadEvent(f"DURATION {duration[1][:40]!r} cannot be read") from None
            if length.seconds and not isinstance(start, datetime):
                start = datetime(start.year, start.month, start.day)
            try:
                return start + length
            except OverflowError:
                raise BadEvent(f"DURATION {duration[1][:40]!r} is out of range") from None
        if not isinstance(start, datetime):
            return start + timedelta(days=1)
        return start

    def _recurrence(self, raw: RawEvent, spec: EventSpec, x_wr: tzinfo | None) -> None:
        spec.rrules = [text.strip() for _, text in raw.props.get("RRULE", ()) if text.strip()]
        for found in raw.props.get("RDATE", ()):
            for value in self._values(found, x_wr, "RDATE"):
                if isinstance(value, timedelta):
                    raise BadEvent(f"RDATE {found[1][:40]!r} is a duration")
                spec.rdates.append(value)
        for found in raw.props.get("EXDATE", ()):
            for value in self._values(found, x_wr, "EXDATE"):
                if isinstance(value, timedelta | tuple):
                    raise BadEvent(f"EXDATE {found[1][:40]!r} is not a date or date-time")
                spec.exdates.append(value)
        rid = raw.first("RECURRENCE-ID")
        if rid is not None:
            spec.recurrence_id = self._time(rid, x_wr, "RECURRENCE-ID")
            spec.this_and_future = rid[0].get("RANGE", "").upper() == "THISANDFUTURE"


def _x_wr(value: DateLike, zone: tzinfo) -> DateLike:
    if not isinstance(value, datetime):
        return value
    if value.tzinfo is None:
        return value.replace(tzinfo=zone)
    name = value.tzname()
    if name is not None and name.upper() == "UTC":
        return value.astimezone(zone)
    return value


def _ordered(start: Time, end: Time) -> tuple[Time, Time]:
    first, last = comparable(start, end)
    if first > last:
        return last, first
    return first, last


def _text(raw: RawEvent, name: str) -> str | None:
    found = raw.first(name)
    return found[1] if found else None


def _upper(raw: RawEvent, name: str) -> str:
    return (_text(raw, name) or "").strip().upper()


def _sequence(raw: RawEvent) -> int:
    try:
        return int((_text(raw, "SEQUENCE") or "-1").strip())
    except ValueError:
        return -1
