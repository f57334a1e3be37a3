"""The ``planner`` command: busy times of a calendar, and a plan of connection time for two.

Exit codes: 0 success, 2 usage error, 3 unreadable input. Errors are one line on
stderr, never a traceback. The command reads the clock (``--now`` overrides it);
everything below it takes "now" as an argument.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import NoReturn
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from integrations.ics import IngestResult, UnreadableCalendar, ingest
from integrations.ics.invites import Invite, Person, invite_calendar, stable_uid
from planner.core.intervals import Interval
from planner.core.proposals import PartnerPlan, Proposal, propose
from planner.core.rituals import CATALOGUE, Ritual, default_rituals, lives_apart, ritual
from planner.core.windows import WeeklyWindow, WindowSpecError, parse_windows

EXIT_USAGE = 2
EXIT_UNREADABLE = 3
DEFAULT_WINDOWS = "Mon-Fri 07:00-09:00; Mon-Fri 18:00-23:00; Sat,Sun 09:00-23:00"
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


class CliError(Exception):
    """A failure reported as one line with an exit code."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line and exit code 2."""

    def error(self, message: str) -> NoReturn:
        raise CliError(f"{self.prog}: {message} (see '{self.prog} --help')", EXIT_USAGE)


# ---- argument types ---------------------------------------------------------------------------


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise argparse.ArgumentTypeError(f"unknown time zone {name!r}") from None


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _moment(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO date-time: {text!r}") from None
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(f"date-time needs a UTC offset: {text!r}")
    return value


def _windows(spec: str) -> tuple[WeeklyWindow, ...]:
    try:
        return parse_windows(spec)
    except WindowSpecError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _rituals(spec: str) -> tuple[Ritual, ...]:
    try:
        return tuple(ritual(key.strip()) for key in spec.split(",") if key.strip())
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _person(email: str) -> Person:
    try:
        return Person(email)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _weeks(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 52:
        raise argparse.ArgumentTypeError(f"weeks must be a whole number from 1 to 52, not {text!r}")
    return int(text)


# ---- reading calendars ------------------------------------------------------------------------


def midnight(day: date, zone: ZoneInfo) -> datetime:
    """Local midnight of ``day`` in ``zone`` (an aware datetime)."""
    return datetime.combine(day, time(0), tzinfo=zone)


def read_busy(path: Path, zone: ZoneInfo, start: datetime, end: datetime) -> IngestResult:
    """Busy time of one .ics file; unreadable input becomes a CliError with exit code 3."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror or exc}", EXIT_UNREADABLE) from None
    try:
        result = ingest(data, start=start, end=end, zone=zone)
    except UnreadableCalendar as exc:
        raise CliError(f"cannot read {path}: {exc.reason}", EXIT_UNREADABLE) from None
    for skipped in result.skipped:
        print(
            f"warning: {path.name}: skipped event {skipped.uid or '(no UID)'}: {skipped.reason}",
            file=sys.stderr,
        )
    for warning in result.warnings:
        print(f"warning: {path.name}: {warning}", file=sys.stderr)
    return result


# ---- formatting -------------------------------------------------------------------------------


def utc_text(moment: datetime) -> str:
    """``2026-12-04T18:00:00Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def local_span(slot: Interval, zone: ZoneInfo) -> str:
    """``Fri 04 Dec 19:00-21:30`` in ``zone``; the end carries its own day when it differs."""
    start, end = slot.start.astimezone(zone), slot.end.astimezone(zone)
    end_fmt = "%H:%M" if end.date() == start.date() else "%a %H:%M"
    return f"{start:%a %d %b %H:%M}-{end.strftime(end_fmt)}"


def zone_label(zone: ZoneInfo) -> str:
    """``Berlin`` for ``Europe/Berlin``."""
    return str(zone.key).rsplit("/", 1)[-1].replace("_", " ")


# ---- commands ---------------------------------------------------------------------------------


def cmd_busy(args: argparse.Namespace) -> int:
    """``planner busy``: merged busy intervals of one calendar."""
    start, end = midnight(args.date_from, args.tz), midnight(args.date_to, args.tz)
    if end <= start:
        raise CliError("planner busy: --to must be after --from", EXIT_USAGE)
    busy = read_busy(args.file, args.tz, start, end).busy
    if args.json:
        print(json.dumps([{"start": utc_text(i.start), "end": utc_text(i.end)} for i in busy]))
        return 0
    for item in busy:
        print(f"{local_span(item, args.tz)}  ({item.duration})")
    print(f"{len(busy)} busy intervals in {zone_label(args.tz)} time", file=sys.stderr)
    return 0


@dataclass(frozen=True)
class Couple:
    """What ``plan`` knows of the two partners, with labels for output."""

    a: PartnerPlan
    b: PartnerPlan


def plan_couple(args: argparse.Namespace, now: datetime) -> tuple[Couple, list[Proposal]]:
    """Read both calendars and propose slots over the horizon."""
    start = midnight(args.date_from or now.astimezone(args.tz_a).date(), args.tz_a)
    end = start + timedelta(weeks=args.weeks)
    plans = []
    for path, zone, windows, name in (
        (args.file_a, args.tz_a, args.windows_a, args.name_a),
        (args.file_b, args.tz_b, args.windows_b, args.name_b),
    ):
        busy = read_busy(path, zone, start - timedelta(days=1), end + timedelta(days=1)).busy
        plans.append(PartnerPlan(name=name, zone=zone, windows=windows, busy=busy))
    rituals = args.rituals or default_rituals(lives_apart(args.tz_a, args.tz_b, start))
    couple = Couple(plans[0], plans[1])
    return couple, propose(couple.a, couple.b, rituals, now=now, start=start, weeks=args.weeks)


def print_table(couple: Couple, proposals: Sequence[Proposal]) -> None:
    """A readable plan: each partner's local time, the ritual and the reason."""
    names = {r.key: r.name for r in CATALOGUE.values()}
    head_a = f"{couple.a.name} ({zone_label(couple.a.zone)})"
    head_b = f"{couple.b.name} ({zone_label(couple.b.zone)})"
    print(f"{'Week':<5} {'Ritual':<26} {head_a:<28} {head_b:<28} Score")
    for p in proposals:
        print(
            f"{p.week + 1:<5} {names.get(p.ritual, p.ritual):<26} "
            f"{local_span(p.slot, couple.a.zone):<28} {local_span(p.slot, couple.b.zone):<28} "
            f"{p.score:.2f}"
        )
        print(f"{'':<5} {p.reason}")
    if not proposals:
        print("No slots found: there is no shared free time inside your windows.")


def missing_rituals(
    rituals: Sequence[Ritual], proposals: Sequence[Proposal], weeks: int
) -> list[str]:
    """One line for every ritual and week that got fewer slots than it wanted."""
    lines = []
    for r in rituals:
        for week in range(weeks):
            got = sum(1 for p in proposals if p.ritual == r.key and p.week == week)
            if got < r.per_week:
                lines.append(
                    f"note: week {week + 1}: {r.name}: {got} of {r.per_week} slots found "
                    "(not enough shared free time inside its windows)"
                )
    return lines


def write_invites(
    args: argparse.Namespace, couple: Couple, proposals: Sequence[Proposal], now: datetime
) -> None:
    """Write the proposals as RFC 5546 REQUEST invites to ``args.ics``."""
    people = [p for p in (args.email_a, args.email_b) if p is not None]
    invites = [
        Invite(
            uid=stable_uid(p.ritual, utc_text(p.slot.start), couple.a.name, couple.b.name),
            start=p.slot.start,
            end=p.slot.end,
            summary=f"{ritual(p.ritual).name} ({couple.a.name} & {couple.b.name})",
            description=f"{ritual(p.ritual).description}\n\nWhy this time: {p.reason}",
            status="TENTATIVE",
            organizer=people[0] if people else None,
            attendees=people,
            categories=("Connection time",),
        )
        for p in proposals
    ]
    try:
        args.ics.write_bytes(invite_calendar(invites, method="REQUEST", stamp=now))
    except OSError as exc:
        raise CliError(f"cannot write {args.ics}: {exc.strerror or exc}", EXIT_UNREADABLE) from None


def cmd_plan(args: argparse.Namespace) -> int:
    """``planner plan``: proposals for two calendars."""
    now = args.now or datetime.now(UTC)
    couple, proposals = plan_couple(args, now)
    rituals = args.rituals or default_rituals(lives_apart(args.tz_a, args.tz_b, now))
    if args.ics:
        write_invites(args, couple, proposals, now)
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "ritual": p.ritual,
                        "start": utc_text(p.slot.start),
                        "end": utc_text(p.slot.end),
                        "score": round(p.score, 4),
                        "reason": p.reason,
                    }
                    for p in proposals
                ],
                indent=2,
            )
        )
    else:
        print_table(couple, proposals)
    for line in missing_rituals(rituals, proposals, args.weeks):
        print(line, file=sys.stderr)
    return 0


DEMO_FROM = date(2026, 11, 30)


def cmd_demo(args: argparse.Namespace) -> int:
    """``planner demo``: the sample couple from examples/, two weeks from a fixed Monday."""
    lena, sam = args.examples / "lena-berlin.ics", args.examples / "sam-newyork.ics"
    print("Connection Planner demo: Lena lives in Berlin, Sam in New York.")
    print(f"Their calendars: {lena} and {sam}")
    print(f"Planning two weeks from Monday {DEMO_FROM:%d %B %Y}.\n")
    argv = [
        "plan", str(lena), str(sam), "--tz-a", "Europe/Berlin", "--tz-b", "America/New_York",
        "--name-a", "Lena", "--name-b", "Sam", "--from", DEMO_FROM.isoformat(),
        "--weeks", "2", "--now", f"{DEMO_FROM - timedelta(days=1)}T12:00:00+01:00",
    ]  # fmt: skip
    return cmd_plan(build_parser().parse_args(argv))


# ---- parser -----------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """The ``planner`` argument parser with its sub-commands."""
    parser = _Parser(prog="planner", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    busy = sub.add_parser("busy", help="merged busy intervals of one .ics file")
    busy.add_argument("file", type=Path, help="an iCalendar (.ics) file")
    busy.add_argument("--from", dest="date_from", type=_date, required=True, help="first day")
    busy.add_argument("--to", dest="date_to", type=_date, required=True, help="day after the last")
    busy.add_argument("--tz", type=_zone, required=True, help="IANA zone of the owner")
    busy.add_argument("--json", action="store_true", help="print a JSON array (UTC)")
    busy.set_defaults(func=cmd_busy)

    plan = sub.add_parser("plan", help="propose connection time for two calendars")
    plan.add_argument("file_a", type=Path, help="partner A's .ics file")
    plan.add_argument("file_b", type=Path, help="partner B's .ics file")
    plan.add_argument("--tz-a", type=_zone, required=True, help="partner A's IANA zone")
    plan.add_argument("--tz-b", type=_zone, required=True, help="partner B's IANA zone")
    plan.add_argument("--name-a", default="Partner A", help="partner A's name in reasons")
    plan.add_argument("--name-b", default="Partner B", help="partner B's name in reasons")
    plan.add_argument("--from", dest="date_from", type=_date, help="first day (A's zone; today)")
    plan.add_argument("--weeks", type=_weeks, default=2, help="weeks to plan, 1-52 (2)")
    keys = ",".join(CATALOGUE)
    plan.add_argument("--rituals", type=_rituals, help=f"comma-separated, from: {keys}")
    for who in ("a", "b"):
        plan.add_argument(
            f"--windows-{who}",
            type=_windows,
            default=parse_windows(DEFAULT_WINDOWS),
            help=f"when partner {who.upper()} likes to meet ('{DEFAULT_WINDOWS}')",
        )
        plan.add_argument(f"--email-{who}", type=_person, help=f"partner {who.upper()}'s e-mail")
    plan.add_argument("--json", action="store_true", help="print a JSON array (UTC)")
    plan.add_argument("--ics", type=Path, help="also write the proposals as invites to this file")
    plan.add_argument("--now", type=_moment, help="pretend it is this moment (ISO, with offset)")
    plan.set_defaults(func=cmd_plan)

    demo = sub.add_parser("demo", help="plan for the sample couple in examples/")
    demo.add_argument("--examples", type=Path, default=EXAMPLES, help="folder of the samples")
    demo.set_defaults(func=cmd_demo)

    from planner.server_cli import add_commands

    add_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``planner`` command."""
    try:
        args = build_parser().parse_args(argv)
        code: int = args.func(args)
        return code
    except CliError as exc:
        print(str(exc), file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
