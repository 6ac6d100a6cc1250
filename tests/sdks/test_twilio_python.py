"""twilio-python, unchanged, against the Twilio emulator: its sync client and AsyncTwilioHttpClient,
and its Pricing, Regulations and Addresses calls."""

from __future__ import annotations

import pytest
from numbers_core.emulator import Server
from numbers_core.sandbox import APPROVED_BUNDLE

twilio_rest = pytest.importorskip("twilio.rest", reason="twilio-python is installed by nox -s sdks")
from twilio.base.exceptions import TwilioRestException  # noqa: E402
from twilio.http.async_http_client import AsyncTwilioHttpClient  # noqa: E402

DIALECT = "twilio"


def client_for(server: Server, **options: object) -> twilio_rest.Client:
    settings = server.settings
    client = twilio_rest.Client(settings["account_sid"], settings["auth_token"], **options)
    client.api.base_url = server.url  # twilio-python's override of its API host
    return client


def test_the_sync_client_searches_buys_updates_lists_and_deletes(server: Server) -> None:
    client = client_for(server)
    offers = client.available_phone_numbers("US").local.list(area_code=415, limit=3)
    assert 1 <= len(offers) <= 3
    assert all(offer.phone_number.startswith("+1415") for offer in offers)
    bought = [client.incoming_phone_numbers.create(phone_number=offer.phone_number) for offer in offers]
    assert bought[0].sid.startswith("PN")
    assert bought[0].status == "in-use"
    updated = client.incoming_phone_numbers(bought[0].sid).update(
        friendly_name="From twilio-python", voice_url="https://hooks.example.com/voice"
    )
    assert updated.friendly_name == "From twilio-python"
    fetched = client.incoming_phone_numbers(bought[0].sid).fetch()
    assert fetched.voice_url == "https://hooks.example.com/voice"
    listed = list(client.incoming_phone_numbers.stream(page_size=2))  # two pages, by next_page_uri
    assert {n.sid for n in listed} == {n.sid for n in bought}
    pages = [
        e
        for e in server.emulator.exchanges or ()
        if e.method == "GET" and "IncomingPhoneNumbers.json" in e.path
    ]
    assert len(pages) >= 2
    assert client.incoming_phone_numbers(bought[0].sid).delete() is True
    with pytest.raises(TwilioRestException) as gone:
        client.incoming_phone_numbers(bought[0].sid).fetch()
    assert gone.value.status == 404
    assert gone.value.code == 20404


def test_previous_page_goes_back_a_page(server: Server) -> None:
    client = client_for(server)
    for offer in client.available_phone_numbers("US").local.list(area_code=415, limit=3):
        client.incoming_phone_numbers.create(phone_number=offer.phone_number)
    first = client.incoming_phone_numbers.page(page_size=2)
    assert first.previous_page() is None
    second = first.next_page()
    assert second is not None
    back = second.previous_page()
    assert back is not None
    assert [n.sid for n in back] == [n.sid for n in first]


def test_a_number_not_for_sale_is_twilios_21422(server: Server) -> None:
    with pytest.raises(TwilioRestException) as refused:
        client_for(server).incoming_phone_numbers.create(phone_number="+15005550000")
    assert refused.value.code == 21422


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])  # twilio-python's async client is aiohttp's
# twilio-python's own use of aiohttp, which aiohttp 3.x deprecates: not ours to mend.
@pytest.mark.filterwarnings("ignore::DeprecationWarning:aiohttp")
@pytest.mark.filterwarnings("ignore::DeprecationWarning:twilio")
async def test_the_async_client_does_the_same(server: Server) -> None:
    http = AsyncTwilioHttpClient()
    client = client_for(server, http_client=http)
    try:
        offers = await client.available_phone_numbers("US").local.list_async(area_code=415, limit=2)
        bought = await client.incoming_phone_numbers.create_async(phone_number=offers[0].phone_number)
        updated = await client.incoming_phone_numbers(bought.sid).update_async(friendly_name="Async")
        assert updated.friendly_name == "Async"
        assert (await client.incoming_phone_numbers(bought.sid).fetch_async()).sid == bought.sid
        assert [n.sid for n in await client.incoming_phone_numbers.list_async()] == [bought.sid]
        assert await client.incoming_phone_numbers(bought.sid).delete_async() is True
    finally:
        await http.close()


def client_for_every_api(server: Server) -> twilio_rest.Client:
    """twilio-python with each API's host (api, pricing, numbers) pointed at the emulator, which
    serves them all on one."""
    client = client_for(server)
    client.pricing.base_url = server.url
    client.numbers.base_url = server.url
    return client


def test_the_pricing_api_reads_the_emulators_price_list(server: Server) -> None:
    country = client_for_every_api(server).pricing.v1.phone_numbers.countries("GB").fetch()
    assert (country.iso_country, country.country, country.price_unit) == ("GB", "United Kingdom", "GBP")
    prices = {row["number_type"]: row for row in country.phone_number_prices}
    assert set(prices) == {"local", "mobile", "national", "toll free"}
    assert prices["toll free"]["current_price"] == "15.00"
    listed = client_for_every_api(server).pricing.v1.phone_numbers.countries.list(page_size=4)
    assert [row.iso_country for row in listed] == ["US", "CA", "GB", "DE", "FR", "AU"]  # two pages


def test_regulations_read_what_regulated_numbers_need(server: Server) -> None:
    client = client_for_every_api(server)
    regulations = client.numbers.v2.regulatory_compliance.regulations.list(
        iso_country="GB", number_type="local"
    )
    assert [r.end_user_type for r in regulations] == ["individual", "business"]
    assert regulations[0].friendly_name == "United Kingdom: Local - Individual"
    [[address]] = regulations[0].requirements["supporting_document"]
    assert address["accepted_documents"][0]["type"] == "address"
    assert client.numbers.v2.regulatory_compliance.regulations.list(iso_country="US") == []


def test_addresses_and_a_purchase_under_them(server: Server) -> None:
    client = client_for_every_api(server)
    [offer] = client.available_phone_numbers("GB").local.list(limit=1)
    with pytest.raises(TwilioRestException) as refused:
        client.incoming_phone_numbers.create(phone_number=offer.phone_number)
    assert (refused.value.status, refused.value.code) == (400, 21631)
    address = client.addresses.create(
        customer_name="Acme Ltd",
        street="1 Poultry",
        city="London",
        region="London",
        postal_code="ec2r 8ah",
        iso_country="GB",
    )
    assert address.sid.startswith("AD")
    assert address.postal_code == "EC2R 8AH"
    assert [a.sid for a in client.addresses.list()] == [address.sid]
    bought = client.incoming_phone_numbers.create(
        phone_number=offer.phone_number, address_sid=address.sid, bundle_sid=APPROVED_BUNDLE
    )
    assert (bought.address_sid, bought.bundle_sid) == (address.sid, APPROVED_BUNDLE)
    countries = {country.country_code: country for country in client.available_phone_numbers.list()}
    assert set(countries["GB"].subresource_uris) == {"local", "mobile", "toll_free"}
