"""The couple's private calendar feed: the ``.ics`` endpoint and the page that hands out its link.

``GET /feed/<token>.ics`` needs no session and no CSRF token: the unguessable token is the
credential. It serves the body stored by :func:`planner.services.feed.refresh_feed` (nothing
is rendered per request) with a strong ETag, and answers ``If-None-Match`` with 304. Unknown,
revoked and malformed tokens all get the very same 404.

Only the token's hash is stored, so the page can show the link only right after making it
(like an API key); a partner who lost it makes a new one, which revokes the old at once.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Final
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, current_app, render_template, request, url_for
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from werkzeug.http import http_date

from planner.services.errors import Forbidden
from planner.services.feed import FeedBody, FeedLookup, feed_state, rotate_feed
from planner.web.clock import now
from planner.web.config import current_config
from planner.web.db import db

bp = Blueprint("feed", __name__)
NAV: list[tuple[str, str]] = [("feed.page", "Feed")]

TOKEN_SHAPE: Final = re.compile(r"[A-Za-z0-9_-]{16,128}")
"""What a token can look like (ours are 43 URL-safe characters); anything else is not looked up."""
CACHE_CONTROL: Final = "private, max-age=300"
"""Private: the URL is a secret, so no shared cache may keep a copy. Five minutes: calendar
apps poll every 15 minutes to a day, so this only spares us clients that poll too eagerly,
and a change still reaches everyone within the app's own polling interval plus 5 minutes."""
NOT_FOUND_BODY: Final = b"No calendar here.\n"
LOOKUP: Final = "planner.feed_lookup"


class _Bare(Response):
    """A response that adds no Content-Type of its own (a 304 has no body to describe)."""

    default_mimetype = None


NOT_FOUND: Final = (
    ("Content-Type", "text/plain; charset=utf-8"),
    ("Cache-Control", "no-store"),
    ("X-Content-Type-Options", "nosniff"),
)


def _not_found() -> Response:
    """The one 404 for unknown, revoked and malformed tokens: same bytes, same headers."""
    return _Bare(NOT_FOUND_BODY, 404, NOT_FOUND)


def _feed_response(feed: FeedBody) -> Response:
    """200 with the stored body, or 304 (no body) when the client's ETag still matches.

    Built in one go from a header list: this is the hot path, and every header set one by
    one costs a little.
    """
    headers = [
        ("ETag", feed.etag),
        ("Cache-Control", CACHE_CONTROL),
        ("X-Content-Type-Options", "nosniff"),
    ]
    if "If-None-Match" in request.headers and request.if_none_match.contains_weak(
        feed.etag.strip('"')
    ):
        return _Bare(None, 304, headers)
    headers.append(("Content-Type", "text/calendar; charset=utf-8"))
    if feed.updated_at is not None:
        headers.append(("Last-Modified", http_date(feed.updated_at)))
    return _Bare(feed.body, 200, headers)


@bp.record_once
def _prepare_lookup(state: BlueprintSetupState) -> None:
    state.app.extensions[LOOKUP] = FeedLookup(state.app.extensions["planner.engine"])


def read_feed(token: str) -> FeedBody | None:
    """The feed behind ``token``: one indexed lookup, no session (see :class:`FeedLookup`)."""
    lookup: FeedLookup = current_app.extensions[LOOKUP]
    return lookup(token)


@bp.get("/feed/<path:token>.ics")
def ics(token: str) -> Response:
    """The couple's connections as iCalendar, for calendar apps that subscribe to the link."""
    feed = read_feed(token) if TOKEN_SHAPE.fullmatch(token) else None
    return _not_found() if feed is None else _feed_response(feed)


def feed_links(token: str) -> tuple[str, str]:
    """The feed's ``webcal://`` link and its plain web address, on the configured base URL."""
    config = current_config()
    web = f"{config.base_url}{url_for('feed.ics', token=token)}"
    return "webcal://" + web.split("://", 1)[-1], web


def _local(moment: datetime | None) -> str | None:
    """``moment`` as the signed-in partner reads it: ``24 Nov 2026, 13:00``."""
    if moment is None:
        return None
    local = moment.astimezone(ZoneInfo(current_user.zone))
    return f"{local.day} {local:%b %Y, %H:%M}"


def _render(token: str | None = None) -> Response:
    """The page; with ``token``, the link it makes, shown this once and never cached."""
    couple_id: int | None = current_user.couple_id
    state = feed_state(db(), couple_id) if couple_id is not None else None
    link, web_link = feed_links(token) if token else (None, None)
    page = render_template(
        "feed/page.html",
        in_couple=couple_id is not None,
        active=state is not None and state.active_since is not None,
        since=_local(state.active_since) if state else None,
        updated=_local(state.updated_at) if state else None,
        link=link,
        web_link=web_link,
    )
    return Response(page, headers={"Cache-Control": "no-store"})


@bp.get("/feed")
@login_required
def page() -> ResponseReturnValue:
    """What the feed is, whether it is live, and the button that makes a (new) link."""
    return _render()


@bp.post("/feed/rotate")
@login_required
def rotate() -> ResponseReturnValue:
    """Make a new link (the old one stops working at once) and show it, this once.

    The page is the POST's own response, not a redirect: the token then never travels in
    a cookie or a URL, and reloading merely makes yet another link.
    """
    couple_id: int | None = current_user.couple_id
    if couple_id is None:
        raise Forbidden("Pair with your partner first: the feed holds the connections of a couple.")
    return _render(rotate_feed(db(), couple_id, now=now()))
