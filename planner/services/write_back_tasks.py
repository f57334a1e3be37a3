"""Write-back as tasks: a change of connections is written to the partners' Google and
CalDAV calendars by an engine job, not inside the request that made the change.

:func:`request_write_back` stores a :class:`~planner.store.models.WriteBackTask` in the
change's own transaction (so a change and its write-back commit together) and asks for the
``write_back`` job. :func:`run_due` is that job: it claims each due task for a while
(a conditional UPDATE only one worker wins), writes it back through
:mod:`planner.services.writeback` and :mod:`planner.services.caldav_writeback` (both
idempotent: writing a connection twice leaves one event), and marks it done. A task whose
worker was killed is claimed again once its claim runs out; one that fails unexpectedly is
tried again later, with a growing delay, at most :data:`MAX_ATTEMPTS` times.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.orm import Session

from planner.services import caldav_writeback, writeback
from planner.services.effects import after_commit
from planner.store.models import WriteBackTask

if TYPE_CHECKING:
    from planner.services.caldav_sources import CaldavSettings
    from planner.services.google_sources import GoogleSettings

log = logging.getLogger(__name__)

CLAIM = timedelta(minutes=10)
"""How long a claimed task is left to its worker before another may take it over."""
MAX_ATTEMPTS = 6
FIRST_RETRY = timedelta(minutes=1)


@dataclass(frozen=True)
class WriteBackSettings:
    """Where connections are written: Google and CalDAV (None: that kind is off here)."""

    google: GoogleSettings | None = None
    caldav: CaldavSettings | None = None


def request_write_back(
    session: Session, connection_ids: Iterable[int], user_ids: Iterable[int], *, now: datetime
) -> None:
    """Queue the write-back of ``connection_ids`` to the calendars of ``user_ids``; it is
    carried out once the caller commits."""
    connections, users = _joined(connection_ids), _joined(user_ids)
    if not connections or not users:
        return
    session.add(WriteBackTask(connection_ids=connections, user_ids=users, run_after=now))
    after_commit(session, "write_back")


def run_due(
    session: Session, settings: WriteBackSettings, *, now: datetime, limit: int = 50
) -> int:
    """Carry out up to ``limit`` due write-back tasks; the number done. Commits."""
    ids = list(session.scalars(select(WriteBackTask.id).where(*_due(now)).limit(limit)))
    session.commit()
    done = 0
    for task_id in ids:
        if _claim(session, task_id, now):
            done += _run_one(session, task_id, settings, now)
    return done


def _due(now: datetime) -> tuple[ColumnElement[bool], ...]:
    """Not done, due, not given up on, and not held by another worker."""
    return (
        WriteBackTask.done_at.is_(None),
        WriteBackTask.run_after <= now,
        WriteBackTask.attempts < MAX_ATTEMPTS,
        or_(WriteBackTask.claimed_until.is_(None), WriteBackTask.claimed_until < now),
    )


def _claim(session: Session, task_id: int, now: datetime) -> bool:
    """Take the task for :data:`CLAIM`; False when another worker has it or it is done."""
    claimed = session.execute(
        update(WriteBackTask)
        .where(WriteBackTask.id == task_id, *_due(now))
        .values(claimed_until=now + CLAIM, attempts=WriteBackTask.attempts + 1)
    )
    session.commit()
    return bool(claimed.rowcount)  # type: ignore[attr-defined]


def _run_one(session: Session, task_id: int, settings: WriteBackSettings, now: datetime) -> int:
    """Write one claimed task back; done, or tried again later after an unexpected error."""
    task = session.get(WriteBackTask, task_id, populate_existing=True)
    assert task is not None
    connections, users = _split(task.connection_ids), _split(task.user_ids)
    session.commit()
    try:
        writeback.write_back(session, connections, users, settings=settings.google, now=now)
        caldav_writeback.write_back(session, connections, users, settings=settings.caldav, now=now)
    except Exception:  # logged; the task is tried again later
        session.rollback()
        log.exception("write-back task %s failed", task_id)
        _retry_later(session, task_id, now)
        return 0
    session.execute(
        update(WriteBackTask)
        .where(WriteBackTask.id == task_id)
        .values(done_at=now, claimed_until=None)
    )
    session.commit()
    return 1


def _retry_later(session: Session, task_id: int, now: datetime) -> None:
    task = session.get(WriteBackTask, task_id, populate_existing=True)
    if task is not None:
        task.claimed_until = None
        task.run_after = now + FIRST_RETRY * 2 ** max(task.attempts - 1, 0)
        session.commit()


def _joined(ids: Iterable[int]) -> str:
    return ",".join(str(i) for i in sorted(set(ids)))


def _split(text: str) -> list[int]:
    return [int(i) for i in text.split(",") if i]
