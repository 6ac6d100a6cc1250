"""What a blocking call costs over the same call awaited: ``python -m bench.blocking [--quick]``.

1. One caller: the time per call of the async API (awaited in a loop on asyncio) and of the
   blocking API (``numbers_core.sync``, from a plain thread), and their difference: the blocking
   call's own cost, the hand-over to the provider's loop thread and back. Wall time, and the
   process's CPU time (all threads), which a loaded machine moves less. Calls: an empty
   coroutine (the hand-over alone), and the sandbox's ``get`` and ``search``, which do no I/O, so
   that the difference is all there is to see. Against a carrier, the same cost is added to a
   network round trip.
2. Eight callers sharing one provider: eight threads on one blocking provider against eight
   tasks on one async provider (sandbox ``get``): calls per second, and the time each call takes
   its caller.

Every figure is the median of ``--rounds`` rounds (5): a shared machine's noise moves single ones.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from collections.abc import Callable
from typing import Any

import anyio
import numbers_core as nc
from numbers_core import sync
from numbers_core.sync._portal import LoopThread

THREADS = 8


def _timed(run: Callable[[], None], calls: int, rounds: int) -> tuple[float, float]:
    """(wall, CPU) seconds per call of ``run`` (``calls`` calls), the medians of ``rounds``."""
    walls, cpus = [], []
    for _ in range(rounds):
        started, cpu = time.perf_counter(), time.process_time()
        run()
        walls.append((time.perf_counter() - started) / calls)
        cpus.append((time.process_time() - cpu) / calls)
    return statistics.median(walls), statistics.median(cpus)


def _operations(carrier: nc.Provider | sync.BlockingProvider, number: object) -> dict[str, Callable[[], Any]]:
    return {"get": lambda: carrier.get(number), "search": lambda: carrier.search(area_code="415", limit=1)}


async def _async_per_call(call: str, calls: int, rounds: int) -> tuple[float, float]:
    async with nc.connect("sandbox") as carrier:
        operation = _operations(carrier, await carrier.purchase_any())[call]
        for _ in range(calls // 10):
            await operation()
        timings = []
        for _ in range(rounds):
            started, cpu = time.perf_counter(), time.process_time()
            for _ in range(calls):
                await operation()
            timings.append(((time.perf_counter() - started) / calls, (time.process_time() - cpu) / calls))
    return statistics.median(t[0] for t in timings), statistics.median(t[1] for t in timings)


def _blocking_per_call(call: str, calls: int, rounds: int) -> tuple[float, float]:
    with sync.connect("sandbox") as carrier:
        operation = _operations(carrier, carrier.purchase_any())[call]
        for _ in range(calls // 10):
            operation()

        def run() -> None:
            for _ in range(calls):
                operation()

        return _timed(run, calls, rounds)


def _floor(calls: int, rounds: int) -> tuple[float, float]:
    """An empty coroutine through a blocking provider's loop: the hand-over alone."""

    async def nothing() -> None:
        pass

    loop = LoopThread(lambda: nc.TransportError("closed"))
    hint = ("nothing()", "await nothing()")

    def run() -> None:
        for _ in range(calls):
            loop.run(hint, nothing)

    try:
        return _timed(run, calls, rounds)
    finally:
        loop.close()


async def _async_shared(calls: int, rounds: int) -> tuple[float, float]:
    """(calls per second, seconds per call) of THREADS tasks sharing one async provider."""
    async with nc.connect("sandbox") as carrier:
        number = await carrier.purchase_any()

        async def caller() -> None:
            for _ in range(calls):
                await carrier.get(number)

        walls = []
        for _ in range(rounds):
            started = time.perf_counter()
            async with anyio.create_task_group() as tasks:
                for _ in range(THREADS):
                    tasks.start_soon(caller)
            walls.append(time.perf_counter() - started)
    wall = statistics.median(walls)
    return THREADS * calls / wall, wall / calls


def _blocking_shared(calls: int, rounds: int) -> tuple[float, float]:
    """(calls per second, seconds per call) of THREADS threads sharing one blocking provider."""
    with sync.connect("sandbox") as carrier:
        number = carrier.purchase_any()
        walls = []
        for _ in range(rounds):
            start = threading.Barrier(THREADS + 1)

            def caller(start: threading.Barrier = start) -> None:
                start.wait()
                for _ in range(calls):
                    carrier.get(number)

            threads = [threading.Thread(target=caller) for _ in range(THREADS)]
            for thread in threads:
                thread.start()
            start.wait()
            started = time.perf_counter()
            for thread in threads:
                thread.join()
            walls.append(time.perf_counter() - started)
    wall = statistics.median(walls)
    return THREADS * calls / wall, wall / calls


def _us(seconds: float) -> str:
    return f"{seconds * 1e6:,.0f} µs"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the calls (a smoke run)")
    parser.add_argument("--rounds", type=int, default=5)
    arguments = parser.parse_args(argv)
    calls = 2000 // (10 if arguments.quick else 1)
    rounds = arguments.rounds

    print("| one caller | wall: async | blocking | added | CPU: async | blocking | added |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    wall, cpu = _floor(calls, rounds)
    print(f"| empty coroutine | – | {_us(wall)} | {_us(wall)} | – | {_us(cpu)} | {_us(cpu)} |", flush=True)
    for call in ("get", "search"):
        (async_wall, async_cpu), (wall, cpu) = (
            anyio.run(_async_per_call, call, calls, rounds),
            _blocking_per_call(call, calls, rounds),
        )
        print(
            f"| sandbox {call} | {_us(async_wall)} | {_us(wall)} | {_us(wall - async_wall)} "
            f"| {_us(async_cpu)} | {_us(cpu)} | {_us(cpu - async_cpu)} |",
            flush=True,
        )

    print()
    print(f"| {THREADS} callers, one provider | calls/s: async | blocking | per call: async | blocking |")
    print("|---|---:|---:|---:|---:|")
    async_rate, async_each = anyio.run(_async_shared, calls // THREADS, rounds)
    rate, each = _blocking_shared(calls // THREADS, rounds)
    print(f"| sandbox get | {async_rate:,.0f} | {rate:,.0f} | {_us(async_each)} | {_us(each)} |", flush=True)


if __name__ == "__main__":
    main()
