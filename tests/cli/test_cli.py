"""The ``planner`` command, run as a user runs it: a subprocess, its output and exit code."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from icalendar import Calendar

from tests.conftest import ROOT

LENA = ROOT / "examples" / "lena-berlin.ics"
SAM = ROOT / "examples" / "sam-newyork.ics"
PLAN = [
    "plan", str(LENA), str(SAM), "--tz-a", "Europe/Berlin", "--tz-b", "America/New_York",
    "--name-a", "Lena", "--name-b", "Sam", "--from", "2026-11-30", "--weeks", "2",
    "--now", "2026-11-29T12:00:00+01:00",
]  # fmt: skip


def planner(*args: str) -> subprocess.CompletedProcess[str]:
    """Run ``planner ARGS`` and capture its output."""
    return subprocess.run(
        [sys.executable, "-m", "planner.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def parse_z(text: str) -> datetime:
    assert text.endswith("Z"), text
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def busy_json(path: Path, zone: str) -> list[tuple[datetime, datetime]]:
    run = planner("busy", str(path), "--from", "2026-11-30", "--to", "2026-12-14", "--tz", zone,
                  "--json")  # fmt: skip
    assert run.returncode == 0, run.stderr
    return [(parse_z(i["start"]), parse_z(i["end"])) for i in json.loads(run.stdout)]


def test_busy_json_is_sorted_merged_half_open_utc() -> None:
    busy = busy_json(LENA, "Europe/Berlin")
    assert busy, "the sample calendar has busy time"
    assert all(start < end for start, end in busy)
    assert all(a[1] < b[0] for a, b in itertools.pairwise(busy)), "sorted and merged"
    assert busy[0][0] >= datetime.fromisoformat("2026-11-29T23:00:00+00:00")
    assert busy[-1][1] <= datetime.fromisoformat("2026-12-13T23:00:00+00:00")


def test_busy_reads_the_sample_like_a_person_would() -> None:
    busy = busy_json(LENA, "Europe/Berlin")
    as_text = {(s.isoformat(), e.isoformat()) for s, e in busy}
    # Monday stand-up 09:30-09:45 Berlin, then the focus block 10:00-12:30.
    assert ("2026-11-30T08:30:00+00:00", "2026-11-30T08:45:00+00:00") in as_text
    # The Lisbon trip: 10-12 December, all day in Berlin.
    assert ("2026-12-09T23:00:00+00:00", "2026-12-12T23:00:00+00:00") in as_text
    # The cancelled dinner on Saturday 5 December (19:00-22:00 Berlin) is free.
    dinner = (parse_z("2026-12-05T18:00:00Z"), parse_z("2026-12-05T21:00:00Z"))
    assert not any(s < dinner[1] and dinner[0] < e for s, e in busy)
    # The design review moved to 16:30-18:00 on 8 December (RECURRENCE-ID override).
    assert ("2026-12-08T15:30:00+00:00", "2026-12-08T17:00:00+00:00") in as_text


def test_busy_table_shows_local_times() -> None:
    run = planner("busy", str(SAM), "--from", "2026-12-01", "--to", "2026-12-02", "--tz",
                  "America/New_York")  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "Tue 01 Dec 08:30-12:00" in run.stdout


def test_plan_json_has_the_documented_shape_and_avoids_busy_time() -> None:
    run = planner(*PLAN, "--json")
    assert run.returncode == 0, run.stderr
    proposals = json.loads(run.stdout)
    assert proposals
    busy = busy_json(LENA, "Europe/Berlin") + busy_json(SAM, "America/New_York")
    for p in proposals:
        assert list(p) == ["ritual", "start", "end", "score", "reason"]
        start, end = parse_z(p["start"]), parse_z(p["end"])
        assert not any(s < end and start < e for s, e in busy)
        assert 0 <= p["score"] <= 1 and p["reason"]


def test_plan_is_deterministic() -> None:
    assert planner(*PLAN, "--json").stdout == planner(*PLAN, "--json").stdout


def test_plan_table_shows_both_partners_clocks() -> None:
    run = planner(*PLAN)
    assert run.returncode == 0, run.stderr
    assert "Lena (Berlin)" in run.stdout and "Sam (New York)" in run.stdout
    assert "Date night" in run.stdout


def test_plan_writes_invites(tmp_path: Path) -> None:
    out = tmp_path / "plan.ics"
    args = [*PLAN, "--ics", str(out), "--email-a", "lena@example.org", "--email-b", "sam@ex.com"]
    assert planner(*args).returncode == 0
    calendar = Calendar.from_ical(out.read_bytes())
    events = calendar.walk("VEVENT")
    assert calendar["METHOD"] == "REQUEST" and events
    for event in events:
        assert event["STATUS"] == "TENTATIVE"
        assert str(event["ORGANIZER"]) == "mailto:lena@example.org"
        assert len(event["ATTENDEE"]) == 2
        assert "Why this time:" in str(event["DESCRIPTION"])
    first_uids = [str(e["UID"]) for e in events]
    assert planner(*args).returncode == 0
    assert [str(e["UID"]) for e in Calendar.from_ical(out.read_bytes()).walk("VEVENT")] == (
        first_uids
    )


def test_demo_runs() -> None:
    run = planner("demo")
    assert run.returncode == 0, run.stderr
    assert "Lena (Berlin)" in run.stdout


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["busy", str(LENA), "--from", "2026-11-30", "--to", "2026-12-01", "--tz", "Mars/Base"],
         "unknown time zone"),
        (["busy", str(LENA), "--from", "30/11/2026", "--to", "2026-12-01", "--tz", "UTC"],
         "not a date"),
        (["busy", str(LENA), "--from", "2026-12-01", "--to", "2026-11-30", "--tz", "UTC"],
         "--to must be after --from"),
        (["busy", str(LENA), "--tz", "UTC"], "required"),
        ([*PLAN, "--windows-a", "Fry 18:00-22:00"], "Fry"),
        ([*PLAN, "--rituals", "date-night,picnic"], "picnic"),
        ([*PLAN, "--weeks", "0"], "weeks"),
        ([*PLAN, "--email-a", "not-an-address"], "not-an-address"),
        (["frobnicate"], "invalid choice"),
    ],
)  # fmt: skip
def test_usage_errors_exit_2_with_one_line(args: list[str], needle: str) -> None:
    run = planner(*args)
    assert run.returncode == 2
    assert needle in run.stderr
    assert run.stderr.count("\n") == 1 and "Traceback" not in run.stderr


def test_missing_file_exits_3(tmp_path: Path) -> None:
    run = planner("busy", str(tmp_path / "nope.ics"), "--from", "2026-11-30", "--to",
                  "2026-12-01", "--tz", "UTC")  # fmt: skip
    assert run.returncode == 3
    assert "nope.ics" in run.stderr and "Traceback" not in run.stderr


@pytest.mark.parametrize(
    "content", [b"", b"hello, world\n", b"\x89PNG\r\n\x1a\n" + bytes(range(256))]
)
def test_unreadable_input_exits_3(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.ics"
    path.write_bytes(content)
    run = planner("busy", str(path), "--from", "2026-11-30", "--to", "2026-12-01", "--tz", "UTC")
    assert run.returncode == 3
    assert run.stderr.startswith("cannot read") and run.stderr.count("\n") == 1


def test_oversized_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "huge.ics"
    path.write_bytes(b"BEGIN:VCALENDAR\r\n" + b"X-PAD:" + b"x" * (26 * 1024 * 1024) + b"\r\n")
    run = planner("busy", str(path), "--from", "2026-11-30", "--to", "2026-12-01", "--tz", "UTC")
    assert run.returncode == 3 and "limit" in run.stderr


def test_skipped_events_are_warned_on_stderr(tmp_path: Path) -> None:
    path = tmp_path / "one-bad.ics"
    path.write_text(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//\r\n"
        "BEGIN:VEVENT\r\nUID:good\r\nDTSTART:20261201T100000Z\r\nDTEND:20261201T110000Z\r\n"
        "END:VEVENT\r\n"
        "BEGIN:VEVENT\r\nUID:bad\r\nDTSTART:20261201T100000Z\r\nDTEND:20261201T110000Z\r\n"
        "RRULE:FREQ=DAILY;INTERVAL=0\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    run = planner("busy", str(path), "--from", "2026-12-01", "--to", "2026-12-02", "--tz", "UTC",
                  "--json")  # fmt: skip
    assert run.returncode == 0
    assert json.loads(run.stdout) == [
        {"start": "2026-12-01T10:00:00Z", "end": "2026-12-01T11:00:00Z"}
    ]
    assert "warning" in run.stderr and "bad" in run.stderr
