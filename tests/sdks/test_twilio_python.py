"""twilio-python, unchanged, against the Twilio emulator: its sync client and AsyncTwilioHttpClient."""

from __future__ import annotations

import pytest
from numbers_core.emulator import Server

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
