"""Buying several numbers, and saying exactly what was bought when not all of them were.

Buying spends money, so the report is built as purchases complete: whatever
stops the run (a carrier error, Ctrl-C) leaves an accurate account of what the
account now owns. Every purchase names its number, even with ``--count``
(search, then buy the numbers found one by one), so that a purchase whose
answer was lost can be looked up: the report names that number and says how
to check it, and it is never bought again blindly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from numbers_core import ComplianceScope
from numbers_core.errors import (
    ComplianceRequiredError,
    ConflictError,
    NotFoundError,
    NumbersError,
    NumberUnavailableError,
    OutcomeUnknownError,
    UnsupportedError,
)

from ._run import EXIT_INTERRUPTED, exit_code
from ._words import error_text

if TYPE_CHECKING:
    from numbers_core import ActiveNumber, NumberConfig, Provider

__all__ = ["Failure", "Purchases", "check_purchase"]

# Errors about one number; any other error (auth, funds, network) would hit the
# next purchase as well, so the run stops there.
_THIS_NUMBER_ONLY = (NumberUnavailableError, NotFoundError, ConflictError)
# Searched for at once, beyond the numbers still wanted: some are taken by the time they are bought.
_SPARE = 10
_MOST_PER_SEARCH = 1000


def check_purchase(carrier: Provider, config: NumberConfig | None) -> None:
    """Refuse, before any request, a purchase the carrier cannot make: it would refuse each in turn."""
    from numbers_core.adapter import Feature, config_features

    needed = {Feature.PURCHASE}
    if config is not None and config.model_fields_set:
        needed |= {Feature.PURCHASE_WITH_CONFIG, *config_features(config)}
    for feature in sorted(needed):
        if not carrier.supports(feature):
            raise UnsupportedError(carrier.name, feature)


@dataclass(frozen=True)
class Failure:
    number: str | None  # None: no number was being bought (the search failed, none was left)
    error: NumbersError

    def as_json(self) -> dict[str, Any]:
        found = {"number": self.number, "error": type(self.error).__name__, "message": str(self.error)}
        if isinstance(self.error, ComplianceRequiredError):
            found |= {"requirement": self.error.requirement.value, "scope": self.error.scope.value}
        return found


@dataclass
class Purchases:
    """What a ``buy`` run asked for, bought and failed to buy, kept up to date as it goes."""

    requested: int
    bought: list[ActiveNumber] = field(default_factory=list)
    failed: list[Failure] = field(default_factory=list)
    not_attempted: list[str] = field(default_factory=list)
    interrupted: bool = False
    #: the number whose purchase is under way: its outcome is what is unknown on Ctrl-C
    under_way: str | None = None
    #: bought by criteria (--count), not by the numbers given
    matching: bool = False
    #: the last number passed over for want of what it alone needs (an address in its own town)
    refused: Failure | None = None

    async def buy_each(
        self,
        carrier: Provider,
        numbers: list[str],
        config: NumberConfig | None,
        advance: Callable[[], None],
    ) -> None:
        """Buy these numbers; one that is taken does not stop the others."""
        self.not_attempted = list(numbers)
        while self.not_attempted:
            number = self.not_attempted.pop(0)
            if await self._buy(carrier, number, config, _THIS_NUMBER_ONLY) is None:
                return
            advance()

    async def buy_matching(
        self,
        carrier: Provider,
        criteria: dict[str, Any],
        config: NumberConfig | None,
        advance: Callable[[], None],
    ) -> None:
        """Buy ``requested`` numbers matching the criteria: search, then buy the numbers found.

        A number taken meanwhile is passed over for the next one, and the
        search is repeated until enough are bought or none is left; any other
        error ends the run.
        """
        self.matching = True
        tried: set[str] = set()
        while len(self.bought) < self.requested:
            wanted = min(_MOST_PER_SEARCH, self.requested - len(self.bought) + _SPARE)
            try:
                found = await carrier.search(**{**criteria, "limit": wanted})
            except NumbersError as exc:
                self.failed.append(Failure(None, exc))
                return
            offers = [offer.phone_number for offer in found if offer.phone_number not in tried]
            if not offers:
                if self.refused is not None:
                    # Every number not taken needed what this purchase lacks: say what.
                    self.failed.append(self.refused)
                    return
                left = NumberUnavailableError(
                    "no number matching the criteria is left", provider=carrier.name
                )
                self.failed.append(Failure(None, left))
                return
            for number in offers:
                tried.add(number)
                bought = await self._buy(carrier, number, config, (NumberUnavailableError,))
                if bought is None:
                    return
                if bought:
                    advance()
                    if len(self.bought) == self.requested:
                        return

    async def _buy(
        self,
        carrier: Provider,
        number: str,
        config: NumberConfig | None,
        passed_over: tuple[type[NumbersError], ...],
    ) -> bool | None:
        """Buy ``number``: True if bought, False if refused for it alone, None if the run must stop."""
        self.under_way = number
        try:
            self.bought.append(await carrier.purchase(number, config=config))
        except passed_over as exc:
            self._passed_over(Failure(number, exc))
            return False
        except ComplianceRequiredError as exc:
            if exc.scope is not ComplianceScope.NUMBER:
                # Every number of its country and type would be refused as well.
                self.failed.append(Failure(number, exc))
                self.under_way = None
                return None
            self.refused = Failure(number, exc)
            self._passed_over(self.refused)
            return False
        except NumbersError as exc:
            self.failed.append(Failure(number, exc))
            self.under_way = None
            return None
        self.under_way = None
        return True

    def _passed_over(self, failure: Failure) -> None:
        # A number asked for by name is reported; one the search found is simply passed over.
        if not self.matching:
            self.failed.append(failure)
        self.under_way = None

    def exit_code(self) -> int:
        if self.interrupted:
            return EXIT_INTERRUPTED
        return exit_code(self.failed[0].error) if self.failed else 0

    def error_lines(self) -> list[str]:
        """What went wrong, one line each, for stderr."""
        lines = [self._failure_line(failure) for failure in self.failed]
        if self.not_attempted:
            lines.append(f"not attempted: {', '.join(self.not_attempted)}")
        if self.interrupted:
            line = f"interrupted after buying {len(self.bought)} of {self.requested} numbers"
            if self.under_way is not None:
                line += f"; {self.under_way} was being bought and may have been: {_check(self.under_way)}"
            lines.append(line)
        return lines

    def _failure_line(self, failure: Failure) -> str:
        error, number = failure.error, failure.number
        if isinstance(error, OutcomeUnknownError):
            number = number or error.number
            text = f"{error}; " + (
                f"{number} may have been bought: {_check(number)}"
                if number
                else "a number may have been bought: check with `numbers list` before buying again"
            )
        elif number is not None and not self.matching:
            text = f"could not buy {number}: {error_text(error)}"
        elif failure is self.refused:
            text = (
                "the numbers left matching the criteria could not be bought; "
                f"the last one tried, {number}: {error_text(error)}"
            )
        else:
            text = error_text(error)
        if self.matching and self.bought:
            return f"bought {len(self.bought)} of {self.requested} numbers: {text}"
        return text

    def as_json(self) -> dict[str, Any]:
        return {
            "requested": self.requested,
            "bought": [number.model_dump(mode="json") for number in self.bought],
            "failed": [failure.as_json() for failure in self.failed],
            "not_attempted": self.not_attempted,
            "interrupted": self.interrupted,
            "under_way": self.under_way if self.interrupted else None,
        }


def _check(number: str) -> str:
    return f"check with `numbers show {number}` before buying it again"
