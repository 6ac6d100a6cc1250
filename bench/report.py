"""The bench's tables, as Markdown (printed, and saved to bench/results.md)."""

from __future__ import annotations

from typing import Any

from .clients import CLIENTS, LARGE_LISTING, ROWS

MAIN = ["ours-asyncio", "ours-trio", "twilio-async", "twilio-sync"]
OURS = ["ours-asyncio", "ours-trio"]
REFERENCE = "twilio-async"
BASELINES = [
    "ours-httpx-default",
    "core-asyncio",
    "core-trio",
    "httpx-default",
    "httpx-aiohttp",
    "httpx-ours",
    "aiohttp",
]
LIMITS = ["ours-asyncio", "ours-trio", "twilio-async", "twilio-sync", "core-asyncio", "aiohttp"]


def _ms(value: float | None) -> str:
    if value is None:
        return "–"
    if value >= 10:
        return f"{value:.1f}"
    if value >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def _cell(results: dict[str, Any], client: str, row: str, key: str = "cpu_ms") -> float | None:
    measured = results.get(client, {}).get(row)
    return None if measured is None else float(measured[key])


def _table(header: list[str], lines: list[list[str]]) -> list[str]:
    return [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|",
        *("| " + " | ".join(line) + " |" for line in lines),
    ]


def _label(client: str) -> str:
    return CLIENTS[client][0]


def _limit(row: str, requests: float, latency: dict[str, float]) -> float:
    """latency × requests ÷ concurrency, each request at the raw round trip of its endpoint."""
    concurrency = ROWS[row][1]
    if row.startswith("purchase"):
        # One POST; anything more is the look-up GET our adapter makes before buying.
        total = latency["purchase"] + max(0.0, requests - 1) * latency["lookup"]
    else:
        # Every page of a listing is as large as the one-page row's.
        total = latency["list" if row.startswith("list") else row] * requests
    return total / concurrency


def _large_listing(results: dict[str, dict[str, Any]], present: list[str]) -> list[str]:
    """CPU per number over the whole large account, and how much the process's peak memory grew."""
    row = "list-100k"
    reference = _cell(results, REFERENCE, row)
    lines = []
    for client in present:
        cpu = _cell(results, client, row)
        if cpu is None:
            continue
        ratio = "–" if not reference or client == REFERENCE else f"{cpu / reference:.2f}×"
        growth = _cell(results, client, row, "peak_growth_mb")
        lines.append([_label(client), f"{cpu * 1000 / LARGE_LISTING:.1f}", ratio, f"{growth:.0f}"])
    return [
        *_table(["client", "CPU µs per number", "÷ twilio async", "peak memory growth (MB)"], lines),
        "",
        "One operation lists the whole account: 100 pages of 1,000 numbers, each page linked to the "
        "next, every number, sid and date distinct. The goal is at most half of twilio-python "
        "async's CPU per number (0.50×) with memory flat.",
    ]


def render(results: dict[str, dict[str, Any]], context: dict[str, Any]) -> str:
    present = [c for c in CLIENTS if c in results]
    out = [
        "# numbers-core bench",
        "",
        "Client-process CPU time per operation (`time.process_time()`, the whole client process: "
        "HTTP stack, parsing, models), against one canned Twilio server on 127.0.0.1 (aiohttp, its "
        "own process). Every operation is checked (30 numbers found, the number asked for bought, "
        f"1,000 numbers listed). Each client runs in a fresh process, {context['passes']} times in "
        "alternating orders; each cell is the best of its medians over the rounds. Lower is better.",
        "",
        "## CPU ms per operation",
        "",
    ]
    header = ["operation", *(_label(c) for c in MAIN if c in present)]
    header += [f"{_label(c).removeprefix('numbers-core ')} ÷ twilio async" for c in OURS if c in present]
    header.append("requests / op (ours, twilio)")
    lines = []
    for row, (title, _) in ROWS.items():
        line = [title, *(_ms(_cell(results, c, row)) for c in MAIN if c in present)]
        reference = _cell(results, REFERENCE, row)
        for client in OURS:
            if client not in present:
                continue
            ours = _cell(results, client, row)
            if ours is None or not reference:
                line.append("–")
            else:
                ratio = ours / reference
                line.append(f"**{ratio:.2f}×**" if ratio <= 1.0 else f"{ratio:.2f}×")
        requests = (
            next((r for c in OURS if (r := _cell(results, c, row, "requests")) is not None), None),
            _cell(results, REFERENCE, row, "requests"),
        )
        line.append(" / ".join("–" if r is None else f"{r:g}" for r in requests))
        lines.append(line)
    out += _table(header, lines)
    out += [
        "",
        "Bold: at or below twilio-python's async client (the goal). The sync client has one "
        "request in flight at a time, so it has no 50-concurrent row.",
        "",
        "## Baselines (CPU ms per operation)",
        "",
    ]
    base = [c for c in BASELINES if c in present]
    lines = [[title, *(_ms(_cell(results, c, row)) for c in base)] for row, (title, _) in ROWS.items()]
    out += _table(["operation", *(_label(c) for c in base)], lines)
    out += [
        "",
        "*numbers-core, httpx default transport*: the same adapter given a plain `httpx.AsyncClient` "
        "(`http_client=`), i.e. the stack before `numbers_core._transport`. *bare HttpCore*: the "
        "core's `request_json` alone (retry loop, URL policy, JSON), no adapter. *bare httpx*/*bare "
        "aiohttp*: one request and the JSON decoded, nothing else: what the transport alone costs.",
        "",
        "## Listing 100,000 numbers",
        "",
    ]
    out += _large_listing(results, present)
    out += [
        "",
        "## Wall time against the limit",
        "",
    ]
    latency = context["latency"]
    lines = []
    for row, (title, _) in ROWS.items():
        for client in (c for c in LIMITS if c in present):
            cpu, wall = _cell(results, client, row), _cell(results, client, row, "wall_ms")
            requests = _cell(results, client, row, "requests")
            if cpu is None or wall is None or requests is None:
                continue
            limit = _limit(row, requests, latency)
            lines.append(
                [
                    title,
                    _label(client),
                    f"{requests:g}",
                    _ms(wall),
                    _ms(limit),
                    f"{wall / limit:.1f}×",
                    f"{cpu / wall:.0%}",
                ]
            )
    out += _table(
        [
            "operation",
            "client",
            "requests / op",
            "wall ms / op",
            "limit ms / op",
            "wall ÷ limit",
            "CPU ÷ wall",
        ],
        lines,
    )
    out += [
        "",
        "Limit: latency × requests ÷ concurrency, where latency is the median round trip a raw "
        "blocking socket gets from the same server for that request ("
        + ", ".join(f"{name} {value:.3f} ms" for name, value in latency.items())
        + "). At 50 concurrent the single-process server, not the client, bounds the wall time, so "
        "that limit is not reachable there; CPU ÷ wall near 100% means the client is CPU-bound.",
        "",
        "## Run",
        "",
        f"- {context['machine']}; {context['seconds']:.0f} s in all",
        "- " + ", ".join(f"{name} {value}" for name, value in context["versions"].items()),
        "- operations × rounds per row and pass: "
        + ", ".join(f"{row} {ops}×{rounds}" for row, (ops, rounds) in context["plan"].items()),
    ]
    failed = {c: r["error"] for c, r in results.items() if "error" in r}
    for client, error in failed.items():
        out += [f"- **{client} failed**: `{error.splitlines()[-1] if error else '?'}`"]
    return "\n".join(out) + "\n"
