"""HTTPS policy, link following and path encoding: where requests may go and what their paths are."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace

import httpx
import pytest
import respx
from numbers_core._http import HttpCore, Idempotency, check_url_policy, path_segment, phone_segment
from numbers_core.errors import ConfigurationError, InvalidInputError, ProtocolError, error_for_status

BASE = "https://api.example.com/v1"


def make_core(base_url: str = BASE, *, allow_insecure_http: bool = False) -> HttpCore:
    return HttpCore(
        "test",
        base_url=base_url,
        error_mapper=lambda r: error_for_status(r.status_code, provider="test", message="error"),
        allow_insecure_http=allow_insecure_http,
    )


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as router:
        yield router


# -- check_url_policy --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://api.example.com",
        "https://api.example.com:8443/v1/",
        "http://127.0.0.1:8080",
        "http://127.10.20.30",
        "http://[::1]:9000/api",
        "http://localhost:8000",
        "http://LOCALHOST",
    ],
)
def test_allowed_urls(url: str) -> None:
    assert check_url_policy(url).host == httpx.URL(url).host


@pytest.mark.parametrize(
    "url",
    [
        "http://api.example.com",
        "http://10.0.0.1",
        "http://0.0.0.0",
        "http://127.0.0.1.example.com",
        "http://localhost.example.com",
        "http://evil.localhost",
        "http://[::ffff:7f00:1]",
    ],
)
def test_plain_http_elsewhere_than_loopback_is_refused(url: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        check_url_policy(url, setting="api_url")
    assert caught.value.setting == "api_url"
    assert "allow_insecure_http" in str(caught.value)


def test_plain_http_elsewhere_when_explicitly_allowed() -> None:
    assert check_url_policy("http://api.example.com", allow_insecure_http=True).scheme == "http"


@pytest.mark.parametrize("url", ["ftp://api.example.com", "api.example.com", "https://", ""])
def test_what_is_not_an_http_url_is_refused(url: str) -> None:
    with pytest.raises(ConfigurationError):
        check_url_policy(url)


def test_a_url_that_is_not_a_string_is_refused() -> None:
    with pytest.raises(ConfigurationError):
        check_url_policy(None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "url",
    [
        "https://AC123:hunter2-token@api.example.com",
        "http://AC123:hunter2-token@127.0.0.1:8080",
        "ftp://AC123:hunter2-token@api.example.com",
        "https://hunter2-token@api.example.com",
    ],
)
def test_credentials_in_the_url_are_refused_without_being_echoed(url: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        check_url_policy(url)
    assert "hunter2-token" not in str(caught.value)
    assert "hunter2-token" not in repr(caught.value)


def test_the_core_applies_the_policy_to_its_base_url() -> None:
    with pytest.raises(ConfigurationError):
        make_core("http://api.example.com")
    assert make_core("http://api.example.com", allow_insecure_http=True).base_url.scheme == "http"


# -- HttpCore.url ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("numbers", "https://api.example.com/v1/numbers"),
        ("numbers/%2B14155550123", "https://api.example.com/v1/numbers/%2B14155550123"),
        ("/v2/numbers?page=2", "https://api.example.com/v2/numbers?page=2"),
        (
            "https://api.example.com/v1/numbers?PageToken=abc",
            "https://api.example.com/v1/numbers?PageToken=abc",
        ),
        ("https://api.example.com:443/v1/numbers", "https://api.example.com/v1/numbers"),
        # A scheme-relative link stays a path on our own origin.
        ("//evil.example.net/x", "https://api.example.com//evil.example.net/x"),
    ],
)
def test_links_on_our_origin_are_resolved(path: str, expected: str) -> None:
    assert str(make_core().url(path)) == expected


@pytest.mark.parametrize(
    "link",
    [
        "https://evil.example.net/v1/numbers",
        "http://api.example.com/v1/numbers",
        "https://api.example.com:8443/v1/numbers",
        "https://api.example.com.evil.example.net/v1",
        "HTTPS://evil.example.net/v1",
    ],
)
def test_links_to_another_origin_are_refused(link: str) -> None:
    with pytest.raises(ProtocolError, match="another origin"):
        make_core().url(link)


@pytest.mark.parametrize(
    "link", ["https://user:pw@api.example.com/v1", "https://api.example.com:99999/", "/é"]
)
def test_unusable_links_are_protocol_errors(link: str) -> None:
    with pytest.raises(ProtocolError) as caught:
        make_core().url(link)
    assert "pw@" not in str(caught.value)


@pytest.mark.anyio
async def test_a_foreign_next_link_receives_nothing(mock: respx.MockRouter) -> None:
    evil = mock.get(host="evil.example.net").mock(return_value=httpx.Response(200))
    core = HttpCore(
        "test",
        base_url=BASE,
        error_mapper=lambda r: error_for_status(r.status_code, provider="test", message="error"),
        auth=httpx.BasicAuth("AC123", "token"),
    )
    with pytest.raises(ProtocolError):
        await core.request(
            "GET",
            "https://evil.example.net/v1/numbers?page=2",
            idempotency=Idempotency.SAFE,
            operation="list",
        )
    await core.aclose()
    assert evil.call_count == 0
    assert mock.calls.call_count == 0


# -- path segments -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "encoded"),
    [
        ("PN123", "PN123"),
        ("+14155550123", "%2B14155550123"),
        ("a/b", "a%2Fb"),
        ("../admin", "..%2Fadmin"),
        ("x?admin=1", "x%3Fadmin%3D1"),
        ("x#frag", "x%23frag"),
        ("%2F", "%252F"),
        ("a b", "a%20b"),
        ("...", "..."),
        ("é", "%C3%A9"),
        ("\r\nHost: evil", "%0D%0AHost%3A%20evil"),
    ],
)
def test_path_segment_encodes_everything_that_could_change_the_path(value: str, encoded: str) -> None:
    assert path_segment(value) == encoded


@pytest.mark.parametrize("value", ["", ".", "..", None, 42])
def test_path_segment_refuses_what_cannot_be_a_segment(value: object) -> None:
    with pytest.raises(InvalidInputError) as caught:
        path_segment(value, field="sid")  # type: ignore[arg-type]
    assert caught.value.field == "sid"


@pytest.mark.parametrize(
    "number", ["+14155550123", "+1 (415) 555-0123", SimpleNamespace(phone_number="+14155550123")]
)
def test_phone_segment(number: object) -> None:
    assert phone_segment(number) == "%2B14155550123"


@pytest.mark.parametrize(
    "number", ["+1415", "4155550123", "+14155550123/../../admin", "+1415555012#", "not a number", "", None]
)
def test_phone_segment_refuses_invalid_numbers(number: object) -> None:
    with pytest.raises(InvalidInputError) as caught:
        phone_segment(number)
    assert caught.value.field == "number"


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("value", "raw_path"),
    [
        ("PN123", b"/v1/IncomingPhoneNumbers/PN123.json"),
        ("../../admin?x=1#y", b"/v1/IncomingPhoneNumbers/..%2F..%2Fadmin%3Fx%3D1%23y.json"),
        ("%2e%2e", b"/v1/IncomingPhoneNumbers/%252e%252e.json"),
    ],
)
async def test_the_path_sent_is_exactly_the_encoded_one(
    mock: respx.MockRouter, value: str, raw_path: bytes
) -> None:
    route = mock.route(host="api.example.com").mock(return_value=httpx.Response(200, json={}))
    core = make_core()
    await core.request(
        "GET",
        f"IncomingPhoneNumbers/{path_segment(value)}.json",
        idempotency=Idempotency.SAFE,
        operation="get",
    )
    await core.aclose()
    sent = route.calls.last.request.url
    assert sent.raw_path == raw_path
    assert sent.query == b""
    assert sent.fragment == ""


@pytest.mark.anyio
async def test_a_phone_number_reaches_the_wire_as_one_segment(mock: respx.MockRouter) -> None:
    route = mock.route(host="api.example.com").mock(return_value=httpx.Response(204))
    core = make_core()
    await core.request(
        "DELETE",
        f"numbers/{phone_segment('+14155550123')}",
        idempotency=Idempotency.IDEMPOTENT,
        operation="release",
    )
    await core.aclose()
    assert route.calls.last.request.url.raw_path == b"/v1/numbers/%2B14155550123"


@pytest.mark.anyio
async def test_an_invalid_number_sends_nothing(mock: respx.MockRouter) -> None:
    core = make_core()
    with pytest.raises(InvalidInputError):
        await core.request(
            "DELETE",
            f"numbers/{phone_segment('+1415/../admin')}",
            idempotency=Idempotency.IDEMPOTENT,
            operation="release",
        )
    await core.aclose()
    assert mock.calls.call_count == 0


# -- redirects -----------------------------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_a_redirect_to_another_origin_is_not_followed_whatever_the_client_says(
    mock: respx.MockRouter, status: int
) -> None:
    evil = mock.get(host="evil.example.net").mock(return_value=httpx.Response(200, json=[]))
    mock.get(f"{BASE}/numbers").mock(
        return_value=httpx.Response(status, headers={"Location": "https://evil.example.net/v1/numbers"})
    )
    async with httpx.AsyncClient(follow_redirects=True) as client:
        core = HttpCore(
            "test",
            base_url=BASE,
            error_mapper=lambda r: error_for_status(r.status_code, provider="test", message="error"),
            auth=httpx.BasicAuth("AC123", "token"),
            http_client=client,
        )
        with pytest.raises(ProtocolError) as caught:
            await core.request("GET", "numbers", idempotency=Idempotency.SAFE, operation="list")
    assert evil.call_count == 0
    assert caught.value.status_code == status
    assert str(caught.value) == (
        f"test: HTTP {status}, a redirect to another origin (https://evil.example.net); not followed: "
        "requests and credentials go to https://api.example.com only"
    )


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("headers", "where"),
    [
        ({"Location": "/v1/elsewhere"}, "a redirect to /v1/elsewhere"),
        ({"Location": "elsewhere"}, "a redirect to /v1/elsewhere"),
        ({}, "a redirect without a usable Location"),
    ],
)
async def test_a_redirect_on_the_same_origin_is_not_followed_either(
    mock: respx.MockRouter, headers: dict[str, str], where: str
) -> None:
    # A carrier's API answers where it is asked: a redirect is a proxy's, and a purchase re-sent
    # wherever it points is not safe.
    elsewhere = mock.get(f"{BASE}/elsewhere").mock(return_value=httpx.Response(200, json=[]))
    mock.get(f"{BASE}/numbers").mock(return_value=httpx.Response(302, headers=headers))
    async with httpx.AsyncClient(follow_redirects=True) as client:
        core = HttpCore(
            "test",
            base_url=BASE,
            error_mapper=lambda r: error_for_status(r.status_code, provider="test", message="error"),
            http_client=client,
        )
        with pytest.raises(ProtocolError) as caught:
            await core.request("GET", "numbers", idempotency=Idempotency.SAFE, operation="list")
    assert elsewhere.call_count == 0
    assert where in str(caught.value)
