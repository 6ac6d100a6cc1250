"""Telnyx API v2: its JSON:API-like documents read into neutral models, and requests written from them.

Real answers break Telnyx's own schemas in places (``null`` or ``""`` where a
string is documented, "required" fields missing, legacy type names): reading
takes ``null`` and ``""`` as "not set" and requires only what it uses.
Values Telnyx adds later (statuses, types) are kept as opaque strings. What
cannot be read at all raises :class:`Malformed`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from numbers_core import (
    ActiveNumber,
    AvailableNumber,
    Capabilities,
    Coverage,
    EmergencyRegistration,
    EmergencyStatus,
    Geography,
    Money,
    NumberConfig,
    NumberStatus,
    NumberType,
    Provisioning,
    Requirement,
    RequirementKind,
    Route,
    SearchQuery,
)
from numbers_core.adapter import Malformed, extra_settings, longest_run
from numbers_core.adapter import json_e164 as _e164
from numbers_core.adapter import json_flag as _flag
from numbers_core.adapter import json_kind as _kind
from numbers_core.adapter import json_list as _items
from numbers_core.adapter import json_object as _doc
from pydantic import ValidationError

__all__ = [
    "EXTRA_KEY",
    "REFUSED_REQUIREMENTS",
    "TYPES",
    "BadConfig",
    "Changes",
    "Order",
    "Reservation",
    "Row",
    "active_number",
    "available_numbers",
    "changes",
    "coverage",
    "error_details",
    "inexplicit",
    "inexplicit_references",
    "number",
    "order",
    "order_body",
    "orders",
    "phone_numbers",
    "purchase_defaults",
    "requirements",
    "reservation",
    "reservations",
    "row_number",
    "search_filters",
]

#: the key of ``NumberConfig.extra`` that holds Telnyx's own settings (``tags``, ``billing_group_id``)
EXTRA_KEY = "telnyx"
#: the neutral number types Telnyx sells, and its names for them
TYPES = {
    NumberType.LOCAL: "local",
    NumberType.TOLL_FREE: "toll_free",
    NumberType.MOBILE: "mobile",
    NumberType.NATIONAL: "national",
    NumberType.SHARED_COST: "shared_cost",
}
# Telnyx's names, with the legacy ones a number may still show right after purchase.
_NEUTRAL_TYPES = {
    **{wire: neutral for neutral, wire in TYPES.items()},
    "landline": NumberType.LOCAL,
    "tollfree": NumberType.TOLL_FREE,
    "longcode": NumberType.LOCAL,
}
# A number's status, by what it means; anything else Telnyx may add is UNKNOWN.
_STATUS = {
    "active": NumberStatus.ACTIVE,
    "purchase-pending": NumberStatus.PENDING,
    "provision-pending": NumberStatus.PENDING,
    "port-pending": NumberStatus.PENDING,
    "requirement-info-pending": NumberStatus.PENDING,
    "requirement-info-under-review": NumberStatus.PENDING,
    "purchase-failed": NumberStatus.UNKNOWN,
    "port-failed": NumberStatus.UNKNOWN,
    "requirement-info-exception": NumberStatus.UNKNOWN,
    "port-out-pending": NumberStatus.RELEASING,
    "deleted": NumberStatus.RELEASED,
    "ported-out": NumberStatus.RELEASED,
    "emergency-only": NumberStatus.SUSPENDED,
}
_FAILED = frozenset({"purchase-failed", "port-failed", "requirement-info-exception"})
_EMERGENCY = {
    "active": EmergencyStatus.ACTIVE,
    "provisioning": EmergencyStatus.PENDING,
    "deprovisioning": EmergencyStatus.PENDING,
    "disabled": EmergencyStatus.NONE,
    "provisioning-failed": EmergencyStatus.FAILED,
}
#: an order row's requirements_status values that mean it will not go through as it is
REFUSED_REQUIREMENTS = frozenset({"requirement-info-exception", "cancelled", "deleted"})


# -- checked reads ------------------------------------------------------------------------------


def _data(body: object, what: str) -> Any:
    """The ``data`` of an answer's envelope."""
    return _doc(body, what).get("data")


def _string(value: object, what: str) -> str | None:
    """A string; ``null`` and ``""`` (both mean "not set" at Telnyx) are None."""
    if value is None or value == "":
        return None
    if type(value) is not str:
        raise Malformed(f"{what}: expected a string, got {_kind(value)}")
    return value


def _ident(value: object, what: str) -> str | None:
    # Ids are numeric strings above 2**53; a client that re-encoded one may send it as a number.
    if type(value) is int:
        return str(value)
    return _string(value, what)


def _records(value: object, what: str) -> Iterator[tuple[str, dict[str, Any]]]:
    for index, item in enumerate(_items(value, what)):
        where = f"{what}[{index}]"
        yield where, _doc(item, where)


def _time(value: object, what: str) -> datetime | None:
    # Telnyx writes times several ways ("…00.000000Z", "…53.632293+00:00", "…53Z"); one without a
    # zone, or that is no time at all, is left out rather than failing a whole answer.
    stated = _string(value, what)
    if stated is None:
        return None
    try:
        moment = datetime.fromisoformat(stated)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _type(value: object, what: str, fallback: NumberType = NumberType.UNKNOWN) -> NumberType:
    stated = _string(value, what)
    return fallback if stated is None else _NEUTRAL_TYPES.get(stated, NumberType.UNKNOWN)


def _country(value: object, what: str) -> str | None:
    code = _string(value, what)
    if code is not None and not (len(code) == 2 and code.isascii() and code.isalpha()):
        raise Malformed(f"{what}: {code[:10]!r} is not a country code")
    return code.upper() if code else None


def _money(amount: object, currency: str | None, what: str) -> Money | None:
    stated = _string(amount, what)
    if stated is None or currency is None:
        return None
    try:
        return Money(amount=Decimal(stated), currency=currency)
    except (InvalidOperation, ValidationError):
        raise Malformed(f"{what}: {stated[:20]!r} {currency[:20]!r} is not an amount") from None


# -- search ---------------------------------------------------------------------------------------


def search_filters(query: SearchQuery, limit: int) -> dict[str, str]:
    """The ``filter[…]`` parameters of a search; what is not sent (or only in part) is checked on
    the results by the provider's client-side filters."""
    params = {
        "filter[country_code]": query.country,
        "filter[phone_number_type]": TYPES[query.number_type],
        "filter[limit]": str(limit),
    }
    if query.area_code:
        params["filter[national_destination_code]"] = query.area_code
    # With an NDC, Telnyx's patterns exclude it: a leading pattern goes without the area code.
    lead = query.starts_with
    if lead and query.area_code:
        lead = lead[len(query.area_code) :] if lead.startswith(query.area_code) else None
    if lead:
        params["filter[phone_number][starts_with]"] = lead
    if query.ends_with:
        params["filter[phone_number][ends_with]"] = query.ends_with
    if query.contains and not query.area_code:
        # Telnyx finds nothing for a wildcard: the longest literal run goes, the rest is checked here.
        run = longest_run(query.contains)
        if run:
            params["filter[phone_number][contains]"] = run
    if query.region:
        params["filter[administrative_area]"] = query.region
    if query.locality:
        params["filter[locality]"] = query.locality
    if query.rate_center:
        params["filter[rate_center]"] = query.rate_center
    features = [name for name in ("voice", "sms", "mms", "fax") if getattr(query, name)]
    if features:
        params["filter[features]"] = ",".join(features)
    return params


def _features(value: object, what: str) -> Capabilities:
    if value is None:
        return Capabilities()
    names = set()
    for where, feature in _records(value, what):
        name = _string(feature.get("name"), f"{where}.name")
        if name:
            names.add(name)
    return Capabilities(voice="voice" in names, sms="sms" in names, mms="mms" in names, fax="fax" in names)


def _regions(value: object, what: str) -> Geography:
    found: dict[str, str] = {}
    for where, region in _records(value, what):
        kind = _string(region.get("region_type"), f"{where}.region_type")
        name = _string(region.get("region_name"), f"{where}.region_name")
        if kind and name:
            found.setdefault(kind, name)
    # "location" reads "SHEBOYGAN (SHEBOYGAN)": not a locality one could match a filter against.
    return Geography(
        iso_country=_country(found.get("country_code"), f"{what}.country_code"),
        region=found.get("state"),
        rate_center=found.get("rate_center"),
    )


def available_numbers(body: object, *, provider: str, number_type: NumberType) -> list[AvailableNumber]:
    """The numbers of a search answer (``{data: [...], meta, metadata}``)."""
    found = []
    for where, entry in _records(_data(body, "search"), "data"):
        cost = entry.get("cost_information")
        prices = _doc(cost, f"{where}.cost_information") if cost is not None else {}
        currency = _string(prices.get("currency"), f"{where}.cost_information.currency")
        found.append(
            AvailableNumber(
                phone_number=_e164(entry.get("phone_number"), f"{where}.phone_number"),
                provider=provider,
                number_type=_type(entry.get("phone_number_type"), f"{where}.phone_number_type", number_type),
                capabilities=_features(entry.get("features"), f"{where}.features"),
                geography=_regions(entry.get("region_information"), f"{where}.region_information"),
                setup_price=_money(prices.get("upfront_cost"), currency, f"{where}.upfront_cost"),
                monthly_price=_money(prices.get("monthly_cost"), currency, f"{where}.monthly_cost"),
                raw=entry,
            )
        )
    return found


# -- owned numbers --------------------------------------------------------------------------------


def _emergency(doc: dict[str, Any]) -> EmergencyRegistration | None:
    stated = _string(doc.get("emergency_status"), "emergency_status")
    enabled = _flag(doc.get("emergency_enabled"), "emergency_enabled")
    address = _ident(doc.get("emergency_address_id"), "emergency_address_id")
    if stated is None and enabled is None:
        return None
    if stated is None:
        status = EmergencyStatus.ACTIVE if enabled else EmergencyStatus.NONE
    else:
        status = _EMERGENCY.get(stated, EmergencyStatus.UNKNOWN)
    return EmergencyRegistration(status=status, address_id=address, carrier_status=stated)


def _config(doc: dict[str, Any]) -> NumberConfig:
    connection = _ident(doc.get("connection_id"), "connection_id")
    profile = _ident(doc.get("messaging_profile_id"), "messaging_profile_id")
    extra: dict[str, Any] = {}
    tags = _items(doc.get("tags"), "tags")
    if not all(type(tag) is str for tag in tags):
        raise Malformed("tags: expected a list of strings")
    if tags:
        extra["tags"] = list(tags)
    group = _ident(doc.get("billing_group_id"), "billing_group_id")
    if group:
        extra["billing_group_id"] = group
    try:
        return NumberConfig(
            friendly_name=_string(doc.get("customer_reference"), "customer_reference"),
            voice=Route(application_id=connection) if connection else None,
            sms=Route(application_id=profile) if profile else None,
            emergency_address_id=_ident(doc.get("emergency_address_id"), "emergency_address_id"),
            extra={EXTRA_KEY: extra} if extra else {},
        )
    except ValidationError as exc:
        raise Malformed(f"configuration: {exc.errors(include_url=False)[0]['msg']}") from None


def active_number(value: object, what: str = "data") -> ActiveNumber:
    """An owned number (``PhoneNumberDetailed``: get, list, update, delete)."""
    doc = _doc(value, what)
    number = _e164(doc.get("phone_number"), f"{what}.phone_number")
    ident = _ident(doc.get("id"), f"{what}.id")
    if ident is None:
        raise Malformed(f"{what}.id: missing")
    stated = _string(doc.get("status"), f"{what}.status")
    status = _STATUS.get(stated or "", NumberStatus.UNKNOWN)
    provisioning: list[Provisioning] = []
    if status is NumberStatus.PENDING or stated in _FAILED:
        state = "failed" if stated in _FAILED else "pending"
        provisioning.append(Provisioning(part="purchase", state=state, status=stated))
    emergency = _emergency(doc)
    if emergency is not None and emergency.status in (EmergencyStatus.PENDING, EmergencyStatus.FAILED):
        state = "failed" if emergency.status is EmergencyStatus.FAILED else "pending"
        provisioning.append(
            Provisioning(
                part="emergency", state=state, target=emergency.address_id, status=emergency.carrier_status
            )
        )
        if state == "pending" and status is NumberStatus.ACTIVE:
            status = NumberStatus.PENDING
    config = _config(doc)
    return ActiveNumber(
        phone_number=number,
        id=ident,
        provider="telnyx",
        number_type=_type(doc.get("phone_number_type"), f"{what}.phone_number_type"),
        friendly_name=config.friendly_name,
        geography=Geography(
            iso_country=_country(doc.get("country_iso_alpha2"), f"{what}.country_iso_alpha2")
        ),
        config=config,
        status=status,
        created_at=_time(doc.get("purchased_at"), "purchased_at")
        or _time(doc.get("created_at"), "created_at"),
        updated_at=_time(doc.get("updated_at"), "updated_at"),
        provisioning=tuple(provisioning),
        emergency=emergency,
        raw=doc,
    )


def number(body: object) -> ActiveNumber:
    """The number of a ``{data: PhoneNumberDetailed}`` answer."""
    return active_number(_data(body, "number"))


def _following(body: dict[str, Any]) -> int | None:
    """The next page's number, from ``meta{page_number, total_pages}``; None after the last."""
    meta = body.get("meta")
    if meta is None:
        return None
    page = _doc(meta, "meta")
    number, total = page.get("page_number"), page.get("total_pages")
    if number is None or total is None:
        return None
    if type(number) is not int or type(total) is not int:
        raise Malformed("meta: page_number and total_pages must be whole numbers")
    return number + 1 if number < total else None


def phone_numbers(body: object) -> tuple[list[ActiveNumber], int | None]:
    """One page of owned numbers and the next page's number (None after the last)."""
    page = _doc(body, "list page")
    numbers = [active_number(doc, where) for where, doc in _records(page.get("data"), "data")]
    return numbers, _following(page)


# -- orders ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One number of a number order, as the order tells of it."""

    phone_number: str
    #: pending, success, failure (or a value Telnyx added: taken as pending)
    status: str
    id: str | None = None
    requirements_met: bool | None = None
    requirements_status: str | None = None
    #: the requirements the row names as still to be given (their field types or ids)
    wanting: tuple[str, ...] = ()
    number_type: NumberType = NumberType.UNKNOWN
    country: str | None = None

    @property
    def failed(self) -> bool:
        return self.status == "failure"


@dataclass(frozen=True)
class Order:
    id: str
    status: str
    customer_reference: str | None
    rows: dict[str, Row] = field(default_factory=dict)
    raw: Any = None


def _wanting(value: object, what: str) -> tuple[str, ...]:
    unmet = []
    for where, item in _records(value, what):
        if _string(item.get("field_value"), f"{where}.field_value") is None:
            name = _string(item.get("field_type"), f"{where}.field_type") or _string(
                item.get("requirement_id"), f"{where}.requirement_id"
            )
            if name:
                unmet.append(name)
    return tuple(unmet)


def _order(value: object, what: str) -> Order:
    doc = _doc(value, what)
    ident = _string(doc.get("id"), f"{what}.id")
    if ident is None:
        raise Malformed(f"{what}.id: missing")
    rows = {}
    for where, item in _records(doc.get("phone_numbers"), f"{what}.phone_numbers"):
        number = _e164(item.get("phone_number"), f"{where}.phone_number")
        rows[number] = Row(
            phone_number=number,
            status=_string(item.get("status"), f"{where}.status") or "pending",
            id=_string(item.get("id"), f"{where}.id"),
            requirements_met=_flag(item.get("requirements_met"), f"{where}.requirements_met"),
            requirements_status=_string(item.get("requirements_status"), f"{where}.requirements_status"),
            wanting=_wanting(item.get("regulatory_requirements"), f"{where}.regulatory_requirements"),
            number_type=_type(item.get("phone_number_type"), f"{where}.phone_number_type"),
            country=_country(item.get("country_code"), f"{where}.country_code"),
        )
    return Order(
        id=ident,
        status=_string(doc.get("status"), f"{what}.status") or "pending",
        customer_reference=_string(doc.get("customer_reference"), f"{what}.customer_reference"),
        rows=rows,
        raw=doc,
    )


def order(body: object) -> Order:
    """A number order (``{data: NumberOrderWithPhoneNumbers}``)."""
    return _order(_data(body, "order"), "data")


def orders(body: object) -> list[Order]:
    """The orders of a listing (``{data: [NumberOrder], meta}``)."""
    return [_order(doc, where) for where, doc in _records(_data(body, "orders"), "data")]


def row_number(row: Row, order_id: str, *, provider: str) -> ActiveNumber:
    """A number as its order tells of it, before Telnyx lists it among the account's numbers.

    Its ``id`` is its E.164 until then (``get`` resolves Telnyx's numeric id).
    """
    if row.failed:
        state, status = "failed", NumberStatus.UNKNOWN
    else:
        state, status = "pending", NumberStatus.PENDING
    waiting = row.requirements_status if row.requirements_status != "approved" else None
    codes = tuple(code for code in (waiting, *row.wanting) if code)
    parts = [
        Provisioning(part="purchase", state=state, target=order_id, status=row.status, error_codes=codes)
    ]
    return ActiveNumber(
        phone_number=row.phone_number,
        id=row.phone_number,
        provider=provider,
        number_type=row.number_type,
        geography=Geography(iso_country=row.country),
        status=status,
        provisioning=tuple(parts),
    )


def order_body(
    e164s: list[str], reference: str, defaults: dict[str, str | None], group: str | None
) -> dict[str, Any]:
    """A ``POST /number_orders`` body: the numbers, the reference that finds it again, the defaults."""
    body: dict[str, Any] = {
        "phone_numbers": [
            {"phone_number": e164, **({"requirement_group_id": group} if group else {})} for e164 in e164s
        ],
        "customer_reference": reference,
    }
    body.update({key: value for key, value in defaults.items() if value})
    return body


def inexplicit(body: object) -> tuple[str, str | None, str, list[str], str | None]:
    """An inexplicit order: its id, its customer reference, its one group's status, the number
    orders made for it so far, and the group's error reason."""
    doc = _doc(_data(body, "inexplicit order"), "data")
    ident = _string(doc.get("id"), "data.id")
    if ident is None:
        raise Malformed("data.id: missing")
    groups = list(_records(doc.get("ordering_groups"), "data.ordering_groups"))
    if len(groups) != 1:
        raise Malformed(f"data.ordering_groups: expected the one group sent, got {len(groups)}")
    where, group = groups[0]
    made = []
    for place, placed in _records(group.get("orders"), f"{where}.orders"):
        number_order = _string(placed.get("number_order_id"), f"{place}.number_order_id")
        if number_order:
            made.append(number_order)
    return (
        ident,
        _string(doc.get("customer_reference"), "data.customer_reference"),
        _string(group.get("status"), f"{where}.status") or "pending",
        made,
        _string(group.get("error_reason"), f"{where}.error_reason"),
    )


def inexplicit_references(body: object) -> list[tuple[str, str | None]]:
    """(id, customer reference) of each inexplicit order of a listing."""
    found = []
    for where, doc in _records(_data(body, "inexplicit orders"), "data"):
        ident = _string(doc.get("id"), f"{where}.id")
        if ident:
            found.append((ident, _string(doc.get("customer_reference"), f"{where}.customer_reference")))
    return found


# -- reservations ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reservation:
    id: str
    customer_reference: str | None
    #: number -> (status, expiry, errors)
    rows: dict[str, tuple[str, datetime | None, str | None]]


def _reservation(value: object, what: str) -> Reservation:
    doc = _doc(value, what)
    ident = _string(doc.get("id"), f"{what}.id")
    if ident is None:
        raise Malformed(f"{what}.id: missing")
    rows = {}
    for where, item in _records(doc.get("phone_numbers"), f"{what}.phone_numbers"):
        rows[_e164(item.get("phone_number"), f"{where}.phone_number")] = (
            _string(item.get("status"), f"{where}.status") or "pending",
            _time(item.get("expired_at"), f"{where}.expired_at"),
            _string(item.get("errors"), f"{where}.errors"),
        )
    return Reservation(ident, _string(doc.get("customer_reference"), f"{what}.customer_reference"), rows)


def reservation(body: object) -> Reservation:
    return _reservation(_data(body, "reservation"), "data")


def reservations(body: object) -> list[Reservation]:
    return [_reservation(doc, where) for where, doc in _records(_data(body, "reservations"), "data")]


# -- coverage and requirements ----------------------------------------------------------------------


def coverage(body: object) -> list[Coverage]:
    """``/country_coverage``: its ``data`` is an object keyed by country name."""
    found = []
    for name, entry in _doc(_data(body, "coverage"), "data").items():
        doc = _doc(entry, f"data[{name!r}]")
        code = _country(doc.get("code"), f"data[{name!r}].code")
        types = {
            _NEUTRAL_TYPES[kind]
            for kind in _items(doc.get("phone_number_type"), f"data[{name!r}].phone_number_type")
            if isinstance(kind, str) and kind in _NEUTRAL_TYPES
        }
        if code is None or not types or doc.get("numbers") is False:
            continue  # a country Telnyx lists but sells no number in
        found.append(Coverage(country=code, name=str(name), number_types=frozenset(types), raw=doc))
    return found


_REQUIREMENT_TYPES = (NumberType.LOCAL, NumberType.NATIONAL, NumberType.TOLL_FREE)


def requirements(
    body: object, country: str, number_type: NumberType | None
) -> tuple[list[Requirement], int | None]:
    """One page of ``/requirements`` as neutral requirements, and the next page's number.

    Telnyx takes every requirement through a requirement group (an approved set of
    documents, addresses and values): each requirement type is a ``bundle`` one.
    """
    page = _doc(body, "requirements")
    found = []
    for where, doc in _records(page.get("data"), "data"):
        stated = _string(doc.get("phone_number_type"), f"{where}.phone_number_type")
        if stated is not None:
            kinds = [_NEUTRAL_TYPES.get(stated, NumberType.UNKNOWN)]
        else:  # blank: every type
            kinds = [number_type] if number_type is not None else list(_REQUIREMENT_TYPES)
        for place, kind in _records(doc.get("requirement_types"), f"{where}.requirement_types"):
            name = _string(kind.get("name"), f"{place}.name") or _string(kind.get("type"), f"{place}.type")
            description = _string(kind.get("description"), f"{place}.description")
            for sold in kinds:
                if sold is NumberType.UNKNOWN or (number_type is not None and sold is not number_type):
                    continue
                found.append(
                    Requirement(
                        country=country,
                        number_type=sold,
                        kind=RequirementKind.BUNDLE,
                        name=name or "requirement",
                        description=description,
                        carrier_id=_string(kind.get("id"), f"{place}.id"),
                        raw=doc,
                    )
                )
    return found, _following(page)


# -- errors --------------------------------------------------------------------------------------------


def error_details(body: object) -> tuple[str | None, str | None]:
    """Telnyx's error code and a readable message, from ``{"errors": [{code, title, detail, source}]}``.

    Every entry is kept in the message (Telnyx may list several problems).
    """
    errors = body.get("errors") if type(body) is dict else None
    if type(errors) is not list:
        return None, None
    code = None
    said = []
    for entry in errors:
        if type(entry) is not dict:
            continue
        stated = entry.get("code")
        if code is None and type(stated) in (str, int):
            code = str(stated)
        text = next((entry[k] for k in ("detail", "title") if type(entry.get(k)) is str and entry[k]), None)
        source = entry.get("source")
        where = None
        if type(source) is dict:
            where = next((source[k] for k in ("pointer", "parameter") if type(source.get(k)) is str), None)
        if text:
            said.append(f"{text} ({where})" if where else text)
    return code, "; ".join(said)[:500] or None


# -- writing -----------------------------------------------------------------------------------------


class BadConfig(ValueError):
    """A NumberConfig Telnyx cannot take; the message says why."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass
class Changes:
    """An update, by the request it goes in."""

    #: ``PATCH /phone_numbers/{id}``
    number: dict[str, Any] = field(default_factory=dict)
    #: ``PATCH /phone_numbers/{id}/messaging``
    messaging: dict[str, Any] = field(default_factory=dict)
    #: the emergency address to enable (a value), or None to disable (only if ``emergency_set``)
    emergency: str | None = None
    emergency_set: bool = False


def _extra(config: NumberConfig) -> dict[str, Any]:
    settings = extra_settings(config, EXTRA_KEY, "Telnyx", ("tags", "billing_group_id"), BadConfig)
    tags = settings.get("tags")
    if tags is not None and (not isinstance(tags, list) or not all(isinstance(t, str) for t in tags)):
        raise BadConfig(f"extra.{EXTRA_KEY}.tags: expected a list of strings", "extra")
    group = settings.get("billing_group_id")
    if group is not None and not isinstance(group, str):
        raise BadConfig(f"extra.{EXTRA_KEY}.billing_group_id: expected a string", "extra")
    return settings


def changes(config: NumberConfig) -> Changes:
    """What an update of only the fields ``config`` sets sends; a field set to None is cleared
    (with ``""``, as Telnyx's string fields take it)."""
    fields = config.model_fields_set
    made = Changes()
    if "friendly_name" in fields:
        made.number["customer_reference"] = config.friendly_name or ""
    if "voice" in fields:
        made.number["connection_id"] = (config.voice.application_id if config.voice else None) or ""
    if "sms" in fields:
        made.messaging["messaging_profile_id"] = (config.sms.application_id if config.sms else None) or ""
    if "extra" in fields:
        settings = _extra(config)
        if "tags" in settings:
            made.number["tags"] = settings["tags"] or []
        if "billing_group_id" in settings:
            made.number["billing_group_id"] = settings["billing_group_id"] or ""
    if "emergency_address_id" in fields:
        made.emergency, made.emergency_set = config.emergency_address_id, True
    return made


def purchase_defaults(config: NumberConfig | None, settings: dict[str, str | None]) -> dict[str, str | None]:
    """What goes on a number order: the settings' defaults, unless ``config`` says otherwise."""
    chosen = dict(settings)
    if config is None:
        return chosen
    fields = config.model_fields_set
    if "voice" in fields:
        chosen["connection_id"] = config.voice.application_id if config.voice else None
    if "sms" in fields:
        chosen["messaging_profile_id"] = config.sms.application_id if config.sms else None
    if "extra" in fields:
        group = _extra(config).get("billing_group_id")
        if group is not None:
            chosen["billing_group_id"] = group
    return chosen
