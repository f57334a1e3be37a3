"""Every .ics file of the shared corpus: read or refused specifically, within the reading's
budget (no file may be cut by it), equal to the oracle.

The oracle (icalendar + x-wr-timezone + recurring-ical-events) is compared wherever INDEX.tsv
says it parses and expands the file. Where the oracle is wrong, ``EXPECTED_DIFFERENCES`` names
the file, the difference and the RFC 5545 section that decides it; none is known today.
"""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from integrations.ics import UnreadableCalendar, ingest, reference_busy
from tests.conftest import CORPUS

pytestmark = pytest.mark.corpus

ZONE = ZoneInfo("Europe/Berlin")
WINDOW = (datetime(2020, 1, 1, tzinfo=ZONE), datetime(2030, 1, 1, tzinfo=ZONE))
#: Minutely/hourly rules with ~90,000 occurrences a year: a quarter keeps them under the
#: occurrence limit and the suite fast.
SHORT = (datetime(2024, 1, 1, tzinfo=ZONE), datetime(2024, 4, 1, tzinfo=ZONE))
SHORT_WINDOW_FILES = {
    "ical.net/Ical.Net.Tests/Calendars/Recurrence/DailyByHourMinute1.ics",
    "ical.net/Ical.Net.Tests/Calendars/Recurrence/MinutelyByHour1.ics",
}
#: Files whose rules legitimately exceed a bound (occurrences or CPU time) over the window.
LIMITED = {
    "ical.net/Ical.Net.Tests/Calendars/Recurrence/Secondly1.ics": "FREQ=SECONDLY without end",
}
#: file -> (what differs, the RFC 5545 section that says we are right).
EXPECTED_DIFFERENCES: dict[str, tuple[str, str]] = {}


def _index() -> dict[str, str]:
    path = CORPUS / "INDEX.tsv"
    if not path.is_file():
        return {}
    with path.open(newline="") as handle:
        return {row["file"]: row["parse_status"] for row in csv.DictReader(handle, delimiter="\t")}


def _files() -> list[object]:
    if not CORPUS.is_dir():
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"no corpus at {CORPUS}"))]
    found = sorted(CORPUS.rglob("*.ics"))
    return [pytest.param(path, id=str(path.relative_to(CORPUS))) for path in found]


STATUS = _index()


@pytest.mark.parametrize("path", _files())
def test_corpus_file(path: Path) -> None:
    name = str(path.relative_to(CORPUS))
    start, end = SHORT if name in SHORT_WINDOW_FILES else WINDOW
    data = path.read_bytes()
    try:
        result = ingest(data, start=start, end=end, zone=ZONE)
    except UnreadableCalendar as refusal:
        assert STATUS.get(name) != "ok", f"the reference reads it, we refused: {refusal.reason}"
        assert len(refusal.reason) > 10
        return
    notes = result.warnings + [s.reason for s in result.skipped]
    limited = any("limit" in note or "CPU time" in note for note in notes)
    assert limited == (name in LIMITED), notes
    if STATUS.get(name) != "ok":
        return
    expected = reference_busy(data, start=start, end=end, zone=ZONE)
    if name in EXPECTED_DIFFERENCES:
        assert result.busy != expected, f"{name} now agrees: drop it from EXPECTED_DIFFERENCES"
    else:
        assert result.busy == expected


def test_every_indexed_file_exists() -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"no corpus at {CORPUS}")
    missing = [name for name in STATUS if not (CORPUS / name).is_file()]
    assert missing == []
