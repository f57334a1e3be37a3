"""Effects of a change that engine jobs carry out once the change is committed.

A use case records what it changed in the database (an outbox row, a write-back task) and
marks the session with the kind of job that should follow (:func:`after_commit`). The
engine listens to the session factory (:mod:`planner.engine.hooks`) and enqueues one job
per kind after the transaction commits; a rollback forgets the marks. The rows are the
truth: a job that never ran (no engine here, a crash between commit and enqueue, a killed
worker) is picked up by the engine's next periodic sweep.
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy.orm import Session

Effect = Literal["deliver_mail", "write_back"]
PENDING = "planner.effects"


def after_commit(session: Session, effect: Effect) -> None:
    """Ask for the job ``effect`` once this session's transaction commits."""
    pending: set[Effect] = session.info.setdefault(PENDING, set())
    pending.add(effect)


def take_pending(session: Session) -> set[Effect]:
    """The effects asked for since the last call, forgotten here."""
    taken: set[Effect] = session.info.pop(PENDING, set())
    return taken
