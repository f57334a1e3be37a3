"""iCalendar sources behind :class:`integrations.sources.CalendarSource`: an uploaded file and
a subscribed ICS URL.

Both read iCalendar bytes with :func:`integrations.ics.ingest` in the owner's zone, titles
included. An upload's bytes are its source of truth. A URL source fetches safely and
conditionally (:func:`integrations.ics.fetch.fetch_calendar`) and keeps the last body it
read with its validators, so a "304 Not Modified" still covers a window that moved on;
validators are only sent while a body is kept. State changes only after a read succeeded.
"""

from __future__ import annotations

import hashlib
import logging
from zoneinfo import ZoneInfo

from integrations.ics.fetch import (
    AddressPolicy,
    Fetched,
    FetchFailed,
    FetchLimits,
    UrlRefused,
    fetch_calendar,
)
from integrations.ics.ingest import ingest
from integrations.ics.model import IngestResult, Limits, UnreadableCalendar
from integrations.sources import (
    BROKEN,
    Reading,
    SourceFailed,
    sentence,
    sorted_blocks,
    unexpected_as,
)
from planner.core.intervals import Interval

log = logging.getLogger(__name__)

NO_COPY = "The server said the calendar is unchanged, but no copy of it is kept here."


def unreadable(error: UnreadableCalendar) -> str:
    """The owner's message for a calendar that cannot be read as a whole."""
    return f"That calendar cannot be read: {error.reason}."


def read_ics(
    data: bytes,
    zone: str | ZoneInfo,
    window: Interval,
    *,
    limits: Limits = Limits(),  # noqa: B008 - frozen, so sharing the default is safe
    unchanged: bool = False,
) -> Reading:
    """The reading of iCalendar ``data`` over ``window`` in the owner's ``zone``;
    :class:`SourceFailed` when it cannot be read at all."""
    try:
        result = ingest(
            data, start=window.start, end=window.end, zone=zone, limits=limits, with_titles=True
        )
    except UnreadableCalendar as error:
        raise SourceFailed(unreadable(error)) from None
    return reading_of(result, window, unchanged=unchanged)


def reading_of(result: IngestResult, window: Interval, *, unchanged: bool = False) -> Reading:
    """An ingestion result (read ``with_titles``) as a :class:`Reading` of ``window``."""
    return Reading(
        window=window,
        blocks=sorted_blocks(result.blocks or []),
        skipped=tuple(result.skipped),
        warnings=tuple(result.warnings),
        unchanged=unchanged,
    )


class UploadSource:
    """An uploaded .ics file. ``data`` is the file (replace it for a new upload);
    ``digest`` is the SHA-256 of the bytes last read, so a read of the same bytes again
    reports ``unchanged``."""

    def __init__(
        self,
        data: bytes,
        zone: str | ZoneInfo,
        *,
        limits: Limits = Limits(),  # noqa: B008 - frozen, so sharing the default is safe
        digest: str | None = None,
    ) -> None:
        self.data, self.zone, self.limits, self.digest = data, zone, limits, digest

    def read(self, window: Interval) -> Reading:
        """The file's busy time over ``window`` (see :class:`integrations.sources.Reading`)."""
        digest = hashlib.sha256(self.data).hexdigest()
        with unexpected_as(BROKEN, "an uploaded calendar"):
            reading = read_ics(
                self.data, self.zone, window, limits=self.limits, unchanged=digest == self.digest
            )
        self.digest = digest
        return reading


class UrlSource:
    """A subscribed http, https or webcal calendar.

    ``body``, ``etag`` and ``last_modified`` are what the last successful read kept (load
    them from storage, store them after a read); ``fetched_url`` is where the last fetch
    ended up after redirects.
    """

    def __init__(
        self,
        url: str,
        zone: str | ZoneInfo,
        *,
        fetch_limits: FetchLimits = FetchLimits(),  # noqa: B008 - frozen, so sharing is safe
        policy: AddressPolicy = AddressPolicy(),  # noqa: B008 - frozen, so sharing is safe
        limits: Limits = Limits(),  # noqa: B008 - frozen, so sharing is safe
        body: bytes | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> None:
        self.url, self.zone = url, zone
        self.fetch_limits, self.policy, self.limits = fetch_limits, policy, limits
        self.body, self.etag, self.last_modified = body, etag, last_modified
        self.fetched_url: str | None = None

    def read(self, window: Interval) -> Reading:
        """The calendar's busy time over ``window``; a 304 reads the kept body again and
        reports ``unchanged``."""
        with unexpected_as(BROKEN, "a calendar link"):
            fetched = self._fetch()
            data = self.body if fetched.not_modified else fetched.body or b""
            if data is None:
                raise SourceFailed(NO_COPY)
            reading = read_ics(
                data, self.zone, window, limits=self.limits, unchanged=fetched.not_modified
            )
        self.body, self.fetched_url = data, fetched.url
        self.etag, self.last_modified = fetched.etag, fetched.last_modified
        return reading

    def _fetch(self) -> Fetched:
        """A conditional fetch (validators only while a body is kept); plain failures."""
        kept = self.body is not None
        try:
            return fetch_calendar(
                self.url,
                etag=self.etag if kept else None,
                last_modified=self.last_modified if kept else None,
                limits=self.fetch_limits,
                policy=self.policy,
            )
        except UrlRefused as refused:
            log.info("calendar url refused: %s", refused.detail)
            raise SourceFailed(str(refused)) from None
        except FetchFailed as failed:
            raise SourceFailed(sentence(failed.message)) from None
