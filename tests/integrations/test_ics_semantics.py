"""What counts as busy: one small calendar per rule of the issue, each checked by the oracle."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from tests.integrations.ics_cases import busy, calendar, event, span

ONE_HOUR = ("DTSTART:20240110T100000Z", "DTEND:20240110T110000Z")


def test_opaque_event_is_busy() -> None:
    assert busy(calendar(*event(*ONE_HOUR))).busy == [span((2024, 1, 10, 10), (2024, 1, 10, 11))]


def test_transparent_event_is_free() -> None:
    assert busy(calendar(*event(*ONE_HOUR, "TRANSP:TRANSPARENT"))).busy == []


def test_cancelled_event_is_free() -> None:
    assert busy(calendar(*event(*ONE_HOUR, "STATUS:CANCELLED"))).busy == []


def test_tentative_event_is_busy() -> None:
    assert busy(calendar(*event(*ONE_HOUR, "STATUS:TENTATIVE"))).busy != []


def test_all_day_event_is_read_in_the_owner_zone() -> None:
    data = calendar(*event("DTSTART;VALUE=DATE:20240110", "DTEND;VALUE=DATE:20240111"))
    assert busy(data, zone="Asia/Kolkata").busy == [
        span((2024, 1, 9, 18, 30), (2024, 1, 10, 18, 30))
    ]
    assert busy(data, zone="Pacific/Apia").busy == [span((2024, 1, 9, 11), (2024, 1, 10, 11))]


def test_floating_time_is_read_in_the_owner_zone() -> None:
    data = calendar(*event("DTSTART:20240710T100000", "DTEND:20240710T110000"))
    assert busy(data, zone="America/Bogota").busy == [span((2024, 7, 10, 15), (2024, 7, 10, 16))]


def test_date_start_without_end_lasts_one_day() -> None:
    data = calendar(*event("DTSTART;VALUE=DATE:20240110"))
    assert busy(data, zone="UTC").busy == [span((2024, 1, 10), (2024, 1, 11))]


def test_date_time_start_without_end_has_no_length() -> None:
    assert busy(calendar(*event("DTSTART:20240110T100000Z"))).busy == []


def test_duration_is_honoured() -> None:
    data = calendar(*event("DTSTART:20240110T100000Z", "DURATION:PT1H30M"))
    assert busy(data).busy == [span((2024, 1, 10, 10), (2024, 1, 10, 11, 30))]


def test_duration_of_days_on_a_date() -> None:
    data = calendar(*event("DTSTART;VALUE=DATE:20240110", "DURATION:P2D"))
    assert busy(data, zone="UTC").busy == [span((2024, 1, 10), (2024, 1, 12))]


def test_end_before_start_is_swapped_like_the_reference() -> None:
    data = calendar(*event("DTSTART:20240110T110000Z", "DTEND:20240110T100000Z"))
    assert busy(data).busy == [span((2024, 1, 10, 10), (2024, 1, 10, 11))]


def test_x_wr_timezone_keeps_google_series_on_local_wall_time() -> None:
    data = calendar(
        *event("DTSTART:20240320T090000Z", "DTEND:20240320T100000Z", "RRULE:FREQ=DAILY;COUNT=20"),
        head=("X-WR-TIMEZONE:Europe/Berlin",),
    )
    result = busy(data)
    assert result.busy[0] == span((2024, 3, 20, 9), (2024, 3, 20, 10))
    assert result.busy[-1] == span((2024, 4, 8, 8), (2024, 4, 8, 9))  # 10:00 CEST


def test_windows_zone_name_from_outlook() -> None:
    data = calendar(
        *event(
            "DTSTART;TZID=W. Europe Standard Time:20240710T100000",
            "DTEND;TZID=W. Europe Standard Time:20240710T110000",
        )
    )
    assert busy(data).busy == [span((2024, 7, 10, 8), (2024, 7, 10, 9))]


CUSTOM_ZONE = (
    "BEGIN:VTIMEZONE",
    "TZID:My Office",
    "BEGIN:STANDARD",
    "DTSTART:19700101T000000",
    "TZOFFSETFROM:+0300",
    "TZOFFSETTO:+0300",
    "TZNAME:OFF",
    "END:STANDARD",
    "END:VTIMEZONE",
)


def test_custom_vtimezone() -> None:
    data = calendar(
        *CUSTOM_ZONE,
        *event("DTSTART;TZID=My Office:20240710T100000", "DTEND;TZID=My Office:20240710T110000"),
    )
    assert busy(data).busy == [span((2024, 7, 10, 7), (2024, 7, 10, 8))]


def test_globally_unique_tzid_prefix() -> None:
    data = calendar(
        *event(
            "DTSTART;TZID=/freeassociation.sourceforge.net/Europe/Berlin:20240710T100000",
            "DTEND;TZID=/freeassociation.sourceforge.net/Europe/Berlin:20240710T110000",
        )
    )
    assert busy(data).busy == [span((2024, 7, 10, 8), (2024, 7, 10, 9))]


WEEKLY = (
    "DTSTART;TZID=Europe/Berlin:20240101T100000",
    "DTEND;TZID=Europe/Berlin:20240101T110000",
    "RRULE:FREQ=WEEKLY;COUNT=3",
)


def test_exdate_removes_an_occurrence() -> None:
    data = calendar(*event(*WEEKLY, "EXDATE;TZID=Europe/Berlin:20240108T100000"))
    assert len(busy(data).busy) == 2


def test_exdate_as_date_removes_the_day() -> None:
    data = calendar(*event(*WEEKLY, "EXDATE;VALUE=DATE:20240108"))
    assert len(busy(data).busy) == 2


def test_rdate_adds_an_occurrence() -> None:
    data = calendar(*event(*WEEKLY, "RDATE;TZID=Europe/Berlin:20240103T150000"))
    assert span((2024, 1, 3, 14), (2024, 1, 3, 15)) in busy(data).busy


def test_rdate_period_has_its_own_length() -> None:
    data = calendar(*event(*WEEKLY, "RDATE;VALUE=PERIOD:20240103T150000Z/20240103T180000Z"))
    assert span((2024, 1, 3, 15), (2024, 1, 3, 18)) in busy(data).busy


def test_rdate_period_with_duration() -> None:
    data = calendar(*event(*WEEKLY, "RDATE;VALUE=PERIOD:20240103T150000Z/PT30M"))
    assert span((2024, 1, 3, 15), (2024, 1, 3, 15, 30)) in busy(data).busy


def test_recurrence_id_moves_one_occurrence() -> None:
    moved = event(
        "RECURRENCE-ID;TZID=Europe/Berlin:20240108T100000",
        "DTSTART;TZID=Europe/Berlin:20240109T140000",
        "DTEND;TZID=Europe/Berlin:20240109T150000",
    )
    result = busy(calendar(*event(*WEEKLY), *moved))
    assert span((2024, 1, 9, 13), (2024, 1, 9, 14)) in result.busy
    assert span((2024, 1, 8, 9), (2024, 1, 8, 10)) not in result.busy


def test_recurrence_id_can_cancel_one_occurrence() -> None:
    cancelled = event(
        "RECURRENCE-ID;TZID=Europe/Berlin:20240108T100000",
        "DTSTART;TZID=Europe/Berlin:20240108T100000",
        "DTEND;TZID=Europe/Berlin:20240108T110000",
        "STATUS:CANCELLED",
    )
    assert len(busy(calendar(*event(*WEEKLY), *cancelled)).busy) == 2


def test_range_thisandfuture_moves_later_occurrences() -> None:
    later = event(
        "RECURRENCE-ID;RANGE=THISANDFUTURE;TZID=Europe/Berlin:20240108T100000",
        "DTSTART;TZID=Europe/Berlin:20240108T120000",
        "DTEND;TZID=Europe/Berlin:20240108T123000",
    )
    result = busy(calendar(*event(*WEEKLY), *later))
    assert span((2024, 1, 15, 11), (2024, 1, 15, 11, 30)) in result.busy


def test_nonexistent_local_time_uses_the_offset_before_the_gap() -> None:
    """RFC 5545 §3.3.5: 02:30 on the spring-forward day is read with +01:00."""
    data = calendar(
        *event(
            "DTSTART;TZID=Europe/Berlin:20240331T023000",
            "DTEND;TZID=Europe/Berlin:20240331T040000",
        )
    )
    assert busy(data).busy == [span((2024, 3, 31, 1, 30), (2024, 3, 31, 2))]


def test_ambiguous_local_time_is_the_first_occurrence() -> None:
    """RFC 5545 §3.3.5: 02:30 on the fall-back day is the first (CEST) 02:30."""
    data = calendar(
        *event(
            "DTSTART;TZID=Europe/Berlin:20241027T023000",
            "DTEND;TZID=Europe/Berlin:20241027T023100",
        )
    )
    assert busy(data).busy == [span((2024, 10, 27, 0, 30), (2024, 10, 27, 0, 31))]


def test_lord_howe_half_hour_dst_series() -> None:
    data = calendar(
        *event(
            "DTSTART;TZID=Australia/Lord_Howe:20240401T090000",
            "DTEND;TZID=Australia/Lord_Howe:20240401T100000",
            "RRULE:FREQ=DAILY;COUNT=14",
        )
    )
    assert len(busy(data, zone=ZoneInfo("Australia/Lord_Howe")).busy) == 14


def test_duplicate_uid_keeps_the_highest_sequence() -> None:
    old = event(*ONE_HOUR, "SEQUENCE:1")
    new = event("DTSTART:20240111T100000Z", "DTEND:20240111T110000Z", "SEQUENCE:2")
    assert busy(calendar(*old, *new)).busy == [span((2024, 1, 11, 10), (2024, 1, 11, 11))]


def test_busy_is_clipped_to_the_horizon() -> None:
    data = calendar(*event("DTSTART:20231231T230000Z", "DTEND:20240101T010000Z"))
    assert busy(data).busy == [span((2024, 1, 1), (2024, 1, 1, 1))]


def test_until_as_date_on_a_timed_series_is_repaired_like_the_reference() -> None:
    data = calendar(
        *event(
            "DTSTART;TZID=Europe/Berlin:20240101T100000",
            "DTEND;TZID=Europe/Berlin:20240101T110000",
            "RRULE:FREQ=DAILY;UNTIL=20240105",
        )
    )
    assert len(busy(data).busy) == 4


def test_two_calendars_in_one_file_are_both_read() -> None:
    first = calendar(*event(*ONE_HOUR))
    second = calendar(*event("DTSTART:20240111T100000Z", "DTEND:20240111T110000Z"))
    assert len(busy(first + second).busy) == 2


def test_a_bare_vevent_without_vcalendar_is_read() -> None:
    data = ("\r\n".join(event(*ONE_HOUR)) + "\r\n").encode()
    assert busy(data).busy == [span((2024, 1, 10, 10), (2024, 1, 10, 11))]


def test_garbage_before_the_rule_parts_is_ignored_like_icalendar_does() -> None:
    """node-ical's badRRULE.ics: ``RRULE:RRULE:AnythingRandom;FREQ=WEEKLY;...``."""
    data = calendar(*event(*ONE_HOUR, "RRULE:RRULE:AnythingRandom;FREQ=WEEKLY;COUNT=3"))
    assert len(busy(data).busy) == 3
