"""Running a bulk job: every carrier call journaled first, every unknown outcome looked up first.

The runner works through a job's items ``concurrency`` at a time, each
request through the account's :class:`RateLimiter`. Before anything else it
settles what a previous run left open (``sending`` after a crash,
``unknown`` after a lost answer) by looking the number up; only an item
shown not to have happened is sent again. A purchase by criteria pins the
number it is about to buy; a number taken meanwhile is replaced by the
next candidate. Each item buys at most one number, so a job never buys
more than its count.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import anyio

from .._models import ActiveNumber, AvailableNumber, NumberConfig, NumberStatus, SearchQuery
from .._phone import parse_e164
from .._provider import Provider
from ..errors import (
    InvalidInputError,
    NotFoundError,
    NumbersError,
    NumberUnavailableError,
    OutcomeUnknownError,
    ProviderUnavailableError,
    RateLimitError,
    TransportError,
)
from ._journal import Item, ItemState, Job, JobState, Journal
from ._limiter import RateLimiter

__all__ = ["Event", "JobKind", "Runner", "create_job"]

# How many times the carrier may refuse an item for now (503, 429, a network failure) before it
# is given up; crashes and look-ups do not count.
_ATTEMPTS = 5


class JobKind(enum.StrEnum):
    """What a job does to each of its numbers."""

    PURCHASE = "purchase"
    CONFIGURE = "configure"
    RELEASE = "release"


@dataclass(frozen=True)
class Event:
    """Something that happened to an item (``state``: done, failed, unknown, retried, reconciled)."""

    seq: int
    number: str | None
    state: str
    error: str | None = None


class Runner:
    """Runs the jobs of a journal against one carrier account."""

    def __init__(
        self,
        carrier: Provider,
        journal: Journal,
        *,
        concurrency: int = 10,
        limiter: RateLimiter | None = None,
        on_event: Callable[[Event], None] | None = None,
    ) -> None:
        if concurrency < 1:
            raise ValueError(f"concurrency: expected at least 1, got {concurrency!r}")
        self.carrier = carrier
        self.journal = journal
        self.concurrency = concurrency
        self.limiter = limiter
        self._on_event = on_event
        self._candidates: dict[str, list[AvailableNumber]] = {}

    def _tell(self, item: Item, state: str, error: BaseException | None = None) -> None:
        if self._on_event is not None:
            message = None if error is None else f"{type(error).__name__}: {error}"
            self._on_event(Event(item.seq, item.number, state, message))

    # -- the job -------------------------------------------------------------------------------

    async def run(self, job_id: str) -> dict[ItemState, int]:
        """Run (or resume) the job to its end; its items' counts by state."""
        job = await self.journal.job(job_id)
        if job.state is JobState.CANCELLED:
            return await self.journal.counts(job_id)
        if self.limiter is not None:
            self.carrier.pace(self.limiter)
        await self.journal.set_state(job_id, JobState.RUNNING)
        for item in await self.journal.interrupted(job_id):
            await self._settle(job, item)
        limiter = anyio.CapacityLimiter(self.concurrency)
        while planned := await self.journal.items(job_id, ItemState.PLANNED):
            async with anyio.create_task_group() as tasks:
                for item in planned:
                    tasks.start_soon(self._one, job, item, limiter)
        counts = await self.journal.counts(job_id)
        if not counts.get(ItemState.UNKNOWN):
            await self.journal.set_state(job_id, JobState.DONE)
        return counts

    async def orphans(self, job_id: str) -> list[str]:
        """Numbers this job pinned that the account owns, yet the journal does not say it bought.

        The final sweep of a purchase job: a carrier that sold a number while saying (or
        looking as if) it had not shows up here. Empty is the goal.
        """
        job = await self.journal.job(job_id)
        if job.kind != JobKind.PURCHASE:
            return []
        pinned = set(await self.journal.pinned(job_id))
        bought = {item.number for item in await self.journal.items(job_id, ItemState.DONE)}
        owned = [number.phone_number async for number in self.carrier.list()]
        return sorted(number for number in owned if number in pinned - bought)

    async def _one(self, job: Job, item: Item, limiter: anyio.CapacityLimiter) -> None:
        async with limiter:
            if item.attempts >= _ATTEMPTS:
                await self.journal.move(
                    job.id, item.seq, ItemState.FAILED, error=("TooManyAttempts", None, "")
                )
                self._tell(item, "failed")
                return
            if item.number is None:
                item = await self._pinned(job, item)
            if item.number is not None:  # else none was left: failed
                await self._send(job, item, item.number)

    # -- pinning (purchases by criteria) -------------------------------------------------------------

    async def _pinned(self, job: Job, item: Item) -> Item:
        """The item with a number of its criteria set pinned; failed when none is left."""
        slot = item.slot or ""
        query = SearchQuery.model_validate(job.spec["criteria"][slot])
        # The page asked for first; when all of it was pinned once already, as many as the carrier gives.
        for limit in (query.limit, 1000):
            candidates = self._candidates.get(slot)
            if not candidates:
                found = await self.carrier.search(query.model_copy(update={"limit": limit}))
                candidates = self._candidates[slot] = found
            while candidates:
                offer = candidates.pop(0)
                if await self.journal.pin(job.id, item.seq, offer.phone_number, price=offer.monthly_price):
                    return replace(item, number=offer.phone_number)
        error = NumberUnavailableError(
            "no number matching the criteria is left to buy", provider=self.carrier.name
        )
        await self._fail(job, item, error)
        return item

    # -- sending ---------------------------------------------------------------------------------

    async def _send(self, job: Job, item: Item, number: str) -> None:
        config = NumberConfig.model_validate(job.spec["config"]) if job.spec.get("config") else None
        await self.journal.move(job.id, item.seq, ItemState.SENDING)
        try:
            if job.kind == JobKind.PURCHASE:
                result: ActiveNumber | None = await self.carrier.purchase(number, config=config)
            elif job.kind == JobKind.CONFIGURE:
                result = await self.carrier.configure(number, config or NumberConfig())
            else:
                await self.carrier.release(number)
                result = None
        except OutcomeUnknownError as unknown:
            await self.journal.move(job.id, item.seq, ItemState.UNKNOWN, error=_error(unknown))
            self._tell(item, "unknown", unknown)
            # A lost answer shown not to have taken effect counts as a try: a carrier that loses
            # every answer and does nothing cannot keep the job going forever.
            await self._settle(job, item, lost=unknown)
        except NumberUnavailableError as taken:
            if job.kind == JobKind.PURCHASE and item.slot is not None:
                # Taken meanwhile: nothing was bought; the next candidate stands in.
                await self.journal.move(job.id, item.seq, ItemState.PLANNED)
                await self.journal.unpin(job.id, item.seq)
                self._tell(item, "retried", taken)
            else:
                await self._fail(job, item, taken)
        except (RateLimitError, TransportError, ProviderUnavailableError) as transient:
            # Said not to have happened (an unknown outcome is OutcomeUnknownError): sent again later.
            await self.journal.move(job.id, item.seq, ItemState.PLANNED, error=_error(transient))
            self._tell(item, "retried", transient)
        except NumbersError as refused:
            await self._fail(job, item, refused)
        else:
            await self.journal.move(job.id, item.seq, ItemState.DONE, result=_dump(result))
            self._tell(item, "done")

    async def _fail(self, job: Job, item: Item, error: NumbersError) -> None:
        await self.journal.move(job.id, item.seq, ItemState.FAILED, error=_error(error))
        self._tell(item, "failed", error)

    # -- settling what is unknown ------------------------------------------------------------------

    async def _settle(self, job: Job, item: Item, *, lost: OutcomeUnknownError | None = None) -> None:
        """Look the number up and write what happened; left unknown if the look-up fails too.

        ``lost``: the answer this run lost (counted as a try when nothing happened); None for
        what a crash left open, which is no try of the carrier's.
        """
        if item.number is None:  # crashed before a number was pinned: nothing was sent
            await self.journal.move(job.id, item.seq, ItemState.PLANNED, reconciled=True)
            return
        number = item.number
        try:
            found: ActiveNumber | None = await self.carrier.get(number)
        except NotFoundError:
            found = None
        except NumbersError as exc:
            self._tell(item, "unknown", exc)
            return
        owned = found is not None and found.status is not NumberStatus.RELEASING
        if job.kind == JobKind.RELEASE:
            happened = not owned
        elif job.kind == JobKind.PURCHASE:
            happened = owned
        else:  # a configure sent again leaves the same configuration
            happened = False
        if happened:
            await self.journal.move(job.id, item.seq, ItemState.DONE, reconciled=True, result=_dump(found))
            self._tell(item, "reconciled")
        elif job.kind == JobKind.CONFIGURE and found is None:
            gone = NotFoundError(f"{number} is not a number of this account", provider=self.carrier.name)
            await self._fail(job, item, gone)
        else:
            tried = _error(lost) if lost is not None else None
            await self.journal.move(job.id, item.seq, ItemState.PLANNED, reconciled=True, error=tried)
            self._tell(item, "retried")


def _error(error: NumbersError) -> tuple[str, str | None, str]:
    return type(error).__name__, getattr(error, "code", None), str(error)[:500]


def _dump(number: ActiveNumber | None) -> dict[str, Any] | None:
    return None if number is None else number.model_dump(mode="json")


async def create_job(
    journal: Journal,
    carrier: Provider,
    kind: JobKind | str,
    *,
    numbers: list[Any] | None = None,
    criteria: dict[str, tuple[SearchQuery, int]] | None = None,
    config: NumberConfig | None = None,
    label: str | None = None,
) -> Job:
    """Plan a job: ``numbers`` (any job), or for a purchase ``criteria`` (name → (query, count)).

    Every number and query is checked now, before anything is written.
    """
    kind = JobKind(kind)
    if kind is JobKind.CONFIGURE and config is None:
        raise InvalidInputError("a configure job needs its config", field="config")
    items: list[tuple[str | None, str | None]] = [(None, parse_e164(n)) for n in numbers or []]
    spec: dict[str, Any] = {}
    if criteria:
        if kind is not JobKind.PURCHASE:
            raise InvalidInputError("only a purchase job buys by criteria", field="criteria")
        spec["criteria"] = {}
        for name, (query, count) in criteria.items():
            if count < 1:
                raise InvalidInputError(f"criteria {name!r}: count must be at least 1", field="criteria")
            carrier._check_search(query)
            spec["criteria"][name] = query.model_dump(mode="json", exclude_unset=True)
            items += [(name, None)] * count
    if config is not None:
        spec["config"] = config.model_dump(mode="json", exclude_unset=True)
    if not items:
        raise InvalidInputError("a job needs numbers or criteria", field="numbers")
    return await journal.create(kind=kind, provider=carrier.name, spec=spec, items=items, label=label)
