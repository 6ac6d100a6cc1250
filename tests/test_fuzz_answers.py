"""Every adapter against garbage answers: nothing but the error tree comes out.

Seeded, so a failure names the case that reproduces it. Each case answers
every request of one operation with a response built from the adapter's own
fixtures, mutated: values of the wrong type, huge or deep ones, cut bodies,
bytes that are not JSON, odd statuses and headers. Whatever the answer, an
operation returns its result or raises a ``NumbersError``; it never raises
``KeyError``, ``RecursionError``, an ``httpx`` or ``pydantic`` error, and
never hangs (retries are not slept).
"""

from __future__ import annotations

import gzip
import json
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numbers_core as nc
import pytest

pytestmark = pytest.mark.anyio

CASES_PER_OPERATION = 300
HERE = Path(__file__).parent


@dataclass(frozen=True)
class Adapter:
    """An adapter under test: how to connect it, and the fixtures its answers are made from."""

    name: str
    settings: dict[str, Any]
    fixtures: Path
    #: an account to transfer to, where the adapter can transfer
    other_account: str | None = None


ADAPTERS = [
    Adapter(
        "twilio",
        {"account_sid": "AC" + "a" * 32, "auth_token": "f" * 32},
        HERE / "providers" / "twilio" / "fixtures",
        other_account="AC" + "b" * 32,
    ),
    Adapter(
        "signalwire",
        {
            "space": "example",
            "project_id": "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee",
            "api_token": "PT" + "0" * 48,
        },
        HERE / "providers" / "twilio" / "fixtures",
        other_account="11111111-2222-4333-8444-555555555555",
    ),
    Adapter(
        "kazoo",
        {
            "base_url": "https://crossbar.example.com:8443",
            "account_id": "a1b2c3d4e5f60718293a4b5c6d7e8f90",
            "api_key": "k" * 64,
        },
        HERE / "providers" / "kazoo" / "fixtures",
    ),
    Adapter(
        "sinch",
        {
            "project_id": "b3877c40-da60-4998-90ad-b792e98472ac",
            "key_id": "d1c2b3a4-9f8e-4d7c-8b6a-5f4e3d2c1b0a",
            "key_secret": "FuzzKeySecret12345",
        },
        HERE / "providers" / "sinch" / "fixtures",
    ),
    Adapter(
        "sinch-draft",
        {"base_url": "https://numbers.draft.test/v1", "account_id": "AC-draft-1", "currency": "USD"},
        HERE / "providers" / "sinch" / "fixtures",
    ),
]

NUMBER = "+14155550100"

WEIRD_VALUES: list[Any] = [
    None,
    "",
    " ",
    "..",
    "/",
    "+1",
    "not a number",
    "x" * 10_000,
    "\ud800",
    0,
    -1,
    10**30,
    1.5,
    float("inf"),
    True,
    [],
    {},
    [None],
    {"": None},
    "2026-02-30T25:61:00Z",
    "Thu, 01 Jan 1970 00:00:00 +0000",
    "+14155550100",
]

STATUSES = [200] * 6 + [201] * 3 + [204, 301, 400, 401, 402, 403, 404, 409, 410, 422, 429, 500, 502, 503]

HEADERS: list[dict[str, str]] = [
    {},
    {"Retry-After": "inf"},
    {"Retry-After": "1e999"},
    {"Retry-After": "-5"},
    {"Retry-After": "99999999999999999999"},
    {"Retry-After": "Fri, 31 Dec 9999 23:59:59 GMT"},
    {"Retry-After": "soon"},
    {"Date": "garbage"},
    {"Date": "Sat, 01 Jan 2000 00:00:00 GMT"},
    {"Content-Type": "text/html"},
    {"Content-Type": "application/json; charset=utf-16"},
]


def _mutate(value: Any, rng: random.Random, depth: int = 0) -> Any:
    if rng.random() < 0.08:
        return rng.choice(WEIRD_VALUES)
    if isinstance(value, dict):
        mutated = {key: _mutate(item, rng, depth + 1) for key, item in value.items() if rng.random() > 0.05}
        if rng.random() < 0.05:
            key = rng.choice(["sid", "phone_number", "next_page_uri", "code", "extra"])
            mutated[key] = rng.choice(WEIRD_VALUES)
        return mutated
    if isinstance(value, list):
        items = [_mutate(item, rng, depth + 1) for item in value]
        if items and rng.random() < 0.1:
            items = items * rng.randint(2, 5)
        return items
    return value


def _body(fixtures: list[Any], rng: random.Random) -> bytes:
    roll = rng.random()
    if roll < 0.05:
        return b""
    if roll < 0.08:
        return b"[" * 981 + b"]" * 981
    if roll < 0.1:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200)))
    if roll < 0.12:
        return b"<html><body>502 Bad Gateway</body></html>"
    text = json.dumps(_mutate(rng.choice(fixtures), rng), allow_nan=True, ensure_ascii=rng.random() < 0.5)
    data = text.encode("utf-8", errors="surrogatepass")
    if rng.random() < 0.1:
        data = data[: rng.randrange(len(data) + 1)]
    return data


class Answers:
    """The mocked carrier; each case reseeds it, so that a case's answers follow from its seed."""

    def __init__(self, fixtures: list[Any]) -> None:
        self.fixtures = fixtures
        self.rng = random.Random()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        rng = self.rng
        if rng.random() < 0.03:
            raise rng.choice([httpx.ReadTimeout, httpx.ConnectError, httpx.RemoteProtocolError])("fuzz")
        headers = dict(rng.choice(HEADERS))
        body = _body(self.fixtures, rng)
        if rng.random() < 0.03:
            headers["Content-Encoding"] = "gzip"
            body = body if rng.random() < 0.5 else gzip.compress(body)
        return httpx.Response(rng.choice(STATUSES), content=body, headers=headers)


Operation = Callable[[nc.Provider], Awaitable[Any]]


async def _list(carrier: nc.Provider) -> list[nc.ActiveNumber]:
    found = []
    async for number in carrier.list():
        found.append(number)
        if len(found) >= 50:  # a carrier whose every page links to a new one never ends by itself
            break
    return found


def _operations(adapter: Adapter) -> dict[str, Operation]:
    operations: dict[str, Operation] = {
        "search": lambda carrier: carrier.search(area_code="415", limit=5),
        "purchase": lambda carrier: carrier.purchase(NUMBER),
        "purchase_any": lambda carrier: carrier.purchase_any(area_code="415"),
        "get": lambda carrier: carrier.get(NUMBER),
        "configure": lambda carrier: carrier.configure(NUMBER, nc.NumberConfig(friendly_name="Fuzz")),
        "release": lambda carrier: carrier.release(NUMBER),
        "list": _list,
    }
    if adapter.other_account is not None:
        account = adapter.other_account
        operations["transfer"] = lambda carrier: carrier.transfer(NUMBER, account)
    return operations


@pytest.fixture(autouse=True)
def _no_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retries and settling waits are asked for, not slept: the cases run back to back."""

    async def sleep(seconds: float) -> None:
        assert seconds >= 0

    monkeypatch.setattr("numbers_core._http._sleep", sleep)
    monkeypatch.setattr("numbers_core.providers.twilio._provider._sleep", sleep)
    monkeypatch.setattr("numbers_core._provider._sleep", sleep)


@pytest.mark.parametrize("adapter", ADAPTERS, ids=lambda adapter: adapter.name)
async def test_garbage_answers_end_in_the_error_tree(adapter: Adapter) -> None:
    paths = sorted(adapter.fixtures.glob("*.json"))
    answers = Answers(
        [json.loads(path.read_text()) for path in paths if path.name.startswith(f"{adapter.name}_")]
    )
    assert answers.fixtures
    outcomes: dict[str, int] = {}
    for operation, call in _operations(adapter).items():
        client = httpx.AsyncClient(transport=httpx.MockTransport(answers))
        # One carrier per operation: what it learns from one answer (a sid) is used for the next, as
        # it would be at a real carrier.
        async with client, nc.connect(adapter.name, http_client=client, **adapter.settings) as carrier:
            for case in range(CASES_PER_OPERATION):
                seed = f"{adapter.name}/{operation}/{case}"
                answers.rng.seed(seed)
                try:
                    await call(carrier)
                    outcome = "ok"
                except nc.NumbersError as exc:
                    outcome = type(exc).__name__
                except BaseException as exc:  # anything else is the defect this test is for
                    pytest.fail(f"{seed}: {type(exc).__name__} escaped: {exc!r}"[:500])
                outcomes[outcome] = outcomes.get(outcome, 0) + 1
    # The answers really varied: successes and several kinds of error came out.
    assert outcomes.get("ok", 0) > 0, outcomes
    assert {"ProtocolError", "ProviderError", "TransportError"} & outcomes.keys(), outcomes
    assert len(outcomes) >= 5, outcomes
