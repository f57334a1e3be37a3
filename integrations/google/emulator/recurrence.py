"""Recurring series: RRULE/EXDATE/RDATE lines expanded with dateutil, bounded.

Expansion happens in naive wall-clock time in the event's zone (so 10:00 stays 10:00
across a DST change) and only inside a window, with a cap on the number of instances.
Rules that could walk for minutes (FREQ=SECONDLY/MINUTELY, INTERVAL=0) are refused on
write, like the rest of an invalid event.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from dateutil.rrule import rruleset, rrulestr

from integrations.google.emulator.errors import invalid
from integrations.google.emulator.times import (
    event_time,
    is_all_day,
    localize,
    parse_date,
    wall_clock,
    zone,
)

MAX_INSTANCES = 5000
"""At most this many instances of one series per expansion."""

_FORBIDDEN = re.compile(r"FREQ=(SECONDLY|MINUTELY)|INTERVAL=0*(;|$)", re.IGNORECASE)


def check_recurrence(lines: Any) -> None:
    """Raise 400 unless ``lines`` is a list of RRULE/EXDATE/RDATE strings we can expand."""
    if not isinstance(lines, list) or not all(isinstance(x, str) for x in lines):
        raise invalid("Invalid recurrence rule.")
    for line in lines:
        name = line.split(":", 1)[0].split(";", 1)[0].upper()
        if name not in ("RRULE", "EXDATE", "RDATE", "EXRULE") or ":" not in line:
            raise invalid(f"Invalid recurrence rule: {line}")
        if name == "RRULE" and _FORBIDDEN.search(line):
            raise invalid(f"Invalid recurrence rule: {line}")


def _rule_text(line: str, tz_name: str) -> str:
    """An RRULE line whose UNTIL is in wall-clock time (dateutil's naive expansion)."""
    match = re.search(r"UNTIL=(\d{8}(T\d{6}Z?)?)", line)
    if match is None or not match.group(1).endswith("Z"):
        return line
    until = datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    wall = until.astimezone(zone(tz_name)).strftime("%Y%m%dT%H%M%S")
    return line.replace(match.group(1), wall)


def _dates(line: str, tz_name: str) -> list[datetime]:
    """The wall-clock values of an EXDATE/RDATE line (TZID, VALUE=DATE, Z all handled)."""
    head, _, values = line.partition(":")
    params = dict(p.split("=", 1) for p in head.split(";")[1:] if "=" in p)
    result = []
    for value in values.split(","):
        value = value.strip()
        if len(value) == 8:
            result.append(datetime.strptime(value, "%Y%m%d"))
            continue
        stamp = datetime.strptime(value.rstrip("Z"), "%Y%m%dT%H%M%S")
        if value.endswith("Z"):
            stamp = stamp.replace(tzinfo=UTC)
        elif "TZID" in params:
            stamp = stamp.replace(tzinfo=zone(params["TZID"]))
        if stamp.tzinfo is not None:
            stamp = stamp.astimezone(zone(tz_name)).replace(tzinfo=None)
        result.append(stamp)
    return result


def _ruleset(master: dict[str, Any], dtstart: datetime, tz_name: str) -> rruleset:
    rules = rruleset()
    rules.rdate(dtstart)
    for line in master.get("recurrence", []):
        name = line.split(":", 1)[0].split(";", 1)[0].upper()
        if name in ("RRULE", "EXRULE"):
            text = _rule_text(line.split(":", 1)[1], tz_name)
            rule = rrulestr(text, dtstart=dtstart, ignoretz=True)
            (rules.rrule if name == "RRULE" else rules.exrule)(rule)  # type: ignore[arg-type]
        elif name == "RDATE":
            for value in _dates(line, tz_name):
                rules.rdate(value)
        else:
            for value in _dates(line, tz_name):
                rules.exdate(value)
    return rules


def occurrences(
    master: dict[str, Any], calendar_zone: str, start: datetime, end: datetime
) -> Iterator[tuple[datetime, datetime, datetime]]:
    """(wall-clock start, UTC start, UTC end) of each instance overlapping [start, end)."""
    first, last = master["start"], master["end"]
    tz_name = str(first.get("timeZone") or calendar_zone)
    dtstart = wall_clock(first, calendar_zone)
    all_day = is_all_day(first)
    if all_day:
        duration = parse_date(str(last["date"])) - parse_date(str(first["date"]))
    else:
        duration = event_time(last, calendar_zone) - event_time(first, calendar_zone)
    search_from = start.astimezone(zone(tz_name)).replace(tzinfo=None) - duration
    search_from -= timedelta(days=1)
    rules = _ruleset(master, dtstart, tz_name)
    for wall in itertools.islice(rules.xafter(search_from, inc=True), MAX_INSTANCES):
        begin = localize(wall, first, calendar_zone)
        if begin >= end:
            return
        finish = localize(wall + duration, first, calendar_zone) if all_day else begin + duration
        if finish > start:
            yield wall, begin, finish
