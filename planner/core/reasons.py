"""Plain-language reasons for proposals.

A reason names times on the partners' own clocks (both clocks when their zones
differ) and the partners by name. It never names what a busy block was: the
core does not even know; it only says when a partner's commitments end or start.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from planner.core.intervals import Interval
from planner.core.scoring import PartnerView
from planner.core.windows import local_instant


def city(zone: ZoneInfo) -> str:
    """A readable place name for a zone: ``America/New_York`` -> ``New York``."""
    return zone.key.rsplit("/", 1)[-1].replace("_", " ")


def place(zone: ZoneInfo) -> str:
    """How to say where a clock is: ``in Berlin``, or just ``UTC`` for the UTC zones."""
    name = city(zone)
    return name if zone.key.startswith("Etc/") or zone.key == "UTC" else f"in {name}"


def zone_time(zone: ZoneInfo) -> str:
    """How to label a time on that clock: ``Berlin time`` or ``UTC``."""
    name = city(zone)
    return name if zone.key.startswith("Etc/") or zone.key == "UTC" else f"{name} time"


def clock(moment: datetime, zone: ZoneInfo) -> str:
    """``HH:MM`` on the wall clock of ``zone``."""
    return moment.astimezone(zone).strftime("%H:%M")


def weekday(moment: datetime, zone: ZoneInfo) -> str:
    """The local weekday name of ``moment`` in ``zone``."""
    return moment.astimezone(zone).strftime("%A")


def explain(slot: Interval, region: Interval, a: PartnerView, b: PartnerView) -> str:
    """Why ``slot`` (inside the mutual free interval ``region``) was proposed, in one sentence."""
    opening = (
        _opening_same(slot, region, a) if a.zone.key == b.zone.key else _opening_cross(slot, a, b)
    )
    remarks = [r for r in (_neighbour(slot, p, a.zone.key != b.zone.key) for p in (a, b)) if r]
    detail = " and ".join(remarks) if remarks else "neither of you has anything else that day"
    return f"{opening}; {detail}."


def _opening_same(slot: Interval, region: Interval, view: PartnerView) -> str:
    """``You're both free Friday from 18:30 until 23:00`` on the shared clock."""
    day_start, day_end = _local_day(slot.start, view.zone)
    start, end = max(region.start, day_start), min(region.end, day_end)
    day = weekday(slot.start, view.zone)
    if start == day_start and end == day_end:
        when = clock(slot.start, view.zone)
        return f"You're both free all day {day}, so {when} leaves plenty of room"
    until = "midnight" if end == day_end else clock(end, view.zone)
    return f"You're both free {day} from {clock(start, view.zone)} until {until}"


def _opening_cross(slot: Interval, a: PartnerView, b: PartnerView) -> str:
    """``Friday 19:00 in Berlin is 13:00 in New York`` (with the day if it differs)."""
    there = clock(slot.start, b.zone)
    if weekday(slot.start, a.zone) != weekday(slot.start, b.zone):
        there = f"{weekday(slot.start, b.zone)} {there}"
    here = f"{weekday(slot.start, a.zone)} {clock(slot.start, a.zone)} {place(a.zone)}"
    return f"{here} is {there} {place(b.zone)}"


def _local_day(moment: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC bounds of the local day containing ``moment``."""
    day = moment.astimezone(zone).date()
    return local_instant(day, time(0), zone), local_instant(day + timedelta(days=1), time(0), zone)


def _neighbour(slot: Interval, view: PartnerView, zoned: bool) -> str:
    """The partner's nearest commitment on the same local day, or ``""`` if there is none."""
    day_start, day_end = _local_day(slot.start, view.zone)
    before, after = view.previous_end(slot), view.next_start(slot)
    before = before if before is not None and before > day_start else None
    after = after if after is not None and after < day_end else None
    suffix = f" {zone_time(view.zone)}" if zoned else ""
    if before is not None and (after is None or slot.start - before <= after - slot.end):
        return f"{view.name}'s last commitment that day ends at {clock(before, view.zone)}{suffix}"
    if after is not None:
        return f"{view.name}'s next commitment starts at {clock(after, view.zone)}{suffix}"
    return ""
