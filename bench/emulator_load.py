"""The load the bulk engine will put on an emulator: N purchases, C at a time, with injected latency.

``python -m bench.emulator_load [--purchases 1000] [--concurrency 50] [--latency 0.1] [--dialect twilio]
[--searches 0] [--lists 0] [--profile FILE]``

The emulator serves on 127.0.0.1 from its own process (``numbers emulate``,
as a bulk job would meet it); the client is the dialect's adapter over a
real socket, in this process. Printed: wall time, the floor the
latency sets (latency × purchases ÷ concurrency, one request each), their
ratio, and the emulator's answers by status. Numbers are picked beforehand
from the emulator's own inventory, so the run measures purchases only.

Then, if asked: ``--searches`` searches by area code (the bulk engine's, 30
numbers each), each followed by purchases of up to 9 of its numbers (none
twice), C at a time, as a bulk job by criteria sends them (the store
changes with every purchase, and with it the numbers a search walks); and
``--lists`` listings of the account whole (what it bought, in pages of the
adapter's size). Each with the server's CPU per request. ``--profile
FILE``: the server runs under cProfile, its statistics written to FILE when
it stops (its times are wall times, the event loop's waits for requests
among them, and the CPU figures then include the profiler's own).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import numbers_core as nc


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# Of each search's numbers, how many a bulk job buys (10,000 purchases for 1,152 searches).
_BOUGHT_EACH = 9

# Californian area codes where the sandbox sells at least 1,000 numbers each.
_AREA_CODES = (
    *("415", "510", "650", "408", "707", "925", "209", "559", "916", "831", "530", "619"),
    *("858", "213", "310", "818", "951", "714", "949", "562", "626", "909", "760", "805"),
)


async def _picks(purchases: int) -> list[str]:
    """Numbers the sandbox sells (the emulator's inventory), in several area codes."""
    picks: list[str] = []
    async with nc.connect("sandbox", account_id="bench-picker") as walker:
        for area_code in _AREA_CODES:
            if len(picks) >= purchases:
                break
            found = await walker.search(area_code=area_code, limit=min(1000, purchases - len(picks)))
            picks.extend(n.phone_number for n in found)
    return picks


@contextlib.asynccontextmanager
async def _carrier(
    announced: dict[str, Any], concurrency: int
) -> AsyncIterator[tuple[Any, anyio.CapacityLimiter]]:
    """The dialect's adapter to the emulator announced, and a limiter of ``concurrency`` requests."""
    async with nc.connect(
        announced["dialect"], max_connections=concurrency, **announced["settings"]
    ) as carrier:
        yield carrier, anyio.CapacityLimiter(concurrency)


async def buy_all(announced: dict[str, Any], picks: list[str], concurrency: int) -> tuple[float, float]:
    """(wall seconds, client CPU) of buying every pick, ``concurrency`` at a time, by a plain loop."""
    async with _carrier(announced, concurrency) as (carrier, limiter):

        async def buy(number: str) -> None:
            async with limiter:
                await carrier.purchase(number)

        started, client_cpu = time.perf_counter(), time.process_time()
        async with anyio.create_task_group() as tasks:
            for number in picks:
                tasks.start_soon(buy, number)
        return time.perf_counter() - started, time.process_time() - client_cpu


async def search_and_buy(announced: dict[str, Any], searches: int, concurrency: int) -> None:
    """``searches`` searches by area code, 30 numbers each, then up to 9 of each one's numbers bought
    (each number once), as a bulk job by criteria does (1,152 searches for 10,000 purchases);
    ``concurrency`` at a time."""
    async with _carrier(announced, concurrency) as (carrier, limiter):

        async def search(area_code: str) -> None:
            async with limiter:
                found = await carrier.search(area_code=area_code, limit=30)
            # Searches at the same time show the same numbers: each is bought once, as a job's
            # journal pins it to one item.
            chosen = [n.phone_number for n in found if n.phone_number not in pinned][:_BOUGHT_EACH]
            pinned.update(chosen)
            for number in chosen:
                async with limiter:
                    await carrier.purchase(number)

        pinned: set[str] = set()
        async with anyio.create_task_group() as tasks:
            for n in range(searches):
                tasks.start_soon(search, _AREA_CODES[n % len(_AREA_CODES)])


async def list_all(announced: dict[str, Any], lists: int) -> None:
    """The account listed whole ``lists`` times, one after the other."""
    async with nc.connect(announced["dialect"], **announced["settings"]) as carrier:
        for _ in range(lists):
            async for _number in carrier.list():
                pass


async def _drive(
    announced: dict[str, Any], server_pid: int, picks: list[str], concurrency: int, searches: int, lists: int
) -> dict[str, Any]:
    """Each load in turn: its wall time, the client's and the server's CPU, the requests it sent."""
    measured: dict[str, Any] = {}

    async def answered() -> int:
        async with httpx.AsyncClient() as http:
            return sum((await http.get(f"{announced['url']}/_emulator/state")).json()["answered"].values())

    async def measure(kind: str, load: Any) -> None:
        before, server_cpu, client_cpu = await answered(), _cpu_seconds(server_pid), time.process_time()
        started = time.perf_counter()
        await load()
        wall = time.perf_counter() - started
        # The state request that counts them is the server's too: one more, beside hundreds.
        measured[kind] = (
            wall,
            time.process_time() - client_cpu,
            _cpu_seconds(server_pid) - server_cpu,
            await answered() - before,
        )

    await measure("purchases", lambda: buy_all(announced, picks, concurrency))
    if searches:
        await measure(
            "searches and their purchases", lambda: search_and_buy(announced, searches, concurrency)
        )
    if lists:
        await measure("list pages", lambda: list_all(announced, lists))
    async with httpx.AsyncClient() as http:
        measured["answers"] = (await http.get(f"{announced['url']}/_emulator/state")).json()["answered"]
    return measured


def main(
    purchases: int,
    concurrency: int,
    latency: float,
    dialect: str,
    searches: int,
    lists: int,
    profile: str | None,
) -> None:
    picks = anyio.run(_picks, purchases)[:purchases]
    profiled = ["-m", "cProfile", "-o", profile] if profile else []
    command = [sys.executable, *profiled, "-m", "numbers_core", "--json", "emulate", dialect, "--port", "0"]
    server = subprocess.Popen([*command, "--latency", str(latency)], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        announced = json.loads(server.stdout.readline())
        measured = anyio.run(_drive, announced, server.pid, picks, concurrency, searches, lists)
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(30)
    wall = measured["purchases"][0]
    floor = latency * len(picks) / concurrency
    print(f"{dialect}: {len(picks)} purchases, {concurrency} at a time, {latency * 1000:.0f} ms latency")
    print(f"wall {wall:.2f} s" + (f"; floor {floor:.2f} s; {wall / floor:.2f}x the floor" if floor else ""))
    print(f"answers: {measured['answers']}")
    for kind in ("purchases", "searches and their purchases", "list pages"):
        if kind in measured:
            _, client_cpu, server_cpu, sent = measured[kind]
            client, served = (cpu / sent * 1e3 for cpu in (client_cpu, server_cpu))
            print(f"CPU per request, {kind} ({sent}): client {client:.2f} ms, server {served:.2f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--purchases", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--dialect", default="twilio")
    parser.add_argument("--searches", type=int, default=0)
    parser.add_argument("--lists", type=int, default=0)
    parser.add_argument("--profile", help="run the server under cProfile, its statistics written here")
    arguments = parser.parse_args()
    main(
        arguments.purchases,
        arguments.concurrency,
        arguments.latency,
        arguments.dialect,
        arguments.searches,
        arguments.lists,
        arguments.profile,
    )
