"""The couple: pairing through an invite link, leaving, and each partner's settings.

The secret of an invite link is shown once, right after it is made; it is kept in the
inviter's own (signed) session cookie so the couple page can show it again, never in the
database, which holds only its hash.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, available_timezones

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import (
    BooleanField,
    Field,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length

from planner.services import couples
from planner.services.errors import ServiceError
from planner.services.rituals import (
    RitualChoice,
    RitualInput,
    effective_rituals,
    ritual_choices,
    set_rituals,
)
from planner.web.clock import now
from planner.web.config import current_caldav, current_config, current_google
from planner.web.db import db
from planner.web.forms import attach_error

bp = Blueprint("couple", __name__)
NAV: list[tuple[str, str]] = [("couple.overview", "Couple"), ("couple.settings", "Settings")]

INVITE_KEY = "couple.invite_token"
WINDOWS_HINT = (
    "When you like to meet, on your own clock: days, then a time range; separate several "
    "with a semicolon. For example 'Mon-Fri 18:00-22:30; Sat,Sun 09:00-23:00' or "
    "'Tue,Thu 07:00-08:30; Fri 19:00-24:00'."
)


class ActionForm(FlaskForm):  # type: ignore[misc]
    """A form that is only a button (and its CSRF token)."""


class ProfileForm(FlaskForm):  # type: ignore[misc]
    """A partner's zone and weekly windows."""

    zone = StringField("Time zone", validators=[DataRequired(), Length(max=64)])
    windows = TextAreaField("When you like to meet", validators=[DataRequired()])


class RitualRow(Form):
    """One line of the rituals table (no CSRF of its own; the outer form has it)."""

    key = HiddenField()
    enabled = BooleanField("On")
    per_week = IntegerField("Times per week", validators=[InputRequired()])
    duration_minutes = IntegerField("Minutes", validators=[InputRequired()])


class RitualsForm(FlaskForm):  # type: ignore[misc]
    """The rituals table: one row per ritual of the catalogue."""

    rituals = FieldList(FormField(RitualRow))


def _when(moment: datetime, zone: str) -> str:
    """``Tue 1 Dec 2026, 13:00`` in ``zone``."""
    local = moment.astimezone(ZoneInfo(zone))
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M}"


def _join_url(token: str) -> str:
    base: str = current_config().base_url
    return base + url_for("couple.join", token=token)


@bp.route("/couple")
@login_required
def overview() -> ResponseReturnValue:
    """Who you are paired with, or the way to pair: create, invite link, new link; leave."""
    partner = couples.partner_of(db(), current_user.id)
    pending = None
    if current_user.couple_id is not None and partner is None:
        pending = couples.pending_invite(db(), current_user.id, now())
    token = session.get(INVITE_KEY)
    link = (
        _join_url(token) if pending and isinstance(token, str) and pending.matches(token) else None
    )
    rituals = effective_rituals(db(), current_user.couple_id, now()) if partner else ()
    return render_template(
        "couple/overview.html", form=ActionForm(), partner=partner, pending=pending, link=link,
        expires=pending and _when(pending.expires_at, current_user.zone), rituals=rituals,
        partner_time=partner and f"{now().astimezone(ZoneInfo(partner.zone)):%H:%M}",
    )  # fmt: skip


def _remember(issued: couples.IssuedInvite) -> None:
    session[INVITE_KEY] = issued.token


@bp.route("/couple/create", methods=["POST"])
@login_required
def create() -> Response:
    """Make a couple of one and its first invite link."""
    couples.create_couple(db(), current_user.id, now())
    _remember(couples.invite(db(), current_user.id, now()))
    flash("Your couple is ready. Send the link below to your partner.")
    return redirect(url_for("couple.overview"))


@bp.route("/couple/invite", methods=["POST"])
@login_required
def new_invite() -> Response:
    """A fresh invite link; the previous one stops working."""
    _remember(couples.invite(db(), current_user.id, now()))
    flash("Here is a new link. The previous one no longer works.")
    return redirect(url_for("couple.overview"))


@bp.route("/couple/leave", methods=["GET", "POST"])
@login_required
def leave() -> ResponseReturnValue:
    """Ask to confirm, then leave the couple at once."""
    form = ActionForm()
    if not form.validate_on_submit():
        partner = couples.partner_of(db(), current_user.id)
        return render_template("couple/leave.html", form=form, partner=partner)
    couples.leave(db(), current_user.id, now(), google=current_google(), caldav=current_caldav())
    session.pop(INVITE_KEY, None)
    flash("You left the couple. Your calendars no longer count, and upcoming connection "
          "time was cancelled.")  # fmt: skip
    return redirect(url_for("couple.overview"))


@bp.route("/join/<token>", methods=["GET", "POST"])
def join(token: str) -> ResponseReturnValue:
    """Show who invites you and a Join button; joining needs an account."""
    invitation = couples.invite_status(db(), token, now())
    form = ActionForm()
    if form.validate_on_submit():
        if not current_user.is_authenticated:
            return redirect(url_for("auth.signin", next=request.path))
        couples.join(db(), current_user.id, token, now())
        flash(f"You and {invitation.inviter_name} are now a couple.")
        return redirect(url_for("couple.overview"))
    page = render_template("couple/join.html", form=form, invitation=invitation, next=request.path)
    response = current_app.make_response(page)
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _rituals_data(choices: tuple[RitualChoice, ...]) -> list[dict[str, object]]:
    return [
        {"key": c.ritual.key, "enabled": c.enabled, "per_week": c.per_week,
         "duration_minutes": c.duration_minutes}
        for c in choices
    ]  # fmt: skip


def _settings_page(
    profile_form: ProfileForm | None = None,
    rituals_form: RitualsForm | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    """The settings page, with ``status`` (422 when a form it shows was refused)."""
    me = couples.profile(db(), current_user.id)
    choices = ritual_choices(db(), current_user.id, now())
    profile_form = profile_form or ProfileForm(
        formdata=None, data={"zone": me.zone, "windows": me.windows}
    )
    rituals_form = rituals_form or RitualsForm(
        formdata=None, data={"rituals": _rituals_data(choices)}
    )
    page = render_template(
        "couple/settings.html", profile_form=profile_form, rituals_form=rituals_form,
        choices={c.ritual.key: c for c in choices}, zones=sorted(available_timezones()),
        windows_hint=WINDOWS_HINT,
    )  # fmt: skip
    return page, status


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings() -> ResponseReturnValue:
    """Your zone and weekly windows, and your rituals."""
    form = ProfileForm()
    if request.method == "GET":
        return _settings_page()
    if form.validate_on_submit():
        try:
            couples.update_settings(
                db(), current_user.id, zone=form.zone.data or "", windows=form.windows.data or ""
            )
        except ServiceError as error:
            attach_error(form, error)
        else:
            flash("Your settings are saved.")
            return redirect(url_for("couple.settings"))
    return _settings_page(profile_form=form, status=422)


def _number(field: Field) -> int:
    """The whole number in ``field``; -1 (refused by the service) when there is none."""
    return field.data if isinstance(field.data, int) else -1


def _inputs(form: RitualsForm) -> list[RitualInput]:
    return [
        RitualInput(row.key.data or "", bool(row.enabled.data), _number(row.per_week),
                            _number(row.duration_minutes))
        for row in form.rituals
    ]  # fmt: skip


def _attach_to_row(form: RitualsForm, error: ServiceError) -> None:
    """Put ``key.field`` errors beside that field of that ritual's row."""
    key, _, name = (error.field or "").partition(".")
    for row in form.rituals:
        field = getattr(row, name, None) if row.key.data == key else None
        if isinstance(field, Field):
            field.errors = [*field.errors, error.message]
            return
    flash(error.message, "error")


@bp.route("/settings/rituals", methods=["POST"])
@login_required
def rituals() -> ResponseReturnValue:
    """Save the rituals table."""
    form = RitualsForm()
    if form.validate_on_submit():
        try:
            set_rituals(db(), current_user.id, _inputs(form), now())
        except ServiceError as error:
            _attach_to_row(form, error)
        else:
            flash("Your rituals are saved.")
            return redirect(url_for("couple.settings"))
    return _settings_page(rituals_form=form, status=422)
