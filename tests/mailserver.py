"""A real SMTP server on 127.0.0.1 for tests (aiosmtpd), plain, STARTTLS or implicit TLS,
with a self-signed certificate made on the spot. A server that cannot start skips the test
and says why."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

USER, PASSWORD = "planner", "mail-password"


@dataclass
class Received:
    """One message the server accepted."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    def parsed(self) -> EmailMessage:
        """The message as the email package reads it."""
        message: EmailMessage = message_from_bytes(self.data, policy=default)
        return message


@dataclass
class Inbox:
    """The server's handler: accepts mail, or answers with the replies queued in ``fail``."""

    messages: list[Received] = field(default_factory=list)
    fail: list[str] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.fail:
            return self.fail.pop(0)
        data = envelope.original_content or envelope.content
        self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(data)))
        return "250 2.0.0 Message accepted"


class _Loopback(Controller):
    """aiosmtpd's controller on port 0: it must look up the port it got before checking
    the server answers."""

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, auth: Any) -> Any:
    ok = getattr(auth, "login", b"") == USER.encode() and auth.password == PASSWORD.encode()
    return AuthResult(success=ok, handled=False)


@contextmanager
def smtp_server(inbox: Inbox, **options: Any) -> Iterator[int]:
    """An SMTP server on 127.0.0.1 delivering into ``inbox``; yields its port."""
    controller = _Loopback(inbox, hostname="127.0.0.1", port=0, ready_timeout=5, **options)
    try:
        controller.start()
    except (OSError, TimeoutError) as error:
        pytest.skip(f"an SMTP server cannot start on 127.0.0.1: {error}")
    try:
        yield controller.port
    finally:
        controller.stop()


@dataclass(frozen=True)
class Certificate:
    """A self-signed certificate for 127.0.0.1 and localhost, as files."""

    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        """A TLS server context with this certificate."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        return context


def self_signed(folder: Path) -> Certificate:
    """A fresh self-signed certificate (its own CA) in ``folder``."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    san = x509.SubjectAlternativeName(
        [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
    )
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(san, critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    paths = Certificate(folder / "cert.pem", folder / "key.pem")
    paths.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


@pytest.fixture
def inbox() -> Inbox:
    """An empty inbox."""
    return Inbox()


@pytest.fixture
def smtp_port(inbox: Inbox) -> Iterator[int]:
    """A plain SMTP server on 127.0.0.1 delivering into ``inbox``."""
    with smtp_server(inbox) as port:
        yield port
