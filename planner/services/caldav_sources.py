"""CalDAV calendars as sources: sync busy time from a CalDAV server.

The app password is stored encrypted and bound to its owner (:mod:`planner.services.secrets`,
the same keys as Google's tokens). A sync (the one loop of :mod:`planner.services.sync`,
loaded by :func:`load_caldav`) reads through the calendar's adapter
(:class:`integrations.caldav.source.CaldavSource`), loaded with what the last sync kept:
the change markers (ctag, sync-token), the stretch the stored blocks cover and whether the
server expands recurrences (the calendar data is still written to ``Source.raw`` but not
read back). An unchanged calendar whose stored blocks cover the horizon costs one small
PROPFIND and no parse; otherwise one calendar-query REPORT reads the
horizon plus a week of slack. The snapshot is replaced with
:func:`planner.store.replace_busy` and the adapter's state saved in ONE transaction: a
failure anywhere leaves the old snapshot whole and the source stale, never free. Every
request follows the address rules of ICS URLs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from integrations.caldav import Client, Credentials, Network
from integrations.caldav.source import CaldavSource, failure
from integrations.ics.addresses import UrlRefused
from integrations.ics.transport import FetchFailed
from integrations.sources import BROKEN, Reading, SourceFailed
from planner.core.intervals import Interval
from planner.services import secrets
from planner.services.errors import Invalid
from planner.services.sync import Loaded
from planner.store.models import CaldavAccount, CaldavCalendar, Source

if TYPE_CHECKING:
    from planner.services.sources import SyncSettings

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


def load_caldav(
    session: Session, source: Source, zone: str, _now: datetime, settings: SyncSettings
) -> Loaded:
    """A CalDAV source loaded for the sync loop (:mod:`planner.services.sync`): its adapter
    with what the last sync kept; :class:`SourceFailed` when CalDAV is not configured, the
    account is gone or its password cannot be decrypted."""
    caldav = settings.caldav
    if caldav is None:
        raise SourceFailed("CalDAV is not configured here.")
    calendar = session.get(CaldavCalendar, source.id)
    if calendar is None:
        raise Invalid("There is no such calendar.")
    account = session.get(CaldavAccount, calendar.account_id)
    if account is None:
        raise SourceFailed(GONE, reconnect=True)
    try:
        password = secrets.decrypt(account.password, account.user_id, caldav.keys)
    except secrets.SecretError as error:
        raise SourceFailed(error.message) from None
    start, end = calendar.window_start, calendar.window_end
    adapter = CaldavSource(
        account.server_url, Credentials(account.username, password), calendar.url, zone,
        network=caldav.network, ctag=calendar.ctag, sync_token=calendar.sync_token,
        covered=Interval(start, end) if start and end else None,
        expand=calendar.expand,
    )  # fmt: skip

    def keep(_session: Session, _reading: Reading) -> None:
        _keep(source, calendar, adapter)

    return Loaded(adapter, keep)


def _keep(source: Source, calendar: CaldavCalendar, adapter: CaldavSource) -> None:
    """Store what the adapter kept after a successful read (not committed)."""
    if adapter.data is not None:
        source.raw = adapter.data
    calendar.ctag, calendar.sync_token = adapter.ctag, adapter.sync_token
    covered = adapter.covered
    calendar.window_start = covered.start if covered else None
    calendar.window_end = covered.end if covered else None
    calendar.expand = adapter.expand
