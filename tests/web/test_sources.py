"""The calendars page: uploads, subscriptions against a loopback server, sync state badges,
size limits without a 500, and the partner's view without titles. Runs on both backends."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import datetime, timedelta
from ipaddress import ip_network

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from integrations.ics.fetch import REFUSED_MESSAGE
from planner.store.models import Couple, User
from planner.web import create_app
from planner.web.config import Config
from planner.web.db import sessions
from tests.services.test_sources import DENTIST_ICS, EXAMPLES, NOW, CalendarServer
from tests.services.test_sources import server as server  # the loopback calendar fixture
from tests.web.conftest import csrf_token, sign_up, strict

LOOPBACK = (ip_network("127.0.0.0/8"),)


class Clock:
    """A settable clock for the app."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
def clock(app: Flask) -> Clock:
    clock = Clock(NOW)
    app.extensions["planner.clock"] = clock
    return clock


@pytest.fixture
def local_app(config: Config) -> Flask:
    """An app that may fetch from 127.0.0.0/8 (the loopback calendar server)."""
    app = create_app(replace(config, fetch_allow=LOOPBACK))
    app.extensions["planner.clock"] = Clock(NOW)
    return app


def send_file(client: FlaskClient, data: bytes, filename: str = "work.ics", name: str = ""):  # type: ignore[no-untyped-def]
    return client.post(
        "/calendars/upload",
        data={"upload-name": name, "upload-file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def pair(app: Flask, *names: str) -> None:
    """Put the named (signed-up) partners into one couple."""
    with app.app_context(), sessions()() as session:
        couple = Couple()
        session.add(couple)
        for user in session.scalars(select(User).where(User.display_name.in_(names))):
            user.couple = couple
        session.commit()


def source_ids(client: FlaskClient) -> list[int]:
    return [int(n) for n in re.findall(r"/calendars/(\d+)/sync", client.get("/calendars").text)]


def test_the_page_needs_a_sign_in_and_offers_both_forms(client: FlaskClient) -> None:
    assert client.get("/calendars").status_code == 302
    sign_up(client, "lena")
    page = client.get("/calendars").text
    assert 'accept=".ics,text/calendar"' in page and 'type="file"' in page
    assert "No calendars yet" in page and "webcal" in page
    assert 'href="/calendars"' in page  # the top bar link


def test_uploading_an_example_shows_it_synced(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    sign_up(client, "lena")
    data = (EXAMPLES / "lena-berlin.ics").read_bytes()
    assert send_file(client, data, "lena-berlin.ics").status_code == 302
    clock.at = NOW + timedelta(minutes=5)
    page = client.get("/calendars").text
    assert "lena-berlin" in page and "Uploaded file" in page
    assert "Synced 5 minutes ago" in page and 'title="Mon 30 Nov, 09:00"' in page  # Berlin time
    assert "Team stand-up" in page  # the owner sees their own titles


@pytest.mark.parametrize(
    ("data", "message"),
    [(b"", "That file is empty"), (b"PK\x03\x04 a zip file", "That calendar cannot be read")],
    ids=["empty", "not-ics"],
)
def test_a_bad_file_gets_a_422_with_the_reason(
    client: FlaskClient, clock: Clock, data: bytes, message: str
) -> None:
    sign_up(client, "lena")
    response = send_file(client, data)
    assert response.status_code == 422 and message in response.text
    assert "No calendars yet" in response.text


def test_no_file_chosen_is_a_422(client: FlaskClient, clock: Clock) -> None:
    sign_up(client, "lena")
    response = client.post("/calendars/upload", data={"upload-name": "x"})
    assert response.status_code == 422 and "That file is empty" in response.text


def test_oversize_uploads_are_refused_plainly(config: Config) -> None:
    app = create_app(replace(config, upload_max_bytes=2048))
    app.extensions["planner.clock"] = Clock(NOW)
    client = app.test_client()
    sign_up(client, "lena")
    just_over = send_file(client, DENTIST_ICS + b" " * 2048)
    assert just_over.status_code == 422 and "larger than 2 KB" in just_over.text
    far_over = send_file(client, b"X" * (200 * 1024))
    assert far_over.status_code == 413 and "too large" in far_over.text


def test_subscribing_fetches_and_sync_now_is_conditional(
    local_app: Flask, server: CalendarServer
) -> None:
    client = local_app.test_client()
    sign_up(client, "lena")
    response = client.post("/calendars/subscribe", data={"subscribe-url": server.url()})
    assert response.status_code == 302
    [source_id] = source_ids(client)
    page = client.post(f"/calendars/{source_id}/sync", follow_redirects=True).text
    assert "unchanged" in page and "Subscribed link" in page and server.url() in page
    assert server.served.requests[-1].get("If-None-Match") == '"v1"'
    page = client.post("/calendars/sync", follow_redirects=True).text
    assert "unchanged" in page and len(server.served.requests) == 3


@pytest.mark.parametrize("url", ["http://10.0.0.1/cal.ics", "http://127.1/cal.ics", "LOOPBACK"])
def test_refused_links_all_read_the_same(
    client: FlaskClient, clock: Clock, server: CalendarServer, url: str
) -> None:
    sign_up(client, "lena")  # the default test config allows no private network
    url = server.url() if url == "LOOPBACK" else url
    response = client.post("/calendars/subscribe", data={"subscribe-url": url})
    assert response.status_code == 422 and REFUSED_MESSAGE.replace("'", "&#39;") in response.text
    assert server.served.requests == []


def test_a_failing_server_shows_stale_with_the_error(
    local_app: Flask, server: CalendarServer
) -> None:
    client = local_app.test_client()
    sign_up(client, "lena")
    client.post("/calendars/subscribe", data={"subscribe-url": server.url()})
    [source_id] = source_ids(client)
    server.served.status = 404
    local_app.extensions["planner.clock"].at = NOW + timedelta(hours=2)
    page = client.post(f"/calendars/{source_id}/sync", follow_redirects=True).text
    assert "Stale since Mon 30 Nov, 11:00" in page
    assert "The server answered 404 Not Found." in page
    assert "last known busy time still counts" in page


def test_the_partner_sees_busy_never_titles(app: Flask, clock: Clock) -> None:
    lena, sam = app.test_client(), app.test_client()
    sign_up(lena, "lena")
    sign_up(sam, "sam", "America/New_York")
    pair(app, "lena", "sam")
    assert send_file(lena, DENTIST_ICS, "clinic-visits.ics", name="Clinic").status_code == 302
    assert "Dentist" in lena.get("/calendars").text
    page = sam.get("/calendars").text
    assert "Dentist" not in page and "Clinic" not in page and "clinic-visits" not in page
    assert "Tue 1 Dec, 05:00–06:00" in page and "Busy" in page  # in Sam's zone
    [source_id] = source_ids(lena)
    assert sam.post(f"/calendars/{source_id}/sync").status_code == 404
    assert sam.post(f"/calendars/{source_id}/remove").status_code == 404
    assert lena.post(f"/calendars/{source_id}/remove").status_code == 302
    assert "Dentist" not in lena.get("/calendars").text


def test_the_forms_carry_csrf_tokens(config: Config) -> None:
    app = create_app(strict(config))
    app.extensions["planner.clock"] = Clock(NOW)
    client = app.test_client()
    token = csrf_token(client, "/signup")
    data = {"name": "ana", "email": "ana@example.com", "password": "x" * 12, "zone": "UTC"}
    assert client.post("/signup", data={**data, "csrf_token": token}).status_code == 302
    assert send_file(client, DENTIST_ICS).status_code == 400
    page = client.get("/calendars").text
    token = re.search(r'name="upload-csrf_token" type="hidden" value="([^"]+)"', page)
    assert token is not None
    response = client.post(
        "/calendars/upload",
        data={
            "upload-csrf_token": token.group(1),
            "upload-file": (io.BytesIO(DENTIST_ICS), "a.ics"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
