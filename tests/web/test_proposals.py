"""The week page end to end: plan, accept, decline, confirm, invites, cancel, privacy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from icalendar import Calendar
from sqlalchemy import select
from sqlalchemy.orm import Session

from integrations.ics.invites import stable_uid
from planner.core.intervals import Interval
from planner.core.rituals import CATALOGUE
from planner.store.busy import replace_busy
from planner.store.models import Connection, Couple, FeedCache, Proposal, Source, User
from tests.web.conftest import sign_up

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # Monday 09:00 in Berlin
HORIZON = Interval(NOW - timedelta(days=7), NOW + timedelta(days=60))
SECRET = "Board meeting with Acme"
LENA_BUSY = [  # Tuesday and Wednesday evenings, Berlin 18:00-24:00
    Interval(datetime(2026, 3, 3, 17, tzinfo=UTC), datetime(2026, 3, 3, 23, tzinfo=UTC)),
    Interval(datetime(2026, 3, 4, 17, tzinfo=UTC), datetime(2026, 3, 4, 23, tzinfo=UTC)),
]


@dataclass
class Pair:
    """Two signed-in partners of one couple, each with a browser."""

    couple_id: int
    lena: FlaskClient
    sam: FlaskClient
    lena_id: int
    sam_id: int


def make_pair(app: Flask, session: Session, zone_b: str = "Europe/Berlin") -> Pair:
    """Lena and Sam sign up; the couple is built with the store models directly."""
    app.extensions["planner.clock"] = lambda: NOW
    lena, sam = app.test_client(), app.test_client()
    sign_up(lena, "lena")
    sign_up(sam, "sam", zone_b)
    couple = Couple()
    session.add(couple)
    session.flush()
    users = {u.display_name: u for u in session.scalars(select(User))}
    for user in users.values():
        user.couple_id = couple.id
    session.commit()
    return Pair(couple.id, lena, sam, users["lena"].id, users["sam"].id)


def add_busy(session: Session, user_id: int, blocks: list[Interval], title: str = SECRET) -> int:
    """A calendar source of the user holding ``blocks`` (titled) over the test horizon."""
    source = Source(user_id=user_id, kind="upload", name="work")
    session.add(source)
    session.commit()
    replace_busy(session, source.id, HORIZON, [(b, title) for b in blocks])
    session.commit()
    return source.id


def proposals(session: Session, couple_id: int, *states: str) -> list[Proposal]:
    """The couple's proposals in the given states, earliest first (fresh from the database)."""
    query = select(Proposal).where(Proposal.couple_id == couple_id)
    if states:
        query = query.where(Proposal.state.in_(states))
    query = query.order_by(Proposal.start, Proposal.id).execution_options(populate_existing=True)
    found = list(session.scalars(query))
    session.commit()  # end the read: SQLite's BEGIN IMMEDIATE would hold the app's writes
    return found


def post(client: FlaskClient, path: str) -> None:
    """POST a button's form and expect the redirect back to the week."""
    response = client.post(path, data={"start": "2026-03-02"})
    assert response.status_code == 302, response.text
    assert "/week" in response.headers["Location"]


def plan(pair: Pair, session: Session) -> list[Proposal]:
    """Press "Plan my weeks" as Lena; the open proposals."""
    post(pair.lena, "/week/plan")
    return proposals(session, pair.couple_id, "proposed")


def confirm(pair: Pair, session: Session, proposal_id: int) -> Connection:
    """Both accept; the resulting connection."""
    post(pair.lena, f"/proposals/{proposal_id}/accept")
    post(pair.sam, f"/proposals/{proposal_id}/accept")
    query = select(Connection).where(Connection.proposal_id == proposal_id)
    found = session.scalar(query.execution_options(populate_existing=True))
    session.commit()
    assert found is not None
    return found


def feed_body(session: Session, couple_id: int) -> bytes:
    """The couple's stored feed body."""
    cache = session.get(FeedCache, couple_id, populate_existing=True)
    session.commit()
    assert cache is not None
    return cache.body


def one_event(body: bytes) -> tuple[Calendar, Calendar]:
    """The calendar and its only VEVENT."""
    calendar = Calendar.from_ical(body)
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 1
    return calendar, events[0]


def test_plan_proposes_slots_that_avoid_busy_time(app: Flask, session: Session) -> None:
    pair = make_pair(app, session)
    add_busy(session, pair.lena_id, LENA_BUSY)
    found = plan(pair, session)
    assert {p.ritual for p in found} >= {"date-night", "coffee", "check-in"}
    assert all(not any(p.start < b.end and b.start < p.end for b in LENA_BUSY) for p in found)
    assert all(p.start >= NOW and p.reason for p in found)
    page = pair.sam.get("/week?start=2026-03-02")
    assert page.status_code == 200
    assert "Date night" in page.text and found[0].reason.replace("'", "&#39;") in page.text


def test_planning_again_replaces_untouched_proposals_and_is_deterministic(
    app: Flask, session: Session
) -> None:
    pair = make_pair(app, session)
    first = [(p.ritual, p.start, p.reason) for p in plan(pair, session)]
    assert [(p.ritual, p.start, p.reason) for p in plan(pair, session)] == first
    kept = proposals(session, pair.couple_id)[0]
    post(pair.lena, f"/proposals/{kept.id}/accept")
    again = plan(pair, session)
    assert proposals(session, pair.couple_id, "accepted") == [kept]
    assert len(proposals(session, pair.couple_id)) == len(first)  # old untouched ones are gone
    assert not any(p.start < kept.end and kept.start < p.end for p in again)
    same_week = [p for p in again if p.ritual == kept.ritual and p.week_start == kept.week_start]
    assert len(same_week) == 1  # coffee twice a week: the accepted one and one more


def test_accept_by_one_waits_and_by_both_confirms_into_the_feed(
    app: Flask, session: Session
) -> None:
    pair = make_pair(app, session)
    first = plan(pair, session)[0]
    post(pair.lena, f"/proposals/{first.id}/accept")
    assert "Accepted by you — waiting for sam" in pair.lena.get("/week?start=2026-03-02").text
    assert "sam said yes" not in pair.lena.get("/week?start=2026-03-02").text
    assert "lena said yes" in pair.sam.get("/week?start=2026-03-02").text
    post(pair.lena, f"/proposals/{first.id}/accept")  # twice is the same as once
    conn = confirm(pair, session, first.id)
    assert conn.status == "confirmed" and (conn.start, conn.end) == (first.start, first.end)
    assert conn.uid == stable_uid(str(pair.couple_id), first.ritual, first.start.isoformat())
    assert conn.uid.encode() in feed_body(session, pair.couple_id)
    page = pair.sam.get("/week?start=2026-03-02").text
    assert "Download invite (.ics)" in page and f"/connections/{conn.id}.ics" in page


def test_decline_offers_the_next_best_time(app: Flask, session: Session) -> None:
    pair = make_pair(app, session)
    found = plan(pair, session)
    declined = next(p for p in found if p.ritual == "date-night")
    post(pair.sam, f"/proposals/{declined.id}/decline")
    after = proposals(session, pair.couple_id, "proposed")
    new = [p for p in after if p.id not in {f.id for f in found}]
    assert len(new) == 1 and new[0].ritual == "date-night"
    assert new[0].week_start == declined.week_start
    assert not (new[0].start < declined.end and declined.start < new[0].end)
    assert all(not (new[0].start < o.end and o.start < new[0].end) for o in after if o != new[0])
    assert proposals(session, pair.couple_id, "declined")[0].id == declined.id
    response = pair.sam.post(f"/proposals/{declined.id}/accept", data={})
    assert response.status_code == 302  # flashed: no longer open
    assert "no longer open" in pair.sam.get("/week").text


def test_invite_download_and_cancellation(app: Flask, session: Session) -> None:
    pair = make_pair(app, session)
    conn = confirm(pair, session, plan(pair, session)[0].id)
    response = pair.sam.get(f"/connections/{conn.id}.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    calendar, event = one_event(response.data)
    assert calendar["METHOD"] == "REQUEST"
    # 1: the proposal's invite mail carried this UID with SEQUENCE 0; confirming is version 1
    assert str(event["UID"]) == conn.uid and int(event["SEQUENCE"]) == 1
    attendees = sorted(str(a) for a in event["ATTENDEE"])
    assert attendees == ["mailto:lena@example.com", "mailto:sam@example.com"]
    assert str(event["DESCRIPTION"]) == CATALOGUE[conn.ritual].description
    assert str(event["ORGANIZER"]) == "mailto:planner@connection-planner.invalid"
    post(pair.sam, f"/connections/{conn.id}/cancel")
    calendar, event = one_event(pair.lena.get(f"/connections/{conn.id}.ics").data)
    assert calendar["METHOD"] == "CANCEL" and str(event["STATUS"]) == "CANCELLED"
    assert str(event["UID"]) == conn.uid and int(event["SEQUENCE"]) == 2
    assert b"STATUS:CANCELLED" in feed_body(session, pair.couple_id)


def test_outsiders_see_nothing(app: Flask, session: Session) -> None:
    pair = make_pair(app, session)
    conn = confirm(pair, session, plan(pair, session)[0].id)
    other = plan(pair, session)[0]
    stranger = app.test_client()
    sign_up(stranger, "eve")
    assert stranger.get(f"/connections/{conn.id}.ics").status_code == 404
    assert stranger.post(f"/proposals/{other.id}/accept").status_code == 404
    assert stranger.post(f"/proposals/{other.id}/decline").status_code == 404
    assert stranger.post(f"/connections/{conn.id}/cancel").status_code == 404
    assert stranger.post("/proposals/999999/accept").status_code == 404
    assert app.test_client().get("/week").status_code == 302  # sign in first


def test_alone_bad_dates_and_timezones(app: Flask, session: Session) -> None:
    app.extensions["planner.clock"] = lambda: NOW
    alone = app.test_client()
    sign_up(alone, "ana")
    page = alone.get("/week")
    assert page.status_code == 200 and "Invite your partner first" in page.text
    assert alone.get("/week?start=yesterday").status_code == 422
    response = alone.post("/week/plan", data={}, follow_redirects=True)
    assert "Invite your partner first" in response.text


def test_partner_in_another_zone_sees_both_clocks(app: Flask, session: Session) -> None:
    pair = make_pair(app, session, zone_b="America/New_York")
    found = plan(pair, session)
    assert any(p.ritual == "video-call" for p in found)
    page = pair.lena.get("/week?start=2026-03-02").text
    assert "(sam: " in page and "America/New_York" in page


@pytest.mark.parametrize("viewer", ["sam", "lena"])
def test_partner_never_sees_titles(app: Flask, session: Session, viewer: str) -> None:
    pair = make_pair(app, session)
    add_busy(session, pair.lena_id, LENA_BUSY)
    plan(pair, session)
    page = getattr(pair, viewer).get("/week?start=2026-03-02").text
    assert (SECRET in page) is (viewer == "lena")
    assert "busy" in page
