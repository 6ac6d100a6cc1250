"""The ``numbers`` commands, run in-process against the installed fake carrier.

The fake (tests/cli/fake_carrier.py) is registered through a real
distribution's entry points and configured through NUMBERS_FAKE_* variables,
so every run goes through the same registry and configuration as a user's.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import numbers_core as nc
import pytest
from cli_checks import one_error_line
from numbers_core.cli import _output
from typer.testing import Result

FIRST, SECOND, THIRD = "+14152000001", "+14152000002", "+14152000003"
NOT_FOR_SALE = "+14155552671"


@pytest.fixture
def fake(fake_carrier: ModuleType, cli: Callable[..., Result]) -> Callable[..., Result]:
    """Run ``numbers --provider fake ARGS…``."""

    def invoke(*args: str) -> Result:
        return cli("--provider", "fake", *args)

    return invoke


@pytest.fixture
def fake_json(fake_carrier: ModuleType, cli_json: Callable[..., Any]) -> Callable[..., Any]:
    def invoke(*args: str) -> Any:
        return cli_json("--provider", "fake", *args)

    return invoke


# -- search ------------------------------------------------------------------------------


def test_search_shows_a_table_of_the_numbers_for_sale(fake: Callable[..., Result]) -> None:
    result = fake("search")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    header = next(line for line in lines if "Number" in line)
    assert "Monthly" in header
    assert "Setup" not in header  # no number has a setup price: the column is left out
    rows = [line for line in lines if line.strip().startswith("+1415")]
    assert [row.split()[0] for row in rows] == [f"+1415200{index:04d}" for index in range(1, 7)]
    assert all("1.15 USD" in row and "voice sms" in row for row in rows)


def test_search_json_is_the_models_dump(fake_json: Callable[..., Any]) -> None:
    found = fake_json("search", "--limit", "2")
    assert [number["phone_number"] for number in found] == [FIRST, SECOND]
    parsed = nc.AvailableNumber.model_validate(found[0])
    assert parsed.monthly_price == nc.Money(amount="1.15", currency="USD")
    assert found[0]["geography"]["locality"] == "San Francisco"
    assert found[0]["capabilities"]["voice"] is True


def test_search_passes_the_criteria_to_the_provider(fake_json: Callable[..., Any]) -> None:
    assert [n["phone_number"] for n in fake_json("search", "--contains", "2000005")] == ["+14152000005"]
    assert fake_json("search", "--area-code", "212") == []
    assert len(fake_json("search", "--area-code", "415", "--voice", "--type", "local")) == 6


def test_search_without_results_says_so_on_stderr(fake: Callable[..., Result]) -> None:
    result = fake("search", "--area-code", "212")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "No numbers match" in result.stderr


@pytest.mark.parametrize(
    ("args", "mentions"),
    [
        (["--fax"], "search.fax"),
        (["--type", "mobile"], "number_type.mobile"),
        (["--country", "XX"], "country"),
        (["--distance", "5"], "needs near_number or near_lat_long"),
        (["--limit", "0"], "limit"),
        (["--contains", "***"], "contains"),
        (["--near-lat-long", "100,5", "--distance", "3"], "near_lat_long"),
        (["--limit", "many"], "--limit"),
        (["--type", "landline"], "--type"),
        (["--no-such-option"], "--no-such-option"),
    ],
)
def test_search_refuses_bad_or_unsupported_criteria_in_one_line(
    fake: Callable[..., Result], args: list[str], mentions: str
) -> None:
    result = fake("search", *args)
    assert result.exit_code == 2
    assert mentions in one_error_line(result)
    assert result.stdout == ""


def test_search_when_the_carrier_is_unreachable_exits_1(
    fake: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NUMBERS_FAKE_OFFLINE", "true")
    result = fake("search")
    assert result.exit_code == 1
    assert one_error_line(result) == "error: fake: connection refused"


# -- buy ---------------------------------------------------------------------------------


def test_buy_one_number_shows_it_and_the_account_owns_it(
    fake: Callable[..., Result], fake_carrier: ModuleType
) -> None:
    result = fake("buy", FIRST)
    assert result.exit_code == 0, result.output
    assert FIRST in result.stdout
    assert "active" in result.stdout
    assert result.stderr == ""
    assert list(fake_carrier.OWNED) == [FIRST]


def test_buy_json_reports_what_was_bought(fake_json: Callable[..., Any]) -> None:
    report = fake_json("buy", FIRST, SECOND)
    assert report["requested"] == 2
    assert [nc.ActiveNumber.model_validate(n).phone_number for n in report["bought"]] == [FIRST, SECOND]
    assert report["failed"] == []
    assert report["not_attempted"] == []
    assert report["interrupted"] is False


def test_buy_applies_the_configuration_in_the_same_step(
    fake_json: Callable[..., Any], fake_carrier: ModuleType
) -> None:
    report = fake_json(
        "buy", FIRST, "--friendly-name", "Support line", "--voice-url", "https://example.com/voice"
    )
    [bought] = report["bought"]
    assert bought["friendly_name"] == "Support line"
    assert bought["config"]["voice"]["url"] == "https://example.com/voice"
    [sent] = fake_carrier.CONFIGURED
    assert sent.model_fields_set == {"friendly_name", "voice"}
    assert sent.voice is not None
    assert sent.voice.model_fields_set == {"url"}


def test_buy_the_same_number_twice_in_one_command_buys_it_once(fake_json: Callable[..., Any]) -> None:
    report = fake_json("buy", FIRST, FIRST)
    assert report["requested"] == 1
    assert [n["phone_number"] for n in report["bought"]] == [FIRST]


def test_buy_a_number_not_for_sale_exits_1_with_one_line(fake: Callable[..., Result]) -> None:
    result = fake("buy", NOT_FOR_SALE)
    assert result.exit_code == 1
    line = one_error_line(result)
    assert line == f"error: could not buy {NOT_FOR_SALE}: fake: {NOT_FOR_SALE} is not available (HTTP 400)"
    assert result.stdout == ""


def test_buy_carries_on_past_a_taken_number_and_reports_both(
    fake: Callable[..., Result], fake_carrier: ModuleType
) -> None:
    result = fake("--json", "buy", NOT_FOR_SALE, SECOND)
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert [n["phone_number"] for n in report["bought"]] == [SECOND]
    assert report["failed"] == [
        {
            "number": NOT_FOR_SALE,
            "error": "NumberUnavailableError",
            "message": f"fake: {NOT_FOR_SALE} is not available (HTTP 400)",
        }
    ]
    assert NOT_FOR_SALE in one_error_line(result)
    assert list(fake_carrier.OWNED) == [SECOND]


def test_buy_stops_at_an_error_that_would_fail_every_purchase(
    fake: Callable[..., Result], fake_carrier: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NUMBERS_FAKE_FUNDS", "1")
    result = fake("buy", FIRST, SECOND, THIRD)
    assert result.exit_code == 1
    assert FIRST in result.stdout  # what was bought is still shown
    assert result.stderr.splitlines() == [
        f"error: could not buy {SECOND}: fake: insufficient funds (HTTP 402)",
        f"error: not attempted: {THIRD}",
    ]
    assert list(fake_carrier.OWNED) == [FIRST]


def test_buy_count_buys_that_many_matching_numbers(
    fake_json: Callable[..., Any], fake_carrier: ModuleType
) -> None:
    report = fake_json("buy", "--count", "3", "--area-code", "415")
    assert [n["phone_number"] for n in report["bought"]] == [FIRST, SECOND, THIRD]
    assert sorted(fake_carrier.OWNED) == [FIRST, SECOND, THIRD]


def test_buy_count_partial_failure_reports_bought_and_failed(
    fake: Callable[..., Result], fake_carrier: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NUMBERS_FAKE_FUNDS", "2")
    result = fake("--json", "buy", "-n", "4")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert len(report["bought"]) == 2
    assert report["failed"] == [
        {"number": THIRD, "error": "PaymentRequiredError", "message": "fake: insufficient funds (HTTP 402)"}
    ]
    assert one_error_line(result) == "error: bought 2 of 4 numbers: fake: insufficient funds (HTTP 402)"
    assert len(fake_carrier.OWNED) == 2


def test_buy_count_when_nothing_is_left_to_buy(fake: Callable[..., Result], fake_carrier: ModuleType) -> None:
    result = fake("buy", "--count", "7")
    assert result.exit_code == 1
    assert "bought 6 of 7 numbers" in one_error_line(result)
    assert len(fake_carrier.OWNED) == 6


def test_buy_stops_when_a_purchase_outcome_is_unknown(
    fake: Callable[..., Result], fake_carrier: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NUMBERS_FAKE_LOSE_PURCHASE", "2")
    result = fake("--json", "buy", FIRST, SECOND, THIRD)
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert [n["phone_number"] for n in report["bought"]] == [FIRST]
    assert report["failed"][0]["error"] == "OutcomeUnknownError"
    assert report["not_attempted"] == [THIRD]
    assert result.stderr.splitlines() == [
        f"error: fake: purchase timed out; {SECOND} may have been bought: "
        f"check with `numbers show {SECOND}` before buying it again",
        f"error: not attempted: {THIRD}",
    ]


def test_buy_count_names_the_number_whose_purchase_outcome_is_unknown(
    fake: Callable[..., Result], fake_carrier: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NUMBERS_FAKE_LOSE_PURCHASE", "2")
    result = fake("--json", "buy", "--count", "3")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert [n["phone_number"] for n in report["bought"]] == [FIRST]
    assert report["failed"] == [
        {"number": SECOND, "error": "OutcomeUnknownError", "message": "fake: purchase timed out"}
    ]
    assert one_error_line(result) == (
        f"error: bought 1 of 3 numbers: fake: purchase timed out; {SECOND} may have been bought: "
        f"check with `numbers show {SECOND}` before buying it again"
    )
    # Not bought again, nor any other number after it: the run stops at an unknown outcome.
    assert fake_carrier.FakeCarrier.purchases == 2
    assert sorted(fake_carrier.OWNED) == [FIRST, SECOND]


def test_buy_count_passes_over_a_number_taken_meanwhile(
    fake_json: Callable[..., Any], fake_carrier: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    searched = fake_carrier.FakeCarrier._search

    async def stale(self: Any, query: nc.SearchQuery) -> list[nc.AvailableNumber]:
        offers = await searched(self, query)
        fake_carrier.OWNED.setdefault(FIRST, None)  # someone else buys the first one meanwhile
        return offers

    monkeypatch.setattr(fake_carrier.FakeCarrier, "_search", stale)
    report = fake_json("buy", "--count", "2")
    assert [n["phone_number"] for n in report["bought"]] == [SECOND, THIRD]
    assert report["failed"] == []


def test_buy_count_on_twilio_settles_every_purchase_whose_answer_is_lost(
    cli: Callable[..., Result], numbers_emulator: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Twilio can buy "any number in area code 415" in one request, but when its answer is lost
    # nothing tells which number was bought; a purchase of a named number can be looked up.
    server = numbers_emulator("twilio", lost=1.0)
    for key, value in server.emulator.client_settings(server.url).items():
        monkeypatch.setenv(f"NUMBERS_TWILIO_{key.upper()}", str(value))
    result = cli("--json", "--provider", "twilio", "buy", "--count", "2", "--area-code", "415")
    assert result.exit_code == 0, result.stderr
    bought = [n["phone_number"] for n in json.loads(result.stdout)["bought"]]
    assert len(bought) == 2
    assert all(number.startswith("+1415") for number in bought)
    listed = cli("--json", "--provider", "twilio", "list")
    assert sorted(n["phone_number"] for n in json.loads(listed.stdout)) == sorted(bought)


def test_buy_interrupted_reports_what_was_bought_and_exits_130(
    fake: Callable[..., Result], fake_carrier: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NUMBERS_FAKE_INTERRUPT_PURCHASE", "3")
    result = fake("buy", "--count", "5")
    assert result.exit_code == 130
    assert FIRST in result.stdout
    assert SECOND in result.stdout
    [line] = result.stderr.splitlines()
    assert line == (
        "error: interrupted after buying 2 of 5 numbers; +14152000003 was being bought and may have been: "
        "check with `numbers show +14152000003` before buying it again"
    )
    assert "Traceback" not in result.output


def test_a_number_typed_without_its_country_code_is_read_in_the_default_country_as_help_says(
    fake_json: Callable[..., Any], fake: Callable[..., Result], fake_carrier: ModuleType
) -> None:
    assert "(default US)" in fake("buy", "--help").stdout
    assert "(default US)" in fake("show", "--help").stdout
    report = fake_json("buy", "415 200 0001")
    assert [n["phone_number"] for n in report["bought"]] == [FIRST]
    assert fake_json("show", "(415) 200-0001")["phone_number"] == FIRST
    assert list(fake_carrier.OWNED) == [FIRST]


def test_buy_checks_every_number_before_buying_any(
    fake: Callable[..., Result], fake_carrier: ModuleType
) -> None:
    result = fake("buy", FIRST, "+1415555")
    assert result.exit_code == 2
    assert one_error_line(result) == "error: NUMBER '+1415555' is not a valid phone number"
    assert fake_carrier.OWNED == {}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "give a NUMBER to buy, or --count N with search criteria"),
        ([FIRST, "--count", "2"], "give NUMBERs or --count, not both"),
        ([FIRST, "--area-code", "415"], "search criteria only apply with --count"),
        (["--count", "0"], "--count"),
        (["--count", "2", "--fax"], "search.fax"),
        ([FIRST, "--voice-url", "not a url"], "--voice-url: 'not a url' is not an http(s) URL"),
        ([FIRST, "--status-callback", "https://example.com/status"], "config.status_callback"),
    ],
)
def test_buy_usage_errors_exit_2_and_buy_nothing(
    fake: Callable[..., Result], fake_carrier: ModuleType, args: list[str], message: str
) -> None:
    result = fake("buy", *args)
    assert result.exit_code == 2
    assert message in one_error_line(result)
    assert fake_carrier.OWNED == {}


def test_buy_shows_progress_on_a_terminal_only(
    fake: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    from rich.console import Console

    assert "Buying" not in fake("buy", "--count", "2").stderr  # not a terminal

    terminal = io.StringIO()
    monkeypatch.setattr(
        _output, "stderr_console", lambda: Console(file=terminal, force_terminal=True, width=100)
    )
    result = fake("buy", "--count", "3")
    assert result.exit_code == 0
    assert "Buying" in terminal.getvalue()
    assert "3/3" in terminal.getvalue()


# -- configure ---------------------------------------------------------------------------


@pytest.fixture
def owned(fake: Callable[..., Result]) -> str:
    assert (
        fake("buy", FIRST, "--friendly-name", "Front desk", "--sms-url", "https://example.com/sms").exit_code
        == 0
    )
    return FIRST


def test_configure_sends_only_the_options_given(
    fake_json: Callable[..., Any], fake_carrier: ModuleType, owned: str
) -> None:
    updated = fake_json("configure", owned, "--voice-url", "https://example.com/v", "--voice-method", "get")
    sent = fake_carrier.CONFIGURED[-1]
    assert sent.model_fields_set == {"voice"}
    assert sent.voice is not None
    assert sent.voice.model_fields_set == {"url", "method"}
    assert updated["config"]["voice"] == {
        "url": "https://example.com/v",
        "method": "GET",
        "fallback_url": None,
        "fallback_method": None,
        "application_id": None,
    }
    # What was not given is left as it was.
    assert updated["friendly_name"] == "Front desk"
    assert updated["config"]["sms"]["url"] == "https://example.com/sms"


def test_configure_shows_the_number_as_it_is_now(fake: Callable[..., Result], owned: str) -> None:
    result = fake("configure", owned, "--friendly-name", "Sales")
    assert result.exit_code == 0, result.output
    assert "Sales" in result.stdout
    assert "Front desk" not in result.stdout


def test_configure_clear_removes_a_setting(
    fake_json: Callable[..., Any], fake_carrier: ModuleType, owned: str
) -> None:
    updated = fake_json("configure", owned, "--clear", "friendly_name", "--clear", "sms")
    sent = fake_carrier.CONFIGURED[-1]
    assert sent.model_fields_set == {"friendly_name", "sms"}
    assert sent.friendly_name is None
    assert sent.sms is None
    assert updated["friendly_name"] is None
    assert updated["config"]["sms"] is None


@pytest.mark.parametrize(
    ("args", "message", "code"),
    [
        ([], "nothing to change", 2),
        (["--clear", "voice", "--voice-url", "https://example.com/v"], "--clear voice contradicts", 2),
        (["--status-callback", "https://example.com/s"], "config.status_callback", 2),
        (["--voice-method", "PUT"], "--voice-method", 2),
        (["--extra", "novalue"], "--extra", 2),
        (["--friendly-name", "x" * 300], "--friendly-name: expected at most 255 characters", 2),
    ],
)
def test_configure_errors(
    fake: Callable[..., Result],
    fake_carrier: ModuleType,
    owned: str,
    args: list[str],
    message: str,
    code: int,
) -> None:
    before = list(fake_carrier.CONFIGURED)
    result = fake("configure", owned, *args)
    assert result.exit_code == code
    assert message in one_error_line(result)
    assert before == fake_carrier.CONFIGURED


def test_configure_a_number_not_owned_exits_1(fake: Callable[..., Result]) -> None:
    result = fake("configure", SECOND, "--friendly-name", "x")
    assert result.exit_code == 1
    assert one_error_line(result) == f"error: fake: {SECOND} is not on this account (HTTP 404)"


# -- release, show -----------------------------------------------------------------------


def test_release_gives_the_number_back(
    fake: Callable[..., Result], fake_carrier: ModuleType, owned: str
) -> None:
    result = fake("release", owned)
    assert result.exit_code == 0
    assert result.stdout.strip() == f"Released {owned}"
    assert fake_carrier.OWNED == {}
    again = fake("release", owned)
    assert again.exit_code == 1
    assert "is not on this account" in one_error_line(again)


def test_release_json(fake_json: Callable[..., Any], owned: str) -> None:
    assert fake_json("release", owned) == {"released": owned}


def test_release_accepts_what_the_library_accepts(fake: Callable[..., Result], owned: str) -> None:
    # Spaces and dashes as people write numbers; the E.164 form is what is reported.
    assert fake("release", "+1 415-200-0001").stdout.strip() == f"Released {owned}"


def test_show_lists_everything_known(fake: Callable[..., Result], owned: str) -> None:
    result = fake("show", owned)
    assert result.exit_code == 0
    text = result.stdout
    for expected in (owned, "FN0", "fake", "local", "active", "Front desk", "San Francisco, CA, US"):
        assert expected in text
    assert "SMS" in text
    assert "https://example.com/sms" in text
    assert "2024-05-01T12:00:00+00:00" in text
    assert "Account" not in text  # nothing known, nothing shown


def test_show_json_round_trips_through_the_model(fake_json: Callable[..., Any], owned: str) -> None:
    shown = nc.ActiveNumber.model_validate(fake_json("show", owned))
    assert shown.phone_number == owned
    assert shown.config.sms is not None
    assert shown.config.sms.url == "https://example.com/sms"


def test_show_a_number_not_owned(fake: Callable[..., Result]) -> None:
    result = fake("show", SECOND)
    assert result.exit_code == 1
    assert "is not on this account" in one_error_line(result)


# -- list --------------------------------------------------------------------------------


def test_list_streams_every_owned_number(fake: Callable[..., Result]) -> None:
    assert fake("buy", FIRST, THIRD, "--friendly-name", "Main").exit_code == 0
    result = fake("list")
    assert result.exit_code == 0
    header, _, *rows = result.stdout.splitlines()
    assert header.split() == ["Number", "Type", "Status", "Name", "Capabilities", "Location"]
    assert [row.split()[0] for row in rows] == [FIRST, THIRD]
    assert all("Main" in row and "San Francisco, CA, US" in row for row in rows)


def test_list_json_and_filters(fake: Callable[..., Result], fake_json: Callable[..., Any]) -> None:
    assert fake_json("list") == []
    assert fake("buy", FIRST, SECOND).exit_code == 0
    assert fake("configure", SECOND, "--friendly-name", "Sales").exit_code == 0
    listed = fake_json("list")
    assert [nc.ActiveNumber.model_validate(n).phone_number for n in listed] == [FIRST, SECOND]
    assert [n["phone_number"] for n in fake_json("list", "--contains", "2000002")] == [SECOND]
    assert [n["phone_number"] for n in fake_json("list", "--friendly-name", "sales")] == [SECOND]
    assert len(fake_json("list", "--type", "local", "--country", "us")) == 2
    assert fake_json("list", "--type", "mobile") == []
    assert fake_json("list", "--country", "GB") == []


def test_list_with_nothing_owned(fake: Callable[..., Result]) -> None:
    result = fake("list")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "No numbers." in result.stderr


def test_list_that_fails_leaves_no_valid_json(
    fake: Callable[..., Result], owned: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NUMBERS_FAKE_OFFLINE", "1")
    result = fake("--json", "list")
    assert result.exit_code == 1
    assert one_error_line(result) == "error: fake: connection refused"
    with pytest.raises(json.JSONDecodeError):
        json.loads(result.stdout)


def test_list_bad_filter(fake: Callable[..., Result]) -> None:
    result = fake("list", "--contains", "a-b")
    assert result.exit_code == 2
    assert "contains" in one_error_line(result)


# -- providers ---------------------------------------------------------------------------


def test_providers_json_reads_each_class_without_settings(
    cli_json: Callable[..., Any], fake_carrier: ModuleType
) -> None:
    matrix = {column["name"]: column for column in cli_json("providers")}
    assert set(matrix) == set(nc.provider_names())
    assert {"fake", "tunable", "broken"} <= set(matrix)
    assert matrix["fake"]["features"] == sorted(str(f) for f in fake_carrier.FakeCarrier.features)
    assert matrix["fake"]["note"] is None
    assert matrix["tunable"]["features"] is None
    assert matrix["tunable"]["note"] == "depends on its settings"
    assert matrix["broken"]["features"] is None
    assert "no_such_module_anywhere" in matrix["broken"]["note"]


def test_providers_table_has_a_column_per_provider_and_every_feature(
    cli: Callable[..., Result], fake_carrier: ModuleType
) -> None:
    result = cli("providers")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    header = next(line for line in lines if line.strip().startswith("Feature"))
    assert header.split()[1:] == nc.provider_names()
    fake_column = nc.provider_names().index("fake") + 1
    marks = {}
    for line in lines:
        cells = line.split()
        if cells and cells[0] in {str(feature) for feature in nc.Feature}:
            marks[cells[0]] = cells[fake_column]
    assert set(marks) == {str(feature) for feature in nc.Feature}
    supported = {str(feature) for feature in fake_carrier.FakeCarrier.features}
    assert {name for name, mark in marks.items() if mark == "✓"} == supported
    for title in ("Operations", "Search filters", "Number types", "Configuration"):
        assert title in result.stdout
    notes = result.stderr.splitlines()
    assert "tunable: depends on its settings" in notes
    assert any(note.startswith("broken: ") for note in notes)


# -- global behaviour --------------------------------------------------------------------


def test_version(cli: Callable[..., Result]) -> None:
    result = cli("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"numbers-core {nc.__version__}"


def test_no_command_shows_the_help(cli: Callable[..., Result]) -> None:
    result = cli()
    assert result.exit_code == 2
    for command in ("search", "buy", "configure", "release", "list", "show", "providers"):
        assert command in result.output
    assert "error:" not in result.output


def test_unknown_provider_is_one_line_exit_2(cli: Callable[..., Result]) -> None:
    result = cli("--provider", "nope", "list")
    assert result.exit_code == 2
    assert one_error_line(result).startswith("error: unknown provider 'nope'")


def test_provider_and_profile_together_are_refused(cli: Callable[..., Result]) -> None:
    result = cli("--provider", "fake", "--profile", "dev", "list")
    assert result.exit_code == 2
    assert one_error_line(result) == "error: give --provider or --profile, not both"


def test_unknown_command(cli: Callable[..., Result]) -> None:
    result = cli("purchase")
    assert result.exit_code == 2
    assert "purchase" in one_error_line(result)


def test_a_profile_chooses_the_carrier(
    cli: Callable[..., Result], fake_carrier: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "numbers.toml"
    config.write_text('default = "office"\n[profiles.office]\nprovider = "fake"\nfunds = 1\n')
    monkeypatch.setenv("NUMBERS_CONFIG", str(config))
    result = cli("--json", "--profile", "office", "buy", FIRST, SECOND)
    assert result.exit_code == 1
    assert [n["phone_number"] for n in json.loads(result.stdout)["bought"]] == [FIRST]
    # The default profile, with no option at all.
    listed = cli("--json", "list")
    assert [n["phone_number"] for n in json.loads(listed.stdout)] == [FIRST]


def test_an_unknown_profile(
    cli: Callable[..., Result], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "numbers.toml"
    config.write_text('[profiles.office]\nprovider = "sandbox"\n')
    monkeypatch.setenv("NUMBERS_CONFIG", str(config))
    result = cli("--profile", "home", "list")
    assert result.exit_code == 2
    assert "unknown profile 'home'" in one_error_line(result)


def test_numbers_provider_variable_chooses_the_carrier(
    cli_json: Callable[..., Any], fake_carrier: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NUMBERS_PROVIDER", "fake")
    assert [n["provider"] for n in cli_json("search", "--limit", "1")] == ["fake"]


def test_a_secret_setting_is_never_printed(
    cli: Callable[..., Result], fake_carrier: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "sk_live_do_not_print_me"
    monkeypatch.setenv("NUMBERS_FAKE_API_KEY", secret)
    monkeypatch.setenv("NUMBERS_FAKE_TIMEOUT", "-1")
    bad_setting = cli("--provider", "fake", "list")
    assert bad_setting.exit_code == 2
    assert "timeout" in one_error_line(bad_setting)
    monkeypatch.delenv("NUMBERS_FAKE_TIMEOUT")
    monkeypatch.setenv("NUMBERS_FAKE_OFFLINE", "1")
    offline = cli("--provider", "fake", "search")
    assert offline.exit_code == 1
    for result in (bad_setting, offline, cli("--provider", "fake", "providers")):
        assert secret not in result.output


def test_a_bug_is_one_line_not_a_traceback(
    fake: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: object, numbers: object) -> None:
        raise RuntimeError("something odd")

    monkeypatch.setattr(_output.Output, "available", broken)
    result = fake("search")
    assert result.exit_code == 1
    assert one_error_line(result) == "error: internal error: RuntimeError: something odd"


def test_ctrl_c_exits_130_quietly(fake: Callable[..., Result], monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(self: object, numbers: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(_output.Output, "available", interrupted)
    result = fake("search")
    assert result.exit_code == 130
    assert result.output == ""


@pytest.mark.parametrize("option", ["--json", "--provider", "--profile"])
def test_a_global_option_after_the_command_says_where_it_goes(
    cli: Callable[..., Result], option: str
) -> None:
    result = cli("list", option)
    assert result.exit_code == 2
    assert one_error_line(result) == (
        f"error: No such option: {option} ({option} goes before the command: numbers {option} … COMMAND)"
    )


# -- first-hour polish -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["search"],
        ["buy"],
        ["list"],
        ["configure"],
        ["release"],
        ["transfer"],
        ["prices"],
        ["requirements"],
        ["addresses", "create"],
        ["addresses", "delete"],
    ],
)
def test_help_shows_options_as_they_are_typed(cli: Callable[..., Result], command: list[str]) -> None:
    text = cli(*command, "--help").stdout
    # No type placeholders a user might type as a value, no option name cut short.
    for placeholder in ("<bool>", "<int", "<list", "<str>", "<local|"):
        assert placeholder not in text, placeholder
    assert not re.search(r"--[\w-]+…", text)
    if command == ["search"]:
        assert "--exclude-address-required" in text


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["search", "--type", "bogus"], "error: --type: 'bogus' is not one of 'local', 'mobile'"),
        (["search", "--area-code", "abc"], "error: --area-code: expected 1 to 15 digits, got 'abc'"),
        (["search", "--limit", "0"], "error: --limit: 0 is out of range"),
        (
            ["search", "--area-code", "41"],
            "error: --area-code: an area code in US is 3 digits, the first 2 to 9",
        ),
        (
            ["buy", "-n", "1", "--country", "CA", "--area-code", "6041"],
            "error: --area-code: an area code in CA",
        ),
        (["list", "--country", "XX"], "error: --country: 'XX' is not an ISO 3166 alpha-2 country"),
        (["list", "--type", "bogus"], "error: --type: 'bogus' is not one of"),
        (
            ["show", "0612345678"],
            "error: NUMBER '0612345678' is not a valid phone number (read as a US number; --country CC for",
        ),
        (["buy", "--count", "0"], "error: --count: give 1 to 1000, not 0"),
        (["show", "+14155550123 ext 1"], "error: NUMBER '+14155550123 ext 1' holds more than a phone number"),
        (
            ["show", "+99912345678"],
            "error: NUMBER '+99912345678' is not a valid phone number: no country's calling code starts it",
        ),
    ],
)
def test_errors_speak_in_the_options_terms(
    fake: Callable[..., Result], args: list[str], expected: str
) -> None:
    result = fake(*args)
    assert result.exit_code == 2
    line = one_error_line(result)
    assert line.startswith(expected), line
    for internal in ("SearchQuery", "Value error", "String should match", "list filter"):
        assert internal not in line


def test_release_asks_on_a_terminal(
    fake: Callable[..., Result], owned: str, monkeypatch: pytest.MonkeyPatch, fake_carrier: ModuleType
) -> None:
    monkeypatch.setattr("numbers_core.cli._run._at_a_terminal", lambda: True)
    from numbers_core.cli._app import app
    from typer.testing import CliRunner

    declined = CliRunner().invoke(app, ["--provider", "fake", "release", owned], input="n\n")
    assert declined.exit_code == 1  # a decision, not Ctrl-C's 130
    assert declined.stderr.rstrip().endswith(
        "Not released."
    )  # after the question, which the runner does not end
    assert owned in fake_carrier.OWNED
    kept = fake("release", owned)  # no answer at all (end of input) stops as Ctrl-C does
    assert kept.exit_code == 130
    assert owned in fake_carrier.OWNED
    released = fake("release", owned, "--yes")
    assert released.exit_code == 0
    assert owned not in fake_carrier.OWNED


def test_python_dash_m_runs_the_cli() -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "numbers_core", "--version"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0
    assert done.stdout.startswith("numbers-core ")


def test_an_unreachable_carrier_is_told_in_plain_words(
    cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    probe = socket.create_server(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    monkeypatch.setenv("NUMBERS_TWILIO_ACCOUNT_SID", "AC" + "0123456789abcdef" * 2)
    monkeypatch.setenv("NUMBERS_TWILIO_AUTH_TOKEN", "0123456789abcdef" * 2)
    monkeypatch.setenv("NUMBERS_TWILIO_BASE_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("NUMBERS_TWILIO_MAX_ATTEMPTS", "1")
    result = cli("--provider", "twilio", "list")
    assert result.exit_code == 1
    assert (
        one_error_line(result)
        == f"error: twilio: list: cannot connect to 127.0.0.1:{port} (connection refused)"
    )


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["search", "--limit", "many"], "error: --limit: expected a whole number, got 'many'"),
        (["search", "--distance", "far"], "error: --distance: expected a whole number, got 'far'"),
        (["search", "--limit", "5000"], "error: --limit: 5000 is out of range: at most 1000"),
        (["emulate", "twilio", "--latency", "slow"], "error: --latency: expected a number, got 'slow'"),
        (["emulate", "twilio", "--burst", "0"], "error: --burst: 0 is out of range: at least 1"),
        (
            ["configure", "+14155550123", "--voice-method", "FETCH"],
            "error: --voice-method: 'FETCH' is not one of",
        ),
        (["bulk", "plan", "buy", "--count", "2", "--type", "fixed"], "error: --type: 'fixed' is not one of"),
    ],
)
def test_option_errors_have_no_pydantic_wording(
    fake: Callable[..., Result], args: list[str], expected: str
) -> None:
    result = fake(*args)
    assert result.exit_code == 2
    line = one_error_line(result)
    assert line.startswith(expected), line
    for pydantic_words in ("Input should", "Extra inputs", "Value error", "valid integer", "unable to parse"):
        assert pydantic_words not in line
    assert "internal error" not in line


def _commands(group: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    found = [(path, group)]
    for name, command in getattr(group, "commands", {}).items():
        found.extend(_commands(command, (*path, name)))
    return found


def test_every_help_page_names_values_in_one_style(cli: Callable[..., Result]) -> None:
    import typer.main
    from numbers_core.cli._app import app

    pages = _commands(typer.main.get_command(app))
    assert len(pages) > 15
    for path, command in pages:
        text = cli(*path, "--help").stdout
        # No type placeholders (<str>, <int range>), no braces around an argument, no doubled brackets.
        assert not re.search(r"<[a-z][a-z |,\[\]]*>", text), (path, text)
        assert "{" not in text.split("\n\n", 1)[0], (path, text)
        assert "[[" not in text, (path, text)
        for param in command.params:
            takes_value = not getattr(param, "is_flag", False) and not getattr(param, "count", False)
            if param.name == "help" or getattr(param, "hidden", False) or not takes_value:
                continue
            if param.param_type_name == "option":
                assert re.fullmatch(r"[A-Z][A-Z0-9_,|=]*", param.metavar or ""), (path, param.name)


@pytest.mark.parametrize("command", [["buy"], ["bulk", "plan"], ["bulk", "run"]])
def test_commands_that_buy_by_criteria_offer_no_limit_that_does_nothing(
    cli: Callable[..., Result], command: list[str]
) -> None:
    assert "--limit" not in cli(*command, "--help").stdout
    assert "--limit" in cli("search", "--help").stdout


def test_a_misspelt_variable_is_one_warning_line(
    fake: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("numbers_core._config._warned", set())
    monkeypatch.setenv("NUMBERS_FAKE_FUNS", "1")
    result = fake("list")
    assert result.exit_code == 0
    assert result.stderr.splitlines() == [
        "warning: NUMBERS_FAKE_FUNS is not a variable numbers-core reads; did you mean NUMBERS_FAKE_FUNDS?",
        "No numbers.",
    ]


def test_a_missing_setting_says_how_to_supply_it(cli: Callable[..., Result]) -> None:
    result = cli("--provider", "twilio", "list")
    assert result.exit_code == 2
    assert one_error_line(result) == (
        "error: twilio: account_sid is missing (set NUMBERS_TWILIO_ACCOUNT_SID, or account_sid in a "
        "[profiles.NAME] table of numbers.toml)"
    )


@pytest.mark.parametrize("columns", [80, 60])
def test_list_fits_a_narrow_terminal(
    fake: Callable[..., Result], monkeypatch: pytest.MonkeyPatch, columns: int
) -> None:
    assert fake("buy", "-n", "3", "--friendly-name", "The customer support line of the west").exit_code == 0
    monkeypatch.setenv("COLUMNS", str(columns))
    lines = fake("list").stdout.splitlines()
    assert max(len(line) for line in lines) <= columns, "\n".join(lines)
    assert lines[0].split()[:2] == ["Number", "Type" if columns == 80 else "Status"]
    assert "Location" in lines[0]
    assert [line.split()[0] for line in lines[2:]] == [FIRST, SECOND, THIRD]
    assert all("The cu" in line and "San F" in line for line in lines[2:])
    monkeypatch.delenv("COLUMNS")
    wide = fake("list").stdout.splitlines()  # a pipe: every column, nothing cut
    assert wide[0].split() == ["Number", "Type", "Status", "Name", "Capabilities", "Location"]
    assert "San Francisco, CA, US" in wide[2]


@pytest.mark.parametrize(
    ("field", "option"),
    [
        ("config.emergency_address.street", "--emergency-street"),
        ("emergency_address.postal_code", "--emergency-postal-code"),
        ("voice.url", "--voice-url"),
        ("status_callback.url", "--status-callback"),
        ("compliance.address_id", "--address-id"),
    ],
)
def test_a_field_an_adapter_names_is_told_as_its_option(field: str, option: str) -> None:
    import typer.main
    from numbers_core.cli._app import app

    group: Any = typer.main.get_command(app)
    said = group._in_cli_terms(nc.InvalidInputError(f"{field}: contains a control character"))
    assert said == f"{option}: contains a control character"
