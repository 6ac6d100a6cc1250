"""What a carrier's native batch call says of each number: its result, or its error."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .errors import NumbersError

if TYPE_CHECKING:
    from ._models import ActiveNumber

__all__ = ["BatchOutcome"]


@dataclass(frozen=True, slots=True)
class BatchOutcome:
    """One number of a batch: ``result`` (the number as it is now; None after a release) or ``error``.

    An outcome whose ``error`` is an :class:`~numbers_core.OutcomeUnknownError`
    may or may not have taken effect: look the number up before trying again.
    """

    number: str
    result: ActiveNumber | None = None
    error: NumbersError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None
