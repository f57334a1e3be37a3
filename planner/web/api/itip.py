"""API: iTIP replies from an inbound-mail service (not from partners).

Calendar apps answer an invite by mailing a METHOD:REPLY to its ORGANIZER, the service's
address (``PLANNER_MAIL_FROM``). Whatever receives that mail posts the .ics here with the
shared secret ``PLANNER_INBOUND_MAIL_SECRET`` in the ``X-Inbound-Secret`` header.
"""

from __future__ import annotations

import hmac

from flask import request
from pydantic import BaseModel

from integrations.mail.reply import MAX_REPLY_BYTES
from planner.services.errors import TooLarge, Unauthorized, UnsupportedType
from planner.services.mail_replies import apply_reply
from planner.web.api import operation
from planner.web.clock import now
from planner.web.config import current_caldav, current_config, current_google
from planner.web.db import db

TAG = "mail"
HEADER = "X-Inbound-Secret"
ICS_TYPES = frozenset({"text/calendar", "application/ics", "application/octet-stream"})


class ReplyOut(BaseModel):
    """What the reply did to the proposal it answers."""

    uid: str
    attendee: str
    partstat: str
    state: str
    message: str


def _check_secret() -> None:
    expected = current_config().mail.inbound_secret
    given = request.headers.get(HEADER, "")
    if not expected or not given or not hmac.compare_digest(given.encode(), expected.encode()):
        raise Unauthorized(
            f"Send the inbound mail secret in the {HEADER} header (replies are accepted only "
            "when PLANNER_INBOUND_MAIL_SECRET is set)."
        )


def _raw_reply() -> bytes:
    if request.mimetype not in ICS_TYPES:
        raise UnsupportedType("Send the reply as the body with Content-Type: text/calendar.")
    too_large = TooLarge(f"A reply is at most {MAX_REPLY_BYTES // 1024} KB.")
    if request.content_length is not None and request.content_length > MAX_REPLY_BYTES:
        raise too_large
    data = request.stream.read(MAX_REPLY_BYTES + 1)
    if len(data) > MAX_REPLY_BYTES:
        raise too_large
    return data


@operation("POST", "/itip/reply", summary="Apply an attendee's iTIP REPLY (inbound mail)",
           tag=TAG, response=ReplyOut, auth=False, security="inbound",
           errors=(403, 404, 409, 413, 415), consumes="text/calendar")  # fmt: skip
def itip_reply() -> ReplyOut:
    """ACCEPTED accepts the proposal, DECLINED declines it, TENTATIVE changes nothing.
    404 for an unknown UID, 403 for an attendee who is not a partner of the couple, 409 for
    an answer to an older SEQUENCE (or to a withdrawn invite), 422 for a malformed REPLY."""
    _check_secret()
    outcome = apply_reply(
        db(), _raw_reply(), now=now(), google=current_google(), caldav=current_caldav()
    )
    return ReplyOut(
        uid=outcome.uid, attendee=outcome.attendee, partstat=outcome.partstat,
        state=outcome.state, message=outcome.message,
    )  # fmt: skip
