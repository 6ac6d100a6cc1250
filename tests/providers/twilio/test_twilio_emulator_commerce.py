"""The Twilio and SignalWire emulators' commerce: prices, Regulations, Addresses, the country list,
paperwork refusals and emergency registration, served from the sandbox's catalogue and rules.

In process (``Emulator.connect``); every 2xx answer is checked against the carrier's documents
(tests/conftest.py). The contract scenario runs the same over a socket.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import numbers_core as nc
import pytest
from numbers_core.emulator import Emulator
from numbers_core.providers.twilio._dialect import TWILIO
from numbers_core.providers.twilio._emulator import _PAPERWORK
from numbers_core.sandbox import APPROVED_BUNDLE

pytestmark = pytest.mark.anyio

LONDON = nc.Address(
    customer_name="Acme Ltd",
    street="1 Poultry",
    locality="London",
    region="London",
    postal_code="ec2r 8ah",
    country="GB",
    emergency=True,
)
AUSTIN = nc.Address(
    customer_name="Acme Inc",
    street="600 Congress Ave",
    locality="Austin",
    region="TX",
    postal_code="78701",
    country="US",
    emergency=True,
)


@pytest.fixture
async def emulator() -> AsyncIterator[Emulator]:
    emulated = Emulator("twilio")
    yield emulated
    await emulated.aclose()


@pytest.fixture
async def twilio(emulator: Emulator) -> AsyncIterator[nc.Provider]:
    async with emulator.connect() as carrier:
        yield carrier


async def raw(emulator: Emulator, path: str, **options: Any) -> httpx.Response:
    """A request as any client sends it, with the first account's credentials."""
    settings = emulator.client_settings()
    options.setdefault("auth", (settings["account_sid"], settings["auth_token"]))
    async with httpx.AsyncClient(transport=emulator.transport(), base_url="http://127.0.0.1") as client:
        return await client.request(options.pop("method", "GET"), path, **options)


def gbp(amount: str) -> nc.Money:
    return nc.Money(amount=Decimal(amount), currency="GBP")


async def test_prices_come_from_the_sandbox_catalogue(twilio: nc.Provider) -> None:
    prices = {row.number_type: row for row in await twilio.prices("GB")}
    # The types Twilio's price list has; the catalogue's others (voip, personal…) are not Twilio's.
    assert set(prices) == {
        nc.NumberType.LOCAL,
        nc.NumberType.MOBILE,
        nc.NumberType.NATIONAL,
        nc.NumberType.TOLL_FREE,
    }
    assert (prices[nc.NumberType.TOLL_FREE].monthly, prices[nc.NumberType.TOLL_FREE].setup) == (
        gbp("15.00"),
        None,
    )
    assert await twilio.prices("JP") == []  # the emulator sells nothing there: Twilio's 404
    [number] = await twilio.search(area_code="415", limit=1)
    assert (number.monthly_price, number.price_basis) == (
        nc.Money(amount=Decimal("1.15"), currency="USD"),
        nc.PriceBasis.CATALOG,
    )


async def test_the_pricing_country_list_is_paged_by_meta_links(emulator: Emulator) -> None:
    first = (await raw(emulator, "/v1/PhoneNumbers/Countries", params={"PageSize": "4"})).json()
    assert [c["iso_country"] for c in first["countries"]] == ["US", "CA", "GB", "DE"]
    following = first["meta"]["next_page_url"]
    assert following.startswith("http://127.0.0.1/v1/PhoneNumbers/Countries?")
    second = (await raw(emulator, following)).json()
    assert [c["iso_country"] for c in second["countries"]] == ["FR", "AU"]
    assert second["meta"]["next_page_url"] is None
    assert (await raw(emulator, "/v1/PhoneNumbers/Countries", auth=None)).status_code == 401


async def test_regulations_come_from_the_sandboxs_regulated_offers(
    twilio: nc.Provider, emulator: Emulator
) -> None:
    found = await twilio.requirements("GB", "local")
    assert [(r.kind, r.end_user_type) for r in found] == [
        (nc.RequirementKind.BUNDLE, "individual"),
        (nc.RequirementKind.ADDRESS, "individual"),
        (nc.RequirementKind.BUNDLE, "business"),
        (nc.RequirementKind.ADDRESS, "business"),
    ]
    assert found[0].name == "United Kingdom: Local - Individual"
    assert await twilio.requirements("US") == []  # nothing there needs a bundle
    answer = await raw(
        emulator,
        "/v2/RegulatoryCompliance/Regulations",
        params={"IsoCountry": "DE", "NumberType": "local", "EndUserType": "business"},
    )
    [regulation] = answer.json()["results"]
    assert (regulation["number_type"], regulation["end_user_type"]) == ("local", "business")
    [[address]] = regulation["requirements"]["supporting_document"]
    assert "locality" in address["description"]  # a German landline needs a local address
    refused = await raw(emulator, "/v2/RegulatoryCompliance/Regulations", params={"EndUserType": "robot"})
    assert (refused.status_code, refused.json()["code"]) == (400, 20001)


async def test_a_regulated_number_is_refused_as_twilio_refuses_it(twilio: nc.Provider) -> None:
    [number] = await twilio.search(country="GB", number_type="local", limit=1)
    with pytest.raises(nc.ComplianceRequiredError) as missing:
        await twilio.purchase(number)
    assert (missing.value.code, missing.value.requirement, missing.value.scope) == (
        "21631",
        nc.RequirementKind.ADDRESS,
        nc.ComplianceScope.ACCOUNT,
    )
    # Twilio's own words (cross_carrier.md §2), not the sandbox's.
    assert (
        missing.value.message == "Phone Number Requires an Address but the 'AddressSid' parameter was empty."
    )
    office = await twilio.create_address(LONDON)
    no_bundle = nc.NumberConfig(compliance=nc.NumberCompliance(address_id=office.id))
    with pytest.raises(nc.ComplianceRequiredError) as unbundled:
        await twilio.purchase(number, config=no_bundle)
    assert (unbundled.value.code, unbundled.value.requirement) == ("21649", nc.RequirementKind.BUNDLE)
    assert (
        unbundled.value.message
        == "Bundle required and not provided for country: [GB] and numberType: [LOCAL]"
    )
    unapproved = "BU" + "7" * 32
    with pytest.raises(nc.ComplianceRequiredError) as refused:
        await twilio.purchase(
            number,
            config=nc.NumberConfig(
                compliance=nc.NumberCompliance(address_id=office.id, bundle_id=unapproved)
            ),
        )
    assert (refused.value.code, refused.value.message) == (
        "21649",
        f"Bundle [{unapproved}] status is not twilio-approved",
    )
    papers = nc.NumberCompliance(address_id=office.id, bundle_id=APPROVED_BUNDLE)
    bought = await twilio.purchase(number, config=nc.NumberConfig(compliance=papers))
    assert bought.compliance == papers
    assert (bought.raw["address_sid"], bought.raw["bundle_sid"]) == (office.id, APPROVED_BUNDLE)


async def test_purchase_any_passes_over_numbers_outside_the_addresss_town(twilio: nc.Provider) -> None:
    query = nc.SearchQuery(country="DE", number_type="local", limit=5)
    first, second = (await twilio.search(query))[:2]
    assert first.geography.locality != second.geography.locality
    there = await twilio.create_address(
        nc.Address(
            customer_name="Acme GmbH",
            street="Hauptstrasse 1",
            locality=str(second.geography.locality),
            region="DE",
            postal_code="10115",
            country="DE",
        )
    )
    papers = nc.NumberCompliance(address_id=there.id, bundle_id=APPROVED_BUNDLE)
    bought = await twilio.purchase_any(query, config=nc.NumberConfig(compliance=papers))
    # The first was refused with 21615 (not in the address's town): this number only.
    assert bought.phone_number == second.phone_number
    with pytest.raises(nc.ComplianceRequiredError) as refused:
        await twilio.purchase(first, config=nc.NumberConfig(compliance=papers))
    assert (refused.value.code, refused.value.scope) == ("21615", nc.ComplianceScope.NUMBER)
    account = twilio.settings.account_sid  # type: ignore[attr-defined]
    assert refused.value.message == (
        f"Could not find Address with sid {there.id} for account {account} "
        "to satisfy Local Address requirement"
    )


def test_every_paperwork_code_has_twilios_words() -> None:
    # Whichever code a refusal is answered with, it speaks as Twilio does (the adapter's codes).
    assert set(_PAPERWORK) == {int(code) for code in TWILIO.compliance_codes}
    words = {code: (without, unfit) for code, (_, without, unfit) in _PAPERWORK.items()}
    assert words[21650] == ("Phone Number Requires a Verified Identity Document",) * 2
    assert words[21651] == ("Document does not satisfy regulatory requirement",) * 2


async def test_the_address_book(twilio: nc.Provider, emulator: Emulator) -> None:
    stored = await twilio.create_address(LONDON)
    assert stored.postal_code == "EC2R 8AH"  # corrected, as Twilio's AutoCorrectAddress does
    assert (stored.validated, stored.emergency) == (True, True)
    second = await twilio.create_address(AUSTIN)
    assert [a.id async for a in twilio.addresses()] == [stored.id, second.id]
    root = f"/2010-04-01/Accounts/{emulator.client_settings()['account_sid']}"
    page = (await raw(emulator, f"{root}/Addresses.json", params={"PageSize": "1"})).json()
    assert [a["sid"] for a in page["addresses"]] == [stored.id]
    assert page["next_page_uri"] is not None
    fetched = await raw(emulator, f"{root}/Addresses/{stored.id}.json")
    assert (fetched.json()["city"], fetched.json()["date_created"] is not None) == ("London", True)
    await twilio.delete_address(stored)
    with pytest.raises(nc.NotFoundError):
        await twilio.delete_address(stored)
    assert (await raw(emulator, f"{root}/Addresses/{stored.id}.json")).status_code == 404
    with pytest.raises(nc.AddressValidationError) as refused:
        await twilio.create_address(LONDON.model_copy(update={"postal_code": "not a postcode"}))
    assert refused.value.code == "21628"
    missing = await raw(emulator, f"{root}/Addresses.json", method="POST", data={"Street": "1 Poultry"})
    assert (missing.status_code, missing.json()["code"]) == (400, 20001)
    assert missing.json()["message"] == "Missing required parameter CustomerName in the post body"


def _address_form(**changes: str) -> dict[str, str]:
    form = {
        "CustomerName": "Acme Ltd",
        "Street": "1 Poultry",
        "City": "London",
        "Region": "London",
        "PostalCode": "EC2R 8AH",
        "IsoCountry": "GB",
    }
    return {**form, **changes}


async def test_an_address_form_is_read_as_twilios_document_has_it(emulator: Emulator) -> None:
    root = f"/2010-04-01/Accounts/{emulator.client_settings()['account_sid']}"
    named = await raw(
        emulator, f"{root}/Addresses.json", method="POST", data=_address_form(FriendlyName="Head office")
    )
    assert (named.status_code, named.json()["friendly_name"]) == (201, "Head office")
    emergency = await raw(
        emulator,
        f"{root}/Addresses.json",
        method="POST",
        data=_address_form(EmergencyEnabled="True", AutoCorrectAddress="false", StreetSecondary="Floor 2"),
    )
    assert (emergency.status_code, emergency.json()["emergency_enabled"]) == (201, True)
    for wrong in (
        {"FriendlyName": "x" * 65},  # 64 at most
        {"FriendlyName": "x" * 33, "EmergencyEnabled": "true"},  # 32 for an emergency address
        {"EmergencyEnabled": "yes"},
        {"Country": "GB"},  # not a field of this form
    ):
        refused = await raw(emulator, f"{root}/Addresses.json", method="POST", data=_address_form(**wrong))
        assert (refused.status_code, refused.json()["code"]) == (400, 20001), wrong
    # The list's filters, each matched exactly (a flag in any case); others are passed over.
    listed = await raw(
        emulator,
        f"{root}/Addresses.json",
        params={"EmergencyEnabled": "TRUE", "IsoCountry": "GB", "Unknown": "x"},
    )
    assert [a["sid"] for a in listed.json()["addresses"]] == [emergency.json()["sid"]]
    named_only = await raw(emulator, f"{root}/Addresses.json", params={"FriendlyName": "Head office"})
    assert [a["sid"] for a in named_only.json()["addresses"]] == [named.json()["sid"]]


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/v2/RegulatoryCompliance/Regulations", "IncludeConstraints=maybe"),
        ("/v2/RegulatoryCompliance/Regulations", "EndUserType=robot"),
        ("/v2/RegulatoryCompliance/Regulations", "IsoCountry=GB&IsoCountry=DE"),
        ("/v1/PhoneNumbers/Countries", "PageSize=%C2%B2"),  # a superscript two: a digit, not ASCII
        ("/v1/PhoneNumbers/Countries", "PageSize=" + "9" * 5000),
        ("{root}/Addresses.json", "EmergencyEnabled=maybe"),
        ("{root}/IncomingPhoneNumbers.json", "Beta=maybe"),
        ("{root}/IncomingPhoneNumbers.json", "PageSize=1&PageSize=2"),
        ("{root}/AvailablePhoneNumbers.json", "PageToken=a&PageToken=b"),
    ],
)
async def test_a_malformed_query_is_refused_as_twilio_refuses_it(
    emulator: Emulator, path: str, query: str
) -> None:
    root = f"/2010-04-01/Accounts/{emulator.client_settings()['account_sid']}"
    answer = await raw(emulator, f"{path.format(root=root)}?{query}")
    assert answer.status_code == 400
    assert set(answer.json()) == {"code", "message", "more_info", "status"}
    assert answer.json()["code"] == 20001


async def test_a_search_asks_for_at_most_30_whatever_its_page_size_says(emulator: Emulator) -> None:
    root = f"/2010-04-01/Accounts/{emulator.client_settings()['account_sid']}"
    for size, shown in (("%C2%B2", 30), ("9" * 5000, 30), ("2", 2)):
        answer = await raw(
            emulator, f"{root}/AvailablePhoneNumbers/US/Local.json?AreaCode=415&PageSize={size}"
        )
        assert (answer.status_code, len(answer.json()["available_phone_numbers"])) == (200, shown)


async def test_an_address_in_use_cannot_be_deleted(twilio: nc.Provider, emulator: Emulator) -> None:
    office = await twilio.create_address(AUSTIN)
    bought = await twilio.purchase_any(
        area_code="512", config=nc.NumberConfig(emergency_address_id=office.id)
    )
    root = f"/2010-04-01/Accounts/{emulator.client_settings()['account_sid']}"
    using = (await raw(emulator, f"{root}/Addresses/{office.id}/DependentPhoneNumbers.json")).json()
    assert [n["phone_number"] for n in using["dependent_phone_numbers"]] == [bought.phone_number]
    with pytest.raises(nc.ConflictError, match="in use"):
        await twilio.delete_address(office)
    await twilio.release(bought)
    await twilio.delete_address(office)


async def test_the_emergency_registration_is_shown(twilio: nc.Provider) -> None:
    office = await twilio.create_address(AUSTIN)
    bought = await twilio.purchase_any(
        area_code="512", config=nc.NumberConfig(emergency_address_id=office.id)
    )
    assert bought.emergency == nc.EmergencyRegistration(
        status=nc.EmergencyStatus.ACTIVE, address_id=office.id, carrier_status="registered"
    )
    assert bought.raw["emergency_status"] == "Active"
    cleared = await twilio.configure(bought, nc.NumberConfig(emergency_address_id=None))
    assert cleared.emergency is not None
    assert (cleared.emergency.status, cleared.raw["emergency_status"]) == (
        nc.EmergencyStatus.NONE,
        "Inactive",
    )


async def test_a_transfer_takes_the_receiving_accounts_papers(
    twilio: nc.Provider, emulator: Emulator
) -> None:
    [number] = await twilio.search(country="GB", number_type="local", limit=1)
    here = await twilio.create_address(LONDON)
    bought = await twilio.purchase(
        number,
        config=nc.NumberConfig(compliance=nc.NumberCompliance(address_id=here.id, bundle_id=APPROVED_BUNDLE)),
    )
    other, token = list(emulator.dialect.accounts.items())[1]  # type: ignore[attr-defined]
    async with emulator.connect(account_sid=other, auth_token=token) as receiving:
        there = await receiving.create_address(LONDON)
        papers = nc.NumberCompliance(address_id=there.id)
        with pytest.raises(nc.ComplianceRequiredError):  # its address is not in this account's book
            await twilio.configure(bought, nc.NumberConfig(compliance=papers))
        moved = await twilio.transfer(bought, other, compliance=papers)
        assert (moved.account_id, moved.compliance) == (
            other,
            nc.NumberCompliance(address_id=there.id, bundle_id=APPROVED_BUNDLE),
        )
        assert (await receiving.get(number)).compliance == moved.compliance


async def test_the_country_list(twilio: nc.Provider) -> None:
    found = {entry.country: entry for entry in await twilio.coverage()}
    assert list(found) == ["US", "CA", "GB", "DE", "FR", "AU"]
    # The types the sandbox sells there that Twilio searches (Local, Mobile, TollFree).
    assert found["CA"].number_types == {nc.NumberType.LOCAL}
    assert found["GB"].number_types == {nc.NumberType.LOCAL, nc.NumberType.MOBILE, nc.NumberType.TOLL_FREE}
    assert (found["GB"].name, found["GB"].beta) == ("United Kingdom", False)


async def test_signalwire_has_only_its_country_list() -> None:
    emulator = Emulator("signalwire")
    try:
        async with emulator.connect() as carrier:
            found = await carrier.coverage("CA")
            # Its country resource names both types, always (its schema requires them).
            assert [entry.number_types for entry in found] == [{nc.NumberType.LOCAL, nc.NumberType.TOLL_FREE}]
        settings = emulator.client_settings()
        async with httpx.AsyncClient(transport=emulator.transport(), base_url="http://127.0.0.1") as client:
            auth = (settings["project_id"], settings["api_token"])
            root = f"/api/laml/2010-04-01/Accounts/{settings['project_id']}"
            for path in (
                "/v1/PhoneNumbers/Countries/US",
                "/v2/RegulatoryCompliance/Regulations",
                f"{root}/Addresses.json",
            ):
                answer = await client.get(path, auth=auth)
                assert answer.status_code == 404
                assert "not emulated" in answer.json()["message"]
    finally:
        await emulator.aclose()


async def test_anchored_contains_patterns_are_honoured(twilio: nc.Provider) -> None:
    # Twilio's "+4420" anchors at the start of the number and "…$" at its end: London landlines,
    # found among the whole country's, not the few that happen to contain the digits somewhere.
    london = await twilio.search(country="GB", number_type="local", area_code="20", limit=3)
    assert len(london) == 3
    assert all(number.phone_number.startswith("+4420") for number in london)
    ending = await twilio.search(area_code="415", ends_with="00", limit=2)
    assert ending
    assert all(number.phone_number.endswith("00") for number in ending)
