"""Hostile input: size, encodings, runaway rules, broken events. Nothing hangs or crashes."""

from __future__ import annotations

import codecs
from collections.abc import Iterator

import pytest

from integrations.ics import Limits, UnreadableCalendar, ingest, rules
from integrations.ics.model import IngestResult
from tests.integrations.ics_cases import BERLIN, END, START, StepClock, calendar, event, span

ONE_HOUR = ("DTSTART:20240110T100000Z", "DTEND:20240110T110000Z")


def run(data: bytes, limits: Limits | None = None) -> IngestResult:
    return ingest(data, start=START, end=END, zone=BERLIN, limits=limits or Limits())


def work_limits(readings: int, **more: int) -> Limits:
    """Limits whose CPU budget is ``readings`` readings of a fake clock: a measure of work
    done (the budget is checked every few hundred starts), the same on every machine."""
    return Limits(cpu_seconds=readings, series_cpu_seconds=readings, clock=StepClock(1), **more)


class MonthCounter:
    """Counts the months dateutil walks (each rebuilds its calendar cache)."""

    def __init__(self) -> None:
        self.months = 0


@pytest.fixture
def walked_months(monkeypatch: pytest.MonkeyPatch) -> Iterator[MonthCounter]:
    counter = MonthCounter()
    rebuild = rules._HorizonIterInfo.rebuild

    def counting(self: rules._HorizonIterInfo, year: int, month: int) -> None:
        counter.months += 1
        rebuild(self, year, month)

    monkeypatch.setattr(rules._HorizonIterInfo, "rebuild", counting)
    yield counter


def test_too_big_file_is_refused_with_both_sizes() -> None:
    data = calendar(*event(*ONE_HOUR, "DESCRIPTION:" + "x" * 2_000_000))
    with pytest.raises(UnreadableCalendar) as caught:
        run(data, Limits(max_bytes=1024 * 1024))
    assert caught.value.reason == "file is 1.9 MB, the limit is 1 MB"


def test_not_icalendar_is_refused() -> None:
    with pytest.raises(UnreadableCalendar, match="no BEGIN:VCALENDAR"):
        run(b"<html>hello</html>")


def test_empty_file_is_refused() -> None:
    with pytest.raises(UnreadableCalendar, match="empty"):
        run(b"   \r\n")


@pytest.mark.parametrize(
    "encode",
    [
        lambda text: codecs.BOM_UTF8 + text.encode("utf-8"),
        lambda text: text.encode("utf-16"),
        lambda text: text.encode("utf-16-le"),
        lambda text: text.encode("latin-1"),
    ],
    ids=["utf-8-bom", "utf-16-bom", "utf-16-le-no-bom", "latin-1"],
)
def test_encodings(encode: object) -> None:
    text = calendar(*event(*ONE_HOUR, "SUMMARY:Café")).decode()
    result = ingest(encode(text), start=START, end=END, zone=BERLIN, with_titles=True)  # type: ignore[operator]
    assert result.blocks is not None and result.blocks[0].title == "Café"


def test_secondly_rule_from_1900_answers_within_budget() -> None:
    data = calendar(
        *event("DTSTART:19000101T000000Z", "DTEND:19000101T000001Z", "RRULE:FREQ=SECONDLY")
    )
    # Walking from 1900 takes ~3.8e9 starts, millions of budget checks: far over 2,000.
    limits = work_limits(2_000)
    result = ingest(data, start=START, end=START.replace(hour=1), zone=BERLIN, limits=limits)
    assert result.warnings == [] and result.skipped == []
    assert result.busy == [span((2024, 1, 1), (2024, 1, 1, 1))]


def test_interval_zero_is_skipped_with_a_reason() -> None:
    data = calendar(
        *event(*ONE_HOUR, "RRULE:FREQ=DAILY;INTERVAL=0", uid="zero"), *event(*ONE_HOUR, uid="ok")
    )
    result = run(data)
    assert [(s.uid, s.reason) for s in result.skipped] == [
        ("zero", "recurrence rule has INTERVAL=0")
    ]
    assert result.busy == [span((2024, 1, 10, 10), (2024, 1, 10, 11))]


def test_occurrence_limit_stops_and_reports() -> None:
    data = calendar(*event(*ONE_HOUR, "RRULE:FREQ=HOURLY", uid="hourly"))
    result = run(data, Limits(max_occurrences=100))
    assert result.warnings and "100 occurrences" in result.warnings[0]
    assert result.skipped[0].uid == "hourly"


def test_cpu_budget_stops_and_reports() -> None:
    data = calendar(
        *event("DTSTART:20240101T000000Z", "DTEND:20240101T000001Z", "RRULE:FREQ=SECONDLY")
    )
    clock = StepClock(0.01)
    result = run(data, Limits(cpu_seconds=0.2, max_occurrences=10**9, clock=clock))
    assert clock.calls < 30
    assert any("CPU time" in warning for warning in result.warnings)


def test_impossible_rule_ends_at_the_horizon(walked_months: MonthCounter) -> None:
    data = calendar(*event(*ONE_HOUR, "RRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30"))
    result = run(data)
    assert walked_months.months < 100  # the reference walks to the year 9999 here
    assert result.busy == [span((2024, 1, 10, 10), (2024, 1, 10, 11))]


def test_bad_event_is_skipped_and_the_rest_is_read() -> None:
    data = calendar(
        *event("DTSTART:2024-01-10", uid="bad"),
        *event("SUMMARY:no start", uid="nostart"),
        *event(*ONE_HOUR, uid="good"),
    )
    result = run(data)
    assert {s.uid for s in result.skipped} == {"bad", "nostart"}
    assert result.events == 3
    assert result.busy == [span((2024, 1, 10, 10), (2024, 1, 10, 11))]


def test_titles_only_when_asked() -> None:
    data = calendar(*event(*ONE_HOUR, "SUMMARY:Dentist\\, again"))
    assert run(data).blocks is None
    result = ingest(data, start=START, end=END, zone=BERLIN, with_titles=True)
    assert result.blocks is not None
    assert [(b.start, b.title) for b in result.blocks] == [
        (START.replace(day=10, hour=10), "Dentist, again")
    ]


def test_naive_horizon_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        ingest(calendar(), start=START.replace(tzinfo=None), end=END, zone=BERLIN)


def test_secondly_rule_with_huge_count_from_1900_answers_within_budget() -> None:
    data = calendar(
        *event(
            "DTSTART:19000101T000000Z",
            "DTEND:19000101T000001Z",
            "RRULE:FREQ=SECONDLY;COUNT=4000000000",
        )
    )
    limits = work_limits(2_000)
    result = ingest(data, start=START, end=START.replace(hour=1), zone=BERLIN, limits=limits)
    assert result.warnings == [] and result.skipped == []
    assert result.busy == [span((2024, 1, 1), (2024, 1, 1, 1))]


def test_count_that_ends_before_the_horizon_gives_nothing() -> None:
    data = calendar(
        *event("DTSTART:19000101T000000Z", "DTEND:19000101T000001Z", "RRULE:FREQ=MINUTELY;COUNT=9")
    )
    assert run(data).busy == []


def test_filtered_rule_with_count_from_long_ago_is_cut_by_the_cpu_budget() -> None:
    data = calendar(
        *event(
            "DTSTART:19000101T000000Z",
            "DTEND:19000101T000001Z",
            "RRULE:FREQ=SECONDLY;BYMINUTE=0,30;COUNT=4000000000",
        )
    )
    clock = StepClock(0.01)
    result = run(data, Limits(cpu_seconds=0.5, clock=clock))
    assert clock.calls < 100
    assert any("CPU time" in warning for warning in result.warnings)


NEVER_MATCHING = [
    "FREQ=SECONDLY;BYYEARDAY=366;BYMONTH=1",
    "FREQ=DAILY;BYYEARDAY=366;BYMONTH=1",
    "FREQ=MINUTELY;BYWEEKNO=53;BYMONTH=6",
    "FREQ=HOURLY;BYYEARDAY=-366;BYMONTH=12",
    "FREQ=MONTHLY;BYDAY=5MO;BYMONTH=2;BYSETPOS=1",
]


def test_issue_never_matching_rules_stop_at_the_horizon_not_year_9999(
    walked_months: MonthCounter,
) -> None:
    """dateutil checks UNTIL only on a match, so these walked ~5 s each to year 9999."""
    lines = [
        line
        for n, rule in enumerate(NEVER_MATCHING * 4)
        for line in event("DTSTART:19000101T000000Z", "DURATION:PT1H", f"RRULE:{rule}", uid=f"n{n}")
    ]
    data = calendar(*lines, *event(*ONE_HOUR, uid="real"))
    result = run(data)
    # Each walks from its start (1900) to the horizon; one used to walk ~97,000 months.
    assert walked_months.months < 20 * 2 * 12 * 130
    assert result.busy == [span((2024, 1, 10, 10), (2024, 1, 10, 11))]
    assert result.skipped == [] and result.warnings == []


def test_one_costly_series_is_skipped_and_the_rest_still_counts() -> None:
    costly = event(
        "DTSTART:19000101T000000Z",
        "DURATION:PT1S",
        "RRULE:FREQ=SECONDLY;COUNT=4000000000;BYSECOND=0",
        uid="costly",
    )
    data = calendar(*costly, *event(*ONE_HOUR, uid="real"))
    limits = Limits(cpu_seconds=5_000, series_cpu_seconds=300, clock=StepClock(1))
    result = run(data, limits)
    assert [s.uid for s in result.skipped] == ["costly"]
    assert "CPU time" in result.skipped[0].reason
    assert span((2024, 1, 10, 10), (2024, 1, 10, 11)) in result.busy
    assert result.warnings == []
