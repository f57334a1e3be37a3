"""API: the week view, planning, proposals (accept, decline) and connections.

The same services as the week page. Every time is on UTC; the responses give both
partners' zones so a client can show each person their own clock. The partner's busy
time is bare intervals: no titles, ever.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from zoneinfo import ZoneInfo

from flask import Response

from planner.core.intervals import Interval
from planner.core.rituals import CATALOGUE
from planner.services import couples, invites, planning
from planner.services.errors import Conflict, NotFound
from planner.services.schedule import acceptances, open_proposals
from planner.services.week import Bar, Day, Item, week_view
from planner.store.connections import connections_of_couple
from planner.store.errors import ConnectionInfo
from planner.store.models import Proposal, User
from planner.web.api import operation
from planner.web.api.schemas import JSON_ERRORS, BlockOut, IntervalOut, PartnerOut
from planner.web.api.schemas_planning import (
    AcceptOut,
    ConflictOut,
    ConnectionOut,
    ConnectionsOut,
    DayOut,
    DeclineOut,
    ItemOut,
    PlanIn,
    ProposalOut,
    ProposalsOut,
    WeekOut,
    WeekQuery,
)
from planner.web.clock import now
from planner.web.config import current_caldav, current_config, current_google
from planner.web.db import db
from planner.web.responses import calendar_download

TAG = "planning"
AHEAD = timedelta(days=400)
"""How far ahead the proposal and connection lists look (plans reach at most 12 weeks)."""


def _viewer(user_id: int) -> tuple[User, User | None]:
    """The signed-in partner and the other one (None when not paired)."""
    me = db().get(User, user_id)
    if me is None:
        raise NotFound("There is no such account.")
    return me, couples.partner_of(db(), user_id)


def _name(key: str) -> str:
    found = CATALOGUE.get(key)
    return found.name if found else key


# --- the week -------------------------------------------------------------------------------


def _item(item: Item) -> ItemOut:
    return ItemOut(
        id=item.id, kind=item.kind, ritual=item.ritual, name=item.name, start=item.start,
        end=item.end, state=item.state, reason=item.reason, accepted_by_me=item.accepted_by_me,
        accepted_by_partner=item.accepted_by_partner, replaces=item.replaces,
    )  # fmt: skip


def _spans(bars: Sequence[Bar]) -> list[IntervalOut]:
    return [IntervalOut(start=b.start, end=b.end) for b in bars]


def _day(day: Day) -> DayOut:
    return DayOut(
        date=day.date,
        own=[BlockOut(start=b.start, end=b.end, title=b.label) for b in day.own],
        partner=_spans(day.partner),
        free=_spans(day.free),
        items=[_item(i) for i in day.items],
    )


@operation("GET", "/week", summary="The week: busy time, free time, proposals, connections",
           tag=TAG, query=WeekQuery, response=WeekOut)  # fmt: skip
def week(user_id: int, query: WeekQuery) -> WeekOut:
    """Monday to Sunday on your clock; your partner's busy time carries no titles."""
    me, _ = _viewer(user_id)
    start = query.start or now().astimezone(ZoneInfo(me.zone)).date()
    view = week_view(db(), user_id, start, now=now())
    partner = None
    if view.partner is not None and view.partner_zone is not None:
        partner = PartnerOut(name=view.partner, zone=view.partner_zone)
    return WeekOut(
        start=view.start,
        me=PartnerOut(name=view.viewer, zone=view.viewer_zone),
        partner=partner,
        days=[_day(d) for d in view.days],
        conflicted=[
            ConflictOut(connection_id=c.id, alternative_id=a.id if a else None)
            for c, a in view.conflicted
        ],
    )


# --- proposals ------------------------------------------------------------------------------


def _proposals(user_id: int, rows: Sequence[Proposal]) -> ProposalsOut:
    me, partner = _viewer(user_id)
    said_yes = acceptances(db(), [r.id for r in rows])
    return ProposalsOut(
        zone=me.zone,
        partner_zone=partner.zone if partner else None,
        proposals=[_proposal(r, me, partner, said_yes.get(r.id, set())) for r in rows],
    )


def _proposal(row: Proposal, me: User, partner: User | None, yes: set[int]) -> ProposalOut:
    return ProposalOut(
        id=row.id, ritual=row.ritual, name=_name(row.ritual), start=row.start, end=row.end,
        state=row.state, score=row.score, reason=row.reason, replaces=row.replaces_connection_id,
        accepted_by_me=me.id in yes, accepted_by_partner=partner is not None and partner.id in yes,
    )  # fmt: skip


def _couple_id(user_id: int) -> int:
    """The viewer's couple, or :class:`Conflict` when there is none."""
    me, _ = _viewer(user_id)
    if me.couple_id is None:
        raise Conflict("Invite your partner first: planning needs both of you.")
    return me.couple_id


@operation("POST", "/plan", summary="Plan your next weeks", tag=TAG, body=PlanIn,
           response=ProposalsOut, status=201, errors=(409, *JSON_ERRORS))  # fmt: skip
def plan(user_id: int, body: PlanIn) -> ProposalsOut:
    """New proposals (untouched open ones are replaced); 409 without a partner."""
    config = current_config()
    weeks = body.weeks or config.horizon_weeks
    rows = planning.plan(db(), _couple_id(user_id), now=now(), weeks=weeks)
    return _proposals(user_id, rows)


@operation("GET", "/proposals", summary="Open proposals", tag=TAG, response=ProposalsOut)
def list_proposals(user_id: int) -> ProposalsOut:
    """The couple's open proposals from now on, earliest first (empty when not paired)."""
    me, _ = _viewer(user_id)
    if me.couple_id is None:
        return _proposals(user_id, [])
    moment = now()
    return _proposals(user_id, open_proposals(db(), me.couple_id, Interval(moment, moment + AHEAD)))


@operation("POST", "/proposals/<int:proposal_id>/accept", summary="Accept a proposal", tag=TAG,
           response=AcceptOut, errors=(404, 409))  # fmt: skip
def accept(user_id: int, proposal_id: int) -> AcceptOut:
    """Your yes; with both partners' yes the slot becomes a connection (and joins the feed)."""
    state = invites.accept(
        db(), user_id, proposal_id, now=now(), google=current_google(), caldav=current_caldav()
    )
    return AcceptOut(id=proposal_id, state=state)


@operation("POST", "/proposals/<int:proposal_id>/decline", summary="Decline a proposal",
           tag=TAG, response=DeclineOut, errors=(404, 409))  # fmt: skip
def decline(user_id: int, proposal_id: int) -> DeclineOut:
    """Your no; the next best time for that ritual and week is offered (or null)."""
    other = planning.decline(db(), user_id, proposal_id, now=now())
    alternative = None
    if other is not None:
        me, partner = _viewer(user_id)
        alternative = _proposal(other, me, partner, set())
    return DeclineOut(declined=proposal_id, alternative=alternative)


# --- connections ----------------------------------------------------------------------------


@operation("GET", "/connections", summary="Upcoming connections", tag=TAG,
           response=ConnectionsOut)  # fmt: skip
def list_connections(user_id: int) -> ConnectionsOut:
    """The couple's confirmed and conflicted connections from now on, earliest first."""
    me, partner = _viewer(user_id)
    moment = now()
    found = (
        connections_of_couple(db(), me.couple_id, Interval(moment, moment + AHEAD))
        if me.couple_id is not None
        else []
    )
    return ConnectionsOut(
        zone=me.zone,
        partner_zone=partner.zone if partner else None,
        connections=[_connection(c) for c in found],
    )


def _connection(found: ConnectionInfo) -> ConnectionOut:
    return ConnectionOut(
        id=found.id, uid=found.uid, ritual=found.ritual, name=_name(found.ritual),
        start=found.slot.start, end=found.slot.end, status=found.status, sequence=found.sequence,
    )  # fmt: skip


@operation("POST", "/connections/<int:connection_id>/cancel", summary="Cancel a connection",
           tag=TAG, status=204, errors=(404,))  # fmt: skip
def cancel(user_id: int, connection_id: int) -> None:
    """Cancelled at once (SEQUENCE + 1); the feed and the invite show the cancellation."""
    invites.cancel(
        db(), user_id, connection_id, now=now(), google=current_google(), caldav=current_caldav()
    )


@operation("GET", "/connections/<int:connection_id>/invite.ics",
           summary="A connection as an RFC 5546 invite", tag=TAG, produces="text/calendar",
           errors=(404,))  # fmt: skip
def invite(user_id: int, connection_id: int) -> Response:
    """METHOD:REQUEST, or METHOD:CANCEL once cancelled; import it into any calendar."""
    organizer = current_config().mail.sender
    body = invites.invite_for(db(), user_id, connection_id, now=now(), organizer=organizer)
    return calendar_download(body, f"connection-{connection_id}.ics")
