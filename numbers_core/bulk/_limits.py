"""How large a bulk job may be: bounds that stop a mistyped or hostile job before anything is done.

Without them a count of a million million is planned item by item until memory runs out, ten
thousand criteria sets take minutes to plan, and ``--file /dev/zero`` is read forever. Each is
far above a real job (a campaign's thousands of numbers, its hundreds of area codes); a larger
one is split into several jobs. docs/bulk.md lists them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sized
from typing import Any

from .._currencies import CURRENCIES
from .._models import Money
from ..errors import InvalidInputError

__all__ = [
    "MAX_CRITERIA",
    "MAX_FILE_BYTES",
    "MAX_ITEMS",
    "MAX_LABEL",
    "MAX_NESTING",
    "check_job",
    "check_size",
]

#: Numbers a job holds: its counts, its numbers and what its filters match, together.
MAX_ITEMS = 100_000
#: Criteria sets of a job (the sandbox plans a thousand, one number each, in about 10 s).
MAX_CRITERIA = 1_000
#: Characters of a job's label.
MAX_LABEL = 200
#: Bytes of a job file.
MAX_FILE_BYTES = 10 * 1024 * 1024
#: Levels of tables and arrays in a job file (a job needs four: criteria, a set, a field, a list).
MAX_NESTING = 32


def check_job(
    *,
    numbers: Sized | None = None,
    criteria: Mapping[str, tuple[Any, Any]] | None = None,
    label: str | None = None,
    max_cost: Money | None = None,
    **_: Any,
) -> None:
    """Refuse, with InvalidInputError, a job over the bounds or of a shape no job has.

    Takes :func:`create_job`'s keyword arguments (those it does not check are ignored), so that
    the command line can check a job before it opens anything.
    """
    if numbers and criteria:
        raise InvalidInputError(
            "a job buys its numbers or numbers matching its criteria: give one, not both", field="criteria"
        )
    total = len(numbers or ())
    if criteria:
        if len(criteria) > MAX_CRITERIA:
            raise InvalidInputError(
                f"a job takes at most {MAX_CRITERIA:,} criteria sets, not {len(criteria):,}: "
                "split it into several jobs",
                field="criteria",
            )
        for name, (_query, count) in criteria.items():
            # bool is an int to Python: `count = true` is no count.
            if isinstance(count, bool) or not isinstance(count, int):
                raise InvalidInputError(
                    f"criteria {name!r}: count must be a whole number, not {count!r}", field="criteria"
                )
            if count < 1:
                raise InvalidInputError(f"criteria {name!r}: count must be at least 1", field="criteria")
            total += count
    check_size(total)
    if label is not None and len(label) > MAX_LABEL:
        raise InvalidInputError(f"label: at most {MAX_LABEL} characters, not {len(label):,}", field="label")
    if max_cost is not None and max_cost.currency not in CURRENCIES:
        raise InvalidInputError(
            f"max_cost: {max_cost.currency!r} is no currency (give its ISO 4217 code: USD, EUR, …)",
            field="max_cost",
        )


def check_size(total: int) -> None:
    """Refuse a job of more than MAX_ITEMS numbers."""
    if total > MAX_ITEMS:
        raise InvalidInputError(
            f"a job holds at most {MAX_ITEMS:,} numbers, not {total:,}: split it into several jobs",
            field="numbers",
        )
