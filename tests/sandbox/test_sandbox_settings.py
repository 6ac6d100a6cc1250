"""The sandbox's settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from numbers_core.sandbox import SandboxSettings
from pydantic import ValidationError


def test_defaults_keep_state_in_memory_for_the_sandbox_account() -> None:
    settings = SandboxSettings()
    assert settings.path is None
    assert settings.account_id == "sandbox"
    assert settings.fail_rate == 0.0


def test_a_path_may_be_a_path_object_or_start_with_a_tilde(tmp_path: Path) -> None:
    assert SandboxSettings(path=tmp_path / "x.db").path == str(tmp_path / "x.db")  # type: ignore[arg-type]
    assert SandboxSettings(path="~/sandbox.db").path == str(Path.home() / "sandbox.db")


def test_an_empty_path_means_memory() -> None:
    assert SandboxSettings(path="").path is None
    assert SandboxSettings(path="  ").path is None


@pytest.mark.parametrize("account", ["team-a", "user@example.com", "ACME.prod:1", "x" * 64])
def test_account_ids(account: str) -> None:
    assert SandboxSettings(account_id=account).account_id == account


@pytest.mark.parametrize("account", ["", "two words", "x" * 65, "semi;colon", "new\nline"])
def test_bad_account_ids(account: str) -> None:
    with pytest.raises(ValidationError):
        SandboxSettings(account_id=account)


@pytest.mark.parametrize("rate", [-0.1, 1.01])
def test_the_fail_rate_is_a_share(rate: float) -> None:
    with pytest.raises(ValidationError):
        SandboxSettings(fail_rate=rate)


def test_unknown_settings_are_refused() -> None:
    with pytest.raises(ValidationError):
        SandboxSettings(colour="red")  # type: ignore[call-arg]
