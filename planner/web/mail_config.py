"""Mail settings from the environment (``PLANNER_SMTP_*``, ``PLANNER_MAIL_FROM``,
``PLANNER_INBOUND_MAIL_SECRET``), held by :class:`planner.web.config.Config` as ``mail``.

Without ``PLANNER_SMTP_HOST`` nothing is sent: invite mail stays in the outbox, which the
Mail page shows (what the demo does).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from integrations.ics.invites import InvalidAddress, Person
from integrations.mail.smtp import SECURITIES, Security, SmtpSettings

if TYPE_CHECKING:
    from planner.services.mail import MailSettings

DEFAULT_SENDER = "planner@connection-planner.invalid"
DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}
MIN_INBOUND_SECRET = 24


class MailConfigError(ValueError):
    """A mail setting is wrong; the message names the variable."""


@dataclass(frozen=True)
class MailConfig:
    """How invite mail leaves (SMTP) and how replies come back (inbound secret)."""

    smtp_host: str = ""
    smtp_port: int = 587
    smtp_security: Security = "starttls"
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_timeout: int = 10
    sender: str = DEFAULT_SENDER
    sender_name: str = "Connection Planner"
    inbound_secret: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> MailConfig:
        """The mail settings in ``env``; :class:`MailConfigError` naming a bad variable."""
        security = env.get("PLANNER_SMTP_SECURITY", "starttls").strip().lower() or "starttls"
        if security not in SECURITIES:
            raise MailConfigError(
                f"PLANNER_SMTP_SECURITY must be one of {', '.join(SECURITIES)}, not {security!r}"
            )
        return cls(
            smtp_host=env.get("PLANNER_SMTP_HOST", "").strip(),
            smtp_port=_port(env, DEFAULT_PORTS[security]),
            smtp_security=security,
            smtp_user=env.get("PLANNER_SMTP_USER", "").strip(),
            smtp_password=env.get("PLANNER_SMTP_PASSWORD", ""),
            smtp_timeout=_timeout(env),
            sender=env.get("PLANNER_MAIL_FROM", DEFAULT_SENDER).strip() or DEFAULT_SENDER,
            inbound_secret=env.get("PLANNER_INBOUND_MAIL_SECRET", "").strip(),
        )

    def check(self) -> None:
        """:class:`MailConfigError` for settings mail cannot work with."""
        try:
            Person(self.sender)
        except InvalidAddress:
            message = f"PLANNER_MAIL_FROM is not an e-mail address: {self.sender!r}"
            raise MailConfigError(message) from None
        if self.smtp_host and self.sender == DEFAULT_SENDER:
            raise MailConfigError("PLANNER_MAIL_FROM is missing: mail needs a real sender")
        if self.smtp_password and not self.smtp_user:
            raise MailConfigError("PLANNER_SMTP_PASSWORD is set but PLANNER_SMTP_USER is not")
        if self.inbound_secret and len(self.inbound_secret) < MIN_INBOUND_SECRET:
            raise MailConfigError(
                f"PLANNER_INBOUND_MAIL_SECRET must be at least {MIN_INBOUND_SECRET} characters"
            )

    def smtp(self) -> SmtpSettings | None:
        """The SMTP settings, or None when mail stays in the outbox."""
        if not self.smtp_host:
            return None
        return SmtpSettings(
            host=self.smtp_host, port=self.smtp_port, security=self.smtp_security,
            username=self.smtp_user, password=self.smtp_password,
            timeout=float(self.smtp_timeout),
        )  # fmt: skip

    def settings(self, *, base_url: str, secret: str) -> MailSettings:
        """The services' view: sender, where links point, their key, the SMTP server."""
        from planner.services.mail import MailSettings

        return MailSettings(
            sender=Person(self.sender, self.sender_name), base_url=base_url, secret=secret,
            smtp=self.smtp(),
        )  # fmt: skip


def _port(env: Mapping[str, str], default: int) -> int:
    text = env.get("PLANNER_SMTP_PORT", "").strip()
    if not text:
        return default
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise MailConfigError(f"PLANNER_SMTP_PORT must be a port number, not {text!r}")
    return int(text)


def _timeout(env: Mapping[str, str]) -> int:
    text = env.get("PLANNER_SMTP_TIMEOUT", "").strip()
    if not text:
        return MailConfig.smtp_timeout
    if not text.isdigit() or not 1 <= int(text) <= 120:
        raise MailConfigError(f"PLANNER_SMTP_TIMEOUT must be 1 to 120 seconds, not {text!r}")
    return int(text)
