"""The adapters that read upload and ICS URL sources, loaded from and kept on the row.

Helpers of :mod:`planner.services.sources`: :func:`ics_source` builds the
:class:`~integrations.sources.CalendarSource` of an upload or a subscribed link with what
the last sync kept (body, validators), :func:`keep` stores what a successful read kept.
"""

from __future__ import annotations

from integrations.ics.fetch import AddressPolicy, FetchLimits
from integrations.ics.source import UploadSource, UrlSource
from planner.store.models import Source


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
