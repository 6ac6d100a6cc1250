"""Phone number parsing: typed input must be valid, E.164 (as the library hands it out) possible."""

from __future__ import annotations

from typing import Any

import phonenumbers
import pytest
from numbers_core import ActiveNumber, AvailableNumber, InvalidInputError, SearchQuery
from numbers_core.adapter import (
    OnePattern,
    carrier_e164,
    keypad_digits,
    longest_run,
    one_pattern,
    parse_e164,
    region_of,
    sifted,
)

# Possible (right length for +1) but in no valid range: 555 is not a US area code.
POSSIBLE_NOT_VALID = "+15550000000"


def test_the_possible_but_invalid_fixture_really_is_one() -> None:
    parsed = phonenumbers.parse(POSSIBLE_NOT_VALID)
    assert phonenumbers.is_possible_number(parsed)
    assert not phonenumbers.is_valid_number(parsed)


@pytest.mark.parametrize(
    ("given", "country", "expected"),
    [
        ("+14155552671", None, "+14155552671"),
        ("+1 (415) 555-2671", None, "+14155552671"),
        ("(415) 555-2671", "US", "+14155552671"),
        ("415.555.2671", "US", "+14155552671"),
        ("020 7946 0000", "GB", "+442079460000"),
        ("+44 20 7946 0000", "US", "+442079460000"),  # an international number wins over the country
        ("06 1234 5678", "IT", "+390612345678"),  # Italy keeps its leading zero
    ],
)
def test_parse_e164_normalises_valid_input(given: str, country: str | None, expected: str) -> None:
    assert parse_e164(given, country=country) == expected


@pytest.mark.parametrize(
    ("given", "country"),
    [
        ("(415) 555-2671", None),  # national format without a country
        ("415 555 0000 0", "US"),  # a national format must be valid, not only possible
        ("+1415", None),
        ("not a number", None),
        ("", None),
        ("   ", None),
        ("+999 123 456", None),
        ("+14155552671" + "1" * 300, None),
    ],
)
def test_parse_e164_refuses_invalid_strings(given: str, country: str | None) -> None:
    with pytest.raises(InvalidInputError) as caught:
        parse_e164(given, country=country, field="near_number")
    assert caught.value.field == "near_number"
    assert str(caught.value).startswith("near_number: ")


@pytest.mark.parametrize("given", [None, 14155552671, 1.5, True, b"+14155552671", ["+14155552671"], object()])
def test_parse_e164_refuses_non_strings(given: Any) -> None:
    with pytest.raises(InvalidInputError, match="expected a phone number") as caught:
        parse_e164(given)
    assert caught.value.field == "number"


def test_parse_e164_takes_model_objects() -> None:
    available = AvailableNumber(phone_number="+14155552671", provider="fake")
    owned = ActiveNumber(phone_number="+442079460000", id="1", provider="fake")
    assert parse_e164(available) == "+14155552671"
    assert parse_e164(owned) == "+442079460000"
    # What a carrier sold is accepted back though the metadata does not know its range yet.
    carrier_only = AvailableNumber(phone_number=POSSIBLE_NOT_VALID, provider="fake")
    assert parse_e164(carrier_only) == POSSIBLE_NOT_VALID
    assert parse_e164(POSSIBLE_NOT_VALID) == POSSIBLE_NOT_VALID


@pytest.mark.parametrize(
    "given",
    [
        "+14155552671/../../x",
        "+14155552671 ext 1",
        "+14155552671 ext. 12",
        "+14155552671x1",
        "+14155552671,1",
        "+14155552671;1",
        "+14155552671#",
        "+1415555267*",
        "+1 415 555 2671 +1",
        "tel:+14155552671",
        "+14155552671\n+14155552672",
    ],
)
def test_parse_e164_refuses_more_than_a_number(given: str) -> None:
    # phonenumbers reads the number at the start and drops the rest; a purchase must not act on
    # something other than what was typed.
    with pytest.raises(InvalidInputError, match=r"more than a phone number|not a (valid )?phone number"):
        parse_e164(given)


@pytest.mark.parametrize(
    ("given", "country"),
    [
        ("+1415555O1OO", None),  # the letter O for a zero: read by the keypad, +14155556166
        ("+1415555CALL", None),  # vanity letters: read by the keypad, +14155552255
        ("+1-800-FLOWERS", None),
        ("(415) 555-CALL", "US"),
        ("+1415555o1oo", None),
    ],
)
def test_parse_e164_refuses_letters(given: str, country: str | None) -> None:
    # A number is acted on as typed or not at all: letters belong to a search's contains.
    with pytest.raises(InvalidInputError, match="has letters in it; a phone number is digits only"):
        parse_e164(given, country=country)


def test_a_carrier_number_with_letters_is_refused() -> None:
    with pytest.raises(ValueError, match="it has letters"):
        carrier_e164("+1415555CALL")


@pytest.mark.parametrize(
    ("given", "country"),
    [("+44 (0)20 7946 0000", None), ("011 44 20 7946 0000", "US"), ("1 415 555 2671", "US")],
)
def test_parse_e164_takes_the_prefixes_people_type(given: str, country: str | None) -> None:
    assert parse_e164(given, country=country) in ("+442079460000", "+14155552671")


def test_a_number_with_no_countrys_calling_code_is_not_told_to_start_with_plus() -> None:
    with pytest.raises(InvalidInputError) as refused:
        parse_e164("+99912345678")
    assert refused.value.message == (
        "number: '+99912345678' is not a valid phone number: no country's calling code starts it"
    )


def test_a_national_number_without_a_country_says_what_to_type() -> None:
    with pytest.raises(InvalidInputError, match=r"start it with \+ and the country code"):
        parse_e164("4155550123")


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("+14155552671", "+14155552671"),
        ("14155552671", "+14155552671"),  # carriers often drop the plus
        (" +14155552671\n", "+14155552671"),
        (POSSIBLE_NOT_VALID, POSSIBLE_NOT_VALID),  # a range the metadata does not know yet
        ("+441632960000", "+441632960000"),  # Ofcom drama range: possible, not valid
    ],
)
def test_carrier_e164_accepts_possible_numbers(given: str, expected: str) -> None:
    assert carrier_e164(given) == expected


@pytest.mark.parametrize("given", ["+1415", "hello", "", "+1 555 000 000 000 00", 14155552671, None])
def test_carrier_e164_refuses_impossible_numbers_with_value_error(given: Any) -> None:
    # ValueError (not InvalidInputError) because pydantic turns it into a field error.
    with pytest.raises(ValueError, match=r"phone number|E\.164") as caught:
        carrier_e164(given)
    assert not isinstance(caught.value, InvalidInputError)


def test_region_of() -> None:
    assert region_of("+14155552671") == "US"
    assert region_of("+16135550123") == "CA"
    assert region_of("+442079460000") == "GB"
    assert region_of(POSSIBLE_NOT_VALID) is None
    assert region_of("garbage") is None


@pytest.mark.parametrize(
    ("pattern", "digits"),
    [
        ("WOLF", "9653"),
        ("wolf", "9653"),
        ("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "22233344455566677778889999"),
        ("4*5", "4*5"),
    ],
)
def test_keypad_digits(pattern: str, digits: str) -> None:
    assert keypad_digits(pattern) == digits


def _full_parse(value: str) -> str | None:
    """What carrier_e164 answered before its fast path: the E.164 form, or None if refused."""
    try:
        parsed = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _samples() -> list[str]:
    import random

    rng = random.Random(20260401)  # deterministic: the same numbers on every run
    samples = [
        f"+{code}{''.join(rng.choice('0123456789') for _ in range(length))}"
        for code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE
        for length in range(1, 19)
        for _ in range(4)
    ]
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in range(11):
            example = phonenumbers.example_number_for_type(region, kind)
            if example is not None:
                samples.append(phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164))
    return samples


def test_carrier_e164_fast_path_answers_as_the_full_parse() -> None:
    # carrier_e164 skips phonenumbers.parse for canonical E.164 it can judge from the
    # metadata alone; over every calling code and length it must agree with the parse.
    agreed = 0
    for value in _samples():
        expected = _full_parse(value)
        if expected is None:
            with pytest.raises(ValueError, match="phone number"):
                carrier_e164(value)
        else:
            assert carrier_e164(value) == expected, value
            agreed += 1
    assert agreed > 1000  # the sample really exercises the accepting path


@pytest.mark.parametrize(
    ("query", "sent"),
    [
        # The longer lead of the two, with the country's calling code.
        (SearchQuery(area_code="415", starts_with="41555"), OnePattern("start", "141555")),
        (SearchQuery(country="GB", starts_with="20"), OnePattern("start", "4420")),
        # Leads narrow most: contains and ends_with are then checked on the results.
        (SearchQuery(area_code="415", contains="5*55", ends_with="99"), OnePattern("start", "1415")),
        (SearchQuery(contains="41*5555", ends_with="99"), OnePattern("contains", "5555")),
        (SearchQuery(ends_with="99"), OnePattern("end", "99")),
        (SearchQuery(), None),
    ],
)
def test_one_pattern_sends_what_narrows_most(query: SearchQuery, sent: OnePattern | None) -> None:
    assert one_pattern(query) == sent


@pytest.mark.parametrize(("pattern", "run"), [("41*5555", "5555"), ("555", "555"), ("1*2", "1"), ("***", "")])
def test_longest_run_is_the_first_longest_run_of_digits(pattern: str, run: str) -> None:
    assert longest_run(pattern) == run


@pytest.mark.parametrize(
    ("query", "checked_here"),
    [
        (SearchQuery(area_code="415", voice=True), False),
        (SearchQuery(area_code="415", starts_with="4155"), False),  # the longer carries both
        (SearchQuery(area_code="415", starts_with="5"), True),  # not the same start: sifted
        (SearchQuery(area_code="415", ends_with="99"), True),
        (SearchQuery(contains="5555"), False),
        (SearchQuery(contains="4*5555"), True),  # 5555 is sent, the 4 before it checked here
        (SearchQuery(ends_with="99"), False),
        (SearchQuery(contains="55", ends_with="99"), True),
        (SearchQuery(fax=True), True),  # not one the carrier filters
        (SearchQuery(), False),
    ],
)
def test_sifted_says_whether_more_is_asked_than_the_pattern_carries(
    query: SearchQuery, checked_here: bool
) -> None:
    assert sifted(query, frozenset({"voice", "sms"})) is checked_here
