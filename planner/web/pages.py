"""The home page and the health check."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy import text

from planner.web.db import db

bp = Blueprint("pages", __name__)


@bp.route("/")
def home() -> str:
    """Landing page for visitors; the couple's overview once signed in."""
    return render_template("pages/home.html", user=current_user)


@bp.route("/healthz")
def healthz() -> tuple[dict[str, str], int]:
    """200 when the app and its database answer."""
    db().execute(text("SELECT 1"))
    return {"status": "ok"}, 200
