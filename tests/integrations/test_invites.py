"""Invites: RFC 5546 shape, stable UIDs, and user text that cannot escape its property."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from icalendar import Calendar

from integrations.ics.invites import (
    InvalidAddress,
    Invite,
    Person,
    clean_text,
    invite_calendar,
    stable_uid,
)

STAMP = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
START = datetime(2026, 12, 4, 18, 0, tzinfo=UTC)


def make_invite(**changes: object) -> Invite:
    fields: dict[str, object] = {
        "uid": stable_uid("date-night", "2026-12-04T18:00:00Z"),
        "start": START,
        "end": START + timedelta(hours=2, minutes=30),
        "summary": "Date night",
        "description": "Phones away.",
        "organizer": Person("lena@example.org", "Lena"),
        "attendees": (Person("lena@example.org", "Lena"), Person("sam@example.com", "Sam")),
    }
    fields.update(changes)
    return Invite(**fields)  # type: ignore[arg-type]


def only_event(data: bytes) -> tuple[Calendar, object]:
    calendar = Calendar.from_ical(data)
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    return calendar, events[0]


def test_request_has_method_organizer_attendees_and_stable_uid() -> None:
    data = invite_calendar([make_invite()], method="REQUEST", stamp=STAMP)
    calendar, event = only_event(data)
    assert calendar["METHOD"] == "REQUEST"
    assert str(event["ORGANIZER"]) == "mailto:lena@example.org"  # type: ignore[index]
    attendees = event["ATTENDEE"]  # type: ignore[index]
    assert [str(a) for a in attendees] == ["mailto:lena@example.org", "mailto:sam@example.com"]
    assert all(a.params["RSVP"] == "TRUE" for a in attendees)
    assert event["UID"] == stable_uid("date-night", "2026-12-04T18:00:00Z")  # type: ignore[index]
    assert event["STATUS"] == "TENTATIVE"  # type: ignore[index]
    assert event.decoded("DTSTART") == START  # type: ignore[attr-defined]


def test_same_invites_give_the_same_bytes() -> None:
    one = invite_calendar([make_invite()], method="REQUEST", stamp=STAMP)
    assert one == invite_calendar([make_invite()], method="REQUEST", stamp=STAMP)


def test_stable_uid_differs_by_parts_and_not_by_call() -> None:
    assert stable_uid("a", "b") == stable_uid("a", "b")
    assert stable_uid("a", "b") != stable_uid("ab")
    assert stable_uid("a", "b").endswith("@connection-planner.invalid")


def test_cancel_carries_sequence() -> None:
    data = invite_calendar(
        [make_invite(sequence=3, status="CANCELLED")], method="CANCEL", stamp=STAMP
    )
    calendar, event = only_event(data)
    assert calendar["METHOD"] == "CANCEL"
    assert event["SEQUENCE"] == 3  # type: ignore[index]


def test_no_organizer_without_people() -> None:
    _, event = only_event(
        invite_calendar([make_invite(organizer=None, attendees=())], method="REQUEST", stamp=STAMP)
    )
    assert "ORGANIZER" not in event  # type: ignore[operator]
    assert "ATTENDEE" not in event  # type: ignore[operator]


@pytest.mark.parametrize("address", ["", "sam", "sam@", "a@b", "x@y.z\r\nBCC:e@f.g", "<a@b.c>"])
def test_bad_addresses_are_refused(address: str) -> None:
    with pytest.raises(InvalidAddress):
        Person(address)


def test_issue_injection_summary_cannot_add_a_component() -> None:
    evil = "Hi\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:evil\r\nSUMMARY:owned"
    data = invite_calendar([make_invite(summary=evil)], method="REQUEST", stamp=STAMP)
    _, event = only_event(data)
    assert str(event["SUMMARY"]) == clean_text(evil)  # type: ignore[index]


def test_issue_injection_name_cannot_add_a_parameter() -> None:
    person = Person("sam@example.com", 'Sam"; ROLE=CHAIR\r\nX-EVIL:1')
    data = invite_calendar([make_invite(attendees=(person,))], method="REQUEST", stamp=STAMP)
    _, event = only_event(data)
    attendee = event["ATTENDEE"]  # type: ignore[index]
    assert attendee.params["ROLE"] == "REQ-PARTICIPANT"
    assert "X-EVIL" not in event  # type: ignore[operator]


@given(st.text(max_size=300), st.text(max_size=300))
def test_any_user_text_round_trips_inside_its_property(summary: str, description: str) -> None:
    data = invite_calendar(
        [make_invite(summary=summary, description=description)], method="REQUEST", stamp=STAMP
    )
    _, event = only_event(data)
    assert str(event["SUMMARY"]) == clean_text(summary)  # type: ignore[index]
    if clean_text(description):
        assert str(event["DESCRIPTION"]) == clean_text(description)  # type: ignore[index]
