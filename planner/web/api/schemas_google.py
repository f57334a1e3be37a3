"""Models of the Google Calendar operations."""

from __future__ import annotations

from pydantic import BaseModel, Field

from planner.web.api.schemas import Strict, Utc

MAX_CALENDARS = 500


class WriteBackIssueOut(BaseModel):
    """A write-back to Google that did not happen, in plain words."""

    kind: str = Field(description="failed, or deleted_by_user (never written again)")
    message: str
    created_at: Utc


class GoogleOut(BaseModel):
    """The viewer's Google connection."""

    available: bool = Field(description="Whether this server is set up for Google Calendar")
    connected: bool = Field(description="A live grant is stored")
    reconnect_needed: bool = Field(
        description="Google revoked or expired the grant; connect again in the browser"
    )
    privacy: bool = Field(description="Free/busy only: event details are never read")
    write_back: bool = Field(description="Confirmed connection time is added to Google")
    can_write: bool = Field(description="The grant includes a write scope")
    calendars: int = Field(description="Google calendars that count as busy time")
    connect_url: str = Field(description="Where to connect in a browser (OAuth consent)")
    issues: list[WriteBackIssueOut]


class GooglePatch(Strict):
    """Turn write-back on or off; on needs a grant that includes a write scope."""

    write_back: bool


class GoogleCalendarOut(BaseModel):
    """One calendar of the viewer's Google account."""

    id: str
    name: str
    primary: bool
    writable: bool
    chosen: bool = Field(description="Counts as busy time")


class GoogleCalendarsOut(BaseModel):
    calendars: list[GoogleCalendarOut]


class GoogleCalendarsIn(Strict):
    """Exactly the calendars that should count (ids from the list)."""

    calendars: list[str] = Field(min_length=1, max_length=MAX_CALENDARS)


class DisconnectOut(BaseModel):
    revoked: bool = Field(
        description="Google confirmed the revocation; false when it could not be reached "
        "(the grant is deleted here all the same)"
    )
