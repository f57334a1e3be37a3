"""Freshness without clicks: which sources and couples the engine's schedule works on next.

Every source carries ``next_sync_at``. The schedule (:func:`due_sources`) takes the sources
whose time has come, moves their time on by one period with some jitter (so a thousand
sources added at once spread out), and hands their ids to sync jobs. A sync job first
claims its source for a while (:func:`claim_sync`, a conditional UPDATE only one worker
wins, so a duplicate job is skipped, and a killed worker's claim runs out); when it is done
it releases the claim and sets the next time (:func:`release_sync`).

Calendar links, CalDAV and Google calendars sync every ``every`` seconds
(``PLANNER_SYNC_EVERY``); an uploaded file never changes, so it is read again once a day,
as the horizon moves on.

Couples are planned again each week at a moment of their choosing on the first partner's
clock (:func:`due_couples`, :func:`plan_due_couple`), Sunday 18:00 by default.
"""

from __future__ import annotations

import logging
import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from planner.core.cadence import next_weekly
from planner.services import planning
from planner.services.errors import Conflict
from planner.services.schedule import partners, zone_of
from planner.store.models import Couple, Source

log = logging.getLogger(__name__)

JITTER = 0.1
UPLOAD_EVERY = timedelta(days=1)
CLAIM = timedelta(minutes=5)
"""How long a sync job holds its source; longer than any sync may take."""
UTC_ZONE = ZoneInfo("UTC")
_random = random.Random()


def period(kind: str, every: timedelta) -> timedelta:
    """How often a source of ``kind`` is read: ``every``, or daily for an uploaded file."""
    return UPLOAD_EVERY if kind == "upload" else every


def jittered(span: timedelta, rng: random.Random = _random) -> timedelta:
    """``span`` give or take :data:`JITTER` of it."""
    return span * rng.uniform(1 - JITTER, 1 + JITTER)


def due_sources(
    session: Session,
    *,
    now: datetime,
    every: timedelta,
    limit: int = 500,
    rng: random.Random = _random,
) -> list[int]:
    """Up to ``limit`` sources whose sync is due, their next time already moved on. Commits."""
    query = (
        select(Source)
        .where(or_(Source.next_sync_at.is_(None), Source.next_sync_at <= now))
        .order_by(Source.next_sync_at.is_not(None), Source.next_sync_at, Source.id)
        .limit(limit)
    )
    due = list(session.scalars(query))
    for source in due:
        source.next_sync_at = now + jittered(period(source.kind, every), rng)
    ids = [source.id for source in due]
    session.commit()
    return ids


def claim_sync(session: Session, source_id: int, *, now: datetime) -> bool:
    """Hold the source for one sync job; False when another job holds it. Commits."""
    won = session.execute(
        update(Source)
        .where(
            Source.id == source_id,
            or_(Source.sync_claimed_until.is_(None), Source.sync_claimed_until < now),
        )
        .values(sync_claimed_until=now + CLAIM)
    )
    session.commit()
    return bool(won.rowcount)  # type: ignore[attr-defined]


def release_sync(
    session: Session,
    source_id: int,
    *,
    now: datetime,
    every: timedelta,
    rng: random.Random = _random,
) -> None:
    """Let go of the source and set when it is read next. Commits."""
    source = session.get(Source, source_id, populate_existing=True)
    if source is not None:
        source.sync_claimed_until = None
        source.next_sync_at = now + jittered(period(source.kind, every), rng)
    session.commit()


def due_couples(session: Session, *, now: datetime, limit: int = 200) -> list[int]:
    """Couples whose weekly planning is due, or that have no planning time yet."""
    query = (
        select(Couple.id)
        .where(or_(Couple.next_plan_at.is_(None), Couple.next_plan_at <= now))
        .order_by(Couple.id)
        .limit(limit)
    )
    ids = list(session.scalars(query))
    session.commit()
    return ids


def plan_due_couple(session: Session, couple_id: int, *, now: datetime, weeks: int) -> bool:
    """Plan the couple when its time has come, and set the next time; True when planned.

    A couple seen for the first time (it planned when it paired) or not complete yet is
    only given its next time. Commits.
    """
    couple = session.get(Couple, couple_id, populate_existing=True)
    if couple is None or (couple.next_plan_at is not None and couple.next_plan_at > now):
        session.commit()
        return False
    people = partners(session, couple_id)
    planned = False
    if couple.next_plan_at is not None and len(people) == 2:
        try:
            planning.plan(session, couple_id, now=now, weeks=weeks)
            planned = True
        except Conflict as error:
            session.rollback()
            log.info("couple %s not planned: %s", couple_id, error)
    couple = session.get(Couple, couple_id, populate_existing=True)
    if couple is not None:
        zone = zone_of(people[0]) if people else None
        couple.next_plan_at = next_planning(couple, now, zone)
    session.commit()
    return planned


def next_planning(couple: Couple, after: datetime, zone: ZoneInfo | None) -> datetime:
    """The couple's next weekly planning after ``after`` on the first partner's clock
    (UTC's while the couple has nobody)."""
    return next_weekly(after, zone or UTC_ZONE, couple.plan_weekday, couple.plan_minute)
