"""API: the viewer's Google Calendar connection (state, calendars, write-back, disconnect).

The OAuth consent itself happens in a browser (``connect_url``); everything after it is
here, through the same services as the Calendars page.
"""

from __future__ import annotations

from flask import url_for

from planner.services import google_account, google_push
from planner.services.errors import Conflict, NotFound
from planner.services.google_sources import GoogleSettings
from planner.web.api import operation
from planner.web.api.schemas_google import (
    DisconnectOut,
    GoogleCalendarOut,
    GoogleCalendarsIn,
    GoogleCalendarsOut,
    GoogleOut,
    GooglePatch,
    WriteBackIssueOut,
)
from planner.web.clock import now
from planner.web.config import current_config, current_google
from planner.web.db import db

TAG = "google"


def _settings() -> GoogleSettings:
    found = current_google()
    if found is None:
        raise NotFound("Google Calendar is not set up on this server.")
    return found


def _state(user_id: int) -> GoogleOut:
    found = google_account.status(db(), user_id, now())
    issues = [
        WriteBackIssueOut(kind=i.kind, message=i.message, created_at=i.created_at)
        for i in (found.issues if found else [])
    ]
    return GoogleOut(
        available=current_google() is not None,
        connected=bool(found and found.connected),
        reconnect_needed=bool(found and found.reconnect_needed),
        privacy=bool(found and found.privacy),
        write_back=bool(found and found.write_back),
        can_write=bool(found and found.can_write),
        calendars=found.calendars if found else 0,
        connect_url=current_config().base_url + url_for("sources.calendars") + "#google",
        issues=issues,
    )


@operation("GET", "/google", summary="Your Google Calendar connection", tag=TAG,
           response=GoogleOut)  # fmt: skip
def get_google(user_id: int) -> GoogleOut:
    """Whether Google is connected, in which mode, and what write-back could not do."""
    return _state(user_id)


@operation("PATCH", "/google", summary="Turn write-back on or off", tag=TAG,
           body=GooglePatch, response=GoogleOut, errors=(404, 409))  # fmt: skip
def patch_google(user_id: int, body: GooglePatch) -> GoogleOut:
    """409 when write-back needs a grant with a write scope: connect again in the browser
    (``connect_url``) with write-back ticked."""
    _settings()
    if google_account.set_write_back(db(), user_id, body.write_back):
        raise Conflict("Google has not allowed adding events yet: connect again in the "
                       "browser with write-back ticked.", field="write_back")  # fmt: skip
    return _state(user_id)


def _calendars(user_id: int) -> GoogleCalendarsOut:
    found = google_account.calendars(db(), user_id, _settings(), now())
    return GoogleCalendarsOut(
        calendars=[
            GoogleCalendarOut(
                id=e.id, name=e.name, primary=e.primary, writable=e.writable, chosen=chosen
            )
            for e, chosen in found
        ]
    )


@operation("GET", "/google/calendars", summary="Your Google calendars", tag=TAG,
           response=GoogleCalendarsOut, errors=(404, 409, 502))  # fmt: skip
def list_google_calendars(user_id: int) -> GoogleCalendarsOut:
    """Read from Google now; ``chosen`` ones count as busy time. 409 when not connected,
    502 when Google cannot be reached."""
    return _calendars(user_id)


@operation("PUT", "/google/calendars", summary="Choose which Google calendars count", tag=TAG,
           body=GoogleCalendarsIn, response=GoogleCalendarsOut, errors=(404, 409, 502))  # fmt: skip
def choose_google_calendars(user_id: int, body: GoogleCalendarsIn) -> GoogleCalendarsOut:
    """Exactly these calendars count from now on; new ones are synced at once, dropped ones
    are removed with their busy time. 422 (field ``calendars``) for an unknown id."""
    settings = _settings()
    available = google_account.calendars(db(), user_id, settings, now())
    added = google_account.choose(db(), user_id, available, body.calendars, settings)
    google_push.open_channels(db(), user_id, settings, now(), only=added)
    google_account.sync(db(), user_id, settings, now=now(),
                        horizon_weeks=current_config().horizon_weeks, only=added)  # fmt: skip
    return _calendars(user_id)


@operation("DELETE", "/google", summary="Disconnect Google Calendar", tag=TAG,
           response=DisconnectOut, errors=(404,))  # fmt: skip
def disconnect_google(user_id: int) -> DisconnectOut:
    """Revoke the grant with Google and delete it with the Google calendars' busy time."""
    return DisconnectOut(revoked=google_account.disconnect(db(), user_id, current_google()))


@operation("DELETE", "/google/issues", summary="Dismiss write-back notes", tag=TAG,
           status=204)  # fmt: skip
def clear_google_issues(user_id: int) -> None:
    """The notes are gone; new failures add new ones."""
    google_account.clear_issues(db(), user_id)
