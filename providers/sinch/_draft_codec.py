"""The seed document's draft of Numbers API v1: its bodies read into neutral models, and written.

The draft is Twilio-shaped: snake_case numbers and configuration beside
camelCase identity fields (``friendlyName``, ``accountSid``,
``statusCallback``), capability objects with in/outbound flags, prices as
strings without a currency, ``meta`` paging. The neutral models' names come
from this document, so most fields map one to one. Reading checks every
field it uses and raises :class:`Malformed`; only descriptive geography the
document shows as free text (coordinates, the country) is left unset when it
cannot be read, rather than failing a whole page.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

import phonenumbers
from numbers_core import (
    ActiveNumber,
    AvailableNumber,
    Callback,
    Capabilities,
    Geography,
    MmsCapabilities,
    Money,
    NumberConfig,
    NumberStatus,
    NumberType,
    Route,
    SearchQuery,
    SmsCapabilities,
    VoiceCapabilities,
)
from numbers_core.adapter import Malformed
from pydantic import BaseModel, ValidationError

from ._codec import BadConfig
from ._reading import e164, obj, optional_object, records, text

__all__ = [
    "FRIENDLY_NAME_MAX",
    "TYPES",
    "active_number",
    "active_page",
    "available_page",
    "configuration",
    "error_details",
    "search_params",
    "update_body",
]

#: the neutral number types the draft names, and its names for them
TYPES = {NumberType.LOCAL: "local", NumberType.MOBILE: "mobile", NumberType.TOLL_FREE: "tollfree"}
# Free text on the wire ("local, mobile, tollfree, shortcode, etc."): spellings seen in the wild.
_NEUTRAL_TYPES = {
    **{wire: neutral for neutral, wire in TYPES.items()},
    "toll-free": NumberType.TOLL_FREE,
    "toll_free": NumberType.TOLL_FREE,
}
#: the document's limit on ``friendlyName``
FRIENDLY_NAME_MAX = 64
_ADDRESS = ("none", "any", "local", "foreign")
_BETA = {"developer-preview": True, "beta": True, "generally-available": False, "exhausted": False}
_GEOGRAPHY = ("region", "locality", "postal_code", "rate_center", "lata")
# A search asks for capabilities by their inbound flag: what a provisioned number is for.
_CAPABILITY_QUERY = {"voice": "Voice", "sms": "SMS", "mms": "MMS"}


M = TypeVar("M", bound=BaseModel)


# -- reading -----------------------------------------------------------------------------------


def _details(model: type[M], value: object, what: str) -> M | None:
    if value is None:
        return None
    stated = obj(value, what)
    try:
        return model.model_validate({k: stated[k] for k in model.model_fields if k in stated}, strict=True)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        raise Malformed(f"{what}.{error['loc'][0]}: {error['msg']}") from None


def _capabilities(value: object) -> Capabilities:
    stated = optional_object(value, "capabilities")
    voice = _details(VoiceCapabilities, stated.get("voice"), "capabilities.voice")
    sms = _details(SmsCapabilities, stated.get("sms"), "capabilities.sms")
    mms = _details(MmsCapabilities, stated.get("mms"), "capabilities.mms")
    return Capabilities(
        voice=voice.inbound_connectivity if voice else None,
        sms=sms.inbound_connectivity if sms else None,
        mms=mms.inbound_connectivity if mms else None,
        voice_details=voice,
        sms_details=sms,
        mms_details=mms,
    )


def _coordinate(value: str | None, limit: float) -> float | None:
    try:
        number = float(value) if value is not None else None
    except ValueError:
        return None
    return number if number is not None and -limit <= number <= limit else None


def _geography(value: object) -> Geography:
    place = optional_object(value, "geography")
    fields = {key: text(place.get(key), f"geography.{key}") for key in _GEOGRAPHY}
    country = text(place.get("iso_country"), "geography.iso_country")
    return Geography(
        iso_country=country if country and len(country) == 2 and country.isalpha() else None,
        latitude=_coordinate(text(place.get("latitude"), "geography.latitude"), 90),
        longitude=_coordinate(text(place.get("longitude"), "geography.longitude"), 180),
        **fields,
    )


def _type(value: object) -> NumberType:
    stated = text(value, "type")
    return NumberType.UNKNOWN if stated is None else _NEUTRAL_TYPES.get(stated.lower(), NumberType.UNKNOWN)


def _price(value: object, what: str, currency: str | None) -> Money | None:
    amount = text(value, what)
    if amount is None or currency is None:
        return None
    try:
        return Money(amount=Decimal(amount), currency=currency)
    except (InvalidOperation, ValidationError):
        raise Malformed(f"{what}: {amount[:20]!r} is not an amount") from None


def _offer(doc: dict[str, Any], *, provider: str, currency: str | None) -> AvailableNumber:
    regulatory = optional_object(doc.get("regulatory"), "regulatory")
    address = text(regulatory.get("address_requirements"), "regulatory.address_requirements")
    lifecycle = text(doc.get("lifecycle"), "lifecycle")
    return AvailableNumber(
        phone_number=e164(doc.get("phone_number"), "phone_number"),
        provider=provider,
        number_type=_type(doc.get("type")),
        capabilities=_capabilities(doc.get("capabilities")),
        geography=_geography(doc.get("geography")),
        setup_price=_price(doc.get("base_setup_price"), "base_setup_price", currency),
        monthly_price=_price(doc.get("base_recurring_price"), "base_recurring_price", currency),
        address_requirement=address if address in _ADDRESS else None,
        beta=_BETA.get(lifecycle.lower()) if lifecycle else None,
        raw=doc,
    )


def _next(meta: object) -> str | None:
    return text(optional_object(meta, "meta").get("next_page_url"), "meta.next_page_url")


def available_page(
    body: object, *, provider: str, currency: str | None
) -> tuple[list[AvailableNumber], str | None]:
    """A search answer (AvailableNumbersResponse): its numbers and the next page's URL."""
    page = obj(body, "search")
    numbers = [
        _offer(doc, provider=provider, currency=currency) for doc in records(page.get("items"), "items")
    ]
    return numbers, _next(page.get("meta"))


def _route(value: object, what: str, *, fallback: bool) -> Route | None:
    stated = optional_object(value, what)
    keys = ("url", "method", *(("fallback_url", "fallback_method") if fallback else ()), "application_sid")
    fields = {key: text(stated.get(key), f"{what}.{key}") for key in keys}
    if not any(fields.values()):
        return None
    fields["application_id"] = fields.pop("application_sid")
    try:
        return Route(**fields)
    except ValidationError as exc:
        raise Malformed(f"{what}: {exc.errors(include_url=False)[0]['msg']}") from None


def _config(doc: dict[str, Any]) -> NumberConfig:
    setup = optional_object(doc.get("configuration"), "configuration")
    # The draft has the status callback twice (configuration.status_callback_url and
    # statusCallback); the configuration's wins, as it is what a purchase sets.
    url = text(setup.get("status_callback_url"), "configuration.status_callback_url") or text(
        doc.get("statusCallback"), "statusCallback"
    )
    method = text(setup.get("status_callback_method"), "configuration.status_callback_method") or text(
        doc.get("statusCallbackMethod"), "statusCallbackMethod"
    )
    try:
        return NumberConfig(
            friendly_name=text(doc.get("friendlyName"), "friendlyName"),
            voice=_route(setup.get("voice"), "configuration.voice", fallback=True),
            sms=_route(setup.get("sms"), "configuration.sms", fallback=False),
            status_callback=Callback(url=url, method=method) if url or method else None,
        )
    except ValidationError as exc:
        raise Malformed(f"configuration: {exc.errors(include_url=False)[0]['msg']}") from None


def active_number(body: object, *, provider: str, currency: str | None) -> ActiveNumber:
    """An owned number (ActiveNumber: buy, get, configure)."""
    doc = obj(body, "number")
    offer = _offer(doc, provider=provider, currency=currency)
    return ActiveNumber(
        phone_number=offer.phone_number,
        # The draft addresses a number by its E.164 form (``PN{phoneNumber}``).
        id=offer.phone_number,
        provider=provider,
        account_id=text(doc.get("accountSid"), "accountSid"),
        number_type=offer.number_type,
        friendly_name=text(doc.get("friendlyName"), "friendlyName"),
        capabilities=offer.capabilities,
        geography=offer.geography,
        config=_config(doc),
        # The draft has no status: a number the account lists is in service.
        status=NumberStatus.ACTIVE,
        raw=doc,
    )


def active_page(
    body: object, *, provider: str, currency: str | None
) -> tuple[list[ActiveNumber], str | None]:
    """A list answer (ActiveNumbersResponse): its numbers and the next page's URL."""
    page = obj(body, "list page")
    numbers = [
        active_number(doc, provider=provider, currency=currency)
        for doc in records(page.get("items"), "items")
    ]
    return numbers, _next(page.get("meta"))


def error_details(body: object) -> tuple[str | None, str | None]:
    """(code, message) of an error: the draft cites Twilio's codes, so ``{code, message, …}``."""
    if type(body) is not dict:
        return None, None
    code, message = body.get("code"), body.get("message")
    code = str(code) if type(code) is int or (type(code) is str and code.isdigit()) else None
    if type(message) is not str or not message.strip():
        return code, None
    return code, message.strip()[:500]


# -- writing -----------------------------------------------------------------------------------


def search_params(query: SearchQuery) -> dict[str, str]:
    """The query of ``GET /api/AvailableNumbers``; number patterns are checked on the results too.

    Leading digits (area code, starts with) go as ``phone_number``, with the
    calling code: the document's example value for it is ``"+1"``, a prefix.
    """
    params = {"geography.iso_country": query.country, "type": TYPES[query.number_type]}
    leads = [lead for lead in (query.area_code, query.starts_with) if lead]
    if leads:
        params["phone_number"] = (
            f"+{phonenumbers.country_code_for_region(query.country)}{max(leads, key=len)}"
        )
    for field in _GEOGRAPHY:
        value = getattr(query, field)
        if value:
            params[f"geography.{field}"] = value
    for field, wire in _CAPABILITY_QUERY.items():
        if getattr(query, field):
            params[f"capabilities.{wire}.inbound_connectivity"] = "true"
    if query.exclude_address_required:
        params["regulatory.address_requirements"] = "none"
    return params


def _route_body(route: Route | None, *, fallback: bool) -> dict[str, Any]:
    keys = {"url": "url", "method": "method", "application_id": "application_sid"}
    if fallback:
        keys |= {"fallback_url": "fallback_url", "fallback_method": "fallback_method"}
    if route is None:  # clearing the whole route: where calls or messages go, not how
        return {wire: None for field, wire in keys.items() if "method" not in field}
    return {wire: getattr(route, field) for field, wire in keys.items() if field in route.model_fields_set}


def configuration(config: NumberConfig | None) -> dict[str, Any]:
    """The Configuration object for the fields set on ``config`` (None clears with null)."""
    if config is None:
        return {}
    given = config.model_fields_set
    body: dict[str, Any] = {}
    if "status_callback" in given:
        callback = config.status_callback
        body["status_callback_url"] = str(callback.url) if callback and callback.url else None
        if callback is None or "method" in callback.model_fields_set:
            body["status_callback_method"] = callback.method if callback else None
    if "voice" in given:
        body["voice"] = _route_body(config.voice, fallback=True)
    if "sms" in given:
        if config.sms is not None and {"fallback_url", "fallback_method"} & config.sms.model_fields_set:
            raise BadConfig("sms: the draft has no fallback for messages", "sms")
        body["sms"] = _route_body(config.sms, fallback=False)
    return body


def update_body(config: NumberConfig) -> dict[str, Any]:
    """The ActiveNumber body of a configure: identity fields and the configuration set on ``config``."""
    body: dict[str, Any] = {}
    if "friendly_name" in config.model_fields_set:
        name = config.friendly_name
        if name is not None and len(name) > FRIENDLY_NAME_MAX:
            raise BadConfig(
                f"friendly_name: the draft takes at most {FRIENDLY_NAME_MAX} characters", "friendly_name"
            )
        body["friendlyName"] = name
    setup = configuration(config)
    if setup:
        body["configuration"] = setup
    if "status_callback_url" in setup:
        # Said twice, as the document has it twice: a server may read either.
        body["statusCallback"] = setup["status_callback_url"]
        if "status_callback_method" in setup:
            body["statusCallbackMethod"] = setup["status_callback_method"]
    return body
