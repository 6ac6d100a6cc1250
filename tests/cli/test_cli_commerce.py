"""Prices, coverage, requirements, the address book, compliance and emergency addresses from the
command line: against the sandbox (kept in a file per test), and the fake carrier for what a
carrier cannot do."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import numbers_core as nc
import pytest
from cli_checks import LONDON_OFFICE, one_error_line, rows
from numbers_core.sandbox import APPROVED_BUNDLE
from typer.testing import CliRunner, Result

Cli = Callable[..., Result]
CliJson = Callable[..., Any]


@pytest.fixture
def london(cli_json: CliJson, sandbox_path: Path) -> str:
    """A London landline for sale: the sandbox sells it only under an address and a bundle."""
    [offer] = cli_json("search", "--country", "GB", "--area-code", "20", "--limit", "1")
    assert offer["address_requirement"] == "any"
    phone_number: str = offer["phone_number"]
    return phone_number


@pytest.fixture
def office(cli_json: CliJson, sandbox_path: Path) -> str:
    """A London address in the sandbox's address book, fit for emergency calls; its id."""
    created = cli_json("addresses", "create", *LONDON_OFFICE)
    address_id: str = created["id"]
    return address_id


# -- prices, coverage, requirements ------------------------------------------------------------


def test_prices_is_a_table_per_number_type(cli: Cli, cli_json: CliJson, sandbox_path: Path) -> None:
    result = cli("prices", "GB")
    assert result.exit_code == 0, result.output
    table = rows(result)
    assert table[0] == ["Type", "Monthly", "Setup", "Basis"]  # no list price, monthly billing: left out
    assert ["local", "1.00 GBP", "0.00 GBP", "catalog"] in table
    assert ["premium_rate", "20.00 GBP", "25.00 GBP", "catalog"] in table

    [local] = cli_json("prices", "gb", "--type", "local")
    price = nc.NumberPrice.model_validate(local)
    assert (price.country, price.number_type, str(price.monthly), price.basis) == (
        "GB",
        nc.NumberType.LOCAL,
        "1.00 GBP",
        nc.PriceBasis.CATALOG,
    )


def test_coverage_lists_countries_and_their_types(cli: Cli, cli_json: CliJson, sandbox_path: Path) -> None:
    result = cli("coverage")
    assert result.exit_code == 0, result.output
    table = rows(result)
    assert table[0] == ["Country", "Name", "Number types"]
    assert ["GB", "United Kingdom", "local mobile toll_free national voip premium_rate personal"] in table

    # Of one country; the types in a fixed order, the same in every run.
    assert cli_json("coverage", "gb") == [
        {
            "country": "GB",
            "name": "United Kingdom",
            "number_types": ["local", "mobile", "toll_free", "national", "voip", "premium_rate", "personal"],
            "beta": False,
            "provider": None,  # a routing provider's rows name the member they came from
        }
    ]


def test_requirements_say_what_to_give_when_buying(cli: Cli, cli_json: CliJson, sandbox_path: Path) -> None:
    result = cli("requirements", "GB", "--type", "local")
    assert result.exit_code == 0, result.output
    table = rows(result)
    assert table[0] == ["Type", "Needs", "Given with", "Carrier's name"]
    assert table[1:] == [
        ["local", "an address on file", "--address-id", "Address"],
        ["local", "an approved regulatory bundle", "--bundle-id", "Regulatory bundle"],
    ]

    found = [
        nc.Requirement.model_validate(entry) for entry in cli_json("requirements", "DE", "--type", "local")
    ]
    assert [entry.kind for entry in found] == [nc.RequirementKind.LOCAL_ADDRESS, nc.RequirementKind.BUNDLE]

    nothing = cli("requirements", "US", "--type", "local")
    assert nothing.exit_code == 0
    assert nothing.stdout == ""
    assert nothing.stderr.strip() == "Buying US local numbers needs nothing on file."
    assert cli_json("requirements", "US", "--type", "local") == []


def test_search_shows_the_price_its_basis_and_what_buying_needs(cli: Cli, sandbox_path: Path) -> None:
    result = cli("search", "--country", "GB", "--area-code", "20", "--limit", "2")
    assert result.exit_code == 0, result.output
    table = rows(result)
    assert table[0] == ["Number", "Type", "Location", "Capabilities", "Monthly", "Setup", "Basis", "Needs"]
    assert all(row[4:] == ["1.00 GBP", "0.00 GBP", "catalog", "address"] for row in table[2:])

    # Nothing needed: the column is left out.
    assert "Needs" not in cli("search", "--area-code", "415", "--limit", "2").stdout


# -- the address book --------------------------------------------------------------------------


def test_an_address_is_created_listed_and_deleted(cli: Cli, cli_json: CliJson, sandbox_path: Path) -> None:
    assert cli_json("addresses", "list") == []
    created = cli(
        "addresses",
        "create",
        "--street",
        "1 Poultry",
        "--locality",
        "London",
        "--postal-code",
        "ec2r8ah",
        "--country",
        "gb",
    )
    assert created.exit_code == 0, created.output
    details = dict(row for row in rows(created) if len(row) == 2)
    assert details["Postal code"] == "EC2R 8AH"
    assert details["Country"] == "GB"
    assert details["ID"].startswith("AD")
    # What the carrier changed is told, beside what it stored.
    assert created.stderr.strip() == "The carrier corrected the postal code 'ec2r8ah' as 'EC2R 8AH'."

    [listed] = cli_json("addresses", "list")
    assert nc.Address.model_validate(listed).id == details["ID"]
    table = cli("addresses", "list")
    assert [details["ID"], "1 Poultry", "London EC2R 8AH", "GB"] in rows(table)

    assert cli_json("addresses", "delete", details["ID"]) == {"deleted": details["ID"]}
    assert cli_json("addresses", "list") == []
    gone = cli("addresses", "delete", details["ID"])
    assert gone.exit_code == 1
    assert "is not in the address book" in one_error_line(gone)


def test_addresses_delete_asks_on_a_terminal(
    cli: Cli, cli_json: CliJson, office: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("numbers_core.cli._run._at_a_terminal", lambda: True)
    from numbers_core.cli._app import app

    declined = CliRunner().invoke(app, ["addresses", "delete", office], input="n\n")
    assert declined.exit_code == 1
    assert declined.stderr.startswith(f"Delete address {office}?")
    assert declined.stderr.rstrip().endswith("Not deleted.")
    assert [entry["id"] for entry in cli_json("addresses", "list")] == [office]
    deleted = cli("addresses", "delete", office, "--yes")
    assert deleted.exit_code == 0
    assert deleted.stdout.strip() == f"Deleted address {office}"


def test_an_address_the_carrier_refuses_is_one_line(cli: Cli, sandbox_path: Path) -> None:
    result = cli("addresses", "create", "--street", "1 Main St", "--locality", "Austin", "--country", "US")
    assert result.exit_code == 1
    assert one_error_line(result) == (
        "error: sandbox: address refused: the region of a US address is its two-letter code "
        "(as 'TX' or 'ON') (code invalid-address)"
    )


def test_the_carriers_suggestions_are_shown(
    cli: Cli, sandbox_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from numbers_core.sandbox._provider import SandboxProvider

    async def refuse(self: SandboxProvider, address: nc.Address) -> nc.Address:
        suggestions = (
            address.model_copy(update={"street": "1 Main Street", "region": "TX", "postal_code": "78701"}),
            address.model_copy(update={"street": "1 W Main St", "region": "TX"}),
        )
        raise nc.AddressValidationError(
            "address not found", provider=self.name, code="21628", suggestions=suggestions
        )

    monkeypatch.setattr(SandboxProvider, "_create_address", refuse)
    result = cli("addresses", "create", "--street", "1 Main", "--locality", "Austin", "--country", "US")
    assert result.exit_code == 1
    assert one_error_line(result) == (
        "error: sandbox: address refused: address not found (code 21628); the carrier suggests "
        "1 Main Street, Austin TX 78701, US; or 1 W Main St, Austin TX, US"
    )


# -- buying under compliance references ------------------------------------------------------


def test_a_british_landline_start_to_finish(cli: Cli, cli_json: CliJson, london: str, office: str) -> None:
    refused = cli("buy", london)
    assert refused.exit_code == 1
    assert one_error_line(refused) == (
        f"error: could not buy {london}: sandbox: GB local numbers need an address on file (--address-id): "
        "the whole country and type, not just this number (the carrier says: GB local numbers need an "
        "address on file: create one, buy with its id as compliance address_id) (code address-required)"
    )
    no_bundle = cli("buy", london, "--address-id", office, "--bundle-id", "BU0")
    assert no_bundle.exit_code == 1
    assert one_error_line(no_bundle).startswith(
        f"error: could not buy {london}: sandbox: GB local numbers need an approved regulatory bundle "
        "(--bundle-id): the whole country and type, not just this number (the carrier says: GB local "
        "numbers need an approved regulatory bundle; bundle 'BU0' is not approved for them)"
    )

    bought = cli(
        "buy",
        london,
        "--address-id",
        office,
        "--bundle-id",
        APPROVED_BUNDLE,
        "--emergency-address-id",
        office,
    )
    assert bought.exit_code == 0, bought.output
    assert london in bought.stdout

    shown = cli("show", london)
    details = dict(row for row in rows(shown) if len(row) == 2)
    assert details["Address ID"] == office
    assert details["Bundle ID"] == APPROVED_BUNDLE
    assert "Identity ID" not in details
    assert details["Emergency"] == "active (registered)"
    assert details["Emergency address"] == f"{office}: Acme Ltd, 1 Poultry, London EC2R 8AH, GB"

    number = nc.ActiveNumber.model_validate(cli_json("show", london))
    assert number.compliance == nc.NumberCompliance(address_id=office, bundle_id=APPROVED_BUNDLE)
    assert number.emergency is not None
    assert number.emergency.status is nc.EmergencyStatus.ACTIVE

    in_use = cli("addresses", "delete", office, "--yes")
    assert in_use.exit_code == 1
    assert "in use by a number" in one_error_line(in_use)


def test_buy_json_says_what_a_refusal_needs(cli_json: CliJson, cli: Cli, london: str) -> None:
    result = cli("--json", "buy", london)
    assert result.exit_code == 1
    import json

    [failure] = json.loads(result.stdout)["failed"]
    assert failure["number"] == london
    assert failure["error"] == "ComplianceRequiredError"
    assert (failure["requirement"], failure["scope"]) == ("address", "account")


def test_a_refusal_for_the_whole_account_stops_the_run(
    cli: Cli, cli_json: CliJson, sandbox_path: Path
) -> None:
    first, second = (offer["phone_number"] for offer in cli_json("search", "--country", "GB", "--limit", "2"))
    result = cli("buy", first, second)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"error: could not buy {first}: sandbox: GB local numbers need an address")
    assert lines[1] == f"error: not attempted: {second}"


def test_a_refusal_of_one_number_moves_on_to_the_next(
    cli: Cli, cli_json: CliJson, sandbox_path: Path
) -> None:
    berlin = cli_json(
        "addresses",
        "create",
        "--street",
        "Unter den Linden 1",
        "--locality",
        "Berlin",
        "--postal-code",
        "10117",
        "--country",
        "DE",
    )["id"]
    [elsewhere] = cli_json("search", "--country", "DE", "--locality", "Hamburg", "--limit", "1")
    [local] = cli_json("search", "--country", "DE", "--locality", "Berlin", "--limit", "1")
    papers = ["--address-id", berlin, "--bundle-id", APPROVED_BUNDLE]

    result = cli("buy", elsewhere["phone_number"], local["phone_number"], *papers)
    assert result.exit_code == 1
    assert local["phone_number"] in result.stdout  # bought after the refusal
    assert one_error_line(result).startswith(
        f"error: could not buy {elsewhere['phone_number']}: sandbox: this number needs an address on file "
        "in the number's own area (--address-id); another number may do (the carrier says: "
        f"{elsewhere['phone_number']} is in Hamburg"
    )

    # By criteria, numbers in other towns are passed over; when none is left, the last refusal says why.
    many = cli("buy", "--count", "2", "--country", "DE", "--locality", "Hamburg", *papers)
    assert many.exit_code == 1
    assert one_error_line(many).startswith(
        "error: the numbers left matching the criteria could not be bought; the last one tried, +49"
    )
    assert "another number may do" in many.stderr


def test_configure_sets_and_clears_compliance_and_emergency_addresses(
    cli: Cli, cli_json: CliJson, sandbox_path: Path
) -> None:
    [bought] = cli_json("buy", "--count", "1", "--area-code", "512")["bought"]
    number = bought["phone_number"]
    austin = [
        "--street",
        "1 Congress Ave",
        "--locality",
        "Austin",
        "--region",
        "TX",
        "--postal-code",
        "78701",
    ]
    austin += ["--country", "US"]
    address = cli_json("addresses", "create", *austin)["id"]

    configured = cli_json("configure", number, "--identity-id", "RI1", "--address-id", address)
    assert configured["compliance"] == {"address_id": address, "bundle_id": None, "identity_id": "RI1"}
    cleared = cli_json("configure", number, "--clear", "identity_id")
    assert cleared["compliance"] == {"address_id": address, "bundle_id": None, "identity_id": None}
    unknown = cli("configure", number, "--address-id", "AD0")
    assert unknown.exit_code == 1
    assert "(the carrier says: address 'AD0' is not in the address book" in one_error_line(unknown)

    inline = [
        "--emergency-customer-name",
        "Acme",
        "--emergency-street",
        "1 Congress Ave",
        "--emergency-locality",
        "Austin",
        "--emergency-region",
        "tx",
        "--emergency-postal-code",
        "78701",
        "--emergency-country",
        "US",
    ]
    registered = cli("configure", number, *inline)
    assert registered.exit_code == 0, registered.output
    details = dict(row for row in rows(registered) if len(row) == 2)
    assert details["Emergency"] == "active (registered)"
    assert details["Emergency address"] == "Acme, 1 Congress Ave, Austin TX 78701, US"

    removed = nc.ActiveNumber.model_validate(cli_json("configure", number, "--clear", "emergency_address"))
    assert removed.emergency is not None
    assert removed.emergency.status is nc.EmergencyStatus.NONE
    assert removed.config.emergency_address is None


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["addresses", "create", "--street", "1 Main St"], "error: --locality: missing; --country: missing"),
        (
            ["addresses", "create", "--street", "1 Main St", "--locality", "Paris", "--country", "XX"],
            "error: --country: 'XX' is not",
        ),
        (
            ["configure", "+15125550100", "--emergency-street", "1 Main St", "--emergency-address-id", "AD1"],
            "error: give --emergency-address-id or an address inline (--emergency-street …), not both",
        ),
        (
            [
                "configure",
                "+15125550100",
                "--emergency-street",
                "1 Main St",
                "--emergency-locality",
                "Austin",
            ],
            "error: --emergency-country: missing",
        ),
        (
            ["configure", "+15125550100", "--bundle-id", "BU1", "--clear", "bundle_id"],
            "error: --clear bundle_id contradicts the value given",
        ),
        (["configure", "+15125550100", "--address-id", "AD\x01"], "error: --address-id: "),
        (["buy", "+15125550100", "--identity-id", "x" * 300], "error: --identity-id: "),
        (["prices", "XX"], "error: COUNTRY 'XX' is not an ISO 3166 alpha-2 country with phone numbers"),
        (["requirements", "GBR"], "error: COUNTRY 'GBR' is not an ISO 3166 alpha-2 country"),
        (["coverage", "ZZ"], "error: COUNTRY 'ZZ' is not an ISO 3166 alpha-2 country"),
        (["prices", "GB", "--type", "landline"], "error: --type: 'landline' is not one of 'local', "),
        (["prices"], "error: Missing argument 'COUNTRY'"),
    ],
)
def test_usage_errors_in_the_options_terms(
    cli: Cli, sandbox_path: Path, args: list[str], expected: str
) -> None:
    result = cli(*args)
    assert result.exit_code == 2
    assert one_error_line(result).startswith(expected)


def test_transfer_sends_the_receiving_accounts_references(cli_json: CliJson, sandbox_path: Path) -> None:
    [bought] = cli_json("buy", "--count", "1")["bought"]
    moved = cli_json(
        "transfer", bought["phone_number"], "team-b", "--bundle-id", "BU7", "--identity-id", "RI7"
    )
    assert moved["account_id"] == "team-b"
    assert moved["compliance"] == {"address_id": None, "bundle_id": "BU7", "identity_id": "RI7"}


def test_reserve_holds_a_number_until_it_is_bought(cli: Cli, cli_json: CliJson, sandbox_path: Path) -> None:
    [offer] = cli_json("search", "--area-code", "212", "--limit", "1")
    number = offer["phone_number"]
    held = cli("reserve", number)
    assert held.exit_code == 0, held.output
    assert dict(row for row in rows(held) if len(row) == 2)["Status"] == "reserved"
    assert [(entry["phone_number"], entry["status"]) for entry in cli_json("list")] == [(number, "reserved")]
    [bought] = cli_json("buy", number)["bought"]
    assert bought["status"] == "active"


# -- what a carrier cannot do ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "feature"),
    [
        (["prices", "US"], "prices"),
        (["coverage"], "coverage"),
        (["requirements", "US"], "requirements"),
        (["addresses", "list"], "addresses"),
        (
            ["addresses", "create", "--street", "1 Main St", "--locality", "Austin", "--country", "US"],
            "addresses",
        ),
        (["addresses", "delete", "AD1", "--yes"], "addresses"),
        (["reserve", "+14152000001"], "reserve"),
        (["configure", "+14152000001", "--bundle-id", "BU1"], "config.compliance"),
        (["transfer", "+14152000001", "other", "--bundle-id", "BU1"], "transfer"),
        (["buy", "+14152000001", "--address-id", "AD1"], "config.compliance"),
        # Before the search that buying by criteria starts with (offline, it would fail otherwise).
        (["buy", "--count", "2", "--address-id", "AD1"], "config.compliance"),
        (["configure", "+14152000001", "--emergency-address-id", "AD1"], "config.emergency_address"),
    ],
)
def test_what_the_carrier_cannot_do_is_one_line_before_any_request(
    cli: Cli, fake_carrier: ModuleType, monkeypatch: pytest.MonkeyPatch, args: list[str], feature: str
) -> None:
    monkeypatch.setenv("NUMBERS_FAKE_OFFLINE", "true")
    result = cli("--provider", "fake", *args)
    assert result.exit_code == 2
    assert one_error_line(result) == f"error: fake does not support {feature}"
    assert result.stdout == ""


def test_the_feature_matrix_groups_commerce_and_compliance_apart(cli: Cli) -> None:
    result = cli("providers")
    assert result.exit_code == 0
    groups: dict[str, list[str]] = {}
    title = ""
    for line in result.stdout.splitlines():
        if not line.strip() or line.strip().startswith(("Feature", "─")):
            continue
        if line.startswith("   "):  # a feature, indented under its group
            groups[title].append(line.split()[0])
        else:
            title = line.strip()
            groups[title] = []
    assert list(groups) == [
        "Operations",
        "Search filters",
        "Number types",
        "Configuration",
        "Commerce and compliance",
    ]
    assert groups["Commerce and compliance"] == [
        "prices",
        "search.prices",
        "coverage",
        "requirements",
        "addresses",
        "reserve",
        "emergency.status",
        "emergency.validate",
    ]
    assert all(feature.startswith("search.") for feature in groups["Search filters"])
    assert "search.prices" not in groups["Search filters"]
    assert "config.compliance" in groups["Configuration"]


@pytest.mark.parametrize(
    ("page", "start", "end"),
    [
        ("docs/cli.md", "## Prices, compliance and addresses", "\n## "),
        ("docs/compliance.md", "### The same from the command line", "\n## "),
    ],
)
def test_the_docs_name_real_commands_and_options(page: str, start: str, end: str) -> None:
    import re

    from numbers_core.cli._app import app
    from typer.main import get_command

    numbers: Any = get_command(app)  # a click group
    text = (Path(__file__).parents[2] / page).read_text(encoding="utf-8").split(start, 1)[1].split(end, 1)[0]
    # A command is typed at the start of a line, or quoted: `numbers addresses create …`.
    for command, sub in re.findall(r"(?:^|`)numbers ([a-z]+)(?: ([a-z]+))?", text, flags=re.MULTILINE):
        assert command in numbers.commands, command
        group = numbers.commands[command]
        if hasattr(group, "commands"):
            assert sub in group.commands, (command, sub)

    def everything(group: Any) -> list[Any]:
        return [
            group,
            *(found for each in getattr(group, "commands", {}).values() for found in everything(each)),
        ]

    options = {option for command in everything(numbers) for param in command.params for option in param.opts}
    assert set(re.findall(r"(?<![\w-])(--[a-z][\w-]*)", text)) <= options
