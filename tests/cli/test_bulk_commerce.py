"""``numbers bulk`` and commerce: compliance options and tables, a job stopped for what the account
lacks, cost caps on a carrier priced by a table, and each item's price with its basis."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from cli_checks import LONDON_OFFICE, one_error_line, rows
from numbers_core.cli._bulk import _monthly
from numbers_core.emulator import Emulator, serve
from numbers_core.emulator._server import Server
from numbers_core.sandbox import APPROVED_BUNDLE
from typer.testing import Result

Cli = Callable[..., Result]
CliJson = Callable[..., Any]


pytestmark = pytest.mark.usefixtures("journal_path")


@pytest.fixture
def office(cli_json: CliJson) -> str:
    """The id of an address in London on file: what a British landline needs, beside a bundle."""
    return str(cli_json("addresses", "create", *LONDON_OFFICE)["id"])


def _owned(cli_json: CliJson) -> list[dict[str, Any]]:
    return list(cli_json("list"))


def test_a_job_whose_account_lacks_a_bundle_stops_with_one_line_and_resume_takes_it(
    cli: Cli, cli_json: CliJson, office: str
) -> None:
    stopped = cli("--json", "bulk", "run", "buy", "-n", "3", "--country", "GB", "--area-code", "20",
                  "--address-id", office)  # fmt: skip
    assert stopped.exit_code == 1, stopped.output
    line = one_error_line(stopped)
    [job] = cli_json("bulk", "list")
    # Before: exit 3, three failed items, each with the same refusal.
    assert job["counts"] == {"planned": 3}
    assert (
        f"job {job['job']} stopped: the account needs an approved regulatory bundle for GB local numbers"
        in line
    )
    assert (
        "GB local numbers: sandbox says 'GB local numbers need an approved regulatory bundle; none was given'"
        in line
    )
    assert f"once it has, numbers bulk resume {job['job']} --bundle-id ID goes on with the items left" in line
    assert not [event for event in stopped.stdout.splitlines() if '"failed"' in event]

    resumed = cli("bulk", "resume", job["job"], "--bundle-id", APPROVED_BUNDLE)
    assert resumed.exit_code == 0, resumed.output
    owned = _owned(cli_json)
    assert len(owned) == 3
    assert {(n["compliance"]["address_id"], n["compliance"]["bundle_id"]) for n in owned} == {
        (office, APPROVED_BUNDLE)
    }


def test_a_job_stopped_for_a_bundle_it_was_given_says_resume_without_one(
    cli: Cli, cli_json: CliJson, office: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NUMBERS_SANDBOX_BUNDLES", json.dumps({"GB": {"local": []}}))  # under review
    stopped = cli("bulk", "run", "buy", "-n", "2", "--country", "GB", "--area-code", "20",
                  "--address-id", office, "--bundle-id", "BU" + "7" * 32)  # fmt: skip
    assert stopped.exit_code == 1, stopped.output
    [line] = [line for line in stopped.stderr.splitlines() if line.startswith("error: ")]
    [job] = cli_json("bulk", "list")
    assert "is not approved for them" in line
    assert line.endswith(f"once it has, numbers bulk resume {job['job']} goes on with the items left")
    monkeypatch.setenv("NUMBERS_SANDBOX_BUNDLES", json.dumps({"GB": {"local": ["BU" + "7" * 32]}}))
    assert cli("bulk", "resume", job["job"]).exit_code == 0
    assert len(_owned(cli_json)) == 2


def test_plan_takes_the_compliance_options_and_shows_each_price_with_its_basis(
    cli: Cli, cli_json: CliJson, office: str
) -> None:
    plan = cli_json("bulk", "plan", "buy", "-n", "2", "--country", "GB", "--area-code", "20",
                    "--address-id", office, "--bundle-id", APPROVED_BUNDLE)  # fmt: skip
    assert plan["monthly_total"] == {"GBP": "2.00"}
    assert plan["cost_basis"] == {"catalog": 2}
    assert {(i["monthly_price"], i["currency"], i["price_basis"]) for i in plan["items"]} == {
        ("1.00", "GBP", "catalog")
    }
    shown = cli("bulk", "plan", "buy", "-n", "1", "--country", "GB", "--area-code", "20",
                "--address-id", office, "--bundle-id", APPROVED_BUNDLE)  # fmt: skip
    assert shown.exit_code == 0, shown.output
    header, row = rows(shown)
    assert header == ["Item", "Number", "Monthly", "Basis", "State"]
    assert row[2:] == ["1.00 GBP", "catalog", "planned"]
    assert "1 numbers to buy, 1.00 GBP a month (the carrier's price list)" in shown.stderr
    assert cli("bulk", "resume", plan["job"]).exit_code == 0
    assert {n["compliance"]["bundle_id"] for n in _owned(cli_json)} == {APPROVED_BUNDLE}


@pytest.mark.parametrize(
    ("in_file", "given"),
    [(APPROVED_BUNDLE, ()), ("BU-of-another-account", ("--bundle-id", APPROVED_BUNDLE))],
    ids=["the file's", "the options' over the file's"],
)
def test_a_job_files_compliance_table_goes_with_each_purchase(
    cli: Cli, cli_json: CliJson, office: str, tmp_path: Path, in_file: str, given: tuple[str, ...]
) -> None:
    file = tmp_path / "london.toml"
    file.write_text(
        'kind = "buy"\n[criteria.london]\ncount = 2\ncountry = "GB"\narea_code = "20"\n'
        f'[compliance]\naddress_id = "{office}"\nbundle_id = "{in_file}"\n'
    )
    # The options are the account's: one file serves several accounts.
    result = cli("--json", "bulk", "run", "--file", str(file), *given)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout.splitlines()[-1])["counts"] == {"done": 2}
    assert {(n["compliance"]["address_id"], n["compliance"]["bundle_id"]) for n in _owned(cli_json)} == {
        (office, APPROVED_BUNDLE)
    }


# -- a carrier priced by a table ---------------------------------------------------------------------


@pytest.fixture
def twilio() -> Iterator[Server]:
    with serve(Emulator("twilio")) as server:
        yield server


def test_a_cost_capped_job_on_twilio_priced_by_a_table_stays_within_its_cap(
    cli: Cli, twilio: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = {**twilio.settings, "prices": json.dumps({"US": {"local": "1.15 USD"}})}
    for key, value in settings.items():
        monkeypatch.setenv(f"NUMBERS_TWILIO_{key.upper()}", str(value))
    result = cli("--provider", "twilio", "--json", "bulk", "run", "buy", "-n", "5", "--area-code", "415",
                 "--max-cost", "5 USD")  # fmt: skip
    # Four at 1.15 keep within 5 USD; a fifth would pass it.
    assert result.exit_code == 3, result.output
    summary = json.loads(result.stdout.splitlines()[-1])
    assert summary["counts"] == {"done": 4, "failed": 1}
    assert (summary["monthly_cost"], summary["cost_basis"]) == ({"USD": "4.60"}, {"table": 4})
    state = httpx.get(f"{twilio.url}/_emulator/state").json()
    assert len([n for numbers in state["numbers"].values() for n in numbers]) == 4
    status = cli("bulk", "status", summary["job"])
    assert "Bought: 4.60 USD a month (your prices setting, as quoted when the numbers were chosen)" in (
        status.stderr
    )
    report = cli("bulk", "report", summary["job"])
    lines = list(csv.DictReader(io.StringIO(report.stdout)))
    assert sorted((line["outcome"], line["price_basis"]) for line in lines) == [("done", "table")] * 4 + [
        ("failed", "")
    ]


@pytest.mark.parametrize(
    ("total", "shown"),
    [("115.00000", "115.00 USD"), ("86.25", "86.25 USD"), ("0.12345", "0.12345 USD"), ("1E+2", "100.00 USD")],
)
def test_a_total_of_prices_quoted_to_five_decimals_is_shown_as_money(total: str, shown: str) -> None:
    # Telnyx quotes 1.00000: a job's total read "115.00000 USD a month" beside Twilio's "1.15".
    assert _monthly({"USD": Decimal(total)}, 0, {}) == f"{shown} a month"
