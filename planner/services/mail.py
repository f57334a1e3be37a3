"""Invite mail out of the outbox: rendering a queued row and delivering it over SMTP.

Rendering is deterministic (the row's queue time is the Date, every DTSTAMP and the links'
issue time) and happens once: the bytes are stored on the row, so a retry sends exactly the
same message with the same Message-ID. :func:`deliver` claims each due row before sending
(a conditional UPDATE that only one worker can win), sends it, and records the outcome; a
transient failure is tried again later (:class:`~integrations.mail.smtp.RetryPolicy`), a
permanent one is recorded as failed. Without SMTP settings nothing is sent: the rows stay in
the outbox, which the demo shows as a page.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from integrations.ics.invites import Invite, Person
from integrations.mail.message import Letter, MailMethod, invite_message
from integrations.mail.smtp import RetryPolicy, SendError, SmtpSettings, send_bytes
from planner.core.rituals import CATALOGUE
from planner.services.mail_links import ACTIONS, Ticket, make_token
from planner.services.mail_text import Content, html, plain, subject
from planner.services.outbox import attendees
from planner.store.models import MailMessage, User

log = logging.getLogger(__name__)

CLAIM = timedelta(minutes=15)
"""How long a claimed row is left to its worker before another may take it over."""


@dataclass(frozen=True)
class MailSettings:
    """Who sends (the From address and the invites' ORGANIZER), where links point, the key
    that signs them, and the SMTP server (None: keep mail in the outbox, as the demo does)."""

    sender: Person
    base_url: str
    secret: str
    smtp: SmtpSettings | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)


@dataclass(frozen=True)
class Delivery:
    """What one :func:`deliver` run did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0


def _links(row: MailMessage, settings: MailSettings) -> tuple[str | None, str | None]:
    """Accept and decline links for a proposal's mail; none for anything else."""
    if row.kind != "proposed" or row.proposal_id is None:
        return None, None
    found = []
    for action in ACTIONS:
        ticket = Ticket(row.proposal_id, row.user_id, action, row.uid)
        token = make_token(settings.secret, ticket, issued=row.created_at)
        found.append(f"{settings.base_url}/mail/{action}/{token}")
    return found[0], found[1]


def content_of(session: Session, row: MailMessage, settings: MailSettings) -> Content:
    """What the row's mail says, in words for its recipient."""
    people = attendees(session, row)
    me = next((u for u in people if u.id == row.user_id), None) or session.get(User, row.user_id)
    partner = next((u.display_name for u in people if u.id != row.user_id), "Your partner")
    accept, decline = _links(row, settings)
    return Content(
        kind=row.kind, ritual=row.ritual, start=row.start, end=row.end,
        zone=me.zone if me else "UTC", recipient=me.display_name if me else "there",
        partner=partner, note=row.note, week_url=f"{settings.base_url}/week",
        accept=accept, decline=decline,
    )  # fmt: skip


def invite_of(session: Session, row: MailMessage, settings: MailSettings) -> Invite:
    """The row's event as an RFC 5546 invite: ORGANIZER the service, both partners ATTENDEEs."""
    ritual = CATALOGUE.get(row.ritual)
    return Invite(
        uid=row.uid, start=row.start, end=row.end,
        summary=ritual.name if ritual else "Connection time",
        description=ritual.description if ritual else "",
        sequence=row.sequence, status=row.event_status,  # type: ignore[arg-type]
        organizer=settings.sender,
        attendees=tuple(Person(u.email, u.display_name) for u in attendees(session, row)),
        categories=("Connection time",),
    )  # fmt: skip


def render(session: Session, row: MailMessage, settings: MailSettings) -> bytes:
    """The row's message as bytes (made now; :func:`materialise` keeps the first one)."""
    content = content_of(session, row, settings)
    domain = settings.sender.email.rpartition("@")[2]
    letter = Letter(
        sender=settings.sender,
        recipient=Person(row.recipient, content.recipient),
        subject=subject(content),
        text=plain(content),
        html=html(content),
        message_id=f"<{row.message_id}@{domain}>",
    )
    method: MailMethod = "CANCEL" if row.method == "CANCEL" else "REQUEST"
    message = invite_message(letter, invite_of(session, row, settings), method=method,
                             stamp=row.created_at)  # fmt: skip
    return message.as_bytes()


def materialise(session: Session, row: MailMessage, settings: MailSettings) -> bytes:
    """The row's message as first rendered, stored on the row (the caller commits)."""
    if row.body is None:
        row.body = render(session, row, settings)
    return row.body


def _due(now: datetime) -> object:
    return or_(
        and_(MailMessage.state == "pending",
             or_(MailMessage.next_attempt_at.is_(None), MailMessage.next_attempt_at <= now)),
        and_(MailMessage.state == "sending", MailMessage.next_attempt_at <= now),
    )  # fmt: skip


def _claim(session: Session, row_id: int, now: datetime) -> bool:
    """Take the row for this worker (True) unless another took it first; commits."""
    claimed = session.execute(
        update(MailMessage)
        .where(MailMessage.id == row_id, _due(now))  # type: ignore[arg-type]
        .values(state="sending", next_attempt_at=now + CLAIM)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return getattr(claimed, "rowcount", 0) == 1


def deliver(
    session: Session,
    settings: MailSettings,
    *,
    now: datetime,
    limit: int = 50,
    keep_going: Callable[[], bool] | None = None,
) -> Delivery:
    """Send up to ``limit`` due mails; each is sent by one worker only and its outcome
    recorded; ``keep_going`` is asked before each (False: stop, say at process exit).
    Nothing happens without SMTP settings. Commits."""
    if settings.smtp is None:
        return Delivery()
    query = select(MailMessage.id).where(_due(now))  # type: ignore[arg-type]
    ids = list(session.scalars(query.order_by(MailMessage.id).limit(limit)))
    session.commit()
    counts = {"sent": 0, "retrying": 0, "failed": 0}
    for row_id in ids:
        if keep_going is not None and not keep_going():
            break
        if _claim(session, row_id, now):
            counts[_send_one(session, row_id, settings, settings.smtp, now)] += 1
    return Delivery(**counts)


def _send_one(
    session: Session, row_id: int, settings: MailSettings, smtp: SmtpSettings, now: datetime
) -> str:
    """Send one claimed row and record what happened: sent, retrying or failed. A row that
    cannot be built (say, an address that is no longer valid) is failed, not retried."""
    row = session.get(MailMessage, row_id, populate_existing=True)
    assert row is not None
    try:
        data = materialise(session, row, settings)
    except Exception as error:  # recorded and logged; the other rows go on
        session.rollback()
        log.exception("mail %s to partner %s could not be built", row.message_id, row.user_id)
        row.state, row.next_attempt_at = "failed", None
        row.last_error = f"the message could not be built: {type(error).__name__}: {error}"[:500]
        session.commit()
        return "failed"
    session.commit()
    row.attempts += 1
    try:
        send_bytes(data, settings.sender.email, [row.recipient], smtp)
    except SendError as error:
        log.warning("mail %s to partner %s: %s", row.message_id, row.user_id, error.message)
        retry = settings.retry.next_try(row.attempts, now) if error.transient else None
        row.state, row.next_attempt_at = ("pending", retry) if retry else ("failed", None)
        row.last_error = error.message
        session.commit()
        return "retrying" if retry else "failed"
    row.state, row.sent_at, row.next_attempt_at, row.last_error = "sent", now, None, None
    session.commit()
    return "sent"
