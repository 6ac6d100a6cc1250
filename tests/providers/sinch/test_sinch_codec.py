"""Sinch's documents read from the fixtures (shapes from Sinch's SDK fixtures and the wire note)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import numbers_core as nc
import pytest
from numbers_core.providers.sinch import _codec as codec
from sinch_spec import validator

FIXTURES = Path(__file__).parent / "fixtures"
SCHEMAS = {
    "available": "AvailableNumbersResponse",
    "active_pending": "ActiveNumber",
    "active_done": "ActiveNumber",
    "active_failed": "ActiveNumber",
    "active_released": "ActiveNumber",
    "active_page": "ActiveNumbersResponse",
    "active_last": "ActiveNumbersResponse",
    "error_not_found": "ErrorResponse",
    "error_invalid": "ErrorResponse",
    "error_trial": "ErrorResponse",
    "token": None,
}


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / f"sinch_{name}.json").read_text())


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_every_fixture_has_the_shape_the_openapi_document_gives(name: str) -> None:
    if SCHEMAS[name] is not None:
        validator({"$ref": f"#/components/schemas/{SCHEMAS[name]}"}).validate(fixture(name))


def test_every_fixture_file_is_checked() -> None:
    assert {p.stem.removeprefix("sinch_") for p in FIXTURES.glob("sinch_*.json")} == set(SCHEMAS)


def test_available_numbers_with_decimal_prices_and_odd_currency_names() -> None:
    found = codec.available_numbers(fixture("available"), provider="sinch", number_type=nc.NumberType.LOCAL)
    first, second = found
    assert first.setup_price == nc.Money(amount=Decimal("0.8"), currency="USD")
    assert second.setup_price == nc.Money(amount=Decimal("0.80"), currency="DOLLAR")
    assert second.capabilities == nc.Capabilities(voice=True, sms=False)
    # supportingDocumentationRequired is about KYC documents, not an address (Sinch says nothing of one).
    assert (first.documents_required, second.documents_required) == (False, True)
    assert (first.address_requirement, second.address_requirement) == (None, None)


def test_a_rented_number_waiting_for_its_service_plan_and_app() -> None:
    number = codec.active_number(fixture("active_pending"), provider="sinch")
    assert number.status is nc.NumberStatus.PENDING
    assert number.config.sms is None
    assert [(p.part, p.state, p.status) for p in number.provisioning] == [
        ("sms", "pending", "WAITING"),
        ("voice", "pending", "IN_PROGRESS"),
    ]
    assert number.provisioning[0].target == "82b1b2b9bdb54d3ba6a2cd3a17a48d94"


def test_a_provisioned_a_failed_and_a_released_number() -> None:
    done = codec.active_number(fixture("active_done"), provider="sinch")
    assert done.status is nc.NumberStatus.ACTIVE
    assert done.friendly_name == "Support"
    assert done.config.sms == nc.Route(application_id="82b1b2b9bdb54d3ba6a2cd3a17a48d94")
    assert done.config.voice == nc.Route(application_id="3c6a2c2f-1d4e-4a9b-8f2a-0d9e6b7a5c41")
    assert done.updated_at == datetime(2026, 12, 3, 10, 5, tzinfo=UTC)
    failed = codec.active_number(fixture("active_failed"), provider="sinch")
    assert failed.status is nc.NumberStatus.ACTIVE
    assert failed.provisioning[0].error_codes == ("SMS_PROVISIONING_FAILED",)
    released = codec.active_number(fixture("active_released"), provider="sinch")
    assert released.status is nc.NumberStatus.RELEASING
    assert released.expires_at == datetime(2026, 12, 31, 10, 0, 1, 813424, tzinfo=UTC)


def test_pages_and_their_tokens() -> None:
    numbers, following = codec.active_page(fixture("active_page"), provider="sinch")
    assert len(numbers) == 2
    assert following == "CgtwaG9uZU51bWJlchI"
    assert codec.active_page(fixture("active_last"), provider="sinch")[1] is None


@pytest.mark.parametrize(
    ("name", "status", "text"),
    [
        ("error_not_found", "NOT_FOUND", "ActiveNumber +12025550134"),
        ("error_invalid", "INVALID_ARGUMENT", 'parsing field "type"'),
        ("error_trial", "PERMISSION_DENIED", "Trial account"),
    ],
)
def test_error_envelopes_read_with_a_message_even_when_sinch_gives_none(
    name: str, status: str, text: str
) -> None:
    got_status, message = codec.error_details(fixture(name))
    assert got_status == status
    assert message is not None
    assert text in message
