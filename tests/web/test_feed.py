"""The private feed: the .ics endpoint (headers, 304, one 404 for every bad token, no cookies)
and the page that makes and rotates its link."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from icalendar import Calendar
from sqlalchemy import select

from planner.services.feed import issue_token, refresh_feed
from planner.store.models import BusyBlock, Connection, Couple, Source, User
from planner.web import create_app
from planner.web.config import Config
from planner.web.db import sessions
from tests.web.conftest import csrf_token, sign_up, strict

NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)
LINK = re.compile(r"webcal://[^/\s<]+/feed/([A-Za-z0-9_-]+)\.ics")
SECRET = "Dentist: root canal"


@pytest.fixture
def lena(app: Flask) -> FlaskClient:
    """Lena, signed in and paired with Sam; their couple has two connections."""
    app.extensions["planner.clock"] = lambda: NOW
    client = app.test_client()
    sign_up(client, "lena")
    sign_up(app.test_client(), "sam", zone="America/New_York")
    with app.app_context(), sessions()() as session:
        couple = Couple()
        session.add(couple)
        session.flush()
        users = session.scalars(select(User).order_by(User.id)).all()
        for user in users:
            user.couple_id = couple.id
        source = Source(user_id=users[0].id, kind="upload", name="Work")
        session.add(source)
        session.flush()
        start = NOW + timedelta(days=3)
        session.add(BusyBlock(source_id=source.id, start=start, end=start + timedelta(hours=1),
                              title=SECRET))  # fmt: skip
        for n, ritual in enumerate(("date-night", "coffee")):
            at = start + timedelta(days=n, hours=8)
            session.add(Connection(couple_id=couple.id, uid=f"c{n}@test", ritual=ritual,
                                   start=at, end=at + timedelta(hours=1)))  # fmt: skip
        session.flush()
        refresh_feed(session, couple.id, now=NOW)
        session.commit()
    return client


def new_link(client: FlaskClient) -> str:
    """Rotate (or make) the feed link from the page; return the token it shows."""
    response = client.post("/feed/rotate")
    assert response.status_code == 200, response.text
    found = LINK.search(response.text)
    assert found, "no webcal link on the page"
    return found.group(1)


def fetch(app: Flask, token: str, **headers: str) -> tuple[int, bytes, dict[str, str]]:
    """GET the feed as a calendar app would: a fresh client without cookies."""
    response = app.test_client().get(f"/feed/{token}.ics", headers=headers)
    return response.status_code, response.data, dict(response.headers)


def test_feed_serves_the_stored_body_with_its_headers(app: Flask, lena: FlaskClient) -> None:
    token = new_link(lena)
    status, body, headers = fetch(app, token)
    assert status == 200 and body.startswith(b"BEGIN:VCALENDAR")
    assert headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert re.fullmatch(r'"[0-9a-f]{32}"', headers["ETag"])  # strong: no W/
    assert headers["Cache-Control"] == "private, max-age=300"
    assert headers["Last-Modified"] == "Tue, 24 Nov 2026 12:00:00 GMT"
    assert "Set-Cookie" not in headers
    assert app.test_client().head(f"/feed/{token}.ics").status_code == 200


def test_feed_holds_connections_only(app: Flask, lena: FlaskClient) -> None:
    body = fetch(app, new_link(lena))[1]
    events = Calendar.from_ical(body).walk("VEVENT")
    assert sorted(str(e["UID"]) for e in events) == ["c0@test", "c1@test"]
    assert SECRET.encode() not in body and b"Dentist" not in body
    assert b"lena@example.com" not in body and b"sam@example.com" not in body


def test_if_none_match_gets_304_without_a_body(app: Flask, lena: FlaskClient) -> None:
    token = new_link(lena)
    etag = fetch(app, token)[2]["ETag"]
    for sent in (etag, f'"other", {etag}', f"W/{etag}", "*"):
        status, body, headers = fetch(app, token, **{"If-None-Match": sent})
        assert (status, body) == (304, b""), sent
        assert headers["ETag"] == etag and headers["Cache-Control"] == "private, max-age=300"
        assert "Set-Cookie" not in headers
    assert fetch(app, token, **{"If-None-Match": '"stale"'})[0] == 200


def test_a_changed_feed_gets_a_new_etag(app: Flask, lena: FlaskClient) -> None:
    token = new_link(lena)
    old = fetch(app, token)[2]["ETag"]
    with app.app_context(), sessions()() as session:
        connection = session.scalars(select(Connection).where(Connection.uid == "c0@test")).one()
        connection.status = "cancelled"
        connection.sequence += 1
        refresh_feed(session, connection.couple_id, now=NOW)
        session.commit()
    status, body, headers = fetch(app, token, **{"If-None-Match": old})
    assert status == 200 and headers["ETag"] != old and b"STATUS:CANCELLED" in body


def test_rotating_kills_the_old_link_at_once(app: Flask, lena: FlaskClient) -> None:
    old = new_link(lena)
    assert fetch(app, old)[0] == 200
    new = new_link(lena)
    assert new != old
    assert fetch(app, old)[0] == 404
    assert fetch(app, new)[0] == 200


GARBAGE = [
    "x" * 43,  # well formed, unknown
    "x" * 5000,
    "short",
    "a.b.c",
    "%00" * 20,
    "%ff%fe" * 12,
    "ünïcödé-" * 6,
    "..%2F..%2Fetc%2Fpasswd",
    "a/b/c/d",
    "tok en with spaces and; semicolons",
    "' OR 1=1 --" * 4,
]


def test_unknown_revoked_and_garbage_tokens_get_the_same_404(app: Flask, lena: FlaskClient) -> None:
    revoked = new_link(lena)
    new_link(lena)
    responses = [fetch(app, token) for token in [revoked, *GARBAGE]]
    answers = {(status, body, tuple(sorted(head.items()))) for status, body, head in responses}
    assert len(answers) == 1, answers
    status, body, headers = answers.pop()
    assert status == 404 and body == b"No calendar here.\n"
    assert dict(headers)["Cache-Control"] == "no-store" and "Set-Cookie" not in dict(headers)


def test_a_signed_in_browser_gets_no_cookie_from_the_feed(app: Flask, lena: FlaskClient) -> None:
    token = new_link(lena)
    for path in (f"/feed/{token}.ics", "/feed/nope.ics"):
        response = lena.get(path)
        assert "Set-Cookie" not in response.headers, path


def test_a_writer_holding_the_database_does_not_stall_the_feed(
    app: Flask, lena: FlaskClient
) -> None:
    token = new_link(lena)
    with app.app_context(), sessions()() as writer:
        couple_id = writer.scalars(select(Couple.id)).one()
        issue_token(writer, couple_id, now=NOW)  # revokes ``token``, not yet committed
        writer.flush()
        assert fetch(app, token)[0] == 200  # the committed state, read beside the writer
        writer.commit()
    assert fetch(app, token)[0] == 404


def test_the_page_shows_the_webcal_link_once(app: Flask, lena: FlaskClient) -> None:
    first = lena.get("/feed")
    assert "No feed link yet" in first.text and "Apple Calendar" in first.text
    shown = lena.post("/feed/rotate")
    assert shown.headers["Cache-Control"] == "no-store"
    assert 'id="copy-link"' in shown.text and "navigator.clipboard" in shown.text
    assert "webcal://127.0.0.1:5000/feed/" in shown.text
    again = lena.get("/feed")
    assert "Your feed is active" in again.text and "webcal://" not in again.text
    assert "24 Nov 2026, 13:00" in again.text  # Lena's own clock (Berlin)


def test_the_link_uses_the_configured_base_url(config: Config) -> None:
    app = create_app(replace(config, base_url="https://plan.example.org"))
    try:
        app.extensions["planner.clock"] = lambda: NOW
        client = app.test_client()
        sign_up(client, "kim")
        with app.app_context(), sessions()() as session:
            couple = Couple()
            session.add(couple)
            session.flush()
            session.scalars(select(User)).one().couple_id = couple.id
            session.commit()
        page = client.post("/feed/rotate").text
        assert re.search(r"webcal://plan\.example\.org/feed/[A-Za-z0-9_-]{43}\.ics", page)
        assert re.search(r"https://plan\.example\.org/feed/[A-Za-z0-9_-]{43}\.ics", page)
    finally:
        app.extensions["planner.engine"].dispose()


def test_a_partner_without_a_couple_is_told_to_pair_first(client: FlaskClient) -> None:
    sign_up(client, "solo")
    assert "Pair up first" in client.get("/feed").text
    refused = client.post("/feed/rotate")
    assert refused.status_code == 403 and "Pair with your partner first" in refused.text


def test_the_page_needs_a_signed_in_partner(client: FlaskClient) -> None:
    response = client.get("/feed")
    assert response.status_code == 302 and "/signin" in response.headers["Location"]
    assert client.post("/feed/rotate").status_code == 302


def test_rotating_needs_a_csrf_token(config: Config) -> None:
    app = create_app(strict(config))
    try:
        client = app.test_client()
        sign_up_strict(client)
        with app.app_context(), sessions()() as session:
            couple = Couple()
            session.add(couple)
            session.flush()
            session.scalars(select(User)).one().couple_id = couple.id
            session.commit()
        assert client.post("/feed/rotate").status_code == 400
        token = csrf_token(client, "/feed")
        assert client.post("/feed/rotate", data={"csrf_token": token}).status_code == 200
    finally:
        app.extensions["planner.engine"].dispose()


def sign_up_strict(client: FlaskClient) -> None:
    """Sign up with CSRF on: fetch the form's token first."""
    token = csrf_token(client, "/signup")
    data = {"name": "ola", "email": "ola@example.com", "password": "correct horse battery",
            "zone": "UTC", "csrf_token": token}  # fmt: skip
    assert client.post("/signup", data=data).status_code == 302
