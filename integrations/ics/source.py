"""iCalendar sources behind :class:`integrations.sources.CalendarSource`: an uploaded file and
a subscribed ICS URL.

Both read iCalendar bytes with :func:`integrations.ics.ingest` in the owner's zone, titles
included. An upload's bytes are its source of truth. A URL source fetches safely and
conditionally (:func:`integrations.ics.fetch.fetch_calendar`) and keeps its validators.

A link reads the window plus :data:`SLACK` and says so in the reading's window, which is
the stretch the caller's stored blocks then cover (``covered``). Given that stretch, a "304
Not Modified" for a window inside it is a ``kept`` reading when no body is kept (a caller
that stores blocks loads no body): nothing is parsed. A link sends validators while its
blocks cover the window or a body is kept (a 304 then reads the kept body again); past the
covered stretch with no body it reads the whole calendar unconditionally. State changes
only after a read succeeded.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta
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

SLACK = timedelta(days=7)
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

    ``etag``, ``last_modified`` and ``covered`` (the stretch the caller's stored blocks
    cover) are what to load from storage and store after a read; ``body`` is the last body
    read (kept in memory; a service need not load it); ``fetched_url`` is where the last
    fetch ended up after redirects.
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
        covered: Interval | None = None,
        slack: timedelta = SLACK,
    ) -> None:
        self.url, self.zone = url, zone
        self.fetch_limits, self.policy, self.limits = fetch_limits, policy, limits
        self.body, self.etag, self.last_modified = body, etag, last_modified
        self.covered, self.slack = covered, slack
        self.fetched_url: str | None = None

    def read(self, window: Interval) -> Reading:
        """The calendar's busy time over ``window`` and the slack after it; a 304 is a
        ``kept`` reading inside ``covered``, else reads the kept body again (``unchanged``)."""
        held = self._held(window)
        with unexpected_as(BROKEN, "a calendar link"):
            fetched = self._fetch(conditional=held is not None or self.body is not None)
            if fetched.not_modified and held is not None:
                reading = Reading(held, unchanged=True, kept=True)
            else:
                reading = self._parse(fetched, Interval(window.start, window.end + self.slack))
        self.fetched_url = fetched.url
        self.etag, self.last_modified = fetched.etag, fetched.last_modified
        return reading

    def _held(self, window: Interval) -> Interval | None:
        """The covered stretch when it holds ``window`` and no body is kept (the caller
        stores the blocks, so a 304 needs no parse), else None."""
        if self.body is None and self.covered is not None and self.covered.contains(window):
            return self.covered
        return None

    def _parse(self, fetched: Fetched, wide: Interval) -> Reading:
        """The fetched body (the kept one after a 304) read over ``wide``; keeps both."""
        data = self.body if fetched.not_modified else fetched.body or b""
        if data is None:
            raise SourceFailed(NO_COPY)
        reading = read_ics(
            data, self.zone, wide, limits=self.limits, unchanged=fetched.not_modified
        )
        self.body, self.covered = data, wide
        return reading

    def _fetch(self, *, conditional: bool) -> Fetched:
        """A fetch, with validators when ``conditional``; plain failures."""
        try:
            return fetch_calendar(
                self.url,
                etag=self.etag if conditional else None,
                last_modified=self.last_modified if conditional else None,
                limits=self.fetch_limits,
                policy=self.policy,
            )
        except UrlRefused as refused:
            log.info("calendar url refused: %s", refused.detail)
            raise SourceFailed(str(refused)) from None
        except FetchFailed as failed:
            raise SourceFailed(sentence(failed.message)) from None
