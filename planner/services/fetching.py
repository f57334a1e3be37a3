"""The adapters that read upload and ICS URL sources, loaded from and kept on the row.

Helpers of :mod:`planner.services.sources` and :mod:`planner.services.sync`:
:func:`ics_source` builds the :class:`~integrations.sources.CalendarSource` of an upload or
a subscribed link with what the last sync kept (a link's validators and the stretch its
stored blocks cover), :func:`keep` stores what a successful read kept. A link's last body
is still written to ``Source.raw`` but never read back.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from integrations.ics.fetch import AddressPolicy, FetchLimits
from integrations.ics.source import UploadSource, UrlSource
from integrations.sources import Reading
from planner.core.intervals import Interval
from planner.services.sync import Loaded
from planner.store.models import Source

if TYPE_CHECKING:
    from planner.services.sources import SyncSettings


def load_ics(
    _session: Session, source: Source, zone: str, _now: datetime, settings: SyncSettings
) -> Loaded:
    """An upload or link loaded for the sync loop."""
    adapter = ics_source(source, zone, settings.fetch.limits, settings.fetch.policy)

    def keep_state(_session: Session, _reading: Reading) -> None:
        keep(source, adapter)

    return Loaded(adapter, keep_state)


def ics_source(
    source: Source, zone: str, limits: FetchLimits, policy: AddressPolicy
) -> UploadSource | UrlSource:
    """The adapter that reads an upload or ICS URL source in the owner's ``zone``, loaded
    with the validators (or digest) and the covered stretch the last sync kept."""
    if source.kind == "ics_url" and source.url:
        return UrlSource(
            source.url,
            zone,
            fetch_limits=limits,
            policy=policy,
            etag=source.etag,
            last_modified=source.last_modified,
            covered=_covered(source),
        )
    return UploadSource(source.raw or b"", zone)


def keep(source: Source, adapter: UploadSource | UrlSource) -> None:
    """Remember what a successful read of a link kept: its validators (and the body it
    read), and the stretch its stored blocks now cover. An upload is read whole each time."""
    if not isinstance(adapter, UrlSource):
        return
    if adapter.body is not None:
        source.raw = adapter.body
    source.etag, source.last_modified = adapter.etag, adapter.last_modified
    covered = adapter.covered
    source.covered_from = covered.start if covered else None
    source.covered_until = covered.end if covered else None


def _covered(source: Source) -> Interval | None:
    """The stretch the source's stored blocks cover, or None."""
    if source.covered_from is None or source.covered_until is None:
        return None
    return Interval(source.covered_from, source.covered_until)
