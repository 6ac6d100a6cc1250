"""Purchases at once on one provider: every call returns a number that it bought, never one that
another call bought.

``purchase_any``: each adapter against its emulator over a socket, by the
carrier's native call where it has one and by search then purchase
otherwise; and the sandbox, in memory and in a SQLite file. ``purchase`` of
one number by many calls: one buys it, the others are told the account owns
it already.
"""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path
from typing import Any

import anyio
import httpx
import numbers_core as nc
import pytest
from numbers_core.emulator import Emulator, serve

pytestmark = pytest.mark.anyio

CALLS = 50

# (provider, criteria, whether the carrier picks the number itself)
CASES = [
    ("twilio", {"area_code": "415"}, True),  # AreaCode
    ("twilio", {"area_code": "415", "voice": True}, False),
    ("signalwire", {"area_code": "415"}, False),
    ("kazoo", {"area_code": "415"}, False),
    ("sinch", {"area_code": "415"}, True),  # rentAny
    ("sinch", {"country": "CA", "area_code": "604"}, False),  # rentAny sells US numbers only
    ("sinch-draft", {"area_code": "415"}, False),
    ("telnyx", {"area_code": "415"}, True),  # an inexplicit order
    ("telnyx", {"country": "GB", "area_code": "20"}, False),  # inexplicit orders are for US and CA only
    ("vonage", {"area_code": "415"}, False),
    ("plivo", {"area_code": "415"}, False),
]


async def buy_at_once(carrier: nc.Provider, criteria: dict[str, Any]) -> Counter[str]:
    """``CALLS`` calls of ``purchase_any`` at once: how often each number was returned, and each
    error by its type and code."""
    results: Counter[str] = Counter()

    async def one() -> None:
        try:
            results[(await carrier.purchase_any(**criteria)).phone_number] += 1
        except nc.NumbersError as exc:
            results[f"{type(exc).__name__}({getattr(exc, 'code', None)})"] += 1

    async with anyio.create_task_group() as tasks:
        for _ in range(CALLS):
            tasks.start_soon(one)
    return results


def check_distinct(results: Counter[str], owned: set[str], caplog: pytest.LogCaptureFixture) -> None:
    # No error, no number twice.
    assert len(results) == CALLS, {key: count for key, count in results.items() if count > 1 or key[0] != "+"}
    assert set(results) == owned  # each one bought, and nothing else
    # The calls picked different candidates: none bumped into a number another call had bought.
    assert not [r for r in caplog.records if "bought meanwhile by another call" in r.getMessage()]


@pytest.mark.parametrize(("provider", "criteria", "native"), CASES)
async def test_concurrent_calls_buy_distinct_numbers_at_the_emulator(
    provider: str, criteria: dict[str, Any], native: bool, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="numbers_core")
    with serve(Emulator(provider)) as server:
        async with server.connect() as carrier:
            assert carrier._can_purchase_any_natively(nc.SearchQuery(**criteria)) is native
            results = await buy_at_once(carrier, criteria)
        async with httpx.AsyncClient() as http:
            state = (await http.get(f"{server.url}/_emulator/state")).json()
    [owned] = state["numbers"].values()
    check_distinct(results, set(owned), caplog)


@pytest.mark.parametrize("stored", ["memory", "sqlite"])
async def test_concurrent_calls_buy_distinct_numbers_in_the_sandbox(
    stored: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="numbers_core")
    path: dict[str, Any] = {"path": str(tmp_path / "sandbox.db")} if stored == "sqlite" else {}
    async with nc.connect("sandbox", **path) as carrier:
        results = await buy_at_once(carrier, {"area_code": "415"})
        owned = {number.phone_number async for number in carrier.list()}
    check_distinct(results, owned, caplog)


@pytest.mark.parametrize(
    "provider",
    [
        "sandbox",
        "twilio",
        "signalwire",
        "kazoo",
        "sinch",
        "sinch-draft",
        "telnyx",
        "vonage",
        "plivo",
    ],
)
async def test_concurrent_purchases_of_one_number_buy_it_once(provider: str) -> None:
    results: Counter[str] = Counter()

    async def race(carrier: nc.Provider) -> None:
        [offer] = await carrier.search(area_code="415", limit=1)

        async def one() -> None:
            try:
                await carrier.purchase(offer)
                results["bought"] += 1
            except nc.ConflictError as exc:
                results[str(exc.code)] += 1

        async with anyio.create_task_group() as tasks:
            for _ in range(10):
                tasks.start_soon(one)

    if provider == "sandbox":
        async with nc.connect("sandbox") as carrier:
            await race(carrier)
    else:
        with serve(Emulator(provider)) as server:
            async with server.connect() as carrier:
                await race(carrier)
    # Kazoo activates a number the account has in service again, and says so with success.
    assert results == {"bought": 1, "already-owned": 9}
