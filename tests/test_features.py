"""Features: every filter, type and config field has one; config_features asks for exactly what is set."""

from __future__ import annotations

import pytest
from numbers_core import (
    Address,
    Callback,
    Feature,
    NumberCompliance,
    NumberConfig,
    NumberType,
    Route,
    SearchQuery,
)
from numbers_core.adapter import ALL_CONFIG_FEATURES, config_features, search_feature, type_feature

FILTERS = sorted(SearchQuery.model_fields.keys() - {"country", "number_type", "limit"})


def test_the_filter_list_is_what_the_contract_names() -> None:
    assert set(FILTERS) == {
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
        "near_lat_long",
        "distance",
        "voice",
        "sms",
        "mms",
        "fax",
        "exclude_address_required",
    }


@pytest.mark.parametrize("field", FILTERS)
def test_every_search_filter_has_a_feature(field: str) -> None:
    feature = search_feature(field)
    assert isinstance(feature, Feature)
    assert feature == f"search.{field}"


@pytest.mark.parametrize("number_type", [t for t in NumberType if t is not NumberType.UNKNOWN])
def test_every_number_type_has_a_feature(number_type: NumberType) -> None:
    assert type_feature(number_type) == f"number_type.{number_type.value}"


def test_no_feature_is_left_over() -> None:
    # Every search.* and number_type.* feature corresponds to something that exists; search.prices
    # is what search results carry, not a filter.
    searches = {f for f in Feature if f.startswith("search.")} - {Feature.SEARCH_PRICES}
    types = {f for f in Feature if f.startswith("number_type.")}
    assert searches == {search_feature(field) for field in FILTERS}
    assert types == {type_feature(t) for t in NumberType if t is not NumberType.UNKNOWN}


def test_unknown_names_are_not_features() -> None:
    with pytest.raises(ValueError, match=r"search\.country"):
        search_feature("country")
    with pytest.raises(ValueError, match=r"number_type\.unknown"):
        type_feature(NumberType.UNKNOWN)


def test_features_are_strings() -> None:
    assert Feature.TRANSFER == "transfer"
    assert f"{Feature.SEARCH_AREA_CODE}" == "search.area_code"
    assert Feature("purchase_any.native") is Feature.PURCHASE_ANY_NATIVE


@pytest.mark.parametrize(
    ("config", "needed"),
    [
        (NumberConfig(), set()),
        (NumberConfig(friendly_name="Support"), {Feature.CONFIG_FRIENDLY_NAME}),
        (NumberConfig(friendly_name=None), {Feature.CONFIG_FRIENDLY_NAME}),  # clearing is a change too
        (NumberConfig(voice=Route(url="https://example.com/v")), {Feature.CONFIG_VOICE}),
        (NumberConfig(voice=Route(method="GET")), {Feature.CONFIG_VOICE}),
        (NumberConfig(voice=Route(fallback_url="https://example.com/f")), {Feature.CONFIG_VOICE_FALLBACK}),
        (NumberConfig(voice=Route(fallback_method="POST")), {Feature.CONFIG_VOICE_FALLBACK}),
        (NumberConfig(voice=Route(application_id="AP1")), {Feature.CONFIG_VOICE_APPLICATION}),
        (NumberConfig(voice=Route()), set()),  # an empty route changes nothing
        (NumberConfig(voice=None), {Feature.CONFIG_VOICE}),  # clearing a whole route touches its URL
        (
            NumberConfig(sms=Route(url="https://example.com/s", fallback_url="https://example.com/f")),
            {Feature.CONFIG_SMS, Feature.CONFIG_SMS_FALLBACK},
        ),
        (NumberConfig(sms=Route(application_id="plan")), {Feature.CONFIG_SMS_APPLICATION}),
        (NumberConfig(sms=None), {Feature.CONFIG_SMS}),
        (
            NumberConfig(status_callback=Callback(url="https://example.com/st")),
            {Feature.CONFIG_STATUS_CALLBACK},
        ),
        (NumberConfig(emergency_address_id="AD1"), {Feature.CONFIG_EMERGENCY_ADDRESS}),
        (NumberConfig(extra={"servicePlanId": "x"}), {Feature.CONFIG_EXTRA}),
        (NumberConfig(extra={}), set()),
        (
            NumberConfig(friendly_name="a", voice=Route(application_id="AP1"), sms=Route(method="POST")),
            {Feature.CONFIG_FRIENDLY_NAME, Feature.CONFIG_VOICE_APPLICATION, Feature.CONFIG_SMS},
        ),
    ],
)
def test_config_features_cover_only_what_is_set(config: NumberConfig, needed: set[Feature]) -> None:
    assert config_features(config) == needed


def test_every_config_field_maps_to_a_feature() -> None:
    full_route = Route(
        url="https://e.com/a",
        method="POST",
        fallback_url="https://e.com/b",
        fallback_method="GET",
        application_id="AP1",
    )
    everything = NumberConfig(
        friendly_name="x",
        voice=full_route,
        sms=full_route,
        status_callback=Callback(url="https://e.com/c"),
        emergency_address_id="AD1",
        compliance=NumberCompliance(address_id="AD1", bundle_id="BU1"),
        extra={"k": "v"},
    )
    # An emergency address goes by id or inline, never both at once.
    inline = NumberConfig(emergency_address=Address(street="1 Main St", locality="Springfield", country="US"))
    assert everything.model_fields_set | inline.model_fields_set == set(NumberConfig.model_fields)
    assert config_features(everything) | config_features(inline) == {
        f for f in Feature if f.startswith("config.")
    }


def test_all_config_features_leave_out_what_carriers_announce_one_by_one() -> None:
    # Adapters built on ALL_CONFIG_FEATURES (Twilio, SignalWire) must not claim compliance
    # references or inline emergency addresses by accident.
    assert Feature.CONFIG_COMPLIANCE not in ALL_CONFIG_FEATURES
    assert Feature.CONFIG_EMERGENCY_ADDRESS_INLINE not in ALL_CONFIG_FEATURES
    assert ALL_CONFIG_FEATURES | {Feature.CONFIG_COMPLIANCE, Feature.CONFIG_EMERGENCY_ADDRESS_INLINE} == {
        f for f in Feature if f.startswith("config.")
    }


@pytest.mark.parametrize(
    ("config", "needed"),
    [
        (NumberConfig(compliance=NumberCompliance(bundle_id="BU1")), {Feature.CONFIG_COMPLIANCE}),
        (NumberConfig(compliance=None), {Feature.CONFIG_COMPLIANCE}),
        (
            NumberConfig(emergency_address=Address(street="1 Main St", locality="Austin", country="US")),
            {Feature.CONFIG_EMERGENCY_ADDRESS_INLINE},
        ),
        (NumberConfig(emergency_address=None), {Feature.CONFIG_EMERGENCY_ADDRESS_INLINE}),
    ],
)
def test_the_new_config_fields_need_their_features(config: NumberConfig, needed: set[Feature]) -> None:
    assert config_features(config) == needed


def test_the_commerce_features_are_spelled_as_documented() -> None:
    spelled = {
        Feature.PRICES: "prices",
        Feature.SEARCH_PRICES: "search.prices",
        Feature.COVERAGE: "coverage",
        Feature.REQUIREMENTS: "requirements",
        Feature.ADDRESSES: "addresses",
        Feature.RESERVE: "reserve",
        Feature.EMERGENCY_STATUS: "emergency.status",
        Feature.EMERGENCY_VALIDATE: "emergency.validate",
        Feature.CONFIG_COMPLIANCE: "config.compliance",
        Feature.CONFIG_EMERGENCY_ADDRESS_INLINE: "config.emergency_address.inline",
    }
    for feature, value in spelled.items():
        assert feature.value == value
        assert Feature(value) is feature


def test_shared_application_is_the_one_id_voice_and_sms_give() -> None:
    import numbers_core as nc
    from numbers_core.adapter import shared_application

    assert shared_application(None, provider="Acme") == (False, None)
    assert shared_application(nc.NumberConfig(friendly_name="x"), provider="Acme") == (False, None)
    linked = nc.NumberConfig(voice=nc.Route(application_id="a"), sms=nc.Route(application_id="a"))
    assert shared_application(linked, provider="Acme") == (True, "a")
    assert shared_application(nc.NumberConfig(sms=nc.Route(application_id=None)), provider="Acme") == (
        True,
        None,
    )
    with pytest.raises(nc.InvalidInputError, match="at Acme, one Application"):
        shared_application(
            nc.NumberConfig(voice=nc.Route(application_id="a"), sms=nc.Route(application_id="b")),
            provider="Acme",
        )


def test_extra_settings_are_the_carriers_own_key_with_known_settings_only() -> None:
    import numbers_core as nc
    from numbers_core.adapter import extra_settings

    class Bad(ValueError):
        def __init__(self, message: str, field: str) -> None:
            super().__init__(message)
            self.field = field

    def settings(extra: dict[str, object]) -> dict[str, object]:
        return extra_settings(nc.NumberConfig(extra=extra), "acme", "Acme", ("tag", "group"), Bad)

    assert settings({}) == {}
    assert settings({"acme": {"tag": "x"}}) == {"tag": "x"}
    with pytest.raises(Bad, match=r"^extra: Acme settings go under extra\['acme'\], not 'other'$") as refused:
        settings({"acme": {}, "other": 1})
    assert refused.value.field == "extra"
    with pytest.raises(Bad, match=r"^extra\.acme: expected an object$"):
        settings({"acme": ["tag"]})
    with pytest.raises(Bad, match=r"^extra\.acme: unknown setting\(s\) 'size' \(known: tag, group\)$"):
        settings({"acme": {"tag": "x", "size": 1}})
