"""The settings every provider takes, and the base class adapters extend."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from ._kinds import NumberType, PriceBasis
from ._models import Country, Money, NumberPrice

__all__ = ["PriceTable", "ProviderSettings", "TablePrice", "table_prices"]

_AMOUNT = re.compile(r"^\s*(?P<amount>[0-9]+(?:\.[0-9]+)?)\s+(?P<currency>[A-Za-z]{3})\s*$")


def _money(value: Any) -> Any:
    # "1.15 USD": amount and currency in one string, as a user writes a price in TOML.
    if not isinstance(value, str):
        return value
    found = _AMOUNT.match(value)
    if found is None:
        raise ValueError(f"{value!r} is not a price: write the amount and the currency, as '1.15 USD'")
    try:
        return Money(amount=Decimal(found["amount"]), currency=found["currency"])
    except InvalidOperation:  # pragma: no cover - the pattern admits only decimal numbers
        raise ValueError(f"{value!r} is not a price") from None


_TableMoney = Annotated[Money, BeforeValidator(_money)]


class TablePrice(BaseModel):
    """One row of a ``prices`` table: the monthly price, and the setup fee where there is one."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    monthly: _TableMoney
    setup: _TableMoney | None = None


def _table_price(value: Any) -> Any:
    # The short form: just the monthly price.
    return {"monthly": value} if isinstance(value, str) else value


_SOLD_TYPES = tuple(kind.value for kind in NumberType if kind is not NumberType.UNKNOWN)


def _sold_type(value: Any) -> Any:
    if value not in _SOLD_TYPES:
        raise ValueError(f"{value!r} is not a type of number one buys ({', '.join(_SOLD_TYPES)})")
    return value


#: the ``prices`` setting: country → number type → price, e.g.
#: ``{"US": {"local": "1.15 USD", "toll_free": {"monthly": "2.15 USD", "setup": "1 USD"}}}``
PriceTable = dict[
    Country,
    dict[
        Annotated[NumberType, BeforeValidator(_sold_type)],
        Annotated[TablePrice, BeforeValidator(_table_price)],
    ],
]


def table_prices(table: PriceTable) -> dict[str, list[NumberPrice]]:
    """The rows of a ``prices`` table as NumberPrices (basis ``table``), per country."""
    return {
        country: [
            NumberPrice(
                country=country,
                number_type=number_type,
                monthly=row.monthly,
                setup=row.setup,
                basis=PriceBasis.TABLE,
            )
            for number_type, row in types.items()
        ]
        for country, types in table.items()
    }


class ProviderSettings(BaseModel):
    """Settings common to every provider; each adapter subclasses this.

    Secrets are ``pydantic.SecretStr`` so that they never show in a repr.
    Unknown settings are refused (a typo must not silently fall back to a
    default).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    #: total seconds one HTTP request may take (connect: at most 10 s of it)
    timeout: Annotated[float, Field(gt=0, le=600)] = 30.0
    #: how many times one request is tried in all, first try included
    max_attempts: Annotated[int, Field(ge=1, le=20)] = 4
    #: total seconds one call may take, every try and every wait (Retry-After included) counted
    deadline: Annotated[float, Field(gt=0, le=3600)] = 60.0
    #: connections open at once to the carrier, all of them kept for reuse: set it to the
    #: concurrency you run at (a smaller idle pool reopens connections in every wave of requests)
    max_connections: Annotated[int, Field(ge=1, le=1000)] = 100
    #: plain http:// to a host that is not loopback; for test rigs only
    allow_insecure_http: bool = False
    #: what numbers cost at this carrier, per country and number type, as you pay them
    #: (``{"US": {"local": "1.15 USD"}}``): used instead of the carrier's own price list, and for
    #: carriers that publish none; with it, ``prices()`` and priced search results work everywhere
    prices: PriceTable | None = None
