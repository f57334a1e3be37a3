"""Configuration, read from the environment in this one place.

Every setting has a ``PLANNER_*`` variable (plus the customary ``DATABASE_URL`` and
``SECRET_KEY``). :meth:`Config.from_env` reads them; tests build a :class:`Config` directly
or with :func:`dataclasses.replace`. The app refuses to start outside debug or demo mode
when the secret key is missing, a known placeholder, or too short.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import TYPE_CHECKING

from integrations.google.config import GOOGLE, GoogleEndpoints, for_emulator
from planner.web.mail_config import MailConfig, MailConfigError
from planner.web.ratelimit import BadLimit, parse_limit

if TYPE_CHECKING:
    from planner.services.caldav_sources import CaldavSettings
    from planner.services.google_sources import GoogleSettings
    from planner.services.sources import FetchSettings

PLACEHOLDER_SECRETS = frozenset({"", "dev", "change-me", "changeme", "secret", "replace-me"})
MIN_SECRET_LENGTH = 32
DEFAULT_DATABASE = "sqlite:///instance/planner.db"
QUEUE_SCHEMES = ("redis://", "rediss://", "unix://")


class ConfigError(ValueError):
    """A setting is missing or wrong; the message names the variable."""


def _flag(env: Mapping[str, str], name: str) -> bool:
    value = env.get(name, "").strip().lower()
    if value in {"", "0", "false", "no", "off"}:
        return False
    if value in {"1", "true", "yes", "on"}:
        return True
    raise ConfigError(f"{name} must be true or false, not {value!r}")


def _number(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    text = env.get(name, "").strip()
    if not text:
        return default
    if not text.isdigit() or not low <= int(text) <= high:
        raise ConfigError(f"{name} must be a whole number from {low} to {high}, not {text!r}")
    return int(text)


def _networks(env: Mapping[str, str], name: str) -> tuple[IPv4Network | IPv6Network, ...]:
    try:
        return tuple(ip_network(n.strip()) for n in env.get(name, "").split(",") if n.strip())
    except ValueError as error:
        raise ConfigError(f"{name}: {error}") from None


@dataclass(frozen=True)
class Config:
    """Everything the web app can be told; defaults suit a laptop."""

    secret_key: str
    database_url: str = DEFAULT_DATABASE
    debug: bool = False
    demo: bool = False
    testing: bool = False
    base_url: str = "http://127.0.0.1:5000"
    upload_max_bytes: int = 10 * 1024 * 1024
    fetch_timeout: int = 15
    fetch_allow: tuple[IPv4Network | IPv6Network, ...] = ()
    horizon_weeks: int = 4
    signin_limit: str = "10 per minute"
    secret_keys: tuple[str, ...] = ()
    google_client_id: str = ""
    google_client_secret: str = ""
    google_endpoints: GoogleEndpoints = GOOGLE
    mail: MailConfig = field(default_factory=MailConfig)
    queue_url: str = ""
    queue_name: str = "planner"
    queue_file: str = ""
    sync_every: int = 900
    workers: int = 2
    extra: Mapping[str, object] = field(default_factory=dict)

    @property
    def secure_cookies(self) -> bool:
        """Cookies carry Secure when the service is served over https."""
        return self.base_url.startswith("https://")

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Config:
        """The configuration described by environment variables ``env``."""
        debug, demo = _flag(env, "PLANNER_DEBUG"), _flag(env, "PLANNER_DEMO")
        secret = env.get("SECRET_KEY", env.get("PLANNER_SECRET_KEY", ""))
        if (debug or demo) and not secret:
            secret = secrets.token_urlsafe(32)  # sessions end with the process; fine for a demo
        return cls(
            secret_key=secret,
            database_url=env.get("DATABASE_URL", DEFAULT_DATABASE),
            debug=debug,
            demo=demo,
            base_url=env.get("PLANNER_BASE_URL", cls.base_url).rstrip("/"),
            upload_max_bytes=_number(
                env, "PLANNER_UPLOAD_MAX_BYTES", cls.upload_max_bytes, 1024, 100 * 1024 * 1024
            ),
            fetch_timeout=_number(env, "PLANNER_FETCH_TIMEOUT", cls.fetch_timeout, 1, 120),
            fetch_allow=_networks(env, "PLANNER_FETCH_ALLOW"),
            horizon_weeks=_number(env, "PLANNER_HORIZON_WEEKS", cls.horizon_weeks, 1, 12),
            signin_limit=env.get("PLANNER_SIGNIN_LIMIT", cls.signin_limit),
            secret_keys=_secret_keys(env, generate=debug or demo),
            google_client_id=env.get("PLANNER_GOOGLE_CLIENT_ID", "").strip(),
            google_client_secret=env.get("PLANNER_GOOGLE_CLIENT_SECRET", "").strip(),
            google_endpoints=_google_endpoints(env),
            mail=_mail(env),
            queue_url=env.get("PLANNER_QUEUE_URL", "").strip(),
            queue_name=env.get("PLANNER_QUEUE_NAME", cls.queue_name).strip() or cls.queue_name,
            queue_file=env.get("PLANNER_QUEUE_FILE", "").strip(),
            sync_every=_number(env, "PLANNER_SYNC_EVERY", cls.sync_every, 60, 86_400),
            workers=_number(env, "PLANNER_WORKERS", cls.workers, 1, 64),
        )

    def check(self) -> None:
        """Raise :class:`ConfigError` for settings the app must not start with."""
        try:
            parse_limit(self.signin_limit)
        except BadLimit as error:
            raise ConfigError(f"PLANNER_SIGNIN_LIMIT: {error}") from None
        self._check_google()
        if self.queue_url and not self.queue_url.startswith(QUEUE_SCHEMES):
            raise ConfigError(
                "PLANNER_QUEUE_URL must be a redis:// or rediss:// URL (or empty for the "
                f"embedded queue), not {self.queue_url!r}"
            )
        try:
            self.mail.check()
        except MailConfigError as error:
            raise ConfigError(str(error)) from None
        relaxed = self.debug or self.demo or self.testing
        weak = self.secret_key in PLACEHOLDER_SECRETS or len(self.secret_key) < MIN_SECRET_LENGTH
        if weak and not relaxed:
            raise ConfigError(
                "SECRET_KEY is missing or too weak: set it to a random string of at least "
                f"{MIN_SECRET_LENGTH} characters (python -c 'import secrets; "
                "print(secrets.token_urlsafe(48))')"
            )

    def _check_google(self) -> None:
        from cryptography.fernet import Fernet

        try:
            [Fernet(key) for key in self.secret_keys]
        except (ValueError, TypeError):
            raise ConfigError(
                "PLANNER_SECRET_KEYS: every key must be a Fernet key (python -c 'from "
                "cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')"
            ) from None
        if self.google_client_id and not self.google_client_secret:
            raise ConfigError("PLANNER_GOOGLE_CLIENT_SECRET is missing")
        if self.google_client_id and not self.secret_keys:
            raise ConfigError(
                "PLANNER_SECRET_KEYS is missing: Google refresh tokens are stored encrypted"
            )

    @property
    def google_redirect_uri(self) -> str:
        """Where Google sends the partner back after consent (register it with Google)."""
        return f"{self.base_url}/sources/google/callback"

    def queue_path(self) -> Path:
        """The embedded queue's SQLite file: ``PLANNER_QUEUE_FILE``, else beside an SQLite
        database, else in instance/."""
        if self.queue_file:
            return Path(self.queue_file)
        database = self.sqlite_path()
        if database is None:
            return Path("instance") / "queue.db"
        return database.with_name(f"{database.stem}-queue.db")

    def sqlite_path(self) -> Path | None:
        """The file of an SQLite database URL (None for other databases or memory)."""
        prefix = "sqlite:///"
        if not self.database_url.startswith(prefix) or self.database_url == prefix:
            return None
        return Path(self.database_url[len(prefix) :])


def _mail(env: Mapping[str, str]) -> MailConfig:
    """The ``PLANNER_SMTP_*`` and other mail settings (see :mod:`planner.web.mail_config`)."""
    try:
        return MailConfig.from_env(env)
    except MailConfigError as error:
        raise ConfigError(str(error)) from None


def _secret_keys(env: Mapping[str, str], *, generate: bool) -> tuple[str, ...]:
    """``PLANNER_SECRET_KEYS``: comma-separated Fernet keys, the first encrypts. Demo and
    debug mode make one up when none is set (stored secrets then last one process)."""
    keys = tuple(k.strip() for k in env.get("PLANNER_SECRET_KEYS", "").split(",") if k.strip())
    if keys or not generate:
        return keys
    from cryptography.fernet import Fernet

    return (Fernet.generate_key().decode(),)


def _google_endpoints(env: Mapping[str, str]) -> GoogleEndpoints:
    """Google's addresses: ``PLANNER_GOOGLE_EMULATOR`` (a base URL) points all four at the
    emulator; ``PLANNER_GOOGLE_AUTH_URI``, ``_TOKEN_URI``, ``_REVOKE_URI`` and ``_API_ROOT``
    override one each."""
    emulator = env.get("PLANNER_GOOGLE_EMULATOR", "").strip()
    base = for_emulator(emulator) if emulator else GOOGLE
    return GoogleEndpoints(
        auth_uri=env.get("PLANNER_GOOGLE_AUTH_URI", "").strip() or base.auth_uri,
        token_uri=env.get("PLANNER_GOOGLE_TOKEN_URI", "").strip() or base.token_uri,
        revoke_uri=env.get("PLANNER_GOOGLE_REVOKE_URI", "").strip() or base.revoke_uri,
        api_root=env.get("PLANNER_GOOGLE_API_ROOT", "").strip() or base.api_root,
    )


def current_config() -> Config:
    """The configuration of the app handling the current request."""
    from flask import current_app

    config: Config = current_app.extensions["planner.config"]
    return config


def fetch_settings(config: Config) -> FetchSettings:
    """How calendar links are fetched: bounds and allowed networks from ``config``."""
    from integrations.ics.fetch import AddressPolicy, FetchLimits
    from planner.services.sources import FetchSettings

    limits = FetchLimits(
        max_bytes=config.upload_max_bytes,
        deadline=float(config.fetch_timeout),
        socket_timeout=float(min(config.fetch_timeout, 10)),
    )
    return FetchSettings(limits=limits, policy=AddressPolicy(allow=config.fetch_allow))


def google_settings(config: Config) -> GoogleSettings | None:
    """How to reach Google, or None when no OAuth client is configured."""
    from planner.services.google_push import push_address
    from planner.services.google_sources import GoogleSettings

    if not config.google_client_id:
        return None
    return GoogleSettings(
        endpoints=config.google_endpoints,
        client_id=config.google_client_id,
        client_secret=config.google_client_secret,
        keys=config.secret_keys,
        redirect_uri=config.google_redirect_uri,
        push_address=push_address(config.base_url, config.google_endpoints),
    )


def current_google() -> GoogleSettings | None:
    """The Google settings of the app handling the current request (None: not set up).

    Tests may put a :class:`~integrations.google.client.RetryPolicy` that does not sleep in
    ``app.extensions["planner.google_policy"]``."""
    from dataclasses import replace

    from flask import current_app

    settings = google_settings(current_config())
    policy = current_app.extensions.get("planner.google_policy")
    return replace(settings, policy=policy) if settings and policy else settings


def caldav_settings(config: Config) -> CaldavSettings | None:
    """How CalDAV servers are reached (the bounds and allowed networks of calendar links),
    or None without ``PLANNER_SECRET_KEYS`` (app passwords are only stored encrypted)."""
    from integrations.caldav import Network
    from planner.services.caldav_sources import CaldavSettings

    if not config.secret_keys:
        return None
    fetch = fetch_settings(config)
    network = Network(limits=fetch.limits, policy=fetch.policy)
    return CaldavSettings(keys=config.secret_keys, network=network)


def current_caldav() -> CaldavSettings | None:
    """The CalDAV settings of the app handling the current request (None: not set up)."""
    return caldav_settings(current_config())
