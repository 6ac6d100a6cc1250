"""Test support for the Twilio/SignalWire adapter: fixtures, the OpenAPI checks, secrets.

``Spec.check(request)`` validates one request the adapter sent against the
carrier's OpenAPI document: the operation (method and path template), the
path parameters, every query parameter's name and value, and every form
field's name, type and enum. The ``wire`` fixture in conftest.py runs it on
every request of every test in this folder. Twilio's numbers, its Addresses,
Pricing API and Regulations are each in a document of their own: ``spec_for``
picks it by the request's path.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import functools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote

import httpx
import jsonschema
import pytest
import respx
from openapi import nullable

HERE = Path(__file__).parent
SPECS = Path("/work/shared/specs")

TWILIO_ACCOUNT = "AC" + "a" * 32
TWILIO_OTHER_ACCOUNT = "AC" + "b" * 32
TWILIO_SID = "PN3f9a1c2b4d5e6f708192a3b4c5d6e7f8"
TWILIO_HOST = "https://api.twilio.com"
TWILIO_NUMBERS = f"{TWILIO_HOST}/2010-04-01/Accounts/{TWILIO_ACCOUNT}/IncomingPhoneNumbers.json"
TWILIO_ONE = f"{TWILIO_HOST}/2010-04-01/Accounts/{TWILIO_ACCOUNT}/IncomingPhoneNumbers/{TWILIO_SID}.json"
TWILIO_SEARCH = f"{TWILIO_HOST}/2010-04-01/Accounts/{TWILIO_ACCOUNT}/AvailablePhoneNumbers"
TWILIO_ADDRESSES = f"{TWILIO_HOST}/2010-04-01/Accounts/{TWILIO_ACCOUNT}/Addresses.json"
TWILIO_PRICING = "https://pricing.twilio.com/v1/PhoneNumbers/Countries"
TWILIO_REGULATIONS = "https://numbers.twilio.com/v2/RegulatoryCompliance/Regulations"

SW_PROJECT = "b3877c40-da60-4998-90ad-b792e98472ac"
SW_OTHER_PROJECT = "d1c2b3a4-9f8e-4d7c-8b6a-5f4e3d2c1b0a"
SW_SID = "5a1d3c4e-0f6b-4c2d-9e8f-7a6b5c4d3e2f"
SW_HOST = "https://example.signalwire.com"
SW_NUMBERS = f"{SW_HOST}/api/laml/2010-04-01/Accounts/{SW_PROJECT}/IncomingPhoneNumbers"
SW_ONE = f"{SW_NUMBERS}/{SW_SID}"
SW_SEARCH = f"{SW_HOST}/api/laml/2010-04-01/Accounts/{SW_PROJECT}/AvailablePhoneNumbers"


@dataclass(frozen=True)
class Case:
    """One dialect's addresses and canned answers, for tests both dialects share."""

    name: str
    account: str
    other_account: str
    sid: str
    #: the number of the ``<name>_number`` fixture
    owned: str
    numbers: str
    one: str
    search: str
    suffix: str

    def fixture(self, kind: str, **changes: Any) -> Any:
        return fixture(f"{self.name}_{kind}", **changes)

    def search_url(self, country: str, kind: str) -> str:
        return f"{self.search}/{country}/{kind}{self.suffix}"

    def one_url(self, sid: str, account: str | None = None) -> str:
        return self.one.replace(self.sid, sid).replace(self.account, account or self.account)


# Canaries: they must never show in a log line, a repr or an error message.
TWILIO_TOKEN = "ca5a7e0c7d1f5b9e0c7d1fca4a2bb00b"
TWILIO_API_SECRET = "CanaryTwilioApiSecretA7c3x9Q2w1Z"
SW_TOKEN = "PTcanarysignalwiretoken3e8f1a0d9c8b7a6f5e4d3c2b1a09"
SECRETS = (TWILIO_TOKEN, TWILIO_API_SECRET, SW_TOKEN)


def secret_forms() -> list[str]:
    """Each canary as it could leak: raw, or inside a Basic authorization header."""
    forms = list(SECRETS)
    for user, secret in (
        (TWILIO_ACCOUNT, TWILIO_TOKEN),
        ("SK" + "c" * 32, TWILIO_API_SECRET),
        (SW_PROJECT, SW_TOKEN),
    ):
        forms.append(base64.b64encode(f"{user}:{secret}".encode()).decode())
    return forms


def assert_no_secret(*texts: object) -> None:
    for text in texts:
        shown = text if isinstance(text, str) else f"{text!s} {text!r}"
        for form in secret_forms():
            assert form not in shown, f"a secret leaked into: {shown[:200]}"


def assert_clean_error(error: BaseException) -> None:
    """No secret in the error, its attributes, or the chain a traceback would show."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        assert_no_secret(current, *(value for value in vars(current).values() if isinstance(value, str)))
        # As Python prints it: the cause, else the context unless "raise … from None" hid it.
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)


@contextlib.contextmanager
def raises(kind: type[BaseException], match: str | None = None) -> Iterator[pytest.ExceptionInfo[Any]]:
    """pytest.raises that also checks the error leaks no secret."""
    with pytest.raises(kind, match=match) as info:
        yield info
    assert_clean_error(info.value)


@functools.cache
def _fixture_text(name: str) -> str:
    return (HERE / "fixtures" / f"{name}.json").read_text()


def fixture(name: str, **changes: Any) -> Any:
    """A canned answer from fixtures/, as a fresh object (with top-level ``changes``)."""
    data = json.loads(_fixture_text(name))
    data.update(changes)
    return data


def lookup(wire: respx.MockRouter, case: Case, number: str, *found: Any) -> respx.Route:
    """The look-up by number (GET IncomingPhoneNumbers?PhoneNumber=…) and what it finds."""
    return wire.get(case.numbers, params={"PhoneNumber": number}).mock(
        return_value=httpx.Response(200, json=page(f"{case.name}_list_page1", items=list(found)))
    )


def page(name: str, *, items: list[Any] | None = None, next_page_uri: str | None = None) -> Any:
    """A list page fixture, with other numbers or another next link."""
    data = fixture(name)
    if items is not None:
        data["incoming_phone_numbers"] = items
    data["next_page_uri"] = next_page_uri
    return data


# -- the OpenAPI documents -----------------------------------------------------------------------


def _inline(node: Any, document: dict[str, Any], depth: int = 0) -> Any:
    """``node`` with every local ``$ref`` replaced by what it points at."""
    assert depth < 50, "a $ref cycle"
    if isinstance(node, dict):
        if "$ref" in node:
            target: Any = document
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            merged = {
                **_inline(target, document, depth + 1),
                **{k: v for k, v in node.items() if k != "$ref"},
            }
            return _inline(merged, document, depth + 1)
        return {key: _inline(value, document, depth + 1) for key, value in node.items()}
    if isinstance(node, list):
        return [_inline(value, document, depth + 1) for value in node]
    return node


def _overridden(node: Any) -> Any:
    """``node`` with Twilio's ``x-twilio.overrideType`` applied: prices are typed as numbers and
    sent as decimal strings, which the generated SDKs read as the override says."""
    if isinstance(node, list):
        return [_overridden(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _overridden(value) for key, value in node.items()}
    override = (
        node.get("x-twilio", {}).get("overrideType") if isinstance(node.get("x-twilio"), dict) else None
    )
    if override is not None and "type" in node:
        node["type"] = override
    return node


def _types(schema: dict[str, Any]) -> set[str]:
    found = set()
    if isinstance(schema.get("type"), str):
        found.add(schema["type"])
    for key in ("allOf", "anyOf", "oneOf"):
        for part in schema.get(key, []):
            found |= _types(part)
    return found


def _coerce(value: str, schema: dict[str, Any]) -> Any:
    """A form or query string as the JSON value its schema describes."""
    kinds = _types(schema)
    if "boolean" in kinds and value in ("true", "false"):
        return value == "true"
    if "integer" in kinds and re.fullmatch(r"-?[0-9]+", value):
        return int(value)
    if "number" in kinds:
        try:
            return float(value)
        except ValueError:
            return value
    return value


class Spec:
    """One carrier's OpenAPI document, for checking requests and reading examples."""

    def __init__(self, filename: str, *, prefix: str, validator: type[jsonschema.Validator]) -> None:
        self.document = json.loads((SPECS / filename).read_text())
        self.resolved = _overridden(_inline(copy.deepcopy(self.document), self.document))
        self.prefix = prefix
        self.validator = validator
        self.checked: list[tuple[str, str]] = []

    def operations(self) -> Iterator[tuple[str, str, dict[str, Any]]]:
        for template, item in self.resolved["paths"].items():
            for method, operation in item.items():
                if method in ("get", "post", "delete", "put", "patch"):
                    yield template, method, operation

    @functools.cached_property
    def _templates(self) -> list[tuple[re.Pattern[str], str]]:
        compiled = []
        for template in self.resolved["paths"]:
            parts = re.split(r"\{(\w+)\}", template)
            regex = "".join(
                re.escape(part) if index % 2 == 0 else f"(?P<{part}>[^/]+)"
                for index, part in enumerate(parts)
            )
            compiled.append((re.compile(f"^{regex}$"), template))
        return compiled

    def match(self, method: str, path: str) -> tuple[str, dict[str, Any], dict[str, str]]:
        """(template, operation, path parameters) for a request; literal segments win."""
        assert path.startswith(self.prefix), f"{path} is outside the API base {self.prefix}"
        path = path[len(self.prefix) :]
        candidates = []
        for regex, template in self._templates:
            found = regex.match(path)
            if found and method.lower() in self.resolved["paths"][template]:
                candidates.append((len(found.groupdict()), template, found.groupdict()))
        assert candidates, f"{method} {path} is no operation of the spec"
        _, template, params = min(candidates)
        return template, self.resolved["paths"][template][method.lower()], params

    def _validate(self, instance: Any, schema: dict[str, Any], what: str) -> None:
        validator = self.validator(schema, format_checker=jsonschema.FormatChecker())
        errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.path))
        assert not errors, f"{what}: {'.'.join(map(str, errors[0].absolute_path))}: {errors[0].message}"

    def check(self, request: httpx.Request) -> None:
        template, operation, path_params = self.match(request.method, request.url.path)
        where = f"{request.method} {template}"
        declared = {(p["in"], p["name"]): p for p in operation.get("parameters", [])}
        for name, raw in path_params.items():
            parameter = declared.get(("path", name))
            assert parameter is not None, f"{where}: undeclared path parameter {name}"
            value = unquote(raw)
            self._validate(
                _coerce(value, parameter["schema"]), parameter["schema"], f"{where} {name}={value!r}"
            )
        query = parse_qsl(request.url.query.decode(), keep_blank_values=True)
        names = [name for name, _ in query]
        assert len(names) == len(set(names)), f"{where}: repeated query parameters {names}"
        for name, value in query:
            parameter = declared.get(("query", name))
            assert parameter is not None, f"{where}: {name} is not a query parameter of this operation"
            self._validate(
                _coerce(value, parameter["schema"]), parameter["schema"], f"{where} {name}={value!r}"
            )
        for (place, name), parameter in declared.items():
            if parameter.get("required") and place == "query":
                assert name in names, f"{where}: required query parameter {name} missing"
        body = request.content
        content = operation.get("requestBody", {}).get("content", {})
        if not content:
            assert not body, f"{where} takes no body"
            self.checked.append((request.method, template))
            return
        form_type = "application/x-www-form-urlencoded"
        assert request.headers.get("content-type", "").startswith(form_type), f"{where}: not a form"
        schema = content[form_type]["schema"]
        properties = schema.get("properties", {})
        fields = parse_qsl(body.decode(), keep_blank_values=True)
        assert len({k for k, _ in fields}) == len(fields), f"{where}: repeated form fields"
        instance = {}
        for name, value in fields:
            assert name in properties, f"{where}: {name} is not a form field of this operation"
            # The API clears a URL or a SID with an empty value, which the spec's patterns
            # do not describe; the field name is still checked above.
            if value != "":
                instance[name] = _coerce(value, properties[name])
        self._validate(instance, schema, f"{where} form {instance}")
        self.checked.append((request.method, template))

    def check_answer(self, method: str, path: str, status: int, body: bytes) -> None:
        """A 2xx answer: a status the operation documents, and a body its schema admits."""
        if not 200 <= status < 300:
            return
        template, operation, _ = self.match(method, path)
        where = f"{method} {template} -> {status}"
        answer = operation.get("responses", {}).get(str(status))
        assert answer is not None, f"{where}: the spec documents {sorted(operation.get('responses', {}))}"
        content = answer.get("content", {}).get("application/json")
        if content is None:
            assert not body, f"{where}: the spec gives this answer no body"
            return
        self._validate(json.loads(body), nullable(content["schema"]), where)


@functools.cache
def twilio_spec() -> Spec:
    return Spec(
        "twilio_api_v2010_numbers.json",
        prefix="",
        validator=jsonschema.Draft7Validator,  # OAS 3.0 schemas are a JSON Schema draft-4/7 dialect
    )


@functools.cache
def signalwire_spec() -> Spec:
    return Spec(
        "signalwire_compat_numbers.json",
        prefix="/api/laml/2010-04-01",
        validator=jsonschema.Draft202012Validator,  # OAS 3.1 is JSON Schema 2020-12
    )


@functools.cache
def addresses_spec() -> Spec:
    return Spec("twilio_api_v2010_addresses.json", prefix="", validator=jsonschema.Draft7Validator)


@functools.cache
def pricing_spec() -> Spec:
    return Spec("twilio_pricing_v1_numbers.json", prefix="", validator=jsonschema.Draft7Validator)


@functools.cache
def regulatory_spec() -> Spec:
    return Spec("twilio_numbers_v2_regulatory.json", prefix="", validator=jsonschema.Draft7Validator)


def spec_for_path(path: str) -> Spec:
    """The spec of a path (whatever the host: regional hosts and test servers included)."""
    if path.startswith("/api/laml/"):
        return signalwire_spec()
    if path.startswith("/2010-04-01/"):
        return addresses_spec() if re.match(r"^/2010-04-01/Accounts/[^/]+/Addresses", path) else twilio_spec()
    if path.startswith("/v1/PhoneNumbers/"):
        return pricing_spec()
    if path.startswith("/v2/RegulatoryCompliance/"):
        return regulatory_spec()
    raise AssertionError(f"a path outside both carriers' APIs: {path}")


def spec_for(request: httpx.Request) -> Spec:
    """The spec a request is for, by its path."""
    return spec_for_path(request.url.path)


def check_answer(method: str, path: str, status: int, body: bytes) -> None:
    """An emulator's answer, checked against the document of its path (``Spec.check_answer``)."""
    spec_for_path(path).check_answer(method, path, status, body)


CASES = {
    "twilio": Case(
        name="twilio",
        account=TWILIO_ACCOUNT,
        other_account=TWILIO_OTHER_ACCOUNT,
        sid=TWILIO_SID,
        owned="+14155552671",
        numbers=TWILIO_NUMBERS,
        one=TWILIO_ONE,
        search=TWILIO_SEARCH,
        suffix=".json",
    ),
    "signalwire": Case(
        name="signalwire",
        account=SW_PROJECT,
        other_account=SW_OTHER_PROJECT,
        sid=SW_SID,
        owned="+13103386745",
        numbers=SW_NUMBERS,
        one=SW_ONE,
        search=SW_SEARCH,
        suffix="",
    ),
}
