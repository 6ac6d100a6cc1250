"""Phone number parsing: every number that enters the library passes here."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

import phonenumbers

from ._kinds import NumberType
from .errors import InvalidInputError

if TYPE_CHECKING:
    from ._models import SearchQuery

__all__ = [
    "KEYPAD",
    "OnePattern",
    "carrier_e164",
    "keypad_digits",
    "longest_run",
    "may_be_type",
    "national_digits",
    "one_pattern",
    "parse_e164",
    "plan_type",
    "region_of",
    "sifted",
]

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


# What a typed number may hold: digits, a leading "+" and the punctuation people write numbers
# with, and letters, for an extension ("ext 12") to be named as such. Anything else (",", ";",
# "/", "#", "*") is more than a phone number.
_TYPED = re.compile(r"\+?[0-9A-Za-z \u00a0().\-]+")
# Letters are not read as keypad digits: "O" typed for "0" would act on another number
# ("+1415555O1OO" is +14155556166), so a number spelt with letters is refused; vanity letters
# belong to a search's ``contains``.
_LETTERS = re.compile(r"[A-Za-z]")


def parse_e164(value: Any, *, country: str | None = None, field: str = "number") -> str:
    """Parse a number a user gave us (or one the library handed out) into E.164.

    E.164 as the library hands numbers out needs only be *possible*: carriers
    sell ranges that the metadata does not know yet, and a number ``list()``
    returned must be accepted back. Any other form must parse, with nothing
    left over (no extension, separator or stray text), into a *valid* number;
    national formats need ``country`` (``"(415) 555-2671"`` with ``"US"``).
    """
    value = _number_of(value)
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError(f"{field}: expected a phone number, got {value!r}", field=field)
    if _possible_as_is(value) is not None:
        return value
    typed = value.strip()
    if not _TYPED.fullmatch(typed) or "+" in typed[1:]:
        raise _more_than_a_number(value, field)
    try:
        parsed = phonenumbers.parse(typed, country)
    except phonenumbers.NumberParseException as exc:
        raise InvalidInputError(_not_a_number(value, field, exc), field=field) from None
    if parsed.extension:
        raise _more_than_a_number(value, field)
    if _LETTERS.search(typed):
        raise InvalidInputError(
            f"{field}: {value!r} has letters in it; a phone number is digits only (to find a number "
            "that spells a word, search with contains=)",
            field=field,
        )
    if not _all_read(typed, parsed):
        raise _more_than_a_number(value, field)
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidInputError(f"{field}: {value!r} is not a valid phone number", field=field)
    return e164


def _not_a_number(value: str, field: str, exc: phonenumbers.NumberParseException) -> str:
    if exc.error_type == phonenumbers.NumberParseException.INVALID_COUNTRY_CODE and value.strip().startswith(
        "+"
    ):
        return f"{field}: {value!r} is not a valid phone number: no country's calling code starts it"
    if exc.error_type == phonenumbers.NumberParseException.INVALID_COUNTRY_CODE:
        hint = "start it with + and the country code (+1 415 555 0123), or say which country it is in"
    elif exc.error_type == phonenumbers.NumberParseException.TOO_SHORT_NSN:
        hint = "it is too short"
    elif exc.error_type == phonenumbers.NumberParseException.TOO_LONG:
        hint = "it is too long"
    else:
        hint = "give it as + and the country code, then the number (+1 415 555 0123)"
    return f"{field}: {value!r} is not a phone number: {hint}"


def _more_than_a_number(value: str, field: str) -> InvalidInputError:
    return InvalidInputError(
        f"{field}: {value!r} holds more than a phone number (an extension, a separator or other "
        "text); give the number alone, such as +14155550123",
        field=field,
    )


def _all_read(typed: str, parsed: phonenumbers.PhoneNumber) -> bool:
    """Whether every digit and letter of ``typed`` went into ``parsed``.

    phonenumbers drops trailing text it cannot read ("+14155552671,1" parses),
    so what it kept is compared with what was typed: the national number, after
    nothing but the calling code and the national or an international prefix.
    """
    digits = "".join(ch for ch in typed if ch.isdigit())
    national = phonenumbers.national_significant_number(parsed)
    if not digits.endswith(national):
        return False
    calling_code = parsed.country_code or 0
    code = str(calling_code)
    region = phonenumbers.region_code_for_country_code(calling_code)
    metadata = phonenumbers.PhoneMetadata.metadata_for_region_or_calling_code(calling_code, region)
    prefix = (metadata.national_prefix if metadata is not None else None) or ""
    lead = digits[: len(digits) - len(national)]
    return lead in {"", code, prefix, code + prefix, "00" + code, "011" + code, code + "0"}


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
    if _LETTERS.search(value):
        raise ValueError(f"{value!r} is not a phone number (it has letters)")
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


def longest_run(pattern: str) -> str:
    """The longest run of digits in a pattern whose ``*`` is any one digit (``41*5555`` → ``5555``).

    For carriers that take literal digits only: they are sent that, the rest is checked on the
    numbers they answer."""
    return max(pattern.split("*"), key=len)


class OnePattern(NamedTuple):
    """The one digit pattern a search sends to a carrier that takes a single one."""

    where: Literal["start", "contains", "end"]
    #: ``start``: the calling code and the leading digits (area code 415 in the US: ``1415``);
    #: ``contains``: its longest run of digits; ``end``: the last digits.
    digits: str


def one_pattern(query: SearchQuery) -> OnePattern | None:
    """What a search sends where the carrier takes one pattern, or None.

    Leading digits first (the longer of the area code and ``starts_with``), else ``contains``'s
    longest run of digits, else ``ends_with``: these narrow most, in that order; whatever is not
    sent is checked on the results."""
    leads = [lead for lead in (query.area_code, query.starts_with) if lead]
    if leads:
        code = phonenumbers.country_code_for_region(query.country)
        return OnePattern("start", f"{code}{max(leads, key=len)}")
    if query.contains:  # it holds a digit at least: SearchQuery checks so
        return OnePattern("contains", longest_run(query.contains))
    if query.ends_with:
        return OnePattern("end", query.ends_with)
    return None


def sifted(query: SearchQuery, filtered: frozenset[str]) -> bool:
    """Whether what a carrier taking :func:`one_pattern` answers must still be checked against
    ``query``, so that a search asks for more than its limit.

    ``filtered`` names the criteria the carrier applies itself (``voice``, ``sms``…). The pattern
    carries the lead whole (the other lead too where it begins it), and ``contains`` or
    ``ends_with`` when sent as given: ``contains="4*5555"`` sends ``5555`` alone."""
    sent = one_pattern(query)
    carried: set[str] = set()
    if sent is not None and sent.where == "start":
        leads = {"area_code": query.area_code, "starts_with": query.starts_with}
        longest = max((lead for lead in leads.values() if lead), key=len)
        carried = {name for name, lead in leads.items() if lead and longest.startswith(lead)}
    elif sent is not None:
        name = "contains" if sent.where == "contains" else "ends_with"
        if getattr(query, name) == sent.digits:
            carried = {name}
    return bool(query.criteria().keys() - carried - filtered)


# What a number can be, by its numbering plan: for carriers that do not say a number's type.
_PLAN_TYPES: dict[int, frozenset[NumberType]] = {
    phonenumbers.PhoneNumberType.FIXED_LINE: frozenset({NumberType.LOCAL}),
    phonenumbers.PhoneNumberType.MOBILE: frozenset({NumberType.MOBILE}),
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE: frozenset({NumberType.LOCAL, NumberType.MOBILE}),
    phonenumbers.PhoneNumberType.TOLL_FREE: frozenset({NumberType.TOLL_FREE}),
    phonenumbers.PhoneNumberType.PREMIUM_RATE: frozenset({NumberType.PREMIUM_RATE}),
    phonenumbers.PhoneNumberType.SHARED_COST: frozenset({NumberType.SHARED_COST}),
    phonenumbers.PhoneNumberType.VOIP: frozenset({NumberType.VOIP}),
    phonenumbers.PhoneNumberType.PERSONAL_NUMBER: frozenset({NumberType.PERSONAL}),
    phonenumbers.PhoneNumberType.UAN: frozenset({NumberType.NATIONAL}),
}


def _plan_types(e164: str) -> frozenset[NumberType] | None:
    return _PLAN_TYPES.get(phonenumbers.number_type(phonenumbers.parse(e164)))


def may_be_type(e164: str, wanted: NumberType) -> bool:
    """Whether the numbering plan allows ``e164`` to be a number of type ``wanted``.

    A number the plan does not know (a new range) may be anything: the carrier
    sold it, the metadata has not caught up.
    """
    return wanted in (_plan_types(e164) or {wanted})


def plan_type(e164: str) -> NumberType:
    """The type the numbering plan gives ``e164``; UNKNOWN where it allows several or none."""
    types = _plan_types(e164)
    return next(iter(types)) if types is not None and len(types) == 1 else NumberType.UNKNOWN
