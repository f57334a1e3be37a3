"""The demo couple of ``make run``: loaded through the real services, idempotent."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from planner.services import accounts
from planner.services.demo import load_demo
from planner.store.models import Proposal, Source, User
from tests.conftest import ROOT

NOW = datetime(2026, 11, 24, 9, tzinfo=UTC)


def load(session: Session) -> list[tuple[str, str]]:
    partners = load_demo(
        session, examples=ROOT / "examples", now=NOW, weeks=2, max_bytes=10 * 1024 * 1024
    )
    return [(p.email, p.password) for p in partners]


def count(session: Session, model: type) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_demo_couple_has_calendars_and_proposals(session: Session) -> None:
    logins = load(session)
    users = session.scalars(select(User).order_by(User.id)).all()
    assert [u.zone for u in users] == ["Europe/Berlin", "America/New_York"]
    assert users[0].couple_id is not None and users[0].couple_id == users[1].couple_id
    assert count(session, Source) == 2 and count(session, Proposal) > 0
    for email, password in logins:
        assert accounts.authenticate(session, email=email, password=password) is not None


def test_loading_again_only_renews_the_passwords(session: Session) -> None:
    first = load(session)
    sources = count(session, Source)
    second = load(session)
    assert count(session, User) == 2 and count(session, Source) == sources
    assert [p for _, p in first] != [p for _, p in second]
    email, old = first[0]
    assert accounts.authenticate(session, email=email, password=old) is None
