"""How the sandbox checks addresses: tidied where it can, refused where it cannot be used.

The rules are few and fixed, so that a test knows what to expect: surrounding
and repeated spaces go, US and Canadian regions (two letters) and British and
Canadian postcodes are upper-cased and spaced as the post writes them; a US or
Canadian address without a two-letter region, or a postal code that does not
have its country's form, is invalid. Emergency addresses are registered in the
US, Canada and the UK only (as at Twilio).
"""

from __future__ import annotations

import re
from typing import Any

from .._models import Address, AddressCheck

__all__ = ["EMERGENCY_COUNTRIES", "check", "is_local"]

EMERGENCY_COUNTRIES = ("US", "CA", "GB")
"""Where the sandbox registers emergency addresses."""

_POSTAL = {
    "US": re.compile(r"^[0-9]{5}(-[0-9]{4})?$"),
    "CA": re.compile(r"^[A-Z][0-9][A-Z] [0-9][A-Z][0-9]$"),
    "GB": re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}$"),
    "DE": re.compile(r"^[0-9]{5}$"),
    "FR": re.compile(r"^[0-9]{5}$"),
    "AU": re.compile(r"^[0-9]{4}$"),
}
# Where the region is a two-letter state or province code, and must be given.
_CODED_REGIONS = frozenset({"US", "CA"})
_TEXT = ("customer_name", "street", "street2", "locality", "region", "postal_code")


def _tidy(text: str | None) -> str | None:
    return (" ".join(text.split()) or None) if text is not None else None


def _postal(country: str, code: str | None) -> str | None:
    if code is None or country not in ("GB", "CA"):
        return code
    # Upper-case, and the space before the inward part that the post writes ("SW1A 1AA").
    compact = code.upper().replace(" ", "")
    return f"{compact[:-3]} {compact[-3:]}" if len(compact) > 3 else compact


def _tidied(address: Address) -> dict[str, Any]:
    fields: dict[str, Any] = {name: _tidy(getattr(address, name)) for name in _TEXT}
    if address.country in _CODED_REGIONS and fields["region"] is not None:
        fields["region"] = fields["region"].upper()
    fields["postal_code"] = _postal(address.country, fields["postal_code"])
    return fields


def _problem(address: Address, fields: dict[str, Any], *, emergency: bool) -> str | None:
    country = address.country
    if fields["street"] is None or fields["locality"] is None:
        return "the street and the town are needed"
    if emergency and country not in EMERGENCY_COUNTRIES:
        return (
            f"emergency addresses are registered in {', '.join(EMERGENCY_COUNTRIES)} only, not in {country}"
        )
    region = fields["region"]
    if country in _CODED_REGIONS and (region is None or not re.fullmatch(r"[A-Z]{2}", region)):
        return f"the region of a {country} address is its two-letter code (as 'TX' or 'ON')"
    pattern, postal_code = _POSTAL.get(country), fields["postal_code"]
    if pattern is not None and postal_code is None:
        return f"a {country} address needs its postal code"
    if pattern is not None and not pattern.fullmatch(postal_code):
        return f"{postal_code!r} is not a postal code of {country}"
    return None


def check(address: Address, *, emergency: bool = False) -> AddressCheck:
    """What the sandbox makes of ``address`` (as an emergency address, if ``emergency``)."""
    fields = _tidied(address)
    problem = _problem(address, fields, emergency=emergency)
    if problem is not None:
        return AddressCheck(result="invalid", message=problem)
    tidied = address.model_copy(update=fields)
    if tidied == address:
        return AddressCheck(result="exact", address=address)
    return AddressCheck(result="corrected", address=tidied, message="spaces, region or postal code tidied")


def is_local(address: Address, country: str, locality: str | None, region: str | None) -> bool:
    """Whether ``address`` lies where a number of ``country`` in ``locality`` (or ``region``) is.

    Towns match case-insensitively; a number's place may name more than the
    town ("Meuselwitz Thüringen", "Mönchengladbach-Rheydt"). A number whose
    place is not known is not contradicted.
    """
    if address.country != country:
        return False
    place, given = (locality, address.locality) if locality is not None else (region, address.region)
    if place is None:
        return True
    if given is None:
        return False
    place, given = place.casefold(), " ".join(given.split()).casefold()
    return place == given or place.startswith((f"{given} ", f"{given}-"))
