"""iCalendar in: bytes -> busy blocks over a horizon (see :mod:`integrations.ics.ingest`)."""

from integrations.ics.ingest import (
    BusyBlock,
    IngestResult,
    Limits,
    Skipped,
    UnreadableCalendar,
    ingest,
    reference_busy,
)

__all__ = [
    "BusyBlock",
    "IngestResult",
    "Limits",
    "Skipped",
    "UnreadableCalendar",
    "ingest",
    "reference_busy",
]
