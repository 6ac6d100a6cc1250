"""Workers through a journal database that goes away: a connection ended, the server restarted.

The workers share one event loop here (each with its own journal connection and carrier
client), against an emulated carrier; test_worker_processes.py runs ``numbers bulk worker``
processes through the same. The server is the session's (tests/postgres_cluster.py), stopped
and started again as a restart or a failover would.
"""

from __future__ import annotations

import anyio
import anyio.to_thread
import numbers_core as nc
import pytest
from numbers_core.bulk._engine import Event, Runner, create_job
from numbers_core.bulk._journal import ItemState, Journal, JournalUnavailableError
from numbers_core.bulk._limiter import RateLimiter
from numbers_core.emulator import Emulator, Faults

pytestmark = pytest.mark.anyio


async def _job(url: str, emulator: Emulator, areas: dict[str, int]) -> str:
    planner = Journal(url)
    async with emulator.connect() as carrier:
        criteria = {area: (nc.SearchQuery(area_code=area), count) for area, count in areas.items()}
        job = await create_job(planner, carrier, "purchase", criteria=criteria)
    await planner.aclose()
    return job.id


async def _outcome(
    url: str, emulator: Emulator, job_id: str
) -> tuple[dict[ItemState, int], list[str], list[str]]:
    """The job's counts, the numbers it records as bought, and those the carrier's account owns."""
    journal = Journal(url)
    counts = await journal.counts(job_id)
    done = [item.number or "" for item in await journal.items(job_id, ItemState.DONE)]
    await journal.aclose()
    [owned] = (await emulator.state())["numbers"].values()
    return counts, done, owned


async def test_workers_go_on_through_an_ended_connection_and_a_restart_and_send_nothing_meanwhile(
    postgres_url: str,
) -> None:
    import postgres_cluster

    emulator = Emulator("twilio", faults=Faults(latency=0.05))
    job_id = await _job(postgres_url, emulator, {"415": 120, "510": 120})
    done = 0
    quiet: list[int] = []
    reached = {40: anyio.Event(), 110: anyio.Event()}

    def counted(event: Event) -> None:
        nonlocal done
        done += event.state == "done"
        if done in reached:
            reached[done].set()

    journals: list[Journal] = []

    async def worker() -> dict[ItemState, int]:
        journal = Journal(postgres_url, lease=5.0, patience=60.0)
        journals.append(journal)
        async with emulator.connect() as carrier:
            runner = Runner(carrier, journal, concurrency=4, limiter=RateLimiter(200.0), on_event=counted)
            counts = await runner.run(job_id)
        await journal.aclose()
        return counts

    async def disrupt() -> None:
        await reached[40].wait()
        assert await anyio.to_thread.run_sync(postgres_cluster.end_sessions, postgres_url) >= 3
        await reached[110].wait()
        await anyio.to_thread.run_sync(postgres_cluster.stop, postgres_url)
        for _ in range(100):  # each worker finds its journal out of reach within a moment
            if not any(journal.reachable for journal in journals):
                break
            await anyio.sleep(0.02)
        # What was in flight then has been answered by now; from here, the workers send nothing
        # while no journal can write down what it would lead to.
        await anyio.sleep(0.3)
        quiet.append(sum(emulator.answered.values()))
        await anyio.sleep(1.5)
        quiet.append(sum(emulator.answered.values()))
        await anyio.to_thread.run_sync(postgres_cluster.start, postgres_url)

    results: list[dict[ItemState, int]] = []

    async def run_one() -> None:
        results.append(await worker())

    with anyio.fail_after(60):
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(disrupt)
            for _ in range(3):
                tasks.start_soon(run_one)

    assert len(results) == 3  # every worker went on to the job's end
    assert quiet[0] == quiet[1]
    counts, bought, owned = await _outcome(postgres_url, emulator, job_id)
    assert counts == {ItemState.DONE: 240}
    assert len(owned) == len(set(owned)) == 240  # nothing twice
    assert sorted(owned) == sorted(bought)  # no orphans
    await emulator.aclose()


async def test_a_worker_whose_journal_stays_out_of_reach_raises_that_itself(postgres_url: str) -> None:
    import postgres_cluster

    emulator = Emulator("twilio", faults=Faults(latency=0.05))
    job_id = await _job(postgres_url, emulator, {"415": 80})
    journal = Journal(postgres_url, lease=2.0, patience=0.5)
    seen = anyio.Event()
    async with emulator.connect() as carrier:
        runner = Runner(carrier, journal, concurrency=4, on_event=lambda event: seen.set())

        async def stop_the_server() -> None:
            await seen.wait()
            await anyio.to_thread.run_sync(postgres_cluster.stop, postgres_url)

        try:
            with anyio.fail_after(30):
                async with anyio.create_task_group() as tasks:
                    tasks.start_soon(stop_the_server)
                    # Not an ExceptionGroup of the runner's tasks: the error itself.
                    with pytest.raises(JournalUnavailableError, match="out of reach for"):
                        await runner.run(job_id)
        finally:
            await anyio.to_thread.run_sync(postgres_cluster.start, postgres_url)
    await journal.aclose()
    # Started again, a worker finishes the job: what was in flight is looked up first.
    again = Journal(postgres_url, lease=1.0)
    async with emulator.connect() as carrier:
        counts = await Runner(carrier, again, concurrency=4).run(job_id)
    await again.aclose()
    assert counts == {ItemState.DONE: 80}
    _, bought, owned = await _outcome(postgres_url, emulator, job_id)
    assert len(owned) == len(set(owned)) == 80
    assert sorted(owned) == sorted(bought)
    await emulator.aclose()
