"""The CLI against the built-in sandbox, its default carrier, kept in a real SQLite file."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numbers_core as nc
import pytest
from cli_checks import one_error_line
from numbers_core._registry import load_provider
from typer.testing import Result


def default_file() -> Path:
    return Path(os.environ["XDG_DATA_HOME"]) / "numbers-core" / "sandbox.sqlite3"


def test_a_number_through_its_whole_life(
    cli: Callable[..., Result], cli_json: Callable[..., Any], sandbox_path: Path
) -> None:
    [offer] = cli_json("search", "--area-code", "415", "--sms", "--limit", "1")
    number = offer["phone_number"]
    assert number.startswith("+1415")

    bought = cli_json("buy", number, "--friendly-name", "Front desk")
    assert [entry["phone_number"] for entry in bought["bought"]] == [number]
    assert sandbox_path.is_file()
    assert not default_file().exists()

    listed = cli("list")
    assert listed.exit_code == 0
    assert number in listed.stdout
    assert "Front desk" in listed.stdout

    configured = cli_json(
        "configure", number, "--voice-url", "https://example.com/voice", "--extra", "servicePlanId=abc"
    )
    assert configured["config"]["voice"]["url"] == "https://example.com/voice"
    assert configured["config"]["extra"] == {"servicePlanId": "abc"}
    assert configured["friendly_name"] == "Front desk"

    shown = nc.ActiveNumber.model_validate(cli_json("show", number))
    assert shown.config.voice is not None
    assert shown.config.voice.url == "https://example.com/voice"

    assert cli_json("release", number) == {"released": number}
    assert cli_json("list") == []


def test_with_nothing_configured_the_sandbox_file_is_in_the_data_directory(
    cli: Callable[..., Result], cli_json: Callable[..., Any]
) -> None:
    bought = cli_json("buy", "--count", "2", "--country", "GB", "--type", "mobile")
    numbers = sorted(entry["phone_number"] for entry in bought["bought"])
    assert len(numbers) == 2
    assert all(number.startswith("+447") for number in numbers)
    assert default_file().is_file()
    assert sorted(entry["phone_number"] for entry in cli_json("list")) == numbers
    assert sorted(entry["phone_number"] for entry in cli_json("--provider", "sandbox", "list")) == numbers


def test_a_profile_path_is_respected(
    cli_json: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kept = tmp_path / "team.sqlite3"
    config = tmp_path / "numbers.toml"
    config.write_text(f'[profiles.team]\nprovider = "sandbox"\npath = "{kept}"\n')
    monkeypatch.setenv("NUMBERS_CONFIG", str(config))
    bought = cli_json("--profile", "team", "buy", "-n", "1")
    assert len(bought["bought"]) == 1
    assert kept.is_file()
    assert not default_file().exists()


def test_a_profile_without_a_path_keeps_its_other_settings(
    cli_json: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "numbers.toml"
    config.write_text('default = "team"\n[profiles.team]\nprovider = "sandbox"\naccount_id = "team-a"\n')
    monkeypatch.setenv("NUMBERS_CONFIG", str(config))
    [bought] = cli_json("buy", "-n", "1")["bought"]
    assert bought["account_id"] == "team-a"
    assert default_file().is_file()
    assert [entry["account_id"] for entry in cli_json("list")] == ["team-a"]


def test_carrier_errors_from_the_sandbox(cli: Callable[..., Result], sandbox_path: Path) -> None:
    [number] = [line.split()[0] for line in cli("search", "--limit", "1").stdout.splitlines() if "+" in line]
    assert cli("buy", number).exit_code == 0
    again = cli("buy", number)
    assert again.exit_code == 1
    assert one_error_line(again).startswith(f"error: could not buy {number}: sandbox: ")
    assert cli("release", number).exit_code == 0
    gone = cli("show", number)
    assert gone.exit_code == 1
    assert "sandbox" in one_error_line(gone)


def test_a_failing_carrier_is_one_line_and_exit_1(
    cli: Callable[..., Result], sandbox_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NUMBERS_SANDBOX_FAIL_RATE", "1")
    result = cli("search")
    assert result.exit_code == 1
    assert one_error_line(result).startswith("error: sandbox: ")
    assert result.stdout == ""


def test_the_sandbox_column_of_the_matrix(cli_json: Callable[..., Any]) -> None:
    matrix = {column["name"]: column for column in cli_json("providers")}
    expected = sorted(str(feature) for feature in load_provider("sandbox").features)
    assert matrix["sandbox"]["features"] == expected


def test_transfer_moves_a_number_to_another_account(
    cli: Callable[..., Result], cli_json: Callable[..., Any], sandbox_path: Path
) -> None:
    [offer] = cli_json("search", "--limit", "1")
    cli_json("buy", offer["phone_number"])
    moved = cli_json("transfer", offer["phone_number"], "other-account")
    assert moved["account_id"] == "other-account"
    assert cli_json("list") == []


def test_a_national_number_takes_its_country_from_the_option(
    cli: Callable[..., Result], cli_json: Callable[..., Any], sandbox_path: Path
) -> None:
    [offer] = cli_json("search", "--area-code", "415", "--limit", "1")
    cli_json("buy", offer["phone_number"])
    national = offer["phone_number"].removeprefix("+1")
    assert cli_json("show", national, "--country", "us")["phone_number"] == offer["phone_number"]
    # Without --country, in the default country its help names (US).
    assert cli_json("show", national)["phone_number"] == offer["phone_number"]
    refused = cli("show", "020 7946 0000")
    assert refused.exit_code == 2
    assert "--country" in one_error_line(refused)


def test_an_area_code_is_three_digits_in_north_america_and_leading_digits_elsewhere(
    cli: Callable[..., Result], cli_json: Callable[..., Any], sandbox_path: Path
) -> None:
    refused = cli("search", "--area-code", "41")
    assert refused.exit_code == 2
    assert one_error_line(refused) == (
        "error: --area-code: an area code in US is 3 digits, the first 2 to 9 (415), not '41'"
    )
    london = cli_json("search", "--country", "GB", "--area-code", "20", "--limit", "3")
    assert london
    assert all(offer["phone_number"].startswith("+4420") for offer in london)


def test_several_providers_at_once(cli: Callable[..., Result], cli_json: Callable[..., Any]) -> None:
    Path("numbers.toml").write_text(
        '[profiles.east]\nprovider = "sandbox"\naccount_id = "east"\npath = "east.sqlite3"\n'
    )
    offers = cli_json("--provider", "sandbox,east", "search", "--area-code", "415", "--limit", "2")
    assert [offer["provider"] for offer in offers] == ["sandbox", "sandbox"]
    number = offers[0]["phone_number"]
    bought = cli_json("--provider", "sandbox, east", "buy", number)
    assert [(entry["phone_number"], entry["provider"]) for entry in bought["bought"]] == [(number, "sandbox")]
    # The sandbox member kept its state in the data directory, as the sandbox alone does.
    assert default_file().is_file()
    listed = cli_json("--provider", "east,sandbox", "list")
    assert [(entry["phone_number"], entry["provider"]) for entry in listed] == [(number, "sandbox")]
    # Tables name each number's carrier across several, and only then.
    for args in (["search", "--area-code", "510", "--limit", "1"], ["list"]):
        several = cli("--provider", "east,sandbox", *args)
        header = next(line for line in several.stdout.splitlines() if "Number" in line)
        assert header.split()[-1] == "Provider", several.stdout
        assert "Provider" not in cli("--provider", "sandbox", *args).stdout
    assert cli("--provider", "east,sandbox", "list").stdout.splitlines()[-1].split()[-1] == "sandbox"
    unknown = cli("--provider", "sandbox,nosuch", "list")
    assert unknown.exit_code == 2
    assert "member 'nosuch' is neither a profile of numbers.toml nor a provider" in one_error_line(unknown)
