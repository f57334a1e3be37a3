"""Request and response models of the API (pydantic); they are also its OpenAPI schemas."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


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
