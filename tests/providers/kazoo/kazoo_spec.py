"""Requests checked against Kazoo's own Swagger document (shared/specs/kazoo_crossbar_phone_numbers.json).

``check_request`` finds the operation (method and path template under
``/v2``), checks every path parameter against its pattern (the number as
``%2B`` and digits), every query parameter's name and type against the
operation's documented ones, the ``X-Auth-Token`` header where required,
and the JSON body against the operation's request schema (the envelope,
``data`` checked against the number schema).
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
import jsonschema

SPECS = Path("/work/shared/specs")


@cache
def spec() -> dict[str, Any]:
    return json.loads((SPECS / "kazoo_crossbar_phone_numbers.json").read_text())


@cache
def number_schema() -> dict[str, Any]:
    return json.loads((SPECS / "kazoo_phone_numbers.schema.json").read_text())


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if ref is None:
        return node
    kind, name = ref.removeprefix("#/").split("/", 1)
    return spec()[kind][name]


def _template(path: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\{([A-Z_]+)\}", r"(?P<\1>[^/]+)", path) + "$")


def validator(schema: dict[str, Any]) -> jsonschema.Draft4Validator:
    return jsonschema.Draft4Validator({**schema, "definitions": spec()["definitions"]})


def operation(request: httpx.Request) -> tuple[str, dict[str, Any], dict[str, str]]:
    raw = request.url.raw_path.decode().split("?", 1)[0]
    assert raw.startswith("/v2/"), raw
    path = raw.removeprefix("/v2")
    for template, item in spec()["paths"].items():
        match = _template(template).match(path)
        if match and request.method.lower() in item:
            return template, item[request.method.lower()], match.groupdict()
    raise AssertionError(f"{request.method} {raw} is not an operation of the Swagger document")


_CALLFLOWS = re.compile(r"^/v2/accounts/[0-9a-f]{32}/callflows(/[0-9a-f]{32})?$")


def check_request(request: httpx.Request) -> None:
    path = request.url.raw_path.decode().split("?", 1)[0]
    if "/callflows" in path:
        # Callflows are outside the phone-number document set: checked against Kazoo's callflows
        # doc by hand (listing and read with GET, a merge of "numbers" with PATCH).
        assert _CALLFLOWS.match(path), path
        assert request.headers.get("X-Auth-Token")
        if request.method == "PATCH":
            data = json.loads(request.content)["data"]
            assert list(data) == ["numbers"]
            assert all(re.fullmatch(r"\+[1-9][0-9]{6,14}", n) for n in data["numbers"])
        else:
            assert request.method == "GET"
            assert set(dict(parse_qsl(request.url.query.decode()))) <= {"page_size", "start_key"}
        return
    template, op, values = operation(request)
    parameters = [_resolve(p) for p in op.get("parameters", [])]
    for parameter in parameters:
        if parameter["in"] == "path":
            value = values[parameter["name"]]
            assert re.match(parameter["pattern"], value), (parameter["name"], value)
            assert parameter.get("minLength", 0) <= len(value) <= parameter.get("maxLength", 10**6)
        elif parameter["in"] == "header" and parameter.get("required"):
            assert request.headers.get(parameter["name"]), f"{template}: {parameter['name']} missing"
    documented = {
        p["name"]: p for p in (_resolve(q) for q in op.get("x-research", {}).get("query_parameters", []))
    }
    for name, value in parse_qsl(request.url.query.decode(), keep_blank_values=True):
        if name.startswith("filter_") and "q_filter_state" in {
            q.get("$ref", "").rsplit("/", 1)[-1] for q in op.get("x-research", {}).get("query_parameters", [])
        }:
            # "Any filter_{KEY} … also work" (filter_state's description): a key of the document.
            assert re.fullmatch(r"filter_(not_)?[a-z0-9_]+", name), name
            continue
        assert name in documented, f"{request.method} {template}: query parameter {name!r} is not documented"
        _check_value(documented[name], value)
    if not request.content:
        return
    body = json.loads(request.content)
    schema = op.get("x-research", {}).get("request_body")
    assert schema is not None, f"{request.method} {template} takes no body"
    if request.method == "PATCH" and isinstance(body.get("data"), dict):
        # "PATCH merges (null deletes a key)" (number_public_fields): a null is no value to check.
        body = {**body, "data": {key: value for key, value in body["data"].items() if value is not None}}
    validator(schema).validate(body)
    if template.startswith("/accounts/"):
        # The number document's own schema (draft-04, verbatim from Kazoo) on the fields sent.
        data = {key: value for key, value in body["data"].items() if value is not None}
        jsonschema.Draft4Validator(number_schema()).validate(data)


def _check_value(parameter: dict[str, Any], value: str) -> None:
    kind = parameter.get("type")
    name = parameter["name"]
    if kind == "integer":
        assert re.fullmatch(r"\d+", value), (name, value)
        assert int(value) >= parameter.get("minimum", 0), (name, value)
    elif kind == "boolean":
        assert value in ("true", "false"), (name, value)
    else:
        assert parameter.get("minLength", 0) <= len(value) <= parameter.get("maxLength", 10**6), (name, value)
    if "enum" in parameter:
        assert value in parameter["enum"], (name, value)


_NUMBER = re.compile(r"^/v2/accounts/[0-9a-f]{32}/phone_numbers/%2B[0-9]+(/activate)?$")


def check_answer(request: httpx.Request, response: httpx.Response) -> None:
    """A 2xx answer: Kazoo's envelope; a number's document admitted by the number schema."""
    if not response.is_success:
        return
    body = response.json()
    assert body.get("status") == "success", body
    assert "data" in body
    assert isinstance(body.get("request_id"), str)
    if _NUMBER.match(request.url.raw_path.decode().split("?", 1)[0]):
        document = {k: v for k, v in body["data"].items() if not k.startswith("_")}
        errors = list(jsonschema.Draft4Validator(number_schema()).iter_errors(document))
        assert not errors, f"{request.method} {request.url.path}: {errors[0].message}"
