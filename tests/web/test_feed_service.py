"""The feed service: render on change, token rotation, unknown and revoked tokens alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from icalendar import Calendar
from sqlalchemy.orm import Session

from planner.services.feed import feed_for_token, issue_token, refresh_feed
from planner.store.models import Connection, Couple, User

NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)


def couple_with_connections(session: Session) -> int:
    couple = Couple()
    users = [User(email=f"{n}@example.com", password_hash="x", display_name=n, zone="UTC",
                  couple=couple) for n in ("Lena", "Sam")]  # fmt: skip
    session.add_all([couple, *users])
    session.flush()
    start = datetime(2026, 12, 4, 18, tzinfo=UTC)
    live = Connection(couple_id=couple.id, uid="live@test", ritual="date-night", start=start,
                      end=start + timedelta(hours=2, minutes=30))  # fmt: skip
    gone = Connection(couple_id=couple.id, uid="gone@test", ritual="coffee", status="cancelled",
                      start=start + timedelta(days=1), end=start + timedelta(days=1, minutes=30),
                      sequence=2, updated_at=NOW - timedelta(days=1))  # fmt: skip
    old = Connection(couple_id=couple.id, uid="old@test", ritual="coffee", status="cancelled",
                     start=start + timedelta(days=2), end=start + timedelta(days=2, minutes=30),
                     updated_at=NOW - timedelta(days=90))  # fmt: skip
    session.add_all([live, gone, old])
    session.flush()
    return couple.id


def test_feed_holds_live_and_recently_cancelled_connections(session: Session) -> None:
    couple_id = couple_with_connections(session)
    token = issue_token(session, couple_id, now=NOW)
    session.commit()
    feed = feed_for_token(session, token)
    assert feed is not None and feed.etag.startswith('"')
    calendar = Calendar.from_ical(feed.body)
    assert calendar["METHOD"] == "PUBLISH" and str(calendar["X-PUBLISHED-TTL"].to_ical()) != ""
    events = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {"live@test", "gone@test"}
    assert events["live@test"]["STATUS"] == "CONFIRMED"
    assert events["live@test"]["TRANSP"] == "OPAQUE"
    assert events["gone@test"]["STATUS"] == "CANCELLED" and events["gone@test"]["SEQUENCE"] == 2
    assert "Lena & Sam" in str(calendar["X-WR-CALNAME"])


def test_rotation_kills_the_old_token_and_unknown_looks_the_same(session: Session) -> None:
    couple_id = couple_with_connections(session)
    first = issue_token(session, couple_id, now=NOW)
    second = issue_token(session, couple_id, now=NOW)
    session.commit()
    assert feed_for_token(session, first) is None
    assert feed_for_token(session, "no-such-token") is None
    assert feed_for_token(session, second) is not None


def test_refresh_changes_the_etag_only_when_the_body_changes(session: Session) -> None:
    couple_id = couple_with_connections(session)
    one = refresh_feed(session, couple_id, now=NOW)
    assert refresh_feed(session, couple_id, now=NOW).etag == one.etag
    connection = session.query(Connection).filter_by(uid="live@test").one()
    connection.sequence += 1
    assert refresh_feed(session, couple_id, now=NOW).etag != one.etag
