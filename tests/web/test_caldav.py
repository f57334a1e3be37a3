"""Connecting a CalDAV calendar from the Calendars page against a real Radicale on loopback:
the connect form, choosing calendars and write-back, the errors a person sees, and what
happens without secret keys. Runs on both backends."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from html import unescape
from ipaddress import ip_network

import pytest
from cryptography.fernet import Fernet
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from integrations.caldav.source import REFUSED
from planner.store.models import CaldavEvent, Connection, MailMessage, WriteBackIssue
from planner.web import create_app
from planner.web.config import Config
from planner.web.mail_config import MailConfig
from tests.integrations.caldav.calendars import NOW, OBJECTS
from tests.integrations.caldav.conftest import (  # noqa: F401 - the fixture
    PASSWORD,
    USER,
    RunningRadicale,
    radicale,
)
from tests.web.conftest import sign_up
from tests.web.test_mail_links import SECRET as INBOUND
from tests.web.test_mail_links import links, mail_rows, post_reply, reply_to
from tests.web.test_proposals import make_pair, plan
from tests.web.test_sources import Clock

KEY = Fernet.generate_key().decode()


@pytest.fixture
def caldav_app(config: Config) -> Iterator[Flask]:
    """An app with a secret key that may reach 127.0.0.1 (Radicale)."""
    app = create_app(replace(config, secret_keys=(KEY,), fetch_allow=(ip_network("127.0.0.1/32"),)))
    app.extensions["planner.clock"] = Clock(NOW)
    yield app
    app.extensions["planner.engine"].dispose()


@pytest.fixture
def browser(caldav_app: Flask) -> FlaskClient:
    client = caldav_app.test_client()
    sign_up(client, "lena")
    return client


@pytest.fixture
def work(radicale: RunningRadicale) -> str:  # noqa: F811
    url = radicale.make_calendar("work", "Work")
    for name, data in OBJECTS.items():
        radicale.put(url, name, data)
    return url


def connect(client: FlaskClient, server: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    form = {"caldav-server_url": server, "caldav-username": USER, "caldav-password": password}
    return client.post("/sources/caldav/connect", data=form)


def test_connect_choose_and_see_busy_time(
    browser: FlaskClient,
    radicale: RunningRadicale,  # noqa: F811
    work: str,
) -> None:
    page = browser.get("/calendars").text
    assert 'id="caldav"' in page and "App password" in page
    response = connect(browser, radicale.url)
    assert response.status_code == 303
    choose = browser.get(response.headers["Location"])
    assert choose.status_code == 200 and "Work" in choose.text and work in unescape(choose.text)
    response = browser.post(
        response.headers["Location"], data={"calendar": [work], "write_url": work}
    )
    assert response.status_code == 303 and response.headers["Location"].endswith("/calendars")
    page = browser.get("/calendars").text
    assert "CalDAV" in page and "Write-back is on." in page
    assert re.search(r"Work: \d+ busy blocks\.", page)
    assert "to Work" in page
    assert PASSWORD not in page


def test_a_wrong_password_is_shown_beside_the_field(
    browser: FlaskClient,
    radicale: RunningRadicale,  # noqa: F811
    work: str,
) -> None:
    response = connect(browser, radicale.url, password="wrong")
    assert response.status_code == 422
    assert "did not accept that user name and app password" in unescape(response.text)
    assert "wrong" not in response.text  # the password is not sent back


def test_a_private_address_is_refused_without_the_allow_list(
    config: Config,
    radicale: RunningRadicale,  # noqa: F811
    work: str,
) -> None:
    app = create_app(replace(config, secret_keys=(KEY,)))
    client = app.test_client()
    sign_up(client, "lena")
    before = len(radicale.requests)
    response = connect(client, radicale.url)
    assert response.status_code == 422 and unescape(REFUSED) in unescape(response.text)
    assert len(radicale.requests) == before  # nothing was sent
    app.extensions["planner.engine"].dispose()


def test_without_secret_keys_caldav_is_not_offered(client: FlaskClient) -> None:
    sign_up(client, "lena")
    assert 'id="caldav"' not in client.get("/calendars").text
    assert connect(client, "https://caldav.example.org/").status_code == 404


def test_another_partners_account_is_not_found(
    caldav_app: Flask,
    browser: FlaskClient,
    radicale: RunningRadicale,  # noqa: F811
    work: str,
) -> None:
    location = connect(browser, radicale.url).headers["Location"]
    other = caldav_app.test_client()
    sign_up(other, "sam")
    assert other.get(location).status_code == 404
    account_id = location.split("/")[-2]
    assert other.post(f"/sources/caldav/{account_id}/disconnect").status_code == 404
    assert browser.post(f"/sources/caldav/{account_id}/disconnect").status_code == 303
    assert browser.get(location).status_code == 404


# --- write-back when a proposal is accepted from the invite mail ----------------------------


@pytest.fixture
def mail_app(config: Config) -> Iterator[Flask]:
    """The CalDAV app that also takes iTIP replies from an inbound-mail service."""
    found = replace(
        config, secret_keys=(KEY,), fetch_allow=(ip_network("127.0.0.1/32"),),
        mail=MailConfig(inbound_secret=INBOUND),
    )  # fmt: skip
    app = create_app(found)
    yield app
    app.extensions["planner.engine"].dispose()


def written(session: Session, radicale: RunningRadicale, proposal_id: int) -> bytes:  # noqa: F811
    """The event the confirmed connection of ``proposal_id`` left in Radicale."""
    query = select(Connection).where(Connection.proposal_id == proposal_id)
    conn = session.scalars(query.execution_options(populate_existing=True)).one()
    row = session.scalars(select(CaldavEvent).where(CaldavEvent.connection_uid == conn.uid)).one()
    session.commit()
    status, body = radicale.get(row.url)
    assert status == 200 and f"UID:{conn.uid}".encode() in body
    return body


def test_accepting_through_mail_writes_the_connection_to_radicale(
    mail_app: Flask,
    session: Session,
    radicale: RunningRadicale,  # noqa: F811
    work: str,
) -> None:
    pair = make_pair(mail_app, session)
    location = connect(pair.lena, radicale.url).headers["Location"]
    assert pair.lena.post(location, data={"write_url": work}).status_code == 303
    plan(pair, session)
    first, second = mail_rows(session, pair.lena_id, "proposed")[:2]
    client = mail_app.test_client()  # no session: the link and the secret are enough

    def sam_replies(row: MailMessage) -> str:
        sam_row = next(m for m in mail_rows(session, pair.sam_id) if m.uid == row.uid)
        response = post_reply(client, reply_to(sam_row, "sam@example.com", "ACCEPTED"))
        assert response.status_code == 200, response.text
        return str(response.json["state"])

    assert sam_replies(first) == "accepted"  # Sam by iTIP, then Lena's Accept link confirms
    assert "Confirmed" in client.post(links(mail_app, session, first)["accept"]).text
    assert first.proposal_id is not None and written(session, radicale, first.proposal_id)

    assert "Accepted" in client.post(links(mail_app, session, second)["accept"]).text
    assert sam_replies(second) == "confirmed"  # Lena's link first, then Sam's reply confirms
    assert second.proposal_id is not None and written(session, radicale, second.proposal_id)
    assert session.scalars(select(WriteBackIssue)).all() == []
