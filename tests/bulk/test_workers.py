"""Many workers on one job, through a real PostgreSQL journal, against an emulated carrier.

In this file the workers share one event loop (each with its own journal
connection and carrier client); test_worker_processes.py runs them as
processes and kills some.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import anyio
import numbers_core as nc
import pytest
from numbers_core.bulk._engine import Event, Runner, create_job
from numbers_core.bulk._journal import ItemState, Journal
from numbers_core.bulk._limiter import RateLimiter
from numbers_core.emulator import Emulator, Faults

pytestmark = pytest.mark.anyio


async def _run_workers(url: str, emulator: Emulator, job_id: str, limiters: list[RateLimiter | None]) -> None:
    async def worker(limiter: RateLimiter | None) -> None:
        journal = Journal(url, lease=5.0)
        async with emulator.connect() as carrier:
            await Runner(carrier, journal, concurrency=5, limiter=limiter).run(job_id)
        await journal.aclose()

    async with anyio.create_task_group() as tasks:
        for limiter in limiters:
            tasks.start_soon(worker, limiter)


async def test_workers_buy_a_jobs_count_together_under_faults_and_nothing_twice(postgres_url: str) -> None:
    emulator = Emulator("twilio", faults=Faults(seed=3, unavailable=0.05, dropped=0.05, lost=0.1))
    planner = Journal(postgres_url)
    async with emulator.connect() as carrier:
        criteria = {
            "415": (nc.SearchQuery(area_code="415", limit=20), 25),
            "510": (nc.SearchQuery(area_code="510", limit=20), 15),
        }
        job = await create_job(planner, carrier, "purchase", criteria=criteria)
    await _run_workers(postgres_url, emulator, job.id, [None, None, None])

    failed = [
        (i.number, i.error_class, i.error_message) for i in await planner.items(job.id, ItemState.FAILED)
    ]
    assert await planner.counts(job.id) == {ItemState.DONE: 40}, failed
    done = [item.number for item in await planner.items(job.id, ItemState.DONE)]
    [owned] = (await emulator.state())["numbers"].values()
    assert len(owned) == len(set(owned)) == 40  # the job's count, nothing twice
    assert sorted(owned) == sorted(done)  # no orphans
    assert emulator.answered["lost"] > 0
    await planner.aclose()
    await emulator.aclose()


async def test_workers_share_the_accounts_rate_limit(postgres_url: str) -> None:
    rate = 10.0
    emulator = Emulator("twilio")
    planner = Journal(postgres_url)
    async with emulator.connect() as carrier:
        offers = [
            offer for area in ("415", "510") for offer in await carrier.search(area_code=area, limit=30)
        ]
        job = await create_job(planner, carrier, "purchase", numbers=offers)
    # The account's limit from here on: the searches above (and their price list) are no part of it,
    # and this package's retries do not sleep (conftest), so a 429 there would fail the setup.
    emulator.set_faults(rate_limit=rate, burst=2, retry_after=0)
    emulator.answered.clear()
    limiters = [RateLimiter(rate, burst=2) for _ in range(2)]
    await _run_workers(postgres_url, emulator, job.id, list(limiters))

    assert await planner.counts(job.id) == {ItemState.DONE: 60}
    assert all(limiter.configured == rate for limiter in limiters)
    requests = sum(emulator.answered.values())
    # Each alone would send at the whole rate: then 6 of about 66 requests were refused, each
    # worker's limiter slowing down after its own 429s. Sharing the rate, none is.
    assert emulator.answered.get("429", 0) <= requests * 0.02
    await planner.aclose()
    await emulator.aclose()


async def test_a_dead_workers_sends_are_settled_while_the_others_still_run(postgres_url: str) -> None:
    emulator = Emulator("twilio", faults=Faults(latency=0.1))
    dead = Journal(postgres_url, lease=0.5)
    async with emulator.connect() as carrier:
        picks = [n.phone_number for n in await carrier.search(area_code="415", limit=30)]
        job = await create_job(dead, carrier, "purchase", numbers=picks)
        # A worker buys the first number, marks the second sending, and dies before either answer.
        first, second = await dead.claim(job.id, limit=2)
        for item in (first, second):
            await dead.move(job.id, item.seq, ItemState.SENDING)
        await carrier.purchase(picks[0])
        events: list[Event] = []
        alive = Journal(postgres_url, lease=1.0)
        counts = await Runner(carrier, alive, concurrency=2, on_event=events.append).run(job.id)
    assert counts == {ItemState.DONE: 30}
    order = [(event.state, event.number) for event in events]
    # Looked up (and the one not bought sent again) half a lease after the dead worker's ran out,
    # with most of the job still to buy: before, only once the living worker had sent all the rest.
    settled = order.index(("reconciled", picks[0]))
    assert order.index(("retried", picks[1])) < len(order) - 10
    assert [state for state, _ in order[settled:]].count("done") >= 10
    [owned] = (await emulator.state())["numbers"].values()
    assert sorted(owned) == sorted(picks)  # each once
    await dead.aclose()
    await alive.aclose()
    await emulator.aclose()


class _FirstRequest(RateLimiter):
    """A rate limiter that notes when the first request went through it."""

    first: float | None = None

    async def acquire(self) -> None:
        await super().acquire()
        if self.first is None:
            self.first = anyio.current_time()


async def _given(emulator: Emulator, journal: Journal, count: int) -> str:
    async with emulator.connect() as carrier:
        picks: list[str] = []
        for digit in "0123456789":  # a search answers 30 numbers at most; these, 110 together
            offers = await carrier.search(area_code="415", starts_with=f"415{digit}", limit=30)
            picks += [offer.phone_number for offer in offers]
        job = await create_job(journal, carrier, "purchase", numbers=picks[:count])
    return job.id


async def test_a_worker_joining_others_sends_within_a_second(postgres_url: str) -> None:
    emulator = Emulator("twilio", faults=Faults(latency=0.05))
    planner = Journal(postgres_url)
    job_id = await _given(emulator, planner, 100)
    going = anyio.Event()
    joined: list[float] = []
    joining = _FirstRequest(100.0, burst=5)

    async def worker(limiter: RateLimiter, on_event: Callable[[Event], None] | None = None) -> None:
        journal = Journal(postgres_url)
        async with emulator.connect() as carrier:
            await Runner(carrier, journal, concurrency=4, limiter=limiter, on_event=on_event).run(job_id)
        await journal.aclose()

    async def join() -> None:
        await going.wait()
        joined.append(anyio.current_time())
        await worker(joining)

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(join)
        await worker(RateLimiter(100.0, burst=5), lambda event: going.set())
    assert joining.first is not None
    assert joining.first - joined[0] < 1.0
    assert await planner.counts(job_id) == {ItemState.DONE: 100}
    await planner.aclose()
    await emulator.aclose()


async def test_a_waiting_worker_takes_items_given_back_within_a_second(postgres_url: str) -> None:
    emulator = Emulator("twilio", faults=Faults(latency=0.05))
    other = Journal(postgres_url, lease=30.0)  # a worker that holds ten items, then stops
    job_id = await _given(emulator, other, 40)
    assert len(await other.claim(job_id, limit=10)) == 10
    done: list[float] = []
    waiting = anyio.Event()

    def counted(event: Event) -> None:
        done.append(anyio.current_time())
        if len(done) == 30:
            waiting.set()

    async def give_back() -> float:
        await waiting.wait()
        await anyio.sleep(0.6)  # the worker waits for the other's items: they are held
        await other.give_back(job_id)
        return anyio.current_time()

    given: list[float] = []
    journal = Journal(postgres_url, lease=30.0)
    async with emulator.connect() as carrier, anyio.create_task_group() as tasks:
        tasks.start_soon(lambda: _append(given, give_back()))
        counts = await Runner(carrier, journal, concurrency=4, on_event=counted).run(job_id)
    assert counts == {ItemState.DONE: 40}
    # Noticed, sent and bought within a second (ten purchases of 50 ms, four at a time, included).
    assert done[-1] - given[0] < 1.0
    await journal.aclose()
    await other.aclose()
    await emulator.aclose()


async def _append(into: list[float], value: Awaitable[float]) -> None:
    into.append(await value)


async def test_a_worker_ended_by_an_error_gives_its_items_back_and_raises_the_error_itself(
    postgres_url: str,
) -> None:
    emulator = Emulator("twilio", faults=Faults(latency=0.05))
    journal = Journal(postgres_url, lease=30.0)
    job_id = await _given(emulator, journal, 60)

    def broken(event: Event) -> None:
        raise RuntimeError("the display broke")

    async with emulator.connect() as carrier:
        with pytest.raises(RuntimeError, match="the display broke"):
            await Runner(carrier, journal, concurrency=4, on_event=broken).run(job_id)
    # Nothing of the job waits for this worker's leases to run out.
    assert await journal.held_by_others(job_id) == 0
    other = Journal(postgres_url, lease=30.0)
    assert await other.held_by_others(job_id) == 0
    await other.aclose()
    await journal.aclose()
    await emulator.aclose()
