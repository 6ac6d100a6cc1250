"""``python -m bench.instructions``: instructions per operation, counted by valgrind (callgrind).

CPU time on a shared two-core machine moves by 10-20% from run to run, which
is as much as the differences the bench looks for. An instruction count does
not move: each client runs the same warm-up twice under callgrind, once
followed by N operations and once by none; the difference over N is what
one operation costs, the whole client process included (interpreter, event
loop, HTTP stack, parsing). It leaves out time in the kernel (system calls),
which ``python -m bench`` measures. Needs ``valgrind`` on the PATH; slow
(a minute or two per client and row), so rows and clients are chosen:

    python -m bench.instructions --rows search --clients ours-asyncio,ours-trio,twilio-async

``python -m bench.instructions NAME ROW N BASE_URL`` is the measured process itself.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .__main__ import ROOT, bench_server
from .clients import CLIENTS, ROWS, _numbers, _operation

WARM_UP = 50  # a multiple of every row's concurrency
# Operations counted per row (multiples of its concurrency): enough that the count per operation
# settles to a few parts in 10,000.
OPERATIONS = {"search": 200, "purchase": 200, "purchase-50": 200, "list": 4}


def _run_operations(name: str, row: str, count: int, base_url: str) -> None:
    import anyio

    _, loop, factory = CLIENTS[name]
    concurrency = ROWS[row][1]
    plan = {"rows": {row: (WARM_UP + count, 1)}}

    async def main() -> None:
        numbers = _numbers(plan)
        async with factory(base_url) as client:
            op = _operation(client, row, numbers)

            async def worker(share: int) -> None:
                for _ in range(share):
                    await op()

            async def batch(total: int) -> None:
                # ``concurrency`` in flight, as in ``python -m bench``.
                async with anyio.create_task_group() as tasks:
                    for _ in range(concurrency):
                        tasks.start_soon(worker, total // concurrency)

            await batch(WARM_UP)
            if count:
                await batch(count)

    if loop == "sync":
        raise SystemExit("the sync client is not counted")  # one loop per process: the async ones
    anyio.run(main, backend=loop)


def _instructions(name: str, row: str, count: int, base_url: str) -> int:
    completed = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            sys.executable,
            "-m",
            "bench.instructions",
            name,
            row,
            str(count),
            base_url,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        # Dict order and hashing must not differ between the two runs being subtracted.
        env={**os.environ, "PYTHONHASHSEED": "0"},
        check=False,
    )
    found = re.search(r"Collected : (\d+)", completed.stderr)
    if completed.returncode != 0 or found is None:
        tail = "\n".join(completed.stderr.strip().splitlines()[-4:])
        raise RuntimeError(f"{name} {row}: callgrind run failed:\n{tail}")
    return int(found.group(1))


def per_operation(name: str, row: str, base_url: str) -> float:
    count = OPERATIONS[row]
    with ThreadPoolExecutor(2) as pool:  # the two runs at once: one per core
        base, full = pool.map(lambda n: _instructions(name, row, n, base_url), (0, count))
    return (full - base) / count


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] in CLIENTS:
        _run_operations(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4])
        return
    parser = argparse.ArgumentParser(prog="python -m bench.instructions", description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="search", help=f"comma-separated subset of: {', '.join(ROWS)}")
    parser.add_argument("--clients", default="ours-asyncio,ours-trio,twilio-async")
    parser.add_argument("--output", default=str(ROOT / "bench" / "instructions.md"))
    args = parser.parse_args()
    rows, names = args.rows.split(","), args.clients.split(",")
    wrong = [row for row in rows if row not in ROWS] + [
        name for name in names if name not in CLIENTS or CLIENTS[name][1] == "sync"
    ]
    if wrong:
        parser.error(f"unknown or not countable: {', '.join(wrong)}")
    if shutil.which("valgrind") is None:
        parser.error("valgrind is not on the PATH")
    counts: dict[tuple[str, str], float] = {}
    with bench_server() as base_url:
        for row in rows:
            for name in names:
                print(f"  {name} {row} ...", file=sys.stderr, flush=True)
                counts[name, row] = per_operation(name, row, base_url)
    text = render(rows, names, counts)
    print(text)
    Path(args.output).write_text(text)
    print(f"(written to {args.output})", file=sys.stderr)


def render(rows: list[str], names: list[str], counts: dict[tuple[str, str], float]) -> str:
    reference = "twilio-async" if "twilio-async" in names else None
    header = ["operation", *(CLIENTS[name][0] for name in names)]
    if reference is not None:
        header += [f"{CLIENTS[name][0]} ÷ twilio async" for name in names if name != reference]
    lines = ["| " + " | ".join(header) + " |", "|---|" + "---:|" * (len(header) - 1)]
    for row in rows:
        cells = [ROWS[row][0], *(f"{counts[name, row] / 1e6:.3f} M" for name in names)]
        if reference is not None:
            cells += [
                f"{counts[name, row] / counts[reference, row]:.2f}×" for name in names if name != reference
            ]
        lines.append("| " + " | ".join(cells) + " |")
    operations = ", ".join(f"{row} N={OPERATIONS[row]}" for row in rows)
    return (
        "\n".join(
            [
                "# numbers-core bench: instructions per operation",
                "",
                "Counted by valgrind's callgrind over the whole client process (N operations after a "
                f"warm-up of {WARM_UP}, minus the warm-up alone; {operations}), "
                "against the same canned server as `python -m bench`. Unlike CPU time, the count does "
                "not move with the machine's load; it leaves out the kernel's work (system calls). "
                "Lower is better.",
                "",
                *lines,
            ]
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
