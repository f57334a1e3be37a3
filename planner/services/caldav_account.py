"""A partner's CalDAV accounts: connect (discover calendars with an app password), choose
which calendars count and which one receives confirmed connections, show, disconnect.

Connecting checks the credentials against the server before anything is stored; the app
password is then kept encrypted and bound to its owner. The calendars found are kept with
the account, so choosing them needs no second round of requests.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from integrations.caldav import AuthFailed, CalendarInfo, Client, Credentials, discover
from integrations.caldav.source import failure
from integrations.ics.addresses import UrlRefused
from integrations.ics.transport import FetchFailed
from integrations.sources import sentence
from planner.services import secrets
from planner.services.caldav_sources import CaldavSettings
from planner.services.errors import Invalid, NotFound
from planner.store.models import CaldavAccount, CaldavCalendar, Source, User, WriteBackIssue

ISSUE_KINDS = ("caldav_failed", "caldav_deleted")
AUTH = (
    "The server did not accept that user name and app password. Check both; most providers "
    "want an app password made for this, not your usual password."
)
NONE_FOUND = "We found no calendars with events at that address."
MAX_URL, MAX_USER, MAX_PASSWORD = 2048, 255, 1024


@dataclass(frozen=True)
class CalendarOption:
    """A calendar of the account: whether it counts now and whether we may write to it."""

    url: str
    name: str
    writable: bool
    chosen: bool


@dataclass(frozen=True)
class AccountView:
    """One CalDAV account as its owner sees it."""

    id: int
    server_url: str
    username: str
    calendars: list[CalendarOption]
    write_url: str | None
    issues: list[WriteBackIssue] = field(default_factory=list)

    @property
    def counting(self) -> int:
        """How many of its calendars count as busy time."""
        return sum(1 for c in self.calendars if c.chosen)

    @property
    def write_name(self) -> str | None:
        """The name of the calendar connections are written to."""
        return next((c.name for c in self.calendars if c.url == self.write_url), None)


def connect(
    session: Session,
    user_id: int,
    *,
    server_url: str,
    username: str,
    password: str,
    settings: CaldavSettings,
) -> int:
    """Find the calendars at ``server_url`` with these credentials and keep the account
    (password encrypted); its id. A second connect of the same server and user name updates
    that account. :class:`Invalid` naming the field at fault otherwise. Commits."""
    server_url, username = server_url.strip(), username.strip()
    _check(server_url, username, password)
    if session.get(User, user_id) is None:
        raise NotFound("There is no such account.")
    found = _discover(server_url, username, password, settings)
    account = session.scalar(
        select(CaldavAccount).where(
            CaldavAccount.user_id == user_id,
            CaldavAccount.server_url == server_url,
            CaldavAccount.username == username,
        )
    ) or CaldavAccount(user_id=user_id, server_url=server_url, username=username)
    try:
        account.password = secrets.encrypt(password, user_id, settings.keys)
    except secrets.SecretError as error:
        raise Invalid(error.message) from None
    account.calendars = json.dumps([_entry(c) for c in found])
    session.add(account)
    session.commit()
    return account.id


def _check(server_url: str, username: str, password: str) -> None:
    """:class:`Invalid` for an empty or overlong field."""
    if not server_url or len(server_url) > MAX_URL:
        raise Invalid("Give the address of your CalDAV server.", field="server_url")
    if not username or len(username) > MAX_USER:
        raise Invalid("Give your user name (often your e-mail address).", field="username")
    if not password or len(password) > MAX_PASSWORD:
        raise Invalid("Give an app password for this account.", field="password")


def _discover(
    server_url: str, username: str, password: str, settings: CaldavSettings
) -> Sequence[CalendarInfo]:
    """The calendars with events at ``server_url``, or :class:`Invalid`."""
    try:
        with Client(server_url, Credentials(username, password), settings.network) as client:
            found = discover(client, server_url).calendars
    except UrlRefused as refused:
        raise Invalid(failure(refused).message, field="server_url") from None  # detail logged
    except AuthFailed as error:
        if error.status is None:  # the credentials cannot even be sent (a colon, a control)
            raise Invalid(sentence(error.message), field="username") from None
        raise Invalid(AUTH, field="password") from None
    except FetchFailed as error:
        raise Invalid(failure(error).message, field="server_url") from None
    if not found:
        raise Invalid(NONE_FOUND, field="server_url")
    return found


def _entry(info: CalendarInfo) -> dict[str, object]:
    return {"url": info.url, "name": info.name, "writable": info.writable}


def account_view(session: Session, user_id: int, account_id: int) -> AccountView:
    """One of the partner's accounts with its calendars; :class:`NotFound` otherwise."""
    account = _account(session, user_id, account_id)
    chosen = set(_sources(session, account.id).values())
    entries = json.loads(account.calendars)
    options = [
        CalendarOption(str(e["url"]), str(e["name"]), bool(e["writable"]), e["url"] in chosen)
        for e in entries
    ]
    query = select(WriteBackIssue).where(
        WriteBackIssue.user_id == user_id, WriteBackIssue.kind.in_(ISSUE_KINDS)
    )
    issues = list(session.scalars(query.order_by(WriteBackIssue.id.desc()).limit(20)))
    return AccountView(
        account.id, account.server_url, account.username, options, account.write_url, issues
    )


def accounts(session: Session, user_id: int) -> list[AccountView]:
    """Every CalDAV account of the partner."""
    query = select(CaldavAccount.id).where(CaldavAccount.user_id == user_id)
    return [account_view(session, user_id, i) for i in session.scalars(query.order_by("id"))]


def choose(
    session: Session,
    user_id: int,
    account_id: int,
    *,
    urls: Sequence[str],
    write_url: str | None,
) -> list[int]:
    """Make exactly ``urls`` count as busy time and write confirmed connections to
    ``write_url`` (None: nowhere); the ids of the sources added. Calendars no longer chosen
    are removed with their busy time. Commits."""
    account = _account(session, user_id, account_id)
    known = {str(e["url"]): e for e in json.loads(account.calendars)}
    if any(url not in known for url in urls) or (write_url and write_url not in known):
        raise Invalid("That calendar is not in this account.", field="calendars")
    if write_url and not known[write_url]["writable"]:
        raise Invalid("This account may not add events to that calendar.", field="write_url")
    if not urls and not write_url:
        raise Invalid("Choose at least one calendar, or disconnect the account.", field="calendars")
    current = _sources(session, account.id)
    for source_id, url in current.items():
        if url not in urls:
            session.delete(session.get(Source, source_id))
    new = [url for url in dict.fromkeys(urls) if url not in current.values()]
    ids = [_add_source(session, account, url, str(known[url]["name"])) for url in new]
    account.write_url = write_url or None
    session.commit()
    return ids


def _add_source(session: Session, account: CaldavAccount, url: str, name: str) -> int:
    source = Source(user_id=account.user_id, kind="caldav", name=name[:200] or "Calendar", url=url)
    session.add(source)
    session.flush()
    session.add(CaldavCalendar(source_id=source.id, account_id=account.id, url=url))
    return source.id


def source_ids(session: Session, user_id: int, account_id: int) -> list[int]:
    """The ids of the account's sources."""
    return list(_sources(session, _account(session, user_id, account_id).id))


def disconnect(session: Session, user_id: int, account_id: int) -> None:
    """Forget the account, its password and its calendars' busy time (events we wrote stay
    in the calendar). Commits."""
    account = _account(session, user_id, account_id)
    for source_id in _sources(session, account.id):
        session.delete(session.get(Source, source_id))
    session.delete(account)
    session.commit()


def clear_issues(session: Session, user_id: int) -> None:
    """Forget the partner's CalDAV write-back notes (they read them). Commits."""
    session.execute(
        delete(WriteBackIssue).where(
            WriteBackIssue.user_id == user_id, WriteBackIssue.kind.in_(ISSUE_KINDS)
        )
    )
    session.commit()


def _account(session: Session, user_id: int, account_id: int) -> CaldavAccount:
    account = session.get(CaldavAccount, account_id)
    if account is None or account.user_id != user_id:
        raise NotFound("There is no such CalDAV account.")
    return account


def _sources(session: Session, account_id: int) -> dict[int, str]:
    """The account's sources: id -> calendar URL."""
    query = select(CaldavCalendar.source_id, CaldavCalendar.url).where(
        CaldavCalendar.account_id == account_id
    )
    return {source_id: url for source_id, url in session.execute(query)}
