"""The inventory: what is for sale, and what a search walks through."""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator

import phonenumbers
import pytest
from numbers_core import AddressRequirement, AvailableNumber, NumberType, SearchQuery
from numbers_core.sandbox import _inventory
from numbers_core.sandbox._catalogue import COUNTRIES, offer_for, offered_types
from numbers_core.sandbox._inventory import candidates, describe, number_range
from numbers_core.sandbox._pattern import FREE
from phonenumbers import geocoder

# What each phonenumbers type is called in the neutral vocabulary.
_NEUTRAL = {
    phonenumbers.PhoneNumberType.FIXED_LINE: NumberType.LOCAL,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE: NumberType.LOCAL,
    phonenumbers.PhoneNumberType.MOBILE: NumberType.MOBILE,
    phonenumbers.PhoneNumberType.TOLL_FREE: NumberType.TOLL_FREE,
    phonenumbers.PhoneNumberType.PREMIUM_RATE: NumberType.PREMIUM_RATE,
    phonenumbers.PhoneNumberType.SHARED_COST: NumberType.SHARED_COST,
    phonenumbers.PhoneNumberType.VOIP: NumberType.VOIP,
    phonenumbers.PhoneNumberType.PERSONAL_NUMBER: NumberType.PERSONAL,
    phonenumbers.PhoneNumberType.UAN: NumberType.NATIONAL,
}

_SOLD = [(country, number_type) for country in COUNTRIES for number_type in offered_types(country)]


def walk(limit: int = 20, **criteria: object) -> list[AvailableNumber]:
    query = SearchQuery.model_validate({"limit": limit, **criteria})
    return list(itertools.islice(candidates(query, "sandbox"), limit))


def national(number: AvailableNumber) -> str:
    return phonenumbers.national_significant_number(phonenumbers.parse(number.phone_number))


def test_the_catalogue_covers_the_promised_countries() -> None:
    assert {"US", "CA", "GB", "DE", "FR", "AU"} <= set(COUNTRIES)
    for country in COUNTRIES:
        assert NumberType.LOCAL in offered_types(country)
    # North American mobile ranges are the landline ranges: they are sold as local.
    assert NumberType.MOBILE not in offered_types("US")
    assert NumberType.MOBILE in offered_types("GB")


@pytest.mark.parametrize(("country", "number_type"), _SOLD, ids=[f"{c}-{t}" for c, t in _SOLD])
def test_every_country_and_type_has_many_valid_numbers_of_that_type(
    country: str, number_type: NumberType
) -> None:
    found = walk(limit=40, country=country, number_type=number_type)
    assert len(found) == 40
    assert len({n.phone_number for n in found}) == 40
    offer = offer_for(country, number_type)
    assert offer is not None
    for number in found:
        parsed = phonenumbers.parse(number.phone_number)
        assert phonenumbers.is_valid_number(parsed), number.phone_number
        assert phonenumbers.region_code_for_number(parsed) == country
        assert _NEUTRAL[phonenumbers.number_type(parsed)] is number_type
        assert number.number_type is number_type
        assert number.geography.iso_country == country
        assert number.capabilities == offer.capabilities
        # Prices come from the catalogue by way of Provider.search (test_sandbox_provider).
        assert (number.monthly_price, number.setup_price) == (None, None)
        assert number.address_requirement is offer.address_requirement
        assert number.friendly_name == phonenumbers.format_number(
            parsed, phonenumbers.PhoneNumberFormat.NATIONAL
        )
        # The walk and the rule of what is for sale agree.
        assert describe(number.phone_number, "sandbox") == number


@pytest.mark.parametrize("country", COUNTRIES)
def test_local_numbers_carry_the_place_the_geocoding_data_gives(country: str) -> None:
    for number in walk(limit=30, country=country):
        place = geocoder.description_for_number(phonenumbers.parse(number.phone_number), "en")
        geography = number.geography
        if country in ("US", "CA"):
            assert place == f"{geography.locality}, {geography.region}"
        else:
            assert place == (geography.locality or geography.region)
        assert geography.locality or geography.region


@pytest.mark.parametrize(
    ("country", "area_code", "region", "locality"),
    [
        ("US", "415", "CA", {"San Francisco", "Novato", "San Rafael", "Mill Valley", "Sausalito"}),
        ("US", "212", "NY", {"New York"}),
        ("US", "312", "IL", {"Chicago"}),
        ("CA", "604", "BC", {"Vancouver", "Burnaby", "Richmond", "Surrey", "North Vancouver"}),
    ],
)
def test_an_area_code_search_finds_numbers_of_that_area(
    country: str, area_code: str, region: str, locality: set[str]
) -> None:
    found = walk(limit=30, country=country, area_code=area_code)
    assert len(found) == 30
    for number in found:
        assert national(number).startswith(area_code)
        assert number.geography.region == region
        assert number.geography.locality
    # Most numbers of these areas are in their main towns.
    assert sum(n.geography.locality in locality for n in found) >= 15


def test_the_same_query_walks_the_same_numbers_whatever_the_limit() -> None:
    first = walk(limit=10, area_code="212")
    assert first == walk(limit=10, area_code="212")
    assert walk(limit=25, area_code="212")[:10] == first
    assert first != walk(limit=10, area_code="212", ends_with="5")


def test_contains_takes_letters_and_wildcards() -> None:
    for number in walk(limit=10, contains="WOLF"):
        assert "9653" in national(number)
    found = walk(limit=10, contains="4*5*6")
    assert len(found) == 10
    for number in found:
        digits = number.phone_number[1:]
        assert any(
            digits[i] == "4" and digits[i + 2] == "5" and digits[i + 4] == "6" for i in range(len(digits) - 4)
        )


def test_contains_may_include_the_country_code() -> None:
    found = walk(limit=10, contains="1415")
    assert len(found) == 10
    for number in found:
        assert "1415" in number.phone_number


def test_starts_with_ends_with_and_contains_combine() -> None:
    found = walk(limit=5, starts_with="4155", ends_with="99", contains="777")
    assert found
    for number in found:
        assert national(number).startswith("4155")
        assert number.phone_number.endswith("99")
        assert "777" in number.phone_number


def test_filters_that_disagree_find_nothing() -> None:
    assert walk(area_code="415", starts_with="212") == []
    assert walk(locality="Atlantis") == []
    assert walk(area_code="415", region="NY") == []


@pytest.mark.parametrize(
    ("region", "locality"), [("NY", None), (None, "San Francisco"), ("ca", "san francisco")]
)
def test_region_and_locality(region: str | None, locality: str | None) -> None:
    found = walk(limit=15, region=region, locality=locality)
    assert len(found) == 15
    for number in found:
        if region:
            assert (number.geography.region or "").casefold() == region.casefold()
        if locality:
            assert (number.geography.locality or "").casefold() == locality.casefold()


def test_wide_areas_are_regions_not_towns() -> None:
    found = walk(limit=5, country="FR", region="Nord Est")
    assert len(found) == 5
    for number in found:
        assert number.geography.locality is None
        assert number.number_type is NumberType.LOCAL


def test_non_geographic_numbers_have_no_place() -> None:
    for number in walk(limit=5, number_type="toll_free"):
        assert number.geography.region is None
        assert number.geography.locality is None
    assert walk(number_type="toll_free", region="NY") == []


@pytest.mark.parametrize(
    ("country", "area_code", "prefix", "town"),
    [("GB", "020", "20", "London"), ("DE", "030", "30", "Berlin"), ("AU", "2", "2", None)],
)
def test_area_codes_may_be_written_with_the_trunk_prefix(
    country: str, area_code: str, prefix: str, town: str | None
) -> None:
    found = walk(limit=10, country=country, area_code=area_code)
    assert len(found) == 10
    for number in found:
        assert national(number).startswith(prefix)
        if town:
            assert number.geography.locality == town


def test_near_number_finds_numbers_of_the_same_area() -> None:
    found = walk(limit=10, near_number="+14155552671")
    assert len(found) == 10
    for number in found:
        assert national(number).startswith("415")
    for number in walk(limit=10, country="GB", near_number="+442079460123"):
        assert national(number).startswith("20")
    # A number of another country is near nothing here.
    assert walk(near_number="+442079460123") == []


def test_required_capabilities_and_address_terms() -> None:
    assert walk(number_type="toll_free", mms=True) == []
    assert walk(number_type="toll_free", fax=True) == []
    assert len(walk(limit=3, number_type="toll_free", sms=True, voice=True)) == 3
    assert len(walk(limit=3, fax=True, mms=True)) == 3
    assert walk(country="GB", sms=True) == []
    assert len(walk(limit=3, country="GB", number_type="mobile", sms=True)) == 3
    assert walk(country="DE", exclude_address_required=True) == []
    for number in walk(limit=3, country="GB", number_type="toll_free", exclude_address_required=True):
        assert number.address_requirement is AddressRequirement.NONE


def test_types_a_country_does_not_sell_have_no_numbers() -> None:
    assert walk(number_type="mobile") == []
    assert walk(country="GB", number_type="shared_cost") == []
    assert walk(country="JP") == []
    assert number_range("JP", NumberType.LOCAL) is None


def test_what_is_not_for_sale() -> None:
    sold = walk(limit=1, country="GB", number_type="mobile")[0]
    assert describe(sold.phone_number, "sandbox") == sold
    # A valid number of a country the sandbox has no numbers in.
    assert describe("+81312345678", "sandbox") is None
    # Valid, but a type nobody sells (a pager) or one the catalogue leaves out.
    assert describe("+447640123456", "sandbox") is None
    # Not valid at all.
    assert describe("+12005550123", "sandbox") is None
    assert describe("not a number", "sandbox") is None
    # A North American state alone is not a place: numbers there are not sold.
    parsed = phonenumbers.parse("+12032201234")
    assert geocoder.description_for_number(parsed, "en") == "Connecticut"
    assert describe("+12032201234", "sandbox") is None


def test_a_number_a_search_showed_is_described_again_without_the_work(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    shown = walk(limit=5, area_code="510")
    # A bulk job buys what it found: the purchase describes each number again, from what is kept.
    monkeypatch.setattr(phonenumbers, "parse", lambda *_: pytest.fail("parsed again"))
    assert [describe(number.phone_number, "sandbox") for number in shown] == shown


def test_the_numbers_a_search_showed_are_kept_while_others_are_described(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_inventory, "_KEPT", 10)
    forget(monkeypatch)
    shown = walk(limit=5, area_code="510")
    walk(limit=5, area_code="212")  # another search meanwhile: the numbers kept fill up
    # Before: everything kept was let go at once, the numbers just shown with the rest.
    monkeypatch.setattr(phonenumbers, "parse", lambda *_: pytest.fail("parsed again"))
    assert [describe(number.phone_number, "sandbox") for number in shown] == shown


def forget(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing described is kept: what is described next is worked out."""
    monkeypatch.setattr(_inventory, "_described", {})
    monkeypatch.setattr(_inventory, "_before", {})


@pytest.mark.parametrize(("country", "number_type"), _SOLD)
def test_a_walk_describes_its_numbers_as_describe_does(
    country: str, number_type: NumberType, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A walk skips parsing what it drew: what it finds is what describe finds from the E.164 text.
    drawn = walk(limit=50, country=country, number_type=number_type)
    forget(monkeypatch)
    assert [describe(number.phone_number, "sandbox") for number in drawn] == drawn
    # Every number drawn, sold or not, refused or kept alike.
    found = number_range(country, number_type)
    assert found is not None
    rng = random.Random(country)
    for _ in range(200):
        national = found.pattern.sample(FREE * max(found.lengths), rng)
        if national is None:
            continue
        forget(monkeypatch)
        fast = _inventory._drawn(found.country_code, national, "sandbox")
        forget(monkeypatch)
        assert fast == describe(f"+{found.country_code}{national}", "sandbox")


@pytest.mark.parametrize("calling_code", [1, 33, 44, 49, 61, 7, 262, 800])
def test_a_numbers_region_and_type_are_phonenumbers_own(calling_code: int) -> None:
    # Found once in the walk (_region_and_type), as phonenumbers finds each: any number, valid or
    # not, a calling code of one region or of many (+1, +44, +61, +7, +262), non-geographic (+800).
    rng = random.Random(calling_code)
    for _ in range(3000):
        parsed = phonenumbers.PhoneNumber(
            country_code=calling_code, national_number=rng.randrange(10 ** rng.randint(5, 11))
        )
        assert _inventory._region_and_type(parsed) == (
            phonenumbers.region_code_for_number(parsed),
            phonenumbers.number_type(parsed),
        )


def test_some_valid_numbers_are_held_by_other_customers() -> None:
    sold = walk(limit=1, area_code="415")[0]
    stem = sold.phone_number[:-2]
    # The same exchange, so the same place: only the hash decides.
    neighbours = [f"{stem}{last:02d}" for last in range(100)]
    for e164 in neighbours:
        assert phonenumbers.is_valid_number(phonenumbers.parse(e164))
    held = {e164 for e164 in neighbours if describe(e164, "sandbox") is None}
    assert 3 <= len(held) <= 30
    walked = {n.phone_number for n in walk(limit=100, starts_with=stem[2:])}
    assert len(walked) == 100 - len(held)
    assert not held & walked


@pytest.mark.parametrize("prefix", ["", "4", "415", "41537", "4153712", "9"])
def test_the_areas_of_a_prefix_are_found_without_a_look_at_every_area_of_the_country(prefix: str) -> None:
    # Bulk jobs narrow their searches digit by digit (4153, 41537…), each a kind of query of its
    # own: a scan of the 28,000 areas of the US each (4 ms) was a quarter of an emulator's CPU.
    us = number_range("US", NumberType.LOCAL)
    assert us is not None
    expected = tuple(a for a in us.sold_areas if a.prefix.startswith(prefix) or prefix.startswith(a.prefix))
    assert us.sold_areas_at(prefix) == expected

    class Unscanned(tuple[_inventory.Area, ...]):
        def __iter__(self) -> Iterator[_inventory.Area]:
            raise AssertionError("every area of the country looked at")

    if prefix:
        unscanned = _inventory.NumberRange(
            us.country, us.country_code, us.number_type, us.pattern, us.lengths, us.areas
        )
        unscanned.__dict__["_sold_prefixes"] = us._sold_prefixes
        unscanned.__dict__["sold_areas"] = Unscanned(us.sold_areas)
        assert unscanned.sold_areas_at(prefix) == expected
