"""Partners: addresses unique whatever their case, zones checked."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from planner.store.models import DEFAULT_WINDOWS, User


def partner(email: str, zone: str = "Asia/Kolkata") -> User:
    return User(email=email, password_hash="x", display_name="Ana", zone=zone)


def test_email_is_stored_lower_case_with_default_windows(session: Session) -> None:
    session.add(partner("  Ana@Example.COM "))
    session.commit()
    user = session.scalars(select(User)).one()
    assert user.email == "ana@example.com"
    assert user.windows == DEFAULT_WINDOWS
    assert user.couple_id is None


def test_email_unique_case_insensitively(session: Session) -> None:
    session.add(partner("ana@example.com"))
    session.commit()
    session.add(partner("ANA@example.com"))
    with pytest.raises(IntegrityError):
        session.commit()


def test_database_refuses_upper_case_written_around_the_model(session: Session) -> None:
    with pytest.raises(IntegrityError):
        session.execute(
            text(
                "INSERT INTO partner (email, password_hash, display_name, zone, windows, "
                "created_at) VALUES ('Bo@Example.com', 'x', 'Bo', 'UTC', '', :now)"
            ),
            {"now": "2026-01-01 00:00:00"},
        )


def test_unknown_zone_refused() -> None:
    with pytest.raises(Exception, match="Mars/Olympus"):
        partner("ana@example.com", zone="Mars/Olympus")
