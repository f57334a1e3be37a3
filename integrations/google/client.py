"""The Calendar v3 service object and the one retry policy every call goes through.

:func:`build_service` uses the discovery document shipped with google-api-python-client
(no network at build time), points it at ``endpoints.api_root`` and bounds every HTTP
request with a timeout. :func:`execute` runs one request under a :class:`RetryPolicy`:

* retried: HTTP 429, HTTP 403 with reason ``rateLimitExceeded`` / ``userRateLimitExceeded``,
  HTTP 5xx, and (unless turned off) a lost connection or a timeout, where the request may
  or may not have taken effect. Every write in this package is safe to repeat (events get
  deterministic ids, so a repeated insert answers 409), which is why that is allowed.
* never retried: everything else, in particular 401 (google-auth already refreshed once),
  403 ``insufficientPermissions``, 404, 409 and 410.

Delays are "full jitter" exponential backoff: before retry *n* (1-based) the policy sleeps
``random() * min(cap, base * 2 ** (n - 1))``. The sleep function and the random source
are fields of the policy so that tests never really sleep.
"""

from __future__ import annotations

import http.client
import random
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import google_auth_httplib2  # type: ignore[import-untyped]
import httplib2  # type: ignore[import-untyped]
from google.auth.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from integrations.google.config import GoogleEndpoints
from integrations.google.errors import error_reasons, http_status

DEFAULT_TIMEOUT = 20.0
"""Seconds one HTTP request (connect, send, each read) may take."""

RATE_LIMIT_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})

TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (
    ConnectionError,
    TimeoutError,
    socket.timeout,
    http.client.HTTPException,
)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to wait before trying a request again.

    ``attempts`` counts the first try: 5 means one try and at most four retries.
    """

    attempts: int = 5
    base: float = 1.0
    cap: float = 32.0
    retry_transport: bool = True
    sleep: Callable[[float], None] = time.sleep
    random: Callable[[], float] = random.random

    def ceiling(self, retry: int) -> float:
        """The longest wait before retry number ``retry`` (1-based): capped exponential."""
        return min(self.cap, self.base * 2.0 ** (retry - 1))

    def delay(self, retry: int) -> float:
        """The wait before retry number ``retry``: full jitter below :meth:`ceiling`."""
        return self.random() * self.ceiling(retry)


DEFAULT_POLICY = RetryPolicy()


def is_retryable_status(status: int, reasons: list[str]) -> bool:
    """True for the HTTP answers worth another try: 429, rate-limit 403s and 5xx."""
    if status == 429 or 500 <= status <= 599:
        return True
    return status == 403 and bool(RATE_LIMIT_REASONS.intersection(reasons))


def is_retryable(error: BaseException, policy: RetryPolicy = DEFAULT_POLICY) -> bool:
    """True when ``error`` is a transient failure that :func:`execute` tries again."""
    if isinstance(error, HttpError):
        return is_retryable_status(http_status(error), error_reasons(error))
    return policy.retry_transport and isinstance(error, TRANSPORT_ERRORS)


def execute(request: Any, policy: RetryPolicy = DEFAULT_POLICY) -> Any:
    """Run one API request (``service.events().list(...)`` etc.) under ``policy``.

    Returns the decoded response; raises the last error when it is not retryable or the
    attempts are used up. The library's own retries are switched off (``num_retries=0``)
    so that this is the only retry loop.
    """
    retry = 0
    while True:
        try:
            return request.execute(num_retries=0)
        except Exception as error:
            retry += 1
            if retry >= policy.attempts or not is_retryable(error, policy):
                raise
            policy.sleep(policy.delay(retry))


def authorized_http(credentials: Credentials, timeout: float = DEFAULT_TIMEOUT) -> Any:
    """An httplib2 transport that adds (and refreshes) the bearer token, with a timeout."""
    return google_auth_httplib2.AuthorizedHttp(credentials, http=httplib2.Http(timeout=timeout))


def build_service(
    credentials: Credentials,
    endpoints: GoogleEndpoints,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    http: Any = None,
) -> Any:
    """The Calendar v3 service, built from the shipped discovery document.

    ``http`` replaces the authorized transport (for example one that records requests);
    by default it is :func:`authorized_http` over ``credentials`` with ``timeout``.
    """
    return build(
        "calendar",
        "v3",
        http=http if http is not None else authorized_http(credentials, timeout),
        static_discovery=True,
        cache_discovery=False,
        client_options={"api_endpoint": endpoints.api_root},
    )
