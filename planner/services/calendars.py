"""Reading a partner's calendars: their sources with sync state, their own busy blocks, and
what the other partner may know (merged busy time and a count of calendars, never titles).
Adding and syncing sources is in :mod:`planner.services.sources`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from planner.core.intervals import Interval, clip
from planner.services.couples import partner_of
from planner.store import busy_of_user
from planner.store.models import BusyBlock, Source


@dataclass(frozen=True)
class SourceView:
    """A source as its owner sees it in a list."""

    id: int
    name: str
    kind: str
    url: str | None
    last_success_at: datetime | None
    last_error: str | None
    stale_since: datetime | None
    blocks: int


def sources_of(session: Session, user_id: int) -> list[SourceView]:
    """The user's sources with their sync state and block counts, oldest first (each count
    reads only that source's entries of the busy-block index)."""
    count = (
        select(func.count())
        .where(BusyBlock.source_id == Source.id)
        .correlate(Source)
        .scalar_subquery()
    )
    rows = session.execute(
        select(Source, count).where(Source.user_id == user_id).order_by(Source.id)
    )
    return [
        SourceView(
            s.id,
            s.name,
            s.kind,
            mask_url(s.url),
            s.last_success_at,
            s.last_error,
            s.stale_since,
            int(n),
        )
        for s, n in rows
    ]


def own_blocks(session: Session, user_id: int, window: Interval) -> list[tuple[Interval, str]]:
    """The owner's busy blocks in ``window`` with their titles, by start. Owner only."""
    rows = session.execute(
        select(BusyBlock.start, BusyBlock.end, BusyBlock.title)
        .join(Source, Source.id == BusyBlock.source_id)
        .where(Source.user_id == user_id, Source.counts_as_busy.is_(True))
        .where(BusyBlock.start < window.end, BusyBlock.end > window.start)
        .order_by(BusyBlock.start, BusyBlock.end)
    )
    return [
        (part, title or "Busy")
        for start, end, title in rows
        for part in clip([Interval(start, end)], window)
    ]


def partner_busy(session: Session, viewer_id: int, window: Interval) -> list[Interval]:
    """The viewer's partner's busy time in ``window``: merged intervals, never titles.

    Stale sources count with their last good snapshot. Empty without a partner.
    """
    partner = partner_of(session, viewer_id)
    return busy_of_user(session, partner.id, window) if partner is not None else []


@dataclass(frozen=True)
class PartnerCalendars:
    """What a partner may know of the other's calendars: how many, and since when one is stale."""

    name: str
    sources: int
    stale: int
    stale_since: datetime | None


def partner_calendars(session: Session, viewer_id: int) -> PartnerCalendars | None:
    """A summary of the viewer's partner's calendars (no names, links or errors); None alone."""
    partner = partner_of(session, viewer_id)
    if partner is None:
        return None
    states = session.scalars(select(Source.stale_since).where(Source.user_id == partner.id)).all()
    stale = [s for s in states if s is not None]
    return PartnerCalendars(partner.display_name, len(states), len(stale), min(stale, default=None))


def mask_url(url: str | None) -> str | None:
    """``url`` with any user name or password replaced by ``***``."""
    if not url:
        return url
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"***@{host}"))
