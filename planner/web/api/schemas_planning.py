"""Models of the week, planning, proposals, connections and feed operations."""

from __future__ import annotations

import re
from datetime import date

from pydantic import BaseModel, Field, field_validator

from planner.services.planning import MAX_WEEKS
from planner.web.api.schemas import BlockOut, IntervalOut, PartnerOut, Strict, Utc

DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


class WeekQuery(Strict):
    """Which week: the one holding ``start`` (default: this week on your clock)."""

    start: date | None = Field(default=None, description="YYYY-MM-DD")

    @field_validator("start", mode="before")
    @classmethod
    def _day(cls, value: object) -> object:
        if isinstance(value, str) and not DAY.fullmatch(value):
            raise ValueError("use a date like 2026-03-02")
        return value


class ItemOut(BaseModel):
    """A proposal or connection in the week."""

    id: int
    kind: str = Field(description="proposal or connection")
    ritual: str
    name: str
    start: Utc
    end: Utc
    state: str
    reason: str
    accepted_by_me: bool
    accepted_by_partner: bool
    replaces: int | None = Field(description="The conflicted connection this alternative moves")


class DayOut(BaseModel):
    """One day of the viewer's week (midnight to midnight on the viewer's clock)."""

    date: date
    own: list[BlockOut] = Field(description="Your busy time, titled")
    partner: list[IntervalOut] = Field(description="Your partner's busy time, never titled")
    free: list[IntervalOut] = Field(description="When you are both free and inside your windows")
    items: list[ItemOut]


class ConflictOut(BaseModel):
    """A connection a new commitment clashes with, and the alternative offered for it."""

    connection_id: int
    alternative_id: int | None


class WeekOut(BaseModel):
    """The week view; times on UTC, zones given so clients can show local times."""

    start: date = Field(description="The Monday, on the viewer's clock")
    me: PartnerOut
    partner: PartnerOut | None
    days: list[DayOut]
    conflicted: list[ConflictOut]


class PlanIn(Strict):
    """How many weeks to plan, from this week."""

    weeks: int | None = Field(default=None, ge=1, le=MAX_WEEKS, description="Default: the horizon")


class ProposalOut(BaseModel):
    """A candidate slot for a ritual."""

    id: int
    ritual: str
    name: str
    start: Utc
    end: Utc
    state: str = Field(description="proposed, accepted (by one), confirmed, declined, expired")
    score: float
    reason: str
    replaces: int | None = Field(description="The conflicted connection this alternative moves")
    accepted_by_me: bool
    accepted_by_partner: bool


class ProposalsOut(BaseModel):
    """Proposals, earliest first; ``zone`` and ``partner_zone`` for local display."""

    zone: str
    partner_zone: str | None
    proposals: list[ProposalOut]


class AcceptOut(BaseModel):
    """The proposal's state after your yes: accepted (waiting for your partner) or confirmed."""

    id: int
    state: str


class DeclineOut(BaseModel):
    """The declined proposal and the next best time offered instead (None when none is free)."""

    declined: int
    alternative: ProposalOut | None


class ConnectionOut(BaseModel):
    """A confirmed (or conflicted) connection."""

    id: int
    uid: str
    ritual: str
    name: str
    start: Utc
    end: Utc
    status: str = Field(description="confirmed or conflicted")
    sequence: int


class ConnectionsOut(BaseModel):
    """The couple's live connections from now on, earliest first."""

    zone: str
    partner_zone: str | None
    connections: list[ConnectionOut]


class FeedOut(BaseModel):
    """Whether the couple's private feed has a live link (the link itself is shown once)."""

    in_couple: bool
    active: bool
    active_since: Utc | None
    updated_at: Utc | None


class FeedLinkOut(BaseModel):
    """The new feed link, shown this once; the old one stopped working."""

    url: str
    webcal_url: str
