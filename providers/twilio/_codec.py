"""The 2010-04-01 wire format: search parameters and form fields out, models in.

Parsing is the hot path (a list page holds up to 1,000 numbers), so it reads
each field once, checks its type by hand and builds the models without
running pydantic's validators over values already checked here (see
:func:`_construct`). What numbers share (capabilities, geography, an
account's webhooks) is read once per distinct set of wire values and reused.
Anything of the wrong type raises :class:`Malformed`, which the provider
turns into a ``ProtocolError``.
"""

from __future__ import annotations

import contextlib
import functools
import math
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any, Literal, NamedTuple, TypeVar

import phonenumbers
from numbers_core import (
    ActiveNumber,
    AddressRequirement,
    AvailableNumber,
    Callback,
    Capabilities,
    EmergencyRegistration,
    EmergencyStatus,
    Geography,
    NumberCompliance,
    NumberConfig,
    NumberStatus,
    NumberType,
    Route,
    SearchQuery,
)
from numbers_core.adapter import Malformed, carrier_e164
from numbers_core.adapter import json_kind as _kind
from numbers_core.adapter import json_object as _object
from numbers_core.errors import InvalidInputError, UnsupportedError
from pydantic import BaseModel, ValidationError

from ._dialect import Dialect

__all__ = [
    "Malformed",
    "available_numbers",
    "compliance_form",
    "config_form",
    "error_details",
    "longest_run",
    "number",
    "number_page",
    "parse_date",
    "search_request",
    "spelled_type",
]


M = TypeVar("M", bound=BaseModel)
K = TypeVar("K")
V = TypeVar("V")
# BaseModel's slots, set through their descriptors: the models are frozen, and this is cheaper than
# object.__setattr__.
_set_dict = BaseModel.__dict__["__dict__"].__set__
_set_fields_set = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_set_extra = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_private = BaseModel.__dict__["__pydantic_private__"].__set__


def _construct(model: type[M], values: dict[str, Any]) -> M:
    """A model from values this module has checked, every field given, in the model's order.

    What ``model_construct`` does, minus its per-field default handling (which
    deep-copies default sub-models): a tenth of its cost, and a list page
    builds two models per number. Every value is checked here first, to the
    model's own rules, or comes from a model pydantic validated (the parts
    numbers share, built once: see :func:`_validated`). The tests compare
    the result with ``model_validate`` of the same data.
    """
    instance = object.__new__(model)
    _set_dict(instance, values)
    _set_fields_set(instance, set(values))
    _set_extra(instance, None)
    _set_private(instance, None)
    return instance


def _validated(model: type[M], values: dict[str, Any], what: str) -> M:
    """``model`` validated by pydantic: for the parts many numbers share, each built once (cached)."""
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        # Named, not quoted: the answer is attached to the error already (a URL may hold a password).
        problems = "; ".join(
            f"{what}.{'.'.join(map(str, error['loc']))} is not valid ({error['type']})"
            for error in exc.errors()
        )
        raise Malformed(problems) from None


# -- reading ------------------------------------------------------------------------------------


def _array(data: dict[str, Any], key: str) -> list[Any]:
    value = data.get(key)
    if type(value) is not list:
        raise Malformed(f"{key}: expected an array, got {_kind(value)}")
    return value


def _text(value: object, key: str) -> str | None:
    # Twilio sends "" and null for the same absence, even within one object.
    if type(value) is str:
        return value if value and not value.isspace() else None
    if value is None:
        return None
    raise Malformed(f"{key}: expected a string, got {_kind(value)}")


def _code(value: object, key: str) -> str | None:
    # Codes such as a LATA come as "834" or, now and then, as a number.
    if type(value) is int:
        return str(value)
    return _text(value, key)


def _flag(value: object, what: str) -> bool | None:
    if value is None:
        return None
    if type(value) is bool:
        return bool(value)
    if value in ("true", "false"):
        return value == "true"
    # 1 and 0 as pydantic takes them: a cache keyed on flags cannot tell them from True and False.
    if type(value) in (int, float) and value in (0, 1):
        return value == 1
    raise Malformed(f"{what}: expected true or false, got {_kind(value)}")


def _coordinate(value: object, limit: float, what: str) -> float | None:
    # The spec's own example has latitude "19.720000": a string, though typed as a number.
    if value is None or value == "":
        return None
    if type(value) is bool or not isinstance(value, int | float | str):
        raise Malformed(f"{what}: expected a number, got {_kind(value)}")
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) and -limit <= number <= limit else None


def _e164(value: object) -> str:
    if type(value) is not str:
        raise Malformed(f"phone_number: expected a string, got {_kind(value)}")
    try:
        return carrier_e164(value)
    except ValueError as exc:
        raise Malformed(f"phone_number: {exc}") from None


def _method(value: object, key: str) -> Literal["GET", "POST"] | None:
    text = _text(value, key)
    if text is None:
        return None
    upper = text.upper()
    if upper == "GET":
        return "GET"
    return "POST" if upper == "POST" else None


def _country(value: object, key: str) -> str | None:
    text = _text(value, key)
    if text is None:
        return None
    upper = text.strip().upper()
    return upper if len(upper) == 2 and upper.isascii() and upper.isalpha() else None


# The parts numbers share (capabilities, geography, an account's settings), each read once, by
# the wire values they come from. A memo that fills up is emptied: cheaper than an LRU's bookkeeping.
_MEMO_SIZE = 1024


def _memo(memo: dict[K, V], key: K, value: V) -> V:
    if len(memo) >= _MEMO_SIZE:
        memo.clear()
    memo[key] = value
    return value


@functools.cache
def _capability_set(voice: bool | None, sms: bool | None, mms: bool | None, fax: bool | None) -> Capabilities:
    # 81 combinations at most; numbers share the immutable instances.
    return _construct(
        Capabilities,
        {
            "voice": voice,
            "sms": sms,
            "mms": mms,
            "fax": fax,
            "voice_details": None,
            "sms_details": None,
            "mms_details": None,
        },
    )


def _capabilities(value: object) -> Capabilities:
    if type(value) is not dict:
        if value is None:
            return _capability_set(None, None, None, None)
        raise Malformed(f"capabilities: expected an object, got {_kind(value)}")
    flags = tuple(value.items())
    try:
        found = _CAPABILITIES.get(flags)
    except TypeError:  # an unhashable flag (a list, an object): not a flag at all
        return _read_capabilities(flags)
    return _memo(_CAPABILITIES, flags, _read_capabilities(flags)) if found is None else found


def _read_capabilities(flags: tuple[tuple[str, object], ...]) -> Capabilities:
    found: dict[str, bool | None] = {}
    # Search results say "SMS"/"MMS", owned numbers "sms"/"mms": read keys case-insensitively.
    for key, flag in flags:
        name = key.lower()
        if name in ("voice", "sms", "mms", "fax"):
            found[name] = _flag(flag, f"capabilities.{key}")
    return _capability_set(found.get("voice"), found.get("sms"), found.get("mms"), found.get("fax"))


_CAPABILITIES: dict[tuple[tuple[str, object], ...], Capabilities] = {}

_ADDRESS = {requirement.value: requirement for requirement in AddressRequirement}
_STATUS = {"in-use": NumberStatus.ACTIVE, "active": NumberStatus.ACTIVE, "pending": NumberStatus.PENDING}
_TYPES = {
    "local": NumberType.LOCAL,
    "mobile": NumberType.MOBILE,
    "tollfree": NumberType.TOLL_FREE,
    "national": NumberType.NATIONAL,
    "voip": NumberType.VOIP,
    "sharedcost": NumberType.SHARED_COST,
    "machinetomachine": NumberType.MACHINE_TO_MACHINE,
}


def spelled_type(stated: str) -> NumberType:
    """A number type however Twilio's APIs spell it: ``toll-free``, ``toll_free``, ``toll free``,
    ``TollFree`` (cross_carrier.md §8); ``unknown`` for one it does not know."""
    known = _TYPES.get(stated)
    if known is not None:
        return known
    return _TYPES.get(re.sub(r"[-_ ]", "", stated.lower()), NumberType.UNKNOWN)


def _number_type(stated: str | None, verified: bool) -> NumberType:
    if stated is not None:
        return spelled_type(stated)
    # SignalWire states no type, but gives toll-free numbers (only) a verification status.
    return NumberType.TOLL_FREE if verified else NumberType.UNKNOWN


def _read_place(place: tuple[Any, ...]) -> Geography:
    iso_country, region, locality, postal_code, rate_center, lata, latitude, longitude = place
    values = {
        "iso_country": _country(iso_country, "iso_country"),
        "region": _text(region, "region"),
        "locality": _text(locality, "locality"),
        "postal_code": _code(postal_code, "postal_code"),
        "rate_center": _text(rate_center, "rate_center"),
        "lata": _code(lata, "lata"),
        "latitude": _coordinate(latitude, 90, "latitude"),
        "longitude": _coordinate(longitude, 180, "longitude"),
    }
    return _construct(Geography, values)


class _Offer(NamedTuple):
    """What an available number has in common with the others of its rate center."""

    capabilities: Capabilities
    geography: Geography
    address_requirement: AddressRequirement | None
    beta: bool | None


def _read_offer(wire: tuple[Any, ...]) -> _Offer:
    flags, requirement, beta = wire[8:]
    address = _text(requirement, "address_requirements")
    return _Offer(
        # A tuple is the items of a capabilities object (JSON has no tuples): anything else is not one.
        _read_capabilities(flags) if type(flags) is tuple else _capabilities(flags),
        _read_place(wire[:8]),
        None if address is None else _ADDRESS.get(address),
        _flag(beta, "beta"),
    )


_OFFERS: dict[tuple[Any, ...], _Offer] = {}


def _new_offer(wire: tuple[Any, ...]) -> _Offer:
    """The offer of wire values not met before, remembered where that is safe."""
    found = _read_offer(wire)
    # Codes and coordinates are remembered as strings only: as numbers, an entry would be found
    # by an equal number of another type (834 == 834.0, 1 == True), which may not read the same.
    if all(type(value) is str or value is None for value in wire[3:8]):
        # An unhashable value (a list, an object) where a string or a number belongs: not remembered.
        with contextlib.suppress(TypeError):
            _memo(_OFFERS, wire, found)
    return found


def available_numbers(data: object, *, provider: str, number_type: NumberType) -> list[AvailableNumber]:
    """The numbers of a search answer (``{"available_phone_numbers": [...]}``).

    The loop's body is written out rather than calling the helpers used
    elsewhere (``_e164``, ``_text``, ``_construct``), and each number's
    values start as a copy of what all of them share: this runs for every
    result, and measured (callgrind) each of these saves a tenth of it.
    """
    found = []
    offers = _OFFERS
    template: dict[str, Any] = {
        "phone_number": None,
        "provider": provider,
        "number_type": number_type,
        "friendly_name": None,
        "capabilities": None,
        "geography": None,
        "setup_price": None,
        "monthly_price": None,
        "address_requirement": None,
        "price_basis": None,
        "documents_required": None,
        "beta": None,
        "raw": None,
    }
    fields = set(template)
    new, set_dict, set_fields_set, set_extra, set_private = (
        object.__new__,
        _set_dict,
        _set_fields_set,
        _set_extra,
        _set_private,
    )
    for item in _array(_object(data, "search answer"), "available_phone_numbers"):
        if type(item) is not dict:
            raise Malformed(f"available_phone_numbers[]: expected an object, got {_kind(item)}")
        get = item.get
        capabilities = get("capabilities")
        # What numbers of one rate center share, read once by its wire values (see _read_offer).
        wire = (
            get("iso_country"),
            get("region"),
            get("locality"),
            get("postal_code"),
            get("rate_center"),
            get("lata"),
            get("latitude"),
            get("longitude"),
            tuple(capabilities.items()) if type(capabilities) is dict else capabilities,
            get("address_requirements"),
            get("beta"),
        )
        try:
            offer = offers.get(wire)
        except TypeError:  # unhashable: read below, never remembered
            offer = None
        if offer is None:
            offer = _new_offer(wire)
        values = template.copy()
        try:
            values["phone_number"] = carrier_e164(get("phone_number"))
        except ValueError as exc:
            raise Malformed(f"phone_number: {exc}") from None
        friendly_name = get("friendly_name")
        if type(friendly_name) is not str or not friendly_name or friendly_name.isspace():
            friendly_name = _text(friendly_name, "friendly_name")
        values["friendly_name"] = friendly_name
        values["capabilities"], values["geography"], values["address_requirement"], values["beta"] = offer
        values["raw"] = item
        # _construct(AvailableNumber, values), inline.
        number = new(AvailableNumber)
        set_dict(number, values)
        set_fields_set(number, fields.copy())
        set_extra(number, None)
        set_private(number, None)
        found.append(number)
    return found


def _read_route(kind: str, wire: tuple[Any, ...]) -> Route:
    url, method, fallback_url, fallback_method, application = wire
    values = {
        "url": _text(url, f"{kind}_url"),
        "method": _method(method, f"{kind}_method"),
        "fallback_url": _text(fallback_url, f"{kind}_fallback_url"),
        "fallback_method": _method(fallback_method, f"{kind}_fallback_method"),
        "application_id": _text(application, f"{kind}_application_sid"),
    }
    return _validated(Route, values, kind)  # pydantic checks the URLs


@functools.lru_cache(maxsize=1024)
def _route(kind: str, wire: tuple[Any, ...]) -> Route:
    # Most numbers of an account share their webhooks: they share the immutable Route too.
    return _read_route(kind, wire)


def _route_of(kind: str, wire: tuple[Any, ...]) -> Route:
    try:
        return _route(kind, wire)
    except TypeError:  # an unhashable value (a list, an object) where a string belongs
        return _read_route(kind, wire)


@functools.lru_cache(maxsize=256)
def _callback(url: str | None, method: str | None) -> Callback:
    return _validated(Callback, {"url": url, "method": method}, "status_callback")


@functools.lru_cache(maxsize=256)
def _geography(iso_country: str | None) -> Geography:
    values: dict[str, Any] = dict.fromkeys(Geography.model_fields)
    values["iso_country"] = iso_country
    return _construct(Geography, values)


class _Setup(NamedTuple):
    """What an owned number says beyond itself: what numbers of an account have in common."""

    account_id: str | None
    number_type: NumberType
    status: NumberStatus
    geography: Geography
    voice: Route
    sms: Route
    status_callback: Callback
    emergency_address_id: str | None
    compliance: NumberCompliance | None
    emergency: EmergencyRegistration | None


# cross_carrier.md §8: emergency_address_status. Its removal states read as pending (the contract's
# word for a registration that is changing); carrier_status keeps Twilio's own.
_EMERGENCY = {
    "registered": EmergencyStatus.ACTIVE,
    "unregistered": EmergencyStatus.NONE,
    "pending-registration": EmergencyStatus.PENDING,
    "pending-unregistration": EmergencyStatus.PENDING,
    "registration-failure": EmergencyStatus.FAILED,
    "unregistration-failure": EmergencyStatus.FAILED,
}


def _compliance(address: object, bundle: object, identity: object) -> NumberCompliance | None:
    values = {
        "address_id": _text(address, "address_sid"),
        "bundle_id": _text(bundle, "bundle_sid"),
        "identity_id": _text(identity, "identity_sid"),
    }
    if not any(values.values()):
        return None
    return _validated(NumberCompliance, values, "compliance")


def _emergency(address_id: str | None, status: object) -> EmergencyRegistration | None:
    # Only emergency_address_status says how the registration stands (emergency_status, "Active" or
    # "Inactive", is what Twilio ignores since 2021, and all SignalWire's compatibility API shows).
    word = _text(status, "emergency_address_status")
    if word is None:
        return None
    values = {
        "status": _EMERGENCY.get(word.lower(), EmergencyStatus.UNKNOWN),
        "address_id": address_id,
        "carrier_status": word,
    }
    return _validated(EmergencyRegistration, values, "emergency")


def _read_setup(wire: tuple[Any, ...]) -> _Setup:
    account, stated_type, status, country, emergency = wire[:5]
    emergency_address_id = _text(emergency, "emergency_address_sid")
    return _Setup(
        _text(account, "account_sid"),
        _number_type(_text(stated_type, "type"), wire[17]),
        # SignalWire's numbers carry no status: one the account lists is in service.
        _STATUS.get(_text(status, "status") or "active", NumberStatus.UNKNOWN),
        _geography(_country(country, "country_code")),  # SignalWire says the country
        _route_of("voice", wire[5:10]),
        _route_of("sms", wire[10:15]),
        _callback(_text(wire[15], "status_callback"), _method(wire[16], "status_callback_method")),
        emergency_address_id,
        _compliance(*wire[18:21]),
        _emergency(emergency_address_id, wire[21]),
    )


# Twilio's PN… sids, SignalWire's UUIDs, and room for what either may send one day.
_SID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}")

# Keyed by strings (or null) only: no entry can be found by a value of another type.
_SETUPS: dict[tuple[Any, ...], _Setup] = {}


def _number(item: dict[str, Any], provider: str) -> ActiveNumber:
    get = item.get
    sid = _text(get("sid"), "sid")
    if sid is None:
        raise Malformed("sid: missing")
    if not _SID.fullmatch(sid):
        # It goes into the paths of later calls: "..", "/" or a query there would be another request.
        raise Malformed(f"sid: {sid[:40]!r} is not an id")
    friendly_name = _text(get("friendly_name"), "friendly_name")
    if friendly_name is not None and len(friendly_name) > 64:
        # Longer than Twilio allows: NumberConfig's own rules decide (its length limit).
        _validated(NumberConfig, {"friendly_name": friendly_name}, "config")
    # Most numbers of an account share all of these: they are read once.
    wire = (
        get("account_sid"),
        get("type"),
        get("status"),
        get("country_code"),
        get("emergency_address_sid"),
        get("voice_url"),
        get("voice_method"),
        get("voice_fallback_url"),
        get("voice_fallback_method"),
        get("voice_application_sid"),
        get("sms_url"),
        get("sms_method"),
        get("sms_fallback_url"),
        get("sms_fallback_method"),
        get("sms_application_sid"),
        get("status_callback"),
        get("status_callback_method"),
        "verification_status" in item,
        get("address_sid"),
        get("bundle_sid"),
        get("identity_sid"),
        get("emergency_address_status"),
    )
    try:
        setup = _SETUPS.get(wire)
    except TypeError:  # an unhashable value (a list, an object) where a string belongs
        setup = _read_setup(wire)
    if setup is None:
        setup = _memo(_SETUPS, wire, _read_setup(wire))
    config: dict[str, Any] = {
        "friendly_name": friendly_name,
        "voice": setup.voice,
        "sms": setup.sms,
        "status_callback": setup.status_callback,
        "emergency_address_id": setup.emergency_address_id,
        "emergency_address": None,
        "compliance": setup.compliance,
        "extra": {},
    }
    created, updated = get("date_created"), get("date_updated")
    created_at = parse_date(_text(created, "date_created"))
    values = {
        "phone_number": _e164(get("phone_number")),
        "id": sid,
        "provider": provider,
        "account_id": setup.account_id,
        "number_type": setup.number_type,
        "friendly_name": friendly_name,
        "capabilities": _capabilities(get("capabilities")),
        "geography": setup.geography,
        "config": _construct(NumberConfig, config),
        "status": setup.status,
        "created_at": created_at,
        # Never updated, most numbers say their creation date again.
        "updated_at": created_at if updated == created else parse_date(_text(updated, "date_updated")),
        "expires_at": None,
        "provisioning": (),
        "emergency": setup.emergency,
        "compliance": setup.compliance,
        "raw": item,
    }
    return _construct(ActiveNumber, values)


def number(data: object, *, provider: str) -> ActiveNumber:
    """An owned number (an IncomingPhoneNumber object)."""
    return _number(_object(data, "number"), provider)


def number_page(data: object, *, provider: str) -> tuple[list[ActiveNumber], str | None]:
    """The numbers of one list page and the link to the next (None on the last page)."""
    page = _object(data, "list page")
    numbers = [
        _number(item if type(item) is dict else _object(item, "number"), provider)
        for item in _array(page, "incoming_phone_numbers")
    ]
    return numbers, _text(page.get("next_page_uri"), "next_page_uri")


_MONTHS = {
    name: index
    for index, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1
    )
}
_MONTH_DIGITS = {name: f"{index:02}" for name, index in _MONTHS.items()}
_ZONES = {"+0000": UTC, "-0000": UTC, "gmt": UTC, "ut": UTC, "utc": UTC, "z": UTC}
_OFFSET = re.compile(r"^([+-])(\d\d):?(\d\d)$")


def _zone(text: str) -> timezone | None:
    zone = _ZONES.get(text.lower())
    if zone is not None:
        return zone
    match = _OFFSET.match(text)
    if match is None:
        return None
    sign = -1 if match[1] == "-" else 1
    return timezone(sign * timedelta(hours=int(match[2]), minutes=int(match[3])))


@functools.lru_cache(maxsize=4096)
def parse_date(text: str | None) -> datetime | None:
    """An RFC 2822 date as the carriers write it, leniently; None if it cannot be read.

    Handles what :mod:`email.utils` refuses, such as SignalWire's
    ``"Tue, 25 Sept 2018 23:00:00 +0000"``, and ISO 8601 for good measure.
    A date without a zone is GMT, as the API documents all its dates.
    """
    if text is None:
        return None
    if len(text) in (29, 31) and text[25:] in (" +0000", " GMT") and text[3:5] == ", ":
        # The form the API documents, "Thu, 30 Jul 2015 23:19:04 +0000", and the Date header's
        # "... GMT", read by position (and parsed as ISO 8601, which is cheaper).
        month = _MONTH_DIGITS.get(text[8:11].lower())
        if month is not None and text[16] == " " and text[19] == text[22] == ":":
            try:
                return datetime.fromisoformat(f"{text[12:16]}-{month}-{text[5:7]}T{text[17:25]}+00:00")
            except ValueError:
                pass
    parts = text.replace(",", " ").split()
    if parts and parts[0][:3].lower() in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"):
        parts = parts[1:]
    if len(parts) in (4, 5):
        try:
            day, month, year, clock = parts[:4]
            hour, minute, *second = clock.split(":")
            zone = _zone(parts[4]) if len(parts) == 5 else UTC
            if zone is not None:
                return datetime(
                    int(year),
                    _MONTHS[month[:3].lower()],
                    int(day),
                    int(hour),
                    int(minute),
                    int(second[0]) if second else 0,
                    tzinfo=zone,
                )
        except (KeyError, ValueError):
            pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        try:
            when = datetime.fromisoformat(text.strip())
        except ValueError:
            return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _error_code(value: object) -> str | None:
    # An error code is an int in the spec and sometimes a string ("90000") on SignalWire.
    if type(value) is int:
        return str(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def error_details(body: object) -> tuple[str | None, str | None]:
    """(code, message) of an error body: ``{code, message, …}`` or ``{"errors": [...]}``."""
    if not isinstance(body, dict):
        return None, None
    errors = body.get("errors")
    entries = [entry for entry in errors if isinstance(entry, dict)] if isinstance(errors, list) else [body]
    codes = [code for code in (_error_code(entry.get("code")) for entry in entries) if code is not None]
    messages = [
        entry["message"].strip()
        for entry in entries
        if isinstance(entry.get("message"), str) and entry["message"].strip()
    ]
    return (codes[0] if codes else None), ("; ".join(messages) or None)


# -- writing ------------------------------------------------------------------------------------


def _checked(check: Callable[[Any], str], value: object, field: str) -> str:
    try:
        return check(value)
    except ValueError as exc:
        raise InvalidInputError(f"{field}: {exc}", field=field) from None


def longest_run(pattern: str) -> str:
    """The longest stretch of digits in a pattern with ``*`` wildcards."""
    return max(re.findall(r"[0-9]+", pattern), key=len, default="")


def _contains(query: SearchQuery, dialect: Dialect) -> tuple[str | None, bool]:
    """The Contains pattern for ``query`` and whether it says exactly what the query says.

    Twilio takes ``*`` only at a pattern's ends and anchors with ``+`` (start of
    the E.164 number) and ``$`` (end); SignalWire takes digits only. Where the
    query cannot be said exactly, a looser pattern is sent and the exact
    filter is applied to the results (``client_side_filters``).
    """
    geographic = query.country in dialect.geographic_countries
    prefix = query.starts_with or (None if geographic else query.area_code)
    if query.contains is not None:
        pattern = query.contains
        core = pattern.strip("*")
        if dialect.contains_wildcards and "*" not in core and len(core) >= 2:
            return pattern, True
        run = longest_run(pattern)
        return (run if len(run) >= 2 else None), False
    if prefix is not None:
        if dialect.contains_anchors:
            anchored = f"+{phonenumbers.country_code_for_region(query.country)}{prefix}"
            return anchored[:16], len(anchored) <= 16
        return (prefix[:16] if len(prefix) >= 2 else None), False
    if query.ends_with is not None:
        suffix = query.ends_with
        if dialect.contains_anchors and len(suffix) >= 2:
            return suffix[-15:] + "$", len(suffix) <= 15
        return (suffix[-16:] if len(suffix) >= 2 else None), False
    return None, True


def _search_value(value: object) -> str:
    if value is True:
        return "true"
    if isinstance(value, tuple):  # near_lat_long
        return ",".join(str(part) for part in value)
    return str(value)


# The search fields that become Contains: only one of them can be said exactly.
_PATTERNS = frozenset({"contains", "starts_with", "ends_with"})
_PATTERNS_OR_AREA_CODE = _PATTERNS | {"area_code"}


def search_request(query: SearchQuery, dialect: Dialect) -> tuple[str, dict[str, str]]:
    """(AvailablePhoneNumbers sub-resource, query parameters) for ``query``.

    Raises UnsupportedError, before anything is sent, for a combination the
    carrier cannot serve (geographic filters outside the US and Canada, a rate
    center without its LATA on Twilio, a locality without its region on
    SignalWire).
    """
    criteria = query.criteria()
    geographic = query.country in dialect.geographic_countries
    for field in sorted(criteria):
        if field in dialect.geographic_fields and not geographic:
            raise UnsupportedError(
                dialect.name,
                f"search.{field}",
                f"{dialect.name} searches by {field} only for numbers in "
                f"{' and '.join(sorted(dialect.geographic_countries))}",
            )
        needed = dialect.requires.get(field)
        if needed is not None and needed not in criteria:
            raise UnsupportedError(
                dialect.name,
                f"search.{field}",
                f"{dialect.name} searches by {field} only together with {needed}",
            )
    params = {
        dialect.search_params[field]: _search_value(value)
        for field, value in criteria.items()
        if field in dialect.search_params
    }
    if query.area_code is not None and geographic:
        params["AreaCode"] = query.area_code
    pattern, exact = _contains(query, dialect)
    if pattern is not None:
        params["Contains"] = pattern
    if dialect.contains_wildcards:  # Twilio: the one dialect that takes a page size here
        patterns = _PATTERNS if geographic else _PATTERNS_OR_AREA_CODE
        exact = exact and len(patterns & criteria.keys()) <= 1
        # A looser pattern is narrowed here afterwards, so ask for as many as the carrier gives.
        params["PageSize"] = str(query.limit if exact else 1000)
    return dialect.search_types[query.number_type], params


def _route_form(route: Route | None, kind: str, dialect: Dialect) -> dict[str, str]:
    prefix = kind.capitalize()
    if route is None:  # clearing the whole route: where calls or messages go, not how
        return {f"{prefix}Url": "", f"{prefix}FallbackUrl": "", f"{prefix}ApplicationSid": ""}
    given = route.model_fields_set
    form = {}
    if "url" in given:
        form[f"{prefix}Url"] = route.url or ""
    # A method cannot be empty on the wire: clearing one restores the carrier's default, POST.
    if "method" in given:
        form[f"{prefix}Method"] = route.method or "POST"
    if "fallback_url" in given:
        form[f"{prefix}FallbackUrl"] = route.fallback_url or ""
    if "fallback_method" in given:
        form[f"{prefix}FallbackMethod"] = route.fallback_method or "POST"
    if "application_id" in given:
        form[f"{prefix}ApplicationSid"] = (
            ""
            if route.application_id is None
            else _checked(dialect.application_id, route.application_id, f"config.{kind}.application_id")
        )
    return form


def config_form(config: NumberConfig | None, dialect: Dialect, *, purchase: bool) -> dict[str, str]:
    """The form fields that apply the fields set on ``config`` (a purchase's or an update's).

    A field set to None is cleared with an empty value, which is how the API
    removes a URL or a SID.
    """
    if config is None:
        return {}
    given = config.model_fields_set
    form: dict[str, str] = {}
    if "friendly_name" in given:
        name = config.friendly_name
        if name is None:
            raise UnsupportedError(
                dialect.name, "config.friendly_name", f"{dialect.name} cannot clear a friendly name; set one"
            )
        if len(name) > dialect.friendly_name_max:
            raise InvalidInputError(
                f"config.friendly_name: {dialect.name} takes at most {dialect.friendly_name_max} characters",
                field="config.friendly_name",
            )
        form["FriendlyName"] = name
    for kind in ("voice", "sms"):
        if kind in given:
            form.update(_route_form(getattr(config, kind), kind, dialect))
    if "status_callback" in given:
        callback = config.status_callback
        if callback is None:
            form["StatusCallback"] = ""
        else:
            if "url" in callback.model_fields_set:
                form["StatusCallback"] = callback.url or ""
            if "method" in callback.model_fields_set:
                form["StatusCallbackMethod"] = callback.method or "POST"
    if "emergency_address_id" in given:
        if purchase and not dialect.purchase_emergency_address:
            raise UnsupportedError(
                dialect.name,
                "config.emergency_address",
                f"{dialect.name} cannot set an emergency address while buying; configure() it afterwards",
            )
        address = config.emergency_address_id
        form["EmergencyAddressSid"] = (
            "" if address is None else _checked(dialect.address_id, address, "config.emergency_address_id")
        )
    if "compliance" in given:
        form.update(compliance_form(config.compliance, dialect, field="config.compliance"))
    allowed = dialect.purchase_extra if purchase else dialect.update_extra
    for key, value in config.extra.items():
        check = allowed.get(key)
        retired = dialect.retired_extra.get(key)
        if retired is not None:
            raise InvalidInputError(f"config.extra: {key!r} {retired}", field=f"config.extra.{key}")
        if check is None:
            raise InvalidInputError(
                f"config.extra: {key!r} is not a {dialect.name} setting here "
                f"(accepted: {', '.join(sorted(allowed)) or 'none'})",
                field=f"config.extra.{key}",
            )
        form[key] = _checked(check, value, f"config.extra.{key}")
    return form


def compliance_form(compliance: NumberCompliance | None, dialect: Dialect, *, field: str) -> dict[str, str]:
    """The form fields of the references set on ``compliance`` (None clears all of them).

    ``field`` names the argument in errors: ``config.compliance`` or a transfer's ``compliance``.
    """
    if not dialect.compliance_fields:
        raise UnsupportedError(dialect.name, "config.compliance")
    if compliance is None:
        return {wire: "" for wire, _ in dialect.compliance_fields.values()}
    form = {}
    for name in sorted(compliance.model_fields_set):
        wire, check = dialect.compliance_fields[name]
        value = getattr(compliance, name)
        form[wire] = "" if value is None else _checked(check, value, f"{field}.{name}")
    return form
