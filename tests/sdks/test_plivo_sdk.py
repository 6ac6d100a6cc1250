"""Plivo's Python SDK (``plivo`` 4.x), unchanged, against the Plivo emulator.

The SDK has no base-URL option: it reads the module global ``PLIVO_API_BASE_URI`` at every call,
which the test points at the emulator.
"""

from __future__ import annotations

import pytest
from numbers_core.emulator import Server

# A submodule only the SDK has: tests/providers/plivo, on sys.path in a whole run, is a namespace
# package that ``import plivo`` alone would find.
rest_client = pytest.importorskip("plivo.rest.client", reason="the plivo SDK is installed by nox -s sdks")
import plivo  # noqa: E402
from plivo import exceptions  # noqa: E402

DIALECT = "plivo"


@pytest.fixture
def client(server: Server, monkeypatch: pytest.MonkeyPatch) -> plivo.RestClient:
    monkeypatch.setattr(rest_client, "PLIVO_API_BASE_URI", f"{server.url}/v1/Account")
    settings = server.settings
    return plivo.RestClient(settings["auth_id"], settings["auth_token"])


def test_the_sdk_searches_buys_lists_gets_updates_and_unrents(
    client: plivo.RestClient, server: Server
) -> None:
    found = client.numbers.search(country_iso="US", type="fixed", pattern="415", limit=3)
    offers = list(found.objects)
    assert 1 <= len(offers) <= 3
    assert all(offer.number.startswith("1415") for offer in offers)
    for offer in offers[:2]:
        bought = client.numbers.buy(offer.number, app_id="app-from-the-sdk")
        assert bought.numbers[0]["number"] == offer.number
        assert bought.numbers[0]["status"] == "Success"
    listed = client.numbers.list(limit=1)
    assert listed.meta.total_count == 2
    assert len(listed.objects) == 1
    assert listed.meta.next.endswith("limit=1&offset=1")
    number = client.numbers.get(offers[0].number)
    assert number.number == offers[0].number
    assert number.application.endswith("/Application/app-from-the-sdk/")
    changed = client.numbers.update(offers[0].number, alias="From the SDK", app_id="app-from-the-sdk")
    assert changed.message == "changed"
    assert client.numbers.get(offers[0].number).alias == "From the SDK"
    client.numbers.delete(offers[0].number)
    with pytest.raises(exceptions.ResourceNotFoundError):
        client.numbers.get(offers[0].number)
    buys = [e for e in server.emulator.exchanges or () if e.method == "POST" and "/PhoneNumber/" in e.path]
    assert len(buys) == 2  # one request per buy


def test_a_number_not_for_sale_is_plivos_404(client: plivo.RestClient) -> None:
    offer = next(iter(client.numbers.search(country_iso="US", limit=1).objects))
    client.numbers.buy(offer.number)
    with pytest.raises(exceptions.ResourceNotFoundError):
        client.numbers.buy(offer.number)  # already this account's: Plivo says "not found"
