"""``numbers bulk worker`` processes on one job of a PostgreSQL journal: killed, stopped, cut off.

A Twilio emulator serves on 127.0.0.1 with faults (503s, dropped
connections, answers lost after the purchase was made) and a rate limit
per account. In the first test, the job, 1,000 purchases in four area
codes, is planned here; four worker processes share it, and two of them are
killed with SIGKILL while they work. The two left take over the dead ones'
items once their leases run out. Then: every item resolved, nothing bought
twice, no number owned at the emulator that the journal does not record as
bought, and the workers together within the account's rate. The others stop
a worker with SIGTERM (its items go to the others at once, not after its
lease), and take the database away under the workers: their sessions ended,
then the server restarted (each worker goes on, or exits 75 and finishes the
job once started again).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import anyio
import numbers_core as nc
from numbers_core.bulk._engine import create_job
from numbers_core.bulk._journal import ItemState, Journal
from numbers_core.emulator import Emulator, Faults, serve

RATE = 200.0  # the account's limit at the emulator, and the workers' --rate
FAULTS = Faults(seed=5, unavailable=0.03, dropped=0.02, lost=0.03, latency=0.02, rate_limit=RATE, burst=20)


async def _plan(
    url: str, settings: dict[str, str], areas: tuple[str, ...] = ("415", "510", "650", "408"), each: int = 250
) -> str:
    journal = Journal(url)
    async with nc.connect("twilio", **settings) as carrier:
        criteria = {area: (nc.SearchQuery(area_code=area, limit=30), each) for area in areas}
        job = await create_job(journal, carrier, "purchase", criteria=criteria)
    await journal.aclose()
    return job.id


def _environment(settings: dict[str, Any]) -> dict[str, str]:
    return {**os.environ, **{f"NUMBERS_TWILIO_{key.upper()}": str(value) for key, value in settings.items()}}


def _worker(job_id: str, url: str, settings: dict[str, Any], *options: str) -> subprocess.Popen[str]:
    """``numbers --provider twilio --json bulk worker JOB --journal URL OPTIONS`` in a process."""
    command = [sys.executable, "-m", "numbers_core", "--provider", "twilio", "--json", "bulk", "worker"]
    return subprocess.Popen(  # noqa: S603 - this interpreter, our own command
        [*command, job_id, "--journal", url, "--concurrency", "5", *options],
        env=_environment(settings),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _count(url: str, query: str, *parameters: Any) -> int:
    import psycopg

    with psycopg.connect(url, autocommit=True) as db:
        return int(db.execute(query, parameters).fetchone()[0])


def _until(url: str, what: str, count: int, query: str, *parameters: Any, timeout: float = 60.0) -> None:
    """Wait until ``query`` counts ``count`` or more."""
    deadline = time.monotonic() + timeout
    while _count(url, query, *parameters) < count:
        assert time.monotonic() < deadline, f"fewer than {count} {what} after {timeout:g} s"
        time.sleep(0.05)


def _until_done(url: str, job_id: str, count: int) -> None:
    """Wait until ``count`` items of the job are done."""
    done = "SELECT count(*) FROM items WHERE job_id = %s AND state = 'done'"
    _until(url, "items done", count, done, job_id)


def _until_working(url: str, count: int) -> None:
    """Wait until ``count`` workers have checked in: started, their signal handlers set."""
    _until(url, "workers at work", count, "SELECT count(*) FROM workers")


@contextlib.contextmanager
def _stopped_at_the_end(workers: list[subprocess.Popen[str]]) -> Iterator[list[subprocess.Popen[str]]]:
    """``workers``, and those added to it: any still running at the end (a test failed) killed."""
    try:
        yield workers
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.communicate()


async def _facts(url: str, job_id: str) -> tuple[dict[ItemState, int], list[str]]:
    journal = Journal(url)
    counts = await journal.counts(job_id)
    done = [item.number or "" for item in await journal.items(job_id, ItemState.DONE)]
    await journal.aclose()
    return counts, done


def test_four_workers_two_killed_buy_the_count_once_within_the_rate(postgres_url: str) -> None:
    emulator = Emulator("twilio", faults=FAULTS)
    with serve(emulator) as server:
        job_id = anyio.run(_plan, postgres_url, server.settings)
        before = dict(emulator.answered)
        options = ["--rate", str(RATE), "--burst", "20", "--lease", "3", "--concurrency", "10"]
        started = time.monotonic()
        workers = [_worker(job_id, postgres_url, server.settings, *options) for _ in range(4)]
        time.sleep(3.0)  # past the start-up, into the purchases
        for killed in workers[:2]:
            assert killed.poll() is None, "a worker ended before it could be killed"
            killed.send_signal(signal.SIGKILL)
            killed.communicate()
        for survivor in workers[2:]:
            _, errors = survivor.communicate(timeout=300)
            assert survivor.returncode == 0, errors[-2000:]
        wall = time.monotonic() - started
        answered = {key: emulator.answered.get(key, 0) - before.get(key, 0) for key in emulator.answered}
        [owned] = anyio.run(emulator.state)["numbers"].values()

    counts, done = anyio.run(_facts, postgres_url, job_id)
    assert counts == {ItemState.DONE: 1000}  # every item resolved, and bought
    assert len(owned) == len(set(owned)) == 1000  # the job's count, nothing twice
    assert sorted(owned) == sorted(done)  # no orphans
    assert answered.get("lost", 0) > 0
    requests = sum(answered.values())
    assert requests / wall <= RATE  # together, on average, within the account's limit
    assert answered.get("429", 0) <= requests * 0.01  # and hardly ever past it
    print(f"{requests} requests in {wall:.1f} s ({requests / wall:.0f}/s of {RATE:g}/s), answers {answered}")


def _facts_checked(url: str, job_id: str, emulator: Emulator, count: int) -> None:
    """Every item bought, each number once, none owned that the journal does not record."""
    counts, done = anyio.run(_facts, url, job_id)
    [owned] = anyio.run(emulator.state)["numbers"].values()
    assert counts == {ItemState.DONE: count}
    assert len(owned) == len(set(owned)) == count
    assert sorted(owned) == sorted(done)


def test_a_worker_stopped_by_sigterm_hands_its_items_to_the_others_at_once(postgres_url: str) -> None:
    lease = 30.0
    emulator = Emulator("twilio", faults=Faults(seed=11, latency=0.05))
    with serve(emulator) as server, _stopped_at_the_end([]) as workers:
        job_id = anyio.run(_plan, postgres_url, server.settings, ("415", "510"), 150)
        options = ["--lease", f"{lease:g}"]
        workers += [_worker(job_id, postgres_url, server.settings, *options) for _ in range(2)]
        stopped, other = workers
        _until_working(postgres_url, 2)
        _until_done(postgres_url, job_id, 30)
        stopped.send_signal(signal.SIGTERM)
        _, errors = stopped.communicate(timeout=15)
        left = time.monotonic()
        assert stopped.returncode == 130, errors[-2000:]
        # What it held is nobody's now, or the other worker's: none waits for its lease to run out.
        held_by_none_alive = (
            "SELECT count(*) FROM items WHERE job_id = %s AND state IN ('planned', 'sending', 'unknown') "
            "AND owner IS NOT NULL AND owner NOT IN (SELECT id FROM workers)"
        )
        assert _count(postgres_url, held_by_none_alive, job_id) == 0
        _, errors = other.communicate(timeout=60)
        assert other.returncode == 0, errors[-2000:]
        assert time.monotonic() - left < lease / 2
        _facts_checked(postgres_url, job_id, emulator, 300)


def test_workers_go_on_through_a_restart_or_exit_75_and_finish_when_started_again(postgres_url: str) -> None:
    import postgres_cluster

    emulator = Emulator("twilio", faults=Faults(seed=13, latency=0.05, lost=0.02))
    with serve(emulator) as server, _stopped_at_the_end([]) as workers:
        job_id = anyio.run(_plan, postgres_url, server.settings, ("415", "510"), 100)
        options = ["--lease", "5"]
        patient = [_worker(job_id, postgres_url, server.settings, *options) for _ in range(2)]
        impatient = [
            _worker(job_id, postgres_url, server.settings, *options, "--journal-patience", "1")
            for _ in range(2)
        ]
        workers += [*patient, *impatient]
        _until_working(postgres_url, 4)
        _until_done(postgres_url, job_id, 30)
        assert postgres_cluster.end_sessions(postgres_url) >= 4
        _until_done(postgres_url, job_id, 70)
        postgres_cluster.stop(postgres_url)
        time.sleep(3.0)
        postgres_cluster.start(postgres_url)
        for worker in impatient:
            _, errors = worker.communicate(timeout=60)
            assert worker.returncode == 75, errors[-2000:]
            [line] = [line for line in errors.splitlines() if line.startswith("error:")]
            assert "out of reach for" in line
            assert "start this worker again" in line
        # As a supervisor does on exit 75: started again, they finish the job with the others.
        restarted = [_worker(job_id, postgres_url, server.settings, *options) for _ in impatient]
        workers += restarted
        for worker in [*patient, *restarted]:
            _, errors = worker.communicate(timeout=120)
            assert worker.returncode == 0, errors[-2000:]
            assert "internal error" not in errors
        _facts_checked(postgres_url, job_id, emulator, 200)
