"""Requests and answers checked against the seed document's draft of Numbers API v1.

The document (shared/seeds/004_…) is a rendered OpenAPI page: per operation
a ``METHOD /path`` line, a parameters table, and JSON examples of the body
and of the 200 answer. ``check_request`` finds the operation of a request
(method and path template), checks every query parameter against the table
(documented, booleans as ``true``/``false``) and the JSON body against the
body example; ``check_answer`` checks a 2xx body against the answer example.
A value fits an example when it has the example's JSON type (null always
fits: every field of the draft is nullable) and an object has no key the
example lacks.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote

import httpx

SEED = Path("/work/shared/seeds/004_11a655523a0bd3cd.txt")
#: the document's base path
BASE = "/v1"
#: the query parameter of the fake's own next-page links (the document's meta.page)
PAGE_PARAMETER = "page"


@dataclass
class Operation:
    method: str
    path: str
    pattern: re.Pattern[str]
    query: dict[str, str] = field(default_factory=dict)  # name -> type
    body: Any = None
    answer: Any = None


def _json_after(section: str, marker: str) -> Any:
    at = section.find(marker)
    if at < 0:
        return None
    block = re.search(r"```json\n(.*?)```", section[at:], re.S)
    return json.loads(block.group(1)) if block else None


@cache
def operations() -> tuple[Operation, ...]:
    text = SEED.read_text()
    found = []
    heads = list(re.finditer(r"^`(GET|POST|DELETE|PUT|PATCH) (/[^`]+)`$", text, re.M))
    for index, head in enumerate(heads):
        end = heads[index + 1].start() if index + 1 < len(heads) else text.find("# Schemas")
        section = text[head.end() : end]
        method, path = head.groups()
        template = re.escape(path).replace(r"\{AccountId\}", "[^/]+").replace(r"\{phoneNumber\}", "[^/]+")
        operation = Operation(method, path, re.compile(f"{template}$"))
        for row in re.finditer(r"^\|([^|]+)\|(query|path|body)\|([^|]+)\|", section, re.M):
            name, place, kind = row.groups()
            if place == "query":
                operation.query[name] = kind
        operation.body = _json_after(section, "> Body parameter")
        operation.answer = _json_after(section, "> 200 Response")
        found.append(operation)
    return tuple(found)


def fits(value: Any, example: Any, where: str = "body") -> None:
    """Raise AssertionError naming the first place where ``value`` does not fit ``example``."""
    if value is None or example is None:
        return
    if isinstance(example, dict):
        assert isinstance(value, dict), f"{where}: expected an object, got {value!r}"
        extra = value.keys() - example.keys()
        assert not extra, f"{where}: keys the document does not have: {sorted(extra)}"
        for key, item in value.items():
            fits(item, example[key], f"{where}.{key}")
    elif isinstance(example, list):
        assert isinstance(value, list), f"{where}: expected a list, got {value!r}"
        for index, item in enumerate(value):
            fits(item, example[0], f"{where}[{index}]")
    elif isinstance(example, bool):
        assert isinstance(value, bool), f"{where}: expected true or false, got {value!r}"
    elif isinstance(example, int):
        assert isinstance(value, int), f"{where}: expected an integer, got {value!r}"
        assert not isinstance(value, bool), f"{where}: expected an integer, got {value!r}"
    else:
        assert isinstance(value, str), f"{where}: expected a string, got {value!r}"


def shape(value: Any) -> Any:
    """The keys of ``value``, all the way down (lists by their first item)."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return type(value).__name__


def operation_of(request: httpx.Request) -> Operation:
    raw = request.url.raw_path.decode().split("?", 1)[0]
    assert raw.startswith(BASE + "/"), f"{raw}: not under the document's base path {BASE}"
    path = raw.removeprefix(BASE)
    for operation in operations():
        if operation.method == request.method and operation.pattern.match(path):
            return operation
    raise AssertionError(f"{request.method} {path}: no such operation in the document")


def check_request(request: httpx.Request) -> None:
    operation = operation_of(request)
    for name, value in parse_qsl(request.url.query.decode(), keep_blank_values=True):
        if name == PAGE_PARAMETER:
            continue
        assert name in operation.query, f"{operation.path}: undocumented query parameter {name!r}"
        if operation.query[name] == "boolean":
            assert value in ("true", "false"), f"{name}={value!r}: expected true or false"
    if "PN" in operation.path:
        number = unquote(request.url.raw_path.decode().rsplit("/PN", 1)[1])
        assert re.fullmatch(r"\+[1-9]\d{6,14}", number), f"PN{number}: not an E.164 number"
    if request.content:
        assert request.headers["content-type"] == "application/json"
        fits(json.loads(request.content), operation.body)


def check_answer(request: httpx.Request, answer: httpx.Response) -> None:
    if not answer.is_success:
        return
    operation = operation_of(request)
    if operation.answer is None:
        assert not answer.content, f"{operation.path}: the document gives this answer no body"
        return
    fits(json.loads(answer.content), operation.answer, "answer")
