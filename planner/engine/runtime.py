"""What the engine's jobs need, built once per process: sessions, settings and the clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session, sessionmaker

from planner.web.config import Config, caldav_settings, fetch_settings, google_settings

if TYPE_CHECKING:
    from integrations.google.client import RetryPolicy
    from planner.services.caldav_sources import CaldavSettings
    from planner.services.google_sources import GoogleSettings
    from planner.services.mail import MailSettings
    from planner.services.sources import FetchSettings
    from planner.services.write_back_tasks import WriteBackSettings


def utc_now() -> datetime:
    """The real clock, aware UTC."""
    return datetime.now(UTC)


@dataclass
class Runtime:
    """The process's sessions, configuration-derived settings and clock, for jobs.

    ``google_policy`` lets tests give Google calls a retry policy that does not sleep.
    """

    config: Config
    sessions: sessionmaker[Session]
    clock: Callable[[], datetime] = utc_now
    google_policy: Callable[[], RetryPolicy | None] = field(default=lambda: None)

    def now(self) -> datetime:
        """The current instant (aware UTC)."""
        return self.clock()

    @property
    def every(self) -> timedelta:
        """How often calendar links, CalDAV and Google calendars are read."""
        return timedelta(seconds=self.config.sync_every)

    @property
    def horizon_weeks(self) -> int:
        """How many weeks sync reads and planning plans."""
        return self.config.horizon_weeks

    @cached_property
    def fetch(self) -> FetchSettings:
        """How calendar links are fetched."""
        return fetch_settings(self.config)

    @property
    def google(self) -> GoogleSettings | None:
        """How Google is reached (None: not configured)."""
        from dataclasses import replace

        settings = google_settings(self.config)
        policy = self.google_policy()
        return replace(settings, policy=policy) if settings and policy else settings

    @cached_property
    def caldav(self) -> CaldavSettings | None:
        """How CalDAV servers are reached (None: not configured)."""
        return caldav_settings(self.config)

    @cached_property
    def mail(self) -> MailSettings:
        """Who sends mail, where links point, and the SMTP server."""
        return self.config.mail.settings(
            base_url=self.config.base_url, secret=self.config.secret_key
        )

    @property
    def write_back(self) -> WriteBackSettings:
        """Where confirmed connections are written."""
        from planner.services.write_back_tasks import WriteBackSettings

        return WriteBackSettings(google=self.google, caldav=self.caldav)
