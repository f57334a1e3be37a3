"""The demo couple for ``make run``: Lena in Berlin and Sam in New York.

Everything goes through the same services a person's clicks go through: sign up, create a
couple, invite, join, upload a calendar (which syncs it), plan. Loading again keeps the data
and gives both accounts fresh passwords, which are printed for the newcomer.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from planner.services import accounts, couples, planning, sources
from planner.store.models import Source, User


@dataclass(frozen=True)
class DemoPartner:
    """One demo account: who, how to sign in, which sample calendar."""

    name: str
    email: str
    zone: str
    calendar: str
    password: str = ""


PARTNERS = (
    DemoPartner("Lena", "lena@example.com", "Europe/Berlin", "lena-berlin.ics"),
    DemoPartner("Sam", "sam@example.com", "America/New_York", "sam-newyork.ics"),
)


def _password() -> str:
    return "demo-" + secrets.token_urlsafe(9)


def _account(session: Session, partner: DemoPartner, password: str) -> int:
    existing = session.scalar(select(User).where(User.email == partner.email))
    if existing is not None:
        accounts.set_password(session, existing.id, password)
        return existing.id
    user = accounts.sign_up(
        session, email=partner.email, password=password, name=partner.name, zone=partner.zone
    )
    return user.id


def _pair(session: Session, first: int, second: int, now: datetime) -> int:
    user = session.get(User, first)
    if user is not None and user.couple_id is not None:
        return user.couple_id
    couple_id = couples.create_couple(session, first, now)
    couples.join(session, second, couples.invite(session, first, now).token, now)
    return couple_id


def load_demo(
    session: Session, *, examples: Path, now: datetime, weeks: int, max_bytes: int
) -> list[DemoPartner]:
    """Create (or refresh) the demo couple with calendars and proposals; the accounts with
    their new passwords."""
    ready = [DemoPartner(p.name, p.email, p.zone, p.calendar, _password()) for p in PARTNERS]
    ids = [_account(session, p, p.password) for p in ready]
    couple_id = _pair(session, ids[0], ids[1], now)
    for user_id, partner in zip(ids, ready, strict=True):
        if session.scalar(select(Source.id).where(Source.user_id == user_id)) is None:
            data = (examples / partner.calendar).read_bytes()
            sources.add_upload(
                session, user_id, name=partner.calendar, data=data, now=now,
                horizon_weeks=weeks, max_bytes=max_bytes,
            )  # fmt: skip
    planning.plan(session, couple_id, now=now, weeks=weeks)
    return ready
