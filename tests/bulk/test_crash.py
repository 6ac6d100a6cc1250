"""The crash test: a bulk job killed with SIGKILL again and again against a faulty carrier.

A Twilio emulator serves on 127.0.0.1 with 10 % of requests failing (503s,
429s, dropped connections, answers lost after the purchase was made). The
job runs in a process of its own (job_process.py), which is killed at
seeded random moments and started again until it ends. Then: every item
resolved, nothing bought twice or beyond the job's count, and no number
owned at the emulator that the journal does not record as bought. The
purchase job runs under asyncio, the release job under trio.
"""

from __future__ import annotations

import contextlib
import json
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import anyio
import numbers_core as nc
import pytest
from numbers_core.bulk._engine import Runner
from numbers_core.bulk._journal import ItemState, Journal
from numbers_core.emulator import Emulator, Faults, serve

HERE = Path(__file__).parent
FAULTS = Faults(seed=11, unavailable=0.03, throttled=0.03, dropped=0.02, lost=0.02, retry_after=0)
# Slow enough that each run is killed with work left: about 10 s of requests in all.
LATENCY = 0.2


def _run_killing(
    journal: Path,
    spec: dict[str, object],
    kind: str,
    *,
    kills: int,
    seed: int,
    backend: str,
    after: tuple[float, float] = (0.4, 1.0),
) -> int:
    """Run the job's process until it exits 0, SIGKILLing it ``kills`` times; how many landed.

    Each kill comes ``after`` seconds (drawn between the two) from the process's start, or sooner,
    once it has settled a drawn share of the job's items: on a fast machine a job would otherwise
    end before its last kills, and land fewer than asked. The share is at most the items ÷
    (kills + 2), so every kill finds work left.
    """
    rng = random.Random(seed)
    items = int(spec["count"]) if "count" in spec else len(spec["numbers"])  # type: ignore[arg-type]
    step = max(1, items // (kills + 2))
    landed = 0
    command = [sys.executable, str(HERE / "job_process.py"), str(journal), json.dumps(spec), kind, backend]
    for _ in range(kills + 50):
        process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)  # noqa: S603 - our own script
        if landed < kills:
            # Past the start-up (about half a second), into the job's requests.
            deadline = time.monotonic() + rng.uniform(*after)
            enough = _settled(journal) + rng.randint(max(1, step // 2), step)
            while time.monotonic() < deadline and process.poll() is None and _settled(journal) < enough:
                time.sleep(0.02)
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                process.communicate()  # reaped, and its pipe closed
                landed += 1
                continue
        _, errors = process.communicate(timeout=120)
        assert process.returncode == 0, errors[-2000:]
        return landed
    raise AssertionError("the job never ran to its end")


def _settled(journal: Path) -> int:
    """How many of the journal's items are done or failed; 0 before it has any."""
    try:
        with contextlib.closing(sqlite3.connect(f"file:{journal}?mode=ro", uri=True, timeout=0.1)) as db:
            (settled,) = db.execute("SELECT count(*) FROM items WHERE state IN ('done', 'failed')").fetchone()
    except sqlite3.Error:  # not made yet, or being written
        return 0
    return int(settled)


async def _journal_facts(path: Path) -> tuple[dict[ItemState, object], list[str], list[str]]:
    journal = Journal(path)
    (job,) = await journal.jobs()
    counts: dict[ItemState, object] = dict(await journal.counts(job.id))
    failed = await journal.items(job.id, ItemState.FAILED)
    if failed:  # shown by a failing assertion: what went wrong with them
        counts[ItemState.FAILED] = [(i.number, i.error_class, i.error_message) for i in failed]
    done = [item.number or "" for item in await journal.items(job.id, ItemState.DONE)]
    pinned = await journal.pinned(job.id)
    await journal.aclose()
    return counts, done, pinned


def test_500_purchases_and_their_release_survive_20_kills_each(tmp_path: Path) -> None:
    emulator = Emulator("twilio", faults=FAULTS.model_copy(update={"latency": LATENCY}))
    with serve(emulator) as server:
        # A rate given, above what 10 requests at once send: a rate found from the faults' 429s
        # would be found again after every kill, and the test would take half as long again.
        spec = {"dialect": "twilio", "settings": server.settings, "count": 500, "rate": 200}
        bought_journal = tmp_path / "purchase.sqlite3"
        kills = _run_killing(bought_journal, spec, "purchase", kills=20, seed=1, backend="asyncio")
        counts, done, pinned = anyio.run(_journal_facts, bought_journal)
        owned = anyio.run(emulator.state)["numbers"][server.settings["account_sid"]]

        assert kills == 20
        assert counts == {ItemState.DONE: 500}  # every item resolved, and bought
        assert len(owned) == len(set(owned)) == 500  # never more than the count, nothing twice
        assert sorted(owned) == sorted(done)  # no orphans: what is owned is what the journal bought
        assert set(done) <= set(pinned)
        assert emulator.answered.get("lost", 0) > 0

        release = {"dialect": "twilio", "settings": server.settings, "numbers": owned, "rate": 200}
        released_journal = tmp_path / "release.sqlite3"
        assert _run_killing(released_journal, release, "release", kills=20, seed=2, backend="trio") == 20
        counts, done, _ = anyio.run(_journal_facts, released_journal)
        assert counts == {ItemState.DONE: 500}
        assert anyio.run(emulator.state)["numbers"] == {}


def test_1000_numbers_in_one_area_code_planned_and_bought_through_kills(tmp_path: Path) -> None:
    # A search answers 30 numbers at most, the same ones until some are bought (as Twilio's):
    # before, the plan pinned 30 and failed the other 970 ("no number ... left to buy").
    emulator = Emulator("twilio", faults=FAULTS.model_copy(update={"latency": 0.05}))
    with serve(emulator) as server:
        spec = {
            "dialect": "twilio",
            "settings": server.settings,
            "count": 1000,
            "plan": True,
            "concurrency": 50,
            "rate": 1000,
        }
        journal = tmp_path / "purchase.sqlite3"
        kills = _run_killing(journal, spec, "purchase", kills=10, seed=3, backend="asyncio", after=(0.5, 1.5))
        counts, done, pinned = anyio.run(_journal_facts, journal)
        owned = anyio.run(emulator.state)["numbers"][server.settings["account_sid"]]

    assert kills == 10
    assert counts == {ItemState.DONE: 1000}
    assert len(owned) == len(set(owned)) == 1000  # the count, nothing twice
    assert sorted(owned) == sorted(done)  # no orphans
    assert set(done) <= set(pinned)
    assert all(number.startswith("+1415") for number in owned)


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_1000_numbers_across_two_carriers_one_running_dry_the_other_down_a_while_through_kills(
    tmp_path: Path, backend: str
) -> None:
    # Twilio (the first carrier) sells 300 numbers of 415, then has none; Telnyx answers 503 to
    # everything for two seconds from the first request it gets (once Twilio has run dry). The
    # job plans (every number chosen at Twilio, which shows them all until it has sold its
    # stock), buys there, then at Telnyx once it is back, killed 8 times on the way.
    twilio = Emulator("twilio", faults=FAULTS.model_copy(update={"latency": 0.05}))
    telnyx = Emulator("telnyx", faults=FAULTS.model_copy(update={"latency": 0.05}))
    twilio.set_stock({"+1415": 300})
    with serve(twilio) as at_twilio, serve(telnyx) as at_telnyx:
        spec = {
            "members": {"twilio": at_twilio.settings, "telnyx": at_telnyx.settings},
            "count": 1000,
            "plan": True,
            "concurrency": 50,
            "rate": 1000,
        }
        journal = tmp_path / "purchase.sqlite3"
        with _outage(telnyx, lasting=2.0) as outage:
            kills = _run_killing(
                journal, spec, "purchase", kills=8, seed=5, backend=backend, after=(0.8, 1.6)
            )
        counts, done, pinned = anyio.run(_journal_facts, journal)
        carriers = anyio.run(_carriers, journal)
        at = {"twilio": _owned_by(twilio), "telnyx": _owned_by(telnyx)}

    assert kills == 8
    assert counts == {ItemState.DONE: 1000}
    assert len(at["twilio"]) == 300  # all it had
    assert len(at["telnyx"]) == 700
    owned = at["twilio"] + at["telnyx"]
    assert len(set(owned)) == 1000  # the count, each number bought once
    assert sorted(owned) == sorted(done)  # no orphans at either
    assert set(done) <= set(pinned)
    # Each number's carrier is the one that sold it.
    assert carriers == {number: name for name, numbers in at.items() for number in numbers}
    assert all(number.startswith("+1415") for number in owned)
    assert outage["refused"] > 0  # the job met Telnyx while it was down, and waited for it


@contextlib.contextmanager
def _outage(down: Emulator, *, lasting: float) -> Iterator[dict[str, int]]:
    """``down`` answers 503 to everything from its first request for ``lasting`` seconds; then its
    faults are as they were, but for that. What it yields says, once the outage is over, how many
    requests it ``refused``."""
    done = threading.Event()
    outage = {"refused": 0}
    down.set_faults(unavailable=1.0)

    def watch() -> None:
        while not down.requests and not done.wait(0.02):
            pass
        if not done.wait(lasting):
            outage["refused"] = down.answered.get("503", 0)
            down.set_faults(unavailable=FAULTS.unavailable)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        yield outage
    finally:
        done.set()
        watcher.join()


def _owned_by(emulator: Emulator) -> list[str]:
    return [n for numbers in anyio.run(emulator.state)["numbers"].values() for n in numbers]


async def _carriers(path: Path) -> dict[str, str | None]:
    journal = Journal(path)
    (job,) = await journal.jobs()
    carriers = {item.number or "": item.provider for item in await journal.items(job.id, ItemState.DONE)}
    await journal.aclose()
    return carriers


def test_telnyx_purchases_by_number_orders_survive_kills(tmp_path: Path) -> None:
    # Telnyx buys through number orders (one per batch of numbers), which take no idempotency key:
    # a lost answer is settled by the order's customer_reference, never by a second order.
    emulator = Emulator("telnyx", faults=FAULTS.model_copy(update={"latency": 0.3, "lost": 0.1}))
    with serve(emulator) as server:
        settings = {**server.settings, "batch_size": 5}
        spec = {"dialect": "telnyx", "settings": settings, "count": 150}
        journal = tmp_path / "purchase.sqlite3"
        kills = _run_killing(journal, spec, "purchase", kills=4, seed=3, backend="trio")
        counts, done, pinned = anyio.run(_journal_facts, journal)
        owned = anyio.run(emulator.state)["numbers"]["telnyx-account"]

        assert kills == 4
        assert counts == {ItemState.DONE: 150}
        assert len(owned) == len(set(owned)) == 150
        assert sorted(owned) == sorted(done)
        assert set(done) <= set(pinned)
        assert emulator.answered.get("lost", 0) > 0


@pytest.mark.anyio
async def test_the_sweep_finds_no_orphans_after_a_faulty_run(tmp_path: Path) -> None:
    emulator = Emulator("twilio", faults=FAULTS)
    journal = Journal(tmp_path / "bulk.sqlite3")
    async with emulator.connect() as carrier:
        criteria = {"415": (nc.SearchQuery(area_code="415", limit=50), 40)}
        from numbers_core.bulk._engine import create_job

        job = await create_job(journal, carrier, "purchase", criteria=criteria)
        runner = Runner(carrier, journal, concurrency=10)
        counts = await runner.run(job.id)
        assert counts == {ItemState.DONE: 40}, await journal.items(job.id, ItemState.FAILED)
        assert await runner.orphans(job.id) == []
