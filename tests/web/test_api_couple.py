"""API: pairing (create, invite, join, leave), settings and rituals; session and Bearer.

Also the helpers the other API tests share: partners paired through the API itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient

from planner.core.rituals import CATALOGUE
from tests.web.conftest import sign_up

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # Monday 09:00 in Berlin


@dataclass
class Couple:
    """Two partners paired through the API, each with their own browser session."""

    lena: FlaskClient
    sam: FlaskClient


def join_token(url: str) -> str:
    """The secret at the end of an invite URL."""
    return url.rsplit("/", 1)[-1]


def paired(app: Flask, zone_b: str = "America/New_York") -> Couple:
    """Lena (Berlin) creates a couple and invites Sam, who joins; the clock is at NOW."""
    app.extensions["planner.clock"] = lambda: NOW
    lena, sam = app.test_client(), app.test_client()
    sign_up(lena, "lena")
    sign_up(sam, "sam", zone_b)
    assert lena.post("/api/v1/couple").status_code == 201
    url = lena.post("/api/v1/couple/invites").json["url"]
    joined = sam.post("/api/v1/couple/join", json={"token": join_token(url)})
    assert joined.status_code == 200, joined.text
    return Couple(lena, sam)


def bearer(client: FlaskClient, name: str = "script") -> dict[str, str]:
    """An Authorization header with a new personal token of the client's partner."""
    token = client.post("/api/v1/tokens", json={"name": name}).json["token"]
    return {"Authorization": f"Bearer {token}"}


def test_pairing_from_create_to_leave(app: Flask) -> None:
    app.extensions["planner.clock"] = lambda: NOW
    lena, sam = app.test_client(), app.test_client()
    sign_up(lena, "lena")
    sign_up(sam, "sam", "America/New_York")
    alone = lena.get("/api/v1/couple").json
    assert alone == {"couple_id": None, "zone": "Europe/Berlin", "partner": None,
                     "pending_invite": None}  # fmt: skip
    created = lena.post("/api/v1/couple")
    assert created.status_code == 201 and created.json["couple_id"]
    assert lena.post("/api/v1/couple").status_code == 409
    invite = lena.post("/api/v1/couple/invites")
    assert invite.status_code == 201
    assert invite.json["url"].startswith("http://127.0.0.1:5000/join/")
    assert invite.json["expires_at"] == "2026-03-09T08:00:00Z"
    pending = lena.get("/api/v1/couple").json["pending_invite"]
    assert pending == {"expires_at": "2026-03-09T08:00:00Z"}
    token = join_token(invite.json["url"])
    joined = sam.post("/api/v1/couple/join", json={"token": token})
    assert joined.status_code == 200
    assert joined.json["partner"] == {"name": "lena", "zone": "Europe/Berlin"}
    assert joined.json["zone"] == "America/New_York"
    mine = lena.get("/api/v1/couple").json
    assert mine["partner"] == {"name": "sam", "zone": "America/New_York"}
    assert mine["pending_invite"] is None
    again = sam.post("/api/v1/couple/join", json={"token": token})
    assert again.status_code == 409 and "already been used" in again.json["error"]["message"]
    assert lena.post("/api/v1/couple/invites").status_code == 409  # two partners already
    assert sam.delete("/api/v1/couple").status_code == 204
    assert sam.delete("/api/v1/couple").status_code == 409
    assert lena.get("/api/v1/couple").json["partner"] is None


def test_join_errors(app: Flask) -> None:
    app.extensions["planner.clock"] = lambda: NOW
    client = app.test_client()
    sign_up(client, "kim")
    unknown = client.post("/api/v1/couple/join", json={"token": "no-such-link"})
    assert unknown.status_code == 404 and "not valid" in unknown.json["error"]["message"]
    for body in ({}, {"token": 5}, {"token": ""}, {"token": "x", "extra": 1}):
        response = client.post("/api/v1/couple/join", json=body)
        assert response.status_code == 422, body
        assert response.json["error"]["field"] in {"token", "extra"}
    assert client.post("/api/v1/couple/invites").status_code == 409  # no couple yet


def test_settings_are_read_and_patched(app: Flask) -> None:
    client = app.test_client()
    sign_up(client, "lena")
    before = client.get("/api/v1/me/settings").json
    assert before["zone"] == "Europe/Berlin" and before["windows"]
    changed = client.patch("/api/v1/me/settings", json={"windows": "Mon-Fri 18:00-22:00"})
    assert changed.status_code == 200
    assert changed.json == {"zone": "Europe/Berlin", "windows": "Mon-Fri 18:00-22:00"}
    moved = client.patch("/api/v1/me/settings", json={"zone": "Asia/Kolkata"}).json
    assert moved == {"zone": "Asia/Kolkata", "windows": "Mon-Fri 18:00-22:00"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"zone": "Mars/Olympus_Mons"}, "zone"),
        ({"windows": "Funday 18:00-19:00"}, "windows"),
        ({"windows": ""}, "windows"),
        ({"zone": 3}, "zone"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_bad_settings_get_422_naming_the_field(
    client: FlaskClient, body: dict[str, object], field: str
) -> None:
    sign_up(client, "lena")
    response = client.patch("/api/v1/me/settings", json=body)
    assert response.status_code == 422, response.text
    assert response.json["error"]["field"] == field


def test_rituals_are_listed_and_set(app: Flask) -> None:
    couple = paired(app)
    listed = couple.lena.get("/api/v1/me/rituals").json["rituals"]
    assert [r["key"] for r in listed] == list(CATALOGUE)
    date_night = {"key": "date-night", "enabled": True, "per_week": 2, "duration_minutes": 180}
    saved = couple.lena.put("/api/v1/me/rituals", json=[date_night])
    assert saved.status_code == 200
    mine = {r["key"]: r for r in saved.json["rituals"]}["date-night"]
    assert (mine["per_week"], mine["duration_minutes"]) == (2, 180)
    assert mine["together"] == {"per_week": 1, "duration_minutes": 180}  # fewest, longest
    off = couple.sam.put("/api/v1/me/rituals", json=[{**date_night, "enabled": False}]).json
    assert {r["key"]: r for r in off["rituals"]}["date-night"]["together"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ([{"key": "date-night", "enabled": True, "per_week": 9, "duration_minutes": 60}],
         "0.per_week"),
        ([{"key": "date-night", "enabled": True, "per_week": 1, "duration_minutes": 5}],
         "0.duration_minutes"),
        ([{"key": "karaoke", "enabled": True, "per_week": 1, "duration_minutes": 60}], "0.key"),
        ([{"key": "date-night", "enabled": True, "per_week": 1}], "0.duration_minutes"),
        ([{"key": "date-night", "enabled": True, "per_week": 1, "duration_minutes": 60}] * 2,
         "body"),
        ({}, "body"),
    ],
)  # fmt: skip
def test_bad_rituals_get_422_naming_the_field(
    client: FlaskClient, body: object, field: str
) -> None:
    sign_up(client, "lena")
    response = client.put("/api/v1/me/rituals", json=body)
    assert response.status_code == 422, response.text
    assert response.json["error"]["field"] == field


def test_a_bearer_token_does_what_the_session_does(app: Flask) -> None:
    app.extensions["planner.clock"] = lambda: NOW
    browser = app.test_client()
    sign_up(browser, "lena")
    headers = bearer(browser)
    script = app.test_client()
    assert script.post("/api/v1/couple", headers=headers).status_code == 201
    invite = script.post("/api/v1/couple/invites", headers=headers)
    assert invite.status_code == 201
    assert browser.get("/api/v1/couple").json["pending_invite"] is not None
    assert script.patch("/api/v1/me/settings", json={"zone": "UTC"}, headers=headers).json[
        "zone"
    ] == "UTC"  # fmt: skip
    assert script.get("/api/v1/couple").status_code == 401
