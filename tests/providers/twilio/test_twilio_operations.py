"""Every contract operation of the Twilio and SignalWire dialects, on the wire (respx)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any
from urllib.parse import parse_qsl

import httpx
import numbers_core as nc
import pytest
import respx
from numbers_core import NumberConfig, Route
from numbers_core.providers.twilio import SignalWireProvider, TwilioProvider
from twilio_wire import (
    CASES,
    SW_NUMBERS,
    SW_SEARCH,
    TWILIO_NUMBERS,
    TWILIO_SEARCH,
    Case,
    fixture,
    lookup,
    page,
    raises,
)

pytestmark = pytest.mark.anyio


def form(request: httpx.Request) -> dict[str, str]:
    return dict(parse_qsl(request.content.decode(), keep_blank_values=True))


def params(request: httpx.Request) -> dict[str, str]:
    return dict(request.url.params)


def created(case: Case, number: str, sid: str, **changes: Any) -> httpx.Response:
    """A 201 for a number bought just now (the Date header is the carrier's clock)."""
    body = case.fixture("number", phone_number=number, sid=sid, **changes)
    return httpx.Response(201, json=body, headers={"Date": body["date_created"].replace("Sept", "Sep")})


OTHER_SID = {"twilio": "PN" + "0" * 31 + "9", "signalwire": "9e8d7c6b-5a4f-4e3d-9c2b-1a0f9e8d7c6b"}


# -- search ---------------------------------------------------------------------------------------


async def test_twilio_search_reads_every_field_and_quirk(
    twilio: TwilioProvider, wire: respx.MockRouter
) -> None:
    route = wire.get(f"{TWILIO_SEARCH}/US/Local.json").mock(
        return_value=httpx.Response(200, json=fixture("twilio_search_local"))
    )
    found = await twilio.search(area_code="808")
    assert params(route.calls.last.request) == {"AreaCode": "808", "PageSize": "20"}
    assert [n.phone_number for n in found] == ["+18089251571", "+18089255327", "+18089251600"]
    first, second, third = found
    assert (first.provider, first.number_type, first.friendly_name) == (
        "twilio",
        nc.NumberType.LOCAL,
        "(808) 925-1571",
    )
    # "SMS"/"MMS" in search results, "fax" sometimes absent.
    assert (first.capabilities.voice, first.capabilities.sms, first.capabilities.mms) == (True, True, False)
    assert first.capabilities.fax is None
    assert second.capabilities.fax is True
    # Coordinates as strings ("19.720000") and as numbers; a LATA as a number.
    assert (first.geography.latitude, first.geography.longitude) == (19.72, -155.09)
    assert (second.geography.latitude, second.geography.lata) == (19.72, "834")
    assert first.geography.model_dump() == {
        "iso_country": "US",
        "region": "HI",
        "locality": "Hilo",
        "postal_code": "96720",
        "rate_center": "HILO",
        "lata": "834",
        "latitude": 19.72,
        "longitude": -155.09,
    }
    assert (first.address_requirement, second.address_requirement) == (
        nc.AddressRequirement.NONE,
        nc.AddressRequirement.LOCAL,
    )
    assert (first.beta, second.beta, third.beta) == (False, True, None)
    assert third.geography.locality is None
    assert third.geography.latitude is None
    assert first.raw["phone_number"] == "+18089251571"  # the carrier's own object, kept


async def test_signalwire_search_reads_its_sparser_results(
    signalwire: SignalWireProvider, wire: respx.MockRouter
) -> None:
    route = wire.get(f"{SW_SEARCH}/US/Local").mock(
        return_value=httpx.Response(200, json=fixture("signalwire_search_local"))
    )
    found = await signalwire.search(area_code="253")
    assert params(route.calls.last.request) == {"AreaCode": "253"}  # no PageSize: the spec has none
    assert len(found) == 3
    number = found[0]
    assert (number.phone_number, number.provider, number.number_type) == (
        "+12532186751",
        "signalwire",
        nc.NumberType.LOCAL,
    )
    assert (number.capabilities.voice, number.capabilities.sms, number.capabilities.mms) == (True, True, True)
    assert number.capabilities.fax is None
    assert (number.geography.region, number.geography.rate_center, number.geography.latitude) == (
        "WA",
        "AUBURN",
        None,
    )
    assert number.address_requirement is None  # SignalWire's search says nothing about addresses


@pytest.mark.parametrize(
    ("number_type", "resource", "fixture_name"),
    [
        ("local", "Local", "search_local"),
        ("toll_free", "TollFree", "search_toll_free"),
    ],
)
async def test_search_uses_the_sub_resource_of_the_type(
    carrier: nc.Provider,
    case: Case,
    wire: respx.MockRouter,
    number_type: str,
    resource: str,
    fixture_name: str,
) -> None:
    route = wire.get(case.search_url("US", resource)).mock(
        return_value=httpx.Response(200, json=case.fixture(fixture_name))
    )
    found = await carrier.search(number_type=number_type)
    assert route.call_count == 1
    assert found
    assert {n.number_type for n in found} == {nc.NumberType(number_type)}


async def test_twilio_searches_mobile_numbers(twilio: TwilioProvider, wire: respx.MockRouter) -> None:
    wire.get(f"{TWILIO_SEARCH}/NO/Mobile.json").mock(
        return_value=httpx.Response(200, json=fixture("twilio_search_mobile"))
    )
    [number] = await twilio.search(country="NO", number_type="mobile")
    assert (number.phone_number, number.number_type, number.geography.iso_country) == (
        "+4759440374",
        nc.NumberType.MOBILE,
        "NO",
    )
    assert number.friendly_name == "+4759440374"


async def test_signalwire_has_no_mobile_search(
    signalwire: SignalWireProvider, wire: respx.MockRouter
) -> None:
    assert not signalwire.supports(nc.Feature.NUMBER_TYPE_MOBILE)
    with raises(nc.UnsupportedError) as info:
        await signalwire.search(number_type="mobile")
    assert (info.value.provider, info.value.feature) == ("signalwire", "number_type.mobile")
    assert not wire.calls


async def test_twilio_sends_every_filter_it_honours(twilio: TwilioProvider, wire: respx.MockRouter) -> None:
    route = wire.get(f"{TWILIO_SEARCH}/US/Local.json").mock(
        return_value=httpx.Response(200, json=fixture("twilio_search_empty"))
    )
    await twilio.search(
        area_code="415",
        region="CA",
        locality="San Francisco",
        postal_code="94105",
        rate_center="SNFC CNTRL",
        lata="722",
        near_lat_long="37.77,-122.41",
        distance=50,
        voice=True,
        sms=True,
        mms=True,
        fax=True,
        exclude_address_required=True,
        limit=5,
    )
    assert params(route.calls.last.request) == {
        "AreaCode": "415",
        "InRegion": "CA",
        "InLocality": "San Francisco",
        "InPostalCode": "94105",
        "InRateCenter": "SNFC CNTRL",
        "InLata": "722",
        "NearLatLong": "37.77,-122.41",
        "Distance": "50",
        "VoiceEnabled": "true",
        "SmsEnabled": "true",
        "MmsEnabled": "true",
        "FaxEnabled": "true",
        "ExcludeAllAddressRequired": "true",
        "PageSize": "5",
    }


async def test_twilio_near_number_is_sent_in_e164(twilio: TwilioProvider, wire: respx.MockRouter) -> None:
    route = wire.get(f"{TWILIO_SEARCH}/US/Local.json").mock(
        return_value=httpx.Response(200, json=fixture("twilio_search_empty"))
    )
    assert await twilio.search(near_number="(415) 555-2671", distance=10) == []
    assert params(route.calls.last.request) == {
        "NearNumber": "+14155552671",
        "Distance": "10",
        "PageSize": "20",
    }
    assert "NearNumber=%2B14155552671" in str(route.calls.last.request.url)


@pytest.mark.parametrize(
    ("criteria", "contains", "page_size"),
    [
        ({"contains": "555"}, "555", "20"),
        ({"contains": "*555*"}, "*555*", "20"),
        ({"contains": "WOLF"}, "9653", "20"),
        # Twilio refuses a wildcard between digits: the longest run goes out, the rest is checked here.
        ({"contains": "55*12"}, "55", "1000"),
        ({"contains": "5*1"}, None, "1000"),
        ({"starts_with": "4155"}, "+14155", "20"),
        ({"ends_with": "2671"}, "2671$", "20"),
        ({"ends_with": "1"}, None, "1000"),
        ({"contains": "26", "ends_with": "71"}, "26", "1000"),
    ],
)
async def test_twilio_pattern_filters_become_contains(
    twilio: TwilioProvider,
    wire: respx.MockRouter,
    criteria: dict[str, str],
    contains: str | None,
    page_size: str,
) -> None:
    route = wire.get(f"{TWILIO_SEARCH}/US/Local.json").mock(
        return_value=httpx.Response(200, json=fixture("twilio_search_empty"))
    )
    await twilio.search(**criteria)
    sent = params(route.calls.last.request)
    assert sent.get("Contains") == contains
    assert sent["PageSize"] == page_size


@pytest.mark.parametrize(
    ("criteria", "contains", "expected"),
    [
        ({"contains": "2186"}, "2186", ["+12532186751", "+12532186752"]),
        ({"contains": "67*1"}, "67", ["+12532186751"]),
        ({"starts_with": "253218"}, "253218", ["+12532186751", "+12532186752"]),
        ({"ends_with": "0199"}, "0199", ["+12535550199"]),
    ],
)
async def test_signalwire_patterns_are_digits_and_checked_here(
    signalwire: SignalWireProvider,
    wire: respx.MockRouter,
    criteria: dict[str, str],
    contains: str,
    expected: list[str],
) -> None:
    # The canned answer ignores the pattern, as a carrier taking a looser one would.
    route = wire.get(f"{SW_SEARCH}/US/Local").mock(
        return_value=httpx.Response(200, json=fixture("signalwire_search_local"))
    )
    found = await signalwire.search(**criteria)
    assert params(route.calls.last.request) == {"Contains": contains}
    assert [n.phone_number for n in found] == expected


async def test_signalwire_capability_filters_are_applied_client_side(
    signalwire: SignalWireProvider, wire: respx.MockRouter
) -> None:
    route = wire.get(f"{SW_SEARCH}/US/Local").mock(
        return_value=httpx.Response(200, json=fixture("signalwire_search_local"))
    )
    found = await signalwire.search(sms=True, mms=True, exclude_address_required=True)
    # Sent (SignalWire accepts them) but ignored by it: the results are filtered here.
    assert params(route.calls.last.request) == {
        "SmsEnabled": "true",
        "MmsEnabled": "true",
        "ExcludeAllAddressRequired": "true",
    }
    assert [n.phone_number for n in found] == ["+12532186751"]


async def test_twilio_capability_filters_are_left_to_twilio(
    twilio: TwilioProvider, wire: respx.MockRouter
) -> None:
    # Twilio honours SmsEnabled; its search capabilities are advisory (GB mobiles show sms:false),
    # so what it returns is not second-guessed.
    wire.get(f"{TWILIO_SEARCH}/US/Local.json").mock(
        return_value=httpx.Response(200, json=fixture("twilio_search_local"))
    )
    assert len(await twilio.search(sms=True)) == 3


async def test_signalwire_region_and_locality(signalwire: SignalWireProvider, wire: respx.MockRouter) -> None:
    route = wire.get(f"{SW_SEARCH}/US/Local").mock(
        return_value=httpx.Response(200, json=fixture("signalwire_search_local"))
    )
    await signalwire.search(region="WA", locality="Auburn")
    assert params(route.calls.last.request) == {"InRegion": "WA", "InLocality": "Auburn"}


@pytest.mark.parametrize(
    ("provider", "criteria", "feature"),
    [
        ("signalwire", {"locality": "Auburn"}, "search.locality"),  # needs InRegion
        ("signalwire", {"postal_code": "98001"}, "search.postal_code"),
        ("signalwire", {"fax": True}, "search.fax"),
        ("signalwire", {"near_number": "+14155552671"}, "search.near_number"),
        ("signalwire", {"country": "GB", "region": "London"}, "search.region"),
        ("twilio", {"rate_center": "HILO"}, "search.rate_center"),  # needs InLata
        ("twilio", {"country": "GB", "region": "London"}, "search.region"),
        ("twilio", {"country": "GB", "postal_code": "SW1A"}, "search.postal_code"),
    ],
)
async def test_unservable_filters_are_refused_before_sending(
    connected: Callable[[str], nc.Provider],
    wire: respx.MockRouter,
    provider: str,
    criteria: dict[str, Any],
    feature: str,
) -> None:
    async with connected(provider) as carrier:
        with raises(nc.UnsupportedError) as info:
            await carrier.search(**criteria)
    assert (info.value.provider, info.value.feature) == (provider, feature)
    assert not wire.calls


async def test_twilio_area_code_outside_north_america_becomes_a_prefix(
    twilio: TwilioProvider, wire: respx.MockRouter
) -> None:
    route = wire.get(f"{TWILIO_SEARCH}/GB/Local.json").mock(
        return_value=httpx.Response(
            200,
            json=fixture(
                "twilio_search_empty",
                available_phone_numbers=[
                    {"phone_number": "+442079460000", "iso_country": "GB", "capabilities": {"voice": True}},
                    {"phone_number": "+441614960000", "iso_country": "GB", "capabilities": {"voice": True}},
                ],
            ),
        )
    )
    found = await twilio.search(country="GB", area_code="20")
    # The whole pattern goes out (anchored): exact, so the page size is the limit.
    assert params(route.calls.last.request) == {"Contains": "+4420", "PageSize": "20"}
    assert [n.phone_number for n in found] == ["+442079460000"]


async def test_search_returns_at_most_limit(carrier: nc.Provider, case: Case, wire: respx.MockRouter) -> None:
    wire.get(case.search_url("US", "Local")).mock(
        return_value=httpx.Response(200, json=case.fixture("search_local"))
    )
    assert len(await carrier.search(limit=2)) == 2


async def test_an_empty_search_is_an_empty_list(
    carrier: nc.Provider, case: Case, wire: respx.MockRouter
) -> None:
    wire.get(case.search_url("US", "Local")).mock(
        return_value=httpx.Response(200, json=case.fixture("search_local", available_phone_numbers=[]))
    )
    assert await carrier.search() == []


# -- purchase ---------------------------------------------------------------------------------------

# The carrier's clock, as its answers' Date header gives it.
ANSWERED = datetime(2026, 6, 1, 10, 0, 0, tzinfo=UTC)


class Clock:
    """The adapter's monotonic clock, moved by hand: how long a request took."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr("numbers_core.providers.twilio._provider._clock", fake)
    return fake


def answered(case: Case, number: str, sid: str, created: datetime | None, date: str | None) -> httpx.Response:
    """A 201 for ``number``, created at ``created``, with ``date`` as its Date header (if any)."""
    body = case.fixture(
        "number", phone_number=number, sid=sid, date_created=created and format_datetime(created)
    )
    headers = {"Twilio-Request-Id": "RQ201"} | ({} if date is None else {"Date": date})
    return httpx.Response(201, json=body, headers=headers)


async def test_twilio_purchase_configures_in_the_same_request(
    twilio: TwilioProvider, wire: respx.MockRouter
) -> None:
    case = CASES["twilio"]
    number = "+18089251571"
    bought = wire.post(TWILIO_NUMBERS).mock(return_value=created(case, number, "PN" + "1" * 32))
    config = NumberConfig(
        friendly_name="Sales",
        voice=Route(url="https://example.com/voice", method="GET", fallback_url="https://example.com/fb"),
        sms=Route(application_id="AP" + "2" * 32),
        status_callback=nc.Callback(url="https://example.com/status", method="POST"),
        emergency_address_id="AD" + "3" * 32,
        compliance=nc.NumberCompliance(address_id="AD" + "4" * 32),
        extra={"VoiceReceiveMode": "voice", "VoiceCallerIdLookup": True},
    )
    owned = await twilio.purchase(number, config=config)
    assert [call.request.method for call in wire.calls] == ["POST"]  # one request: no look-up first
    assert form(bought.calls.last.request) == {
        "PhoneNumber": "+18089251571",
        "FriendlyName": "Sales",
        "VoiceUrl": "https://example.com/voice",
        "VoiceMethod": "GET",
        "VoiceFallbackUrl": "https://example.com/fb",
        "SmsApplicationSid": "AP" + "2" * 32,
        "StatusCallback": "https://example.com/status",
        "StatusCallbackMethod": "POST",
        "EmergencyAddressSid": "AD" + "3" * 32,
        "AddressSid": "AD" + "4" * 32,
        "VoiceReceiveMode": "voice",
        "VoiceCallerIdLookup": "true",
    }
    assert (owned.phone_number, owned.id, owned.provider) == (number, "PN" + "1" * 32, "twilio")
    assert owned.status is nc.NumberStatus.ACTIVE


async def test_signalwire_purchase_configures_in_the_same_request(
    signalwire: SignalWireProvider, wire: respx.MockRouter
) -> None:
    case = CASES["signalwire"]
    number = "+12532186751"
    bought = wire.post(SW_NUMBERS).mock(return_value=created(case, number, OTHER_SID["signalwire"]))
    app = "0f1e2d3c-4b5a-4968-8776-655443322110"
    owned = await signalwire.purchase(
        number,
        config=NumberConfig(
            friendly_name="Front desk",
            voice=Route(url="https://example.com/voice", application_id=app),
            extra={"VoiceReceiveMode": "fax"},
        ),
    )
    assert [call.request.method for call in wire.calls] == ["POST"]
    assert form(bought.calls.last.request) == {
        "PhoneNumber": "+12532186751",
        "FriendlyName": "Front desk",
        "VoiceUrl": "https://example.com/voice",
        "VoiceApplicationSid": app,
        "VoiceReceiveMode": "fax",
    }
    assert (owned.phone_number, owned.id, owned.account_id) == (number, OTHER_SID["signalwire"], case.account)


async def test_a_purchase_without_config_sends_the_number_only(
    carrier: nc.Provider, case: Case, wire: respx.MockRouter
) -> None:
    bought = wire.post(case.numbers).mock(return_value=created(case, "+12532186751", OTHER_SID[case.name]))
    await carrier.purchase("+1 253-218-6751")
    assert form(bought.calls.last.request) == {"PhoneNumber": "+12532186751"}


async def test_signalwire_cannot_set_an_emergency_address_while_buying(
    signalwire: SignalWireProvider, wire: respx.MockRouter
) -> None:
    with raises(nc.UnsupportedError) as info:
        await signalwire.purchase(
            "+12532186751", config=NumberConfig(emergency_address_id="0f1e2d3c-4b5a-4968-8776-655443322110")
        )
    assert info.value.feature == "config.emergency_address"
    assert not wire.calls


async def test_buying_a_number_already_owned_is_a_conflict_not_a_purchase(
    carrier: nc.Provider, case: Case, wire: respx.MockRouter
) -> None:
    # The carrier answers 201 and applies the purchase's configuration to the number it had: the
    # number's creation date, years before the answer, gives it away.
    wire.post(case.numbers).mock(
        return_value=httpx.Response(
            201,
            json=case.fixture("number", friendly_name="would overwrite"),
            headers={"Date": format_datetime(ANSWERED, usegmt=True), "Twilio-Request-Id": "RQ201"},
        )
    )
    with raises(nc.ConflictError, match="already a number of this account") as info:
        await carrier.purchase(case.owned, config=NumberConfig(friendly_name="would overwrite"))
    created_at = fixture(f"{case.name}_number")["date_created"].replace("Sept", "Sep")
    assert f"owned since {parsedate_to_datetime(created_at):%Y-%m-%d %H:%M:%S} UTC" in info.value.message
    assert "applied its configuration" in info.value.message
    assert (info.value.status_code, info.value.request_id) == (201, "RQ201")
    assert [call.request.method for call in wire.calls] == ["POST"]


@pytest.mark.parametrize(
    ("created_before", "took", "bought"),
    [
        (0, 0.0, True),  # created by this purchase
        (2, 0.0, True),  # dates have whole seconds, and the carrier's servers' clocks differ a little
        (3, 0.0, False),  # created a moment before the purchase was sent: owned already
        (20, 30.0, True),  # the answer took 30 s: created while the carrier worked on it
        (40, 30.0, False),  # ... or before the purchase was sent
    ],
)
async def test_the_carriers_clock_tells_a_purchase_from_a_number_owned_already(
    carrier: nc.Provider,
    case: Case,
    wire: respx.MockRouter,
    clock: Clock,
    created_before: int,
    took: float,
    bought: bool,
) -> None:
    number, sid = "+18089251571", OTHER_SID[case.name]
    answer = answered(
        case,
        number,
        sid,
        ANSWERED - timedelta(seconds=created_before),
        format_datetime(ANSWERED, usegmt=True),
    )

    def respond(request: httpx.Request) -> httpx.Response:
        clock.now += took
        return answer

    wire.post(case.numbers).mock(side_effect=respond)
    if bought:
        assert (await carrier.purchase(number)).id == sid
    else:
        with raises(nc.ConflictError, match="already a number of this account"):
            await carrier.purchase(number)
    assert len(wire.calls) == 1


@pytest.mark.parametrize("date", [None, "soon"])
@pytest.mark.parametrize(("minutes_before", "bought"), [(1, True), (10, False)])
async def test_without_the_carriers_clock_this_machines_decides_with_more_slack(
    carrier: nc.Provider,
    case: Case,
    wire: respx.MockRouter,
    date: str | None,
    minutes_before: int,
    bought: bool,
) -> None:
    # No usable Date header: this machine's clock may be minutes off, so a number created
    # minutes before counts as bought (a slack of five), and one created long before does not.
    number, sid = "+18089251571", OTHER_SID[case.name]
    created_at = datetime.now(UTC) - timedelta(minutes=minutes_before)
    wire.post(case.numbers).mock(return_value=answered(case, number, sid, created_at, date))
    if bought:
        assert (await carrier.purchase(number)).id == sid
    else:
        with raises(nc.ConflictError, match="already a number of this account"):
            await carrier.purchase(number)


@pytest.mark.parametrize(
    "date",
    [
        "Fri, 31 Dec 9999 23:59:59 GMT",
        "Fri, 31 Dec 9999 23:59:59 -1400",
        "Mon, 01 Jan 0001 00:00:00 GMT",
        "Mon, 01 Jan 0001 00:00:00 +1400",
        "Sat, 01 Jan 2000 00:00:00 GMT",
        "tomorrow",  # read as the time it is: a day ahead of this machine's clock
    ],
)
async def test_a_date_header_out_of_any_sane_skew_never_makes_a_purchase_look_owned_already(
    carrier: nc.Provider, case: Case, wire: respx.MockRouter, date: str
) -> None:
    # A Date header that is not the carrier's clock (garbled on the way): the number was created
    # just now, by this purchase, and is returned as bought.
    if date == "tomorrow":
        date = format_datetime(datetime.now(UTC) + timedelta(days=1), usegmt=True)
    number, sid = "+18089251571", OTHER_SID[case.name]
    wire.post(case.numbers).mock(return_value=answered(case, number, sid, datetime.now(UTC), date))
    assert (await carrier.purchase(number)).id == sid


async def test_a_purchase_answer_without_a_creation_date_is_taken_at_its_word(
    carrier: nc.Provider, case: Case, wire: respx.MockRouter
) -> None:
    number, sid = "+18089251571", OTHER_SID[case.name]
    wire.post(case.numbers).mock(
        return_value=answered(case, number, sid, None, format_datetime(ANSWERED, usegmt=True))
    )
    owned = await carrier.purchase(number)
    assert (owned.id, owned.created_at) == (sid, None)


async def test_a_taken_number_is_unavailable(
    carrier: nc.Provider, case: Case, wire: respx.MockRouter
) -> None:
    wire.post(case.numbers).mock(
        return_value=httpx.Response(
            400, json=fixture("twilio_error_unavailable_number"), headers={"Twilio-Request-Id": "RQ123"}
        )
    )
    if carrier.name == "signalwire":  # SignalWire has no 21422: by status, a 400 is a plain ProviderError
        with raises(nc.ProviderError) as info:
            await carrier.purchase("+18089251571")
        assert type(info.value) is nc.ProviderError
        return
    with raises(nc.NumberUnavailableError) as info:
        await carrier.purchase("+18089251571")
    assert (info.value.code, info.value.status_code, info.value.request_id) == ("21422", 400, "RQ123")
    assert info.value.message == "PhoneNumber is not available"


async def test_a_rate_limited_purchase_is_sent_again(
    carrier: nc.Provider, case: Case, wire: respx.MockRouter, sleeps: list[float]
) -> None:
    bought = wire.post(case.numbers).mock(
        side_effect=[
            httpx.Response(429, json=fixture("twilio_error_too_many_requests"), headers={"Retry-After": "2"}),
            created(case, "+18089251571", OTHER_SID[case.name]),
        ]
    )
    owned = await carrier.purchase("+18089251571")
    assert owned.phone_number == "+18089251571"
    assert bought.call_count == 2  # refused, not processed: safe to send again
    assert 2.0 in sleeps


async def test_a_purchase_that_never_connected_is_sent_again(
    carrier: nc.Provider, case: Case, wire: respx.MockRouter
) -> None:
    bought = wire.post(case.numbers).mock(
        side_effect=[httpx.ConnectError("refused"), created(case, "+18089251571", OTHER_SID[case.name])]
    )
    await carrier.purchase("+18089251571")
    assert bought.call_count == 2


def just_bought(case: Case, number: str) -> dict[str, Any]:
    """The account's number ``number``, as listed moments after buying it."""
    return case.fixture(
        "number",
        phone_number=number,
        sid=OTHER_SID[case.name],
        date_created=format_datetime(datetime.now(UTC)),
    )


async def test_a_lost_purchase_answer_is_reconciled_by_looking_the_number_up(
    carrier: nc.Provider, case: Case, wire: respx.MockRouter
) -> None:
    number = "+18089251571"
    looked = lookup(wire, case, number, just_bought(case, number))
    bought = wire.post(case.numbers).mock(side_effect=httpx.ReadTimeout("the answer was lost"))
    owned = await carrier.purchase(number)
    assert bought.call_count == 1  # never sent twice
    assert looked.call_count == 1
    assert (owned.phone_number, owned.id) == (number, OTHER_SID[case.name])


async def test_a_5xx_purchase_is_reconciled_too(
    carrier: nc.Provider, case: Case, wire: respx.MockRouter
) -> None:
    number = "+18089251571"
    wire.get(case.numbers, params={"PhoneNumber": number}).mock(
        side_effect=[
            httpx.Response(200, json=page(f"{case.name}_list_page1", items=[])),  # not listed yet
            httpx.Response(200, json=page(f"{case.name}_list_page1", items=[just_bought(case, number)])),
        ]
    )
    bought = wire.post(case.numbers).mock(
        return_value=httpx.Response(503, json=fixture("twilio_error_service_unavailable"))
    )
    owned = await carrier.purchase(number)
    assert bought.call_count == 1
    assert owned.id == OTHER_SID[case.name]


async def test_a_lost_purchase_of_a_number_owned_all_along_is_a_conflict(
    carrier: nc.Provider, case: Case, wire: respx.MockRouter
) -> None:
    # Found after the lost answer, but created years before the purchase: it bought nothing.
    lookup(wire, case, case.owned, case.fixture("number"))
    wire.post(case.numbers).mock(side_effect=httpx.ReadTimeout("lost"))
    with raises(nc.ConflictError, match="already a number of this account"):
        await carrier.purchase(case.owned)


async def test_a_lost_purchase_not_on_the_account_did_not_happen(
    carrier: nc.Provider, case: Case, wire: respx.MockRouter, sleeps: list[float]
) -> None:
    number = "+18089251571"
    looked = lookup(wire, case, number)
    bought = wire.post(case.numbers).mock(side_effect=httpx.ReadTimeout("lost"))
    with raises(nc.TransportError, match="did not take effect") as info:
        await carrier.purchase(number)
    assert not isinstance(info.value, nc.OutcomeUnknownError)
    assert info.value.retryable is True
    assert bought.call_count == 1
    assert looked.call_count == 1 + len(type(carrier).settle_delays)  # a look, then one after each wait
    assert sleeps == list(type(carrier).settle_delays)


async def test_a_5xx_purchase_not_on_the_account_raises_the_outage(
    carrier: nc.Provider, case: Case, wire: respx.MockRouter
) -> None:
    lookup(wire, case, "+18089251571")
    wire.post(case.numbers).mock(
        return_value=httpx.Response(
            503, json=fixture("twilio_error_service_unavailable"), headers={"Twilio-Request-Id": "RQ503"}
        )
    )
    with raises(nc.ProviderUnavailableError, match="did not take effect") as info:
        await carrier.purchase("+18089251571")
    assert (info.value.status_code, info.value.code, info.value.request_id) == (503, "20503", "RQ503")


async def test_a_lost_purchase_that_cannot_be_checked_is_an_unknown_outcome(
    carrier: nc.Provider, case: Case, wire: respx.MockRouter
) -> None:
    number = "+18089251571"
    wire.get(case.numbers, params={"PhoneNumber": number}).mock(
        return_value=httpx.Response(500, text="<html>oops</html>")
    )
    bought = wire.post(case.numbers).mock(side_effect=httpx.ReadTimeout("lost"))
    with raises(nc.OutcomeUnknownError) as info:
        await carrier.purchase(number)
    assert (info.value.operation, info.value.number, info.value.retryable) == ("purchase", number, False)
    assert bought.call_count == 1


UNREADABLE = [
    httpx.Response(201, text="<html>Created</html>", headers={"Content-Type": "text/html"}),
    httpx.Response(201, text='{"sid": "PN', headers={"Content-Type": "application/json"}),
    httpx.Response(201, content=b""),
    httpx.Response(200, content=b"[" * 981 + b"]" * 981, headers={"Content-Type": "application/json"}),
    httpx.Response(201, json={"sid": ".."}),
]


@pytest.mark.parametrize("answer", UNREADABLE, ids=["html", "truncated", "empty", "deep", "bad-sid"])
async def test_a_committed_purchase_with_an_unreadable_answer_is_looked_up(
    carrier: nc.Provider, case: Case, wire: respx.MockRouter, answer: httpx.Response
) -> None:
    # 2xx: the carrier bought it; the answer only failed to say so in words we can read.
    number = "+18089251571"
    looked = lookup(wire, case, number, just_bought(case, number))
    bought = wire.post(case.numbers).mock(return_value=answer)
    owned = await carrier.purchase(number)
    assert bought.call_count == 1
    assert looked.call_count == 1
    assert (owned.phone_number, owned.id) == (number, OTHER_SID[case.name])


@pytest.mark.parametrize("answer", UNREADABLE, ids=["html", "truncated", "empty", "deep", "bad-sid"])
async def test_a_committed_purchase_not_seen_afterwards_is_an_unknown_outcome(
    carrier: nc.Provider, case: Case, wire: respx.MockRouter, answer: httpx.Response
) -> None:
    # Unlike a lost answer, a 2xx that the listing does not show yet proves nothing either way.
    number = "+18089251571"
    lookup(wire, case, number)
    bought = wire.post(case.numbers).mock(return_value=answer)
    with raises(nc.OutcomeUnknownError, match="may have taken effect") as info:
        await carrier.purchase(number)
    assert (info.value.operation, info.value.number) == ("purchase", number)
    assert bought.call_count == 1


async def test_twilio_native_purchase_any_with_an_unreadable_answer_is_unknown(
    twilio: TwilioProvider, wire: respx.MockRouter
) -> None:
    wire.post(TWILIO_NUMBERS).mock(return_value=httpx.Response(201, text="<html>Created</html>"))
    with raises(nc.OutcomeUnknownError) as info:
        await twilio.purchase_any(area_code="808")
    assert (info.value.operation, info.value.number) == ("purchase", None)


async def test_an_accepted_change_with_an_unreadable_answer_is_read_back(
    carrier: nc.Provider, case: Case, wire: respx.MockRouter
) -> None:
    lookup(wire, case, case.owned, case.fixture("number"))
    changed = wire.post(case.one).mock(return_value=httpx.Response(200, text="<html>OK</html>"))
    read = wire.get(case.one).mock(
        return_value=httpx.Response(200, json=case.fixture("number", friendly_name="Renamed"))
    )
    number = await carrier.configure(case.owned, NumberConfig(friendly_name="Renamed"))
    assert number.friendly_name == "Renamed"
    assert (changed.call_count, read.call_count) == (1, 1)


async def test_a_transfer_with_an_unreadable_answer_is_checked_in_the_target_account(
    carrier: nc.Provider, case: Case, wire: respx.MockRouter
) -> None:
    lookup(wire, case, case.owned, case.fixture("number"))
    moved = wire.post(case.one).mock(return_value=httpx.Response(200, text="<html>OK</html>"))
    there = wire.get(case.one_url(case.sid, case.other_account)).mock(
        return_value=httpx.Response(
            200, json=case.fixture("number", account_sid=case.other_account, account_id=case.other_account)
        )
    )
    number = await carrier.transfer(case.owned, case.other_account)
    assert number.account_id == case.other_account
    assert (moved.call_count, there.call_count) == (1, 1)


async def test_a_transfer_answered_with_another_account_is_refused(
    carrier: nc.Provider, case: Case, wire: respx.MockRouter
) -> None:
    lookup(wire, case, case.owned, case.fixture("number"))
    wire.post(case.one).mock(return_value=httpx.Response(200, json=case.fixture("number")))  # still ours
    with raises(nc.ProtocolError, match="answered with account"):
        await carrier.transfer(case.owned, case.other_account)


# -- purchase_any -----------------------------------------------------------------------------------


async def test_twilio_buys_any_number_of_an_area_code_in_one_request(
    twilio: TwilioProvider, wire: respx.MockRouter
) -> None:
    case = CASES["twilio"]
    assert twilio.supports(nc.Feature.PURCHASE_ANY_NATIVE)
    bought = wire.post(TWILIO_NUMBERS).mock(return_value=created(case, "+18089251571", "PN" + "5" * 32))
    owned = await twilio.purchase_any(area_code="808", config=NumberConfig(friendly_name="Any 808"))
    assert form(bought.calls.last.request) == {"AreaCode": "808", "FriendlyName": "Any 808"}
    assert owned.phone_number == "+18089251571"
    assert [call.request.method for call in wire.calls] == ["POST"]  # no search, no look-up


async def test_twilio_native_purchase_any_with_a_lost_answer_is_unknown(
    twilio: TwilioProvider, wire: respx.MockRouter
) -> None:
    wire.post(TWILIO_NUMBERS).mock(side_effect=httpx.ReadTimeout("lost"))
    with raises(nc.OutcomeUnknownError) as info:
        await twilio.purchase_any(area_code="808")
    assert (info.value.operation, info.value.number) == ("purchase", None)


async def test_purchase_any_searches_then_buys_moving_past_taken_numbers(
    carrier: nc.Provider, case: Case, wire: respx.MockRouter
) -> None:
    # With more than an area code (and always on SignalWire) the adapter searches first.
    wire.get(case.search_url("US", "Local")).mock(
        return_value=httpx.Response(200, json=case.fixture("search_local"))
    )
    first, second = (n["phone_number"] for n in case.fixture("search_local")["available_phone_numbers"][:2])
    # Each dialect's "no longer available" code.
    taken = {"code": {"twilio": 21422, "signalwire": 21451}[case.name], "message": "taken", "status": 400}
    wire.post(case.numbers).mock(
        side_effect=[httpx.Response(400, json=taken), created(case, second, OTHER_SID[case.name])]
    )
    owned = await carrier.purchase_any(voice=True)
    assert owned.phone_number == second
    posted = [form(call.request)["PhoneNumber"] for call in wire.calls if call.request.method == "POST"]
    assert posted == [first, second]


# -- get ------------------------------------------------------------------------------------------------


async def test_get_looks_a_number_up_once_then_uses_its_sid(
    carrier: nc.Provider, case: Case, wire: respx.MockRouter
) -> None:
    looked = lookup(wire, case, case.owned, case.fixture("number"))
    fetched = wire.get(case.one).mock(return_value=httpx.Response(200, json=case.fixture("number")))
    first = await carrier.get(case.owned)
    assert looked.call_count == 1
    assert fetched.call_count == 0
    assert params(looked.calls.last.request)["PhoneNumber"] == case.owned
    assert "PhoneNumber=%2B" in str(looked.calls.last.request.url)
    second = await carrier.get(first)  # the model object works too
    assert looked.call_count == 1
    assert fetched.call_count == 1
    assert first == second
    assert (first.id, first.phone_number, first.account_id) == (case.sid, case.owned, case.account)


async def test_twilio_number_reads_every_field(twilio: TwilioProvider, wire: respx.MockRouter) -> None:
    case = CASES["twilio"]
    lookup(wire, case, case.owned, case.fixture("number"))
    number = await twilio.get(case.owned)
    assert number.number_type is nc.NumberType.LOCAL
    assert number.status is nc.NumberStatus.ACTIVE
    assert number.created_at == datetime(2015, 7, 30, 23, 19, 4, tzinfo=UTC)
    assert number.updated_at == datetime(2015, 7, 31, 8, 0, tzinfo=UTC)
    assert (number.capabilities.voice, number.capabilities.sms, number.capabilities.fax) == (
        True,
        True,
        False,
    )
    # "" and null mean the same: nothing set.
    assert number.config.voice == Route(
        url="https://example.com/voice", method="POST", fallback_method="POST"
    )
    assert number.config.sms == Route(method="POST", fallback_method="POST")
    assert number.config.status_callback == nc.Callback(method="POST")
    assert number.config.emergency_address_id is None
    assert number.friendly_name == number.config.friendly_name == "(415) 555-2671"
    assert number.geography.iso_country is None  # Twilio does not say


async def test_signalwire_number_reads_every_field(
    signalwire: SignalWireProvider, wire: respx.MockRouter
) -> None:
    case = CASES["signalwire"]
    lookup(wire, case, case.owned, case.fixture("number"))
    number = await signalwire.get(case.owned)
    # "Sept" is not RFC 2822, but it is what SignalWire's own documents show.
    assert number.created_at == datetime(2018, 9, 25, 23, 0, tzinfo=UTC)
    assert number.updated_at == datetime(2018, 9, 26, 22, 0, tzinfo=UTC)
    assert number.capabilities.fax is True
    assert number.geography.iso_country == "US"
    assert number.number_type is nc.NumberType.UNKNOWN  # SignalWire does not say for local numbers
    assert number.status is nc.NumberStatus.ACTIVE  # no status field: a number it lists is in service
    assert number.config.sms == Route(url="https://example.com/sms", method="POST", fallback_method="POST")
    assert number.account_id == case.account


async def test_get_of_a_number_not_owned_is_not_found(
    carrier: nc.Provider, case: Case, wire: respx.MockRouter
) -> None:
    # PhoneNumber is a partial match: a number the carrier finds is checked to be this one.
    near = case.fixture("number", phone_number="+14155552671", sid=OTHER_SID[case.name])
    lookup(wire, case, "+14155552670", near)
    with raises(nc.NotFoundError, match=r"\+14155552670 is not a number of this account"):
        await carrier.get("+14155552670")


async def test_a_stale_sid_is_looked_up_again(
    carrier: nc.Provider, case: Case, wire: respx.MockRouter
) -> None:
    rebought = case.fixture("number", sid=OTHER_SID[case.name])
    looked = wire.get(case.numbers, params={"PhoneNumber": case.owned}).mock(
        side_effect=[
            httpx.Response(200, json=page(f"{case.name}_list_page1", items=[case.fixture("number")])),
            httpx.Response(200, json=page(f"{case.name}_list_page1", items=[rebought])),
        ]
    )
    wire.get(case.one).mock(return_value=httpx.Response(404, json=fixture("twilio_error_not_found")))
    await carrier.get(case.owned)  # learns the sid
    again = await carrier.get(case.owned)  # released and bought again elsewhere: a new sid
    assert again.id == OTHER_SID[case.name]
    assert looked.call_count == 2


async def test_a_number_bought_moments_ago_is_waited_for(
    carrier: nc.Provider, case: Case, wire: respx.MockRouter, sleeps: list[float]
) -> None:
    number, sid = "+18089251571", OTHER_SID[case.name]
    wire.post(case.numbers).mock(return_value=created(case, number, sid))
    fetched = wire.get(case.one_url(sid)).mock(
        side_effect=[
            httpx.Response(404, json=fixture("twilio_error_not_found")),
            httpx.Response(404, json=fixture("twilio_error_not_found")),
            httpx.Response(200, json=case.fixture("number", phone_number=number, sid=sid)),
        ]
    )
    await carrier.purchase(number)
    assert (await carrier.get(number)).id == sid
    assert fetched.call_count == 3
    assert sleeps == list(type(carrier).settle_delays[:2])


async def test_a_number_bought_minutes_ago_is_not_waited_for(
    carrier: nc.Provider, case: Case, wire: respx.MockRouter, sleeps: list[float], clock: Clock
) -> None:
    first, second = "+18089251571", "+18089255327"
    wire.post(case.numbers).mock(
        side_effect=[created(case, first, OTHER_SID[case.name]), created(case, second, case.sid)]
    )
    await carrier.purchase(first)
    clock.now += 121  # past the carrier's settling time: a 404 now means the number is gone
    await carrier.purchase(second)
    wire.get(case.one_url(OTHER_SID[case.name])).mock(
        return_value=httpx.Response(404, json=fixture("twilio_error_not_found"))
    )
    looked = lookup(wire, case, first)
    with raises(nc.NotFoundError):
        await carrier.get(first)
    assert looked.call_count == 1  # the sid failed at once, then the look-up found nothing
    assert sleeps == []
    assert list(carrier._bought) == [case.sid]  # type: ignore[attr-defined]  # the first is forgotten


# -- configure --------------------------------------------------------------------------------------------


async def test_configure_sends_only_the_fields_set(
    carrier: nc.Provider, case: Case, wire: respx.MockRouter
) -> None:
    lookup(wire, case, case.owned, case.fixture("number"))
    updated = wire.post(case.one).mock(
        return_value=httpx.Response(200, json=case.fixture("number", friendly_name="Renamed"))
    )
    number = await carrier.configure(case.owned, NumberConfig(friendly_name="Renamed"))
    assert form(updated.calls.last.request) == {"FriendlyName": "Renamed"}
    assert number.friendly_name == "Renamed"


async def test_configure_clears_fields_set_to_none(
    carrier: nc.Provider, case: Case, wire: respx.MockRouter
) -> None:
    lookup(wire, case, case.owned, case.fixture("number"))
    updated = wire.post(case.one).mock(return_value=httpx.Response(200, json=case.fixture("number")))
    await carrier.configure(
        case.owned,
        NumberConfig(
            voice=None,
            sms=Route(url=None, method=None, application_id=None),
            status_callback=None,
            emergency_address_id=None,
        ),
    )
    assert form(updated.calls.last.request) == {
        "VoiceUrl": "",
        "VoiceFallbackUrl": "",
        "VoiceApplicationSid": "",
        "SmsUrl": "",
        "SmsMethod": "POST",  # a method cannot be empty: clearing restores the default
        "SmsApplicationSid": "",
        "StatusCallback": "",
        "EmergencyAddressSid": "",
    }


async def test_configure_with_nothing_set_changes_nothing(
    carrier: nc.Provider, case: Case, wire: respx.MockRouter
) -> None:
    lookup(wire, case, case.owned, case.fixture("number"))
    number = await carrier.configure(case.owned, NumberConfig())
    assert number.phone_number == case.owned
    assert [call.request.method for call in wire.calls] == ["GET"]


async def test_configure_sets_the_emergency_address(
    carrier: nc.Provider, case: Case, wire: respx.MockRouter
) -> None:
    address = {"twilio": "AD" + "6" * 32, "signalwire": "0f1e2d3c-4b5a-4968-8776-655443322110"}[case.name]
    lookup(wire, case, case.owned, case.fixture("number"))
    updated = wire.post(case.one).mock(
        return_value=httpx.Response(200, json=case.fixture("number", emergency_address_sid=address))
    )
    number = await carrier.configure(case.owned, NumberConfig(emergency_address_id=address))
    assert form(updated.calls.last.request) == {"EmergencyAddressSid": address}
    assert number.config.emergency_address_id == address


@pytest.mark.parametrize(
    ("provider", "config", "error", "field"),
    [
        ("twilio", {"friendly_name": "x" * 65}, nc.InvalidInputError, "config.friendly_name"),
        (
            "twilio",
            {"voice": Route(application_id="not-a-sid")},
            nc.InvalidInputError,
            "config.voice.application_id",
        ),
        (
            "twilio",
            {"sms": Route(application_id="AD" + "1" * 32)},
            nc.InvalidInputError,
            "config.sms.application_id",
        ),
        (
            "twilio",
            {"emergency_address_id": "AP" + "1" * 32},
            nc.InvalidInputError,
            "config.emergency_address_id",
        ),
        ("twilio", {"extra": {"Foo": "bar"}}, nc.InvalidInputError, "config.extra.Foo"),
        (
            "twilio",
            {"extra": {"VoiceUrl": "https://x.example"}},
            nc.InvalidInputError,
            "config.extra.VoiceUrl",
        ),
        (
            "twilio",
            {"extra": {"EmergencyStatus": "on"}},
            nc.InvalidInputError,
            "config.extra.EmergencyStatus",
        ),
        (
            "twilio",
            {"extra": {"VoiceCallerIdLookup": "yes"}},
            nc.InvalidInputError,
            "config.extra.VoiceCallerIdLookup",
        ),
        ("twilio", {"friendly_name": None}, nc.UnsupportedError, None),
        ("signalwire", {"friendly_name": "x" * 255}, None, None),
        (
            "signalwire",
            {"voice": Route(application_id="AP" + "1" * 32)},
            nc.InvalidInputError,
            "config.voice.application_id",
        ),
        (
            "signalwire",
            {"extra": {"AddressSid": "AD" + "1" * 32}},
            nc.InvalidInputError,
            "config.extra.AddressSid",
        ),
        ("signalwire", {"friendly_name": None}, nc.UnsupportedError, None),
    ],
)
async def test_configure_refuses_what_the_carrier_would_before_sending(
    connected: Callable[[str], nc.Provider],
    wire: respx.MockRouter,
    provider: str,
    config: dict[str, Any],
    error: type[nc.NumbersError] | None,
    field: str | None,
) -> None:
    case = CASES[provider]
    lookup(wire, case, case.owned, case.fixture("number"))
    updated = wire.post(case.one).mock(return_value=httpx.Response(200, json=case.fixture("number")))
    async with connected(provider) as carrier:
        if error is None:
            await carrier.configure(case.owned, NumberConfig(**config))
            assert updated.call_count == 1
            return
        with raises(error) as info:
            await carrier.configure(case.owned, NumberConfig(**config))
    if field is not None:
        assert info.value.field == field
    assert not wire.calls


async def test_twilio_extra_settings_are_sent_as_given(
    twilio: TwilioProvider, wire: respx.MockRouter
) -> None:
    case = CASES["twilio"]
    lookup(wire, case, case.owned, case.fixture("number"))
    updated = wire.post(case.one).mock(return_value=httpx.Response(200, json=case.fixture("number")))
    await twilio.configure(
        case.owned,
        NumberConfig(extra={"TrunkSid": None, "ApiVersion": "2010-04-01", "VoiceReceiveMode": "fax"}),
    )
    assert form(updated.calls.last.request) == {
        "TrunkSid": "",
        "ApiVersion": "2010-04-01",
        "VoiceReceiveMode": "fax",
    }


async def test_a_failed_configure_is_retried_as_idempotent(
    carrier: nc.Provider, case: Case, wire: respx.MockRouter
) -> None:
    lookup(wire, case, case.owned, case.fixture("number"))
    updated = wire.post(case.one).mock(
        side_effect=[httpx.ReadTimeout("slow"), httpx.Response(200, json=case.fixture("number"))]
    )
    await carrier.configure(case.owned, NumberConfig(friendly_name="Again"))
    assert updated.call_count == 2


# -- release ----------------------------------------------------------------------------------------------


async def test_release_deletes_by_sid_and_forgets_it(
    carrier: nc.Provider, case: Case, wire: respx.MockRouter
) -> None:
    looked = wire.get(case.numbers, params={"PhoneNumber": case.owned}).mock(
        side_effect=[
            httpx.Response(200, json=page(f"{case.name}_list_page1", items=[case.fixture("number")])),
            httpx.Response(200, json=page(f"{case.name}_list_page1", items=[])),
        ]
    )
    deleted = wire.delete(case.one).mock(return_value=httpx.Response(204))
    assert await carrier.release(case.owned) is None
    assert deleted.call_count == 1
    assert deleted.calls.last.request.content == b""
    with raises(nc.NotFoundError):
        await carrier.release(case.owned)  # forgotten: looked up again, and gone
    assert looked.call_count == 2
    assert deleted.call_count == 1


async def test_a_failed_release_is_retried(carrier: nc.Provider, case: Case, wire: respx.MockRouter) -> None:
    lookup(wire, case, case.owned, case.fixture("number"))
    deleted = wire.delete(case.one).mock(
        side_effect=[httpx.Response(502, text="<html>Bad gateway</html>"), httpx.Response(204)]
    )
    await carrier.release(case.owned)
    assert deleted.call_count == 2


async def test_signalwire_release_during_the_cooldown_is_a_clear_conflict(
    signalwire: SignalWireProvider, wire: respx.MockRouter
) -> None:
    case = CASES["signalwire"]
    lookup(wire, case, case.owned, case.fixture("number"))
    wire.delete(case.one).mock(
        return_value=httpx.Response(
            409, json=fixture("signalwire_error_cooldown"), headers={"X-Request-Id": "req-42"}
        )
    )
    with raises(nc.ConflictError, match="cannot be released yet.*cooldown") as info:
        await signalwire.release(case.owned)
    assert (info.value.status_code, info.value.code, info.value.request_id) == (409, "21612", "req-42")


# -- list ---------------------------------------------------------------------------------------------------


def serve_pages(wire: respx.MockRouter, case: Case) -> respx.Route:
    first, second = case.fixture("list_page1"), case.fixture("list_page2")
    token = first["next_page_uri"].rsplit("PageToken=", 1)[1]
    wire.get(case.numbers, params={"PageToken": token}).mock(return_value=httpx.Response(200, json=second))
    return wire.get(case.numbers).mock(return_value=httpx.Response(200, json=first))


async def test_list_follows_next_page_uri_against_the_host(
    carrier: nc.Provider, case: Case, wire: respx.MockRouter
) -> None:
    serve_pages(wire, case)
    numbers = [n async for n in carrier.list()]
    assert len(numbers) == 3
    first_request, second_request = (call.request for call in wire.calls)
    assert params(first_request) == {"PageSize": "1000"}
    expected_next = case.fixture("list_page1")["next_page_uri"]
    # SignalWire's link already holds /api/laml: used as is, not appended to the base.
    assert second_request.url.raw_path.decode() == expected_next
    assert str(second_request.url).startswith(case.numbers)


async def test_list_is_lazy(carrier: nc.Provider, case: Case, wire: respx.MockRouter) -> None:
    serve_pages(wire, case)
    async with contextlib.aclosing(carrier.list()) as numbers:
        async for number in numbers:
            assert number.phone_number == case.owned
            break
    assert len(wire.calls) == 1


async def test_list_sends_the_filters_the_carrier_takes(
    carrier: nc.Provider, case: Case, wire: respx.MockRouter
) -> None:
    route = wire.get(case.numbers).mock(return_value=httpx.Response(200, json=case.fixture("list_page2")))
    found = [n async for n in carrier.list(contains="2186*51", friendly_name="Front desk")]
    sent = params(route.calls.last.request)
    assert sent["FriendlyName"] == "Front desk"
    # Twilio's PhoneNumber takes "*"; SignalWire gets the longest run of digits.
    assert sent["PhoneNumber"] == {"twilio": "2186*51", "signalwire": "2186"}[case.name]
    page_two = case.fixture("list_page2")["incoming_phone_numbers"]
    expected = [
        n["phone_number"]
        for n in page_two
        if n["friendly_name"] == "Front desk" and "2186" in n["phone_number"]
    ]
    assert [n.phone_number for n in found] == expected


async def test_list_by_number_type_and_country(
    carrier: nc.Provider, case: Case, wire: respx.MockRouter
) -> None:
    serve_pages(wire, case)
    toll_free = [n.phone_number async for n in carrier.list(number_type="toll_free")]
    assert toll_free == {"twilio": ["+18002345678"], "signalwire": ["+18445550111"]}[case.name]
    serve_pages(wire, case)
    local = [n.phone_number async for n in carrier.list(number_type="local")]
    # SignalWire states no type for local numbers: the numbering plan decides.
    assert local == {"twilio": ["+14155552671"], "signalwire": ["+13103386745", "+12532186751"]}[case.name]
    serve_pages(wire, case)
    assert [n.phone_number async for n in carrier.list(country="GB")] == {
        "twilio": ["+447700900123"],
        "signalwire": [],
    }[case.name]


async def test_an_empty_account_lists_nothing(
    carrier: nc.Provider, case: Case, wire: respx.MockRouter
) -> None:
    wire.get(case.numbers).mock(return_value=httpx.Response(200, json=case.fixture("list_empty")))
    assert [n async for n in carrier.list()] == []


async def test_list_teaches_the_sids(carrier: nc.Provider, case: Case, wire: respx.MockRouter) -> None:
    serve_pages(wire, case)
    numbers = [n async for n in carrier.list()]
    fetched = wire.get(case.one).mock(return_value=httpx.Response(200, json=case.fixture("number")))
    await carrier.get(numbers[0].phone_number)
    assert fetched.call_count == 1  # straight to the sid: no look-up


async def test_signalwire_link_without_its_prefix_is_repaired(
    signalwire: SignalWireProvider, wire: respx.MockRouter
) -> None:
    case = CASES["signalwire"]
    # As Twilio-wrapping SDKs build links: at the host root, where SignalWire answers 404.
    bare = f"/2010-04-01/Accounts/{case.account}/IncomingPhoneNumbers?Page=1&PageSize=1000&PageToken=PAx"
    wire.get(case.numbers, params={"PageToken": "PAx"}).mock(
        return_value=httpx.Response(200, json=case.fixture("list_page2"))
    )
    wire.get(case.numbers).mock(
        return_value=httpx.Response(200, json=page("signalwire_list_page1", next_page_uri=bare))
    )
    assert len([n async for n in signalwire.list()]) == 3
    assert wire.calls.last.request.url.path.startswith("/api/laml/2010-04-01/")


async def test_list_refuses_a_link_to_another_host(
    carrier: nc.Provider, case: Case, wire: respx.MockRouter
) -> None:
    wire.get(case.numbers).mock(
        return_value=httpx.Response(
            200, json=page(f"{case.name}_list_page1", next_page_uri="https://evil.example/steal?PageToken=x")
        )
    )
    with raises(nc.ProtocolError, match="another origin"):
        _ = [n async for n in carrier.list()]
    assert len(wire.calls) == 1


async def test_list_refuses_a_link_that_repeats(
    carrier: nc.Provider, case: Case, wire: respx.MockRouter
) -> None:
    loop = case.fixture("list_page1")["next_page_uri"]
    wire.get(case.numbers).mock(
        return_value=httpx.Response(200, json=page(f"{case.name}_list_page1", next_page_uri=loop))
    )
    with raises(nc.ProtocolError, match="repeats"):
        _ = [n async for n in carrier.list()]


async def test_a_rate_limited_page_is_fetched_again_after_retry_after(
    carrier: nc.Provider, case: Case, wire: respx.MockRouter, sleeps: list[float]
) -> None:
    wire.get(case.numbers).mock(
        side_effect=[
            httpx.Response(429, json=fixture("twilio_error_too_many_requests"), headers={"Retry-After": "3"}),
            httpx.Response(200, json=case.fixture("list_page2")),
        ]
    )
    assert len([n async for n in carrier.list()]) == 1
    assert sleeps == [3.0]


async def test_a_failing_page_raises_the_mapped_error(
    carrier: nc.Provider, case: Case, wire: respx.MockRouter
) -> None:
    first = case.fixture("list_page1")
    token = first["next_page_uri"].rsplit("PageToken=", 1)[1]
    wire.get(case.numbers, params={"PageToken": token}).mock(
        return_value=httpx.Response(400, json={"code": 21481, "message": "Invalid page token", "status": 400})
    )
    wire.get(case.numbers).mock(return_value=httpx.Response(200, json=first))
    seen = []
    with raises(nc.ProviderError, match="Invalid page token") as info:
        async for number in carrier.list():
            seen.append(number)
    assert len(seen) == 2  # the first page was delivered before the second failed
    assert info.value.code == "21481"


# -- transfer ------------------------------------------------------------------------------------------------


async def test_transfer_moves_the_number_with_account_sid(
    carrier: nc.Provider, case: Case, wire: respx.MockRouter
) -> None:
    assert carrier.supports(nc.Feature.TRANSFER)
    looked = lookup(wire, case, case.owned, case.fixture("number"))
    moved = wire.post(case.one).mock(
        return_value=httpx.Response(
            200, json=case.fixture("number", account_sid=case.other_account, account_id=case.other_account)
        )
    )
    # A SignalWire project id is a UUID, in any case.
    target = case.other_account.upper() if case.name == "signalwire" else case.other_account
    number = await carrier.transfer(case.owned, target)
    assert form(moved.calls.last.request) == {"AccountSid": case.other_account}
    assert number.account_id == case.other_account
    # It is no longer this account's: the next call looks it up again.
    looked.mock(return_value=httpx.Response(200, json=page(f"{case.name}_list_page1", items=[])))
    with raises(nc.NotFoundError):
        await carrier.get(case.owned)


async def test_transfer_to_a_malformed_account_is_refused_before_sending(
    carrier: nc.Provider, wire: respx.MockRouter
) -> None:
    with raises(nc.InvalidInputError) as info:
        await carrier.transfer("+14155552671", "ACnot-an-account")
    assert info.value.field == "to_account"
    assert not wire.calls


async def test_transfer_to_the_own_account_changes_nothing(
    carrier: nc.Provider, case: Case, wire: respx.MockRouter
) -> None:
    lookup(wire, case, case.owned, case.fixture("number"))
    number = await carrier.transfer(case.owned, case.account)
    assert number.account_id == case.account
    assert [call.request.method for call in wire.calls] == ["GET"]


async def test_a_lost_transfer_answer_is_checked_in_the_target_account(
    carrier: nc.Provider, case: Case, wire: respx.MockRouter
) -> None:
    lookup(wire, case, case.owned, case.fixture("number"))
    moved = wire.post(case.one).mock(side_effect=httpx.ReadTimeout("lost"))
    there = wire.get(case.one_url(case.sid, case.other_account)).mock(
        return_value=httpx.Response(
            200, json=case.fixture("number", account_sid=case.other_account, account_id=case.other_account)
        )
    )
    number = await carrier.transfer(case.owned, case.other_account)
    assert number.account_id == case.other_account
    assert moved.call_count == 1
    assert there.call_count == 1


async def test_a_lost_transfer_answer_that_cannot_be_checked_is_unknown(
    carrier: nc.Provider, case: Case, wire: respx.MockRouter
) -> None:
    lookup(wire, case, case.owned, case.fixture("number"))
    wire.post(case.one).mock(return_value=httpx.Response(503, text="down"))
    wire.get(case.one_url(case.sid, case.other_account)).mock(
        return_value=httpx.Response(401, json=fixture("twilio_error_auth"))
    )
    with raises(nc.OutcomeUnknownError) as info:
        await carrier.transfer(case.owned, case.other_account)
    assert (info.value.operation, info.value.number) == ("transfer", case.owned)


async def test_what_a_provider_remembers_of_its_purchases_is_bounded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from numbers_core.emulator import Emulator
    from numbers_core.providers.twilio import _provider

    monkeypatch.setattr(_provider, "_SID_CACHE_SIZE", 3)
    emulator = Emulator("twilio")
    async with emulator.connect() as carrier:
        offers = await carrier.search(area_code="415", limit=5)
        for offer in offers:
            await carrier.purchase(offer)
        newest = [offer.phone_number for offer in offers[-3:]]
        assert list(carrier._sids) == newest
        assert list(carrier._bought) == [carrier._sids[number] for number in newest]
        assert (await carrier.get(offers[0].phone_number)).phone_number == offers[0].phone_number
    await emulator.aclose()
