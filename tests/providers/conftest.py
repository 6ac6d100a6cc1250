"""Fixtures every adapter's tests share: a clock for session tokens, and waits asked for, not slept."""

from __future__ import annotations

import pytest


class Clock:
    """The wall clock session tokens are timed with; tests move ``now``."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr("numbers_core._auth._now", clock)
    return clock


@pytest.fixture(autouse=True)
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The waits the core asked for, none of them slept (an adapter's conftest may add its own)."""
    waited: list[float] = []

    async def sleep(seconds: float) -> None:
        waited.append(seconds)

    monkeypatch.setattr("numbers_core._http._sleep", sleep)
    monkeypatch.setattr("numbers_core._provider._sleep", sleep)
    return waited
