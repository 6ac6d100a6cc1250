"""Requests and answers checked against Telnyx's OpenAPI document (shared/specs/telnyx_numbers.json).

``check_request`` finds the operation (method and path template), checks the
path's ids, every query parameter (Telnyx's deep objects: ``filter[…][…]``,
``page[…]``, each a documented property, of its type or enum: Telnyx itself
ignores a misspelt filter and answers 200 with unrelated numbers) and the
JSON body against the request schema. ``check_answer`` validates a 2xx body
against the response schema, read as production answers: ``null`` where the
document says a string (Telnyx's captured answers do that throughout).
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

SPEC = Path("/work/shared/specs/telnyx_numbers.json")


def _lenient(node: Any) -> Any:
    """A string (or an enum of them) may also be null, as in Telnyx's real answers."""
    if isinstance(node, list):
        return [_lenient(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _lenient(value) for key, value in node.items()}
    if node.get("type") == "string":
        node["type"] = ["string", "null"]
        if "enum" in node:
            node["enum"] = [*node["enum"], None]
        node.pop("format", None)
    return node


@cache
def spec() -> dict[str, Any]:
    return json.loads(SPEC.read_text())


@cache
def lenient() -> dict[str, Any]:
    return _lenient(spec())


def resolve(node: dict[str, Any], root: dict[str, Any] | None = None) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = root or spec()
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _template(path: str) -> re.Pattern[str]:
    pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(path))
    return re.compile(f"^/v2{pattern}$")


def operation(method: str, raw_path: str) -> tuple[str, dict[str, Any], dict[str, str]]:
    # Literal paths first: /phone_numbers/jobs/… before /phone_numbers/{id}.
    for template, item in sorted(spec()["paths"].items(), key=lambda pair: pair[0].count("{")):
        match = _template(template).match(raw_path)
        if match and method.lower() in item:
            return template, item[method.lower()], {k: unquote(v) for k, v in match.groupdict().items()}
    raise AssertionError(f"{method} {raw_path} is not an operation of Telnyx's OpenAPI document")


def _check_value(name: str, schema: dict[str, Any], value: str) -> None:
    schema = resolve(schema)
    kinds = schema.get("type")
    if "oneOf" in schema:  # a string or a list of strings (country_iso_alpha2)
        return
    if kinds == "array":
        for part in value.split(","):
            _check_value(name, schema["items"], part)
        return
    if kinds == "integer":
        assert re.fullmatch(r"\d+", value), (name, value)
        for bound, holds in (("minimum", lambda b: int(value) >= b), ("maximum", lambda b: int(value) <= b)):
            if bound in schema:
                assert holds(schema[bound]), f"{name}={value} is out of bounds ({bound} {schema[bound]})"
    if kinds == "boolean":
        assert value in ("true", "false"), (name, value)
    if "enum" in schema:
        assert value in schema["enum"], f"{name}={value!r} is not one of {schema['enum']}"


def _check_query(template: str, op: dict[str, Any], name: str, value: str) -> None:
    parameters = {p["name"]: p for p in (resolve(q) for q in op.get("parameters", [])) if p["in"] == "query"}
    if name in parameters:
        _check_value(name, parameters[name]["schema"], value)
        return
    base, _, rest = name.partition("[")
    assert base in parameters, f"GET {template}: query parameter {name!r} is not documented"
    schema = resolve(parameters[base]["schema"])
    keys = re.findall(r"([^\[\]]+)\]", "[" + rest) if rest else []
    for key in keys:
        properties = schema.get("properties", {})
        assert key in properties, f"{template}: {name!r}: {key!r} is not a documented property of {base}"
        schema = resolve(properties[key])
    _check_value(name, schema, value)


def check_request(request: httpx.Request) -> None:
    raw = request.url.raw_path.decode().split("?", 1)[0]
    template, op, values = operation(request.method, raw)
    if "id" in values and template.startswith("/phone_numbers/{id}"):
        assert re.fullmatch(r"\d+", values["id"]), (
            f"{template}: a number's id is numeric, got {values['id']!r}"
        )
    for name, value in parse_qsl(request.url.query.decode(), keep_blank_values=True):
        _check_query(template, op, name, value)
    body_schema = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
    if request.content:
        assert body_schema is not None, f"{request.method} {template} takes no body"
        validator = jsonschema.Draft202012Validator({**body_schema, "components": spec()["components"]})
        validator.validate(json.loads(request.content))
    else:
        assert body_schema is None or not op["requestBody"].get("required"), f"{template} needs a body"
    assert request.headers["Authorization"].startswith("Bearer ")


def check_answer(request: httpx.Request, response: httpx.Response) -> None:
    if not response.is_success:
        return
    raw = request.url.raw_path.decode().split("?", 1)[0]
    template, _, _ = operation(request.method, raw)
    op = lenient()["paths"][template][request.method.lower()]
    answer = op["responses"].get(str(response.status_code))
    assert answer is not None, f"{request.method} {template} does not answer {response.status_code}"
    answer = resolve(answer, lenient())
    schema = answer["content"]["application/json"]["schema"]
    validator = jsonschema.Draft202012Validator({**schema, "components": lenient()["components"]})
    validator.validate(response.json())


def check_event(body: bytes) -> None:
    """A ``number_order.complete`` event as the document's webhook describes it."""
    schema = lenient()["webhooks"]["numberOrderStatusUpdate"]["post"]["requestBody"]["content"]
    validator = jsonschema.Draft202012Validator(
        {**schema["application/json"]["schema"], "components": lenient()["components"]}
    )
    validator.validate(json.loads(body))
