"""The benchmark: ``python -m bench.run`` (``make bench``).

Measures, on the same generated input in one run:

1. ingestion: our ``integrations.ics.ingest`` against the icalendar parse alone
   (``icalendar.Calendar.from_ical``) and against the usual library pipeline
   (``integrations.ics.reference_busy``), for calendars of 500, 2,000 and 20,000 VEVENTs;
2. planning: ``planner.core.proposals.propose`` for two 20,000-event calendars (partners in
   Europe/Berlin and America/New_York, default rituals, busy from ingest over the bench year)
   over 4 and 52 weeks, against one ingest of the 20,000-event calendar.

Every figure is the best (minimum) wall time of a few repetitions after one warm-up. It also
checks that ingest's busy time equals reference_busy's on every calendar it generates, and
prints a MISMATCH line and exits 1 when it does not. The output ends with two lines a script
can read: ``ingest_vs_icalendar_parse: <x.xx>`` and ``plan4w_vs_ingest: <x.xxx>``.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import metadata
from typing import TypeVar
from zoneinfo import ZoneInfo

import icalendar

from bench.generate import YEAR_END, YEAR_START, calendar
from integrations.ics import IngestResult, Limits, ingest, reference_busy
from planner.core.intervals import Interval
from planner.core.proposals import PartnerPlan, Proposal, propose
from planner.core.rituals import DEFAULT_RITUALS, Ritual, ritual
from planner.core.windows import parse_windows

T = TypeVar("T")

SIZES = (500, 2_000, 20_000)
REPEATS = {500: 5, 2_000: 3, 20_000: 2}
"""Timed repetitions per size (after one warm-up on the smallest calendar)."""
PLAN_REPEATS = {4: 5, 52: 3}
SEED = 1
ZONE_A, ZONE_B = "Europe/Berlin", "America/New_York"
WINDOWS = "Mon-Fri 07:00-09:00; Mon-Fri 18:00-23:00; Sat,Sun 09:00-23:00"
BENCH_LIMITS = Limits(max_bytes=1 << 30, max_occurrences=10_000_000, cpu_seconds=1e6)
"""Limits high enough never to cut a bench run short: the bench times work, not the guards."""
TARGET_INGEST_VS_PARSE = 1.3
TARGET_PLAN4W_VS_INGEST = 0.05


@dataclass
class IngestRow:
    """Best-of-N wall times (seconds) and results for one calendar size."""

    n_events: int
    n_bytes: int
    parse: float = float("inf")
    reference: float = float("inf")
    ingest: float = float("inf")
    busy: int = 0
    occurrences: int = 0
    skipped: int = 0


@dataclass(frozen=True)
class PlanRow:
    """Best-of-N wall time (seconds) of planning ``weeks`` weeks, and how much it proposed."""

    weeks: int
    seconds: float
    proposals: int


class Mismatches:
    """Collects the calendars on which ingest and reference_busy disagree."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def check(self, label: str, ours: Sequence[Interval], reference: Sequence[Interval]) -> None:
        """Compare two busy sets; record and print a loud line when they differ."""
        if list(ours) == list(reference):
            progress(f"  {label}: ingest busy == reference_busy ({len(ours)} intervals)")
            return
        only_ours = sorted(set(ours) - set(reference))
        only_ref = sorted(set(reference) - set(ours))
        where = "none (same intervals, other order)"
        if only_ours or only_ref:
            side, first = ("ingest", only_ours[0]) if only_ours else ("reference", only_ref[0])
            where = f"[{first.start.isoformat()}, {first.end.isoformat()}) only in {side}"
        line = (
            f"MISMATCH: {label}: ingest busy differs from reference_busy: "
            f"{len(only_ours)} intervals only in ingest, {len(only_ref)} only in reference; "
            f"first: {where}"
        )
        self.lines.append(line)
        progress(line)


def progress(message: str) -> None:
    """A progress line on stderr."""
    print(message, file=sys.stderr, flush=True)


def timed(work: Callable[[], T]) -> tuple[float, T]:
    """The wall time of one call of ``work`` (``time.perf_counter``) and its result."""
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def run_parse(data: bytes) -> icalendar.Calendar:
    """The icalendar parse alone."""
    return icalendar.Calendar.from_ical(data)


def run_reference(data: bytes, zone: str) -> list[Interval]:
    """The usual library pipeline over the bench year."""
    return reference_busy(data, start=YEAR_START, end=YEAR_END, zone=zone)


def run_ingest(data: bytes, zone: str) -> IngestResult:
    """Our ingestion over the bench year."""
    return ingest(data, start=YEAR_START, end=YEAR_END, zone=zone, limits=BENCH_LIMITS)


def generated(n_events: int, zone: str) -> bytes:
    """The bench calendar of ``n_events`` events for a partner in ``zone``, with progress."""
    seconds, data = timed(lambda: calendar(n_events, SEED, zone))
    progress(f"{n_events} events ({zone}): generated {len(data) / 1e6:.1f} MB in {seconds:.1f}s")
    return data


def warm_up() -> None:
    """One untimed run of every measured function on the smallest calendar."""
    progress("warm-up ...")
    data = calendar(SIZES[0], SEED, ZONE_A)
    run_parse(data)
    run_reference(data, ZONE_A)
    run_ingest(data, ZONE_A)


def measure_ingest(n_events: int, mismatches: Mismatches) -> tuple[IngestRow, IngestResult]:
    """Parse, reference and ingest timings for one size; repetitions are interleaved."""
    data = generated(n_events, ZONE_A)
    row = IngestRow(n_events, len(data))
    for rep in range(REPEATS.get(n_events, 2)):
        row.parse = min(row.parse, timed(lambda: run_parse(data))[0])
        seconds, reference = timed(lambda: run_reference(data, ZONE_A))
        row.reference = min(row.reference, seconds)
        seconds, result = timed(lambda: run_ingest(data, ZONE_A))
        row.ingest = min(row.ingest, seconds)
        progress(
            f"  rep {rep + 1}: parse {row.parse:.3f}s  reference {row.reference:.3f}s  "
            f"ingest {row.ingest:.3f}s  (best so far)"
        )
    mismatches.check(f"{n_events} events, {ZONE_A}", result.busy, reference)
    row.busy, row.occurrences, row.skipped = (
        len(result.busy),
        result.occurrences,
        len(result.skipped),
    )
    return row, result


def check_partner(n_events: int, mismatches: Mismatches) -> IngestResult:
    """The second partner's calendar: one ingest, checked against reference_busy."""
    data = generated(n_events, ZONE_B)
    result = run_ingest(data, ZONE_B)
    mismatches.check(f"{n_events} events, {ZONE_B}", result.busy, run_reference(data, ZONE_B))
    return result


def measure_plans(busy_a: Sequence[Interval], busy_b: Sequence[Interval]) -> list[PlanRow]:
    """Planning time for both partners over 4 and 52 weeks from the start of the bench year."""
    windows = parse_windows(WINDOWS)
    a = PartnerPlan("A", ZoneInfo(ZONE_A), windows, busy_a)
    b = PartnerPlan("B", ZoneInfo(ZONE_B), windows, busy_b)
    rituals: list[Ritual] = [ritual(key) for key in DEFAULT_RITUALS]
    return [plan_row(a, b, rituals, weeks, repeats) for weeks, repeats in PLAN_REPEATS.items()]


def plan_row(
    a: PartnerPlan, b: PartnerPlan, rituals: Sequence[Ritual], weeks: int, repeats: int
) -> PlanRow:
    """Best-of-``repeats`` time of planning ``weeks`` weeks from the start of the bench year."""

    def plan() -> list[Proposal]:
        return propose(a, b, rituals, now=YEAR_START, start=YEAR_START, weeks=weeks)

    plan()  # warm-up
    runs = [timed(plan) for _ in range(repeats)]
    best = min(seconds for seconds, _ in runs)
    proposals = len(runs[-1][1])
    progress(f"planning {weeks} weeks: {best:.4f}s, {proposals} proposals")
    return PlanRow(weeks, best, proposals)


def verdict(ok: bool) -> str:
    """``ok`` or ``MISSED`` beside a target."""
    return "ok" if ok else "MISSED"


def ingest_table(rows: Sequence[IngestRow]) -> list[str]:
    """The ingestion table, one line per size."""
    lines = [
        f"Ingestion over one year ({YEAR_START:%Y-%m-%d} .. {YEAR_END:%Y-%m-%d}), "
        f"home zone {ZONE_A}, best of N:",
        f"{'events':>7} {'MB':>6} {'N':>2} {'parse s':>9} {'reference s':>12} {'ingest s':>9} "
        f"{'occurr.':>8} {'busy':>6} {'ingest/parse':>13} {'ingest/ref':>11} {'ref/parse':>10}",
    ]
    for r in rows:
        lines.append(
            f"{r.n_events:>7} {r.n_bytes / 1e6:>6.1f} {REPEATS.get(r.n_events, 2):>2} "
            f"{r.parse:>9.3f} {r.reference:>12.3f} {r.ingest:>9.3f} {r.occurrences:>8} "
            f"{r.busy:>6} {r.ingest / r.parse:>12.2f}x {r.ingest / r.reference:>10.2f}x "
            f"{r.reference / r.parse:>9.2f}x" + (f"  ({r.skipped} skipped)" if r.skipped else "")
        )
    return lines


def plan_table(plans: Sequence[PlanRow], one_ingest: float, n_events: int) -> list[str]:
    """The planning table, one line per horizon."""
    lines = [
        f"Planning for two {n_events}-event calendars ({ZONE_A} + {ZONE_B}, "
        f"rituals {', '.join(DEFAULT_RITUALS)}), vs one ingest ({one_ingest:.3f}s):",
        f"{'weeks':>7} {'N':>2} {'plan s':>9} {'proposals':>10} {'plan/ingest':>12}",
    ]
    for p in plans:
        lines.append(
            f"{p.weeks:>7} {PLAN_REPEATS[p.weeks]:>2} {p.seconds:>9.4f} {p.proposals:>10} "
            f"{p.seconds / one_ingest:>12.3f}"
        )
    return lines


def report(rows: Sequence[IngestRow], plans: Sequence[PlanRow], mismatches: Mismatches) -> None:
    """The readable tables, the targets, any mismatches, then the two machine-read lines."""
    largest = rows[-1]
    vs_parse = largest.ingest / largest.parse
    plan4w = next(p for p in plans if p.weeks == 4).seconds / largest.ingest
    versions = ", ".join(
        f"{name} {metadata.version(name)}"
        for name in ("icalendar", "recurring-ical-events", "x-wr-timezone")
    )
    out = [f"Connection Planner bench: Python {platform.python_version()}, {versions}", ""]
    out += [*ingest_table(rows), "", *plan_table(plans, largest.ingest, largest.n_events), ""]
    out.append("Targets:")
    out.append(
        f"  ingest <= {TARGET_INGEST_VS_PARSE}x icalendar parse on {largest.n_events} events: "
        f"{vs_parse:.2f}x  {verdict(vs_parse <= TARGET_INGEST_VS_PARSE)}"
    )
    out.append(
        f"  plan 4 weeks < {TARGET_PLAN4W_VS_INGEST} of one ingest: "
        f"{plan4w:.3f}  {verdict(plan4w < TARGET_PLAN4W_VS_INGEST)}"
    )
    out += mismatches.lines or ["Busy time of ingest == reference_busy on every calendar."]
    out += ["", f"ingest_vs_icalendar_parse: {vs_parse:.2f}", f"plan4w_vs_ingest: {plan4w:.3f}"]
    print("\n".join(out), flush=True)


def main(argv: list[str] | None = None) -> int:
    """Run the bench; exit 1 when ingest and reference_busy disagree on any calendar."""
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument(
        "--sizes",
        default=",".join(map(str, SIZES)),
        help="comma-separated VEVENT counts; planning uses the largest (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    sizes = sorted(int(part) for part in args.sizes.replace("_", "").split(","))
    started = time.perf_counter()
    mismatches = Mismatches()
    warm_up()
    rows: list[IngestRow] = []
    for n_events in sizes:
        row, result_a = measure_ingest(n_events, mismatches)
        rows.append(row)
        result_b = check_partner(n_events, mismatches)
    plans = measure_plans(result_a.busy, result_b.busy)
    report(rows, plans, mismatches)
    progress(f"bench finished in {time.perf_counter() - started:.0f}s")
    return 1 if mismatches.lines else 0


if __name__ == "__main__":
    raise SystemExit(main())
