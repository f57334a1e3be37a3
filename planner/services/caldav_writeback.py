"""Write-back to CalDAV: confirmed connections into the calendar each partner picked.

Called where Google write-back is (:mod:`planner.services.invites` on confirm, move and
cancel, :mod:`planner.services.couples` on leaving, and the write-back job), after the
change is committed, so a failure here never undoes it: it is recorded as a
:class:`~planner.store.models.WriteBackIssue` (kinds ``caldav_failed``, ``caldav_deleted``)
with a plain message, and the next connection and partner are tried. Where each event went
and its ETag are kept in :class:`~planner.store.models.CaldavEvent`; an event the owner
deleted by hand is noted there and never written again (see
:mod:`integrations.caldav.writeback` for the requests).

No request to a server happens inside a database transaction. A run has three steps: read
the connections, the accounts with a write calendar and their event rows into plain data
and commit (:func:`_read`); write with no transaction open (:func:`_write_account`); record
what came of it in one short transaction (:func:`_record_outcome`). A run killed between a
PUT and its recording is safely run again: the event's URL is derived from its UID, so the
second PUT finds our event there (412 on ``If-None-Match: *``) and writes over it, one
object per connection; a DELETE that finds nothing counts as done.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from integrations.caldav import AuthFailed, Client, WriteOutcome, delete_event, write_event
from integrations.caldav.writeback import event_url
from integrations.ics.addresses import UrlRefused
from integrations.ics.transport import FetchFailed
from planner.core.rituals import CATALOGUE
from planner.services import secrets
from planner.services.caldav_sources import CaldavSettings, Login, login_client, plain
from planner.services.feed import WriteTarget, write_targets
from planner.store.models import CaldavAccount, CaldavEvent, WriteBackIssue

log = logging.getLogger(__name__)

FAILED = "caldav_failed"
DELETED = "caldav_deleted"
MAX_ETAG = 255

WRITTEN = "written"  # what came of one connection, besides FAILED and DELETED
REMOVED = "removed"


@dataclass(frozen=True)
class _Placed:
    """Where a connection's event was written in an account, its ETag, and whether the
    owner deleted it by hand (a :class:`CaldavEvent` row, read before any request)."""

    url: str
    etag: str | None
    deleted: bool


@dataclass(frozen=True)
class _Account:
    """An account with a write calendar and its events by connection UID, read before any
    request."""

    id: int
    login: Login
    write_url: str
    placed: Mapping[str, _Placed]


@dataclass(frozen=True)
class _Result:
    """What came of one connection (``kind``: WRITTEN, REMOVED, DELETED or FAILED), with the
    event's URL and ETag; ``message`` for an issue."""

    uid: str
    kind: str
    url: str = ""
    etag: str | None = None
    message: str = ""


def write_back(
    session: Session,
    connection_ids: Iterable[int],
    user_ids: Iterable[int],
    *,
    settings: CaldavSettings | None,
    now: datetime,
) -> None:
    """Bring the partners' CalDAV calendars in line with the connections; commits.

    Only accounts with a write calendar are written to."""
    if settings is None:
        return
    targets, accounts = _read(session, connection_ids, user_ids)
    session.commit()  # no transaction stays open while the servers are asked
    outcomes = [(a, _write_account(a, targets, settings, now)) for a in accounts]
    for account, results in outcomes:
        _record_outcome(session, account, results, now)
    session.commit()


def _read(
    session: Session, connection_ids: Iterable[int], user_ids: Iterable[int]
) -> tuple[list[WriteTarget], list[_Account]]:
    """The connections that exist and the accounts to write them to (none without
    connections)."""
    targets = write_targets(session, connection_ids)
    if not targets:
        return [], []
    query = select(CaldavAccount).where(
        CaldavAccount.user_id.in_(list(user_ids)), CaldavAccount.write_url.is_not(None)
    )
    accounts = session.scalars(query.order_by(CaldavAccount.id)).all()
    return targets, [_account(session, a, [t.invite.uid for t in targets]) for a in accounts]


def _account(session: Session, account: CaldavAccount, uids: list[str]) -> _Account:
    """The account with the rows of the connections' events in it."""
    assert account.write_url is not None  # only such accounts are written to
    query = select(
        CaldavEvent.connection_uid, CaldavEvent.url, CaldavEvent.etag, CaldavEvent.deleted_at
    ).where(CaldavEvent.account_id == account.id, CaldavEvent.connection_uid.in_(uids))
    placed = {
        uid: _Placed(url, etag, deleted_at is not None)
        for uid, url, etag, deleted_at in session.execute(query)
    }
    return _Account(account.id, Login.of(account), account.write_url, placed)


def _write_account(
    account: _Account, targets: list[WriteTarget], settings: CaldavSettings, now: datetime
) -> list[_Result]:
    """Write every connection to one account's calendar (no database here); the results,
    a FAILED one without UID last when the account could not be used."""
    results: list[_Result] = []
    try:
        with login_client(account.login, settings) as client:
            for target in targets:
                results.extend(_write_one(client, account, target, now))
    except (AuthFailed, UrlRefused, secrets.SecretError) as error:
        message = f"Connection time could not be written to {_where(account)}: {plain(error)}"
        results.append(_Result("", FAILED, message=message))
    return results


def _write_one(
    client: Client, account: _Account, target: WriteTarget, now: datetime
) -> list[_Result]:
    """One connection into one calendar: its result, none when nothing was to be done; a
    refused login raised."""
    uid = target.invite.uid
    placed = account.placed.get(uid)
    try:
        if target.cancelled:
            if placed is None:
                return []
            delete_event(client, placed.url)
            return [_Result(uid, REMOVED)]
        if placed is not None and placed.deleted:
            return []
        return [_put(client, account, target, placed, now)]
    except AuthFailed:
        raise
    except FetchFailed as error:
        log.info("CalDAV write-back of %s for account %s failed: %s", target.id, account.id, error)
        name = _ritual_name(target.ritual)
        message = f"{name} could not be written to {_where(account)} ({plain(error)}) "
        return [_Result(uid, FAILED, message=message + "It is still planned.")]


def _put(
    client: Client, account: _Account, target: WriteTarget, placed: _Placed | None, now: datetime
) -> _Result:
    """Create or update the connection's event; where it is and its ETag."""
    uid = target.invite.uid
    url = placed.url if placed is not None else event_url(account.write_url, uid)
    etag = placed.etag if placed is not None else None
    written = write_event(
        client, url, target.invite, stamp=now, etag=etag, known=placed is not None
    )
    if written.outcome is WriteOutcome.DELETED_BY_USER:
        name = _ritual_name(target.ritual)
        message = f"You deleted {name} from {_where(account)}, so it was not added again."
        return _Result(uid, DELETED, url, message=message)
    return _Result(uid, WRITTEN, url, written.etag)


def _record_outcome(
    session: Session, account: _Account, results: list[_Result], now: datetime
) -> None:
    """Record one account's results (not committed); nothing for an account removed
    meanwhile."""
    if session.scalar(select(CaldavAccount.id).where(CaldavAccount.id == account.id)) is None:
        return
    for result in results:
        if result.kind == FAILED:
            _record(session, account.login.user_id, result.uid, FAILED, result.message)
        elif result.kind == REMOVED:
            _forget(session, account.id, result.uid)
        else:
            _place(session, account, result, now)
    session.flush()


def _forget(session: Session, account_id: int, uid: str) -> None:
    """The event was deleted: drop its row."""
    row = session.get(CaldavEvent, (account_id, uid), populate_existing=True)
    if row is not None:
        session.delete(row)


def _place(session: Session, account: _Account, result: _Result, now: datetime) -> None:
    """Remember where the event is and its ETag, or that the owner deleted it (then tell
    them)."""
    row = session.get(CaldavEvent, (account.id, result.uid), populate_existing=True)
    if row is None:
        row = CaldavEvent(account_id=account.id, connection_uid=result.uid, url=result.url)
        session.add(row)
    if result.kind == DELETED:
        row.deleted_at, row.etag = now, None
        _record(session, account.login.user_id, result.uid, DELETED, result.message)
        return
    etag = result.etag
    row.etag = etag if etag is not None and len(etag) <= MAX_ETAG else None  # else If-Match: *


def _where(account: _Account) -> str:
    """``your calendar on caldav.example.com``."""
    host = account.login.server_url.split("//", 1)[-1].split("/", 1)[0]
    return f"your calendar on {host}"


def _record(session: Session, user_id: int, uid: str, kind: str, message: str) -> None:
    """Keep a write-back issue for the owner to see."""
    session.add(WriteBackIssue(user_id=user_id, connection_uid=uid, kind=kind, message=message))


def _ritual_name(key: str) -> str:
    ritual = CATALOGUE.get(key)
    return ritual.name if ritual else "Connection time"
