"""The couple pages: create, invite link, join with two browsers, leave, settings, rituals."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from planner.core.intervals import Interval
from planner.services import couples, rituals
from planner.store import busy_of_user, replace_busy
from planner.store.models import Source, User
from planner.web import create_app
from planner.web.config import Config
from planner.web.db import sessions
from tests.web.conftest import csrf_token, sign_up, strict

NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)


def frozen(app: Flask, moment: datetime = NOW) -> None:
    app.extensions["planner.clock"] = lambda: moment


def invite_path(client: FlaskClient) -> str:
    """Create the couple (if needed) and return the path of its invite link."""
    page = client.get("/couple").text
    if "Create our couple" in page:
        assert client.post("/couple/create").status_code == 302
        page = client.get("/couple").text
    found = re.search(r'value="http://127\.0\.0\.1:5000(/join/[^"]+)"', page)
    assert found, page
    return found.group(1)


def user_id(app: Flask, name: str) -> int:
    with app.app_context(), sessions()() as session:
        found = session.scalar(select(User.id).where(User.display_name == name))
        assert found is not None
        return found


def pair(app: Flask) -> tuple[FlaskClient, FlaskClient]:
    lena, sam = app.test_client(), app.test_client()
    sign_up(lena, "lena")
    sign_up(sam, "sam", "America/New_York")
    path = invite_path(lena)
    assert sam.post(path).status_code == 302
    return lena, sam


def test_pairing_through_the_link(app: Flask) -> None:
    frozen(app)
    lena, sam = app.test_client(), app.test_client()
    sign_up(lena, "lena")
    sign_up(sam, "sam", "America/New_York")
    path = invite_path(lena)
    assert "Tue 1 Dec 2026, 13:00" in lena.get("/couple").text  # the expiry, in Berlin time
    page = sam.get(path)
    assert page.status_code == 200 and "lena invites you to plan connection time" in page.text
    assert page.headers["Referrer-Policy"] == "no-referrer"
    joined = sam.post(path, follow_redirects=True)
    assert "You and lena are now a couple" in joined.text and "You and lena" in joined.text
    mine = lena.get("/couple").text
    assert "You and sam" in mine and "America/New_York" in mine and "Video call" in mine


def test_a_link_works_once(app: Flask) -> None:
    ana, kim, olga = app.test_client(), app.test_client(), app.test_client()
    for client, name in [(ana, "ana"), (kim, "kim"), (olga, "olga")]:
        sign_up(client, name)
    path = invite_path(ana)
    assert kim.post(path).status_code == 302
    again = olga.get(path)
    assert again.status_code == 409 and "already been used" in again.text
    assert olga.post(path).status_code == 409
    with app.app_context(), sessions()() as session:
        assert couples.partner_of(session, user_id(app, "olga")) is None


def test_a_third_person_is_refused(app: Flask) -> None:
    lena, _ = pair(app)
    assert "Invite your partner" not in lena.get("/couple").text
    refused = lena.post("/couple/invite")
    assert refused.status_code == 409 and "two partners" in refused.text


def test_links_expire_after_seven_days(app: Flask) -> None:
    frozen(app)
    lena, sam = app.test_client(), app.test_client()
    sign_up(lena, "lena")
    sign_up(sam, "sam")
    path = invite_path(lena)
    frozen(app, NOW + timedelta(days=7))
    late = sam.get(path)
    assert late.status_code == 404 and "expired" in late.text
    assert sam.post(path).status_code == 404
    assert "Your invite link" not in lena.get("/couple").text
    assert "New link" in lena.get("/couple").text


def test_a_new_link_replaces_the_old_one(app: Flask) -> None:
    lena, sam = app.test_client(), app.test_client()
    sign_up(lena, "lena")
    sign_up(sam, "sam")
    old = invite_path(lena)
    assert lena.post("/couple/invite").status_code == 302
    new = invite_path(lena)
    assert new != old and sam.get(old).status_code == 404
    assert sam.get(new).status_code == 200


def test_an_unknown_link_is_a_friendly_404(client: FlaskClient) -> None:
    for path in ["/join/nonsense", "/join/" + "A" * 500, "/join/%00%ff"]:
        response = client.get(path)
        assert response.status_code == 404 and "This invite link is not valid" in response.text


def test_visitors_sign_up_and_come_back_to_the_link(app: Flask) -> None:
    lena = app.test_client()
    sign_up(lena, "lena")
    path = invite_path(lena)
    visitor = app.test_client()
    page = visitor.get(path).text
    assert "lena invites you" in page and f"/signup?next={path}" in page
    anonymous = app.test_client().post(path)
    assert anonymous.status_code == 302 and "/signin?next=" in anonymous.headers["Location"]
    data = {"name": "sam", "email": "sam@example.com", "password": "correct horse battery",
            "zone": "UTC"}  # fmt: skip
    signed = visitor.post(f"/signup?next={path}", data=data)
    assert signed.headers["Location"] == path
    assert visitor.post(path).status_code == 302


def test_joining_while_in_a_couple_is_refused(app: Flask) -> None:
    lena, kim = app.test_client(), app.test_client()
    sign_up(lena, "lena")
    sign_up(kim, "kim")
    path = invite_path(lena)
    invite_path(kim)  # kim has a couple of her own
    assert "leave your current couple first" in kim.get(path).text
    refused = kim.post(path)
    assert refused.status_code == 409 and "already in a couple" in refused.text


def test_leaving_stops_the_calendars_counting(app: Flask) -> None:
    lena, sam = pair(app)
    slot = Interval(NOW + timedelta(days=1), NOW + timedelta(days=1, hours=1))
    with app.app_context(), sessions()() as session:
        couple_id = add_busy(session, user_id(app, "sam"), slot)
    confirm = sam.get("/couple/leave")
    assert confirm.status_code == 200 and "Yes, leave" in confirm.text
    assert sam.post("/couple/leave", follow_redirects=True).status_code == 200
    with app.app_context(), sessions()() as session:
        window = Interval(NOW, NOW + timedelta(days=7))
        left = [busy_of_user(session, u.id, window) for u in couples.members(session, couple_id)]
        assert [slot] not in left
    assert "Create our couple" in sam.get("/couple").text
    assert "Invite your partner" in lena.get("/couple").text


def add_busy(session: Session, sam: int, slot: Interval) -> int:
    """Give Sam a busy hour; return the couple's id."""
    source = Source(user_id=sam, kind="upload", name="work")
    session.add(source)
    session.flush()
    replace_busy(session, source.id, slot, [(slot, "Dentist")])
    session.commit()
    couple_id = session.get(User, sam).couple_id  # type: ignore[union-attr]
    assert couple_id is not None
    return couple_id


def test_settings_name_the_bad_field(client: FlaskClient) -> None:
    sign_up(client, "lena")
    page = client.get("/settings").text
    assert '<datalist id="zones">' in page and "Pacific/Apia" in page
    assert "Mon-Fri 07:00-09:00" in page and "Date night" in page
    bad_zone = client.post("/settings", data={"zone": "Mars/Olympus", "windows": "Mon 18:00-20:00"})
    assert bad_zone.status_code == 422 and "Unknown time zone" in bad_zone.text
    assert 'name="rituals-4-key"' in bad_zone.text  # the other form is still whole
    bad = client.post("/settings", data={"zone": "UTC", "windows": "Someday 18:00-20:00"})
    assert bad.status_code == 422
    assert re.search(r'name="windows"[^<]*</textarea>\s*<small>.*?</small>\s*<em class="error">'
                     r"Windows: unknown day", bad.text, re.S)  # fmt: skip
    good = client.post("/settings", data={"zone": "Asia/Kolkata", "windows": "fri 18:00-24:00"})
    assert good.status_code == 302
    page = client.get("/settings").text
    assert "Asia/Kolkata" in page and "Fri 18:00-24:00" in page


def rituals_form(**changes: tuple[bool, int, int]) -> dict[str, object]:
    rows = {"date-night": (True, 1, 150), "coffee": (True, 2, 30), "check-in": (True, 1, 45),
            "affection": (False, 1, 60), "video-call": (False, 2, 60)} | changes  # fmt: skip
    data: dict[str, object] = {}
    for i, (key, (on, per_week, minutes)) in enumerate(rows.items()):
        data |= {f"rituals-{i}-key": key, f"rituals-{i}-per_week": str(per_week),
                 f"rituals-{i}-duration_minutes": str(minutes)}  # fmt: skip
        if on:
            data[f"rituals-{i}-enabled"] = "y"
    return data


def test_ritual_settings_shape_what_the_couple_gets(app: Flask) -> None:
    lena, sam = app.test_client(), app.test_client()
    sign_up(lena, "lena")
    sign_up(sam, "sam")
    assert sam.post(invite_path(lena)).status_code == 302
    assert (
        sam.post("/settings/rituals", data=rituals_form(coffee=(False, 2, 30))).status_code == 302
    )
    saved = lena.post("/settings/rituals", data=rituals_form(**{"date-night": (True, 1, 180)}))
    assert saved.status_code == 302
    with app.app_context(), sessions()() as session:
        couple_id = session.get(User, user_id(app, "lena")).couple_id  # type: ignore[union-attr]
        got = {r.key: r for r in rituals.effective_rituals(session, couple_id, NOW)}
    assert sorted(got) == ["check-in", "date-night"]
    assert got["date-night"].duration == timedelta(minutes=180)
    assert "1 × a week, 3 h" in lena.get("/settings").text
    bad = lena.post("/settings/rituals", data=rituals_form(coffee=(True, 9, 30)))
    assert bad.status_code == 422
    assert re.search(r'name="rituals-1-per_week"[^>]*>\s*<em class="error">Choose from 0 to 7',
                     bad.text)  # fmt: skip
    empty = lena.post("/settings/rituals", data={**rituals_form(), "rituals-1-per_week": ""})
    assert empty.status_code == 422


def test_couple_forms_need_a_csrf_token(config: Config) -> None:
    app = create_app(strict(config))
    client = app.test_client()
    sign_up_strict(client)
    assert client.post("/couple/create").status_code == 400
    token = csrf_token(client, "/couple")
    assert client.post("/couple/create", data={"csrf_token": token}).status_code == 302
    assert client.post("/settings", data={"zone": "UTC", "windows": "Mon 18:00-20:00"}
                       ).status_code == 400  # fmt: skip


def sign_up_strict(client: FlaskClient) -> None:
    data = {"name": "ola", "email": "ola@example.com", "password": "correct horse battery",
            "zone": "UTC", "csrf_token": csrf_token(client, "/signup")}  # fmt: skip
    assert client.post("/signup", data=data).status_code == 302


def test_pages_need_an_account(client: FlaskClient) -> None:
    for path in ["/couple", "/settings", "/couple/leave"]:
        response = client.get(path)
        assert response.status_code == 302 and "/signin" in response.headers["Location"]
