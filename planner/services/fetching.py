"""The adapters that read upload and ICS URL sources, loaded from and kept on the row.

Helpers of :mod:`planner.services.sources`: :func:`ics_source` builds the
:class:`~integrations.sources.CalendarSource` of an upload or a subscribed link with what
the last sync kept (body, validators), :func:`keep` stores what a successful read kept.
:func:`read_calendar` parses bytes in the owner's zone for other kinds (CalDAV); its
failures are a :class:`SyncError` whose message is plain and safe to show the owner.
"""

from __future__ import annotations

from integrations.ics import IngestResult, UnreadableCalendar, ingest
from integrations.ics.fetch import AddressPolicy, FetchLimits
from integrations.ics.source import UploadSource, UrlSource, unreadable
from planner.core.intervals import Interval
from planner.store.models import Source, User


class SyncError(Exception):
    """A sync failed; ``message`` is plain and safe to show the owner."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def ics_source(
    source: Source, zone: str, limits: FetchLimits, policy: AddressPolicy
) -> UploadSource | UrlSource:
    """The adapter that reads an upload or ICS URL source in the owner's ``zone``, loaded
    with the body and validators the last sync kept."""
    if source.kind == "ics_url" and source.url:
        return UrlSource(
            source.url,
            zone,
            fetch_limits=limits,
            policy=policy,
            body=source.raw,
            etag=source.etag,
            last_modified=source.last_modified,
        )
    return UploadSource(source.raw or b"", zone)


def keep(source: Source, adapter: UploadSource | UrlSource) -> None:
    """Remember what a successful read of a URL source kept: its body and validators."""
    if isinstance(adapter, UrlSource):
        source.raw, source.etag, source.last_modified = (
            adapter.body,
            adapter.etag,
            adapter.last_modified,
        )


def read_calendar(data: bytes, owner: User, window: Interval) -> IngestResult:
    """The calendar's blocks with titles in the owner's zone, or a plain :class:`SyncError`."""
    try:
        return ingest(data, start=window.start, end=window.end, zone=owner.zone, with_titles=True)
    except UnreadableCalendar as error:
        raise SyncError(unreadable(error)) from None
