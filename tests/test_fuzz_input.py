"""Every public method of every adapter against hostile input: refused before any request.

Seeded, so a failure names the case that reproduces it. Each case calls one
public method with at least one argument that is not acceptable (a number with
letters, a blank filter, control and bidirectional characters, huge strings,
URLs no carrier can call, NaN and infinities, huge integers, the wrong types).
The call must raise ``InvalidInputError`` or ``UnsupportedError`` (a check that
comes first may refuse it otherwise, with another error of the library's
tree), and no request may reach the transport. A model the user builds from
hostile fields refuses it itself (pydantic's ``ValidationError``), and then
there is no call to make.

    pytest -s tests/test_fuzz_input.py     # prints the tally; FUZZ_INPUT_CASES=5000 for more
"""

from __future__ import annotations

import math
import os
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import numbers_core as nc
import pydantic
import pytest
from numbers_core import Address, NumberCompliance, NumberConfig, Route

pytestmark = pytest.mark.anyio

CASES = int(os.environ.get("FUZZ_INPUT_CASES", "300"))

ADAPTERS: dict[str, dict[str, Any]] = {
    "twilio": {"account_sid": "AC" + "a" * 32, "auth_token": "f" * 32},
    "signalwire": {
        "space": "example",
        "project_id": "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee",
        "api_token": "PT" + "0" * 48,
    },
    "kazoo": {
        "base_url": "https://crossbar.example.com:8443",
        "account_id": "a1b2c3d4e5f60718293a4b5c6d7e8f90",
        "api_key": "k" * 64,
    },
    "sinch": {
        "project_id": "b3877c40-da60-4998-90ad-b792e98472ac",
        "key_id": "d1c2b3a4-9f8e-4d7c-8b6a-5f4e3d2c1b0a",
        "key_secret": "FuzzKeySecret12345",
    },
    "sinch-draft": {
        "base_url": "https://numbers.draft.test/v1",
        "account_id": "AC-draft-1",
        "currency": "USD",
    },
    "telnyx": {"api_key": "KEYFuzzTelnyxApiKey0123456789"},
    "vonage": {"api_key": "ab12cd34", "api_secret": "FuzzVonageSecret1"},
    "plivo": {"auth_id": "MA" + "F" * 18, "auth_token": "FuzzPlivoToken0123"},
    "sandbox": {},
}

HUGE = "9" * 70_000
NAN, INF = math.nan, math.inf

# Never acceptable in a field of text, even one where a blank means "not set" (a model's optional
# field: a blank friendly_name clears the name).
BAD_CONTENT: list[Any] = [
    "a\x00b",
    "a\r\nX-Injected: 1",
    "\x1b[31mred",
    "a\x85b",
    "a\u2028b",
    "abc\u202etxt.exe",
    "a\u2066b\u2069",
    "\ud800",
    "x" * 70_000,
    0,
    NAN,
    INF,
    10**100,
    [],
    {},
    object(),
]
# Never acceptable where text is wanted and cannot be left out (an argument, a filter).
BAD_TEXT: list[Any] = ["", " ", "\r\n", "\t", None, *BAD_CONTENT]
# A filter or a criterion given as None is one not given: what must be refused is all the rest.
BAD_FILTER: list[Any] = [value for value in BAD_TEXT if value is not None]
BAD_NUMBERS: list[Any] = [
    "+1415555O1OO",
    "+1415555CALL",
    "+1-800-FLOWERS",
    "",
    " ",
    "\r\n",
    "+1415555\x000100",
    "+14155550100\r\nX-Injected: 1",
    "+14155550100/../../x",
    "+14155550100?x=1",
    "+14155550100 ext 9",
    "+1415",
    "+" + HUGE,
    "\u202e+14155550100",
    "\uff0b\uff11\uff14\uff11\uff15\uff15\uff15\uff15\uff10\uff11\uff10\uff10",  # full-width
    "https://evil.example/+14155550100",
    None,
    14155550100,
    1.5,
    NAN,
    INF,
    10**100,
    True,
    [],
    {},
    b"+14155550100",
    ["+14155550100"],
]
BAD_URLS = [
    "https://[::1",
    "https://example.com:99999/v",
    "https://example.com:0/v",
    "https://example.com/\x00",
    "https://example.com/a b",
    "https://example.com/%%%%",
    "https://\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45.com/v",
    "https://exa\u202emple.com/v",
    "javascript:alert(1)",
    "ftp://example.com/v",
    "example.com/v",
    "https://",
    "https://example.com/" + "a" * 5000,
    "",
    None,
    5,
]
BAD_COUNTRIES: list[Any] = ["", " ", "XX", "USA", "u s", "\x00", "ZZ", None, 1, NAN, [], "x" * 70_000]
BAD_TYPES: list[Any] = ["", "unknown", "landline", "LOCAL\x00", 5, NAN, [], "x" * 70_000]

# SearchQuery's fields, each with values it must refuse.
BAD_CRITERIA: dict[str, list[Any]] = {
    "area_code": [
        "",
        " ",
        "\r\n",
        "41",
        "4155",
        "115",
        "41a",
        "4\x005",
        HUGE,
        -1,
        NAN,
        INF,
        10**100,
        1.5,
        [],
    ],
    "contains": ["", " ", "\r\n", "*", "***", "+1", "a b", "a\x00", "12345678901234567", HUGE, NAN, []],
    "starts_with": ["", "\r\n", "abc", "-1", HUGE, NAN, INF, -5, []],
    "ends_with": ["", "\r\n", "abc", "1 2", HUGE, NAN, 1.5, {}],
    "region": BAD_FILTER,
    "locality": BAD_FILTER,
    "postal_code": BAD_FILTER,
    "rate_center": BAD_FILTER,
    "lata": ["", "\r\n", "abc", HUGE, NAN, []],
    "near_number": [value for value in BAD_NUMBERS if value is not None],
    "near_lat_long": [(NAN, 0), (0, INF), (91, 0), (0, 181), "a,b", "1", "1,2,3", (1,), HUGE, []],
    "distance": [0, -1, 501, 10**100, NAN, INF, "far", "", []],
    "limit": [0, -1, 1001, 10**100, NAN, INF, "x", "", 1.5, []],
    "country": BAD_COUNTRIES,
    "number_type": BAD_TYPES,
    "voice": ["maybe", NAN, 2, [], "\x00"],
    "exclude_address_required": ["maybe", 5, {}],
    "bogus": [1, "x"],
}
LIST_FILTERS: dict[str, list[Any]] = {
    "contains": BAD_CRITERIA["contains"],
    "friendly_name": BAD_FILTER,
    "country": [value for value in BAD_COUNTRIES if value is not None],
    "number_type": BAD_TYPES,
    "area_code": ["415"],  # not a list filter
    "bogus": [1],
}
# Fields of the models users build, with values the model must refuse.
BAD_MODEL_FIELDS: list[tuple[Callable[..., Any], str, list[Any]]] = [
    (NumberConfig, "friendly_name", [*BAD_CONTENT, "x" * 256]),
    (NumberConfig, "emergency_address_id", BAD_CONTENT),
    (Route, "url", BAD_URLS[:-3]),
    (Route, "fallback_url", BAD_URLS[:-3]),
    (Route, "application_id", BAD_CONTENT),
    (Route, "method", ["PUT", "G ET", "GET\x00", 5, []]),
    (NumberCompliance, "address_id", BAD_CONTENT),
    (NumberCompliance, "bundle_id", BAD_CONTENT),
    (Address, "street", BAD_TEXT),
    (Address, "locality", BAD_TEXT),
    (Address, "postal_code", [*BAD_CONTENT, "1" * 33]),
    (Address, "country", BAD_COUNTRIES),
]
GOOD_ADDRESS = {"street": "1 Main St", "locality": "Springfield", "region": "IL", "country": "US"}
NOT_A_MODEL: list[Any] = ["x", 5, NAN, {}, {"friendly_name": "x"}, [], object(), True]


def pick(rng: random.Random, values: list[Any]) -> Any:
    return rng.choice(values)


def bad_criteria(rng: random.Random) -> dict[str, Any]:
    name = rng.choice(sorted(BAD_CRITERIA))
    criteria = {name: pick(rng, BAD_CRITERIA[name])}
    if rng.random() < 0.5:  # alongside a good one, which must not hide the bad one
        criteria.setdefault(
            "area_code" if name != "area_code" else "limit", "415" if name != "area_code" else 5
        )
    return criteria


def hostile_model(rng: random.Random) -> tuple[Callable[..., Any], dict[str, Any]]:
    model, name, values = rng.choice(BAD_MODEL_FIELDS)
    base: dict[str, Any] = dict(GOOD_ADDRESS) if model is Address else {}
    base[name] = pick(rng, values)
    return model, base


#: method name -> a case: (description, a call of it with hostile arguments)
Call = Callable[[nc.Provider], Any]


def case_for(method: str, rng: random.Random) -> tuple[str, Call]:
    number = pick(rng, BAD_NUMBERS)
    good = "+14155550100"
    if method == "search":
        if rng.random() < 0.2:
            query = pick(rng, NOT_A_MODEL)
            return f"search({query!r:.60})", lambda c: c.search(query)
        criteria = bad_criteria(rng)
        return f"search(**{criteria!r:.80})", lambda c: c.search(**criteria)
    if method == "purchase_any":
        criteria = bad_criteria(rng)
        return f"purchase_any(**{criteria!r:.80})", lambda c: c.purchase_any(**criteria)
    if method in ("purchase", "get", "release", "reserve"):
        if method == "purchase" and rng.random() < 0.3:
            config = pick(rng, NOT_A_MODEL)
            return f"purchase(good, config={config!r:.60})", lambda c: c.purchase(good, config=config)
        return f"{method}({number!r:.60})", lambda c: getattr(c, method)(number)
    if method == "configure":
        if rng.random() < 0.5:
            config = pick(rng, NOT_A_MODEL)
            return f"configure(good, {config!r:.60})", lambda c: c.configure(good, config)
        return f"configure({number!r:.60})", lambda c: c.configure(number, NumberConfig(friendly_name="x"))
    if method == "transfer":
        account = pick(rng, BAD_TEXT)
        if rng.random() < 0.5:
            return f"transfer({number!r:.60})", lambda c: c.transfer(number, "AC" + "b" * 32)
        return f"transfer(good, {account!r:.60})", lambda c: c.transfer(good, account)
    if method == "list":
        name = rng.choice(sorted(LIST_FILTERS))
        value = pick(rng, LIST_FILTERS[name])

        async def listing(c: nc.Provider) -> None:
            async for _ in c.list(**{name: value}):
                pass

        return f"list({name}={value!r:.60})", listing
    if method == "wait_provisioned":
        within = pick(rng, [0, -1, NAN, INF, -INF, "5", None, 10**400])
        if rng.random() < 0.5:
            return f"wait_provisioned({number!r:.60})", lambda c: c.wait_provisioned(number)
        return f"wait_provisioned(good, within={within!r})", lambda c: c.wait_provisioned(good, within=within)
    if method in ("prices", "requirements"):
        if rng.random() < 0.5:
            country = pick(rng, BAD_COUNTRIES)
            return f"{method}({country!r:.60})", lambda c: getattr(c, method)(country)
        kind = pick(rng, BAD_TYPES)
        return f"{method}('US', {kind!r:.60})", lambda c: getattr(c, method)("US", kind)
    if method == "coverage":
        country = pick(rng, [value for value in BAD_COUNTRIES if value is not None])  # None: all of them
        return f"coverage({country!r:.60})", lambda c: c.coverage(country)
    if method in ("create_address", "validate_emergency_address"):
        if method == "validate_emergency_address" and rng.random() < 0.5:
            address = Address(**GOOD_ADDRESS)
            number = pick(rng, [value for value in BAD_NUMBERS if value is not None])  # None: no number
            return f"{method}(good, {number!r:.60})", lambda c: c.validate_emergency_address(address, number)
        if method == "create_address" and rng.random() < 0.3:
            stored = Address(**GOOD_ADDRESS, id="AD1")
            return "create_address(with an id)", lambda c: c.create_address(stored)
        given = pick(rng, NOT_A_MODEL)
        return f"{method}({given!r:.60})", lambda c: getattr(c, method)(given)
    if method == "delete_address":
        given = pick(rng, [*BAD_TEXT, Address(**GOOD_ADDRESS)])  # an Address without its id
        return f"delete_address({given!r:.60})", lambda c: c.delete_address(given)
    if method in ("purchase_many", "configure_many", "release_many"):
        numbers = pick(rng, ["+14155550100", None, 5, NAN, [number], [good, good], [good, number], {"a": 1}])
        if method == "configure_many":
            if rng.random() < 0.5:
                config = pick(rng, NOT_A_MODEL)
                return f"configure_many([good], {config!r:.60})", lambda c: c.configure_many([good], config)
            return f"configure_many({numbers!r:.60})", lambda c: c.configure_many(numbers, NumberConfig())
        return f"{method}({numbers!r:.60})", lambda c: getattr(c, method)(numbers)
    raise AssertionError(f"no hostile case for {method}")


#: the public methods that take input; the others take none (``addresses``, ``aclose``) or are not
#: calls to a carrier (``supports``, ``pace``)
FUZZED = [
    "search",
    "purchase",
    "purchase_any",
    "get",
    "configure",
    "release",
    "list",
    "wait_provisioned",
    "transfer",
    "prices",
    "coverage",
    "requirements",
    "create_address",
    "delete_address",
    "validate_emergency_address",
    "reserve",
    "purchase_many",
    "configure_many",
    "release_many",
]
NOT_FUZZED = {"addresses", "aclose", "supports", "pace"}


def test_every_public_method_is_fuzzed() -> None:
    public = {
        name
        for name in dir(nc.Provider)
        if not name.startswith("_") and callable(getattr(nc.Provider, name)) and name != "settings_model"
    }
    assert public - NOT_FUZZED == set(FUZZED)


@dataclass
class Tally:
    calls: int = 0
    models_refused: int = 0
    reached: list[str] = field(default_factory=list)
    escapes: list[str] = field(default_factory=list)
    outcomes: dict[str, int] = field(default_factory=dict)


# What a call with hostile input may end in. UnsupportedError: a provider that cannot do the
# operation at all says so first; the rest: another check of the library's came first.
REFUSALS = (nc.InvalidInputError, nc.UnsupportedError)


async def fuzz(name: str, cases: int) -> Tally:
    tally = Tally()
    requests: list[str] = []

    def carrier(request: httpx.Request) -> httpx.Response:
        requests.append(f"{request.method} {request.url}"[:200])
        return httpx.Response(404, json={})

    http = httpx.AsyncClient(transport=httpx.MockTransport(carrier))
    settings = {**ADAPTERS[name], "deadline": 5}
    async with (
        http,
        nc.connect(name, **({"http_client": http} if name != "sandbox" else {}), **settings) as c,
    ):
        for case in range(cases):
            seed = f"{name}/input/{case}"
            rng = random.Random(seed)
            if rng.random() < 0.15:
                model, fields = hostile_model(rng)
                try:
                    model(**fields)
                except pydantic.ValidationError:
                    tally.models_refused += 1
                    continue
                tally.escapes.append(f"{seed}: {model.__name__}(**{fields!r:.100}) was accepted")
                continue
            method = FUZZED[case % len(FUZZED)]
            what, call = case_for(method, rng)
            before = len(requests)
            tally.calls += 1
            try:
                await call(c)
                outcome = "accepted"
            except REFUSALS as exc:
                outcome = type(exc).__name__
            except nc.NumbersError as exc:
                outcome = type(exc).__name__
            except BaseException as exc:  # anything else is a defect this test is for
                tally.escapes.append(f"{seed}: {what}: {type(exc).__name__} escaped: {exc!r}"[:300])
                continue
            tally.outcomes[outcome] = tally.outcomes.get(outcome, 0) + 1
            if outcome not in ("InvalidInputError", "UnsupportedError"):
                tally.escapes.append(f"{seed}: {what}: ended in {outcome}, not refused")
            if len(requests) != before:
                tally.reached.append(f"{seed}: {what}: sent {requests[before:]}"[:300])
    return tally


@pytest.mark.parametrize("name", sorted(ADAPTERS))
async def test_hostile_input_is_refused_before_any_request(name: str) -> None:
    tally = await fuzz(name, CASES)
    print(
        f"{name}: {tally.calls} calls, {tally.models_refused} models refused, "
        f"{len(tally.reached)} requests reached for invalid input, {len(tally.escapes)} escapes, "
        f"outcomes {tally.outcomes}"
    )
    assert not tally.escapes, "\n".join(tally.escapes[:30])
    assert not tally.reached, "\n".join(tally.reached[:30])
    assert tally.calls > CASES // 2
