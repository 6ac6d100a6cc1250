"""The core's client: made lazily with explicit timeouts, the user's never closed, none after close."""

from __future__ import annotations

import httpx
import pytest
from numbers_core._http import DEFAULT_LIMITS, DEFAULT_TIMEOUT, HttpCore, Idempotency
from numbers_core.errors import TransportError, error_for_status

pytestmark = pytest.mark.anyio

BASE = "https://api.example.com/v1"


class Recorder:
    """An httpx.MockTransport handler that remembers what it was sent."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(200, json={"ok": True})


def make_core(**kwargs: object) -> HttpCore:
    return HttpCore(
        "test",
        base_url=BASE,
        error_mapper=lambda r: error_for_status(r.status_code, provider="test", message="error"),
        **kwargs,  # type: ignore[arg-type]
    )


async def get(core: HttpCore) -> httpx.Response:
    return await core.request("GET", "numbers", idempotency=Idempotency.SAFE, operation="list")


def test_construction_needs_no_event_loop_and_opens_nothing() -> None:
    core = make_core()
    assert core._client is None


async def test_our_client_is_made_once_with_explicit_timeouts_and_limits() -> None:
    recorder = Recorder()
    timeout = httpx.Timeout(12.0, connect=3.0)
    core = make_core(timeout=timeout, transport=httpx.MockTransport(recorder))
    await get(core)
    client = core._get_client()
    await get(core)
    assert core._get_client() is client
    assert client.timeout == timeout
    assert client.follow_redirects is False
    assert len(recorder.requests) == 2
    # The timeouts travel with each request down to the transport.
    assert recorder.requests[0].extensions["timeout"] == timeout.as_dict()
    await core.aclose()


async def test_default_timeouts_are_explicit() -> None:
    core = make_core(transport=httpx.MockTransport(Recorder()))
    assert core._get_client().timeout == DEFAULT_TIMEOUT
    assert DEFAULT_TIMEOUT.read is not None
    assert DEFAULT_TIMEOUT.connect is not None
    await core.aclose()


async def test_our_client_is_closed_by_aclose() -> None:
    core = make_core(transport=httpx.MockTransport(Recorder()))
    await get(core)
    client = core._get_client()
    await core.aclose()
    assert client.is_closed
    await core.aclose()  # twice is fine


async def test_a_user_supplied_client_is_used_and_left_open() -> None:
    recorder = Recorder()
    async with httpx.AsyncClient(transport=httpx.MockTransport(recorder)) as users:
        core = make_core(http_client=users)
        await get(core)
        await core.aclose()
        assert not users.is_closed
        assert len(recorder.requests) == 1
        # Our headers and the base URL still apply to the user's client.
        assert recorder.requests[0].url == "https://api.example.com/v1/numbers"
        assert recorder.requests[0].headers["accept"] == "application/json"
        assert recorder.requests[0].headers["user-agent"].startswith("numbers-core/")


async def test_auth_goes_with_every_request() -> None:
    recorder = Recorder()
    core = make_core(transport=httpx.MockTransport(recorder), auth=httpx.BasicAuth("AC1", "tok"))
    await get(core)
    await core.aclose()
    assert recorder.requests[0].headers["authorization"] == httpx.BasicAuth("AC1", "tok")._auth_header


@pytest.mark.parametrize("users_client", [False, True])
async def test_use_after_close_is_a_transport_error_and_sends_nothing(users_client: bool) -> None:
    recorder = Recorder()
    async with httpx.AsyncClient(transport=httpx.MockTransport(recorder)) as users:
        core = (
            make_core(http_client=users)
            if users_client
            else make_core(transport=httpx.MockTransport(recorder))
        )
        await get(core)
        await core.aclose()
        with pytest.raises(TransportError, match="closed") as caught:
            await get(core)
        assert caught.value.retryable is False
        assert len(recorder.requests) == 1


def test_a_half_built_core_still_has_a_repr() -> None:
    # A core whose __init__ failed shows up in tracebacks and debuggers all the same.
    core = HttpCore.__new__(HttpCore)
    assert repr(core) == "<HttpCore '?' ?>"


def test_every_connection_allowed_is_kept_for_reuse() -> None:
    # With fewer kept than allowed, each wave of concurrent requests reopens the difference.
    assert DEFAULT_LIMITS.max_keepalive_connections == DEFAULT_LIMITS.max_connections
