"""Running a bulk job: every carrier call journaled first, every unknown outcome looked up first.

The runner works through a job's items ``concurrency`` at a time, each
request through the account's :class:`RateLimiter`. Before anything else it
settles what a previous run left open (``sending`` after a crash,
``unknown`` after a lost answer) by looking the number up; only an item
shown not to have happened is sent again. A purchase by criteria pins the
number it is about to buy; a number taken meanwhile is replaced by the
next candidate. Each item buys at most one number, so a job never buys
more than its count.

Where the carrier has native batch calls (``Feature.BULK``), a batch of
items goes in one request, each still journaled and settled on its own.
Large jobs are read from the journal a page at a time, so memory does not
grow with the job.
"""

from __future__ import annotations

import contextlib
import enum
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

import anyio

from .._batch import BatchOutcome
from .._features import Feature
from .._models import ActiveNumber, AvailableNumber, Money, NumberConfig, NumberStatus, SearchQuery
from .._phone import parse_e164
from .._provider import Provider
from ..errors import (
    AuthenticationError,
    ConfigurationError,
    InvalidInputError,
    NotFoundError,
    NumbersError,
    NumberUnavailableError,
    OutcomeUnknownError,
    PaymentRequiredError,
    ProviderUnavailableError,
    RateLimitError,
    TransportError,
    UnsupportedError,
)
from ._journal import Item, ItemState, Job, JobState, Journal, LeaseLost, OverCap
from ._limiter import RateLimiter

__all__ = ["Event", "JobKind", "Plan", "Runner", "create_job"]

# How many times the carrier may refuse an item for now (503, 429, a network failure) before it
# is given up; crashes and look-ups do not count.
_ATTEMPTS = 5
# Items read from the journal at a time.
_PAGE = 500
# Errors about the account, not the number: every other item would get the same, so the run stops
# (the item untouched, the job resumable) and raises it.
# How often a worker of a shared journal counts the workers it shares the rate with.
_SHARE_PERIOD = 1.0
_ACCOUNT_WIDE = (AuthenticationError, PaymentRequiredError, ConfigurationError, UnsupportedError)


class JobKind(enum.StrEnum):
    """What a job does to each of its numbers."""

    PURCHASE = "purchase"
    CONFIGURE = "configure"
    RELEASE = "release"


_BATCHES = {
    JobKind.PURCHASE: Feature.PURCHASE_MANY,
    JobKind.CONFIGURE: Feature.CONFIGURE_MANY,
    JobKind.RELEASE: Feature.RELEASE_MANY,
}


@dataclass(frozen=True)
class Event:
    """Something that happened while a job ran.

    ``state`` is done, failed, unknown, retried or reconciled for an item
    (``seq``, ``number``), or ``rate`` when the rate limiter slowed down
    after a 429 (``seq`` -1; ``rate`` the requests per second now).
    """

    seq: int
    number: str | None
    state: str
    error: str | None = None
    rate: float | None = None


@dataclass(frozen=True)
class Plan:
    """What a job will do: its items (numbers pinned, prices quoted) and what they cost."""

    job: Job
    items: list[Item]
    #: monthly price of the numbers still to buy, by currency (where the carrier quotes prices)
    total: dict[str, Decimal] = field(default_factory=dict)
    #: items with no quoted price
    unpriced: int = 0

    @property
    def count(self) -> int:
        """Items the job will still send (not done or failed already)."""
        return sum(item.state not in (ItemState.DONE, ItemState.FAILED) for item in self.items)


class Runner:
    """Runs the jobs of a journal against one carrier account.

    ``limiter``: the account's rate limit; by default the one the carrier
    documents (``Provider.rate_limit``), else none. ``batches``: use the
    carrier's native batch calls where it has them.
    """

    def __init__(
        self,
        carrier: Provider,
        journal: Journal,
        *,
        concurrency: int = 10,
        limiter: RateLimiter | None = None,
        on_event: Callable[[Event], None] | None = None,
        batches: bool = True,
    ) -> None:
        if concurrency < 1:
            raise ValueError(f"concurrency: expected at least 1, got {concurrency!r}")
        self.carrier = carrier
        self.journal = journal
        self.concurrency = concurrency
        documented = carrier.rate_limit
        if limiter is None and documented is not None:
            limiter = RateLimiter(documented.rate, burst=documented.burst)
        self.limiter = limiter
        if limiter is not None:
            limiter.watch(self._rate_changed)
        self.batches = batches
        self._on_event = on_event
        self._candidates: dict[str, list[AvailableNumber]] = {}
        self._searching: dict[str, anyio.Lock] = {}
        self._stopping = False
        self._scope: anyio.CancelScope | None = None
        self._halted: NumbersError | None = None
        self._search_failures = 0
        self._idle = False  # a worker of a shared journal, waiting for the others to finish
        self._starved = False  # an item found no number the other workers had not pinned
        #: whether the last run was stopped (:meth:`stop`) before the job's end
        self.stopped = False

    def _tell(self, item: Item, state: str, error: BaseException | None = None) -> None:
        if self._on_event is not None:
            message = None if error is None else f"{type(error).__name__}: {error}"
            self._on_event(Event(item.seq, item.number, state, message))

    def _rate_changed(self, rate: float) -> None:
        if self._on_event is not None:
            self._on_event(Event(-1, None, "rate", rate=rate))

    # -- the job -------------------------------------------------------------------------------

    async def run(self, job_id: str) -> dict[ItemState, int]:
        """Run (or resume) the job to its end; its items' counts by state.

        Returns early, the job resumable, after :meth:`stop`.
        """
        job = await self.journal.job(job_id)
        if job.state is JobState.CANCELLED:
            return await self.journal.counts(job_id)
        if self.limiter is not None:
            self.carrier.pace(self.limiter)
        self._stopping = self.stopped = False
        self._halted = None
        await self.journal.set_state(job_id, JobState.RUNNING)
        async with anyio.create_task_group() as beating:
            if self.journal.shared:
                beating.start_soon(self._heartbeat, job_id)
                if self.limiter is not None:
                    await beating.start(self._sharing, self.limiter)
            with anyio.CancelScope() as self._scope:
                await self._rounds(job)
            self._scope = None
            beating.cancel_scope.cancel()
        if self.journal.shared:
            with anyio.CancelScope(shield=True):
                await self.journal.give_back(job_id)
                await self.journal.check_out()
        counts = await self.journal.counts(job_id)
        self.stopped = self._stopping and any(
            counts.get(state) for state in (ItemState.PLANNED, ItemState.SENDING, ItemState.UNKNOWN)
        )
        if self._halted is not None:
            raise self._halted
        if not self.stopped and not counts.get(ItemState.UNKNOWN):
            await self.journal.set_state(job_id, JobState.DONE)
        return counts

    async def _rounds(self, job: Job) -> None:
        """Settle what was left open, then send what is planned; in a shared journal, until the
        other workers have nothing left either (a dead one's items are taken over)."""
        while True:
            self._starved = False
            for item in await self.journal.interrupted(job.id):
                if self._stopping:
                    return
                await self._settle(job, item)
            while not self._stopping and not self._starved and await self._pass(job):
                pass
            if self._stopping or not self.journal.shared:
                return
            if not await self.journal.held_by_others(job.id):
                if not self._starved and not await self.journal.takeable(job.id):
                    return
                continue  # a dead worker's items (its lease run out), or this one's, to search again
            # Others are at work: this worker waits, and leaves them its share of the rate.
            self._idle = True
            await anyio.sleep(self.journal.lease / 4)
            self._idle = False
            if self.limiter is not None:
                await self._join(self.limiter)

    async def _heartbeat(self, job_id: str) -> None:
        """Renew this worker's leases while it runs; a journal out of reach stops the run, since
        others take over the items once the leases run out."""
        while True:
            await anyio.sleep(self.journal.lease / 3)
            try:
                await self.journal.renew(job_id)
            except NumbersError as error:
                self._halt(error)
                return

    async def _join(self, limiter: RateLimiter) -> None:
        """Take this worker's share of the rate: an equal one among the live workers of the
        journal that spend the same budget (the carrier's name: workers on different accounts of
        one carrier share too, which errs on the safe side)."""
        limiter.share(1 / await self.journal.check_in(self.carrier.name))
        # The others learn of this worker within a period: it sends nothing before they have.
        await anyio.sleep(_SHARE_PERIOD)

    async def _sharing(
        self, limiter: RateLimiter, *, task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED
    ) -> None:
        """Keep to this worker's share while it runs; none while it waits for the others."""
        await self._join(limiter)
        task_status.started()
        while True:
            try:
                if self._idle:
                    await self.journal.check_out()
                else:
                    limiter.share(1 / await self.journal.check_in(self.carrier.name))
            except NumbersError as error:
                self._halt(error)
                return
            await anyio.sleep(_SHARE_PERIOD)

    @property
    def stopping(self) -> bool:
        """Whether :meth:`stop` was called (or an account-wide error stopped the run)."""
        return self._stopping

    def _halt(self, error: NumbersError) -> None:
        if self._halted is None:
            self._halted = error
        self.stop()

    def stop(self, grace: float = 5.0) -> None:
        """Send nothing new; what is in flight gets ``grace`` seconds, then is left unknown.

        Call it from the event loop that runs the job (a signal handler's task, say).
        The job resumes with :meth:`run`, which settles what was left unknown first.
        """
        self._stopping = True
        if self._scope is not None:
            self._scope.deadline = min(self._scope.deadline, anyio.current_time() + grace)

    async def _pass(self, job: Job) -> bool:
        """Send the planned items, ``concurrency`` at a time, until none is left; False when none was."""
        feature = _BATCHES[JobKind(job.kind)]
        size = self.carrier.batch_size if self.batches and self.carrier.supports(feature) else 1
        # A shared journal's workers claim what they are about to send, no more: the rest is
        # left for the others.
        page = self.concurrency * size if self.journal.shared else max(_PAGE, size)
        pages = _Pages(self.journal, job.id, size, page, again=lambda: not self._starved)
        if not await pages.any():
            return False

        running = self.concurrency
        finished = anyio.Event()

        async def worker() -> None:
            nonlocal running
            try:
                async with anyio.create_task_group() as writes:
                    while not self._stopping and (items := await pages.take()):
                        try:
                            if size > 1:
                                await self._many(job, items)
                            else:
                                await self._one(job, items[0], writes)
                        finally:
                            pages.finished(items)
            finally:
                running -= 1
                if not running:
                    finished.set()

        try:
            async with anyio.create_task_group() as tasks:
                for _ in range(self.concurrency):
                    tasks.start_soon(worker)
                if self.journal.shared:
                    tasks.start_soon(self._take_over, job, finished)
        except BaseExceptionGroup as group:
            raise _first(group) from None
        return True

    async def _take_over(self, job: Job, finished: anyio.Event) -> None:
        """While a pass runs, settle what dead workers left in flight as soon as their leases run
        out, not once this worker's own items are all sent (a long job's end)."""
        while True:
            with anyio.move_on_after(self.journal.lease / 2):
                await finished.wait()
            if finished.is_set() or self._stopping:
                return
            for item in await self.journal.interrupted(job.id, others=True):
                await self._settle(job, item)

    async def plan(self, job_id: str) -> Plan:
        """Pin a number for every item of a purchase by criteria that has none yet (nothing is
        bought); the job's items and their quoted prices. The numbers shown are those run buys,
        but for any taken meanwhile, which are replaced."""
        job = await self.journal.job(job_id)
        after = -1
        while page := await self.journal.items(job_id, ItemState.PLANNED, after=after, limit=_PAGE):
            for item in page:
                if item.number is None and item.slot is not None:
                    await self._pinned(job, item)
            after = page[-1].seq
        items = await self.journal.items(job_id)
        total: dict[str, Decimal] = {}
        unpriced = 0
        for item in items:
            if item.state in (ItemState.DONE, ItemState.FAILED):
                continue
            if item.price is None or item.currency is None:
                unpriced += 1
            else:
                total[item.currency] = total.get(item.currency, Decimal(0)) + item.price
        return Plan(job, items, total, unpriced)

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

    async def _ready(self, job: Job, item: Item) -> Item | None:
        """The item with its number, to be sent; None when it has failed instead."""
        if item.attempts >= _ATTEMPTS:
            await self.journal.move(job.id, item.seq, ItemState.FAILED, error=("TooManyAttempts", None, ""))
            self._tell(item, "failed")
            return None
        if item.number is None:
            try:
                item = await self._pinned(job, item)
            except NumbersError as failed:  # the search: the item is left planned, for the next pass
                self._search_failures += 1
                if isinstance(failed, _ACCOUNT_WIDE) or self._search_failures >= _ATTEMPTS:
                    self._halt(failed)
                return None
            self._search_failures = 0
        return item if item.number is not None else None

    async def _one(self, job: Job, item: Item, writes: anyio.abc.TaskGroup | None = None) -> None:
        ready = await self._ready(job, item)
        if ready is None or ready.number is None:
            return
        number = ready.number
        config = _config(job)
        try:
            await self.journal.move(job.id, ready.seq, ItemState.SENDING)
        except LeaseLost:
            return  # another worker's now
        try:
            async with _unknown_if_cancelled(self, job, [ready]):
                if job.kind == JobKind.PURCHASE:
                    result: ActiveNumber | None = await self.carrier.purchase(number, config=config)
                elif job.kind == JobKind.CONFIGURE:
                    result = await self.carrier.configure(number, config or NumberConfig())
                else:
                    await self.carrier.release(number)
                    result = None
        except NumbersError as error:
            await self._outcome(job, ready, BatchOutcome(number, error=error))
        else:
            if writes is None:
                await self._outcome(job, ready, BatchOutcome(number, result=result))
            else:
                # Done is written while the next item is marked sending: one trip to the disk for
                # both. Cut off by a crash or a stop, the item stays sending, and is looked up.
                writes.start_soon(self._outcome, job, ready, BatchOutcome(number, result=result))

    async def _many(self, job: Job, items: list[Item]) -> None:
        """A native batch: every item journaled as sending in one write, then one request."""
        ready = [one for item in items if (one := await self._ready(job, item)) is not None]
        if not ready:
            return
        numbers = [item.number or "" for item in ready]
        config = _config(job)
        try:
            await self.journal.move(job.id, [item.seq for item in ready], ItemState.SENDING)
        except LeaseLost:
            return  # the others' now, all of them: they were claimed together
        try:
            async with _unknown_if_cancelled(self, job, ready):
                if job.kind == JobKind.PURCHASE:
                    outcomes = await self.carrier.purchase_many(numbers, config=config)
                elif job.kind == JobKind.CONFIGURE:
                    outcomes = await self.carrier.configure_many(numbers, config or NumberConfig())
                else:
                    outcomes = await self.carrier.release_many(numbers)
        except NumbersError as error:  # refused as a whole, before any number was touched
            outcomes = [BatchOutcome(number, error=error) for number in numbers]
        for item, outcome in zip(ready, outcomes, strict=True):
            await self._outcome(job, item, outcome)

    # -- pinning (purchases by criteria) -------------------------------------------------------------

    async def _pinned(self, job: Job, item: Item) -> Item:
        """The item with a number of its criteria set pinned; failed when none is left."""
        slot = item.slot or ""
        query = SearchQuery.model_validate(job.spec["criteria"][slot])
        cap = Money.model_validate(job.spec["max_cost"]) if job.spec.get("max_cost") else None
        searching = self._searching.setdefault(slot, anyio.Lock())
        # The page asked for first; when all of it was pinned once already, as many as the carrier gives.
        for limit in (query.limit, 1000):
            searched = False  # one search of its own per page size, so that an item ends
            while True:
                # One task searches for all: tasks searching at once would all get the same
                # numbers and race to pin them. Numbers the job pinned already (being bought
                # meanwhile, or replaced) still show, and are left out before any pin is tried.
                async with searching:
                    candidates = self._candidates.setdefault(slot, [])
                    if not candidates and not searched:
                        found = await self.carrier.search(query.model_copy(update={"limit": limit}))
                        fresh = await self.journal.unpinned(job.id, [o.phone_number for o in found])
                        candidates.extend(o for o in found if o.phone_number in fresh)
                        searched = True
                    if not candidates:
                        break
                    offer = candidates.pop(0)
                try:
                    pinned = await self.journal.pin(
                        job.id, item.seq, offer.phone_number, price=offer.monthly_price, cap=cap
                    )
                except OverCap as over:
                    await self.journal.move(
                        job.id, item.seq, ItemState.FAILED, error=("CostCapReached", None, str(over))
                    )
                    self._tell(item, "failed", over)
                    return item
                if pinned:
                    return replace(item, number=offer.phone_number)
        if self.journal.shared and await self.journal.held_by_others(job.id):
            # What the search shows, other workers have pinned: once they have bought it, the
            # carrier shows other numbers. The item stays planned, for a later round.
            self._starved = True
            return item
        error = NumberUnavailableError(
            "no number matching the criteria is left to buy", provider=self.carrier.name
        )
        await self._fail(job, item, error)
        return item

    # -- what the carrier said -------------------------------------------------------------------

    async def _outcome(self, job: Job, item: Item, outcome: BatchOutcome) -> None:
        """Write what the carrier said of an item that was sent."""
        error = outcome.error
        if error is None:
            await self.journal.move(job.id, item.seq, ItemState.DONE, result=_dump(outcome.result))
            self._tell(item, "done")
        elif isinstance(error, OutcomeUnknownError):
            await self.journal.move(job.id, item.seq, ItemState.UNKNOWN, error=_error(error))
            self._tell(item, "unknown", error)
            # A lost answer shown not to have taken effect counts as a try: a carrier that loses
            # every answer and does nothing cannot keep the job going forever.
            await self._settle(job, item, lost=error)
        elif isinstance(error, NumberUnavailableError) and job.kind == JobKind.PURCHASE and item.slot:
            # Taken meanwhile: nothing was bought; the next candidate stands in.
            await self.journal.move(job.id, item.seq, ItemState.PLANNED)
            await self.journal.unpin(job.id, item.seq)
            self._tell(item, "retried", error)
        elif isinstance(error, _ACCOUNT_WIDE):
            await self.journal.move(job.id, item.seq, ItemState.PLANNED, error=_error(error))
            self._tell(item, "retried", error)
            self._halt(error)
        elif isinstance(error, RateLimitError | TransportError | ProviderUnavailableError):
            # Said not to have happened (an unknown outcome is OutcomeUnknownError): sent again later.
            await self.journal.move(job.id, item.seq, ItemState.PLANNED, error=_error(error))
            self._tell(item, "retried", error)
        else:
            await self._fail(job, item, error)

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


class _Pages:
    """The planned items of a job, handed out a batch at a time and claimed a page at a time.

    Past the last page, the claims start again from the first item while ``again()`` holds:
    an item sent back to planned behind them (refused for now, shown not bought) is sent again
    by the next free task, not after the pass's slowest one. Items handed out and not yet
    :meth:`finished` are still planned while their number is pinned: they are not handed out twice.
    """

    def __init__(
        self, journal: Journal, job_id: str, size: int, page: int, again: Callable[[], bool]
    ) -> None:
        self._journal = journal
        self._job_id = job_id
        self._size = size
        self._page = page
        self._again = again
        self._buffer: list[Item] = []
        self._busy: set[int] = set()
        self._after = -1
        self._lock = anyio.Lock()

    async def _fill(self) -> None:
        wrapped = False  # once per call: when every planned item is busy, the pass is over for a task
        while not self._buffer:
            page = await self._journal.claim(self._job_id, after=self._after, limit=self._page)
            if not page and not wrapped and self._after >= 0 and self._again():
                self._after, wrapped = -1, True
                continue
            if not page:
                return
            self._after = page[-1].seq
            self._buffer = [item for item in page if item.seq not in self._busy]

    async def any(self) -> bool:
        async with self._lock:
            await self._fill()
            return bool(self._buffer)

    async def take(self) -> list[Item]:
        """The next ``size`` items, or fewer at the end; empty when this pass is over."""
        async with self._lock:
            taken: list[Item] = []
            while len(taken) < self._size:
                await self._fill()
                if not self._buffer:
                    break
                room = self._size - len(taken)
                self._busy.update(item.seq for item in self._buffer[:room])
                taken += self._buffer[:room]
                del self._buffer[:room]
            return taken

    def finished(self, items: list[Item]) -> None:
        """The task that took ``items`` is done with them: sent, failed, or back to planned."""
        self._busy.difference_update(item.seq for item in items)


@contextlib.asynccontextmanager
async def _unknown_if_cancelled(runner: Runner, job: Job, items: list[Item]) -> AsyncIterator[None]:
    """Items whose request a stop cut off are written unknown: they may have happened."""
    try:
        yield
    except anyio.get_cancelled_exc_class():
        stopped = ("Interrupted", None, "stopped before the carrier answered; resume looks it up")
        with anyio.CancelScope(shield=True):
            await runner.journal.move(job.id, [item.seq for item in items], ItemState.UNKNOWN, error=stopped)
        for item in items:
            runner._tell(item, "unknown")
        raise


def _first(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """The first error of a task group's: what a worker raised, not a wrapper around it."""
    first = group.exceptions[0]
    return _first(first) if isinstance(first, BaseExceptionGroup) else first


def _config(job: Job) -> NumberConfig | None:
    return NumberConfig.model_validate(job.spec["config"]) if job.spec.get("config") else None


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
    matching: dict[str, Any] | None = None,
    config: NumberConfig | None = None,
    max_cost: Money | None = None,
    confirm: bool | Callable[[int], bool] = False,
    label: str | None = None,
) -> Job:
    """Plan a job and write it down; nothing is sent yet.

    - ``numbers``: these numbers (any kind of job);
    - ``criteria``: for a purchase, name → (query, how many), several sets in one job;
    - ``matching``: for a configure or release, every number the account owns now that
      matches these ``list()`` filters (``{}``: all of them). Such a job needs ``confirm``:
      True, or a function given the count that returns whether to go ahead.

    ``max_cost`` caps the total monthly price of a purchase by criteria (its numbers'
    quoted prices); a number that would pass it is not bought. Every number, query and
    filter is checked before anything is written.
    """
    kind = JobKind(kind)
    if kind is JobKind.CONFIGURE and config is None:
        raise InvalidInputError("a configure job needs its config", field="config")
    if config is not None:
        carrier._check_config(config, purchase=kind is JobKind.PURCHASE)
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
    if max_cost is not None:
        if kind is not JobKind.PURCHASE or not criteria or numbers:
            raise InvalidInputError(
                "a cost cap applies to purchases by criteria, whose numbers come with quoted prices",
                field="max_cost",
            )
        spec["max_cost"] = max_cost.model_dump(mode="json")
    if matching is not None:
        if kind is JobKind.PURCHASE:
            raise InvalidInputError(
                "a purchase buys numbers not owned yet: give numbers or criteria", field="matching"
            )
        owned = [number.phone_number async for number in carrier.list(**matching)]
        what = ", ".join(f"{key}={value}" for key, value in matching.items()) or "no filter"
        if not owned:
            raise InvalidInputError(f"no number of the account matches ({what})", field="matching")
        agreed = confirm(len(owned)) if callable(confirm) else confirm
        if not agreed:
            raise InvalidInputError(
                f"this job would {kind} all {len(owned)} numbers of the account matching ({what}): "
                "confirm it (confirm=True)",
                field="confirm",
            )
        spec["matching"] = matching
        known = {number for _, number in items}
        items += [(None, number) for number in owned if number not in known]
    if config is not None:
        spec["config"] = config.model_dump(mode="json", exclude_unset=True)
    if not items:
        raise InvalidInputError("a job needs numbers, criteria or filters", field="numbers")
    return await journal.create(kind=kind, provider=carrier.name, spec=spec, items=items, label=label)
