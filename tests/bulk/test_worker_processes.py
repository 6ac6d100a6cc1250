"""Four ``numbers bulk worker`` processes on one job of a PostgreSQL journal; two are killed.

A Twilio emulator serves on 127.0.0.1 with faults (503s, dropped
connections, answers lost after the purchase was made) and a rate limit
per account. The job, 1,000 purchases in four area codes, is planned here;
four worker processes share it, and two of them are killed with SIGKILL
while they work. The two left take over the dead ones' items once their
leases run out. Then: every item resolved, nothing bought twice, no number
owned at the emulator that the journal does not record as bought, and the
workers together within the account's rate.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import anyio
import numbers_core as nc
from numbers_core.bulk._engine import create_job
from numbers_core.bulk._journal import ItemState, Journal
from numbers_core.emulator import Emulator, Faults, serve

RATE = 200.0  # the account's limit at the emulator, and the workers' --rate
FAULTS = Faults(seed=5, unavailable=0.03, dropped=0.02, lost=0.03, latency=0.02, rate_limit=RATE, burst=20)


async def _plan(url: str, settings: dict[str, str]) -> str:
    journal = Journal(url)
    async with nc.connect("twilio", **settings) as carrier:
        criteria = {
            area: (nc.SearchQuery(area_code=area, limit=30), 250) for area in ("415", "510", "650", "408")
        }
        job = await create_job(journal, carrier, "purchase", criteria=criteria)
    await journal.aclose()
    return job.id


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
        env = {
            **os.environ,
            **{f"NUMBERS_TWILIO_{key.upper()}": str(value) for key, value in server.settings.items()},
        }
        command = [sys.executable, "-m", "numbers_core", "--provider", "twilio", "--json", "bulk", "worker"]
        options = ["--journal", postgres_url, "--rate", str(RATE), "--burst", "20", "--lease", "3"]
        started = time.monotonic()
        workers = [
            subprocess.Popen(  # noqa: S603 - this interpreter, our own command
                [*command, job_id, *options, "--concurrency", "10"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(4)
        ]
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
