"""The background engine: the jobs that keep every couple's connection time protected
without a click, on the Huey task queue.

* :mod:`planner.engine.queue` picks the queue: Huey on an SQLite file beside the database
  (embedded, the default: ``planner serve`` runs the jobs in-process and nothing else is
  needed), or on Redis (``PLANNER_QUEUE_URL=redis://...``: web processes only enqueue and
  any number of ``planner worker`` processes run the jobs), or Huey's immediate mode in
  tests (a job runs at once, inside the call that enqueues it).
* :mod:`planner.engine.runtime` carries what jobs need: sessions, settings, the clock.
* :mod:`planner.engine.jobs` registers the jobs and the minutely schedule; the use cases
  they run are services (:mod:`planner.services.freshness`, ...).
* :mod:`planner.engine.hooks` enqueues the jobs a committed change asked for.
* :mod:`planner.engine.worker` runs a consumer: the embedded one or ``planner worker``.
"""

from planner.engine.jobs import Jobs
from planner.engine.runtime import Runtime

__all__ = ["Jobs", "Runtime"]
