"""Checked reads of JSON values, shared by the production and the draft codecs.

Each raises :class:`Malformed` naming the field, rather than trusting an answer.
"""

from __future__ import annotations

from typing import Any

from numbers_core.adapter import Malformed, carrier_e164

__all__ = ["e164", "kind", "listed", "obj", "optional_object", "records", "strings", "text"]


def kind(value: object) -> str:
    return "null" if value is None else type(value).__name__


def obj(value: object, what: str) -> dict[str, Any]:
    if type(value) is not dict:
        raise Malformed(f"{what}: expected an object, got {kind(value)}")
    return value


def optional_object(value: object, what: str) -> dict[str, Any]:
    return {} if value is None else obj(value, what)


def text(value: object, what: str) -> str | None:
    """A string; Sinch's "" for unset is None."""
    if value is None or type(value) is str:
        return value or None
    raise Malformed(f"{what}: expected a string, got {kind(value)}")


def listed(value: object, what: str) -> list[Any]:
    if value is None:
        return []
    if type(value) is not list:
        raise Malformed(f"{what}: expected a list, got {kind(value)}")
    return value


def records(value: object, what: str) -> list[dict[str, Any]]:
    """A list of objects (null for none)."""
    return [obj(item, f"{what}[{index}]") for index, item in enumerate(listed(value, what))]


def strings(value: object, what: str) -> tuple[str, ...]:
    items = listed(value, what)
    if not all(type(item) is str for item in items):
        raise Malformed(f"{what}: expected a list of strings")
    return tuple(items)


def e164(value: object, what: str) -> str:
    try:
        return carrier_e164(value)
    except ValueError:
        shown = repr(value)[:40] if isinstance(value, str) else kind(value)
        raise Malformed(f"{what}: {shown} is not a phone number") from None
