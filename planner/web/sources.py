"""Calendars: upload an .ics, subscribe to a link, see each source's sync state, sync, remove."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import PurePath
from zoneinfo import ZoneInfo

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Response
from wtforms import StringField
from wtforms.validators import Length, Optional

from planner.core.intervals import Interval, interval
from planner.services import google_account, sources
from planner.services.calendars import own_blocks, partner_busy, partner_calendars, sources_of
from planner.services.errors import ServiceError
from planner.web.clock import now
from planner.web.config import current_caldav, current_config, current_google, fetch_settings
from planner.web.db import db
from planner.web.forms import attach_error

bp = Blueprint("sources", __name__)
NAV: list[tuple[str, str]] = [("sources.calendars", "Calendars")]
AHEAD = timedelta(days=7)


class UploadForm(FlaskForm):  # type: ignore[misc]
    """Upload an .ics file."""

    name = StringField("Name", validators=[Optional(), Length(max=200)])
    file = FileField("Calendar file (.ics)")


class SubscribeForm(FlaskForm):  # type: ignore[misc]
    """Subscribe to a calendar link."""

    name = StringField("Name", validators=[Optional(), Length(max=200)])
    url = StringField("Calendar link", validators=[Length(max=4096)])


@bp.route("/calendars")
@login_required
def calendars() -> ResponseReturnValue:
    """The user's calendars, their sync state, and the forms to add more."""
    return _page(UploadForm(prefix="upload"), SubscribeForm(prefix="subscribe"))


@bp.route("/calendars/upload", methods=["POST"])
@login_required
def upload() -> ResponseReturnValue:
    """Add an uploaded .ics file as a source."""
    form = UploadForm(prefix="upload")
    if form.validate_on_submit():
        storage = form.file.data
        data, filename = _read(storage)
        try:
            sources.add_upload(
                db(), current_user.id, name=form.name.data or PurePath(filename).stem,
                data=data, now=now(), horizon_weeks=current_config().horizon_weeks,
                max_bytes=current_config().upload_max_bytes,
            )  # fmt: skip
        except ServiceError as error:
            attach_error(form, error)
        else:
            flash("Calendar added. Your partner sees only when you are busy.")
            return redirect(url_for(".calendars"))
    return _page(form, SubscribeForm(prefix="subscribe"))


def _read(storage: object) -> tuple[bytes, str]:
    """The bytes and file name of an uploaded file (empty when none was chosen)."""
    if not isinstance(storage, FileStorage):
        return b"", ""
    limit = current_config().upload_max_bytes + 1  # one byte more tells "too large" apart
    return storage.stream.read(limit), storage.filename or ""


@bp.route("/calendars/subscribe", methods=["POST"])
@login_required
def subscribe() -> ResponseReturnValue:
    """Add a calendar link (http, https or webcal) as a source, fetched right away."""
    form = SubscribeForm(prefix="subscribe")
    if form.validate_on_submit():
        config = current_config()
        try:
            sources.add_url(
                db(), current_user.id, name=form.name.data or "", url=form.url.data or "",
                now=now(), horizon_weeks=config.horizon_weeks, fetch=fetch_settings(config),
            )  # fmt: skip
        except ServiceError as error:
            attach_error(form, error)
        else:
            flash("Calendar subscribed. We check it for changes when you sync.")
            return redirect(url_for(".calendars"))
    return _page(UploadForm(prefix="upload"), form)


@bp.route("/calendars/<int:source_id>/sync", methods=["POST"])
@login_required
def sync(source_id: int) -> Response:
    """Sync one of the user's sources now."""
    result = sources.sync_source(
        db(), source_id, now=now(), horizon_weeks=current_config().horizon_weeks,
        fetch=fetch_settings(current_config()), owner=current_user.id,
        google=current_google(), caldav=current_caldav(),
    )  # fmt: skip
    _report(result)
    return redirect(url_for(".calendars"))


@bp.route("/calendars/sync", methods=["POST"])
@login_required
def sync_all() -> Response:
    """Sync every source of the user."""
    results = sources.sync_user(
        db(),
        current_user.id,
        now(),
        horizon_weeks=current_config().horizon_weeks,
        fetch=fetch_settings(current_config()),
        google=current_google(),
        caldav=current_caldav(),
    )
    for result in results:
        _report(result)
    if not results:
        flash("You have no calendars to sync yet.")
    return redirect(url_for(".calendars"))


@bp.route("/calendars/<int:source_id>/remove", methods=["POST"])
@login_required
def remove(source_id: int) -> Response:
    """Remove one of the user's sources and its busy time."""
    sources.delete_source(db(), current_user.id, source_id)
    flash("Calendar removed.")
    return redirect(url_for(".calendars"))


def _report(result: sources.SyncResult) -> None:
    """Flash what a sync did, in plain words."""
    if not result.ok:
        flash(f"{result.name} could not be synced: {result.message} "
              "Its last known busy time still counts.", "error")  # fmt: skip
        return
    flash(result.message)
    for warning in result.warnings:
        flash(f"{result.name}: {warning}", "warning")


def _page(upload: UploadForm, subscribe: SubscribeForm) -> ResponseReturnValue:
    """The calendars page; 422 when a form carries errors."""
    session, me, moment = db(), current_user, now()
    zone = ZoneInfo(me.zone)
    window = interval(moment, moment + AHEAD)
    page = render_template(
        "sources/calendars.html",
        sources=sources_of(session, me.id),
        partner=partner_calendars(session, me.id),
        own=own_blocks(session, me.id, window),
        partner_busy=partner_busy(session, me.id, window),
        upload=upload,
        subscribe=subscribe,
        google=google_account.status(session, me.id, moment),
        google_enabled=current_google() is not None,
        local=lambda at: local_time(at, zone),
        ago=lambda at: ago(at, moment),
        span=lambda slot: span(slot, zone),
        max_mb=current_config().upload_max_bytes // (1024 * 1024),
    )
    return (page, 422) if upload.errors or subscribe.errors else page


def local_time(at: datetime, zone: ZoneInfo) -> str:
    """``Mon 30 Nov, 09:05`` in ``zone``."""
    moment = at.astimezone(zone)
    return f"{moment:%a} {moment.day} {moment:%b, %H:%M}"


def span(slot: Interval, zone: ZoneInfo) -> str:
    """``Mon 30 Nov, 09:00–10:30``; the end's day too when it ends on another day."""
    start, end = local_time(slot.start, zone), local_time(slot.end, zone)
    same_day = slot.start.astimezone(zone).date() == slot.end.astimezone(zone).date()
    return f"{start}–{end[-5:]}" if same_day else f"{start} – {end}"


def ago(then: datetime, moment: datetime) -> str:
    """``just now``, ``5 minutes ago``, ``3 hours ago``, ``2 days ago``."""
    seconds = max(int((moment - then).total_seconds()), 0)
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    return "just now"
