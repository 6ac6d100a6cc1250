"""A rate limiter per carrier account, shared by every task of a job, on anyio (asyncio and trio).

A token bucket kept as a schedule (GCRA): each request is given the moment
it may go, ``1 / rate`` after the one before, with ``burst`` requests of
slack. On a 429 the rate drops multiplicatively (to ``backoff`` of what it
was) and then recovers linearly to the configured rate over ``recovery``
seconds, as botocore's adaptive mode does with its cubic curve, in a form
whose every value can be checked; a ``Retry-After`` pauses every task, not
only the one that was told.
"""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable

import anyio

__all__ = ["RateLimiter"]


class RateLimiter:
    """``rate`` requests per second at most, ``burst`` at once; slower after 429s, for a while."""

    def __init__(
        self,
        rate: float,
        *,
        burst: int = 1,
        backoff: float = 0.7,
        min_rate: float | None = None,
        recovery: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
    ) -> None:
        if not (rate > 0 and math.isfinite(rate)):
            raise ValueError(f"rate: expected a positive number of requests per second, got {rate!r}")
        if burst < 1:
            raise ValueError(f"burst: expected at least 1, got {burst!r}")
        if not 0 < backoff < 1:
            raise ValueError(f"backoff: expected a share between 0 and 1, got {backoff!r}")
        self.target = self.configured = rate
        self.burst = self._configured_burst = burst
        self.backoff = backoff
        self.min_rate = min_rate if min_rate is not None else rate / 100
        self.recovery = recovery
        self._clock = clock
        self._sleep = sleep
        self._lock = anyio.Lock()
        self._next = -math.inf  # when the next request may go, the burst not counted
        self._paused_until = -math.inf
        self._slowed_to = rate  # the rate right after the last 429
        self._slowed_at = -math.inf
        self.throttles = 0
        self._watchers: list[Callable[[float], None]] = []

    @property
    def rate(self) -> float:
        """The rate now: the configured one, or on its way back to it after a 429."""
        return self._rate_at(self._clock())

    def _rate_at(self, now: float) -> float:
        if self._slowed_to >= self.target or self.recovery <= 0:
            return self.target
        regained = (now - self._slowed_at) / self.recovery
        return min(self.target, self._slowed_to + (self.target - self._slowed_to) * max(regained, 0.0))

    async def acquire(self) -> None:
        """Wait until this request may go."""
        while True:
            async with self._lock:
                now = self._clock()
                interval = 1.0 / self._rate_at(now)
                slack = (self.burst - 1) * interval
                go = max(now, self._paused_until, self._next - slack)
                self._next = max(self._next, go) + interval
            if go > now:
                await self._sleep(go - now)
            # A pause that came while waiting holds this request too.
            if self._paused_until <= max(go, self._clock()):
                return

    def share(self, fraction: float) -> None:
        """Keep to ``fraction`` of the configured rate and burst: the rest is other workers'."""
        self.target = self.configured * fraction
        self.burst = max(1, math.floor(self._configured_burst * fraction))

    def watch(self, callback: Callable[[float], None]) -> None:
        """Call ``callback(rate)`` each time a 429 slows the rate down."""
        self._watchers.append(callback)

    def throttled(self, retry_after: float | None = None) -> None:
        """The carrier answered 429: slow down, and pause everyone for ``retry_after`` seconds."""
        now = self._clock()
        self.throttles += 1
        self._slowed_to = max(self.min_rate, self._rate_at(now) * self.backoff)
        self._slowed_at = now
        if retry_after is not None and retry_after > 0:
            self._paused_until = max(self._paused_until, now + retry_after)
            self._next = max(self._next, self._paused_until)
        for callback in self._watchers:
            callback(self._slowed_to)
