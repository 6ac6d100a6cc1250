"""The Vonage emulator's own wire: credentials, form bodies, pages, replace semantics, HTTPS."""

from __future__ import annotations

import ssl

import httpx
import numbers_core as nc
import pytest
from numbers_core.emulator import Emulator, serve

pytestmark = pytest.mark.anyio


async def raw(emulator: Emulator) -> tuple[httpx.AsyncClient, tuple[str, str]]:
    settings = emulator.client_settings()
    client = httpx.AsyncClient(transport=emulator.transport(), base_url="http://127.0.0.1")
    return client, (settings["api_key"], settings["api_secret"])


async def test_credentials_go_as_basic_or_as_vonages_parameters(emulator: Emulator) -> None:
    http, (key, secret) = await raw(emulator)
    async with http:
        assert (await http.get("/account/numbers", auth=(key, secret))).json() == {}
        query = {"api_key": key, "api_secret": secret}
        assert (await http.get("/account/numbers", params=query)).status_code == 200
        refused = await http.get("/account/numbers", auth=(key, "wrong-secret"))
        assert refused.status_code == 401
        assert refused.json() == {"error-code": "401", "error-code-label": "authentication failed"}
        [offer] = (
            await http.get("/number/search", params={"country": "US", "pattern": "1415", **query})
        ).json()["numbers"][:1]
        bought = await http.post("/number/buy", data={"country": "US", "msisdn": offer["msisdn"], **query})
        assert bought.json() == {"error-code": "200", "error-code-label": "success"}


async def test_a_json_body_is_not_read_as_vonage_does_not(emulator: Emulator) -> None:
    http, auth = await raw(emulator)
    async with http:
        refused = await http.post("/number/buy", json={"country": "US", "msisdn": "14155550100"}, auth=auth)
    assert refused.status_code == 400
    assert refused.json() == {"country": "Is required."}


async def test_vonages_refusals(emulator: Emulator) -> None:
    http, auth = await raw(emulator)
    async with http:
        wrong_country = await http.post(
            "/number/buy", data={"country": "GB", "msisdn": "14155550100"}, auth=auth
        )
        assert wrong_country.status_code == 420
        assert wrong_country.json()["error-code-label"] == "method failed"
        not_ours = await http.post(
            "/number/cancel", data={"country": "US", "msisdn": "14155550100"}, auth=auth
        )
        assert not_ours.status_code == 420
        odd = await http.get("/number/search", params={"country": "US", "features": "VOICE,SMS"}, auth=auth)
        assert odd.status_code == 400  # not one of the seven spellings
        big = await http.get("/account/numbers", params={"size": "101"}, auth=auth)
        assert big.status_code == 400
        half = await http.post(
            "/number/update",
            data={"country": "US", "msisdn": "14155550100", "voiceCallbackType": "tel"},
            auth=auth,
        )
        assert half.status_code == 400


async def test_pages_by_index_and_an_empty_page_is_an_empty_object(emulator: Emulator) -> None:
    http, auth = await raw(emulator)
    async with http:
        first = (
            await http.get("/number/search", params={"country": "US", "size": "2", "index": "1"}, auth=auth)
        ).json()
        second = (
            await http.get("/number/search", params={"country": "US", "size": "2", "index": "2"}, auth=auth)
        ).json()
        assert len(first["numbers"]) == len(second["numbers"]) == 2
        assert {n["msisdn"] for n in first["numbers"]}.isdisjoint(n["msisdn"] for n in second["numbers"])
        assert first["count"] > 2
        nothing = await http.get(
            "/number/search", params={"country": "US", "pattern": "44", "search_pattern": "0"}, auth=auth
        )
        assert nothing.json() == {}


async def test_an_update_replaces_the_whole_configuration(emulator: Emulator) -> None:
    http, auth = await raw(emulator)
    async with emulator.connect() as carrier:
        bought = await carrier.purchase_any(area_code="415")
    msisdn = bought.phone_number[1:]
    async with http:
        await http.post(
            "/number/update",
            data={
                "country": "US",
                "msisdn": msisdn,
                "app_id": "app-1",
                "moHttpUrl": "https://h.example.com/sms",
            },
            auth=auth,
        )
        await http.post(
            "/number/update", data={"country": "US", "msisdn": msisdn, "app_id": "app-2"}, auth=auth
        )
        [item] = (await http.get("/account/numbers", params={"pattern": msisdn}, auth=auth)).json()["numbers"]
    assert item["app_id"] == "app-2"
    assert "moHttpUrl" not in item  # left out of the second form: cleared


async def test_target_api_key_buys_for_a_subaccount(emulator: Emulator) -> None:
    http, auth = await raw(emulator)
    async with emulator.connect() as carrier:
        [offer] = await carrier.search(area_code="415", limit=1)
    async with http:
        data = {"country": "US", "msisdn": offer.phone_number[1:], "target_api_key": "sub00003"}
        assert (await http.post("/number/buy", data=data, auth=auth)).status_code == 200
    assert (await emulator.world.owned())["sub00003"] == [offer.phone_number]


def test_served_over_https_with_a_certificate_made_on_the_spot() -> None:
    with serve(Emulator("vonage"), tls=True) as server:
        assert server.url.startswith("https://127.0.0.1:")
        assert server.ca_file is not None
        assert server.ca_file.read_text().startswith("-----BEGIN CERTIFICATE")
        settings = server.settings
        with httpx.Client(verify=ssl.create_default_context(cafile=server.ca_file)) as http:
            answer = http.get(
                f"{server.url}/account/numbers", auth=(settings["api_key"], settings["api_secret"])
            )
        assert answer.json() == {}
        with httpx.Client() as http, pytest.raises(httpx.ConnectError):
            http.get(f"{server.url}/account/numbers")  # not trusted without the authority's file
    assert not server.ca_file.exists()


async def test_the_adapter_reaches_the_https_emulator_given_its_authority() -> None:
    with serve(Emulator("vonage"), tls=True) as server:
        async with (
            httpx.AsyncClient(verify=ssl.create_default_context(cafile=server.ca_file)) as http,
            nc.connect("vonage", http_client=http, **server.settings) as carrier,
        ):
            assert await carrier.search(area_code="415", limit=1)
