"""Write-back to CalDAV: confirmed connections into the calendar each partner picked.

Called where Google write-back is (:mod:`planner.services.invites` on confirm, move and
cancel, :mod:`planner.services.couples` on leaving), after the change is committed, so a
failure here never undoes it: it is recorded as a
:class:`~planner.store.models.WriteBackIssue` (kinds ``caldav_failed``, ``caldav_deleted``)
with a plain message, and the next connection and partner are tried. Where each event went
and its ETag are kept in :class:`~planner.store.models.CaldavEvent`; an event the owner
deleted by hand is noted there and never written again (see
:mod:`integrations.caldav.writeback` for the requests).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from integrations.caldav import AuthFailed, Client, WriteOutcome, delete_event, write_event
from integrations.caldav.writeback import event_url
from integrations.ics.addresses import UrlRefused
from integrations.ics.transport import FetchFailed
from planner.core.rituals import CATALOGUE
from planner.services import secrets
from planner.services.caldav_sources import CaldavSettings, open_client, plain
from planner.services.feed import connection_invite
from planner.store.models import CaldavAccount, CaldavEvent, Connection, WriteBackIssue

log = logging.getLogger(__name__)

FAILED = "caldav_failed"
DELETED = "caldav_deleted"
MAX_ETAG = 255


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
    connections = [c for i in connection_ids if (c := session.get(Connection, i)) is not None]
    if not connections:
        return
    for user_id in user_ids:
        query = select(CaldavAccount).where(
            CaldavAccount.user_id == user_id, CaldavAccount.write_url.is_not(None)
        )
        for account in session.scalars(query).all():
            _write_account(session, account, connections, settings, now)
    session.commit()


def _write_account(
    session: Session,
    account: CaldavAccount,
    connections: list[Connection],
    settings: CaldavSettings,
    now: datetime,
) -> None:
    """Write every connection to one account's calendar, recording what fails."""
    try:
        with open_client(account, settings) as client:
            for conn in connections:
                _write_one(session, client, account, conn, now)
    except (AuthFailed, UrlRefused, secrets.SecretError) as error:
        message = f"Connection time could not be written to {_where(account)}: {plain(error)}"
        _record(session, account.user_id, "", FAILED, message)


def _write_one(
    session: Session, client: Client, account: CaldavAccount, conn: Connection, now: datetime
) -> None:
    """One connection into one calendar; a failure is recorded, a refused login raised."""
    row = session.get(CaldavEvent, (account.id, conn.uid))
    name = _ritual_name(conn.ritual)
    try:
        if conn.status == "cancelled":
            if row is not None:
                delete_event(client, row.url)
                session.delete(row)
            return
        if row is not None and row.deleted_at is not None:
            return
        _put(session, client, account, conn, row, now)
    except AuthFailed:
        raise
    except FetchFailed as error:
        log.info("CalDAV write-back of %s for account %s failed: %s", conn.id, account.id, error)
        message = f"{name} could not be written to {_where(account)} ({plain(error)}) "
        _record(session, account.user_id, conn.uid, FAILED, message + "It is still planned.")


def _put(
    session: Session,
    client: Client,
    account: CaldavAccount,
    conn: Connection,
    row: CaldavEvent | None,
    now: datetime,
) -> None:
    """Create or update the connection's event and remember where it is."""
    assert account.write_url is not None  # only such accounts are written to
    url = row.url if row is not None else event_url(account.write_url, conn.uid)
    written = write_event(
        client,
        url,
        connection_invite(conn),
        stamp=now,
        etag=row.etag if row is not None else None,
        known=row is not None,
    )
    if row is None:
        row = CaldavEvent(account_id=account.id, connection_uid=conn.uid, url=url)
        session.add(row)
    if written.outcome is WriteOutcome.DELETED_BY_USER:
        row.deleted_at, row.etag = now, None
        name = _ritual_name(conn.ritual)
        message = f"You deleted {name} from {_where(account)}, so it was not added again."
        _record(session, account.user_id, conn.uid, DELETED, message)
        return
    etag = written.etag
    row.etag = etag if etag is not None and len(etag) <= MAX_ETAG else None  # else If-Match: *
    session.flush()


def _where(account: CaldavAccount) -> str:
    """``your calendar on caldav.example.com``."""
    host = account.server_url.split("//", 1)[-1].split("/", 1)[0]
    return f"your calendar on {host}"


def _record(session: Session, user_id: int, uid: str, kind: str, message: str) -> None:
    """Keep a write-back issue for the owner to see."""
    session.add(WriteBackIssue(user_id=user_id, connection_uid=uid, kind=kind, message=message))


def _ritual_name(key: str) -> str:
    ritual = CATALOGUE.get(key)
    return ritual.name if ritual else "Connection time"
