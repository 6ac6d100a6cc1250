"""Partial updates of a number's configuration."""

from __future__ import annotations

from numbers_core import Address, Callback, NumberCompliance, NumberConfig, Route
from numbers_core.sandbox._merge import merge_config

CURRENT = NumberConfig(
    friendly_name="Front desk",
    voice=Route(url="https://example.com/voice", method="POST", fallback_url="https://example.com/fallback"),
    sms=Route(url="https://example.com/sms"),
    status_callback=Callback(url="https://example.com/status", method="POST"),
    emergency_address_id="AD1",
    extra={"plan": "basic", "tier": 2},
)


def test_only_the_fields_set_change() -> None:
    merged = merge_config(CURRENT, NumberConfig(friendly_name="Back office"))
    assert merged.friendly_name == "Back office"
    assert merged.model_dump(exclude={"friendly_name"}) == CURRENT.model_dump(exclude={"friendly_name"})


def test_a_field_set_to_none_is_cleared() -> None:
    merged = merge_config(CURRENT, NumberConfig(sms=None, emergency_address_id=None, friendly_name=None))
    assert merged.sms is None
    assert merged.emergency_address_id is None
    assert merged.friendly_name is None
    assert merged.voice == CURRENT.voice


def test_routes_and_callbacks_merge_field_by_field() -> None:
    merged = merge_config(
        CURRENT,
        NumberConfig(voice=Route(method="GET", fallback_url=None), status_callback=Callback(method="GET")),
    )
    assert merged.voice == Route(url="https://example.com/voice", method="GET", fallback_url=None)
    assert merged.status_callback == Callback(url="https://example.com/status", method="GET")


def test_a_route_given_where_there_was_none_is_taken_whole() -> None:
    merged = merge_config(NumberConfig(), NumberConfig(voice=Route(application_id="AP1")))
    assert merged.voice == Route(application_id="AP1")


def test_extra_merges_key_by_key_and_none_removes_a_key() -> None:
    merged = merge_config(CURRENT, NumberConfig(extra={"tier": None, "region": "eu"}))
    assert merged.extra == {"plan": "basic", "region": "eu"}
    assert CURRENT.extra == {"plan": "basic", "tier": 2}


def test_an_empty_change_changes_nothing() -> None:
    assert merge_config(CURRENT, NumberConfig()) == CURRENT


def test_compliance_merges_field_by_field() -> None:
    current = NumberConfig(compliance=NumberCompliance(address_id="AD1", bundle_id="BU1"))
    merged = merge_config(current, NumberConfig(compliance=NumberCompliance(bundle_id="BU2")))
    assert merged.compliance == NumberCompliance(address_id="AD1", bundle_id="BU2")
    assert merge_config(current, NumberConfig(compliance=None)).compliance is None


def test_an_emergency_address_by_id_and_inline_replace_each_other() -> None:
    austin = Address(street="500 W 2nd St", locality="Austin", region="TX", postal_code="78701", country="US")
    inline = merge_config(CURRENT, NumberConfig(emergency_address=austin))
    assert (inline.emergency_address, inline.emergency_address_id) == (austin, None)
    by_id = merge_config(inline, NumberConfig(emergency_address_id="AD2"))
    assert (by_id.emergency_address, by_id.emergency_address_id) == (None, "AD2")
    # Clearing one leaves the other as it is.
    assert merge_config(inline, NumberConfig(emergency_address_id=None)).emergency_address == austin
