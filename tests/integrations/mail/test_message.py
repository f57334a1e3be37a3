"""Invite mail as MIME: the structure calendar clients act on, and headers no user text can
break."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default

import pytest
from icalendar import Calendar

from integrations.ics.invites import InvalidAddress, Invite, Person
from integrations.mail.message import (
    Letter,
    MailMethod,
    header_text,
    invite_message,
    message_id,
)

STAMP = datetime(2026, 3, 1, 12, tzinfo=UTC)
START = datetime(2026, 3, 6, 18, tzinfo=UTC)
SERVICE = Person("planner@example.org", "Connection Planner")
LENA, SAM = Person("lena@example.com", "Lena"), Person("sam@example.com", "Sam")


def invite(**changes: object) -> Invite:
    base: dict[str, object] = {
        "uid": "abc@connection-planner.invalid", "start": START,
        "end": START + timedelta(hours=2), "summary": "Date night", "sequence": 2,
        "status": "CONFIRMED", "organizer": SERVICE, "attendees": (LENA, SAM),
    }  # fmt: skip
    return Invite(**(base | changes))  # type: ignore[arg-type]


def letter(**changes: object) -> Letter:
    base: dict[str, object] = {
        "sender": SERVICE, "recipient": LENA, "subject": "Confirmed: Date night",
        "text": "Hi Lena,\n\nSee you then.\n", "html": "<p>Hi Lena</p>",
        "message_id": message_id("abc", "2", "lena", domain="example.org"),
    }  # fmt: skip
    return Letter(**(base | changes))  # type: ignore[arg-type]


def parse(message: EmailMessage) -> EmailMessage:
    """The message as a receiver reads it from the wire."""
    parsed: EmailMessage = message_from_bytes(message.as_bytes(), policy=default)
    return parsed


def calendar_part(parsed: EmailMessage) -> EmailMessage:
    found = [p for p in parsed.walk() if p.get_content_type() == "text/calendar"]
    assert len(found) == 1
    part: EmailMessage = found[0]  # type: ignore[assignment]
    return part


@pytest.mark.parametrize("method", ["REQUEST", "CANCEL"])
def test_the_message_has_the_shape_calendar_clients_act_on(method: MailMethod) -> None:
    status = "CANCELLED" if method == "CANCEL" else "CONFIRMED"
    parsed = parse(invite_message(letter(), invite(status=status), method=method, stamp=STAMP))
    assert parsed.get_content_type() == "multipart/mixed"
    alternative, attachment = parsed.get_payload()  # type: ignore[misc]
    kinds = [p.get_content_type() for p in alternative.get_payload()]
    assert kinds == ["text/plain", "text/html", "text/calendar"]
    part = calendar_part(parsed)
    assert part.get_param("method") == method and part.get_content_charset() == "utf-8"
    assert attachment.get_content_type() == "application/ics"
    assert attachment.get_filename() == "invite.ics"
    assert attachment.get_content() == part.get_content().encode()
    calendar = Calendar.from_ical(part.get_content())
    (event,) = calendar.walk("VEVENT")
    assert str(calendar["METHOD"]) == method
    assert str(event["UID"]) == "abc@connection-planner.invalid" and int(event["SEQUENCE"]) == 2
    assert str(event["ORGANIZER"]) == "mailto:planner@example.org"
    attendees = event["ATTENDEE"]
    assert [str(a) for a in attendees] == ["mailto:lena@example.com", "mailto:sam@example.com"]
    assert all(a.params["RSVP"] == "TRUE" for a in attendees)
    assert parsed["Message-ID"] == letter().message_id and parsed["Auto-Submitted"]


def test_the_same_arguments_give_the_same_bytes() -> None:
    first = invite_message(letter(), invite(), method="REQUEST", stamp=STAMP).as_bytes()
    again = invite_message(letter(), invite(), method="REQUEST", stamp=STAMP).as_bytes()
    assert first == again
    assert message_id("a", "1", "x", domain="d.org") == message_id("a", "1", "x", domain="d.org")
    assert message_id("a", "1", "x", domain="d.org") != message_id("a", "2", "x", domain="d.org")


HOSTILE = [
    "Lena\r\nBcc: evil@attacker.example",
    "Lena\nSubject: injected",
    "Lena\x00\x00NUL",
    "Lena\rX-Evil: 1",
    "L" * 2000,
    "Lëna \u2028 Ünïcode\u0085 line",
    'Lena "the" <boss>, Sam; <evil@attacker.example>',
]


@pytest.mark.parametrize("name", HOSTILE, ids=range(len(HOSTILE)))
def test_user_text_cannot_break_a_header_or_the_calendar(name: str) -> None:
    hostile = Person("lena@example.com", name)
    message = invite_message(
        letter(recipient=hostile, subject=f"Proposed: {name}", text=name * 3, html=name),
        invite(attendees=(hostile, SAM), summary=name, description=name * 2),
        method="REQUEST", stamp=STAMP,
    )  # fmt: skip
    raw = message.as_bytes()
    lines = raw.split(b"\r\n")
    assert all(len(line) <= 998 for line in lines)
    assert b"\x00" not in raw and b"\r\r" not in raw and b"\n" not in raw.replace(b"\r\n", b"")
    parsed = message_from_bytes(raw, policy=default)
    assert "Bcc" not in parsed and "X-Evil" not in parsed
    assert [a.addr_spec for a in parsed["To"].addresses] == ["lena@example.com"]
    assert "\n" not in parsed["Subject"] and "\r" not in parsed["Subject"]
    assert len(parsed["Subject"]) <= 200
    (event,) = Calendar.from_ical(calendar_part(parsed).get_content()).walk("VEVENT")
    assert len(event["ATTENDEE"]) == 2 and "X-EVIL" not in event and "BCC" not in event


@pytest.mark.parametrize("address", ["lena\x00@example.com", "lena@exa\x7fmple.com"])
def test_addresses_that_could_break_a_header_are_refused(address: str) -> None:
    person = object.__new__(Person)  # past Person's own check, on purpose
    object.__setattr__(person, "email", address)
    object.__setattr__(person, "name", "Lena")
    with pytest.raises(InvalidAddress):
        invite_message(letter(recipient=person), invite(), method="REQUEST", stamp=STAMP)


def test_header_text_collapses_control_characters_and_cuts() -> None:
    assert header_text("a\r\n\tb\x00c") == "a b c"
    assert len(header_text("x" * 500)) == 200
