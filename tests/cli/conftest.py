"""Fixtures for the CLI tests: a runner, a sandbox file per test, an installed fake carrier."""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from numbers_core.cli._app import app
from typer.testing import CliRunner, Result

HERE = Path(__file__).parent


@pytest.fixture
def sandbox_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The sandbox file every CLI run of the test shares, as NUMBERS_SANDBOX_PATH names it."""
    path = tmp_path / "sandbox.sqlite3"
    monkeypatch.setenv("NUMBERS_SANDBOX_PATH", str(path))
    return path


@pytest.fixture
def journal_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sandbox_path: Path) -> Path:
    """The bulk jobs' journal of the test, as NUMBERS_JOURNAL names it (beside its sandbox file)."""
    path = tmp_path / "jobs.sqlite3"
    monkeypatch.setenv("NUMBERS_JOURNAL", str(path))
    return path


@pytest.fixture
def cli() -> Callable[..., Result]:
    """Run ``numbers ARGS…`` in this process; the result has exit_code, stdout and stderr apart."""
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(app, list(args), prog_name="numbers")

    return invoke


@pytest.fixture
def cli_json(cli: Callable[..., Result]) -> Callable[..., Any]:
    """Run ``numbers --json ARGS…``, check it succeeded and return the parsed stdout."""

    def invoke(*args: str) -> Any:
        result = cli("--json", *args)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    return invoke


@pytest.fixture
def fake_carrier(install_distribution: Callable[..., Path]) -> ModuleType:
    """tests/cli/fake_carrier.py installed as the distribution ``fake-carrier``.

    Registers ``fake``, ``tunable`` and ``broken`` (whose module does not exist).
    Returns the module, fresh for each test: its OWNED dict is the account.
    """
    install_distribution(
        "fake-carrier",
        {
            "fake": "fake_carrier:FakeCarrier",
            "tunable": "fake_carrier:TunableCarrier",
            "broken": "no_such_module_anywhere:Carrier",
        },
        modules={"fake_carrier": (HERE / "fake_carrier.py").read_text()},
    )
    return importlib.import_module("fake_carrier")
