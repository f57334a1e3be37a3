"""API: the couple (create, invite, join, leave), the partner's settings and rituals.

The same services as the couple and settings pages; an invite link's secret is returned
once, in the response that makes it, and never stored (only its hash is).
"""

from __future__ import annotations

from flask import url_for

from planner.core.rituals import Ritual
from planner.services import couples
from planner.services.errors import NotFound
from planner.services.rituals import RitualChoice, RitualInput, ritual_choices, set_rituals
from planner.store.models import User
from planner.web.api import operation
from planner.web.api.schemas import JSON_ERRORS, PartnerOut
from planner.web.api.schemas_couple import (
    CoupleOut,
    InviteOut,
    JoinIn,
    PendingInviteOut,
    RitualOut,
    RitualsIn,
    RitualsOut,
    SettingsOut,
    SettingsPatch,
    TogetherOut,
)
from planner.web.clock import now
from planner.web.config import current_caldav, current_config, current_google
from planner.web.db import db

TAG = "couple"
SETTINGS = "settings"


def _couple(user_id: int) -> CoupleOut:
    """The viewer's couple as the API shows it."""
    user = db().get(User, user_id)
    if user is None:
        raise NotFound("There is no such account.")
    partner = couples.partner_of(db(), user_id)
    pending = None
    if user.couple_id is not None and partner is None:
        found = couples.pending_invite(db(), user_id, now())
        pending = PendingInviteOut(expires_at=found.expires_at) if found else None
    return CoupleOut(
        couple_id=user.couple_id,
        zone=user.zone,
        partner=PartnerOut(name=partner.display_name, zone=partner.zone) if partner else None,
        pending_invite=pending,
    )


@operation("GET", "/couple", summary="Your couple: the partner or the open invite", tag=TAG,
           response=CoupleOut)  # fmt: skip
def get_couple(user_id: int) -> CoupleOut:
    """The partner's name and zone, or when the open invite link expires."""
    return _couple(user_id)


@operation("POST", "/couple", summary="Create your couple", tag=TAG, response=CoupleOut,
           status=201, errors=(409,))  # fmt: skip
def create_couple(user_id: int) -> CoupleOut:
    """A couple of one; then make an invite link for the partner. 409 when already in one."""
    couples.create_couple(db(), user_id, now())
    return _couple(user_id)


@operation("POST", "/couple/invites", summary="Make an invite link for your partner", tag=TAG,
           response=InviteOut, status=201, errors=(409,))  # fmt: skip
def create_invite(user_id: int) -> InviteOut:
    """A single-use join link valid for 7 days (shown once); older open links stop working."""
    issued = couples.invite(db(), user_id, now())
    config = current_config()
    url = config.base_url + url_for("couple.join", token=issued.token)
    return InviteOut(url=url, expires_at=issued.expires_at)


@operation("POST", "/couple/join", summary="Join your partner's couple with an invite", tag=TAG,
           body=JoinIn, response=CoupleOut, errors=(404, 409, *JSON_ERRORS))  # fmt: skip
def join_couple(user_id: int, body: JoinIn) -> CoupleOut:
    """Use up the invite link; 404 when unknown or expired, 409 when used or already paired."""
    couples.join(db(), user_id, body.token.strip(), now())
    return _couple(user_id)


@operation("DELETE", "/couple", summary="Leave your couple", tag=TAG, status=204,
           errors=(409,))  # fmt: skip
def leave_couple(user_id: int) -> None:
    """At once: your calendars stop counting, upcoming connections are cancelled."""
    couples.leave(db(), user_id, now(), google=current_google(), caldav=current_caldav())


def _settings(user_id: int) -> SettingsOut:
    found = couples.profile(db(), user_id)
    return SettingsOut(zone=found.zone, windows=found.windows)


@operation("GET", "/me/settings", summary="Your time zone and weekly windows", tag=SETTINGS,
           response=SettingsOut)  # fmt: skip
def get_settings(user_id: int) -> SettingsOut:
    """The zone and windows planning uses for you."""
    return _settings(user_id)


@operation("PATCH", "/me/settings", summary="Change your time zone or weekly windows",
           tag=SETTINGS, body=SettingsPatch, response=SettingsOut, errors=JSON_ERRORS)  # fmt: skip
def patch_settings(user_id: int, body: SettingsPatch) -> SettingsOut:
    """Save the fields given (windows are stored in their normal form); 422 names the field."""
    current = couples.profile(db(), user_id)
    couples.update_settings(
        db(), user_id, zone=body.zone or current.zone, windows=body.windows or current.windows
    )
    return _settings(user_id)


def _ritual(choice: RitualChoice) -> RitualOut:
    together: Ritual | None = choice.together
    return RitualOut(
        key=choice.ritual.key, name=choice.ritual.name, description=choice.ritual.description,
        enabled=choice.enabled, per_week=choice.per_week,
        duration_minutes=choice.duration_minutes,
        together=None if together is None else TogetherOut(
            per_week=together.per_week,
            duration_minutes=int(together.duration.total_seconds() // 60),
        ),
    )  # fmt: skip


def _rituals(user_id: int) -> RitualsOut:
    return RitualsOut(rituals=[_ritual(c) for c in ritual_choices(db(), user_id, now())])


@operation("GET", "/me/rituals", summary="Your rituals and what the couple gets", tag=SETTINGS,
           response=RitualsOut)  # fmt: skip
def get_rituals(user_id: int) -> RitualsOut:
    """Every ritual with your choice and the couple's combined version (None when off)."""
    return _rituals(user_id)


@operation("PUT", "/me/rituals", summary="Set your rituals", tag=SETTINGS, body=RitualsIn,
           response=RitualsOut, errors=JSON_ERRORS)  # fmt: skip
def put_rituals(user_id: int, body: RitualsIn) -> RitualsOut:
    """Save the rituals listed (all checked before any is saved); others keep their setting."""
    inputs = [RitualInput(r.key, r.enabled, r.per_week, r.duration_minutes) for r in body.root]
    set_rituals(db(), user_id, inputs, now())
    return _rituals(user_id)
