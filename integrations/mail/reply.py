"""An attendee's iTIP REPLY (RFC 5546 §3.2.3), read strictly and within bounds.

:func:`parse_reply` takes the bytes an inbound-mail service posts (one VCALENDAR with
METHOD:REPLY and one VEVENT naming one ATTENDEE) and gives the UID, the SEQUENCE the
attendee answered, the attendee's address and their PARTSTAT. Anything else is an
:class:`InvalidReply` whose message says what is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from icalendar import Calendar

PartStat = Literal["ACCEPTED", "DECLINED", "TENTATIVE"]
PARTSTATS: tuple[PartStat, ...] = ("ACCEPTED", "DECLINED", "TENTATIVE")
MAX_REPLY_BYTES = 64 * 1024
MAX_UID_CHARS = 255


class InvalidReply(ValueError):
    """The body is not a REPLY we can apply; ``reason`` says why in plain words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Reply:
    """One attendee's answer to one version (``sequence``) of the event ``uid``."""

    uid: str
    sequence: int
    attendee: str
    partstat: PartStat


def parse_reply(data: bytes, *, max_bytes: int = MAX_REPLY_BYTES) -> Reply:
    """The REPLY in ``data``; :class:`InvalidReply` for anything malformed or too large."""
    if len(data) > max_bytes:
        raise InvalidReply(f"the reply is larger than {max_bytes} bytes")
    event = _only_event(_calendar(data))
    return Reply(_uid(event), _sequence(event), *_attendee(event))


def _calendar(data: bytes) -> Any:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidReply("the reply is not UTF-8 text") from None
    if "\x00" in text:
        raise InvalidReply("the reply contains a NUL character")
    try:
        calendar = Calendar.from_ical(text)
    except Exception as error:  # icalendar raises ValueError, KeyError, IndexError ...
        raise InvalidReply(f"the reply is not iCalendar ({type(error).__name__})") from None
    if not isinstance(calendar, Calendar) or calendar.name != "VCALENDAR":
        raise InvalidReply("the reply is not one VCALENDAR")
    method = str(calendar.get("METHOD", "")).strip().upper()
    if method != "REPLY":
        raise InvalidReply(f"METHOD must be REPLY, not {method[:20] or 'missing'}")
    return calendar


def _only_event(calendar: Any) -> Any:
    events = [c for c in calendar.subcomponents if getattr(c, "name", "") == "VEVENT"]
    if len(events) != 1:
        raise InvalidReply(f"a reply holds exactly one VEVENT, this one has {len(events)}")
    return events[0]


def _uid(event: Any) -> str:
    uid = str(event.get("UID", "")).strip()
    if not uid or len(uid) > MAX_UID_CHARS or any(ord(c) < 32 for c in uid):
        raise InvalidReply("the reply has no usable UID")
    return uid


def _sequence(event: Any) -> int:
    raw = event.get("SEQUENCE", 0)  # RFC 5545 §3.8.7.4: absent means 0
    text = str(raw.to_ical().decode() if hasattr(raw, "to_ical") else raw).strip()
    if not text.isdigit() or len(text) > 9:
        raise InvalidReply("SEQUENCE must be a whole number from 0")
    return int(text)


def _attendee(event: Any) -> tuple[str, PartStat]:
    attendees = event.get("ATTENDEE")
    if attendees is None or (isinstance(attendees, list) and len(attendees) != 1):
        raise InvalidReply("a reply names exactly one ATTENDEE")
    attendee = attendees[0] if isinstance(attendees, list) else attendees
    address = str(attendee).strip()
    if address[:7].lower() != "mailto:" or "@" not in address or len(address) > 261:
        raise InvalidReply("the ATTENDEE is not a mailto: address")
    partstat = str(attendee.params.get("PARTSTAT", "")).strip().upper()
    if partstat not in PARTSTATS:
        raise InvalidReply(f"PARTSTAT must be one of {', '.join(PARTSTATS)}")
    return address[7:].strip().lower(), partstat
