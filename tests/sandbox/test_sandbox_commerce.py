"""The sandbox's prices, regulated offers, address book, emergency registration and reservations.

A user's whole compliance flow, offline, in memory and in a SQLite file, under asyncio and trio.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import numbers_core as nc
import pytest
from numbers_core import (
    Address,
    AddressValidationError,
    ComplianceRequiredError,
    ConfigurationError,
    ConflictError,
    EmergencyStatus,
    NotFoundError,
    NumberCompliance,
    NumberConfig,
    NumberStatus,
    NumberType,
    NumberUnavailableError,
    PriceBasis,
    ProviderError,
    RequirementKind,
)
from numbers_core.sandbox import APPROVED_BUNDLE
from numbers_core.sandbox._addresses import is_local
from numbers_core.sandbox._catalogue import COUNTRIES, offer_for, offered_types
from test_sandbox_provider import first

pytestmark = pytest.mark.anyio

LONDON = Address(
    customer_name="Acme Ltd", street="1 Poultry", locality="London", postal_code="EC2R 8AH", country="GB"
)
BERLIN = Address(street="Unter den Linden 1", locality="Berlin", postal_code="10117", country="DE")
AUSTIN = Address(
    customer_name="Acme Inc",
    street="500 W 2nd St",
    locality="Austin",
    region="TX",
    postal_code="78701",
    country="US",
    emergency=True,
)


@pytest.fixture
async def alice_and_bob(tmp_path: Path) -> AsyncIterator[tuple[nc.Provider, nc.Provider]]:
    """Two accounts sharing one sandbox file."""
    path = str(tmp_path / "shared.db")
    async with (
        nc.connect("sandbox", path=path, account_id="alice") as alice,
        nc.connect("sandbox", path=path, account_id="bob") as bob,
    ):
        yield alice, bob


def papers(address: Address | None = None, bundle: str | None = APPROVED_BUNDLE) -> NumberConfig:
    return NumberConfig(
        compliance=NumberCompliance(address_id=address.id if address else None, bundle_id=bundle)
    )


# -- prices, coverage, requirements ----------------------------------------------------------------


async def test_prices_come_from_the_catalogue_and_price_search_results(carrier: nc.Provider) -> None:
    prices = await carrier.prices("GB")
    assert {row.number_type for row in prices} == set(offered_types("GB"))
    [local] = await carrier.prices("gb", "local")
    assert (local.monthly, local.setup, local.basis, local.interval_months) == (
        nc.Money(amount=Decimal("1.00"), currency="GBP"),
        nc.Money(amount=Decimal("0.00"), currency="GBP"),
        PriceBasis.CATALOG,
        1,
    )
    for number in await carrier.search(country="GB", area_code="20", limit=3):
        assert (number.monthly_price, number.setup_price, number.price_basis) == (
            local.monthly,
            local.setup,
            PriceBasis.CATALOG,
        )
    assert await carrier.prices("IT") == []  # nothing sold there


async def test_coverage_is_the_catalogue(carrier: nc.Provider) -> None:
    coverage = await carrier.coverage()
    assert [entry.country for entry in coverage] == list(COUNTRIES)
    for entry in coverage:
        assert entry.number_types == frozenset(offered_types(entry.country))
        assert entry.name
    [germany] = await carrier.coverage("de")
    assert germany.name == "Germany"


async def test_requirements_say_what_each_offer_needs(carrier: nc.Provider) -> None:
    assert [r.kind for r in await carrier.requirements("GB", "local")] == [
        RequirementKind.ADDRESS,
        RequirementKind.BUNDLE,
    ]
    assert [r.kind for r in await carrier.requirements("DE", "local")] == [
        RequirementKind.LOCAL_ADDRESS,
        RequirementKind.BUNDLE,
    ]
    assert await carrier.requirements("US", "local") == []
    assert await carrier.requirements("GB", "mobile") == []
    every = await carrier.requirements("GB")
    assert {r.number_type for r in every} == {
        t for t in offered_types("GB") if (offer := offer_for("GB", t)) is not None and offer.needs
    }
    for requirement in every:
        assert requirement.country == "GB"
        assert requirement.description
        assert requirement.carrier_id


# -- regulated offers ------------------------------------------------------------------------------


async def test_a_gb_landline_is_bought_once_its_address_and_bundle_are_given(carrier: nc.Provider) -> None:
    number = await first(carrier, country="GB", area_code="20")
    with pytest.raises(ComplianceRequiredError) as caught:
        await carrier.purchase(number)
    assert (caught.value.requirement, caught.value.scope) == ("address", "account")
    assert (caught.value.country, caught.value.number_type) == ("GB", NumberType.LOCAL)

    office = await carrier.create_address(LONDON)
    with pytest.raises(ComplianceRequiredError) as caught:
        await carrier.purchase(number, config=papers(office, bundle=None))
    assert (caught.value.requirement, caught.value.scope) == ("bundle", "account")
    with pytest.raises(ComplianceRequiredError, match="'BU-SOMETHING-ELSE' is not approved"):
        await carrier.purchase(number, config=papers(office, bundle="BU-SOMETHING-ELSE"))
    with pytest.raises(ComplianceRequiredError) as caught:
        await carrier.purchase(number, config=papers(office.model_copy(update={"id": "AD-nobody"})))
    assert (caught.value.requirement, caught.value.scope) == ("address", "account")
    assert [n async for n in carrier.list()] == []  # nothing was bought on the way

    bought = await carrier.purchase(number, config=papers(office))
    expected = NumberCompliance(address_id=office.id, bundle_id=APPROVED_BUNDLE)
    assert bought.compliance == expected
    assert bought.config.compliance == expected
    assert (await carrier.get(number)).compliance == expected
    assert [n.compliance async for n in carrier.list()] == [expected]


async def test_a_german_landline_needs_an_address_in_its_own_town(carrier: nc.Provider) -> None:
    berlin = await carrier.search(country="DE", area_code="30", limit=1)
    elsewhere = await carrier.search(country="DE", area_code="89", limit=1)  # Munich
    with pytest.raises(ComplianceRequiredError) as caught:
        await carrier.purchase(berlin[0])
    assert (caught.value.requirement, caught.value.scope) == ("local_address", "account")
    london = await carrier.create_address(LONDON)
    with pytest.raises(ComplianceRequiredError) as caught:
        await carrier.purchase(berlin[0], config=papers(london))
    assert (caught.value.requirement, caught.value.scope) == ("local_address", "account")  # abroad

    office = await carrier.create_address(BERLIN)
    with pytest.raises(ComplianceRequiredError) as caught:
        await carrier.purchase(elsewhere[0], config=papers(office))
    # Only this number: one in Berlin will do, so purchase_any moves on.
    assert (caught.value.requirement, caught.value.scope) == ("local_address", "number")
    bought = await carrier.purchase(berlin[0], config=papers(office))
    assert bought.geography.locality == "Berlin"


async def test_purchase_any_passes_over_numbers_outside_the_address_s_town(carrier: nc.Provider) -> None:
    found = await carrier.search(country="DE", area_code="3", limit=20)
    # The first number in a town the ones before it are not in: purchase_any walks as search did.
    index = next(
        i
        for i, number in enumerate(found)
        if all(
            not is_local(
                Address(street="x", locality=number.geography.locality or "", country="DE"),
                "DE",
                earlier.geography.locality,
                None,
            )
            for earlier in found[:i]
        )
        and i > 0
    )
    town = found[index].geography.locality
    assert town is not None
    office = await carrier.create_address(BERLIN.model_copy(update={"locality": town}))
    bought = await carrier.purchase_any(country="DE", area_code="3", config=papers(office))
    assert bought.phone_number == found[index].phone_number

    nowhere = await carrier.create_address(BERLIN.model_copy(update={"locality": "Atlantis"}))
    with pytest.raises(ComplianceRequiredError) as caught:
        await carrier.purchase_any(country="DE", area_code="30", limit=2, config=papers(nowhere))
    assert caught.value.scope == "number"
    with pytest.raises(ComplianceRequiredError) as caught:  # nothing to walk for: refused at once
        await carrier.purchase_any(country="DE", config=papers(nowhere, bundle=None))
    assert caught.value.requirement == "bundle"


async def test_a_taken_number_is_refused_as_taken_before_its_paperwork(
    alice_and_bob: tuple[nc.Provider, nc.Provider],
) -> None:
    alice, bob = alice_and_bob
    number = await first(alice, country="GB", area_code="20")
    office = await alice.create_address(LONDON)
    await alice.purchase(number, config=papers(office))
    with pytest.raises(NumberUnavailableError):
        await bob.purchase(number)
    with pytest.raises(ConflictError) as caught:
        await alice.purchase(number)
    assert caught.value.code == "already-owned"
    # Bob's book is his own: Alice's address is not in it.
    with pytest.raises(ComplianceRequiredError, match="not in the address book of account 'bob'"):
        await alice.transfer(number, "bob", compliance=NumberCompliance(address_id=office.id))
    assert [a async for a in bob.addresses()] == []
    his = await bob.create_address(LONDON)
    moved = await alice.transfer(number, "bob", compliance=NumberCompliance(address_id=his.id))
    assert moved.account_id == "bob"
    assert moved.compliance == NumberCompliance(address_id=his.id, bundle_id=APPROVED_BUNDLE)
    assert (await bob.get(number)).config.compliance == moved.compliance


async def test_compliance_changed_on_a_number_is_checked_and_read_back(carrier: nc.Provider) -> None:
    number = await first(carrier, country="GB", area_code="161")
    office = await carrier.create_address(LONDON)
    await carrier.purchase(number, config=papers(office))
    with pytest.raises(ComplianceRequiredError) as caught:
        await carrier.configure(number, NumberConfig(compliance=NumberCompliance(bundle_id="BU-X")))
    assert caught.value.requirement == "bundle"
    other = await carrier.create_address(LONDON.model_copy(update={"street": "2 Poultry"}))
    changed = await carrier.configure(number, NumberConfig(compliance=NumberCompliance(address_id=other.id)))
    assert changed.compliance == NumberCompliance(address_id=other.id, bundle_id=APPROVED_BUNDLE)
    await carrier.delete_address(office)  # no longer in use


async def test_the_bundles_setting_says_which_bundles_are_approved() -> None:
    async with nc.connect("sandbox", bundles={"GB": {"local": ["BU1"]}}) as carrier:
        number = await first(carrier, country="GB", area_code="20")
        office = await carrier.create_address(LONDON)
        with pytest.raises(ComplianceRequiredError):
            await carrier.purchase(number, config=papers(office))  # the default is approved no longer
        assert (await carrier.purchase(number, config=papers(office, bundle="BU1"))).compliance is not None
        berlin = await carrier.create_address(BERLIN)
        with pytest.raises(ComplianceRequiredError, match="'BU1' is not approved"):
            await carrier.purchase(
                await first(carrier, country="DE", area_code="30"), config=papers(berlin, "BU1")
            )


def test_a_bad_bundles_setting_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError) as caught:
        nc.connect("sandbox", bundles={"ZZ": {"local": ["BU1"]}})
    assert caught.value.setting == "bundles.ZZ.[key]"
    with pytest.raises(ConfigurationError):
        nc.connect("sandbox", bundles={"GB": {"local": ["BU\n1"]}})


# -- the address book ------------------------------------------------------------------------------------


async def test_addresses_are_stored_tidied_listed_and_deleted(carrier: nc.Provider) -> None:
    created = await carrier.create_address(
        Address(street=" 10  Downing Street ", locality="London", postal_code="sw1a2aa", country="gb")
    )
    assert created.id is not None
    assert (created.street, created.postal_code) == ("10 Downing Street", "SW1A 2AA")
    assert (created.emergency, created.validated, created.verified) == (False, True, False)
    more = [await carrier.create_address(AUSTIN), await carrier.create_address(BERLIN)]
    assert [a async for a in carrier.addresses()] == [created, *more]
    await carrier.delete_address(created.id)
    with pytest.raises(NotFoundError):
        await carrier.delete_address(created.id)
    assert [a.id async for a in carrier.addresses()] == [a.id for a in more]


@pytest.mark.parametrize(
    ("address", "says"),
    [
        (AUSTIN.model_copy(update={"region": "Texas"}), "two-letter code"),
        (AUSTIN.model_copy(update={"postal_code": "787"}), "'787' is not a postal code of US"),
        (LONDON.model_copy(update={"postal_code": None}), "needs its postal code"),
        (BERLIN.model_copy(update={"emergency": True}), "registered in US, CA, GB only"),
    ],
)
async def test_an_address_that_cannot_be_used_is_refused(
    carrier: nc.Provider, address: Address, says: str
) -> None:
    with pytest.raises(AddressValidationError, match=says) as caught:
        await carrier.create_address(address)
    assert caught.value.suggestions == ()
    assert [a async for a in carrier.addresses()] == []


async def test_an_address_in_use_is_not_deleted(carrier: nc.Provider) -> None:
    office = await carrier.create_address(AUSTIN)
    number = await carrier.purchase(
        await first(carrier, area_code="512"), config=NumberConfig(emergency_address_id=office.id)
    )
    with pytest.raises(ConflictError) as caught:
        await carrier.delete_address(office)
    assert caught.value.code == "address-in-use"
    await carrier.configure(number, NumberConfig(emergency_address_id=None))
    await carrier.delete_address(office)


async def test_the_address_book_survives_reopening_the_file(tmp_path: Path) -> None:
    path = str(tmp_path / "sandbox.db")
    async with nc.connect("sandbox", path=path) as carrier:
        office = await carrier.create_address(AUSTIN)
    async with nc.connect("sandbox", path=path) as carrier:
        assert [a async for a in carrier.addresses()] == [office]
    async with nc.connect("sandbox", path=path, account_id="other") as other:
        assert [a async for a in other.addresses()] == []  # each account has its own


async def test_addresses_come_page_by_page(carrier: nc.Provider) -> None:
    made = [
        await carrier.create_address(AUSTIN.model_copy(update={"street": f"{n} Congress Ave"}))
        for n in range(1, 206)
    ]
    assert [a async for a in carrier.addresses()] == made


# -- emergency registration --------------------------------------------------------------------------


async def test_an_emergency_address_on_file_registers_the_number(carrier: nc.Provider) -> None:
    number = await first(carrier, area_code="512")
    bought = await carrier.purchase(number)
    assert bought.emergency is not None
    assert bought.emergency.status is EmergencyStatus.NONE
    office = await carrier.create_address(AUSTIN)
    registered = await carrier.configure(number, NumberConfig(emergency_address_id=office.id))
    assert registered.emergency is not None
    assert (registered.emergency.status, registered.emergency.address_id) == (
        EmergencyStatus.ACTIVE,
        office.id,
    )
    assert registered.emergency.address == office
    assert registered.emergency.caller_name == "Acme Inc"
    assert (await carrier.get(number)).emergency == registered.emergency
    # A partial update of something else leaves the registration as it is.
    renamed = await carrier.configure(number, NumberConfig(friendly_name="Front desk"))
    assert renamed.emergency == registered.emergency
    cleared = await carrier.configure(number, NumberConfig(emergency_address_id=None))
    assert cleared.emergency is not None
    assert cleared.emergency.status is EmergencyStatus.NONE


async def test_emergency_registration_is_refused_where_it_cannot_be(carrier: nc.Provider) -> None:
    us = await carrier.purchase(await first(carrier, area_code="512"))
    postal = await carrier.create_address(AUSTIN.model_copy(update={"emergency": False}))
    with pytest.raises(AddressValidationError) as caught:
        await carrier.configure(us, NumberConfig(emergency_address_id=postal.id))
    assert caught.value.code == "not-emergency-address"
    with pytest.raises(AddressValidationError) as caught:
        await carrier.configure(us, NumberConfig(emergency_address_id="AD-nobody"))
    assert caught.value.code == "address-not-found"
    london = await carrier.create_address(LONDON.model_copy(update={"emergency": True}))
    with pytest.raises(AddressValidationError) as caught:
        await carrier.configure(us, NumberConfig(emergency_address_id=london.id))
    assert caught.value.code == "address-abroad"
    german = await carrier.purchase(
        await first(carrier, country="DE", number_type="toll_free"), config=papers(postal)
    )
    with pytest.raises(ProviderError) as refused:
        await carrier.configure(german, NumberConfig(emergency_address=BERLIN))
    assert refused.value.code == "emergency-unavailable"
    assert (await carrier.get(us)).emergency == us.emergency  # nothing changed


async def test_an_inline_emergency_address_is_registered_as_corrected(carrier: nc.Provider) -> None:
    given = AUSTIN.model_copy(update={"region": "tx", "street": "500  W 2nd St", "emergency": None})
    number = await carrier.purchase(
        await first(carrier, area_code="512"), config=NumberConfig(emergency_address=given)
    )
    assert number.emergency is not None
    assert number.emergency.status is EmergencyStatus.ACTIVE
    assert number.emergency.address_id is None
    assert number.emergency.address is not None
    assert (number.emergency.address.region, number.emergency.address.street) == ("TX", "500 W 2nd St")
    assert number.config.emergency_address == number.emergency.address
    with pytest.raises(AddressValidationError, match="two-letter"):
        await carrier.configure(
            number, NumberConfig(emergency_address=given.model_copy(update={"region": None}))
        )
    # By id instead: the inline one goes.
    office = await carrier.create_address(AUSTIN)
    by_id = await carrier.configure(number, NumberConfig(emergency_address_id=office.id))
    assert (by_id.config.emergency_address, by_id.config.emergency_address_id) == (None, office.id)


async def test_validating_an_emergency_address_changes_nothing(carrier: nc.Provider) -> None:
    exact = await carrier.validate_emergency_address(AUSTIN)
    assert (exact.result, exact.address) == ("exact", AUSTIN)
    corrected = await carrier.validate_emergency_address(AUSTIN.model_copy(update={"region": " tx"}))
    assert corrected.result == "corrected"
    assert corrected.address == AUSTIN
    invalid = await carrier.validate_emergency_address(BERLIN)
    assert (invalid.result, invalid.address) == ("invalid", None)
    assert invalid.message is not None
    assert "US, CA, GB" in invalid.message
    number = await carrier.purchase(await first(carrier, area_code="512"))
    assert (await carrier.validate_emergency_address(AUSTIN, number)).result == "exact"
    abroad = await carrier.validate_emergency_address(LONDON, number)
    assert abroad.result == "invalid"
    with pytest.raises(NotFoundError):
        await carrier.validate_emergency_address(AUSTIN, "+14155550199")
    assert [a async for a in carrier.addresses()] == []


# -- reservations ------------------------------------------------------------------------------------


async def test_a_reserved_number_is_held_then_activated_by_its_purchase(
    alice_and_bob: tuple[nc.Provider, nc.Provider],
) -> None:
    alice, bob = alice_and_bob
    number = await first(alice, country="GB", area_code="20")
    held = await alice.reserve(number)
    assert held.status is NumberStatus.RESERVED
    assert [(n.phone_number, n.status) async for n in alice.list()] == [(number, NumberStatus.RESERVED)]
    with pytest.raises(ConflictError) as caught:
        await alice.reserve(number)
    assert caught.value.code == "already-reserved"
    with pytest.raises(NumberUnavailableError):
        await bob.reserve(number)
    with pytest.raises(NumberUnavailableError):
        await bob.purchase(number)
    assert number not in {n.phone_number for n in await bob.search(country="GB", area_code="20")}
    with pytest.raises(ComplianceRequiredError):  # a purchase, with what a purchase needs
        await alice.purchase(number)
    office = await alice.create_address(LONDON)
    bought = await alice.purchase(number, config=papers(office))
    assert bought.status is NumberStatus.ACTIVE
    assert bought.created_at == held.created_at
    assert bought.compliance is not None
    with pytest.raises(ConflictError) as caught:
        await alice.purchase(number, config=papers(office))
    assert caught.value.code == "already-owned"
    with pytest.raises(ConflictError) as caught:
        await alice.reserve(number)
    assert caught.value.code == "already-owned"


async def test_a_released_reservation_is_for_sale_again(carrier: nc.Provider) -> None:
    number = await first(carrier, area_code="415")
    await carrier.reserve(number)
    await carrier.release(number)
    assert (await carrier.purchase(number)).status is NumberStatus.ACTIVE
    with pytest.raises(NumberUnavailableError):
        await carrier.reserve("+447640123456")  # valid, a pager: not sold
