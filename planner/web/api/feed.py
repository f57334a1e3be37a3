"""API: the couple's private calendar feed (its state, and a new link shown once)."""

from __future__ import annotations

from planner.services.errors import Forbidden, NotFound
from planner.services.feed import feed_state, rotate_feed
from planner.store.models import User
from planner.web.api import operation
from planner.web.api.schemas_planning import FeedLinkOut, FeedOut
from planner.web.clock import now
from planner.web.db import db
from planner.web.feed import feed_links

TAG = "feed"
UNPAIRED = "Pair with your partner first: the feed holds the connections of a couple."


def _couple_id(user_id: int) -> int | None:
    user = db().get(User, user_id)
    if user is None:
        raise NotFound("There is no such account.")
    return user.couple_id


@operation("GET", "/feed", summary="Your couple's feed: live since, last updated", tag=TAG,
           response=FeedOut)  # fmt: skip
def get_feed(user_id: int) -> FeedOut:
    """Whether the feed has a live link; the link itself is only shown when it is made."""
    couple_id = _couple_id(user_id)
    if couple_id is None:
        return FeedOut(in_couple=False, active=False, active_since=None, updated_at=None)
    state = feed_state(db(), couple_id)
    return FeedOut(
        in_couple=True, active=state.active_since is not None,
        active_since=state.active_since, updated_at=state.updated_at,
    )  # fmt: skip


@operation("POST", "/feed/rotate", summary="Make a new feed link (shown once)", tag=TAG,
           response=FeedLinkOut, status=201, errors=(403,))  # fmt: skip
def rotate(user_id: int) -> FeedLinkOut:
    """A new link; the old one stops working at once, for both partners."""
    couple_id = _couple_id(user_id)
    if couple_id is None:
        raise Forbidden(UNPAIRED)
    webcal, web = feed_links(rotate_feed(db(), couple_id, now=now()))
    return FeedLinkOut(url=web, webcal_url=webcal)
