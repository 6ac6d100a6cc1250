"""The clients the bench compares, and the loop that measures one of them.

``python -m bench.clients NAME BASE_URL PLAN_JSON`` runs every row of the
plan with client NAME in this (fresh) process and prints one JSON object:
``{row: {"cpu_ms": …, "wall_ms": …, "requests": …, …}}``: CPU and wall
milliseconds per operation (medians over the rounds) and HTTP requests per
operation (counted by the server). CPU is ``time.process_time()``: this
whole process, every thread, the HTTP stack included. Every operation
checks what it got back (30 numbers, the number bought, 1,000 owned
numbers), so a client that quietly does less cannot look fast; every
purchase buys a number not bought before in the run.
"""

from __future__ import annotations

import base64
import contextlib
import gc
import json
import resource
import statistics
import sys
import time
import urllib.request
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from .payloads import ACCOUNT_SID, AUTH_TOKEN, LARGE_ACCOUNT_SID, LARGE_PAGES, PAGE_SIZE, SEARCH_SIZE

ACCOUNT = f"/2010-04-01/Accounts/{ACCOUNT_SID}"
SEARCH_PATH = f"{ACCOUNT}/AvailablePhoneNumbers/US/Local.json"
PURCHASE_PATH = f"{ACCOUNT}/IncomingPhoneNumbers.json"
LIST_PATH = f"{ACCOUNT}/IncomingPhoneNumbers.json"
LARGE_LIST_PATH = f"/2010-04-01/Accounts/{LARGE_ACCOUNT_SID}/IncomingPhoneNumbers.json"
LARGE_LISTING = LARGE_PAGES * PAGE_SIZE
BASIC = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()


def _check(what: str, got: Any, expected: Any) -> None:
    if got != expected:
        raise AssertionError(f"{what}: expected {expected!r}, got {got!r}")


# -- the clients ---------------------------------------------------------------------------
#
# Each has search() -> count, purchase(e164) -> e164 bought and list_page() -> count, and
# is an async context manager (the sync client, a plain object with plain methods). The
# clients that page as a user would also have list_all() -> distinct numbers of the large
# account, every page followed.


class Ours:
    """numbers-core's Twilio adapter, as a user gets it from ``nc.connect``."""

    def __init__(self, base_url: str, *, http_client: str | None = None) -> None:
        self.base_url = base_url
        self.http_client = http_client

    async def __aenter__(self) -> Ours:
        import numbers_core as nc

        client = None
        if self.http_client == "httpx-default":
            import httpx

            client = httpx.AsyncClient()
        self._user_client = client
        self.carrier, self.large = (
            nc.connect(
                "twilio", account_sid=sid, auth_token=AUTH_TOKEN, base_url=self.base_url, http_client=client
            )
            for sid in (ACCOUNT_SID, LARGE_ACCOUNT_SID)
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.carrier.aclose()
        await self.large.aclose()
        if self._user_client is not None:
            await self._user_client.aclose()

    async def search(self) -> int:
        return len(await self.carrier.search(country="US", number_type="local", limit=SEARCH_SIZE))

    async def purchase(self, e164: str) -> str:
        return (await self.carrier.purchase(e164)).phone_number

    async def list_page(self) -> int:
        count = 0
        async for _ in self.carrier.list():
            count += 1
        return count

    async def list_all(self) -> int:
        return len({number.phone_number async for number in self.large.list()})


class Core:
    """The bare HTTP core (``numbers_core._http.HttpCore``): requests and JSON, no adapter.

    What every adapter request costs before the adapter reads the answer.
    """

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    async def __aenter__(self) -> Core:
        import httpx
        from numbers_core._http import HttpCore
        from numbers_core.errors import error_for_status

        def mapper(response: httpx.Response) -> Any:
            return error_for_status(response.status_code, provider="bench", message="error")

        self.http = HttpCore(
            "bench",
            base_url=self.base_url,
            error_mapper=mapper,
            auth=httpx.BasicAuth(ACCOUNT_SID, AUTH_TOKEN),
            secrets=(AUTH_TOKEN,),
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.http.aclose()

    async def _json(self, method: str, path: str, idempotency: str, **kwargs: Any) -> Any:
        from numbers_core._http import Idempotency

        return await self.http.request_json(
            method, path, idempotency=Idempotency[idempotency], operation="bench", **kwargs
        )

    async def search(self) -> int:
        body = await self._json("GET", SEARCH_PATH, "SAFE", params={"PageSize": SEARCH_SIZE})
        return len(body["available_phone_numbers"])

    async def purchase(self, e164: str) -> str:
        body = await self._json("POST", PURCHASE_PATH, "UNSAFE", data={"PhoneNumber": e164})
        return str(body["phone_number"])

    async def list_page(self) -> int:
        body = await self._json("GET", LIST_PATH, "SAFE", params={"PageSize": PAGE_SIZE})
        return len(body["incoming_phone_numbers"])

    async def list_all(self) -> int:
        numbers: set[str] = set()
        path: str | None = LARGE_LIST_PATH + f"?PageSize={PAGE_SIZE}"
        while path is not None:
            body = await self._json("GET", path, "SAFE")
            numbers.update(item["phone_number"] for item in body["incoming_phone_numbers"])
            path = body["next_page_uri"]
        return len(numbers)


class TwilioAsync:
    """twilio-python's async client (``AsyncTwilioHttpClient``, aiohttp underneath)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    async def __aenter__(self) -> TwilioAsync:
        from twilio.http.async_http_client import AsyncTwilioHttpClient
        from twilio.rest import Client

        # Built inside the running loop: its aiohttp session is created in __init__.
        self.http = AsyncTwilioHttpClient()
        self.client = Client(ACCOUNT_SID, AUTH_TOKEN, http_client=self.http)
        self.client.api.base_url = self.base_url
        self.account = self.client.api.v2010.accounts(ACCOUNT_SID)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.http.close()

    async def search(self) -> int:
        local = self.account.available_phone_numbers("US").local
        return len(await local.list_async(limit=SEARCH_SIZE))

    async def purchase(self, e164: str) -> str:
        return str((await self.account.incoming_phone_numbers.create_async(phone_number=e164)).phone_number)

    async def list_page(self) -> int:
        numbers = await self.account.incoming_phone_numbers.list_async(limit=PAGE_SIZE, page_size=PAGE_SIZE)
        return len(numbers)

    async def list_all(self) -> int:
        large = self.client.api.v2010.accounts(LARGE_ACCOUNT_SID).incoming_phone_numbers
        return len({number.phone_number async for number in await large.stream_async(page_size=PAGE_SIZE)})


class TwilioSync:
    """twilio-python's default client (requests underneath)."""

    def __init__(self, base_url: str) -> None:
        from twilio.rest import Client

        self.client = Client(ACCOUNT_SID, AUTH_TOKEN)
        self.client.api.base_url = base_url
        self.account = self.client.api.v2010.accounts(ACCOUNT_SID)

    def search(self) -> int:
        return len(self.account.available_phone_numbers("US").local.list(limit=SEARCH_SIZE))

    def purchase(self, e164: str) -> str:
        return str(self.account.incoming_phone_numbers.create(phone_number=e164).phone_number)

    def list_page(self) -> int:
        return len(self.account.incoming_phone_numbers.list(limit=PAGE_SIZE, page_size=PAGE_SIZE))

    def list_all(self) -> int:
        large = self.client.api.v2010.accounts(LARGE_ACCOUNT_SID).incoming_phone_numbers
        return len({number.phone_number for number in large.stream(page_size=PAGE_SIZE)})


class BareHttpx:
    """A bare ``httpx.AsyncClient``: one request and ``json()``; no models, no retries.

    ``transport``: ``default`` (httpx's own), ``httpx-aiohttp`` (that
    package's AiohttpTransport) or ``numbers-core`` (the client
    ``numbers_core._transport.create_client`` gives the core).
    """

    def __init__(self, base_url: str, *, transport: str = "default") -> None:
        self.base_url = base_url
        self.transport_name = transport

    async def __aenter__(self) -> BareHttpx:
        import httpx

        auth = httpx.BasicAuth(ACCOUNT_SID, AUTH_TOKEN)
        if self.transport_name == "numbers-core":
            from numbers_core._http import DEFAULT_LIMITS, DEFAULT_TIMEOUT
            from numbers_core._transport import create_client

            self.client = create_client(timeout=DEFAULT_TIMEOUT, limits=DEFAULT_LIMITS)
            self.client.auth = auth
        elif self.transport_name == "httpx-aiohttp":
            from httpx_aiohttp import AiohttpTransport

            self.client = httpx.AsyncClient(transport=AiohttpTransport(), auth=auth)
        else:
            self.client = httpx.AsyncClient(auth=auth)
        self.search_url = self.base_url + SEARCH_PATH
        self.purchase_url = self.base_url + PURCHASE_PATH
        self.list_url = self.base_url + LIST_PATH
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.client.aclose()

    async def search(self) -> int:
        response = await self.client.get(self.search_url, params={"PageSize": SEARCH_SIZE})
        return len(response.raise_for_status().json()["available_phone_numbers"])

    async def purchase(self, e164: str) -> str:
        response = await self.client.post(self.purchase_url, data={"PhoneNumber": e164})
        return str(response.raise_for_status().json()["phone_number"])

    async def list_page(self) -> int:
        response = await self.client.get(self.list_url, params={"PageSize": PAGE_SIZE})
        return len(response.raise_for_status().json()["incoming_phone_numbers"])


class BareAiohttp:
    """A bare ``aiohttp.ClientSession``: the floor for anything built on aiohttp."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    async def __aenter__(self) -> BareAiohttp:
        import aiohttp

        self.session = aiohttp.ClientSession(base_url=self.base_url, headers={"Authorization": BASIC})
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.session.close()

    async def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        async with self.session.request(method, path, **kwargs) as response:
            response.raise_for_status()
            return json.loads(await response.read())

    async def search(self) -> int:
        body = await self._json("GET", SEARCH_PATH, params={"PageSize": SEARCH_SIZE})
        return len(body["available_phone_numbers"])

    async def purchase(self, e164: str) -> str:
        return str((await self._json("POST", PURCHASE_PATH, data={"PhoneNumber": e164}))["phone_number"])

    async def list_page(self) -> int:
        return len(
            (await self._json("GET", LIST_PATH, params={"PageSize": PAGE_SIZE}))["incoming_phone_numbers"]
        )


# name -> (label, event loop, factory); the order is the table's column order.
CLIENTS: dict[str, tuple[str, str, Callable[[str], Any]]] = {
    "ours-asyncio": ("numbers-core (asyncio)", "asyncio", Ours),
    "ours-trio": ("numbers-core (trio)", "trio", Ours),
    "ours-httpx-default": (
        "numbers-core, httpx default transport (asyncio)",
        "asyncio",
        lambda url: Ours(url, http_client="httpx-default"),
    ),
    "core-asyncio": ("bare HttpCore (asyncio)", "asyncio", Core),
    "core-trio": ("bare HttpCore (trio)", "trio", Core),
    "twilio-async": ("twilio-python async", "asyncio", TwilioAsync),
    "twilio-sync": ("twilio-python sync", "sync", TwilioSync),
    "httpx-default": ("bare httpx, default transport", "asyncio", BareHttpx),
    "httpx-aiohttp": (
        "bare httpx + httpx-aiohttp",
        "asyncio",
        lambda url: BareHttpx(url, transport="httpx-aiohttp"),
    ),
    "httpx-ours": (
        "bare httpx + numbers-core transport",
        "asyncio",
        lambda url: BareHttpx(url, transport="numbers-core"),
    ),
    "aiohttp": ("bare aiohttp", "asyncio", BareAiohttp),
}

# row -> (what one operation is, concurrency)
ROWS: dict[str, tuple[str, int]] = {
    "search": ("search (30 results)", 1),
    "purchase": ("purchase, one at a time", 1),
    "purchase-50": ("purchase, 50 concurrent (sliding window)", 50),
    "purchase-50-waves": ("purchase, 50 concurrent (waves of 50)", 50),
    "list": ("list (one 1,000-number page)", 1),
    "list-100k": ("list (100,000 numbers, 100 pages)", 1),
}


# -- measuring -----------------------------------------------------------------------------


def served(base_url: str) -> int:
    """How many API requests the bench server has answered so far."""
    with urllib.request.urlopen(base_url + "/_bench/requests", timeout=10) as answer:
        return int(answer.read())


class _Row:
    """Samples of one row: (CPU seconds, wall seconds) per round, and the requests it took."""

    def __init__(self, base_url: str, ops: int) -> None:
        self.base_url = base_url
        self.ops = ops
        self.samples: list[tuple[float, float]] = []
        self.requests = 0
        self.peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    @contextlib.contextmanager
    def round(self) -> Iterator[None]:
        before = served(self.base_url)
        gc.collect()
        cpu, wall = time.process_time(), time.perf_counter()
        yield
        self.samples.append((time.process_time() - cpu, time.perf_counter() - wall))
        self.requests += served(self.base_url) - before

    def summary(self) -> dict[str, float]:
        return {
            "cpu_ms": statistics.median(cpu for cpu, _ in self.samples) / self.ops * 1000,
            "wall_ms": statistics.median(wall for _, wall in self.samples) / self.ops * 1000,
            "requests": self.requests / (self.ops * len(self.samples)),
            "ops": self.ops,
            "rounds": len(self.samples),
            # How far the row raised the process's peak memory: flat listing keeps this small.
            "peak_growth_mb": (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - self.peak_kb) / 1024,
        }


def _numbers(plan: dict[str, Any]) -> Iterator[str]:
    """A distinct number for every purchase this process will make (warm-ups included)."""
    from .payloads import for_sale

    buys = sum(
        ops * (rounds + 1) + 50 for row, (ops, rounds) in plan["rows"].items() if row.startswith("purchase")
    )
    return iter(for_sale(buys))


def _operation(client: Any, row: str, numbers: Iterator[str], *, sync: bool = False) -> Callable[[], Any]:
    """One operation of a row, checked: it returns what the row expects or raises."""

    def next_call() -> tuple[Callable[[], Any], Any]:
        if row == "search":
            return client.search, SEARCH_SIZE
        if row == "list":
            return client.list_page, PAGE_SIZE
        if row == "list-100k":
            return client.list_all, LARGE_LISTING
        number = next(numbers)
        return (lambda: client.purchase(number)), number

    if sync:

        def run() -> None:
            call, expected = next_call()
            _check(row, call(), expected)

        return run

    async def checked() -> None:
        call, expected = next_call()
        _check(row, await call(), expected)

    return checked


async def _measure_async(
    factory: Callable[[str], Any], base_url: str, plan: dict[str, Any]
) -> dict[str, Any]:
    import anyio

    numbers = _numbers(plan)
    results: dict[str, Any] = {}
    async with factory(base_url) as client:
        for row, (ops, rounds) in plan["rows"].items():
            if row == "list-100k" and not hasattr(client, "list_all"):
                continue  # a transport baseline: it does not page
            concurrency = ROWS[row][1]
            op = _operation(client, row, numbers)

            async def worker(count: int, op: Callable[[], Awaitable[None]] = op) -> None:
                for _ in range(count):
                    await op()

            async def window(count: int, concurrency: int = concurrency, worker: Any = worker) -> None:
                # ``concurrency`` workers, each doing its share one after the other: that many in
                # flight all the time (a sliding window).
                async with anyio.create_task_group() as tg:
                    for _ in range(concurrency):
                        tg.start_soon(worker, count // concurrency)

            async def waves(count: int, concurrency: int = concurrency, op: Any = op) -> None:
                # ``concurrency`` at once, all awaited before the next wave (a gather per wave): the
                # pool sees bursts with idle gaps between them.
                for _ in range(count // concurrency):
                    async with anyio.create_task_group() as tg:
                        for _ in range(concurrency):
                            tg.start_soon(op)

            batch = waves if row.endswith("-waves") else window

            await batch(max(concurrency, ops // 5))  # warm-up: connections, imports, caches
            measured = _Row(base_url, ops)
            for _ in range(rounds):
                with measured.round():
                    await batch(ops)
            results[row] = measured.summary()
    return results


def _measure_sync(factory: Callable[[str], Any], base_url: str, plan: dict[str, Any]) -> dict[str, Any]:
    numbers = _numbers(plan)
    client = factory(base_url)
    results: dict[str, Any] = {}
    for row, (ops, rounds) in plan["rows"].items():
        if ROWS[row][1] != 1:
            continue  # a sync client has one request in flight at a time
        if row == "list-100k" and not hasattr(client, "list_all"):
            continue
        op = _operation(client, row, numbers, sync=True)
        for _ in range(max(1, ops // 5)):
            op()
        measured = _Row(base_url, ops)
        for _ in range(rounds):
            with measured.round():
                for _ in range(ops):
                    op()
        results[row] = measured.summary()
    return results


def measure(name: str, base_url: str, plan: dict[str, Any]) -> dict[str, Any]:
    _, loop, factory = CLIENTS[name]
    if loop == "sync":
        return _measure_sync(factory, base_url, plan)
    import anyio

    return anyio.run(_measure_async, factory, base_url, plan, backend=loop)


def main() -> None:
    name, base_url, plan = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    print(json.dumps(measure(name, base_url, plan)))


if __name__ == "__main__":
    main()
