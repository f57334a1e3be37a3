"""A lean content-line scanner: only what busy time needs, nothing else.

It unfolds lines (RFC 5545 §3.1), tracks component nesting, and keeps, per VEVENT, the
properties that decide busy time. VTIMEZONE blocks are kept as text for icalendar to read.
Everything else (descriptions, attendees, alarms, ...) is passed over without parsing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from integrations.ics.model import UnreadableCalendar

#: The VEVENT properties busy time depends on.
WANTED = frozenset(
    {
        "DTSTART",
        "DTEND",
        "DURATION",
        "RRULE",
        "RDATE",
        "EXDATE",
        "RECURRENCE-ID",
        "TRANSP",
        "STATUS",
        "UID",
        "SUMMARY",
        "SEQUENCE",
    }
)

Params = dict[str, str]


@dataclass
class RawEvent:
    """The wanted properties of one VEVENT: name -> [(parameters, raw value)]."""

    props: dict[str, list[tuple[Params, str]]] = field(default_factory=dict)
    top_level: bool = True

    def first(self, name: str) -> tuple[Params, str] | None:
        """The first occurrence of property ``name``, if any."""
        found = self.props.get(name)
        return found[0] if found else None


@dataclass
class RawCalendar:
    """One VCALENDAR: its events, its VTIMEZONE texts and its X-WR-TIMEZONE."""

    events: list[RawEvent] = field(default_factory=list)
    timezones: list[str] = field(default_factory=list)
    x_wr_timezone: str | None = None


def unfold(text: str) -> list[str]:
    """The logical content lines of ``text``: line breaks normalised, folds joined."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\n ", "").replace("\n\t", "")
    return text.split("\n")


def split_line(line: str) -> tuple[str, Params, str]:
    """``NAME;PARAM=x:value`` -> (upper name, upper-keyed parameters, value)."""
    colon = line.find(":")
    if colon < 0:
        raise ValueError(f"content line without ':': {line[:40]!r}")
    head = line[:colon]
    if '"' in head:
        return _split_quoted(line)
    if ";" not in head:
        return head.upper(), {}, line[colon + 1 :]
    name, *raw = head.split(";")
    return name.upper(), _params(raw), line[colon + 1 :]


def _params(raw: list[str]) -> Params:
    params: Params = {}
    for item in raw:
        key, _, value = item.partition("=")
        params[key.strip().upper()] = value.strip('"')
    return params


def _split_quoted(line: str) -> tuple[str, Params, str]:
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    for index, char in enumerate(line):
        if char == '"':
            quoted = not quoted
        elif not quoted and char in ";:":
            parts.append("".join(current))
            current = []
            if char == ":":
                return parts[0].upper(), _params(parts[1:]), line[index + 1 :]
            continue
        current.append(char)
    raise ValueError(f"content line without ':' outside quotes: {line[:40]!r}")


def scan(text: str) -> list[RawCalendar]:
    """The calendars in ``text``; raises :class:`UnreadableCalendar` when there are none."""
    if not text.strip():
        raise UnreadableCalendar("file is empty")
    calendars: list[RawCalendar] = []
    stack: list[str] = []
    event: RawEvent | None = None
    zone_lines: list[str] | None = None
    for line in unfold(text):
        if not line:
            continue
        upper = line[:16].upper()
        if upper.startswith("BEGIN:"):
            kind = line[6:].strip().upper()
            stack.append(kind)
            if len(stack) == 1:
                calendars.append(RawCalendar())
            if kind == "VEVENT" and event is None:
                event = RawEvent(top_level=len(stack) == 2)
            elif kind == "VTIMEZONE":
                zone_lines = []
        elif upper.startswith("END:"):
            kind = line[4:].strip().upper()
            if kind in stack:
                while stack.pop() != kind:
                    pass
            if event is not None and "VEVENT" not in stack:
                calendars[-1].events.append(event)
                event = None
            if zone_lines is not None and "VTIMEZONE" not in stack:
                calendars[-1].timezones.append(_vtimezone(zone_lines))
                zone_lines = None
        if zone_lines is not None:
            zone_lines.append(line)
        elif event is not None and stack[-1:] == ["VEVENT"]:
            _keep(event, line)
        elif stack == ["VCALENDAR"] and upper.startswith("X-WR-TIMEZONE"):
            calendars[-1].x_wr_timezone = line.partition(":")[2].strip() or None
    if not calendars:
        raise UnreadableCalendar("not an iCalendar file: no BEGIN:VCALENDAR")
    return calendars


def _vtimezone(lines: list[str]) -> str:
    return "\r\n".join([*lines, "END:VTIMEZONE"]) + "\r\n"


def _keep(event: RawEvent, line: str) -> None:
    cut = len(line)
    for mark in (";", ":"):
        found = line.find(mark, 0, cut)
        if found >= 0:
            cut = found
    name = line[:cut].upper()
    if name not in WANTED:
        return
    try:
        name, params, value = split_line(line)
    except ValueError:
        return
    event.props.setdefault(name, []).append((params, value))
