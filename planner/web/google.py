"""Google Calendar: connect (OAuth with PKCE), choose calendars, write-back and privacy
switches, disconnect.

The state and PKCE verifier of a connection in progress live in the partner's signed session
cookie between the redirect to Google and the callback, with the mode asked for; the
callback pops them, so an answer can be used once. Everything else is a service call.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from integrations.google.oauth import PendingAuthorization
from planner.services import google_account, google_push
from planner.services.errors import Invalid, ServiceError, Unavailable
from planner.services.google_sources import GoogleSettings
from planner.services.sources import SyncResult
from planner.web.clock import now
from planner.web.config import current_config, current_google
from planner.web.db import db

bp = Blueprint("google", __name__, url_prefix="/sources/google")

PENDING_KEY = "google.pending"
MAX_CHOSEN = 500
NO_PENDING = (
    "No connection to Google is in progress (it may have been used already). "
    "Start again from the Calendars page."
)


def settings() -> GoogleSettings:
    """The Google settings, or 404 when this server has no Google OAuth client."""
    found = current_google()
    if found is None:
        abort(404, "Google Calendar is not set up on this server.")
    return found


def _flag(name: str) -> bool:
    return request.form.get(name, "") in {"on", "1", "true", "yes"}


def _to_google(privacy: bool, write_back: bool) -> Response:
    """Send the browser to Google's consent page, remembering what we asked for."""
    url, pending = google_account.begin(
        settings(), privacy=privacy, write_back=write_back, login_hint=current_user.email
    )
    session[PENDING_KEY] = {
        "state": pending.state,
        "verifier": pending.code_verifier,
        "scopes": list(pending.scopes),
        "privacy": privacy,
        "write_back": write_back,
    }
    return redirect(url, 303)


@bp.post("/connect")
@login_required
def connect() -> Response:
    """Start connecting (or reconnecting) Google in the mode the form asks for."""
    return _to_google(_flag("privacy"), _flag("write_back"))


@bp.get("/callback")
@login_required
def callback() -> ResponseReturnValue:
    """Google's answer: store the grant, then choose calendars or sync them."""
    saved: dict[str, Any] | None = session.pop(PENDING_KEY, None)
    if not isinstance(saved, dict):
        raise ServiceError(NO_PENDING)
    pending = PendingAuthorization(saved["state"], saved["verifier"], tuple(saved["scopes"]))
    params = {k: v[:4096] for k, v in request.args.items()}
    try:
        done = google_account.complete(
            db(), current_user.id, settings(), pending, params,
            privacy=bool(saved["privacy"]), write_back=bool(saved["write_back"]), now=now(),
        )  # fmt: skip
    except (Invalid, Unavailable) as error:
        flash(error.message, "error")
        return redirect(url_for("sources.calendars"), 303)
    for note in done.notes:
        flash(note, "warning")
    if done.choose_calendars:
        return redirect(url_for(".calendars"), 303)
    flash("Google Calendar connected." + (" Write-back is on." if done.write_back else ""))
    _watch()
    _report(_sync())
    return redirect(url_for("sources.calendars"), 303)


def _watch(only: list[int] | None = None) -> None:
    """Open push channels (when push is on) before the sync, so no change falls between."""
    google_push.open_channels(db(), current_user.id, settings(), now(), only=only)


def _sync(only: list[int] | None = None) -> list[SyncResult]:
    return google_account.sync(
        db(), current_user.id, settings(), now=now(),
        horizon_weeks=current_config().horizon_weeks, only=only,
    )  # fmt: skip


def _report(results: list[SyncResult]) -> None:
    for result in results:
        if result.ok:
            flash(result.message)
        else:
            flash(f"{result.name} could not be synced: {result.message}", "error")


@bp.get("/calendars")
@login_required
def calendars() -> ResponseReturnValue:
    """Choose which of the partner's Google calendars count as busy time."""
    found = google_account.calendars(db(), current_user.id, settings(), now())
    return render_template("google/calendars.html", calendars=found)


@bp.post("/calendars")
@login_required
def choose() -> Response:
    """Keep exactly the ticked calendars, then sync the new ones."""
    chosen = [c[:255] for c in request.form.getlist("calendar")[:MAX_CHOSEN]]
    available = google_account.calendars(db(), current_user.id, settings(), now())
    try:
        added = google_account.choose(db(), current_user.id, available, chosen, settings())
    except Invalid as error:
        flash(error.message, "error")
        return redirect(url_for(".calendars"), 303)
    flash("Your Google calendars are saved.")
    _watch(added)
    _report(_sync(added))
    return redirect(url_for("sources.calendars"), 303)


@bp.post("/settings")
@login_required
def update() -> Response:
    """Write-back and privacy switches; either may need a new grant from Google."""
    current = google_account.status(db(), current_user.id, now())
    if current is None:
        abort(404, "Google is not connected.")
    privacy, write_back = _flag("privacy"), _flag("write_back")
    if privacy != current.privacy:
        google_account.start_over(db(), current_user.id, settings(), now())
        return _to_google(privacy, write_back)
    if google_account.set_write_back(db(), current_user.id, write_back):
        return _to_google(privacy, True)
    flash("Write-back is on." if write_back else "Write-back is off.")
    return redirect(url_for("sources.calendars"), 303)


@bp.post("/disconnect")
@login_required
def disconnect() -> Response:
    """Revoke Google's grant and forget it, with the Google calendars' busy time."""
    revoked = google_account.disconnect(db(), current_user.id, current_google())
    if revoked:
        flash("Google Calendar disconnected; we no longer have access.")
    else:
        flash("Google Calendar disconnected here, but Google could not be reached to revoke "
              "our access: remove Connection Planner at myaccount.google.com/permissions.",
              "warning")  # fmt: skip
    return redirect(url_for("sources.calendars"), 303)


@bp.post("/issues/clear")
@login_required
def clear_issues() -> Response:
    """Dismiss the write-back notes."""
    google_account.clear_issues(db(), current_user.id)
    return redirect(url_for("sources.calendars"), 303)
