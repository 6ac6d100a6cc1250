"""The sandbox under test: in memory and in a SQLite file."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import numbers_core as nc
import pytest


@pytest.fixture(params=["memory", "sqlite"])
def sandbox_path(request: pytest.FixtureRequest, tmp_path: Path) -> str | None:
    return None if request.param == "memory" else str(tmp_path / "state" / "sandbox.db")


@pytest.fixture
async def carrier(sandbox_path: str | None) -> AsyncIterator[nc.Provider]:
    async with nc.connect("sandbox", path=sandbox_path) as provider:
        yield provider
