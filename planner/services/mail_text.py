"""The words of invite mail: subject, plain text and HTML for one outbox row.

Times are shown on the recipient's own clock. Every piece of user text (names, the
proposal's reason) is escaped for HTML here; headers are sanitised when the message is
built (:mod:`integrations.mail.message`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from planner.core.rituals import CATALOGUE

LEAD = {
    "proposed": "{partner} and you are both free at this time. Accept if it suits you; when "
    "you have both accepted, it becomes protected connection time.",
    "confirmed": "You have both accepted: this time is now protected for the two of you.",
    "moved": "Your connection time has moved to a new time that suits you both.",
    "cancelled": "This connection time has been cancelled.",
    "withdrawn": "This proposal is no longer open: it was declined, replaced or has passed.",
}
SUBJECT = {
    "proposed": "Proposed: {name}, {when}",
    "confirmed": "Confirmed: {name}, {when}",
    "moved": "Moved: {name}, now {when}",
    "cancelled": "Cancelled: {name}, {when}",
    "withdrawn": "No longer proposed: {name}, {when}",
}


@dataclass(frozen=True)
class Content:
    """What one mail says; ``accept`` and ``decline`` are links (proposals only)."""

    kind: str
    ritual: str
    start: datetime
    end: datetime
    zone: str
    recipient: str
    partner: str
    note: str
    week_url: str
    accept: str | None = None
    decline: str | None = None


def when(start: datetime, end: datetime, zone: str) -> str:
    """``Fri 6 Mar 2026, 19:00-21:30`` on ``zone``'s clock."""
    a, b = start.astimezone(ZoneInfo(zone)), end.astimezone(ZoneInfo(zone))
    return f"{a:%a} {a.day} {a:%b %Y}, {a:%H:%M}-{b:%H:%M}"


def _name(content: Content) -> str:
    found = CATALOGUE.get(content.ritual)
    return found.name if found else "Connection time"


def subject(content: Content) -> str:
    """The subject line."""
    text = SUBJECT.get(content.kind, SUBJECT["confirmed"])
    return text.format(name=_name(content), when=when(content.start, content.end, content.zone))


def _lines(content: Content) -> list[str]:
    """The paragraphs both versions share (plain text, not yet escaped)."""
    ritual = CATALOGUE.get(content.ritual)
    lead = LEAD.get(content.kind, LEAD["confirmed"]).format(partner=content.partner)
    times = f"{_name(content)}: {when(content.start, content.end, content.zone)} ({content.zone})"
    lines = [f"Hi {content.recipient},", lead, times]
    if content.note and content.kind == "proposed":
        lines.append(content.note)
    if ritual and content.kind in {"proposed", "confirmed", "moved"}:
        lines.append(ritual.description)
    return lines


def plain(content: Content) -> str:
    """The text/plain body."""
    parts = _lines(content)
    if content.accept and content.decline:
        parts.append(f"Accept: {content.accept}\nDecline: {content.decline}")
    parts.append(f"Your week: {content.week_url}")
    return "\n\n".join(parts) + "\n\n-- \nConnection Planner\n"


def html(content: Content) -> str:
    """The text/html body; every piece of text is escaped."""
    paragraphs = "".join(f"<p>{escape(line)}</p>" for line in _lines(content))
    buttons = ""
    if content.accept and content.decline:
        style = "padding:8px 16px;border-radius:6px;text-decoration:none;"
        buttons = (
            f'<p><a href="{escape(content.accept)}" style="{style}background:#2f6f4f;'
            f'color:#fff">Accept</a> &nbsp; <a href="{escape(content.decline)}" '
            f'style="{style}background:#eee;color:#333">Decline</a></p>'
        )
    week = f'<p><a href="{escape(content.week_url)}">Your week in Connection Planner</a></p>'
    return (
        '<!doctype html><html><body style="font-family:sans-serif;line-height:1.5">'
        f"{paragraphs}{buttons}{week}</body></html>"
    )
