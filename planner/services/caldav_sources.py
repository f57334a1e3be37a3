"""CalDAV calendars as sources: sync busy time from a CalDAV server.

The app password is stored encrypted and bound to its owner (:mod:`planner.services.secrets`,
the same keys as Google's tokens). A sync first asks for the calendar's change markers (one
small PROPFIND); when the ctag / sync-token are those of the last read and the stored data
covers the horizon, that is the only request, and the kept data is read again over the new
horizon. Otherwise one calendar-query REPORT reads the horizon plus :data:`SLACK` (see
:mod:`integrations.caldav.events`), and the result goes through the same ingestion as an
ICS URL. The snapshot is replaced with :func:`planner.store.replace_busy` and the markers
saved in ONE transaction: a failure anywhere leaves the old snapshot whole and the source
stale, never free. Every request follows the address rules of ICS URLs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from integrations.caldav import (
    AuthFailed,
    CalendarState,
    Client,
    Credentials,
    Network,
    calendar_state,
    read_window,
)
from integrations.ics.addresses import UrlRefused
from integrations.ics.transport import FetchFailed
from planner.core.intervals import Interval
from planner.services import fetching, secrets
from planner.services.errors import Invalid
from planner.services.sources import Outcome, SyncResult, horizon, sync_result
from planner.store import record_sync_failure, record_sync_success, replace_busy
from planner.store.models import CaldavAccount, CaldavCalendar, Source, User

log = logging.getLogger(__name__)

SLACK = timedelta(days=7)
REFUSED = "This server address can't be used. Use the public https address of your provider."
AUTH = (
    "The server did not accept the user name and app password. "
    "Connect the account again with a new app password."
)
BROKEN = "Something went wrong reading it."


@dataclass(frozen=True)
class CaldavSettings:
    """What CalDAV needs from configuration: the secret keys (the first encrypts) and how
    requests may travel (bounds and allowed networks, as for ICS URLs)."""

    keys: tuple[str, ...]
    network: Network = field(default_factory=Network)


def open_client(account: CaldavAccount, settings: CaldavSettings) -> Client:
    """A client for the account with its decrypted password. :class:`secrets.SecretError`
    when the password cannot be decrypted; :class:`UrlRefused` when the server address is
    refused under the current rules."""
    password = secrets.decrypt(account.password, account.user_id, settings.keys)
    return Client(account.server_url, Credentials(account.username, password), settings.network)


def plain(error: Exception) -> str:
    """A failure of a CalDAV exchange as a sentence for the owner."""
    if isinstance(error, UrlRefused):
        log.info("caldav address refused: %s", error.detail)
        return REFUSED
    if isinstance(error, AuthFailed):
        return AUTH
    if isinstance(error, FetchFailed):
        return sentence(error.message)
    if isinstance(error, secrets.SecretError):
        return error.message
    return BROKEN


def sentence(text: str) -> str:
    """``text`` capitalised and ending with a full stop."""
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def sync_caldav_source(
    session: Session, source_id: int, *, now: datetime, horizon_weeks: int, settings: CaldavSettings
) -> SyncResult:
    """Sync one CalDAV source (see the module docstring); failures are recorded, not raised."""
    source = session.get(Source, source_id)
    calendar = session.get(CaldavCalendar, source_id)
    if source is None or calendar is None:
        raise Invalid("There is no such calendar.")
    name = source.name
    try:
        outcome, data = _read(session, source, calendar, now, horizon_weeks, settings)
        owner = session.get(User, source.user_id)
        assert owner is not None  # the source's foreign key guarantees it
        window = horizon(now, horizon_weeks)
        result = fetching.read_calendar(data, owner, window)
        blocks = [(Interval(b.start, b.end), b.title) for b in result.blocks or []]
        replace_busy(session, source_id, window, blocks)
        record_sync_success(session, source_id, now, etag=None, last_modified=None)
        session.commit()
    except fetching.SyncError as error:
        return _failed(session, source_id, name, now, error.message)
    except (UrlRefused, FetchFailed, secrets.SecretError) as error:
        return _failed(session, source_id, name, now, plain(error))
    except Exception:
        log.exception("CalDAV sync of source %s failed", source_id)
        return _failed(session, source_id, name, now, BROKEN)
    return sync_result(source_id, name, outcome, result)


def _read(
    session: Session,
    source: Source,
    calendar: CaldavCalendar,
    now: datetime,
    weeks: int,
    settings: CaldavSettings,
) -> tuple[Outcome, bytes]:
    """The calendar data to read: the kept data when nothing changed, else a fresh read
    (kept on the source, not committed)."""
    account = session.get(CaldavAccount, calendar.account_id)
    if account is None:
        raise FetchFailed("connect the CalDAV account again", kind="auth")
    window = horizon(now, weeks)
    with open_client(account, settings) as client:
        state = calendar_state(client, calendar.url)
        if _unchanged(calendar, state, window) and source.raw is not None:
            return "not_modified", source.raw
        wide = Interval(window.start, window.end + SLACK)
        read = read_window(
            client, calendar.url, wide.start, wide.end, expand=calendar.expand is not False
        )
    source.raw = read.data
    calendar.ctag, calendar.sync_token = state.ctag, state.sync_token
    calendar.window_start, calendar.window_end = wide.start, wide.end
    calendar.expand = not read.expand_refused and calendar.expand is not False
    return "ok", read.data


def _unchanged(calendar: CaldavCalendar, state: CalendarState, window: Interval) -> bool:
    """True when the markers are those of the last read and its data covers ``window``."""
    if not state.known or (state.ctag, state.sync_token) != (calendar.ctag, calendar.sync_token):
        return False
    start, end = calendar.window_start, calendar.window_end
    return start is not None and end is not None and start <= window.start and window.end <= end


def _failed(session: Session, source_id: int, name: str, now: datetime, message: str) -> SyncResult:
    """Roll back, mark the source stale, commit; the failure as a result."""
    session.rollback()
    record_sync_failure(session, source_id, now, message)
    session.commit()
    return SyncResult(source_id, name, "failed", message)
