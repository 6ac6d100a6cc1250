"""OpenAPI 3.0 schemas as JSON Schema validators read them: shared by the adapters' spec checks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

__all__ = ["Checked", "Document", "mocked", "nullable"]


def nullable(node: Any) -> Any:
    """OpenAPI 3.0's ``nullable: true`` as JSON Schema says it: null is one of the types."""
    if isinstance(node, list):
        return [nullable(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: nullable(value) for key, value in node.items()}
    if node.pop("nullable", False) and isinstance(node.get("type"), str):
        node["type"] = [node["type"], "null"]
        if "enum" in node:
            node["enum"] = [*node["enum"], None]
    return node


class Document:
    """An OpenAPI 3.0 document that requests and answers are checked against (Vonage's, Plivo's).

    ``check_request`` finds the operation (method and path template below ``prefix``), checks its
    path parameters against their schemas, every query parameter (documented, of its type, enum and
    maximum, the required ones present) and the body (form or JSON, as the operation takes it)
    against the request schema. ``check_answer`` validates a 2xx JSON body against the response
    schema of its status.
    """

    def __init__(self, path: Any, *, prefix: str = "") -> None:
        import json

        self.doc = nullable(json.loads(path.read_text()))
        self.prefix = prefix

    def resolve(self, node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            target: Any = self.doc
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            node = target
        return node

    def validator(self, schema: dict[str, Any]) -> Any:
        import jsonschema

        return jsonschema.Draft7Validator({**schema, "components": self.doc["components"]})

    def operation(self, method: str, raw_path: str) -> tuple[str, dict[str, Any], dict[str, str]] | None:
        import re
        from urllib.parse import unquote

        path = raw_path.split("?", 1)[0]
        if not path.startswith(self.prefix):
            return None
        path = path.removeprefix(self.prefix)
        for template, item in self.doc["paths"].items():
            pattern = "^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template)) + "$"
            match = re.match(pattern, path)
            if match and method.lower() in item:
                values = {k: unquote(v) for k, v in match.groupdict().items()}
                return template, item[method.lower()], values
        return None

    def _parameters(self, item: dict[str, Any], op: dict[str, Any]) -> list[dict[str, Any]]:
        return [self.resolve(p) for p in (*item.get("parameters", []), *op.get("parameters", []))]

    def _check_value(self, name: str, schema: dict[str, Any], value: str) -> None:
        import re

        schema = self.resolve(schema)
        kind = schema.get("type")
        if kind == "integer":
            assert re.fullmatch(r"-?\d+", value), (name, value)
            number = int(value)
            assert number <= schema.get("maximum", number), (name, value)
            assert number >= schema.get("minimum", number), (name, value)
        elif kind == "boolean":
            assert value in ("true", "false"), (name, value)
        if "enum" in schema:
            assert value in [str(e) for e in schema["enum"] if e is not None], (name, value)
        if "pattern" in schema:
            assert re.search(schema["pattern"], value), (name, value)

    def check_request(self, request: Any) -> None:
        import json
        from urllib.parse import parse_qsl

        raw = request.url.raw_path.decode()
        found = self.operation(request.method, raw)
        assert found is not None, f"{request.method} {raw} is not an operation of the document"
        template, op, values = found
        item = self.doc["paths"][template]
        parameters = self._parameters(item, op)
        for parameter in parameters:
            if parameter["in"] == "path":
                self._check_value(parameter["name"], parameter["schema"], values[parameter["name"]])
        query = {p["name"]: p for p in parameters if p["in"] == "query"}
        given: dict[str, list[str]] = {}
        for name, value in parse_qsl(request.url.query.decode(), keep_blank_values=True):
            given.setdefault(name, []).append(value)
        for name, items in given.items():
            assert name in query, f"{request.method} {template}: query parameter {name!r} is not documented"
            assert len(items) == 1, f"{name} given {len(items)} times"
            self._check_value(name, query[name]["schema"], items[0])
        for name, parameter in query.items():
            if parameter.get("required"):
                assert name in given, f"{request.method} {template}: {name} is required"
        content = op.get("requestBody", {}).get("content", {})
        if not request.content:
            assert not op.get("requestBody", {}).get("required"), f"{template} needs a body"
            return
        kind = request.headers.get("content-type", "").split(";")[0]
        assert kind in content, f"{request.method} {template} takes {sorted(content)}, not {kind}"
        if kind == "application/x-www-form-urlencoded":
            body: Any = dict(parse_qsl(request.content.decode(), keep_blank_values=True))
        else:
            body = json.loads(request.content)
        self.validator(content[kind]["schema"]).validate(body)

    def check_answer(self, method: str, raw_path: str, status: int, body: bytes) -> None:
        import json

        found = self.operation(method, raw_path)
        if found is None or not 200 <= status < 300 or not body:
            return
        _, op, _ = found
        response = op["responses"].get(str(status))
        assert response is not None, f"{method} {raw_path}: {status} is not a documented answer"
        schema = response.get("content", {}).get("application/json", {}).get("schema")
        if schema is not None:
            self.validator(schema).validate(json.loads(body))


class Checked(httpx.AsyncBaseTransport):
    """A transport that checks every request with ``check`` before ``inner`` answers it."""

    def __init__(self, inner: httpx.AsyncBaseTransport, check: Callable[[httpx.Request], None]) -> None:
        self.inner = inner
        self.check = check
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        self.check(request)
        self.requests.append(request)
        return await self.inner.handle_async_request(request)


def mocked(
    answer: Callable[[httpx.Request], httpx.Response], check: Callable[[httpx.Request], None]
) -> tuple[httpx.AsyncClient, list[httpx.Request]]:
    """A client whose every request is checked with ``check``, kept, and answered by ``answer``."""
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        check(request)
        seen.append(request)
        return answer(request)

    return httpx.AsyncClient(transport=httpx.MockTransport(handle)), seen
