"""Rendering: tables keep carrier text literal, the streamed list stays aligned, JSON stays JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import numbers_core as nc
import pytest
from numbers_core.cli._output import Output, detail_rows

SHOUTY = "[bold red]Reception[/bold red] :phone: " + "x" * 40


def owned(phone_number: str, **fields: object) -> nc.ActiveNumber:
    return nc.ActiveNumber.model_validate(
        {
            "phone_number": phone_number,
            "id": "N1",
            "provider": "test",
            "number_type": "toll_free",
            "status": "active",
            "geography": {"iso_country": "US", "region": "CA", "locality": "San Francisco"},
            "capabilities": {"voice": True, "sms": False, "mms": None},
            **fields,
        }
    )


def test_streamed_rows_are_aligned_and_long_text_is_cut(capsys: pytest.CaptureFixture[str]) -> None:
    output = Output(json=False)
    with output.stream() as show:
        show(owned("+18005550100", friendly_name=SHOUTY))
        show(owned("+442071838750", friendly_name="Desk"))
    header, rule, first, second = capsys.readouterr().out.splitlines()
    location = header.index("Location")
    assert first.index("San Francisco") == second.index("San Francisco") == location
    assert set(rule.strip()) == {"─"}  # under the header, as the tables have it
    assert "…" in first  # the name did not fit its column
    assert first.startswith(" +18005550100 ")
    # Columns stand apart even when one is full ("voice sms mms fax" is as wide as its column).
    assert "fax   " in second or "fax" not in second
    assert "[bold red]Reception" in first  # literal text, not markup
    assert "voice " in first
    assert "sms" not in first


def test_json_stream_is_one_array(capsys: pytest.CaptureFixture[str]) -> None:
    output = Output(json=True)
    with output.stream() as show:
        show(owned("+18005550100"))
        show(owned("+18005550101"))
    listed = json.loads(capsys.readouterr().out)
    assert [entry["phone_number"] for entry in listed] == ["+18005550100", "+18005550101"]
    assert "raw" not in listed[0]


def test_json_stream_of_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    with Output(json=True).stream():
        pass
    captured = capsys.readouterr()
    assert json.loads(captured.out) == []
    assert captured.err == ""


def test_detail_shows_set_values_only_and_literally(capsys: pytest.CaptureFixture[str]) -> None:
    number = owned(
        "+18005550100",
        friendly_name=SHOUTY,
        created_at=datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
        config={
            "voice": {
                "url": "https://example.com/v",
                "method": "POST",
                "fallback_url": "https://example.com/f",
            },
            "status_callback": {"url": "https://example.com/s"},
            "extra": {"servicePlanId": "abc"},
        },
    )
    labels = dict(detail_rows(number))
    assert labels["Voice"] == "POST https://example.com/v; fallback https://example.com/f"
    assert labels["Status callback"] == "https://example.com/s"
    assert labels["Extra"] == '{"servicePlanId": "abc"}'
    assert labels["Capabilities"] == "voice"
    assert "SMS" not in labels
    assert "Account" not in labels
    assert "Updated" not in labels
    Output(json=False).number(number)
    out = capsys.readouterr().out
    assert "[bold red]Reception[/bold red] :phone:" in out
    assert "2024-01-02T03:04:05+00:00" in out


def test_search_table_leaves_out_empty_columns(capsys: pytest.CaptureFixture[str]) -> None:
    available = nc.AvailableNumber(
        phone_number="+18005550100",
        provider="test",
        number_type=nc.NumberType.TOLL_FREE,
        setup_price=nc.Money(amount="3.00", currency="EUR"),
        address_requirement=nc.AddressRequirement.LOCAL,
    )
    Output(json=False).available([available])
    header = capsys.readouterr().out.splitlines()[1]
    assert header.split() == ["Number", "Type", "Setup", "Needs"]


def test_detail_shows_no_method_without_its_url_and_the_expiry() -> None:
    number = owned(
        "+18005550100",
        status="releasing",
        expires_at=datetime(2025, 3, 31, 23, 59, 59, tzinfo=UTC),
        config={
            "sms": {"method": "POST"},  # the carrier's default method, for a URL not set
            "voice": {"method": "GET", "application_id": "AP1"},
            "status_callback": {"method": "POST"},
        },
    )
    labels = dict(detail_rows(number))
    assert "SMS" not in labels
    assert labels["Voice"] == "application AP1"
    assert "Status callback" not in labels
    assert labels["Status"] == "releasing"
    assert labels["Expires"] == "2025-03-31T23:59:59+00:00"


def test_search_table_flags_documents_and_says_where_a_price_comes_from(
    capsys: pytest.CaptureFixture[str],
) -> None:
    available = nc.AvailableNumber(
        phone_number="+4930123456",
        provider="test",
        number_type=nc.NumberType.LOCAL,
        monthly_price=nc.Money(amount="2.50", currency="EUR"),
        price_basis=nc.PriceBasis.OFFER,
        address_requirement=nc.AddressRequirement.LOCAL,
        documents_required=True,
    )
    Output(json=False).available([available])
    header, _, row = capsys.readouterr().out.splitlines()[1:4]
    assert header.split() == ["Number", "Type", "Monthly", "Basis", "Needs"]
    assert row.strip().split("   ")[-3:] == ["2.50 EUR", "offer", "local address, documents"]


def test_prices_table_shows_list_prices_and_other_billing_intervals(
    capsys: pytest.CaptureFixture[str],
) -> None:
    prices = [
        nc.NumberPrice(
            country="US",
            number_type=nc.NumberType.LOCAL,
            monthly=nc.Money(amount="1.00", currency="USD"),
            list_monthly=nc.Money(amount="1.15", currency="USD"),
            basis=nc.PriceBasis.CATALOG,
        ),
        nc.NumberPrice(
            country="US",
            number_type=nc.NumberType.TOLL_FREE,
            monthly=nc.Money(amount="2.00", currency="USD"),
            interval_months=12,
            basis=nc.PriceBasis.CATALOG,
        ),
    ]
    Output(json=False).prices(prices, "US numbers")
    lines = [line.split("   ") for line in capsys.readouterr().out.splitlines()[1:5]]
    cells = [[cell.strip() for cell in line if cell.strip()] for line in lines]
    assert cells[0] == ["Type", "Monthly", "List price", "Billed", "Basis"]
    assert cells[2] == ["local", "1.00 USD", "1.15 USD", "catalog"]
    assert cells[3] == ["toll_free", "2.00 USD", "every 12 months", "catalog"]


def test_detail_shows_the_emergency_address_configured_where_no_registration_is_reported() -> None:
    by_id = owned("+18005550100", config={"emergency_address_id": "AD1"})
    assert dict(detail_rows(by_id))["Emergency address"] == "AD1"
    assert "Emergency" not in dict(detail_rows(by_id))
    inline = owned(
        "+18005550100",
        config={
            "emergency_address": {
                "street": "1 Main St",
                "locality": "Austin",
                "region": "TX",
                "country": "US",
            }
        },
    )
    assert dict(detail_rows(inline))["Emergency address"] == "1 Main St, Austin TX, US"


def test_detail_shows_a_registration_and_a_caller_name_of_its_own() -> None:
    number = owned(
        "+18005550100",
        compliance={"identity_id": "RI1"},
        emergency={
            "status": "pending",
            "carrier_status": "pending-unregistration",
            "address": {
                "customer_name": "Acme",
                "street": "1 Main St",
                "locality": "Austin",
                "country": "US",
            },
            "caller_name": "Acme Front Desk",
        },
    )
    labels = dict(detail_rows(number))
    assert labels["Emergency"] == "pending (pending-unregistration)"
    assert labels["Emergency address"] == "Acme, 1 Main St, Austin, US"
    assert labels["Caller name"] == "Acme Front Desk"
    assert labels["Identity ID"] == "RI1"
    assert "Address ID" not in labels


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            nc.ComplianceRequiredError(
                "Phone Number Requires an Address",
                provider="twilio",
                requirement="address",
                scope="account",
                status_code=400,
                code="21631",
            ),
            "twilio: numbers of this country and type need an address on file (--address-id): the whole "
            "country and type, not just this number (the carrier says: Phone Number Requires an Address) "
            "(HTTP 400, code 21631)",
        ),
        (
            nc.ComplianceRequiredError(
                "KYC required",
                provider="sinch",
                requirement="documents",
                scope="account",
                country="DE",
                number_type="mobile",
            ),
            "sinch: DE mobile numbers need documents the carrier reviews (at the carrier): the whole country "
            "and type, not just this number (the carrier says: KYC required)",
        ),
        (
            nc.ComplianceRequiredError(
                "needs an identity",
                provider="twilio",
                requirement="identity",
                scope="number",
                number_type="toll_free",
            ),
            "twilio: this number needs a verified identity (--identity-id); another number may do "
            "(the carrier says: needs an identity)",
        ),
        (
            nc.AddressValidationError("no such street", provider="twilio"),
            "twilio: address refused: no such street",
        ),
        (nc.NotFoundError("gone", provider="x", code="404"), "x: gone (code 404)"),
    ],
)
def test_compliance_and_address_errors_in_plain_words(error: nc.NumbersError, expected: str) -> None:
    from numbers_core.cli._words import error_text

    assert error_text(error) == expected


HOSTILE = "A\x1b]0;pwned\x07B\x00C\u202eD"
SHOWN = "A\\x1b]0;pwned\\x07B\\x00C\\u202eD"


def _listed_and_shown(name: str, *, json: bool) -> None:
    """A number named ``name`` by its carrier, printed as ``list`` then ``show`` print it."""
    from numbers_core._models import carrier_answer

    with carrier_answer():  # as a carrier's answer is read: its names are taken as they are
        number = owned("+18005550100", friendly_name=name)
    output = Output(json=json)
    with output.stream() as show:
        show(number)
    output.number(number)


def test_control_characters_from_a_carrier_are_shown_not_acted_on(capsys: pytest.CaptureFixture[str]) -> None:
    _listed_and_shown(HOSTILE, json=False)
    printed = capsys.readouterr().out
    assert "\x1b" not in printed
    assert "\x00" not in printed
    assert "\u202e" not in printed
    assert printed.count("A\\x1b]0;pwned") == 2  # the list row and the detail, each escaped


def test_json_keeps_a_carriers_text_as_given_with_its_controls_escaped(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # C1's CSI (\x9b) moves a terminal's cursor as ESC [ does; json.dumps wrote it, the line
    # separator and the bidirectional override raw (it escapes C0 only).
    name = HOSTILE + "\x9b2J\u2028E"
    _listed_and_shown(name, json=True)
    printed = capsys.readouterr().out
    for control in ("\x1b", "\x00", "\x9b", "\u2028", "\u202e"):
        assert control not in printed
    assert "\\u202eD\\u009b2J\\u2028E" in printed
    streamed, detail = printed.split("\n]\n")
    assert json.loads(streamed + "]")[0]["friendly_name"] == name  # read back as the carrier gave it
    assert json.loads(detail)["friendly_name"] == name


def test_an_error_line_shows_control_characters_as_escapes(capsys: pytest.CaptureFixture[str]) -> None:
    from numbers_core.cli._run import print_error

    print_error(f"twilio: {HOSTILE}")
    assert capsys.readouterr().err.strip().endswith(f"twilio: {SHOWN}")
