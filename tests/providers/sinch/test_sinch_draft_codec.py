"""The draft's bodies read and written: checked against the seed document's examples field by field."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import numbers_core as nc
import pytest
from draft_examples import Operation, fits, operations, shape
from numbers_core.adapter import Malformed
from numbers_core.providers.sinch import _draft_codec as codec

FIXTURES = Path(__file__).parent / "fixtures"
NUMBER = "/Accounts/{AccountId}/ActiveNumbers/ActiveNumbers/PN{phoneNumber}"


def operation(method: str, path: str) -> Operation:
    return next(o for o in operations() if (o.method, o.path) == (method, path))


def fixture() -> dict[str, Any]:
    return json.loads((FIXTURES / "sinch-draft_number.json").read_text())


def test_the_document_has_the_six_operations_the_adapter_speaks() -> None:
    assert sorted((o.method, o.path) for o in operations()) == [
        ("DELETE", NUMBER),
        ("GET", "/Account/{AccountId}/ActiveNumbers/"),
        ("GET", NUMBER),
        ("GET", "/api/AvailableNumbers"),
        ("POST", "/Account/{AccountId}/ActiveNumbers/"),
        ("POST", NUMBER),
    ]


def test_the_fixture_is_the_documents_example_filled_in() -> None:
    assert shape(fixture()) == shape(operation("GET", NUMBER).answer)


@pytest.mark.parametrize(
    ("name", "method", "path"),
    [
        ("sinch-draft_search.json", "GET", "/api/AvailableNumbers"),
        ("sinch-draft_list_page.json", "GET", "/Account/{AccountId}/ActiveNumbers/"),
        ("sinch-draft_list_last.json", "GET", "/Account/{AccountId}/ActiveNumbers/"),
        ("sinch-draft_number.json", "POST", "/Account/{AccountId}/ActiveNumbers/"),
    ],
)
def test_every_fixture_fits_the_documents_answer(name: str, method: str, path: str) -> None:
    fits(json.loads((FIXTURES / name).read_text()), operation(method, path).answer, name)


def test_every_field_of_the_documents_number_is_read() -> None:
    number = codec.active_number(fixture(), provider="sinch-draft", currency="USD")
    assert (number.phone_number, number.id, number.account_id) == (
        "+14155550101",
        "+14155550101",
        "AC-draft-1",
    )
    assert number.friendly_name == "Front desk"
    assert number.number_type is nc.NumberType.LOCAL
    assert number.status is nc.NumberStatus.ACTIVE
    caps = number.capabilities
    assert (caps.voice, caps.sms, caps.mms, caps.fax) == (True, True, False, None)
    assert caps.voice_details == nc.VoiceCapabilities(
        inbound_connectivity=True,
        outbound_connectivity=False,
        e911=True,
        sip_trunking=True,
        calls_per_second=5,
        concurrent_calls_limit=20,
        inbound_called_dtmf=True,
        inbound_caller_dtmf=True,
        inbound_caller_id_preservation="International",
        inbound_reachability="Global",
    )
    assert caps.sms_details is not None
    assert caps.sms_details.ucs2_concatenation is False
    assert caps.mms_details == nc.MmsCapabilities(
        inbound_connectivity=False, outbound_connectivity=True, inbound_reachability="Domestic", inbound_mps=1
    )
    assert number.geography == nc.Geography(
        iso_country="US",
        region="CA",
        locality="San Francisco",
        postal_code="94103",
        rate_center="SNFC CNTRL",
        lata="722",
        latitude=37.7749,
        longitude=-122.4194,
    )
    assert number.config == nc.NumberConfig(
        friendly_name="Front desk",
        voice=nc.Route(
            url="https://hooks.example.com/voice",
            method="POST",
            fallback_url="https://hooks.example.com/fallback",
            fallback_method="GET",
            application_id="AP0123",
        ),
        sms=nc.Route(url="https://hooks.example.com/sms", method="POST", application_id="AP4567"),
        status_callback=nc.Callback(url="https://hooks.example.com/status", method="POST"),
    )
    assert number.raw == fixture()


def test_an_offer_reads_prices_regulation_and_lifecycle() -> None:
    (offer,), following = codec.available_page(
        {"items": [fixture()], "meta": {"next_page_url": "https://h.test/v1/api/AvailableNumbers?page=1"}},
        provider="sinch-draft",
        currency="EUR",
    )
    assert offer.setup_price == nc.Money(amount=Decimal("1.00"), currency="EUR")
    assert offer.monthly_price == nc.Money(amount=Decimal("1.15"), currency="EUR")
    assert offer.address_requirement == "local"
    assert offer.beta is True
    assert following == "https://h.test/v1/api/AvailableNumbers?page=1"


def test_the_documents_own_search_example_reads_with_its_placeholders_left_unset() -> None:
    (offer,), following = codec.available_page(
        operation("GET", "/api/AvailableNumbers").answer, provider="sinch-draft", currency=None
    )
    assert offer.phone_number == "+15551231212"
    assert offer.number_type is nc.NumberType.UNKNOWN  # "string"
    assert offer.geography.iso_country is None
    assert offer.geography.latitude is None
    assert offer.geography.locality == "string"  # free text: kept as said
    assert offer.beta is None
    assert offer.address_requirement == "any"
    assert following == "string"


def test_the_status_callback_falls_back_to_the_top_level_field() -> None:
    doc = fixture()
    doc["configuration"]["status_callback_url"] = None
    doc["configuration"]["status_callback_method"] = None
    doc["statusCallback"] = "https://top.example.com/s"
    number = codec.active_number(doc, provider="sinch-draft", currency=None)
    assert number.config.status_callback == nc.Callback(url="https://top.example.com/s", method="POST")


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"phone_number": "call me"}, "phone_number"),
        (
            {"capabilities": {"voice": {"inbound_connectivity": "yes"}}},
            "capabilities.voice.inbound_connectivity",
        ),
        ({"capabilities": ["voice"]}, "capabilities: expected an object"),
        ({"base_setup_price": "two"}, "base_setup_price"),
        ({"configuration": {"voice": {"url": "example.com"}}}, "configuration.voice"),
        ({"friendlyName": 7}, "friendlyName: expected a string"),
    ],
)
def test_what_cannot_be_read_is_malformed_naming_the_field(change: dict[str, Any], problem: str) -> None:
    with pytest.raises(Malformed, match=problem.replace(".", r"\.")):
        codec.active_number({**fixture(), **change}, provider="sinch-draft", currency="USD")


def test_a_purchase_body_fits_the_documents_configuration_example() -> None:
    config = nc.NumberConfig(
        voice=nc.Route(
            url="https://h.example.com/v",
            method="GET",
            fallback_url="https://h.example.com/f",
            fallback_method="POST",
            application_id="AP1",
        ),
        sms=nc.Route(url="https://h.example.com/s", method="POST", application_id="AP2"),
        status_callback=nc.Callback(url="https://h.example.com/c", method="POST"),
    )
    body = codec.configuration(config)
    example = operation("POST", "/Account/{AccountId}/ActiveNumbers/").body
    assert shape(body) == shape(example)  # every field of the document's example is written
    fits(body, example)


def test_an_update_body_fits_the_documents_active_number_example() -> None:
    config = nc.NumberConfig(friendly_name="Desk", status_callback=nc.Callback(url="https://h.example.com/c"))
    body = codec.update_body(config)
    fits(body, operation("POST", NUMBER).body)
    assert body == {
        "friendlyName": "Desk",
        "configuration": {"status_callback_url": "https://h.example.com/c"},
        "statusCallback": "https://h.example.com/c",
    }


def test_search_parameters_are_the_documents() -> None:
    query = nc.SearchQuery(
        country="US",
        number_type="toll_free",
        region="CA",
        postal_code="94103",
        rate_center="SNFC CNTRL",
        lata="722",
        mms=True,
        exclude_address_required=True,
        ends_with="99",
    )
    params = codec.search_params(query)
    documented = operation("GET", "/api/AvailableNumbers").query
    assert set(params) <= set(documented)
    assert params["type"] == "tollfree"
    assert params["regulatory.address_requirements"] == "none"
    assert params["capabilities.MMS.inbound_connectivity"] == "true"
    assert "99" not in params.values()  # a number pattern is checked on the results


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"code": 21452, "message": " No number "}, ("21452", "No number")),
        ({"code": "21650", "message": ""}, ("21650", None)),
        ({"code": "E1", "message": "odd"}, (None, "odd")),
        ([1, 2], (None, None)),
    ],
)
def test_error_details(body: object, expected: tuple[str | None, str | None]) -> None:
    assert codec.error_details(body) == expected


def test_leading_digits_go_as_a_phone_number_prefix_with_the_calling_code() -> None:
    assert codec.search_params(nc.SearchQuery(area_code="415"))["phone_number"] == "+1415"
    query = nc.SearchQuery(country="GB", area_code="20", starts_with="2079")
    assert codec.search_params(query)["phone_number"] == "+442079"
    assert "phone_number" not in codec.search_params(nc.SearchQuery(contains="55"))
