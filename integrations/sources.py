"""One interface for every kind of calendar source: ``read(window) -> Reading``.

A calendar source (an uploaded file, an ICS URL, a Google calendar read event by event or
as free/busy only, a CalDAV calendar, or :class:`integrations.memory.MemorySource`) answers
one question: what is busy in this window? Every kind answers it the same way, and
``tests/contract`` holds them all to that:

* a :class:`Reading` holds the busy blocks overlapping the window as aware-UTC half-open
  intervals, each with its owner-only title (None where the kind never sees titles, such as
  Google's free/busy mode); transparent, cancelled and excluded time is never in it;
* it says which events were skipped and why, what else the owner should know, and whether
  the source said "nothing changed since the last read" (an HTTP 304, the same CalDAV
  ctag, an empty incremental sync);
* every failure raises :class:`SourceFailed` with a plain message for the owner. A source
  that cannot be read never answers with an empty reading: the caller keeps the last busy
  time it had, so a failing calendar is never read as free time.

Adapters keep their change-detection state (validators, a snapshot and a sync token, a
ctag, the stretch the caller's stored blocks cover) in public attributes, so a service can
load them before a read and store them after one; a read that fails leaves them as they were.
An adapter told what the caller has stored may answer a source that did not change with a
``kept`` reading: nothing was read again, and the stored blocks still hold for the window.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from planner.core.intervals import Interval, clip

log = logging.getLogger(__name__)

BROKEN = "Something went wrong reading it."


@dataclass(frozen=True)
class Block:
    """One busy stretch: aware-UTC ``[start, end)`` and its title, which only the owner
    sees (None where the source never tells titles)."""

    start: datetime
    end: datetime
    title: str | None = None

    @property
    def interval(self) -> Interval:
        """The block as a core interval."""
        return Interval(self.start, self.end)


@dataclass(frozen=True)
class Skipped:
    """An event left out of a reading (``uid`` when it has one) and why, in plain words."""

    uid: str | None
    reason: str


@dataclass(frozen=True)
class Reading:
    """What a source holds for a window.

    ``window`` is the stretch the reading is complete for: at least the window asked for
    (a Google calendar reads a week more, so that later reads can stay incremental).
    ``blocks`` overlap ``window``, sorted by start; ``unchanged`` is True when the source
    itself said nothing changed since the last read of this adapter.

    ``kept`` is True when the source did not change and the blocks the caller stored from
    earlier readings are complete for ``window``: nothing was read again, ``blocks`` is
    empty and must not replace them (only an adapter given the stored coverage answers so).
    """

    window: Interval
    blocks: tuple[Block, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    warnings: tuple[str, ...] = ()
    unchanged: bool = False
    kept: bool = False

    def busy(self, within: Interval | None = None) -> list[Interval]:
        """The busy time inside ``within`` (default: the reading's window), merged."""
        return clip((b.interval for b in self.blocks), self.window if within is None else within)


class SourceFailed(Exception):
    """A source could not be read; ``message`` is plain and safe to show the owner.

    ``reconnect`` is True when the owner must connect the calendar again (a revoked grant,
    refused credentials) rather than wait for the next try.
    """

    def __init__(self, message: str, *, reconnect: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.reconnect = reconnect


@runtime_checkable
class CalendarSource(Protocol):
    """A calendar that can say what is busy (see the module docstring)."""

    def read(self, window: Interval) -> Reading:
        """The source's busy time overlapping ``window``; :class:`SourceFailed` on any
        failure, never an empty reading in its place."""
        ...


def sentence(text: str) -> str:
    """``text`` as a sentence: capitalised, ending with a full stop."""
    text = text[:1].upper() + text[1:]
    return text if text.endswith(".") else f"{text}."


def sorted_blocks(blocks: Iterable[Block]) -> tuple[Block, ...]:
    """``blocks`` in the order readings keep them: by start, then end, then title."""
    return tuple(sorted(blocks, key=lambda b: (b.start, b.end, b.title or "")))


@contextmanager
def unexpected_as(message: str, what: str) -> Iterator[None]:
    """Turn any error but :class:`SourceFailed` inside the block into ``SourceFailed(message)``
    (logged with its traceback as a failure of ``what``): an adapter never lets a library's
    exception through in place of the one the interface promises."""
    try:
        yield
    except SourceFailed:
        raise
    except Exception as error:
        log.exception("reading %s failed", what)
        raise SourceFailed(message) from error
