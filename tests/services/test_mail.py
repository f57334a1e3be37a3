"""Invite mail from the services: what each change queues (once), and delivery over a real
SMTP server on 127.0.0.1 that retries without ever sending one message twice."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from integrations.ics.invites import Person
from integrations.mail.smtp import RetryPolicy, SmtpSettings
from planner.cli import main
from planner.core.intervals import Interval
from planner.services import couples, invites, planning
from planner.services.demo import load_demo
from planner.services.mail import Delivery, MailSettings, deliver
from planner.services.outbox import queue_changes
from planner.store.busy import replace_busy
from planner.store.models import Connection, MailMessage, Proposal, Source, User
from tests.conftest import ROOT
from tests.mailserver import Inbox
from tests.services.test_couples import paired

NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)
SENDER = Person("planner@example.org", "Connection Planner")


def settings(port: int | None) -> MailSettings:
    smtp = None if port is None else SmtpSettings("127.0.0.1", port, "none", timeout=5)
    policy = RetryPolicy(attempts=3, first=timedelta(minutes=1))
    return MailSettings(SENDER, "http://planner.test", "k" * 40, smtp, policy)


def mails(session: Session) -> list[MailMessage]:
    found = list(session.scalars(select(MailMessage).order_by(MailMessage.id)
                                 .execution_options(populate_existing=True)))  # fmt: skip
    session.commit()
    return found


def planned(session: Session) -> tuple[int, int, int, list[Proposal]]:
    couple_id, lena, sam = paired(session)
    return couple_id, lena, sam, planning.plan(session, couple_id, now=NOW, weeks=1)


def both_accept(session: Session, lena: int, sam: int, proposal_id: int) -> Connection:
    invites.accept(session, lena, proposal_id, now=NOW)
    invites.accept(session, sam, proposal_id, now=NOW)
    found = session.scalar(select(Connection).where(Connection.proposal_id == proposal_id))
    assert found is not None
    return found


def new_since(session: Session, seen: int) -> list[tuple[str, str, int, int]]:
    """(kind, method, sequence, recipient) of the mails queued after the first ``seen``."""
    return [(m.kind, m.method, m.sequence, m.user_id) for m in mails(session)[seen:]]


def test_planning_queues_one_invite_per_proposal_and_partner_once(session: Session) -> None:
    couple_id, lena, sam, found = planned(session)
    queued = mails(session)
    assert found and len(queued) == 2 * len(found)
    assert {(m.kind, m.method, m.sequence, m.event_status) for m in queued} == {
        ("proposed", "REQUEST", 0, "TENTATIVE")
    }
    assert Counter(m.user_id for m in queued) == {lena: len(found), sam: len(found)}
    planning.plan(session, couple_id, now=NOW, weeks=1)  # the same plan again: no new mail
    assert queue_changes(session, couple_id, now=NOW) == 0
    session.commit()
    assert len(mails(session)) == len(queued)


def test_confirming_and_cancelling_raise_the_sequence_of_one_uid(session: Session) -> None:
    _, lena, sam, found = planned(session)
    seen = len(mails(session))
    proposed_uid = next(m.uid for m in mails(session) if m.proposal_id == found[0].id)
    conn = both_accept(session, lena, sam, found[0].id)
    assert conn.uid == proposed_uid  # the tentative invite turns into the connection
    assert new_since(session, seen) == [("confirmed", "REQUEST", 1, lena),
                                        ("confirmed", "REQUEST", 1, sam)]  # fmt: skip
    invites.cancel(session, sam, conn.id, now=NOW)
    assert new_since(session, seen + 2) == [("cancelled", "CANCEL", 2, lena),
                                            ("cancelled", "CANCEL", 2, sam)]  # fmt: skip
    assert {m.uid for m in mails(session)[seen:]} == {conn.uid}


def test_a_decline_withdraws_the_invite_and_proposes_the_next_time(session: Session) -> None:
    _, lena, _, found = planned(session)
    seen = len(mails(session))
    other = planning.decline(session, lena, found[0].id, now=NOW)
    assert other is not None
    queued = mails(session)[seen:]
    withdrawn = [m for m in queued if m.kind == "withdrawn"]
    assert len(withdrawn) == 2 and {m.method for m in withdrawn} == {"CANCEL"}
    assert {m.proposal_id for m in withdrawn} == {found[0].id}
    assert {m.sequence for m in withdrawn} == {1}
    assert {m.proposal_id for m in queued if m.kind == "proposed"} == {other.id}


def test_a_move_mails_the_new_time_under_the_same_uid(session: Session) -> None:
    couple_id, lena, sam, found = planned(session)
    conn = both_accept(session, lena, sam, found[0].id)
    source = Source(user_id=sam, kind="upload", name="work")
    session.add(source)
    session.commit()
    window = Interval(NOW, NOW + timedelta(days=30))
    replace_busy(session, source.id, window, [(Interval(conn.start, conn.end), "meeting")])
    session.commit()
    (report,) = [r for r in planning.protect(session, couple_id, now=NOW) if r.alternative_id]
    assert report.alternative_id is not None
    seen = len(mails(session))
    both_accept(session, lena, sam, report.alternative_id)
    queued = mails(session)[seen:]
    moved = [m for m in queued if m.uid == conn.uid]
    assert [(m.kind, m.method, m.sequence) for m in moved] == [("moved", "REQUEST", 2)] * 2
    assert {m.kind for m in queued if m.uid != conn.uid} == {"withdrawn"}


def test_leaving_cancels_for_both_partners(session: Session) -> None:
    _, lena, sam, found = planned(session)
    both_accept(session, lena, sam, found[0].id)
    seen = len(mails(session))
    couples.leave(session, lena, NOW)
    queued = mails(session)[seen:]
    assert {m.method for m in queued} == {"CANCEL"}
    assert Counter(m.user_id for m in queued) == {lena: len(found), sam: len(found)}


def check_delivered(session: Session, inbox: Inbox) -> None:
    """Every queued mail arrived once, and its calendar says what its row says."""
    rows = {f"<{m.message_id}@example.org>": m for m in mails(session)}
    ids = [r.parsed()["Message-ID"] for r in inbox.messages]
    assert sorted(ids) == sorted(rows) and all(m.state == "sent" for m in rows.values())
    names = {u.email for u in session.scalars(select(User))}
    for received in inbox.messages:
        parsed = received.parsed()
        row = rows[parsed["Message-ID"]]
        assert received.rcpt_tos == [row.recipient]
        (part,) = [p for p in parsed.walk() if p.get_content_type() == "text/calendar"]
        calendar = Calendar.from_ical(part.get_content())
        (event,) = calendar.walk("VEVENT")
        assert str(calendar["METHOD"]) == row.method == part.get_param("method")
        assert (str(event["UID"]), int(event["SEQUENCE"])) == (row.uid, row.sequence)
        assert str(event["ORGANIZER"]) == "mailto:planner@example.org"
        attendees = event["ATTENDEE"]
        assert {str(a).removeprefix("mailto:") for a in attendees} == names
        assert all(a.params["RSVP"] == "TRUE" for a in attendees)
        assert received.data.replace(b"\r\n", b"\n") == (row.body or b"").replace(b"\r\n", b"\n")


def test_delivery_sends_every_queued_mail_once(
    session: Session, inbox: Inbox, smtp_port: int
) -> None:
    _, lena, sam, found = planned(session)
    conn = both_accept(session, lena, sam, found[0].id)
    invites.cancel(session, lena, conn.id, now=NOW)
    report = deliver(session, settings(smtp_port), now=NOW)
    assert report == Delivery(sent=len(mails(session)))
    check_delivered(session, inbox)
    assert deliver(session, settings(smtp_port), now=NOW + timedelta(hours=1)) == Delivery()


def test_retries_after_a_failing_server_deliver_each_mail_once(
    session: Session, inbox: Inbox, smtp_port: int
) -> None:
    planned(session)
    total = len(mails(session))
    inbox.fail.extend(["451 4.3.0 Busy, try later"] * 3)
    first = deliver(session, settings(smtp_port), now=NOW)
    assert (first.retrying, first.sent) == (3, total - 3)
    waiting = [m for m in mails(session) if m.state == "pending"]
    assert len(waiting) == 3 and all(m.last_error and "451" in m.last_error for m in waiting)
    assert deliver(session, settings(smtp_port), now=NOW) == Delivery()  # not due yet
    later = deliver(session, settings(smtp_port), now=NOW + timedelta(minutes=2))
    assert later == Delivery(sent=3)
    assert deliver(session, settings(smtp_port), now=NOW + timedelta(days=1)) == Delivery()
    check_delivered(session, inbox)


def test_a_permanent_refusal_is_recorded_and_not_retried(
    session: Session, inbox: Inbox, smtp_port: int
) -> None:
    planned(session)
    inbox.fail.append("550 5.1.1 No such mailbox")
    assert deliver(session, settings(smtp_port), now=NOW).failed == 1
    (failed,) = [m for m in mails(session) if m.state == "failed"]
    assert failed.last_error and "550" in failed.last_error
    assert deliver(session, settings(smtp_port), now=NOW + timedelta(days=1)) == Delivery()
    assert len(inbox.messages) == len(mails(session)) - 1


def test_two_workers_at_once_never_send_one_mail_twice(
    session: Session, sessions: sessionmaker[Session], inbox: Inbox, smtp_port: int
) -> None:
    planned(session)
    total = len(mails(session))
    barrier = threading.Barrier(2, timeout=20)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            with sessions() as own:
                barrier.wait()
                deliver(own, settings(smtp_port), now=NOW)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    assert len(inbox.messages) == total
    check_delivered(session, inbox)


def test_without_smtp_mail_stays_in_the_outbox(session: Session) -> None:
    planned(session)
    assert deliver(session, settings(None), now=NOW) == Delivery()
    assert {m.state for m in mails(session)} == {"pending"}


def test_the_demo_couple_has_invites_in_the_outbox(session: Session) -> None:
    load_demo(session, examples=ROOT / "examples", now=NOW, weeks=2, max_bytes=10 * 1024 * 1024)
    queued = mails(session)
    users = {u.id for u in session.scalars(select(User))}
    assert queued and {m.user_id for m in queued} == users
    assert {m.kind for m in queued} == {"proposed"}


def test_the_deliver_command_sends_what_is_due(
    session: Session,
    db_url: str,
    inbox: Inbox,
    smtp_port: int,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    couple_id, *_ = paired(session)
    planning.plan(session, couple_id, now=datetime.now(UTC), weeks=1)
    total = len(mails(session))
    env = {"DATABASE_URL": db_url, "SECRET_KEY": "k" * 40, "PLANNER_SMTP_HOST": "127.0.0.1",
           "PLANNER_SMTP_PORT": str(smtp_port), "PLANNER_SMTP_SECURITY": "none",
           "PLANNER_MAIL_FROM": "planner@example.org"}  # fmt: skip
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(["mail", "deliver"]) == 0
    assert f"sent {total}," in capsys.readouterr().out
    assert len(inbox.messages) == total
