"""CalDAV calendars as sources: discovery, busy time over a window, change markers, write-back.

DESIGN.md names the ``caldav`` PyPI library for this. We use our own small client instead,
because every request must go through the guarded transport of
:mod:`integrations.ics.transport` (each URL and redirect resolved once and checked against
the address policy, the socket pinned to the checked address, one deadline with a watchdog,
bodies capped), which the library's ``requests``/``niquests`` session cannot give, and
because the few requests a calendar planner needs (PROPFIND, a calendar-query REPORT, PUT,
GET, DELETE) fit in a few hundred lines. XML answers are parsed with :mod:`defusedxml`.

* :mod:`.client`: requests with Basic credentials, redirects on request, error mapping.
* :mod:`.discovery`: principal -> calendar home -> calendars; a calendar's ctag/sync-token.
* :mod:`.events`: a calendar-query REPORT over a window (server-side expansion when the
  server does it), as iCalendar bytes for :func:`integrations.ics.ingest`.
* :mod:`.writeback`: PUT (If-None-Match / If-Match) and DELETE of a connection's event.
* :mod:`.source`: :class:`~integrations.caldav.source.CaldavSource`, a calendar behind the
  one source interface of :mod:`integrations.sources`, and :func:`~.source.failure`, the
  owner's sentence for a failed exchange.

No Flask and nothing from ``planner`` except :mod:`planner.core` is imported here.
"""

from integrations.caldav.client import AuthFailed, Client, Credentials, Network
from integrations.caldav.discovery import (
    CalendarInfo,
    CalendarState,
    Discovery,
    calendar_state,
    discover,
)
from integrations.caldav.events import CalendarData, read_window
from integrations.caldav.writeback import (
    WriteOutcome,
    Written,
    delete_event,
    event_url,
    write_event,
)

__all__ = [
    "AuthFailed",
    "CalendarData",
    "CalendarInfo",
    "CalendarState",
    "Client",
    "Credentials",
    "Discovery",
    "Network",
    "WriteOutcome",
    "Written",
    "calendar_state",
    "delete_event",
    "discover",
    "event_url",
    "read_window",
    "write_event",
]
