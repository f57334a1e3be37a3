"""Sending over SMTP to a real server on 127.0.0.1: plain, STARTTLS with login, implicit
TLS; failures told apart (try again later or not); timeouts bounded."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from icalendar import Calendar

from integrations.mail.message import invite_message
from integrations.mail.smtp import RetryPolicy, SendError, SmtpSettings, send
from tests.integrations.mail.test_message import invite, letter
from tests.mailserver import (
    PASSWORD,
    USER,
    Certificate,
    Inbox,
    authenticate,
    self_signed,
    smtp_server,
)

STAMP = datetime(2026, 3, 1, 12, tzinfo=UTC)


def message() -> EmailMessage:
    return invite_message(letter(), invite(), method="REQUEST", stamp=STAMP)


def test_plain_smtp_delivers_a_message_that_parses(inbox: Inbox, smtp_port: int) -> None:
    send(message(), SmtpSettings("127.0.0.1", smtp_port, security="none", timeout=5))
    (received,) = inbox.messages
    assert received.mail_from == "planner@example.org"
    assert received.rcpt_tos == ["lena@example.com"]
    parsed = received.parsed()
    (part,) = [p for p in parsed.walk() if p.get_content_type() == "text/calendar"]
    (event,) = Calendar.from_ical(part.get_content()).walk("VEVENT")
    assert int(event["SEQUENCE"]) == 2


@pytest.fixture
def certificate(tmp_path: Path) -> Certificate:
    return self_signed(tmp_path)


def test_starttls_with_login(certificate: Certificate, inbox: Inbox) -> None:
    options = {"tls_context": certificate.server_context(), "require_starttls": True,
               "authenticator": authenticate, "auth_require_tls": True}  # fmt: skip
    with smtp_server(inbox, **options) as port:
        settings = SmtpSettings("127.0.0.1", port, "starttls", USER, PASSWORD, 5,
                                cafile=str(certificate.cert))  # fmt: skip
        send(message(), settings)
        with pytest.raises(SendError) as refused:
            send(
                message(),
                SmtpSettings(
                    "127.0.0.1", port, "starttls", USER, "wrong", 5, cafile=str(certificate.cert)
                ),
            )
    assert len(inbox.messages) == 1
    assert not refused.value.transient and "535" in refused.value.message


def test_implicit_tls(certificate: Certificate, inbox: Inbox) -> None:
    with smtp_server(inbox, ssl_context=certificate.server_context()) as port:
        send(message(), SmtpSettings("127.0.0.1", port, "tls", timeout=5,
                                     cafile=str(certificate.cert)))  # fmt: skip
    assert len(inbox.messages) == 1


def test_a_certificate_that_does_not_verify_is_a_permanent_failure(
    certificate: Certificate, inbox: Inbox
) -> None:
    with (
        smtp_server(inbox, ssl_context=certificate.server_context()) as port,
        pytest.raises(SendError) as failed,
    ):
        send(message(), SmtpSettings("127.0.0.1", port, "tls", timeout=5))
    assert not failed.value.transient and not inbox.messages


def test_starttls_asked_of_a_server_without_it_is_a_permanent_failure(
    inbox: Inbox, smtp_port: int
) -> None:
    with pytest.raises(SendError) as failed:
        send(message(), SmtpSettings("127.0.0.1", smtp_port, "starttls", timeout=5))
    assert not failed.value.transient and not inbox.messages


@pytest.mark.parametrize(
    ("reply", "transient"),
    [("451 4.3.0 Try again later", True), ("554 5.7.1 Rejected", False)],
)
def test_replies_are_classified(inbox: Inbox, smtp_port: int, reply: str, transient: bool) -> None:
    inbox.fail.append(reply)
    with pytest.raises(SendError) as failed:
        send(message(), SmtpSettings("127.0.0.1", smtp_port, "none", timeout=5))
    assert failed.value.transient is transient and reply[:3] in failed.value.message


def test_a_refused_connection_is_transient() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again below: nothing listens there
    with pytest.raises(SendError) as failed:
        send(message(), SmtpSettings("127.0.0.1", port, "none", timeout=2))
    assert failed.value.transient


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A server that accepts connections and never says a word."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join(2)
    for conn in accepted:
        conn.close()
    listener.close()


def test_a_server_that_never_answers_times_out(silent_port: int) -> None:
    began = time.monotonic()
    with pytest.raises(SendError) as failed:
        send(message(), SmtpSettings("127.0.0.1", silent_port, "none", timeout=0.5))
    assert failed.value.transient and time.monotonic() - began < 3


def test_the_retry_policy_backs_off_and_gives_up() -> None:
    policy = RetryPolicy(attempts=4, first=timedelta(minutes=1), longest=timedelta(minutes=3))
    delays = [policy.next_try(n, STAMP) for n in range(1, 5)]
    assert [d - STAMP for d in delays[:3] if d] == [timedelta(minutes=m) for m in (1, 2, 3)]
    assert delays[3] is None
