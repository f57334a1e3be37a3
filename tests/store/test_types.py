"""Timestamps: stored as UTC, read back aware UTC, naive ones refused, on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import Session, sessionmaker

from planner.core.intervals import NaiveDatetimeError
from planner.store.models import Couple, Invite
from tests.store.conftest import add_couple

KOLKATA = ZoneInfo("Asia/Kolkata")


def test_kolkata_instant_comes_back_as_the_same_instant_in_utc(
    sessions: sessionmaker[Session],
) -> None:
    local = datetime(2026, 3, 29, 7, 45, tzinfo=KOLKATA)  # 02:15 UTC
    with sessions() as session:
        couple, (ana,) = add_couple(session, "ana")
        session.add(
            Invite(couple_id=couple.id, inviter_id=ana.id, token_hash="h", expires_at=local)
        )
        session.commit()
    with sessions() as session:
        back = session.scalars(select(Invite.expires_at)).one()
    assert back == local
    assert back.tzinfo is UTC
    assert (back.hour, back.minute) == (2, 15)


def test_core_select_also_reads_aware_utc(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        session.execute(insert(Couple), [{"created_at": datetime(2026, 1, 1, tzinfo=KOLKATA)}])
        session.commit()
        value = session.scalars(select(Couple.created_at)).one()
    assert value == datetime(2025, 12, 31, 18, 30, tzinfo=UTC)
    assert value.utcoffset() == timedelta(0)


def test_comparisons_in_sql_use_the_instant_not_the_wall_clock(
    sessions: sessionmaker[Session],
) -> None:
    with sessions() as session:
        session.add(Couple(created_at=datetime(2026, 1, 1, 12, tzinfo=UTC)))
        session.commit()
        later_in_kolkata = datetime(2026, 1, 1, 17, 0, tzinfo=KOLKATA)  # 11:30 UTC: earlier
        found = session.scalars(select(Couple).where(Couple.created_at > later_in_kolkata)).all()
    assert len(found) == 1


def test_naive_datetime_refused_on_assignment() -> None:
    with pytest.raises(NaiveDatetimeError, match="no time zone") as caught:
        Couple(created_at=datetime(2026, 1, 1, 9, 0))
    assert any("Couple.created_at" in note for note in caught.value.__notes__)


def test_naive_datetime_refused_by_the_column_type(session: Session) -> None:
    with pytest.raises(StatementError, match="no time zone") as caught:
        session.execute(insert(Couple), [{"created_at": datetime(2026, 1, 1, 9, 0)}])
    assert isinstance(caught.value.orig, NaiveDatetimeError)
