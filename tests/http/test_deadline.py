"""One deadline per public call: a login, a search then a purchase, the look-ups after a lost
answer, every retry wait between them share the ``deadline`` setting's seconds.

Short real deadlines (fractions of a second), over each carrier's emulator in process, under
asyncio and trio.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import anyio
import httpx
import numbers_core as nc
import pytest
import respx
from numbers_core import _deadline
from numbers_core._deadline import call_deadline
from numbers_core._http import HttpCore, Idempotency
from numbers_core.emulator import Emulator
from numbers_core.errors import error_for_status

pytestmark = pytest.mark.anyio

Handler = Callable[[httpx.Request, Callable[[], Awaitable[httpx.Response]]], Awaitable[httpx.Response]]


@asynccontextmanager
async def carrier_before(
    name: str, handler: Handler, **settings: float
) -> AsyncIterator[tuple[nc.Provider, nc.Provider]]:
    """(the adapter, through ``handler`` to its emulator; the adapter, straight to it)."""
    emulator = Emulator(name)
    inner = emulator.transport()

    async def handle(request: httpx.Request) -> httpx.Response:
        async def forward() -> httpx.Response:
            response = await inner.handle_async_request(request)
            body = await response.aread()
            return httpx.Response(response.status_code, headers=response.headers, content=body)

        return await handler(request, forward)

    try:
        async with (
            emulator.connect() as clean,
            httpx.AsyncClient(transport=httpx.MockTransport(handle)) as http,
            nc.connect(name, http_client=http, **emulator.client_settings(), **settings) as carrier,
        ):
            yield carrier, clean
    finally:
        await emulator.aclose()


def rate_limited_once(retry_after: str) -> Handler:
    """Each distinct request refused once with a 429 and ``Retry-After``, then let through."""
    refused: set[tuple[str, str]] = set()

    async def handler(
        request: httpx.Request, forward: Callable[[], Awaitable[httpx.Response]]
    ) -> httpx.Response:
        key = (request.method, request.url.path)
        if key not in refused:
            refused.add(key)
            return httpx.Response(429, headers={"Retry-After": retry_after}, json={"message": "slow down"})
        return await forward()

    return handler


async def test_the_requests_of_one_call_share_its_deadline() -> None:
    # Every request is first refused with a 429 and Retry-After: 0.4. Kazoo's purchase_any is a
    # login, a search, a look-up and a purchase: 1.6 s of waits, which a deadline of 1 s let through
    # when it bounded each request. Bounded as a whole, the call ends with the 429 whose wait would
    # end past the deadline: not waited, and nothing bought.
    async with carrier_before("kazoo", rate_limited_once("0.4"), deadline=1.0) as (carrier, clean):
        await clean.search(area_code="415")  # the emulator's inventory is made before the clock runs
        started = time.monotonic()
        with pytest.raises(nc.RateLimitError):
            await carrier.purchase_any(area_code="415")
        took = time.monotonic() - started
        assert [n async for n in clean.list()] == []
    assert took < 1.0, took


async def test_a_call_given_time_enough_goes_through_the_same_refusals() -> None:
    async with carrier_before("kazoo", rate_limited_once("0.05"), deadline=5) as (carrier, clean):
        bought = await carrier.purchase_any(area_code="415")
        assert (await clean.get(bought)).phone_number == bought.phone_number


def _is_rent(request: httpx.Request) -> bool:
    return request.method == "POST" and request.url.path.endswith(":rent")


async def test_a_purchase_sent_when_the_deadline_ran_out_is_settled_by_a_look_up_in_its_grace() -> None:
    # The carrier bought the number, but its answer came too late: the look-up that settles it
    # still runs (past the deadline, within the grace) and finds the number.
    async def late_answer(
        request: httpx.Request, forward: Callable[[], Awaitable[httpx.Response]]
    ) -> httpx.Response:
        response = await forward()
        if _is_rent(request):
            await anyio.sleep(30)
        return response

    async with carrier_before("sinch", late_answer, deadline=0.5) as (carrier, clean):
        wanted = (await clean.search(area_code="415", limit=1))[0].phone_number
        started = time.monotonic()
        bought = await carrier.purchase(wanted)
        took = time.monotonic() - started
    assert bought.phone_number == wanted
    assert 0.5 <= took < 0.5 + 1.0, took


async def test_a_purchase_whose_look_up_runs_out_of_grace_is_an_unknown_outcome(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_deadline, "SETTLE_GRACE", 0.3)
    rents: list[str] = []

    async def nothing_answers(
        request: httpx.Request, forward: Callable[[], Awaitable[httpx.Response]]
    ) -> httpx.Response:
        if _is_rent(request):
            rents.append(request.url.path)
            await forward()  # the carrier buys it
        elif not rents:
            return await forward()  # the login, the look-up before the purchase
        await anyio.sleep(30)  # the purchase's answer, and every look-up after it
        raise AssertionError("cancelled before")

    async with carrier_before("sinch", nothing_answers, deadline=0.5) as (carrier, clean):
        wanted = (await clean.search(area_code="415", limit=1))[0].phone_number
        started = time.monotonic()
        with pytest.raises(nc.OutcomeUnknownError) as unknown:
            await carrier.purchase(wanted)
        took = time.monotonic() - started
        assert (await clean.get(wanted)).phone_number == wanted  # it was bought: never "not bought"
    assert unknown.value.number == wanted
    assert len(rents) == 1  # never sent twice
    assert 0.5 + 0.3 <= took < 0.5 + 0.3 + 0.5, took


# -- the HTTP core under a call's deadline --------------------------------------------------------------

BASE = "https://api.example.com/v1"


def make_core(deadline: float = 60) -> HttpCore:
    from numbers_core._http import RetryPolicy

    return HttpCore(
        "test",
        base_url=BASE,
        error_mapper=lambda r: error_for_status(r.status_code, provider="test", message="error"),
        retry=RetryPolicy(attempts=5, initial_wait=0.001, deadline=deadline),
    )


@pytest.mark.parametrize("idempotency", [Idempotency.UNSAFE, Idempotency.SAFE])
async def test_a_request_after_the_calls_deadline_is_not_sent(idempotency: Idempotency) -> None:
    # A purchase cancelled before it went out would be taken for one that may have been made.
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        route = mock.post("/numbers").mock(return_value=httpx.Response(201, json={}))
        core = make_core()
        with call_deadline(0.05):
            await anyio.sleep(0.1)
            with pytest.raises(nc.TransportError, match="passed before this request could be sent") as caught:
                await core.request("POST", "numbers", idempotency=idempotency, operation="purchase")
        await core.aclose()
    assert not isinstance(caught.value, nc.OutcomeUnknownError)
    assert route.call_count == 0


async def test_the_calls_deadline_wins_over_the_cores_own() -> None:
    waits: list[float] = []
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        mock.get("/numbers").mock(return_value=httpx.Response(503, headers={"Retry-After": "0.2"}))
        core = make_core(deadline=60)
        started = time.monotonic()
        with call_deadline(0.3), pytest.raises(nc.ProviderUnavailableError):
            await core.request("GET", "numbers", idempotency=Idempotency.SAFE, operation="get")
        waits.append(time.monotonic() - started)
        await core.aclose()
    assert waits[0] < 0.3 + 0.1  # one wait of 0.2 s; a second would end past 0.3 s


async def test_a_call_within_a_call_keeps_the_outer_deadline() -> None:
    with call_deadline(1.0):
        outer = _deadline.call_end()
        with call_deadline(100.0):
            assert _deadline.call_end() == outer
    assert _deadline.call_end() is None
