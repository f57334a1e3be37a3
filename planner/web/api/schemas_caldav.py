"""Models of the CalDAV operations. The app password goes in (:class:`CaldavConnectIn`) and
never comes out: no response model has a field for it."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from planner.web.api.schemas import Strict, Utc
from planner.web.api.schemas_calendars import SyncOut

MAX_URL = 2048
MAX_CALENDARS = 200


class CaldavCalendarOut(BaseModel):
    """A calendar found in the account when it was connected."""

    url: str
    name: str
    writable: bool = Field(description="The account may add events to it")
    chosen: bool = Field(description="Counts as busy time")
    write: bool = Field(description="Receives confirmed connection time")


class CaldavAccountOut(BaseModel):
    """One CalDAV account of the viewer (the app password is never shown)."""

    id: int
    server_url: str
    username: str
    write_url: str | None = Field(description="The calendar connections are written to")
    calendars: list[CaldavCalendarOut]


class CaldavIssueOut(BaseModel):
    """A write-back to a CalDAV calendar that did not happen, in plain words."""

    kind: str = Field(description="caldav_failed, or caldav_deleted (never written again)")
    message: str
    created_at: Utc


class CaldavOut(BaseModel):
    """The viewer's CalDAV accounts and the write-back notes."""

    available: bool = Field(
        description="Whether this server can keep app passwords (PLANNER_SECRET_KEYS is set)"
    )
    accounts: list[CaldavAccountOut]
    issues: list[CaldavIssueOut]


class CaldavConnectIn(Strict):
    """A CalDAV server and the credentials to read it with; checked against the server
    before anything is kept."""

    server_url: str = Field(
        max_length=MAX_URL, description="https://caldav.icloud.com/, or a host with .well-known"
    )
    username: str = Field(max_length=255, description="Often your e-mail address")
    app_password: str = Field(
        max_length=1024, description="A password made for this app; kept encrypted, never shown"
    )


class CaldavChooseIn(Strict):
    """Exactly the calendars that should count (URLs from the account), and the one that
    receives confirmed connection time (none: no write-back)."""

    calendars: list[Annotated[str, Field(max_length=MAX_URL)]] = Field(max_length=MAX_CALENDARS)
    write_url: str | None = Field(default=None, max_length=MAX_URL)


class CaldavChosenOut(BaseModel):
    """The account after the choice, and the first sync of each calendar added."""

    account: CaldavAccountOut
    synced: list[SyncOut]
