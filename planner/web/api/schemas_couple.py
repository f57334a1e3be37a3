"""Models of the couple, settings and rituals operations."""

from __future__ import annotations

from pydantic import BaseModel, Field, RootModel, field_validator

from planner.core.rituals import CATALOGUE
from planner.web.api.schemas import PartnerOut, Strict, Utc

RITUAL_KEYS = ", ".join(CATALOGUE)


class PendingInviteOut(BaseModel):
    """The couple's open invite link (its secret is shown only when it is made)."""

    expires_at: Utc


class CoupleOut(BaseModel):
    """The viewer's couple: the partner (name and zone only) or the open invite."""

    couple_id: int | None = Field(description="None when not in a couple")
    zone: str = Field(description="The viewer's IANA time zone")
    partner: PartnerOut | None
    pending_invite: PendingInviteOut | None


class InviteOut(BaseModel):
    """A new single-use invite link, valid for 7 days; older open links stop working."""

    url: str
    expires_at: Utc


class JoinIn(Strict):
    """The secret of an invite link (the last part of its URL)."""

    token: str = Field(min_length=1, max_length=200)


class SettingsOut(BaseModel):
    """The viewer's planning settings."""

    zone: str
    windows: str = Field(description="Weekly windows, e.g. 'Mon-Fri 18:00-22:30; Sat 09:00-23:00'")


class SettingsPatch(Strict):
    """New planning settings; a field left out keeps its value."""

    zone: str | None = Field(default=None, min_length=1, max_length=64)
    windows: str | None = Field(default=None, min_length=1, max_length=1000)


class RitualIn(Strict):
    """The viewer's choice for one ritual."""

    key: str = Field(description=f"One of: {RITUAL_KEYS}")
    enabled: bool
    per_week: int = Field(ge=0, le=7)
    duration_minutes: int = Field(ge=15, le=360)

    @field_validator("key")
    @classmethod
    def _known(cls, key: str) -> str:
        if key not in CATALOGUE:
            raise ValueError(f"there is no ritual called {key!r} (known: {RITUAL_KEYS})")
        return key


class RitualsIn(RootModel[list[RitualIn]]):
    """Choices for several rituals; rituals left out keep their settings."""

    @field_validator("root")
    @classmethod
    def _once_each(cls, rows: list[RitualIn]) -> list[RitualIn]:
        keys = [row.key for row in rows]
        if len(keys) != len(set(keys)):
            raise ValueError("name each ritual at most once")
        return rows


class TogetherOut(BaseModel):
    """A ritual as the couple gets it, combining both partners' choices."""

    per_week: int
    duration_minutes: int


class RitualOut(BaseModel):
    """One catalogue ritual: the viewer's choice and what the couple gets (None = off)."""

    key: str
    name: str
    description: str
    enabled: bool
    per_week: int
    duration_minutes: int
    together: TogetherOut | None


class RitualsOut(BaseModel):
    """Every ritual of the catalogue."""

    rituals: list[RitualOut]
