"""The tables of Connection Planner as typed SQLAlchemy 2.0 models.

Every timestamp is ``TIMESTAMP WITH TIME ZONE`` holding UTC (see :class:`UTCDateTime`); a
partner's zone is an IANA name in its own column. Value sets (source kinds, proposal states,
connection statuses) are plain strings guarded by named CHECK constraints, so adding a value
is a migration of one constraint rather than of a database enum type.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar, Final, Literal, get_args
from zoneinfo import ZoneInfo

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    LargeBinary,
    MetaData,
    String,
    Text,
    event,
    func,
    literal_column,
    text,
)
from sqlalchemy.dialects.postgresql import ExcludeConstraint
from sqlalchemy.orm import (
    AttributeEventToken,
    DeclarativeBase,
    Mapped,
    Mapper,
    mapped_column,
    relationship,
    validates,
)

from planner.core.intervals import NaiveDatetimeError
from planner.store.types import UTCDateTime, aware_utc

SourceKind = Literal["upload", "ics_url", "google", "caldav"]
ProposalState = Literal["proposed", "accepted", "confirmed", "declined", "expired", "conflicted"]
ConnectionStatus = Literal["confirmed", "conflicted", "cancelled"]

DEFAULT_WINDOWS: Final = "Mon-Fri 07:00-09:00; Mon-Fri 18:00-23:00; Sat,Sun 09:00-23:00"

NAMING_CONVENTION: Final = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current instant, aware UTC (the default of the ``created_at`` columns)."""
    return datetime.now(UTC)


def normalize_email(email: str) -> str:
    """The stored form of an address: trimmed and lower-cased."""
    return email.strip().lower()


def one_of(column: str, values: Any) -> str:
    """SQL text of a CHECK that ``column`` holds one of the members of a ``Literal``."""
    return f"{column} IN ({', '.join(repr(v) for v in get_args(values))})"


class Base(DeclarativeBase):
    """Declarative base: named constraints and aware-UTC timestamps."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


class Couple(Base):
    """Two partners who paired through an invite; everything planned belongs to a couple."""

    __tablename__ = "couple"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    plan_weekday: Mapped[int] = mapped_column(default=6)  # Monday 0 .. Sunday 6
    plan_minute: Mapped[int] = mapped_column(default=18 * 60)  # minutes after local midnight
    next_plan_at: Mapped[datetime | None] = mapped_column(index=True)

    partners: Mapped[list[User]] = relationship(back_populates="couple")


class User(Base):
    """A partner: an account with an IANA zone and weekly windows (table ``partner``)."""

    __tablename__ = "partner"
    __table_args__ = (CheckConstraint("email = lower(email)", name="email_lower"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(80))
    zone: Mapped[str] = mapped_column(String(64))
    windows: Mapped[str] = mapped_column(Text, default=DEFAULT_WINDOWS)
    couple_id: Mapped[int | None] = mapped_column(
        ForeignKey("couple.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    couple: Mapped[Couple | None] = relationship(back_populates="partners")

    @validates("email")
    def _store_lower_case(self, _key: str, value: str) -> str:
        return normalize_email(value)

    @validates("zone")
    def _known_zone(self, _key: str, value: str) -> str:
        ZoneInfo(value)  # raises ZoneInfoNotFoundError / ValueError for unknown names
        return value


class Invite(Base):
    """A single-use pairing link; only the sha256 of its token is stored."""

    __tablename__ = "invite"

    id: Mapped[int] = mapped_column(primary_key=True)
    couple_id: Mapped[int] = mapped_column(ForeignKey("couple.id", ondelete="CASCADE"), index=True)
    inviter_id: Mapped[int] = mapped_column(ForeignKey("partner.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class RitualSetting(Base):
    """A partner's choices for one ritual; ``None`` overrides mean "the ritual's default"."""

    __tablename__ = "ritual_setting"
    __table_args__ = (
        CheckConstraint("per_week IS NULL OR per_week >= 0", name="per_week"),
        CheckConstraint("duration_minutes IS NULL OR duration_minutes > 0", name="duration"),
    )

    user_id: Mapped[int] = mapped_column(
        ForeignKey("partner.id", ondelete="CASCADE"), primary_key=True
    )
    ritual: Mapped[str] = mapped_column(String(40), primary_key=True)
    enabled: Mapped[bool] = mapped_column(default=True)
    per_week: Mapped[int | None]
    duration_minutes: Mapped[int | None]


class Source(Base):
    """A calendar a partner connected, with its sync state.

    For an upload, ``raw`` (the .ics as uploaded) is the source of truth; busy blocks are
    derived from it. ``counts_as_busy`` lets a partner keep a calendar connected without
    letting it block planning. ``covered_from`` .. ``covered_until`` is the stretch the
    stored busy blocks of an upload or link are complete for (None: read it all again).
    """

    __tablename__ = "source"
    __table_args__ = (CheckConstraint(one_of("kind", SourceKind), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("partner.id", ondelete="CASCADE"), index=True)
    kind: Mapped[SourceKind] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(Text)
    raw: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    counts_as_busy: Mapped[bool] = mapped_column(default=True)
    etag: Mapped[str | None] = mapped_column(String(255))
    last_modified: Mapped[str | None] = mapped_column(String(64))
    last_success_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    stale_since: Mapped[datetime | None]
    next_sync_at: Mapped[datetime | None] = mapped_column(index=True)
    sync_claimed_until: Mapped[datetime | None]
    covered_from: Mapped[datetime | None]
    covered_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class GoogleAccount(Base):
    """A partner's Google grant: the refresh token (encrypted, bound to the owner), the
    scopes granted, privacy mode (free/busy only), write-back, and whether the grant died.

    ``refresh_token`` is None once Google revoked the grant (``reconnect_needed_at`` set).
    """

    __tablename__ = "google_account"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("partner.id", ondelete="CASCADE"), primary_key=True
    )
    refresh_token: Mapped[bytes | None] = mapped_column(LargeBinary)
    scopes: Mapped[str] = mapped_column(Text, default="")
    privacy: Mapped[bool] = mapped_column(default=False)
    write_back: Mapped[bool] = mapped_column(default=False)
    write_calendar_id: Mapped[str] = mapped_column(String(255), default="primary")
    reconnect_needed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class GoogleCalendar(Base):
    """The Google side of a ``google`` source: which calendar, its sync token, and the
    window the stored snapshot covers (an incremental sync is only valid inside it)."""

    __tablename__ = "google_calendar"

    source_id: Mapped[int] = mapped_column(
        ForeignKey("source.id", ondelete="CASCADE"), primary_key=True
    )
    calendar_id: Mapped[str] = mapped_column(String(255))
    sync_token: Mapped[str | None] = mapped_column(Text)
    window_start: Mapped[datetime | None]
    window_end: Mapped[datetime | None]
    #: The last snapshot as JSON ``{event id: [start, end, title]}`` (owner-only, like
    #: :class:`BusyBlock` titles), so changes since the sync token can be applied to it.
    snapshot: Mapped[str | None] = mapped_column(Text)
    time_zone: Mapped[str | None] = mapped_column(String(64))


class GoogleChannel(Base):
    """A push channel Google keeps open on a ``google`` source's calendar: our channel id,
    the sha256 of its token (the token itself only ever goes to Google), Google's id of the
    watched resource (needed to stop the channel) and when Google ends it."""

    __tablename__ = "google_channel"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("source.id", ondelete="CASCADE"), index=True)
    channel_id: Mapped[str] = mapped_column(String(64), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    resource_id: Mapped[str] = mapped_column(String(255))
    expiration: Mapped[datetime] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WriteBackIssue(Base):
    """A write-back to a partner's Google calendar that did not happen, in plain words for
    the owner; ``deleted_by_user`` ones are never retried."""

    __tablename__ = "write_back_issue"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("partner.id", ondelete="CASCADE"), index=True)
    connection_uid: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CaldavAccount(Base):
    """A partner's CalDAV account: the server address they gave, the user name and the app
    password (encrypted, bound to the owner), the calendars found when they connected (JSON
    ``[{"url", "name", "writable"}]``), and the calendar confirmed connections are written to
    (None: no write-back)."""

    __tablename__ = "caldav_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("partner.id", ondelete="CASCADE"), index=True)
    server_url: Mapped[str] = mapped_column(Text)
    username: Mapped[str] = mapped_column(String(255))
    password: Mapped[bytes] = mapped_column(LargeBinary)
    calendars: Mapped[str] = mapped_column(Text, default="[]")
    write_url: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CaldavCalendar(Base):
    """The CalDAV side of a ``caldav`` source: its account and URL, the change markers seen
    at the last read (ctag, sync-token), the window ``Source.raw`` covers, and whether the
    server expands recurrences for us (None: not tried yet, False: it refused)."""

    __tablename__ = "caldav_calendar"

    source_id: Mapped[int] = mapped_column(
        ForeignKey("source.id", ondelete="CASCADE"), primary_key=True
    )
    account_id: Mapped[int] = mapped_column(
        ForeignKey("caldav_account.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(Text)
    ctag: Mapped[str | None] = mapped_column(Text)
    sync_token: Mapped[str | None] = mapped_column(Text)
    window_start: Mapped[datetime | None]
    window_end: Mapped[datetime | None]
    expand: Mapped[bool | None]


class CaldavEvent(Base):
    """A connection written to a partner's CalDAV calendar: where, the ETag of our last
    write, and when we found the owner had deleted it by hand (then it is never rewritten)."""

    __tablename__ = "caldav_event"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("caldav_account.id", ondelete="CASCADE"), primary_key=True
    )
    connection_uid: Mapped[str] = mapped_column(String(255), primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    etag: Mapped[str | None] = mapped_column(String(255))
    deleted_at: Mapped[datetime | None]


class BusyBlock(Base):
    """A half-open UTC interval in which the owner of a source is busy; the title is private."""

    __tablename__ = "busy_block"
    __table_args__ = (
        CheckConstraint('start < "end"', name="ordered"),
        Index("ix_busy_block_source_id_start", "source_id", "start"),
        Index("ix_busy_block_source_id_end", "source_id", "end"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("source.id", ondelete="CASCADE"))
    start: Mapped[datetime]
    end: Mapped[datetime]
    title: Mapped[str | None] = mapped_column(Text)


class Proposal(Base):
    """A candidate slot for a ritual; partners accept it through :class:`ProposalAcceptance`."""

    __tablename__ = "proposal"
    __table_args__ = (
        CheckConstraint(one_of("state", ProposalState), name="state"),
        CheckConstraint('start < "end"', name="ordered"),
        Index("ix_proposal_couple_id_start", "couple_id", "start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    couple_id: Mapped[int] = mapped_column(ForeignKey("couple.id", ondelete="CASCADE"))
    ritual: Mapped[str] = mapped_column(String(40))
    start: Mapped[datetime]
    end: Mapped[datetime]
    score: Mapped[float]
    reason: Mapped[str] = mapped_column(Text)
    week_start: Mapped[datetime]
    state: Mapped[ProposalState] = mapped_column(String(16), default="proposed")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Set on an alternative offered for a connection that a new meeting clashed with;
    #: accepting it moves that connection here (same UID, SEQUENCE + 1).
    replaces_connection_id: Mapped[int | None] = mapped_column(
        ForeignKey("connection.id", ondelete="SET NULL", use_alter=True), index=True
    )

    acceptances: Mapped[list[ProposalAcceptance]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )


class ProposalAcceptance(Base):
    """One partner said yes to a proposal; two rows make it confirmable."""

    __tablename__ = "proposal_acceptance"

    proposal_id: Mapped[int] = mapped_column(
        ForeignKey("proposal.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("partner.id", ondelete="CASCADE"), primary_key=True
    )
    accepted_at: Mapped[datetime] = mapped_column(default=utcnow)


class Connection(Base):
    """A confirmed proposal: stable iCalendar UID, SEQUENCE bumped on every change.

    Two live (not cancelled) connections of one couple never overlap: PostgreSQL enforces it
    with the exclusion constraint below, SQLite through :func:`confirm_connection`'s lock.
    """

    __tablename__ = "connection"
    __table_args__ = (
        CheckConstraint(one_of("status", ConnectionStatus), name="status"),
        CheckConstraint('start < "end"', name="ordered"),
        Index("ix_connection_couple_id_start", "couple_id", "start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    couple_id: Mapped[int] = mapped_column(ForeignKey("couple.id", ondelete="CASCADE"))
    proposal_id: Mapped[int | None] = mapped_column(
        ForeignKey("proposal.id", ondelete="SET NULL"), unique=True
    )
    uid: Mapped[str] = mapped_column(String(255), unique=True)
    sequence: Mapped[int] = mapped_column(default=0)
    ritual: Mapped[str] = mapped_column(String(40))
    start: Mapped[datetime]
    end: Mapped[datetime]
    status: Mapped[ConnectionStatus] = mapped_column(String(16), default="confirmed")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


NO_OVERLAP: Final = "ex_connection_no_overlap"
_connection = Base.metadata.tables["connection"]
_connection.append_constraint(
    ExcludeConstraint(
        (_connection.c.couple_id, "="),
        (func.tstzrange(_connection.c.start, _connection.c.end, literal_column("'[)'")), "&&"),
        where=text("status <> 'cancelled'"),
        using="gist",
        name=NO_OVERLAP,
    ).ddl_if(dialect="postgresql")
)


class ApiToken(Base):
    """A personal API token of a partner; only its sha256 is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("partner.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class FeedToken(Base):
    """The secret of a couple's private feed URL; rotation revokes the old one."""

    __tablename__ = "feed_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    couple_id: Mapped[int] = mapped_column(ForeignKey("couple.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]


class FeedCache(Base):
    """The last rendered feed body of a couple and its ETag."""

    __tablename__ = "feed_cache"

    couple_id: Mapped[int] = mapped_column(
        ForeignKey("couple.id", ondelete="CASCADE"), primary_key=True
    )
    body: Mapped[bytes] = mapped_column(LargeBinary)
    etag: Mapped[str] = mapped_column(String(128))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


MailState = Literal["pending", "sending", "sent", "failed"]


class MailMessage(Base):
    """One invite mail to one partner about one change of one event (the outbox).

    ``message_id`` is unique and derived from the event's UID, the SEQUENCE mailed and the
    recipient, so a change is queued at most once per partner; ``body`` is the message as
    first rendered, so every retry sends the same bytes. See :mod:`planner.services.outbox`.
    """

    __tablename__ = "mail_message"
    __table_args__ = (
        CheckConstraint(one_of("state", MailState), name="state"),
        Index("ix_mail_message_state_next_attempt_at", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    couple_id: Mapped[int | None] = mapped_column(
        ForeignKey("couple.id", ondelete="SET NULL"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("partner.id", ondelete="CASCADE"), index=True)
    recipient: Mapped[str] = mapped_column(String(254))
    kind: Mapped[str] = mapped_column(String(16))
    method: Mapped[str] = mapped_column(String(8))
    uid: Mapped[str] = mapped_column(String(255), index=True)
    sequence: Mapped[int]
    event_status: Mapped[str] = mapped_column(String(16))
    ritual: Mapped[str] = mapped_column(String(40))
    start: Mapped[datetime]
    end: Mapped[datetime]
    note: Mapped[str] = mapped_column(Text, default="")
    #: Plain ids, not foreign keys: a row is a record of what was mailed, and a foreign key
    #: would make queuing take a share lock on proposals another transaction holds.
    proposal_id: Mapped[int | None]
    connection_id: Mapped[int | None]
    state: Mapped[MailState] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    body: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]


def _utc_on_assignment(
    target: object, value: datetime | None, _old: object, initiator: AttributeEventToken
) -> datetime | None:
    """Attribute hook: refuse a naive datetime where it is assigned, store its UTC form."""
    if value is None:
        return None
    try:
        return aware_utc(value)
    except NaiveDatetimeError as error:
        error.add_note(f"assigned to {type(target).__name__}.{initiator.key}; store aware UTC")
        raise


@event.listens_for(Base, "mapper_configured", propagate=True)
def _guard_timestamps(mapper: Mapper[Any], cls: type) -> None:
    """Attach :func:`_utc_on_assignment` to every UTC timestamp column of a mapped class."""
    for column in mapper.local_table.columns:
        if isinstance(column.type, UTCDateTime):
            attribute = getattr(cls, column.key)
            event.listen(attribute, "set", _utc_on_assignment, retval=True)


class WriteBackTask(Base):
    """A change of connections still to be written to the partners' Google and CalDAV
    calendars: written in the transaction of the change, done by an engine job, claimed
    for a while (``claimed_until``) so a killed worker's task is taken up again."""

    __tablename__ = "write_back_task"

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_ids: Mapped[str] = mapped_column(Text)  # comma-separated ids
    user_ids: Mapped[str] = mapped_column(Text)  # comma-separated ids
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    run_after: Mapped[datetime] = mapped_column(index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    claimed_until: Mapped[datetime | None]
    done_at: Mapped[datetime | None]
