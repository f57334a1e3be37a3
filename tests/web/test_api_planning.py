"""API: the week, planning, accepting and declining, connections and invites, the feed.

Runs on both backends; the partner's week and busy time never hold the owner's titles.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.services.test_sources import calendar
from tests.web.conftest import sign_up
from tests.web.test_api_couple import Couple, bearer, paired

SECRET = "Board meeting with Acme"
LENA_ICS = calendar(  # Tuesday and Wednesday evenings, Berlin 18:00-24:00
    (SECRET, datetime(2026, 3, 3, 17, tzinfo=UTC), datetime(2026, 3, 3, 23, tzinfo=UTC)),
    (SECRET, datetime(2026, 3, 4, 17, tzinfo=UTC), datetime(2026, 3, 4, 23, tzinfo=UTC)),
)


@pytest.fixture
def couple(app: Flask) -> Couple:
    """Lena (Berlin, with a calendar) and Sam (New York), paired."""
    couple = paired(app)
    uploaded = couple.lena.post(
        "/api/v1/calendars/upload?name=Work", data=LENA_ICS, content_type="text/calendar"
    )
    assert uploaded.status_code == 201, uploaded.text
    return couple


def plan(client: FlaskClient, **body: object) -> list[dict[str, object]]:
    response = client.post("/api/v1/plan", json=body)
    assert response.status_code == 201, response.text
    proposals: list[dict[str, object]] = response.json["proposals"]
    return proposals


def test_plan_accept_confirm_invite_cancel(couple: Couple) -> None:
    found = plan(couple.lena, weeks=2)
    assert found and all(str(p["start"]).endswith("Z") for p in found)
    listed = couple.sam.get("/api/v1/proposals").json
    assert [p["id"] for p in listed["proposals"]] == [p["id"] for p in found]
    assert (listed["zone"], listed["partner_zone"]) == ("America/New_York", "Europe/Berlin")
    first = found[0]["id"]
    assert couple.lena.post(f"/api/v1/proposals/{first}/accept").json == {
        "id": first, "state": "accepted"
    }  # fmt: skip
    waiting = {p["id"]: p for p in couple.sam.get("/api/v1/proposals").json["proposals"]}
    assert waiting[first]["accepted_by_partner"] and not waiting[first]["accepted_by_me"]
    confirmed = couple.sam.post(f"/api/v1/proposals/{first}/accept").json
    assert confirmed == {"id": first, "state": "confirmed"}
    [connection] = couple.lena.get("/api/v1/connections").json["connections"]
    assert connection["start"] == found[0]["start"] and connection["status"] == "confirmed"
    invite = couple.sam.get(f"/api/v1/connections/{connection['id']}/invite.ics")
    assert invite.status_code == 200 and invite.mimetype == "text/calendar"
    assert b"METHOD:REQUEST" in invite.data and connection["uid"].encode() in invite.data
    assert couple.lena.post(f"/api/v1/connections/{connection['id']}/cancel").status_code == 204
    assert couple.lena.get("/api/v1/connections").json["connections"] == []
    cancelled = couple.lena.get(f"/api/v1/connections/{connection['id']}/invite.ics")
    # SEQUENCE 0 was the mailed tentative invite, 1 the confirmation, 2 the cancellation
    assert b"METHOD:CANCEL" in cancelled.data and b"SEQUENCE:2" in cancelled.data


def test_decline_offers_the_next_best_time(couple: Couple) -> None:
    found = plan(couple.lena, weeks=1)
    declined = couple.sam.post(f"/api/v1/proposals/{found[0]['id']}/decline")
    assert declined.status_code == 200
    assert declined.json["declined"] == found[0]["id"]
    alternative = declined.json["alternative"]
    assert alternative["ritual"] == found[0]["ritual"] and alternative["state"] == "proposed"
    assert alternative["start"] != found[0]["start"] and alternative["reason"]
    listed = [p["id"] for p in couple.lena.get("/api/v1/proposals").json["proposals"]]
    assert alternative["id"] in listed and found[0]["id"] not in listed
    again = couple.lena.post(f"/api/v1/proposals/{found[0]['id']}/decline")
    assert again.status_code == 409 and "declined" in again.json["error"]["message"]
    assert couple.lena.post(f"/api/v1/proposals/{found[0]['id']}/accept").status_code == 409


def test_another_couples_ids_are_404(app: Flask, couple: Couple) -> None:
    found = plan(couple.lena, weeks=1)
    couple.lena.post(f"/api/v1/proposals/{found[0]['id']}/accept")
    couple.sam.post(f"/api/v1/proposals/{found[0]['id']}/accept")
    [connection] = couple.lena.get("/api/v1/connections").json["connections"]
    kim = app.test_client()
    sign_up(kim, "kim")
    kim.post("/api/v1/couple")
    for method, path in [
        ("POST", f"/api/v1/proposals/{found[1]['id']}/accept"),
        ("POST", f"/api/v1/proposals/{found[1]['id']}/decline"),
        ("POST", f"/api/v1/connections/{connection['id']}/cancel"),
        ("GET", f"/api/v1/connections/{connection['id']}/invite.ics"),
        ("POST", "/api/v1/proposals/999999/accept"),
    ]:
        assert kim.open(path, method=method).status_code == 404, path
    assert kim.get("/api/v1/proposals").json["proposals"] == []
    assert kim.get("/api/v1/connections").json["connections"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [({"weeks": 0}, "weeks"), ({"weeks": 13}, "weeks"), ({"weeks": "two"}, "weeks"),
     ({"week": 2}, "week")],
)  # fmt: skip
def test_bad_plans_get_422_naming_the_field(
    couple: Couple, body: dict[str, object], field: str
) -> None:
    response = couple.lena.post("/api/v1/plan", json=body)
    assert response.status_code == 422, response.text
    assert response.json["error"]["field"] == field


def test_planning_alone_is_a_conflict(client: FlaskClient) -> None:
    sign_up(client, "kim")
    response = client.post("/api/v1/plan", json={})
    assert response.status_code == 409 and "partner" in response.json["error"]["message"]


def test_the_week_shows_titles_only_to_their_owner(couple: Couple) -> None:
    plan(couple.lena, weeks=1)
    mine = couple.lena.get("/api/v1/week?start=2026-03-04").json
    assert mine["start"] == "2026-03-02" and len(mine["days"]) == 7
    assert mine["me"] == {"name": "lena", "zone": "Europe/Berlin"}
    assert mine["partner"] == {"name": "sam", "zone": "America/New_York"}
    tuesday = mine["days"][1]
    assert tuesday["own"] == [
        {"start": "2026-03-03T17:00:00Z", "end": "2026-03-03T23:00:00Z", "title": SECRET}
    ]
    assert any(day["items"] for day in mine["days"]) and any(day["free"] for day in mine["days"])
    theirs = couple.sam.get("/api/v1/week?start=2026-03-02")
    assert SECRET not in theirs.text and "Work" not in theirs.text
    partner_busy = [b for day in theirs.json["days"] for b in day["partner"]]
    assert {"start": "2026-03-03T17:00:00Z", "end": "2026-03-03T23:00:00Z"} in partner_busy
    busy = couple.sam.get("/api/v1/busy?start=2026-03-01T00:00:00Z&end=2026-03-08T00:00:00Z")
    assert busy.status_code == 200 and busy.json["partner"] and SECRET not in busy.text


def test_the_week_defaults_to_this_week_and_checks_start(couple: Couple) -> None:
    assert couple.sam.get("/api/v1/week").json["start"] == "2026-03-02"
    for bad in ("2026-13-01", "monday", "2026-03-02T00:00:00Z"):
        response = couple.sam.get(f"/api/v1/week?start={bad}")
        assert response.status_code == 422 and response.json["error"]["field"] == "start", bad


def test_the_feed_link_is_shown_once_and_rotates(app: Flask, couple: Couple) -> None:
    state = couple.lena.get("/api/v1/feed").json
    assert state == {"in_couple": True, "active": False, "active_since": None,
                     "updated_at": None}  # fmt: skip
    made = couple.lena.post("/api/v1/feed/rotate")
    assert made.status_code == 201
    url, webcal = made.json["url"], made.json["webcal_url"]
    assert url.startswith("http://127.0.0.1:5000/feed/") and url.endswith(".ics")
    assert webcal == "webcal://" + url.removeprefix("http://")
    path = url.removeprefix("http://127.0.0.1:5000")
    anonymous = app.test_client()
    assert anonymous.get(path).status_code == 200
    live = couple.sam.get("/api/v1/feed").json
    assert live["active"] and live["active_since"] == "2026-03-02T08:00:00Z"
    assert "url" not in live
    headers = bearer(couple.sam)
    assert app.test_client().post("/api/v1/feed/rotate", headers=headers).status_code == 201
    assert anonymous.get(path).status_code == 404


def test_the_feed_needs_a_couple(client: FlaskClient) -> None:
    sign_up(client, "kim")
    assert client.get("/api/v1/feed").json["in_couple"] is False
    assert client.post("/api/v1/feed/rotate").status_code == 403
