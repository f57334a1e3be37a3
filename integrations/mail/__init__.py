"""Invite mail: MIME messages carrying iTIP invites, SMTP delivery, and iTIP REPLY parsing.

No Flask and nothing of ``planner`` here: :mod:`~integrations.mail.message` builds an
:class:`email.message.EmailMessage` from an invite, :mod:`~integrations.mail.smtp` sends it
with bounded timeouts and tells transient failures from permanent ones, and
:mod:`~integrations.mail.reply` reads an attendee's METHOD:REPLY.
"""
