"""The home page: the hero for visitors, and an overview of what needs a partner's attention."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from flask import Flask
from sqlalchemy.orm import Session

from planner.core.intervals import Interval
from planner.services import planning
from planner.store.busy import record_sync_failure
from tests.web.conftest import sign_up
from tests.web.test_proposals import (
    NOW,
    SECRET,
    add_busy,
    confirm,
    make_pair,
    plan,
    post,
    proposals,
)


def test_visitors_see_the_hero(app: Flask) -> None:
    page = app.test_client().get("/").text
    assert "Protected time for the two of you" in page and "Get started" in page


def test_a_partner_alone_is_asked_to_invite_and_to_connect_a_calendar(app: Flask) -> None:
    app.extensions["planner.clock"] = lambda: NOW
    client = app.test_client()
    sign_up(client, "olga")
    page = client.get("/").text
    assert "Invite your partner" in page and 'href="/couple"' in page
    assert "no calendar connected yet" in page and 'href="/calendars"' in page
    assert "Plan my weeks" not in page


def test_waiting_proposals_and_the_next_connection_in_both_zones(
    app: Flask, session: Session
) -> None:
    pair = make_pair(app, session, zone_b="America/New_York")
    first, second, *_ = plan(pair, session)
    post(pair.lena, f"/proposals/{second.id}/accept")
    sam = pair.sam.get("/").text
    assert "Waiting for your answer" in sam and "lena said yes" in sam
    assert 'action="/week/plan"' in sam and 'name="csrf_token"' in sam
    lena = pair.lena.get("/").text
    assert "Nothing confirmed yet" in lena and 'href="/week?start=' in lena

    conn = confirm(pair, session, first.id)
    lena = pair.lena.get("/").text
    assert "Next connection" in lena and f"/connections/{conn.id}.ics" in lena
    assert "(sam: " in lena  # Sam's own clock, which differs from Lena's


def test_a_clash_shows_its_alternative_and_a_stale_calendar_warns(
    app: Flask, session: Session
) -> None:
    pair = make_pair(app, session)
    date_night = next(p for p in plan(pair, session) if p.ritual == "date-night")
    conn = confirm(pair, session, date_night.id)
    meeting = Interval(conn.start, conn.start + timedelta(minutes=30))
    source_id = add_busy(session, pair.sam_id, [meeting])
    planning.protect(session, pair.couple_id, now=NOW)
    (alternative,) = [p for p in proposals(session, pair.couple_id) if p.replaces_connection_id]
    lena = pair.lena.get("/").text
    assert "now overlaps a new commitment" in lena and "nearest good time instead" in lena
    assert SECRET not in lena  # Sam's meeting stays Sam's
    shown = alternative.start.astimezone(ZoneInfo("Europe/Berlin"))
    assert shown.strftime("%a %-d %b, %H:%M") in lena

    record_sync_failure(session, source_id, NOW, "The server did not answer.")
    session.commit()
    sam = pair.sam.get("/").text
    assert "could not be read since" in sam and "work" in sam
    assert "could not be read" not in pair.lena.get("/").text  # only Sam's own calendars
