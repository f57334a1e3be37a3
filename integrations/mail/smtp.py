"""Sending one message over SMTP: STARTTLS, implicit TLS or plain, with bounded timeouts.

:func:`send` either returns (the server accepted the message) or raises :class:`SendError`
saying whether trying again later can help (4xx replies, refused or dropped connections,
timeouts) or not (5xx replies, a certificate that does not verify, a server without
STARTTLS). Retrying is the caller's business: :class:`RetryPolicy` says when, and the
caller must make sure one message is handed to :func:`send` by one worker at a time.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Literal

from integrations.mail.message import recipients

Security = Literal["starttls", "tls", "none"]
SECURITIES: tuple[Security, ...] = ("starttls", "tls", "none")


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to hand mail over. ``cafile`` trusts one more CA (tests use it)."""

    host: str
    port: int = 587
    security: Security = "starttls"
    username: str = ""
    password: str = ""
    timeout: float = 10.0
    cafile: str | None = None


class SendError(Exception):
    """The message was not accepted; ``transient`` when trying later may succeed."""

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.message = message
        self.transient = transient


def _context(settings: SmtpSettings) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=settings.cafile)


def _connect(settings: SmtpSettings) -> smtplib.SMTP:
    """An open, greeted (and, when asked, encrypted and authenticated) connection."""
    if settings.security == "tls":
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            settings.host, settings.port, timeout=settings.timeout, context=_context(settings)
        )
    else:
        client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    try:
        client.ehlo()
        if settings.security == "starttls":
            client.starttls(context=_context(settings))
            client.ehlo()
        if settings.username:
            client.login(settings.username, settings.password)
    except BaseException:
        client.close()
        raise
    return client


def send(message: EmailMessage, settings: SmtpSettings) -> None:
    """Hand ``message`` to the server (envelope from its From and To headers);
    :class:`SendError` when it was not accepted."""
    sender, to = recipients(message)
    send_bytes(message.as_bytes(), sender, to, settings)


def send_bytes(data: bytes, sender: str, to: list[str], settings: SmtpSettings) -> None:
    """Hand the message ``data`` (CRLF lines, as :meth:`EmailMessage.as_bytes` with the SMTP
    policy gives) to the server for ``to``; :class:`SendError` when it was not accepted."""
    try:
        client = _connect(settings)
        try:
            client.sendmail(sender, to, data)
        finally:
            _quit(client)
    except Exception as error:  # every failure is classified; nothing escapes unexplained
        raise classify(error) from error


def _quit(client: smtplib.SMTP) -> None:
    """Say goodbye; the message was already accepted, so a failure here changes nothing."""
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        client.close()


def _code(error: Exception) -> int | None:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        return max(codes) if codes else None
    return getattr(error, "smtp_code", None)


def classify(error: Exception) -> SendError:
    """A :class:`SendError` for what :mod:`smtplib` or the network raised."""
    code = _code(error)
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return SendError(f"the mail server does not support this: {error}", transient=False)
    if isinstance(error, ssl.SSLCertVerificationError):
        return SendError(f"the mail server's certificate: {error.verify_message}", transient=False)
    if code is not None:
        text = _reply_text(error)
        return SendError(f"the mail server answered {code} {text}".strip(), transient=code < 500)
    return SendError(f"could not reach the mail server: {error or type(error).__name__}",
                     transient=True)  # fmt: skip


def _reply_text(error: Exception) -> str:
    raw = getattr(error, "smtp_error", b"")
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        raw = b" ".join(text for _, text in error.recipients.values())
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    return " ".join(text.split())[:300]


@dataclass(frozen=True)
class RetryPolicy:
    """When to try a transient failure again: ``first`` after the first failure, doubling up
    to ``longest``, at most ``attempts`` tries in all."""

    attempts: int = 8
    first: timedelta = timedelta(minutes=1)
    longest: timedelta = timedelta(hours=6)

    def next_try(self, failures: int, now: datetime) -> datetime | None:
        """When to try again after ``failures`` failed tries, or None to give up."""
        if failures >= self.attempts:
            return None
        delay: timedelta = min(self.first * 2 ** max(failures - 1, 0), self.longest)
        return now + delay
