"""Phone number parsing: every number that enters the library passes here."""

from __future__ import annotations

import functools
import re
from typing import Any, NamedTuple

import phonenumbers

from .errors import InvalidInputError

__all__ = ["KEYPAD", "carrier_e164", "keypad_digits", "national_digits", "parse_e164", "region_of"]

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
    e164, valid = value, _valid_as_is(value)
    if valid is None:  # not E.164 as parsing leaves it: parsing decides, and words the error
        try:
            parsed = phonenumbers.parse(value, country)
        except phonenumbers.NumberParseException as exc:
            message = f"{field}: {value!r} is not a phone number ({exc})"
            raise InvalidInputError(message, field=field) from None
        e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
        valid = phonenumbers.is_valid_number(parsed)
    if not valid:
        raise InvalidInputError(f"{field}: {value!r} is not a valid phone number", field=field)
    return e164


def carrier_e164(value: Any) -> str:
    """Parse a number a carrier returned: *possible* is enough.

    Carriers sell ranges that the phonenumbers metadata does not know yet, so
    rejecting them would hide numbers the account really owns.
    """
    if type(value) is str:
        # The common case first, inline: a list page checks a thousand numbers.
        plan = _PLANS.get(value[1:4])
        if plan is not None and plan.as_is.fullmatch(value):
            return value
    elif not isinstance(value, str):
        raise ValueError(f"expected an E.164 string, got {type(value).__name__}")
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


class _Plan(NamedTuple):
    """What parsing makes of E.164 numbers with a given calling code, without parsing them."""

    code: int
    #: how many digits the code has
    size: int
    #: the E.164 numbers of this code that are possible and that parsing reads as they are: no
    #: national prefix to strip, only ASCII digits, a possible national length
    as_is: re.Pattern[str]


# By the first three digits after the "+": a thousand entries at most.
_PLANS: dict[str, _Plan | None] = {}


def _plan(value: str) -> _Plan | None:
    """The plan of E.164 ``value``'s calling code; None where there is no usable one."""
    leading = value[1:4]
    if leading in _PLANS:
        return _PLANS[leading]
    if not (len(leading) == 3 and leading.isascii() and leading.isdigit()):
        return None
    plan = _PLANS[leading] = _make_plan(leading)
    return plan


def _calling_code(digits: str) -> int | None:
    """The calling code ``digits`` start with; calling codes are prefix-free, so the first fits."""
    for size in (1, 2, 3):
        code = int(digits[:size])
        if code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            return code
    return None


def national_digits(e164: str) -> str:
    """The national significant number of E.164 ``e164`` (Italy's leading 0 kept), without a parse."""
    code = _calling_code(e164[1:4])
    return e164[1 + len(str(code)) :] if code is not None else e164[1:]


def _make_plan(leading: str) -> _Plan | None:
    code = _calling_code(leading)
    if code is None:
        return None
    region = phonenumbers.region_code_for_country_code(code)
    metadata = phonenumbers.PhoneMetadata.metadata_for_region_or_calling_code(code, region)
    if metadata is None or metadata.general_desc is None:
        return None
    general = metadata.general_desc
    if not general.possible_length or general.possible_length[0] == -1:
        return None
    lengths = sorted(
        length
        for length in {*general.possible_length, *general.possible_length_local_only}
        if 2 <= length <= 17
    )
    if not lengths:
        return None
    prefix = metadata.national_prefix_for_parsing
    not_prefixed = f"(?!(?:{prefix}))" if prefix else ""
    national = "|".join(f"[0-9]{{{length}}}" for length in lengths)
    return _Plan(code, len(str(code)), re.compile(rf"\+{code}{not_prefixed}(?:{national})"))


def _possible_as_is(value: str) -> str | None:
    """``value`` if it is E.164 for a possible number that parsing would leave unchanged.

    The same test ``phonenumbers`` makes (calling code, then the national
    length against the metadata), at a fraction of the cost of a full parse:
    a list page of a thousand numbers would otherwise spend most of its time
    here. None means "ask the full parse", which also words the error.
    """
    plan = _PLANS.get(value[1:4]) or _plan(value)  # the dict alone, once the code is known
    return value if plan is not None and plan.as_is.fullmatch(value) else None


def _valid_as_is(value: str) -> bool | None:
    """``phonenumbers.is_valid_number`` for E.164 ``value`` that parsing leaves as it is.

    None for anything else (parse it). The same rules, read from the same
    metadata, without a parse or a number object: a third of a purchase's cost
    otherwise. A number is valid where its region's patterns give it a type;
    where a calling code has several regions (+1 has 25), its region is the
    first whose leading digits match, else the first that gives it a type.
    """
    plan = _PLANS.get(value[1:4]) or _plan(value)
    if plan is None or not plan.as_is.fullmatch(value):
        return None
    national = value[plan.size + 1 :]  # leading zeros included, as the number object gives them back
    regions = _regions(plan.code)
    if len(regions) == 1:
        return regions[0].types(national)
    for region in regions:
        if region.leading is None:
            if region.types(national):
                return True
        elif region.leading.match(national):
            return region.types(national)
    return False


class _Desc(NamedTuple):
    """One pattern of a region's metadata (a PhoneNumberDesc), compiled."""

    lengths: frozenset[int]
    pattern: re.Pattern[str]

    def matches(self, national: str) -> bool:
        return (not self.lengths or len(national) in self.lengths) and bool(self.pattern.fullmatch(national))


class _Region(NamedTuple):
    """A region's validity rules, from its metadata."""

    #: the leading digits that tell the region's numbers from the others of its calling code
    leading: re.Pattern[str] | None
    general: _Desc | None
    #: one per type of number, the likeliest (fixed line, mobile) first
    kinds: tuple[_Desc, ...]

    def types(self, national: str) -> bool:
        """Whether the region's patterns give ``national`` a type (is_valid_number_for_region)."""
        general = self.general
        return (
            general is not None and general.matches(national) and any(k.matches(national) for k in self.kinds)
        )


def _desc(desc: phonenumbers.PhoneNumberDesc | None) -> _Desc | None:
    if desc is None or not desc.national_number_pattern:
        return None
    return _Desc(frozenset(desc.possible_length), re.compile(desc.national_number_pattern))


@functools.cache
def _regions(code: int) -> tuple[_Region, ...]:
    """The regions of calling code ``code``, in the order phonenumbers tries them."""
    regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE[code]
    found = []
    for region in regions:
        metadata = phonenumbers.PhoneMetadata.metadata_for_region_or_calling_code(code, region)
        if metadata is None:
            if len(regions) == 1:
                found.append(_Region(None, None, ()))  # nothing is valid without metadata
            continue  # among several regions, one without metadata is passed over
        kinds = [metadata.fixed_line]
        if not metadata.same_mobile_and_fixed_line_pattern:  # else the mobile pattern is never read
            kinds.append(metadata.mobile)
        kinds += [
            metadata.toll_free,
            metadata.premium_rate,
            metadata.shared_cost,
            metadata.voip,
            metadata.personal_number,
            metadata.pager,
            metadata.uan,
            metadata.voicemail,
        ]
        # A sole region is the number's region whatever its leading digits.
        leading = metadata.leading_digits if len(regions) > 1 else None
        found.append(
            _Region(
                None if leading is None else re.compile(leading),
                _desc(metadata.general_desc),
                tuple(desc for desc in map(_desc, kinds) if desc is not None),
            )
        )
    return tuple(found)


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
