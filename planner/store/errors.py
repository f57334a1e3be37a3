"""The few errors the store raises, each carrying what the caller needs to explain it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from planner.core.intervals import Interval


class StoreError(Exception):
    """Base of the store's own errors."""


class NotFound(StoreError, LookupError):
    """A row the caller named does not exist."""

    def __init__(self, kind: str, key: object) -> None:
        super().__init__(f"no {kind} with id {key!r}")
        self.kind = kind
        self.key = key


@dataclass(frozen=True)
class ConnectionInfo:
    """A connection as plain data, safe to keep after its session is gone."""

    id: int
    couple_id: int
    uid: str
    sequence: int
    ritual: str
    slot: Interval
    status: str
    proposal_id: int | None = None
    updated_at: datetime | None = None


class SlotTaken(StoreError):
    """A connection could not be confirmed because ``clash`` already holds part of ``slot``."""

    def __init__(self, slot: Interval, clash: ConnectionInfo) -> None:
        super().__init__(
            f"{slot.start.isoformat()}..{slot.end.isoformat()} overlaps connection "
            f"{clash.uid} ({clash.slot.start.isoformat()}..{clash.slot.end.isoformat()})"
        )
        self.slot = slot
        self.clash = clash
