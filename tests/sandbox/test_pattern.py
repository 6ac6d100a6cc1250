"""The metadata patterns as automata: parsing, matching, and drawing numbers of a shape."""

from __future__ import annotations

import random
import re

import phonenumbers
import pytest
from numbers_core.sandbox._pattern import DigitPattern, PatternSyntaxError

_DESCS = (
    "general_desc",
    "fixed_line",
    "mobile",
    "toll_free",
    "premium_rate",
    "shared_cost",
    "personal_number",
    "voip",
    "pager",
    "uan",
    "voicemail",
)


def _metadata_patterns() -> list[tuple[str, str, tuple[int, ...]]]:
    found = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
        for name in _DESCS:
            desc = getattr(metadata, name)
            if desc is not None and desc.national_number_pattern:
                lengths = desc.possible_length or metadata.general_desc.possible_length or ()
                found.append((f"{region}.{name}", desc.national_number_pattern, tuple(lengths)))
    return found


def test_every_pattern_of_the_metadata_compiles_and_draws_matching_numbers() -> None:
    rng = random.Random(7)
    patterns = _metadata_patterns()
    assert len(patterns) > 1000
    drawn = 0
    for where, regex, lengths in patterns:
        pattern = DigitPattern(regex)
        for length in (n for n in lengths if n > 0):
            number = pattern.sample("?" * length, rng)
            if number is None:
                # Then no number of that length matches: re agrees on a few draws.
                continue
            drawn += 1
            assert len(number) == length, where
            assert re.fullmatch(regex, number), (where, number)
    assert drawn > 1000


@pytest.mark.parametrize(
    ("regex", "yes", "no"),
    [
        (r"1\d{2}", ["100", "199"], ["10", "200", "1000"]),
        (r"[2-4]5?", ["2", "35", "4"], ["5", "255", "1"]),
        (r"(?:12|3[4-6])7", ["127", "357"], ["137", "377", "12"]),
        (r"(12|34)", ["12", "34"], ["1234"]),
        (r"9{2,3}", ["99", "999"], ["9", "9999"]),
        (r"8{2,}", ["88", "88888888"], ["8"]),
        (r"7*1", ["1", "7771"], ["7", "17"]),
        (r"6+", ["6", "666"], [""]),
        (r"[\d]0", ["00", "90"], ["01"]),
    ],
)
def test_admits_exactly_what_re_matches(regex: str, yes: list[str], no: list[str]) -> None:
    pattern = DigitPattern(regex)
    for number in yes:
        assert re.fullmatch(regex, number)
        assert pattern.admits(number), number
    for number in no:
        assert not re.fullmatch(regex, number)
        assert not pattern.admits(number), number


def test_a_template_fixes_digits_and_frees_the_rest() -> None:
    us = phonenumbers.PhoneMetadata.metadata_for_region("US").fixed_line.national_number_pattern
    pattern = DigitPattern(us)
    rng = random.Random(1)
    numbers = {pattern.sample("415???9653", rng) for _ in range(50)}
    assert len(numbers) > 10
    for number in numbers:
        assert number is not None
        assert re.fullmatch(us, number)
        assert number.startswith("415")
        assert number.endswith("9653")


def test_a_shape_no_number_has_gives_none() -> None:
    us = phonenumbers.PhoneMetadata.metadata_for_region("US").fixed_line.national_number_pattern
    pattern = DigitPattern(us)
    # North American area codes never start with 0 or 1.
    assert pattern.sample("1?????????", random.Random(1)) is None
    assert not pattern.admits("0?????????")
    assert not pattern.admits("415???????0")  # eleven digits


def test_the_same_seed_draws_the_same_numbers() -> None:
    pattern = DigitPattern(r"[2-9]\d{9}")
    first = [pattern.sample("?" * 10, random.Random(42)) for _ in range(3)]
    second = [pattern.sample("?" * 10, random.Random(42)) for _ in range(3)]
    assert first == second


def test_a_seed_draws_the_numbers_it_always_drew() -> None:
    # Drawn as random.choice draws among a slot's digits: searches find what they found before.
    us = phonenumbers.PhoneMetadata.metadata_for_region("US").fixed_line.national_number_pattern
    pattern = DigitPattern(us)
    rng = random.Random("pinned")
    drawn = [pattern.sample(shape, rng) for shape in ("415???????", "??????????", "4?5????7??", "212555????")]
    assert drawn == ["4153828286", "6369100906", "4154154734", "2125555713"]


def test_a_shape_drawn_again_draws_from_the_digits_found_the_first_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    us = phonenumbers.PhoneMetadata.metadata_for_region("US").fixed_line.national_number_pattern
    pattern = DigitPattern(us)
    first = [pattern.sample("415???????", random.Random(seed)) for seed in range(20)]
    # A search draws thousands of numbers of a few shapes: which digits may come where is found once.
    monkeypatch.setattr(pattern, "_step", lambda state, digit: pytest.fail("looked into again"))
    assert [pattern.sample("415???????", random.Random(seed)) for seed in range(20)] == first
    assert all(number is not None and re.fullmatch(us, number) for number in first)


@pytest.mark.parametrize("regex", [r"1(2", r"[a-z]", r"\w", r"1{3,2}", r"1{x}", "1)", r"[5-3]", r"1$"])
def test_syntax_outside_the_dialect_is_refused(regex: str) -> None:
    with pytest.raises(PatternSyntaxError):
        DigitPattern(regex)
