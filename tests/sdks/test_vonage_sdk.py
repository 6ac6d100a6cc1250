"""Vonage's Python SDK (``vonage`` 4.x, number management), unchanged, against the Vonage emulator.

The SDK builds every URL as ``https://{host}``: the emulator is served over HTTPS with a certificate
made for the test, whose authority requests is told to trust (``REQUESTS_CA_BUNDLE``).
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator

import anyio
import httpx
import numbers_core as nc
import pytest
from numbers_core.emulator import Emulator, Server, serve

pytest.importorskip("vonage_numbers", reason="the vonage SDK is installed by nox -s sdks")
import requests  # the SDK's HTTP client
from vonage_http_client.errors import HttpRequestError
from vonage_numbers import (
    ListOwnedNumbersFilter,
    NumberParams,
    SearchAvailableNumbersFilter,
    UpdateNumberParams,
)

from vonage import Auth, HttpClientOptions, Vonage


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    with serve(Emulator("vonage", record=True), tls=True) as running:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(running.ca_file))
        yield running


def client_for(server: Server) -> Vonage:
    settings = server.settings
    host = server.url.removeprefix("https://")  # the SDK's override takes a host, not a URL
    options = HttpClientOptions(rest_host=host, api_host=host)
    return Vonage(Auth(api_key=settings["api_key"], api_secret=settings["api_secret"]), options)


def test_the_sdk_searches_buys_lists_updates_and_cancels(server: Server) -> None:
    client = client_for(server)
    offers, count, _ = client.numbers.search_available_numbers(
        SearchAvailableNumbersFilter(country="US", pattern="1415", search_pattern=0, size=3)
    )
    assert 1 <= len(offers) <= 3
    assert count >= len(offers)
    assert all(offer.msisdn.startswith("1415") for offer in offers)
    for offer in offers[:2]:
        status = client.numbers.buy_number(NumberParams(country="US", msisdn=offer.msisdn))
        assert status.error_code == "200"
    owned, total, _ = client.numbers.list_owned_numbers(ListOwnedNumbersFilter(size=1))
    assert total == 2
    assert len(owned) == 1  # one a page, as asked
    updated = client.numbers.update_number(
        UpdateNumberParams(country="US", msisdn=offers[0].msisdn, app_id="app-from-the-sdk")
    )
    assert updated.error_code == "200"
    [linked], _, _ = client.numbers.list_owned_numbers(
        ListOwnedNumbersFilter(pattern=offers[0].msisdn, search_pattern=0)
    )
    assert linked.app_id == "app-from-the-sdk"
    cancelled = client.numbers.cancel_number(NumberParams(country="US", msisdn=offers[0].msisdn))
    assert cancelled.error_code == "200"
    left, total, _ = client.numbers.list_owned_numbers(ListOwnedNumbersFilter())
    assert total == 1
    assert [n.msisdn for n in left] == [offers[1].msisdn]


async def _taken(server: Server) -> str:
    bought = await server.emulator.world.account("someone-else").purchase_any(area_code="415")
    return bought.phone_number[1:]


def test_a_number_someone_else_bought_is_vonages_420(server: Server) -> None:
    import anyio

    taken = anyio.run(_taken, server)
    with pytest.raises(HttpRequestError) as refused:
        client_for(server).numbers.buy_number(NumberParams(country="US", msisdn=taken))
    assert refused.value.response.status_code == 420
    assert refused.value.response.json()["error-code-label"] == "method failed"


def test_one_buy_is_one_post(server: Server) -> None:
    # The SDK re-sends a POST whose connection closed unanswered (up to 10 times, measured): against
    # an emulator that answers, one call is one request.
    client = client_for(server)
    [offer], _, _ = client.numbers.search_available_numbers(
        SearchAvailableNumbersFilter(country="US", size=1)
    )
    client.numbers.buy_number(NumberParams(country="US", msisdn=offer.msisdn))
    buys = [e for e in server.emulator.exchanges or () if e.method == "POST" and e.path == "/number/buy"]
    assert len(buys) == 1


def test_an_unanswered_buy_is_sent_again_by_the_sdk_and_once_by_the_adapter(server: Server) -> None:
    client = client_for(server)
    emulator = server.emulator
    offers, _, _ = client.numbers.search_available_numbers(SearchAvailableNumbersFilter(country="US", size=2))
    emulator.set_faults(unanswered=1.0)  # the buy is made, and the connection closed without an answer
    before = emulator.requests
    with pytest.raises(requests.exceptions.ConnectionError):
        client.numbers.buy_number(NumberParams(country="US", msisdn=offers[0].msisdn))
    sdk_posts = emulator.requests - before
    assert sdk_posts > 1  # 10 measured with vonage 4.9.1 (vonage-http-client 1.5.2)

    async def adapter_buys() -> nc.ActiveNumber:
        # The adapter reaches the same emulator over HTTPS here (its authority trusted), as a user's
        # client would; it sends the buy once and settles the lost answer with a look-up.
        trusted = ssl.create_default_context(cafile=server.ca_file)
        async with (
            httpx.AsyncClient(verify=trusted) as http,
            nc.connect("vonage", http_client=http, **server.settings) as carrier,
        ):
            return await carrier.purchase(f"+{offers[1].msisdn}")

    before = emulator.answered.get("unanswered", 0)
    bought = anyio.run(adapter_buys)
    emulator.set_faults(unanswered=0.0)
    assert bought.phone_number == f"+{offers[1].msisdn}"
    assert emulator.answered["unanswered"] - before == 1  # one POST, whose answer never came
