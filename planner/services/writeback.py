"""Write-back: confirmed connections into each partner's own Google calendar.

Called by :mod:`planner.services.invites` and :mod:`planner.services.couples` after their
change is committed (and by the write-back job), so a failure here never undoes a
confirmation or a cancellation: it is recorded as a
:class:`~planner.store.models.WriteBackIssue` with a plain message the owner sees later, and
the next partner is tried. An event the owner deleted by hand is recorded once and never
written again.

No request to Google happens inside a database transaction. A run has three steps: read
the connections and the writable grants into plain data and commit (:func:`_read`); write
to Google with no transaction open (:func:`_write_partner`); record what came of it in one
short transaction (:func:`_record_outcome`). Every write is idempotent (one event id per
connection UID, see :mod:`integrations.google.writeback`), so a run killed between the
writes and their recording is safely run again: it finds the event already there.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
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
from planner.services.feed import WriteTarget, write_targets
from planner.services.google_sources import (
    REVOKED,
    GoogleSettings,
    SyncFailed,
    grant_service,
    keep_refreshed,
    mark_reconnect,
)
from planner.store.models import GoogleAccount, WriteBackIssue

log = logging.getLogger(__name__)

DELETED = "deleted_by_user"
FAILED = "failed"


@dataclass(frozen=True)
class _Partner:
    """A writable partner's grant (token still encrypted), calendar, and the connection
    UIDs whose events they deleted by hand; read before any request."""

    user_id: int
    refresh_token: bytes
    calendar_id: str
    deleted: frozenset[str]


@dataclass(frozen=True)
class _Issue:
    """A write-back issue to record: connection UID ("" for the whole grant), kind, text."""

    uid: str
    kind: str
    message: str


@dataclass(frozen=True)
class _Outcome:
    """What writing to one partner's calendar came to, to be recorded afterwards."""

    partner: _Partner
    issues: tuple[_Issue, ...]
    refreshed: tuple[RefreshedToken, ...] = ()
    reconnect: bool = False


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
    targets, partners = _read(session, connection_ids, user_ids)
    session.commit()  # no transaction stays open while Google is asked
    outcomes = [_write_partner(partner, targets, settings) for partner in partners]
    for outcome in outcomes:
        _record_outcome(session, outcome, settings, now)
    session.commit()


def _read(
    session: Session, connection_ids: Iterable[int], user_ids: Iterable[int]
) -> tuple[list[WriteTarget], list[_Partner]]:
    """The connections that exist and the partners to write them to (none without
    connections)."""
    targets = write_targets(session, connection_ids)
    if not targets:
        return [], []
    partners = [p for user_id in user_ids if (p := _partner(session, user_id)) is not None]
    return targets, partners


def _partner(session: Session, user_id: int) -> _Partner | None:
    """The partner's grant and calendar when they may be written to, else None."""
    account = session.get(GoogleAccount, user_id)
    if account is None or account.refresh_token is None or not _writable(account):
        return None
    query = select(WriteBackIssue.connection_uid).where(
        WriteBackIssue.user_id == user_id, WriteBackIssue.kind == DELETED
    )
    deleted = frozenset(session.scalars(query))
    return _Partner(user_id, account.refresh_token, account.write_calendar_id, deleted)


def _writable(account: GoogleAccount) -> bool:
    """True when the account may be written to."""
    scopes = set(account.scopes.split())
    return account.write_back and account.refresh_token is not None and can_write(scopes)


def _write_partner(
    partner: _Partner, targets: list[WriteTarget], settings: GoogleSettings
) -> _Outcome:
    """Write every connection to one partner's calendar (no database here); what came of it."""
    refreshed: list[RefreshedToken] = []
    issues: list[_Issue] = []
    try:
        service = grant_service(partner.user_id, partner.refresh_token, settings, refreshed)
        for target in targets:
            issue = _write_one(service, partner, target, settings)
            issues.extend([issue] if issue is not None else [])
    except ReconnectNeeded:
        return _Outcome(partner, tuple(issues), reconnect=True)
    except SyncFailed as error:
        issues.append(_Issue("", FAILED, str(error)))
    return _Outcome(partner, tuple(issues), tuple(refreshed))


def _write_one(
    service: Any, partner: _Partner, target: WriteTarget, settings: GoogleSettings
) -> _Issue | None:
    """One connection into one calendar; the issue to record, if any; a revoked grant
    raised."""
    uid, user_id, calendar_id = target.invite.uid, partner.user_id, partner.calendar_id
    if uid in partner.deleted and not target.cancelled:
        return None
    name = _ritual_name(target.ritual)
    try:
        if target.cancelled:
            cancel_connection(service, calendar_id, uid, policy=settings.policy)
            return None
        write = move_connection if target.invite.sequence > 0 else upsert_connection
        outcome = write(service, calendar_id, target.invite, policy=settings.policy)
    except ReconnectNeeded:
        raise
    except Exception:
        log.exception("write-back of connection %s for partner %s failed", target.id, user_id)
        message = f"{name} could not be written to your Google calendar; it is still planned."
        return _Issue(uid, FAILED, message)
    if outcome is WriteOutcome.DELETED_BY_USER:
        message = f"You deleted {name} from your Google calendar, so it was not added again."
        return _Issue(uid, DELETED, message)
    return None


def _record_outcome(
    session: Session, outcome: _Outcome, settings: GoogleSettings, now: datetime
) -> None:
    """Record one partner's issues, rotated token or lost grant (not committed). Nothing is
    kept for a partner who disconnected meanwhile, and a grant replaced meanwhile (they
    connected again) is neither marked lost nor overwritten."""
    user_id = outcome.partner.user_id
    account = session.get(GoogleAccount, user_id, populate_existing=True)
    if account is None:
        return
    for issue in outcome.issues:
        _record(session, user_id, issue)
    if account.refresh_token != outcome.partner.refresh_token:
        return
    if outcome.reconnect:
        mark_reconnect(session, user_id, now)
        _record(session, user_id, _Issue("", FAILED, REVOKED))
    else:
        keep_refreshed(account, list(outcome.refreshed), settings.keys)


def _record(session: Session, user_id: int, issue: _Issue) -> None:
    """Keep a write-back issue for the owner to see; a deleted-by-hand mark only once."""
    if issue.kind == DELETED and _deleted_by_user(session, user_id, issue.uid):
        return
    session.add(
        WriteBackIssue(
            user_id=user_id, connection_uid=issue.uid, kind=issue.kind, message=issue.message
        )
    )


def _deleted_by_user(session: Session, user_id: int, uid: str) -> bool:
    """True when the owner deleted this connection's event by hand before."""
    query = select(WriteBackIssue.id).where(
        WriteBackIssue.user_id == user_id,
        WriteBackIssue.connection_uid == uid,
        WriteBackIssue.kind == DELETED,
    )
    return session.scalar(query.limit(1)) is not None


def _ritual_name(key: str) -> str:
    ritual = CATALOGUE.get(key)
    return ritual.name if ritual else "Connection time"


def issues(session: Session, user_id: int) -> list[WriteBackIssue]:
    """The partner's write-back issues, newest first."""
    query = select(WriteBackIssue).where(WriteBackIssue.user_id == user_id)
    return list(session.scalars(query.order_by(WriteBackIssue.id.desc())))
