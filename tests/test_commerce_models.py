"""The models of prices, compliance, addresses, emergency registration and coverage."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import numbers_core as nc
import pydantic
import pytest
from numbers_core import (
    ActiveNumber,
    Address,
    AddressCheck,
    AvailableNumber,
    ComplianceScope,
    Coverage,
    EmergencyRegistration,
    EmergencyStatus,
    Money,
    NumberCompliance,
    NumberConfig,
    NumberPrice,
    NumberType,
    PriceBasis,
    Requirement,
    RequirementKind,
)
from numbers_core.adapter import build

HOME = {"street": "1 Main St", "locality": "Austin", "region": "TX", "postal_code": "78701", "country": "US"}


def test_an_address_is_checked_and_its_country_upper_cased() -> None:
    address = Address(**{**HOME, "country": " us "})
    assert address.country == "US"
    assert (address.id, address.emergency, address.validated, address.verified) == (None, None, None, None)
    assert (
        Address(street="1 Poultry", locality="London", country="GB").region is None
    )  # not every country has one


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"country": "XX"}, "country"),
        ({"country": "USA"}, "country"),
        ({"street": "1 Main St\r\nX-Injected: yes"}, "street"),
        ({"locality": "Aus\x00tin"}, "locality"),
        ({"customer_name": "Acme\x85"}, "customer_name"),  # C1 controls too
        ({"street": "x" * 256}, "street"),
        ({"postal_code": "7" * 33}, "postal_code"),
        ({"id": "AD" + "1" * 255}, "id"),
        ({"id": "AD\t1"}, "id"),
        ({"street": "   "}, "street"),  # blank is missing
        ({"colour": "red"}, "colour"),
    ],
)
def test_a_bad_address_is_refused_when_built(change: dict[str, Any], field: str) -> None:
    with pytest.raises(pydantic.ValidationError) as caught:
        Address(**{**HOME, **change})
    assert caught.value.errors()[0]["loc"][0] == field


def test_a_bad_address_given_to_a_provider_is_invalid_input_before_any_request() -> None:
    with pytest.raises(nc.InvalidInputError) as caught:
        build(NumberConfig, None, {"emergency_address": {**HOME, "street": "a\nb"}})
    assert caught.value.field == "emergency_address.street"


def test_compliance_references_are_bounded_and_printable() -> None:
    assert NumberCompliance(address_id="AD1", bundle_id="BU1").identity_id is None
    for bad in ({"bundle_id": "B" * 257}, {"identity_id": "RI\n1"}, {"address_id": 12}):
        with pytest.raises(pydantic.ValidationError):
            NumberCompliance(**bad)


def test_an_emergency_address_goes_by_id_or_inline_not_both() -> None:
    assert NumberConfig(emergency_address=Address(**HOME)).emergency_address_id is None
    with pytest.raises(pydantic.ValidationError, match="not both"):
        NumberConfig(emergency_address_id="AD1", emergency_address=Address(**HOME))


def test_the_new_fields_default_to_not_said() -> None:
    available = AvailableNumber(phone_number="+14155552671", provider="p")
    assert (available.price_basis, available.documents_required) == (None, None)
    owned = ActiveNumber(phone_number="+14155552671", id="PN1", provider="p")
    assert (owned.emergency, owned.compliance) == (None, None)
    assert (NumberConfig().compliance, NumberConfig().emergency_address) == (None, None)


def test_a_price_row() -> None:
    row = NumberPrice(
        country="gb",
        number_type="local",
        monthly=Money(amount=Decimal("1.00"), currency="GBP"),
        list_monthly=Money(amount=Decimal("1.15"), currency="GBP"),
        interval_months=1,
        basis="catalog",
        raw={"number_type": "local"},
    )
    assert (row.country, row.basis, row.setup) == ("GB", PriceBasis.CATALOG, None)
    assert "raw" not in repr(row)
    assert hash(row) == hash(row.model_copy())
    with pytest.raises(pydantic.ValidationError):
        NumberPrice(country="US", number_type="local", basis="guess")
    with pytest.raises(pydantic.ValidationError):
        NumberPrice(country="US", number_type="local", basis="offer", interval_months=0)


def test_carrier_answers_are_read_with_their_own_countries() -> None:
    # A carrier may name a country phonenumbers has no metadata for; its answer is still read.
    assert Coverage(country="xk", number_types={"local", "mobile"}).country == "XK"
    assert (
        Requirement(country="AQ", number_type="local", kind="identity", name="ID").kind
        is RequirementKind.IDENTITY
    )
    with pytest.raises(pydantic.ValidationError):
        Coverage(country="USA")


def test_coverage_types_are_a_set_of_number_types() -> None:
    coverage = Coverage(
        country="US", name="United States", number_types=["local", "toll_free", "local"], beta=False
    )
    assert coverage.number_types == frozenset({NumberType.LOCAL, NumberType.TOLL_FREE})
    assert hash(coverage)  # frozen, hashable


def test_an_emergency_registration_keeps_the_carrier_s_own_word() -> None:
    leaving = EmergencyRegistration(
        status="pending", address_id="AD1", carrier_status="pending-unregistration"
    )
    assert leaving.status is EmergencyStatus.PENDING
    inline = EmergencyRegistration(status="active", address=Address(**HOME), caller_name="Acme")
    assert inline.address is not None
    assert inline.address.locality == "Austin"
    with pytest.raises(pydantic.ValidationError):
        EmergencyRegistration(status="removing")  # read as pending, with carrier_status


def test_an_address_check() -> None:
    check = AddressCheck(
        result="ambiguous", candidates=[Address(**HOME), Address(**{**HOME, "street": "1 Main"})]
    )
    assert len(check.candidates) == 2
    assert check.address is None
    with pytest.raises(pydantic.ValidationError):
        AddressCheck(result="probably")


def test_the_kinds_are_strings() -> None:
    assert [kind.value for kind in PriceBasis] == ["offer", "catalog", "table", "quote"]
    assert [kind.value for kind in RequirementKind] == [
        "address",
        "local_address",
        "bundle",
        "identity",
        "documents",
    ]
    assert [kind.value for kind in ComplianceScope] == ["account", "number"]
    assert [kind.value for kind in EmergencyStatus] == ["none", "pending", "active", "failed", "unknown"]
    assert nc.NumberStatus.RESERVED == "reserved"


def test_an_owned_number_with_its_registration_and_references_round_trips_through_json() -> None:
    owned = ActiveNumber(
        phone_number="+442079460000",
        id="SBX1",
        provider="sandbox",
        config=NumberConfig(compliance=NumberCompliance(address_id="AD1", bundle_id="BU1")),
        compliance=NumberCompliance(address_id="AD1", bundle_id="BU1"),
        emergency=EmergencyRegistration(status="active", address_id="AD1"),
    )
    assert ActiveNumber.model_validate_json(owned.model_dump_json()) == owned
