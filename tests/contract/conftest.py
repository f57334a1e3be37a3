"""The ``harness`` fixture: every kind of calendar source, built from the canonical events,
each against its real server on loopback (started only for the kinds that need one)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.contract.canon import EVENTS
from tests.contract.harness import (
    CaldavHarness,
    GoogleFreeBusyHarness,
    GoogleHarness,
    Harness,
    MemoryHarness,
    UploadHarness,
    UrlHarness,
)
from tests.integrations.caldav.conftest import radicale  # noqa: F401
from tests.integrations.google.conftest import google_emulator  # noqa: F401
from tests.services.test_sources import server  # noqa: F401

Builder = Callable[[pytest.FixtureRequest], Harness]

KINDS: dict[str, Builder] = {
    "caldav": lambda request: CaldavHarness(EVENTS, request.getfixturevalue("radicale")),
    "memory": lambda request: MemoryHarness(EVENTS),
    "upload": lambda request: UploadHarness(EVENTS),
    "ics_url": lambda request: UrlHarness(EVENTS, request.getfixturevalue("server")),
    "google_events": lambda request: GoogleHarness(
        EVENTS, request.getfixturevalue("google_emulator")
    ),
    "google_freebusy": lambda request: GoogleFreeBusyHarness(
        EVENTS, request.getfixturevalue("google_emulator")
    ),
}


@pytest.fixture(params=sorted(KINDS))
def harness(request: pytest.FixtureRequest) -> Harness:
    """One kind of source holding the canonical events."""
    return KINDS[request.param](request)
