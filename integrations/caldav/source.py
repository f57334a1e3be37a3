"""A CalDAV calendar behind :class:`integrations.sources.CalendarSource`.

A read first asks for the calendar's change markers (one small PROPFIND). When the ctag and
sync-token are those of the last read and the ``covered`` stretch holds the window, that is
the only request: the kept ``data`` is read again over the window and the reading is
``unchanged``, or, with no data kept (a caller that stores the blocks of its readings and
only loads the markers and ``covered``), the reading is ``kept``: nothing is parsed.
Otherwise one calendar-query REPORT reads the window plus :data:`SLACK`
(:func:`integrations.caldav.read_window`, server-side expansion unless the server refused
it before), and the answer goes through the same ingestion as an ICS URL, in the owner's
zone. Markers, data, the covered stretch and ``expand`` are public attributes; they change
only after a read succeeded. Every request follows the address rules of ICS URLs.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from zoneinfo import ZoneInfo

from integrations.caldav.client import AuthFailed, Client, Credentials, Network
from integrations.caldav.discovery import CalendarState, calendar_state
from integrations.caldav.events import CalendarData, read_window
from integrations.ics.addresses import UrlRefused
from integrations.ics.model import Limits
from integrations.ics.source import read_ics
from integrations.ics.transport import FetchFailed
from integrations.sources import BROKEN, Reading, SourceFailed, sentence, unexpected_as
from planner.core.intervals import Interval

log = logging.getLogger(__name__)

SLACK = timedelta(days=7)
REFUSED = "This server address can't be used. Use the public https address of your provider."
AUTH = (
    "The server did not accept the user name and app password. "
    "Connect the account again with a new app password."
)


class CaldavSource:
    """One calendar of a CalDAV account (see the module docstring). ``ctag``, ``sync_token``,
    ``data`` (the last calendar data read), ``covered`` (the stretch it covers) and
    ``expand`` are what the last successful read kept."""

    def __init__(
        self,
        server_url: str,
        credentials: Credentials,
        calendar_url: str,
        zone: str | ZoneInfo,
        *,
        network: Network = Network(),  # noqa: B008 - frozen, so sharing the default is safe
        limits: Limits = Limits(),  # noqa: B008 - frozen, so sharing the default is safe
        slack: timedelta = SLACK,
        ctag: str | None = None,
        sync_token: str | None = None,
        data: bytes | None = None,
        covered: Interval | None = None,
        expand: bool | None = None,
    ) -> None:
        self.server_url, self.credentials, self.network = server_url, credentials, network
        self.calendar_url, self.zone, self.limits, self.slack = calendar_url, zone, limits, slack
        self.ctag, self.sync_token, self.data, self.covered = ctag, sync_token, data, covered
        self.expand = expand  # False once the server refused to expand

    def read(self, window: Interval) -> Reading:
        """The calendar's busy time over ``window`` (over the slack after it too when read
        from the server)."""
        with _plain_failures():
            with Client(self.server_url, self.credentials, self.network) as client:
                state = calendar_state(client, self.calendar_url)
                if self._unchanged(state, window) and self.covered is not None:
                    if self.data is None:
                        return Reading(self.covered, unchanged=True, kept=True)
                    return self._reading(self.data, window, unchanged=True)
                wide = Interval(window.start, window.end + self.slack)
                found = read_window(
                    client, self.calendar_url, wide.start, wide.end, expand=self.expand is not False
                )
            reading = self._reading(found.data, wide)
        self._keep(state, found, wide)
        return reading

    def _unchanged(self, state: CalendarState, window: Interval) -> bool:
        """True when the markers are those of the last read and its data covers ``window``."""
        if not state.known or (state.ctag, state.sync_token) != (self.ctag, self.sync_token):
            return False
        return self.covered is not None and self.covered.contains(window)

    def _reading(self, data: bytes, window: Interval, *, unchanged: bool = False) -> Reading:
        """``data`` read over ``window``; a calendar with no objects there reads as empty."""
        if not data.strip():
            return Reading(window, unchanged=unchanged)
        return read_ics(data, self.zone, window, limits=self.limits, unchanged=unchanged)

    def _keep(self, state: CalendarState, found: CalendarData, wide: Interval) -> None:
        """Remember what a successful read saw."""
        self.ctag, self.sync_token = state.ctag, state.sync_token
        self.data, self.covered = found.data, wide
        self.expand = not found.expand_refused and self.expand is not False


def failure(error: UrlRefused | FetchFailed) -> SourceFailed:
    """A failed CalDAV exchange as :class:`SourceFailed` with a sentence for the owner: a
    refused address (its detail logged, never shown), refused credentials (``reconnect``),
    or what the transport said."""
    if isinstance(error, UrlRefused):
        log.info("caldav address refused: %s", error.detail)
        return SourceFailed(REFUSED)
    if isinstance(error, AuthFailed):
        return SourceFailed(AUTH, reconnect=True)
    return SourceFailed(sentence(error.message))


@contextmanager
def _plain_failures() -> Iterator[None]:
    """Failures of a CalDAV exchange as :func:`failure`; anything unexpected as
    :data:`BROKEN`."""
    with unexpected_as(BROKEN, "a CalDAV calendar"):
        try:
            yield
        except (UrlRefused, FetchFailed) as error:
            cause = None if isinstance(error, UrlRefused) else error  # its detail stays in logs
            raise failure(error) from cause
