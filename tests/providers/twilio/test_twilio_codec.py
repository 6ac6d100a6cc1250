"""The codec on its own: dates, error bodies, and the models it builds without pydantic's validators."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from numbers_core import ActiveNumber, AvailableNumber, NumberType, SearchQuery
from numbers_core.providers.twilio import _codec as codec
from numbers_core.providers.twilio._dialect import SIGNALWIRE, TWILIO
from pydantic import BaseModel
from twilio_wire import fixture


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Thu, 30 Jul 2015 23:19:04 +0000", datetime(2015, 7, 30, 23, 19, 4, tzinfo=UTC)),
        # A Date header's form (RFC 9110's IMF-fixdate): the carrier's clock in every answer.
        ("Sun, 22 Nov 2026 13:39:11 GMT", datetime(2026, 11, 22, 13, 39, 11, tzinfo=UTC)),
        ("Sun, 22 Nov 2026 24:39:11 GMT", None),
        ("Sun, 22 Nov 2026 1x:39:11 GMT", None),
        # SignalWire's own documents: "Sept" is not RFC 2822 (email.utils gives up on it).
        ("Tue, 25 Sept 2018 23:00:00 +0000", datetime(2018, 9, 25, 23, 0, tzinfo=UTC)),
        ("25 Sep 2018 23:00:00 GMT", datetime(2018, 9, 25, 23, 0, tzinfo=UTC)),
        ("Tue, 25 Sep 2018 23:00 +0000", datetime(2018, 9, 25, 23, 0, tzinfo=UTC)),
        ("Tue, 25 Sep 2018 18:00:00 -0500", datetime(2018, 9, 25, 23, 0, tzinfo=UTC)),
        ("Tue, 25 Sep 2018 23:00:00", datetime(2018, 9, 25, 23, 0, tzinfo=UTC)),  # GMT, as documented
        ("2018-09-25T23:00:00Z", datetime(2018, 9, 25, 23, 0, tzinfo=UTC)),
        ("2018-09-25T23:00:00+02:00", datetime(2018, 9, 25, 21, 0, tzinfo=UTC)),
        ("Tue, 31 Feb 2018 23:00:00 +0000", None),
        ("yesterday", None),
        ("", None),
        (None, None),
    ],
)
def test_dates_are_read_leniently(text: str | None, expected: datetime | None) -> None:
    parsed = codec.parse_date(text)
    assert parsed == expected
    if parsed is not None:
        assert parsed.tzinfo is not None


def test_an_offset_is_kept() -> None:
    parsed = codec.parse_date("Tue, 25 Sep 2018 18:00:00 -0500")
    assert parsed is not None
    assert parsed.utcoffset() == timedelta(hours=-5)
    assert parsed.tzinfo == timezone(timedelta(hours=-5))


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"code": 20404, "message": "Not found", "status": 404}, ("20404", "Not found")),
        ({"code": "90000", "message": " Bad pattern "}, ("90000", "Bad pattern")),
        (
            {"errors": [{"code": 4001, "message": "No funds"}, {"message": "and more"}]},
            ("4001", "No funds; and more"),
        ),
        ({"errors": [{"message": "no code"}, {"code": "10000"}]}, ("10000", "no code")),
        ({"errors": "broken"}, (None, None)),
        ({"code": True, "message": 5}, (None, None)),
        ({"message": "only a message"}, (None, "only a message")),
        ([], (None, None)),
        (None, (None, None)),
    ],
)
def test_error_bodies_are_read_leniently(body: Any, expected: tuple[str | None, str | None]) -> None:
    assert codec.error_details(body) == expected


def _same_as_validated(model: BaseModel) -> None:
    """A model the codec built equals the one pydantic builds from the same data, validators run."""
    validated = type(model).model_validate(model.model_dump())
    assert validated.model_copy(update={"raw": getattr(model, "raw", None)}) == model
    assert hash(validated) == hash(model)
    assert model.model_dump() == validated.model_dump()


@pytest.mark.parametrize(
    "name",
    ["twilio_search_local", "twilio_search_toll_free", "twilio_search_mobile", "signalwire_search_local"],
)
def test_available_numbers_are_valid_models(name: str) -> None:
    numbers = codec.available_numbers(fixture(name), provider="twilio", number_type=NumberType.LOCAL)
    assert numbers
    for number in numbers:
        assert isinstance(number, AvailableNumber)
        _same_as_validated(number)


@pytest.mark.parametrize(
    "name",
    ["twilio_list_page1", "twilio_list_page2", "signalwire_list_page1", "signalwire_list_page2"],
)
def test_owned_numbers_are_valid_models(name: str) -> None:
    numbers, _ = codec.number_page(fixture(name), provider="twilio")
    assert numbers
    for number in numbers:
        assert isinstance(number, ActiveNumber)
        _same_as_validated(number)
        assert number.model_fields_set == set(ActiveNumber.model_fields)


def test_models_are_immutable_and_shared_parts_are_safe() -> None:
    first, second = codec.number_page(fixture("twilio_list_page1"), provider="twilio")[0]
    assert first.config.voice is not None
    with pytest.raises(ValueError, match="frozen"):
        first.config.voice.url = "https://elsewhere.example"  # type: ignore[misc]
    copied = first.model_copy(update={"friendly_name": "copy"})
    assert copied.friendly_name == "copy"
    assert first.friendly_name == "(415) 555-2671"
    assert "friendly_name" in second.model_fields_set


def test_raw_is_kept_but_not_shown() -> None:
    [number] = codec.number_page(fixture("twilio_list_page2"), provider="twilio")[0]
    assert number.raw["sid"] == number.id
    assert "raw" not in repr(number)
    assert "raw" not in number.model_dump()


def test_blank_and_null_mean_the_same() -> None:
    item = fixture("twilio_number")
    assert (item["sms_url"], item["voice_fallback_url"]) == ("", None)
    number = codec.number(item, provider="twilio")
    assert number.config.sms is not None
    assert number.config.voice is not None
    assert number.config.sms.url is None
    assert number.config.voice.fallback_url is None
    assert number.config.sms.application_id is None  # ""
    assert number.config.emergency_address_id is None  # null


@pytest.mark.parametrize(
    ("stated", "expected"),
    [
        ("local", NumberType.LOCAL),
        ("mobile", NumberType.MOBILE),
        ("toll-free", NumberType.TOLL_FREE),
        ("tollfree", NumberType.TOLL_FREE),
        ("Toll Free", NumberType.TOLL_FREE),
        ("national", NumberType.NATIONAL),
        ("shortcode", NumberType.UNKNOWN),
    ],
)
def test_number_types(stated: str, expected: NumberType) -> None:
    assert codec.number(fixture("twilio_number", type=stated), provider="twilio").number_type is expected


def test_a_signalwire_toll_free_number_is_told_by_its_verification_status() -> None:
    item = fixture("signalwire_number", verification_status="Unverified")
    assert codec.number(item, provider="signalwire").number_type is NumberType.TOLL_FREE


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("19.720000", 19.72),
        (19.72, 19.72),
        (-90, -90.0),
        ("91", None),
        ("nan", None),
        ("north", None),
        ("", None),
        (None, None),
    ],
)
def test_latitudes(value: Any, expected: float | None) -> None:
    body = {"available_phone_numbers": [{"phone_number": "+18089251571", "latitude": value}]}
    [number] = codec.available_numbers(body, provider="twilio", number_type=NumberType.LOCAL)
    assert number.geography.latitude == expected


@pytest.mark.parametrize(
    ("capabilities", "expected"),
    [
        ({"voice": True, "SMS": True, "MMS": False}, (True, True, False, None)),
        ({"voice": True, "sms": False, "mms": True, "fax": True}, (True, False, True, True)),
        ({"Voice": False, "Sms": True}, (False, True, None, None)),
        ({"voice": 1, "sms": 0, "mms": 1.0}, (True, False, True, None)),  # as pydantic reads a bool
        ({}, (None, None, None, None)),
        (None, (None, None, None, None)),
    ],
)
def test_capability_keys_in_any_case(
    capabilities: Any, expected: tuple[bool | None, bool | None, bool | None, bool | None]
) -> None:
    number = codec.number(fixture("twilio_number", capabilities=capabilities), provider="twilio")
    found = number.capabilities
    assert (found.voice, found.sms, found.mms, found.fax) == expected


def test_long_prefixes_are_cut_to_what_contains_takes() -> None:
    query = SearchQuery(starts_with="41555526719")
    _, params = codec.search_request(query, TWILIO)
    assert params["Contains"] == "+141555526719"
    query = SearchQuery(country="IT", starts_with="061234567890123")
    _, params = codec.search_request(query, TWILIO)
    assert params["Contains"] == "+390612345678901"  # 16 characters at most
    assert params["PageSize"] == "1000"  # cut short: narrowed here afterwards


def test_signalwire_takes_no_page_size_and_no_wildcards() -> None:
    resource, params = codec.search_request(SearchQuery(number_type="toll_free", contains="8*8"), SIGNALWIRE)
    assert resource == "TollFree"
    assert params == {}


def _search(**fields: Any) -> AvailableNumber:
    body = {"available_phone_numbers": [{"phone_number": "+18089251571", **fields}]}
    [number] = codec.available_numbers(body, provider="twilio", number_type=NumberType.LOCAL)
    return number


@pytest.mark.parametrize(
    ("field", "number", "other"),
    [("lata", 834, 834.0), ("postal_code", 1, True), ("latitude", 1, True), ("longitude", 0.0, False)],
)
def test_a_value_of_the_wrong_type_is_refused_even_if_an_equal_one_was_read_before(
    field: str, number: object, other: object
) -> None:
    # Numbers are remembered by their wire values, and 834 == 834.0, 1 == True: a value refused
    # on its own must not pass for one read before.
    _search(**{field: number})
    with pytest.raises(codec.Malformed, match=field):
        _search(**{field: other})


def test_remembered_parts_are_read_again_when_the_memo_is_full(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(codec, "_MEMO_SIZE", 2)
    for _ in range(2):
        for region in ("HI", "CA", "NY", "TX", "WA"):
            number = _search(region=region, rate_center=f"RC {region}", capabilities={"voice": True})
            assert (number.geography.region, number.geography.rate_center) == (region, f"RC {region}")
            assert number.capabilities.voice is True
    assert len(codec._OFFERS) <= 2


def test_a_friendly_name_is_held_to_number_configs_limit() -> None:
    # SignalWire takes names up to 255 characters, Twilio 64: both are read.
    assert codec.number(
        fixture("twilio_number", friendly_name="x" * 255), provider="twilio"
    ).config.friendly_name
    with pytest.raises(codec.Malformed, match="friendly_name"):
        codec.number(fixture("twilio_number", friendly_name="x" * 256), provider="twilio")
