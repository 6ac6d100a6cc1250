"""``python -m bench`` (what ``nox -s bench`` runs): client CPU time per operation, side by side.

1. Start the canned Twilio server (bench/server.py) in its own process on 127.0.0.1.
2. Measure the round trip a minimal raw-socket client gets from it: the latency
   behind the "limit" columns (latency × requests ÷ concurrency).
3. Run every client (bench/clients.py) in a fresh process, ``--passes`` times
   (three by default), in alternating orders, so that a burst of load elsewhere
   on the machine does not land on one client only; per client and row keep
   the best of the medians (load only ever adds CPU time).
4. Print the tables and write them to bench/results.md. Stop the server.

``--quick`` runs a fifth of the operations (a smoke test); ``--clients a,b``
runs only those clients; ``--output PATH`` writes the tables elsewhere.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from .clients import BASIC, CLIENTS, LIST_PATH, PURCHASE_PATH, ROWS, SEARCH_PATH
from .report import render

ROOT = Path(__file__).resolve().parent.parent
# Operations per round and rounds per row and pass: bounded so that the whole run stays within
# a few minutes on two cores.
PLAN = {
    "search": (300, 3),
    "purchase": (400, 3),
    "purchase-50": (500, 3),
    "purchase-50-waves": (500, 3),
    "list": (8, 3),
    "list-100k": (1, 2),
}
CLIENT_TIMEOUT = 300


@contextmanager
def bench_server(*options: str) -> Iterator[str]:
    """The server process (``options``: its command line's), stopped on the way out whatever happens."""
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.server", *options],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line.startswith("PORT "):
            raise RuntimeError(f"the bench server did not start: {line!r}")
        yield f"http://127.0.0.1:{int(line.split()[1])}"
    finally:
        if process.stdin is not None:
            process.stdin.close()  # the server stops at EOF on its stdin
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _raw_request(method: str, path: str, body: bytes = b"") -> bytes:
    head = [
        f"{method} {path} HTTP/1.1",
        "Host: 127.0.0.1",
        f"Authorization: {BASIC}",
        "Content-Type: application/x-www-form-urlencoded",
        f"Content-Length: {len(body)}",
    ]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def _round_trip(sock: socket.socket, request: bytes) -> None:
    sock.sendall(request)
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(1 << 20)
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        body += sock.recv(1 << 20)


def latencies(base_url: str) -> dict[str, float]:
    """Median wall milliseconds of one round trip per endpoint, for a client that does nothing else."""
    port = int(base_url.rsplit(":", 1)[1])
    requests = {
        "search": (_raw_request("GET", SEARCH_PATH + "?PageSize=30"), 300),
        "lookup": (_raw_request("GET", PURCHASE_PATH + "?PhoneNumber=%2B18083428973"), 300),
        "purchase": (_raw_request("POST", PURCHASE_PATH, b"PhoneNumber=%2B18083428973"), 300),
        "list": (_raw_request("GET", LIST_PATH + "?PageSize=1000"), 20),
    }
    found = {}
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for name, (request, count) in requests.items():
            _round_trip(sock, request)
            times = []
            for _ in range(count):
                started = time.perf_counter()
                _round_trip(sock, request)
                times.append(time.perf_counter() - started)
            found[name] = statistics.median(times) * 1000
    return found


def run_client(name: str, base_url: str, plan: dict[str, tuple[int, int]]) -> dict[str, Any]:
    completed = subprocess.run(
        [sys.executable, "-m", "bench.clients", name, base_url, json.dumps({"rows": plan})],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=CLIENT_TIMEOUT,
        check=False,
    )
    if completed.returncode != 0:
        tail = "\n".join(completed.stderr.strip().splitlines()[-6:])
        return {"error": tail or f"exit status {completed.returncode}"}
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


def _versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for package in ("numbers-core", "httpx", "anyio", "trio", "aiohttp", "twilio", "httpx-aiohttp"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = "not installed"
    return found


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a fifth of the operations: a smoke test")
    parser.add_argument("--clients", help=f"comma-separated subset of: {', '.join(CLIENTS)}")
    parser.add_argument("--output", default=str(ROOT / "bench" / "results.md"))
    parser.add_argument("--passes", type=int, default=3, help="runs per client, in alternating orders")
    args = parser.parse_args()
    names = args.clients.split(",") if args.clients else list(CLIENTS)
    unknown = [name for name in names if name not in CLIENTS]
    if unknown:
        parser.error(f"unknown client(s): {', '.join(unknown)}")
    plan = {
        row: (max(ROWS[row][1], ops // 5), rounds) if args.quick else (ops, rounds)
        for row, (ops, rounds) in PLAN.items()
    }

    started = time.perf_counter()
    load_before = os.getloadavg()
    results: dict[str, dict[str, Any]] = {}
    with bench_server() as base_url:
        latency = latencies(base_url)
        for run_number in range(max(1, args.passes)):
            order = names if run_number % 2 == 0 else names[::-1]
            for name in order:
                print(f"  {name} (pass {run_number + 1}) ...", file=sys.stderr, flush=True)
                run = run_client(name, base_url, plan)
                best = results.setdefault(name, {})
                if "error" in run:
                    best.setdefault("error", run["error"])
                    continue
                for row, measured in run.items():
                    if row not in best or measured["cpu_ms"] < best[row]["cpu_ms"]:
                        best[row] = measured
    context = {
        "versions": _versions(),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, load average {load_before[0]:.2f} before "
        f"and {os.getloadavg()[0]:.2f} after",
        "plan": plan,
        "passes": max(1, args.passes),
        "seconds": time.perf_counter() - started,
        "latency": latency,
    }
    text = render(results, context)
    print(text)
    Path(args.output).write_text(text)
    print(f"(written to {args.output})", file=sys.stderr)


if __name__ == "__main__":
    main()
