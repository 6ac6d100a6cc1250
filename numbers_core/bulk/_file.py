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
from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field, Strict

from .._models import Money, NumberCompliance, NumberConfig, SearchQuery
from .._phone import parse_e164
from .._problems import problems as plain_problems
from ..errors import InvalidInputError
from ._engine import JobKind, with_compliance
from ._limits import MAX_FILE_BYTES, MAX_NESTING, check_job

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
    # Strict: `count = true` is no count (pydantic would take it for 1).
    count: Annotated[int, Field(ge=1), Strict()]


class _Refused(Exception):
    """What is wrong with a job file as a file (its text, its syntax, its size)."""


def _read(file: Path) -> str:
    """The file's text: at most MAX_FILE_BYTES read, whatever the file is (``/dev/zero``)."""
    try:
        with file.open("rb") as opened:
            data = opened.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise _Refused(exc.strerror or str(exc)) from None
    if len(data) > MAX_FILE_BYTES:
        raise _Refused(f"larger than a job file may be ({MAX_FILE_BYTES // 1024 // 1024} MiB)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise _Refused("not UTF-8 text") from None


def _parse(file: Path, text: str) -> Any:
    too_deep = f"nested deeper than a job file may be ({MAX_NESTING} levels)"
    try:
        if file.suffix.lower() == ".json":
            data = json.loads(text, object_pairs_hook=_once_each)
        else:
            data = tomllib.loads(text)
    except RecursionError:  # the parsers recurse once a level: far past MAX_NESTING
        raise _Refused(too_deep) from None
    except ValueError as exc:  # JSON's and TOML's decode errors, a key given twice
        raise _Refused(str(exc)) from None
    if _depth(data) > MAX_NESTING:
        raise _Refused(too_deep)
    return data


def _once_each(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object whose keys are all different: json keeps the last of a key given twice, so that
    ``{"kind": "buy", "kind": "release"}`` would release (TOML refuses it itself)."""
    data: dict[str, Any] = {}
    for key, value in pairs:
        if key in data:
            raise ValueError(f"{key!r} is given twice")
        data[key] = value
    return data


def _depth(data: Any) -> int:
    """How many levels of tables and arrays ``data`` has (counted without recursion)."""
    deepest, level = 0, [(data, 0)]
    while level:
        value, depth = level.pop()
        if isinstance(value, dict | list):
            deepest = max(deepest, depth + 1)
            if deepest > MAX_NESTING:
                break
            children = value.values() if isinstance(value, dict) else value
            level.extend((child, depth + 1) for child in children)
    return deepest


class JobFile(pydantic.BaseModel):
    """A job as a file describes it; :meth:`arguments` are :func:`create_job`'s."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Annotated[JobKind, BeforeValidator(_kind)]
    label: str | None = None
    # Checked here, as the command line's NUMBERs are: a bad one is refused before anything opens.
    numbers: list[Annotated[str, AfterValidator(parse_e164)]] | None = None
    criteria: dict[str, _Criteria] | None = None
    matching: dict[str, Any] | None = None
    config: NumberConfig | None = None
    #: NumberConfig.compliance, given apart (over ``config.compliance``, field by field)
    compliance: NumberCompliance | None = None
    max_cost: Annotated[Money | None, BeforeValidator(lambda v: v if v is None else parse_money(v))] = None

    @classmethod
    def load(cls, path: str | Path) -> JobFile:
        """The job of a ``.toml`` or ``.json`` file; InvalidInputError saying what is wrong where.

        A file over the bounds of ``numbers_core.bulk._limits`` (its size, its nesting, the job's
        numbers, criteria sets and label) is refused, and so is a JSON object with a key twice.
        """
        file = Path(path).expanduser()
        where = f"job file {str(file)!r}"
        try:
            data = _parse(file, _read(file))
            job = cls.model_validate(data)
            check_job(**job.arguments())
        except _Refused as exc:
            raise InvalidInputError(f"{where}: {exc}", field="file") from None
        except InvalidInputError as exc:
            raise InvalidInputError(f"{where}: {exc.message}", field="file") from None
        except pydantic.ValidationError as exc:
            problems = "; ".join(f"{at or 'job'}: {text}" for at, text, _ in plain_problems(exc))
            raise InvalidInputError(f"{where}: {problems}", field="file") from None
        return job

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
