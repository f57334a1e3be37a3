"""Write-back: confirmed connections into each partner's own Google calendar.

Called by :mod:`planner.services.invites` and :mod:`planner.services.couples` after their
change is committed, so a failure here never undoes a confirmation or a cancellation: it is
recorded as a :class:`~planner.store.models.WriteBackIssue` with a plain message the owner
sees later, and the next partner is tried. An event the owner deleted by hand is recorded
once and never written again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from integrations.google.config import can_write
from integrations.google.errors import ReconnectNeeded
from integrations.google.oauth import RefreshedToken
from integrations.google.writeback import (
    WriteOutcome,
    cancel_connection,
    move_connection,
    upsert_connection,
)
from planner.core.rituals import CATALOGUE
from planner.services.feed import connection_invite
from planner.services.google_sources import (
    REVOKED,
    GoogleSettings,
    SyncFailed,
    google_service,
    keep_refreshed,
    mark_reconnect,
)
from planner.store.models import Connection, GoogleAccount, WriteBackIssue

log = logging.getLogger(__name__)

DELETED = "deleted_by_user"
FAILED = "failed"


def write_back(
    session: Session,
    connection_ids: Iterable[int],
    user_ids: Iterable[int],
    *,
    settings: GoogleSettings | None,
    now: datetime,
) -> None:
    """Bring the partners' Google calendars in line with the connections; commits.

    Only partners with write-back on, a live grant and a write scope are written to.
    """
    if settings is None:
        return
    connections = [c for i in connection_ids if (c := session.get(Connection, i)) is not None]
    for user_id in user_ids:
        account = session.get(GoogleAccount, user_id)
        if account is None or not _writable(account) or not connections:
            continue
        _write_account(session, account, connections, settings, now)
    session.commit()


def _writable(account: GoogleAccount) -> bool:
    """True when the account may be written to."""
    scopes = set(account.scopes.split())
    return account.write_back and account.refresh_token is not None and can_write(scopes)


def _write_account(
    session: Session,
    account: GoogleAccount,
    connections: list[Connection],
    settings: GoogleSettings,
    now: datetime,
) -> None:
    """Write every connection to one partner's calendar, recording what fails."""
    refreshed: list[RefreshedToken] = []
    user_id = account.user_id
    try:
        service = google_service(account, settings, refreshed)
        for conn in connections:
            _write_one(session, service, account, conn, settings)
    except ReconnectNeeded:
        mark_reconnect(session, user_id, now)
        _record(session, user_id, "", FAILED, REVOKED)
        return
    except SyncFailed as error:
        _record(session, user_id, "", FAILED, str(error))
    keep_refreshed(account, refreshed, settings.keys)


def _write_one(
    session: Session,
    service: Any,
    account: GoogleAccount,
    conn: Connection,
    settings: GoogleSettings,
) -> None:
    """One connection into one calendar; a failure is recorded, a revoked grant raised."""
    user_id, calendar_id = account.user_id, account.write_calendar_id
    if _deleted_by_user(session, user_id, conn.uid) and conn.status != "cancelled":
        return
    name = _ritual_name(conn.ritual)
    try:
        if conn.status == "cancelled":
            cancel_connection(service, calendar_id, conn.uid, policy=settings.policy)
            return
        write = move_connection if conn.sequence > 0 else upsert_connection
        outcome = write(service, calendar_id, connection_invite(conn), policy=settings.policy)
    except ReconnectNeeded:
        raise
    except Exception:
        log.exception("write-back of connection %s for partner %s failed", conn.id, user_id)
        message = f"{name} could not be written to your Google calendar; it is still planned."
        _record(session, user_id, conn.uid, FAILED, message)
        return
    if outcome is WriteOutcome.DELETED_BY_USER:
        message = f"You deleted {name} from your Google calendar, so it was not added again."
        _record(session, user_id, conn.uid, DELETED, message)


def _deleted_by_user(session: Session, user_id: int, uid: str) -> bool:
    """True when the owner deleted this connection's event by hand before."""
    query = select(WriteBackIssue.id).where(
        WriteBackIssue.user_id == user_id,
        WriteBackIssue.connection_uid == uid,
        WriteBackIssue.kind == DELETED,
    )
    return session.scalar(query.limit(1)) is not None


def _record(session: Session, user_id: int, uid: str, kind: str, message: str) -> None:
    """Keep a write-back issue for the owner to see."""
    session.add(WriteBackIssue(user_id=user_id, connection_uid=uid, kind=kind, message=message))


def _ritual_name(key: str) -> str:
    ritual = CATALOGUE.get(key)
    return ritual.name if ritual else "Connection time"


def issues(session: Session, user_id: int) -> list[WriteBackIssue]:
    """The partner's write-back issues, newest first."""
    query = select(WriteBackIssue).where(WriteBackIssue.user_id == user_id)
    return list(session.scalars(query.order_by(WriteBackIssue.id.desc())))
