"""The sandbox's inventory: which numbers are for sale, and finding them.

A number is for sale when phonenumbers says it is valid, its type is one the
catalogue sells in its country, a local number lies in a place the geocoding
data names (that is where its geography comes from), and a fixed hash of the
number does not mark it as held by some other customer of the carrier.
:func:`describe` is that rule; :func:`candidates` walks the numbers a search
asks for in an order seeded by the query, so the same query always finds the
same numbers. Both are CPU work meant to run in a worker thread.
"""

from __future__ import annotations

import bisect
import contextlib
import functools
import hashlib
import random
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import phonenumbers
from phonenumbers import PhoneNumberType

# The type of a number in a region's metadata: what region_code_for_number and number_type each
# work out, asked once instead (_region_and_type).
from phonenumbers.phonenumberutil import _number_type_helper

from .._models import AddressRequirement, AvailableNumber, Geography, NumberType, SearchQuery
from .._provider import _matches_pattern
from . import _cache
from ._catalogue import offer_for
from ._pattern import FREE, DigitPattern

__all__ = ["Area", "NumberRange", "candidates", "describe", "number_range", "query_seed"]

# What phonenumbers calls each type, in the neutral vocabulary. Pagers and
# voicemail access numbers have no neutral type and are not sold.
_NEUTRAL_TYPE = {
    PhoneNumberType.FIXED_LINE: NumberType.LOCAL,
    PhoneNumberType.FIXED_LINE_OR_MOBILE: NumberType.LOCAL,
    PhoneNumberType.MOBILE: NumberType.MOBILE,
    PhoneNumberType.TOLL_FREE: NumberType.TOLL_FREE,
    PhoneNumberType.PREMIUM_RATE: NumberType.PREMIUM_RATE,
    PhoneNumberType.SHARED_COST: NumberType.SHARED_COST,
    PhoneNumberType.VOIP: NumberType.VOIP,
    PhoneNumberType.PERSONAL_NUMBER: NumberType.PERSONAL,
    PhoneNumberType.UAN: NumberType.NATIONAL,
}

# The metadata field describing each neutral type's ranges.
_METADATA_FIELD = {
    NumberType.LOCAL: "fixed_line",
    NumberType.MOBILE: "mobile",
    NumberType.TOLL_FREE: "toll_free",
    NumberType.PREMIUM_RATE: "premium_rate",
    NumberType.SHARED_COST: "shared_cost",
    NumberType.VOIP: "voip",
    NumberType.PERSONAL: "personal_number",
    NumberType.NATIONAL: "uan",
}

# North American geocoding names a place as "City, ST".
_NANP_PLACE = re.compile(r"^(?P<locality>.+), (?P<region>[A-Z]{2})$")

# Geocoding descriptions elsewhere name towns, except these, which name wide
# areas (the French numbering zones, an Australian state, a UK nation).
_WIDE_AREAS = {
    "FR": frozenset({"Ile de France", "Nord Est", "Nord Ouest", "Sud Est", "Sud Ouest"}),
    "AU": frozenset({"New South Wales"}),
    "GB": frozenset({"Northern Ireland"}),
}

# One valid number in eight is held by some other customer: buying it fails
# the way buying a taken number fails at a real carrier.
_HELD_ONE_IN = 8

# Attempts a search may spend drawing numbers, beyond a base per result wanted;
# queries whose filters admit few numbers end when it runs out.
_BASE_ATTEMPTS = 500
_ATTEMPTS_PER_RESULT = 50


@dataclass(frozen=True, slots=True)
class Area:
    """A place local numbers belong to: the national prefix the geocoding data names."""

    prefix: str
    locality: str | None
    region: str | None


# Compared and hashed by identity: number_range() makes one per country and type.
@dataclass(frozen=True, eq=False)
class NumberRange:
    """The numbers of one type in one country, as phonenumbers describes them."""

    country: str
    country_code: str
    number_type: NumberType
    pattern: DigitPattern
    lengths: tuple[int, ...]
    #: for local numbers: every geocoded prefix, mapped to its Area (None where not sold)
    areas: dict[str, Area | None] | None

    def area_of(self, national: str) -> Area | None:
        """The area of the longest geocoded prefix of ``national``."""
        if self.areas is None:
            return None
        for end in range(len(national), 0, -1):
            if national[:end] in self.areas:
                return self.areas[national[:end]]
        return None

    @functools.cached_property
    def sold_areas(self) -> tuple[Area, ...]:
        """Where local numbers are sold; one area without geography for other types."""
        if self.areas is None:
            return (Area("", None, None),)
        return tuple(sorted((a for a in self.areas.values() if a is not None), key=lambda a: a.prefix))

    @functools.cached_property
    def _sold_prefixes(self) -> list[str]:
        return [area.prefix for area in self.sold_areas]

    def sold_areas_at(self, prefix: str) -> tuple[Area, ...]:
        """The sold areas numbers starting with ``prefix`` may lie in, in order: those whose prefix
        begins ``prefix``, then those whose prefix begins with it (found by bisection: the US has
        28,000 areas, and bulk jobs narrow their searches digit by digit, each a prefix of its own)."""
        if self.areas is None:
            return self.sold_areas
        around = [area for end in range(1, len(prefix)) if (area := self.areas.get(prefix[:end])) is not None]
        # Every prefix that begins with ``prefix`` sorts between it and it followed by ":" (after "9").
        first = bisect.bisect_left(self._sold_prefixes, prefix)
        last = bisect.bisect_left(self._sold_prefixes, prefix + ":", first)
        return (*around, *self.sold_areas[first:last])


def _lengths(metadata: phonenumbers.PhoneMetadata, desc: phonenumbers.PhoneNumberDesc) -> tuple[int, ...]:
    general = metadata.general_desc
    lengths = desc.possible_length or (general.possible_length if general is not None else None) or ()
    return tuple(length for length in lengths if length > 0)


# Searches run in worker threads: without it, forty of them starting at once would each build the
# same range (seconds of CPU each, for the geocoding data) side by side.
_BUILDING = threading.Lock()


def number_range(country: str, number_type: NumberType) -> NumberRange | None:
    """The range of ``number_type`` numbers in ``country``; None where the sandbox sells none."""
    with _BUILDING:
        return _number_range(country, number_type)


@functools.cache
def _number_range(country: str, number_type: NumberType) -> NumberRange | None:
    if offer_for(country, number_type) is None:
        return None
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(country)
    desc = getattr(metadata, _METADATA_FIELD[number_type], None)
    if metadata is None or desc is None or not desc.national_number_pattern:
        return None
    pattern = DigitPattern(desc.national_number_pattern)
    lengths = _lengths(metadata, desc)
    country_code = str(metadata.country_code)
    areas = _areas(country, country_code, pattern, lengths) if number_type is NumberType.LOCAL else None
    return NumberRange(country, country_code, number_type, pattern, lengths, areas)


def _areas(
    country: str, country_code: str, pattern: DigitPattern, lengths: tuple[int, ...]
) -> dict[str, Area | None]:
    name = f"areas-{country}"
    key = _areas_key(country)
    cached = _cached_areas(_cache.load(name, key))
    if cached is not None:
        return cached
    areas = _geocoded_areas(country, country_code, pattern, lengths)
    _cache.store(name, key, [[a.prefix, a.locality, a.region] if a else [p] for p, a in areas.items()])
    return areas


def _cached_areas(rows: object) -> dict[str, Area | None] | None:
    # A table edited or damaged by hand is derived again, never half-trusted.
    if not isinstance(rows, list):
        return None
    areas: dict[str, Area | None] = {}
    for row in rows:
        if not isinstance(row, list) or len(row) not in (1, 3) or not isinstance(row[0], str):
            return None
        if len(row) == 1:
            areas[row[0]] = None
        elif all(isinstance(field, str | None) for field in row[1:]):
            areas[row[0]] = Area(*row)
        else:
            return None
    return areas


def _areas_key(country: str) -> str:
    # Everything a table is derived from: phonenumbers' data and this module's rules.
    source = hashlib.blake2b(Path(__file__).read_bytes(), digest_size=8).hexdigest()
    return f"{country}/phonenumbers-{phonenumbers.__version__}/{source}"


def _geocoded_areas(
    country: str, country_code: str, pattern: DigitPattern, lengths: tuple[int, ...]
) -> dict[str, Area | None]:
    # The geocoding data weighs about 100 MB; only local searches pay for it.
    from phonenumbers.geodata import GEOCODE_DATA

    wide = _WIDE_AREAS.get(country, frozenset())
    areas: dict[str, Area | None] = {}
    for key, names in GEOCODE_DATA.items():
        prefix = key[len(country_code) :]
        if not key.startswith(country_code) or not prefix:
            continue
        if not pattern.admits_prefix(prefix, lengths):
            continue
        areas[prefix] = _area(prefix, names.get("en", ""), north_american=country_code == "1", wide=wide)
    return areas


def _area(prefix: str, description: str, *, north_american: bool, wide: frozenset[str]) -> Area | None:
    if north_american:
        # A state or province alone ("Connecticut") does not say where: not sold.
        place = _NANP_PLACE.match(description)
        return Area(prefix, place["locality"], place["region"]) if place else None
    if not description:
        return None
    if description in wide:
        return Area(prefix, None, description)
    return Area(prefix, description, None)


def _held_by_someone_else(e164: str) -> bool:
    digest = hashlib.blake2b(e164.encode(), digest_size=8, person=b"numbers-sandbox").digest()
    return int.from_bytes(digest, "big") % _HELD_ONE_IN == 0


# A number a search showed is soon asked for again: bought (a bulk job buys what it found), or shown
# to the next search on the same state. The answer is fixed (and frozen), about 50 µs of
# phonenumbers' work to find; a few thousand kept cover the searches a busy emulator has in flight.
# Kept in two halves: when the newer is full it becomes the older and the older is let go, so
# what was described last is always there (letting all go at once forgot what searches had just
# shown: a third of a 10,000-number bulk job's purchases described their numbers again).
_KEPT = 4096
_described: dict[tuple[str, str], AvailableNumber | None] = {}
_before: dict[tuple[str, str], AvailableNumber | None] = {}


def describe(e164: str, provider: str) -> AvailableNumber | None:
    """The number as the sandbox sells it, or None when it is not for sale."""
    key = (e164, provider)
    with contextlib.suppress(KeyError):
        return _recalled(key)
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        parsed = None
    return _kept(key, None if parsed is None else _for_sale(parsed, provider))


def _recalled(key: tuple[str, str]) -> AvailableNumber | None:
    """What is kept of ``key`` (KeyError: nothing). Searches' worker threads share what is kept:
    each look-up is one step, and a half let go meanwhile costs a description again, no more."""
    try:
        return _described[key]
    except KeyError:
        return _kept(key, _before[key])


def _kept(key: tuple[str, str], found: AvailableNumber | None) -> AvailableNumber | None:
    global _described, _before
    if len(_described) >= _KEPT:
        _before, _described = _described, {}
    _described[key] = found
    return found


def _drawn(country_code: str, national: str, provider: str) -> AvailableNumber | None:
    """:func:`describe` of a number a walk drew, without parsing what it wrote where parsing would
    find just its country code and national number again (an eighth of a walk's time)."""
    e164 = f"+{country_code}{national}"
    key = (e164, provider)
    with contextlib.suppress(KeyError):
        return _recalled(key)
    prefix = _prefix_for_parsing(country_code)
    if national.startswith("0") or (prefix is not None and prefix.match(national)):
        return describe(e164, provider)  # a leading zero, or a national prefix parsing would strip
    parsed = phonenumbers.PhoneNumber(country_code=int(country_code), national_number=int(national))
    return _kept(key, _for_sale(parsed, provider))


@functools.cache
def _prefix_for_parsing(country_code: str) -> re.Pattern[str] | None:
    region = phonenumbers.region_code_for_country_code(int(country_code))
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    pattern = metadata.national_prefix_for_parsing if metadata is not None else None
    return re.compile(pattern) if pattern else None


def _region_and_type(parsed: phonenumbers.PhoneNumber) -> tuple[str | None, int]:
    """``region_code_for_number(parsed)`` and ``number_type(parsed)``, with the number's type found
    once: each of them works it out (a dozen patterns tried) in the same metadata, and where a
    calling code has several regions (+1, +44, +61), the region is the first whose metadata gives a
    type, as phonenumbers' own ``_region_code_for_number_from_list`` finds it. A walk describes
    every number it draws."""
    code = parsed.country_code
    regions = None if code is None else phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(code)
    if code is None or regions is None:
        return None, PhoneNumberType.UNKNOWN
    national = phonenumbers.national_significant_number(parsed)
    if len(regions) > 1:
        for region in regions:
            metadata = phonenumbers.PhoneMetadata.metadata_for_region(region.upper(), None)
            if metadata is None:
                continue
            if metadata.leading_digits is not None:
                if re.match(metadata.leading_digits, national):
                    return region, _type_in(national, code, region)
                continue
            found = _number_type_helper(national, metadata)
            if found != PhoneNumberType.UNKNOWN:
                return region, found
        return None, PhoneNumberType.UNKNOWN
    return regions[0], _type_in(national, code, regions[0])


def _type_in(national: str, country_code: int, region: str) -> int:
    metadata = phonenumbers.PhoneMetadata.metadata_for_region_or_calling_code(country_code, region)
    return PhoneNumberType.UNKNOWN if metadata is None else _number_type_helper(national, metadata)


def _for_sale(parsed: phonenumbers.PhoneNumber, provider: str) -> AvailableNumber | None:
    # No is_valid_number: it is these two look-ups again (a region, and a type other than UNKNOWN).
    country, phone_type = _region_and_type(parsed)
    number_type = _NEUTRAL_TYPE.get(phone_type)
    if country is None or number_type is None:
        return None
    offer = offer_for(country, number_type)
    found = number_range(country, number_type)
    if offer is None or found is None:
        return None
    geography = Geography(iso_country=country)
    if found.areas is not None:
        area = found.area_of(phonenumbers.national_significant_number(parsed))
        if area is None:
            return None
        geography = Geography(iso_country=country, region=area.region, locality=area.locality)
    canonical = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    if _held_by_someone_else(canonical):
        return None
    return AvailableNumber(
        phone_number=canonical,
        provider=provider,
        number_type=number_type,
        friendly_name=phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL),
        capabilities=offer.capabilities,
        geography=geography,
        # Prices come from the catalogue by way of Provider.search, as any carrier's price list does.
        address_requirement=offer.address_requirement,
        beta=False,
    )


def _national_digits(country: str, digits: str) -> str:
    """``digits`` without the trunk prefix a user may have typed (``020`` for London)."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(country)
    trunk = metadata.national_prefix if metadata is not None else None
    if not trunk or not digits.startswith(trunk) or len(digits) == len(trunk):
        return digits
    if _national_numbers_may_start_with(country, trunk):
        return digits
    return digits[len(trunk) :]


@functools.cache
def _national_numbers_may_start_with(country: str, prefix: str) -> bool:
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(country)
    general = metadata.general_desc if metadata is not None else None
    if metadata is None or general is None or not general.national_number_pattern:
        return False
    return DigitPattern(general.national_number_pattern).admits_prefix(prefix, _lengths(metadata, general))


def _place(slots: list[str], offset: int, pattern: str) -> bool:
    """Write ``pattern`` (digits, ``*`` any) into ``slots`` at ``offset``; False on a clash."""
    if offset < 0 or offset + len(pattern) > len(slots):
        return False
    for index, char in enumerate(pattern, start=offset):
        if char == "*":
            continue
        if slots[index] == FREE:
            slots[index] = char
        elif slots[index] != char:
            return False
    return True


@dataclass(frozen=True)
class _Wanted:
    """A search query turned into constraints on the national number."""

    prefix: str
    contains: str | None
    ends_with: str | None
    region: str | None
    locality: str | None

    def templates(self, country_code: str, prefix: str, length: int) -> list[str]:
        """Every shape (digits and ``?``) a national number of ``length`` digits may take.

        ``contains`` and ``ends_with`` apply to the whole number, country code
        included, as the neutral filters do.
        """
        if len(prefix) > length:
            return []
        slots = list(country_code + prefix + FREE * (length - len(prefix)))
        if self.ends_with and not _place(slots, len(slots) - len(self.ends_with), self.ends_with):
            return []
        if not self.contains:
            return ["".join(slots[len(country_code) :])]
        shapes: list[str] = []
        for offset in range(len(slots) - len(self.contains) + 1):
            attempt = slots.copy()
            if _place(attempt, offset, self.contains):
                shape = "".join(attempt[len(country_code) :])
                if shape not in shapes:
                    shapes.append(shape)
        return shapes

    def admits(self, number: AvailableNumber, national: str) -> bool:
        digits = number.phone_number.removeprefix("+")
        return (
            national.startswith(self.prefix)
            and (self.contains is None or _matches_pattern(digits, self.contains))
            and (self.ends_with is None or digits.endswith(self.ends_with))
            and _same(number.geography.region, self.region)
            and _same(number.geography.locality, self.locality)
        )


def _same(actual: str | None, wanted: str | None) -> bool:
    return wanted is None or (actual is not None and actual.casefold() == wanted.strip().casefold())


def _combined_prefix(prefixes: list[str]) -> str | None:
    """The one prefix that satisfies all of ``prefixes``; None if they disagree."""
    longest = max(prefixes, key=len, default="")
    return longest if all(longest.startswith(prefix) for prefix in prefixes) else None


def _near_prefix(near_number: str, country: str) -> str | None:
    """The area code of ``near_number``: "near" means in the same area."""
    parsed = phonenumbers.parse(near_number, None)
    if phonenumbers.region_code_for_number(parsed) != country:
        return None
    length = phonenumbers.length_of_geographical_area_code(
        parsed
    ) or phonenumbers.length_of_national_destination_code(parsed)
    return phonenumbers.national_significant_number(parsed)[:length] if length else None


def _wanted(query: SearchQuery) -> _Wanted | None:
    prefixes = [_national_digits(query.country, p) for p in (query.area_code, query.starts_with) if p]
    if query.near_number is not None:
        near = _near_prefix(query.near_number, query.country)
        if near is None:
            return None
        prefixes.append(near)
    prefix = _combined_prefix(prefixes)
    if prefix is None:
        return None
    return _Wanted(prefix, query.contains, query.ends_with, query.region, query.locality)


def _terms_allow(query: SearchQuery) -> bool:
    offer = offer_for(query.country, query.number_type)
    if offer is None:
        return False
    caps = offer.capabilities
    wanted = ((query.voice, caps.voice), (query.sms, caps.sms), (query.mms, caps.mms), (query.fax, caps.fax))
    if any(required and not has for required, has in wanted):
        return False
    return not (query.exclude_address_required and offer.address_requirement is not AddressRequirement.NONE)


def query_seed(query: SearchQuery) -> int:
    """The seed of a query's walk: the same filters, the same numbers (whatever the limit)."""
    text = query.model_dump_json(exclude={"limit"})
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


@functools.lru_cache(maxsize=256)
def _areas_for(found: NumberRange, prefix: str, region: str | None, locality: str | None) -> tuple[Area, ...]:
    # Without a prefix, a scan of every area of the country: once per kind of query, not per walk.
    return tuple(
        area
        for area in found.sold_areas_at(prefix)
        if _same(area.region, region) and _same(area.locality, locality)
    )


def candidates(query: SearchQuery, provider: str, *, salt: str = "") -> Iterator[AvailableNumber]:
    """Numbers for sale that match ``query``, in a fixed order, without repeats.

    The order depends on the query and on ``salt``, which the provider makes
    from the store's generation (how many numbers were ever bought): the same
    search on the same state finds the same numbers, and after a purchase the
    walk starts afresh elsewhere in the range, so the numbers bought before
    lie scattered across it instead of at its start. That keeps a search's
    cost flat however many numbers are owned. Ownership is not looked at
    here: the caller drops numbers already owned.
    """
    found = number_range(query.country, query.number_type)
    wanted = _wanted(query)
    if found is None or wanted is None or not _terms_allow(query):
        return
    areas = list(_areas_for(found, wanted.prefix, wanted.region, wanted.locality))
    # Not for secrets: the walk has to be reproducible from the query.
    rng = random.Random(f"{query_seed(query)}/{salt}")  # noqa: S311
    shapes: dict[str, list[str]] = {}
    seen: set[str] = set()
    # Dropping an area that cannot hold the wanted shape costs no attempt, so
    # rare shapes are still found among many areas; each area drops once.
    attempts = _BASE_ATTEMPTS + _ATTEMPTS_PER_RESULT * query.limit
    while attempts > 0 and areas:
        index = rng.randrange(len(areas))
        area = areas[index]
        prefix = max(area.prefix, wanted.prefix, key=len)
        if prefix not in shapes:
            shapes[prefix] = [
                shape
                for length in found.lengths
                for shape in wanted.templates(found.country_code, prefix, length)
                if found.pattern.admits(shape)
            ]
        if not shapes[prefix]:
            # Nothing of the wanted shape lives here: stop drawing this area.
            areas[index] = areas[-1]
            areas.pop()
            continue
        attempts -= 1
        national = found.pattern.sample(rng.choice(shapes[prefix]), rng)
        if national is None:
            continue
        if national in seen:
            continue
        seen.add(national)
        number = _drawn(found.country_code, national, provider)
        if (
            number is not None
            and number.number_type is query.number_type
            and number.geography.iso_country == query.country
            and wanted.admits(number, national)
        ):
            yield number
