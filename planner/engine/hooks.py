"""After a commit, enqueue the jobs the committed change asked for.

Use cases mark a session with :func:`planner.services.effects.after_commit`; a listener on
the session factory enqueues those jobs once the transaction commits, and forgets them on
a rollback, so a job never runs for a change that did not happen.
"""

from __future__ import annotations

import logging

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from planner.engine.jobs import Jobs
from planner.services.effects import take_pending

log = logging.getLogger(__name__)


def attach(sessions: sessionmaker[Session], jobs: Jobs) -> None:
    """Enqueue on ``jobs`` what sessions of ``sessions`` ask for after their commits."""

    @event.listens_for(sessions, "after_commit")
    def _enqueue(session: Session) -> None:
        for effect in sorted(take_pending(session)):
            try:
                jobs.after_commit(effect)
            except Exception:  # the schedule's sweep finds the rows the job would have
                log.exception("could not enqueue %s", effect)

    @event.listens_for(sessions, "after_rollback")
    def _forget(session: Session) -> None:
        take_pending(session)
