"""Shared fixtures. Every async test runs once under asyncio and once under trio.

Mark async tests with ``pytest.mark.anyio`` (or set ``pytestmark`` in the
module); the ``anyio_backend`` fixture below parametrizes them.
"""

from __future__ import annotations

import pytest


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """No test reads the developer's own config, data directory or NUMBERS_* variables."""
    import os

    for name in list(os.environ):
        if name.startswith("NUMBERS_"):
            monkeypatch.delenv(name)
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.chdir(home)
