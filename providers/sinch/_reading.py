"""Checked reads of JSON values, shared by the production and the draft codecs.

Each raises :class:`Malformed` naming the field, rather than trusting an answer. The reads every
codec makes are the core's; these are the ones both of Sinch's add.
"""

from __future__ import annotations

from typing import Any

from numbers_core.adapter import Malformed
from numbers_core.adapter import json_e164 as e164
from numbers_core.adapter import json_kind as kind
from numbers_core.adapter import json_list as listed
from numbers_core.adapter import json_object as obj
from numbers_core.adapter import json_text as text

__all__ = ["e164", "kind", "listed", "obj", "optional_object", "records", "strings", "text"]


def optional_object(value: object, what: str) -> dict[str, Any]:
    return {} if value is None else obj(value, what)


def records(value: object, what: str) -> list[dict[str, Any]]:
    """A list of objects (null for none)."""
    return [obj(item, f"{what}[{index}]") for index, item in enumerate(listed(value, what))]


def strings(value: object, what: str) -> tuple[str, ...]:
    items = listed(value, what)
    if not all(type(item) is str for item in items):
        raise Malformed(f"{what}: expected a list of strings")
    return tuple(items)
