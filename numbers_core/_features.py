"""Features: what a provider can do, queryable before calling it."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from ._models import NumberConfig, NumberType, Route, SearchQuery
from .errors import InvalidInputError

__all__ = [
    "ALL_CONFIG_FEATURES",
    "Feature",
    "config_features",
    "search_feature",
    "shared_application",
    "type_feature",
]


class Feature(enum.StrEnum):
    """One thing a provider can do.

    Operations, search filters (``search.<SearchQuery field>``), number types
    (``number_type.<NumberType>``) and configuration fields (``config.…``).
    """

    SEARCH = "search"
    PURCHASE = "purchase"
    PURCHASE_WITH_CONFIG = "purchase.config"
    PURCHASE_ANY_NATIVE = "purchase_any.native"
    GET = "get"
    CONFIGURE = "configure"
    RELEASE = "release"
    LIST = "list"
    TRANSFER = "transfer"
    #: native batch calls: one request for many numbers, one outcome per number
    BULK = "bulk"
    PURCHASE_MANY = "purchase_many"
    CONFIGURE_MANY = "configure_many"
    RELEASE_MANY = "release_many"

    #: ``prices()``: the carrier's price list, or the ``prices`` table setting
    PRICES = "prices"
    #: search results carry prices (``monthly_price``, ``setup_price``, ``price_basis``)
    SEARCH_PRICES = "search.prices"
    #: ``coverage()``: the countries and number types on sale
    COVERAGE = "coverage"
    #: ``requirements()``: what buying a country's numbers of a type needs
    REQUIREMENTS = "requirements"
    #: ``create_address()``, ``addresses()``, ``delete_address()``: the carrier's address book
    ADDRESSES = "addresses"
    #: ``reserve()``: hold a number before buying it
    RESERVE = "reserve"
    #: ``ActiveNumber.emergency`` reports the emergency registration
    EMERGENCY_STATUS = "emergency.status"
    #: ``validate_emergency_address()``: a check without side effects
    EMERGENCY_VALIDATE = "emergency.validate"

    SEARCH_AREA_CODE = "search.area_code"
    SEARCH_CONTAINS = "search.contains"
    SEARCH_STARTS_WITH = "search.starts_with"
    SEARCH_ENDS_WITH = "search.ends_with"
    SEARCH_REGION = "search.region"
    SEARCH_LOCALITY = "search.locality"
    SEARCH_POSTAL_CODE = "search.postal_code"
    SEARCH_RATE_CENTER = "search.rate_center"
    SEARCH_LATA = "search.lata"
    SEARCH_NEAR_NUMBER = "search.near_number"
    SEARCH_NEAR_LAT_LONG = "search.near_lat_long"
    SEARCH_DISTANCE = "search.distance"
    SEARCH_VOICE = "search.voice"
    SEARCH_SMS = "search.sms"
    SEARCH_MMS = "search.mms"
    SEARCH_FAX = "search.fax"
    SEARCH_EXCLUDE_ADDRESS_REQUIRED = "search.exclude_address_required"

    NUMBER_TYPE_LOCAL = "number_type.local"
    NUMBER_TYPE_MOBILE = "number_type.mobile"
    NUMBER_TYPE_TOLL_FREE = "number_type.toll_free"
    NUMBER_TYPE_NATIONAL = "number_type.national"
    NUMBER_TYPE_VOIP = "number_type.voip"
    NUMBER_TYPE_SHARED_COST = "number_type.shared_cost"
    NUMBER_TYPE_PREMIUM_RATE = "number_type.premium_rate"
    NUMBER_TYPE_MACHINE_TO_MACHINE = "number_type.machine_to_machine"
    NUMBER_TYPE_PERSONAL = "number_type.personal"

    CONFIG_FRIENDLY_NAME = "config.friendly_name"
    CONFIG_VOICE = "config.voice"
    CONFIG_VOICE_FALLBACK = "config.voice.fallback"
    CONFIG_VOICE_APPLICATION = "config.voice.application"
    CONFIG_SMS = "config.sms"
    CONFIG_SMS_FALLBACK = "config.sms.fallback"
    CONFIG_SMS_APPLICATION = "config.sms.application"
    CONFIG_STATUS_CALLBACK = "config.status_callback"
    CONFIG_EMERGENCY_ADDRESS = "config.emergency_address"
    #: ``NumberConfig.emergency_address``: an emergency address given inline
    CONFIG_EMERGENCY_ADDRESS_INLINE = "config.emergency_address.inline"
    #: ``NumberConfig.compliance``: address, bundle and identity references on purchase,
    #: configure and transfer
    CONFIG_COMPLIANCE = "config.compliance"
    CONFIG_EXTRA = "config.extra"


def search_feature(field: str) -> Feature:
    """The feature that a ``SearchQuery`` field needs."""
    return Feature(f"search.{field}")


# Looked up on every search and purchase: a dict, not an Enum call by value.
_TYPE_FEATURES = {feature.value: feature for feature in Feature if feature.startswith("number_type.")}


def type_feature(number_type: NumberType) -> Feature:
    """The feature that searching or buying a number type needs."""
    name = f"number_type.{number_type.value}"
    return _TYPE_FEATURES.get(name) or Feature(name)


_ROUTE_PARTS = {
    "url": "",
    "method": "",
    "fallback_url": ".fallback",
    "fallback_method": ".fallback",
    "application_id": ".application",
}


def _route_features(kind: str, route: Route | None) -> Iterator[Feature]:
    if route is None:  # clearing a whole route touches its URL
        yield Feature(f"config.{kind}")
        return
    for field in route.model_fields_set:
        yield Feature(f"config.{kind}{_ROUTE_PARTS[field]}")


def config_features(config: NumberConfig) -> frozenset[Feature]:
    """The features that applying ``config`` needs (only the fields set)."""
    needed: set[Feature] = set()
    for field in config.model_fields_set:
        if field in ("voice", "sms"):
            needed.update(_route_features(field, getattr(config, field)))
        elif field == "emergency_address_id":
            needed.add(Feature.CONFIG_EMERGENCY_ADDRESS)
        elif field == "emergency_address":
            needed.add(Feature.CONFIG_EMERGENCY_ADDRESS_INLINE)
        elif field == "extra":
            if config.extra:
                needed.add(Feature.CONFIG_EXTRA)
        else:
            needed.add(Feature(f"config.{field}"))
    return frozenset(needed)


def shared_application(config: NumberConfig | None, *, provider: str) -> tuple[bool, str | None]:
    """For carriers whose one Application handles a number's calls and messages alike: whether
    ``config`` links one (``voice`` or ``sms`` ``application_id`` set), and which (None: unlinked).

    Two different ids are an InvalidInputError: the carrier cannot honour both.
    """
    if config is None:
        return False, None
    asked = {
        kind: route.application_id
        for kind in ("voice", "sms")
        if kind in config.model_fields_set
        and (route := getattr(config, kind)) is not None
        and "application_id" in route.model_fields_set
    }
    if len(set(asked.values())) > 1:
        raise InvalidInputError(
            f"config.voice.application_id and config.sms.application_id differ: at {provider}, one "
            "Application handles a number's calls and messages alike",
            field="config.voice",
        )
    return bool(asked), next(iter(asked.values()), None)


def extra_settings(
    config: NumberConfig,
    key: str,
    carrier: str,
    known: Sequence[str],
    error: Callable[[str, str], Exception],
) -> dict[str, Any]:
    """The carrier's own settings, ``config.extra[key]`` (``{}`` when it is not there).

    Anything else in ``config.extra``, a value that is not an object, or a setting not in
    ``known`` raises ``error(message, "extra")``: the codec's own error, with a message that
    names the carrier and its settings.
    """
    unknown = sorted(set(config.extra) - {key})
    if unknown:
        raise error(
            f"extra: {carrier} settings go under extra[{key!r}], not {', '.join(map(repr, unknown))}", "extra"
        )
    settings = config.extra.get(key, {})
    if not isinstance(settings, dict):
        raise error(f"extra.{key}: expected an object", "extra")
    odd = sorted(set(settings) - set(known))
    if odd:
        raise error(
            f"extra.{key}: unknown setting(s) {', '.join(map(repr, odd))} (known: {', '.join(known)})",
            "extra",
        )
    return settings


#: every ``config.…`` feature of how a number is named and routed: a provider that can set all of
#: that. Compliance references and inline emergency addresses are not in it: a carrier that takes
#: them announces them one by one.
ALL_CONFIG_FEATURES = frozenset(
    feature
    for feature in Feature
    if feature.startswith("config.")
    and feature not in (Feature.CONFIG_COMPLIANCE, Feature.CONFIG_EMERGENCY_ADDRESS_INLINE)
)


# Every SearchQuery filter and NumberType has its feature: fail at import, not at a customer.
for _field in SearchQuery.model_fields.keys() - {"country", "number_type", "limit"}:
    search_feature(_field)
for _type in NumberType:
    if _type is not NumberType.UNKNOWN:
        type_feature(_type)
