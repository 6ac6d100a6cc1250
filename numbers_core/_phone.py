"""Phone number parsing: every number that enters the library passes here."""

from __future__ import annotations

from typing import Any

import phonenumbers

from .errors import InvalidInputError

__all__ = ["KEYPAD", "carrier_e164", "keypad_digits", "parse_e164", "region_of"]

KEYPAD = {
    letter: digit
    for digit, letters in {
        "2": "ABC",
        "3": "DEF",
        "4": "GHI",
        "5": "JKL",
        "6": "MNO",
        "7": "PQRS",
        "8": "TUV",
        "9": "WXYZ",
    }.items()
    for letter in letters
}


def _number_of(value: Any) -> Any:
    # Accept model objects (AvailableNumber, ActiveNumber) wherever a number is taken.
    return getattr(value, "phone_number", value)


def parse_e164(value: Any, *, country: str | None = None, field: str = "number") -> str:
    """Parse a number a user gave us; it must be a valid number.

    National formats are accepted when ``country`` is known (``"(415) 555-2671"``
    with ``country="US"``).
    """
    value = _number_of(value)
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError(f"{field}: expected a phone number, got {value!r}", field=field)
    try:
        parsed = phonenumbers.parse(value, country)
    except phonenumbers.NumberParseException as exc:
        raise InvalidInputError(f"{field}: {value!r} is not a phone number ({exc})", field=field) from None
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidInputError(f"{field}: {value!r} is not a valid phone number", field=field)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def carrier_e164(value: Any) -> str:
    """Parse a number a carrier returned: *possible* is enough.

    Carriers sell ranges that the phonenumbers metadata does not know yet, so
    rejecting them would hide numbers the account really owns.
    """
    if not isinstance(value, str):
        raise ValueError(f"expected an E.164 string, got {type(value).__name__}")  # noqa: TRY004 - pydantic wants ValueError
    value = value.strip()
    try:
        parsed = phonenumbers.parse(value if value.startswith("+") else "+" + value, None)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"{value!r} is not a phone number ({exc})") from None
    if not phonenumbers.is_possible_number(parsed):
        raise ValueError(f"{value!r} is not a possible phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def region_of(e164: str) -> str | None:
    """ISO country of an E.164 number, or None where the metadata cannot tell."""
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return None
    region = phonenumbers.region_code_for_number(parsed)
    return region if region and region != "ZZ" else None


def keypad_digits(pattern: str) -> str:
    """Map letters to keypad digits (``WOLF`` → ``9653``), keeping ``*``."""
    return "".join(KEYPAD.get(ch, ch) for ch in pattern.upper())
