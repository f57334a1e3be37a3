"""Properties: on generated series our busy time equals the oracle's and is in normal form."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from integrations.ics import UnreadableCalendar, ingest, reference_busy
from planner.core.intervals import merge
from tests.integrations.ics_cases import calendar, event

ZONES = ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "Pacific/Apia"]
RULES = [
    "",
    "FREQ=DAILY;COUNT=10",
    "FREQ=WEEKLY;BYDAY=MO,WE,FR",
    "FREQ=DAILY;INTERVAL=3;UNTIL=20240601T000000Z",
    "FREQ=MONTHLY;BYMONTHDAY=31",
    "FREQ=HOURLY;INTERVAL=7;COUNT=40",
    "FREQ=WEEKLY;INTERVAL=2;UNTIL=20240401",
]


def _stamp(moment: datetime, zone: str | None) -> str:
    text = moment.strftime("%Y%m%dT%H%M%S")
    return f";TZID={zone}:{text}" if zone else f":{text}"


@st.composite
def series(draw: st.DrawFn) -> bytes:
    zone = draw(st.sampled_from([*ZONES, None]))
    all_day = draw(st.booleans())
    start = datetime(2024, 1, 1) + timedelta(hours=draw(st.integers(0, 24 * 200)))
    length = timedelta(minutes=draw(st.integers(0, 60 * 30)))
    rule = draw(st.sampled_from(RULES))
    lines = [f"RRULE:{rule}"] if rule else []
    if all_day:
        lines += [
            f"DTSTART;VALUE=DATE:{start:%Y%m%d}",
            f"DTEND;VALUE=DATE:{start + timedelta(days=1 + length.days):%Y%m%d}",
        ]
    else:
        lines += [f"DTSTART{_stamp(start, zone)}", f"DTEND{_stamp(start + length, zone)}"]
    for days in draw(st.lists(st.integers(1, 30), max_size=3)):
        moment = start + timedelta(days=days)
        lines.append(
            f"EXDATE;VALUE=DATE:{moment:%Y%m%d}" if all_day else f"EXDATE{_stamp(moment, zone)}"
        )
    lines += draw(st.sampled_from([[], ["TRANSP:TRANSPARENT"], ["STATUS:TENTATIVE"]]))
    body = list(event(*lines, uid="s"))
    for days in draw(st.lists(st.integers(1, 30), max_size=2)):
        moment = start + timedelta(days=days)
        if all_day:
            continue
        moved = moment + timedelta(hours=draw(st.integers(-5, 5)))
        body += event(
            f"RECURRENCE-ID{_stamp(moment, zone)}",
            f"DTSTART{_stamp(moved, zone)}",
            f"DTEND{_stamp(moved + timedelta(hours=1), zone)}",
            uid="s",
        )
    return calendar(*body)


@given(
    data=series(),
    owner=st.sampled_from(ZONES),
    offset=st.integers(0, 24 * 180),
    hours=st.integers(1, 24 * 120),
)
def test_busy_equals_the_oracle(data: bytes, owner: str, offset: int, hours: int) -> None:
    start = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(hours=offset)
    end = start + timedelta(hours=hours)
    result = ingest(data, start=start, end=end, zone=owner)
    assert result.busy == reference_busy(data, start=start, end=end, zone=ZoneInfo(owner))
    assert merge(result.busy) == result.busy
    assert all(start <= i.start and i.end <= end for i in result.busy)


LINES = [
    "BEGIN:VCALENDAR",
    "END:VCALENDAR",
    "BEGIN:VEVENT",
    "END:VEVENT",
    "BEGIN:VTIMEZONE",
    "END:VTIMEZONE",
    "BEGIN:VALARM",
    "END:VALARM",
    "X-WR-TIMEZONE:Mars/Olympus",
    "DTSTART:20240110T100000Z",
    "DTSTART;TZID=Nowhere:20240110T100000",
    "DTSTART;VALUE=DATE:20240230",
    "DTEND:2024",
    "DURATION:P99999999999999999999D",
    "RRULE:FREQ=SECONDLY",
    "RRULE:FREQ=DAILY;INTERVAL=0",
    "RRULE:FREQ=YEARLY;BYMONTH=13",
    "RRULE:FREQ=WEEKLY;UNTIL=2024",
    "RDATE;VALUE=PERIOD:20240101T000000Z/20231231T000000Z",
    "EXDATE:,,",
    "RECURRENCE-ID;RANGE=THISANDFUTURE:20240117T100000Z",
    "UID:x",
    'ATTENDEE;CN="a:b;c":mailto:x',
    ":",
    "\x00",
]


@given(st.lists(st.sampled_from(LINES) | st.text(max_size=30), max_size=40))
def test_arbitrary_lines_never_crash(lines: list[str]) -> None:
    data = "\r\n".join(lines).encode("utf-8", errors="replace")
    start = datetime(2024, 1, 1, tzinfo=UTC)
    try:
        result = ingest(data, start=start, end=start + timedelta(days=60), zone="Europe/Berlin")
    except UnreadableCalendar as refusal:
        assert refusal.reason
    else:
        assert merge(result.busy) == result.busy
