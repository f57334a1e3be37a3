"""The week page: busy time, mutual free time, proposals to accept or decline, connections.

Every action is a POST with a CSRF token; a clash or a proposal that is no longer open is
shown as a message on the week page rather than an error page.
"""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from planner.services import invites, planning
from planner.services.errors import Conflict, Invalid
from planner.services.week import week_view
from planner.web.clock import now
from planner.web.config import current_caldav, current_config, current_google
from planner.web.db import db
from planner.web.responses import calendar_download

bp = Blueprint("proposals", __name__)
NAV: list[tuple[str, str]] = [("proposals.week", "Week")]


def _start(text: str | None) -> date | None:
    """The ``start`` date from the query or form, None when absent; Invalid when malformed."""
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Invalid("Use a date like 2026-03-02.", field="start") from None


def _today() -> date:
    """Today on the signed-in partner's clock."""
    return now().astimezone(ZoneInfo(current_user.zone)).date()


def _back() -> Response:
    """Back to the week the form was posted from (or this week)."""
    start = _start(request.form.get("start"))
    return redirect(url_for("proposals.week", start=start.isoformat() if start else None))


@bp.route("/week")
@login_required
def week() -> ResponseReturnValue:
    """The week holding ``?start=YYYY-MM-DD`` (default: this week)."""
    start = _start(request.args.get("start")) or _today()
    view = week_view(db(), current_user.id, start, now=now())
    return render_template("proposals/week.html", view=view, today=_today())


@bp.route("/week/plan", methods=["POST"])
@login_required
def plan() -> Response:
    """Plan the couple's next weeks."""
    config = current_config()
    if current_user.couple_id is None:
        flash("Invite your partner first: planning needs both of you.", "error")
        return _back()
    try:
        found = planning.plan(db(), current_user.couple_id, now=now(), weeks=config.horizon_weeks)
    except (Conflict, Invalid) as error:
        flash(error.message, "error")
    else:
        flash(f"{len(found)} new proposals for the next {config.horizon_weeks} weeks.")
    return _back()


@bp.route("/proposals/<int:proposal_id>/accept", methods=["POST"])
@login_required
def accept(proposal_id: int) -> Response:
    """Say yes to a proposal; with both yeses it becomes a connection."""
    try:
        state = invites.accept(
            db(),
            current_user.id,
            proposal_id,
            now=now(),
            google=current_google(),
            caldav=current_caldav(),
        )
    except Conflict as error:
        flash(error.message, "error")
    else:
        flash("Confirmed: it is in your feed." if state == "confirmed" else "Accepted.")
    return _back()


@bp.route("/proposals/<int:proposal_id>/decline", methods=["POST"])
@login_required
def decline(proposal_id: int) -> Response:
    """Say no to a proposal; the next best time for that ritual is offered instead."""
    try:
        other = planning.decline(db(), current_user.id, proposal_id, now=now())
    except Conflict as error:
        flash(error.message, "error")
    else:
        flash("Declined. Here is another time." if other else "Declined; no other time is free.")
    return _back()


@bp.route("/connections/<int:connection_id>/cancel", methods=["POST"])
@login_required
def cancel(connection_id: int) -> Response:
    """Cancel a connection; calendars that imported the invite receive the cancellation."""
    invites.cancel(
        db(),
        current_user.id,
        connection_id,
        now=now(),
        google=current_google(),
        caldav=current_caldav(),
    )
    flash("Cancelled. Download the invite again to remove it from your calendar.")
    return _back()


@bp.route("/connections/<int:connection_id>.ics")
@login_required
def invite(connection_id: int) -> Response:
    """The connection as an invite (METHOD:REQUEST, or METHOD:CANCEL once cancelled)."""
    organizer = current_config().mail.sender
    body = invites.invite_for(db(), current_user.id, connection_id, now=now(), organizer=organizer)
    return calendar_download(body, f"connection-{connection_id}.ics")
