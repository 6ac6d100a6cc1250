"""The retry loop, wire-level with respx: what is retried, how often, how long it waits, what escapes."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest
import respx
from numbers_core import _http
from numbers_core._http import HttpCore, Idempotency, RetryPolicy, retry_after_seconds
from numbers_core.errors import (
    ConfigurationError,
    NotFoundError,
    NumberUnavailableError,
    OutcomeUnknownError,
    ProtocolError,
    ProviderError,
    ProviderUnavailableError,
    RateLimitError,
    TransportError,
    error_for_status,
)

pytestmark = pytest.mark.anyio

BASE = "https://api.example.com/v1"
FAST = RetryPolicy(attempts=3, initial_wait=0.001, max_wait=0.01)
NUMBER = "+14155550123"


def by_status(response: httpx.Response) -> ProviderError:
    return error_for_status(response.status_code, provider="test", message=response.reason_phrase)


def make_core(retry: RetryPolicy = FAST, mapper: _http.ErrorMapper = by_status) -> HttpCore:
    return HttpCore("test", base_url=BASE, error_mapper=mapper, retry=retry)


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        yield router


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The waits the retry loop asks for, recorded instead of slept."""
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    monkeypatch.setattr(_http, "_sleep", record)
    return waits


async def get(core: HttpCore) -> httpx.Response:
    return await core.request("GET", "numbers", idempotency=Idempotency.SAFE, operation="list")


async def purchase(core: HttpCore) -> httpx.Response:
    return await core.request(
        "POST", "numbers", idempotency=Idempotency.UNSAFE, operation="purchase", number=NUMBER
    )


# -- SAFE and IDEMPOTENT ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ConnectError,
        httpx.ConnectTimeout,
        httpx.ReadTimeout,
        httpx.ReadError,
        httpx.RemoteProtocolError,
        httpx.WriteTimeout,
        httpx.PoolTimeout,
    ],
)
@pytest.mark.parametrize(
    ("method", "idempotency"), [("GET", Idempotency.SAFE), ("DELETE", Idempotency.IDEMPOTENT)]
)
async def test_repeatable_requests_survive_transport_failures(
    mock: respx.MockRouter, failure: type[Exception], method: str, idempotency: Idempotency
) -> None:
    route = mock.request(method, "/numbers/x").mock(side_effect=[failure("boom"), httpx.Response(204)])
    response = await make_core().request(method, "numbers/x", idempotency=idempotency, operation="op")
    assert response.status_code == 204
    assert route.call_count == 2


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
async def test_repeatable_requests_survive_429_and_5xx(mock: respx.MockRouter, status: int) -> None:
    route = mock.get("/numbers").mock(side_effect=[httpx.Response(status), httpx.Response(200, json=[])])
    assert (await get(make_core())).status_code == 200
    assert route.call_count == 2


async def test_exhausted_transport_failures_raise_a_retryable_transport_error(mock: respx.MockRouter) -> None:
    route = mock.get("/numbers").mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(TransportError) as caught:
        await get(make_core())
    assert type(caught.value) is TransportError
    assert caught.value.retryable is True
    assert isinstance(caught.value.__cause__, httpx.ReadTimeout)
    assert route.call_count == FAST.attempts


async def test_exhausted_429_raises_rate_limit_error(mock: respx.MockRouter) -> None:
    route = mock.get("/numbers").mock(return_value=httpx.Response(429, headers={"Retry-After": "0"}))
    with pytest.raises(RateLimitError) as caught:
        await get(make_core())
    assert caught.value.retry_after == 0.0
    assert route.call_count == FAST.attempts


async def test_exhausted_5xx_raises_provider_unavailable(mock: respx.MockRouter) -> None:
    route = mock.get("/numbers").mock(return_value=httpx.Response(502))
    with pytest.raises(ProviderUnavailableError) as caught:
        await get(make_core())
    assert caught.value.status_code == 502
    assert route.call_count == FAST.attempts


async def test_client_errors_are_not_retried(mock: respx.MockRouter) -> None:
    route = mock.get("/numbers").mock(return_value=httpx.Response(404))
    with pytest.raises(NotFoundError):
        await get(make_core())
    assert route.call_count == 1


async def test_one_attempt_means_no_retry(mock: respx.MockRouter) -> None:
    route = mock.get("/numbers").mock(return_value=httpx.Response(503))
    with pytest.raises(ProviderUnavailableError):
        await get(make_core(RetryPolicy(attempts=1)))
    assert route.call_count == 1


# -- UNSAFE ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "failure",
    [httpx.ReadTimeout, httpx.ReadError, httpx.RemoteProtocolError, httpx.WriteTimeout, httpx.WriteError],
)
async def test_purchase_sent_once_when_the_outcome_is_unknown(
    mock: respx.MockRouter, failure: type[Exception]
) -> None:
    route = mock.post("/numbers").mock(side_effect=[failure("lost"), httpx.Response(201)])
    with pytest.raises(OutcomeUnknownError) as caught:
        await purchase(make_core())
    assert caught.value.operation == "purchase"
    assert caught.value.number == NUMBER
    assert caught.value.retryable is False
    assert isinstance(caught.value.__cause__, failure)
    assert route.call_count == 1


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_purchase_answered_5xx_is_outcome_unknown(mock: respx.MockRouter, status: int) -> None:
    route = mock.post("/numbers").mock(side_effect=[httpx.Response(status), httpx.Response(201)])
    with pytest.raises(OutcomeUnknownError) as caught:
        await purchase(make_core())
    assert isinstance(caught.value.__cause__, ProviderUnavailableError)
    assert caught.value.__cause__.status_code == status
    assert route.call_count == 1


@pytest.mark.parametrize(
    "refusal",
    [
        httpx.ConnectError("refused"),
        httpx.ConnectTimeout("no answer to SYN"),
        httpx.PoolTimeout("pool full"),
        httpx.Response(429),
    ],
    ids=["connect-error", "connect-timeout", "pool-timeout", "429"],
)
async def test_purchase_resent_when_provably_not_processed(
    mock: respx.MockRouter, refusal: Exception | httpx.Response
) -> None:
    route = mock.post("/numbers").mock(side_effect=[refusal, httpx.Response(201, json={"id": "PN1"})])
    response = await purchase(make_core())
    assert response.json() == {"id": "PN1"}
    assert route.call_count == 2


async def test_purchase_exhausted_on_connect_errors_is_a_plain_transport_error(
    mock: respx.MockRouter,
) -> None:
    route = mock.post("/numbers").mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(TransportError) as caught:
        await purchase(make_core())
    assert type(caught.value) is TransportError
    assert caught.value.retryable is True
    assert route.call_count == FAST.attempts


async def test_a_request_that_cannot_be_expressed_is_not_retried(mock: respx.MockRouter) -> None:
    route = mock.get("/numbers").mock(side_effect=httpx.LocalProtocolError("bad header"))
    with pytest.raises(TransportError) as caught:
        await get(make_core())
    assert caught.value.retryable is False
    assert route.call_count == 1


# -- waits -------------------------------------------------------------------------------------------


async def test_backoff_is_exponential_and_capped(
    mock: respx.MockRouter, sleeps: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Jitter at its ceiling shows the ceilings themselves.
    monkeypatch.setattr(random, "uniform", lambda low, high: high)
    mock.get("/numbers").mock(return_value=httpx.Response(503))
    with pytest.raises(ProviderUnavailableError):
        await get(make_core(RetryPolicy(attempts=6, initial_wait=1.0, max_wait=5.0)))
    assert sleeps == [1.0, 2.0, 4.0, 5.0, 5.0]


async def test_backoff_has_full_jitter(
    mock: respx.MockRouter, sleeps: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    drawn: list[tuple[float, float]] = []

    def uniform(low: float, high: float) -> float:
        drawn.append((low, high))
        return (low + high) / 3

    monkeypatch.setattr(random, "uniform", uniform)
    mock.get("/numbers").mock(return_value=httpx.Response(503))
    with pytest.raises(ProviderUnavailableError):
        await get(make_core(RetryPolicy(attempts=3, initial_wait=1.0, max_wait=5.0)))
    # Drawn from zero up to the ceiling, not from half of it.
    assert drawn[:2] == [(0.0, 1.0), (0.0, 2.0)]
    assert sleeps == pytest.approx([1 / 3, 2 / 3])


async def test_retry_after_seconds_is_waited(mock: respx.MockRouter, sleeps: list[float]) -> None:
    route = mock.get("/numbers").mock(
        side_effect=[httpx.Response(429, headers={"Retry-After": "7"}), httpx.Response(200)]
    )
    assert (await get(make_core())).status_code == 200
    assert sleeps == [7.0]
    assert route.call_count == 2


async def test_retry_after_http_date_is_waited(mock: respx.MockRouter, sleeps: list[float]) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    mock.get("/numbers").mock(
        side_effect=[httpx.Response(503, headers={"Retry-After": when}), httpx.Response(200)]
    )
    assert (await get(make_core())).status_code == 200
    assert len(sleeps) == 1
    # The date has whole seconds: between 29 and 30 s are left when it is read.
    assert 28.0 < sleeps[0] <= 30.0


async def test_retry_after_above_the_cap_is_raised_at_once(
    mock: respx.MockRouter, sleeps: list[float]
) -> None:
    route = mock.post("/numbers").mock(return_value=httpx.Response(429, headers={"Retry-After": "120"}))
    with pytest.raises(RateLimitError) as caught:
        await purchase(make_core(RetryPolicy(attempts=3, max_retry_after=60.0)))
    assert caught.value.retry_after == 120.0
    assert route.call_count == 1
    assert sleeps == []


async def test_5xx_retry_after_above_the_cap_is_raised_at_once(
    mock: respx.MockRouter, sleeps: list[float]
) -> None:
    route = mock.get("/numbers").mock(return_value=httpx.Response(503, headers={"Retry-After": "3600"}))
    with pytest.raises(ProviderUnavailableError):
        await get(make_core())
    assert route.call_count == 1
    assert sleeps == []


async def test_retry_after_from_the_mapper_wins(mock: respx.MockRouter, sleeps: list[float]) -> None:
    def mapper(response: httpx.Response) -> ProviderError:
        # As a carrier that says it in the body rather than the header.
        return error_for_status(
            response.status_code, provider="test", message="slow down", retry_after=response.json()["wait"]
        )

    mock.get("/numbers").mock(
        side_effect=[httpx.Response(429, json={"wait": 3}, headers={"Retry-After": "9"}), httpx.Response(200)]
    )
    await get(make_core(mapper=mapper))
    assert sleeps == [3.0]


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("5", 5.0),
        (" 2.5 ", 2.5),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),  # in the past
        ("Wed, 21 Oct 2015 07:28:30 GMT", 30.0),
        ("-3", None),
        ("inf", None),
        ("nan", None),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_parsing(header: str | None, seconds: float | None) -> None:
    now = datetime(2015, 10, 21, 7, 28, 0, tzinfo=UTC).timestamp()
    assert retry_after_seconds(header, now=now) == seconds


@pytest.mark.parametrize(
    "policy",
    [
        {"attempts": 0},
        {"initial_wait": -1.0},
        {"max_wait": float("nan")},
        {"max_retry_after": float("inf")},
    ],
)
def test_retry_policy_refuses_nonsense(policy: dict[str, float]) -> None:
    with pytest.raises(ConfigurationError):
        RetryPolicy(**policy)  # type: ignore[arg-type]


# -- the error mapper --------------------------------------------------------------------------------


async def test_the_mappers_error_is_raised(mock: respx.MockRouter) -> None:
    def mapper(response: httpx.Response) -> ProviderError:
        body = response.json()
        return NumberUnavailableError(body["message"], provider="test", status_code=400, code=body["code"])

    mock.post("/numbers").mock(return_value=httpx.Response(400, json={"code": "21422", "message": "gone"}))
    with pytest.raises(NumberUnavailableError) as caught:
        await purchase(make_core(mapper=mapper))
    assert caught.value.code == "21422"
    assert caught.value.message == "gone"


async def test_a_mapper_may_raise_instead_of_returning(mock: respx.MockRouter) -> None:
    def mapper(response: httpx.Response) -> ProviderError:
        raise NotFoundError("no such number", provider="test", status_code=response.status_code)

    mock.get("/numbers").mock(return_value=httpx.Response(404))
    with pytest.raises(NotFoundError, match="no such number"):
        await get(make_core(mapper=mapper))


def garbage_reader(response: httpx.Response) -> ProviderError:
    body = response.json()  # an HTML error page: ValueError
    return ProviderError(body["message"], provider="test")


def key_error_reader(response: httpx.Response) -> ProviderError:
    body: dict[str, str] = {"other": "field"}
    return ProviderError(body["message"], provider="test")


@pytest.mark.parametrize("mapper", [garbage_reader, key_error_reader])
async def test_a_failing_mapper_falls_back_to_the_status(
    mock: respx.MockRouter, mapper: _http.ErrorMapper
) -> None:
    mock.get("/numbers").mock(return_value=httpx.Response(404, html="<h1>Not here</h1>"))
    with pytest.raises(NotFoundError) as caught:
        await get(make_core(mapper=mapper))
    assert caught.value.status_code == 404


async def test_a_failing_mapper_on_5xx_still_retries(mock: respx.MockRouter) -> None:
    route = mock.get("/numbers").mock(
        side_effect=[httpx.Response(502, html="<h1>Bad gateway</h1>"), httpx.Response(200)]
    )
    assert (await get(make_core(mapper=garbage_reader))).status_code == 200
    assert route.call_count == 2


async def test_a_mapper_returning_nonsense_falls_back_to_the_status(mock: respx.MockRouter) -> None:
    mock.get("/numbers").mock(return_value=httpx.Response(409))
    with pytest.raises(ProviderError) as caught:
        await get(make_core(mapper=lambda response: None))  # type: ignore[arg-type]
    assert caught.value.status_code == 409


def protocol_reader(response: httpx.Response) -> ProtocolError:
    return ProtocolError(
        "unreadable", provider="test", status_code=response.status_code, body=response.content
    )


async def test_the_mappers_protocol_error_is_raised_for_a_client_error(mock: respx.MockRouter) -> None:
    mock.get("/numbers").mock(return_value=httpx.Response(400, text="???"))
    with pytest.raises(ProtocolError) as caught:
        await get(make_core(mapper=protocol_reader))
    assert caught.value.body == "???"


async def test_an_unreadable_5xx_is_an_outage_and_retried(mock: respx.MockRouter) -> None:
    route = mock.get("/numbers").mock(return_value=httpx.Response(503, text="<html>"))
    with pytest.raises(ProviderUnavailableError) as caught:
        await get(make_core(mapper=protocol_reader))
    assert isinstance(caught.value.__cause__, ProtocolError)
    assert route.call_count == FAST.attempts


# -- what escapes ------------------------------------------------------------------------------------


async def test_a_body_that_fails_its_content_encoding_is_a_protocol_error(mock: respx.MockRouter) -> None:
    # Raised as httpx raises it when a gzip body does not decompress.
    route = mock.get("/numbers").mock(side_effect=httpx.DecodingError("incorrect header check"))
    with pytest.raises(ProtocolError) as caught:
        await get(make_core())
    assert "does not decode as its Content-Encoding says" in str(caught.value)
    assert "DecodingError" not in str(caught.value)  # httpx's words are not the user's
    assert route.call_count == 1


async def test_a_purchase_answered_with_a_body_that_does_not_decode_is_an_unknown_outcome(
    mock: respx.MockRouter,
) -> None:
    # The answer may have been a 201: it may well have bought the number. (Over a real server:
    # tests/http/test_live_server.py.)
    route = mock.post("/numbers").mock(side_effect=httpx.DecodingError("incorrect header check"))
    with pytest.raises(OutcomeUnknownError) as caught:
        await purchase(make_core())
    assert (caught.value.operation, caught.value.number) == ("purchase", NUMBER)
    assert "DecodingError" not in str(caught.value)
    # What Provider._reconcile_purchase reads: an answer that came and cannot be read.
    assert isinstance(caught.value.__cause__, ProtocolError)
    assert route.call_count == 1


@pytest.mark.parametrize("status", [101, 301, 302, 303, 307, 308])
async def test_a_purchase_answered_1xx_or_3xx_is_an_unknown_outcome(
    mock: respx.MockRouter, status: int
) -> None:
    # Not a refusal: only a 4xx says that a purchase was not made.
    route = mock.post("/numbers").mock(
        side_effect=[httpx.Response(status, headers={"Location": "/elsewhere"}), httpx.Response(201)]
    )
    with pytest.raises(OutcomeUnknownError) as caught:
        await purchase(make_core())
    assert f"HTTP {status}" in str(caught.value)
    assert route.call_count == 1


@pytest.mark.parametrize("status", [400, 402, 404, 409, 422])
async def test_a_purchase_answered_4xx_was_refused(mock: respx.MockRouter, status: int) -> None:
    mock.post("/numbers").mock(return_value=httpx.Response(status))
    with pytest.raises(ProviderError) as caught:
        await purchase(make_core())
    assert caught.value.status_code == status


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"<html><body>Service temporarily unavailable</body></html>", "text/html"),
        (b'{"numbers": [{"phone_number": "+1415', "application/json"),
        (b"", "application/json"),
        (b"\xff\xfe\x00garbage", "application/json"),
    ],
    ids=["html", "truncated", "empty", "not-utf8"],
)
async def test_a_success_that_is_not_json_is_a_protocol_error(
    mock: respx.MockRouter, content: bytes, content_type: str
) -> None:
    mock.get("/numbers").mock(
        return_value=httpx.Response(200, content=content, headers={"Content-Type": content_type})
    )
    with pytest.raises(ProtocolError) as caught:
        await make_core().request_json("GET", "numbers", idempotency=Idempotency.SAFE, operation="list")
    assert caught.value.status_code == 200
    assert caught.value.body == content.decode("utf-8", errors="replace")
    assert content_type in str(caught.value)


def test_a_long_non_json_body_is_cut_to_an_excerpt() -> None:
    response = httpx.Response(200, text="x" * 5000)
    with pytest.raises(ProtocolError) as caught:
        make_core().decode_json(response)
    assert caught.value.body is not None
    assert caught.value.body.startswith("xxx")
    assert len(caught.value.body) < 1000
    assert len(str(caught.value)) < 300


# -- one deadline per call ---------------------------------------------------------------------------


async def test_retry_after_waits_count_against_the_calls_deadline(mock: respx.MockRouter) -> None:
    # Three honoured Retry-After waits used to make one call last three times its timeout.
    limited = mock.get("numbers").mock(return_value=httpx.Response(429, headers={"Retry-After": "0.3"}))
    core = make_core(RetryPolicy(attempts=10, initial_wait=0.001, deadline=0.5))
    with pytest.raises(RateLimitError) as caught:
        await get(core)
    # Tried, waited 0.3 s, tried again; a second wait would end past the deadline, so it is not waited.
    assert limited.call_count == 2
    assert caught.value.retry_after == 0.3


async def test_a_wait_longer_than_the_deadline_is_not_waited_at_all(
    mock: respx.MockRouter, sleeps: list[float]
) -> None:
    mock.get("numbers").mock(return_value=httpx.Response(503, headers={"Retry-After": "30"}))
    with pytest.raises(ProviderUnavailableError):
        await get(make_core(RetryPolicy(attempts=4, deadline=10)))
    assert sleeps == []


async def test_the_deadline_cuts_a_slow_read_short(mock: respx.MockRouter) -> None:
    import anyio

    async def slow(request: httpx.Request) -> httpx.Response:
        await anyio.sleep(5)
        return httpx.Response(200)

    mock.get("numbers").mock(side_effect=slow)
    with pytest.raises(TransportError, match="deadline") as caught:
        await get(make_core(RetryPolicy(attempts=3, deadline=0.2)))
    assert not isinstance(caught.value, OutcomeUnknownError)


async def test_a_purchase_cut_short_by_the_deadline_is_an_unknown_outcome(mock: respx.MockRouter) -> None:
    import anyio

    async def slow(request: httpx.Request) -> httpx.Response:
        await anyio.sleep(5)
        return httpx.Response(201)

    # respx traces nothing, so the request may have gone out: the outcome is unknown, never "not sent".
    mock.post("numbers").mock(side_effect=slow)
    with pytest.raises(OutcomeUnknownError) as caught:
        await purchase(make_core(RetryPolicy(attempts=3, deadline=0.2)))
    assert caught.value.number == NUMBER


@pytest.mark.parametrize("deadline", [0, -1, float("inf"), float("nan")])
def test_a_deadline_must_be_a_finite_positive_number(deadline: float) -> None:
    with pytest.raises(ConfigurationError, match="deadline"):
        RetryPolicy(deadline=deadline)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("99999999999999999999", 86_400.0),
        ("250000000000", 86_400.0),
        ("Fri, 31 Dec 9999 23:59:59 GMT", 86_400.0),
    ],
)
def test_retry_after_is_at_most_a_day(header: str, expected: float) -> None:
    assert retry_after_seconds(header) == expected


@pytest.mark.parametrize("given", [float("inf"), float("nan"), -1.0, 2.5e11])
def test_a_rate_limit_error_never_reports_an_insane_wait(given: float) -> None:
    error = RateLimitError("slow down", provider="test", retry_after=given)
    assert error.retry_after is None or error.retry_after == 86_400.0


async def test_a_carriers_own_text_and_urls_are_read_as_they_are(mock: respx.MockRouter) -> None:
    # What users send is checked strictly; what a carrier stores (a name with a newline set in its
    # console, a URL with a space) must not make the number, or a whole listing, unreadable.
    from numbers_core import ActiveNumber, NumberConfig, Route

    stored = {"name": "Support\nline \u202eevil", "url": "https://example.com/a b"}
    mock.get("/numbers").respond(200, json=stored)

    def parse(data: Any) -> ActiveNumber:
        config = NumberConfig(friendly_name=data["name"], voice=Route(url=data["url"]))
        return ActiveNumber(phone_number="+14155552671", id="1", provider="test", config=config)

    core = make_core()
    try:
        number = core.read(await get(core), parse, "get")
    finally:
        await core.aclose()
    assert number.config.friendly_name == stored["name"]
    assert number.config.voice is not None
    assert number.config.voice.url == stored["url"]
    with pytest.raises(ValueError, match="control character"):
        NumberConfig(friendly_name=stored["name"])
