"""The task queue the engine runs on: embedded (SQLite file), Redis, or immediate (tests)."""

from __future__ import annotations

from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey

from planner.web.config import Config


def make_queue(config: Config, *, immediate: bool | None = None) -> Huey:
    """The Huey for ``config``.

    ``PLANNER_QUEUE_URL`` (redis:// or rediss://) selects Redis; otherwise the queue is an
    SQLite file (:meth:`Config.queue_path`). In testing mode, unless a queue URL or file is
    given or ``immediate`` says otherwise, jobs run at once (Huey's immediate mode), inside
    the call that enqueues them.
    """
    chosen = bool(config.queue_url or config.queue_file)
    run_now = config.testing and not chosen if immediate is None else immediate
    if run_now:
        return MemoryHuey(config.queue_name, immediate=True, utc=True)
    if config.queue_url:
        return RedisHuey(config.queue_name, url=config.queue_url, utc=True)
    path = config.queue_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(config.queue_name, filename=str(path), utc=True)


def describe(huey: Huey) -> str:
    """One line saying where the queue is, for start-up messages."""
    if isinstance(huey, RedisHuey):
        return f"Redis queue {huey.name!r}"
    if isinstance(huey, SqliteHuey):
        return f"embedded queue in {huey.storage.filename}"
    return "immediate mode (jobs run at once)"
