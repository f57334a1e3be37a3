"""Helpers for the iCalendar ingestion tests: inline calendars and the oracle comparison."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from integrations.ics import IngestResult, Limits, ingest, reference_busy
from planner.core.intervals import Interval

BERLIN = ZoneInfo("Europe/Berlin")
START = datetime(2024, 1, 1, tzinfo=UTC)
END = datetime(2025, 1, 1, tzinfo=UTC)


def calendar(*lines: str, head: tuple[str, ...] = ()) -> bytes:
    """A VCALENDAR around ``lines`` (``head`` goes before the first component)."""
    body = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN", *head, *lines, "END:VCALENDAR"]
    return ("\r\n".join(body) + "\r\n").encode()


def event(*lines: str, uid: str = "e1") -> tuple[str, ...]:
    """The lines of one VEVENT."""
    return ("BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20240101T000000Z", *lines, "END:VEVENT")


def utc(*parts: int) -> datetime:
    """A UTC datetime."""
    return datetime(*parts).replace(tzinfo=UTC)  # type: ignore[arg-type]


def span(first: tuple[int, ...], last: tuple[int, ...]) -> Interval:
    """A UTC interval from two tuples."""
    return Interval(utc(*first), utc(*last))


def busy(
    data: bytes,
    zone: str | ZoneInfo = BERLIN,
    start: datetime = START,
    end: datetime = END,
    limits: Limits | None = None,
) -> IngestResult:
    """Ingest ``data`` and check the result against the oracle."""
    result = ingest(data, start=start, end=end, zone=zone, limits=limits or Limits())
    assert result.busy == reference_busy(data, start=start, end=end, zone=zone)
    return result


class StepClock:
    """A fake CPU clock that advances ``step`` seconds each time it is read.

    A budget of ``cpu_seconds`` then allows about ``cpu_seconds / step`` readings, and the
    budget checks are spaced by work done, so a budget cut depends on the work an ingestion
    does and never on the speed of the machine.
    """

    def __init__(self, step: float = 0.001) -> None:
        self.step = step
        self.calls = 0

    def __call__(self) -> float:
        self.calls += 1
        return self.calls * self.step
