"""The home page and the health check."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy import text

from planner.services.calendars import sources_of
from planner.services.overview import overview
from planner.web.clock import now
from planner.web.db import db
from planner.web.sources import local_time

bp = Blueprint("pages", __name__)


@bp.route("/")
def home() -> str:
    """Landing page for visitors; the partner's overview once signed in."""
    if not current_user.is_authenticated:
        return render_template("pages/home.html", user=current_user)
    zone = ZoneInfo(current_user.zone)
    return render_template(
        "pages/home.html",
        user=current_user,
        plans=overview(db(), current_user.id, now=now()),
        calendars=sources_of(db(), current_user.id),
        local=lambda at: local_time(at, zone),
    )


@bp.route("/healthz")
def healthz() -> tuple[dict[str, str], int]:
    """200 when the app and its database answer."""
    db().execute(text("SELECT 1"))
    return {"status": "ok"}, 200
