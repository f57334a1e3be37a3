"""CalDAV calendars (iCloud, Fastmail, Nextcloud, ...): connect with a server address, user
name and app password, choose calendars and the one that receives confirmed connections,
disconnect.

The password goes straight to the service, which checks it against the server and keeps it
encrypted; it is never put in the session or shown again. The Calendars page shows the
CalDAV card through :func:`caldav_card`, a template global evaluated only where the card is
included.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import PasswordField, StringField
from wtforms.validators import Length

from planner.services import caldav_account, sources
from planner.services.caldav_sources import CaldavSettings
from planner.services.errors import ServiceError
from planner.web.clock import now
from planner.web.config import current_caldav, current_config, fetch_settings
from planner.web.db import db
from planner.web.forms import attach_error

bp = Blueprint("caldav", __name__, url_prefix="/sources/caldav")
MAX_CHOSEN = 200


class ConnectForm(FlaskForm):  # type: ignore[misc]
    """Connect a CalDAV account."""

    server_url = StringField("Server address", validators=[Length(max=2048)])
    username = StringField("User name", validators=[Length(max=255)])
    password = PasswordField("App password", validators=[Length(max=1024)])


def settings() -> CaldavSettings:
    """The CalDAV settings, or 404 when this server cannot store app passwords."""
    found = current_caldav()
    if found is None:
        abort(404, "CalDAV is not set up on this server (PLANNER_SECRET_KEYS is missing).")
    return found


@bp.app_template_global()
def caldav_card() -> dict[str, object]:
    """What the CalDAV card of the Calendars page shows: whether CalDAV is set up, the
    partner's accounts, their write-back notes, and an empty connect form."""
    enabled = current_caldav() is not None
    accounts = caldav_account.accounts(db(), current_user.id)
    issues = accounts[0].issues if accounts else []
    form = ConnectForm(prefix="caldav")
    return {"enabled": enabled, "accounts": accounts, "issues": issues, "form": form}


@bp.get("/connect")
@login_required
def connect_page() -> ResponseReturnValue:
    """The connect form on a page of its own."""
    settings()
    return render_template("caldav/connect.html", form=ConnectForm(prefix="caldav"))


@bp.post("/connect")
@login_required
def connect() -> ResponseReturnValue:
    """Check the credentials against the server, keep the account, then choose calendars."""
    found = settings()
    form = ConnectForm(prefix="caldav")
    if form.validate_on_submit():
        try:
            account_id = caldav_account.connect(
                db(), current_user.id, server_url=form.server_url.data or "",
                username=form.username.data or "", password=form.password.data or "",
                settings=found,
            )  # fmt: skip
        except ServiceError as error:
            attach_error(form, error)
        else:
            flash("Connected. Now choose which calendars count.")
            return redirect(url_for(".calendars", account_id=account_id), 303)
    return render_template("caldav/connect.html", form=form), 422


@bp.get("/<int:account_id>/calendars")
@login_required
def calendars(account_id: int) -> ResponseReturnValue:
    """Choose the calendars that count and the one connections are written to."""
    account = caldav_account.account_view(db(), current_user.id, account_id)
    return render_template("caldav/calendars.html", account=account)


@bp.post("/<int:account_id>/calendars")
@login_required
def choose(account_id: int) -> Response:
    """Keep exactly the ticked calendars and the write-back choice, then sync the new ones."""
    found = settings()
    urls = [u[:2048] for u in request.form.getlist("calendar")[:MAX_CHOSEN]]
    write_url = request.form.get("write_url", "")[:2048] or None
    try:
        added = caldav_account.choose(
            db(), current_user.id, account_id, urls=urls, write_url=write_url
        )
    except ServiceError as error:
        flash(error.message, "error")
        return redirect(url_for(".calendars", account_id=account_id), 303)
    flash("Your CalDAV calendars are saved." + (" Write-back is on." if write_url else ""))
    config = current_config()
    for source_id in added:
        result = sources.sync_source(
            db(), source_id, now=now(), horizon_weeks=config.horizon_weeks,
            fetch=fetch_settings(config), owner=current_user.id, caldav=found,
        )  # fmt: skip
        if result.ok:
            flash(result.message)
        else:
            flash(f"{result.name} could not be synced: {result.message}", "error")
    return redirect(url_for("sources.calendars"), 303)


@bp.post("/<int:account_id>/disconnect")
@login_required
def disconnect(account_id: int) -> Response:
    """Forget the account, its password and its calendars' busy time."""
    caldav_account.disconnect(db(), current_user.id, account_id)
    flash("CalDAV account disconnected. Events we added to your calendar stay there.")
    return redirect(url_for("sources.calendars"), 303)


@bp.post("/issues/clear")
@login_required
def clear_issues() -> Response:
    """Dismiss the CalDAV write-back notes."""
    caldav_account.clear_issues(db(), current_user.id)
    return redirect(url_for("sources.calendars"), 303)
