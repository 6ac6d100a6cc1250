"""Sinch's prices, documents, regions and emergency addresses against the fake Numbers API."""

from __future__ import annotations

import json
from decimal import Decimal

import httpx
import numbers_core as nc
import pytest
from numbers_core.providers.sinch import SinchProvider
from sinch_fake import FakeSinch, connected, sinch_error

pytestmark = pytest.mark.anyio

N1, N2 = "+12025550101", "+12025550102"
G1, G2 = "+442079460001", "+442079460002"
OFFICE = nc.Address(
    customer_name="ACME Support",
    street="3500 Lenox Rd NE",
    street2="Suite 1500",
    locality="Atlanta",
    region="ga",
    postal_code="30326-4228",
    country="US",
)
WIRE = {
    "streetNumber": "3500",
    "streetInfo": "Lenox Rd NE",
    "location": "Suite 1500",
    "city": "Atlanta",
    "state": "GA",
    "postalCode": "30326",
    "postalCodePlusFour": "4228",
}


def posted(fake: FakeSinch, suffix: str) -> list[httpx.Request]:
    return [r for r in fake.requests if r.method == "POST" and r.url.raw_path.decode().endswith(suffix)]


# -- prices, documents, regions ---------------------------------------------------------------------------


async def test_search_results_carry_their_offer_price_and_documents_flag(
    sinch: SinchProvider, fake: FakeSinch
) -> None:
    fake.stock(N1, N2)
    fake.documents.add(N2)
    first, second = await sinch.search(area_code="202")
    assert first.price_basis is nc.PriceBasis.OFFER
    assert first.monthly_price == nc.Money(amount=Decimal("2.00"), currency="USD")
    assert (first.documents_required, second.documents_required) == (False, True)
    # Documents are not an address: Sinch's search says nothing of one.
    assert first.address_requirement is second.address_requirement is None
    assert sinch.supports(nc.Feature.SEARCH_PRICES)
    with pytest.raises(nc.UnsupportedError):  # no price list, unless a prices table is set
        await sinch.prices("US")


async def test_a_prices_table_prices_what_search_leaves_unpriced(fake: FakeSinch) -> None:
    fake.stock(N1)
    async with connected(fake, prices={"US": {"local": "3 USD"}}) as carrier:
        [row] = await carrier.prices("US", "local")
        assert row.basis is nc.PriceBasis.TABLE
        [number] = await carrier.search(area_code="202")
    assert number.price_basis is nc.PriceBasis.OFFER  # Sinch's own price for the number comes first


async def test_a_rent_refused_for_documents_is_a_compliance_refusal_for_that_number(
    sinch: SinchProvider, fake: FakeSinch
) -> None:
    fake.stock(N1)
    fake.documents.add(N1)
    with pytest.raises(nc.ComplianceRequiredError) as refused:
        await sinch.purchase(N1)
    error = refused.value
    assert error.requirement is nc.RequirementKind.DOCUMENTS
    assert error.scope is nc.ComplianceScope.NUMBER
    assert (error.country, error.number_type) == ("US", nc.NumberType.LOCAL)
    assert error.status_code == 400
    assert "number orders" in str(error)
    assert N1 not in fake.rented
    looked = [r for r in fake.requests if r.method == "GET" and "availableNumbers/%2B" in str(r.url)]
    assert len(looked) == 1  # the offer, asked once the rent was refused


async def test_purchase_any_passes_over_numbers_that_need_documents(fake: FakeSinch) -> None:
    fake.stock(G1, G2, region="GB")
    fake.documents.add(G1)
    async with connected(fake) as carrier:
        bought = await carrier.purchase_any(country="GB", number_type="local")
    assert bought.phone_number == G2


async def test_a_refusal_the_offer_does_not_explain_stands(sinch: SinchProvider, fake: FakeSinch) -> None:
    fake.stock(N1)
    fake.faults.extend(
        [
            lambda r: None,  # the token
            lambda r: None,  # the look-up of the project's numbers
            lambda r: sinch_error(403, "PERMISSION_DENIED", "Trial account is not enabled to rent number"),
        ]
    )
    with pytest.raises(nc.PermissionDeniedError, match="Trial account"):
        await sinch.purchase(N1)


async def test_coverage_lists_the_project_s_regions(sinch: SinchProvider, fake: FakeSinch) -> None:
    fake.stock(N1)
    fake.stock(G1, region="GB", kind="MOBILE")
    fake.stock(G2, region="GB", kind="TOLL_FREE")
    covered = await sinch.coverage()
    assert [(c.country, c.name, c.number_types) for c in covered] == [
        ("GB", "United Kingdom", frozenset({nc.NumberType.MOBILE, nc.NumberType.TOLL_FREE})),
        ("US", "United States", frozenset({nc.NumberType.LOCAL})),
    ]
    assert [c.country for c in await sinch.coverage("gb")] == ["GB"]
    [asked, _] = [r for r in fake.requests if r.url.path.endswith("/availableRegions")]
    assert asked.url.query == b""


# -- emergency addresses ----------------------------------------------------------------------------------


async def test_an_emergency_address_is_provisioned_read_back_and_deprovisioned(
    sinch: SinchProvider, fake: FakeSinch
) -> None:
    fake.rent(N1)
    registered = await sinch.configure(N1, nc.NumberConfig(emergency_address=OFFICE))
    [provision] = posted(fake, "/emergencyAddress:provision")
    assert json.loads(provision.content) == {"displayName": "ACME Support", "address": WIRE}
    assert registered.emergency is not None
    assert registered.emergency.status is nc.EmergencyStatus.ACTIVE
    tidied = OFFICE.model_copy(update={"region": "GA"})
    assert registered.emergency.address == tidied
    assert registered.config.emergency_address == tidied
    read = await sinch.get(N1)
    assert read.emergency is not None
    assert read.emergency.status is nc.EmergencyStatus.ACTIVE
    assert read.emergency.address == tidied.model_copy(update={"customer_name": None})  # Sinch keeps no name
    cleared = await sinch.configure(N1, nc.NumberConfig(emergency_address=None))
    assert len(posted(fake, "/emergencyAddress:deprovision")) == 1
    assert cleared.emergency == nc.EmergencyRegistration(status=nc.EmergencyStatus.NONE)
    assert (await sinch.get(N1)).emergency == nc.EmergencyRegistration(status=nc.EmergencyStatus.NONE)
    # Clearing what is not there (Sinch: 404) is done already.
    assert (await sinch.configure(N1, nc.NumberConfig(emergency_address=None))).emergency is not None


async def test_an_address_with_other_changes_goes_first(sinch: SinchProvider, fake: FakeSinch) -> None:
    fake.rent(N1)
    fake.bad_streets.add("Lenox Rd NE")
    change = nc.NumberConfig(friendly_name="Front desk", emergency_address=OFFICE)
    with pytest.raises(nc.AddressValidationError, match="could not be located"):
        await sinch.configure(N1, change)
    assert not [r for r in fake.requests if r.method == "PATCH"]  # refused: nothing else changed
    fake.bad_streets.clear()
    done = await sinch.configure(N1, change)
    assert done.friendly_name == "Front desk"
    assert done.emergency is not None
    assert done.emergency.status is nc.EmergencyStatus.ACTIVE


async def test_a_purchase_provisions_the_address_once_the_number_is_rented(
    sinch: SinchProvider, fake: FakeSinch
) -> None:
    fake.stock(N1)
    bought = await sinch.purchase(N1, config=nc.NumberConfig(emergency_address=OFFICE))
    assert bought.emergency is not None
    assert bought.emergency.status is nc.EmergencyStatus.ACTIVE
    order = [r.url.raw_path.decode().rsplit("/", 1)[-1] for r in fake.requests if r.method == "POST"]
    assert [step.split(":")[-1] for step in order if ":" in step] == ["rent", "provision"]
    assert fake.emergency[N1] == WIRE


@pytest.mark.parametrize(
    "address",
    [
        OFFICE.model_copy(update={"country": "CA", "region": "ON", "postal_code": "M5V 2T6"}),
        OFFICE.model_copy(update={"street": "Lenox Rd NE"}),
        OFFICE.model_copy(update={"postal_code": "3032"}),
        OFFICE.model_copy(update={"region": "Georgia"}),
    ],
)
async def test_an_address_sinch_cannot_take_is_refused_before_any_request(
    sinch: SinchProvider, fake: FakeSinch, address: nc.Address
) -> None:
    fake.stock(N1)
    with pytest.raises(nc.InvalidInputError, match="emergency_address"):
        await sinch.purchase(N1, config=nc.NumberConfig(emergency_address=address))
    with pytest.raises(nc.InvalidInputError, match="address"):
        await sinch.validate_emergency_address(address, N1)
    assert fake.requests == []


async def test_a_number_sinch_keeps_no_address_for_says_nothing(
    sinch: SinchProvider, fake: FakeSinch
) -> None:
    fake.rent(N1)
    fake.faults.extend(
        [lambda r: None, lambda r: None, lambda r: sinch_error(400, "INVALID_ARGUMENT", "not a SIP number")]
    )
    number = await sinch.get(N1)
    assert number.emergency is None


@pytest.mark.parametrize(
    ("result", "expected"),
    [("EXACT_MATCH", "exact"), ("NEAR_MATCH", "corrected"), ("NO_MATCH", "invalid")],
)
async def test_an_address_is_validated_without_being_stored(
    sinch: SinchProvider, fake: FakeSinch, result: str, expected: str
) -> None:
    fake.rent(N1)
    corrected = {**WIRE, "streetInfo": "Lenox Road NE"}
    candidate = {**WIRE, "postalCode": "30327"}
    empty = dict.fromkeys(WIRE, "")
    if result != "EXACT_MATCH":
        fake.validations["Lenox Rd NE"] = (
            result,
            corrected if result == "NEAR_MATCH" else empty,
            [candidate] if result == "NO_MATCH" else [],
        )
    check = await sinch.validate_emergency_address(OFFICE, N1)
    assert check.result == expected
    [validate] = posted(fake, "/emergencyAddress:validate")
    assert json.loads(validate.content) == {"displayName": "ACME Support", "address": WIRE}
    assert N1 not in fake.emergency
    if expected == "exact":
        assert check.address == OFFICE
    elif expected == "corrected":
        assert check.address is not None
        assert (check.address.street, check.address.customer_name) == ("3500 Lenox Road NE", "ACME Support")
    else:
        assert check.address is None
        assert [c.postal_code for c in check.candidates] == ["30327-4228"]
        assert check.message


async def test_validation_needs_one_of_the_project_s_numbers(sinch: SinchProvider, fake: FakeSinch) -> None:
    with pytest.raises(nc.InvalidInputError, match="number"):
        await sinch.validate_emergency_address(OFFICE)
    assert fake.requests == []


def test_sinch_announces_what_it_does() -> None:
    for feature in (
        nc.Feature.SEARCH_PRICES,
        nc.Feature.COVERAGE,
        nc.Feature.CONFIG_EMERGENCY_ADDRESS_INLINE,
        nc.Feature.EMERGENCY_STATUS,
        nc.Feature.EMERGENCY_VALIDATE,
    ):
        assert feature in SinchProvider.features
    for feature in (
        nc.Feature.PRICES,
        nc.Feature.REQUIREMENTS,
        nc.Feature.ADDRESSES,
        nc.Feature.RESERVE,
        nc.Feature.CONFIG_COMPLIANCE,
        nc.Feature.CONFIG_EMERGENCY_ADDRESS,
    ):
        assert feature not in SinchProvider.features
