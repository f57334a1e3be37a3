"""The Flask app: ``create_app(config=None)`` builds it; ``wsgi.py`` serves it.

Views are thin: they parse input, call a service, and render. Configuration comes from
:mod:`planner.web.config` only; errors become HTTP responses in :mod:`planner.web.errors`.
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from planner.web.config import Config
from planner.web.db import init_db
from planner.web.errors import register_error_handlers
from planner.web.ratelimit import RateLimiter

ROOT = Path(__file__).resolve().parent.parent.parent
LOOPBACK_HTTP = ("http://127.0.0.1:", "http://localhost:", "http://[::1]:")

login_manager = LoginManager()
csrf = CSRFProtect()


def create_app(config: Config | None = None) -> Flask:
    """The web app for ``config`` (read from the environment when None)."""
    config = config or Config.from_env(os.environ)
    config.check()
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.update(_flask_settings(config))
    app.extensions["planner.config"] = config
    _prepare_sqlite_folder(config)
    _allow_plain_http_oauth(config)
    init_db(app, config.database_url)
    _init_engine(app, config)
    _init_extensions(app, config)
    register_error_handlers(app)
    _register_blueprints(app)
    return app


def _flask_settings(config: Config) -> dict[str, object]:
    return {
        "SECRET_KEY": config.secret_key,
        "DEBUG": config.debug,
        "TESTING": config.testing,
        "MAX_CONTENT_LENGTH": config.upload_max_bytes + 64 * 1024,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": config.secure_cookies,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": config.secure_cookies,
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
        **config.extra,
    }


def _prepare_sqlite_folder(config: Config) -> None:
    path = config.sqlite_path()
    if path is not None and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)


def _allow_plain_http_oauth(config: Config) -> None:
    """oauthlib refuses http:// token endpoints; allow them only for an emulator on loopback
    (``PLANNER_GOOGLE_EMULATOR=http://127.0.0.1:...``), never for a real provider."""
    token_uri = config.google_endpoints.token_uri
    if config.google_client_id and token_uri.startswith(LOOPBACK_HTTP):
        os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")


def _init_extensions(app: Flask, config: Config) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.signin"
    login_manager.login_message = "Please sign in to see that page."
    csrf.init_app(app)
    app.extensions["planner.signin_limiter"] = RateLimiter.of(config.signin_limit)


def _init_engine(app: Flask, config: Config) -> None:
    """The engine's jobs on the configured queue; committed changes enqueue their jobs."""
    from planner.engine import Jobs, Runtime
    from planner.engine.hooks import attach
    from planner.engine.queue import make_queue
    from planner.engine.runtime import utc_now
    from planner.engine.worker import JOBS
    from planner.web.clock import KEY as CLOCK
    from planner.web.db import sessions_of

    factory = sessions_of(app)
    runtime = Runtime(
        config,
        factory,
        clock=lambda: app.extensions.get(CLOCK, utc_now)(),
        google_policy=lambda: app.extensions.get("planner.google_policy"),
    )
    jobs = Jobs(make_queue(config), runtime)
    attach(factory, jobs)
    app.extensions[JOBS] = jobs


def _register_blueprints(app: Flask) -> None:
    """Register every blueprint; each module's ``NAV`` adds its links to the top bar."""
    from planner.web import (
        api,
        auth,
        caldav,
        couple,
        feed,
        google,
        google_push,
        mail,
        pages,
        proposals,
        sources,
    )

    nav: list[tuple[str, str]] = []
    for module in (pages, auth, proposals, sources, google, caldav, couple, feed, mail):
        app.register_blueprint(module.bp)
        nav.extend(getattr(module, "NAV", ()))
    app.jinja_env.globals["nav_links"] = lambda: nav
    api.register(app)
    google_push.register(app)
