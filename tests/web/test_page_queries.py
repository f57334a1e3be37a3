"""The home page and the week page cost the same number of SQL statements whether the
database holds 2 couples or 20 (with their calendars, busy time and plans): no query per
row of someone else's. Counted, never timed; both backends."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from planner.core.intervals import Interval
from planner.services import planning
from planner.store.models import Couple, User
from tests.services.test_sync_cost import statements
from tests.web.test_proposals import LENA_BUSY, NOW, Pair, add_busy, make_pair, plan


def add_couples(session: Session, count: int, first: int) -> None:
    """``count`` more couples, each partner with a calendar of busy evenings, planned."""
    for n in range(first, first + count):
        couple = Couple()
        people = [
            User(email=f"p{n}{side}@example.com", password_hash="x", display_name=f"p{n}{side}",
                 zone="Europe/Berlin", couple=couple)
            for side in "ab"
        ]  # fmt: skip
        session.add_all([couple, *people])
        session.commit()
        for user in people:
            days = [NOW + timedelta(days=d, hours=10) for d in range(14)]
            add_busy(session, user.id, [Interval(d, d + timedelta(hours=2)) for d in days])
        planning.plan(session, couple.id, now=NOW, weeks=2)


def page_costs(app: Flask, pair: Pair) -> dict[str, int]:
    """The statements of the home page and the week page as Lena."""
    engine = app.extensions["planner.engine"]
    assert isinstance(engine, Engine)
    costs = {}
    for path in ("/", "/week"):
        with statements(engine) as seen:
            assert pair.lena.get(path).status_code == 200
        costs[path] = len(seen)
    return costs


def test_pages_cost_the_same_at_2_and_at_20_couples(app: Flask, session: Session) -> None:
    pair = make_pair(app, session)
    add_busy(session, pair.lena_id, LENA_BUSY)
    add_busy(session, pair.sam_id, LENA_BUSY)
    plan(pair, session)
    add_couples(session, 1, first=0)
    at_two = page_costs(app, pair)
    add_couples(session, 18, first=1)
    assert page_costs(app, pair) == at_two
