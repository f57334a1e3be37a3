"""Column types of the store: timestamps that are UTC in the database and aware in Python."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import TIMESTAMP
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from planner.core.intervals import NaiveDatetimeError


def aware_utc(value: datetime) -> datetime:
    """``value`` as the same instant in UTC; a naive datetime raises :class:`NaiveDatetimeError`."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise NaiveDatetimeError(value)
    return value.astimezone(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """``TIMESTAMP WITH TIME ZONE`` that refuses naive datetimes and always reads back aware UTC.

    PostgreSQL keeps the instant itself; SQLite has no zoned type, so the value is written
    as naive UTC text (fixed width, so text order is time order) and read back as UTC.
    """

    impl = TIMESTAMP(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Check and convert to UTC on the way in."""
        if value is None:
            return None
        utc = aware_utc(value)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        """Aware UTC on the way out, whatever the backend handed over."""
        if value is None:
            return None
        moment: datetime = value
        if moment.tzinfo is None:
            return moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)
