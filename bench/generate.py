"""Deterministic generator of realistic iCalendar files for the benchmark.

``calendar(n_events, seed, zone)`` returns the bytes of one exported calendar with exactly
``n_events`` VEVENT components, shaped like a busy professional's year (at 20,000 events,
several people's worth of meetings crammed into one person's working hours):

- recurring series: workday standups, weekly and biweekly 1:1s, team meetings, monthly
  all-hands, focus blocks, and a few personal ones (gym, a course, a daily dog walk), with
  open ends, UNTIL or COUNT; yearly all-day birthdays;
- EXDATEs (one per line or comma-joined), a few RDATEs, and RECURRENCE-ID overrides that move,
  lengthen, retitle or cancel (STATUS:CANCELLED) single instances;
- one-off meetings with attendees, alarms and long folded UTF-8 descriptions, created in the
  home zone, a colleague's zone or UTC; evening and weekend appointments; a few multi-day
  conferences and zero-length reminders; STATUS:CANCELLED and TENTATIVE ones;
- all-day events: vacations, offsites and personal days (busy), holidays and markers
  (TRANSP:TRANSPARENT, as Google makes all-day events by default), some without DTEND;
- trips: an all-day block and two flights whose DTSTART and DTEND have different TZIDs.

Three zones are used: the home zone (also X-WR-TIMEZONE) and two of ``ZONES``, each with a
VTIMEZONE block (see ``bench.icstext``). Work times are picked in the home zone's working
hours and written in the organiser's zone, so series in another zone drift by an hour around
DST changes, as real ones do. Nothing is placed in a DST gap or fold.

The same arguments always give the same bytes. Most events lie in ``[YEAR_START, YEAR_END)``;
some lie in the three months before, some series began up to 18 months earlier, and some run on.

CLI: ``python -m bench.generate N OUT.ics [--seed S] [--zone ZONE]``.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

from bench.icstext import (
    CRLF,
    Prop,
    date_prop,
    dt_prop,
    duration_value,
    escape,
    fold,
    render_event,
    utc_stamp,
    vtimezone,
)

YEAR_START = datetime(2026, 12, 1, tzinfo=UTC)
"""Start of the bench year: most generated events fall in ``[YEAR_START, YEAR_END)``."""
YEAR_END = YEAR_START + timedelta(days=365)
"""End of the bench year (exclusive)."""
ZONES = ("Europe/Berlin", "America/New_York", "Asia/Kolkata")
"""The zones a generated calendar uses: the home zone plus two of these."""
DEFAULT_ZONE = "Europe/Berlin"
EXPORTED = datetime(2026, 11, 24, 8, tzinfo=UTC)
"""When the calendar was "exported": its DTSTAMP, and no CREATED lies after it."""

FIRST_NAMES = (
    "Anna", "Jürgen", "Priya", "Marcus", "Chloé", "Sven", "Aisha", "Diego", "Mei", "Oliver",
    "Fatima", "Lukas", "Sofia", "Rahul", "Emma", "Noah", "Zoë", "Tomasz", "Ines", "Kwame",
)  # fmt: skip
LAST_NAMES = (
    "Müller", "Sharma", "Okafor", "Schmidt", "Dubois", "García", "Chen", "Kowalski", "Rossi",
    "Nguyen", "Johansson", "Patel", "Becker", "O'Brien", "Haddad", "Silva", "Kim", "Weiß",
)  # fmt: skip
TRANSLITERATION = str.maketrans(
    {"ü": "ue", "ö": "oe", "ä": "ae", "ß": "ss", "é": "e", "ë": "e", "í": "i", "'": None}
)
TOPICS = (
    "Q3 roadmap", "hiring loop", "budget review", "incident retro", "design crit", "API v2",
    "customer escalation", "OKR check-in", "vendor call", "security review", "launch prep",
    "pricing", "data migration", "onboarding", "board deck", "infra costs", "mobile release",
)  # fmt: skip
PERSONAL = (
    "Dentist", "Dinner with friends", "Haircut", "Parents' evening", "Concert", "Physio",
    "Car service", "Book club", "Cinema", "Vet appointment", "Climbing", "Pick up parcel",
)  # fmt: skip
PLACES = (
    "Room Elbe (3rd floor)", "Zoom", "Google Meet", "Café Einstein, Unter den Linden 42",
    "HQ, 5th Ave 350, New York", "Bengaluru office, Koramangala", "Microsoft Teams", "",
)  # fmt: skip
CITIES = ("New York", "Berlin", "Bengaluru", "Lisbon", "London", "Toronto", "Mumbai", "Vienna")
MARKERS = (
    "New Year's Day", "Good Friday", "Easter Monday", "Labour Day", "Ascension Day",
    "German Unity Day", "Christmas Day", "Thanksgiving", "Independence Day", "Diwali", "Holi",
    "Working from home", "Payday", "Sprint starts", "Bin collection", "Release freeze",
)  # fmt: skip
BUSY_DAYS = ("Moving day", "Sick day", "Wedding", "Jury duty", "Day off", "Training day")
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


@dataclass
class Counts:
    """What went into one generated calendar, for reports and tests."""

    by_kind: Counter[str] = field(default_factory=Counter)

    def add(self, kind: str, n: int = 1) -> None:
        """Count ``n`` more of ``kind``."""
        self.by_kind[kind] += n

    def lines(self) -> list[str]:
        """The counts as ``kind: n`` lines, sorted by kind."""
        return [f"{kind}: {n}" for kind, n in sorted(self.by_kind.items())]


@dataclass(frozen=True)
class Generated:
    """A generated calendar and the counts of what is in it."""

    data: bytes
    counts: Counts


@dataclass(frozen=True)
class SeriesKind:
    """A kind of recurring series: rule template, lengths, home-zone start hours, title."""

    name: str
    weight: int
    rule: str
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    title: str


WORK_SERIES = (
    SeriesKind("standup", 14, "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", (15,), (9, 10), "Standup"),
    SeriesKind("one_on_one", 24, "FREQ=WEEKLY;BYDAY={day}", (30, 45), (10, 12, 14, 16), "1:1 {p}"),
    SeriesKind("biweekly", 18, "FREQ=WEEKLY;INTERVAL=2;BYDAY={day}", (30, 60), (11, 15), "1:1 {p}"),
    SeriesKind("team", 18, "FREQ=WEEKLY;BYDAY={day}", (60, 90), (9, 11, 14), "Team sync: {t}"),
    SeriesKind("monthly", 8, "FREQ=MONTHLY;BYDAY={nth}{day}", (60,), (15, 16), "All-hands"),
    SeriesKind("focus", 6, "FREQ=WEEKLY;BYDAY={days}", (120, 180), (13, 14), "Focus time"),
)
PERSONAL_SERIES = (
    SeriesKind("gym", 3, "FREQ=WEEKLY;BYDAY={days}", (60, 75, 90), (7, 18, 19), "Gym"),
    SeriesKind("course", 2, "FREQ=WEEKLY;BYDAY={day};COUNT={count}", (90, 120), (18, 19), "Course"),
    SeriesKind("dog_walk", 1, "FREQ=DAILY", (30,), (7,), "Walk the dog"),
)


def calendar(n_events: int, seed: int = 1, zone: str = DEFAULT_ZONE) -> bytes:
    """The bytes of a realistic calendar with exactly ``n_events`` VEVENTs, home zone ``zone``."""
    return generate(n_events, seed, zone).data


def generate(n_events: int, seed: int = 1, zone: str = DEFAULT_ZONE) -> Generated:
    """A realistic calendar with exactly ``n_events`` VEVENTs and the counts of its parts."""
    if n_events < 1:
        raise ValueError(f"n_events must be at least 1, not {n_events}")
    return _Builder(random.Random(f"bench:{seed}:{n_events}:{zone}"), zone).build(n_events)


def _tz(zone: str) -> tzinfo:
    """The tzinfo of a zone name, ``"UTC"`` included."""
    return UTC if zone == "UTC" else ZoneInfo(zone)


def _unambiguous(moment: datetime, zone: str) -> bool:
    """True when ``moment``'s wall clock in ``zone`` names exactly one instant."""
    wall = moment.astimezone(_tz(zone)).replace(tzinfo=None)
    early, late = (wall.replace(tzinfo=_tz(zone), fold=fold) for fold in (0, 1))
    return early.utcoffset() == late.utcoffset()


class _Builder:
    """Builds one calendar; all randomness comes from ``rng``."""

    def __init__(self, rng: random.Random, zone: str) -> None:
        self.rng = rng
        self.home = zone
        self.zones = [zone, *[z for z in ZONES if z != zone][:2]]
        self.events: list[str] = []
        self.counts = Counts()

    def build(self, n_events: int) -> Generated:
        """Series with overrides, trips, all-day events, then one-offs up to ``n_events``."""
        left = n_events
        n_series = min(left, max(1, round(n_events * 0.05)))
        left -= self.add_series(n_series, min(round(n_events * 0.12), left - n_series))
        left -= self.add_trips(min(left // 3, 2 + n_events // 2000, 10))
        left -= self.add_all_day(min(left, round(n_events * 0.06)))
        self.add_one_offs(left)
        self.rng.shuffle(self.events)
        self.counts.add("VEVENT", len(self.events))
        return Generated(self.render().encode(), self.counts)

    def render(self) -> str:
        """The whole VCALENDAR text."""
        head = [
            "BEGIN:VCALENDAR",
            "PRODID:-//Connection Planner//bench generator//EN",
            "VERSION:2.0",
            "CALSCALE:GREGORIAN",
            "METHOD:PUBLISH",
            fold("X-WR-CALNAME:Work & life (bench)"),
            f"X-WR-TIMEZONE:{self.home}",
        ]
        zones = "".join(vtimezone(z) for z in self.zones)
        return CRLF.join(head) + CRLF + zones + "".join(self.events) + "END:VCALENDAR" + CRLF

    # small helpers ----------------------------------------------------------------------

    def uid(self) -> str:
        """A fresh deterministic UID."""
        return f"{self.rng.getrandbits(96):024x}@bench.connection-planner.test"

    def person(self) -> str:
        """A random colleague's name."""
        return f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}"

    def day_in(self, start: datetime, end: datetime, weekend_share: float) -> date:
        """A random day in ``[start, end)``, a weekday except for about ``weekend_share``."""
        span = (end - start).days
        while True:
            day = (start + timedelta(days=self.rng.randrange(span))).date()
            if day.weekday() < 5 or self.rng.random() < weekend_share:
                return day

    def year_day(self, weekend_share: float = 0.01) -> date:
        """A day mostly in the bench year, some in the three months before, a few after."""
        roll = self.rng.random()
        if roll < 0.08:
            lo, hi = YEAR_START - timedelta(days=92), YEAR_START
        elif roll < 0.97:
            lo, hi = YEAR_START, YEAR_END
        else:
            lo, hi = YEAR_END, YEAR_END + timedelta(days=60)
        return self.day_in(lo, hi, weekend_share)

    def at_home(self, day: date, hour: int, minute: int) -> datetime:
        """The aware moment ``day hour:minute`` on the home zone's wall clock."""
        return datetime.combine(day, time(hour, minute), _tz(self.home))

    def organiser_zone(self, moment: datetime) -> str:
        """The zone a meeting at ``moment`` was created in: home, a colleague's, or UTC.

        A colleague's zone is used only where ``moment`` is 06:00-21:59 on their wall clock.
        """
        zone = self.rng.choices((self.home, self.zones[1], self.zones[2], "UTC"), (68, 12, 8, 12))
        if zone[0] in (self.home, "UTC") or 6 <= moment.astimezone(_tz(zone[0])).hour < 22:
            return zone[0]
        return self.home

    def common(self, uid: str, created: datetime, sequence: int) -> list[Prop]:
        """The bookkeeping properties every exported event carries."""
        stamp = utc_stamp(min(created, EXPORTED))
        props: list[Prop] = [("DTSTAMP", utc_stamp(EXPORTED)), ("UID", uid)]
        props += [("CREATED", stamp), ("LAST-MODIFIED", stamp)]
        if sequence:
            props.append(("SEQUENCE", str(sequence)))
        return props

    def mail_to(self, name: str) -> str:
        """A mailto: URI for ``name`` (ASCII only)."""
        return f"mailto:{name.lower().translate(TRANSLITERATION).replace(' ', '.')}@example.com"

    def attendees(self, props: list[Prop], most: int) -> None:
        """Append an ORGANIZER and 1..``most`` ATTENDEEs with Google-style parameters."""
        organiser = self.person()
        props.append((f'ORGANIZER;CN="{organiser}"', self.mail_to(organiser)))
        for _ in range(self.rng.randint(1, most)):
            name = self.person()
            state = self.rng.choice(("ACCEPTED", "ACCEPTED", "NEEDS-ACTION", "TENTATIVE"))
            params = f"CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT={state};RSVP=TRUE"
            props.append((f'ATTENDEE;{params};CN="{name}";X-NUM-GUESTS=0', self.mail_to(name)))

    def description(self, props: list[Prop]) -> None:
        """Sometimes a long DESCRIPTION (a video link and an agenda); often a LOCATION."""
        if self.rng.random() < 0.45:
            code = f"{self.rng.getrandbits(40):010x}"
            text = (
                f"Join: https://meet.example.com/{code}\nAgenda:\n- {self.rng.choice(TOPICS)}"
                f"\n- {self.rng.choice(TOPICS)}, notes from {self.person()}\n"
                "Please read the doc beforehand; comments welcome."
            )
            props.append(("DESCRIPTION", escape(text)))
        place = self.rng.choice(PLACES)
        if place:
            props.append(("LOCATION", escape(place)))

    def alarm(self) -> list[Prop] | None:
        """A display alarm for about a third of events."""
        if self.rng.random() > 0.35:
            return None
        minutes = self.rng.choice((5, 10, 15, 30))
        return [("ACTION", "DISPLAY"), ("DESCRIPTION", "Reminder"), ("TRIGGER", f"-PT{minutes}M")]

    def end_prop(self, start: datetime, length: timedelta, zone: str) -> Prop:
        """DTEND in the same zone, or for some events a DURATION."""
        if self.rng.random() < 0.12:
            return "DURATION", duration_value(length)
        return dt_prop("DTEND", start + length, zone)

    def emit(self, props: list[Prop], alarm: list[Prop] | None = None) -> None:
        """Add one VEVENT; a few come out with their property order reversed."""
        if self.rng.random() < 0.03:
            props = props[::-1]
        self.events.append(render_event(props, alarm))

    # series -----------------------------------------------------------------------------

    def add_series(self, n_series: int, override_budget: int) -> int:
        """``n_series`` masters and up to ``override_budget`` overrides; returns VEVENTs added."""
        n_birthdays = min(round(n_series * 0.06), 40)
        n_personal = min(round(n_series * 0.15), 6, n_series - n_birthdays)
        for _ in range(n_birthdays):
            self.add_birthday()
        made = n_birthdays
        kinds = [self.pick(PERSONAL_SERIES) for _ in range(n_personal)]
        kinds += [self.pick(WORK_SERIES) for _ in range(n_series - n_birthdays - n_personal)]
        weights = [self.rng.paretovariate(1.2) for _ in kinds]
        for kind, weight in zip(kinds, weights, strict=True):
            share = min(override_budget, round(override_budget * weight / sum(weights)))
            made += self.add_one_series(kind, share)
        return made

    def pick(self, kinds: tuple[SeriesKind, ...]) -> SeriesKind:
        """A series kind, by weight."""
        return self.rng.choices(kinds, [k.weight for k in kinds])[0]

    def add_birthday(self) -> None:
        """A yearly, transparent all-day birthday series."""
        day = date(2020, 1, 1) + timedelta(days=self.rng.randrange(366))
        props = self.common(self.uid(), datetime(2020, 1, 1, tzinfo=UTC), 0)
        props += [date_prop("DTSTART", day), date_prop("DTEND", day + timedelta(days=1))]
        props += [("RRULE", "FREQ=YEARLY"), ("SUMMARY", escape(f"{self.person()}'s birthday"))]
        props.append(("TRANSP", "TRANSPARENT"))
        self.emit(props)
        self.counts.add("series: yearly birthday (all-day, transparent)")

    def add_one_series(self, kind: SeriesKind, n_overrides: int) -> int:
        """One timed series with exceptions and up to ``n_overrides`` overrides; VEVENTs added."""
        rng = self.rng
        first = self.day_in(YEAR_START - timedelta(days=540), YEAR_END - timedelta(days=45), 0.0)
        moment = self.at_home(first, rng.choice(kind.hours), rng.choice((0, 0, 15, 30)))
        zone = self.home if kind in PERSONAL_SERIES else self.series_zone(moment)
        moment = moment.astimezone(_tz(zone))
        rule = self.series_rule(kind, moment)
        occurrences = self.occurrences(rule, moment)
        if not occurrences:  # a short series that ended before its first instance: skip it
            return 0
        start, length = occurrences[0], timedelta(minutes=rng.choice(kind.minutes))
        title = kind.title.format(p=self.person(), t=rng.choice(TOPICS))
        props = self.common(uid := self.uid(), start - timedelta(days=rng.randint(1, 30)), 0)
        props += [dt_prop("DTSTART", start, zone), self.end_prop(start, length, zone)]
        props += [("RRULE", rule), ("SUMMARY", escape(title))]
        taken = self.series_exceptions(props, occurrences, zone)
        self.series_details(kind, props)
        self.emit(props, self.alarm())
        self.counts.add(f"series: {kind.name}" + (" (UTC)" if zone == "UTC" else ""))
        return 1 + self.add_overrides(uid, title, length, zone, occurrences, taken, n_overrides)

    def series_zone(self, moment: datetime) -> str:
        """Work series live mostly in the home zone; UTC ones are rarer than UTC one-offs."""
        zone = self.organiser_zone(moment)
        return zone if zone != "UTC" or self.rng.random() < 0.35 else self.home

    def series_rule(self, kind: SeriesKind, start: datetime) -> str:
        """A new RRULE for ``kind`` from ``start``: open-ended, with UNTIL, or with COUNT."""
        rng = self.rng
        day = WEEKDAYS[start.weekday()]
        days = ",".join(sorted(rng.sample(WEEKDAYS[:5], rng.choice((2, 3))), key=WEEKDAYS.index))
        nth = rng.choice((1, 2, -1))
        rule = kind.rule.format(day=day, days=days, nth=nth, count=rng.randint(6, 14))
        roll = rng.random()
        if "COUNT" in rule or roll < 0.5:
            return rule
        if roll < 0.85:
            until = start + timedelta(days=rng.randint(60, 720))
            return f"{rule};UNTIL={utc_stamp(until)}"
        return f"{rule};COUNT={rng.randint(5, 80)}"

    def occurrences(self, rule: str, start: datetime) -> list[datetime]:
        """Wall-clock starts of a series up to 60 days past the bench year (at most 2,000)."""
        found: list[datetime] = []
        limit = YEAR_END + timedelta(days=60)
        for moment in rrulestr(rule, dtstart=start):
            if moment >= limit or len(found) >= 2000:
                break
            found.append(moment)
        return found

    def series_details(self, kind: SeriesKind, props: list[Prop]) -> None:
        """Attendees and descriptions for work series; focus blocks are often transparent."""
        if kind in PERSONAL_SERIES:
            return
        if kind.name != "focus":
            self.attendees(props, 6 if kind.name in ("team", "monthly") else 1)
        self.description(props)
        if kind.name == "focus" and self.rng.random() < 0.5:
            props.append(("TRANSP", "TRANSPARENT"))

    def series_exceptions(
        self, props: list[Prop], occurrences: list[datetime], zone: str
    ) -> set[datetime]:
        """Append EXDATEs (now and then an RDATE); returns the instances the EXDATEs removed."""
        rng = self.rng
        if zone == "UTC" or len(occurrences) < 4:
            return set()
        taken: set[datetime] = set()
        if rng.random() < 0.4:
            picked = sorted(
                rng.sample(occurrences[1:], min(len(occurrences) - 1, rng.randint(1, 6)))
            )
            taken.update(picked)
            if rng.random() < 0.5:
                props.append(
                    (f"EXDATE;TZID={zone}", ",".join(dt_prop("", m, zone)[1] for m in picked))
                )
            else:
                props += [dt_prop("EXDATE", m, zone) for m in picked]
            self.counts.add("series EXDATE values", len(picked))
        if rng.random() < 0.04:
            extra = occurrences[-1] + timedelta(days=rng.randint(1, 10), hours=rng.randint(0, 3))
            props.append(dt_prop("RDATE", extra, zone))
            self.counts.add("series RDATE values")
        return taken

    def add_overrides(
        self,
        uid: str,
        title: str,
        length: timedelta,
        zone: str,
        occurrences: list[datetime],
        taken: set[datetime],
        n_overrides: int,
    ) -> int:
        """RECURRENCE-ID overrides of instances: moved, lengthened, retitled or cancelled."""
        free = [m for m in occurrences[1:] if m not in taken]
        if zone == "UTC" or not free:
            return 0
        picked = self.rng.sample(free, min(n_overrides, len(free)))
        for original in picked:
            self.add_override(uid, title, length, zone, original)
        return len(picked)

    def add_override(
        self, uid: str, title: str, length: timedelta, zone: str, original: datetime
    ) -> None:
        """One RECURRENCE-ID override of the instance at ``original``."""
        rng = self.rng
        props = self.common(uid, original - timedelta(days=rng.randint(1, 20)), 1)
        props.append(dt_prop("RECURRENCE-ID", original, zone))
        what = rng.choices(("moved", "retitled", "cancelled", "longer"), (55, 12, 23, 10))[0]
        start, end = original, original + length
        if what == "moved":
            days = rng.choice((0, 0, 0, 1, -1, 2))
            start += timedelta(days=days, minutes=rng.choice((-90, -60, 30, 60, 120)))
            end = start + length
        elif what == "longer":
            end = original + 2 * length
        props += [dt_prop("DTSTART", start, zone), dt_prop("DTEND", end, zone)]
        suffix = {"retitled": " (remote)", "longer": " + planning"}.get(what, "")
        props.append(("SUMMARY", escape(title + suffix)))
        if what == "cancelled":
            props.append(("STATUS", "CANCELLED"))
        elif rng.random() < 0.08:
            props.append(("STATUS", "TENTATIVE"))
        self.emit(props)
        self.counts.add(f"override: {what}")

    # trips and all-day ------------------------------------------------------------------

    def add_trips(self, n_trips: int) -> int:
        """Trips: an all-day block plus an outbound and a return flight across zones."""
        for _ in range(n_trips):
            first = self.year_day(weekend_share=0.3)
            days = self.rng.randint(2, 9)
            away = self.rng.choice([*self.zones[1:], "UTC"])
            city = self.rng.choice(CITIES)
            props = self.common(self.uid(), YEAR_START - timedelta(days=120), 0)
            props += [date_prop("DTSTART", first), date_prop("DTEND", first + timedelta(days=days))]
            props.append(("SUMMARY", escape(f"Trip to {city}")))
            if self.rng.random() < 0.4:
                props.append(("TRANSP", "TRANSPARENT"))
            self.emit(props)
            self.add_flight(first, self.home, away, city)
            self.add_flight(first + timedelta(days=days - 1), away, self.home, "home")
        self.counts.add("trips (all-day + 2 flights with different TZIDs)", n_trips)
        return 3 * n_trips

    def add_flight(self, day: date, origin: str, destination: str, city: str) -> None:
        """A flight at 07:00-18:59 in ``origin``, its DTEND on ``destination``'s wall clock."""
        clock = time(self.rng.randint(7, 18), self.rng.choice((5, 20, 35, 50)))
        depart = datetime.combine(day, clock, _tz(origin))
        arrive = depart + timedelta(minutes=self.rng.randint(150, 660))
        while not _unambiguous(arrive, destination):  # never land in a DST gap or fold
            arrive += timedelta(hours=1)
        props = self.common(self.uid(), depart - timedelta(days=40), 0)
        props += [dt_prop("DTSTART", depart, origin), dt_prop("DTEND", arrive, destination)]
        props.append(("SUMMARY", escape(f"Flight to {city} (LH {self.rng.randint(100, 999)})")))
        props.append(("LOCATION", escape("Airport, Terminal 1")))
        self.emit(props, self.alarm())

    def add_all_day(self, n: int) -> int:
        """A few busy all-day events (vacations, offsites, days off), the rest transparent."""
        busy = [("vacation", min(4, n // 6)), ("offsite", min(2, n // 12)), ("day", min(8, n // 4))]
        for what, count in busy:
            for _ in range(count):
                self.add_one_all_day(what)
        for _ in range(n - sum(count for _, count in busy)):
            self.add_one_all_day("marker")
        return n

    def add_one_all_day(self, what: str) -> None:
        """One all-day event of kind ``what``; single days sometimes have no DTEND."""
        rng = self.rng
        first = self.year_day(weekend_share=0.3 if what == "marker" else 0.05)
        days = {"vacation": rng.randint(3, 10), "offsite": rng.randint(2, 3)}.get(what, 1)
        props = self.common(self.uid(), YEAR_START - timedelta(days=200), 0)
        props.append(date_prop("DTSTART", first))
        if days > 1 or rng.random() < 0.6:
            props.append(date_prop("DTEND", first + timedelta(days=days)))
        title = {"vacation": "Vacation 🌴", "offsite": "Team offsite", "day": rng.choice(BUSY_DAYS)}
        props.append(("SUMMARY", escape(title.get(what) or rng.choice(MARKERS))))
        if what == "marker":
            props.append(("TRANSP", "TRANSPARENT"))
        if rng.random() < 0.05:
            props.append(("STATUS", "CANCELLED"))
            what += ", cancelled"
        self.emit(props)
        self.counts.add(f"all-day: {what}" + (" (transparent)" if "marker" in what else ""))

    # one-off timed events ---------------------------------------------------------------

    def add_one_offs(self, n: int) -> None:
        """Personal appointments, a few conferences and reminders; meetings for the rest."""
        n_personal = min(round(n * 0.19), 300)
        n_conferences = min(round(n * 0.005), 6)
        n_reminders = min(round(n * 0.01), 50)
        for _ in range(n_personal):
            self.add_personal()
        for _ in range(n_conferences):
            self.add_conference()
        for _ in range(n_reminders):
            self.add_reminder()
        for _ in range(n - n_personal - n_conferences - n_reminders):
            self.add_meeting()

    def add_meeting(self) -> None:
        """A one-off work meeting in the home zone's working hours, in its organiser's zone."""
        rng = self.rng
        start = self.at_home(self.year_day(), rng.randint(8, 18), rng.choice((0, 0, 15, 30, 45)))
        zone = self.organiser_zone(start)
        start = start.astimezone(_tz(zone))
        length = timedelta(minutes=rng.choice((15, 25, 30, 30, 45, 50, 60, 60, 90, 120, 180)))
        props = self.common(self.uid(), start - timedelta(days=rng.randint(0, 60)), 0)
        props += [dt_prop("DTSTART", start, zone), self.end_prop(start, length, zone)]
        props.append(("SUMMARY", escape(f"{rng.choice(TOPICS).capitalize()} with {self.person()}")))
        if rng.random() < 0.6:
            self.attendees(props, 8)
        self.description(props)
        self.status_and_transp(props, f"meeting in {'home zone' if zone == self.home else zone}")
        self.emit(props, self.alarm())

    def add_personal(self) -> None:
        """An evening or weekend appointment in the home zone."""
        rng = self.rng
        day = self.year_day(weekend_share=0.6)
        hour = rng.randint(17, 21) if day.weekday() < 5 else rng.randint(10, 20)
        start = self.at_home(day, hour, rng.choice((0, 30)))
        length = timedelta(minutes=rng.choice((30, 45, 60, 90, 120, 180)))
        props = self.common(self.uid(), start - timedelta(days=rng.randint(0, 30)), 0)
        props += [dt_prop("DTSTART", start, self.home), self.end_prop(start, length, self.home)]
        props.append(("SUMMARY", escape(rng.choice(PERSONAL))))
        self.status_and_transp(props, "personal")
        self.emit(props, self.alarm())

    def add_conference(self) -> None:
        """A multi-day timed event: 09:00 on its first day to 17:00 on its last."""
        rng = self.rng
        zone, day = rng.choice(self.zones), self.year_day()
        start = datetime.combine(day, time(9), _tz(zone))
        end = datetime.combine(day + timedelta(days=rng.randint(1, 3)), time(17), _tz(zone))
        props = self.common(self.uid(), start - timedelta(days=90), 0)
        props += [dt_prop("DTSTART", start, zone), dt_prop("DTEND", end, zone)]
        props.append(("SUMMARY", escape(f"Conference: {rng.choice(TOPICS)}")))
        self.emit(props)
        self.counts.add("one-off: multi-day timed")

    def add_reminder(self) -> None:
        """A zero-length reminder: DTSTART only, or DTEND equal to DTSTART."""
        start = self.at_home(self.year_day(), self.rng.randint(8, 20), 0)
        props = self.common(self.uid(), start - timedelta(days=3), 0)
        props.append(dt_prop("DTSTART", start, self.home))
        if self.rng.random() < 0.5:
            props.append(dt_prop("DTEND", start, self.home))
        props.append(("SUMMARY", escape("Reminder: send invoice")))
        self.emit(props)
        self.counts.add("one-off: zero-length reminder")

    def status_and_transp(self, props: list[Prop], what: str) -> None:
        """Mark some events cancelled, tentative or transparent, and count the outcome."""
        roll = self.rng.random()
        label = "confirmed"
        if roll < 0.04:
            label = "cancelled"
        elif roll < 0.10:
            label = "tentative"
        if label != "confirmed" or self.rng.random() < 0.7:
            props.append(("STATUS", label.upper()))
        if self.rng.random() < 0.05:
            props.append(("TRANSP", "TRANSPARENT"))
            label += ", transparent"
        self.counts.add(f"one-off: {what} ({label})")


def main(argv: list[str] | None = None) -> int:
    """CLI: write a generated calendar to a file ('-': stdout) and its make-up to stderr."""
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__)
    parser.add_argument("n_events", type=int, help="number of VEVENT components")
    parser.add_argument("out", type=Path, help="output .ics path ('-' for stdout)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--zone", default=DEFAULT_ZONE)
    args = parser.parse_args(argv)
    made = generate(args.n_events, args.seed, args.zone)
    if str(args.out) == "-":
        sys.stdout.buffer.write(made.data)
    else:
        args.out.write_bytes(made.data)
    print("\n".join(made.counts.lines()), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
