"""A rate limiter per carrier account, shared by every task of a job, on anyio (asyncio and trio).

A token bucket kept as a schedule (GCRA): each request is given the moment
it may go, ``1 / rate`` after the one before, with ``burst`` requests of
slack. The rate is either given (``rate``: never passed) or found: without
one, the limiter starts low and doubles its rate every ``doubling`` seconds
that it holds requests back, until the carrier first answers 429.

A 429 is how a carrier says the rate it takes. The limiter learns from it the
account's ceiling and slows down to ``backoff`` of it; it then climbs back
along a cubic curve (as TCP CUBIC does): quickly at first, flat near the
ceiling, where it stays for a while, and only then, slowly, past it, to find
out whether the account takes more now. So a job holds just under what the
account takes, and a 429 is rare. Each 429 also halves the burst: a carrier
whose bucket holds fewer requests than the burst refuses the rest at once.
Until the first 429, a rate being found lets the requests of a moment (50 ms
at its rate) go together, whatever the burst.

A ``Retry-After`` longer than a second pauses every task; one of a second or
less (the least the header can say in whole seconds, which a carrier's bucket
refilled many times over) pauses only the request that was told, which the
adapter waits out.
"""

from __future__ import annotations

import functools
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable

import anyio
import anyio.lowlevel

__all__ = ["RateLimiter"]

# The first rate of a limiter that finds the account's: low enough that doubling reaches any
# ceiling with few 429s, high enough that doubling reaches 100/s in a second.
_START = 10.0
# After a 429, others that come back within this long were sent before the rate came down: they
# say nothing new, and slow nothing further.
_HOLD = 0.1
# A Retry-After of at most this long holds only the request that was told.
_SHORT_PAUSE = 1.0
# A rate being found climbs only while the requests of the last half second used this share of what
# it let go in that time (its rate over time, summed): a climb that outruns what is used ends far
# past the account's rate when the first 429 comes. Measured against its rate now instead, the
# requests that went at the half second's lower rates held the climb back: doubling "every 0.15 s"
# took about 0.75 s, and a job's first second or two on a fresh account went to the climb.
_USED_OVER = 0.5
_BINDING = 0.8
# The first 429 of a climb: the account's rate, by the rate reached then. Calibrated in virtual time
# against the account model of tests/bulk/test_limiter.py (30 to 1,000 a second, bursts of 1 to 50,
# 50 and 200 tasks, 20 and 100 ms of latency), with a 0.3 s doubling: the fewest 429s for the most
# of the rate held.
_FIRST_CUT = 0.7
# While the account's rate is being found (no 429 yet, none given), the requests due within this
# long go together: the event loop's timers are about that coarse, and pacing them one by one
# only spreads them over more turns of the loop (each answer then comes alone, and so does each
# write to the journal), which costs CPU per request, not rate. Once a 429 comes, the burst alone.
_MOMENT = 0.05


class RateLimiter:
    """``rate`` requests per second at most (None: as many as the account takes, found by its 429s),
    ``burst`` at once.

    ``backoff``: the share of the learnt ceiling a 429 brings the rate down to; ``recovery``:
    seconds to climb back to the ceiling; ``doubling``: while the ceiling is not known yet,
    the seconds in which the rate doubles, from ``start``.
    """

    def __init__(
        self,
        rate: float | None = None,
        *,
        burst: int = 1,
        backoff: float = 0.9,
        min_rate: float | None = None,
        recovery: float = 3.0,
        start: float = _START,
        doubling: float = 0.3,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
    ) -> None:
        if rate is not None and not (rate > 0 and math.isfinite(rate)):
            raise ValueError(f"rate: expected a positive number of requests per second, got {rate!r}")
        if burst < 1:
            raise ValueError(f"burst: expected at least 1, got {burst!r}")
        if not 0 < backoff < 1:
            raise ValueError(f"backoff: expected a share between 0 and 1, got {backoff!r}")
        if not (start > 0 and math.isfinite(start)):
            raise ValueError(f"start: expected a positive number of requests per second, got {start!r}")
        self._same = functools.partial(
            RateLimiter,
            rate,
            burst=burst,
            backoff=backoff,
            min_rate=min_rate,
            recovery=recovery,
            start=start,
            doubling=doubling,
            clock=clock,
            sleep=sleep,
        )
        #: the rate given, if any: never passed
        self.configured = rate
        self.target = math.inf if rate is None else rate
        self.burst = self._configured_burst = burst
        self.backoff = backoff
        # A rate found never falls below a fifth of where it started: 429s that come whatever the
        # rate (a carrier's noise) would otherwise drag it down to nothing.
        self.min_rate = min_rate if min_rate is not None else (rate / 100 if rate else start / 5)
        self.recovery = recovery
        self.doubling = doubling
        self._start = start if rate is None else rate
        self._clock = clock
        self._sleep = sleep
        self._lock = anyio.Lock(fast_acquire=True)  # the first request to wait: no turn of the loop more
        self._next = -math.inf  # when the next request may go, the burst not counted
        self._paused_until = -math.inf
        # The climb of a rate being found: its rate, grown as of when; it grows only while
        # requests wait their turn (the limiter, not the job, holds them back).
        self._climbed = self._start
        self._climbed_at: float | None = None
        # The requests of the last moments: when each went, and what the climb had let go by then
        # (its rate over time, summed).
        self._granted: deque[tuple[float, float]] = deque()
        self._let_go = 0.0
        self._ceiling: float | None = None  # the rate the account was found to take
        self._cut_at = -math.inf  # the last 429 that slowed the rate down
        self.throttles = 0
        self._watchers: list[Callable[[float], None]] = []

    def like(self) -> RateLimiter:
        """A limiter with this one's settings and nothing learnt: the same limit for another
        account (each carrier of a job across several keeps its own)."""
        return self._same()

    @property
    def rate(self) -> float:
        """The rate now: climbing to the account's ceiling, holding near it, or back after a 429."""
        return self._rate_at(self._clock())

    @property
    def learnt(self) -> float | None:
        """The ceiling the account's 429s showed (before any :meth:`share` of it), if any yet."""
        return self._ceiling

    @property
    def reached(self) -> float:
        """The rate a climb reached with no 429 (the start if it never climbed)."""
        return self._climbed

    def learn(self, ceiling: float) -> None:
        """Start from a ceiling found before (an earlier job on the same account): just below it."""
        if ceiling > 0 and math.isfinite(ceiling):
            self._ceiling = min(ceiling, self.target)
            self._cut_at = self._clock()

    def climb_from(self, rate: float) -> None:
        """Start the climb from a rate an earlier job reached with no 429, not from the start."""
        if rate > 0 and math.isfinite(rate):
            self._climbed = max(self._climbed, rate)

    def _rate_at(self, now: float) -> float:
        if self._ceiling is None:
            return min(self.target, self._start if self.configured is not None else self._climbed)
        # The cubic climb: backoff × ceiling right after the 429, the ceiling after ``recovery``
        # seconds, flat around it, then past it ever faster.
        climbed = (now - self._cut_at - self.recovery) / self.recovery if self.recovery > 0 else 0.0
        rate = self._ceiling * (1 + (1 - self.backoff) * climbed**3)
        return max(self.min_rate, min(self.target, rate))

    def try_acquire(self) -> bool:
        """Let this request go now if it may without waiting (nobody waits before it); False:
        it must wait its turn (:meth:`acquire`). No checkpoint: a job's requests mostly go at
        once, and each lock taken would cost a turn of the event loop."""
        if self._lock.locked():
            return False
        now = self._clock()
        go, interval = self._due(now)
        if go > now:
            return False
        self._next = max(self._next, now) + interval
        self._climb(now, False)
        return True

    async def acquire(self) -> None:
        """Wait until this request may go.

        Requests wait their turn in order, and each one's moment is set when it goes, at the
        rate of that moment: a rate that rose meanwhile (climbing, or recovered) is used at once.
        """
        if self.try_acquire():
            await anyio.lowlevel.checkpoint()  # an await that may be cancelled, as a wait could be
            return
        async with self._lock:
            waited = False
            while True:
                now = self._clock()
                go, interval = self._due(now)
                if go <= now:
                    break
                waited = True
                await self._sleep(go - now)
            # A request that waited is put down as gone when it was due, not when its task woke:
            # the event loop's lateness would otherwise put every later one later too (a rate of
            # 100 a second held 90).
            self._next = max(self._next, go if waited else now) + interval
            self._climb(now, waited)

    def _due(self, now: float) -> tuple[float, float]:
        """When the next request may go, and the interval between requests, at the rate of now."""
        interval = 1.0 / self._rate_at(now)
        return max(self._paused_until, self._next - (self._slack(interval) - 1) * interval), interval

    def _slack(self, interval: float) -> float:
        """The requests that may go at once, ``interval`` apart at the rate of now: the burst, and
        while the rate is being found, a moment's worth at that rate."""
        if self._ceiling is None and self.configured is None:
            return max(self.burst, _MOMENT / interval)
        return self.burst

    def _climb(self, now: float, waited: bool) -> None:
        """A rate being found doubles every ``doubling`` seconds that it holds requests back: they
        wait for it, and it is nearly all used (tasks that come in bunches wait a moment at
        any rate, without the rate being what holds them back)."""
        if self._ceiling is not None or self.configured is not None:
            return
        if self._climbed_at is not None:
            self._let_go += self._climbed * (now - self._climbed_at)
        granted = self._granted
        granted.append((now, self._let_go))
        while granted[0][0] < now - _USED_OVER:
            granted.popleft()
        if self._climbed_at is not None and waited:
            since, let_go = granted[0]
            # Over a doubling at least: the first requests of a climb go together (a moment's).
            allowed = self._let_go - let_go + self._climbed * max(0.0, self.doubling - (now - since))
            if len(granted) >= _BINDING * allowed:
                self._climbed *= 2 ** ((now - self._climbed_at) / self.doubling)
        self._climbed_at = now

    def share(self, fraction: float) -> None:
        """Keep to ``fraction`` of the configured rate and burst: the rest is other workers'.

        A share that grows (another worker left) lends no burst at once: the workers were
        spending the account's whole rate, and its bucket is empty (:meth:`spent`).
        """
        target, burst = self.target, self.burst
        if self.configured is not None:
            self.target = self.configured * fraction
        self.burst = max(1, math.floor(self._configured_burst * fraction))
        if self.target > target or self.burst > burst:
            self.spent()

    def spent(self) -> None:
        """Lend no burst now: others were spending the account's whole rate (a worker joins
        them), so its bucket is empty, and the next request waits its turn."""
        now = self._clock()
        interval = 1.0 / self._rate_at(now)
        self._next = max(self._next, now + self._slack(interval) * interval)

    def watch(self, callback: Callable[[float], None]) -> None:
        """Call ``callback(rate)`` each time a 429 slows the rate down."""
        self._watchers.append(callback)

    def throttled(self, retry_after: float | None = None) -> None:
        """The carrier answered 429: learn the ceiling, slow down, halve the burst; pause everyone
        for a ``retry_after`` of more than a second."""
        now = self._clock()
        self.throttles += 1
        if self.burst > 1:
            # Requests that went together were refused together: each 429 halves the burst, and
            # the slack the old burst had lent (a schedule far ahead) is not owed: the account's
            # bucket is empty now, and the rate goes on from here.
            self.burst //= 2
            self._next = min(self._next, now + 1.0 / self._rate_at(now))
        if retry_after is not None and retry_after > _SHORT_PAUSE:
            self._paused_until = max(self._paused_until, now + retry_after)
            self._next = max(self._next, self._paused_until)
        if now - self._cut_at < _HOLD:
            return  # sent before the last slow-down: nothing new about the account
        current = self._rate_at(now)
        if self.configured is not None:
            # A rate given is the ceiling: the 429 says the burst, or a moment's crowding, not
            # that the rate is wrong. Down to backoff of it, and back.
            self._ceiling = self.target
        elif self._ceiling is None:
            # Found while climbing: the rate grew since the requests now refused were sent, and the
            # account's bucket let the climb pass its rate for a while before it ran dry.
            self._ceiling = max(self.min_rate, current * _FIRST_CUT)
        else:  # while holding: just under the rate refused
            self._ceiling = max(self.min_rate, current)
        self._cut_at = now
        for callback in self._watchers:
            callback(self._rate_at(now))
