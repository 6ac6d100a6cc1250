"""The 2010-04-01 wire format: search parameters and form fields out, models in.

Parsing is the hot path (a list page holds up to 1,000 numbers), so it reads
each field once, checks its type by hand and builds the models without
running pydantic's validators over values already checked here (see
:func:`_construct`). Anything of the wrong type raises :class:`Malformed`,
which the provider turns into a ``ProtocolError``.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any, Literal, TypeVar

import phonenumbers
from numbers_core import (
    ActiveNumber,
    AddressRequirement,
    AvailableNumber,
    Callback,
    Capabilities,
    Geography,
    NumberConfig,
    NumberStatus,
    NumberType,
    Route,
    SearchQuery,
)
from numbers_core.adapter import carrier_e164
from numbers_core.errors import InvalidInputError, UnsupportedError
from pydantic import BaseModel

from ._dialect import Dialect

__all__ = [
    "Malformed",
    "available_numbers",
    "config_form",
    "error_details",
    "longest_run",
    "number",
    "number_page",
    "parse_date",
    "search_request",
]


class Malformed(ValueError):
    """A response that does not have the shape of the 2010-04-01 format."""


M = TypeVar("M", bound=BaseModel)
_set_attribute = object.__setattr__


def _construct(model: type[M], values: dict[str, Any]) -> M:
    """A model from values of the right types, every field given.

    What ``model_construct`` does, minus its per-field default handling (which
    deep-copies default sub-models): a tenth of its cost, and a list page
    builds six models per number. The tests compare the result with
    ``model_validate`` of the same data.
    """
    instance = model.__new__(model)
    _set_attribute(instance, "__dict__", values)
    _set_attribute(instance, "__pydantic_fields_set__", set(values))
    _set_attribute(instance, "__pydantic_extra__", None)
    _set_attribute(instance, "__pydantic_private__", None)
    return instance


# -- reading ------------------------------------------------------------------------------------


def _kind(value: object) -> str:
    return "null" if value is None else type(value).__name__


def _object(value: object, what: str) -> dict[str, Any]:
    if type(value) is not dict:
        raise Malformed(f"{what}: expected an object, got {_kind(value)}")
    return value


def _array(data: dict[str, Any], key: str) -> list[Any]:
    value = data.get(key)
    if type(value) is not list:
        raise Malformed(f"{key}: expected an array, got {_kind(value)}")
    return value


def _text(item: dict[str, Any], key: str) -> str | None:
    # Twilio sends "" and null for the same absence, even within one object.
    value = item.get(key)
    if value is None:
        return None
    if type(value) is not str:
        raise Malformed(f"{key}: expected a string, got {_kind(value)}")
    return value if value and not value.isspace() else None


def _code(item: dict[str, Any], key: str) -> str | None:
    # Codes such as a LATA come as "834" or, now and then, as a number.
    value = item.get(key)
    if type(value) is int:
        return str(value)
    return _text(item, key)


def _flag(value: object, what: str) -> bool | None:
    if value is None:
        return None
    if type(value) is bool:
        return bool(value)
    if value in ("true", "false"):
        return value == "true"
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


def _e164(item: dict[str, Any]) -> str:
    value = item.get("phone_number")
    if type(value) is not str:
        raise Malformed(f"phone_number: expected a string, got {_kind(value)}")
    try:
        return carrier_e164(value)
    except ValueError as exc:
        raise Malformed(f"phone_number: {exc}") from None


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
    if value is None:
        return _capability_set(None, None, None, None)
    flags = _object(value, "capabilities")
    try:
        return _capabilities_of(tuple(flags.items()))
    except TypeError:  # an unhashable flag (a list, an object): not a flag at all
        return _read_capabilities(flags.items())


@functools.lru_cache(maxsize=256)
def _capabilities_of(flags: tuple[tuple[str, object], ...]) -> Capabilities:
    # A page repeats a handful of capability objects: read each once.
    return _read_capabilities(flags)


def _read_capabilities(flags: Iterable[tuple[str, object]]) -> Capabilities:
    found: dict[str, bool | None] = {}
    # Search results say "SMS"/"MMS", owned numbers "sms"/"mms": read keys case-insensitively.
    for key, flag in flags:
        name = key.lower()
        if name in ("voice", "sms", "mms", "fax"):
            found[name] = _flag(flag, f"capabilities.{key}")
    return _capability_set(found.get("voice"), found.get("sms"), found.get("mms"), found.get("fax"))


def _method(item: dict[str, Any], key: str) -> Literal["GET", "POST"] | None:
    value = _text(item, key)
    if value is None:
        return None
    upper = value.upper()
    if upper == "GET":
        return "GET"
    return "POST" if upper == "POST" else None


def _country(item: dict[str, Any], key: str) -> str | None:
    value = _text(item, key)
    if value is None:
        return None
    upper = value.strip().upper()
    return upper if len(upper) == 2 and upper.isascii() and upper.isalpha() else None


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


def _number_type(item: dict[str, Any]) -> NumberType:
    stated = _text(item, "type")
    if stated is not None:
        known = _TYPES.get(stated)
        return (
            known
            if known is not None
            else _TYPES.get(re.sub(r"[-_ ]", "", stated.lower()), NumberType.UNKNOWN)
        )
    # SignalWire states no type, but gives toll-free numbers (only) a verification status.
    if "verification_status" in item:
        return NumberType.TOLL_FREE
    return NumberType.UNKNOWN


def available_numbers(data: object, *, provider: str, number_type: NumberType) -> list[AvailableNumber]:
    """The numbers of a search answer (``{"available_phone_numbers": [...]}``)."""
    found = []
    for entry in _array(_object(data, "search answer"), "available_phone_numbers"):
        item = _object(entry, "available_phone_numbers[]")
        requirement = _text(item, "address_requirements")
        geography = {
            "iso_country": _country(item, "iso_country"),
            "region": _text(item, "region"),
            "locality": _text(item, "locality"),
            "postal_code": _code(item, "postal_code"),
            "rate_center": _text(item, "rate_center"),
            "lata": _code(item, "lata"),
            "latitude": _coordinate(item.get("latitude"), 90, "latitude"),
            "longitude": _coordinate(item.get("longitude"), 180, "longitude"),
        }
        values = {
            "phone_number": _e164(item),
            "provider": provider,
            "number_type": number_type,
            "friendly_name": _text(item, "friendly_name"),
            "capabilities": _capabilities(item.get("capabilities")),
            "geography": _construct(Geography, geography),
            "setup_price": None,
            "monthly_price": None,
            "address_requirement": _ADDRESS.get(requirement) if requirement is not None else None,
            "beta": _flag(item.get("beta"), "beta"),
            "raw": item,
        }
        found.append(_construct(AvailableNumber, values))
    return found


_ROUTE_KEYS = {
    kind: tuple(
        f"{kind}_{part}" for part in ("url", "method", "fallback_url", "fallback_method", "application_sid")
    )
    for kind in ("voice", "sms")
}


def _route_of(item: dict[str, Any], kind: str) -> Route:
    wire = tuple(map(item.get, _ROUTE_KEYS[kind]))
    try:
        return _route(kind, wire)
    except TypeError:  # an unhashable value (a list, an object) where a string belongs
        return _read_route(kind, wire)


@functools.lru_cache(maxsize=1024)
def _route(kind: str, wire: tuple[object, ...]) -> Route:
    # Most numbers of an account share their webhooks: they share the immutable Route too.
    return _read_route(kind, wire)


def _read_route(kind: str, wire: tuple[object, ...]) -> Route:
    fields = dict(zip(_ROUTE_KEYS[kind], wire, strict=True))
    values = {
        "url": _text(fields, f"{kind}_url"),
        "method": _method(fields, f"{kind}_method"),
        "fallback_url": _text(fields, f"{kind}_fallback_url"),
        "fallback_method": _method(fields, f"{kind}_fallback_method"),
        "application_id": _text(fields, f"{kind}_application_sid"),
    }
    return _construct(Route, values)


@functools.lru_cache(maxsize=256)
def _callback(url: str | None, method: str | None) -> Callback:
    return _construct(Callback, {"url": url, "method": method})


@functools.lru_cache(maxsize=256)
def _geography(iso_country: str | None) -> Geography:
    values: dict[str, Any] = dict.fromkeys(Geography.model_fields)
    values["iso_country"] = iso_country
    return _construct(Geography, values)


def number(data: object, *, provider: str) -> ActiveNumber:
    """An owned number (an IncomingPhoneNumber object)."""
    item = _object(data, "number")
    sid = _text(item, "sid")
    if sid is None:
        raise Malformed("sid: missing")
    friendly_name = _text(item, "friendly_name")
    config: dict[str, Any] = {
        "friendly_name": friendly_name,
        "voice": _route_of(item, "voice"),
        "sms": _route_of(item, "sms"),
        "status_callback": _callback(_text(item, "status_callback"), _method(item, "status_callback_method")),
        "emergency_address_id": _text(item, "emergency_address_sid"),
        "extra": {},
    }
    values = {
        "phone_number": _e164(item),
        "id": sid,
        "provider": provider,
        "account_id": _text(item, "account_sid"),
        "number_type": _number_type(item),
        "friendly_name": friendly_name,
        "capabilities": _capabilities(item.get("capabilities")),
        "geography": _geography(_country(item, "country_code")),  # SignalWire says the country
        "config": _construct(NumberConfig, config),
        "status": _STATUS.get(_text(item, "status") or "", NumberStatus.UNKNOWN),
        "created_at": parse_date(_text(item, "date_created")),
        "updated_at": parse_date(_text(item, "date_updated")),
        "raw": item,
    }
    return _construct(ActiveNumber, values)


def number_page(data: object, *, provider: str) -> tuple[list[ActiveNumber], str | None]:
    """The numbers of one list page and the link to the next (None on the last page)."""
    page = _object(data, "list page")
    numbers = [number(item, provider=provider) for item in _array(page, "incoming_phone_numbers")]
    return numbers, _text(page, "next_page_uri")


_MONTHS = {
    name: index
    for index, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1
    )
}
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
    if len(text) == 31 and text[25:] == " +0000" and text[3:5] == ", ":
        # The form the API documents, "Thu, 30 Jul 2015 23:19:04 +0000", read by position.
        number = _MONTHS.get(text[8:11].lower())
        if number is not None and text[16] == " " and text[19] == text[22] == ":":
            try:
                return datetime(
                    int(text[12:16]),
                    number,
                    int(text[5:7]),
                    int(text[17:19]),
                    int(text[20:22]),
                    int(text[23:25]),
                    tzinfo=UTC,
                )
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
        wire: _search_value(criteria[field])
        for field, wire in dialect.search_params.items()
        if field in criteria
    }
    if query.area_code is not None and geographic:
        params["AreaCode"] = query.area_code
    pattern, exact = _contains(query, dialect)
    if pattern is not None:
        params["Contains"] = pattern
    if dialect.contains_wildcards:  # Twilio: the one dialect that takes a page size here
        patterns = {"contains", "starts_with", "ends_with"} | (set() if geographic else {"area_code"})
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
    allowed = dialect.purchase_extra if purchase else dialect.update_extra
    for key, value in config.extra.items():
        check = allowed.get(key)
        if check is None:
            raise InvalidInputError(
                f"config.extra: {key!r} is not a {dialect.name} setting here "
                f"(accepted: {', '.join(sorted(allowed)) or 'none'})",
                field=f"config.extra.{key}",
            )
        form[key] = _checked(check, value, f"config.extra.{key}")
    return form
