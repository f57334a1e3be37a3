"""Request and response models of the API (pydantic); they are also its OpenAPI schemas."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

JSON_ERRORS = (413, 415)
"""What any operation with a JSON body can also answer: too large, not JSON."""


class Strict(BaseModel):
    """Request bodies: unknown fields are refused, so typos do not pass silently."""

    model_config = ConfigDict(extra="forbid")


class PartnerOut(BaseModel):
    """The other partner, as far as the viewer may see them."""

    name: str
    zone: str


class MeOut(BaseModel):
    """The signed-in partner."""

    id: int
    email: str
    name: str
    zone: str
    windows: str
    couple_id: int | None
    partner: PartnerOut | None


class TokenIn(Strict):
    """A new personal API token."""

    name: str = Field(min_length=1, max_length=80, description="What the token is for")


class TokenCreated(BaseModel):
    """A new token: shown once, never again."""

    id: int
    name: str
    token: str


class TokenOut(BaseModel):
    """A token as listed (without its secret)."""

    id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None


class TokenList(BaseModel):
    """The live tokens of the partner."""

    tokens: list[TokenOut]


def _utc(moment: datetime) -> datetime:
    """``moment`` on UTC (a naive one is read as UTC), so JSON shows it with ``Z``."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


Utc = Annotated[datetime, AfterValidator(_utc)]
"""A response instant: ISO 8601 on UTC with ``Z`` (``2026-03-02T18:00:00Z``)."""


class IntervalOut(BaseModel):
    """A half-open stretch of time ``[start, end)``; a partner's busy time looks like this."""

    start: Utc
    end: Utc


class BlockOut(IntervalOut):
    """One of the viewer's own busy blocks, with its title (never shown to the partner)."""

    title: str
