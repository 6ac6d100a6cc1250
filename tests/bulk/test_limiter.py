"""The job's rate limiter: its schedule, its slowing down on 429 and recovering, and its pauses."""

from __future__ import annotations

import anyio
import pytest
from numbers_core.bulk._limiter import RateLimiter

pytestmark = pytest.mark.anyio


class Time:
    """A clock that sleeping moves on; nothing really waits."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await anyio.lowlevel.checkpoint()


def limiter(rate: float, **options: float) -> tuple[RateLimiter, Time]:
    time = Time()
    return RateLimiter(rate, clock=time, sleep=time.sleep, **options), time  # type: ignore[arg-type]


async def test_requests_are_spaced_by_the_rate() -> None:
    limit, time = limiter(5.0)
    granted = []
    for _ in range(5):
        await limit.acquire()
        granted.append(round(time.now, 6))
    assert granted == [0.0, 0.2, 0.4, 0.6, 0.8]


async def test_a_burst_goes_at_once_then_the_rate_holds() -> None:
    limit, time = limiter(5.0, burst=3)
    granted = []
    for _ in range(5):
        await limit.acquire()
        granted.append(round(time.now, 6))
    assert granted == [0.0, 0.0, 0.0, 0.2, 0.4]


async def test_a_429_slows_down_then_the_rate_recovers_gradually() -> None:
    limit, time = limiter(10.0, backoff=0.5, recovery=20.0)
    limit.throttled()
    assert limit.rate == pytest.approx(5.0)
    limit.throttled()
    assert limit.rate == pytest.approx(2.5)  # multiplicative
    time.now += 10.0
    assert limit.rate == pytest.approx(2.5 + 7.5 / 2)  # half way back after half the recovery
    time.now += 10.0
    assert limit.rate == pytest.approx(10.0)
    assert limit.throttles == 2


async def test_the_rate_never_falls_below_its_floor() -> None:
    limit, _ = limiter(10.0, backoff=0.1, min_rate=2.0)
    for _ in range(5):
        limit.throttled()
    assert limit.rate == pytest.approx(2.0)


async def test_retry_after_pauses_every_task() -> None:
    limit, time = limiter(100.0, burst=1)
    granted: list[float] = []

    async def one() -> None:
        await limit.acquire()
        granted.append(time.now)

    await one()
    limit.throttled(retry_after=5.0)
    async with anyio.create_task_group() as tasks:
        for _ in range(10):
            tasks.start_soon(one)
    assert len(granted) == 11
    assert all(moment >= 5.0 for moment in granted[1:])  # none went before the pause ended


async def test_a_pause_that_comes_while_waiting_holds_the_waiter() -> None:
    limit, time = limiter(1.0)
    await limit.acquire()  # at 0: the next may go at 1

    async def sleep_then_pause(seconds: float) -> None:
        time.now += seconds
        if not limit.throttles:
            limit.throttled(retry_after=10.0)  # the 429 arrives while the next one waits
        await anyio.lowlevel.checkpoint()

    limit._sleep = sleep_then_pause
    await limit.acquire()
    assert time.now >= 10.0


def test_bad_settings_are_refused() -> None:
    for rate, options in ((0.0, {}), (float("inf"), {}), (1.0, {"burst": 0}), (1.0, {"backoff": 1.5})):
        with pytest.raises(ValueError, match="expected"):
            RateLimiter(rate, **options)  # type: ignore[arg-type]
