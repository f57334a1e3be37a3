"""CalDAV calendars as sources: sync busy time from a CalDAV server.

The app password is stored encrypted and bound to its owner (:mod:`planner.services.secrets`,
the same keys as Google's tokens). A sync reads through the calendar's adapter
(:class:`integrations.caldav.source.CaldavSource`), loaded with what the last sync kept:
the change markers (ctag, sync-token), the calendar data (``Source.raw``), the stretch it
covers and whether the server expands recurrences. An unchanged calendar whose kept data
covers the horizon costs one small PROPFIND; otherwise one calendar-query REPORT reads the
horizon plus a week of slack. The snapshot is replaced with
:func:`planner.store.replace_busy` and the adapter's state saved in ONE transaction: a
failure anywhere leaves the old snapshot whole and the source stale, never free. Every
request follows the address rules of ICS URLs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from integrations.caldav import Client, Credentials, Network
from integrations.caldav.source import CaldavSource, failure
from integrations.ics.addresses import UrlRefused
from integrations.ics.transport import FetchFailed
from integrations.sources import BROKEN, SourceFailed
from planner.core.intervals import Interval
from planner.services import secrets
from planner.services.errors import Invalid
from planner.services.sources import SyncResult, horizon, sync_result
from planner.store import record_sync_failure, record_sync_success, replace_busy
from planner.store.models import CaldavAccount, CaldavCalendar, Source, User

log = logging.getLogger(__name__)

GONE = "Connect the CalDAV account again."


@dataclass(frozen=True)
class CaldavSettings:
    """What CalDAV needs from configuration: the secret keys (the first encrypts) and how
    requests may travel (bounds and allowed networks, as for ICS URLs)."""

    keys: tuple[str, ...]
    network: Network = field(default_factory=Network)


@dataclass(frozen=True)
class Login:
    """What a client for an account needs (the password still encrypted), read out of the
    session beforehand, so the server can be asked with no transaction open."""

    user_id: int
    server_url: str
    username: str
    password: bytes = field(repr=False)

    @classmethod
    def of(cls, account: CaldavAccount) -> Login:
        """The account's login."""
        return cls(account.user_id, account.server_url, account.username, account.password)


def open_client(account: CaldavAccount, settings: CaldavSettings) -> Client:
    """A client for the account with its decrypted password. :class:`secrets.SecretError`
    when the password cannot be decrypted; :class:`UrlRefused` when the server address is
    refused under the current rules."""
    return login_client(Login.of(account), settings)


def login_client(login: Login, settings: CaldavSettings) -> Client:
    """:func:`open_client` for a :class:`Login` read beforehand."""
    password = secrets.decrypt(login.password, login.user_id, settings.keys)
    return Client(login.server_url, Credentials(login.username, password), settings.network)


def plain(error: Exception) -> str:
    """A failure of a CalDAV exchange (or of decrypting its password) as a sentence for the
    owner; the same words a sync shows."""
    if isinstance(error, UrlRefused | FetchFailed):
        return failure(error).message
    if isinstance(error, secrets.SecretError):
        return error.message
    return BROKEN


def sync_caldav_source(
    session: Session, source_id: int, *, now: datetime, horizon_weeks: int, settings: CaldavSettings
) -> SyncResult:
    """Sync one CalDAV source (see the module docstring); failures are recorded, not raised:
    the result says what was read, or why nothing was."""
    source = session.get(Source, source_id)
    calendar = session.get(CaldavCalendar, source_id)
    if source is None or calendar is None:
        raise Invalid("There is no such calendar.")
    name = source.name
    try:
        adapter = _adapter(session, source, calendar, settings)
        reading = adapter.read(horizon(now, horizon_weeks))
        replace_busy(session, source_id, reading.window,
                     [(b.interval, b.title) for b in reading.blocks])  # fmt: skip
        _keep(source, calendar, adapter)
        record_sync_success(session, source_id, now, etag=None, last_modified=None)
        session.commit()
    except SourceFailed as error:  # refused credentials (reconnect) included: same stale path
        return _failed(session, source_id, name, now, error.message)
    except secrets.SecretError as error:
        return _failed(session, source_id, name, now, error.message)
    except Exception:
        log.exception("CalDAV sync of source %s failed", source_id)
        return _failed(session, source_id, name, now, BROKEN)
    return sync_result(source_id, name, "not_modified" if reading.unchanged else "ok", reading)


def _adapter(
    session: Session, source: Source, calendar: CaldavCalendar, settings: CaldavSettings
) -> CaldavSource:
    """The adapter that reads the calendar, loaded with what the last sync kept;
    :class:`SourceFailed` when the account is gone, :class:`secrets.SecretError` when its
    password cannot be decrypted."""
    account = session.get(CaldavAccount, calendar.account_id)
    owner = session.get(User, source.user_id)
    if account is None or owner is None:
        raise SourceFailed(GONE, reconnect=True)
    password = secrets.decrypt(account.password, account.user_id, settings.keys)
    start, end = calendar.window_start, calendar.window_end
    return CaldavSource(
        account.server_url, Credentials(account.username, password), calendar.url, owner.zone,
        network=settings.network, ctag=calendar.ctag, sync_token=calendar.sync_token,
        data=source.raw, covered=Interval(start, end) if start and end else None,
        expand=calendar.expand,
    )  # fmt: skip


def _keep(source: Source, calendar: CaldavCalendar, adapter: CaldavSource) -> None:
    """Store what the adapter kept after a successful read (not committed)."""
    source.raw = adapter.data
    calendar.ctag, calendar.sync_token = adapter.ctag, adapter.sync_token
    covered = adapter.covered
    calendar.window_start = covered.start if covered else None
    calendar.window_end = covered.end if covered else None
    calendar.expand = adapter.expand


def _failed(session: Session, source_id: int, name: str, now: datetime, message: str) -> SyncResult:
    """Roll back, mark the source stale, commit; the failure as a result."""
    session.rollback()
    record_sync_failure(session, source_id, now, message)
    session.commit()
    return SyncResult(source_id, name, "failed", message)
