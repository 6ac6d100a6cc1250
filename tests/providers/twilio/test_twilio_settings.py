"""Settings of both dialects: what connect() accepts, refuses, and how it authenticates."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import numbers_core as nc
import pytest
import respx
from numbers_core.providers.twilio import (
    SignalWireProvider,
    SignalWireSettings,
    TwilioProvider,
    TwilioSettings,
)
from twilio_wire import (
    SW_PROJECT,
    SW_TOKEN,
    TWILIO_ACCOUNT,
    TWILIO_API_SECRET,
    TWILIO_TOKEN,
    assert_clean_error,
    assert_no_secret,
    fixture,
)

API_KEY = "SK" + "c" * 32
TWILIO = {"account_sid": TWILIO_ACCOUNT, "auth_token": TWILIO_TOKEN}
SIGNALWIRE = {"space": "example", "project_id": SW_PROJECT, "api_token": SW_TOKEN}


def test_both_dialects_are_registered() -> None:
    assert {"twilio", "signalwire"} <= set(nc.provider_names())


def test_twilio_connects_with_an_auth_token() -> None:
    carrier = nc.connect("twilio", **TWILIO)
    assert isinstance(carrier, TwilioProvider)
    assert carrier.name == "twilio"
    assert isinstance(carrier.settings, TwilioSettings)
    assert carrier.settings.base_url == "https://api.twilio.com"
    assert_no_secret(
        repr(carrier), repr(carrier.settings), str(carrier.settings), carrier.settings.model_dump()
    )


def test_twilio_connects_with_an_api_key() -> None:
    carrier = nc.connect("twilio", account_sid=TWILIO_ACCOUNT, api_key=API_KEY, api_secret=TWILIO_API_SECRET)
    assert isinstance(carrier.settings, TwilioSettings)
    assert carrier.settings.basic_auth() == (API_KEY, TWILIO_API_SECRET)
    assert_no_secret(repr(carrier.settings))


@pytest.mark.parametrize(
    ("settings", "setting", "words"),
    [
        ({"auth_token": TWILIO_TOKEN}, "account_sid", "missing"),
        ({**TWILIO, "account_sid": "AC123"}, "account_sid", "AC"),
        ({**TWILIO, "account_sid": "SK" + "a" * 32}, "account_sid", "AC"),
        ({"account_sid": TWILIO_ACCOUNT}, "auth_token", "missing"),
        ({**TWILIO, "auth_token": "  "}, "auth_token", "32 hex digits"),
        ({**TWILIO, "auth_token": "x"}, "auth_token", "32 hex digits"),
        ({**TWILIO, "auth_token": "AC" + "0" * 32}, "auth_token", "32 hex digits"),
        ({**TWILIO, "api_key": API_KEY, "api_secret": TWILIO_API_SECRET}, "auth_token", "not both"),
        ({"account_sid": TWILIO_ACCOUNT, "api_key": API_KEY}, "api_secret", "missing"),
        ({"account_sid": TWILIO_ACCOUNT, "api_secret": TWILIO_API_SECRET}, "api_key", "missing"),
        (
            {"account_sid": TWILIO_ACCOUNT, "api_key": "AC" + "c" * 32, "api_secret": "s" * 32},
            "api_key",
            "SK",
        ),
        ({**TWILIO, "region": "ie1"}, "region", "not a setting"),
        ({**TWILIO, "base_url": "https://api.twilio.com/2010-04-01"}, "base_url", "scheme and host"),
        ({**TWILIO, "base_url": "http://api.twilio.com"}, "base_url", "plain http"),
        ({**TWILIO, "base_url": "not a url"}, "base_url", "https"),
        ({**TWILIO, "timeout": 0}, "timeout", "expected more than 0"),
        ({**TWILIO, "pricing_url": "https://pricing.twilio.com/v1"}, "pricing_url", "scheme and host"),
        ({**TWILIO, "numbers_url": "http://numbers.example.com"}, "numbers_url", "plain http"),
        (
            {**TWILIO, "base_url": "http://api.example.com", "allow_insecure_http": False},
            "base_url",
            "plain http",
        ),
    ],
)
def test_twilio_settings_problems_name_the_setting(
    settings: dict[str, Any], setting: str, words: str
) -> None:
    with pytest.raises(nc.ConfigurationError, match=words) as info:
        nc.connect("twilio", **settings)
    assert info.value.setting == setting
    assert setting in str(info.value)
    assert_clean_error(info.value)


@pytest.mark.parametrize(
    ("space", "host"),
    [
        ("example", "example.signalwire.com"),
        ("Example", "example.signalwire.com"),
        ("example.signalwire.com", "example.signalwire.com"),
        ("https://example.signalwire.com/", "example.signalwire.com"),
        ("my-space-2.signalwire.com", "my-space-2.signalwire.com"),
    ],
)
def test_signalwire_space_is_a_name_or_a_host(space: str, host: str) -> None:
    carrier = nc.connect("signalwire", space=space, project_id=SW_PROJECT, api_token=SW_TOKEN)
    assert isinstance(carrier.settings, SignalWireSettings)
    assert carrier.settings.space == host
    assert carrier.settings.origin() == f"https://{host}"


def test_signalwire_project_id_is_normalised() -> None:
    carrier = nc.connect("signalwire", **{**SIGNALWIRE, "project_id": SW_PROJECT.upper()})
    assert isinstance(carrier.settings, SignalWireSettings)
    assert carrier.settings.project_id == SW_PROJECT
    assert_no_secret(repr(carrier), repr(carrier.settings))


@pytest.mark.parametrize(
    ("settings", "setting", "words"),
    [
        ({"project_id": SW_PROJECT, "api_token": SW_TOKEN}, "space", "missing"),
        ({**SIGNALWIRE, "space": "not a space!"}, "space", "Space name"),
        ({**SIGNALWIRE, "space": "-bad-.signalwire.com"}, "space", "Space name"),
        ({**SIGNALWIRE, "project_id": "AC" + "a" * 32}, "project_id", "UUID"),
        ({"space": "example", "project_id": SW_PROJECT}, "api_token", "missing"),
        ({**SIGNALWIRE, "api_token": ""}, "api_token", "32 or more letters and digits"),
        ({**SIGNALWIRE, "api_token": "t"}, "api_token", "32 or more letters and digits"),
        (
            {**SIGNALWIRE, "base_url": "https://example.signalwire.com/api/laml/2010-04-01"},
            "base_url",
            "scheme",
        ),
        ({**SIGNALWIRE, "auth_token": "x"}, "auth_token", "not a setting"),
    ],
)
def test_signalwire_settings_problems_name_the_setting(
    settings: dict[str, Any], setting: str, words: str
) -> None:
    with pytest.raises(nc.ConfigurationError, match=words) as info:
        nc.connect("signalwire", **settings)
    assert info.value.setting == setting
    assert_clean_error(info.value)


def test_a_provider_needs_its_own_settings_model() -> None:
    with pytest.raises(nc.ConfigurationError, match="expected TwilioSettings"):
        TwilioProvider(SignalWireSettings(**SIGNALWIRE))


def test_the_feature_matrix() -> None:
    twilio = nc.connect("twilio", **TWILIO)
    signalwire = nc.connect("signalwire", **SIGNALWIRE)
    both = [nc.Feature.PURCHASE_WITH_CONFIG, nc.Feature.TRANSFER, nc.Feature.SEARCH_CONTAINS, "config.extra"]
    for feature in both:
        assert twilio.supports(feature)
        assert signalwire.supports(feature)
    for feature in [
        "purchase_any.native",
        "number_type.mobile",
        "search.postal_code",
        "search.near_lat_long",
    ]:
        assert twilio.supports(feature)
        assert not signalwire.supports(feature)
    for feature in ["number_type.national", "bulk", "search.personal"]:
        assert not twilio.supports(feature)
        assert not signalwire.supports(feature)


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("settings", "user", "secret"),
    [
        (TWILIO, TWILIO_ACCOUNT, TWILIO_TOKEN),
        (
            {"account_sid": TWILIO_ACCOUNT, "api_key": API_KEY, "api_secret": TWILIO_API_SECRET},
            API_KEY,
            TWILIO_API_SECRET,
        ),
    ],
)
async def test_twilio_authenticates_with_basic_auth(
    wire: respx.MockRouter, settings: dict[str, Any], user: str, secret: str
) -> None:
    route = wire.get(
        f"https://api.twilio.com/2010-04-01/Accounts/{TWILIO_ACCOUNT}/IncomingPhoneNumbers.json"
    ).mock(return_value=httpx.Response(200, json=fixture("twilio_list_empty")))
    async with nc.connect("twilio", **settings) as carrier:
        assert [n async for n in carrier.list()] == []
    expected = "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()
    assert route.calls.last.request.headers["Authorization"] == expected


@pytest.mark.anyio
async def test_signalwire_authenticates_with_the_project_and_token(wire: respx.MockRouter) -> None:
    route = wire.get(
        f"https://example.signalwire.com/api/laml/2010-04-01/Accounts/{SW_PROJECT}/IncomingPhoneNumbers"
    ).mock(return_value=httpx.Response(200, json=fixture("signalwire_list_empty")))
    async with nc.connect("signalwire", **SIGNALWIRE) as carrier:
        assert [n async for n in carrier.list()] == []
    expected = "Basic " + base64.b64encode(f"{SW_PROJECT}:{SW_TOKEN}".encode()).decode()
    assert route.calls.last.request.headers["Authorization"] == expected


@pytest.mark.anyio
async def test_base_url_points_at_a_regional_host(wire: respx.MockRouter) -> None:
    twilio = wire.get(
        f"https://api.dublin.ie1.twilio.com/2010-04-01/Accounts/{TWILIO_ACCOUNT}/IncomingPhoneNumbers.json"
    ).mock(return_value=httpx.Response(200, json=fixture("twilio_list_empty")))
    async with nc.connect("twilio", **TWILIO, base_url="https://api.dublin.ie1.twilio.com") as carrier:
        assert [n async for n in carrier.list()] == []
    assert twilio.call_count == 1


@pytest.mark.anyio
async def test_a_user_client_is_used_and_left_open() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=fixture("signalwire_list_empty"))

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        async with nc.connect("signalwire", **SIGNALWIRE, http_client=client) as carrier:
            assert isinstance(carrier, SignalWireProvider)
            assert [n async for n in carrier.list()] == []
        assert not client.is_closed
    assert len(seen) == 1


@pytest.mark.anyio
async def test_plain_http_is_fine_for_a_local_test_server(wire: respx.MockRouter) -> None:
    route = wire.get(
        f"http://127.0.0.1:8099/api/laml/2010-04-01/Accounts/{SW_PROJECT}/IncomingPhoneNumbers"
    ).mock(return_value=httpx.Response(200, json=fixture("signalwire_list_empty")))
    async with nc.connect("signalwire", **SIGNALWIRE, base_url="http://127.0.0.1:8099") as carrier:
        assert [n async for n in carrier.list()] == []
    assert route.call_count == 1


def test_the_pool_and_the_deadline_are_settings() -> None:
    carrier = nc.connect("twilio", **TWILIO, max_connections=7, deadline=12.5)
    limits = carrier._api._limits  # type: ignore[attr-defined]
    assert (limits.max_connections, limits.max_keepalive_connections) == (7, 7)
    assert carrier._api.retry.deadline == 12.5  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("settings", "pricing", "numbers"),
    [
        ({}, "https://pricing.twilio.com", "https://numbers.twilio.com"),
        # Regional hosts as twilio-python builds them: {product}.{edge}.{region}.twilio.com.
        (
            {"base_url": "https://api.dublin.ie1.twilio.com"},
            "https://pricing.dublin.ie1.twilio.com",
            "https://numbers.dublin.ie1.twilio.com",
        ),
        # An emulator or a proxy serves every API on its one host.
        ({"base_url": "http://127.0.0.1:8080"}, "http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        (
            {"pricing_url": "https://pricing.example.com", "numbers_url": "https://reg.example.com:8443"},
            "https://pricing.example.com",
            "https://reg.example.com:8443",
        ),
    ],
)
@pytest.mark.anyio
async def test_twilios_other_apis_are_beside_base_url_or_where_set(
    settings: dict[str, Any], pricing: str, numbers: str
) -> None:
    seen: list[httpx.URL] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        return httpx.Response(404, json=fixture("twilio_error_not_found"))

    async with (
        httpx.AsyncClient(transport=httpx.MockTransport(answer)) as client,
        nc.connect("twilio", http_client=client, **TWILIO, **settings) as carrier,
    ):
        assert await carrier.prices("GB") == []
        with pytest.raises(nc.NotFoundError):
            await carrier.requirements("GB")
    assert [str(url).split("/v", 1)[0] for url in seen] == [pricing, numbers]
