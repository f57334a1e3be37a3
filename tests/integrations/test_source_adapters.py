"""What each source adapter does beyond the shared contract (``tests/contract``): its own
change detection, its own failures, and the in-memory source's record rules. Real servers on
loopback: the ICS server, the Calendar v3 emulator, Radicale."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from integrations.caldav.client import Credentials
from integrations.caldav.source import AUTH, CaldavSource
from integrations.google.config import READ
from integrations.google.emulator import RunningEmulator
from integrations.google.source import (
    REVOKED,
    SLACK,
    UNREACHABLE,
    GoogleEventsSource,
    GoogleFreeBusySource,
)
from integrations.ics.fetch import REFUSED_MESSAGE, AddressPolicy
from integrations.ics.source import NO_COPY, UploadSource, UrlSource
from integrations.memory import MemoryEvent, MemorySource
from integrations.sources import SourceFailed
from planner.core.intervals import Interval
from tests.contract import render
from tests.contract.canon import BUSY, EVENTS, WINDOW, ZONE, at, utc
from tests.contract.harness import LOOPBACK, no_waiting
from tests.integrations.caldav.conftest import (
    NETWORK,
    PASSWORD,
    USER,
    RunningRadicale,
    radicale,  # noqa: F401
)
from tests.integrations.google.conftest import google_emulator  # noqa: F401
from tests.integrations.google.test_client_support import USER as GOOGLE_USER
from tests.integrations.google.test_client_support import connect, register
from tests.services.test_sources import CalendarServer, server  # noqa: F401

DAY = Interval(utc("2026-10-20T00:00"), utc("2026-10-21T00:00"))

# --- uploads and links -----------------------------------------------------------------------


def test_an_upload_tells_a_new_file_from_the_same_one() -> None:
    source = UploadSource(render.ics(EVENTS), ZONE)
    assert not source.read(WINDOW).unchanged
    assert source.read(WINDOW).unchanged
    source.data = b"not a calendar"
    with pytest.raises(SourceFailed, match="That calendar cannot be read"):
        source.read(WINDOW)
    source.data = render.ics(EVENTS)
    assert source.read(WINDOW).unchanged  # the failed read left the state alone


def test_a_link_sends_validators_only_while_it_keeps_a_body(
    server: CalendarServer,  # noqa: F811
) -> None:
    server.served.body, server.served.etag = render.ics(EVENTS), '"one"'
    source = UrlSource(server.url(), ZONE, policy=LOOPBACK, etag='"one"')
    assert not source.read(WINDOW).unchanged  # no body kept: an unconditional GET
    assert "If-None-Match" not in server.served.requests[-1]
    again = source.read(WINDOW)
    assert again.unchanged and again.busy(WINDOW) == BUSY
    assert server.served.requests[-1]["If-None-Match"] == '"one"'
    assert source.body == render.ics(EVENTS) and source.fetched_url == server.url()


def test_a_not_modified_answer_without_a_kept_body_fails(
    server: CalendarServer,  # noqa: F811
) -> None:
    server.served.etag = None  # type: ignore[assignment] # now it answers 304 to any GET
    source = UrlSource(server.url(), ZONE, policy=LOOPBACK)
    with pytest.raises(SourceFailed) as caught:
        source.read(WINDOW)
    assert caught.value.message == NO_COPY and source.body is None


def test_a_refused_link_is_never_fetched(server: CalendarServer) -> None:  # noqa: F811
    source = UrlSource(server.url(), ZONE, policy=AddressPolicy())
    with pytest.raises(SourceFailed) as caught:
        source.read(WINDOW)
    assert caught.value.message == REFUSED_MESSAGE and server.served.requests == []


# --- Google ----------------------------------------------------------------------------------


@pytest.fixture
def emulator(google_emulator: RunningEmulator) -> RunningEmulator:  # noqa: F811
    register(google_emulator, zone=ZONE)
    for event in EVENTS:
        for body in render.google_events(event):
            google_emulator.admin.add_event(GOOGLE_USER, body)
    return google_emulator


def test_google_reads_a_week_more_and_stays_incremental(emulator: RunningEmulator) -> None:
    service, _ = connect(emulator, [READ])
    source = GoogleEventsSource(service, GOOGLE_USER, policy=no_waiting())
    first = source.read(WINDOW)
    assert first.window == Interval(WINDOW.start, WINDOW.end + SLACK)
    assert source.snapshot is not None and source.snapshot.sync_token
    emulator.admin.clear_log()
    later = Interval(WINDOW.start + timedelta(days=2), WINDOW.end + timedelta(days=2))
    assert source.read(later).unchanged  # inside the snapshot: incremental, nothing new
    assert all("syncToken" in e.query for e in emulator.admin.log() if "/events" in e.path)
    emulator.admin.expire_sync_tokens()
    again = source.read(WINDOW)
    assert not again.unchanged and again.busy(WINDOW) == BUSY


def test_a_revoked_grant_asks_for_a_reconnect(emulator: RunningEmulator) -> None:
    service, _ = connect(emulator, [READ])
    emulator.admin.revoke_refresh_tokens(GOOGLE_USER)
    emulator.admin.expire_access_tokens()
    with pytest.raises(SourceFailed) as caught:
        GoogleEventsSource(service, GOOGLE_USER, policy=no_waiting()).read(WINDOW)
    assert caught.value.reconnect and caught.value.message == REVOKED


def test_a_calendar_free_busy_cannot_read_is_a_failure_not_free(
    emulator: RunningEmulator,
) -> None:
    service, _ = connect(emulator, ["https://www.googleapis.com/auth/calendar.freebusy"])
    source = GoogleFreeBusySource(service, "nobody@example.org", policy=no_waiting())
    with pytest.raises(SourceFailed) as caught:
        source.read(WINDOW)
    assert caught.value.message == UNREACHABLE and not caught.value.reconnect


# --- CalDAV ----------------------------------------------------------------------------------


@pytest.fixture
def calendar(radicale: RunningRadicale) -> str:  # noqa: F811
    url = radicale.make_calendar("work", "Work")
    for event in EVENTS:
        radicale.put(url, f"{event.uid}.ics", render.ics_object(event))
    return url


def caldav(
    radicale: RunningRadicale,  # noqa: F811
    url: str,
    password: str = PASSWORD,
) -> CaldavSource:
    return CaldavSource(radicale.url, Credentials(USER, password), url, ZONE, network=NETWORK)


def test_an_unchanged_caldav_calendar_costs_one_request(
    radicale: RunningRadicale,  # noqa: F811
    calendar: str,
) -> None:
    source = caldav(radicale, calendar)
    source.read(WINDOW)
    assert source.ctag and source.covered == Interval(WINDOW.start, WINDOW.end + SLACK)
    radicale.requests.clear()
    again = source.read(WINDOW)
    assert again.unchanged and again.busy(WINDOW) == BUSY
    assert [method for method, _ in radicale.requests] == ["PROPFIND"]


def test_a_refused_expansion_is_remembered(
    radicale: RunningRadicale,  # noqa: F811
    calendar: str,
) -> None:
    radicale.refuse_expand = True
    source = caldav(radicale, calendar)
    assert source.read(WINDOW).busy(WINDOW) == BUSY
    assert source.expand is False
    radicale.put(calendar, "extra.ics", render.ics_object(EVENTS[1]).replace(b"dentist", b"x"))
    radicale.requests.clear()
    source.read(WINDOW)
    assert radicale.count("REPORT") == 1  # asked without expansion straight away


def test_refused_credentials_ask_for_a_reconnect(
    radicale: RunningRadicale,  # noqa: F811
    calendar: str,
) -> None:
    with pytest.raises(SourceFailed) as caught:
        caldav(radicale, calendar, "wrong").read(WINDOW)
    assert caught.value.reconnect and caught.value.message == AUTH


# --- in memory -------------------------------------------------------------------------------


def test_memory_reads_floating_times_and_dates_in_its_zone() -> None:
    source = MemorySource(
        [
            MemoryEvent("a", datetime(2026, 10, 20, 10), datetime(2026, 10, 20, 11), "Floating"),
            MemoryEvent("b", date(2026, 10, 20), date(2026, 10, 21), "All day", transparent=True),
        ],
        zone=ZONE,
    )
    (block,) = source.read(DAY).blocks
    assert (block.start, block.end, block.title) == (
        utc("2026-10-20T08:00"),
        utc("2026-10-20T09:00"),
        "Floating",
    )


def test_memory_replaces_a_record_with_the_same_uid_and_instance() -> None:
    source = MemorySource([MemoryEvent("a", at("2026-10-20T10:00"), at("2026-10-20T11:00"))])
    source.put(MemoryEvent("a", at("2026-10-20T12:00"), at("2026-10-20T13:00"), "Moved"))
    assert [b.title for b in source.read(DAY).blocks] == ["Moved"]
    assert source.read(DAY).unchanged
    source.remove("a")
    assert source.read(DAY).blocks == ()


def test_a_moved_instance_that_is_cancelled_is_free() -> None:
    series = MemoryEvent("s", at("2026-10-19T09:00"), at("2026-10-19T10:00"), "S", weekly=3)
    gone = MemoryEvent("s", at("2026-10-26T09:00"), at("2026-10-26T10:00"), cancelled=True,
                       recurrence_id=at("2026-10-26T09:00"))  # fmt: skip
    busy = MemorySource([series, gone], ZONE).read(WINDOW).busy()
    assert busy == [
        Interval(utc("2026-10-19T07:00"), utc("2026-10-19T08:00")),
        Interval(utc("2026-11-02T08:00"), utc("2026-11-02T09:00")),  # CET by then
    ]


@pytest.mark.parametrize(
    "record",
    [
        lambda: MemoryEvent("x", date(2026, 1, 1), datetime(2026, 1, 1, 10, tzinfo=UTC)),
        lambda: MemoryEvent("x", date(2026, 1, 1), date(2026, 1, 2), weekly=0),
        lambda: MemoryEvent("x", date(2026, 1, 1), date(2026, 1, 2), weekly=100_000),
    ],
    ids=["date-and-time", "no-occurrence", "too-many"],
)
def test_memory_refuses_records_it_cannot_read(record: object) -> None:
    with pytest.raises(ValueError, match="event 'x'"):
        record()  # type: ignore[operator]
