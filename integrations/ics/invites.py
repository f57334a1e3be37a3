"""iCalendar invites (RFC 5546 iTIP) for proposed and confirmed connection time.

One :class:`Invite` is one VEVENT; :func:`invite_calendar` wraps invites in a
VCALENDAR with a METHOD. Text from users (titles, names, descriptions) goes
through icalendar's value escaping, and control characters are removed first,
so no user text can add a property, a parameter or a component.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

from icalendar import Calendar, Event, vCalAddress, vDuration, vText

PRODID = "-//Connection Planner//connection-planner//EN"
UID_DOMAIN = "connection-planner.invalid"

Method = Literal["REQUEST", "CANCEL", "PUBLISH"]
Status = Literal["TENTATIVE", "CONFIRMED", "CANCELLED"]

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_EMAIL = re.compile(r"^[^@\s<>\"',;:]+@[^@\s<>\"',;:]+\.[^@\s<>\"',;:]+$")


class InvalidAddress(ValueError):
    """An organizer or attendee address is not a plain e-mail address."""

    def __init__(self, address: str) -> None:
        super().__init__(f"not an e-mail address: {address!r}")
        self.address = address


@dataclass(frozen=True)
class Person:
    """An organizer or attendee: an e-mail address and an optional display name."""

    email: str
    name: str | None = None

    def __post_init__(self) -> None:
        if not _EMAIL.match(self.email):
            raise InvalidAddress(self.email)


@dataclass(frozen=True)
class Invite:
    """One event of connection time, as it goes into an invite or a feed."""

    uid: str
    start: datetime
    end: datetime
    summary: str
    description: str = ""
    sequence: int = 0
    status: Status = "TENTATIVE"
    organizer: Person | None = None
    attendees: Sequence[Person] = field(default_factory=tuple)
    categories: Sequence[str] = field(default_factory=tuple)


def stable_uid(*parts: str) -> str:
    """A UID that is the same every time for the same parts (RFC 5545 §3.8.4.7)."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]
    return f"{digest}@{UID_DOMAIN}"


def clean_text(text: str) -> str:
    """User text as it will read back from the invite: control characters removed, line
    breaks as plain newlines. A literal backslash-N also becomes a newline, because
    icalendar's TEXT escaping treats it as the RFC 5545 escape for one (§3.3.11)."""
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    return text.replace("\\N", "\n")


def _address(person: Person, role: str | None = None) -> vCalAddress:
    address = vCalAddress(f"mailto:{person.email}")
    if person.name:
        address.params["CN"] = clean_text(person.name).replace("\n", " ").replace('"', "'")
    if role:
        address.params["ROLE"] = role
        address.params["PARTSTAT"] = "NEEDS-ACTION"
        address.params["RSVP"] = "TRUE"
    return address


def _event(invite: Invite, stamp: datetime) -> Event:
    event = Event()
    event.add("uid", invite.uid)
    event.add("dtstamp", stamp.astimezone(UTC))
    event.add("dtstart", invite.start.astimezone(UTC))
    event.add("dtend", invite.end.astimezone(UTC))
    event.add("sequence", invite.sequence)
    event.add("status", invite.status)
    event.add("transp", "OPAQUE")
    event.add("summary", vText(clean_text(invite.summary)))
    if invite.description:
        event.add("description", vText(clean_text(invite.description)))
    if invite.categories:
        event.add("categories", [clean_text(c) for c in invite.categories])
    if invite.organizer:
        event.add("organizer", _address(invite.organizer))
    for attendee in invite.attendees:
        event.add("attendee", _address(attendee, role="REQ-PARTICIPANT"))
    return event


def _calendar(method: Method | None) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method is not None:
        calendar.add("method", method)
    return calendar


def invite_calendar(invites: Sequence[Invite], *, method: Method, stamp: datetime) -> bytes:
    """A VCALENDAR holding ``invites`` under ``method``; ``stamp`` becomes every DTSTAMP.

    ``stamp`` is an argument, not the clock, so the same invites give the same bytes.
    """
    calendar = _calendar(method)
    for invite in invites:
        calendar.add_component(_event(invite, stamp))
    data: bytes = calendar.to_ical()
    return data


def event_calendar(invite: Invite, *, stamp: datetime) -> bytes:
    """One invite as a calendar object to store on a server (CalDAV): a VCALENDAR without
    METHOD, which RFC 4791 §4.1 forbids in stored objects."""
    calendar = _calendar(None)
    calendar.add_component(_event(invite, stamp))
    data: bytes = calendar.to_ical()
    return data


def feed_calendar(
    invites: Sequence[Invite], *, name: str, refresh: timedelta, stamp: datetime
) -> bytes:
    """A subscribable feed (METHOD:PUBLISH) with a name and a suggested refresh interval
    (REFRESH-INTERVAL of RFC 7986 and the older X-PUBLISHED-TTL)."""
    calendar = _calendar("PUBLISH")
    calendar.add("name", vText(clean_text(name)))
    calendar.add("x-wr-calname", vText(clean_text(name)))
    calendar.add("refresh-interval", refresh, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(refresh))
    for invite in invites:
        calendar.add_component(_event(invite, stamp))
    data: bytes = calendar.to_ical()
    return data
