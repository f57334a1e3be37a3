"""API: the viewer's CalDAV accounts (connect with an app password, choose calendars and
the one that receives connections, disconnect, dismiss write-back notes).

The same services as the CalDAV card of the Calendars page. The app password goes straight
to the service, which checks it against the server and keeps it encrypted; no response
and no error message ever holds it.
"""

from __future__ import annotations

from planner.services import caldav_account, sources
from planner.services.caldav_account import AccountView
from planner.services.caldav_sources import CaldavSettings
from planner.services.errors import Invalid, NotFound
from planner.services.sources import SyncResult
from planner.web.api import operation
from planner.web.api.schemas import JSON_ERRORS
from planner.web.api.schemas_caldav import (
    CaldavAccountOut,
    CaldavCalendarOut,
    CaldavChooseIn,
    CaldavChosenOut,
    CaldavConnectIn,
    CaldavIssueOut,
    CaldavOut,
)
from planner.web.api.schemas_calendars import SyncOut
from planner.web.clock import now
from planner.web.config import current_caldav, current_config, fetch_settings
from planner.web.db import db

TAG = "caldav"
FIELDS = {"password": "app_password"}  # the service's field names -> this API's


def _settings() -> CaldavSettings:
    """The CalDAV settings, or 404 when this server cannot keep app passwords."""
    found = current_caldav()
    if found is None:
        raise NotFound("CalDAV is not set up on this server (PLANNER_SECRET_KEYS is missing).")
    return found


def _account(view: AccountView) -> CaldavAccountOut:
    """An account as the API shows it (never with its password)."""
    write = view.write_url
    calendars = [
        CaldavCalendarOut(
            url=c.url, name=c.name, writable=c.writable, chosen=c.chosen, write=c.url == write
        )
        for c in view.calendars
    ]
    return CaldavAccountOut(id=view.id, server_url=view.server_url, username=view.username,
                            write_url=view.write_url, calendars=calendars)  # fmt: skip


def _synced(result: SyncResult) -> SyncOut:
    """A sync's result as the API shows it."""
    return SyncOut(
        id=result.source_id, name=result.name, outcome=result.outcome, message=result.message,
        blocks=result.blocks, skipped=result.skipped, warnings=list(result.warnings),
    )  # fmt: skip


@operation("GET", "/caldav", summary="Your CalDAV accounts", tag=TAG, response=CaldavOut)
def get_caldav(user_id: int) -> CaldavOut:
    """Each account with the calendars found in it (which count, which one receives
    connection time), and what write-back could not do."""
    views = caldav_account.accounts(db(), user_id)
    issues = [
        CaldavIssueOut(kind=i.kind, message=i.message, created_at=i.created_at)
        for i in (views[0].issues if views else [])
    ]
    accounts = [_account(v) for v in views]
    return CaldavOut(available=current_caldav() is not None, accounts=accounts, issues=issues)


@operation("POST", "/caldav", summary="Connect a CalDAV account", tag=TAG,
           body=CaldavConnectIn, response=CaldavAccountOut, status=201,
           errors=(404, *JSON_ERRORS))  # fmt: skip
def connect_caldav(user_id: int, body: CaldavConnectIn) -> CaldavAccountOut:
    """Check the credentials against the server and keep the account; then choose its
    calendars. Connecting the same server and user name again updates that account. 422
    naming the field at fault (``server_url``, ``username`` or ``app_password``) when the
    server refuses; 404 when this server cannot keep app passwords."""
    try:
        account_id = caldav_account.connect(
            db(), user_id, server_url=body.server_url, username=body.username,
            password=body.app_password, settings=_settings(),
        )  # fmt: skip
    except Invalid as error:
        raise Invalid(error.message, field=FIELDS.get(error.field or "", error.field)) from None
    return _account(caldav_account.account_view(db(), user_id, account_id))


@operation("PUT", "/caldav/<int:account_id>/calendars", summary="Choose CalDAV calendars",
           tag=TAG, body=CaldavChooseIn, response=CaldavChosenOut,
           errors=(404, *JSON_ERRORS))  # fmt: skip
def choose_caldav_calendars(user_id: int, account_id: int, body: CaldavChooseIn) -> CaldavChosenOut:
    """Exactly these calendars count from now on and ``write_url`` receives confirmed
    connection time; new ones are synced at once (a failed sync is reported in ``synced``,
    not an error), dropped ones are removed with their busy time. 422 (field ``calendars``
    or ``write_url``) for a calendar not in the account or one it may not write to."""
    settings = _settings()
    added = caldav_account.choose(
        db(), user_id, account_id, urls=body.calendars, write_url=body.write_url
    )
    synced = [_synced(_first_sync(user_id, source_id, settings)) for source_id in added]
    view = caldav_account.account_view(db(), user_id, account_id)
    return CaldavChosenOut(account=_account(view), synced=synced)


def _first_sync(user_id: int, source_id: int, settings: CaldavSettings) -> SyncResult:
    """The first sync of a calendar just chosen."""
    config = current_config()
    return sources.sync_source(
        db(), source_id, now=now(), horizon_weeks=config.horizon_weeks,
        fetch=fetch_settings(config), owner=user_id, caldav=settings,
    )  # fmt: skip


@operation("DELETE", "/caldav/<int:account_id>", summary="Disconnect a CalDAV account",
           tag=TAG, status=204, errors=(404,))  # fmt: skip
def disconnect_caldav(user_id: int, account_id: int) -> None:
    """Forget the account, its app password and its calendars' busy time; events already
    written to the calendar stay there."""
    caldav_account.disconnect(db(), user_id, account_id)


@operation("DELETE", "/caldav/issues", summary="Dismiss CalDAV write-back notes", tag=TAG,
           status=204)  # fmt: skip
def clear_caldav_issues(user_id: int) -> None:
    """The notes are gone; new failures add new ones."""
    caldav_account.clear_issues(db(), user_id)
