"""The server side of the ``planner`` command: ``db upgrade`` and ``serve``.

Imported lazily by :mod:`planner.cli`, so the calendar commands stay quick to start.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from planner.web.config import Config, ConfigError

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _config() -> Config:
    try:
        config = Config.from_env(os.environ)
        config.check()
    except ConfigError as error:
        raise SystemExit(f"planner: {error}") from None
    return config


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    """Migrate the configured database (``DATABASE_URL``) to the newest schema."""
    from planner.store.migrate import current_revision, upgrade

    url = args.url or Config.from_env(os.environ).database_url
    config = Config(secret_key="-" * 32, database_url=url)
    path = config.sqlite_path()
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    upgrade(url)
    print(f"database {_display(url)} is at revision {current_revision(url)}")
    return 0


def _display(url: str) -> str:
    """The URL without its password."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the web app with Werkzeug's development server (use gunicorn in production).

    ``--demo`` first migrates the database and loads the demo couple, printing how to sign in.
    """
    from planner.web import create_app

    if args.demo:
        os.environ.setdefault("PLANNER_DEMO", "1")
    config = _config()
    if args.demo:
        _prepare_demo(config)
        config = _demo_google(config)
    app = create_app(config)
    _start_engine(app, config)
    print(f"Connection Planner is running on http://{args.host}:{args.port}/  (Ctrl+C stops it)")
    sys.stdout.flush()
    app.run(host=args.host, port=args.port, debug=False, use_reloader=False)
    return 0


def _start_engine(app: Any, config: Config) -> None:
    """Run the engine's jobs in this process on the embedded queue; with a Redis queue the
    web process only enqueues and ``planner worker`` processes run them."""
    from planner.engine.queue import describe
    from planner.engine.worker import JOBS, start_embedded

    jobs = app.extensions[JOBS]
    if config.queue_url:
        print(f"Jobs go to the {describe(jobs.huey)}; run 'planner worker' to carry them out.")
        return
    start_embedded(jobs, config)
    jobs.tick()
    print(f"Background engine running in-process on the {describe(jobs.huey)}.")


def cmd_worker(args: argparse.Namespace) -> int:
    """Run the engine's jobs (sync, planning, mail, write-back) until SIGINT or SIGTERM."""
    from planner.engine.worker import run_worker
    from planner.web import create_app

    config = _config()
    return run_worker(create_app(config), workers=args.workers)


def _demo_google(config: Config) -> Config:
    """Unless a real Google client is configured, serve the Calendar v3 + OAuth emulator
    in-process with the demo calendars and point the app at it."""
    from dataclasses import replace
    from datetime import UTC, datetime

    from integrations.google.config import for_emulator
    from integrations.google.emulator import start_emulator
    from integrations.google.emulator.seed import seed_demo

    if config.google_client_id:
        return config
    running = start_emulator()
    callback = config.google_redirect_uri
    uris = (callback, callback.replace("://127.0.0.1:", "://localhost:"))
    seeded = seed_demo(running.state, datetime.now(UTC), redirect_uris=uris)
    accounts = ", ".join(seeded["users"])
    print(f"Google Calendar emulator on {running.base_url}/ (demo accounts: {accounts}).")
    print("Try 'Connect Google Calendar' on the Calendars page.")
    return replace(
        config,
        google_client_id=seeded["client_id"],
        google_client_secret=seeded["client_secret"],
        google_endpoints=for_emulator(running.base_url),
    )


def _prepare_demo(config: Config) -> None:
    """Migrate, load Lena and Sam with their sample calendars, print their passwords."""
    from datetime import UTC, datetime

    from planner.services.demo import load_demo
    from planner.store import make_engine, session_factory, upgrade

    path = config.sqlite_path()
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    print(f"Migrating {_display(config.database_url)} ...")
    upgrade(config.database_url)
    print("Loading the demo couple (two accounts, sample calendars from examples/) ...")
    engine = make_engine(config.database_url)
    with session_factory(engine)() as session:
        partners = load_demo(
            session, examples=EXAMPLES, now=datetime.now(UTC),
            weeks=config.horizon_weeks, max_bytes=config.upload_max_bytes,
        )  # fmt: skip
    engine.dispose()
    print("\nSign in as either partner:")
    for p in partners:
        print(f"  {p.name:<5} ({p.zone}): {p.email}  password: {p.password}")
    print()


def cmd_google_emulator(args: argparse.Namespace) -> int:
    """Serve the Google Calendar v3 + OAuth emulator (tests and the demo use it)."""
    from integrations.google.emulator.server import serve_forever

    serve_forever(args.host, args.port, args.seed)
    return 0


def cmd_secrets_rotate(args: argparse.Namespace) -> int:
    """Re-encrypt every stored secret with the first key of ``PLANNER_SECRET_KEYS``."""
    from planner.services.secrets import SecretError, rotate
    from planner.store.db import make_engine, session_factory

    keys = [k.strip() for k in os.environ.get("PLANNER_SECRET_KEYS", "").split(",") if k.strip()]
    url = args.url or Config.from_env(os.environ).database_url
    engine = make_engine(url)
    try:
        with session_factory(engine)() as session:
            count = rotate(session, keys)
    except SecretError as error:
        raise SystemExit(f"planner: {error.message}") from None
    finally:
        engine.dispose()
    print(f"re-encrypted {count} secrets with the first key")
    return 0


def cmd_mail_deliver(args: argparse.Namespace) -> int:
    """Send the invite mail that is due, retries included (for cron or a systemd timer)."""
    from datetime import UTC, datetime

    from planner.services.mail import deliver
    from planner.store.db import make_engine, session_factory

    config = _config()
    settings = config.mail.settings(base_url=config.base_url, secret=config.secret_key)
    if settings.smtp is None:
        raise SystemExit("planner: PLANNER_SMTP_HOST is not set, so mail stays in the outbox")
    engine = make_engine(config.database_url)
    try:
        with session_factory(engine)() as session:
            report = deliver(session, settings, now=datetime.now(UTC), limit=args.limit)
    finally:
        engine.dispose()
    print(f"sent {report.sent}, to try again later {report.retrying}, failed {report.failed}")
    return 0


def add_commands(sub: argparse._SubParsersAction[Any]) -> None:
    """Register ``db`` and ``serve`` on the ``planner`` parser."""
    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True, parser_class=type(db))
    up = db_sub.add_parser("upgrade", help="migrate the database to the newest schema")
    up.add_argument("--url", help="database URL (default: DATABASE_URL or the SQLite file)")
    up.set_defaults(func=cmd_db_upgrade)

    serve = sub.add_parser("serve", help="serve the web app (development server)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    serve.add_argument("--port", type=int, default=5000, help="port (5000)")
    serve.add_argument(
        "--demo", action="store_true", help="migrate and load the demo couple before serving"
    )
    serve.set_defaults(func=cmd_serve)

    worker = sub.add_parser(
        "worker", help="run background jobs: sync, weekly planning, mail, write-back"
    )
    worker.add_argument(
        "--workers", type=int, default=None, help="worker threads (PLANNER_WORKERS, 2)"
    )
    worker.set_defaults(func=cmd_worker)

    emulator = sub.add_parser("google-emulator", help="serve the Google Calendar emulator")
    emulator.add_argument("--port", type=int, required=True, help="port (0 picks a free one)")
    emulator.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    emulator.add_argument("--seed", choices=["demo"], help="load the demo users and calendars")
    emulator.set_defaults(func=cmd_google_emulator)

    secrets = sub.add_parser("secrets", help="stored secrets (Google tokens)")
    secrets_sub = secrets.add_subparsers(
        dest="secrets_command", required=True, parser_class=type(secrets)
    )
    rotate = secrets_sub.add_parser(
        "rotate-key", help="re-encrypt secrets with the first key of PLANNER_SECRET_KEYS"
    )
    rotate.add_argument("--url", help="database URL (default: DATABASE_URL or the SQLite file)")
    rotate.set_defaults(func=cmd_secrets_rotate)

    mail = sub.add_parser("mail", help="invite mail")
    mail_sub = mail.add_subparsers(dest="mail_command", required=True, parser_class=type(mail))
    send = mail_sub.add_parser("deliver", help="send the invite mail that is due (over SMTP)")
    send.add_argument("--limit", type=int, default=200, help="at most this many mails (200)")
    send.set_defaults(func=cmd_mail_deliver)
