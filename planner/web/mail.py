"""Invite mail on the web: the Accept/Decline links from the mail, and the Mail page (the demo's
outbox).

A link's GET only shows what it would do, because mail scanners fetch links; the button
POSTs. Links work without a session: the signed token says who and what. Delivery is an
engine job (:mod:`planner.engine.jobs`), enqueued when a change queued mail and swept every
minute, so failed mail is retried without holding up a response.
"""

from __future__ import annotations

import logging
from datetime import datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, render_template
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from planner.services.mail import MailSettings, content_of, render
from planner.services.mail_links import preview, read_token, respond
from planner.services.mail_text import when
from planner.services.outbox import outbox_of
from planner.store.models import MailMessage
from planner.web.clock import now
from planner.web.config import Config, current_caldav, current_config, current_google
from planner.web.db import db
from planner.web.responses import calendar_download

log = logging.getLogger(__name__)

bp = Blueprint("mail", __name__)
NAV: list[tuple[str, str]] = [("mail.outbox", "Mail")]
OUTCOME = {
    "accepted": "Accepted. When your partner accepts too, it becomes protected connection time.",
    "confirmed": "Confirmed: you have both accepted. It is in your feed and your calendars.",
    "declined": "Declined. If another good time is free, you will get a new proposal.",
}


def mail_settings(config: Config) -> MailSettings:
    """The services' mail settings for the app's configuration."""
    return config.mail.settings(base_url=config.base_url, secret=config.secret_key)


@bp.app_template_filter("mail_clock")
def mail_clock(moment: datetime, zone: str) -> str:
    """``Tue 24 Nov 2026 13:05`` on ``zone``'s clock."""
    local = moment.astimezone(ZoneInfo(zone))
    return f"{local:%a} {local.day} {local:%b %Y %H:%M}"


# --- links from the mail --------------------------------------------------------------------


@bp.get("/mail/<action>/<token>")
def confirm_page(action: str, token: str) -> ResponseReturnValue:
    """What the link would do, with a button; nothing changes yet."""
    ticket = read_token(current_config().secret_key, action, token, now=now())
    view = preview(db(), ticket, now=now())
    db().rollback()
    return render_template("mail/respond.html", view=view, when=when)


@bp.post("/mail/<action>/<token>")
def apply(action: str, token: str) -> ResponseReturnValue:
    """Accept or decline as the link says; doing it twice changes nothing more."""
    ticket = read_token(current_config().secret_key, action, token, now=now())
    view = preview(db(), ticket, now=now())
    state = respond(db(), ticket, now=now(), google=current_google(), caldav=current_caldav())
    message = OUTCOME.get(state, state)
    return render_template("mail/responded.html", view=view, message=message, when=when)


# --- the Mail page --------------------------------------------------------------------------


@bp.get("/mail")
@login_required
def outbox() -> ResponseReturnValue:
    """The invite mail written to you, newest first, and whether it went out."""
    settings = mail_settings(current_config())
    rows = outbox_of(db(), current_user.id)
    subjects = {r.id: _parsed(r, settings)["Subject"] for r in rows}
    return render_template("mail/outbox.html", rows=rows, subjects=subjects,
                           sending=settings.smtp is not None)  # fmt: skip


@bp.get("/mail/<int:row_id>")
@login_required
def message(row_id: int) -> ResponseReturnValue:
    """One mail as its recipient would read it, with its links."""
    row, settings = _own(row_id), mail_settings(current_config())
    parsed = _parsed(row, settings)
    text = parsed.get_body(preferencelist=("plain",))
    body = text.get_content() if text is not None else ""
    content = content_of(db(), row, settings)
    here = {  # the same links, relative, so they work wherever this app is served
        "accept": content.accept and content.accept.removeprefix(settings.base_url),
        "decline": content.decline and content.decline.removeprefix(settings.base_url),
    }
    return render_template("mail/message.html", row=row, mail=parsed, text=body, links=here)


@bp.get("/mail/<int:row_id>/invite.ics")
@login_required
def invite(row_id: int) -> Response:
    """The mail's invite.ics attachment."""
    parsed = _parsed(_own(row_id), mail_settings(current_config()))
    for part in parsed.iter_attachments():
        if part.get_filename() == "invite.ics":
            return calendar_download(part.get_content(), f"invite-{row_id}.ics")
    abort(404)


@bp.get("/mail/<int:row_id>.eml")
@login_required
def raw(row_id: int) -> Response:
    """The whole message as it is (or would be) sent."""
    row = _own(row_id)
    data = row.body or render(db(), row, mail_settings(current_config()))
    response = Response(data, mimetype="message/rfc822")
    response.headers["Content-Disposition"] = f'attachment; filename="mail-{row_id}.eml"'
    return response


def _own(row_id: int) -> MailMessage:
    row = db().get(MailMessage, row_id)
    if row is None or row.user_id != current_user.id:
        abort(404)
    return row


def _parsed(row: MailMessage, settings: MailSettings) -> EmailMessage:
    data = row.body or render(db(), row, settings)
    parsed: EmailMessage = message_from_bytes(data, policy=default)
    return parsed
