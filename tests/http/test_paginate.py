"""HttpCore.paginate: lazy, stops at the last page, refuses to loop."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import respx
from numbers_core._http import HttpCore, Idempotency
from numbers_core.errors import ProtocolError, error_for_status

pytestmark = pytest.mark.anyio

BASE = "https://api.example.com/v1"


def make_core() -> HttpCore:
    return HttpCore(
        "test",
        base_url=BASE,
        error_mapper=lambda r: error_for_status(r.status_code, provider="test", message="error"),
    )


class Pages:
    """``fetch`` for paginate over fixed pages; records the cursors it was asked for."""

    def __init__(self, pages: dict[str | None, tuple[list[int], str | None]]) -> None:
        self.pages = pages
        self.asked: list[str | None] = []

    async def __call__(self, cursor: str | None) -> tuple[list[int], str | None]:
        self.asked.append(cursor)
        # Bounded even if paginate were to follow a loop.
        assert len(self.asked) <= 10, "paginate keeps fetching"
        return self.pages[cursor]


async def drain(items: AsyncIterator[int], *, into: list[int]) -> None:
    async for item in items:
        into.append(item)


async def drain_numbers(numbers: AsyncIterator[Any], *, into: list[str]) -> None:
    async for number in numbers:
        into.append(number.phone_number)


async def test_pages_are_fetched_only_as_items_are_consumed() -> None:
    pages = Pages({None: ([1, 2], "p2"), "p2": ([3], None)})
    items = make_core().paginate(pages)
    assert pages.asked == []
    assert await anext(items) == 1
    assert await anext(items) == 2
    # Page 1 is used up, but nobody has asked for more yet.
    assert pages.asked == [None]
    assert await anext(items) == 3
    assert pages.asked == [None, "p2"]
    with pytest.raises(StopAsyncIteration):
        await anext(items)
    assert pages.asked == [None, "p2"]


@pytest.mark.parametrize("last", [None, ""])
async def test_iteration_stops_at_an_empty_cursor(last: str | None) -> None:
    pages = Pages({None: ([1], "a"), "a": ([2], "b"), "b": ([3], last)})
    assert [n async for n in make_core().paginate(pages)] == [1, 2, 3]
    assert pages.asked == [None, "a", "b"]


async def test_empty_pages_with_a_cursor_are_followed() -> None:
    pages = Pages({None: ([], "a"), "a": ([1], None)})
    assert [n async for n in make_core().paginate(pages)] == [1]


async def test_a_repeated_cursor_is_a_protocol_error() -> None:
    pages = Pages({None: ([1], "a"), "a": ([2], "b"), "b": ([3], "a")})
    seen: list[int] = []
    with pytest.raises(ProtocolError, match="repeats"):
        await drain(make_core().paginate(pages), into=seen)
    assert seen == [1, 2, 3]
    assert pages.asked == [None, "a", "b"]


async def test_a_repeating_cursor_is_never_quoted() -> None:
    # Carriers put tokens into their next-page links; the error names the page instead.
    secret = "PageToken=PAsecret&Signature=s3cr3t"
    pages = Pages({None: ([1], secret), secret: ([2], secret)})
    with pytest.raises(ProtocolError) as caught:
        _ = [n async for n in make_core().paginate(pages)]
    assert "s3cr3t" not in str(caught.value)
    assert "page 2" in str(caught.value)


async def test_the_provider_list_pager_never_quotes_a_cursor_either() -> None:
    from numbers_core import ActiveNumber, Feature, Provider, ProviderSettings

    class Echo(Provider):
        name = "echo"
        features = frozenset({Feature.LIST})

        async def _list_page(self, filters: dict[str, Any], cursor: str | None) -> Any:
            number = ActiveNumber(phone_number="+14155552671", id="1", provider="echo")
            return [number], "https://u:token-s3cr3t@example.com/next"

        _search = _purchase = _get = _configure = _release = None  # type: ignore[assignment]

    Echo.__abstractmethods__ = frozenset()
    with pytest.raises(ProtocolError) as caught:
        _ = [n async for n in Echo(ProviderSettings()).list()]
    assert "s3cr3t" not in str(caught.value)


async def test_a_cursor_repeating_itself_at_once_is_a_protocol_error() -> None:
    pages = Pages({None: ([1], "a"), "a": ([2], "a")})
    with pytest.raises(ProtocolError):
        _ = [n async for n in make_core().paginate(pages)]
    assert pages.asked == [None, "a"]


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as router:
        yield router


async def test_next_page_links_over_the_wire(mock: respx.MockRouter) -> None:
    """As an adapter uses it: the carrier's next-page link is the cursor."""
    # The more specific route first: respx matches params as a subset.
    second = mock.get(f"{BASE}/numbers", params={"PageSize": "2", "Page": "1"}).mock(
        return_value=httpx.Response(200, json={"items": [3], "next": None})
    )
    first = mock.get(f"{BASE}/numbers", params={"PageSize": "2"}).mock(
        return_value=httpx.Response(200, json={"items": [1, 2], "next": f"{BASE}/numbers?PageSize=2&Page=1"})
    )
    core = make_core()

    async def fetch(cursor: str | None) -> tuple[list[Any], str | None]:
        params = {"PageSize": "2"} if cursor is None else None
        body = await core.request_json(
            "GET", cursor or "numbers", params=params, idempotency=Idempotency.SAFE, operation="list"
        )
        return body["items"], body["next"]

    items = core.paginate(fetch)
    assert [await anext(items), await anext(items)] == [1, 2]
    assert (first.call_count, second.call_count) == (1, 0)
    assert [n async for n in items] == [3]
    assert (first.call_count, second.call_count) == (1, 1)
    await core.aclose()


async def test_a_next_page_link_to_another_origin_stops_iteration_with_an_error(
    mock: respx.MockRouter,
) -> None:
    mock.get(f"{BASE}/numbers").mock(
        return_value=httpx.Response(200, json={"items": [1], "next": "https://collector.example.net/steal"})
    )
    elsewhere = mock.get(host="collector.example.net").mock(return_value=httpx.Response(200, json={}))
    core = make_core()

    async def fetch(cursor: str | None) -> tuple[list[Any], str | None]:
        body = await core.request_json(
            "GET", cursor or "numbers", idempotency=Idempotency.SAFE, operation="list"
        )
        return body["items"], body["next"]

    seen: list[int] = []
    with pytest.raises(ProtocolError, match="another origin"):
        await drain(core.paginate(fetch), into=seen)
    await core.aclose()
    assert seen == [1]
    assert elsewhere.call_count == 0


@pytest.mark.parametrize(
    ("cursor", "problem"),
    [
        ("k" * 70_000, "a key of 70,000 characters"),
        ("k" * 4097, "a key of 4,097 characters"),
        ("\u00e9" * 20_000, "a key of 20,000 characters"),  # 120,000 characters once percent-encoded
        ("a\r\nb", "not plain text"),
        ("\ud800", "not plain text"),
    ],
)
async def test_a_next_page_key_that_no_url_can_carry_stops_with_a_protocol_error(
    cursor: str, problem: str
) -> None:
    pages = Pages({None: ([1, 2], cursor)})
    seen: list[int] = []
    with pytest.raises(ProtocolError, match=problem) as caught:
        await drain(make_core().paginate(pages), into=seen)
    assert seen == [1, 2]  # what the page held is handed out first
    assert pages.asked == [None]
    assert cursor not in str(caught.value)


async def test_a_next_page_key_of_the_longest_length_is_followed() -> None:
    longest = "k" * 4096
    pages = Pages({None: ([1], longest), longest: ([2], None)})
    assert [n async for n in make_core().paginate(pages)] == [1, 2]


# The adapters whose next-page key goes into the query of the next request (httpx.InvalidURL
# escaped from building it), and the key in their list answer.
NEXT_KEYS = {"sinch": "nextPageToken", "kazoo": "next_start_key"}
# How each one's list request is told from the others.
LISTING = {"sinch": "activeNumbers", "kazoo": "page_size"}


@pytest.mark.parametrize("name", sorted(NEXT_KEYS))
async def test_an_adapter_given_a_huge_next_page_key_says_so_in_the_error_tree(name: str) -> None:
    import json

    import numbers_core as nc
    from numbers_core.emulator import Emulator

    emulator = Emulator(name)
    inner = emulator.transport()

    async def huge_key(request: httpx.Request) -> httpx.Response:
        response = await inner.handle_async_request(request)
        body = await response.aread()
        if request.method == "GET" and LISTING[name] in str(request.url) and response.status_code == 200:
            page = json.loads(body)
            page[NEXT_KEYS[name]] = "k" * 70_000
            return httpx.Response(response.status_code, json=page)
        return httpx.Response(response.status_code, headers=response.headers, content=body)

    try:
        async with (
            emulator.connect() as clean,
            httpx.AsyncClient(transport=httpx.MockTransport(huge_key)) as http,
            nc.connect(name, http_client=http, **emulator.client_settings()) as carrier,
        ):
            bought = await clean.purchase_any(area_code="415")
            seen: list[str] = []
            with pytest.raises(nc.ProtocolError, match="a key of 70,000 characters"):
                await drain_numbers(carrier.list(), into=seen)
            assert seen == [bought.phone_number]
    finally:
        await emulator.aclose()
