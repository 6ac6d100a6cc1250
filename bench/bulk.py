"""Bulk jobs against emulator servers: speed to the bound, rates found and held, batches, memory.

``python -m bench.bulk [--quick] [--output bench/bulk-results.md] [--rows speed,spread]``
(``nox -s bench`` runs it; ``--rows``: only those tables, printed, the file written only
with ``--output``)

Every emulator serves from its own process (``numbers emulate``), as a carrier
would; the job runs in this process (or, for the rate rows and memory, in a
fresh one) with its journal on disk, as ``numbers bulk run`` would. Rows:

1. Speed, 100 ms of latency per request, the bound being every request the job
   sent (searches included) × latency ÷ concurrency, and client CPU per item:
   a. 1,000 purchases of numbers given, 50 at a time; beside it a bare loop over
      the adapter (no journal, no limiter); the median of 3 runs each, each
      row's jobs in one journal, as a user's (the first job on the account
      climbs to its rate, the next ones start from what it reached: the
      range of each row shows both).
   b. 1,000 purchases by criteria in one area code, 50 at a time (Twilio
      answers a search with 30 numbers at most, the same ones until some are
      bought): numbers chosen as the job goes, as ``numbers bulk run`` does,
      and every number chosen first (``numbers bulk plan``, then ``resume``);
      beside them a bare loop buying by area code (``purchase_any``: Twilio
      picks, one request each), and the same loop in twilio-python's async client (the
      peer, where installed: ``nox -s bench`` installs it); the median of 3 runs each.
   c. 10,000 purchases by criteria in 10 area codes, 200 at a time; beside it, on emulators
      of their own, a bare loop over purchase_any in the same area codes, and the same loop in
      twilio-python's async client; and the machine's floor: a bare loop buying 10,000 numbers
      given, 200 at a time, from a canned stand-in that does nothing but wait the latency and
      answer (bench/server.py, aiohttp on uvloop), the least any client and server share of
      these two cores.
2. Rates, ``numbers bulk run`` itself against ``numbers emulate --rate-limit R``:
   found without ``--rate`` (a first job, then a second that starts from what
   the first learnt), and held with ``--rate R``: the rate sustained in
   answered requests while purchases went on (÷ R), and the share of requests
   answered 429. Each row gives its commands.
3. Many workers: ``numbers bulk worker`` processes on one job of a PostgreSQL journal (a
   cluster made for the row, as the tests make theirs), against ``numbers emulate
   --rate-limit R --latency L``: the share of R they sustain together from the first purchase
   to the last (answered, not 429), the share of requests answered 429, how soon each worker's
   first purchase is answered after its process starts (and a lone worker's, on a small job of
   its own, the machine otherwise idle), and the plan (``numbers bulk plan``) beside what its
   searches need.
4. Kazoo through collections: activation requests for N numbers (⌈N ÷ batch⌉).
5. Jobs of 1,000, 10,000 and 20,000 purchases by criteria (10 area codes),
   bought and swept for orphans, each in a fresh process: client CPU
   per item (the sweep included), peak RSS, and the peak of the Python heap
   while the job runs (the process's peak includes the imports).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx
import numbers_core as nc
from numbers_core.bulk import ItemState, Journal, RateLimiter, Runner, create_job

from .__main__ import bench_server
from .emulator_load import _AREA_CODES, _cpu_seconds, _picks, buy_all
from .payloads import ACCOUNT_SID, AUTH_TOKEN

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
        announced["command"] = "numbers emulate " + " ".join([dialect, *options])
        yield announced
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(30)


def _answered(url: str) -> dict[str, int]:
    return dict(httpx.get(f"{url}/_emulator/state").json()["answered"])


def _requests(before: dict[str, int], after: dict[str, int]) -> int:
    return sum(after.values()) - sum(before.values())


async def _job(
    announced: dict[str, Any],
    concurrency: int,
    journal_path: Path,
    *,
    picks: list[str] | None = None,
    criteria: dict[str, tuple[nc.SearchQuery, int]] | None = None,
    limiter: RateLimiter | None = None,
    plan: bool = False,
    sweep: bool = False,
    **settings: Any,
) -> tuple[float, float, float, dict[ItemState, int]]:
    """(wall, client CPU, server CPU, counts) of a purchase job of ``picks``, or by ``criteria``
    (numbers chosen as the job goes, as ``numbers bulk run`` does; ``plan``: all chosen first, as
    ``numbers bulk plan`` then ``resume`` do); ``sweep``: with the sweep for orphans."""
    journal = Journal(journal_path)
    async with nc.connect(
        announced["dialect"], max_connections=concurrency, **{**announced["settings"], **settings}
    ) as carrier:
        job = await create_job(journal, carrier, "purchase", numbers=picks, criteria=criteria)
        if tracemalloc.is_tracing():  # the memory row: the run's own peak, the job written down
            tracemalloc.reset_peak()
        runner = Runner(carrier, journal, concurrency=concurrency, limiter=limiter)
        server_cpu = _cpu_seconds(announced["pid"])
        started, client_cpu = time.perf_counter(), time.process_time()
        if plan:
            await runner.plan(job.id, items=False)
        counts = await runner.run(job.id)
        if sweep:
            assert await runner.orphans(job.id) == []
        wall = time.perf_counter() - started
        client_cpu = time.process_time() - client_cpu
        server_cpu = _cpu_seconds(announced["pid"]) - server_cpu
    await journal.aclose()
    return wall, client_cpu, server_cpu, counts


async def _loop(
    buy: Callable[[str], Awaitable[object]], codes: Sequence[str], count: int, concurrency: int
) -> tuple[float, float]:
    """(wall, client CPU) of ``count`` calls of ``buy(area code)``, the codes in turn,
    ``concurrency`` at a time: a plain loop, as a user would write one."""
    limiter = anyio.CapacityLimiter(concurrency)

    async def one(code: str) -> None:
        async with limiter:
            await buy(code)

    started, client_cpu = time.perf_counter(), time.process_time()
    async with anyio.create_task_group() as tasks:
        for index in range(count):
            tasks.start_soon(one, codes[index % len(codes)])
    return time.perf_counter() - started, time.process_time() - client_cpu


async def _buy_by_area_code(
    announced: dict[str, Any], codes: Sequence[str], count: int, concurrency: int
) -> tuple[float, float]:
    """(wall, client CPU) of buying ``count`` numbers in ``codes`` by a plain loop over purchase_any."""
    async with nc.connect(
        announced["dialect"], max_connections=concurrency, **announced["settings"]
    ) as carrier:
        return await _loop(lambda code: carrier.purchase_any(area_code=code), codes, count, concurrency)


async def _twilio_python_by_area_code(
    announced: dict[str, Any], codes: Sequence[str], count: int, concurrency: int
) -> tuple[float, float]:
    """(wall, client CPU) of the same loop in twilio-python's async client (aiohttp underneath): the
    peer a user would otherwise write it with."""
    import aiohttp
    from twilio.http.async_http_client import AsyncTwilioHttpClient
    from twilio.rest import Client

    settings = announced["settings"]
    http = AsyncTwilioHttpClient()  # inside the running loop: its aiohttp session is made here
    await http.session.close()
    # As many connections as calls at once, as a user would set them: aiohttp's default is 100.
    http.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency))
    client = Client(settings["account_sid"], settings["auth_token"], http_client=http)
    client.api.base_url = settings["base_url"]
    numbers = client.api.v2010.accounts(settings["account_sid"]).incoming_phone_numbers
    try:
        return await _loop(lambda code: numbers.create_async(area_code=code), codes, count, concurrency)
    finally:
        await http.close()


def _spread(ratios: list[float]) -> str:
    return f"{min(ratios):.2f} to {max(ratios):.2f}"


def _median(runs: list[tuple[float, ...]]) -> tuple[float, ...]:
    return sorted(runs)[len(runs) // 2]


def speed(purchases: int, concurrency: int, latency: float, work: Path, repeats: int = 3) -> list[str]:
    """By numbers given and by criteria, beside bare adapter loops: the median of ``repeats`` runs
    of each (a shared machine's noise moves single runs), with the range of their ratios."""
    picks = anyio.run(_picks, 2 * repeats * purchases)
    runs: dict[str, list[tuple[float, ...]]] = {
        name: [] for name in ("given", "bare", "going", "first", "area", "peer")
    }
    peer = importlib.util.find_spec("twilio") is not None
    query = nc.SearchQuery(area_code="415")
    with emulator("twilio", "--latency", str(latency)) as announced:

        def job(name: str, journal: str, **options: Any) -> None:
            before = _answered(announced["url"])
            wall, cpu, _, counts = anyio.run(lambda: _job(announced, concurrency, work / journal, **options))
            assert counts == {ItemState.DONE: purchases}, counts
            sent = _requests(before, _answered(announced["url"]))
            bound = sent * latency / concurrency
            runs[name].append((wall / bound, wall, bound, cpu, sent - purchases))

        for run in range(repeats):
            own = picks[2 * run * purchases : 2 * (run + 1) * purchases]
            bound = purchases * latency / concurrency
            wall, cpu = anyio.run(buy_all, announced, own[purchases:], concurrency)
            runs["bare"].append((wall / bound, wall, bound, cpu))
            # One journal a row, as a user's: its first job climbs to the account's rate, the
            # next ones start from what it reached.
            job("given", "given.sqlite3", picks=own[:purchases])
            job("going", "going.sqlite3", criteria={"415": (query, purchases)})
            job("first", "first.sqlite3", criteria={"415": (query, purchases)}, plan=True)
            wall, cpu = anyio.run(_buy_by_area_code, announced, ("415",), purchases, concurrency)
            runs["area"].append((wall / bound, wall, bound, cpu))
            if peer:
                wall, cpu = anyio.run(
                    _twilio_python_by_area_code, announced, ("415",), purchases, concurrency
                )
                runs["peer"].append((wall / bound, wall, bound, cpu))

    def row(label: str, name: str) -> str:
        ratio, wall, bound, cpu, *searched = _median(runs[name])
        searches = f" ({int(searched[0])} searches)" if searched and searched[0] else ""
        return (
            f"| {label} | {wall:.2f} s | {bound:.2f} s{searches} | **{ratio:.2f}** "
            f"({_spread([one[0] for one in runs[name]])}) | {cpu / purchases * 1e3:.2f} ms |"
        )

    load = f"{purchases:,} purchases, {concurrency} at a time, {latency * 1000:.0f} ms (median of {repeats})"
    return [
        row(f"bulk job, numbers given: {load}", "given"),
        row("bare adapter loop, the same numbers (no journal)", "bare"),
        row(
            f"bulk job by criteria in one area code, numbers chosen as it goes (numbers bulk run): {load}",
            "going",
        ),
        row("the same, every number chosen first (numbers bulk plan, then resume)", "first"),
        row("bare adapter loop buying by area code (purchase_any: the carrier picks)", "area"),
        row("the same loop in twilio-python's async client (the peer)", "peer")
        if peer
        else "| the same loop in twilio-python's async client (the peer) | not run: twilio-python is not "
        "installed (nox -s bench installs it) | | | |",
    ]


def spread_out(purchases: int, concurrency: int, latency: float, work: Path) -> list[str]:
    """Purchases by criteria in 10 area codes, at a high concurrency."""
    each = purchases // 10
    criteria = {code: (nc.SearchQuery(area_code=code), each) for code in _AREA_CODES[:10]}
    with emulator("twilio", "--latency", str(latency)) as announced:
        before = _answered(announced["url"])
        wall, cpu, served, counts = anyio.run(
            lambda: _job(announced, concurrency, work / "spread.sqlite3", criteria=criteria)
        )
        sent = _requests(before, _answered(announced["url"]))
    assert counts == {ItemState.DONE: 10 * each}, counts
    loops = [("bare adapter loop buying by area code in the same 10 (purchase_any)", _buy_by_area_code)]
    if importlib.util.find_spec("twilio") is not None:
        loops.append(
            ("the same loop in twilio-python's async client (the peer)", _twilio_python_by_area_code)
        )
    rows = [
        _floored(
            f"bulk job, {10 * each:,} by criteria in 10 area codes, {concurrency} at a time, "
            f"{latency * 1000:.0f} ms (numbers bulk run)",
            wall,
            sent * latency / concurrency,
            f" ({sent - 10 * each} searches)",
            served,
            cpu,
            10 * each,
        )
    ]
    for label, loop in loops:
        # Each on an emulator of its own, stocked afresh: the same numbers for sale as the job had.
        with emulator("twilio", "--latency", str(latency)) as fresh:
            before_cpu = _cpu_seconds(fresh["pid"])
            loop_wall, loop_cpu = anyio.run(loop, fresh, _AREA_CODES[:10], 10 * each, concurrency)
            loop_served = _cpu_seconds(fresh["pid"]) - before_cpu
        bound = 10 * each * latency / concurrency
        rows.append(_floored(label, loop_wall, bound, "", loop_served, loop_cpu, 10 * each))
    with bench_server("--latency", str(latency)) as stand_in:
        picks = anyio.run(_picks, 10 * each)
        floor_wall, floor_cpu, floor_served = anyio.run(_canned_loop, stand_in, picks, concurrency)
    rows.append(
        _floored(
            "the machine's floor: a bare adapter loop buying as many numbers given from a canned "
            "stand-in that only waits the latency (bench/server.py)",
            floor_wall,
            len(picks) * latency / concurrency,
            "",
            floor_served,
            floor_cpu,
            len(picks),
        )
    )
    return rows


async def _canned_loop(base_url: str, picks: list[str], concurrency: int) -> tuple[float, float, float]:
    """(wall, client CPU, server CPU) of buying ``picks`` from the canned stand-in by a plain loop."""

    def served() -> float:
        return float(httpx.get(f"{base_url}/_bench/cpu").text)

    async with nc.connect(
        "twilio",
        max_connections=concurrency,
        account_sid=ACCOUNT_SID,
        auth_token=AUTH_TOKEN,
        base_url=base_url,
    ) as carrier:
        before = served()
        wall, cpu = await _loop(carrier.purchase, picks, len(picks), concurrency)
        return wall, cpu, served() - before


def _floored(
    label: str, wall: float, bound: float, searches: str, served: float, cpu: float, items: int
) -> str:
    """A row of the 10,000: its wall against the latency's bound, and against the largest floor.

    The emulator and the client each run on one event loop: once the requests at once outrun
    either, its CPU time is a floor too; and the two processes share the machine's cores."""
    cores = os.cpu_count() or 1
    floor = max(bound, served, cpu, (served + cpu) / cores)
    return (
        f"| {label} | {wall:.2f} s | {bound:.2f} s{searches}; the server's CPU: {served:.2f} s; the "
        f"client's: {cpu:.2f} s; both on {cores} cores: {(served + cpu) / cores:.2f} s | "
        f"**{wall / bound:.2f}** (÷ the largest: {wall / floor:.2f}) | {cpu / items * 1e3:.2f} ms |"
    )


def _cli_job(announced: dict[str, Any], journal: Path, arguments: list[str]) -> dict[str, Any]:
    """``numbers --provider twilio --json bulk run …`` in its own process: its summary, and the
    emulator's answers while purchases went on (from the first purchase done to the summary)."""
    start = _answered(announced["url"])
    process = _numbers(announced, str(journal), "bulk", "run", *arguments)
    assert process.stdout is not None
    first: tuple[float, dict[str, int]] | None = None
    summary: dict[str, Any] = {}
    for line in process.stdout:
        event = json.loads(line)
        if first is None and event.get("event") == "done":
            first = time.perf_counter(), _answered(announced["url"])
        if "counts" in event:
            summary = event
    last = time.perf_counter(), _answered(announced["url"])
    process.wait(60)
    assert first is not None, "the job bought nothing"
    assert summary, "the job gave no summary"
    answered = {key: last[1].get(key, 0) - first[1].get(key, 0) for key in last[1]}
    whole = {key: last[1].get(key, 0) - start.get(key, 0) for key in last[1]}
    return {
        "summary": summary,
        "sustained": (sum(answered.values()) - answered.get("429", 0)) / (last[0] - first[0]),
        "requests": sum(whole.values()),
        "throttled": whole.get("429", 0),
    }


def rates(purchases: int, rate: float, work: Path) -> list[str]:
    """``numbers bulk run`` against an account limited to ``rate``: found, found again, given."""
    rows = []
    runs = [
        ("found (no --rate), first job on the account", [], "found.sqlite3"),
        ("found again: a second job, from the rate the first learnt", [], "found.sqlite3"),
        ("given: --rate R --burst 10", ["--rate", f"{rate:g}", "--burst", "10"], "given-10.sqlite3"),
        ("given: --rate R --burst 50", ["--rate", f"{rate:g}", "--burst", "50"], "given-50.sqlite3"),
    ]
    for label, options, journal in runs:
        # An account of its own each time: every job buys from the same numbers.
        with emulator(
            "twilio", "--rate-limit", f"{rate:g}", "--burst", "10", "--latency", "0.02"
        ) as announced:
            arguments = [
                "buy",
                "--count",
                str(purchases),
                "--area-code",
                "415",
                "--concurrency",
                "50",
                *options,
            ]
            if "second" in label:  # the first job on the same journal, learning the rate
                _cli_job(announced, work / journal, arguments)
            measured = _cli_job(announced, work / journal, arguments)
        assert measured["summary"]["counts"] == {"done": purchases}, measured["summary"]
        share = measured["throttled"] / measured["requests"]
        command = f"`{announced['command']}`; `numbers bulk run {' '.join(arguments)}`"
        rows.append(
            f"| {label} | {measured['sustained']:.1f}/s | **{measured['sustained'] / rate:.1%}** of R | "
            f"{measured['throttled']} of {measured['requests']} | **{share:.2%}** | {command} |"
        )
    return rows


def _numbers(announced: dict[str, Any], journal: str, *arguments: str) -> subprocess.Popen[str]:
    """``numbers --provider DIALECT --json ARGUMENTS`` in its own process, on the emulator and
    ``journal``; its JSON lines on stdout."""
    env = {
        **os.environ,
        **{f"NUMBERS_TWILIO_{key.upper()}": str(value) for key, value in announced["settings"].items()},
        "NUMBERS_JOURNAL": journal,
        "PYTHONPATH": str(ROOT),
        # Compiled once, kept outside the tree, as an installed package's modules are at install
        # time: with PYTHONDONTWRITEBYTECODE set (as in CI), every process would compile this
        # tree's modules at its start, about a tenth of a second of a worker's.
        "PYTHONPYCACHEPREFIX": str(Path(tempfile.gettempdir()) / "numbers-bench-pycache"),
    }
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    command = [sys.executable, "-m", "numbers_core", "--provider", announced["dialect"], "--json", *arguments]
    return subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)


class _Sampler:
    """The emulator's answers by status, every ``every`` seconds, in a thread: (time, answers)."""

    def __init__(self, url: str, every: float = 0.05) -> None:
        self.samples: list[tuple[float, dict[str, int]]] = []
        self._url, self._every = url, every
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        with httpx.Client() as client:
            while not self._done.is_set():
                answered = client.get(f"{self._url}/_emulator/state").json()["answered"]
                self.samples.append((time.perf_counter(), answered))
                self._done.wait(self._every)

    def __enter__(self) -> _Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()

    def at(self, moment: float) -> dict[str, int]:
        """The answers as of the last sample at or before ``moment``."""
        return max((s for s in self.samples if s[0] <= moment), default=self.samples[0], key=lambda s: s[0])[
            1
        ]


def _lone_worker(announced: dict[str, Any], journal: str, rate: float) -> float:
    """Seconds from a lone ``numbers bulk worker``'s start to its first purchase answered, on a
    small job of its own (the machine otherwise idle: the 4 workers start together on 2 cores)."""
    planner = _numbers(announced, journal, "bulk", "plan", "buy", "--count", "20", "--area-code", "510")
    job = json.loads(planner.communicate()[0])["job"]
    began = time.perf_counter()
    worker = _numbers(announced, journal, "bulk", "worker", job, "--rate", f"{rate:g}")
    assert worker.stdout is not None
    first = math.inf
    for line in worker.stdout:
        if first == math.inf and json.loads(line).get("event") == "done":
            first = time.perf_counter() - began
    assert worker.wait(60) == 0
    return first


def workers(purchases: int, rate: float, latency: float, count: int = 4) -> list[str]:
    """``count`` workers on one planned job of ``purchases``, the account limited to ``rate``."""
    sys.path.insert(0, str(ROOT / "tests"))
    import postgres_cluster  # the tests' own: a cluster of this machine's PostgreSQL, for the row

    label = f"{count} workers (numbers bulk worker), {purchases:,} purchases, {latency * 1000:.0f} ms"
    reason = postgres_cluster.missing()
    if reason is not None:
        return [f"| {label} | skipped: {reason} | | | | | | |"]
    options = ("--rate-limit", f"{rate:g}", "--burst", "10", "--latency", f"{latency:g}")
    with postgres_cluster.cluster() as url, emulator("twilio", *options) as announced:
        planning = ["bulk", "plan", "buy", "--count", str(purchases), "--area-code", "415"]
        with _Sampler(announced["url"], every=0.01) as sampler:
            planner = _numbers(announced, url, *planning)
            job = json.loads(planner.communicate()[0])["job"]
            planned = time.perf_counter()
        searches = _requests(sampler.samples[0][1], sampler.samples[-1][1])
        # The searches, from the first answered (the process started, the job written down) to the
        # last; then what the plan did after them (its last pins, the plan shown).
        answered = [
            (t, sum(answers.values()) - sum(sampler.samples[0][1].values())) for t, answers in sampler.samples
        ]
        searching = next(t for t, n in answered if n == searches) - next(t for t, n in answered if n > 0)
        after = planned - next(t for t, n in answered if n == searches)
        alone = _lone_worker(announced, url, rate)
        first: list[float] = [math.inf] * count
        done: list[float] = []

        def read(index: int, process: subprocess.Popen[str], began: float) -> None:
            assert process.stdout is not None
            for line in process.stdout:
                if json.loads(line).get("event") == "done":
                    moment = time.perf_counter()
                    first[index] = min(first[index], moment - began)
                    done.append(moment)

        with _Sampler(announced["url"]) as sampler:
            processes, readers = [], []
            for index in range(count):
                began = time.perf_counter()
                process = _numbers(announced, url, "bulk", "worker", job, "--rate", f"{rate:g}")
                reader = threading.Thread(target=read, args=(index, process, began))
                reader.start()
                processes.append(process)
                readers.append(reader)
            codes = [process.wait(300) for process in processes]
            for reader in readers:
                reader.join()
    assert codes == [0] * count, codes
    assert len(done) == purchases, len(done)
    start, end = min(done), max(done)
    during = {key: sampler.at(end).get(key, 0) - sampler.at(start).get(key, 0) for key in sampler.at(end)}
    whole = {
        key: sampler.samples[-1][1].get(key, 0) - sampler.samples[0][1].get(key, 0)
        for key in sampler.samples[-1][1]
    }
    sustained = (sum(during.values()) - during.get("429", 0)) / (end - start)
    throttled = whole.get("429", 0)
    share = throttled / max(1, sum(whole.values()))
    bound = searches * latency / 10  # numbers bulk plan searches 10 at a time
    command = (
        f"`{announced['command']}`; `numbers bulk plan {' '.join(planning[2:])}`; "
        f"{count} × `numbers bulk worker JOB --rate {rate:g}`, journal `postgresql://…`"
    )
    requests = sum(whole.values())
    return [
        f"| {label} | {sustained:.1f}/s | **{sustained / rate:.1%}** of R | {throttled} of {requests} | "
        f"**{share:.2%}** | {sorted(first)[count // 2]:.2f} s (slowest {max(first):.2f} s); "
        f"one worker alone: {alone:.2f} s | "
        f"{searches} searches in {searching:.2f} s (first to last answer; × latency ÷ 10 at once: "
        f"{bound:.2f} s), then {after:.2f} s to its end | {command} |"
    ]


def batches(numbers: int, batch: int, work: Path) -> list[str]:
    picks = anyio.run(_picks, numbers)
    with emulator("kazoo") as announced:
        before = _answered(announced["url"])
        wall, _, _, counts = anyio.run(
            lambda: _job(
                announced, 4, work / "kazoo.sqlite3", picks=picks, batch_size=batch, accept_charges=True
            )
        )
        after = _answered(announced["url"])
    assert counts == {ItemState.DONE: numbers}, counts
    requests = _requests(before, after)
    expected = math.ceil(numbers / batch)
    return [
        f"| Kazoo, {numbers} purchases in collections of {batch} | {requests} requests: the login, "
        f"then ⌈N ÷ batch⌉ = {expected} collection activations | {wall:.2f} s |"
    ]


def _child(items: int, announced: dict[str, Any], work: Path) -> tuple[int, float, int, int]:
    """(items, client CPU, peak RSS in KiB, peak Python heap of the job alone in bytes) of a fresh
    process that plans, runs and sweeps a job of ``items`` purchases by criteria."""
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
    bought, cpu, rss, heap = done.stdout.split()[-4:]
    return int(bought), float(cpu), int(rss), int(heap)


def memory(sizes: tuple[int, ...], work: Path) -> list[str]:
    rows = []
    first: tuple[float, int, int] | None = None
    for size in sizes:
        with emulator("twilio") as announced:  # a carrier of its own: every job buys from the same numbers
            items, cpu, rss, heap = _child(size, announced, work)
        per_item = cpu / items
        if first is None:
            first = per_item, rss, heap
            rows.append(
                f"| job of {items:,} items | {per_item * 1e3:.2f} ms | {rss / 1024:.1f} MiB | "
                f"{heap / 2**20:.2f} MiB |"
            )
        else:
            rows.append(
                f"| job of {items:,} items | {per_item * 1e3:.2f} ms ({per_item / first[0]:.2f}×) | "
                f"{rss / 1024:.1f} MiB ({rss / first[1]:.2f}×) | "
                f"{heap / 2**20:.2f} MiB ({heap / first[2]:.2f}×) |"
            )
    return rows


def child(items: int, journal: Path) -> None:
    announced = json.loads(sys.stdin.read())
    each = items // 10
    criteria = {code: (nc.SearchQuery(area_code=code), each) for code in _AREA_CODES[:10]}
    # The whole process's peak includes the imports and the job's creation; the heap traced while
    # it runs is the run's own: the journal's pages, the searches, the requests in flight, the sweep.
    tracemalloc.start()
    _, cpu, _, counts = anyio.run(lambda: _job(announced, 50, journal, criteria=criteria, sweep=True))
    heap = tracemalloc.get_traced_memory()[1]
    assert counts == {ItemState.DONE: 10 * each}, counts
    print(10 * each, cpu, _peak_rss(), heap)


def _peak_rss() -> int:
    """This process's peak resident set in KiB, its own: not ``ru_maxrss``, which a process started
    by another takes over from it (the high-water mark of the parent's memory it was forked from,
    when that is higher: every job then showed the bench's own peak)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # not Linux: the best there is


_ROWS = ("speed", "spread", "rates", "workers", "batches", "memory")


def main(quick: bool, output: Path | None, only: tuple[str, ...] = _ROWS) -> None:
    scale = 5 if quick else 1
    rows = [
        (
            "speed",
            "| Row | Wall | Bound (requests × latency ÷ concurrency) | Wall ÷ bound | Client CPU per item |",
            lambda work: speed(1000 // scale, 50, 0.1, work, repeats=1 if quick else 3),
        ),
        (
            "spread",
            "| Row | Wall | Bound | Wall ÷ bound | Client CPU per item |",
            lambda work: spread_out(10000 // scale, 200, 0.1, work),
        ),
        (
            "rates",
            "| Row | Sustained (answered, not 429) | Share of R | Answered 429 | 429 share | Commands |",
            lambda work: rates(1000 // scale, 100.0, work),
        ),
        (
            "workers",
            "| Row | Sustained (answered, not 429) | Share of R | Answered 429 | 429 share "
            "| First purchase answered after start (median) | numbers bulk plan | Commands |",
            lambda work: workers(1000 // scale, 100.0, 0.1),
        ),
        ("batches", "| Row | Requests | Wall |", lambda work: batches(1000 // scale, 100, work)),
        (
            "memory",
            "| Row | Client CPU per item (sweep included) | Peak RSS | Peak heap of the run |",
            lambda work: memory((1000 // scale, 10000 // scale, 20000 // scale), work),
        ),
    ]
    sections = ["# Bulk jobs: bench", "", f"`python -m bench.bulk{' --quick' if quick else ''}`", ""]
    with tempfile.TemporaryDirectory() as directory:
        for name, header, measure in rows:
            if name not in only:
                continue
            # Each table printed as soon as it is measured: a row that fails keeps the others.
            table = [header, "|" + "---|" * (header.count("|") - 1), *measure(Path(directory)), ""]
            print("\n".join(table), flush=True)
            sections += table
            if output is not None:
                output.write_text("\n".join(sections))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a fifth of the work: a smoke run")
    parser.add_argument("--output", type=Path, help="default: bench/bulk-results.md, unless --rows")
    parser.add_argument("--rows", help=f"only these tables, comma-separated: {', '.join(_ROWS)}")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--journal", type=Path, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.child:
        child(arguments.child, arguments.journal)
    else:
        only = tuple(arguments.rows.split(",")) if arguments.rows else _ROWS
        if unknown := set(only) - set(_ROWS):
            parser.error(f"--rows: no table {', '.join(sorted(unknown))}; the tables: {', '.join(_ROWS)}")
        default = None if arguments.rows else ROOT / "bench" / "bulk-results.md"
        main(arguments.quick, arguments.output or default, only)
