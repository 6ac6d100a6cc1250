"""Phone number parsing: every number that enters the library passes here."""

from __future__ import annotations

import functools
import re
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
    as_is = _possible_as_is(value)
    if as_is is not None:
        return as_is
    try:
        parsed = phonenumbers.parse(value if value.startswith("+") else "+" + value, None)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"{value!r} is not a phone number ({exc})") from None
    if not phonenumbers.is_possible_number(parsed):
        raise ValueError(f"{value!r} is not a possible phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


# "+", a calling code (no leading 0) and at most 17 national digits: what carriers send.
_CANONICAL = re.compile(r"\+[1-9][0-9]{2,19}")


@functools.cache
def _plan(code: int) -> tuple[frozenset[int], re.Pattern[str] | None] | None:
    """The possible national lengths of calling code ``code``, and its national prefix pattern."""
    region = phonenumbers.region_code_for_country_code(code)
    metadata = phonenumbers.PhoneMetadata.metadata_for_region_or_calling_code(code, region)
    if metadata is None or metadata.general_desc is None or not metadata.general_desc.possible_length:
        return None
    general = metadata.general_desc
    lengths = (
        frozenset()
        if general.possible_length[0] == -1
        else frozenset((*general.possible_length, *general.possible_length_local_only))
    )
    prefix = metadata.national_prefix_for_parsing
    return lengths, re.compile(prefix) if prefix else None


def _possible_as_is(value: str) -> str | None:
    """``value`` if it is E.164 for a possible number that parsing would leave unchanged.

    The same test ``phonenumbers`` makes (calling code, then the national
    length against the metadata), at a fraction of the cost of a full parse:
    a list page of a thousand numbers would otherwise spend most of its time
    here. None means "ask the full parse", which also words the error: that
    covers a national number that parsing might strip a national prefix from.
    """
    if not _CANONICAL.fullmatch(value):
        return None
    digits = value[1:]
    for size in (1, 2, 3):
        code = int(digits[:size])
        if code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            break
    else:
        return None
    plan = _plan(code)
    national = digits[size:]
    if plan is None or len(national) < 2 or len(national) > 17:
        return None
    lengths, prefix = plan
    if len(national) in lengths and (prefix is None or prefix.match(national) is None):
        return value
    return None


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
