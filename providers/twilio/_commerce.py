"""Commerce and compliance on the wire: Twilio's price list, Regulations, Addresses, and the country
list both dialects share (cross_carrier.md §1, §2, §6).

What is read here is read once per call (a price list, a page of regulations or addresses), so the
models are built by pydantic, not by hand as the hot paths of :mod:`._codec` do.
"""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation
from typing import Any

from numbers_core import (
    Address,
    Coverage,
    Money,
    NumberPrice,
    NumberType,
    PriceBasis,
    Requirement,
    RequirementKind,
)
from numbers_core.adapter import Malformed
from numbers_core.adapter import json_object as _object
from numbers_core.errors import InvalidInputError

from ._codec import _array, _flag, _text, _validated, spelled_type

__all__ = [
    "address",
    "address_form",
    "address_page",
    "coverage",
    "dependents",
    "prices",
    "regulation_type",
    "regulations",
]


# -- prices (Pricing API v1) ---------------------------------------------------------------------


def _amount(value: object, key: str) -> Decimal | None:
    # Decimal strings ("1.15"), though the spec types them as numbers: both are read, exactly.
    if value is None or value == "":
        return None
    if type(value) is bool or not isinstance(value, str | int | float):
        raise Malformed(f"{key}: expected a decimal string, got {type(value).__name__}")
    if isinstance(value, float) and not math.isfinite(value):
        raise Malformed(f"{key}: {value} is not a price")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise Malformed(f"{key}: {str(value)[:40]!r} is not a price") from None
    if not amount.is_finite() or amount < 0:
        raise Malformed(f"{key}: {str(value)[:40]!r} is not a price")
    return amount


def _money(value: object, currency: str | None, key: str) -> Money | None:
    amount = _amount(value, key)
    if amount is None:
        return None
    if currency is None:
        raise Malformed(f"{key}: a price without price_unit")
    return _validated(Money, {"amount": amount, "currency": currency}, key)


def prices(data: object, *, country: str) -> list[NumberPrice]:
    """One country's phone number prices (``GET /v1/PhoneNumbers/Countries/{IsoCountry}``).

    ``current_price`` (after the account's discounts) is the monthly price and ``base_price`` the
    list price; Twilio charges no setup fee (it bills the first month at purchase): ``setup`` is
    None. A type Twilio's price list names but the contract does not know is left out.
    """
    body = _object(data, "prices")
    stated = _text(body.get("iso_country"), "iso_country")
    if stated is not None and stated.upper() != country:
        raise Malformed(f"iso_country: asked for {country}, answered for {stated[:8]!r}")
    # Documented as ISO 4217 in lower case ("usd"), sent in upper case: upper-cased either way.
    unit = _text(body.get("price_unit"), "price_unit")
    currency = unit.strip().upper() if unit is not None else None
    rows = body.get("phone_number_prices")
    if rows is None:
        return []
    found = []
    for row in _array(body, "phone_number_prices"):
        item = _object(row, "phone_number_prices[]")
        spelled = _text(item.get("number_type"), "number_type")
        number_type = NumberType.UNKNOWN if spelled is None else spelled_type(spelled)
        if number_type is NumberType.UNKNOWN:
            continue
        values = {
            "country": country,
            "number_type": number_type,
            "monthly": _money(item.get("current_price"), currency, "current_price"),
            "setup": None,
            "list_monthly": _money(item.get("base_price"), currency, "base_price"),
            "basis": PriceBasis.CATALOG,
            "raw": item,
        }
        found.append(_validated(NumberPrice, values, "price"))
    return found


# -- requirements (Regulations, Numbers API v2) --------------------------------------------------


def regulation_type(number_type: NumberType) -> str:
    """A number type as Regulations and Bundles spell it (``toll-free``)."""
    return number_type.value.replace("_", "-")


def _is_address(group: list[Any]) -> bool:
    """Whether a group of supporting documents is met by an Address (document type ``address``)."""
    for document in group:
        accepted = _object(document, "supporting_document[][]").get("accepted_documents") or []
        if type(accepted) is not list:
            raise Malformed(f"accepted_documents: expected an array, got {type(accepted).__name__}")
        if any(type(one) is dict and one.get("type") == "address" for one in accepted):
            return True
    return False


def _group_text(group: list[Any]) -> tuple[str, str | None]:
    """(name, description) of a group of supporting documents: any one of them will do."""
    names, descriptions = [], []
    for document in group:
        item = _object(document, "supporting_document[][]")
        name = _text(item.get("name"), "name") or _text(item.get("requirement_name"), "requirement_name")
        if name is not None:
            names.append(name)
        description = _text(item.get("description"), "description")
        if description is not None:
            descriptions.append(description)
    return " or ".join(names) or "Supporting document", " / ".join(descriptions) or None


def _regulation(item: dict[str, Any], country: str, wanted: NumberType | None) -> list[Requirement]:
    """What one regulation (one country, type and end-user type) asks for.

    The regulation itself is a ``bundle``: Twilio sells its numbers under an approved bundle
    (BundleSid), which holds the end user's details and the supporting documents. Each group of
    supporting documents is listed too, as what the bundle must hold: an ``address`` where an
    Address is an accepted document (one on file is needed anyway, as AddressSid), ``documents``
    otherwise. The end user's details are the bundle's own, not an ``identity`` (IdentitySid, which
    no regulation names).
    """
    stated = _text(item.get("iso_country"), "iso_country")
    spelled = _text(item.get("number_type"), "number_type")
    number_type = NumberType.UNKNOWN if spelled is None else spelled_type(spelled)
    # Filtered here too: a regulation for another country or type is not what was asked.
    if (stated is not None and stated.upper() != country) or (wanted is not None and number_type != wanted):
        return []
    sid = _text(item.get("sid"), "sid")
    end_user_type = _text(item.get("end_user_type"), "end_user_type")
    needs = item.get("requirements")
    needs = _object(needs, "requirements") if needs is not None else {}
    end_users = needs.get("end_user") or []
    groups = needs.get("supporting_document") or []
    if type(end_users) is not list or type(groups) is not list:
        raise Malformed("requirements: expected arrays of end users and of supporting documents")
    fields = [
        field
        for end_user in end_users
        for field in (_object(end_user, "end_user[]").get("fields") or [])
        if isinstance(field, str)
    ]
    holds = f"the end user's {', '.join(fields)}" if fields else "the end user's details"
    common = {
        "country": country,
        "number_type": number_type,
        "end_user_type": end_user_type,
        "carrier_id": sid,
    }
    found = [
        _validated(
            Requirement,
            {
                **common,
                "kind": RequirementKind.BUNDLE,
                "name": _text(item.get("friendly_name"), "friendly_name") or "Regulatory bundle",
                "description": f"an approved regulatory bundle (BundleSid) holding {holds} and the "
                "supporting documents below",
                "raw": item,
            },
            "requirement",
        )
    ]
    for group in groups:
        if type(group) is not list:
            raise Malformed(f"supporting_document[]: expected an array, got {type(group).__name__}")
        name, description = _group_text(group)
        kind = RequirementKind.ADDRESS if _is_address(group) else RequirementKind.DOCUMENTS
        values = {**common, "kind": kind, "name": name, "description": description, "raw": group}
        found.append(_validated(Requirement, values, "requirement"))
    return found


def regulations(
    data: object, *, country: str, number_type: NumberType | None
) -> tuple[list[Requirement], str | None]:
    """The requirements of one page of Regulations, and the next page's URL (``meta.next_page_url``)."""
    page = _object(data, "regulations")
    found = []
    for item in _array(page, "results"):
        found.extend(_regulation(_object(item, "results[]"), country, number_type))
    meta = page.get("meta")
    if meta is None:
        return found, None
    return found, _text(_object(meta, "meta").get("next_page_url"), "next_page_url")


# -- addresses (2010-04-01) ----------------------------------------------------------------------

# Twilio requires all of these (CustomerName, Street, City, Region, PostalCode, IsoCountry).
_REQUIRED = {
    "customer_name": "the name of the person or business at the address",
    "region": "the state, province or county (for a British address, the county or 'London')",
    "postal_code": "the postal code",
}


def address_form(address: Address) -> dict[str, str]:
    """The form that creates ``address``; refused before sending where Twilio would refuse it."""
    for name, what in _REQUIRED.items():
        if getattr(address, name) is None:
            raise InvalidInputError(f"address.{name}: Twilio needs {what}", field=f"address.{name}")
    form = {
        "CustomerName": address.customer_name or "",
        "Street": address.street,
        "City": address.locality,
        "Region": address.region or "",
        "PostalCode": address.postal_code or "",
        "IsoCountry": address.country,
    }
    if address.street2 is not None:
        form["StreetSecondary"] = address.street2
    if address.emergency is not None:
        form["EmergencyEnabled"] = "true" if address.emergency else "false"
    return form


def address(data: object) -> Address:
    """An Address resource (``AD…``)."""
    item = _object(data, "address")
    values = {
        "id": _text(item.get("sid"), "sid"),
        "customer_name": _text(item.get("customer_name"), "customer_name"),
        "street": _text(item.get("street"), "street"),
        "street2": _text(item.get("street_secondary"), "street_secondary"),
        "locality": _text(item.get("city"), "city"),
        "region": _text(item.get("region"), "region"),
        "postal_code": _text(item.get("postal_code"), "postal_code"),
        "country": _text(item.get("iso_country"), "iso_country"),
        "emergency": _flag(item.get("emergency_enabled"), "emergency_enabled"),
        "validated": _flag(item.get("validated"), "validated"),
        "verified": _flag(item.get("verified"), "verified"),
        "raw": item,
    }
    if values["id"] is None:
        raise Malformed("sid: missing")
    return _validated(Address, values, "address")


def address_page(data: object) -> tuple[list[Address], str | None]:
    """The addresses of one list page and the link to the next (None on the last page)."""
    page = _object(data, "list page")
    found = [address(item) for item in _array(page, "addresses")]
    return found, _text(page.get("next_page_uri"), "next_page_uri")


def dependents(data: object) -> int:
    """How many numbers one page of an address's DependentPhoneNumbers lists."""
    return len(_array(_object(data, "list page"), "dependent_phone_numbers"))


# -- coverage (AvailablePhoneNumbers, both dialects) ---------------------------------------------


def coverage(data: object) -> list[Coverage]:
    """The countries of ``AvailablePhoneNumbers``, each with the number types its ``subresource_uris``
    name (``local``, ``toll_free``, ``mobile``, …; a key the contract does not know is left out)."""
    found = []
    for entry in _array(_object(data, "countries"), "countries"):
        item = _object(entry, "countries[]")
        links = item.get("subresource_uris")
        links = _object(links, "subresource_uris") if links is not None else {}
        types = frozenset(spelled_type(key) for key in links if isinstance(key, str)) - {NumberType.UNKNOWN}
        values = {
            "country": _text(item.get("country_code"), "country_code"),
            "name": _text(item.get("country"), "country"),
            "number_types": types,
            "beta": _flag(item.get("beta"), "beta"),
            "raw": item,
        }
        found.append(_validated(Coverage, values, "country"))
    return found
