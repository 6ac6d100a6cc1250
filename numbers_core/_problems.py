"""pydantic's validation errors in plain words.

pydantic words its errors for the programmer who wrote the model ("Input
should be a valid integer, unable to parse string as an integer", "Extra
inputs are not permitted", "Value error, …"). Everything that shows a
validation error to a user (the models' InvalidInputError, settings, job
files, the command line's options) words it here instead, by the error's
type, so that the same mistake reads the same wherever it is made.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic import ValidationError
    from pydantic_core import ErrorDetails

__all__ = ["location", "problem_text", "problems"]

# Longer inputs are cut: the message must stay one line.
_SHOWN = 40

_EXPECTED = {
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_parsing_size": "a whole number of a sensible size",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "finite_number": "a finite number",
    "decimal_type": "a decimal number",
    "decimal_parsing": "a decimal number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "string_type": "text",
    "bytes_type": "text",
    "list_type": "a list",
    "tuple_type": "a list",
    "set_type": "a list",
    "frozen_set_type": "a list",
    "dict_type": "a table of names and values",
    "model_type": "a table of names and values",
    "model_attributes_type": "a table of names and values",
    "dataclass_type": "a table of names and values",
    "url_type": "a URL",
    "url_parsing": "a URL",
    "datetime_type": "a date and time (2025-01-31T12:00:00Z)",
    "datetime_parsing": "a date and time (2025-01-31T12:00:00Z)",
    "datetime_from_date_parsing": "a date and time (2025-01-31T12:00:00Z)",
    "timezone_aware": "a date and time with its time zone (2025-01-31T12:00:00Z)",
    "date_type": "a date (2025-01-31)",
    "date_parsing": "a date (2025-01-31)",
    "date_from_datetime_parsing": "a date (2025-01-31)",
    "json_invalid": "JSON",
    "json_type": "JSON",
    "none_required": "nothing (null)",
    "uuid_type": "a UUID",
    "uuid_parsing": "a UUID",
}

_BOUNDS = {
    "greater_than": ("gt", "more than"),
    "greater_than_equal": ("ge", "at least"),
    "less_than": ("lt", "less than"),
    "less_than_equal": ("le", "at most"),
}

_PYDANTIC_PREFIXES = ("Value error, ", "Assertion failed, ")


def _shown(value: Any) -> str | None:
    """``value`` as the user typed it, for "got …"; None for what cannot be shown in a line."""
    if isinstance(value, str | int | float | Decimal) or value is None:
        text = repr(value)
        return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"
    return None


def _choices(expected: str) -> str:
    # pydantic lists the choices as "'a', 'b' or 'c'".
    return expected.replace(" or ", ", ")


def problem_text(error: ErrorDetails, *, show_input: bool = True) -> str:
    """One validation error in plain words, without its location.

    ``show_input`` False keeps the value out (settings may be secrets).
    """
    kind = error["type"]
    context = error.get("ctx") or {}
    shown = _shown(error.get("input")) if show_input and "input" in error else None
    got = f", got {shown}" if shown is not None else ""
    if kind == "missing":
        return "missing"
    if kind == "extra_forbidden":
        return "unknown field"
    if kind in ("value_error", "assertion_error"):
        # The model's own words (its validators'): they say what was wrong already.
        return str(context.get("error") or _plain(error["msg"]))
    if kind in ("enum", "literal_error"):
        choices = _choices(str(context.get("expected", "")))
        return f"{shown} is not one of {choices}" if shown is not None else f"expected one of {choices}"
    if kind in _BOUNDS:
        key, words = _BOUNDS[kind]
        limit = context.get(key)
        bound = f"{words} {f'{limit:g}' if isinstance(limit, float) else limit}"
        if isinstance(error.get("input"), str) and shown is not None:
            shown = shown[1:-1]  # a number typed on the command line, shown as typed
        return f"{shown} is out of range: {bound}" if shown is not None else f"expected {bound}"
    if kind in ("string_too_short", "too_short"):
        unit = "characters" if kind.startswith("string") else "items"
        return f"expected at least {context.get('min_length')} {unit}{got}"
    if kind in ("string_too_long", "too_long"):
        unit = "characters" if kind.startswith("string") else "items"
        return f"expected at most {context.get('max_length')} {unit}"  # what was given is longer still
    if kind == "string_pattern_mismatch":
        return f"not in the expected form{got}"
    if kind == "url_scheme":
        return f"expected a URL starting with {_choices(str(context.get('expected_schemes', '')))}{got}"
    if kind in _EXPECTED:
        return f"expected {_EXPECTED[kind]}{got}"
    return _plain(error["msg"]) + got


def _plain(message: str) -> str:
    """A message of a kind not listed above, rid of pydantic's turns of phrase."""
    for prefix in _PYDANTIC_PREFIXES:
        message = message.removeprefix(prefix)
    match = re.match(r"(?:Input|String|Value|URL \w+) should (?:be |have )?(.*?)(?:, .*)?$", message)
    if match:
        return f"expected {match[1]}"
    return message[:1].lower() + message[1:]


def location(loc: Sequence[int | str]) -> str:
    """Where the error is: ``criteria.sf.count``, ``numbers[2]``."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def problems(exc: ValidationError, *, show_input: bool = True) -> list[tuple[str, str, str]]:
    """Each error of ``exc`` as (location, plain words, pydantic's error type)."""
    return [
        (location(error["loc"]), problem_text(error, show_input=show_input), error["type"])
        for error in exc.errors(include_url=False, include_input=show_input)
    ]
