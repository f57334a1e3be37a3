"""Storage: typed SQLAlchemy models, queries that return core types, Alembic migrations.

No Flask here. Queries take a :class:`~sqlalchemy.orm.Session` and leave committing to the
caller (services own the unit of work).
"""

from planner.store.busy import (
    SourceState,
    busy_of_user,
    record_sync_failure,
    record_sync_success,
    replace_busy,
    stale_sources,
)
from planner.store.connections import confirm_connection, connections_of_couple
from planner.store.db import make_engine, session_factory
from planner.store.errors import ConnectionInfo, NotFound, SlotTaken, StoreError
from planner.store.migrate import upgrade

__all__ = [
    "ConnectionInfo",
    "NotFound",
    "SlotTaken",
    "SourceState",
    "StoreError",
    "busy_of_user",
    "confirm_connection",
    "connections_of_couple",
    "make_engine",
    "record_sync_failure",
    "record_sync_success",
    "replace_busy",
    "session_factory",
    "stale_sources",
    "upgrade",
]
