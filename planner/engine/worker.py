"""Running the engine's jobs: in-process beside the web app, or as ``planner worker``."""

from __future__ import annotations

import atexit
import logging
import os
from typing import Any

from flask import Flask
from huey.consumer import Consumer

from planner.engine.jobs import Jobs
from planner.engine.queue import describe
from planner.web.config import Config

log = logging.getLogger(__name__)

JOBS = "planner.jobs"
STOP_SECONDS = 10.0


class EmbeddedConsumer(Consumer):  # type: ignore[misc]
    """Huey's consumer without its signal handlers, for running beside a web server (or a
    test) that owns the process's signals; :meth:`stop` ends it."""

    def _set_signal_handlers(self) -> None:
        """Leave SIGINT and SIGTERM to the host (Huey's own would stop only the consumer)."""


def consumer_options(config: Config, *, workers: int | None = None) -> dict[str, Any]:
    """How a consumer runs the jobs: thread workers, the minutely schedule, a bounded stop."""
    return {
        "workers": workers or config.workers,
        "worker_type": "thread",
        "periodic": True,
        "check_worker_health": True,
        "initial_delay": 0.05,
        "max_delay": 1.0,
        "shutdown_timeout": STOP_SECONDS,
    }


def start_embedded(jobs: Jobs, config: Config) -> EmbeddedConsumer:
    """Run the jobs in this process (``planner serve``); stopped cleanly at exit."""
    consumer = EmbeddedConsumer(jobs.huey, **consumer_options(config))
    consumer.start()
    atexit.register(consumer.stop, graceful=True)
    log.info("engine running in-process on the %s", describe(jobs.huey))
    return consumer


def run_worker(app: Flask, *, workers: int | None = None) -> int:
    """Run the jobs of ``app``'s queue until SIGINT or SIGTERM (``planner worker``)."""
    jobs: Jobs = app.extensions[JOBS]
    config: Config = app.extensions["planner.config"]
    consumer = Consumer(jobs.huey, **consumer_options(config, workers=workers))
    print(
        f"planner worker (pid {os.getpid()}): {consumer.workers} workers on the "
        f"{describe(jobs.huey)}; Ctrl+C stops it",
        flush=True,
    )
    consumer.run()
    return 0
