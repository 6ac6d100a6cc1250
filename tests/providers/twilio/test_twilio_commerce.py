"""Commerce and compliance on the wire (respx): Twilio's price list, Regulations, Addresses, country
list, compliance references and refusals, emergency registration; SignalWire's share of them.

Every request is checked against the carrier's documents by the ``wire`` fixture (conftest.py).
"""

from __future__ import annotations

import json
import random
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl

import anyio
import httpx
import numbers_core as nc
import pytest
import respx
from numbers_core.providers.twilio import SignalWireProvider, TwilioProvider, TwilioSettings
from numbers_core.providers.twilio import _commerce as commerce
from twilio_wire import (
    CASES,
    SW_SEARCH,
    TWILIO_ADDRESSES,
    TWILIO_NUMBERS,
    TWILIO_PRICING,
    TWILIO_REGULATIONS,
    TWILIO_SEARCH,
    Case,
    addresses_spec,
    fixture,
    lookup,
    pricing_spec,
    raises,
    regulatory_spec,
)

pytestmark = pytest.mark.anyio

TWILIO = CASES["twilio"]
ADDRESS_SID = "AD" + "2" * 32
BUNDLE_SID = "BU" + "5" * 32
IDENTITY_SID = "RI" + "4" * 32
ONE_ADDRESS = TWILIO_ADDRESSES.replace("Addresses.json", f"Addresses/{ADDRESS_SID}.json")
DEPENDENTS = TWILIO_ADDRESSES.replace("Addresses.json", f"Addresses/{ADDRESS_SID}/DependentPhoneNumbers.json")
LONDON = nc.Address(
    customer_name="Acme Ltd",
    street="1 Poultry",
    street2="Floor 2",
    locality="London",
    region="London",
    postal_code="EC2R 8AH",
    country="GB",
    emergency=True,
)


def form(request: httpx.Request) -> dict[str, str]:
    return dict(parse_qsl(request.content.decode(), keep_blank_values=True))


def refusal(code: int, message: str = "refused", status: int = 400) -> httpx.Response:
    return httpx.Response(status, json={"code": code, "message": message, "status": status})


def usd(amount: str) -> nc.Money:
    return nc.Money(amount=Decimal(amount), currency="USD")


# -- prices ---------------------------------------------------------------------------------------------


async def test_twilio_prices_read_the_pricing_api(twilio: TwilioProvider, wire: respx.MockRouter) -> None:
    prices = await twilio.prices("GB")
    [sent] = [call.request for call in wire.calls]
    assert str(sent.url) == f"{TWILIO_PRICING}/GB"
    # The same Basic credentials as the 2010 API.
    assert sent.headers["Authorization"].startswith("Basic ")
    by_type = {row.number_type: row for row in prices}
    # "toll free" with a space is toll_free; "shortcode", a type the contract does not know, is left out.
    assert list(by_type) == [
        nc.NumberType.LOCAL,
        nc.NumberType.MOBILE,
        nc.NumberType.NATIONAL,
        nc.NumberType.TOLL_FREE,
    ]
    mobile = by_type[nc.NumberType.MOBILE]
    gbp = "GBP"
    assert mobile.monthly == nc.Money(amount=Decimal("3.00"), currency=gbp)  # current_price: discounted
    assert mobile.list_monthly == nc.Money(amount=Decimal("3.50"), currency=gbp)  # base_price
    assert mobile.setup is None  # Twilio bills the first month, not a setup fee
    assert mobile.basis is nc.PriceBasis.CATALOG
    assert mobile.country == "GB"
    assert mobile.raw == {"number_type": "mobile", "base_price": "3.50", "current_price": "3.00"}
    # Fetched once per country and connection.
    assert [row.number_type for row in await twilio.prices("GB", "toll_free")] == [nc.NumberType.TOLL_FREE]
    assert len(wire.calls) == 1


async def test_twilio_price_units_are_upper_cased(twilio: TwilioProvider) -> None:
    [local, toll_free] = await twilio.prices("US")
    assert (local.monthly, local.list_monthly) == (usd("1.00"), usd("1.15"))  # "usd" in the answer
    assert toll_free.monthly == usd("2.15")


async def test_a_country_twilio_prices_nothing_in_has_no_prices(twilio: TwilioProvider) -> None:
    assert await twilio.prices("JP") == []  # answered 404 (fixtures/ has no list for JP)


async def test_twilio_search_results_are_priced_from_the_catalog_once_per_country(
    twilio: TwilioProvider, wire: respx.MockRouter
) -> None:
    wire.get(f"{TWILIO_SEARCH}/US/Local.json").mock(
        return_value=httpx.Response(200, json=fixture("twilio_search_local"))
    )
    wire.get(f"{TWILIO_SEARCH}/US/TollFree.json").mock(
        return_value=httpx.Response(200, json=fixture("twilio_search_toll_free"))
    )
    local = await twilio.search(area_code="808")
    again = await twilio.search(area_code="808")
    toll_free = await twilio.search(number_type="toll_free")
    assert {(n.monthly_price, n.setup_price, n.price_basis) for n in local + again} == {
        (usd("1.00"), None, nc.PriceBasis.CATALOG)
    }
    assert {n.monthly_price for n in toll_free} == {usd("2.15")}
    assert wire.routes["pricing"].call_count == 1


async def test_a_price_list_that_cannot_be_had_leaves_search_results_unpriced(
    twilio: TwilioProvider, wire: respx.MockRouter, caplog: pytest.LogCaptureFixture
) -> None:
    wire.routes["pricing"].mock(return_value=refusal(20503, "Service unavailable", status=503))
    wire.get(f"{TWILIO_SEARCH}/US/Local.json").mock(
        return_value=httpx.Response(200, json=fixture("twilio_search_local"))
    )
    found = await twilio.search(area_code="808")
    assert found
    assert {(n.monthly_price, n.price_basis) for n in found} == {(None, None)}
    assert "search results are unpriced" in caplog.text
    with raises(nc.ProviderUnavailableError):
        await twilio.prices("US")


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"iso_country": "FR"}, "answered for 'FR'"),
        ({"price_unit": None}, "without price_unit"),
        ({"phone_number_prices": [{"number_type": "local", "current_price": "lots"}]}, "not a price"),
        ({"phone_number_prices": [{"number_type": "local", "current_price": "-1"}]}, "not a price"),
        ({"phone_number_prices": [{"number_type": "local", "current_price": True}]}, "decimal string"),
        ({"phone_number_prices": {"local": "1.00"}}, "expected an array"),
    ],
)
async def test_a_price_list_not_understood_is_a_protocol_error(
    twilio: TwilioProvider, wire: respx.MockRouter, changes: dict[str, Any], words: str
) -> None:
    wire.routes["pricing"].mock(return_value=httpx.Response(200, json=fixture("twilio_prices_gb", **changes)))
    with raises(nc.ProtocolError, match=words):
        await twilio.prices("GB")


def test_prices_given_as_numbers_are_read_exactly() -> None:
    answer = fixture("twilio_prices_us", phone_number_prices=[{"number_type": "local", "current_price": 1.1}])
    [local] = commerce.prices(answer, country="US")
    assert local.monthly == usd("1.1")
    assert local.list_monthly is None


async def test_signalwire_prices_only_from_the_prices_setting(wire: respx.MockRouter) -> None:
    case = CASES["signalwire"]
    settings = {"space": "example", "project_id": case.account, "api_token": "PT" + "0" * 48}
    async with nc.connect("signalwire", **settings) as bare:
        assert not bare.supports(nc.Feature.PRICES)
        with raises(nc.UnsupportedError):
            await bare.prices("US")
    async with nc.connect("signalwire", prices={"US": {"local": "1.15 USD"}}, **settings) as priced:
        assert [row.monthly for row in await priced.prices("US")] == [usd("1.15")]
    assert wire.calls.call_count == 0  # the table: no pricing request


# -- requirements ---------------------------------------------------------------------------------------


async def test_twilio_requirements_read_regulations_page_by_page(
    twilio: TwilioProvider, wire: respx.MockRouter
) -> None:
    # Routes match in the order they are added: the next page's (which has IsoCountry too) first.
    second = wire.get(TWILIO_REGULATIONS, params={"PageToken": "PAxyz"}).mock(
        return_value=httpx.Response(200, json=fixture("twilio_regulations_page2"))
    )
    first = wire.get(TWILIO_REGULATIONS, params={"IsoCountry": "GB"}).mock(
        return_value=httpx.Response(200, json=fixture("twilio_regulations_page1"))
    )
    found = await twilio.requirements("GB", "local")
    assert dict(first.calls.last.request.url.params) == {
        "IsoCountry": "GB",
        "NumberType": "local",
        "PageSize": "1000",
    }
    # The next page is the link meta.next_page_url gives, as it is.
    assert str(second.calls.last.request.url) == fixture("twilio_regulations_page1")["meta"]["next_page_url"]
    assert [(r.kind, r.end_user_type) for r in found] == [
        (nc.RequirementKind.BUNDLE, "individual"),
        (nc.RequirementKind.ADDRESS, "individual"),
        (nc.RequirementKind.DOCUMENTS, "individual"),
        (nc.RequirementKind.BUNDLE, "business"),
        (nc.RequirementKind.ADDRESS, "business"),
    ]
    bundle, address, documents, business, _ = found
    assert bundle.name == "United Kingdom: Local - Individual"
    assert bundle.carrier_id == "RN" + "1" * 32
    assert "first_name, last_name" in (bundle.description or "")
    assert "business_name" in (business.description or "")
    assert (address.name, address.carrier_id) == ("Address", bundle.carrier_id)
    assert "locality" in (address.description or "")
    assert documents.name == "Passport or Driving licence"  # any one of the group
    assert {(r.country, r.number_type) for r in found} == {("GB", nc.NumberType.LOCAL)}


async def test_twilio_requirements_of_every_type_and_of_one_type(
    twilio: TwilioProvider, wire: respx.MockRouter
) -> None:
    empty = {"results": [], "meta": {"next_page_url": None, "key": "results"}}
    route = wire.get(TWILIO_REGULATIONS).mock(return_value=httpx.Response(200, json=empty))
    assert await twilio.requirements("DE") == []
    assert "NumberType" not in route.calls.last.request.url.params
    await twilio.requirements("DE", "toll_free")
    assert route.calls.last.request.url.params["NumberType"] == "toll-free"  # Regulations' spelling


async def test_regulations_for_another_country_or_type_are_left_out(
    twilio: TwilioProvider, wire: respx.MockRouter
) -> None:
    answer = fixture("twilio_regulations_page2", meta={"next_page_url": None})
    other = dict(answer["results"][0], iso_country="IE")
    mobile = dict(answer["results"][0], number_type="mobile")
    answer["results"] += [other, mobile]
    wire.get(TWILIO_REGULATIONS).mock(return_value=httpx.Response(200, json=answer))
    found = await twilio.requirements("GB", "local")
    assert [r.kind for r in found] == [nc.RequirementKind.BUNDLE, nc.RequirementKind.ADDRESS]


# -- addresses ------------------------------------------------------------------------------------------


async def test_twilio_creates_an_address(twilio: TwilioProvider, wire: respx.MockRouter) -> None:
    created = wire.post(TWILIO_ADDRESSES).mock(
        return_value=httpx.Response(201, json=fixture("twilio_address"))
    )
    stored = await twilio.create_address(LONDON)
    assert form(created.calls.last.request) == {
        "CustomerName": "Acme Ltd",
        "Street": "1 Poultry",
        "StreetSecondary": "Floor 2",
        "City": "London",
        "Region": "London",
        "PostalCode": "EC2R 8AH",
        "IsoCountry": "GB",
        "EmergencyEnabled": "true",
    }
    assert stored.id == ADDRESS_SID
    assert (stored.street, stored.street2, stored.locality, stored.region) == (
        "1 Poultry",
        None,
        "London",
        "London",
    )
    assert (stored.emergency, stored.validated, stored.verified) == (True, True, False)
    assert stored.raw == fixture("twilio_address")


@pytest.mark.parametrize("missing", ["customer_name", "region", "postal_code"])
async def test_an_address_twilio_would_refuse_is_refused_before_sending(
    twilio: TwilioProvider, wire: respx.MockRouter, missing: str
) -> None:
    with raises(nc.InvalidInputError, match=f"address.{missing}: Twilio needs") as info:
        await twilio.create_address(LONDON.model_copy(update={missing: None}))
    assert info.value.field == f"address.{missing}"
    assert wire.calls.call_count == 0


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (21628, "The address you have provided cannot be validated."),
        (21629, "Address not validated. Suggested address: 1 Poultry, London EC2R 8AH"),
    ],
)
async def test_a_refused_address_is_an_address_validation_error(
    twilio: TwilioProvider, wire: respx.MockRouter, code: int, message: str
) -> None:
    wire.post(TWILIO_ADDRESSES).mock(return_value=refusal(code, message))
    with raises(nc.AddressValidationError) as info:
        await twilio.create_address(LONDON)
    # Twilio gives its suggestion in words only: kept in the message, not guessed into an Address.
    assert (info.value.message, info.value.suggestions, info.value.code) == (message, (), str(code))


async def test_a_lost_answer_to_an_address_creation_is_not_sent_again(
    twilio: TwilioProvider, wire: respx.MockRouter
) -> None:
    created = wire.post(TWILIO_ADDRESSES).mock(side_effect=httpx.ReadTimeout("slow"))
    with raises(nc.OutcomeUnknownError):
        await twilio.create_address(LONDON)
    assert created.call_count == 1


async def test_twilio_lists_addresses_page_by_page(twilio: TwilioProvider, wire: respx.MockRouter) -> None:
    second = wire.get(TWILIO_ADDRESSES, params={"PageToken": "PAabc"}).mock(
        return_value=httpx.Response(200, json=fixture("twilio_addresses_page2"))
    )
    first = wire.get(TWILIO_ADDRESSES, params={"PageSize": "1000"}).mock(
        return_value=httpx.Response(200, json=fixture("twilio_addresses_page1"))
    )
    found = [address async for address in twilio.addresses()]
    assert [(a.id, a.country, a.street2) for a in found] == [
        (ADDRESS_SID, "GB", None),
        ("AD" + "3" * 32, "US", "Suite 200"),
    ]
    assert (first.call_count, second.call_count) == (1, 1)


async def test_twilio_deletes_an_address(twilio: TwilioProvider, wire: respx.MockRouter) -> None:
    deleted = wire.delete(ONE_ADDRESS).mock(return_value=httpx.Response(204))
    await twilio.delete_address(ADDRESS_SID)
    await twilio.delete_address(nc.Address(id=ADDRESS_SID, street="x", locality="y", country="GB"))
    assert deleted.call_count == 2


async def test_deleting_an_address_not_on_file_is_not_found(
    twilio: TwilioProvider, wire: respx.MockRouter
) -> None:
    wire.delete(ONE_ADDRESS).mock(return_value=httpx.Response(404, json=fixture("twilio_error_not_found")))
    with raises(nc.NotFoundError):
        await twilio.delete_address(ADDRESS_SID)


async def test_an_address_numbers_depend_on_is_in_use(twilio: TwilioProvider, wire: respx.MockRouter) -> None:
    wire.delete(ONE_ADDRESS).mock(return_value=refusal(20001, "Address has dependent phone numbers"))
    dependent = {"dependent_phone_numbers": [{"sid": TWILIO.sid, "phone_number": TWILIO.owned}]}
    looked = wire.get(DEPENDENTS).mock(return_value=httpx.Response(200, json=dependent))
    with raises(nc.ConflictError, match="in use by numbers") as info:
        await twilio.delete_address(ADDRESS_SID)
    assert looked.calls.last.request.url.params["PageSize"] == "1"
    assert (info.value.status_code, info.value.code) == (400, "20001")
    assert isinstance(info.value.__cause__, nc.ProviderError)


@pytest.mark.parametrize(
    "dependents", [httpx.Response(200, json={"dependent_phone_numbers": []}), refusal(20001)]
)
async def test_a_refused_deletion_of_an_address_nothing_depends_on_stays_as_it_is(
    twilio: TwilioProvider, wire: respx.MockRouter, dependents: httpx.Response
) -> None:
    wire.delete(ONE_ADDRESS).mock(return_value=refusal(21630, "Address linked to a verified document"))
    wire.get(DEPENDENTS).mock(return_value=dependents)
    with raises(nc.ProviderError) as info:
        await twilio.delete_address(ADDRESS_SID)
    assert type(info.value) is nc.ProviderError
    assert info.value.code == "21630"


async def test_an_address_id_that_is_not_twilios_is_refused_before_sending(
    twilio: TwilioProvider, wire: respx.MockRouter
) -> None:
    with raises(nc.InvalidInputError, match="AD"):
        await twilio.delete_address("not-an-address")
    assert wire.calls.call_count == 0


# -- coverage -------------------------------------------------------------------------------------------


async def test_twilio_coverage_reads_the_country_list(twilio: TwilioProvider, wire: respx.MockRouter) -> None:
    route = wire.get(f"{TWILIO_SEARCH}.json").mock(
        return_value=httpx.Response(200, json=fixture("twilio_countries"))
    )
    us, au = await twilio.coverage()
    assert (us.country, us.name, us.beta) == ("US", "United States", False)
    assert us.number_types == {nc.NumberType.LOCAL, nc.NumberType.TOLL_FREE}
    # "satellite", a type the contract does not know, is left out.
    assert au.number_types == {
        nc.NumberType.LOCAL,
        nc.NumberType.MOBILE,
        nc.NumberType.TOLL_FREE,
        nc.NumberType.MACHINE_TO_MACHINE,
    }
    assert au.beta is True
    assert [c.country for c in await twilio.coverage("AU")] == ["AU"]
    assert route.call_count == 2


async def test_signalwire_coverage_reads_its_country_list(
    signalwire: SignalWireProvider, wire: respx.MockRouter
) -> None:
    wire.get(SW_SEARCH).mock(return_value=httpx.Response(200, json=fixture("signalwire_countries")))
    found = await signalwire.coverage()
    assert [(c.country, c.number_types) for c in found] == [
        ("US", {nc.NumberType.LOCAL, nc.NumberType.TOLL_FREE}),
        ("CA", {nc.NumberType.LOCAL, nc.NumberType.TOLL_FREE}),
    ]


# -- compliance: refusals, references, emergency registration -----------------------------------------


@pytest.mark.parametrize(
    ("code", "requirement", "scope"),
    [
        (21631, nc.RequirementKind.ADDRESS, nc.ComplianceScope.ACCOUNT),
        (21613, nc.RequirementKind.ADDRESS, nc.ComplianceScope.ACCOUNT),
        (21615, nc.RequirementKind.LOCAL_ADDRESS, nc.ComplianceScope.NUMBER),
        (21649, nc.RequirementKind.BUNDLE, nc.ComplianceScope.ACCOUNT),
        (21651, nc.RequirementKind.BUNDLE, nc.ComplianceScope.ACCOUNT),
        (21650, nc.RequirementKind.IDENTITY, nc.ComplianceScope.ACCOUNT),
    ],
)
async def test_twilio_compliance_refusals(
    twilio: TwilioProvider,
    wire: respx.MockRouter,
    code: int,
    requirement: nc.RequirementKind,
    scope: nc.ComplianceScope,
) -> None:
    message = "Bundle required and not provided for country: [GB] and numberType: [LOCAL]"
    wire.post(TWILIO_NUMBERS).mock(return_value=refusal(code, message))
    with raises(nc.ComplianceRequiredError) as info:
        await twilio.purchase("+442079460000")
    refused = info.value
    # The library's own enumerations, as raised (not strings that compare equal).
    assert refused.requirement is requirement
    assert refused.scope is scope
    assert (refused.code, refused.status_code, refused.message) == (str(code), 400, message)
    assert (refused.country, refused.number_type) == (None, None)  # Twilio's answer does not say
    assert wire.calls.call_count == 1  # a refusal: not retried, not looked up


def gb_offers(*numbers: str) -> dict[str, Any]:
    rows = [
        dict(
            fixture("twilio_search_local")["available_phone_numbers"][0],
            phone_number=number,
            iso_country="GB",
            address_requirements="local",
        )
        for number in numbers
    ]
    return {"uri": "/search", "available_phone_numbers": rows}


GB = ("+442079460001", "+442079460002", "+442079460003")


async def test_purchase_any_moves_on_after_a_refusal_for_this_number_only(
    twilio: TwilioProvider, wire: respx.MockRouter
) -> None:
    wire.get(f"{TWILIO_SEARCH}/GB/Local.json").mock(return_value=httpx.Response(200, json=gb_offers(*GB)))
    wire.post(TWILIO_NUMBERS).mock(
        side_effect=[
            refusal(21615, "No valid address created for: Balbriggan"),
            created(GB[1], "PN" + "7" * 32),
        ]
    )
    papers = nc.NumberConfig(compliance=nc.NumberCompliance(address_id=ADDRESS_SID, bundle_id=BUNDLE_SID))
    owned = await twilio.purchase_any(country="GB", area_code="20", config=papers)
    assert owned.phone_number == GB[1]
    posted = [form(call.request) for call in wire.calls if call.request.method == "POST"]
    assert [sent["PhoneNumber"] for sent in posted] == list(GB[:2])
    assert {(sent["AddressSid"], sent["BundleSid"]) for sent in posted} == {(ADDRESS_SID, BUNDLE_SID)}


async def test_purchase_any_stops_at_a_refusal_for_the_whole_account(
    twilio: TwilioProvider, wire: respx.MockRouter
) -> None:
    wire.get(f"{TWILIO_SEARCH}/GB/Local.json").mock(return_value=httpx.Response(200, json=gb_offers(*GB)))
    bought = wire.post(TWILIO_NUMBERS).mock(return_value=refusal(21649, "Bundle required"))
    with raises(nc.ComplianceRequiredError) as info:
        await twilio.purchase_any(country="GB", area_code="20")
    assert info.value.requirement is nc.RequirementKind.BUNDLE
    assert bought.call_count == 1


async def test_purchase_any_refused_for_every_number_raises_the_last_refusal(
    twilio: TwilioProvider, wire: respx.MockRouter
) -> None:
    wire.get(f"{TWILIO_SEARCH}/GB/Local.json").mock(return_value=httpx.Response(200, json=gb_offers(*GB)))
    bought = wire.post(TWILIO_NUMBERS).mock(return_value=refusal(21615, "not local"))
    with raises(nc.ComplianceRequiredError) as info:
        await twilio.purchase_any(country="GB", area_code="20")
    assert (info.value.requirement, info.value.scope) == (
        nc.RequirementKind.LOCAL_ADDRESS,
        nc.ComplianceScope.NUMBER,
    )
    assert bought.call_count == len(GB)


def created(number: str, sid: str, **changes: Any) -> httpx.Response:
    body = TWILIO.fixture("number", phone_number=number, sid=sid, **changes)
    return httpx.Response(201, json=body, headers={"Date": body["date_created"]})


async def test_twilio_buys_under_compliance_references_and_reads_them_back(
    twilio: TwilioProvider, wire: respx.MockRouter
) -> None:
    answer = created(
        "+442079460001",
        "PN" + "7" * 32,
        address_sid=ADDRESS_SID,
        bundle_sid=BUNDLE_SID,
        identity_sid=None,
        emergency_address_sid=ADDRESS_SID,
        emergency_address_status="pending-registration",
    )
    bought = wire.post(TWILIO_NUMBERS).mock(return_value=answer)
    papers = nc.NumberCompliance(address_id=ADDRESS_SID, bundle_id=BUNDLE_SID, identity_id=IDENTITY_SID)
    owned = await twilio.purchase(
        "+442079460001", config=nc.NumberConfig(compliance=papers, emergency_address_id=ADDRESS_SID)
    )
    sent = form(bought.calls.last.request)
    assert (sent["AddressSid"], sent["BundleSid"], sent["IdentitySid"]) == (
        ADDRESS_SID,
        BUNDLE_SID,
        IDENTITY_SID,
    )
    assert sent["EmergencyAddressSid"] == ADDRESS_SID
    assert owned.compliance == nc.NumberCompliance(address_id=ADDRESS_SID, bundle_id=BUNDLE_SID)
    assert owned.config.compliance == owned.compliance
    assert owned.emergency == nc.EmergencyRegistration(
        status=nc.EmergencyStatus.PENDING, address_id=ADDRESS_SID, carrier_status="pending-registration"
    )


async def test_configure_changes_compliance_references_one_by_one(
    twilio: TwilioProvider, wire: respx.MockRouter
) -> None:
    lookup(wire, TWILIO, TWILIO.owned, TWILIO.fixture("number"))
    updated = wire.post(TWILIO.one).mock(return_value=httpx.Response(200, json=TWILIO.fixture("number")))
    await twilio.configure(
        TWILIO.owned, nc.NumberConfig(compliance=nc.NumberCompliance(bundle_id=BUNDLE_SID))
    )
    assert form(updated.calls.last.request) == {"BundleSid": BUNDLE_SID}
    await twilio.configure(TWILIO.owned, nc.NumberConfig(compliance=nc.NumberCompliance(identity_id=None)))
    assert form(updated.calls.last.request) == {"IdentitySid": ""}
    await twilio.configure(TWILIO.owned, nc.NumberConfig(compliance=None))
    assert form(updated.calls.last.request) == {"AddressSid": "", "BundleSid": "", "IdentitySid": ""}


@pytest.mark.parametrize(
    ("papers", "field"),
    [
        (nc.NumberCompliance(address_id="AD123"), "config.compliance.address_id"),
        (nc.NumberCompliance(bundle_id=ADDRESS_SID), "config.compliance.bundle_id"),
        (nc.NumberCompliance(identity_id="RI" + "z" * 32), "config.compliance.identity_id"),
    ],
)
async def test_a_compliance_reference_that_is_not_twilios_is_refused_before_sending(
    twilio: TwilioProvider, wire: respx.MockRouter, papers: nc.NumberCompliance, field: str
) -> None:
    with raises(nc.InvalidInputError) as info:
        await twilio.purchase("+442079460001", config=nc.NumberConfig(compliance=papers))
    assert info.value.field == field
    assert wire.calls.call_count == 0


async def test_a_transfer_takes_the_receiving_accounts_references_along(
    twilio: TwilioProvider, wire: respx.MockRouter
) -> None:
    lookup(wire, TWILIO, TWILIO.owned, TWILIO.fixture("number"))
    there = TWILIO.fixture("number", account_sid=TWILIO.other_account, bundle_sid=BUNDLE_SID)
    moved = wire.post(TWILIO.one).mock(return_value=httpx.Response(200, json=there))
    number = await twilio.transfer(
        TWILIO.owned, TWILIO.other_account, compliance=nc.NumberCompliance(bundle_id=BUNDLE_SID)
    )
    assert form(moved.calls.last.request) == {"AccountSid": TWILIO.other_account, "BundleSid": BUNDLE_SID}
    assert (number.account_id, number.compliance) == (
        TWILIO.other_account,
        nc.NumberCompliance(bundle_id=BUNDLE_SID),
    )


async def test_a_transfer_refused_for_want_of_a_bundle_is_a_compliance_refusal(
    twilio: TwilioProvider, wire: respx.MockRouter
) -> None:
    lookup(wire, TWILIO, TWILIO.owned, TWILIO.fixture("number"))
    wire.post(TWILIO.one).mock(return_value=refusal(21651, "Address not in bundle"))
    with raises(nc.ComplianceRequiredError) as info:
        await twilio.transfer(TWILIO.owned, TWILIO.other_account)
    assert info.value.requirement is nc.RequirementKind.BUNDLE


@pytest.mark.parametrize(
    ("word", "status"),
    [
        ("registered", nc.EmergencyStatus.ACTIVE),
        ("unregistered", nc.EmergencyStatus.NONE),
        ("pending-registration", nc.EmergencyStatus.PENDING),
        ("pending-unregistration", nc.EmergencyStatus.PENDING),
        ("registration-failure", nc.EmergencyStatus.FAILED),
        ("unregistration-failure", nc.EmergencyStatus.FAILED),
        ("Registered", nc.EmergencyStatus.ACTIVE),
        ("under-review", nc.EmergencyStatus.UNKNOWN),
    ],
)
async def test_the_emergency_registration_is_read_from_emergency_address_status(
    twilio: TwilioProvider, wire: respx.MockRouter, word: str, status: nc.EmergencyStatus
) -> None:
    item = TWILIO.fixture(
        "number", emergency_address_sid=ADDRESS_SID, emergency_address_status=word, emergency_status="Active"
    )
    lookup(wire, TWILIO, TWILIO.owned, item)
    number = await twilio.get(TWILIO.owned)
    assert number.emergency is not None
    assert (number.emergency.status, number.emergency.address_id) == (status, ADDRESS_SID)
    assert number.emergency.carrier_status == word  # Twilio's own word stays
    assert number.config.emergency_address_id == ADDRESS_SID


async def test_a_number_without_a_registration_state_has_none(
    carrier: nc.Provider, case: Case, wire: respx.MockRouter
) -> None:
    # SignalWire's compatibility API shows only emergency_status ("Active"/"Inactive"): no state.
    item = case.fixture("number", emergency_status="Active")
    item.pop("emergency_address_status", None)
    lookup(wire, case, case.owned, item)
    number = await carrier.get(case.owned)
    assert (number.emergency, number.compliance) == (None, None)
    assert carrier.supports(nc.Feature.EMERGENCY_STATUS) is (case.name == "twilio")


@pytest.mark.parametrize(
    ("key", "words"),
    [
        ("AddressSid", r"compliance=NumberCompliance\(address_id"),
        ("BundleSid", r"compliance=NumberCompliance\(bundle_id"),
        ("IdentitySid", r"compliance=NumberCompliance\(identity_id"),
        ("EmergencyStatus", "ignored by Twilio since 2021"),
    ],
)
async def test_extra_settings_with_a_neutral_name_or_retired_are_refused(
    twilio: TwilioProvider, wire: respx.MockRouter, key: str, words: str
) -> None:
    value = "Active" if key == "EmergencyStatus" else ADDRESS_SID
    with raises(nc.InvalidInputError, match=words) as info:
        await twilio.purchase("+14155552671", config=nc.NumberConfig(extra={key: value}))
    assert info.value.field == f"config.extra.{key}"
    assert wire.calls.call_count == 0


# -- what SignalWire's compatibility API does not have -------------------------------------------------


async def test_signalwire_announces_only_the_coverage_of_commerce(
    signalwire: SignalWireProvider, wire: respx.MockRouter
) -> None:
    absent = [
        nc.Feature.PRICES,
        nc.Feature.SEARCH_PRICES,
        nc.Feature.REQUIREMENTS,
        nc.Feature.ADDRESSES,
        nc.Feature.EMERGENCY_STATUS,
        nc.Feature.EMERGENCY_VALIDATE,
        nc.Feature.RESERVE,
        nc.Feature.CONFIG_COMPLIANCE,
        nc.Feature.CONFIG_EMERGENCY_ADDRESS_INLINE,
    ]
    assert [feature for feature in absent if signalwire.supports(feature)] == []
    assert signalwire.supports(nc.Feature.COVERAGE)
    assert signalwire.supports(nc.Feature.CONFIG_EMERGENCY_ADDRESS)  # by configure(), not while buying
    papers = nc.NumberCompliance(address_id=CASES["signalwire"].sid)
    for call in (
        lambda: signalwire.requirements("US"),
        lambda: signalwire.create_address(LONDON),
        lambda: signalwire.purchase("+13103386745", config=nc.NumberConfig(compliance=papers)),
        lambda: signalwire.transfer("+13103386745", CASES["signalwire"].other_account, compliance=papers),
    ):
        with raises(nc.UnsupportedError):
            await call()
    assert wire.calls.call_count == 0


# -- answers not understood -----------------------------------------------------------------------------


def _mutated(value: Any, rng: random.Random) -> Any:
    if rng.random() < 0.1:
        return rng.choice([None, "", "x", -1, 1.5, True, [], {}, [None], "\ud800", "9" * 400])
    if isinstance(value, dict):
        return {key: _mutated(item, rng) for key, item in value.items() if rng.random() > 0.05}
    if isinstance(value, list):
        return [_mutated(item, rng) for item in value]
    return value


COMMERCE_ANSWERS = {
    "prices": ("twilio_prices_gb", lambda carrier: carrier.prices("GB")),
    "requirements": ("twilio_regulations_page2", lambda carrier: carrier.requirements("GB")),
    "coverage": ("twilio_countries", lambda carrier: carrier.coverage()),
    "addresses": ("twilio_addresses_page2", lambda carrier: _all(carrier.addresses())),
    "create_address": ("twilio_address", lambda carrier: carrier.create_address(LONDON)),
}


async def _all(pager: Any) -> list[Any]:
    return [item async for item in pager]


@pytest.mark.parametrize("operation", sorted(COMMERCE_ANSWERS))
async def test_answers_not_understood_end_in_the_error_tree(operation: str) -> None:
    name, call = COMMERCE_ANSWERS[operation]
    rng = random.Random(operation)
    original = fixture(name)

    def answer(request: httpx.Request) -> httpx.Response:
        body = json.dumps(_mutated(original, rng), ensure_ascii=rng.random() < 0.5)
        return httpx.Response(rng.choice([200, 201]), content=body.encode("utf-8", "surrogatepass"))

    outcomes: dict[str, int] = {}
    settings = TwilioSettings(account_sid=TWILIO.account, auth_token="f" * 32)
    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as client:
        for _ in range(150):
            # A provider per case (a price list once read is kept), made directly: connect() would
            # read the installed distributions' entry points each time.
            async with TwilioProvider(settings, http_client=client) as carrier:
                try:
                    await call(carrier)
                    outcome = "ok"
                except nc.NumbersError as exc:
                    outcome = type(exc).__name__
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
    assert outcomes.keys() <= {"ok", "ProtocolError", "OutcomeUnknownError"}, outcomes
    assert "ok" in outcomes, outcomes
    assert len(outcomes) >= 2, outcomes


def test_the_spec_examples_of_the_new_apis_parse() -> None:
    fetched = pricing_spec().document["paths"]["/v1/PhoneNumbers/Countries/{IsoCountry}"]["get"]
    example = fetched["responses"]["200"]["content"]["application/json"]["examples"]["fetch"]["value"]
    assert [(p.number_type, p.monthly) for p in commerce.prices(example, country="US")] == [
        (nc.NumberType.LOCAL, usd("1.00")),
        (nc.NumberType.TOLL_FREE, usd("2.00")),
    ]
    listed = regulatory_spec().document["paths"]["/v2/RegulatoryCompliance/Regulations"]["get"]
    examples = listed["responses"]["200"]["content"]["application/json"]["examples"]
    found, following = commerce.regulations(examples["readFull"]["value"], country="AU", number_type=None)
    assert [r.kind for r in found] == [nc.RequirementKind.BUNDLE, nc.RequirementKind.ADDRESS]
    assert following is None
    assert commerce.regulations(examples["readEmpty"]["value"], country="US", number_type=None) == ([], None)
    paths = addresses_spec().document["paths"]
    parsed = 0
    for item in paths.values():
        for method, operation in item.items():
            if method not in ("get", "post", "delete"):
                continue
            for answer in operation.get("responses", {}).values():
                for content in answer.get("content", {}).values():
                    for example in content.get("examples", {}).values():
                        value = example["value"]
                        if "dependent_phone_numbers" in value:
                            assert commerce.dependents(value) == len(value["dependent_phone_numbers"])
                        elif "addresses" in value:
                            assert len(commerce.address_page(value)[0]) == len(value["addresses"])
                        else:
                            assert commerce.address(value).id == value["sid"]
                        parsed += 1
    assert parsed >= 5


async def test_the_first_search_of_a_country_asks_for_its_price_list_at_the_same_time(
    twilio: TwilioProvider, wire: respx.MockRouter
) -> None:
    async def answered(request: httpx.Request) -> httpx.Response:
        # Answered only once the price list is asked for: after the search, it would never be.
        with anyio.fail_after(5):
            while not wire.routes["pricing"].call_count:  # noqa: ASYNC110 - respx has no event for it
                await anyio.sleep(0.001)
        return httpx.Response(200, json=fixture("twilio_search_local"))

    wire.get(f"{TWILIO_SEARCH}/US/Local.json").mock(side_effect=answered)
    found = await twilio.search(area_code="808")
    assert {n.price_basis for n in found} == {nc.PriceBasis.CATALOG}
    assert wire.routes["pricing"].call_count == 1
