"""A partner's Google connection as they manage it: connect (OAuth), choose calendars,
turn write-back on or off, switch privacy mode, disconnect.

Connecting is two steps, because the browser leaves for Google in between:
:func:`begin` gives the consent URL and a :class:`PendingAuthorization` the caller keeps
(in the web session); :func:`complete` checks the callback against it, stores the grant
and reports what the partner did not allow. Least privilege: reading asks for
``calendar.events.readonly`` (or only ``calendar.freebusy`` in privacy mode), writing asks
for ``calendar.events.owned`` only when write-back is turned on, as an incremental grant.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from integrations.google.calendars import CalendarEntry, list_calendars
from integrations.google.config import CALENDAR_LIST, FREEBUSY, READ, can_write, scopes_for
from integrations.google.errors import AuthorizationFailed, ReconnectNeeded
from integrations.google.oauth import (
    OAuthClient,
    PendingAuthorization,
    RefreshedToken,
    finish_authorization,
    revoke,
    start_authorization,
)
from planner.services import google_push, secrets, writeback
from planner.services.errors import Conflict, Invalid, NotFound, ServiceError, Unavailable
from planner.services.google_sources import (
    REVOKED,
    GoogleSettings,
    SyncFailed,
    add_calendars,
    connect_google,
    google_service,
    keep_refreshed,
    mark_reconnect,
)
from planner.services.sources import SyncResult
from planner.store.models import (
    Connection,
    GoogleAccount,
    GoogleCalendar,
    Source,
    WriteBackIssue,
)

log = logging.getLogger(__name__)

PRIMARY_ONLY = ("primary", "Google Calendar")
GOOGLE_KINDS = (writeback.FAILED, writeback.DELETED)
_REFUSALS = {
    "access_denied": "You cancelled the connection to Google; nothing was connected.",
}
MISMATCH = (
    "This answer from Google does not belong to your last request; nothing was connected. "
    "Start again from the Calendars page."
)


@dataclass(frozen=True)
class GoogleStatus:
    """What the Calendars page shows about a partner's Google connection."""

    connected: bool
    reconnect_needed: bool
    privacy: bool
    write_back: bool
    can_write: bool
    calendars: int
    issues: list[WriteBackIssue] = field(default_factory=list)


@dataclass(frozen=True)
class Connected:
    """The outcome of :func:`complete`: whether calendars must be chosen next, whether
    write-back ended up on, and notes for the partner about scopes they did not allow."""

    choose_calendars: bool
    write_back: bool
    notes: tuple[str, ...] = ()


def status(session: Session, user_id: int, now: datetime) -> GoogleStatus | None:
    """The partner's Google connection, or None when they never connected."""
    account = session.get(GoogleAccount, user_id)
    if account is None:
        return None
    count = len(_google_sources(session, user_id))
    issues = _issues(session, user_id, now)
    return GoogleStatus(
        connected=account.refresh_token is not None,
        reconnect_needed=account.reconnect_needed_at is not None,
        privacy=account.privacy,
        write_back=account.write_back,
        can_write=can_write(set(account.scopes.split())),
        calendars=count,
        issues=issues,
    )


def _client(settings: GoogleSettings) -> OAuthClient:
    return OAuthClient(settings.client_id, settings.client_secret, settings.redirect_uri)


def begin(
    settings: GoogleSettings, *, privacy: bool, write_back: bool, login_hint: str | None = None
) -> tuple[str, PendingAuthorization]:
    """The consent URL for a connection in this mode, and what to keep until the callback."""
    scopes = scopes_for(privacy=privacy, write_back=write_back)
    return start_authorization(_client(settings), settings.endpoints, scopes, login_hint=login_hint)


def complete(
    session: Session,
    user_id: int,
    settings: GoogleSettings,
    pending: PendingAuthorization,
    params: dict[str, str],
    *,
    privacy: bool,
    write_back: bool,
    now: datetime,
) -> Connected:
    """Check Google's callback ``params`` against ``pending`` and store the grant; commits.

    Raises :class:`Invalid` when the partner refused or unticked the read scope (the grant
    is then revoked: it is of no use), :class:`Unavailable` when Google could not be reached.
    """
    try:
        grant = finish_authorization(_client(settings), settings.endpoints, pending, params)
    except AuthorizationFailed as error:
        if error.reason == "state_mismatch":
            raise ServiceError(MISMATCH) from None
        raise Invalid(_refusal(error), field="google") from None
    except OSError as error:
        raise Unavailable(f"Google could not be reached ({error}); try again.") from None
    read = FREEBUSY if privacy else READ
    if read not in grant.granted:
        _revoke_quietly(grant.refresh_token or grant.access_token, settings)
        raise Invalid(_read_refused(privacy), field="google")
    notes: list[str] = []
    if write_back and not can_write(grant.granted):
        write_back = False
        notes.append("Write-back stays off: you did not allow adding events to your calendar.")
    had_sources = bool(_google_sources(session, user_id))
    calendars: list[tuple[str, str]] = []
    if CALENDAR_LIST not in grant.granted and not had_sources:
        calendars = [PRIMARY_ONLY]
        notes.append("You did not share your calendar list, so only your main calendar counts.")
    keys = settings.keys
    connect_google(session, user_id, grant, calendars, keys=keys, now=now, privacy=privacy,
                   write_back=write_back)  # fmt: skip
    return Connected(not had_sources and not calendars, write_back, tuple(notes))


def _refusal(error: AuthorizationFailed) -> str:
    """The partner-facing sentence for a failed authorization."""
    known = _REFUSALS.get(error.reason)
    if known:
        return known
    return f"Google did not complete the connection ({error.reason}). Please try again."


def _read_refused(privacy: bool) -> str:
    what = "see when you are free or busy" if privacy else "see the events in your calendar"
    return (
        f"Without permission to {what}, we cannot keep connection time clear of your plans. "
        "Connect again and leave that box ticked."
    )


def calendars(
    session: Session, user_id: int, settings: GoogleSettings, now: datetime
) -> list[tuple[CalendarEntry, bool]]:
    """The partner's Google calendars, each with whether it counts now; commits."""
    account = _live_account(session, user_id)
    if CALENDAR_LIST not in account.scopes.split():
        raise Conflict("Connect Google again and share your calendar list to choose calendars.")
    refreshed: list[RefreshedToken] = []
    try:
        service = google_service(account, settings, refreshed)
        entries = list_calendars(service, policy=settings.policy)
    except ReconnectNeeded:
        mark_reconnect(session, user_id, now)
        session.commit()
        raise Conflict(REVOKED) from None
    except SyncFailed as error:
        raise Conflict(str(error)) from None
    except Exception as error:
        log.warning("calendar list of partner %s failed: %s", user_id, error)
        raise Unavailable("Google could not be reached just now; try again.") from None
    keep_refreshed(account, refreshed, settings.keys)
    session.commit()
    chosen = set(_google_sources(session, user_id).values())
    return [(entry, entry.id in chosen) for entry in entries]


def choose(
    session: Session,
    user_id: int,
    available: list[tuple[CalendarEntry, bool]],
    chosen_ids: list[str],
    settings: GoogleSettings | None = None,
) -> list[int]:
    """Make exactly ``chosen_ids`` (from ``available``) count; the ids of sources added.

    Calendars no longer chosen are removed with their busy time, their push channels
    stopped first (with ``settings``); commits."""
    known = {entry.id: entry for entry, _ in available}
    unknown = [c for c in chosen_ids if c not in known]
    if unknown:
        raise Invalid("That calendar is not in your Google account.", field="calendars")
    if not chosen_ids:
        raise Invalid("Choose at least one calendar, or disconnect Google.", field="calendars")
    current = _google_sources(session, user_id)
    dropped = [source_id for source_id, cid in current.items() if cid not in chosen_ids]
    if dropped:
        google_push.stop_channels(session, user_id, settings, only=dropped)
    for source_id in dropped:
        session.delete(session.get(Source, source_id))
    new = [(c, known[c].name) for c in chosen_ids if c not in current.values()]
    session.flush()
    ids = add_calendars(session, user_id, new)
    session.commit()
    return ids


def set_write_back(session: Session, user_id: int, on: bool) -> bool:
    """Turn write-back on or off; True when Google must grant the write scope first
    (nothing changes then). Commits."""
    account = _live_account(session, user_id)
    if on and not can_write(set(account.scopes.split())):
        return True
    account.write_back = on
    session.commit()
    return False


def start_over(session: Session, user_id: int, settings: GoogleSettings, now: datetime) -> None:
    """Before connecting in another privacy mode: revoke the current grant (so earlier scopes
    are not carried into the new one) but keep the chosen calendars; commits."""
    account = _live_account(session, user_id)
    token = account.refresh_token
    if token is not None:
        with contextlib.suppress(secrets.SecretError):
            _revoke_quietly(secrets.decrypt(token, user_id, settings.keys), settings)
    account.refresh_token, account.scopes, account.reconnect_needed_at = None, "", now
    session.commit()


def sync(
    session: Session,
    user_id: int,
    settings: GoogleSettings,
    *,
    now: datetime,
    horizon_weeks: int,
    only: Sequence[int] | None = None,
) -> list[SyncResult]:
    """Sync the partner's Google sources (or ``only`` these of them) now."""
    from planner.services.sources import sync_source

    ids = list(_google_sources(session, user_id)) if only is None else only
    return [
        sync_source(
            session, i, now=now, horizon_weeks=horizon_weeks, google=settings, owner=user_id
        )
        for i in ids
    ]


def disconnect(session: Session, user_id: int, settings: GoogleSettings | None) -> bool:
    """Revoke the grant with Google and delete it, the Google calendars and their busy time.

    True when Google confirmed the revocation (or the grant was already gone); False when
    Google could not be reached (everything is deleted here all the same). The push
    channels are stopped first, while the grant still works. Commits."""
    if session.get(GoogleAccount, user_id) is None:
        raise NotFound("Google is not connected.")
    google_push.stop_channels(session, user_id, settings)
    account = session.get(GoogleAccount, user_id)
    if account is None:
        raise NotFound("Google is not connected.")
    revoked = True
    if account.refresh_token is not None and settings is not None:
        try:
            token = secrets.decrypt(account.refresh_token, user_id, settings.keys)
        except secrets.SecretError:
            token = None
        revoked = token is None or _revoke_quietly(token, settings)
    for source_id in _google_sources(session, user_id):
        session.delete(session.get(Source, source_id))
    session.execute(
        delete(WriteBackIssue).where(
            WriteBackIssue.user_id == user_id, WriteBackIssue.kind.in_(GOOGLE_KINDS)
        )
    )
    session.delete(account)
    session.commit()
    return revoked


def _issues(session: Session, user_id: int, now: datetime) -> list[WriteBackIssue]:
    """The partner's latest Google write-back notes: failures until dismissed, and events
    deleted by hand while their connection is still ahead (other kinds are CalDAV's)."""
    upcoming = select(Connection.uid).where(Connection.end > now)
    query = select(WriteBackIssue).where(
        WriteBackIssue.user_id == user_id,
        (WriteBackIssue.kind == writeback.FAILED)
        | (
            (WriteBackIssue.kind == writeback.DELETED) & WriteBackIssue.connection_uid.in_(upcoming)
        ),
    )
    return list(session.scalars(query.order_by(WriteBackIssue.id.desc()).limit(20)))


def clear_issues(session: Session, user_id: int) -> None:
    """Forget the partner's Google write-back notes (they read them); a deleted-by-hand
    mark stays, so that event is still never written again. Commits."""
    session.execute(
        delete(WriteBackIssue).where(
            WriteBackIssue.user_id == user_id, WriteBackIssue.kind == writeback.FAILED
        )
    )
    session.commit()


def _revoke_quietly(token: str, settings: GoogleSettings) -> bool:
    """Revoke ``token``; False (logged) when Google could not be reached."""
    try:
        revoke(token, settings.endpoints, timeout=settings.timeout)
    except Exception as error:
        log.warning("revoking a Google grant failed: %s", error)
        return False
    return True


def _live_account(session: Session, user_id: int) -> GoogleAccount:
    """The partner's account with a live grant, or :class:`Conflict` asking to connect."""
    account = session.get(GoogleAccount, user_id)
    if account is None:
        raise Conflict("Connect Google first.")
    if account.refresh_token is None:
        raise Conflict(REVOKED)
    return account


def _google_sources(session: Session, user_id: int) -> dict[int, str]:
    """The partner's Google sources: source id -> Google calendar id."""
    query = (
        select(GoogleCalendar.source_id, GoogleCalendar.calendar_id)
        .join(Source, Source.id == GoogleCalendar.source_id)
        .where(Source.user_id == user_id)
    )
    return {source_id: calendar_id for source_id, calendar_id in session.execute(query)}
