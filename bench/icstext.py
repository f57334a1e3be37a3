"""Writing iCalendar text by hand: folding, escaping, property values and VTIMEZONE blocks.

The generator writes text directly (rather than through icalendar objects) so that it is fast,
byte-for-byte deterministic, and shaped like real exports (Google-style VTIMEZONEs with RRULEs,
folded UTF-8 lines, CRLF line ends).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from icalendar import Timezone

CRLF = "\r\n"
Prop = tuple[str, str]
"""One content line as ``("NAME;PARAMS", "value")``, the value already escaped."""

_GOOGLE_VTIMEZONES = {
    "Europe/Berlin": """BEGIN:VTIMEZONE
TZID:Europe/Berlin
X-LIC-LOCATION:Europe/Berlin
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
TZNAME:CEST
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
TZNAME:CET
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE
""",
    "America/New_York": """BEGIN:VTIMEZONE
TZID:America/New_York
X-LIC-LOCATION:America/New_York
BEGIN:DAYLIGHT
TZOFFSETFROM:-0500
TZOFFSETTO:-0400
TZNAME:EDT
DTSTART:19700308T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:-0400
TZOFFSETTO:-0500
TZNAME:EST
DTSTART:19701101T020000
RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU
END:STANDARD
END:VTIMEZONE
""",
    "Asia/Kolkata": """BEGIN:VTIMEZONE
TZID:Asia/Kolkata
X-LIC-LOCATION:Asia/Kolkata
BEGIN:STANDARD
TZOFFSETFROM:+0530
TZOFFSETTO:+0530
TZNAME:IST
DTSTART:19700101T000000
END:STANDARD
END:VTIMEZONE
""",
}
"""Handwritten VTIMEZONEs in the form Google Calendar exports them.

icalendar 7.3's ``Timezone.from_tzid`` writes the DAYLIGHT onset as the wall time *after* the
jump (03:00 for Berlin and New York instead of 02:00 in TZOFFSETFROM, RFC 5545 3.6.5), which
puts the spring transition an hour late for a reader that trusts the block; see
:func:`vtimezone_mismatches`. It is only the fallback for other zones.
"""


@cache
def vtimezone(zone: str) -> str:
    """The VTIMEZONE block of ``zone`` with CRLF line ends (handwritten, or from icalendar)."""
    text = _GOOGLE_VTIMEZONES.get(zone)
    if text is not None:
        return text.replace("\n", CRLF)
    block = Timezone.from_tzid(zone, first_date=date(2023, 1, 1), last_date=date(2030, 1, 1))
    return str(block.to_ical().decode())


def vtimezone_mismatches(zone: str, step: timedelta = timedelta(minutes=30)) -> list[datetime]:
    """UTC moments in 2024-2029 where the VTIMEZONE of ``zone`` disagrees with the tz database.

    The block is parsed back under a made-up TZID, so that icalendar builds the zone from the
    block's own rules instead of looking the name up. An empty list means it can be trusted.
    """
    alias = "Bench-Check-" + zone.replace("/", "-")
    block = Timezone.from_ical(vtimezone(zone).replace(f"TZID:{zone}", f"TZID:{alias}"))
    assert isinstance(block, Timezone)
    tz = block.to_tz()
    real = ZoneInfo(zone)
    bad: list[datetime] = []
    moment = datetime(2024, 1, 1, tzinfo=UTC)
    while moment < datetime(2030, 1, 1, tzinfo=UTC):
        if moment.astimezone(tz).utcoffset() != moment.astimezone(real).utcoffset():
            bad.append(moment)
        moment += step
    return bad


def fold(line: str) -> str:
    """``line`` folded at 75 octets (RFC 5545 3.1), never inside a UTF-8 character."""
    if len(line) <= 18 or len(line.encode()) <= 75:
        return line
    parts: list[str] = []
    chars: list[str] = []
    size, limit = 0, 75
    for char in line:
        width = len(char.encode())
        if size + width > limit:
            parts.append("".join(chars))
            chars, size, limit = [], 0, 74
        chars.append(char)
        size += width
    parts.append("".join(chars))
    return (CRLF + " ").join(parts)


def escape(text: str) -> str:
    """``text`` escaped as an iCalendar TEXT value."""
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def local_stamp(moment: datetime) -> str:
    """The wall-clock ``YYYYMMDDTHHMMSS`` form of ``moment``."""
    return moment.strftime("%Y%m%dT%H%M%S")


def utc_stamp(moment: datetime) -> str:
    """The UTC ``YYYYMMDDTHHMMSSZ`` form of an aware ``moment``."""
    return local_stamp(moment.astimezone(UTC)) + "Z"


def dt_prop(name: str, moment: datetime, zone: str) -> Prop:
    """A DATE-TIME property: ``zone`` ``"UTC"`` gives a ``Z`` value, else a TZID parameter."""
    if zone == "UTC":
        return name, utc_stamp(moment)
    return f"{name};TZID={zone}", local_stamp(moment.astimezone(ZoneInfo(zone)))


def date_prop(name: str, day: date) -> Prop:
    """A DATE property."""
    return f"{name};VALUE=DATE", day.strftime("%Y%m%d")


def duration_value(delta: timedelta) -> str:
    """``delta`` as an iCalendar DURATION value (hours and minutes, or whole days)."""
    minutes = int(delta.total_seconds() // 60)
    if minutes % (24 * 60) == 0:
        return f"P{minutes // (24 * 60)}D"
    hours, rest = divmod(minutes, 60)
    return "PT" + (f"{hours}H" if hours else "") + (f"{rest}M" if rest else "")


def render_event(props: list[Prop], alarm: list[Prop] | None = None) -> str:
    """A VEVENT block from its properties, with an optional VALARM, folded, CRLF-terminated."""
    lines = ["BEGIN:VEVENT"]
    lines += [fold(f"{name}:{value}") for name, value in props]
    if alarm:
        lines += ["BEGIN:VALARM", *(fold(f"{n}:{v}") for n, v in alarm), "END:VALARM"]
    lines.append("END:VEVENT")
    return CRLF.join(lines) + CRLF
