"""The couple's schedule as the planner reads it: partners, busy time, connections, proposals.

Small queries shared by :mod:`planner.services.planning`, :mod:`planner.services.week` and
:mod:`planner.services.invites`. Busy time comes from :func:`planner.store.busy.busy_of_user`
(a stale source still counts with its last snapshot).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from integrations.ics.invites import stable_uid
from planner.core.intervals import Interval, merge
from planner.core.model import WEEK
from planner.core.proposals import PartnerPlan
from planner.core.proposals import Proposal as Slot
from planner.core.windows import WindowSpecError, parse_windows
from planner.services.errors import Conflict, Invalid, NotFound
from planner.store.busy import busy_of_user
from planner.store.models import Connection, Couple, Proposal, ProposalAcceptance, User

OPEN = ("proposed", "accepted")
LIVE = ("confirmed", "conflicted")


def partners(session: Session, couple_id: int) -> list[User]:
    """The couple's partners, oldest account first."""
    query = select(User).where(User.couple_id == couple_id).order_by(User.id)
    return list(session.scalars(query))


def pair(session: Session, couple_id: int) -> tuple[User, User]:
    """Both partners, or :class:`Conflict` when the couple is not complete."""
    found = partners(session, couple_id)
    if len(found) != 2:
        raise Conflict("Invite your partner first: planning needs both of you.")
    return found[0], found[1]


def member(session: Session, user_id: int, couple_id: int, what: str) -> User:
    """The user when they belong to the couple; otherwise :class:`NotFound` for ``what``."""
    user = session.get(User, user_id)
    if user is None or user.couple_id is None or user.couple_id != couple_id:
        raise NotFound(f"There is no such {what}.")
    return user


def lock_couple(session: Session, couple_id: int) -> None:
    """Serialise changes to one couple's plan (row lock on PostgreSQL, no-op on SQLite)."""
    session.scalar(select(Couple.id).where(Couple.id == couple_id).with_for_update())


def zone_of(user: User) -> ZoneInfo:
    """The partner's zone as a ZoneInfo."""
    return ZoneInfo(user.zone)


def partner_plan(
    session: Session, user: User, horizon: Interval, extra: Iterable[Interval] = ()
) -> PartnerPlan:
    """The partner's zone, windows and busy time (plus ``extra``) over ``horizon``."""
    try:
        windows = parse_windows(user.windows)
    except WindowSpecError as error:
        raise Invalid(f"{user.display_name}'s meeting windows: {error}", field="windows") from None
    busy = merge([*busy_of_user(session, user.id, horizon), *extra])
    return PartnerPlan(user.display_name, zone_of(user), windows, busy)


def live_connections(
    session: Session, couple_id: int, window: Interval, *, skip: int | None = None
) -> list[Connection]:
    """The couple's live connections overlapping ``window`` (except ``skip``), earliest first."""
    query = select(Connection).where(
        Connection.couple_id == couple_id,
        Connection.status.in_(LIVE),
        Connection.start < window.end,
        Connection.end > window.start,
    )
    rows = session.scalars(query.order_by(Connection.start, Connection.id))
    return [c for c in rows if c.id != skip]


def open_proposals(session: Session, couple_id: int, window: Interval) -> list[Proposal]:
    """The couple's open proposals overlapping ``window``, earliest first."""
    query = select(Proposal).where(
        Proposal.couple_id == couple_id,
        Proposal.state.in_(OPEN),
        Proposal.start < window.end,
        Proposal.end > window.start,
    )
    return list(session.scalars(query.order_by(Proposal.start, Proposal.id)))


def week_origin(moment: datetime, zone: ZoneInfo) -> datetime:
    """Monday 00:00 on ``zone``'s clock of the week holding ``moment``."""
    local = moment.astimezone(zone)
    monday = local.date() - timedelta(days=local.weekday())
    return datetime(monday.year, monday.month, monday.day, tzinfo=zone)


def slot_of(row: Proposal | Connection) -> Interval:
    """The row's time as an interval."""
    return Interval(row.start, row.end)


def as_slot(row: Proposal | Connection, origin: datetime) -> Slot:
    """A stored proposal or connection as the core's proposal (for ``keep``)."""
    return Slot(row.ritual, slot_of(row), 0.0, "", (row.start - origin) // WEEK)


def acceptances(session: Session, ids: Sequence[int]) -> dict[int, set[int]]:
    """Who has accepted each of the proposals ``ids``: proposal id -> user ids."""
    found: dict[int, set[int]] = {}
    rows = session.execute(
        select(ProposalAcceptance.proposal_id, ProposalAcceptance.user_id).where(
            ProposalAcceptance.proposal_id.in_(ids)
        )
    )
    for proposal_id, user_id in rows:
        found.setdefault(proposal_id, set()).add(user_id)
    return found


def planned_uid(session: Session, prop: Proposal) -> str:
    """The iCalendar UID the proposal's invite carries, and the UID its connection gets when
    both accept: stable for the couple, ritual and start, unless a (cancelled) connection
    already holds that UID; then the proposal's id is mixed in."""
    uid = stable_uid(str(prop.couple_id), prop.ritual, prop.start.isoformat())
    taken = session.scalar(select(Connection.id).where(Connection.uid == uid))
    if taken is None:
        return uid
    return stable_uid(str(prop.couple_id), prop.ritual, prop.start.isoformat(), str(prop.id))
