"""Bulk jobs against emulator servers: speed to the bound, a rate limit held, batches, memory.

``python -m bench.bulk [--quick] [--output bench/bulk-results.md]`` (``nox -s bench`` runs it)

Every emulator serves from its own process (``numbers emulate``), as a carrier
would; the job runs in this process (or, for memory, in a fresh one per
size) with its journal on disk, as ``numbers bulk run`` would. Rows:

1. 1,000 purchases, 50 at a time, 100 ms of latency per request: wall time
   ÷ the bound (purchases × latency ÷ concurrency), and client CPU per item;
   beside it, the same purchases sent by a bare loop over the adapter (no
   journal, no limiter), measured in the same run; the median of 3 runs each.
2. Under the emulator's rate limit R: the rate sustained (÷ R) and the share
   of requests answered 429.
3. Kazoo through collections: activation requests for N numbers (⌈N ÷ batch⌉).
4. Peak RSS of jobs of 10,000 and 20,000 items against one of 1,000, and the peak of the Python
   heap while each runs (traced once it is written: the process's peak includes the imports).
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import signal
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx
import numbers_core as nc
from numbers_core.bulk import ItemState, Journal, RateLimiter, Runner, create_job

from .emulator_load import _cpu_seconds, _picks, buy_all

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def emulator(dialect: str, *options: str) -> Iterator[dict[str, Any]]:
    """``numbers emulate DIALECT`` in its own process; what it announced (url, settings) and its pid."""
    command = [sys.executable, "-m", "numbers_core", "--json", "emulate", dialect, "--port", "0", *options]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        announced = json.loads(server.stdout.readline())
        announced["pid"] = server.pid
        yield announced
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(30)


def _answered(url: str) -> dict[str, int]:
    return dict(httpx.get(f"{url}/_emulator/state").json()["answered"])


async def _job(
    announced: dict[str, Any],
    picks: list[str],
    concurrency: int,
    journal_path: Path,
    *,
    limiter: RateLimiter | None = None,
    **settings: Any,
) -> tuple[float, float, float, dict[ItemState, int]]:
    """(wall, client CPU, server CPU, counts) of a purchase job of ``picks``."""
    journal = Journal(journal_path)
    async with nc.connect(
        announced["dialect"], max_connections=concurrency, **{**announced["settings"], **settings}
    ) as carrier:
        job = await create_job(journal, carrier, "purchase", numbers=picks)
        if tracemalloc.is_tracing():  # the memory row: the run's own peak, the job written down
            tracemalloc.reset_peak()
        runner = Runner(carrier, journal, concurrency=concurrency, limiter=limiter)
        server_cpu = _cpu_seconds(announced["pid"])
        started, client_cpu = time.perf_counter(), time.process_time()
        counts = await runner.run(job.id)
        wall = time.perf_counter() - started
        client_cpu = time.process_time() - client_cpu
        server_cpu = _cpu_seconds(announced["pid"]) - server_cpu
    await journal.aclose()
    return wall, client_cpu, server_cpu, counts


def speed(purchases: int, concurrency: int, latency: float, work: Path, repeats: int = 3) -> list[str]:
    """The median of ``repeats`` runs of each (a shared machine's noise moves single runs), with
    the range of their ratios."""
    picks = anyio.run(_picks, 2 * repeats * purchases)
    bound = purchases * latency / concurrency
    jobs, bare = [], []
    with emulator("twilio", "--latency", str(latency)) as announced:
        for run in range(repeats):
            own = picks[2 * run * purchases : 2 * (run + 1) * purchases]
            bare.append(anyio.run(buy_all, announced, own[purchases:], concurrency))
            wall, cpu, served, counts = anyio.run(
                _job, announced, own[:purchases], concurrency, work / f"speed-{run}.sqlite3"
            )
            assert counts == {ItemState.DONE: purchases}, counts
            jobs.append((wall, cpu, served))
    wall, cpu, served = sorted(jobs)[repeats // 2]
    bare_wall, bare_cpu = sorted(bare)[repeats // 2]

    def spread(walls: list[float]) -> str:
        return f"{min(walls) / bound:.2f} to {max(walls) / bound:.2f}"

    return [
        f"| bulk job, {purchases} purchases, {concurrency} at a time, {latency * 1000:.0f} ms "
        f"(median of {repeats}) | {wall:.2f} s | {bound:.2f} s | **{wall / bound:.2f}** "
        f"({spread([job[0] for job in jobs])}) | {cpu / purchases * 1e3:.2f} ms | "
        f"{served / purchases * 1e3:.2f} ms |",
        f"| bare adapter loop, same load (no journal) | {bare_wall:.2f} s | {bound:.2f} s | "
        f"{bare_wall / bound:.2f} ({spread([one[0] for one in bare])}) | "
        f"{bare_cpu / purchases * 1e3:.2f} ms | |",
    ]


def rate_held(purchases: int, rate: float, work: Path) -> list[str]:
    picks = anyio.run(_picks, purchases)
    with emulator("twilio", "--rate-limit", str(rate), "--burst", "10", "--latency", "0.02") as announced:
        limiter = RateLimiter(rate)
        wall, _, _, counts = anyio.run(
            lambda: _job(announced, picks, 50, work / "rate.sqlite3", limiter=limiter)
        )
        answered = _answered(announced["url"])
    assert counts == {ItemState.DONE: purchases}, counts
    requests = sum(answered.values())
    throttled = answered.get("429", 0)
    sustained = requests / wall
    return [
        f"| {purchases} purchases under a limit of {rate:g}/s (burst 10), 50 at a time | "
        f"{sustained:.1f}/s | **{sustained / rate:.1%}** of R | {throttled} of {requests} | "
        f"**{throttled / requests:.2%}** |"
    ]


def batches(numbers: int, batch: int, work: Path) -> list[str]:
    picks = anyio.run(_picks, numbers)
    with emulator("kazoo") as announced:
        before = _answered(announced["url"])
        wall, _, _, counts = anyio.run(
            lambda: _job(announced, picks, 4, work / "kazoo.sqlite3", batch_size=batch, accept_charges=True)
        )
        after = _answered(announced["url"])
    assert counts == {ItemState.DONE: numbers}, counts
    requests = sum(after.values()) - sum(before.values())
    expected = math.ceil(numbers / batch)
    return [
        f"| Kazoo, {numbers} purchases in collections of {batch} | {requests} requests: the login, "
        f"then ⌈N ÷ batch⌉ = {expected} collection activations | {wall:.2f} s |"
    ]


def _child_rss(items: int, announced: dict[str, Any], work: Path) -> tuple[int, int, int]:
    """(items, peak RSS in KiB, peak Python heap of the job alone in bytes) of a fresh process
    that runs a job of up to ``items`` purchases."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.bulk",
            "--child",
            str(items),
            "--journal",
            str(work / f"rss-{items}.sqlite3"),
        ],
        input=json.dumps(announced),
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    if done.returncode:
        raise RuntimeError(f"the job of {items} items failed: {done.stderr.strip().splitlines()[-1:]}")
    bought, rss, heap = done.stdout.split()[-3:]
    return int(bought), int(rss), int(heap)


def memory(sizes: tuple[int, ...], work: Path) -> list[str]:
    rows = []
    first: tuple[int, int] | None = None
    for size in sizes:
        with emulator("twilio") as announced:  # a carrier of its own: every job buys the same picks
            items, rss, heap = _child_rss(size, announced, work)
        if first is None:
            first = rss, heap
            rows.append(f"| job of {items:,} items | {rss / 1024:.1f} MiB | {heap / 2**20:.2f} MiB |")
        else:
            rows.append(
                f"| job of {items:,} items | {rss / 1024:.1f} MiB ({rss / first[0]:.2f}×) | "
                f"{heap / 2**20:.2f} MiB ({heap / first[1]:.2f}×) |"
            )
    return rows


def child(items: int, journal: Path) -> None:
    announced = json.loads(sys.stdin.read())
    picks = anyio.run(_picks, items)  # the sandbox's inventory may hold fewer
    # The whole process's peak includes the imports, the picking and the job's creation (its list of
    # numbers is the input); the heap traced while it runs is the run's own: the journal's pages,
    # the workers and the requests in flight.
    tracemalloc.start()
    _, _, _, counts = anyio.run(lambda: _job(announced, picks, 50, journal))
    heap = tracemalloc.get_traced_memory()[1]
    assert counts == {ItemState.DONE: len(picks)}, counts
    print(len(picks), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, heap)


def main(quick: bool, output: Path) -> None:
    scale = 5 if quick else 1
    rows = [
        (
            "| Row | Wall | Bound | Wall ÷ bound | Client CPU per item | Server CPU per item |",
            lambda work: speed(1000 // scale, 50, 0.1, work),
        ),
        (
            "| Row | Sustained | Share of R | Answered 429 | 429 share |",
            lambda work: rate_held(1000 // scale, 100.0, work),
        ),
        ("| Row | Requests | Wall |", lambda work: batches(1000 // scale, 100, work)),
        (
            "| Row | Peak RSS | Peak heap of the run |",
            lambda work: memory((1000 // scale, 10000 // scale, 20000 // scale), work),
        ),
    ]
    sections = ["# Bulk jobs: bench", ""]
    with tempfile.TemporaryDirectory() as directory:
        for header, measure in rows:
            # Each table printed as soon as it is measured: a row that fails keeps the others.
            table = [header, "|" + "---|" * (header.count("|") - 1), *measure(Path(directory)), ""]
            print("\n".join(table), flush=True)
            sections += table
            output.write_text("\n".join(sections))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a fifth of the work: a smoke run")
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "bulk-results.md")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--journal", type=Path, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.child:
        child(arguments.child, arguments.journal)
    else:
        main(arguments.quick, arguments.output)
