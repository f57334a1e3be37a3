"""One invite mail: ``multipart/mixed`` holding ``multipart/alternative`` (plain text, HTML,
``text/calendar; method=...``) and the same iTIP object as an ``invite.ics`` attachment.

This is the shape calendar clients expect (RFC 6047 §2.4: the calendar part inside the
alternative is what Outlook, Gmail and Apple Mail act on; the attachment is for people who
want the file). Header values are sanitised before they reach the email package: control
characters (CR, LF, NUL and the rest) become spaces and long values are cut, so no user
text can add a header; the email package folds what remains.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from typing import Literal

from integrations.ics.invites import InvalidAddress, Invite, Person, invite_calendar

MailMethod = Literal["REQUEST", "CANCEL"]

MAX_HEADER_CHARS = 200
MAX_NAME_CHARS = 80
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]+")
_ADDRESS_UNSAFE = re.compile(r"[\x00-\x20\x7f\u0085\u2028\u2029]")
_BODY_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def header_text(value: str, limit: int = MAX_HEADER_CHARS) -> str:
    """``value`` safe for one header: control characters (CR, LF, NUL, ...) become single
    spaces, runs of whitespace collapse, and the result is cut to ``limit`` characters."""
    text = " ".join(_CONTROL.sub(" ", value).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def body_text(value: str) -> str:
    """``value`` safe for a text body: one kind of line break, no NUL or other controls."""
    return _BODY_UNSAFE.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))


def message_id(*parts: str, domain: str) -> str:
    """A Message-ID that is the same for the same ``parts``: ``<hex@domain>``.

    Built from the connection's UID, the SEQUENCE and the recipient, it names one message
    of one change, so a resent copy carries the same id and can be recognised.
    """
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:40]
    return f"<{digest}@{header_text(domain, 100).replace(' ', '')}>"


def _address(person: Person) -> Address:
    """A header address; :class:`InvalidAddress` for anything that could break a header."""
    if _ADDRESS_UNSAFE.search(person.email) or len(person.email) > 254:
        raise InvalidAddress(person.email)
    local, _, domain = person.email.rpartition("@")
    name = header_text(person.name or "", MAX_NAME_CHARS)
    return Address(display_name=name, username=local, domain=domain)


@dataclass(frozen=True)
class Letter:
    """What a person reads: from whom, to whom, the subject, and the text in two forms."""

    sender: Person
    recipient: Person
    subject: str
    text: str
    html: str
    message_id: str


def invite_message(
    letter: Letter, invite: Invite, *, method: MailMethod, stamp: datetime
) -> EmailMessage:
    """The mail for ``letter`` carrying ``invite`` as an iTIP ``method``; ``stamp`` is the
    Date header and every DTSTAMP, so the same arguments give the same message."""
    calendar = invite_calendar([invite], method=method, stamp=stamp)
    message = EmailMessage(policy=SMTP)
    message["From"] = _address(letter.sender)
    message["To"] = _address(letter.recipient)
    message["Subject"] = header_text(letter.subject)
    message["Date"] = format_datetime(stamp)
    message["Message-ID"] = letter.message_id
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to this
    message.set_content(body_text(letter.text))
    message.add_alternative(body_text(letter.html), subtype="html")
    message.add_alternative(calendar.decode("utf-8"), subtype="calendar", params={"method": method})
    message.add_attachment(calendar, maintype="application", subtype="ics", filename="invite.ics")
    _fixed_boundaries(message, letter.message_id)
    return message


def _fixed_boundaries(message: EmailMessage, seed: str) -> None:
    """Boundaries derived from the Message-ID instead of random ones, so the same message
    is the same bytes every time it is built."""
    digest = hashlib.sha256(seed.encode()).hexdigest()[:24]
    for depth, part in enumerate(p for p in message.walk() if p.is_multipart()):
        part.set_boundary(f"=_cp_{digest}_{depth}")


def recipients(message: EmailMessage) -> tuple[str, list[str]]:
    """The envelope of ``message``: the From address and the To addresses."""
    sender = message["From"].addresses[0].addr_spec
    return sender, [a.addr_spec for a in message["To"].addresses]
