"""Every adapter against garbage answers: nothing but the error tree comes out, and no change
made at the carrier is reported as not made.

Seeded, so a failure names the case that reproduces it. The first test answers
every request of one operation with a response built from the adapter's own
fixtures, mutated: values of the wrong type, huge or deep ones, cut bodies,
bytes that are not JSON, odd statuses (1xx, 3xx) and headers (a ``Date`` out
of any sane skew, a ``Content-Encoding`` the body does not have). Whatever the
answer, an operation returns its result or raises a ``NumbersError``; it never
raises ``KeyError``, ``RecursionError``, an ``httpx`` or ``pydantic`` error,
and never hangs (retries are not slept).

The second puts each adapter in front of its own emulator, whose state is
real, with a transport between them that garbles answers after the emulator
acted on the request. A purchase that reached the emulator's state must come
back as the number or as ``OutcomeUnknownError``, never as an error a caller
reads as "not bought"; a release likewise.
"""

from __future__ import annotations

import gzip
import json
import os
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numbers_core as nc
import pytest
from numbers_core.emulator import Emulator

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
    #: how many times EMULATED_CASES it runs against its emulator (an adapter that settles most lost
    #: answers itself needs more cases before a look-up's own answer is garbled too)
    emulated_scale: int = 1
    #: a change of configuration the adapter can make
    config: nc.NumberConfig = field(default_factory=lambda: nc.NumberConfig(friendly_name="Fuzz"))


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
        "telnyx",
        {"api_key": "KEYFuzzTelnyxApiKey0123456789"},
        HERE / "providers" / "telnyx" / "fixtures",
    ),
    Adapter(
        "sinch-draft",
        {"base_url": "https://numbers.draft.test/v1", "account_id": "AC-draft-1", "currency": "USD"},
        HERE / "providers" / "sinch" / "fixtures",
    ),
    Adapter(
        "vonage",
        {"api_key": "ab12cd34", "api_secret": "FuzzVonageSecret1"},
        HERE / "providers" / "vonage" / "fixtures",
        other_account="sub00001",
        config=nc.NumberConfig(voice=nc.Route(application_id="fuzz-app")),
    ),
    Adapter(
        "plivo",
        {"auth_id": "MA" + "F" * 18, "auth_token": "FuzzPlivoToken0123"},
        HERE / "providers" / "plivo" / "fixtures",
        other_account="SA" + "F" * 18,
        emulated_scale=2,
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

STATUSES = (
    [200] * 6
    + [201] * 3
    + [
        *(101, 204, 301, 302, 303, 307),
        *(400, 401, 402, 403, 404, 409, 410, 422, 429, 500, 502, 503),
    ]
)

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
    {"Date": "Fri, 31 Dec 9999 23:59:59 GMT"},
    {"Date": "Mon, 01 Jan 0001 00:00:00 GMT"},
    {"Date": "Mon, 01 Jan 0001 00:00:00 +1400"},
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


# JSON nested deeper than any parser goes: closed, and cut off.
DEEP = [b"[" * 981 + b"]" * 981, b"[" * 100_000 + b"]" * 100_000, b"[" * 100_000, b'{"a":' * 100_000]


def _body(fixtures: list[Any], rng: random.Random) -> bytes:
    roll = rng.random()
    if roll < 0.05:
        return b""
    if roll < 0.08:
        return rng.choice(DEEP)
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
        "configure": lambda carrier: carrier.configure(NUMBER, adapter.config),
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
    monkeypatch.setattr("numbers_core.providers.telnyx._provider._sleep", sleep)
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


# -- against the emulators: no hidden purchase --------------------------------------------------

#: cases per adapter and loop (a case is one purchase or release, or a batch of three at Kazoo)
EMULATED_CASES = int(os.environ.get("FUZZ_CASES", "40"))
EMULATED = {adapter.name: adapter.emulated_scale for adapter in ADAPTERS}


def _other_number(body: bytes, request: httpx.Request) -> bytes:
    """The answer, naming another number wherever it names the one in the request's path."""
    path = request.url.raw_path.decode()
    for e164 in {match for match in (_e164_in(path),) if match}:
        other = e164[:-1] + str((int(e164[-1]) + 1) % 10)
        body = body.replace(e164.encode(), other.encode()).replace(e164[1:].encode(), other[1:].encode())
    return body


def _e164_in(text: str) -> str | None:
    decoded = text.replace("%2B", "+").replace("%2b", "+")
    start = decoded.find("+")
    end = start + 1
    while start >= 0 and end < len(decoded) and decoded[end].isdigit():
        end += 1
    return decoded[start:end] if start >= 0 and end - start > 8 else None


def _unknown_states(body: bytes) -> bytes:
    """The answer with every ``state`` and ``status`` in it one no adapter knows."""

    def rewrite(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: "mystery" if k in ("state", "status") else rewrite(v) for k, v in value.items()}
        if isinstance(value, list):
            return [rewrite(item) for item in value]
        return value

    try:
        return json.dumps(rewrite(json.loads(body))).encode()
    except ValueError:
        return body


def _garbled(kind: str, response: httpx.Response, body: bytes, request: httpx.Request) -> httpx.Response:
    """``response`` as a proxy or a broken link might deliver it."""
    status = response.status_code
    headers = {
        k: v for k, v in response.headers.items() if k.lower() not in ("content-length", "content-encoding")
    }
    if kind == "lost":
        raise httpx.ReadError("connection reset after the carrier acted")
    if kind == "gzip":
        headers["Content-Encoding"] = "gzip"  # the body is not gzip: httpx fails it as it reads it
    elif kind.startswith("date "):
        headers["Date"] = kind.removeprefix("date ")
    elif kind.startswith("status "):
        status = int(kind.removeprefix("status "))
        headers["Location"] = "/elsewhere"
    elif kind == "deep":
        body = DEEP[1] if len(body) % 2 else DEEP[2]
    elif kind == "truncated":
        body = body[: len(body) // 2]
    elif kind == "html":
        body, headers["Content-Type"] = b"<html><body>502 Bad Gateway</body></html>", "text/html"
    elif kind == "empty":
        body = b""
    elif kind == "not json":
        body = b"\xff\xfe\x00 not json"
    elif kind == "other number":
        body = _other_number(body, request)
    elif kind == "unknown state":
        body = _unknown_states(body)
    return httpx.Response(status, headers=headers, content=body, request=request)


# What a change's answer may become. Look-ups are garbled too, but never to name another number:
# a look-up that does not find the number is believed.
GARBLE_CHANGES = [
    "lost",
    "gzip",
    "date Fri, 31 Dec 9999 23:59:59 GMT",
    "date Mon, 01 Jan 0001 00:00:00 GMT",
    "date Sat, 01 Jan 2000 00:00:00 GMT",
    "status 101",
    "status 302",
    "status 303",
    "deep",
    "truncated",
    "html",
    "empty",
    "not json",
    "other number",
    "unknown state",
]
GARBLE_READS = [kind for kind in GARBLE_CHANGES if kind not in ("lost", "other number")]


class Garbling(httpx.AsyncBaseTransport):
    """Between an adapter and its emulator: garbles a share of the answers, after the emulator acted."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.rng = random.Random()
        self.share = 0.0
        self.garbled = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        body = await response.aread()
        if self.rng.random() >= self.share:
            return httpx.Response(
                response.status_code, headers=response.headers, content=body, request=request
            )
        self.garbled += 1
        kinds = GARBLE_CHANGES if request.method in ("POST", "PUT", "PATCH", "DELETE") else GARBLE_READS
        return _garbled(self.rng.choice(kinds), response, body, request)


@dataclass
class Tally:
    calls: int = 0
    garbled: int = 0
    escapes: list[str] = field(default_factory=list)
    hidden: list[str] = field(default_factory=list)
    outcomes: dict[str, int] = field(default_factory=dict)

    def count(self, outcome: str) -> None:
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1


async def _held(emulator: Emulator, clean: nc.Provider, number: str) -> bool:
    """Whether the account holds ``number``, by the emulator's state (a released number that stays
    until its paid period ends is not held)."""
    owned = {n for numbers in (await emulator.world.owned()).values() for n in numbers}
    return number in owned and (await clean.get(number)).status is not nc.NumberStatus.RELEASING


async def _change(
    tally: Tally, seed: str, call: Awaitable[Any], numbers: list[str], batch: bool
) -> list[tuple[str, Any]]:
    """Run one change; (number, what it came to) for each number: its result, or its error."""
    tally.calls += 1
    try:
        result = await call
    except nc.NumbersError as exc:
        return [(number, exc) for number in numbers]
    except BaseException as exc:  # anything else is a defect this test is for
        tally.escapes.append(f"{seed}: {type(exc).__name__} escaped: {exc!r}"[:300])
        return []
    if batch:
        return [(outcome.number, outcome.error or outcome.result) for outcome in result]
    return [(numbers[0], result)]


def _judge(tally: Tally, seed: str, operation: str, number: str, came: Any, held: bool) -> None:
    """A change that happened must be reported as done or as unknown, never as not done."""
    tally.count(type(came).__name__ if isinstance(came, BaseException) else "ok")
    if isinstance(came, nc.OutcomeUnknownError):
        return
    done = held if operation == "purchase" else not held
    said_done = not isinstance(came, BaseException)
    if done != said_done:
        what = f"{type(came).__name__}: {came}" if isinstance(came, BaseException) else repr(came)
        tally.hidden.append(
            f"{seed}: {operation} of {number} {'happened' if done else 'did not'}; {what}"[:400]
        )


async def fuzz_emulated(name: str, cases: int) -> Tally:
    """``cases`` purchases and releases (batches of three where the adapter has them) through a
    transport that garbles answers; every outcome checked against the emulator's state."""
    emulator = Emulator(name)
    garbling = Garbling(emulator.transport())
    tally = Tally()
    try:
        async with (
            emulator.connect() as clean,
            httpx.AsyncClient(transport=garbling) as http,
            nc.connect(name, http_client=http, **emulator.client_settings()) as carrier,
        ):
            for case in range(cases):
                seed = f"{name}/emulated/{case}"
                rng = random.Random(seed)
                operation = rng.choice(["purchase", "release"])
                # A batch where the adapter has one for the operation (Telnyx's are purchases only).
                batch = carrier.supports(f"{operation}_many") and rng.random() < 0.3
                numbers = [
                    n.phone_number for n in await clean.search(area_code="415", limit=3 if batch else 1)
                ]
                if operation == "release":
                    for number in numbers:
                        await clean.purchase(number)
                garbling.rng.seed(seed)
                garbling.share = rng.choice([0.3, 0.6, 1.0])
                if batch:
                    call = getattr(carrier, f"{operation}_many")(numbers)
                else:
                    call = getattr(carrier, operation)(numbers[0])
                came = await _change(tally, seed, call, numbers, batch)
                garbling.share = 0.0
                for number, outcome in came:
                    _judge(tally, seed, operation, number, outcome, await _held(emulator, clean, number))
    finally:
        await emulator.aclose()
    tally.garbled = garbling.garbled
    return tally


@pytest.mark.parametrize("name", EMULATED)
async def test_a_change_that_happened_is_never_reported_as_not_made(name: str) -> None:
    tally = await fuzz_emulated(name, EMULATED_CASES * EMULATED[name])
    # Shown with -s: FUZZ_CASES=1000 pytest -s tests/test_fuzz_answers.py -k never_reported
    print(
        f"{name}: {tally.calls} calls, {tally.garbled} answers garbled, {len(tally.escapes)} escapes, "
        f"{len(tally.hidden)} hidden changes, outcomes {tally.outcomes}"
    )
    assert not tally.escapes, "\n".join(tally.escapes)
    assert not tally.hidden, "\n".join(tally.hidden)
    # The answers really were garbled, and the cases ended in several ways.
    assert tally.garbled >= EMULATED_CASES // 2, tally
    assert {"ok", "OutcomeUnknownError"} <= tally.outcomes.keys(), tally.outcomes
