"""Push channels and the sender that POSTs their notifications, the way Google documents them.

Sources (Google's documentation, read 2025):

- Push guide: https://developers.google.com/workspace/calendar/api/guides/push
- events.watch: https://developers.google.com/workspace/calendar/api/v3/reference/events/watch
- channels.stop: https://developers.google.com/workspace/calendar/api/v3/reference/channels/stop
- The ``Channel`` schema in the calendar v3 discovery document shipped with
  google-api-python-client (``expiration`` is an int64 sent as a JSON string, in ms).

A notification is a ``POST`` with an empty body to the channel's address. Its headers:
``X-Goog-Channel-ID``, ``X-Goog-Channel-Token`` (only when the channel has one),
``X-Goog-Channel-Expiration`` (an HTTP date such as ``Tue, 19 Nov 2013 01:13:52 GMT``),
``X-Goog-Resource-ID`` (stable per watched resource), ``X-Goog-Resource-URI``,
``X-Goog-Resource-State`` (``sync`` first, right after the watch; then ``exists`` whenever
the calendar's events change; ``not_exists`` is for deleted resources and never happens to
an event collection) and ``X-Goog-Message-Number`` (1 for ``sync``, then increasing).

Deviations, on purpose: Google requires an https address with a valid certificate; the
emulator also accepts ``http://`` to a loopback host (127.0.0.0/8, ::1, localhost) so tests
and the demo need no certificate. Google retries a 500/502/503/504 answer with exponential
backoff; the emulator tries each message once, with a short timeout, and records the
outcome in :attr:`PushSender.deliveries`, so an unreachable receiver costs a moment of the
sender thread and nothing else. The sender is one background thread fed by a queue:
a request that changes events only enqueues, it never waits on a receiver.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime

SEND_TIMEOUT = 2.0
"""Seconds one notification may take (connect, send, answer) before it is given up."""
USER_AGENT = "APIs-Google; (+https://developers.google.com/webmasters/APIs-Google.html)"


@dataclass
class Channel:
    """A notification channel on one calendar's events, as events.watch made it."""

    id: str
    token: str | None
    address: str
    calendar_id: str
    resource_id: str
    resource_uri: str
    expiration: datetime
    client_id: str
    user: str
    message_number: int = 0


@dataclass(frozen=True)
class Notification:
    """One message to deliver: where to and with which headers (the body is empty)."""

    address: str
    headers: dict[str, str]

    @property
    def channel_id(self) -> str:
        return self.headers["X-Goog-Channel-ID"]


@dataclass
class Delivery:
    """What became of one notification: the receiver's status, or the error."""

    channel_id: str
    state: str
    number: int
    status: int | None = None
    error: str | None = None


def notification(channel: Channel, state: str) -> Notification:
    """The next message of ``channel`` (its message number is advanced; hold the lock)."""
    channel.message_number = 1 if state == "sync" else channel.message_number + 1
    headers = {
        "X-Goog-Channel-ID": channel.id,
        "X-Goog-Channel-Expiration": format_datetime(channel.expiration, usegmt=True),
        "X-Goog-Resource-ID": channel.resource_id,
        "X-Goog-Resource-URI": channel.resource_uri,
        "X-Goog-Resource-State": state,
        "X-Goog-Message-Number": str(channel.message_number),
        "User-Agent": USER_AGENT,
    }
    if channel.token is not None:
        headers["X-Goog-Channel-Token"] = channel.token
    return Notification(channel.address, headers)


@dataclass
class PushSender:
    """A background thread that POSTs queued notifications one by one."""

    timeout: float = SEND_TIMEOUT
    deliveries: list[Delivery] = field(default_factory=list)
    _queue: queue.Queue[Notification | None] = field(default_factory=queue.Queue)
    _idle: threading.Condition = field(default_factory=threading.Condition)
    _pending: int = 0
    _thread: threading.Thread | None = None

    def send(self, message: Notification) -> None:
        """Queue ``message``; returns at once (the thread starts on first use)."""
        with self._idle:
            self._pending += 1
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="emulator-push")
                self._thread.daemon = True
                self._thread.start()
        self._queue.put(message)

    def wait_idle(self, timeout: float) -> bool:
        """Wait until every queued message was tried; False when ``timeout`` ran out."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def close(self, timeout: float = 5.0) -> None:
        """Stop the thread after the messages already queued."""
        thread = self._thread
        if thread is not None and thread.is_alive():
            self._queue.put(None)
            thread.join(timeout)
        self._thread = None

    def _run(self) -> None:
        while (message := self._queue.get()) is not None:
            delivery = self._deliver(message)
            with self._idle:
                self.deliveries.append(delivery)
                self._pending -= 1
                self._idle.notify_all()

    def _deliver(self, message: Notification) -> Delivery:
        headers = message.headers
        delivery = Delivery(
            message.channel_id,
            headers["X-Goog-Resource-State"],
            int(headers["X-Goog-Message-Number"]),
        )
        request = urllib.request.Request(message.address, b"", headers, method="POST")
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with contextlib.closing(opener.open(request, timeout=self.timeout)) as answer:
                delivery.status = answer.status
        except urllib.error.HTTPError as error:
            delivery.status = error.code
            error.close()
        except Exception as error:  # unreachable, refused, timed out, a broken answer
            delivery.error = str(error) or type(error).__name__
        return delivery
