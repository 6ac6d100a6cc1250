"""Vonage's Numbers API: its answers read into neutral models, and its forms written from them.

Reading checks every field it uses and raises :class:`Malformed` rather than
trusting an answer; every field of Vonage's objects is optional (its own
fixtures hold ``"features": null`` and ``{}`` items). Numbers travel as E.164
digits without the ``+``.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from numbers_core import (
    ActiveNumber,
    AvailableNumber,
    Capabilities,
    Geography,
    Money,
    NumberConfig,
    NumberStatus,
    NumberType,
    Route,
    SearchQuery,
)
from numbers_core.adapter import (
    Malformed,
    carrier_e164,
    extra_settings,
    one_pattern,
    shared_application,
)
from numbers_core.adapter import json_kind as _kind
from numbers_core.adapter import json_object as _object
from numbers_core.adapter import json_text as _text
from pydantic import ValidationError

__all__ = [
    "EXTRA_KEY",
    "TYPES",
    "BadConfig",
    "active_number",
    "available_page",
    "failure",
    "features_value",
    "number_pattern",
    "owned_items",
    "settled",
    "update_form",
    "write_outcome",
]

#: the key of ``NumberConfig.extra`` that holds Vonage's own settings
EXTRA_KEY = "vonage"
#: the neutral number types Vonage sells, and its names for them
TYPES = {
    NumberType.LOCAL: "landline",
    NumberType.MOBILE: "mobile-lvn",
    NumberType.TOLL_FREE: "landline-toll-free",
}
_NEUTRAL_TYPES = {wire: neutral for neutral, wire in TYPES.items()}
# The seven spellings of ``features`` the API takes, by the set they ask for: another order of the
# same names is refused.
_FEATURES = {
    frozenset(spelling.split(",")): spelling
    for spelling in ("SMS", "VOICE", "MMS", "SMS,VOICE", "SMS,MMS", "VOICE,MMS", "SMS,MMS,VOICE")
}
#: the settings of ``extra["vonage"]``: what an owned number shows, so that an update can send it back
EXTRA_SETTINGS = ("voiceCallbackType", "voiceCallbackValue", "moHttpUrl")
_CALLBACK_TYPES = ("sip", "tel", "app")
# Prices are "in Euros", whatever the account's currency (the API documents it so).
_CURRENCY = "EUR"


def _items(body: object, what: str) -> tuple[list[dict[str, Any]], int]:
    """The ``numbers`` of a page and its ``count`` (``{}`` for none, as Vonage answers an empty page)."""
    page = _object(body, what)
    count = page.get("count", 0)
    if type(count) is not int or count < 0:
        raise Malformed(f"{what}.count: expected a whole number, got {_kind(count)}")
    numbers = page.get("numbers")
    if numbers is None:
        return [], count
    if type(numbers) is not list:
        raise Malformed(f"{what}.numbers: expected a list, got {_kind(numbers)}")
    return [_object(item, f"{what}.numbers[{i}]") for i, item in enumerate(numbers)], count


def _e164(value: object, what: str) -> str:
    if type(value) is not str or not value.isdigit():
        shown = repr(value)[:40] if isinstance(value, str) else _kind(value)
        raise Malformed(f"{what}: {shown} is not a number's digits")
    try:
        return carrier_e164("+" + value)
    except ValueError:
        raise Malformed(f"{what}: {value[:20]!r} is not a phone number") from None


def _money(value: object, what: str) -> Money | None:
    amount = _text(value, what)
    if amount is None:
        return None
    try:
        return Money(amount=Decimal(amount), currency=_CURRENCY)
    except (InvalidOperation, ValidationError):
        raise Malformed(f"{what}: {amount[:20]!r} is not an amount") from None


def _capabilities(value: object, what: str) -> Capabilities:
    if value is None:
        return Capabilities()  # Vonage did not say
    if type(value) is not list or not all(type(item) is str for item in value):
        raise Malformed(f"{what}: expected a list of strings")
    said = {item.upper() for item in value}
    # Vonage knows voice, SMS and MMS: fax stays unknown.
    return Capabilities(voice="VOICE" in said, sms="SMS" in said, mms="MMS" in said)


def _geography(value: object, what: str) -> Geography:
    country = _text(value, what)
    if country is not None and not (len(country) == 2 and country.isalpha()):
        raise Malformed(f"{what}: {country[:10]!r} is not a country code")
    return Geography(iso_country=country.upper() if country else None)


def _type(value: object, what: str, fallback: NumberType = NumberType.UNKNOWN) -> NumberType:
    stated = _text(value, what)
    return fallback if stated is None else _NEUTRAL_TYPES.get(stated, NumberType.UNKNOWN)


# -- search ------------------------------------------------------------------------------------


def features_value(query: SearchQuery) -> str | None:
    """The ``features`` a search asks for (the API's own spelling of the set), or None."""
    wanted = frozenset(
        name for name, field in (("SMS", "sms"), ("VOICE", "voice"), ("MMS", "mms")) if getattr(query, field)
    )
    return _FEATURES.get(wanted)


# Where a search's one pattern lies, as Vonage's search_pattern says it.
_SEARCH_PATTERN = {"start": "0", "contains": "1", "end": "2"}


def number_pattern(query: SearchQuery) -> tuple[str, str] | None:
    """The one ``pattern`` a search sends, with its ``search_pattern``: or None.

    Leading digits are the number's E.164 digits, calling code included (area code 415 →
    ``1415``)."""
    sent = one_pattern(query)
    return None if sent is None else (sent.digits, _SEARCH_PATTERN[sent.where])


def available_page(
    body: object, *, provider: str, number_type: NumberType
) -> tuple[list[AvailableNumber], int]:
    """The numbers of a search answer, and how many match in all (``count``)."""
    items, count = _items(body, "search")
    found = []
    for index, item in enumerate(items):
        what = f"numbers[{index}]"
        found.append(
            AvailableNumber(
                phone_number=_e164(item.get("msisdn"), f"{what}.msisdn"),
                provider=provider,
                number_type=_type(item.get("type"), f"{what}.type", number_type),
                capabilities=_capabilities(item.get("features"), f"{what}.features"),
                geography=_geography(item.get("country"), f"{what}.country"),
                setup_price=_money(item.get("initialPrice"), f"{what}.initialPrice"),
                monthly_price=_money(item.get("cost"), f"{what}.cost"),
                raw=item,
            )
        )
    return found, count


# -- owned numbers -----------------------------------------------------------------------------


def owned_items(body: object) -> tuple[list[dict[str, Any]], int]:
    """The owned numbers of a listing page (as Vonage gives them) and how many there are in all."""
    return _items(body, "numbers")


def _application(item: dict[str, Any]) -> str | None:
    # ``app_id`` came with 1.1.0; older numbers name their Application in messagesCallbackValue only.
    app = _text(item.get("app_id"), "app_id")
    if app is None and _text(item.get("messagesCallbackType"), "messagesCallbackType") == "app":
        app = _text(item.get("messagesCallbackValue"), "messagesCallbackValue")
    return app


def _extra(item: dict[str, Any]) -> dict[str, str]:
    settings = {key: _text(item.get(key), key) for key in EXTRA_SETTINGS}
    if settings["voiceCallbackType"] == "app":
        # The deprecated way of linking the Application: ``app_id`` says it now.
        settings["voiceCallbackType"] = settings["voiceCallbackValue"] = None
    return {key: value for key, value in settings.items() if value is not None}


def active_number(item: dict[str, Any], *, provider: str) -> ActiveNumber:
    """An owned number as ``/account/numbers`` lists it."""
    number = _e164(item.get("msisdn"), "msisdn")
    app = _application(item)
    extra = _extra(item)
    try:
        config = NumberConfig(
            voice=Route(application_id=app) if app else None,
            sms=Route(application_id=app) if app else None,
            extra={EXTRA_KEY: extra} if extra else {},
        )
    except ValidationError as exc:
        raise Malformed(f"configuration: {exc.errors(include_url=False)[0]['msg']}") from None
    return ActiveNumber(
        phone_number=number,
        id=number[1:],
        provider=provider,
        number_type=_type(item.get("type"), "type"),
        capabilities=_capabilities(item.get("features"), "features"),
        geography=_geography(item.get("country"), "country"),
        config=config,
        # Vonage has no state of provisioning: a listed number is the account's, in service.
        status=NumberStatus.ACTIVE,
        raw=item,
    )


# -- answers to writes and errors --------------------------------------------------------------


def failure(body: object) -> tuple[str | None, str | None]:
    """Vonage's ``error-code`` and a readable message, from whichever error shape it answered.

    The Numbers API's ``{"error-code", "error-code-label"}``; the Subaccounts API's RFC 7807
    ``{type, title, detail}``; a form refused field by field (``{"country": "Is required."}``).
    """
    if type(body) is not dict:
        return None, None
    code, label = body.get("error-code"), body.get("error-code-label")
    if type(code) is str or type(label) is str:
        return (code if type(code) is str else None), (label[:500] if type(label) is str else None)
    title, detail = body.get("title"), body.get("detail")
    if type(title) is str or type(detail) is str:
        said = ": ".join(part for part in (title, detail) if type(part) is str and part)
        return None, said[:500] or None
    fields = [f"{key}: {value}" for key, value in body.items() if type(value) is str]
    return None, "; ".join(fields)[:500] or None


def write_outcome(body: object) -> tuple[str, str | None] | None:
    """None when a buy, cancel or update answer says success (``error-code`` ``"200"``); otherwise
    the code and label it refuses with (Vonage may put a refusal in an HTTP 200)."""
    answer = _object(body, "answer")
    code = answer.get("error-code")
    if type(code) is not str:
        raise Malformed(f"error-code: expected a string, got {_kind(code)}")
    if code == "200":
        return None
    label = answer.get("error-code-label")
    return code, label[:500] if type(label) is str else None


# -- writing -----------------------------------------------------------------------------------


class BadConfig(ValueError):
    """A NumberConfig Vonage cannot take; the message says why."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def _extra_settings(config: NumberConfig) -> dict[str, Any] | None:
    if "extra" not in config.model_fields_set or not config.extra:
        return None
    settings = extra_settings(config, EXTRA_KEY, "Vonage", EXTRA_SETTINGS, BadConfig)
    for key, value in settings.items():
        if value is not None and not isinstance(value, str):
            raise BadConfig(f"extra.{EXTRA_KEY}.{key}: expected a string or None", "extra")
    kind = settings.get("voiceCallbackType")
    if kind is not None and kind not in _CALLBACK_TYPES[:2]:
        raise BadConfig(
            f"extra.{EXTRA_KEY}.voiceCallbackType: expected 'sip' or 'tel' (link an Application with "
            "voice.application_id)",
            "extra",
        )
    if ("voiceCallbackType" in settings) != ("voiceCallbackValue" in settings):
        raise BadConfig(f"extra.{EXTRA_KEY}: voiceCallbackType and voiceCallbackValue go together", "extra")
    return settings


def update_form(
    current: dict[str, Any], country: str, config: NumberConfig, *, provider: str
) -> dict[str, str]:
    """The whole form of ``/number/update`` for ``current`` (as listed) with ``config`` over it.

    Vonage replaces a number's configuration with what the form holds: what
    ``config`` does not change is sent again as the number has it. A setting
    cleared is sent empty, as the API documents for ``moHttpUrl``.
    """
    form = {"country": country, "msisdn": _text(current.get("msisdn"), "msisdn") or ""}
    changes, app = shared_application(config, provider=provider)
    if not changes:
        app = _application(current)
    if app is not None or changes:
        form["app_id"] = app or ""
    settings = _extra(current)
    given = _extra_settings(config)
    if given is not None:
        settings.update(given)
    for key in EXTRA_SETTINGS:
        value = settings.get(key)
        if value is not None:
            form[key] = value
        elif given is not None and key in given:
            form[key] = ""  # cleared
    if form.get("voiceCallbackType") == "":
        del form["voiceCallbackType"], form["voiceCallbackValue"]
    return form


def settled(current: dict[str, Any], form: dict[str, str]) -> dict[str, Any]:
    """The owned number as it is once ``form`` replaced its configuration (Vonage answers no number)."""
    item = {key: value for key, value in current.items() if key not in ("app_id", *EXTRA_SETTINGS)}
    item.pop("messagesCallbackType", None)
    item.pop("messagesCallbackValue", None)
    for key in ("app_id", *EXTRA_SETTINGS):
        if form.get(key):
            item[key] = form[key]
    return item
