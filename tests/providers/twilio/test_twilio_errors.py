"""Errors: carrier answers mapped to the contract's tree, and answers that make no sense."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import numbers_core as nc
import pytest
import respx
from twilio_wire import CASES, Case, fixture, page, raises

pytestmark = pytest.mark.anyio


def owned(wire: respx.MockRouter, case: Case) -> None:
    wire.get(case.numbers, params={"PhoneNumber": case.owned}).mock(
        return_value=httpx.Response(200, json=page(f"{case.name}_list_page1", items=[case.fixture("number")]))
    )


# What one error answer to a configure (an update, no retry on 4xx) becomes.
MAPPING: list[tuple[str, int, Any, type[nc.ProviderError], str | None]] = [
    ("twilio", 401, fixture("twilio_error_auth"), nc.AuthenticationError, "20003"),
    ("signalwire", 401, fixture("signalwire_error_auth"), nc.AuthenticationError, "20003"),
    ("twilio", 403, {"code": 20005, "message": "Account not active"}, nc.PermissionDeniedError, "20005"),
    ("twilio", 404, fixture("twilio_error_not_found"), nc.NotFoundError, "20404"),
    ("signalwire", 404, {"code": 20404, "message": "Not found", "status": 404}, nc.NotFoundError, "20404"),
    ("twilio", 400, fixture("twilio_error_unavailable_number"), nc.NumberUnavailableError, "21422"),
    ("twilio", 400, {"code": 21421, "message": "PhoneNumber is invalid"}, nc.NumberUnavailableError, "21421"),
    # SignalWire's 21421 means "area code or number required", not an unavailable number.
    (
        "signalwire",
        400,
        {"code": 21421, "message": "AreaCode or PhoneNumber required"},
        nc.ProviderError,
        "21421",
    ),
    ("twilio", 400, {"code": 21451, "message": "Invalid area code"}, nc.NumberUnavailableError, "21451"),
    ("signalwire", 400, {"code": 21451, "message": "Invalid area code"}, nc.NumberUnavailableError, "21451"),
    (
        "twilio",
        400,
        {"code": 21452, "message": "No numbers in area code"},
        nc.NumberUnavailableError,
        "21452",
    ),
    (
        "twilio",
        400,
        {"code": 21404, "message": "Trial accounts may have one number"},
        nc.PermissionDeniedError,
        "21404",
    ),
    ("signalwire", 402, {"code": 4001, "message": "Insufficient balance"}, nc.PaymentRequiredError, "4001"),
    ("signalwire", 400, {"code": "4001", "message": "Insufficient balance"}, nc.PaymentRequiredError, "4001"),
    # {"errors": [...]}: the first code decides; every message is kept.
    ("signalwire", 400, fixture("signalwire_error_list"), nc.PaymentRequiredError, "4001"),
    # A code given as a string, unknown to the table: the status decides.
    ("signalwire", 422, fixture("signalwire_error_string_code"), nc.ProviderError, "90000"),
    ("twilio", 400, {"code": 20001, "message": "Bad request"}, nc.ProviderError, "20001"),
    ("twilio", 409, {"code": 21000, "message": "Conflict"}, nc.ConflictError, "21000"),
    # No body to read: the status alone.
    ("twilio", 404, None, nc.NotFoundError, None),
    ("signalwire", 401, "<html><body>Unauthorized</body></html>", nc.AuthenticationError, None),
]


@pytest.mark.parametrize(("provider", "status", "body", "error", "code"), MAPPING)
async def test_error_answers_map_to_the_tree(
    connected: Callable[[str], nc.Provider],
    wire: respx.MockRouter,
    provider: str,
    status: int,
    body: Any,
    error: type[nc.ProviderError],
    code: str | None,
) -> None:
    case = CASES[provider]
    owned(wire, case)
    if body is None:
        answer = httpx.Response(status)
    elif isinstance(body, str):
        answer = httpx.Response(status, text=body, headers={"Content-Type": "text/html"})
    else:
        answer = httpx.Response(status, json=body)
    answer.headers["Twilio-Request-Id"] = "RQ0123"
    updated = wire.post(case.one).mock(return_value=answer)
    async with connected(provider) as carrier:
        with raises(error) as info:
            await carrier.configure(case.owned, nc.NumberConfig(friendly_name="x"))
    assert type(info.value) is error
    assert (info.value.provider, info.value.status_code, info.value.code) == (provider, status, code)
    assert info.value.request_id == "RQ0123"
    assert updated.call_count == 1  # a 4xx is never retried
    if isinstance(body, dict):
        messages = [e["message"] for e in body.get("errors", [body])]
        assert info.value.message == "; ".join(messages)
        assert str(info.value).startswith(f"{provider}: {messages[0]}")
        assert "RQ0123" in str(info.value)


async def test_twilio_404_names_the_missing_resource(
    carrier: nc.Provider, case: Case, wire: respx.MockRouter
) -> None:
    owned(wire, case)  # listed, but gone by the time it is deleted
    wire.delete(case.one).mock(return_value=httpx.Response(404, json=fixture("twilio_error_not_found")))
    with raises(nc.NotFoundError, match="was not found") as info:
        await carrier.release(case.owned)
    assert info.value.code == "20404"


@pytest.mark.parametrize(
    ("answers", "error"),
    [
        (
            [httpx.Response(503, json=fixture("twilio_error_service_unavailable"))] * 4,
            nc.ProviderUnavailableError,
        ),
        ([httpx.Response(502, text="<html>Bad Gateway</html>")] * 4, nc.ProviderUnavailableError),
        ([httpx.Response(429, json=fixture("twilio_error_too_many_requests"))] * 4, nc.RateLimitError),
        ([httpx.ConnectError("refused")] * 4, nc.TransportError),
        ([httpx.ReadTimeout("slow")] * 4, nc.TransportError),
    ],
)
async def test_reads_are_retried_then_fail_with_the_last_error(
    carrier: nc.Provider,
    case: Case,
    wire: respx.MockRouter,
    sleeps: list[float],
    answers: list[Any],
    error: type[nc.NumbersError],
) -> None:
    route = wire.get(case.search_url("US", "Local")).mock(side_effect=answers)
    with raises(error):
        await carrier.search()
    assert route.call_count == 4  # max_attempts
    assert len(sleeps) == 3


async def test_a_read_recovers_after_an_outage(
    carrier: nc.Provider, case: Case, wire: respx.MockRouter, sleeps: list[float]
) -> None:
    route = wire.get(case.search_url("US", "Local")).mock(
        side_effect=[
            httpx.Response(
                503, json=fixture("twilio_error_service_unavailable"), headers={"Retry-After": "1"}
            ),
            httpx.ConnectError("refused"),
            httpx.Response(200, json=case.fixture("search_local")),
        ]
    )
    assert len(await carrier.search()) == 3
    assert route.call_count == 3
    assert sleeps[0] == 1.0


async def test_rate_limit_errors_carry_retry_after(
    carrier: nc.Provider, case: Case, wire: respx.MockRouter
) -> None:
    # Longer than the core waits out: raised at once, with the wait the carrier asked for.
    wire.get(case.search_url("US", "Local")).mock(
        return_value=httpx.Response(
            429, json=fixture("twilio_error_too_many_requests"), headers={"Retry-After": "600"}
        )
    )
    with raises(nc.RateLimitError) as info:
        await carrier.search()
    assert (info.value.retry_after, info.value.code) == (600.0, "20429")


# -- answers that cannot be understood ---------------------------------------------------------


GARBAGE: list[tuple[str, Any]] = [
    ("html", "<html><body>Service temporarily unavailable</body></html>"),
    ("truncated json", '{"available_phone_numbers": [{"phone_number": "+1808'),
    ("empty body", ""),
    ("json array", []),
    ("json string", "just a string"),
    ("numbers not an array", {"available_phone_numbers": "none"}),
    ("numbers missing", {"uri": "/x"}),
    ("item not an object", {"available_phone_numbers": ["+18089251571"]}),
    ("number an int", {"available_phone_numbers": [{"phone_number": 18089251571}]}),
    ("number not a number", {"available_phone_numbers": [{"phone_number": "call us"}]}),
    (
        "capabilities a list",
        {"available_phone_numbers": [{"phone_number": "+18089251571", "capabilities": []}]},
    ),
    (
        "capability not a flag",
        {"available_phone_numbers": [{"phone_number": "+18089251571", "capabilities": {"voice": "yes"}}]},
    ),
    (
        "capability a list",
        {"available_phone_numbers": [{"phone_number": "+18089251571", "capabilities": {"SMS": [True]}}]},
    ),
    ("region a number", {"available_phone_numbers": [{"phone_number": "+18089251571", "region": 5}]}),
    ("latitude a flag", {"available_phone_numbers": [{"phone_number": "+18089251571", "latitude": True}]}),
]


def garbage_answer(body: Any) -> httpx.Response:
    if isinstance(body, str) and not body.startswith("{"):
        if body.startswith("<"):
            return httpx.Response(200, text=body, headers={"Content-Type": "text/html"})
        if body:
            return httpx.Response(200, json=body)
        return httpx.Response(200, content=b"", headers={"Content-Type": "application/json"})
    if isinstance(body, str):
        return httpx.Response(200, content=body.encode(), headers={"Content-Type": "application/json"})
    return httpx.Response(200, json=body)


@pytest.mark.parametrize(("label", "body"), GARBAGE, ids=[label for label, _ in GARBAGE])
async def test_garbage_search_answers_are_protocol_errors(
    carrier: nc.Provider, case: Case, wire: respx.MockRouter, label: str, body: Any
) -> None:
    wire.get(case.search_url("US", "Local")).mock(return_value=garbage_answer(body))
    with raises(nc.ProtocolError) as info:
        await carrier.search()
    assert (info.value.provider, info.value.status_code) == (carrier.name, 200)
    assert info.value.body is not None


NUMBER_GARBAGE: list[tuple[str, dict[str, Any]]] = [
    ("sid missing", {"sid": None}),
    ("sid empty", {"sid": ""}),
    ("sid a number", {"sid": 42}),
    ("phone number missing", {"phone_number": None}),
    ("friendly name an object", {"friendly_name": {"text": "x"}}),
    ("voice url a list", {"voice_url": ["https://example.com"]}),
    ("method a number", {"sms_method": 1}),
    ("account a number", {"account_sid": 12345}),
    ("date a number", {"date_created": 1438298344}),
    ("capabilities a string", {"capabilities": "voice,sms"}),
    ("voice url not a URL", {"voice_url": "not a url"}),
    ("fallback url not http", {"sms_fallback_url": "ftp://example.com/sms"}),
    ("status callback not a URL", {"status_callback": "example.com/status"}),
]


@pytest.mark.parametrize(("label", "changes"), NUMBER_GARBAGE, ids=[label for label, _ in NUMBER_GARBAGE])
async def test_garbage_numbers_are_protocol_errors(
    carrier: nc.Provider, case: Case, wire: respx.MockRouter, label: str, changes: dict[str, Any]
) -> None:
    broken = case.fixture("number", **changes)
    wire.get(case.numbers).mock(
        return_value=httpx.Response(200, json=page(f"{case.name}_list_page1", items=[broken]))
    )
    with raises(nc.ProtocolError, match="unexpected answer"):
        await carrier.get(case.owned)
    with raises(nc.ProtocolError, match="unexpected answer"):
        _ = [n async for n in carrier.list()]


@pytest.mark.parametrize(
    "body",
    [
        {"incoming_phone_numbers": "none", "next_page_uri": None},
        {"incoming_phone_numbers": [], "next_page_uri": 7},
        {"next_page_uri": None},
        ["not", "a", "page"],
    ],
)
async def test_garbage_pages_are_protocol_errors(
    carrier: nc.Provider, case: Case, wire: respx.MockRouter, body: Any
) -> None:
    wire.get(case.numbers).mock(return_value=httpx.Response(200, json=body))
    with raises(nc.ProtocolError):
        _ = [n async for n in carrier.list()]


async def test_tolerated_oddities_are_not_errors(
    carrier: nc.Provider, case: Case, wire: respx.MockRouter
) -> None:
    # Values of the right type that say little: read as "not stated", not as garbage.
    odd = case.fixture(
        "number",
        date_created="the day before yesterday",
        date_updated="",
        voice_method="PUT",
        status="something-new",
        type="premium",
        capabilities={"Voice": True, "SMS": "true", "Telepathy": True},
        beta="false",
    )
    wire.get(case.numbers).mock(
        return_value=httpx.Response(200, json=page(f"{case.name}_list_page1", items=[odd]))
    )
    number = await carrier.get(case.owned)
    assert (number.created_at, number.updated_at) == (None, None)
    assert number.config.voice is not None
    assert number.config.voice.method is None
    assert number.status is nc.NumberStatus.UNKNOWN
    assert number.number_type is nc.NumberType.UNKNOWN
    assert (number.capabilities.voice, number.capabilities.sms, number.capabilities.mms) == (True, True, None)
