"""iTIP REPLY parsing: the answer in a well-formed reply, a clear refusal for anything else."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from integrations.mail.reply import MAX_REPLY_BYTES, InvalidReply, parse_reply


def reply(
    *,
    method: str = "REPLY",
    event: str | None = None,
    attendee: str = "ATTENDEE;PARTSTAT=ACCEPTED;CN=Lena:mailto:Lena@Example.com",
    sequence: str | None = "SEQUENCE:3",
    events: int = 1,
) -> bytes:
    body = event or "\r\n".join(
        line
        for line in (
            "UID:abc@connection-planner.invalid",
            sequence,
            attendee,
            "DTSTAMP:20260301T120000Z",
        )
        if line
    )
    vevents = "".join(f"BEGIN:VEVENT\r\n{body}\r\nEND:VEVENT\r\n" for _ in range(events))
    return (
        f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nMETHOD:{method}\r\n"
        f"{vevents}END:VCALENDAR\r\n"
    ).encode()


def test_a_well_formed_reply() -> None:
    found = parse_reply(reply())
    assert (found.uid, found.sequence, found.attendee, found.partstat) == (
        "abc@connection-planner.invalid",
        3,
        "lena@example.com",
        "ACCEPTED",
    )


def test_sequence_defaults_to_zero_and_partstat_is_case_insensitive() -> None:
    found = parse_reply(reply(sequence=None, attendee="ATTENDEE;PARTSTAT=declined:MAILTO:a@b.c"))
    assert (found.sequence, found.partstat, found.attendee) == (0, "DECLINED", "a@b.c")


MALFORMED = {
    "too large": b"X" * (MAX_REPLY_BYTES + 1),
    "not utf-8": b"\xff\xfe\x00B\x00E",
    "NUL": reply().replace(b"VERSION:2.0", b"VERSION:2.0\x00"),
    "not iCalendar": b"hello, world",
    "empty": b"",
    "a bare VEVENT": b"BEGIN:VEVENT\r\nUID:x\r\nEND:VEVENT\r\n",
    "METHOD:REQUEST": reply(method="REQUEST"),
    "no VEVENT": reply(events=0),
    "two VEVENTs": reply(events=2),
    "no UID": reply(event="SEQUENCE:1\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:a@b.c"),
    "SEQUENCE not a number": reply(sequence="SEQUENCE:three"),
    "negative SEQUENCE": reply(sequence="SEQUENCE:-1"),
    "no ATTENDEE": reply(attendee=""),
    "two ATTENDEEs": reply(
        attendee="ATTENDEE;PARTSTAT=ACCEPTED:mailto:a@b.c\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:d@e.f"
    ),
    "not mailto": reply(attendee="ATTENDEE;PARTSTAT=ACCEPTED:https://example.com/me"),
    "no PARTSTAT": reply(attendee="ATTENDEE:mailto:a@b.c"),
    "PARTSTAT DELEGATED": reply(attendee="ATTENDEE;PARTSTAT=DELEGATED:mailto:a@b.c"),
    "two calendars": reply() + reply(),
}


@pytest.mark.parametrize("data", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_replies_are_refused_with_a_reason(data: bytes) -> None:
    with pytest.raises(InvalidReply) as refused:
        parse_reply(data)
    assert refused.value.reason


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600) | st.text(max_size=600).map(str.encode))
def test_no_input_raises_anything_but_invalid_reply(data: bytes) -> None:
    with contextlib.suppress(InvalidReply):
        parse_reply(b"BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\n" + data)
