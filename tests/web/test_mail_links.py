"""Invite mail on the web: Accept/Decline links (a GET never changes anything, the POST does,
twice is harmless, bad links are refused), the Mail page, delivery after a request, and the
iTIP REPLY endpoint with its refusals."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from email import message_from_bytes
from email.policy import default

import pytest
from flask import Flask
from flask.testing import FlaskClient
from icalendar import Calendar
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from planner.services.mail import render
from planner.store.models import MailMessage, ProposalAcceptance, User
from planner.web import create_app
from planner.web.config import Config, ConfigError
from planner.web.mail import mail_settings
from planner.web.mail_config import MailConfig
from tests.mailserver import Inbox
from tests.web.test_proposals import NOW, Pair, make_pair, plan, proposals

SECRET = "inbound-" + "s" * 32


def mail_rows(session: Session, user_id: int, kind: str | None = None) -> list[MailMessage]:
    query = select(MailMessage).where(MailMessage.user_id == user_id)
    if kind:
        query = query.where(MailMessage.kind == kind)
    rows = list(session.scalars(query.order_by(MailMessage.id)
                                .execution_options(populate_existing=True)))  # fmt: skip
    session.commit()
    return rows


def links(app: Flask, session: Session, row: MailMessage) -> dict[str, str]:
    """The Accept and Decline paths in the mail's plain text."""
    with app.app_context():
        data = render(session, row, mail_settings(app.extensions["planner.config"]))
    session.commit()
    text = message_from_bytes(data, policy=default).get_body(preferencelist=("plain",))
    assert text is not None
    found = re.findall(r"(Accept|Decline): http://127\.0\.0\.1:5000(/mail/\S+)", text.get_content())
    return {k.lower(): v for k, v in found}


def accepted(session: Session, proposal_id: int) -> set[int]:
    query = select(ProposalAcceptance.user_id).where(ProposalAcceptance.proposal_id == proposal_id)
    found = set(session.scalars(query))
    session.commit()
    return found


@pytest.fixture
def pair(app: Flask, session: Session) -> Pair:
    pair = make_pair(app, session)
    plan(pair, session)
    return pair


def test_opening_a_link_changes_nothing_pressing_it_accepts(
    app: Flask, session: Session, pair: Pair
) -> None:
    row = mail_rows(session, pair.lena_id, "proposed")[0]
    assert row.proposal_id is not None
    path = links(app, session, row)["accept"]
    stranger = app.test_client()  # no session: the link alone is enough
    page = stranger.get(path)
    assert page.status_code == 200 and "Accept" in page.text
    assert accepted(session, row.proposal_id) == set()
    done = stranger.post(path)
    assert done.status_code == 200 and "Accepted" in done.text
    assert accepted(session, row.proposal_id) == {pair.lena_id}
    assert stranger.post(path).status_code == 200  # twice: harmless
    assert accepted(session, row.proposal_id) == {pair.lena_id}
    sam_row = next(m for m in mail_rows(session, pair.sam_id) if m.proposal_id == row.proposal_id)
    confirmed = stranger.post(links(app, session, sam_row)["accept"])
    assert "Confirmed" in confirmed.text
    assert {m.kind for m in mail_rows(session, pair.sam_id)[-1:]} == {"confirmed"}


def test_a_decline_link_declines_once(app: Flask, session: Session, pair: Pair) -> None:
    row = mail_rows(session, pair.sam_id, "proposed")[0]
    path = links(app, session, row)["decline"]
    client = app.test_client()
    assert client.get(path).status_code == 200
    assert "Declined" in client.post(path).text
    assert "Declined" in client.post(path).text  # again: still declined, no error
    assert [p.state for p in proposals(session, pair.couple_id) if p.id == row.proposal_id] == [
        "declined"
    ]


def test_bad_links_are_refused_with_a_page(app: Flask, session: Session, pair: Pair) -> None:
    row = mail_rows(session, pair.lena_id, "proposed")[0]
    accept = links(app, session, row)["accept"]
    token = accept.rsplit("/", 1)[1]
    client = app.test_client()
    forged = accept[:-3] + ("AAA" if not accept.endswith("AAA") else "BBB")
    for path, status in [
        (forged, 400),
        (f"/mail/decline/{token}", 400),  # an accept link cannot decline
        (f"/mail/delete/{token}", 400),
        ("/mail/accept/" + "x" * 600, 400),
    ]:
        for method in (client.get, client.post):
            response = method(path)
            assert response.status_code == status, (path, response.text)
            assert "not valid" in response.text
    app.extensions["planner.clock"] = lambda: NOW + timedelta(days=15)
    expired = client.post(accept)
    assert expired.status_code == 410 and "expired" in expired.text
    assert accepted(session, row.proposal_id or 0) == set()


def test_the_mail_page_shows_your_own_mail_only(app: Flask, session: Session, pair: Pair) -> None:
    page = pair.lena.get("/mail")
    assert page.status_code == 200 and "Proposed: " in page.text and "in the outbox" in page.text
    row = mail_rows(session, pair.lena_id)[0]
    one = pair.lena.get(f"/mail/{row.id}")
    assert one.status_code == 200 and "Accept: http" in one.text
    ics = pair.lena.get(f"/mail/{row.id}/invite.ics")
    (event,) = Calendar.from_ical(ics.data).walk("VEVENT")
    assert str(event["UID"]) == row.uid
    assert pair.lena.get(f"/mail/{row.id}.eml").data.startswith(b"From: ")
    assert pair.sam.get(f"/mail/{row.id}").status_code == 404
    assert pair.sam.get(f"/mail/{row.id}.eml").status_code == 404


# --- delivery after a request ---------------------------------------------------------------


def test_a_request_that_queued_mail_sends_it(
    config: Config, session: Session, inbox: Inbox, smtp_port: int
) -> None:
    mail = MailConfig(smtp_host="127.0.0.1", smtp_port=smtp_port, smtp_security="none",
                      sender="planner@example.org")  # fmt: skip
    app = create_app(replace(config, mail=mail))
    try:
        pair = make_pair(app, session)
        plan(pair, session)
        queued = mail_rows(session, pair.lena_id) + mail_rows(session, pair.sam_id)
        assert queued and {m.state for m in queued} == {"sent"}
        assert len(inbox.messages) == len(queued)
    finally:
        app.extensions["planner.engine"].dispose()


# --- iTIP REPLY -----------------------------------------------------------------------------


@pytest.fixture
def inbound(config: Config) -> Config:
    return replace(config, mail=MailConfig(inbound_secret=SECRET))


def reply_to(row: MailMessage, email: str, partstat: str, sequence: int | None = None) -> bytes:
    seq = row.sequence if sequence is None else sequence
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//EN\r\nMETHOD:REPLY\r\n"
        f"BEGIN:VEVENT\r\nUID:{row.uid}\r\nSEQUENCE:{seq}\r\nDTSTAMP:20260302T080000Z\r\n"
        f"ATTENDEE;PARTSTAT={partstat}:mailto:{email}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()


def post_reply(
    client: FlaskClient, body: bytes, secret: str = SECRET, kind: str = "text/calendar"
) -> TestResponse:
    return client.post("/api/v1/itip/reply", data=body, content_type=kind,
                       headers={"X-Inbound-Secret": secret})  # fmt: skip


@pytest.fixture
def inbound_app(inbound: Config) -> Iterator[Flask]:
    app = create_app(inbound)
    yield app
    app.extensions["planner.engine"].dispose()


def test_a_reply_accepts_and_refusals_say_why(inbound_app: Flask, session: Session) -> None:
    pair = make_pair(inbound_app, session)
    plan(pair, session)
    client = inbound_app.test_client()
    row = mail_rows(session, pair.lena_id, "proposed")[0]
    ok = post_reply(client, reply_to(row, "LENA@example.com", "ACCEPTED"))
    assert ok.status_code == 200 and ok.json["state"] == "accepted", ok.text
    again = post_reply(client, reply_to(row, "lena@example.com", "ACCEPTED"))
    assert again.status_code == 200 and again.json["state"] == "accepted"
    tentative = post_reply(client, reply_to(row, "lena@example.com", "TENTATIVE"))
    assert tentative.json["message"] == "Nothing changed."

    sam_row = next(m for m in mail_rows(session, pair.sam_id) if m.uid == row.uid)
    assert post_reply(client, reply_to(sam_row, "sam@example.com", "ACCEPTED")).json["state"] == (
        "confirmed"
    )
    older = post_reply(client, reply_to(sam_row, "sam@example.com", "DECLINED"))
    assert older.status_code == 409 and "version 0" in older.json["error"]["message"]
    confirmed = mail_rows(session, pair.sam_id)[-1]
    refused = post_reply(client, reply_to(confirmed, "sam@example.com", "DECLINED"))
    assert refused.status_code == 409 and "cancel it" in refused.json["error"]["message"]

    session.add(User(email="eve@example.com", password_hash="x", display_name="Eve", zone="UTC"))
    session.commit()
    cases = [
        (reply_to(row, "eve@example.com", "ACCEPTED"), 403),
        (reply_to(row, "nobody@example.com", "ACCEPTED"), 403),
        (
            reply_to(
                MailMessage(uid="unknown@example.com", sequence=0), "lena@example.com", "ACCEPTED"
            ),
            404,
        ),
        (b"BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n", 422),
        (b"\xff\xfe garbage", 422),
    ]
    for body, status in cases:
        response = post_reply(client, body)
        assert response.status_code == status, response.text
        assert response.json["error"]["message"]
    assert (
        post_reply(client, reply_to(row, "lena@example.com", "ACCEPTED"), "wrong").status_code
        == 401
    )
    assert post_reply(client, b"x" * 70_000).status_code == 413
    assert post_reply(client, reply_to(row, "lena@example.com", "ACCEPTED"),
                      kind="application/json").status_code == 415  # fmt: skip


def test_replies_are_refused_when_no_secret_is_configured(client: FlaskClient) -> None:
    response = post_reply(client, b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", secret="")
    assert response.status_code == 401 and "PLANNER_INBOUND_MAIL_SECRET" in response.text


def test_mail_settings_come_from_the_environment() -> None:
    env = {
        "PLANNER_SMTP_HOST": "smtp.example.org", "PLANNER_SMTP_SECURITY": "tls",
        "PLANNER_SMTP_USER": "u", "PLANNER_SMTP_PASSWORD": "p",
        "PLANNER_MAIL_FROM": "planner@example.org", "PLANNER_INBOUND_MAIL_SECRET": SECRET,
    }  # fmt: skip
    mail = Config.from_env(env).mail
    smtp = mail.smtp()
    assert smtp is not None and (smtp.port, smtp.security, smtp.username) == (465, "tls", "u")
    assert mail.inbound_secret == SECRET
    for bad in [{"PLANNER_SMTP_SECURITY": "ssl"}, {"PLANNER_SMTP_PORT": "70000"},
                {"PLANNER_SMTP_TIMEOUT": "0"}]:  # fmt: skip
        with pytest.raises(ConfigError):
            Config.from_env(bad)
    for bad in [{"PLANNER_SMTP_HOST": "smtp.example.org"},  # no real sender
                {"PLANNER_MAIL_FROM": "not an address"},
                {"PLANNER_INBOUND_MAIL_SECRET": "short"}]:  # fmt: skip
        with pytest.raises(ConfigError):
            Config.from_env(bad | {"SECRET_KEY": "x" * 40}).check()
