"""Applying a partial NumberConfig to the one a number has."""

from __future__ import annotations

from typing import Any, TypeVar

from .._models import Callback, NumberCompliance, NumberConfig, Route

__all__ = ["merge_config", "merge_part"]

_Part = TypeVar("_Part", Route, Callback, NumberCompliance)
# An emergency address goes by id or inline: setting one drops the other.
_EITHER = {"emergency_address_id": "emergency_address", "emergency_address": "emergency_address_id"}


def merge_part(current: _Part | None, change: _Part | None) -> _Part | None:
    # None clears the whole part; a part given merges field by field, like the config itself.
    if change is None or current is None:
        return change
    return current.model_copy(update={name: getattr(change, name) for name in change.model_fields_set})


def merge_config(current: NumberConfig, change: NumberConfig) -> NumberConfig:
    """``current`` with the fields set on ``change`` applied; a field set to None is cleared.

    ``voice``, ``sms``, ``status_callback`` and ``compliance`` merge field by
    field; ``extra`` merges key by key, a key set to None removing it; an
    emergency address set by id clears the inline one, and the other way round.
    """
    updates: dict[str, Any] = {}
    for name in change.model_fields_set:
        value = getattr(change, name)
        if name in ("voice", "sms", "status_callback", "compliance"):
            value = merge_part(getattr(current, name), value)
        elif name == "extra":
            value = {key: item for key, item in {**current.extra, **value}.items() if item is not None}
        elif name in _EITHER and value is not None:
            updates.setdefault(_EITHER[name], None)
        updates[name] = value
    return current.model_copy(update=updates)
