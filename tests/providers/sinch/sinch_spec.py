"""Requests and answers checked against Sinch's OpenAPI document (shared/specs/sinch_numbers_v1.json).

The emergency-address operations, which the document leaves out, come
from ``sinch_emergency.json`` (written from Sinch's SDKs). ``check_request``
finds the operation (method and path template, the ``:rent``/``:release``
verbs included), checks the path's project and
number, every query parameter (documented, of its type or enum, the
required ones present) and the JSON body against the operation's request
schema. ``check_answer`` validates a 2xx body against the response schema.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote

import httpx
import jsonschema
from openapi import nullable

SPEC = Path("/work/shared/specs/sinch_numbers_v1.json")
# The emergency-address operations, which that document leaves out: from Sinch's SDKs (see its info).
EMERGENCY = Path(__file__).parent / "sinch_emergency.json"


@cache
def spec() -> dict[str, Any]:
    document = json.loads(SPEC.read_text())
    emergency = json.loads(EMERGENCY.read_text())
    document["paths"].update(emergency["paths"])
    document["components"]["schemas"].update(emergency["components"]["schemas"])
    return nullable(document)


def resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        parts = node["$ref"].removeprefix("#/").split("/")
        target: Any = spec()
        for part in parts:
            target = target[part]
        node = target
    return node


def validator(schema: dict[str, Any]) -> jsonschema.Draft7Validator:
    return jsonschema.Draft7Validator({**schema, "components": spec()["components"]})


def _template(path: str) -> re.Pattern[str]:
    return re.compile(
        "^"
        + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/:]+)", re.escape(path).replace(r"\{", "{").replace(r"\}", "}"))
        + "$"
    )


def operation(request: httpx.Request) -> tuple[str, dict[str, Any], dict[str, str]]:
    raw = request.url.raw_path.decode().split("?", 1)[0]
    for template, item in spec()["paths"].items():
        match = _template(template).match(raw)
        if match and request.method.lower() in item:
            return (
                template,
                item[request.method.lower()],
                {k: unquote(v) for k, v in match.groupdict().items()},
            )
    raise AssertionError(f"{request.method} {raw} is not an operation of Sinch's OpenAPI document")


def _check_query(name: str, schema: dict[str, Any], values: list[str]) -> None:
    schema = resolve(schema)
    if schema.get("type") == "array":
        items = resolve(schema["items"])
        for value in values:
            _check_value(name, items, value)
        return
    assert len(values) == 1, f"{name} given {len(values)} times"
    _check_value(name, schema, values[0])


def _check_value(name: str, schema: dict[str, Any], value: str) -> None:
    if schema.get("type") == "integer":
        assert re.fullmatch(r"\d+", value), (name, value)
    if "enum" in schema:
        assert value in schema["enum"], (name, value)


def check_request(request: httpx.Request) -> None:
    if request.url.host == "auth.sinch.com":
        assert request.method == "POST"
        assert request.url.path == "/oauth2/token"
        assert request.headers["Authorization"].startswith("Basic ")
        assert dict(parse_qsl(request.content.decode())) == {"grant_type": "client_credentials"}
        return
    template, op, values = operation(request)
    assert re.fullmatch(r"[0-9a-f-]{36}", values["projectId"]), values
    if "phoneNumber" in values:
        assert re.fullmatch(r"\+[1-9][0-9]{6,14}", values["phoneNumber"]), values
        assert "%2B" in request.url.raw_path.decode(), "the + goes %-encoded"
    parameters = {p["name"]: p for p in (resolve(q) for q in op.get("parameters", [])) if p["in"] == "query"}
    given: dict[str, list[str]] = {}
    for name, value in parse_qsl(request.url.query.decode(), keep_blank_values=True):
        given.setdefault(name, []).append(value)
    for name, items in given.items():
        assert name in parameters, f"{request.method} {template}: query parameter {name!r} is not documented"
        _check_query(name, parameters[name]["schema"], items)
    for name, parameter in parameters.items():
        if parameter.get("required"):
            assert name in given, f"{request.method} {template}: {name} is required"
    body_schema = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
    if request.content:
        assert body_schema is not None, f"{request.method} {template} takes no body"
        validator(body_schema).validate(json.loads(request.content))
    else:
        assert body_schema is None or not op["requestBody"].get("required"), f"{template} needs a body"


def check_answer(request: httpx.Request, response: httpx.Response) -> None:
    if request.url.host == "auth.sinch.com" or request.url.path == "/oauth2/token" or not response.is_success:
        return
    _, op, _ = operation(request)
    content = op["responses"]["200"].get("content")
    if content is None:  # an operation that answers nothing (deprovision)
        return
    validator(content["application/json"]["schema"]).validate(response.json())
