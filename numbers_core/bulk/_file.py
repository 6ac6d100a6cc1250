"""A job described in a TOML or JSON file, checked whole before anything is planned.

::

    kind = "purchase"              # purchase, configure or release
    label = "Spring campaign"
    max_cost = "600 USD"           # optional: the cap on the numbers' total monthly price

    [criteria.sf]                  # as many sets as wanted: a name, a count, SearchQuery fields
    count = 500
    area_code = "415"

    [criteria.oakland]
    count = 500
    area_code = "510"
    sms = true

    [config]                       # optional: NumberConfig fields applied to each number
    friendly_name = "Campaign"
    voice = { url = "https://example.com/voice" }

    [compliance]                   # optional: the references each number is bought under
    address_id = "AD…"
    bundle_id = "BU…"

A job may give ``numbers = ["+14155550100", …]`` instead of criteria, and
a configure or release job ``[matching]`` (``list()`` filters: every
number the account owns that matches).
"""

from __future__ import annotations

import json
import re
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import pydantic
from pydantic import BeforeValidator, ConfigDict, Field

from .._models import Money, NumberCompliance, NumberConfig, SearchQuery
from .._problems import problems as plain_problems
from ..errors import InvalidInputError
from ._engine import JobKind, with_compliance

__all__ = ["JobFile", "parse_money"]

_MONEY = re.compile(r"^\s*(?P<amount>[0-9]+(?:\.[0-9]+)?)\s*(?P<currency>[A-Za-z]{3})?\s*$")


def parse_money(text: object, *, default_currency: str = "USD") -> Money:
    """``"600"``, ``"600 USD"`` or ``"12.50EUR"`` as Money (the currency USD unless written)."""
    match = _MONEY.match(str(text))
    if match is None:
        raise ValueError(f"expected an amount and a currency, such as '600 USD', got {text!r}")
    return Money(amount=Decimal(match["amount"]), currency=match["currency"] or default_currency)


def _kind(value: object) -> object:
    # "buy" is what the CLI calls a purchase.
    return "purchase" if value == "buy" else value


class _Criteria(SearchQuery):
    count: Annotated[int, Field(ge=1)]


class JobFile(pydantic.BaseModel):
    """A job as a file describes it; :meth:`arguments` are :func:`create_job`'s."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Annotated[JobKind, BeforeValidator(_kind)]
    label: str | None = None
    numbers: list[str] | None = None
    criteria: dict[str, _Criteria] | None = None
    matching: dict[str, Any] | None = None
    config: NumberConfig | None = None
    #: NumberConfig.compliance, given apart (over ``config.compliance``, field by field)
    compliance: NumberCompliance | None = None
    max_cost: Annotated[Money | None, BeforeValidator(lambda v: v if v is None else parse_money(v))] = None

    @classmethod
    def load(cls, path: str | Path) -> JobFile:
        """The job of a ``.toml`` or ``.json`` file; InvalidInputError saying what is wrong where."""
        file = Path(path).expanduser()
        try:
            text = file.read_text(encoding="utf-8")
        except OSError as exc:
            raise InvalidInputError(f"job file {str(file)!r}: {exc.strerror}", field="file") from None
        except UnicodeDecodeError:
            raise InvalidInputError(f"job file {str(file)!r}: not UTF-8 text", field="file") from None
        try:
            data = json.loads(text) if file.suffix.lower() == ".json" else tomllib.loads(text)
        except ValueError as exc:  # JSON's and TOML's decode errors both
            raise InvalidInputError(f"job file {str(file)!r}: {exc}", field="file") from None
        try:
            return cls.model_validate(data)
        except pydantic.ValidationError as exc:
            problems = "; ".join(f"{where or 'job'}: {text}" for where, text, _ in plain_problems(exc))
            raise InvalidInputError(f"job file {str(file)!r}: {problems}", field="file") from None

    def arguments(self) -> dict[str, Any]:
        """Keyword arguments for :func:`create_job` (but ``confirm``)."""
        criteria = None
        if self.criteria:
            criteria = {
                name: (
                    SearchQuery.model_validate(c.model_dump(exclude={"count"}, exclude_unset=True)),
                    c.count,
                )
                for name, c in self.criteria.items()
            }
        config = self.config if self.compliance is None else with_compliance(self.config, self.compliance)
        return {
            "kind": self.kind,
            "numbers": self.numbers,
            "criteria": criteria,
            "matching": self.matching,
            "config": config,
            "max_cost": self.max_cost,
            "label": self.label,
        }
