"""Fixtures for the bulk tests: retries and settling waits asked for, not slept."""

from __future__ import annotations

import anyio
import pytest


@pytest.fixture(autouse=True)
def _no_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    async def sleep(seconds: float) -> None:
        await anyio.lowlevel.checkpoint()

    monkeypatch.setattr("numbers_core._http._sleep", sleep)
    monkeypatch.setattr("numbers_core._provider._sleep", sleep)
    monkeypatch.setattr("numbers_core.bulk._engine._sleep", sleep)
