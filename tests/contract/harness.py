"""One harness per kind of source: build it from the canonical events, change it, break it.

A harness owns the real thing behind the source (a loopback HTTP server, the Calendar v3
emulator, Radicale, or just bytes and records) and the one adapter under test, which stays
the same object across reads so that its change-detection state is exercised.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from ipaddress import ip_network

from integrations.caldav.client import Credentials
from integrations.caldav.source import CaldavSource
from integrations.google.client import RetryPolicy
from integrations.google.config import FREEBUSY, READ
from integrations.google.emulator import RunningEmulator
from integrations.google.source import GoogleEventsSource, GoogleFreeBusySource
from integrations.ics.fetch import AddressPolicy
from integrations.ics.source import UploadSource, UrlSource
from integrations.memory import MemorySource
from integrations.sources import CalendarSource
from tests.contract import render
from tests.contract.canon import ZONE, Event
from tests.integrations.caldav.conftest import NETWORK, PASSWORD, RunningRadicale
from tests.integrations.caldav.conftest import USER as CALDAV_USER
from tests.integrations.google.test_client_support import USER, connect, register
from tests.services.test_sources import CalendarServer

LOOPBACK = AddressPolicy(allow=(ip_network("127.0.0.0/8"),))


class Harness:
    """The common part: the events the source should hold now."""

    kind = ""
    titles = True  # the kind tells the owner what each block is
    tells_unchanged = True  # the kind can say "nothing changed since the last read"
    source: CalendarSource

    def __init__(self, events: Iterable[Event]) -> None:
        self.events = list(events)

    def add(self, event: Event) -> None:
        """Add ``event`` to the calendar behind the source."""
        self.events.append(event)

    def remove(self, uid: str) -> None:
        """Remove the event ``uid`` (a series with its instances) from the calendar."""
        self.events = [e for e in self.events if e.uid != uid]

    def fail(self) -> None:
        """Make the next reads fail."""
        raise NotImplementedError

    def heal(self) -> None:
        """Make reads work again."""
        raise NotImplementedError


class MemoryHarness(Harness):
    kind = "memory"

    def __init__(self, events: Iterable[Event]) -> None:
        super().__init__(events)
        self.memory = MemorySource(render.all_records(self.events), zone=ZONE)
        self.source = self.memory

    def add(self, event: Event) -> None:
        super().add(event)
        for record in render.records(event):
            self.memory.put(record)

    def remove(self, uid: str) -> None:
        super().remove(uid)
        self.memory.remove(uid)

    def fail(self) -> None:
        self.memory.fail()

    def heal(self) -> None:
        self.memory.heal()


class UploadHarness(Harness):
    """An uploaded file; a change is a new upload, a failure a file that is not iCalendar."""

    kind = "upload"

    def __init__(self, events: Iterable[Event]) -> None:
        super().__init__(events)
        self.upload = UploadSource(render.ics(self.events), ZONE)
        self.source = self.upload

    def add(self, event: Event) -> None:
        super().add(event)
        self.upload.data = render.ics(self.events)

    def remove(self, uid: str) -> None:
        super().remove(uid)
        self.upload.data = render.ics(self.events)

    def fail(self) -> None:
        self.upload.data = b"<html>this is not a calendar</html>"

    def heal(self) -> None:
        self.upload.data = render.ics(self.events)


class UrlHarness(Harness):
    """A link served by a loopback HTTP server with ETags; a failure is a 500."""

    kind = "ics_url"

    def __init__(self, events: Iterable[Event], server: CalendarServer) -> None:
        super().__init__(events)
        self.server = server
        self._serve()
        self.source = UrlSource(server.url(), ZONE, policy=LOOPBACK)

    def _serve(self) -> None:
        body = render.ics(self.events)
        self.server.served.body = body
        self.server.served.etag = f'"{hashlib.sha256(body).hexdigest()[:16]}"'

    def add(self, event: Event) -> None:
        super().add(event)
        self._serve()

    def remove(self, uid: str) -> None:
        super().remove(uid)
        self._serve()

    def fail(self) -> None:
        self.server.served.status = 500

    def heal(self) -> None:
        self.server.served.status = 200


class GoogleHarness(Harness):
    """Lena's primary calendar on the Calendar v3 emulator, read with the real client
    library; a failure is every request answering 500 (retries included)."""

    kind = "google_events"

    def __init__(self, events: Iterable[Event], emulator: RunningEmulator) -> None:
        super().__init__(events)
        self.emulator = emulator
        register(emulator, zone=ZONE)
        for event in self.events:
            self._insert(event)
        self.source = self._source()

    def _source(self) -> CalendarSource:
        service, _ = connect(self.emulator, [READ])
        return GoogleEventsSource(service, USER, policy=no_waiting())

    def _insert(self, event: Event) -> None:
        for body in render.google_events(event):
            self.emulator.admin.add_event(USER, body)

    def add(self, event: Event) -> None:
        super().add(event)
        self._insert(event)

    def remove(self, uid: str) -> None:
        super().remove(uid)
        self.emulator.admin.delete_event(USER, render.google_id(uid))

    def fail(self) -> None:
        self.emulator.admin.fail(500, path="/calendar/v3/*", times=1000)

    def heal(self) -> None:
        self.emulator.admin.clear_faults()


class GoogleFreeBusyHarness(GoogleHarness):
    """The same calendar in privacy mode: free/busy only, no titles, nothing to compare."""

    kind = "google_freebusy"
    titles = False
    tells_unchanged = False

    def _source(self) -> CalendarSource:
        service, _ = connect(self.emulator, [FREEBUSY])
        return GoogleFreeBusySource(service, USER, policy=no_waiting())


def no_waiting() -> RetryPolicy:
    """Google's retry policy without the sleeping, so failures stay fast."""
    return RetryPolicy(sleep=lambda _: None, random=lambda: 0.0)


class CaldavHarness(Harness):
    """A calendar on a real Radicale, one object per UID; a failure is the calendar gone
    from the server (404), healed by making it again."""

    kind = "caldav"

    def __init__(self, events: Iterable[Event], radicale: RunningRadicale) -> None:
        super().__init__(events)
        self.radicale = radicale
        self.url = self._make()
        login = Credentials(CALDAV_USER, PASSWORD)
        self.source = CaldavSource(radicale.url, login, self.url, ZONE, network=NETWORK)

    def _make(self) -> str:
        url = self.radicale.make_calendar("contract", "Contract")
        for event in self.events:
            self.radicale.put(url, f"{event.uid}.ics", render.ics_object(event))
        return url

    def add(self, event: Event) -> None:
        super().add(event)
        self.radicale.put(self.url, f"{event.uid}.ics", render.ics_object(event))

    def remove(self, uid: str) -> None:
        super().remove(uid)
        self.radicale.delete(f"{self.url}{uid}.ics")

    def fail(self) -> None:
        self.radicale.delete(self.url)

    def heal(self) -> None:
        self._make()
