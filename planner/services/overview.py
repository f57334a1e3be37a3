"""What the home page shows a signed-in partner: clashes, the next connection, open questions.

Read-only, built from the same items as the week view (:mod:`planner.services.week`), so times
are on the viewer's clock, with the partner's clock alongside when the two differ.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from planner.core.intervals import Interval
from planner.services.errors import NotFound
from planner.services.schedule import partners
from planner.services.week import Item, items_in
from planner.store.models import User

AHEAD = timedelta(days=366)


@dataclass(frozen=True)
class Overview:
    """The partner's plans from now on; empty lists (and no partner) when not paired."""

    partner: str | None
    partner_zone: str | None
    conflicted: list[tuple[Item, Item | None]]  # a conflicted connection and its alternative
    next_connection: Item | None  # the next (or current) confirmed connection
    waiting: list[Item]  # open proposals this partner has not answered yet, earliest first


def overview(session: Session, user_id: int, *, now: datetime) -> Overview:
    """The viewer's overview for the coming year (see :class:`Overview`)."""
    me = session.get(User, user_id)
    if me is None:
        raise NotFound("There is no such partner.")
    people = partners(session, me.couple_id) if me.couple_id else []
    other = next((p for p in people if p.id != me.id), None)
    if other is None:
        return Overview(None, None, [], None, [])
    items, conflicted = items_in(session, me, other, Interval(now, now + AHEAD))
    confirmed = (i for i in items if i.kind == "connection" and i.state == "confirmed")
    return Overview(
        other.display_name,
        other.zone,
        conflicted,
        next(confirmed, None),
        [i for i in items if _waits_for_me(i, now)],
    )


def _waits_for_me(item: Item, now: datetime) -> bool:
    """True for an upcoming proposal (not an alternative) the viewer has not accepted."""
    return (
        item.kind == "proposal"
        and item.replaces is None
        and not item.accepted_by_me
        and item.start >= now
    )
