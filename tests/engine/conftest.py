"""The engine on both of its queues: embedded (an SQLite file, with the SQLite database)
and scale-out (Redis, with PostgreSQL). A queue that is not there skips and says why."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from ipaddress import ip_network
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from planner.engine import Jobs, Runtime
from planner.engine.hooks import attach
from planner.engine.queue import make_queue
from planner.engine.worker import EmbeddedConsumer, consumer_options
from planner.web.config import Config
from tests.services.test_sources import server  # noqa: F401  (a loopback calendar server)

REDIS_URL = "redis://127.0.0.1:6379/0"
SECRET = "engine-test-secret-" + "x" * 32


def redis_or_skip() -> None:
    """Skip, saying why, when no Redis answers at 127.0.0.1:6379."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        pytest.skip(f"Redis not reachable at 127.0.0.1:6379: {error}")


@pytest.fixture
def engine_config(backend: str, db_url: str, tmp_path: Path) -> Iterator[Config]:
    """Embedded queue with SQLite, Redis queue with PostgreSQL; loopback links allowed."""
    name = f"planner-test-{uuid.uuid4().hex[:10]}"
    base = Config(
        secret_key=SECRET, database_url=db_url, testing=True, queue_name=name,
        fetch_allow=(ip_network("127.0.0.0/8"),),
    )  # fmt: skip
    if backend == "sqlite":
        yield replace(base, queue_file=str(tmp_path / "queue.db"))
        return
    redis_or_skip()
    yield replace(base, queue_url=REDIS_URL)
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"huey.*{name}*"):
        client.delete(key)


@dataclass
class Clock:
    """A clock the test moves."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Engine:
    """The jobs of one test process, and its consumer once started."""

    jobs: Jobs
    config: Config
    consumer: EmbeddedConsumer | None = None

    def start(self) -> None:
        self.consumer = EmbeddedConsumer(self.jobs.huey, **consumer_options(self.config))
        self.consumer.start()

    def stop(self) -> None:
        if self.consumer is not None:
            self.consumer.stop(graceful=True)
            self.consumer = None


def make_engine(config: Config, sessions: sessionmaker[Session], clock: Clock) -> Engine:
    runtime = Runtime(config, sessions, clock=clock)
    jobs = Jobs(make_queue(config), runtime)
    attach(sessions, jobs)
    jobs.huey.flush()
    return Engine(jobs, config)
