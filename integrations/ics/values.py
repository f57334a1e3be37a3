"""iCalendar values -> Python values, mirroring icalendar's vDDDTypes rules (RFC 5545 §3.3)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, tzinfo

Time = date | datetime
Period = tuple[Time, Time | timedelta]
DateLike = Time | timedelta | Period

_DURATION = re.compile(
    r"([-+])?P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?", re.IGNORECASE
)

Localise = Callable[[datetime], datetime]


def parse_duration(text: str) -> timedelta:
    """An RFC 5545 §3.3.6 duration such as ``PT1H30M`` or ``-P1W``."""
    found = _DURATION.fullmatch(text.strip())
    if found is None or text.strip().upper() in {"P", "PT", "-P", "+P"}:
        raise ValueError(f"not a duration: {text!r}")
    sign, weeks, days, hours, minutes, seconds = found.groups()
    value = timedelta(
        weeks=int(weeks or 0),
        days=int(days or 0),
        hours=int(hours or 0),
        minutes=int(minutes or 0),
        seconds=int(seconds or 0),
    )
    return -value if sign == "-" else value


def parse_time(text: str, zone: tzinfo | None) -> Time:
    """A DATE or DATE-TIME by its length, as icalendar reads it; TZID wins over ``Z``."""
    size = len(text)
    if size in (15, 16) and text[8] in "Tt":
        moment = datetime(
            int(text[:4]),
            int(text[4:6]),
            int(text[6:8]),
            int(text[9:11]),
            int(text[11:13]),
            int(text[13:15]),
        )
        if zone is not None:
            return moment.replace(tzinfo=zone)
        if size == 15:
            return moment
        if text[15] in "Zz":
            return moment.replace(tzinfo=UTC)
        raise ValueError(f"not a date-time: {text!r}")
    if size == 8 and text.isdigit():
        day = date(int(text[:4]), int(text[4:6]), int(text[6:8]))
        if zone is not None:
            return datetime(day.year, day.month, day.day, tzinfo=zone)
        return day
    raise ValueError(f"not a date or date-time: {text!r}")


def parse_value(text: str, zone: tzinfo | None) -> DateLike:
    """A DATE, DATE-TIME, DURATION or PERIOD (§3.3.9), chosen by the text's shape."""
    text = text.strip()
    if text[:1] in "Pp-+":
        return parse_duration(text)
    if "/" in text:
        first, _, second = text.partition("/")
        begin = parse_time(first, zone)
        if second[:1] in "Pp+-":
            return (begin, parse_duration(second))
        return (begin, parse_time(second, zone))
    return parse_time(text, zone)


def parse_list(text: str, zone: tzinfo | None) -> list[DateLike]:
    """The comma-separated values of an RDATE or EXDATE."""
    return [parse_value(item, zone) for item in text.split(",") if item.strip()]


def unescape(text: str) -> str:
    """TEXT value unescaping (§3.3.11)."""
    if "\\" not in text:
        return text
    return (
        text.replace("\\N", "\n")
        .replace("\\n", "\n")
        .replace("\\,", ",")
        .replace("\\;", ";")
        .replace("\\\\", "\\")
    )
