"""Checked reads of decoded JSON values, for codecs.

Each raises :class:`Malformed` naming the field (``what``) and the type found, rather than
trusting an answer: the HTTP core turns that into a ProtocolError.
"""

from __future__ import annotations

from typing import Any

from ._http import Malformed
from ._phone import carrier_e164

__all__ = ["json_e164", "json_flag", "json_kind", "json_list", "json_object", "json_text"]


def json_kind(value: object) -> str:
    """The JSON type of ``value`` as a message names it (``null``, ``str``, ``dict``…)."""
    return "null" if value is None else type(value).__name__


def json_object(value: object, what: str) -> dict[str, Any]:
    """An object."""
    if type(value) is not dict:
        raise Malformed(f"{what}: expected an object, got {json_kind(value)}")
    return value


def json_text(value: object, what: str) -> str | None:
    """A string; null and ``""`` (unset, for most carriers) are None."""
    if value is None or type(value) is str:
        return value or None
    raise Malformed(f"{what}: expected a string, got {json_kind(value)}")


def json_flag(value: object, what: str) -> bool | None:
    """true, false or null (None)."""
    if value is None or type(value) is bool:
        return value
    raise Malformed(f"{what}: expected true or false, got {json_kind(value)}")


def json_list(value: object, what: str) -> list[Any]:
    """A list; null is an empty one."""
    if value is None:
        return []
    if type(value) is not list:
        raise Malformed(f"{what}: expected a list, got {json_kind(value)}")
    return value


def json_e164(value: object, what: str) -> str:
    """A phone number in E.164 as :func:`carrier_e164` accepts it."""
    try:
        return carrier_e164(value)
    except ValueError:
        shown = repr(value)[:40] if isinstance(value, str) else json_kind(value)
        raise Malformed(f"{what}: {shown} is not a phone number") from None
