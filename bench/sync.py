"""The sync benchmark: ``python -m bench.sync`` (also part of ``make bench``).

How many calendar links one process keeps fresh per 15 minutes with
:func:`planner.services.sources.sync_source`, the function the engine's jobs call. A
loopback HTTP server in its own process serves one generated calendar per link with an
ETag: most answer ``304 Not Modified`` to the validators, a share (``--changed``) serves a
new body every time. The links are subscribed once (not timed), then every link is synced
``--rounds`` times, the clock moving one minute per round (inside the stored stretch, as a
15-minute schedule would). The database is a temporary SQLite file, and a throwaway
PostgreSQL schema too when one answers at ``DATABASE_URL`` or 127.0.0.1:5432.

Per backend it prints the mean time of an unchanged and of a changed sync, where the time
goes (the HTTP exchange, parsing, the rest: the database and our own code), and the figures
a script can read::

    sources_per_worker_15min: N (mix: U unchanged, C changed, backend)
    sources_per_worker_15min_unchanged: N

Goal: at least 20,000 for unchanged links.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import ip_network
from pathlib import Path
from typing import Any

from sqlalchemy import text

import integrations.ics.source as ics_source
from bench.generate import calendar
from integrations.ics.fetch import AddressPolicy
from planner.services import sources
from planner.store import make_engine, session_factory, upgrade
from planner.store.models import User

NOW = datetime(2026, 11, 30, 8, tzinfo=UTC)
WEEKS = 4
EVENTS = 200
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
FIFTEEN_MINUTES = 15 * 60
GOAL_UNCHANGED = 20_000
LOCAL = sources.FetchSettings(policy=AddressPolicy(allow=(ip_network("127.0.0.0/8"),)))


# --- the loopback calendar server (its own process) ------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        """``/c/<n>.ics``: 304 for a matching ETag on an unchanged link, else the body."""
        n = int(self.path.rsplit("/", 1)[1].removesuffix(".ics"))
        changing = n < self.server.changed
        version = self.server.hits.get(n, 0) if changing else 0
        self.server.hits[n] = version + 1
        etag = f'"{n}-{version}"'
        if not changing and self.headers.get("If-None-Match") == etag:
            self._reply(304, b"", etag)
        else:
            self._reply(200, self.server.bodies[version % 2], etag)

    def _reply(self, status: int, body: bytes, etag: str) -> None:
        self.send_response(status)
        self.send_header("ETag", etag)
        self.send_header("Content-Type", "text/calendar")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, changed: int, bodies: tuple[bytes, bytes]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.changed, self.bodies, self.hits = changed, bodies, {}


def _serve(changed: int, events: int, port: Any) -> None:
    """Run the server; its port goes to ``port`` (a multiprocessing value)."""
    server = _Server(changed, (calendar(events, seed=1), calendar(events, seed=2)))
    port.value = server.server_address[1]
    server.serve_forever()


@contextmanager
def calendar_server(changed: int, events: int) -> Iterator[str]:
    """The server's base URL while the block runs."""
    port = multiprocessing.Value("i", 0)
    process = multiprocessing.Process(target=_serve, args=(changed, events, port), daemon=True)
    process.start()
    while not port.value:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port.value}"
    finally:
        process.terminate()
        process.join()


# --- timing ----------------------------------------------------------------------------------


@dataclass
class Spent:
    """Seconds spent in the HTTP exchange and in parsing, summed over the timed syncs."""

    fetch: float = 0.0
    parse: float = 0.0
    totals: dict[str, list[float]] = field(default_factory=lambda: {"unchanged": [], "changed": []})


def timed(spent: Spent, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """``function``, adding its wall time to ``spent.<name>``."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            setattr(spent, name, getattr(spent, name) + time.perf_counter() - start)

    return wrapper


def run(url: str, base: str, links: int, changed: int, rounds: int) -> Spent:
    """Subscribe ``links`` links (untimed), then sync each ``rounds`` times (timed)."""
    upgrade(url)
    engine = make_engine(url)
    sessions = session_factory(engine)
    spent = Spent()
    with sessions() as session:
        users = [User(email=f"u{n}@example.com", password_hash="x", display_name=f"u{n}",
                      zone="Europe/Berlin") for n in range(links)]  # fmt: skip
        session.add_all(users)
        session.commit()
        ids = [
            sources.add_url(session, u.id, name="", url=f"{base}/c/{n}.ics", now=NOW,
                            horizon_weeks=WEEKS, fetch=LOCAL)
            for n, u in enumerate(users)
        ]  # fmt: skip
        real_fetch, real_parse = ics_source.fetch_calendar, ics_source.read_ics
        ics_source.fetch_calendar = timed(spent, "fetch", real_fetch)  # type: ignore[assignment]
        ics_source.read_ics = timed(spent, "parse", real_parse)  # type: ignore[assignment]
        try:
            for r in range(1, rounds + 1):
                for n, source_id in enumerate(ids):
                    start = time.perf_counter()
                    result = sources.sync_source(session, source_id, now=NOW + timedelta(
                        minutes=r), horizon_weeks=WEEKS, fetch=LOCAL)  # fmt: skip
                    kind = "changed" if n < changed else "unchanged"
                    spent.totals[kind].append(time.perf_counter() - start)
                    expected = "ok" if n < changed else "not_modified"
                    if result.outcome != expected:
                        sys.exit(f"MISMATCH: link {n} synced {result.outcome}: {result.message}")
        finally:
            ics_source.fetch_calendar, ics_source.read_ics = real_fetch, real_parse
    engine.dispose()
    return spent


def report(backend: str, spent: Spent, changed_share: float) -> None:
    """Print the figures of one backend."""
    unchanged, changed = spent.totals["unchanged"], spent.totals["changed"]
    mean_u = sum(unchanged) / len(unchanged)
    mean_c = sum(changed) / len(changed) if changed else 0.0
    total = sum(unchanged) + sum(changed)
    rest = total - spent.fetch - spent.parse
    mix = (1 - changed_share) * mean_u + changed_share * mean_c
    print(f"[{backend}] unchanged sync {mean_u * 1000:.2f} ms (n={len(unchanged)}), "
          f"changed sync {mean_c * 1000:.2f} ms (n={len(changed)})")  # fmt: skip
    print(f"[{backend}] time: HTTP {spent.fetch / total:.0%}, parse {spent.parse / total:.0%}, "
          f"database and the rest {rest / total:.0%}")  # fmt: skip
    pct = round(changed_share * 100)
    print(f"sources_per_worker_15min: {int(FIFTEEN_MINUTES / mix)} "
          f"(mix: {100 - pct}% unchanged, {pct}% changed, {backend})")  # fmt: skip
    verdict = "" if FIFTEEN_MINUTES / mean_u >= GOAL_UNCHANGED else "  MISSED"
    print(f"sources_per_worker_15min_unchanged: {int(FIFTEEN_MINUTES / mean_u)} ({backend})"
          f"{verdict}")  # fmt: skip


@contextmanager
def postgres() -> Iterator[str | None]:
    """A throwaway schema's URL on PostgreSQL, or None when none answers."""
    admin_url = os.environ.get("DATABASE_URL", PG_URL)
    if not admin_url.startswith("postgresql"):
        admin_url = PG_URL
    try:
        admin = make_engine(admin_url, connect_args={"connect_timeout": 3})
        with admin.begin() as connection:
            connection.execute(text("CREATE EXTENSION IF NOT EXISTS btree_gist WITH SCHEMA public"))
    except Exception as error:
        print(f"PostgreSQL skipped: {str(error).splitlines()[0]}", file=sys.stderr)
        yield None
        return
    schema = f"bench_sync_{uuid.uuid4().hex[:8]}"
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield admin.url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False
        )
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark on SQLite, and on PostgreSQL when it answers."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--links", type=int, default=200)
    parser.add_argument("--changed", type=float, default=0.05, help="share of changed links")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--events", type=int, default=EVENTS, help="events per calendar")
    args = parser.parse_args(argv)
    changed = round(args.links * args.changed)
    print(f"{args.links} links of {args.events} events, {changed} changing, {args.rounds} rounds")
    with calendar_server(changed, args.events) as base:
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{Path(tmp) / 'bench.db'}"
            report("sqlite", run(url, base, args.links, changed, args.rounds), args.changed)
        with postgres() as pg:
            if pg is not None:
                report("postgresql", run(pg, base, args.links, changed, args.rounds), args.changed)


if __name__ == "__main__":
    main()
