"""Calendar objects for the CalDAV tests, one event series per object (as CalDAV wants).

``NOW`` is Monday 2 March 2026, 09:00 in Berlin; five weeks from it cross the start of
summer time (29 March), so the weekly series changes its UTC offset inside the window.
"""

from __future__ import annotations

from datetime import UTC, datetime

from tests.zones import BERLIN_VTIMEZONE

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
WEEKS = 5

BERLIN = BERLIN_VTIMEZONE


def calendar(*events: str, zone: bool = True) -> bytes:
    """A VCALENDAR around ``events`` (with the Berlin zone), CRLF line ends."""
    text = "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//tests//caldav//EN\n"
    text += (BERLIN if zone else "") + "".join(events) + "END:VCALENDAR\n"
    return text.replace("\n", "\r\n").encode()


def event(uid: str, start: str, end: str, summary: str, *extra: str) -> str:
    """A VEVENT; ``start``/``end`` are full property values after the name (``;TZID=..:..``)."""
    lines = [
        "BEGIN:VEVENT",
        f"UID:{uid}",
        "DTSTAMP:20260101T000000Z",
        f"DTSTART{start}",
        f"DTEND{end}",
        f"SUMMARY:{summary}",
        *extra,
        "END:VEVENT",
    ]
    return "\n".join(lines) + "\n"


B = ";TZID=Europe/Berlin:"

#: Weekly on Mondays 10:00-10:30 Berlin: 16 March excluded, 23 March moved to 14:00-15:00,
#: 6 April starts exactly where the window ends.
STANDUP = calendar(
    event("standup@tests", f"{B}20260302T100000", f"{B}20260302T103000", "Standup",
          "RRULE:FREQ=WEEKLY;COUNT=6", f"EXDATE{B}20260316T100000"),
    event("standup@tests", f"{B}20260323T140000", f"{B}20260323T150000", "Standup (moved)",
          f"RECURRENCE-ID{B}20260323T100000"),
)  # fmt: skip
DENTIST = calendar(event("dentist@tests", f"{B}20260304T150000", f"{B}20260304T160000", "Dentist"))
FREE = calendar(
    event("free@tests", f"{B}20260305T120000", f"{B}20260305T130000", "Maybe", "TRANSP:TRANSPARENT")
)
HOLIDAY = calendar(
    event("holiday@tests", ";VALUE=DATE:20260306", ";VALUE=DATE:20260307", "Holiday"), zone=False
)
CANCELLED = calendar(
    event("gone@tests", f"{B}20260310T090000", f"{B}20260310T100000", "Gone", "STATUS:CANCELLED")
)
LATER = calendar(event("later@tests", f"{B}20260312T180000", f"{B}20260312T200000", "Concert"))
OURS = calendar(
    event("0123456789abcdef@connection-planner.invalid", ":20260311T180000Z", ":20260311T190000Z",
          "Date night")
)  # fmt: skip

OBJECTS = {
    "standup.ics": STANDUP,
    "dentist.ics": DENTIST,
    "free.ics": FREE,
    "holiday.ics": HOLIDAY,
    "cancelled.ics": CANCELLED,
}
