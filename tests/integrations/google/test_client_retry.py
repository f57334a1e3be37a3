"""The retry policy on its own: which failures are retried, the backoff schedule, the cap."""

from __future__ import annotations

import json
from typing import Any

import httplib2  # type: ignore[import-untyped]
import pytest
from googleapiclient.errors import HttpError

from integrations.google.client import RetryPolicy, execute, is_retryable


def http_error(status: int, reason: str = "x") -> HttpError:
    body = {"error": {"code": status, "message": reason, "errors": [{"reason": reason}]}}
    return HttpError(httplib2.Response({"status": status}), json.dumps(body).encode())


class Scripted:
    """A request stand-in that fails with the given errors, then answers ``{"ok": True}``."""

    def __init__(self, *errors: BaseException) -> None:
        self.errors = list(errors)
        self.calls = 0

    def execute(self, num_retries: int = 0) -> Any:
        assert num_retries == 0
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return {"ok": True}


def policy(sleeps: list[float], **kwargs: Any) -> RetryPolicy:
    return RetryPolicy(sleep=sleeps.append, random=lambda: 1.0, **kwargs)


@pytest.mark.parametrize(
    ("status", "reason", "retried"),
    [
        (429, "rateLimitExceeded", True),
        (403, "rateLimitExceeded", True),
        (403, "userRateLimitExceeded", True),
        (500, "backendError", True),
        (503, "backendError", True),
        (403, "insufficientPermissions", False),
        (403, "forbidden", False),
        (401, "authError", False),
        (404, "notFound", False),
        (409, "duplicate", False),
        (410, "fullSyncRequired", False),
        (400, "invalid", False),
    ],
)
def test_which_answers_are_retried(status: int, reason: str, retried: bool) -> None:
    assert is_retryable(http_error(status, reason)) is retried


def test_transport_errors_are_retried_unless_turned_off() -> None:
    assert is_retryable(ConnectionResetError())
    assert is_retryable(TimeoutError())
    assert not is_retryable(ConnectionResetError(), RetryPolicy(retry_transport=False))
    assert not is_retryable(ValueError("bug"))


def test_backoff_grows_and_is_capped() -> None:
    schedule = RetryPolicy(base=1.0, cap=5.0)
    assert [schedule.ceiling(n) for n in range(1, 6)] == [1.0, 2.0, 4.0, 5.0, 5.0]


def test_full_jitter_scales_the_ceiling() -> None:
    half = RetryPolicy(base=2.0, cap=100.0, random=lambda: 0.5)
    assert [half.delay(n) for n in (1, 2, 3)] == [1.0, 2.0, 4.0]


def test_transient_failures_then_success() -> None:
    sleeps: list[float] = []
    request = Scripted(http_error(429), http_error(503))
    assert execute(request, policy(sleeps)) == {"ok": True}
    assert request.calls == 3
    assert sleeps == [1.0, 2.0]


def test_at_most_five_attempts() -> None:
    sleeps: list[float] = []
    request = Scripted(*(http_error(503) for _ in range(10)))
    with pytest.raises(HttpError):
        execute(request, policy(sleeps, cap=3.0))
    assert request.calls == 5
    assert sleeps == [1.0, 2.0, 3.0, 3.0]


def test_permanent_failure_is_raised_at_once() -> None:
    sleeps: list[float] = []
    request = Scripted(http_error(403, "insufficientPermissions"))
    with pytest.raises(HttpError):
        execute(request, policy(sleeps))
    assert request.calls == 1
    assert sleeps == []
