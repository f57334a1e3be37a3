"""Regressions of invite mail in the services: one SEQUENCE per UID wherever it is published,
a mail that cannot be built, stopping delivery, and HTML that no user text can break."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from icalendar import Calendar
from sqlalchemy import select
from sqlalchemy.orm import Session

from integrations.caldav.writeback import event_body as caldav_body
from integrations.google.writeback import event_body as google_body
from planner.core.intervals import Interval
from planner.services import invites, planning
from planner.services.feed import connection_invite
from planner.services.mail import Delivery, deliver
from planner.services.mail_text import Content, html, plain
from planner.store.busy import replace_busy
from planner.store.models import Connection, FeedCache, MailMessage, Source
from tests.mailserver import Inbox
from tests.services.test_mail import NOW, both_accept, mails, planned, settings


def published(session: Session, conn: Connection, user_id: int) -> dict[str, int]:
    """The SEQUENCE of ``conn``'s UID in each place that publishes it."""
    session.refresh(conn)
    cache = session.get(FeedCache, conn.couple_id, populate_existing=True)
    assert cache is not None
    (feed,) = [e for e in Calendar.from_ical(cache.body).walk("VEVENT") if e["UID"] == conn.uid]
    download = invites.invite_for(session, user_id, conn.id, now=NOW)
    (event,) = Calendar.from_ical(download).walk("VEVENT")
    invite = connection_invite(conn)
    caldav = Calendar.from_ical(caldav_body(invite, stamp=NOW))
    found = {
        "mail": max(m.sequence for m in mails(session) if m.uid == conn.uid),
        "connection": conn.sequence,
        "feed": int(feed["SEQUENCE"]),
        "download": int(event["SEQUENCE"]),
        "google": int(google_body(invite)["sequence"]),
        "caldav": int(next(iter(caldav.walk("VEVENT")))["SEQUENCE"]),
    }
    session.commit()
    return found


def test_issue_every_place_publishes_the_sequence_of_the_last_mail(session: Session) -> None:
    couple_id, lena, sam, found = planned(session)
    conn = both_accept(session, lena, sam, found[0].id)
    assert set(published(session, conn, lena).values()) == {1}  # the tentative invite was 0
    source = Source(user_id=sam, kind="upload", name="work")
    session.add(source)
    session.commit()
    window = Interval(NOW, NOW + timedelta(days=30))
    replace_busy(session, source.id, window, [(Interval(conn.start, conn.end), "meeting")])
    session.commit()
    (report,) = [r for r in planning.protect(session, couple_id, now=NOW) if r.alternative_id]
    assert report.alternative_id is not None
    both_accept(session, lena, sam, report.alternative_id)
    assert set(published(session, conn, lena).values()) == {2}  # moved
    invites.cancel(session, lena, conn.id, now=NOW)
    assert set(published(session, conn, lena).values()) == {3}  # cancelled


def test_issue_a_mail_that_cannot_be_built_fails_alone(
    session: Session, inbox: Inbox, smtp_port: int
) -> None:
    """One row that cannot be rendered used to abort the whole run and stay claimed, to be
    tried (and fail) again every 15 minutes for ever."""
    planned(session)
    rows = mails(session)
    broken = session.get(MailMessage, rows[0].id)
    assert broken is not None
    broken.recipient = "no address at all"
    session.commit()
    report = deliver(session, settings(smtp_port), now=NOW)
    assert report == Delivery(sent=len(rows) - 1, failed=1)
    (failed,) = [m for m in mails(session) if m.state == "failed"]
    assert (
        failed.id == rows[0].id and failed.last_error and "could not be built" in failed.last_error
    )
    assert deliver(session, settings(smtp_port), now=NOW + timedelta(hours=1)) == Delivery()
    assert len(inbox.messages) == len(rows) - 1


def test_delivery_stops_between_mails_when_asked(
    session: Session, inbox: Inbox, smtp_port: int
) -> None:
    planned(session)
    asked: list[int] = []

    def keep_going() -> bool:
        asked.append(1)
        return len(asked) <= 2

    assert deliver(session, settings(smtp_port), now=NOW, keep_going=keep_going).sent == 2
    assert len(inbox.messages) == 2
    pending = session.scalars(select(MailMessage).where(MailMessage.state == "pending")).all()
    session.commit()
    assert pending  # the rest waits for the next run


HOSTILE = "<script>alert(\"x\")</script> & <b onmouseover='1'>"


def test_the_html_part_escapes_every_piece_of_user_text() -> None:
    start = datetime(2026, 3, 6, 18, tzinfo=UTC)
    content = Content(
        kind="proposed", ritual="date-night", start=start, end=start + timedelta(hours=2),
        zone="Europe/Berlin", recipient=HOSTILE, partner=HOSTILE, note=HOSTILE,
        week_url='http://planner.test/week?a=1&b="2"', accept='http://x.test/a?"><script>',
        decline="http://x.test/d",
    )  # fmt: skip
    body = html(content)
    assert "<script>" not in body and "onmouseover='" not in body and '"2"' not in body
    assert body.count("&lt;script&gt;") == 4  # recipient, partner (lead), note, accept link
    assert HOSTILE in plain(content)
