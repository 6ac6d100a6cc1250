"""What an emulator takes of a request: its target and body, read once, bounded and decoded strictly.

A request the carrier would refuse as malformed raises :class:`BadRequest`,
which the emulator answers 400 (413 for a body too large) in the dialect's
own error shape (:meth:`Dialect.bad_request`): a path or query with NUL or
another control character, a ``.``/``..`` segment or bytes that are not
UTF-8; a body larger than :data:`MAX_BODY`, nested deeper than
:data:`MAX_DEPTH`, not UTF-8, not JSON (NaN, integers past 64 bits and
lone surrogates included) or not a form, as the route expects; or one whose
body or query is not of the route's shape (a :class:`Shape`, per the carrier's
documents).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import parse_qsl, unquote_to_bytes

from pydantic import BaseModel, ConfigDict, ValidationError
from starlette.requests import Request

__all__ = [
    "MAX_BODY",
    "MAX_DEPTH",
    "BadRequest",
    "Shape",
    "Violation",
    "read_form",
    "read_json",
    "read_query",
]

#: the largest body an emulator reads, in bytes (the carriers' own are a few hundred)
MAX_BODY = 1024 * 1024
#: how deep a JSON body may nest (the carriers' own go four levels down)
MAX_DEPTH = 32
# Integers past 64 bits are no carrier's, and Python's own limit (4,300 digits) is no bound at all.
_DIGITS = 19
_FORM_FIELDS = 200

Model = TypeVar("Model", bound="Shape")


# The rules of a request that could not be read at all; the others' was read, in the wrong shape.
_UNREADABLE = frozenset({"json", "encoding", "form", "size", "path", "query"})
_STEPS = re.compile(r"\.|\[(\d+)\]")


@dataclass(frozen=True, slots=True)
class Violation:
    """What is wrong with a request: where (``field``, dotted, ``""`` for the whole body or target),
    the rule broken (a JSON Schema keyword: ``type``, ``required``, ``enum``, ``maxLength``…, or
    ``json``, ``encoding``, ``form``, ``size``, ``path``, ``query``), and a description in plain words."""

    field: str
    rule: str
    description: str

    def __str__(self) -> str:
        return f"{self.field}: {self.description}" if self.field else self.description

    @property
    def unreadable(self) -> bool:
        """Whether the request could not be read at all (its target, its encoding, not JSON or not
        a form, too large), rather than read and found not to be of the route's shape."""
        return self.rule in _UNREADABLE

    @property
    def pointer(self) -> str:
        """``field`` as a JSON Pointer (RFC 6901): ``phone_numbers[0].phone_number`` is
        ``/phone_numbers/0/phone_number``; ``""`` for the whole body."""
        steps = [step for step in _STEPS.split(self.field) if step]
        return "".join("/" + step.replace("~", "~0").replace("/", "~1") for step in steps)


class BadRequest(Exception):
    """A request the carrier refuses as malformed, for :meth:`Dialect.bad_request` to answer."""

    def __init__(self, *violations: Violation, status: int = 400) -> None:
        self.violations = violations
        self.status = status
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """One line: the first three violations."""
        shown = "; ".join(map(str, self.violations[:3]))
        more = len(self.violations) - 3
        return f"{shown} (and {more} more)" if more > 0 else shown


def _refuse(rule: str, description: str, field: str = "", *, status: int = 400) -> BadRequest:
    return BadRequest(Violation(field, rule, description), status=status)


class Shape(BaseModel):
    """A request body's shape, per the carrier's documents: JSON types as they are (no coercion), no
    field the carrier does not document unless a subclass allows extra ones."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


# -- the target --------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SEGMENTS = re.compile(r"[/\\]")


def _checked_target(decoded: bytes, where: str) -> None:
    try:
        text = decoded.decode("utf-8")
    except UnicodeDecodeError:
        raise _refuse(where, f"the {where} is not UTF-8") from None
    if _CONTROL.search(text):
        raise _refuse(where, f"the {where} has a control character (NUL, CR, LF…)")
    if any(segment in (".", "..") for segment in _SEGMENTS.split(text)):
        raise _refuse(where, f"the {where} has a '.' or '..' segment")


def check_target(raw_path: bytes, query: bytes) -> None:
    """Refuse a path or query that no carrier's client sends: see the module's documentation."""
    _checked_target(unquote_to_bytes(raw_path), "path")
    # Latin-1 both ways: the bytes each name and value stands for, whatever they are.
    for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True, encoding="latin-1"):
        _checked_target(name.encode("latin-1"), "query")
        _checked_target(value.encode("latin-1"), "query")


def check_size(raw_headers: Iterable[tuple[bytes, bytes]]) -> None:
    """Refuse a body announced larger than :data:`MAX_BODY` before reading any of it.

    ``raw_headers``: the request's, as ASGI gives them (names in lower case); the first
    Content-Length is read, as Starlette's ``Headers`` reads it, without decoding every header."""
    given = (value for name, value in raw_headers if name == b"content-length")
    announced = next(given, b"").decode("latin-1")
    if announced.isdigit() and int(announced) > MAX_BODY:
        raise too_large()


def too_large() -> BadRequest:
    return _refuse("size", f"the body is larger than {MAX_BODY // 1024} KiB", status=413)


# -- bodies --------------------------------------------------------------------------------------

_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_NESTING = re.compile(rb"[^\[\]{}]+")


def _depth_checked(body: bytes) -> None:
    """Refuse JSON nested deeper than :data:`MAX_DEPTH` before parsing it (a parser recurses)."""
    depth = 0
    for byte in _NOT_NESTING.sub(b"", _STRINGS.sub(b"", body)):
        depth += 1 if byte in b"[{" else -1
        if depth > MAX_DEPTH:
            raise _refuse("json", f"the body nests deeper than {MAX_DEPTH} levels")


def _integer(text: str) -> int:
    if len(text.lstrip("-")) > _DIGITS:
        raise ValueError(f"an integer of {len(text.lstrip('-'))} digits")
    return int(text)


def _number(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"{text} is out of range")
    return value


def _constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _strings(value: Any) -> Iterator[str]:
    """Every string in a parsed body, keys included (nesting is bounded: recursion is safe)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _checked_text(text: str, what: str) -> None:
    if "\x00" in text:
        raise _refuse("encoding", f"the {what} has a NUL character")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise _refuse("encoding", f"the {what} has a lone surrogate (\\ud800-\\udfff): not Unicode") from None


async def _read(request: Request) -> bytes:
    check_size(request.scope["headers"])
    return await request.body()


def decode_json(body: bytes) -> Any:
    """The JSON value of ``body``, strictly: UTF-8, nested at most :data:`MAX_DEPTH` levels, numbers
    a JSON parser anywhere reads alike, Unicode strings without NUL; anything else is refused (BadRequest)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise _refuse("encoding", "the body is not UTF-8") from None
    _depth_checked(body)
    try:
        value = json.loads(text, parse_int=_integer, parse_float=_number, parse_constant=_constant)
    except ValueError as exc:
        raise _refuse("json", f"the body is not JSON: {str(exc).splitlines()[0]}") from None
    for string in _strings(value):
        _checked_text(string, "body")
    return value


def shaped(value: Any, shape: type[Model]) -> Model:
    """``value`` as ``shape`` takes it; BadRequest with every violation otherwise."""
    try:
        # Strict all the way down: a model a Shape borrows (the library's own) coerces otherwise.
        return shape.model_validate(value, strict=True)
    except ValidationError as exc:
        raise BadRequest(*map(_violation, exc.errors(include_url=False))) from None


async def read_json(request: Request, shape: type[Model]) -> Model:
    """The request's JSON body as ``shape`` (an empty body is ``{}``); BadRequest otherwise."""
    body = await _read(request)
    return shaped(decode_json(body) if body else {}, shape)


async def read_form(request: Request, shape: type[Model]) -> Model:
    """The request's form body (``application/x-www-form-urlencoded``, UTF-8) as ``shape``, every
    field a string given once; BadRequest otherwise."""
    body = await _read(request)
    try:
        fields = parse_qsl(
            body.decode("ascii"),
            keep_blank_values=True,
            strict_parsing=bool(body),
            encoding="utf-8",
            errors="strict",
            max_num_fields=_FORM_FIELDS,
        )
    except UnicodeError:
        raise _refuse("encoding", "the form is not UTF-8 (%-encoded, as a form is)") from None
    except ValueError as exc:
        raise _refuse("form", f"the body is not a form: {exc}") from None
    given: dict[str, str] = {}
    for name, value in fields:
        _checked_text(value, f"field {name}")
        if name in given:
            raise _refuse("form", "given twice", name)
        given[name] = value
    return shaped(given, shape)


def read_query(request: Request, shape: type[Model]) -> Model:
    """The request's query parameters as ``shape``, each given once (the target itself, NUL, dot
    segments and all, is checked before any route: :func:`check_target`); BadRequest otherwise."""
    given: dict[str, str] = {}
    for name, value in request.query_params.multi_items():
        if name in given:
            raise _refuse("query", "given twice", name)
        given[name] = value
    return shaped(given, shape)


# -- violations in plain words -----------------------------------------------------------------

_TYPES = {
    "string_type": "a string",
    "bool_type": "true or false",
    "int_type": "an integer",
    "float_type": "a number",
    "dict_type": "an object",
    "model_type": "an object",
    "model_attributes_type": "an object",
    "list_type": "a list",
}


def _place(location: tuple[int | str, ...]) -> str:
    place = ""
    for part in location:
        place += f"[{part}]" if isinstance(part, int) else f".{part}" if place else str(part)
    return place


def _violation(problem: Any) -> Violation:
    kind: str = problem["type"]
    context = problem.get("ctx", {})
    field = _place(problem["loc"])
    if kind in _TYPES:
        return Violation(field, "type", f"expected {_TYPES[kind]}")
    if kind == "missing":
        return Violation(field, "required", "required")
    if kind == "extra_forbidden":
        return Violation(field, "additionalProperties", "not a field of this request")
    if kind in ("literal_error", "enum"):
        return Violation(field, "enum", f"expected {context['expected']}")
    if kind == "string_too_short":
        return Violation(field, "minLength", f"at least {context['min_length']} characters")
    if kind == "string_too_long":
        return Violation(field, "maxLength", f"at most {context['max_length']} characters")
    if kind == "string_pattern_mismatch":
        return Violation(field, "pattern", f"does not match {context['pattern']}")
    if kind == "too_short":
        return Violation(field, "minItems", f"at least {context['min_length']} items")
    if kind == "value_error":
        return Violation(field, "invalid", str(context["error"]))
    return Violation(field, "invalid", str(problem["msg"]))
