"""API: the viewer's calendars (subscribe, upload, sync, remove) and busy time.

The same services as the calendars page. A partner's calendars are summarised as counts,
and their busy time is given as bare intervals: never names, titles or links.
"""

from __future__ import annotations

from flask import request

from planner.core.intervals import Interval
from planner.services import couples, sources
from planner.services.calendars import (
    SourceView,
    own_blocks,
    partner_busy,
    partner_calendars,
    sources_of,
)
from planner.services.errors import NotFound, TooLarge, UnsupportedType
from planner.services.sources import SyncResult
from planner.store.models import User
from planner.web.api import operation
from planner.web.api.schemas import JSON_ERRORS, BlockOut, IntervalOut
from planner.web.api.schemas_calendars import (
    BusyOut,
    BusyQuery,
    CalendarsOut,
    PartnerCalendarsOut,
    SourceOut,
    SourceStatus,
    SubscribeIn,
    SyncAllOut,
    SyncOut,
    UploadQuery,
)
from planner.web.clock import now
from planner.web.config import current_caldav, current_config, current_google, fetch_settings
from planner.web.db import db

TAG = "calendars"
ICS_TYPES = frozenset({"text/calendar", "application/octet-stream"})


def _source(view: SourceView) -> SourceOut:
    status: SourceStatus = (
        "stale" if view.stale_since else "ok" if view.last_success_at else "never"
    )
    return SourceOut(
        id=view.id, name=view.name, kind=view.kind, url=view.url, status=status,
        last_success_at=view.last_success_at, last_error=view.last_error,
        stale_since=view.stale_since, blocks=view.blocks,
    )  # fmt: skip


def _created(user_id: int, source_id: int) -> SourceOut:
    found = [s for s in sources_of(db(), user_id) if s.id == source_id]
    if not found:
        raise NotFound("There is no such calendar.")
    return _source(found[0])


def _sync(result: SyncResult) -> SyncOut:
    return SyncOut(
        id=result.source_id, name=result.name, outcome=result.outcome, message=result.message,
        blocks=result.blocks, skipped=result.skipped, warnings=list(result.warnings),
    )  # fmt: skip


@operation("GET", "/calendars", summary="Your calendars and a summary of your partner's",
           tag=TAG, response=CalendarsOut)  # fmt: skip
def list_calendars(user_id: int) -> CalendarsOut:
    """Your calendars with their sync state; of your partner's only how many, and stale ones."""
    theirs = partner_calendars(db(), user_id)
    partner = None
    if theirs is not None:
        partner = PartnerCalendarsOut(
            name=theirs.name, calendars=theirs.sources, stale=theirs.stale,
            stale_since=theirs.stale_since,
        )  # fmt: skip
    return CalendarsOut(calendars=[_source(s) for s in sources_of(db(), user_id)], partner=partner)


@operation("POST", "/calendars", summary="Subscribe to a calendar link", tag=TAG,
           body=SubscribeIn, response=SourceOut, status=201, errors=JSON_ERRORS)  # fmt: skip
def subscribe(user_id: int, body: SubscribeIn) -> SourceOut:
    """Fetch the link now and keep it; 422 (field ``url``) when refused or unreadable."""
    source_id = sources.add_url(
        db(), user_id, name=body.name, url=body.url, now=now(),
        horizon_weeks=current_config().horizon_weeks, fetch=fetch_settings(current_config()),
    )  # fmt: skip
    return _created(user_id, source_id)


def _raw_calendar() -> bytes:
    """The request body as an .ics file: 415 for other types, 413 above the upload limit."""
    if request.mimetype not in ICS_TYPES:
        raise UnsupportedType("Send the .ics file as the body with Content-Type: text/calendar.")
    limit = current_config().upload_max_bytes
    too_large = TooLarge(f"That calendar is larger than the limit of {limit} bytes.")
    if request.content_length is not None and request.content_length > limit:
        raise too_large
    data = request.stream.read(limit + 1)
    if len(data) > limit:
        raise too_large
    return data


@operation("POST", "/calendars/upload", summary="Upload an .ics file (the raw body)", tag=TAG,
           query=UploadQuery, response=SourceOut, status=201, errors=(413, 415),
           consumes="text/calendar")  # fmt: skip
def upload(user_id: int, query: UploadQuery) -> SourceOut:
    """Keep the calendar and read it now; 422 (field ``file``) when it cannot be read."""
    config = current_config()
    source_id = sources.add_upload(
        db(), user_id, name=query.name, data=_raw_calendar(), now=now(),
        horizon_weeks=config.horizon_weeks, max_bytes=config.upload_max_bytes,
    )  # fmt: skip
    return _created(user_id, source_id)


@operation("POST", "/calendars/<int:source_id>/sync", summary="Sync one calendar now", tag=TAG,
           response=SyncOut, errors=(404,))  # fmt: skip
def sync_one(user_id: int, source_id: int) -> SyncOut:
    """A failed sync is reported (``outcome: failed``), not an error: the calendar turns stale."""
    result = sources.sync_source(
        db(), source_id, now=now(), horizon_weeks=current_config().horizon_weeks,
        fetch=fetch_settings(current_config()), owner=user_id, google=current_google(),
        caldav=current_caldav(),
    )  # fmt: skip
    return _sync(result)


@operation("POST", "/calendars/sync", summary="Sync all your calendars now", tag=TAG,
           response=SyncAllOut)  # fmt: skip
def sync_all(user_id: int) -> SyncAllOut:
    """Every calendar of yours, one result each."""
    results = sources.sync_user(
        db(),
        user_id,
        now(),
        horizon_weeks=current_config().horizon_weeks,
        fetch=fetch_settings(current_config()),
        google=current_google(),
        caldav=current_caldav(),
    )
    return SyncAllOut(results=[_sync(r) for r in results])


@operation("DELETE", "/calendars/<int:source_id>", summary="Remove a calendar", tag=TAG,
           status=204, errors=(404,))  # fmt: skip
def remove(user_id: int, source_id: int) -> None:
    """The calendar and its busy time are gone at once."""
    sources.delete_source(db(), user_id, source_id)


@operation("GET", "/busy", summary="Busy time: yours with titles, your partner's without",
           tag=TAG, query=BusyQuery, response=BusyOut)  # fmt: skip
def busy(user_id: int, query: BusyQuery) -> BusyOut:
    """Your busy blocks (with titles) and your partner's busy time as bare intervals."""
    window = Interval(query.start, query.end)
    me = db().get(User, user_id)
    if me is None:
        raise NotFound("There is no such account.")
    partner = couples.partner_of(db(), user_id)
    blocks = own_blocks(db(), user_id, window)
    own = [BlockOut(start=b.start, end=b.end, title=title) for b, title in blocks]
    theirs = [IntervalOut(start=b.start, end=b.end) for b in partner_busy(db(), user_id, window)]
    return BusyOut(
        start=window.start, end=window.end, zone=me.zone,
        partner_zone=partner.zone if partner else None, own=own, partner=theirs,
    )  # fmt: skip
