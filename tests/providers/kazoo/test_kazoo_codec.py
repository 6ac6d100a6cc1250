"""Crossbar's documents read from the fixtures (the wire note's shapes, 4.3/5.x)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import numbers_core as nc
import pytest
from numbers_core.providers.kazoo import _codec as codec

FIXTURES = Path(__file__).parent / "fixtures"
ACCOUNT = "a1b2c3d4e5f60718293a4b5c6d7e8f90"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / f"kazoo_{name}.json").read_text())


def test_a_number_document() -> None:
    number = codec.number(fixture("number"), provider="kazoo", account_id=ACCOUNT)
    assert number.phone_number == number.id == "+14155550100"
    assert number.status is nc.NumberStatus.ACTIVE
    assert number.friendly_name == "Support"
    # The e911 block is the emergency registration, not one of the extra blocks.
    assert number.config.extra == {"kazoo": {"cnam": {"display_name": "ACME"}}}
    assert number.emergency is not None
    assert number.emergency.status is nc.EmergencyStatus.ACTIVE
    assert number.emergency.carrier_status == "PROVISIONED"
    assert number.emergency.address == nc.Address(
        street="140 New Montgomery St",
        locality="San Francisco",
        region="CA",
        postal_code="94105",
        country="US",
    )
    assert number.config.emergency_address == number.emergency.address
    assert number.number_type is nc.NumberType.UNKNOWN  # 555-01xx: the plan does not say
    # 63,870,000,000 Gregorian seconds = Unix 1,702,780,800.
    assert number.created_at == datetime(2023, 12, 17, 2, 40, tzinfo=UTC)
    assert number.updated_at is not None
    assert (number.updated_at - number.created_at).total_seconds() == 100


def test_gregorian_seconds() -> None:
    assert codec.gregorian(62_167_219_200, "t") == datetime(1970, 1, 1, tzinfo=UTC)
    assert codec.gregorian(63_870_000_000, "t") == datetime(2023, 12, 17, 2, 40, tzinfo=UTC)
    assert codec.gregorian(None, "t") is None
    for bad in ("63870000000", 1.5, True, 10**30):
        with pytest.raises(codec.Malformed):
            codec.gregorian(bad, "t")


def test_a_listing_page_and_its_next_key() -> None:
    numbers, following = codec.listing(fixture("list_page"), provider="kazoo", account_id=ACCOUNT)
    assert [n.phone_number for n in numbers] == ["+14155550100", "+14155550101"]
    assert [n.status for n in numbers] == [nc.NumberStatus.ACTIVE, nc.NumberStatus.PENDING]
    assert following == "g2wAAAACbQAAAAwrMTQxNTU1NTAxMDFq"
    last, none = codec.listing(fixture("list_last"), provider="kazoo", account_id=ACCOUNT)
    assert none is None
    assert last[0].status is nc.NumberStatus.RESERVED


def test_search_results_keep_only_buyable_states() -> None:
    body = fixture("search")
    body["data"].append({"number": "+14155550199", "state": "in_service"})
    found = codec.search_results(body, provider="kazoo", number_type=nc.NumberType.LOCAL)
    assert [n.phone_number for n in found] == ["+14152338397", "+14152338421", "+14155550100"]
    assert found[0].number_type is nc.NumberType.LOCAL
    assert found[0].geography == nc.Geography(iso_country="US")


def test_a_charge_quote() -> None:
    failure = codec.error_details(fixture("charges"))
    assert failure.message == "accept charges"
    lines, total = codec.charges(failure.data)
    assert lines == (nc.Charge("phone_numbers", "did_us", Decimal(1), Decimal("1.0")),)
    assert total == Decimal("1.0")
    assert codec.charges({"activation_charges": "NaN", "x": {"y": {"rate": [1]}}}) == (
        (nc.Charge("x", "y"),),
        None,
    )


def test_a_charge_quote_as_kazoo_4_3_and_master_give_it() -> None:
    failure = codec.error_details(fixture("charges_invoices"))
    assert failure.message == "accept charges"
    lines, total = codec.charges(failure.data)
    assert lines == (
        nc.Charge("phone_numbers", "did_us", Decimal(3), Decimal("2.5")),
        nc.Charge("number_services", "e911", Decimal(1), Decimal("2.0")),
    )
    assert total == Decimal("1.5")  # what both invoices charge today
    assert codec.charges([{"items": [{"item": "x"}, "y"], "summary": {"today": "NaN"}}, 1]) == ((), None)


@pytest.mark.parametrize(
    ("name", "error", "cause"),
    [
        ("error_expired", "invalid credentials", None),
        ("error_not_found", "bad_identifier", None),
        ("error_exists", "number_exists", "+14155550100"),
        ("error_e911", "invalid", "Location is not geocoded (140 New Montgomery St)"),
        (
            "error_validation",
            "validation error",
            "cnam.display_name: String must not be more than 15 characters",
        ),
    ],
)
def test_error_envelopes(name: str, error: str, cause: str | None) -> None:
    failure = codec.error_details(fixture(name))
    assert failure.error == error
    assert failure.cause == cause
    assert failure.request_id == "9f1c2e3d4b5a69788796a5b4c3d2e1f0"


def test_a_partial_collection_answer_with_a_bare_string_error() -> None:
    numbers = ["+14155550100", "+14155550101", "+14155550102"]
    done, failed = codec.collection(fixture("collection_partial"), numbers)
    assert list(done) == ["+14155550100"]
    assert failed["+14155550101"].error == "number_exists"
    assert failed["+14155550102"].error == "not_found"


def test_a_one_number_collection_answered_in_the_single_number_shape() -> None:
    done, failed = codec.collection(fixture("number"), ["+14155550100"])
    assert list(done) == ["+14155550100"]
    assert failed == {}
    with pytest.raises(codec.Malformed):
        codec.collection(fixture("number"), ["+14155550100", "+14155550101"])


def test_the_monthly_figure_of_a_quote_is_the_rate_of_what_it_adds() -> None:
    assert codec.monthly(codec.error_details(fixture("charges_invoices")).data) == Decimal("2.5")
    assert codec.monthly(codec.error_details(fixture("charges")).data) == Decimal("1.0")
    # Items without changes: the one rate there is; two rates for what is added say nothing.
    assert codec.monthly([{"items": [{"category": "c", "item": "i", "rate": 3}]}]) == Decimal(3)
    two = {"phone_numbers": {"did_us": {"rate": 1.0}, "tollfree_us": {"rate": 4.0}}}
    assert codec.monthly(two) is None
    assert codec.monthly([{"items": [{"rate": "x"}]}, "odd"]) is None
    assert codec.monthly(None) is None


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("PROVISIONED", nc.EmergencyStatus.ACTIVE),
        ("GEOCODED", nc.EmergencyStatus.PENDING),
        ("INVALID", nc.EmergencyStatus.FAILED),
        ("ERROR", nc.EmergencyStatus.FAILED),
        ("REMOVED", nc.EmergencyStatus.NONE),
        ("SOMETHING_NEW", nc.EmergencyStatus.UNKNOWN),
        (None, nc.EmergencyStatus.UNKNOWN),
    ],
)
def test_the_e911_status_reads_as_the_registration(status: str | None, expected: nc.EmergencyStatus) -> None:
    body = fixture("number")
    body["data"]["e911"]["status"] = status
    number = codec.number(body, provider="kazoo", account_id=ACCOUNT)
    assert number.emergency is not None
    assert number.emergency.status is expected
    assert number.emergency.carrier_status == status
    assert number.emergency.address is not None
    assert number.emergency.address.street == "140 New Montgomery St"


def test_a_number_without_an_e911_block_has_no_registration() -> None:
    body = fixture("number")
    del body["data"]["e911"]
    number = codec.number(body, provider="kazoo", account_id=ACCOUNT)
    assert number.emergency == nc.EmergencyRegistration(status=nc.EmergencyStatus.NONE)
    assert number.config.emergency_address is None
    # Kazoo 3.x's block, which Kazoo 4 copies to e911, reads the same.
    body["data"]["dash_e911"] = {
        "street_address": "1 Main St",
        "locality": "SF",
        "region": "CA",
        "postal_code": "94103",
    }
    assert (
        codec.number(body, provider="kazoo", account_id=ACCOUNT).emergency.status
        is nc.EmergencyStatus.UNKNOWN
    )
    body["data"]["e911"] = {"street_address": 1}
    with pytest.raises(codec.Malformed):
        codec.number(body, provider="kazoo", account_id=ACCOUNT)


def test_the_candidates_of_a_multiple_choice() -> None:
    failure = codec.error_details(fixture("error_e911_choices"))
    assert failure.error == "multiple_choice"
    first, second = codec.candidates(failure.data)  # the third has no street: left out
    assert first == nc.Address(
        street="1 E Main St", locality="Springfield", region="IL", postal_code="62701", country="US"
    )
    assert second.street == "1 W Main St"
    canadian = codec.candidates(
        {"details": [{"street_address": "1 Rue", "locality": "Laval", "region": "QC"}]}
    )
    assert [a.country for a in canadian] == ["CA"]
    assert codec.candidates({"details": "none"}) == codec.candidates(None) == ()


OFFICE = nc.Address(
    customer_name="ACME Support",
    street="140 New Montgomery St",
    street2="Floor 3",
    locality="San Francisco",
    region="ca",
    postal_code="94105",
    country="US",
)


def test_an_emergency_address_is_written_as_the_e911_block() -> None:
    import jsonschema
    from kazoo_spec import number_schema

    data = codec.config_data(nc.NumberConfig(emergency_address=OFFICE))
    assert data == {
        "e911": {
            "street_address": "140 New Montgomery St",
            "extended_address": "Floor 3",
            "locality": "San Francisco",
            "region": "CA",
            "postal_code": "94105",
            "caller_name": "ACME Support",
        }
    }
    jsonschema.Draft4Validator(number_schema()).validate(data)
    assert codec.config_data(nc.NumberConfig(emergency_address=None)) == {"e911": None}
    with pytest.raises(codec.BadConfig, match="not both"):
        codec.config_data(nc.NumberConfig(emergency_address=OFFICE, extra={"kazoo": {"e911": None}}))


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"country": "GB", "region": None, "postal_code": "EC2R 8AH"}, "country"),
        ({"region": "California"}, "region"),
        ({"region": None}, "region"),
        ({"postal_code": None}, "postal_code"),
        ({"customer_name": "Al"}, "customer_name"),
    ],
)
def test_an_emergency_address_kazoo_cannot_take_is_refused(change: dict[str, Any], field: str) -> None:
    with pytest.raises(codec.BadConfig) as refused:
        codec.e911_block(OFFICE.model_copy(update=change))
    assert refused.value.field == f"emergency_address.{field}"


def test_config_data_writes_only_what_is_set() -> None:
    assert codec.config_data(None) == {}
    assert codec.config_data(nc.NumberConfig()) == {}
    assert codec.config_data(nc.NumberConfig(friendly_name=None)) == {"friendly_name": None}
    blocks = {"prepend": {"enabled": True, "name": "Sales"}, "failover": None, "force_outbound": False}
    assert codec.config_data(nc.NumberConfig(extra={"kazoo": blocks})) == blocks
    for bad in (
        {"kazoo": {"e911": {"street_address": "1 Main St"}}},
        {"kazoo": {"unknown_block": {}}},
        {"kazoo": {"cnam": {"display_name": ""}}},
        {"kazoo": "cnam"},
        {"sinch": {}},
    ):
        with pytest.raises(codec.BadConfig):
            codec.config_data(nc.NumberConfig(extra=bad))


# The schema of each fixture's data, from the Swagger document: what the codec is tested on is
# what Kazoo documents.
FIXTURE_SCHEMAS = {
    "auth": ("research.success_envelope", "research.auth_data"),
    "search": ("research.success_envelope", "research.search_result"),
    "number": ("research.success_envelope", "research.number"),
    "list_page": ("research.success_envelope", "research.number_listing"),
    "list_last": ("research.success_envelope", "research.number_listing"),
    "collection_partial": ("research.success_envelope", "research.collection_result"),
    "charges": ("research.error_envelope", "research.charges_quote"),
    # The document knows only the 4.0-4.2 quote (an object); 4.3's list is from Kazoo's code.
    "charges_invoices": ("research.error_envelope", None),
    "error_expired": ("research.error_envelope", None),
    "error_not_found": ("research.error_envelope", None),
    "error_exists": ("research.error_envelope", "research.knm_error"),
    "error_e911": ("research.error_envelope", "research.knm_error"),
    # The crossbar docs' multiple_choice, whose error the document's knm_error does not list.
    "error_e911_choices": ("research.error_envelope", None),
    "error_validation": ("research.error_envelope", None),
}


@pytest.mark.parametrize("name", sorted(FIXTURE_SCHEMAS))
def test_every_fixture_has_the_shape_the_swagger_document_gives(name: str) -> None:
    from kazoo_spec import validator

    envelope, data = FIXTURE_SCHEMAS[name]
    body = fixture(name)
    if name == "collection_partial":
        # Kazoo gives some items' errors as bare strings ("not_found"), which the document's schema
        # does not allow (the wire note's example 9): the codec reads both, the schema checks the rest.
        body["data"]["error"] = {n: e for n, e in body["data"]["error"].items() if isinstance(e, dict)}
    validator({"$ref": f"#/definitions/{envelope}"}).validate(body)
    if data is not None:
        validator({"$ref": f"#/definitions/{data}"}).validate(body["data"])


def test_every_fixture_file_is_checked() -> None:
    names = {path.stem.removeprefix("kazoo_") for path in FIXTURES.glob("kazoo_*.json")}
    assert names == set(FIXTURE_SCHEMAS)


@pytest.mark.parametrize(
    "blocks",
    [
        {"cnam": {"display_name": "ACME", "inbound_lookup": True}},
        {"cnam": {"display_name": "x" * 15}},
        {"cnam": {"display_name": "x" * 16}},
        {"cnam": {"display_name": ""}},
        {"cnam": {"inbound_lookup": "yes"}},
        {"carrier_name": "bandwidth2"},
        {"carrier_name": "x" * 31},
        {"e911": {"street_address": "1 Main St", "locality": "SF", "region": "CA", "postal_code": "94103"}},
        {
            "e911": {
                "street_address": "1 Main St",
                "caller_name": "Al",
                "locality": "SF",
                "region": "CA",
                "postal_code": "1",
            }
        },
        {
            "e911": {
                "street_address": "1 Main St",
                "notification_contact_emails": ["a@example.com"],
                "locality": "SF",
                "region": "CA",
                "postal_code": "1",
            }
        },
        {
            "e911": {
                "street_address": "1 Main St",
                "notification_contact_emails": "a@example.com",
                "locality": "SF",
                "region": "CA",
                "postal_code": "1",
            }
        },
    ],
)
def test_feature_blocks_are_refused_where_the_number_schema_refuses_them(blocks: dict[str, Any]) -> None:
    import jsonschema
    from kazoo_spec import number_schema

    schema_accepts = jsonschema.Draft4Validator(number_schema()).is_valid(blocks)
    try:
        codec.config_data(nc.NumberConfig(extra={"kazoo": blocks}))
        ours = True
    except codec.BadConfig:
        ours = False
    assert ours == schema_accepts
