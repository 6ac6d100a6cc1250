"""What the contract promises, once, for every carrier: adapters differ in wire format only."""

from __future__ import annotations

import numbers_core as nc
import pytest
from numbers_core.sandbox import APPROVED_BUNDLE

pytestmark = pytest.mark.anyio

# Every carrier under test sells numbers here (see conftest.py).
AREA_CODE = "415"


def sellers(carrier: nc.Provider) -> set[str]:
    """The names offers and numbers carry: the carrier's, or a routing provider's members'."""
    return set(carrier.members) if isinstance(carrier, nc.RoutingProvider) else {carrier.name}


async def test_a_number_searched_bought_configured_listed_and_released(carrier: nc.Provider) -> None:
    found = await carrier.search(area_code=AREA_CODE, limit=3)
    assert 1 <= len(found) <= 3
    assert all(n.phone_number.startswith(f"+1{AREA_CODE}") and n.provider in sellers(carrier) for n in found)
    chosen = found[0]

    bought = await carrier.purchase(chosen)
    assert bought.phone_number == chosen.phone_number
    assert bought.provider == chosen.provider
    assert bought.status is nc.NumberStatus.ACTIVE

    with pytest.raises(nc.ConflictError) as again:
        await carrier.purchase(chosen.phone_number)
    assert again.value.code == "already-owned"

    assert (await carrier.get(bought)).phone_number == bought.phone_number
    assert (await carrier.get(bought.phone_number)).id == bought.id

    if carrier.supports(nc.Feature.CONFIG_FRIENDLY_NAME):
        named = await carrier.configure(bought, nc.NumberConfig(friendly_name="Contract scenario"))
        assert named.friendly_name == "Contract scenario"
        assert (await carrier.get(bought)).friendly_name == "Contract scenario"
    else:  # a carrier that routes by Application only, and names no number (Vonage)
        linked = await carrier.configure(
            bought, nc.NumberConfig(voice=nc.Route(application_id="contract-app"))
        )
        assert linked.config.voice == nc.Route(application_id="contract-app")
        assert (await carrier.get(bought)).config.voice == nc.Route(application_id="contract-app")

    listed = [n async for n in carrier.list()]
    assert bought.phone_number in {n.phone_number for n in listed}
    for number in listed:  # every number the library handed out is accepted back
        assert (await carrier.get(number)).phone_number == number.phone_number
    tail = bought.phone_number[-4:]
    assert bought.phone_number in {n.phone_number async for n in carrier.list(contains=tail)}

    await carrier.release(bought)
    # Gone, or leaving: a carrier may keep a released number until its paid period ends (Sinch).
    try:
        after = await carrier.get(bought.phone_number)
    except nc.NotFoundError:
        after = None
    assert after is None or (after.status is nc.NumberStatus.RELEASING and after.expires_at is not None)
    with pytest.raises(nc.NotFoundError):
        await carrier.release(bought.phone_number)
    leaving = {n.phone_number: n.status async for n in carrier.list()}
    assert leaving.get(bought.phone_number, nc.NumberStatus.RELEASING) is nc.NumberStatus.RELEASING


async def test_purchase_any_buys_one_matching_number(carrier: nc.Provider) -> None:
    bought = await carrier.purchase_any(area_code=AREA_CODE)
    assert bought.phone_number.startswith(f"+1{AREA_CODE}")
    assert bought.status is nc.NumberStatus.ACTIVE
    assert (await carrier.wait_provisioned(bought, interval=0.01)).status is nc.NumberStatus.ACTIVE
    await carrier.release(bought)


@pytest.mark.parametrize("typed", ["+1415555", "+14155552671 ext 1", "+14155552671/../x", "not a number"])
async def test_bad_numbers_are_refused_before_any_request(carrier: nc.Provider, typed: str) -> None:
    with pytest.raises(nc.InvalidInputError):
        await carrier.purchase(typed)
    with pytest.raises(nc.InvalidInputError):
        await carrier.release(typed)


async def test_a_number_not_held_is_not_found(carrier: nc.Provider) -> None:
    with pytest.raises(nc.NotFoundError):
        await carrier.get("+14155550199")


# -- commerce and compliance: each leg runs where the carrier's features say it can --------------------


def _require(carrier: nc.Provider, *features: nc.Feature) -> None:
    missing = [str(feature) for feature in features if not carrier.supports(feature)]
    if missing:
        pytest.skip(f"{carrier.name} does not support {', '.join(missing)}")


async def test_prices_are_listed_and_search_results_priced(carrier: nc.Provider) -> None:
    _require(carrier, nc.Feature.PRICES)
    prices = await carrier.prices("US")
    assert prices
    assert all(row.country == "US" for row in prices)
    local = await carrier.prices("US", "local")
    # One row per seller: each member of a routing provider has its own.
    assert len(local) == len({row.provider for row in local}) >= 1
    assert all(row.number_type is nc.NumberType.LOCAL for row in local)
    assert all(row.monthly is not None or row.setup is not None for row in local)
    if carrier.supports(nc.Feature.SEARCH_PRICES):
        for number in await carrier.search(area_code=AREA_CODE, limit=3):
            assert number.price_basis is not None
            assert number.monthly_price is not None


# A British landline: regulated at every carrier that sells one (an address, and at Twilio a bundle).
# Twilio requires every field (a region too).
LONDON = nc.Address(
    customer_name="Contract Ltd",
    street="1 Poultry",
    locality="London",
    region="London",
    postal_code="EC2R 8AH",
    country="GB",
)


async def test_a_regulated_number_is_refused_then_bought_with_its_papers(carrier: nc.Provider) -> None:
    _require(
        carrier,
        nc.Feature.REQUIREMENTS,
        nc.Feature.ADDRESSES,
        nc.Feature.CONFIG_COMPLIANCE,
        nc.Feature.PURCHASE_WITH_CONFIG,
        nc.Feature.NUMBER_TYPE_LOCAL,
    )
    needed = {requirement.kind for requirement in await carrier.requirements("GB", "local")}
    if not needed or not needed <= {nc.RequirementKind.ADDRESS, nc.RequirementKind.BUNDLE}:
        pytest.skip(
            f"{carrier.name}: GB local numbers need {sorted(needed) or 'nothing'}, not an address, a bundle"
        )
    [number] = await carrier.search(country="GB", number_type="local", limit=1)
    with pytest.raises(nc.ComplianceRequiredError) as refused:
        await carrier.purchase(number)
    assert refused.value.requirement in needed
    assert refused.value.scope is nc.ComplianceScope.ACCOUNT

    address = await carrier.create_address(LONDON)
    assert address.id is not None
    assert address.id in {a.id async for a in carrier.addresses()}
    # The emulators keep their state in the sandbox's, which approves this bundle.
    bundle = APPROVED_BUNDLE if nc.RequirementKind.BUNDLE in needed else None
    papers = nc.NumberCompliance(address_id=address.id, bundle_id=bundle)
    bought = await carrier.purchase(number, config=nc.NumberConfig(compliance=papers))
    assert bought.phone_number == number.phone_number
    for read in (bought, await carrier.get(number)):
        assert read.compliance is not None
        assert read.compliance.address_id == address.id
        assert read.compliance.bundle_id == bundle
    with pytest.raises(nc.ConflictError):  # in use
        await carrier.delete_address(address)
    await carrier.release(bought)
    await carrier.delete_address(address)


async def test_search_results_carry_their_price(carrier: nc.Provider) -> None:
    _require(carrier, nc.Feature.SEARCH_PRICES)
    found = await carrier.search(area_code=AREA_CODE, limit=3)
    assert found
    for number in found:
        assert number.price_basis is not None
        assert number.monthly_price is not None


async def test_coverage_says_where_numbers_are_sold(carrier: nc.Provider) -> None:
    _require(carrier, nc.Feature.COVERAGE)
    # Where the scenario buys; a routing provider lists each member's row.
    us = [entry for entry in await carrier.coverage() if entry.country == "US"]
    assert us
    assert all(nc.NumberType.LOCAL in entry.number_types for entry in us)
    assert [entry.country for entry in await carrier.coverage("us")] == ["US"] * len(us)


# An address every carrier that registers emergency addresses inline takes for a San Francisco number.
OFFICE = nc.Address(
    customer_name="Contract Ltd",
    street="140 New Montgomery St",
    locality="San Francisco",
    region="CA",
    postal_code="94105",
    country="US",
)


async def test_an_emergency_address_is_registered_inline_read_back_and_cleared(carrier: nc.Provider) -> None:
    _require(
        carrier,
        nc.Feature.CONFIG_EMERGENCY_ADDRESS_INLINE,
        nc.Feature.EMERGENCY_STATUS,
        nc.Feature.PURCHASE_WITH_CONFIG,
    )
    [number] = await carrier.search(area_code=AREA_CODE, limit=1)
    bought = await carrier.purchase(number, config=nc.NumberConfig(emergency_address=OFFICE))
    for read in (bought, await carrier.get(bought)):
        assert read.emergency is not None
        assert read.emergency.status is nc.EmergencyStatus.ACTIVE
        assert read.emergency.address is not None
        assert (read.emergency.address.street, read.emergency.address.postal_code) == (OFFICE.street, "94105")
    cleared = await carrier.configure(bought, nc.NumberConfig(emergency_address=None))
    for read in (cleared, await carrier.get(bought)):
        assert read.emergency is not None
        assert read.emergency.status is nc.EmergencyStatus.NONE
    await carrier.release(bought)


async def test_an_emergency_address_is_checked_without_being_registered(carrier: nc.Provider) -> None:
    _require(carrier, nc.Feature.EMERGENCY_VALIDATE)
    bought = await carrier.purchase_any(area_code=AREA_CODE)
    check = await carrier.validate_emergency_address(OFFICE, bought)
    assert check.result in ("exact", "corrected")
    assert check.address is not None
    assert check.address.postal_code == "94105"
    read = await carrier.get(bought)
    assert read.emergency is None or read.emergency.status is nc.EmergencyStatus.NONE
    await carrier.release(bought)


async def test_a_reserved_number_is_held_then_bought(carrier: nc.Provider) -> None:
    _require(carrier, nc.Feature.RESERVE)
    [number] = await carrier.search(area_code=AREA_CODE, limit=1)
    held = await carrier.reserve(number)
    assert held.phone_number == number.phone_number
    assert held.status is nc.NumberStatus.RESERVED
    bought = await carrier.purchase(number)
    assert bought.status is nc.NumberStatus.ACTIVE
    assert (await carrier.get(number)).status is nc.NumberStatus.ACTIVE
    await carrier.release(bought)
