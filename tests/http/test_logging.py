"""Logging on ``numbers_core.http``, and no secret anywhere: not in any log record, error or repr.

A canary secret is used as the Basic auth password, put in a URL query, and
echoed back by the carrier in error bodies, headers and success bodies; every
log record (all loggers, DEBUG and up) and every raised error (its whole
chain) is then searched for it.
"""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Callable, Iterator
from urllib.parse import quote, quote_plus

import httpx
import pytest
import respx
from numbers_core._http import HttpCore, Idempotency, RetryPolicy
from numbers_core.errors import (
    AuthenticationError,
    NotFoundError,
    NumbersError,
    OutcomeUnknownError,
    ProtocolError,
    ProviderError,
    ProviderUnavailableError,
    TransportError,
    error_for_status,
)
from scripted_server import ScriptedServer, answer

pytestmark = pytest.mark.anyio

BASE = "https://api.example.com/v1"
# Characters that get percent-encoded in a query, so that encoded spellings are checked too.
CANARY = "Canary/Secret+77=?&"
FORMS = {CANARY, quote(CANARY, safe=""), quote_plus(CANARY)}
FAST = RetryPolicy(attempts=3, initial_wait=0.001, max_wait=0.01)


def echoing_mapper(response: httpx.Response) -> ProviderError:
    """As adapters do: the carrier's message goes into the error (and here it echoes the secret)."""
    body = response.json()
    return error_for_status(
        response.status_code, provider="test", message=body["message"], code=body.get("code"), request_id=None
    )


def make_core(base_url: str = BASE, **kwargs: object) -> HttpCore:
    return HttpCore(
        "test",
        base_url=base_url,
        error_mapper=echoing_mapper,
        auth=httpx.BasicAuth("AC123", CANARY),
        secrets=[CANARY],
        retry=FAST,
        **kwargs,  # type: ignore[arg-type]
    )


def chain(error: BaseException | None) -> Iterator[BaseException]:
    """The exceptions a traceback of ``error`` shows."""
    while error is not None:
        yield error
        error = error.__cause__ or (None if error.__suppress_context__ else error.__context__)


def assert_clean(caplog: pytest.LogCaptureFixture, error: BaseException | None = None) -> None:
    for record in caplog.records:
        text = record.getMessage()
        assert not any(form in text for form in FORMS), (record.name, text)
    for link in chain(error):
        texts = [str(link), repr(link)]
        if isinstance(link, NumbersError):
            texts += [str(value) for value in vars(link).values()]
        for text in texts:
            assert not any(form in text for form in FORMS), (type(link).__name__, text)


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        yield router


@pytest.fixture(autouse=True)
def everything(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)


async def test_debug_line_per_exchange_and_info_line_per_retry(
    mock: respx.MockRouter, caplog: pytest.LogCaptureFixture
) -> None:
    mock.get("/numbers").mock(
        side_effect=[httpx.Response(503, json={"message": "busy"}), httpx.Response(200)]
    )
    core = make_core()
    await core.request("GET", "numbers", params={"Page": "2"}, idempotency=Idempotency.SAFE, operation="list")
    await core.aclose()
    ours = [r for r in caplog.records if r.name == "numbers_core.http"]
    exchanges = [r.getMessage() for r in ours if r.levelno == logging.DEBUG]
    pattern = r"test GET https://api\.example\.com/v1/numbers\?Page=2 -> {} in \d+\.\d ms"
    assert len(exchanges) == 2
    assert re.fullmatch(pattern.format(503), exchanges[0])
    assert re.fullmatch(pattern.format(200), exchanges[1])
    retries = [r.getMessage() for r in ours if r.levelno == logging.INFO]
    assert len(retries) == 1
    assert retries[0].startswith("test: attempt 1 failed (test: busy (HTTP 503)); retrying in ")


async def test_failed_exchanges_are_logged_too(
    mock: respx.MockRouter, caplog: pytest.LogCaptureFixture
) -> None:
    mock.post("/numbers").mock(side_effect=httpx.ReadTimeout("slow"))
    core = make_core()
    with pytest.raises(OutcomeUnknownError):
        await core.request("POST", "numbers", idempotency=Idempotency.UNSAFE, operation="purchase")
    messages = [r.getMessage() for r in caplog.records if r.name == "numbers_core.http"]
    assert any(re.fullmatch(r"test POST \S+/numbers -> ReadTimeout in \d+\.\d ms", m) for m in messages)


async def test_no_secret_in_logs_or_errors_through_retries_and_failures(
    mock: respx.MockRouter, caplog: pytest.LogCaptureFixture
) -> None:
    echo = {"message": f"token {CANARY} is not valid here", "code": CANARY}
    route = mock.get("/numbers").mock(
        side_effect=[
            httpx.ReadError(f"connection broken while sending {CANARY}"),
            httpx.Response(503, json=echo, headers={"X-Echo": CANARY}),
            httpx.Response(401, json=echo),
        ]
    )
    core = make_core()
    with pytest.raises(AuthenticationError) as caught:
        await core.request(
            "GET", "numbers", params={"api_key": CANARY}, idempotency=Idempotency.SAFE, operation="list"
        )
    await core.aclose()
    assert route.call_count == 3
    # The secret really went out (or the test would prove nothing)...
    sent = route.calls.last.request
    assert CANARY in sent.url.params["api_key"]
    assert sent.headers["authorization"] == "Basic " + base64.b64encode(f"AC123:{CANARY}".encode()).decode()
    # ...and came back in the error body, and was logged about, yet is nowhere to be read.
    assert caught.value.message == "token *** is not valid here"
    assert any(r.name == "httpx" for r in caplog.records)
    assert any(r.name == "numbers_core.http" and r.levelno == logging.INFO for r in caplog.records)
    assert_clean(caplog, caught.value)


async def test_no_secret_in_an_exhausted_transport_error(
    mock: respx.MockRouter, caplog: pytest.LogCaptureFixture
) -> None:
    mock.get("/numbers").mock(side_effect=httpx.ConnectError(f"cannot reach {CANARY}"))
    with pytest.raises(TransportError) as caught:
        await make_core().request(
            "GET", "numbers", params={"t": CANARY}, idempotency=Idempotency.SAFE, operation="list"
        )
    assert_clean(caplog, caught.value)


async def test_no_secret_in_outcome_unknown(mock: respx.MockRouter, caplog: pytest.LogCaptureFixture) -> None:
    mock.post("/numbers").mock(return_value=httpx.Response(500, json={"message": f"oops {CANARY}"}))
    with pytest.raises(OutcomeUnknownError) as caught:
        await make_core().request("POST", "numbers", idempotency=Idempotency.UNSAFE, operation="purchase")
    assert isinstance(caught.value.__cause__, ProviderUnavailableError)
    assert_clean(caplog, caught.value)


async def test_no_secret_when_the_mapper_fails_on_the_body(
    mock: respx.MockRouter, caplog: pytest.LogCaptureFixture
) -> None:
    # Not JSON: the echoing mapper fails and the status decides; the reason phrase echoes the secret.
    mock.get("/numbers").mock(
        return_value=httpx.Response(
            403, text=f"denied {CANARY}", extensions={"reason_phrase": CANARY.encode()}
        )
    )
    with pytest.raises(ProviderError) as caught:
        await make_core().request("GET", "numbers", idempotency=Idempotency.SAFE, operation="get")
    assert caught.value.status_code == 403
    assert_clean(caplog, caught.value)


async def test_no_secret_in_a_protocol_error_on_a_success_body(
    mock: respx.MockRouter, caplog: pytest.LogCaptureFixture
) -> None:
    mock.get("/numbers").mock(return_value=httpx.Response(200, text=f'{{"token": "{CANARY}", "trunc'))
    with pytest.raises(ProtocolError) as caught:
        await make_core().request_json("GET", "numbers", idempotency=Idempotency.SAFE, operation="list")
    assert caught.value.body is not None
    assert '"token": "***"' in caught.value.body
    assert_clean(caplog, caught.value)


async def test_no_secret_in_a_mapped_protocol_error(
    mock: respx.MockRouter, caplog: pytest.LogCaptureFixture
) -> None:
    def mapper(response: httpx.Response) -> ProtocolError:
        return ProtocolError(f"cannot read {response.text}", provider="test", body=response.content)

    mock.get("/numbers").mock(return_value=httpx.Response(400, text=f"<b>{CANARY}</b>"))
    core = HttpCore("test", base_url=BASE, error_mapper=mapper, secrets=[CANARY])
    with pytest.raises(ProtocolError) as caught:
        await core.request("GET", "numbers", idempotency=Idempotency.SAFE, operation="list")
    assert_clean(caplog, caught.value)


async def test_no_secret_in_a_refused_link(caplog: pytest.LogCaptureFixture) -> None:
    with pytest.raises(ProtocolError) as caught:
        make_core().url(f"/numbers?token={CANARY}é")
    assert_clean(caplog, caught.value)


async def test_no_secret_in_the_cores_repr() -> None:
    assert not any(form in repr(make_core()) for form in FORMS)


async def test_no_secret_in_the_wire_level_logs_of_a_real_exchange(
    serve: Callable[..., ScriptedServer], caplog: pytest.LogCaptureFixture
) -> None:
    # httpcore logs response headers at DEBUG; this server echoes the secret in one.
    server = serve(
        answer(200, b'{"ok": true}', headers=[("X-Echo", CANARY), ("X-Quoted", quote(CANARY, safe=""))])
    )
    # httpx's own stack (what a user's client or a proxy gets): the core's default one logs no wire detail.
    core = make_core(server.url, transport=httpx.AsyncHTTPTransport())
    await core.request(
        "GET", "numbers", params={"key": CANARY}, idempotency=Idempotency.SAFE, operation="list"
    )
    await core.aclose()
    assert server.received[0].headers["authorization"].startswith("Basic ")
    assert any(r.name.startswith("httpcore") for r in caplog.records)
    assert any("x-echo" in r.getMessage().lower() for r in caplog.records)
    assert_clean(caplog)


async def test_headers_logged_by_an_http2_stack_are_redacted(caplog: pytest.LogCaptureFixture) -> None:
    make_core()  # a live core with secrets installs the scrubber
    basic = base64.b64encode(f"AC123:{CANARY}".encode())
    logging.getLogger("hpack.hpack").debug(
        "HPACK encoding %s", [(b":method", b"GET"), (b"authorization", b"Basic " + basic)]
    )
    message = caplog.records[-1].getMessage()
    assert basic.decode() not in message
    assert "(b'authorization', b'***')" in message


async def test_no_secret_in_any_error_repr(mock: respx.MockRouter) -> None:
    """Errors of every kind the core raises, side by side."""
    mock.get("/a").mock(return_value=httpx.Response(404, json={"message": CANARY}))
    mock.get("/b").mock(return_value=httpx.Response(200, text=CANARY))
    core = make_core()
    errors: list[NumbersError] = []
    for path in ("a", "b"):
        try:
            await core.request_json("GET", path, idempotency=Idempotency.SAFE, operation="get")
        except NumbersError as raised:
            errors.append(raised)
    assert [type(e) for e in errors] == [NotFoundError, ProtocolError]
    for error in errors:
        assert not any(form in repr(error) or form in str(error) for form in FORMS)
