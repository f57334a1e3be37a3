"""API: calendars (upload as a raw body, subscribe, sync, remove) and busy time, with the
partner's view that never holds titles. Both backends."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from ipaddress import ip_network

import pytest
from flask import Flask
from flask.testing import FlaskClient

from planner.web import create_app
from planner.web.config import Config
from tests.services.test_sources import DENTIST_ICS, NOW, CalendarServer
from tests.services.test_sources import server as server  # the loopback calendar fixture
from tests.web.conftest import sign_up
from tests.web.test_api_couple import paired

ICS = "text/calendar"
WEEK = "start=2026-11-30T00:00:00Z&end=2026-12-07T00:00:00Z"


def upload(client: FlaskClient, data: bytes = DENTIST_ICS, name: str = "Work", **kw: object):  # type: ignore[no-untyped-def]
    return client.post(f"/api/v1/calendars/upload?name={name}", data=data, content_type=ICS, **kw)  # type: ignore[arg-type]


@pytest.fixture
def lena(app: Flask) -> FlaskClient:
    app.extensions["planner.clock"] = lambda: NOW
    client = app.test_client()
    sign_up(client, "lena")
    return client


def test_upload_list_sync_and_remove(lena: FlaskClient) -> None:
    created = upload(lena)
    assert created.status_code == 201, created.text
    source = created.json
    assert (source["name"], source["kind"], source["status"], source["blocks"]) == (
        "Work", "upload", "ok", 1
    )  # fmt: skip
    assert source["last_success_at"] == "2026-11-30T08:00:00Z"
    assert lena.get("/api/v1/calendars").json == {"calendars": [source], "partner": None}
    synced = lena.post(f"/api/v1/calendars/{source['id']}/sync")
    assert synced.status_code == 200 and synced.json["outcome"] == "ok"
    assert synced.json["blocks"] == 1
    everything = lena.post("/api/v1/calendars/sync").json["results"]
    assert [r["id"] for r in everything] == [source["id"]]
    assert lena.delete(f"/api/v1/calendars/{source['id']}").status_code == 204
    assert lena.delete(f"/api/v1/calendars/{source['id']}").status_code == 404
    assert lena.get("/api/v1/calendars").json["calendars"] == []


@pytest.mark.parametrize(
    ("data", "content_type", "status", "field"),
    [
        (b"", ICS, 422, "file"),
        (b"not a calendar", ICS, 422, "file"),
        (DENTIST_ICS, "application/json", 415, None),
        (DENTIST_ICS, "multipart/form-data", 415, None),
    ],
)
def test_bad_uploads_get_4xx(
    lena: FlaskClient, data: bytes, content_type: str, status: int, field: str | None
) -> None:
    response = lena.post("/api/v1/calendars/upload", data=data, content_type=content_type)
    assert response.status_code == status, response.text
    assert response.json["error"].get("field") == field


def test_upload_name_is_validated(lena: FlaskClient) -> None:
    response = upload(lena, name="x" * 201)
    assert response.status_code == 422 and response.json["error"]["field"] == "name"


def test_uploads_over_the_limit_are_413(config: Config) -> None:
    app = create_app(replace(config, upload_max_bytes=2048))
    app.extensions["planner.clock"] = lambda: NOW
    client = app.test_client()
    sign_up(client, "lena")
    for size in (2049, 200 * 1024):  # just over, and over what Flask itself accepts
        response = upload(client, DENTIST_ICS + b" " * size)
        assert response.status_code == 413, response.text
    assert upload(client).status_code == 201


def test_other_partners_calendars_are_404(app: Flask, lena: FlaskClient) -> None:
    source_id = upload(lena).json["id"]
    kim = app.test_client()
    sign_up(kim, "kim")
    assert kim.post(f"/api/v1/calendars/{source_id}/sync").status_code == 404
    assert kim.delete(f"/api/v1/calendars/{source_id}").status_code == 404
    assert lena.get("/api/v1/calendars").json["calendars"][0]["id"] == source_id


def test_subscribing_to_a_link(config: Config, server: CalendarServer) -> None:
    app = create_app(replace(config, fetch_allow=(ip_network("127.0.0.0/8"),)))
    app.extensions["planner.clock"] = lambda: NOW
    client = app.test_client()
    sign_up(client, "lena")
    created = client.post("/api/v1/calendars", json={"url": server.url(), "name": "Club"})
    assert created.status_code == 201, created.text
    assert created.json["kind"] == "ics_url" and created.json["url"] == server.url()
    again = client.post(f"/api/v1/calendars/{created.json['id']}/sync").json
    assert again["outcome"] == "not_modified"


@pytest.mark.parametrize(
    ("body", "field"),
    [({"url": "http://10.0.0.1/cal.ics"}, "url"), ({}, "url"), ({"url": ["x"]}, "url"),
     ({"url": "https://example.org/a.ics", "name": 7}, "name")],
)  # fmt: skip
def test_refused_links_are_422(lena: FlaskClient, body: dict[str, object], field: str) -> None:
    response = lena.post("/api/v1/calendars", json=body)
    assert response.status_code == 422, response.text
    assert response.json["error"]["field"] == field


def test_busy_time_the_partner_sees_has_no_titles(app: Flask) -> None:
    couple = paired(app)
    app.extensions["planner.clock"] = lambda: NOW
    upload(couple.lena, name="Secret project")
    own = couple.lena.get(f"/api/v1/busy?{WEEK}").json
    assert own["own"] == [
        {"start": "2026-12-01T10:00:00Z", "end": "2026-12-01T11:00:00Z", "title": "Dentist"}
    ]
    assert (own["zone"], own["partner_zone"]) == ("Europe/Berlin", "America/New_York")
    theirs = couple.sam.get(f"/api/v1/busy?{WEEK}")
    assert theirs.json["partner"] == [
        {"start": "2026-12-01T10:00:00Z", "end": "2026-12-01T11:00:00Z"}
    ]
    assert theirs.json["own"] == []
    summary = couple.sam.get("/api/v1/calendars")
    assert summary.json["partner"] == {"name": "lena", "calendars": 1, "stale": 0,
                                       "stale_since": None}  # fmt: skip
    for response in (theirs, summary):
        assert "Dentist" not in response.text and "Secret project" not in response.text


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("start=2026-11-30T00:00:00Z&end=2027-02-01T00:00:01Z", "end"),  # over 62 days
        ("start=2026-11-30T00:00:00Z&end=2026-11-29T00:00:00Z", "end"),  # backwards
        ("start=2026-11-30T00:00:00&end=2026-12-01T00:00:00Z", "start"),  # no offset
        ("start=tomorrow&end=2026-12-01T00:00:00Z", "start"),
        ("end=2026-12-01T00:00:00Z", "start"),
        (f"{WEEK}&zone=UTC", "zone"),
    ],
)
def test_bad_busy_ranges_get_422_naming_the_field(
    lena: FlaskClient, query: str, field: str
) -> None:
    response = lena.get(f"/api/v1/busy?{query}")
    assert response.status_code == 422, response.text
    assert response.json["error"]["field"] == field


def test_busy_range_of_62_days_is_fine(lena: FlaskClient) -> None:
    response = lena.get(
        "/api/v1/busy?start=2026-11-30T00:00:00%2B01:00&end=2027-01-31T00:00:00%2B01:00"
    )
    assert response.status_code == 200
    assert response.json["start"] == "2026-11-29T23:00:00Z"
    assert isinstance(datetime.fromisoformat(response.json["end"]), datetime)
