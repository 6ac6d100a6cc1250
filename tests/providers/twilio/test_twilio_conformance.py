"""Conformance with the carriers' OpenAPI documents.

Requests: every request of every test in this folder is checked by the
``wire`` fixture; here the adapters are driven through every operation with
every filter and configuration field they support, against a small stateful
fake carrier, and the operations checked must cover the spec's. Responses:
every response example of the Twilio spec, and an example built from the
SignalWire spec's per-property examples, go through the adapter's parsers.
"""

from __future__ import annotations

import itertools
import re
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import parse_qsl

import httpx
import jsonschema
import numbers_core as nc
import pytest
import respx
from numbers_core.providers.twilio import _codec as codec
from numbers_core.providers.twilio import _commerce as commerce
from twilio_wire import CASES, Case, Spec, fixture, signalwire_spec, spec_for, twilio_spec

# -- responses --------------------------------------------------------------------------------------

# The country list is coverage(); the resource of one country (the same, for one) is not used.
COUNTRY_LISTS = {
    "/2010-04-01/Accounts/{AccountSid}/AvailablePhoneNumbers.json",
    "/Accounts/{AccountSid}/AvailablePhoneNumbers",
}
COUNTRIES = {
    "/2010-04-01/Accounts/{AccountSid}/AvailablePhoneNumbers/{CountryCode}.json",
    "/Accounts/{AccountSid}/AvailablePhoneNumbers/{IsoCountry}",
}
# Twilio's per-type collections of owned numbers: the adapter buys and lists on the top-level
# one, which takes every type (and the Local list returns toll-free numbers too, twilio-python#717).
# Their answers are still parsed below.
PER_TYPE = {
    f"/2010-04-01/Accounts/{{AccountSid}}/IncomingPhoneNumbers/{kind}.json"
    for kind in ("Local", "TollFree", "Mobile")
}
SEARCH_TYPES = {
    "Local": nc.NumberType.LOCAL,
    "TollFree": nc.NumberType.TOLL_FREE,
    "Mobile": nc.NumberType.MOBILE,
}


def parser_for(template: str, method: str, status: str) -> Callable[[Any], Any] | None:
    """The adapter's parser for an answer of the spec, or None for an error answer."""
    if not status.startswith("2"):
        return None
    if template in COUNTRY_LISTS:
        return commerce.coverage
    if "/AvailablePhoneNumbers/" in template:
        kind = template.rsplit("/", 1)[1].removesuffix(".json")
        return lambda data: codec.available_numbers(data, provider="test", number_type=SEARCH_TYPES[kind])
    if method == "get" and not template.removesuffix(".json").endswith("{Sid}"):
        return lambda data: codec.number_page(data, provider="test")[0]
    return lambda data: [codec.number(data, provider="test")]


def listed(data: dict[str, Any]) -> list[dict[str, Any]]:
    for key in ("available_phone_numbers", "incoming_phone_numbers", "countries"):
        if key in data:
            return list(data[key])
    return [data]


def check_parsed(example: dict[str, Any], parsed: list[Any]) -> None:
    items = listed(example)
    assert len(parsed) == len(items)
    for item, number in zip(items, parsed, strict=True):
        if isinstance(number, nc.Coverage):
            assert (number.country, number.name, number.raw) == (item["country_code"], item["country"], item)
            assert {t.value for t in number.number_types} == set(item["subresource_uris"])
            continue
        assert number.phone_number == item["phone_number"]
        assert number.raw is item
        flags = {key.lower(): value for key, value in (item.get("capabilities") or {}).items()}
        for name in ("voice", "sms", "mms", "fax"):
            assert getattr(number.capabilities, name) == flags.get(name)
        if isinstance(number, nc.ActiveNumber):
            assert number.id == item["sid"]
            assert number.account_id == item["account_sid"]
            assert number.created_at is not None
            assert number.created_at.tzinfo is not None


def twilio_examples() -> Iterator[tuple[str, str, str, str, Any]]:
    for template, method, operation in twilio_spec().operations():
        for status, answer in operation["responses"].items():
            for content in answer.get("content", {}).values():
                for name, example in content.get("examples", {}).items():
                    yield template, method, status, name, example["value"]


def test_every_twilio_response_example_parses() -> None:
    parsed_templates = set()
    examples = list(twilio_examples())
    assert len(examples) >= 20
    for template, method, status, name, example in examples:
        if template in COUNTRIES:
            continue
        parse = parser_for(template, method, status)
        assert parse is not None, f"{method} {template} {status}"
        check_parsed(example, parse(example))
        parsed_templates.add((method, template, name))
    unused = {template for template, *_ in examples if template in COUNTRIES}
    assert unused == {t for t in COUNTRIES if t.startswith("/2010-04-01")}
    assert len(parsed_templates) >= 17


def synthesize(schema: dict[str, Any]) -> Any:
    """An instance of ``schema`` built from the examples the spec gives for each property."""
    if "examples" in schema:
        return schema["examples"][0]
    for key in ("allOf", "anyOf", "oneOf"):
        if key in schema:
            return synthesize(schema[key][0])
    kind = schema.get("type")
    if kind == "object":
        return {name: synthesize(part) for name, part in schema.get("properties", {}).items()}
    if kind == "array":
        return [synthesize(schema["items"])]
    if "enum" in schema:
        return schema["enum"][0]
    return {"string": "x", "integer": 0, "boolean": False, "null": None}[kind]


def signalwire_answers() -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    for template, method, operation in signalwire_spec().operations():
        for status, answer in operation["responses"].items():
            for content in answer.get("content", {}).values():
                yield template, method, status, content["schema"]


def test_every_signalwire_answer_parses() -> None:
    answers = list(signalwire_answers())
    assert len(answers) >= 30
    parsed = 0
    for template, method, status, schema in answers:
        if template in COUNTRIES:
            continue
        example = synthesize(schema)
        # The built example must be what the (sealed) schema describes, or it proves nothing.
        jsonschema.Draft202012Validator(schema).validate(example)
        parse = parser_for(template, method, status)
        if parse is None:
            code, message = codec.error_details(example)
            assert (code, message) == (str(example["code"]), example["message"])
            continue
        numbers = parse(example)
        check_parsed(example, numbers)
        parsed += 1
        if isinstance(numbers[0], nc.ActiveNumber):
            # "Tue, 25 Sept 2018 23:00:00 +0000": SignalWire's own example, not RFC 2822.
            assert numbers[0].created_at == datetime(2018, 9, 25, 23, 0, tzinfo=UTC)
            assert numbers[0].geography.iso_country == "US"
    assert parsed == 7  # the country list, 2 searches, list, create, fetch, update


# -- requests ---------------------------------------------------------------------------------------


class FakeCarrier:
    """Just enough of a carrier to drive every operation: numbers it owns, by sid."""

    def __init__(self, case: Case) -> None:
        self.case = case
        self.owned: dict[str, dict[str, Any]] = {}
        self.sids = (
            f"PN{n:032x}" if case.name == "twilio" else str(uuid.UUID(int=n)) for n in itertools.count(1)
        )
        self.lost_answers = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        case, path = self.case, request.url.path
        query = dict(request.url.params)
        form = dict(parse_qsl(request.content.decode(), keep_blank_values=True))
        if path.endswith(("AvailablePhoneNumbers", "AvailablePhoneNumbers.json")):
            return httpx.Response(200, json=case.fixture("countries"))
        if "/AvailablePhoneNumbers/" in path:
            name = "signalwire_search_toll_free" if "TollFree" in path else "signalwire_search_local"
            owned = {item["phone_number"] for item in self.owned.values()}
            found = [n for n in fixture(name)["available_phone_numbers"] if n["phone_number"] not in owned]
            return httpx.Response(200, json=fixture(name, available_phone_numbers=found))
        if path.endswith(("IncomingPhoneNumbers", "IncomingPhoneNumbers.json")):
            if request.method == "POST":
                return self.buy(form)
            pattern = re.compile(re.escape(query.get("PhoneNumber", "")).replace(r"\*", "[0-9]"))
            items = [
                item
                for item in self.owned.values()
                if pattern.search(item["phone_number"])
                and query.get("FriendlyName", item["friendly_name"]) == item["friendly_name"]
            ]
            return httpx.Response(200, json=case.fixture("list_page2", incoming_phone_numbers=items))
        sid = path.rsplit("/", 1)[1].removesuffix(".json")
        if case.account not in path:  # a look into another account
            return httpx.Response(404, json=fixture("twilio_error_not_found"))
        item = self.owned.get(sid)
        if item is None:
            return httpx.Response(404, json=fixture("twilio_error_not_found"))
        if request.method == "DELETE":
            del self.owned[sid]
            return httpx.Response(204)
        if request.method == "POST":
            if "AccountSid" in form:
                del self.owned[sid]
                return httpx.Response(200, json=dict(item, account_sid=form["AccountSid"]))
            item = dict(item, friendly_name=form.get("FriendlyName", item["friendly_name"]))
            self.owned[sid] = item
        return httpx.Response(200, json=item)

    def buy(self, form: dict[str, str]) -> httpx.Response:
        number = form.get("PhoneNumber") or "+1" + form["AreaCode"] + "5550100"
        now = datetime.now(UTC)
        item = self.case.fixture(
            "number",
            sid=next(self.sids),
            phone_number=number,
            friendly_name=form.get("FriendlyName", number),
            date_created=format_datetime(now),
        )
        self.owned[item["sid"]] = item
        if self.lost_answers:
            self.lost_answers -= 1
            return httpx.Response(504, text="gateway timeout")
        return httpx.Response(201, json=item, headers={"Date": format_datetime(now, usegmt=True)})


def full_config(case: Case, *, purchase: bool) -> nc.NumberConfig:
    if case.name == "twilio":
        app, address = "AP" + "1" * 32, "AD" + "2" * 32
        extra: dict[str, Any] = {
            "ApiVersion": "2010-04-01",
            "VoiceCallerIdLookup": False,
            "VoiceReceiveMode": "fax",
            "TrunkSid": "TK" + "3" * 32,
        }
    else:
        app, address = str(uuid.UUID(int=7)), str(uuid.UUID(int=8))
        extra = {"VoiceReceiveMode": "voice"}
    values: dict[str, Any] = {
        "friendly_name": "Everything",
        "voice": nc.Route(
            url="https://example.com/v",
            method="GET",
            fallback_url="https://example.com/vf",
            fallback_method="POST",
            application_id=app,
        ),
        "sms": nc.Route(
            url="https://example.com/s",
            method="POST",
            fallback_url="https://example.com/sf",
            fallback_method="GET",
            application_id=app,
        ),
        "status_callback": nc.Callback(url="https://example.com/cb", method="GET"),
        "extra": extra,
    }
    if not purchase or case.name == "twilio":
        values["emergency_address_id"] = address
    if case.name == "twilio":
        values["compliance"] = papers(address)
    return nc.NumberConfig(**values)


def papers(address: str) -> nc.NumberCompliance:
    return nc.NumberCompliance(address_id=address, bundle_id="BU" + "5" * 32, identity_id="RI" + "4" * 32)


def searches(case: Case) -> list[dict[str, Any]]:
    common: list[dict[str, Any]] = [
        {},
        {"area_code": "253"},
        {"contains": "WOLF"},
        {"contains": "5*5*55"},
        {"starts_with": "253"},
        {"ends_with": "51"},
        {"region": "WA", "locality": "Auburn"},
        {"voice": True, "sms": True, "mms": True, "exclude_address_required": True},
        {"number_type": "toll_free", "area_code": "844"},
        {"country": "CA", "area_code": "604"},
        {"country": "GB", "area_code": "20"},
    ]
    if case.name == "twilio":
        common += [
            {"postal_code": "98001", "rate_center": "AUBURN", "lata": "674", "fax": True},
            {"near_number": "+12532186751", "distance": 500},
            {"near_lat_long": (47.3, -122.2), "distance": 1},
            {"country": "NO", "number_type": "mobile", "contains": "*59"},
            {"number_type": "mobile", "sms": True},
        ]
    return common


@pytest.mark.anyio
@pytest.mark.parametrize("name", ["twilio", "signalwire"])
async def test_every_operation_sends_only_what_the_spec_describes(
    connected: Callable[[str], nc.Provider], wire: respx.MockRouter, name: str
) -> None:
    case = CASES[name]
    spec = twilio_spec() if name == "twilio" else signalwire_spec()
    spec.checked.clear()  # what this test covers, not what earlier ones did
    fake = FakeCarrier(case)
    wire.route(host=httpx.URL(case.numbers).host).mock(side_effect=fake)
    async with connected(name) as carrier:
        for criteria in searches(case):
            await carrier.search(**criteria, limit=7)
        bought = await carrier.purchase("+12532186751", config=full_config(case, purchase=True))
        await carrier.purchase("+12532186752")
        fake.lost_answers = 1  # searched, bought, its answer lost, and reconciled
        assert (await carrier.purchase_any(area_code="253", ends_with="0199")).phone_number == "+12535550199"
        if carrier.supports(nc.Feature.PURCHASE_ANY_NATIVE):
            await carrier.purchase_any(area_code="206", config=nc.NumberConfig(friendly_name="any"))
        await carrier.get(bought)
        await carrier.configure(bought, full_config(case, purchase=False))
        cleared: dict[str, Any] = {
            "voice": None,
            "sms": nc.Route(url=None),
            "status_callback": None,
            "emergency_address_id": None,
        }
        if carrier.supports(nc.Feature.CONFIG_COMPLIANCE):
            cleared["compliance"] = None
        await carrier.configure(bought, nc.NumberConfig(**cleared))
        assert await carrier.coverage()
        numbers = [n async for n in carrier.list(contains="253*186", friendly_name="Everything")]
        assert [n.phone_number for n in numbers] == ["+12532186751"]
        assert len([n async for n in carrier.list()]) == (4 if name == "twilio" else 3)
        if carrier.supports(nc.Feature.CONFIG_COMPLIANCE):
            await carrier.transfer("+12532186752", case.other_account, compliance=papers("AD" + "6" * 32))
        else:
            await carrier.transfer("+12532186752", case.other_account)
        await carrier.release(bought)
        with pytest.raises(nc.NotFoundError):
            await carrier.get(bought)
    for call in wire.calls:
        if spec_for(call.request) is spec:  # the price lists searches fetch: their own spec's
            spec.check(call.request)
    used = {
        (method.upper(), template)
        for template, method, _ in spec.operations()
        if template not in COUNTRIES | PER_TYPE
    }
    assert set(spec.checked) >= used  # every operation of the spec the adapter needs was exercised


def bad_requests() -> list[tuple[Spec, httpx.Request, str]]:
    tw, sw = CASES["twilio"], CASES["signalwire"]
    return [
        (twilio_spec(), httpx.Request("GET", tw.numbers, params={"Color": "red"}), "not a query parameter"),
        (twilio_spec(), httpx.Request("GET", tw.numbers, params={"PageSize": "5000"}), "5000"),
        (twilio_spec(), httpx.Request("GET", tw.numbers, params={"PageSize": "many"}), "many"),
        (twilio_spec(), httpx.Request("GET", tw.one_url("PN123")), "Sid"),
        (twilio_spec(), httpx.Request("GET", tw.search_url("US", "Voip")), "no operation"),
        (twilio_spec(), httpx.Request("PATCH", tw.one), "no operation"),
        (twilio_spec(), httpx.Request("POST", tw.one, data={"VoiceMethod": "PUT"}), "PUT"),
        (twilio_spec(), httpx.Request("POST", tw.one, data={"Nickname": "x"}), "not a form field"),
        (twilio_spec(), httpx.Request("POST", tw.one, data={"VoiceCallerIdLookup": "maybe"}), "maybe"),
        (twilio_spec(), httpx.Request("POST", tw.one, data={"VoiceApplicationSid": "AP1"}), "AP1"),
        (twilio_spec(), httpx.Request("POST", tw.numbers, json={"PhoneNumber": "+1"}), "not a form"),
        (twilio_spec(), httpx.Request("DELETE", tw.one, content=b"x=1"), "takes no body"),
        (signalwire_spec(), httpx.Request("GET", sw.search_url("US", "Mobile")), "no operation"),
        (
            signalwire_spec(),
            httpx.Request("GET", sw.search_url("US", "Local"), params={"PageSize": "5"}),
            "PageSize",
        ),
        (signalwire_spec(), httpx.Request("POST", sw.numbers, data={"FriendlyName": "x"}), "PhoneNumber"),
        (signalwire_spec(), httpx.Request("POST", sw.numbers, data={"PhoneNumber": "1415"}), "1415"),
        (
            signalwire_spec(),
            httpx.Request("POST", sw.numbers, data={"PhoneNumber": "+14155552671", "AddressSid": "x"}),
            "AddressSid",
        ),
        (signalwire_spec(), httpx.Request("POST", sw.one, data={"FriendlyName": "x" * 256}), "long"),
        (signalwire_spec(), httpx.Request("POST", sw.one, data={"AccountSid": "AC" + "a" * 32}), "uuid"),
        (signalwire_spec(), httpx.Request("GET", sw.one_url("not-a-uuid")), "uuid"),
        (
            signalwire_spec(),
            httpx.Request("GET", "https://example.signalwire.com/2010-04-01/Accounts"),
            "outside",
        ),
    ]


@pytest.mark.parametrize(("spec", "request_", "words"), bad_requests())
def test_the_checker_refuses_what_the_spec_does_not_describe(
    spec: Spec, request_: httpx.Request, words: str
) -> None:
    with pytest.raises(AssertionError, match=words):
        spec.check(request_)
