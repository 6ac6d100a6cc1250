"""Injected failures: reproducible, carrier-shaped, and after-commit where it hurts."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numbers_core as nc
import pytest
from numbers_core import (
    ConflictError,
    NotFoundError,
    NumberConfig,
    NumbersError,
    OutcomeUnknownError,
    ProviderUnavailableError,
    RateLimitError,
)
from numbers_core.sandbox import SandboxProvider, SandboxSettings
from numbers_core.sandbox._faults import RETRY_AFTER, Faults

pytestmark = pytest.mark.anyio


def outcomes(faults: Faults, operation: str, keys: list[str]) -> list[str]:
    seen = []
    for key in keys:
        try:
            seen.append("lost" if faults.strike(operation, key) else "ok")
        except (ProviderUnavailableError, RateLimitError) as exc:
            seen.append(type(exc).__name__)
    return seen


KEYS = [f"+1800555{n:04d}" for n in range(400)]


def test_no_rate_no_failures() -> None:
    assert set(outcomes(Faults(0.0, 1, provider="sandbox"), "purchase", KEYS)) == {"ok"}


def test_the_same_seed_fails_the_same_calls() -> None:
    first = outcomes(Faults(0.3, 7, provider="sandbox"), "purchase", KEYS)
    assert first == outcomes(Faults(0.3, 7, provider="sandbox"), "purchase", KEYS)
    assert first != outcomes(Faults(0.3, 8, provider="sandbox"), "purchase", KEYS)
    counts = Counter(first)
    # Roughly the rate asked for, split over the three kinds.
    assert 80 <= 400 - counts["ok"] <= 160
    assert min(counts["lost"], counts["ProviderUnavailableError"], counts["RateLimitError"]) >= 15


def test_the_order_of_different_calls_does_not_matter() -> None:
    forward = outcomes(Faults(0.5, 3, provider="sandbox"), "release", KEYS)
    backward = outcomes(Faults(0.5, 3, provider="sandbox"), "release", KEYS[::-1])
    assert forward == backward[::-1]


def test_a_retried_call_gets_a_fresh_draw() -> None:
    faults = Faults(0.5, 11, provider="sandbox")
    tries = outcomes(faults, "configure", ["+18005550100"] * 40)
    assert "ok" in tries
    assert len(set(tries)) > 1


def test_reads_never_lose_an_answer() -> None:
    assert "lost" not in outcomes(Faults(1.0, 5, provider="sandbox"), "get", KEYS)
    assert "lost" not in outcomes(Faults(1.0, 5, provider="sandbox"), "search", KEYS)


def test_the_errors_look_like_a_carrier_s() -> None:
    faults = Faults(1.0, 0, provider="sandbox")
    raised: dict[type[Exception], Exception] = {}
    for key in KEYS:
        try:
            faults.strike("purchase", key)
        except (ProviderUnavailableError, RateLimitError) as exc:
            raised[type(exc)] = exc
    limited = raised[RateLimitError]
    assert isinstance(limited, RateLimitError)
    assert limited.retry_after == RETRY_AFTER
    assert limited.provider == "sandbox"
    assert raised[ProviderUnavailableError].provider == "sandbox"
    lost = faults.lost("purchase", "+18005550100")
    assert isinstance(lost, OutcomeUnknownError)
    assert (lost.operation, lost.number, lost.provider, lost.retryable) == (
        "purchase",
        "+18005550100",
        "sandbox",
        False,
    )


async def test_a_lost_purchase_really_bought_the_number(tmp_path: Path) -> None:
    path = str(tmp_path / "sandbox.db")
    clean = SandboxProvider(SandboxSettings(path=path))
    flaky = SandboxProvider(SandboxSettings(path=path, fail_rate=1.0, fail_seed=0))
    candidates = await clean.search(number_type="toll_free", limit=60)
    failed: dict[str, NumbersError] = {}
    for number in candidates:
        try:
            await flaky.purchase(number, config=NumberConfig(friendly_name="flaky"))
        except (OutcomeUnknownError, ProviderUnavailableError, RateLimitError) as exc:
            failed[number.phone_number] = exc
    assert len(failed) == len(candidates)  # a rate of 1 fails every call
    lost = {e164 for e164, exc in failed.items() if isinstance(exc, OutcomeUnknownError)}
    assert {exc.number for exc in failed.values() if isinstance(exc, OutcomeUnknownError)} == lost
    assert 0 < len(lost) < len(candidates)
    kinds = {type(exc) for exc in failed.values()}
    assert kinds == {OutcomeUnknownError, ProviderUnavailableError, RateLimitError}
    # Where the answer was lost the number was bought (listed below); where the call failed up
    # front it was not, and it is still for sale.
    for e164 in {n.phone_number for n in candidates} - lost:
        with pytest.raises(NotFoundError):
            await clean.get(e164)
    for e164 in lost:
        # Buying it again says it is the account's already: nothing is bought twice.
        with pytest.raises(ConflictError):
            await clean.purchase(e164)
    owned = [n async for n in flaky.list()]  # listing does not fail
    assert {n.phone_number for n in owned} == lost
    assert {n.friendly_name for n in owned} == {"flaky"}
    await clean.aclose()
    await flaky.aclose()


async def test_a_flaky_sandbox_from_connect_fails_some_calls_and_not_others() -> None:
    async with nc.connect("sandbox", fail_rate=0.5, fail_seed=42) as carrier, nc.connect("sandbox") as clean:
        bought: list[nc.ActiveNumber] = []
        failures: Counter[str] = Counter()
        for number in await clean.search(number_type="toll_free", limit=40):
            try:
                bought.append(await carrier.purchase(number))
            except nc.NumbersError as exc:
                failures[type(exc).__name__] += 1
        assert bought
        assert set(failures) <= {"OutcomeUnknownError", "ProviderUnavailableError", "RateLimitError"}
        assert sum(failures.values()) >= 5


async def test_a_lost_release_really_released_the_number(tmp_path: Path) -> None:
    path = str(tmp_path / "sandbox.db")
    async with (
        nc.connect("sandbox", path=path) as clean,
        nc.connect("sandbox", path=path, fail_rate=1.0, fail_seed=3) as flaky,
    ):
        owned = [await clean.purchase(n) for n in await clean.search(number_type="toll_free", limit=30)]
        lost: set[str] = set()
        for number in owned:
            try:
                await flaky.release(number)
            except OutcomeUnknownError:
                lost.add(number.phone_number)
            except (ProviderUnavailableError, RateLimitError):
                pass
        assert 0 < len(lost) < len(owned)
        still_owned = {n.phone_number async for n in clean.list()}
        assert still_owned == {n.phone_number for n in owned} - lost


async def test_a_lost_purchase_any_bought_the_number_it_names(tmp_path: Path) -> None:
    path = str(tmp_path / "sandbox.db")
    async with (
        nc.connect("sandbox", path=path) as clean,
        nc.connect("sandbox", path=path, fail_rate=1.0, fail_seed=5) as flaky,
    ):
        named: list[str | None] = []
        for area_code in ("212", "312", "415", "617", "206", "303", "512", "404", "305", "702"):
            try:
                await flaky.purchase_any(area_code=area_code)
            except OutcomeUnknownError as exc:
                named.append(exc.number)
            except (ProviderUnavailableError, RateLimitError):
                pass
        assert named
        assert [n.phone_number async for n in clean.list()] == named
