"""Retries with exponential backoff and a process-wide rate limiter, shared by the remote providers.

The provider clients' own retry loops are switched off (attempts=1 / max_retries=0) so that one place decides what
is retried (429, 5xx, timeouts, connection errors), how long to wait (``Retry-After`` when the server sends one, else
exponential backoff with jitter, capped), and counts the attempts recorded in ``Usage``.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar, TypeVar

T = TypeVar("T")

RETRYABLE_STATUS = frozenset({408, 429, 500, 502, 503, 504})


@dataclass
class RetryPolicy:
    attempts: int = 5  # total tries, the first included
    initial_delay: float = 1.0
    max_delay: float = 30.0
    multiplier: float = 2.0
    jitter: float = 0.25  # ± share of the delay


@dataclass
class Failure:
    """How a provider module classifies an exception for the retry loop."""

    retryable: bool
    retry_after: float | None = None


class RateLimiter:
    """At most ``per_minute`` calls per minute per key, process-wide (smooth: one call every 60/per_minute s)."""

    _lock: ClassVar[threading.Lock] = threading.Lock()
    _next: ClassVar[dict[str, float]] = {}

    def __init__(self, key: str, per_minute: float | None):
        self.key = key
        self.interval = 60.0 / per_minute if per_minute and per_minute > 0 else 0.0

    def wait(self, sleep: Callable[[float], None] = time.sleep) -> float:
        if not self.interval:
            return 0.0
        with self._lock:
            now = time.monotonic()
            at = max(now, self._next.get(self.key, 0.0))
            self._next[self.key] = at + self.interval
        delay = at - now
        if delay > 0:
            sleep(delay)
        return delay


def call_with_retries(
    fn: Callable[[], T],
    classify: Callable[[BaseException], Failure],
    policy: RetryPolicy,
    *,
    limiter: RateLimiter | None = None,
    sleep: Callable[[float], None] = time.sleep,
    on_retry: Callable[[int, BaseException, float], None] | None = None,
) -> tuple[T, int]:
    """Run ``fn`` until it succeeds or fails for good; returns (result, attempts). Re-raises the last exception."""
    attempt = 0
    while True:
        attempt += 1
        if limiter is not None:
            limiter.wait(sleep)
        try:
            return fn(), attempt
        except Exception as exc:
            failure = classify(exc)
            if not failure.retryable or attempt >= policy.attempts:
                exc.attempts = attempt  # type: ignore[attr-defined]
                raise
            delay = policy.initial_delay * policy.multiplier ** (attempt - 1)
            delay = min(policy.max_delay, delay)
            delay *= 1 + random.uniform(-policy.jitter, policy.jitter)
            if failure.retry_after is not None:
                delay = min(policy.max_delay, max(delay, failure.retry_after))
            if on_retry is not None:
                on_retry(attempt, exc, delay)
            sleep(max(0.0, delay))


def parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
