"""What the sandbox sells: number types per country, with capabilities, prices and paperwork.

The values follow what real carriers publish for such numbers (a German
landline needs a local address, a British landline takes no SMS, a US
toll-free number takes SMS but no MMS); the sandbox is its own carrier, so it
states them all. What an offer needs on file is what its address requirement
says (an address anywhere, or one in the number's own town), and for the
landlines of the regulated countries an approved bundle as well.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .._models import AddressRequirement, Capabilities, Money, NumberType, RequirementKind

__all__ = ["COUNTRIES", "COUNTRY_NAMES", "Offer", "offer_for", "offered_types"]

_NONE = AddressRequirement.NONE
_ANY = AddressRequirement.ANY
_LOCAL = AddressRequirement.LOCAL


@dataclass(frozen=True)
class Offer:
    """The terms on which one type of number is sold in one country."""

    capabilities: Capabilities
    setup_price: Money
    monthly_price: Money
    address_requirement: AddressRequirement
    #: what a purchase needs on file, in the order a purchase checks it
    needs: tuple[RequirementKind, ...] = ()


_ADDRESS_NEEDS = {
    _NONE: (),
    _ANY: (RequirementKind.ADDRESS,),
    _LOCAL: (RequirementKind.LOCAL_ADDRESS,),
}


def _offer(
    currency: str, can: str, monthly: str, setup: str, address: AddressRequirement, *, bundle: bool
) -> Offer:
    things = set(can.split())
    return Offer(
        capabilities=Capabilities(
            voice="voice" in things, sms="sms" in things, mms="mms" in things, fax="fax" in things
        ),
        setup_price=Money(amount=Decimal(setup), currency=currency),
        monthly_price=Money(amount=Decimal(monthly), currency=currency),
        address_requirement=address,
        needs=_ADDRESS_NEEDS[address] + ((RequirementKind.BUNDLE,) if bundle else ()),
    )


_L, _M, _TF = NumberType.LOCAL, NumberType.MOBILE, NumberType.TOLL_FREE
_PR, _SC, _VOIP = NumberType.PREMIUM_RATE, NumberType.SHARED_COST, NumberType.VOIP
_P, _N = NumberType.PERSONAL, NumberType.NATIONAL

# (country, type) -> (capabilities, monthly, setup, address requirement). North
# American mobile numbers share their ranges with landlines, so phonenumbers
# reports them as fixed-line-or-mobile: US and CA sell them as local numbers.
# North American toll-free and premium-rate numbers belong to no one country;
# phonenumbers files them under US, and so does the sandbox.
_TERMS: dict[str, tuple[str, dict[NumberType, tuple[str, str, str, AddressRequirement]]]] = {
    "US": (
        "USD",
        {
            _L: ("voice sms mms fax", "1.15", "0.00", _NONE),
            _TF: ("voice sms", "2.15", "0.00", _NONE),
            _PR: ("voice", "25.00", "50.00", _ANY),
            _P: ("voice", "1.50", "0.00", _NONE),
        },
    ),
    "CA": (
        "CAD",
        {
            _L: ("voice sms mms fax", "1.50", "0.00", _NONE),
            _VOIP: ("voice", "2.00", "0.00", _NONE),
            _P: ("voice", "2.00", "0.00", _NONE),
            _N: ("voice", "10.00", "25.00", _ANY),
        },
    ),
    "GB": (
        "GBP",
        {
            _L: ("voice", "1.00", "0.00", _ANY),
            _M: ("voice sms", "1.00", "0.00", _NONE),
            _TF: ("voice", "15.00", "0.00", _NONE),
            _PR: ("voice", "20.00", "25.00", _ANY),
            _VOIP: ("voice", "1.00", "0.00", _ANY),
            _P: ("voice", "5.00", "0.00", _ANY),
            _N: ("voice", "2.00", "0.00", _ANY),
        },
    ),
    "DE": (
        "EUR",
        {
            _L: ("voice", "1.00", "0.00", _LOCAL),
            _M: ("voice sms", "8.00", "0.00", _ANY),
            _TF: ("voice", "20.00", "0.00", _ANY),
            _SC: ("voice", "15.00", "0.00", _ANY),
            _PR: ("voice", "25.00", "50.00", _ANY),
            _P: ("voice", "10.00", "0.00", _ANY),
            _N: ("voice", "15.00", "0.00", _ANY),
        },
    ),
    "FR": (
        "EUR",
        {
            _L: ("voice", "1.50", "0.00", _LOCAL),
            _M: ("voice sms", "8.00", "0.00", _ANY),
            _TF: ("voice", "20.00", "0.00", _ANY),
            _SC: ("voice", "15.00", "0.00", _ANY),
            _PR: ("voice", "25.00", "50.00", _ANY),
            _VOIP: ("voice", "1.50", "0.00", _ANY),
            _N: ("voice", "15.00", "0.00", _ANY),
        },
    ),
    "AU": (
        "AUD",
        {
            _L: ("voice", "4.50", "0.00", _LOCAL),
            _M: ("voice sms mms", "9.00", "0.00", _ANY),
            _TF: ("voice", "25.00", "0.00", _NONE),
            _SC: ("voice", "25.00", "0.00", _NONE),
            _PR: ("voice", "40.00", "50.00", _ANY),
            _VOIP: ("voice", "5.00", "0.00", _ANY),
        },
    ),
}

# Regulated offers: the landlines of these countries are sold only under an approved bundle.
_BUNDLED = frozenset({("GB", _L), ("DE", _L), ("FR", _L), ("AU", _L)})

_OFFERS: dict[tuple[str, NumberType], Offer] = {
    (country, number_type): _offer(currency, *terms, bundle=(country, number_type) in _BUNDLED)
    for country, (currency, types) in _TERMS.items()
    for number_type, terms in types.items()
}

COUNTRIES: tuple[str, ...] = tuple(_TERMS)
"""The countries the sandbox has numbers in."""

COUNTRY_NAMES = {
    "US": "United States",
    "CA": "Canada",
    "GB": "United Kingdom",
    "DE": "Germany",
    "FR": "France",
    "AU": "Australia",
}
"""What the sandbox calls its countries."""


def offer_for(country: str, number_type: NumberType) -> Offer | None:
    """How ``number_type`` numbers are sold in ``country``; None where they are not."""
    return _OFFERS.get((country, number_type))


def offered_types(country: str) -> tuple[NumberType, ...]:
    """The number types the sandbox sells in ``country``."""
    return tuple(number_type for (where, number_type) in _OFFERS if where == country)
