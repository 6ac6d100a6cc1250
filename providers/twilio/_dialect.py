"""What differs between Twilio and SignalWire's Twilio-compatible API.

One codec speaks the 2010-04-01 wire format; a :class:`Dialect` holds every
difference as data: paths, which search filters the carrier honours, which
form fields it takes, how its ids look and what its error codes mean.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from numbers_core import ComplianceScope, NumberType, RequirementKind
from numbers_core.adapter import ALL_CONFIG_FEATURES, Feature
from numbers_core.errors import (
    AddressValidationError,
    AuthenticationError,
    NotFoundError,
    NumberUnavailableError,
    PaymentRequiredError,
    PermissionDeniedError,
    ProviderError,
)

from ._settings import check_sid, check_uuid

__all__ = ["SIGNALWIRE", "TWILIO", "Dialect"]

IdCheck = Callable[[str], str]


@dataclass(frozen=True, slots=True)
class Dialect:
    name: str
    #: path prefix of every resource, below the host
    api_root: str
    #: appended to every resource path (".json" on Twilio)
    suffix: str
    #: searchable number types and their AvailablePhoneNumbers sub-resource
    search_types: Mapping[NumberType, str]
    #: SearchQuery fields sent as one wire parameter each, with booleans as "true"
    search_params: Mapping[str, str]
    #: Contains understands ``*`` (one character) at the pattern's ends
    contains_wildcards: bool
    #: Contains understands ``+`` (anchor at the start of the E.164 number) and ``$`` (at the end)
    contains_anchors: bool
    #: countries where the geographic filters (and AreaCode) mean anything
    geographic_countries: frozenset[str]
    geographic_fields: frozenset[str]
    #: SearchQuery fields that the carrier accepts only together with another one
    requires: Mapping[str, str]
    #: form fields ``config.extra`` may carry, at purchase and at update, with their checks
    purchase_extra: Mapping[str, Callable[[object], str]]
    update_extra: Mapping[str, Callable[[object], str]]
    #: whether a purchase can set the emergency address in the same request
    purchase_emergency_address: bool
    #: the longest friendly name the carrier takes
    friendly_name_max: int
    #: id checks for an application, an emergency address and an account
    application_id: IdCheck
    address_id: IdCheck
    account_id: IdCheck
    #: carrier codes whose meaning is more precise than the HTTP status
    error_codes: Mapping[str, type[ProviderError]]
    #: carrier codes that refuse a purchase or transfer for want of paperwork: what, and for whom
    compliance_codes: Mapping[str, tuple[RequirementKind, ComplianceScope]]
    #: ``NumberCompliance`` fields as form fields, with their id checks (purchase, update, transfer)
    compliance_fields: Mapping[str, tuple[str, IdCheck]]
    #: ``config.extra`` keys the carrier no longer takes, or that have a neutral name now: why
    retired_extra: Mapping[str, str]
    features: frozenset[Feature]
    client_side_filters: frozenset[str]
    native_list_filters: frozenset[str]
    #: DELETE answers 409 during the cooldown after a purchase
    release_cooldown: bool


def _choice(*allowed: str) -> Callable[[object], str]:
    def check(value: object) -> str:
        if value not in allowed:
            raise ValueError(f"expected one of {', '.join(allowed)}")
        return str(value)

    return check


def _boolean(value: object) -> str:
    if not isinstance(value, bool):
        raise ValueError("expected true or false")  # noqa: TRY004 - reported as InvalidInputError
    return "true" if value else "false"


def _text(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("expected a non-empty string")
    return value


def _sid(prefix: str) -> Callable[[object], str]:
    def check(value: object) -> str:
        if value is None:  # detaches the trunk, address, … : the API clears a SID with ""
            return ""
        if not isinstance(value, str):
            raise ValueError(f"expected a {prefix}… SID")  # noqa: TRY004 - reported as InvalidInputError
        return check_sid(prefix, value)

    return check


_OPERATIONS = frozenset(
    {
        Feature.SEARCH,
        Feature.PURCHASE,
        Feature.PURCHASE_WITH_CONFIG,
        Feature.GET,
        Feature.CONFIGURE,
        Feature.RELEASE,
        Feature.LIST,
        Feature.TRANSFER,
    }
)
_CAPABILITY_PARAMS = {
    "voice": "VoiceEnabled",
    "sms": "SmsEnabled",
    "mms": "MmsEnabled",
}
# Every pattern filter is re-checked here: the carrier gets the closest pattern it can
# take (sometimes a looser one), and the exact one is applied to what comes back.
_PATTERN_FILTERS = frozenset({"contains", "starts_with", "ends_with", "area_code"})

_TWILIO_EXTRA: Mapping[str, Callable[[object], str]] = MappingProxyType(
    {
        "ApiVersion": _text,
        "VoiceCallerIdLookup": _boolean,
        "VoiceReceiveMode": _choice("voice", "fax"),
        "TrunkSid": _sid("TK"),
    }
)
_COMPLIANCE = "has its neutral name now: NumberConfig(compliance=NumberCompliance({}=…))"

TWILIO = Dialect(
    name="twilio",
    api_root="/2010-04-01",
    suffix=".json",
    search_types=MappingProxyType(
        {NumberType.LOCAL: "Local", NumberType.MOBILE: "Mobile", NumberType.TOLL_FREE: "TollFree"}
    ),
    search_params=MappingProxyType(
        {
            "region": "InRegion",
            "locality": "InLocality",
            "postal_code": "InPostalCode",
            "rate_center": "InRateCenter",
            "lata": "InLata",
            "near_number": "NearNumber",
            "near_lat_long": "NearLatLong",
            "distance": "Distance",
            **_CAPABILITY_PARAMS,
            "fax": "FaxEnabled",
            "exclude_address_required": "ExcludeAllAddressRequired",
        }
    ),
    contains_wildcards=True,
    contains_anchors=True,
    geographic_countries=frozenset({"US", "CA"}),
    geographic_fields=frozenset(
        {"region", "postal_code", "rate_center", "lata", "near_number", "near_lat_long", "distance"}
    ),
    requires=MappingProxyType({"rate_center": "lata"}),
    purchase_extra=_TWILIO_EXTRA,
    update_extra=_TWILIO_EXTRA,
    purchase_emergency_address=True,
    friendly_name_max=64,
    application_id=lambda value: check_sid("AP", value),
    address_id=lambda value: check_sid("AD", value),
    account_id=lambda value: check_sid("AC", value),
    error_codes=MappingProxyType(
        {
            "20003": AuthenticationError,
            "20404": NotFoundError,
            "21404": PermissionDeniedError,  # a trial account may hold one number only
            "21421": NumberUnavailableError,  # PhoneNumber invalid (for buying)
            "21422": NumberUnavailableError,  # not available, not Twilio's, or reserved
            "21451": NumberUnavailableError,  # no such area code
            "21452": NumberUnavailableError,  # no numbers left in the area code
            "21628": AddressValidationError,  # the address cannot be validated
            "21629": AddressValidationError,  # a near match, not corrected: the suggestion is in the text
        }
    ),
    # cross_carrier.md §2: the purchase's (and transfer's) refusals, in the order Twilio checks them.
    compliance_codes=MappingProxyType(
        {
            "21631": (RequirementKind.ADDRESS, ComplianceScope.ACCOUNT),
            "21613": (RequirementKind.ADDRESS, ComplianceScope.ACCOUNT),  # the older code of 21631
            # Not in this number's exchange: another number may be in the address's.
            "21615": (RequirementKind.LOCAL_ADDRESS, ComplianceScope.NUMBER),
            "21649": (RequirementKind.BUNDLE, ComplianceScope.ACCOUNT),
            "21651": (RequirementKind.BUNDLE, ComplianceScope.ACCOUNT),  # the bundle does not fit
            "21650": (RequirementKind.IDENTITY, ComplianceScope.ACCOUNT),
        }
    ),
    compliance_fields=MappingProxyType(
        {
            "address_id": ("AddressSid", lambda value: check_sid("AD", value)),
            "bundle_id": ("BundleSid", lambda value: check_sid("BU", value)),
            "identity_id": ("IdentitySid", lambda value: check_sid("RI", value)),
        }
    ),
    retired_extra=MappingProxyType(
        {
            "AddressSid": _COMPLIANCE.format("address_id"),
            "BundleSid": _COMPLIANCE.format("bundle_id"),
            "IdentitySid": _COMPLIANCE.format("identity_id"),
            "EmergencyStatus": "is ignored by Twilio since 2021-10-06: emergency_address_id registers the "
            "number's emergency address, and ActiveNumber.emergency says how it stands",
        }
    ),
    features=_OPERATIONS
    | ALL_CONFIG_FEATURES
    | {Feature.PURCHASE_ANY_NATIVE}
    | {
        Feature.PRICES,
        Feature.SEARCH_PRICES,
        Feature.COVERAGE,
        Feature.REQUIREMENTS,
        Feature.ADDRESSES,
        Feature.EMERGENCY_STATUS,
        Feature.CONFIG_COMPLIANCE,
    }
    | {Feature(f"search.{field}") for field in ("area_code", "contains", "starts_with", "ends_with")}
    | {
        Feature(f"search.{field}")
        for field in (
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
        )
    }
    | {Feature.NUMBER_TYPE_LOCAL, Feature.NUMBER_TYPE_MOBILE, Feature.NUMBER_TYPE_TOLL_FREE},
    client_side_filters=_PATTERN_FILTERS,
    native_list_filters=frozenset({"contains", "friendly_name", "number_type"}),
    release_cooldown=False,
)

SIGNALWIRE = Dialect(
    name="signalwire",
    api_root="/api/laml/2010-04-01",
    # The spec's paths have no ".json"; SignalWire answers JSON either way.
    suffix="",
    search_types=MappingProxyType({NumberType.LOCAL: "Local", NumberType.TOLL_FREE: "TollFree"}),
    search_params=MappingProxyType(
        {
            "region": "InRegion",
            "locality": "InLocality",
            **_CAPABILITY_PARAMS,
            "exclude_address_required": "ExcludeAllAddressRequired",
        }
    ),
    contains_wildcards=False,
    contains_anchors=False,
    geographic_countries=frozenset({"US", "CA"}),
    geographic_fields=frozenset({"region"}),
    requires=MappingProxyType({"locality": "region"}),
    purchase_extra=MappingProxyType({"VoiceReceiveMode": _choice("voice", "fax")}),
    update_extra=MappingProxyType({"VoiceReceiveMode": _choice("voice", "fax")}),
    purchase_emergency_address=False,
    friendly_name_max=255,
    application_id=check_uuid,
    address_id=check_uuid,
    account_id=check_uuid,
    error_codes=MappingProxyType(
        {
            "20003": AuthenticationError,
            "20404": NotFoundError,
            "21451": NumberUnavailableError,  # no such area code
            "4001": PaymentRequiredError,  # insufficient balance
        }
    ),
    # No Address, Bundle or Identity in the compatibility API: nothing to refuse for, or to send.
    compliance_codes=MappingProxyType({}),
    compliance_fields=MappingProxyType({}),
    retired_extra=MappingProxyType({}),
    # The compatibility API lists its countries (local and toll-free only); the rest of commerce
    # (prices, E911 state, its emergency address book) is in SignalWire's native API, not spoken here.
    features=_OPERATIONS
    | ALL_CONFIG_FEATURES
    | {Feature.COVERAGE}
    | {
        Feature(f"search.{field}")
        for field in (
            "area_code",
            "contains",
            "starts_with",
            "ends_with",
            "region",
            "locality",
            "voice",
            "sms",
            "mms",
            "exclude_address_required",
        )
    }
    | {Feature.NUMBER_TYPE_LOCAL, Feature.NUMBER_TYPE_TOLL_FREE},
    # Accepted and ignored by SignalWire; exclude_address_required always holds there
    # (its numbers never require an address), so checking it costs nothing.
    client_side_filters=_PATTERN_FILTERS | {"voice", "sms", "mms", "exclude_address_required"},
    native_list_filters=frozenset({"contains", "friendly_name", "number_type"}),
    release_cooldown=True,
)
