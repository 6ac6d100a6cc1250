"""The HTTP core against a real server on 127.0.0.1: timeouts, resets, slow bodies, refusals.

Every test is bounded by short client timeouts; the server's threads end when
the ``serve`` fixture stops it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import anyio
import httpx
import pytest
from numbers_core._http import HttpCore, Idempotency, RetryPolicy
from numbers_core.errors import (
    OutcomeUnknownError,
    ProtocolError,
    ProviderError,
    ProviderUnavailableError,
    TransportError,
    error_for_status,
)
from scripted_server import ScriptedServer, answer, hang, reset_mid_body, trickle

pytestmark = pytest.mark.anyio

Serve = Callable[..., ScriptedServer]
FAST = RetryPolicy(attempts=3, initial_wait=0.001, max_wait=0.01)


def by_status(response: httpx.Response) -> ProviderError:
    return error_for_status(response.status_code, provider="test", message=response.reason_phrase)


def make_core(base_url: str, *, read: float = 0.3, **kwargs: Any) -> HttpCore:
    kwargs.setdefault("retry", FAST)
    return HttpCore(
        "test",
        base_url=base_url,
        error_mapper=by_status,
        timeout=httpx.Timeout(read, connect=1.0),
        **kwargs,
    )


class CountingTransport(httpx.AsyncBaseTransport):
    """A real transport that counts what is handed to it: where no server can count."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.calls = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def purchase(core: HttpCore) -> httpx.Response:
    return await core.request(
        "POST",
        "/numbers",
        idempotency=Idempotency.UNSAFE,
        operation="purchase",
        number="+14155550123",
        data={"PhoneNumber": "+14155550123"},
    )


async def test_read_timeout_retries_a_safe_request_then_raises_transport_error(serve: Serve) -> None:
    server = serve(hang)
    async with make_core(server.url, read=0.2) as core:
        with pytest.raises(TransportError) as caught:
            await core.request("GET", "/numbers", idempotency=Idempotency.SAFE, operation="list")
    assert type(caught.value) is TransportError
    assert caught.value.retryable is True
    assert "no answer from" in str(caught.value)
    assert server.count == FAST.attempts


async def test_read_timeout_on_a_purchase_is_outcome_unknown_after_one_request(serve: Serve) -> None:
    server = serve(hang)
    async with make_core(server.url, read=0.2) as core:
        with pytest.raises(OutcomeUnknownError) as caught:
            await purchase(core)
    assert caught.value.operation == "purchase"
    assert caught.value.number == "+14155550123"
    assert caught.value.retryable is False
    assert server.count == 1
    assert server.received[0].method == "POST"
    assert server.received[0].body == b"PhoneNumber=%2B14155550123"


async def test_connection_reset_mid_response_is_retried_for_a_safe_request(serve: Serve) -> None:
    server = serve(reset_mid_body, answer(200, b'{"items": []}'))
    async with make_core(server.url) as core:
        data = await core.request_json("GET", "/numbers", idempotency=Idempotency.SAFE, operation="list")
    assert data == {"items": []}
    assert server.count == 2


async def test_connection_reset_mid_response_on_a_purchase_is_outcome_unknown(serve: Serve) -> None:
    server = serve(reset_mid_body, answer(201, b"{}"))
    async with make_core(server.url) as core:
        with pytest.raises(OutcomeUnknownError):
            await purchase(core)
    assert server.count == 1


async def test_body_slower_than_the_read_timeout_times_out(serve: Serve) -> None:
    server = serve(trickle(size=20, gap=0.5))
    async with make_core(
        server.url, read=0.2, retry=RetryPolicy(attempts=2, initial_wait=0.001, max_wait=0.01)
    ) as core:
        with pytest.raises(TransportError, match="no answer from"):
            await core.request("GET", "/numbers", idempotency=Idempotency.SAFE, operation="list")
    assert server.count == 2


async def test_body_trickling_within_the_read_timeout_still_meets_the_exchange_deadline(
    serve: Serve,
) -> None:
    # Each byte arrives well within the read timeout, but the whole body would take 5 s.
    server = serve(trickle(size=100, gap=0.05))
    async with make_core(server.url, read=0.5) as core:
        # The exchange's deadline is the longest step timeout (connect, 1 s): far below the 5 s trickle.
        with pytest.raises(OutcomeUnknownError, match="no complete answer within"):
            await purchase(core)
    assert server.count == 1


async def test_connection_refused_is_retried_even_for_a_purchase(refused_url: str) -> None:
    transport = CountingTransport()
    async with make_core(refused_url, transport=transport) as core:
        with pytest.raises(TransportError) as caught:
            await purchase(core)
    # Nothing was sent, so trying again cannot buy twice: not an OutcomeUnknownError.
    assert type(caught.value) is TransportError
    assert caught.value.retryable is True
    assert "(connection refused)" in str(caught.value)
    assert transport.calls == FAST.attempts


async def test_503_then_200(serve: Serve) -> None:
    server = serve(answer(503, b'{"message": "busy"}'), answer(200, b'{"ok": true}'))
    async with make_core(server.url) as core:
        data = await core.request_json("GET", "/numbers", idempotency=Idempotency.SAFE, operation="list")
    assert data == {"ok": True}
    assert [r.target for r in server.received] == ["/numbers", "/numbers"]


async def test_503_on_a_purchase_is_outcome_unknown_and_not_resent(serve: Serve) -> None:
    server = serve(answer(503), answer(201, b"{}"))
    async with make_core(server.url) as core:
        with pytest.raises(OutcomeUnknownError) as caught:
            await purchase(core)
    assert isinstance(caught.value.__cause__, ProviderUnavailableError)
    assert server.count == 1


async def test_a_purchase_answered_with_a_body_that_does_not_decode_is_an_unknown_outcome(
    serve: Serve,
) -> None:
    # A 201 whose body is not the gzip its header says: it may well have bought the number.
    # (tests/http/test_retry.py has the same over httpx's own client, which fails it elsewhere.)
    server = serve(answer(201, b"{}", headers=[("Content-Encoding", "gzip")]))
    async with make_core(server.url) as core:
        with pytest.raises(OutcomeUnknownError) as caught:
            await purchase(core)
    assert (caught.value.operation, caught.value.number) == ("purchase", "+14155550123")
    assert "may or may not have taken effect" in str(caught.value)
    assert "DecodingError" not in str(caught.value)  # httpx's words are not the user's
    # What Provider._reconcile_purchase reads: an answer that came and cannot be read.
    assert isinstance(caught.value.__cause__, ProtocolError)
    assert server.count == 1


async def test_429_then_201_resends_a_purchase(serve: Serve) -> None:
    server = serve(answer(429, headers=[("Retry-After", "0")]), answer(201, b'{"sid": "PN1"}'))
    async with make_core(server.url) as core:
        response = await purchase(core)
    assert response.status_code == 201
    assert server.count == 2


async def test_pool_limit_applies_and_a_pool_timeout_counts_as_not_sent(serve: Serve) -> None:
    server = serve(hang)
    async with (
        HttpCore(
            "test",
            base_url=server.url,
            error_mapper=by_status,
            timeout=httpx.Timeout(5.0, pool=0.1),
            limits=httpx.Limits(max_connections=1),
            retry=RetryPolicy(attempts=2, initial_wait=0.001, max_wait=0.01),
        ) as core,
        anyio.create_task_group() as tg,
    ):
        # This GET holds the only connection until it is cancelled below.
        tg.start_soon(partial(core.request, "GET", "/slow", idempotency=Idempotency.SAFE, operation="list"))
        while server.count == 0:  # noqa: ASYNC110 - the server counts in a thread of its own
            await anyio.sleep(0.01)
        with pytest.raises(TransportError) as caught:
            await purchase(core)
        tg.cancel_scope.cancel()
    assert type(caught.value) is TransportError
    assert "no free connection" in str(caught.value)
    # The purchase never reached the server: only the GET did.
    assert [r.method for r in server.received] == ["GET"]


async def test_cancellation_is_not_retried_or_swallowed(serve: Serve) -> None:
    server = serve(hang)
    async with make_core(server.url, read=5.0) as core:
        with anyio.move_on_after(0.3) as scope:
            await core.request("GET", "/numbers", idempotency=Idempotency.SAFE, operation="list")
        # The core still works after a cancelled request.
        server.script = [answer(200, b"[]")]
        assert (
            await core.request_json("GET", "/numbers", idempotency=Idempotency.SAFE, operation="list") == []
        )
    assert scope.cancelled_caught
    assert server.count == 2
