"""Buying several numbers, and saying exactly what was bought when not all of them were.

Buying spends money, so the report is built as purchases complete: whatever
stops the run (a carrier error, Ctrl-C) leaves an accurate account of what the
account now owns.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from numbers_core.errors import ConflictError, NotFoundError, NumbersError, NumberUnavailableError

from ._run import EXIT_INTERRUPTED, exit_code

if TYPE_CHECKING:
    from numbers_core import ActiveNumber, NumberConfig, Provider

__all__ = ["Failure", "Purchases"]

# Errors about one number; any other error (auth, funds, network) would hit the
# next purchase as well, so the run stops there.
_THIS_NUMBER_ONLY = (NumberUnavailableError, NotFoundError, ConflictError)


@dataclass(frozen=True)
class Failure:
    number: str | None  # None: "any number matching the query"
    error: NumbersError

    def as_json(self) -> dict[str, Any]:
        return {"number": self.number, "error": type(self.error).__name__, "message": str(self.error)}


@dataclass
class Purchases:
    """What a ``buy`` run asked for, bought and failed to buy, kept up to date as it goes."""

    requested: int
    bought: list[ActiveNumber] = field(default_factory=list)
    failed: list[Failure] = field(default_factory=list)
    not_attempted: list[str] = field(default_factory=list)
    interrupted: bool = False

    async def buy_each(
        self,
        carrier: Provider,
        numbers: list[str],
        config: NumberConfig | None,
        advance: Callable[[], None],
    ) -> None:
        """Buy these numbers; one that is taken does not stop the others."""
        # The number under way is in none of the lists: its outcome is what is unknown on Ctrl-C.
        self.not_attempted = list(numbers)
        while self.not_attempted:
            number = self.not_attempted.pop(0)
            try:
                self.bought.append(await carrier.purchase(number, config=config))
            except _THIS_NUMBER_ONLY as exc:
                self.failed.append(Failure(number, exc))
            except NumbersError as exc:
                self.failed.append(Failure(number, exc))
                return
            advance()

    async def buy_matching(
        self,
        carrier: Provider,
        criteria: dict[str, Any],
        config: NumberConfig | None,
        advance: Callable[[], None],
    ) -> None:
        """Buy ``requested`` numbers matching the criteria, one after the other.

        purchase_any already moves past numbers taken meanwhile, so any error
        it raises (nothing left to buy, the account refused) ends the run.
        """
        while len(self.bought) < self.requested:
            try:
                self.bought.append(await carrier.purchase_any(config=config, **criteria))
            except NumbersError as exc:
                self.failed.append(Failure(None, exc))
                return
            advance()

    def exit_code(self) -> int:
        if self.interrupted:
            return EXIT_INTERRUPTED
        return exit_code(self.failed[0].error) if self.failed else 0

    def error_lines(self) -> list[str]:
        """What went wrong, one line each, for stderr."""
        lines = []
        for failure in self.failed:
            if failure.number is None and not self.bought:
                lines.append(str(failure.error))
            elif failure.number is None:
                lines.append(f"bought {len(self.bought)} of {self.requested} numbers: {failure.error}")
            else:
                lines.append(f"could not buy {failure.number}: {failure.error}")
        if self.not_attempted:
            lines.append(f"not attempted: {', '.join(self.not_attempted)}")
        if self.interrupted:
            lines.append(
                f"interrupted after buying {len(self.bought)} of {self.requested} numbers;"
                " a purchase under way may have gone through: check with `numbers list`"
            )
        return lines

    def as_json(self) -> dict[str, Any]:
        return {
            "requested": self.requested,
            "bought": [number.model_dump(mode="json") for number in self.bought],
            "failed": [failure.as_json() for failure in self.failed],
            "not_attempted": self.not_attempted,
            "interrupted": self.interrupted,
        }
