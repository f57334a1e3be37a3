"""The engine's jobs, registered on a Huey queue, and the minutely schedule.

Every job is idempotent and keyed by what it does, so running it twice or after a killed
worker changes nothing more: a sync claims its source first (a duplicate is skipped), mail
and write-back claim their rows, planning keeps what is still valid. Huey retries a job
that fails unexpectedly, with a growing delay. What a killed worker dropped is found again
by the schedule, because the rows, not the queue, say what is left to do.

The schedule (:meth:`Jobs.tick`, every minute) enqueues a sync for each source that is due,
the weekly planning of each couple that is due, a sweep of due mail and write-back, and
the renewal of Google push channels that are about to expire.
"""

from __future__ import annotations

import logging
from typing import Any

from huey import Huey, crontab

from planner.engine.runtime import Runtime
from planner.services import freshness, google_push, sources
from planner.services.effects import Effect
from planner.services.errors import NotFound
from planner.services.mail import deliver
from planner.services.write_back_tasks import run_due

log = logging.getLogger(__name__)

RETRIES = 3
RETRY_DELAY = 10  # seconds before the first retry; doubled for each next one


class Jobs:
    """The jobs of one process, registered on ``huey``; calling a method enqueues."""

    def __init__(self, huey: Huey, runtime: Runtime) -> None:
        self.huey, self.runtime = huey, runtime
        task = self._task
        self._sync = task("planner.sync_source", self.run_sync)
        self._plan = task("planner.plan_couple", self.run_plan)
        self._mail = task("planner.deliver_mail", self.run_mail)
        self._write_back = task("planner.write_back", self.run_write_back)
        self._renew = task("planner.renew_channels", self.run_renew)
        self._tick = task("planner.tick", self.run_tick)
        huey.periodic_task(crontab(), name="planner.schedule")(self.run_tick)

    def _task(self, name: str, func: Any) -> Any:
        return self.huey.task(name=name, retries=RETRIES, retry_delay=RETRY_DELAY, retry_backoff=2)(
            func
        )

    # --- enqueueing -------------------------------------------------------------------------

    def sync_source(self, source_id: int) -> None:
        """Sync one source soon (a sync of it already running makes this one a no-op)."""
        self._sync(source_id)

    def plan_couple(self, couple_id: int) -> None:
        """Plan the couple soon if its weekly planning is due."""
        self._plan(couple_id)

    def deliver_mail(self) -> None:
        """Send the mail that is due, soon."""
        self._mail()

    def write_back(self) -> None:
        """Write the due connection changes to Google and CalDAV, soon."""
        self._write_back()

    def tick(self) -> None:
        """Run the schedule once, soon (it also runs by itself every minute)."""
        self._tick()

    def after_commit(self, effect: Effect) -> None:
        """Enqueue the job a committed change asked for."""
        {"deliver_mail": self.deliver_mail, "write_back": self.write_back}[effect]()

    # --- what the jobs do -------------------------------------------------------------------

    def run_sync(self, source_id: int) -> str:
        """Sync one source under its claim; the outcome, or "skipped" for a duplicate."""
        rt = self.runtime
        with rt.sessions() as session:
            if not freshness.claim_sync(session, source_id, now=rt.now()):
                return "skipped"
            try:
                result = sources.sync_source(
                    session, source_id, now=rt.now(), horizon_weeks=rt.horizon_weeks,
                    fetch=rt.fetch, google=rt.google, caldav=rt.caldav,
                )  # fmt: skip
            except NotFound:
                return "gone"
            finally:
                session.rollback()
                freshness.release_sync(session, source_id, now=rt.now(), every=rt.every)
        return result.outcome

    def run_plan(self, couple_id: int) -> bool:
        """Plan one couple whose weekly planning is due."""
        rt = self.runtime
        with rt.sessions() as session:
            return freshness.plan_due_couple(
                session, couple_id, now=rt.now(), weeks=rt.horizon_weeks
            )

    def run_mail(self) -> int:
        """Send due mail; the number sent."""
        rt = self.runtime
        with rt.sessions() as session:
            return deliver(session, rt.mail, now=rt.now()).sent

    def run_write_back(self) -> int:
        """Carry out due write-back tasks; the number done."""
        rt = self.runtime
        with rt.sessions() as session:
            return run_due(session, rt.write_back, now=rt.now())

    def run_renew(self) -> int:
        """Renew Google push channels that are about to expire; the number opened."""
        rt = self.runtime
        google = rt.google
        if google is None:
            return 0
        with rt.sessions() as session:
            return google_push.renew_channels(session, rt.now(), google)

    def run_tick(self) -> dict[str, int]:
        """Enqueue what is due: syncs, weekly planning, and sweeps of mail and write-back."""
        rt = self.runtime
        with rt.sessions() as session:
            syncs = freshness.due_sources(session, now=rt.now(), every=rt.every)
            couples = freshness.due_couples(session, now=rt.now())
        for source_id in syncs:
            self.sync_source(source_id)
        for couple_id in couples:
            self.plan_couple(couple_id)
        self.deliver_mail()
        self.write_back()
        self._renew()
        return {"syncs": len(syncs), "plans": len(couples)}
