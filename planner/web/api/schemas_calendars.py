"""Models of the calendars and busy-time operations."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field, ValidationInfo, field_validator

from planner.web.api.schemas import BlockOut, IntervalOut, Strict, Utc

MAX_BUSY_RANGE = timedelta(days=62)
SourceStatus = Literal["ok", "stale", "never"]


class SourceOut(BaseModel):
    """One of the viewer's calendars and its sync state."""

    id: int
    name: str
    kind: str = Field(description="upload or ics_url")
    url: str | None = Field(description="The link, with any user name or password masked")
    status: SourceStatus = Field(
        description="ok: last sync worked; stale: the last sync failed (its last known busy "
        "time still counts); never: not synced yet"
    )
    last_success_at: Utc | None
    last_error: str | None
    stale_since: Utc | None
    blocks: int = Field(description="Busy blocks currently stored")


class PartnerCalendarsOut(BaseModel):
    """What the viewer may know of the partner's calendars: counts, never names or titles."""

    name: str = Field(description="The partner's name")
    calendars: int
    stale: int
    stale_since: Utc | None


class CalendarsOut(BaseModel):
    """The viewer's calendars and a summary of the partner's."""

    calendars: list[SourceOut]
    partner: PartnerCalendarsOut | None


class SubscribeIn(Strict):
    """A calendar link to subscribe to (http, https or webcal); it is fetched at once."""

    url: str = Field(min_length=1, max_length=4096)
    name: str = Field(default="", max_length=200, description="Default: the link's host")


class UploadQuery(Strict):
    """The name of an uploaded calendar."""

    name: str = Field(default="", max_length=200, description="Default: 'Uploaded calendar'")


class SyncOut(BaseModel):
    """What one sync did; ``message`` is meant for the owner."""

    id: int
    name: str
    outcome: Literal["ok", "not_modified", "failed"]
    message: str
    blocks: int
    skipped: int
    warnings: list[str]


class SyncAllOut(BaseModel):
    """The result of syncing every calendar of the viewer."""

    results: list[SyncOut]


class BusyQuery(Strict):
    """A range of at most 62 days, as ISO 8601 instants with an offset (or Z)."""

    start: AwareDatetime
    end: AwareDatetime

    @field_validator("end")
    @classmethod
    def _bounded(cls, end: AwareDatetime, info: ValidationInfo) -> AwareDatetime:
        start = info.data.get("start")
        if start is not None and end <= start:
            raise ValueError("end must be after start")
        if start is not None and end - start > MAX_BUSY_RANGE:
            raise ValueError(f"ask for at most {MAX_BUSY_RANGE.days} days at a time")
        return end


class BusyOut(BaseModel):
    """Busy time in a range: the viewer's blocks with titles, the partner's without."""

    start: Utc
    end: Utc
    zone: str = Field(description="The viewer's IANA time zone")
    partner_zone: str | None
    own: list[BlockOut]
    partner: list[IntervalOut] = Field(description="Merged busy intervals; no titles")
