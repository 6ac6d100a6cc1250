"""Plivo's phone numbers API: its answers read into neutral models, and its bodies written from them.

Reading checks every field it uses and raises :class:`Malformed` rather than
trusting an answer. Plivo names countries ("UNITED STATES", "United
States"): they are read back as ISO codes. Numbers travel as digits without
the ``+``.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from numbers_core import (
    ActiveNumber,
    AvailableNumber,
    Capabilities,
    Geography,
    Money,
    NumberCompliance,
    NumberConfig,
    NumberStatus,
    NumberType,
    Provisioning,
    Route,
)
from numbers_core.adapter import Malformed, carrier_e164, region_of, shared_application
from numbers_core.adapter import json_flag as _flag
from numbers_core.adapter import json_kind as _kind
from numbers_core.adapter import json_object as _object
from numbers_core.adapter import json_text as _text
from phonenumbers.geodata.locale import LOCALE_DATA
from pydantic import ValidationError

__all__ = [
    "EXTRA_KEY",
    "SEARCH_TYPES",
    "BadConfig",
    "active_number",
    "available_page",
    "bought_status",
    "country_code",
    "failure",
    "list_page",
    "update_body",
]

#: the key of ``NumberConfig.extra`` that holds Plivo's own settings
EXTRA_KEY = "plivo"
#: what a search asks for per neutral type (``type``), and the ``sub_type``s that belong to it
SEARCH_TYPES: dict[NumberType, tuple[str, frozenset[str] | None]] = {
    NumberType.LOCAL: ("fixed", frozenset({"local", "fixed"})),
    NumberType.NATIONAL: ("fixed", frozenset({"national"})),
    NumberType.MOBILE: ("mobile", None),
    NumberType.TOLL_FREE: ("tollfree", None),
}
#: the list's ``type`` per neutral type, where one value says it (local numbers are local or fixed)
LIST_TYPES = {NumberType.MOBILE: "mobile", NumberType.TOLL_FREE: "tollfree", NumberType.NATIONAL: "national"}
_NEUTRAL_TYPES = {
    "local": NumberType.LOCAL,
    "fixed": NumberType.LOCAL,
    "mobile": NumberType.MOBILE,
    "tollfree": NumberType.TOLL_FREE,
    "national": NumberType.NATIONAL,
}
#: the settings of ``extra["plivo"]`` an update takes
EXTRA_SETTINGS = ("cnam_lookup", "cnam")
# Plivo's prices are in US dollars.
_CURRENCY = "USD"
# Search results' restrictions, as neutral address requirements.
_RESTRICTIONS = {"city-address": "local", "country-address": "local", "terms-and-conditions": "none"}
# Compliance states that are not over yet; "accepted" (or none at all) is done, "rejected" failed.
_REVIEWING = frozenset({"pending", "submitted", "draft", "in-review", "in_review"})
_REJECTED = frozenset({"rejected", "failed"})


def _e164(value: object, what: str) -> str:
    digits = value.removeprefix("+") if type(value) is str else None
    if digits is None or not digits.isdigit():
        shown = repr(value)[:40] if isinstance(value, str) else _kind(value)
        raise Malformed(f"{what}: {shown} is not a number's digits")
    try:
        return carrier_e164("+" + digits)
    except ValueError:
        raise Malformed(f"{what}: {digits[:20]!r} is not a phone number") from None


def _money(value: object, what: str) -> Money | None:
    amount = (
        _text(value, what) if not isinstance(value, int | float) or isinstance(value, bool) else str(value)
    )
    if amount is None:
        return None
    try:
        return Money(amount=Decimal(amount), currency=_CURRENCY)
    except (InvalidOperation, ValidationError):
        raise Malformed(f"{what}: {amount[:20]!r} is not an amount") from None


def _capabilities(item: dict[str, Any], what: str) -> Capabilities:
    return Capabilities(
        voice=_flag(item.get("voice_enabled"), f"{what}.voice_enabled"),
        sms=_flag(item.get("sms_enabled"), f"{what}.sms_enabled"),
        mms=_flag(item.get("mms_enabled"), f"{what}.mms_enabled"),
    )


@functools.cache
def _countries() -> dict[str, str]:
    """ISO codes by English country name, folded, from the phone number metadata's own names."""
    names: dict[str, str] = {}
    for region, names_by_language in LOCALE_DATA.items():
        name = names_by_language.get("en", "")
        while name.startswith("*"):  # "the same as in that language"
            name = names_by_language.get(name[1:], "")
        if name and len(region) == 2:
            names[name.casefold()] = region
    # Plivo's spellings that are not the metadata's.
    names.update({"usa": "US", "united states of america": "US", "uk": "GB", "great britain": "GB"})
    return names


def country_code(name: str | None, e164: str | None = None) -> str | None:
    """The ISO code of a country Plivo names (``"UNITED STATES"``), else the number's own (None:
    neither says)."""
    if name:
        found = _countries().get(name.strip().casefold())
        if found is None and len(name.strip()) == 2 and name.strip().isalpha():
            found = name.strip().upper()
        if found is not None:
            return found
    return region_of(e164) if e164 else None


def _lata(value: object, what: str) -> str | None:
    if type(value) is int:
        return str(value)
    return _text(value, what)


def _page(body: object, what: str) -> tuple[list[dict[str, Any]], int | None]:
    page = _object(body, what)
    objects = page.get("objects")
    if objects is None:
        objects = []
    if type(objects) is not list:
        raise Malformed(f"{what}.objects: expected a list, got {_kind(objects)}")
    meta = page.get("meta")
    total = _object(meta, f"{what}.meta").get("total_count") if meta is not None else None
    if total is not None and (type(total) is not int or total < 0):
        raise Malformed(f"{what}.meta.total_count: expected a whole number, got {_kind(total)}")
    return [_object(item, f"{what}.objects[{i}]") for i, item in enumerate(objects)], total


# -- search ------------------------------------------------------------------------------------


def available_page(
    body: object, *, provider: str, country: str, number_type: NumberType
) -> tuple[list[AvailableNumber], int | None]:
    """A search page's numbers of ``number_type`` (Plivo's ``sub_type`` tells local from national),
    and how many Plivo has in all."""
    items, total = _page(body, "search")
    wanted = SEARCH_TYPES.get(number_type, ("", None))[1]
    found = []
    for index, item in enumerate(items):
        what = f"objects[{index}]"
        sub_type = _text(item.get("sub_type"), f"{what}.sub_type")
        if wanted is not None and sub_type is not None and sub_type not in wanted:
            continue
        restriction = _text(item.get("restriction"), f"{what}.restriction")
        found.append(
            AvailableNumber(
                phone_number=_e164(item.get("number"), f"{what}.number"),
                provider=provider,
                number_type=number_type,
                capabilities=_capabilities(item, what),
                geography=Geography(
                    # The answer names the country ("UNITED STATES"); the query said which it is.
                    iso_country=country,
                    region=_text(item.get("region"), f"{what}.region"),
                    locality=_text(item.get("city"), f"{what}.city"),
                    rate_center=_text(item.get("rate_center"), f"{what}.rate_center"),
                    lata=_lata(item.get("lata"), f"{what}.lata"),
                ),
                setup_price=_money(item.get("setup_rate"), f"{what}.setup_rate"),
                monthly_price=_money(item.get("monthly_rental_rate"), f"{what}.monthly_rental_rate"),
                address_requirement=None if restriction is None else _RESTRICTIONS.get(restriction, "any"),
                raw=item,
            )
        )
    return found, total


# -- owned numbers -----------------------------------------------------------------------------


def _application(value: object) -> str | None:
    """The app id of ``/v1/Account/{id}/Application/{app_id}/``."""
    uri = _text(value, "application")
    if uri is None:
        return None
    parts = [part for part in uri.split("/") if part]
    if "Application" in parts and parts.index("Application") + 1 < len(parts):
        return parts[parts.index("Application") + 1]
    return parts[-1] if parts else None


def _date(value: object, what: str) -> datetime | None:
    stated = _text(value, what)
    if stated is None:
        return None
    try:
        return datetime.fromisoformat(stated).replace(tzinfo=UTC)
    except ValueError:
        raise Malformed(f"{what}: {stated[:30]!r} is not a date") from None


def _state(item: dict[str, Any]) -> tuple[NumberStatus, tuple[Provisioning, ...]]:
    """A number's status: pending while its compliance application is reviewed, the review's end kept."""
    compliance = _text(item.get("compliance_status"), "compliance_status")
    active = _flag(item.get("active"), "active")
    state = (compliance or "").casefold()
    if state in _REJECTED:
        part = Provisioning(part="compliance", state="failed", status=compliance)
        return NumberStatus.ACTIVE, (part,)
    if state in _REVIEWING:
        return NumberStatus.PENDING, (Provisioning(part="compliance", state="pending", status=compliance),)
    # A number Plivo has not activated (and whose compliance says nothing) is not in service yet.
    return (NumberStatus.PENDING if active is False and compliance else NumberStatus.ACTIVE), ()


def active_number(body: object, *, provider: str, account: str) -> ActiveNumber:
    """An account's number (get, and each item of a listing); ``account`` is whose it is unless it
    is a subaccount's."""
    item = _object(body, "number")
    number = _e164(item.get("number"), "number")
    app = _application(item.get("application"))
    alias = _text(item.get("alias"), "alias")
    region = _text(item.get("region"), "region")
    extra = {key: value for key in EXTRA_SETTINGS if (value := _text(item.get(key), key)) is not None}
    bundle = _text(item.get("compliance_application_id"), "compliance_application_id")
    status, provisioning = _state(item)
    try:
        config = NumberConfig(
            friendly_name=alias,
            voice=Route(application_id=app) if app else None,
            sms=Route(application_id=app) if app else None,
            compliance=NumberCompliance(bundle_id=bundle) if bundle else None,
            extra={EXTRA_KEY: extra} if extra else {},
        )
    except ValidationError as exc:
        raise Malformed(f"configuration: {exc.errors(include_url=False)[0]['msg']}") from None
    kind = _text(item.get("number_type"), "number_type")
    return ActiveNumber(
        phone_number=number,
        id=number[1:],
        provider=provider,
        account_id=_text(item.get("sub_account"), "sub_account") or account,
        number_type=_NEUTRAL_TYPES.get(kind or "", NumberType.UNKNOWN),
        friendly_name=alias,
        capabilities=_capabilities(item, "number"),
        geography=Geography(
            iso_country=country_code(_text(item.get("country"), "country"), number),
            # "California, UNITED STATES": the region, then the country.
            region=region.split(",")[0].strip() or None if region else None,
            locality=_text(item.get("city"), "city"),
        ),
        config=config,
        status=status,
        provisioning=provisioning,
        compliance=config.compliance,
        created_at=_date(item.get("added_on"), "added_on"),
        raw=item,
    )


def list_page(body: object, *, provider: str, account: str) -> tuple[list[ActiveNumber], int | None]:
    """One page of the account's numbers, and how many there are in all."""
    items, total = _page(body, "numbers")
    return [active_number(item, provider=provider, account=account) for item in items], total


# -- answers and errors ------------------------------------------------------------------------


def bought_status(body: object, digits: str) -> str | None:
    """What a buy's answer says of the number (``Success``, ``pending``…); None if it names it not."""
    numbers = _object(body, "answer").get("numbers")
    if type(numbers) is not list:
        raise Malformed(f"numbers: expected a list, got {_kind(numbers)}")
    for index, entry in enumerate(numbers):
        said = _object(entry, f"numbers[{index}]")
        if str(said.get("number", "")).removeprefix("+") == digits:
            return _text(said.get("status"), f"numbers[{index}].status") or "unknown"
    return None


def failure(body: object) -> tuple[str | None, str | None]:
    """Plivo's ``error`` (a string, or an object of field problems) and its ``api_id``."""
    if type(body) is not dict:
        return None, None
    error = body.get("error")
    api_id = body.get("api_id") if type(body.get("api_id")) is str else None
    if type(error) is dict:
        error = "; ".join(f"{key}: {value}" for key, value in error.items())
    return (error[:500] if type(error) is str and error else None), api_id


# -- writing -----------------------------------------------------------------------------------


class BadConfig(ValueError):
    """A NumberConfig Plivo cannot take; the message says why."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def wanted_application(config: NumberConfig | None) -> tuple[bool, str | None]:
    """Whether ``config`` links an Application, and which: one ``app_id`` serves calls and messages."""
    changes, app = shared_application(config, provider="Plivo")
    if changes and app is None:
        raise BadConfig(
            "voice.application_id: Plivo has no way to unlink a number's Application (link another one)",
            "voice",
        )
    return changes, app


def compliance_application(config: NumberConfig | None) -> str | None:
    """The compliance application a config names (``compliance.bundle_id``); other papers refused."""
    if config is None or "compliance" not in config.model_fields_set or config.compliance is None:
        return None
    papers = config.compliance
    if papers.address_id is not None or papers.identity_id is not None:
        raise BadConfig(
            "compliance: Plivo takes a compliance application (bundle_id), which holds the "
            "addresses and documents, not address_id or identity_id",
            "compliance",
        )
    return papers.bundle_id


def update_body(current: ActiveNumber, config: NumberConfig) -> dict[str, Any]:
    """The body of an update: what ``config`` sets, and always the number's ``app_id``.

    Plivo's documents say an update without ``app_id`` links the account's default Application,
    so the number's own is sent back unless ``config`` names another.
    """
    fields = config.model_fields_set
    body: dict[str, Any] = {}
    changes, app = wanted_application(config)
    app = app if changes else (current.config.voice.application_id if current.config.voice else None)
    if app is not None:
        body["app_id"] = app
    if "friendly_name" in fields:
        body["alias"] = config.friendly_name or ""
    bundle = compliance_application(config)
    if bundle is not None:
        body["compliance_application_id"] = bundle
    if "extra" in fields and config.extra:
        unknown = sorted(set(config.extra) - {EXTRA_KEY})
        settings = config.extra.get(EXTRA_KEY)
        if unknown or not isinstance(settings, dict):
            raise BadConfig(f"extra: Plivo settings go under extra[{EXTRA_KEY!r}] as an object", "extra")
        odd = sorted(set(settings) - set(EXTRA_SETTINGS))
        if odd:
            raise BadConfig(
                f"extra.{EXTRA_KEY}: unknown setting(s) {', '.join(map(repr, odd))} "
                f"(known: {', '.join(EXTRA_SETTINGS)})",
                "extra",
            )
        for key, value in settings.items():
            if not isinstance(value, str):
                raise BadConfig(f"extra.{EXTRA_KEY}.{key}: expected a string", "extra")
            body[key] = value
    return body
