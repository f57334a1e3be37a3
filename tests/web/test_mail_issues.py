"""Regressions of invite mail on the web: links and replies that must keep meaning the invite
they came with after the plan changes, and one SEQUENCE per UID wherever it is published."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from flask import Flask
from icalendar import Calendar
from sqlalchemy.orm import Session

from planner.core.intervals import Interval
from planner.engine import Jobs
from planner.engine.worker import JOBS
from planner.store.models import MailMessage
from planner.web import create_app
from planner.web.config import Config
from planner.web.mail_config import MailConfig
from tests.mailserver import Inbox
from tests.web.test_mail_links import (
    accepted,
    inbound,  # noqa: F401  (fixture)
    inbound_app,  # noqa: F401  (fixture)
    links,
    mail_rows,
    post_reply,
    reply_to,
)
from tests.web.test_proposals import (
    Pair,
    add_busy,
    confirm,
    feed_body,
    make_pair,
    one_event,
    plan,
    post,
    proposals,
)


def first_invite(session: Session, pair: Pair) -> MailMessage:
    """Lena's invite for the earliest proposal."""
    rows = mail_rows(session, pair.lena_id, "proposed")
    return min(rows, key=lambda r: (r.start, r.id))


def proposal_at(session: Session, pair: Pair, row: MailMessage) -> int:
    """The id of the open proposal at the time and of the ritual the invite ``row`` is for."""
    found = [
        p.id
        for p in proposals(session, pair.couple_id, "proposed", "accepted")
        if (p.start, p.ritual) == (row.start, row.ritual)
    ]
    assert len(found) == 1
    return found[0]


@pytest.fixture
def pair(app: Flask, session: Session) -> Pair:
    pair = make_pair(app, session)
    plan(pair, session)
    return pair


def test_issue_accept_link_still_works_after_the_same_plan_is_made_again(
    app: Flask, session: Session, pair: Pair
) -> None:
    """Planning again deletes untouched proposals and makes the same ones anew: the mailed
    invite (same UID, no new mail) must still be answerable from its link."""
    row = first_invite(session, pair)
    path = links(app, session, row)["accept"]
    seen = len(mail_rows(session, pair.lena_id))
    plan(pair, session)
    assert len(mail_rows(session, pair.lena_id)) == seen  # same plan: nothing new mailed
    stranger = app.test_client()
    assert stranger.get(path).status_code == 200
    done = stranger.post(path)
    assert done.status_code == 200 and "Accepted" in done.text, done.text
    assert accepted(session, proposal_at(session, pair, row)) == {pair.lena_id}


def test_issue_links_of_a_withdrawn_proposal_get_a_clear_4xx_and_change_nothing(
    app: Flask, session: Session, pair: Pair
) -> None:
    """A proposal replaced by a new plan: its links must not answer another proposal (SQLite
    reuses row ids) and must say that the proposal was withdrawn."""
    row = first_invite(session, pair)
    paths = links(app, session, row)
    add_busy(session, pair.sam_id, [Interval(row.start, row.end)])
    plan(pair, session)
    assert any(m.kind == "withdrawn" and m.uid == row.uid for m in mail_rows(session, pair.lena_id))
    client = app.test_client()
    for path in paths.values():
        for method in (client.get, client.post):
            response = method(path)
            assert response.status_code == 410, (path, response.status_code, response.text)
            assert "no longer open" in response.text
    every = proposals(session, pair.couple_id)
    assert all(accepted(session, p.id) == set() for p in every)
    assert all(p.state != "declined" for p in every)


def test_issue_link_of_a_declined_proposal_cannot_accept_it(
    app: Flask, session: Session, pair: Pair
) -> None:
    row = first_invite(session, pair)
    paths = links(app, session, row)
    client = app.test_client()
    assert "Declined" in client.post(paths["decline"]).text
    page = client.get(paths["accept"])
    assert page.status_code == 410 and "declined" in page.text
    assert client.post(paths["accept"]).status_code == 410
    assert client.get(paths["decline"]).status_code == 200  # already declined: says so


@pytest.fixture
def inbound_pair(inbound_app: Flask, session: Session) -> Iterator[tuple[Flask, Pair]]:  # noqa: F811
    pair = make_pair(inbound_app, session)
    plan(pair, session)
    yield inbound_app, pair


def test_issue_reply_still_applies_after_the_same_plan_is_made_again(
    inbound_pair: tuple[Flask, Pair], session: Session
) -> None:
    app, pair = inbound_pair
    row = first_invite(session, pair)
    plan(pair, session)
    ok = post_reply(app.test_client(), reply_to(row, "lena@example.com", "ACCEPTED"))
    assert ok.status_code == 200 and ok.json["state"] == "accepted", ok.text
    assert accepted(session, proposal_at(session, pair, row)) == {pair.lena_id}


def test_a_reply_to_a_withdrawn_proposal_is_refused(
    inbound_pair: tuple[Flask, Pair], session: Session
) -> None:
    app, pair = inbound_pair
    row = first_invite(session, pair)
    add_busy(session, pair.sam_id, [Interval(row.start, row.end)])
    plan(pair, session)
    withdrawn = mail_rows(session, pair.lena_id, "withdrawn")[-1]
    old = post_reply(app.test_client(), reply_to(row, "lena@example.com", "ACCEPTED"))
    assert old.status_code == 409 and "version" in old.json["error"]["message"]
    late = post_reply(app.test_client(), reply_to(withdrawn, "lena@example.com", "ACCEPTED"))
    assert late.status_code == 409 and "withdrawn" in late.json["error"]["message"]
    assert all(accepted(session, p.id) == set() for p in proposals(session, pair.couple_id))


def sequence_of(body: bytes, uid: str) -> int:
    """The SEQUENCE of the event ``uid`` in a calendar body."""
    events = [e for e in Calendar.from_ical(body).walk("VEVENT") if str(e["UID"]) == uid]
    assert len(events) == 1
    return int(events[0]["SEQUENCE"])


def last_mailed(session: Session, pair: Pair, uid: str) -> int:
    rows = [m for m in mail_rows(session, pair.lena_id) + mail_rows(session, pair.sam_id)]
    return max(m.sequence for m in rows if m.uid == uid)


def test_issue_mail_feed_and_download_agree_on_one_sequence(
    app: Flask, session: Session, pair: Pair
) -> None:
    """A calendar that took the mailed invite must not see the download or the feed as older:
    every place that publishes a UID carries the SEQUENCE of the last mail about it."""
    first = proposals(session, pair.couple_id, "proposed")[0]
    conn = confirm(pair, session, first.id)
    mailed = last_mailed(session, pair, conn.uid)
    assert mailed >= 1  # the tentative invite had 0; confirming is a new version
    download = pair.sam.get(f"/connections/{conn.id}.ics").data
    assert sequence_of(download, conn.uid) == mailed == conn.sequence
    assert sequence_of(feed_body(session, pair.couple_id), conn.uid) == mailed
    post(pair.sam, f"/connections/{conn.id}/cancel")
    cancelled = last_mailed(session, pair, conn.uid)
    assert cancelled == mailed + 1
    _, event = one_event(pair.lena.get(f"/connections/{conn.id}.ics").data)
    assert int(event["SEQUENCE"]) == cancelled
    assert sequence_of(feed_body(session, pair.couple_id), conn.uid) == cancelled


def test_mail_waits_in_the_outbox_until_an_engine_job_sends_it(
    config: Config, session: Session, inbox: Inbox, smtp_port: int, tmp_path: Path
) -> None:
    """Outside immediate mode a request only enqueues: the mail is sent by the engine's
    job, once, and a job run again sends nothing more."""
    mail = MailConfig(smtp_host="127.0.0.1", smtp_port=smtp_port, smtp_security="none",
                      sender="planner@example.org")  # fmt: skip
    queued_only = replace(config, mail=mail, testing=False, queue_file=str(tmp_path / "q.db"))
    app = create_app(queued_only)
    try:
        pair = make_pair(app, session)
        plan(pair, session)
        queued = mail_rows(session, pair.lena_id)
        assert queued and {m.state for m in queued} == {"pending"} and not inbox.messages
        jobs: Jobs = app.extensions[JOBS]
        assert len(jobs.huey) >= 1  # the delivery job waits in the queue
        sent = jobs.run_mail()
        assert sent == len(inbox.messages) > 0
        assert jobs.run_mail() == 0
        session.expire_all()
        assert {m.state for m in mail_rows(session, pair.lena_id)} == {"sent"}
    finally:
        app.extensions["planner.engine"].dispose()
