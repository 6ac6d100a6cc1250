"""Fixtures for the Twilio/SignalWire adapter tests.

Every test here runs with all HTTP mocked by respx (the ``wire`` router),
and afterwards every request the adapter sent is checked against the
carrier's OpenAPI document. Log records at every level are captured and
must not contain a credential.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterator

import httpx
import numbers_core as nc
import pytest
import respx
from numbers_core.providers.twilio import SignalWireProvider, TwilioProvider
from twilio_wire import (
    CASES,
    HERE,
    SW_PROJECT,
    SW_TOKEN,
    TWILIO_ACCOUNT,
    TWILIO_TOKEN,
    Case,
    assert_no_secret,
    fixture,
    spec_for,
)


def price_list(request: httpx.Request) -> httpx.Response:
    """Twilio's Pricing API: fixtures/twilio_prices_<country>.json, else its 404 (nothing priced)."""
    country = request.url.path.rsplit("/", 1)[1].lower()
    if (HERE / "fixtures" / f"twilio_prices_{country}.json").exists():
        return httpx.Response(200, json=fixture(f"twilio_prices_{country}"))
    return httpx.Response(404, json=fixture("twilio_error_not_found"))


@pytest.fixture
def wire() -> Iterator[respx.MockRouter]:
    """The mocked network; each request sent is checked against the spec at the end.

    A Twilio search prices its results from the Pricing API, once per country and connection: that
    host answers with ``price_list`` (route ``pricing``, which a test may mock otherwise).
    """
    with respx.mock(assert_all_called=False, assert_all_mocked=True) as router:
        router.route(name="pricing", host="pricing.twilio.com").mock(side_effect=price_list)
        yield router
    for call in router.calls:
        spec_for(call.request).check(call.request)


@pytest.fixture(autouse=True)
def _no_secret_logged(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    caplog.set_level(logging.DEBUG)
    yield
    assert_no_secret(caplog.text, *(record.getMessage() for record in caplog.records))


@pytest.fixture(autouse=True)
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The waits the adapter and the HTTP core asked for, none of them slept."""
    waited: list[float] = []

    async def sleep(seconds: float) -> None:
        waited.append(seconds)

    monkeypatch.setattr("numbers_core.providers.twilio._provider._sleep", sleep)
    monkeypatch.setattr("numbers_core._http._sleep", sleep)
    monkeypatch.setattr("numbers_core._provider._sleep", sleep)
    return waited


@pytest.fixture
async def twilio(wire: respx.MockRouter) -> AsyncIterator[TwilioProvider]:
    async with nc.connect("twilio", account_sid=TWILIO_ACCOUNT, auth_token=TWILIO_TOKEN) as carrier:
        assert isinstance(carrier, TwilioProvider)
        yield carrier


@pytest.fixture
async def signalwire(wire: respx.MockRouter) -> AsyncIterator[SignalWireProvider]:
    async with nc.connect(
        "signalwire", space="example", project_id=SW_PROJECT, api_token=SW_TOKEN
    ) as carrier:
        assert isinstance(carrier, SignalWireProvider)
        yield carrier


def connect(name: str) -> nc.Provider:
    """The provider of dialect ``name``, with the test credentials."""
    if name == "twilio":
        return nc.connect("twilio", account_sid=TWILIO_ACCOUNT, auth_token=TWILIO_TOKEN)
    return nc.connect("signalwire", space="example", project_id=SW_PROJECT, api_token=SW_TOKEN)


@pytest.fixture
def connected(wire: respx.MockRouter) -> Callable[[str], nc.Provider]:
    """``connect`` with the network mocked: for tests parametrized by dialect."""
    return connect


@pytest.fixture(params=["twilio", "signalwire"])
async def carrier(request: pytest.FixtureRequest, wire: respx.MockRouter) -> AsyncIterator[nc.Provider]:
    """Either dialect: for behaviour both share."""
    async with connect(request.param) as provider:
        yield provider


@pytest.fixture
def case(carrier: nc.Provider) -> Case:
    return CASES[carrier.name]
