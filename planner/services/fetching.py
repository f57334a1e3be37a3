"""Getting a calendar source's bytes and reading them into busy blocks.

Helpers of :mod:`planner.services.sources`: a safe, conditional fetch of an ICS URL, the
snapshot a sync reads (a new body, else the kept one), and parsing it in the owner's zone.
Every failure is a :class:`SyncError` whose message is plain and safe to show the owner.
"""

from __future__ import annotations

import logging

from integrations.ics import IngestResult, UnreadableCalendar, ingest
from integrations.ics.fetch import (
    AddressPolicy,
    Fetched,
    FetchFailed,
    FetchLimits,
    UrlRefused,
    fetch_calendar,
)
from planner.core.intervals import Interval
from planner.store.models import Source, User

log = logging.getLogger(__name__)


class SyncError(Exception):
    """A sync failed; ``message`` is plain and safe to show the owner."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def refetch(source: Source, limits: FetchLimits, policy: AddressPolicy) -> Fetched | None:
    """A fresh (conditional) fetch for a URL source; None for an upload."""
    if source.kind != "ics_url" or not source.url:
        return None
    return fetch(source.url, source.etag, source.last_modified, limits, policy)


def snapshot(source: Source, fetched: Fetched | None) -> bytes | None:
    """The bytes to read: a new body, else the kept one (None when there is nothing)."""
    if fetched is not None and not fetched.not_modified:
        return fetched.body or b""
    return source.raw


def keep(source: Source, fetched: Fetched | None) -> None:
    """Remember a new body and the validators of a fetch."""
    if fetched is None:
        return
    if not fetched.not_modified:
        source.raw = fetched.body
    source.etag, source.last_modified = fetched.etag, fetched.last_modified


def fetch(
    url: str,
    etag: str | None,
    last_modified: str | None,
    limits: FetchLimits,
    policy: AddressPolicy,
) -> Fetched:
    """Fetch ``url`` conditionally; refusals and failures as plain :class:`SyncError`."""
    try:
        return fetch_calendar(
            url, etag=etag, last_modified=last_modified, limits=limits, policy=policy
        )
    except UrlRefused as refused:
        log.info("calendar url refused: %s", refused.detail)
        raise SyncError(str(refused)) from None
    except FetchFailed as failed:
        raise SyncError(_sentence(failed.message)) from None


def read_calendar(data: bytes, owner: User, window: Interval) -> IngestResult:
    """The calendar's blocks with titles in the owner's zone, or a plain :class:`SyncError`."""
    try:
        return ingest(data, start=window.start, end=window.end, zone=owner.zone, with_titles=True)
    except UnreadableCalendar as error:
        raise SyncError(f"That calendar cannot be read: {error.reason}.") from None


def _sentence(message: str) -> str:
    """``message`` as a sentence: capitalised, ending with a full stop."""
    text = message[:1].upper() + message[1:]
    return text if text.endswith(".") else f"{text}."
