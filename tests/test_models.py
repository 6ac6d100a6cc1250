"""The neutral models: immutability, raw payloads, coercion and SearchQuery/NumberConfig rules."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pydantic
import pytest
from numbers_core import (
    ActiveNumber,
    Address,
    AddressRequirement,
    AvailableNumber,
    Callback,
    Capabilities,
    Geography,
    InvalidInputError,
    MmsCapabilities,
    Money,
    NumberCompliance,
    NumberConfig,
    NumberStatus,
    NumberType,
    Route,
    SearchQuery,
    SmsCapabilities,
    VoiceCapabilities,
)
from numbers_core.adapter import build

RAW = {"sid": "PN0123", "nested": {"secretish": "kept for the user"}}


def available(**fields: Any) -> AvailableNumber:
    return AvailableNumber.model_validate({"phone_number": "+14155552671", "provider": "fake", **fields})


def active(**fields: Any) -> ActiveNumber:
    return ActiveNumber.model_validate(
        {"phone_number": "+14155552671", "id": "PN0123", "provider": "fake", **fields}
    )


def query(**criteria: Any) -> SearchQuery:
    return build(SearchQuery, None, criteria)


# -- immutability, raw --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "field", "value"),
    [
        (available(), "phone_number", "+14155552672"),
        (active(), "status", NumberStatus.RELEASED),
        (Capabilities(voice=True), "voice", False),
        (Geography(region="CA"), "region", "NY"),
        (Money(amount=Decimal("1"), currency="USD"), "amount", Decimal("2")),
        (Route(url="https://example.com/voice"), "url", "https://evil.example"),
        (NumberConfig(friendly_name="a"), "friendly_name", "b"),
        (SearchQuery(), "limit", 5),
    ],
)
def test_models_are_frozen(model: pydantic.BaseModel, field: str, value: Any) -> None:
    before = getattr(model, field)
    with pytest.raises(pydantic.ValidationError, match="frozen"):
        setattr(model, field, value)
    assert getattr(model, field) == before


def test_raw_is_kept_but_out_of_repr_and_dump() -> None:
    for number in (available(raw=RAW), active(raw=RAW)):
        assert number.raw is RAW
        assert "PN0123" not in repr(number).replace("id='PN0123'", "")
        assert "kept for the user" not in repr(number)
        assert "kept for the user" not in str(number)
        assert "raw" not in number.model_dump()
        assert "kept for the user" not in number.model_dump_json()


def test_models_with_dicts_inside_are_hashable_and_equal_hash_when_equal() -> None:
    # raw and NumberConfig.extra hold dicts, which pydantic's own frozen hash cannot take.
    one = active(raw={"a": 1}, config={"extra": {"servicePlanId": "abc"}})
    two = active(raw={"a": 1}, config={"extra": {"servicePlanId": "abc"}})
    assert one == two
    assert hash(one) == hash(two)
    assert len({one, two, available(raw={"b": [1]})}) == 2
    assert hash(NumberConfig(extra={"k": ["v"]})) == hash(NumberConfig(extra={"k": ["v"]}))
    assert active() != active(friendly_name="x")


def test_models_pickle_round_trip() -> None:
    number = active(
        raw=RAW, created_at=datetime(2024, 1, 2, tzinfo=UTC), config={"voice": {"url": "https://a.b/"}}
    )
    again = pickle.loads(pickle.dumps(number))  # noqa: S301 - our own bytes
    assert again == number
    assert again.raw == RAW


def test_unknown_fields_are_refused_everywhere() -> None:
    for model in (
        AvailableNumber,
        ActiveNumber,
        Capabilities,
        Geography,
        Route,
        NumberConfig,
        SearchQuery,
        Money,
    ):
        with pytest.raises(pydantic.ValidationError, match="xyz"):
            model.model_validate({"xyz": 1})


# -- capabilities -------------------------------------------------------------------------------------


def test_capabilities_are_tri_state() -> None:
    caps = Capabilities(voice=True, sms=False)
    assert (caps.voice, caps.sms, caps.mms, caps.fax) == (True, False, None, None)
    assert Capabilities().model_dump(exclude_none=True) == {}
    # Blank strings from a carrier mean "not said", not False.
    assert Capabilities.model_validate({"voice": "", "sms": "true"}).voice is None


def test_capability_details_follow_the_sinch_draft() -> None:
    caps = Capabilities.model_validate(
        {
            "voice": True,
            "voice_details": {"e911": True, "calls_per_second": 5, "inbound_reachability": "Global"},
            "sms_details": {"gsm7": True, "ucs2_concatenation": False, "inbound_mps": 10},
            "mms_details": {"inbound_connectivity": True, "inbound_mps": 1},
        }
    )
    assert caps.voice_details == VoiceCapabilities(
        e911=True, calls_per_second=5, inbound_reachability="Global"
    )
    assert caps.sms_details == SmsCapabilities(gsm7=True, ucs2_concatenation=False, inbound_mps=10)
    assert caps.mms_details == MmsCapabilities(inbound_connectivity=True, inbound_mps=1)
    assert caps.voice_details is not None
    assert caps.voice_details.sip_trunking is None
    with pytest.raises(pydantic.ValidationError):
        VoiceCapabilities.model_validate({"calls_per_second": "many"})


# -- geography, money, dates --------------------------------------------------------------------------


def test_geography_takes_string_coordinates_and_blanks() -> None:
    # The Sinch draft types latitude/longitude as strings.
    geo = Geography.model_validate(
        {"iso_country": "US", "latitude": "19.720000", "longitude": "-155.090000", "lata": "", "region": "HI"}
    )
    assert (geo.latitude, geo.longitude) == (19.72, -155.09)
    assert geo.lata is None
    assert Geography.model_validate({"iso_country": " gb"}).iso_country == "GB"
    blank = Geography.model_validate({"latitude": "", "longitude": "  ", "postal_code": ""})
    assert (blank.latitude, blank.longitude, blank.postal_code) == (None, None, None)


@pytest.mark.parametrize(
    "fields", [{"latitude": "91"}, {"longitude": "-180.5"}, {"latitude": "north"}, {"iso_country": "usa"}]
)
def test_geography_refuses_impossible_values(fields: dict[str, str]) -> None:
    with pytest.raises(pydantic.ValidationError):
        Geography.model_validate(fields)


def test_money_is_decimal_without_float_drift() -> None:
    price = Money.model_validate({"amount": "1.15", "currency": "USD"})
    assert price.amount == Decimal("1.15")
    assert isinstance(price.amount, Decimal)
    total = sum((price.amount for _ in range(3)), Decimal(0))
    assert total == Decimal("3.45")  # 1.15 * 3 as floats is 3.4499999999999997
    assert Money(amount=0.1, currency="EUR").amount == Decimal("0.1")  # type: ignore[arg-type]
    assert str(Money(amount=Decimal("2.50"), currency="GBP")) == "2.50 GBP"
    assert Money.model_validate({"amount": "3", "currency": "eur"}).currency == "EUR"
    # A carrier's name for it is kept, not a reason to refuse the whole answer.
    assert Money.model_validate({"amount": "3", "currency": "DOLLAR"}).currency == "DOLLAR"
    for bad in (
        {"amount": "NaN", "currency": "USD"},
        {"amount": "1", "currency": "US$"},
        {"amount": "1", "currency": "D"},
        {"amount": "x"},
    ):
        with pytest.raises(pydantic.ValidationError):
            Money.model_validate(bad)


def test_prices_on_available_number() -> None:
    number = available(
        setup_price={"amount": "0", "currency": "USD"},
        monthly_price={"amount": "1.00", "currency": "USD"},
        address_requirement="local",
        number_type="toll_free",
        beta=False,
    )
    assert number.monthly_price == Money(amount=Decimal("1.00"), currency="USD")
    assert number.address_requirement is AddressRequirement.LOCAL
    assert number.number_type is NumberType.TOLL_FREE
    assert available().setup_price is None  # never made up


def test_datetimes_must_be_aware() -> None:
    created = datetime(2024, 5, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    assert active(created_at=created).created_at == created
    assert active(updated_at="2024-05-01T10:00:00Z").updated_at == datetime(2024, 5, 1, 10, tzinfo=UTC)
    with pytest.raises(pydantic.ValidationError, match="timezone"):
        active(created_at=datetime(2024, 5, 1, 12, 0))  # naive: the point of the test
    with pytest.raises(pydantic.ValidationError, match="timezone"):
        active(updated_at="2024-05-01T10:00:00")


def test_carrier_numbers_are_normalised_on_the_models() -> None:
    assert available(phone_number="14155552671").phone_number == "+14155552671"
    assert available(phone_number=" +1 (415) 555-2671 ").phone_number == "+14155552671"
    with pytest.raises(pydantic.ValidationError, match="phone_number"):
        available(phone_number="+1415")
    with pytest.raises(pydantic.ValidationError, match="phone_number"):
        available(phone_number=14155552671)


def test_active_number_defaults_say_nothing() -> None:
    number = active()
    assert number.status is NumberStatus.UNKNOWN
    assert number.number_type is NumberType.UNKNOWN
    assert number.config == NumberConfig()
    assert number.account_id is None
    assert number.created_at is None


# -- routes and NumberConfig -------------------------------------------------------------------------------


def test_route_urls_and_methods() -> None:
    route = Route.model_validate(
        {"url": "https://example.com/voice?x=1", "method": "post", "fallback_url": "HTTP://127.0.0.1:8080/f"}
    )
    assert route.method == "POST"
    assert route.fallback_url == "HTTP://127.0.0.1:8080/f"
    assert Callback(url="https://example.com/status", method="get").method == "GET"  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "fields",
    [
        {"url": "example.com"},
        {"url": "ftp://example.com/x"},
        {"url": "https://exa mple.com/"},
        {"url": "https://"},
        {"url": "javascript:alert(1)"},
        # Each of these was sent to the carrier as it was.
        {"url": "https://[::1"},
        {"url": "https://[::zz]/x"},
        {"url": "https://example.com:99999/"},
        {"url": "https://example.com:0/"},
        {"url": "https://example.com:http/"},
        {"url": "https://example.com/\x00"},
        {"url": "https://example.com/a\r\nHost: evil"},
        {"url": "https://example.com/%%%%"},
        {"url": "https://example.com/%zz"},
        {"url": "https://\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45.com/x"},  # full-width letters
        {"url": "https://ex_ample..com/"},
        {"url": "https://-example.com/"},
        {"fallback_url": "https://exa\u202emple.com/"},
        {"method": "PUT"},
        {"fallback_method": "delete"},
        {"method": 1},
    ],
)
def test_route_refuses_bad_urls_and_methods(fields: dict[str, Any]) -> None:
    with pytest.raises(InvalidInputError) as caught:
        build(Route, None, fields)
    assert next(iter(fields)) in str(caught.value)
    assert caught.value.field == next(iter(fields))


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/voice?x=1&y=%20#top",
        "https://user:secret@example.com/v",  # a webhook's own basic auth
        "http://127.0.0.1:8080/f",
        "https://[::1]:8443/v",
        "https://xn--bcher-kva.example/v",
        "https://example.com./v",
        "https://my_host.internal/v",
    ],
)
def test_route_takes_urls_a_carrier_can_call(url: str) -> None:
    assert Route(url=url).url == url


# Free text a user gives: every field of it refuses the same characters, the same way.
USER_TEXT = [
    (NumberConfig, "friendly_name"),
    (Route, "application_id"),
    (NumberConfig, "emergency_address_id"),
    (NumberCompliance, "address_id"),
    (NumberCompliance, "bundle_id"),
    (NumberCompliance, "identity_id"),
    (SearchQuery, "region"),
    (SearchQuery, "locality"),
    (SearchQuery, "postal_code"),
    (SearchQuery, "rate_center"),
]


@pytest.mark.parametrize(("model", "name"), USER_TEXT, ids=lambda x: getattr(x, "__name__", x))
@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("a\x00b", "contains a control character ('\\x00')"),
        ("a\r\nb", "contains a control character ('\\r')"),
        ("a\x85b", "contains a control character"),
        ("a\u2028b", "contains a control character"),
        ("abc\u202etxt.exe", "contains a bidirectional control ('\\u202e')"),
        ("a\u2066b", "contains a bidirectional control"),
        ("a\ud800", "expected a valid string"),  # pydantic's own check
    ],
)
def test_user_text_refuses_what_cannot_be_sent_as_plain_text(
    model: type[pydantic.BaseModel], name: str, text: str, problem: str
) -> None:
    with pytest.raises(InvalidInputError) as caught:
        build(model, None, {name: text})
    assert problem in str(caught.value)
    assert caught.value.field == name


def test_user_text_keeps_right_to_left_names_and_their_marks() -> None:
    name = "\u05e9\u05dc\u05d5\u05dd\u200f (Tel Aviv)"
    assert NumberConfig(friendly_name=name).friendly_name == name


def test_address_fields_are_user_text() -> None:
    for field in ("street", "street2", "locality", "region", "postal_code", "customer_name"):
        fields = {"street": "1 Main St", "locality": "Town", "country": "US", field: "a\u202eb"}
        with pytest.raises(InvalidInputError, match="bidirectional control") as caught:
            build(Address, None, fields)
        assert caught.value.field == field


def test_number_config_is_a_partial_update() -> None:
    config = NumberConfig(voice=Route(url="https://example.com/v"), friendly_name=None)
    assert config.model_fields_set == {"voice", "friendly_name"}
    assert config.voice is not None
    assert config.voice.model_fields_set == {"url"}
    assert NumberConfig().model_fields_set == set()
    assert NumberConfig().extra == {}
    # Blank strings clear a field, they are still "set".
    cleared = NumberConfig.model_validate({"friendly_name": ""})
    assert cleared.model_fields_set == {"friendly_name"}
    assert cleared.friendly_name is None


def test_number_config_nested_errors_name_the_path() -> None:
    with pytest.raises(InvalidInputError) as caught:
        build(NumberConfig, None, {"sms": {"url": "nope"}, "friendly_name": "x" * 256})
    message = str(caught.value)
    assert "sms.url" in message
    assert "friendly_name" in message
    assert caught.value.field == "friendly_name"


# -- SearchQuery ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "area_code",
        "contains",
        "starts_with",
        "ends_with",
        "region",
        "locality",
        "postal_code",
        "rate_center",
        "lata",
        "near_number",
    ],
)
@pytest.mark.parametrize("blank", ["", " ", "\r\n", "\t"])
def test_a_blank_search_filter_is_refused_not_dropped(name: str, blank: str) -> None:
    # Dropped, it widened the search: purchase_any(area_code="") bought any number at all.
    with pytest.raises(InvalidInputError, match=f"{name}: is empty; leave it out") as caught:
        build(SearchQuery, None, {name: blank})
    assert caught.value.field == name


def test_search_query_defaults() -> None:
    q = SearchQuery()
    assert (q.country, q.number_type, q.limit) == ("US", NumberType.LOCAL, 20)
    assert q.criteria() == {}


@pytest.mark.parametrize(("given", "expected"), [("gb", "GB"), (" de ", "DE"), ("US", "US")])
def test_country_is_upper_cased(given: str, expected: str) -> None:
    assert query(country=given).country == expected


@pytest.mark.parametrize("country", ["XX", "UK", "USA", "", 1, None, "001"])
def test_country_must_be_an_iso_country_with_numbers(country: Any) -> None:
    with pytest.raises(InvalidInputError, match="country") as caught:
        query(country=country)
    assert caught.value.field == "country"


@pytest.mark.parametrize(
    ("contains", "expected"),
    [("WOLF", "9653"), ("wolf", "9653"), ("415*55", "415*55"), ("1800FLOWERS", "18003569377"), ("*7", "*7")],
)
def test_contains_maps_the_keypad_and_keeps_wildcards(contains: str, expected: str) -> None:
    assert query(contains=contains).contains == expected


@pytest.mark.parametrize("contains", ["***", "41-5", "+1415", "1" * 17, "ä"])
def test_contains_refuses_what_cannot_match(contains: str) -> None:
    with pytest.raises(InvalidInputError, match="contains") as caught:
        query(contains=contains)
    assert caught.value.field == "contains"


def test_digit_fields_take_ints() -> None:
    q = query(area_code=415, starts_with="1415", ends_with=1234, lata=722)
    assert (q.area_code, q.starts_with, q.ends_with, q.lata) == ("415", "1415", "1234", "722")


@pytest.mark.parametrize("value", ["41a", -415, True, "4 15", 10**16])
def test_area_code_must_be_digits(value: Any) -> None:
    with pytest.raises(InvalidInputError, match="area_code"):
        query(area_code=value)


def test_near_lat_long_from_a_string() -> None:
    assert query(near_lat_long="37.77, -122.41").near_lat_long == (37.77, -122.41)
    assert query(near_lat_long=(1, 2)).near_lat_long == (1.0, 2.0)
    for bad in ("37.77", "1,2,3", "91,0", "0,181", "north,west"):
        with pytest.raises(InvalidInputError, match="near_lat_long"):
            query(near_lat_long=bad)


def test_near_number_is_parsed_in_the_query_country() -> None:
    assert query(country="GB", near_number="020 7946 0000").near_number == "+442079460000"
    assert query(near_number="(415) 555-2671").near_number == "+14155552671"
    with pytest.raises(InvalidInputError, match="near_number") as caught:
        query(near_number="12")
    assert "near_number: near_number" not in str(caught.value)


def test_distance_needs_a_centre() -> None:
    assert query(distance=25, near_number="+14155552671").distance == 25
    assert query(distance=25, near_lat_long="37.7,-122.4").distance == 25
    with pytest.raises(InvalidInputError, match="distance") as caught:
        query(distance=25)
    assert caught.value.field == "distance"
    for bad in (0, 501, -1):
        with pytest.raises(InvalidInputError, match="distance"):
            query(distance=bad, near_number="+14155552671")


@pytest.mark.parametrize(
    ("limit", "ok"), [(1, True), (1000, True), ("7", True), (0, False), (1001, False), (2.5, False)]
)
def test_limit_bounds(limit: Any, ok: bool) -> None:
    if ok:
        assert query(limit=limit).limit == int(limit)
    else:
        with pytest.raises(InvalidInputError, match="limit"):
            query(limit=limit)


def test_unknown_number_type_cannot_be_searched() -> None:
    assert query(number_type="mobile").number_type is NumberType.MOBILE
    with pytest.raises(InvalidInputError, match="number_type"):
        query(number_type="unknown")
    with pytest.raises(InvalidInputError, match="number_type"):
        query(number_type="shortcode")


def test_unknown_criteria_are_refused_by_name() -> None:
    with pytest.raises(InvalidInputError, match="areacode: unknown field") as caught:
        query(areacode="415")
    assert caught.value.field == "areacode"


def test_criteria_lists_only_filters_that_ask_for_something() -> None:
    q = query(country="GB", limit=3, voice=True, sms=False, area_code="20", region=None)
    assert q.criteria() == {"voice": True, "area_code": "20"}


# -- build() -----------------------------------------------------------------------------------------------


def test_build_merges_a_query_with_keyword_criteria() -> None:
    base = query(country="GB", contains="WOLF", limit=5)
    merged = build(SearchQuery, base, {"limit": 2, "sms": True})
    assert (merged.country, merged.contains, merged.limit, merged.sms) == ("GB", "9653", 2, True)
    assert merged.model_fields_set == {"country", "contains", "limit", "sms"}
    assert build(SearchQuery, base, {}) is base


@pytest.mark.parametrize(
    ("given", "overrides", "field"),
    [
        (None, {"limit": "lots"}, "limit"),
        ("US", {}, None),
        ({"country": "US"}, {}, None),
        (SearchQuery(), {"bogus": 1}, "bogus"),
        (SearchQuery(distance=None), {"distance": 3}, "distance"),
    ],
)
def test_build_raises_invalid_input_never_validation_error(
    given: Any, overrides: dict[str, Any], field: str | None
) -> None:
    with pytest.raises(InvalidInputError) as caught:
        build(SearchQuery, given, overrides)
    assert not isinstance(caught.value, pydantic.ValidationError)
    assert caught.value.__cause__ is None  # the pydantic error is not chained for users to trip over
    assert caught.value.field == field
    if field is not None:
        assert f"{field}:" in str(caught.value)
    else:
        assert "SearchQuery" in str(caught.value)
