"""Which model-call failures are transient, and how long to wait before trying again.

Retries live here and only here (the SDK's own are switched off): 408, 429, 5xx including
529 overloaded, connection errors and timeouts are retried; 4xx input errors never are.
"""

from __future__ import annotations

import email.utils
import random
import time
from dataclasses import dataclass

import anthropic
import httpx2
from tenacity import RetryCallState

RETRY_STATUSES = frozenset({408, 429})
# Error types a server may send as an SSE `error` event on an already-200 stream.
TRANSIENT_STREAM_ERRORS = frozenset({"overloaded_error", "api_error", "rate_limit_error"})


@dataclass(frozen=True)
class RetryPolicy:
    """Attempts and waits; `retry_after_cap_s` bounds how long a server may make us wait."""

    max_attempts: int = 4
    base_wait_s: float = 1.0
    max_wait_s: float = 30.0
    retry_after_cap_s: float = 60.0


def is_transient(exc: BaseException) -> bool:
    """Connection trouble (the SDK's wrapped errors, or raw transport errors raised while a
    stream is being read), 408/429/5xx, and a stream's transient `error` event."""
    if isinstance(exc, httpx2.TransportError):
        return True
    if isinstance(exc, anthropic.APIConnectionError):  # includes APITimeoutError
        # The SDK wraps every send failure; a closed client or a bug is not worth retrying.
        cause = exc.__cause__
        return cause is None or isinstance(cause, httpx2.TransportError | OSError)
    if isinstance(exc, anthropic.APIStatusError):
        if exc.status_code in RETRY_STATUSES or exc.status_code >= 500:
            return True
        return exc.status_code < 400 and exc.type in TRANSIENT_STREAM_ERRORS
    return False


def retry_after_s(exc: BaseException | None) -> float | None:
    """Seconds the server asked us to wait (`retry-after-ms`, then `retry-after`), if any."""
    if not isinstance(exc, anthropic.APIStatusError):
        return None
    headers = exc.response.headers
    millis = headers.get("retry-after-ms")
    if millis is not None:
        try:
            return max(float(millis) / 1000, 0.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        parsed = email.utils.parsedate_tz(value)
        return None if parsed is None else max(email.utils.mktime_tz(parsed) - time.time(), 0.0)


class RetryAfterWait:
    """Tenacity wait: the server's retry-after (capped) when given, else exponential jitter."""

    def __init__(self, policy: RetryPolicy) -> None:
        self._policy = policy

    def __call__(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        asked = retry_after_s(exc)
        if asked is not None:
            return min(asked, self._policy.retry_after_cap_s)
        return backoff_s(self._policy, state.attempt_number)


def backoff_s(policy: RetryPolicy, attempt: int) -> float:
    """Exponential backoff with up to one base step of jitter, never above `max_wait_s`."""
    exponential = policy.base_wait_s * 2.0 ** max(attempt - 1, 0)
    return min(exponential + random.uniform(0, policy.base_wait_s), policy.max_wait_s)


def is_timeout(exc: BaseException) -> bool:
    """A timeout however it reaches us: raw from httpx2 while a body streams, or wrapped by the
    SDK (which wraps stream-read timeouts too since anthropic 2.17)."""
    return isinstance(exc, anthropic.APITimeoutError | httpx2.TimeoutException)


def describe(exc: BaseException) -> str:
    """A short, stable reason for logs and retry events: status and error type, `timeout`, or
    the error class. Keyed on what happened, not on which layer's class reported it, so an SDK
    release that wraps an error differently does not change the reason callers see."""
    if isinstance(exc, anthropic.APIStatusError):
        kind = exc.type or type(exc).__name__
        return f"{exc.status_code} {kind}"
    if is_timeout(exc):
        return "timeout"
    return type(exc).__name__
