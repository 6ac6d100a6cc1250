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

Across several carriers (a routing provider), each member is a carrier
account of its own: its own rate limiter, and what was learnt of its rate.
A purchase by criteria buys at the members in the policy's order, at the
next once one has none left or is down; each item records the member it
went to, and everything about it (its purchase, its look-up after a lost
answer or a crash) goes to that member.
"""

from __future__ import annotations

import contextlib
import contextvars
import enum
import functools
import gc
import hashlib
import math
from collections import Counter, deque
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any, NamedTuple, TypeGuard, TypeVar, cast

import anyio
import anyio.lowlevel

from .._batch import BatchOutcome
from .._features import Feature
from .._kinds import ComplianceScope, PriceBasis
from .._models import ActiveNumber, Money, NumberCompliance, NumberConfig, NumberStatus, SearchQuery
from .._phone import national_digits, parse_e164
from .._provider import Provider
from .._routing import RoutingProvider
from ..errors import (
    AuthenticationError,
    ComplianceRequiredError,
    ConfigurationError,
    ConflictError,
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
from ._journal import Item, ItemState, Job, JobState, Journal, JournalUnavailableError, LeaseLost, OverCap
from ._limiter import _START, RateLimiter
from ._limits import check_job, check_size

__all__ = ["Event", "JobKind", "Plan", "Runner", "amend_job", "create_job", "with_compliance"]

T = TypeVar("T")
_Task = Callable[[], Coroutine[Any, Any, None]]

# How many times the carrier may refuse an item for now (503, 429, a network failure) before it
# is given up; crashes and look-ups do not count.
_ATTEMPTS = 5
# Numbers in a row an item may see refused for what each alone needs (an address in its own town)
# before it fails: a carrier whose narrower searches find numbers without end is not searched forever.
_REFUSED_IN_A_ROW = 50
# Items read from the journal at a time; numbers of the account looked for in it at a time.
_PAGE = 500
# How often a worker of a shared journal counts the workers it shares the rate with; one that
# joins waits for the others to have counted it (within this long) before it sends.
_SHARE_PERIOD = 0.25
# How often a worker of a shared journal looks for items it may take: given back by a worker that
# stopped, or left by a dead one whose lease ran out (and, waiting for the others, for the job's end).
_LOOK_AGAIN = 0.5
# A worker that has not checked in for this long has stopped sharing the rate (killed, or stuck):
# the others take its share.
_SHARE_GONE = 8 * _SHARE_PERIOD
# Errors about the account, not the number: every other item would get the same, so the run stops
# (the item untouched, the job resumable) and raises it. So does a compliance refusal of scope
# account (_account_wide), and a journal that stayed out of reach.
_ACCOUNT_WIDE = (
    AuthenticationError,
    PaymentRequiredError,
    ConfigurationError,
    UnsupportedError,
    JournalUnavailableError,
)
# What a carrier refuses for now; a look-up refused so is tried again after these waits.
_FOR_NOW = (RateLimitError, ProviderUnavailableError, TransportError)
_LOOKUP_WAITS = (0.5, 1.0, 2.0)
# A carrier's searches refused for now, round after round, are tried again after these waits.
_SEARCH_WAITS = (0.5, 1.0, 2.0, 4.0)
# A search answering at least this many numbers may hide more behind them: its criteria are
# narrowed by the next digit. Not only a full page: what the carrier answers may be checked again
# here, and thinned (a looser pattern sent than asked), so a page's size says little.
_NARROW_AT = 2
# A search's answer of at least this many numbers says which next digits hold numbers: a digit none
# of them had is narrowed into last (searches that would answer none). A smaller answer says little
# (a page of 2, sized to a job of 2, has most digits unseen), and every digit is narrowed into.
_SHOWS_DIGITS = 20
# Numbers searched ahead of the tasks, in rounds of the tasks' numbers.
_ROUNDS_AHEAD = 4
# Searches of one criteria set under way at once, ahead of the tasks, at most: this many times
# the pages that would bring what is searched ahead, however little its searches brought lately.
# Unbounded, a set whose last searches met numbers the job had pinned counted on a few from each
# and started hundreds at once, which came back with a page each from narrower, fresh prefixes:
# 21,762 numbers in hand for a job of 20,000, and its memory with them.
_PAGES_AHEAD = 2
# Items a task of a plan pins in one write: the journal's cost of a plan is a few writes per batch,
# not per item.
_PIN_BATCH = 50
# National numbers are never longer (E.164 allows 15 digits with the country code).
_LONGEST_LEAD = 14
# From this many items to settle at once, one listing of the account settles them all: cheaper
# than a look-up each (a native batch of 100 whose answer was lost, a crash with many in flight).
_LISTED_FROM = 20
_OPEN_STATES = (ItemState.PLANNED, ItemState.SENDING, ItemState.UNKNOWN)
_NONE: Mapping[int, NumbersError] = {}
# The transport settings of a provider, which say nothing of whose account it is.
_TUNING = frozenset({"timeout", "max_attempts", "deadline", "max_connections", "allow_insecure_http"})
# The waits between look-ups: a module attribute so that tests can skip them.
_sleep = anyio.sleep
# The cyclic collector's first generation while a run or a plan goes on (CPython's default: 700).
# Each request under way holds some eighty objects the collector tracks (its tasks' coroutines,
# their cancel scopes, futures, the request and its answer) for as long as the carrier takes; at
# 200 at once they outlive every young collection, which then walked them again and again and
# moved them to the older generations, whose walks are longer still: 15 % of the client's CPU in
# the bench's 10,000-item run, a twentieth of that with this.
_YOUNG = 10_000


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
    """Something that happened while a job ran or was planned.

    ``state`` is done, failed, unknown, retried or reconciled for an item
    (``seq``, ``number``), pinned for an item a plan gave its number, or
    ``rate`` when a rate limiter slowed down after a 429 (``seq`` -1;
    ``rate`` the requests per second now, ``provider`` the carrier's).
    """

    seq: int
    number: str | None
    state: str
    error: str | None = None
    rate: float | None = None
    #: the carrier of the item, where known (a routing provider's member), or whose rate it is
    provider: str | None = None


@dataclass(frozen=True)
class Plan:
    """What a job will do: how many items it will still send, and what the numbers pinned cost
    (and where their prices come from)."""

    job: Job
    #: the job's items (empty when planned with ``items=False``)
    items: list[Item]
    #: monthly price of the numbers still to buy, by currency (where the carrier quotes prices)
    total: dict[str, Decimal] = field(default_factory=dict)
    #: items with no quoted price
    unpriced: int = 0
    #: items the job will still send (not done or failed already)
    count: int = 0
    #: items that failed (a cost cap, no number left in their criteria): they will not be sent
    failed: int = 0
    #: how many of the priced items each basis priced (the carrier's offer, its price list, your table)
    bases: dict[PriceBasis, int] = field(default_factory=dict)


class _Stopped(TransportError):
    """A request not sent, because the job was stopping."""


# Set around the carrier call of an item written sending: how many of its requests went through
# the gate. None gone when a stop refused one: nothing was sent, and the item is planned again.
_SENT: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar("sent", default=None)


class _Gate:
    """What a carrier account's requests go through during a run: its rate limiter, and after a
    stop, nothing: a task that was searching or waiting its turn, or an adapter about to look a
    number up or to send a request again, sends nothing new."""

    def __init__(self, runner: Runner, carrier: str) -> None:
        self._runner = runner
        self._carrier = carrier
        self.limiter: RateLimiter | None = None
        self._waiting: set[anyio.CancelScope] = set()

    def _check(self) -> None:
        if self._runner._running and self._runner._stopping:
            raise _Stopped("the job is stopping: nothing new is sent", provider=self._carrier)

    async def acquire(self) -> None:
        self._check()
        sent = _SENT.get()
        journal = self._runner.journal
        # Nothing new while the journal cannot write down what it would lead to: a search, a
        # look-up. The calls of items written sending go on, and finish.
        held = sent is None and not journal.reachable
        if not held and self.limiter is not None and self.limiter.try_acquire():
            # Let go at once, without a cancel scope or a lock; one turn of the loop all the same,
            # as a wait would take: a stop that comes with it holds this request.
            await anyio.lowlevel.checkpoint()
            self._check()
        elif held or self.limiter is not None:
            with anyio.CancelScope() as waiting:
                self._waiting.add(waiting)
                try:
                    if held:
                        await journal.wait_reachable()
                    if self.limiter is not None:
                        await self.limiter.acquire()
                finally:
                    self._waiting.discard(waiting)
            self._check()  # a stop that came while this request waited its turn holds it
        if sent is not None:
            sent[0] += 1

    def stop(self) -> None:
        """Requests waiting their turn learn of the stop now, not when their turn comes."""
        for waiting in self._waiting:
            waiting.cancel()

    def throttled(self, retry_after: float | None = None) -> None:
        if self.limiter is not None:
            self.limiter.throttled(retry_after)


@dataclass(eq=False)
class _Lane:
    """One carrier account that a run sends to: the job's carrier, or a routing provider's member
    (``name`` its member name). Its requests go through its own gate, under its own limiter."""

    name: str
    provider: Provider
    gate: _Gate
    limiter: RateLimiter
    self_paced: bool = False  # it has no requests to pace (the sandbox): the runner paces its calls


class _Offer(NamedTuple):
    """A number found for sale, as a pin needs it."""

    phone_number: str
    monthly_price: Money | None
    price_basis: PriceBasis | None
    provider: str  # the lane that offered it


@dataclass
class _Demand:
    """The items of one criteria set still without a number, and the carriers to find them at,
    in the order to buy at them (each carrier's numbers come from a supply of its own)."""

    need: int
    order: list[str]
    shown: int = 0  # the set's items to send with a number pinned: the carrier may show them still
    # Numbers handed to tasks and not pinned yet: a search that shows them again meanwhile (they
    # are not pinned, so the journal does not leave them out) does not hand them out twice.
    handed: set[str] = field(default_factory=set)

    def wanted(self) -> int:
        """Numbers still to find: items without one, but for those being pinned now."""
        return self.need - len(self.handed)


@dataclass
class _Supply:
    """Where the numbers of one criteria set come from at one carrier, for every task of a run.

    Its query, searched by one task for all (tasks searching the same query at once would get
    the same numbers and race to pin them), and narrowed by the next digit of the number where a
    search answers more than one: a carrier shows at most a page, the same one until some are
    bought, so narrower searches (``415`` → ``4152``, ``4153`` …) are what reach past it. The
    narrower queries are disjoint, so waiting tasks search them in parallel, as many at once as
    the items still without a number need; the criteria are exhausted when every narrowing
    answered one number or none. The digits that came up in a search's answer are narrowed into
    first, those that came up most first: a digit none of its numbers had is likely an exchange
    with none for sale (a third of a 10,000-number job's searches in 10 area codes answered none),
    and is searched only once the frontier is empty and none of its searches is under way.

    Searches the carrier refuses for now (503, 429, a network failure) are tried again one at
    a time, after a wait that doubles each round; after ``_ATTEMPTS`` rounds the carrier is
    ``down`` for the rest of the pass.
    """

    lane: _Lane
    query: SearchQuery
    frontier: deque[str | None]  # the leading digits of the searches to come (None: the query's)
    page: int
    narrows: bool
    demand: _Demand
    # Numbers a search brings that the job can pin, on average lately: a search in flight is
    # counted as bringing as many (a page, until one has come back).
    brings: float = 0.0
    # The numbers found and not handed out yet, with their quoted prices: only what a pin needs,
    # not the carrier's whole answer, so that numbers searched ahead take little room.
    candidates: deque[_Offer] = field(default_factory=deque)
    queued: set[str] = field(default_factory=set)  # the numbers in candidates, each once
    searching: int = 0
    waiting: int = 0
    changed: anyio.Event = field(default_factory=anyio.Event)
    # A plan's: a search under way is counted as bringing a page, whatever the last ones brought.
    # Its tasks want every number now, and searches that met none (an empty prefix, numbers shown
    # by the search a level up) would otherwise start a wave of searches too many, after which
    # another is still needed.
    hopeful: bool = False
    # Searches to come after the frontier's: narrowings by a digit their search's answer never had,
    # made once no search of the frontier's is under way (its answer may add to the frontier).
    unlikely: deque[str] = field(default_factory=deque)
    likely: set[str | None] = field(default_factory=set)  # the frontier's searches under way
    failures: int = 0  # rounds of searches refused for now, in a row
    down: NumbersError | None = None  # refused for now round after round: left for this pass

    def notify(self) -> None:
        self.changed.set()
        self.changed = anyio.Event()

    def searchable(self) -> bool:
        """Whether a search is to be made now."""
        return bool(self.frontier or (self.unlikely and not self.likely))

    def on_the_way(self) -> float:
        """The numbers in hand and those the searches under way should bring."""
        each = self.page if self.hopeful else self.brings or self.page
        return len(self.candidates) + self.searching * each


def _narrower(query: SearchQuery, shown: Iterable[str] = ()) -> tuple[list[str], list[str]]:
    """The query split by the next digit of the national number (after its area code or leading
    digits): the leading digits of ten disjoint queries that together ask for what it asks, as
    (likely, unlikely): the digits that came up next in ``shown`` (the E.164 numbers its search
    answered), the most often first, then the others; every digit, in order, when none came up
    (nothing to tell them apart by). Kept as digits, not queries, so that a large job's searches
    to come take little room."""
    lead = max(query.area_code or "", query.starts_with or "", key=len)
    if len(lead) >= _LONGEST_LEAD:
        return [], []
    seen = Counter(
        national[len(lead)]
        for national in map(national_digits, shown)
        if len(national) > len(lead) and national.startswith(lead)
    )
    if not seen:
        return [lead + digit for digit in "0123456789"], []
    likely = [lead + digit for digit, _ in seen.most_common()]
    return likely, [lead + digit for digit in "0123456789" if digit not in seen]


def _budget(carrier: Provider) -> str:
    """The carrier account a learnt rate belongs to: its name and a digest of its settings
    (secrets masked, transport tuning left out), so that another account is another budget."""
    identity = carrier.settings.model_dump_json(exclude=set(_TUNING))
    return f"{carrier.name}/{hashlib.blake2b(identity.encode(), digest_size=8).hexdigest()}"


def job_provider(carrier: Provider) -> str:
    """What a job records as its carrier: the provider's name, or a routing provider's members'
    names, comma-separated (as ``--provider`` takes them)."""
    if isinstance(carrier, RoutingProvider):
        return ",".join(carrier.members)
    return carrier.name


def _members(carrier: Provider) -> dict[str, Provider]:
    """The carrier accounts behind ``carrier``, by the name its items record."""
    if isinstance(carrier, RoutingProvider):
        return dict(carrier.members)
    return {carrier.name: carrier}


class Runner:
    """Runs the jobs of a journal against one carrier account, or several behind a routing
    provider (``nc.connect(["telnyx", "twilio"])``), each then an account of its own.

    ``limiter``: the account's rate limit; by default the one the carrier
    documents (``Provider.rate_limit``), else one that finds the account's
    by its 429s (a carrier without HTTP requests, the sandbox, is not paced
    unless given one). Across several carriers, each has a limiter of its own
    (one given is the limit of each: each gets a copy), so that one's 429s
    slow no other. ``batches``: use the carrier's native batch calls where it
    has them.
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
        self._limiter_given = limiter is not None
        self._routing = carrier if isinstance(carrier, RoutingProvider) else None
        members = _members(carrier)
        self._lanes: dict[str, _Lane] = {}
        for name, member in members.items():
            if limiter is None:
                own = self._default_limiter(member)
            else:  # the limit of each account, each with its own
                own = limiter if len(members) == 1 else limiter.like()
            own.watch(functools.partial(self._rate_changed, name))
            self._lanes[name] = _Lane(name, member, _Gate(self, name), own)
        #: each carrier account's rate limiter, by the name its items record
        self.limiters = {name: lane.limiter for name, lane in self._lanes.items()}
        #: the rate limiter of a job's one carrier (None across several: see ``limiters``)
        self.limiter = next(iter(self.limiters.values())) if len(self.limiters) == 1 else None
        self.batches = batches
        self._on_event = on_event
        self._supplies: dict[tuple[str, str], _Supply] = {}
        self._demands: dict[str, _Demand] = {}
        self._searches: anyio.abc.TaskGroup | None = None  # where searches ahead run, during a pass
        # The items' requests under way at once (purchases, and the look-ups of what they left
        # unknown), during a pass: at most ``concurrency``.
        self._in_flight = anyio.Semaphore(concurrency, fast_acquire=True)
        self._planning = False
        self._running = False
        self._stopping = False
        self._scope: anyio.CancelScope | None = None
        self._halted: NumbersError | None = None
        self._search_failures = 0
        self._idle = False  # a worker of a shared journal, waiting for the others to finish
        self._starved = False  # an item found no number the other workers had not pinned
        self._refused: dict[int, int] = {}  # numbers refused in a row for themselves, by item
        #: whether the last run was stopped (:meth:`stop`) before the job's end
        self.stopped = False

    def _default_limiter(self, carrier: Provider) -> RateLimiter:
        """The carrier's documented limit, else one found by climbing from ``concurrency`` requests
        in the first second (as many as the tasks would send at once)."""
        documented = carrier.rate_limit
        if documented is None:
            return RateLimiter(start=max(_START, self.concurrency))
        return RateLimiter(documented.rate, burst=documented.burst)

    def _tell(self, item: Item, state: str, error: BaseException | None = None) -> None:
        if self._on_event is not None:
            message = None if error is None else f"{type(error).__name__}: {error}"
            self._on_event(Event(item.seq, item.number, state, message, provider=item.provider))

    def _rate_changed(self, carrier: str, rate: float) -> None:
        if self._on_event is not None:
            self._on_event(Event(-1, None, "rate", rate=rate, provider=carrier))

    async def _owned(self, carriers: set[str | None]) -> AsyncIterator[ActiveNumber]:
        """The numbers the account owns; across several carriers, only those of the members in
        ``carriers`` (all of them when one is None: not known), each named by its member."""
        if self._routing is None or not carriers <= self._lanes.keys():
            async for number in self.carrier.list():
                yield number
            return
        for name, lane in self._lanes.items():
            if name in carriers:
                async for number in lane.provider.list():
                    yield number.model_copy(update={"provider": name})

    def _holds(self, item: Item, number: ActiveNumber) -> bool:
        """Whether ``number``, listed, is the item's: at the member it went to, where known."""
        return self._routing is None or item.provider in (None, number.provider)

    def _holder(self, number: ActiveNumber | None) -> str | None:
        """The member that holds ``number`` (None: the job's one carrier, or not held)."""
        return number.provider if self._routing is not None and number is not None else None

    def _lane(self, item: Item) -> _Lane | None:
        """Where the item goes: its carrier (the job's one, or the member it records); None for an
        item whose member is not known yet (a number given as such), which the routing provider
        finds (the one that sells or holds it)."""
        if self._routing is None:
            return next(iter(self._lanes.values()))
        return self._lanes.get(item.provider or "")

    async def _call(self, lane: _Lane | None, call: Callable[[Provider], Awaitable[T]]) -> T:
        """``call`` at ``lane``'s carrier (None: at the routing provider, which finds the member),
        through the rate limiters of those that do not pace their own requests (the sandbox),
        which are then told of their 429s too. A member asked directly is asked as the routing
        provider would ask it: its errors name it."""
        lanes = self._lanes.values() if lane is None else [lane]
        paced = [one for one in lanes if one.self_paced]
        for one in paced:
            await one.gate.acquire()
        try:
            if lane is None:
                answer = await call(self.carrier)
            elif self._routing is None:
                answer = await call(lane.provider)
            else:
                with self._routing.asking(lane.name) as member:
                    answer = await call(member)
        except RateLimitError as refused:
            for one in paced:
                if refused.member in (None, one.name):
                    one.gate.throttled(refused.retry_after)
            raise
        if self._routing is not None and lane is not None and isinstance(answer, ActiveNumber):
            # Named by the member, as the routing provider names what its members hand out.
            return cast(T, answer.model_copy(update={"provider": lane.name}))
        return answer

    # -- the job -------------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def _session(self) -> AsyncIterator[None]:
        """A run or a plan: the carrier paced (and shut after a stop), the rate learnt before
        recalled, and what was learnt of it kept for the next job."""
        self._stopping = self.stopped = False
        self._halted = None
        self._search_failures = 0
        self._in_flight = anyio.Semaphore(self.concurrency, fast_acquire=True)  # of this event loop
        self._supplies.clear()
        for lane in self._lanes.values():
            paced = lane.provider.pace(lane.gate)
            lane.self_paced = not paced
            lane.gate.limiter = lane.limiter if paced or self._limiter_given else None
            learning = self._learning(lane)
            if learning is not None and learning.learnt is None:
                remembered = await self.journal.learnt_rate(_budget(lane.provider))
                if remembered is not None:
                    rate, limited = remembered
                    if limited:
                        learning.learn(rate)
                    else:
                        learning.climb_from(rate)
        self._running = True
        try:
            with _fewer_collections():
                yield
        finally:
            self._running = False
            self._scope = None
            with anyio.CancelScope(shield=True):
                for lane in self._lanes.values():
                    learning = self._learning(lane)
                    if learning is not None:
                        ceiling = learning.learnt
                        await self.journal.learn_rate(
                            _budget(lane.provider),
                            learning.reached if ceiling is None else ceiling,
                            limited=ceiling is not None,
                        )

    def _learning(self, lane: _Lane) -> RateLimiter | None:
        """The limiter that finds ``lane``'s account's rate, when what it learns is worth
        remembering for the next job (the ceiling its 429s show, or the rate it reached without
        one): not in a shared journal, where each worker finds only its share."""
        limiter = lane.gate.limiter
        if limiter is None or limiter.configured is not None or self.journal.shared:
            return None
        return limiter

    async def run(self, job_id: str) -> dict[ItemState, int]:
        """Run (or resume) the job to its end; its items' counts by state.

        Returns early, the job resumable, after :meth:`stop`.
        """
        job = await self.journal.job(job_id)
        if job.state is JobState.CANCELLED:
            return await self.journal.counts(job_id)
        async with self._session():
            await self.journal.set_state(job_id, JobState.RUNNING)
            try:
                async with anyio.create_task_group() as beating:
                    if self.journal.shared:
                        beating.start_soon(self._heartbeat, job_id)
                        await beating.start(self._sharing)
                    with anyio.CancelScope() as self._scope:
                        await self._rounds(job)
                    beating.cancel_scope.cancel()
            except BaseExceptionGroup as group:
                raise _first(group) from None
            finally:
                if self.journal.shared:
                    await self._let_go(job_id)
        counts = await self.journal.counts(job_id)
        self.stopped = self._stopping and any(
            counts.get(state) for state in (ItemState.PLANNED, ItemState.SENDING, ItemState.UNKNOWN)
        )
        if self._halted is not None:
            raise self._halted
        if not self.stopped and not counts.get(ItemState.UNKNOWN):
            await self.journal.set_state(job_id, JobState.DONE)
        return counts

    async def _let_go(self, job_id: str) -> None:
        """Give this worker's items back, and its share of the rate, however the run ends (a stop,
        an error): the others need not wait out its leases. Not when the journal is out of reach:
        then the leases run out."""
        with anyio.CancelScope(shield=True), contextlib.suppress(JournalUnavailableError):
            if self.journal.reachable:
                await self.journal.give_back(job_id)
                await self.journal.check_out()

    async def _rounds(self, job: Job) -> None:
        """Settle what was left open, then send what is planned; in a shared journal, until the
        other workers have nothing left either (a dead one's items are taken over). What stays
        unknown after its look-ups (refused for now) is settled once more, by one listing."""
        listed = False
        while True:
            self._starved = False
            await self._settle_all(job, await self.journal.interrupted(job.id), listing=listed)
            while not self._stopping and not self._starved and await self._pass(job):
                pass
            if self._stopping:
                return
            if not self.journal.shared:
                if listed or not (await self.journal.counts(job.id)).get(ItemState.UNKNOWN):
                    return
                listed = True
                continue
            if not await self.journal.held_by_others(job.id):
                if not self._starved and not await self.journal.takeable(job.id):
                    return
                continue  # a dead worker's items (its lease run out), or this one's, to search again
            # Others are at work: this worker waits, and leaves them its share of the rate.
            self._idle = True
            try:
                await self._others_at_work(job)
            finally:
                self._idle = False
            await self._join()

    async def _others_at_work(self, job: Job) -> None:
        """Wait while the other workers hold the job's open items, looking every moment for what
        this one may take: items given back or a dead worker's; after a starved pass, the numbers
        the others' purchases have moved the carrier to show."""
        while not self._stopping:
            await anyio.sleep(_LOOK_AGAIN)
            if self._starved or await self.journal.takeable(job.id):
                return
            if not await self.journal.held_by_others(job.id):
                return

    async def _heartbeat(self, job_id: str) -> None:
        """Renew this worker's leases while it runs; a journal out of reach past its patience stops
        the run (others take the items over once the leases run out)."""
        while True:
            await anyio.sleep(self.journal.lease / 3)
            try:
                await self.journal.renew(job_id)
            except NumbersError as error:
                self._halt(error)
                return

    async def _join(self) -> None:
        """Take this worker's share of the rate: an equal one among the live workers of the
        journal that spend the same budget (the carrier's name, or the members' names: workers
        on different accounts of one carrier share too, which errs on the safe side)."""
        if await self._share() == 1:
            return  # nobody to wait for: one that comes next waits for this one
        # The others count this worker at their next check-in, within a period: it sends nothing
        # before they all have (or a stuck one is given up), and then nothing the rate they were
        # spending has left no room for.
        budget = job_provider(self.carrier)
        waiting = await self.journal.others_seen(budget, alive=_SHARE_GONE)
        with anyio.move_on_after(_SHARE_GONE):
            while waiting:
                await anyio.sleep(_SHARE_PERIOD / 5)
                seen = await self.journal.others_seen(budget, alive=_SHARE_GONE)
                waiting = {worker: at for worker, at in waiting.items() if seen.get(worker, math.inf) <= at}
        for limiter in self.limiters.values():
            limiter.spent()

    async def _share(self) -> int:
        """Check in, and keep each carrier's limiter to an equal share among the live workers;
        how many there are."""
        workers = await self.journal.check_in(job_provider(self.carrier), alive=_SHARE_GONE)
        for limiter in self.limiters.values():
            limiter.share(1 / workers)
        return workers

    async def _sharing(self, *, task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        """Keep to this worker's share while it runs; none while it waits for the others."""
        await self._join()
        task_status.started()
        while True:
            try:
                if self._idle:
                    await self.journal.check_out()
                else:
                    await self._share()
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

        Nothing new means nothing: a task searching or pinning when the stop comes sends no
        purchase (a number it pins stays its item's, planned), an adapter sends no look-up or
        second try, and what a stop leaves unknown is looked up by resume, not now. Call it
        from the event loop that runs the job or the plan (a signal handler's task, say). The
        job resumes with :meth:`run`, which settles what was left unknown first.
        """
        self._stopping = True
        for lane in self._lanes.values():
            lane.gate.stop()
        if self._scope is not None:
            self._scope.deadline = min(self._scope.deadline, anyio.current_time() + grace)

    async def _pass(self, job: Job) -> bool:
        """Send the planned items, ``concurrency`` at a time, until none is left; False when none was."""
        feature = _BATCHES[JobKind(job.kind)]
        size = self.carrier.batch_size if self.batches and self.carrier.supports(feature) else 1
        # One at a time, each in-flight request has a task beside it readying the next item (its
        # number pinned, written sending) while the carrier answers, which then goes as soon as a
        # request is answered: the journal's trip to the disk is not between one purchase and the
        # next. A native batch's tasks are as many as the batches at once.
        workers = self.concurrency * (2 if size == 1 else 1)
        # A shared journal's workers claim what they are about to send, no more: the rest is
        # left for the others.
        page = workers * size if self.journal.shared else max(_PAGE, size)
        pages = _Pages(self.journal, job.id, size, page, again=lambda: not self._starved)
        if not await pages.any():
            return False
        await self._searching_anew(job)

        running = workers
        finished = anyio.Event()

        async def worker() -> None:
            nonlocal running
            try:
                while not self._stopping and (items := await pages.take()):
                    try:
                        if size > 1:
                            await self._many(job, items)
                        else:
                            await self._one(job, items[0])
                    finally:
                        pages.finished(items)
            finally:
                running -= 1
                if not running:
                    finished.set()

        if self.journal.shared:
            await self._work(job, workers, worker, lambda: self._take_over(job, finished))
        else:
            await self._work(job, workers, worker)
        return True

    async def _work(self, job: Job, workers: int, worker: _Task, *beside: _Task) -> None:
        """``workers`` tasks running ``worker`` (and ``beside`` them, one each of these), every
        criteria set's first searches started; what one raises is raised, itself."""
        try:
            async with anyio.create_task_group() as tasks:
                self._searches = tasks
                self._search_every_set(job)
                for _ in range(workers):
                    tasks.start_soon(worker)
                for task in beside:
                    tasks.start_soon(task)
        except BaseExceptionGroup as group:
            raise _first(group) from None
        finally:
            self._searches = None
            self._supplies.clear()  # what was found and not pinned: searched afresh next time

    async def _searching_anew(self, job: Job) -> None:
        """Searches start again from each criteria set's query, sized to what the set still needs,
        at its first carrier in the policy's order: what the carriers show has changed since the
        last pass (numbers bought, others freed, a carrier that had none may have more)."""
        self._supplies.clear()
        self._demands.clear()
        if not job.spec.get("criteria"):
            return
        shown = await self.journal.open_slots(job.id, pinned=True)
        for slot, need in (await self.journal.open_slots(job.id)).items():
            self._demands[slot] = _Demand(need, await self._ranked(job, slot), shown.get(slot, 0))

    async def _ranked(self, job: Job, slot: str) -> list[str]:
        """The carriers to buy the criteria set's numbers at, in turn: the routing provider's
        members in its policy's order (those this run has), or the job's one carrier."""
        if self._routing is None:
            return list(self._lanes)
        query = SearchQuery.model_validate(job.spec["criteria"][slot])
        return [name for name in await self._routing.ranked(query) if name in self._lanes]

    async def _take_over(self, job: Job, finished: anyio.Event) -> None:
        """While a pass runs, settle what other workers left in flight as soon as they gave it back
        (stopping) or their leases ran out (dead), not once this worker's own items are all sent
        (a long job's end)."""
        while True:
            with anyio.move_on_after(_LOOK_AGAIN):
                await finished.wait()
            if finished.is_set() or self._stopping:
                return
            await self._settle_all(job, await self.journal.interrupted(job.id, others=True))

    async def plan(self, job_id: str, *, items: bool = True) -> Plan:
        """Pin a number for every item of a purchase by criteria that has none yet (nothing is
        bought), ``concurrency`` at a time; the job's items (``items=False``: only their counts)
        and their quoted prices. The numbers shown are those run buys, but for any taken
        meanwhile, which are replaced. Stops early, what is pinned kept, after :meth:`stop`."""
        job = await self.journal.job(job_id)
        if job.spec.get("criteria"):
            async with self._session():
                self._planning = True
                try:
                    with anyio.CancelScope() as self._scope:
                        await self._pin_all(job)
                finally:
                    self._planning = False
            self.stopped = self._stopping
            if self._halted is not None:
                raise self._halted
        counts = await self.journal.counts(job_id)
        costs = await self.journal.prices(job_id, *_OPEN_STATES)
        return Plan(
            job,
            await self.journal.items(job_id) if items else [],
            costs.total,
            costs.unpriced,
            count=sum(counts.get(state, 0) for state in _OPEN_STATES),
            failed=counts.get(ItemState.FAILED, 0),
            bases=costs.bases,
        )

    async def _pin_all(self, job: Job) -> None:
        await self._searching_anew(job)
        waiting: deque[Item] = deque()
        after = -1
        reading = anyio.Lock()

        async def next_items() -> list[Item]:
            """Up to a batch of the next items without a number, of one criteria set."""
            nonlocal after
            async with reading:
                while not waiting:
                    page = await self.journal.items(job.id, ItemState.PLANNED, after=after, limit=_PAGE)
                    if not page:
                        return []
                    after = page[-1].seq
                    waiting.extend(item for item in page if item.number is None and item.slot is not None)
                batch = [waiting.popleft()]
                while waiting and len(batch) < _PIN_BATCH and waiting[0].slot == batch[0].slot:
                    batch.append(waiting.popleft())
                return batch

        async def worker() -> None:
            while not self._stopping and (items := await next_items()):
                await self._ready(job, items)

        await self._work(job, self.concurrency, worker)

    async def orphans(self, job_id: str) -> list[str]:
        """Numbers this job pinned that the account owns, yet the journal does not say it bought.

        The final sweep of a purchase job: the account's numbers are read page by page, and
        each page is looked for in the journal at once, so the sweep's time grows with the
        account and its memory does not (across several carriers, every member's numbers,
        one member after another). An item still unknown whose number the account owns (at
        the member it went to) is settled here (done, reconciled): the listing has shown it
        bought. What is left is a number the carrier sold while saying (or looking as if) it
        had not: the goal is none.
        """
        job = await self.journal.job(job_id)
        if job.kind != JobKind.PURCHASE:
            return []
        found: list[str] = []
        page: list[ActiveNumber] = []
        async for number in self.carrier.list():
            page.append(number)
            if len(page) >= _PAGE:
                found += await self._sweep(job, page)
                page = []
        if page:
            found += await self._sweep(job, page)
        counts = await self.journal.counts(job_id)
        settled = not any(counts.get(state) for state in _OPEN_STATES)
        if settled and (await self.journal.job(job_id)).state is JobState.RUNNING:
            await self.journal.set_state(job_id, JobState.DONE)
        return sorted(found)

    async def _sweep(self, job: Job, owned: list[ActiveNumber]) -> list[str]:
        """Those of ``owned`` the job pinned and does not record as bought, but for what it can
        settle now: an item left unknown (or, in a journal of its own, sending) holding one."""
        unbought = await self.journal.unbought(job.id, [number.phone_number for number in owned])
        orphans = []
        for number in owned:
            if number.phone_number not in unbought:
                continue
            item = unbought[number.phone_number]
            settles = (ItemState.UNKNOWN,) if self.journal.shared else (ItemState.UNKNOWN, ItemState.SENDING)
            if item is not None and item.state in settles and self._holds(item, number):
                await self._reconciled(job, item, number)
            else:
                orphans.append(number.phone_number)
        return orphans

    async def _ready(self, job: Job, items: list[Item], *, sending: bool = False) -> list[Item]:
        """Those of the items that are to be sent, with their numbers: an item tried too often
        fails, one without a number gets one pinned (all of them in one write), and one left
        planned (a search refused, the job stopping) is not among them. ``sending``: a number
        pinned now is written sending with it (:meth:`_pinned`)."""
        ready: list[Item] = []
        unpinned: list[Item] = []
        for item in items:
            if item.attempts >= _ATTEMPTS:
                await self.journal.move(
                    job.id, item.seq, ItemState.FAILED, error=("TooManyAttempts", None, "")
                )
                self._tell(item, "failed")
            elif item.number is None:
                unpinned.append(item)
            else:
                ready.append(item)
        if unpinned:
            try:
                pinned = await self._pinned(job, unpinned, sending=sending)
            except NumbersError as failed:  # the search: the items are left planned, for the next pass
                if not self._stopping:
                    self._search_failures += 1
                    # Refused for now: by every carrier, round after round (the supplies count them).
                    down = isinstance(failed, _FOR_NOW)
                    if down or _account_wide(failed) or self._search_failures >= _ATTEMPTS:
                        self._halt(failed)
                return ready
            self._search_failures = 0
            ready += [item for item in pinned if item.number is not None]
        return sorted(ready, key=lambda item: item.seq)

    async def _one(self, job: Job, item: Item) -> None:
        # A number pinned now is written sending with it; one pinned before is written sending here.
        readied = await self._ready(job, [item], sending=True)
        ready = readied[0] if readied else None
        if ready is None or ready.number is None:
            return
        lane = self._lane(ready)
        if ready.state is not ItemState.SENDING:
            # Stopping: a number pinned before stays the item's, planned, and resume sends it.
            if self._stopping:
                return
            try:
                await self.journal.move(
                    job.id, ready.seq, ItemState.SENDING, provider=None if lane is None else lane.name
                )
            except LeaseLost:
                return  # another worker's now
        number = ready.number
        config = _config(job)
        turn = False  # one of the ``concurrency`` requests under way at once is this item's
        try:
            try:
                async with _sending(self, job, [ready]):
                    # Written sending, the item waits for a request under way to be answered. Held
                    # back by a stop meanwhile, it is planned again: nothing was sent.
                    await self._in_flight.acquire()
                    turn = True
                    if job.kind == JobKind.PURCHASE:
                        result: ActiveNumber | None = await self._call(
                            lane, lambda carrier: carrier.purchase(number, config=config)
                        )
                    elif job.kind == JobKind.CONFIGURE:
                        result = await self._call(
                            lane, lambda carrier: carrier.configure(number, config or NumberConfig())
                        )
                    else:
                        await self._call(lane, lambda carrier: carrier.release(number))
                        result = None
            except _Unsent:
                return
            except NumbersError as error:
                # Written before the turn goes to an item waiting for it: a refusal of the whole
                # account stops those, and a lost answer is looked up within the turn.
                await self._outcome(job, ready, BatchOutcome(number, error=error), lane, turn=True)
                return
        finally:
            if turn:
                self._in_flight.release()
        # Written once the turn has gone to an item readied meanwhile, and with the next ones
        # marked sending: one trip to the disk for all. Cut off by a crash or a stop, the item stays
        # sending, and is looked up.
        await self._outcome(job, ready, BatchOutcome(number, result=result), lane)

    async def _many(self, job: Job, items: list[Item]) -> None:
        """A native batch: every item journaled as sending in one write, then one request."""
        ready_items = await self._ready(job, items)  # the batch's numbers pinned together
        if not ready_items or self._stopping:
            return
        numbers = [item.number or "" for item in ready_items]
        config = _config(job)
        # Batches are one carrier's (a routing provider has none): the job's.
        lane = self._lane(ready_items[0])
        seqs = [item.seq for item in ready_items]
        try:
            await self.journal.move(
                job.id, seqs, ItemState.SENDING, provider=None if lane is None else lane.name
            )
        except LeaseLost:
            return  # the others' now, all of them: they were claimed together
        try:
            async with _sending(self, job, ready_items):
                if job.kind == JobKind.PURCHASE:
                    outcomes = await self._call(
                        lane, lambda carrier: carrier.purchase_many(numbers, config=config)
                    )
                elif job.kind == JobKind.CONFIGURE:
                    outcomes = await self._call(
                        lane, lambda carrier: carrier.configure_many(numbers, config or NumberConfig())
                    )
                else:
                    outcomes = await self._call(lane, lambda carrier: carrier.release_many(numbers))
        except _Unsent:
            return
        except NumbersError as error:  # refused as a whole, before any number was touched
            outcomes = [BatchOutcome(number, error=error) for number in numbers]
        lost: dict[int, NumbersError] = {}
        for item, outcome in zip(ready_items, outcomes, strict=True):
            await self._outcome(job, item, outcome, lane, settle=False)
            if isinstance(outcome.error, OutcomeUnknownError):
                lost[item.seq] = outcome.error
        # A batch whose answer was lost: one listing, or a look-up each, settles its items.
        await self._settle_all(job, [item for item in ready_items if item.seq in lost], lost=lost)

    # -- pinning (purchases by criteria) -------------------------------------------------------------

    def _demand(self, job: Job, slot: str) -> _Demand:
        demand = self._demands.get(slot)
        if demand is None:  # a set not open when the pass started (another worker gave an item back)
            demand = self._demands[slot] = _Demand(1, list(self._lanes))
        return demand

    def _supply(self, job: Job, slot: str, carrier: str) -> _Supply:
        supply = self._supplies.get((slot, carrier))
        if supply is None:
            lane = self._lanes[carrier]
            query = SearchQuery.model_validate(job.spec["criteria"][slot])
            demand = self._demand(job, slot)
            # Sized to the job: as many as it still needs, and the numbers it pinned that the carrier
            # may still show first (items to send, readied as a run stopped), up to the carrier's
            # largest answer; across several carriers never below what shows whether more hide
            # behind (one reached late in a pass, when few items are left, may show numbers pinned
            # already first).
            least = _NARROW_AT if len(demand.order) > 1 else 1
            page = max(least, min(lane.provider.max_search_limit, demand.need + demand.shown))
            narrows = lane.provider.supports(Feature.SEARCH_STARTS_WITH)
            # More needed than one answer holds: the narrower searches at once, side by side
            # (together they ask what the query asks), not the query first and then them.
            first: list[str | None] = [*_narrower(query)[0]] if narrows and demand.need > page else [None]
            supply = _Supply(lane, query, deque(first), page, narrows, demand, hopeful=self._planning)
            self._supplies[slot, carrier] = supply
        return supply

    async def _offer(self, job: Job, slot: str) -> _Offer | None:
        """The next number of the criteria set that the job never pinned, from its carriers in
        turn: the next one's once a carrier has none left in the criteria, or is down. None when
        none has any; a carrier's error when one is down and the others have none."""
        down: NumbersError | None = None
        for carrier in self._demand(job, slot).order:
            supply = self._supply(job, slot, carrier)
            offer = await self._offer_from(job, supply)
            if offer is not None:
                return offer
            down = down or supply.down
        if down is not None:
            raise down
        return None

    async def _offer_from(self, job: Job, supply: _Supply) -> _Offer | None:
        """The next number of the criteria set at the supply's carrier that the job never pinned;
        None when the carrier has no more in the criteria, or is down."""
        supply.waiting += 1
        try:
            while supply.down is None:
                if supply.candidates:
                    offer = supply.candidates.popleft()
                    supply.queued.discard(offer.phone_number)
                    supply.demand.handed.add(offer.phone_number)
                    self._search_ahead(job, supply)
                    return offer
                if self._stopping:
                    raise _Stopped("the job is stopping: nothing new is searched", provider=supply.lane.name)
                # Another search when those under way cannot bring what the items still need; one
                # at a time while the carrier refuses them.
                wanted = supply.on_the_way() < max(supply.demand.wanted(), supply.waiting)
                if supply.searchable() and wanted and not (supply.failures and supply.searching):
                    try:
                        await self._search(job, supply, self._next_search(supply))
                    except _FOR_NOW as refused:
                        if not _refused_for_now(refused):
                            raise
                        # Counted: tried again, by this task or another, or the carrier is down.
                elif supply.searching:
                    await supply.changed.wait()
                else:
                    return None
            return None
        finally:
            supply.waiting -= 1

    def _search_every_set(self, job: Job) -> None:
        """Every criteria set's first searches, at once, when a pass starts, at its first carrier:
        its tasks reach the sets one after the other (the items are in order), and each then
        finds numbers waiting for it instead of waiting for its searches."""
        for slot, demand in self._demands.items():
            if demand.need and demand.order:
                self._search_ahead(job, self._supply(job, slot, demand.order[0]), rounds=1)

    def _search_ahead(self, job: Job, supply: _Supply, rounds: int = _ROUNDS_AHEAD) -> None:
        """Searches started in the background while numbers are left, so that the tasks find the
        next ones there when they come back for them, instead of waiting for a search: four
        rounds of the tasks' numbers kept in hand or on the way (a search takes about as long as
        the purchase a round of tasks is making, longer on a busy carrier)."""
        if self._searches is None or self._stopping or supply.failures:
            return
        # A plan's tasks each pin a batch at once: a round of theirs wants a batch of numbers each.
        each = _PIN_BATCH if self._planning else 1
        ahead = min(supply.demand.wanted(), rounds * self.concurrency * each)
        most = _PAGES_AHEAD * math.ceil(ahead / supply.page)
        while supply.searchable() and supply.on_the_way() < ahead and supply.searching < most:
            self._searches.start_soon(self._search_quietly, job, supply, self._next_search(supply))

    async def _search_quietly(self, job: Job, supply: _Supply, lead: str | None) -> None:
        # Its query goes back to the frontier if it fails: the task that needs it searches it again,
        # and meets the error there.
        with contextlib.suppress(NumbersError):
            await self._search(job, supply, lead)

    def _next_search(self, supply: _Supply) -> str | None:
        supply.searching += 1
        if not supply.frontier:
            return supply.unlikely.popleft()
        lead = supply.frontier.popleft()
        supply.likely.add(lead)
        return lead

    async def _search(self, job: Job, supply: _Supply, lead: str | None) -> None:
        """Search the criteria set's query narrowed to ``lead`` at the supply's carrier (counted
        in ``supply.searching`` by :meth:`_next_search`)."""
        update: dict[str, Any] = {"limit": supply.page}
        if lead is not None:
            update["starts_with"] = lead
        query = supply.query.model_copy(update=update)
        failures = supply.failures
        try:
            found = await self._call(supply.lane, lambda carrier: carrier.search(query))
            supply.failures = 0
            # Numbers the job pinned already (being bought meanwhile, or replaced) still show:
            # they are left out before any pin is tried.
            known = supply.queued | supply.demand.handed
            shown = [offer.phone_number for offer in found if offer.phone_number not in known]
            fresh = await self.journal.unpinned(job.id, shown)
            brought = 0
            for offer in found:
                number = offer.phone_number
                # Handed out or found by another search while this one was checked: once.
                if number in fresh and number not in supply.queued and number not in supply.demand.handed:
                    supply.candidates.append(
                        _Offer(number, offer.monthly_price, offer.price_basis, supply.lane.name)
                    )
                    supply.queued.add(number)
                    brought += 1
            supply.brings = brought if not supply.brings else 0.7 * supply.brings + 0.3 * brought
            if supply.narrows and len(found) >= _NARROW_AT:
                shown = [offer.phone_number for offer in found] if len(found) >= _SHOWS_DIGITS else []
                likely, unlikely = _narrower(query, shown)
                supply.frontier.extend(likely)
                supply.unlikely.extend(unlikely)
        except BaseException as failed:
            # Searched again by the next task that needs it, in its turn.
            if lead is None or lead in supply.likely:
                supply.frontier.appendleft(lead)
            else:
                supply.unlikely.appendleft(lead)
            # Refused for now: the first failure of its round counts (the others say no more).
            if _refused_for_now(failed) and supply.failures == failures:
                await self._searches_refused(supply, failed)
            raise
        finally:
            supply.searching -= 1
            supply.likely.discard(lead)
            supply.notify()

    async def _searches_refused(self, supply: _Supply, refused: NumbersError) -> None:
        """A round of the supply's searches refused for now: its carrier is down after
        ``_ATTEMPTS`` rounds in a row; until then the next round waits, the others with it."""
        supply.failures += 1
        if supply.failures >= _ATTEMPTS:
            supply.down = refused
            return
        # Still counted as searching: the other tasks wait for this one instead of searching.
        await _sleep(_SEARCH_WAITS[supply.failures - 1])

    async def _pinned(self, job: Job, items: list[Item], *, sending: bool = False) -> list[Item]:
        """The items, each with a number of its criteria set pinned, in one write for all of a set
        (a number another task or worker pinned meanwhile is replaced by the next candidate); an
        item whose criteria have no number left fails, one that would pass the cost cap too.

        ``sending``: each is written sending with its number, in the same write (the job stopping
        meanwhile, they are left as they were).
        """
        pinned = {item.seq: item for item in items}
        sets: dict[str, list[Item]] = {}
        for item in items:
            sets.setdefault(item.slot or "", []).append(item)
        for slot, of_set in sets.items():
            for item in await self._pinned_of(job, slot, of_set, sending=sending):
                pinned[item.seq] = item
        return [pinned[item.seq] for item in items]

    async def _pinned_of(self, job: Job, slot: str, items: list[Item], *, sending: bool) -> list[Item]:
        """:meth:`_pinned` for items of one criteria set, whose numbers come from its carriers in
        turn (:meth:`_offer`)."""
        demand = self._demand(job, slot)
        cap = Money.model_validate(job.spec["max_cost"]) if job.spec.get("max_cost") else None
        result: list[Item] = []
        left = items
        while left:
            offers: list[_Offer] = []
            try:
                while len(offers) < len(left) and (offer := await self._offer(job, slot)) is not None:
                    offers.append(offer)
                if sending and self._stopping:
                    return [*result, *left]
                offered = list(zip(left, offers, strict=False))  # the first items, as many as there are
                pins = [
                    (item.seq, offer.phone_number, offer.monthly_price, offer.price_basis, offer.provider)
                    for item, offer in offered
                ]
                outcomes = await self.journal.pin_many(job.id, pins, cap=cap, sending=sending) if pins else {}
            finally:
                # Pinned (and no more needed), or not: wanted again.
                demand.handed.difference_update(offer.phone_number for offer in offers)
            again: list[Item] = []
            for item, offer in offered:
                outcome = outcomes[item.seq]
                if outcome is False:  # the job pinned the number meanwhile: the next candidate
                    again.append(item)
                elif outcome is True:
                    demand.need -= 1
                    result.append(self._with_number(item, offer, sending=sending))
                elif isinstance(outcome, OverCap):
                    await self.journal.move(
                        job.id, item.seq, ItemState.FAILED, error=("CostCapReached", None, str(outcome))
                    )
                    self._tell(item, "failed", outcome)
                    result.append(item)
                elif isinstance(outcome, LeaseLost):  # another worker's now
                    result.append(item)
                else:
                    raise outcome
            exhausted = left[len(offers) :]
            if exhausted:
                await self._exhausted(job, exhausted)
                result += exhausted
            left = again
        return result

    def _with_number(self, item: Item, offer: _Offer, *, sending: bool) -> Item:
        """The item as a pin of ``offer`` made it."""
        price = offer.monthly_price
        pinned = replace(
            item,
            number=offer.phone_number,
            provider=offer.provider,
            state=ItemState.SENDING if sending else item.state,
            price=None if price is None else price.amount,
            currency=None if price is None else price.currency,
            price_basis=None if price is None else offer.price_basis,
        )
        if self._planning:
            self._tell(pinned, "pinned")
        return pinned

    async def _exhausted(self, job: Job, items: list[Item]) -> None:
        """Items whose criteria set has no number left that the job did not pin."""
        if self.journal.shared and await self.journal.held_by_others(job.id):
            # What the search shows, other workers have pinned: once they have bought it, the
            # carrier shows other numbers. The items stay planned, for a later round.
            self._starved = True
            return
        name = job_provider(self.carrier)
        for item in items:
            left = "no number matching the criteria is left to buy"
            if item.error_class == ComplianceRequiredError.__name__ and item.error_message:
                # The numbers it was given were refused for what each alone needs: say what (across
                # several carriers, the message names the member that refused).
                left += f"; the last one tried was refused: {self._unnamed(item.error_message)}"
            await self._fail(job, item, NumberUnavailableError(left, provider=name))

    def _unnamed(self, message: str) -> str:
        """A carrier's message without the job's carrier's name in front (across several carriers,
        it keeps the member's, which says which one)."""
        return message.removeprefix(f"{job_provider(self.carrier)}: ")

    # -- what the carrier said -------------------------------------------------------------------

    async def _outcome(
        self,
        job: Job,
        item: Item,
        outcome: BatchOutcome,
        lane: _Lane | None,
        *,
        settle: bool = True,
        turn: bool = False,
    ) -> None:
        """Write what the carrier said of an item that was sent to ``lane`` (None: through the
        routing provider, whose answer names the member); ``settle``: look up at once what it
        left unknown; ``turn``: within the item's own turn among the requests under way, which
        its look-up takes (waiting for another, every item of a run whose answer was lost at
        once would wait for the others for good)."""
        with _unless_taken_over():
            await self._record(job, item, outcome, lane, settle=settle, turn=turn)

    async def _record(
        self, job: Job, item: Item, outcome: BatchOutcome, lane: _Lane | None, *, settle: bool, turn: bool
    ) -> None:
        error = outcome.error
        if lane is None:  # the member that answered is the item's now: its look-ups go there
            answered = (
                outcome.result.provider if outcome.result is not None else getattr(error, "member", None)
            )
            item = replace(item, provider=answered or item.provider)
        if error is None:
            await self.journal.move(
                job.id, item.seq, ItemState.DONE, result=_dump(outcome.result), provider=item.provider
            )
            self._tell(item, "done")
        elif isinstance(error, OutcomeUnknownError | _Stopped):
            # _Stopped: an adapter's follow-up request (a look-up, a try again) held back by a
            # stop. What was sent before it may have happened: resume looks it up.
            await self.journal.move(
                job.id, item.seq, ItemState.UNKNOWN, error=_error(error), provider=item.provider
            )
            self._tell(item, "unknown", error)
            if settle:
                # A lost answer shown not to have taken effect counts as a try: a carrier that
                # loses every answer and does nothing cannot keep the job going forever.
                await self._settle(job, item, lost=error, turn=turn)
        elif _number_only(error) and job.kind == JobKind.PURCHASE and item.slot:
            # Not this number (taken meanwhile, or it needs what only it needs: an address in its
            # own town): nothing was bought, and the next candidate stands in. No try of the
            # item's; a compliance refusal is kept on it, to say why if no candidate is left.
            kept = _error(error) if isinstance(error, ComplianceRequiredError) else None
            await self.journal.move(job.id, item.seq, ItemState.PLANNED, error=kept, tried=False)
            await self.journal.unpin(job.id, item.seq)
            if kept is not None:
                self._refused[item.seq] = self._refused.get(item.seq, 0) + 1
                if self._refused[item.seq] >= _REFUSED_IN_A_ROW:
                    why = self._unnamed(str(error))
                    said = f"{_REFUSED_IN_A_ROW} numbers matching the criteria were refused in a row: {why}"
                    unavailable = NumberUnavailableError(said, provider=job_provider(self.carrier))
                    await self._fail(job, item, unavailable)
                    return
            if item.slot in self._demands:  # a number wanted again, from this carrier or the next
                self._demands[item.slot].need += 1
            self._tell(item, "retried", error)
        elif isinstance(error, ConflictError) and job.kind == JobKind.PURCHASE:
            # Already the account's: bought by this job before (an answer lost), or the account
            # has it for another reason. A look-up says which; it counts as a try.
            await self.journal.move(
                job.id, item.seq, ItemState.UNKNOWN, error=_error(error), provider=item.provider
            )
            await self._settle(job, item, lost=error)
        elif (over := _quoted_over(job, item, error)) is not None:
            await self.journal.move(job.id, item.seq, ItemState.FAILED, error=("CostCapReached", None, over))
            self._tell(item, "failed", OverCap(over))
        elif _account_wide(error):
            # Every other item would be refused the same: the run stops at the first refusal, and
            # the item waits, planned, for the account to be put right (no try of its).
            await self.journal.move(job.id, item.seq, ItemState.PLANNED, error=_error(error), tried=False)
            self._tell(item, "retried", error)
            self._halt(error)
        elif isinstance(error, _FOR_NOW):
            # Said not to have happened (an unknown outcome is OutcomeUnknownError): sent again later.
            await self.journal.move(job.id, item.seq, ItemState.PLANNED, error=_error(error))
            self._tell(item, "retried", error)
        else:
            await self._fail(job, item, error)

    async def _fail(self, job: Job, item: Item, error: NumbersError) -> None:
        await self.journal.move(
            job.id, item.seq, ItemState.FAILED, error=_error(error), provider=item.provider
        )
        self._tell(item, "failed", error)

    # -- settling what is unknown ------------------------------------------------------------------

    async def _settle_all(
        self, job: Job, items: list[Item], *, listing: bool = False, lost: Mapping[int, NumbersError] = _NONE
    ) -> None:
        """Settle these open items: by one listing of the account when there are many (or
        ``listing``), else by a look-up each. ``lost``: the answers this run lost, by item."""
        if not items:
            return
        if listing or len(items) >= _LISTED_FROM:
            await self._settle_listed(job, items, lost=lost)
            return
        for item in items:
            if self._stopping:
                return
            await self._settle(job, item, lost=lost.get(item.seq))

    async def _settle_listed(self, job: Job, items: list[Item], *, lost: Mapping[int, NumbersError]) -> None:
        wanted = {item.number: item for item in items if item.number is not None}
        for item in items:
            if item.number is None:  # crashed before a number was pinned: nothing was sent
                with _unless_taken_over():
                    await self.journal.move(job.id, item.seq, ItemState.PLANNED, reconciled=True)
        if not wanted or self._stopping:
            return
        for group in self._by_member(wanted):
            owned: dict[str, ActiveNumber] = {}
            try:
                async for listed in self._owned({item.provider for item in group.values()}):
                    mine = group.get(listed.phone_number)
                    if mine is not None and self._holds(mine, listed):
                        owned[listed.phone_number] = listed
            except NumbersError as exc:  # left unknown: a later round, or resume, looks again
                for item in group.values():
                    self._tell(item, "unknown", exc)
                continue
            for number, item in group.items():
                await self._settled(job, item, owned.get(number), lost=lost.get(item.seq))

    def _by_member(self, wanted: dict[str, Item]) -> list[dict[str, Item]]:
        """``wanted`` (items by number) in groups settled by one listing each: across several
        carriers, one group per member where every item's is known (a member that cannot list
        then holds back only its own), else all together."""
        if self._routing is None or not {item.provider for item in wanted.values()} <= self._lanes.keys():
            return [wanted]
        groups: dict[str | None, dict[str, Item]] = {}
        for number, item in wanted.items():
            groups.setdefault(item.provider, {})[number] = item
        return list(groups.values())

    async def _settle(
        self, job: Job, item: Item, *, lost: NumbersError | None = None, turn: bool = False
    ) -> None:
        """Look the number up and write what happened; left unknown if the look-up keeps failing,
        or the job is stopping (resume looks it up).

        ``lost``: the answer this run lost (counted as a try when nothing happened); None for
        what a crash left open, which is no try of the carrier's. ``turn``: the caller holds a
        turn among the requests under way, which the look-ups take; otherwise each waits for one.
        """
        if item.number is None:  # crashed before a number was pinned: nothing was sent
            with _unless_taken_over():
                await self.journal.move(job.id, item.seq, ItemState.PLANNED, reconciled=True)
            return
        number = item.number
        found: ActiveNumber | None = None
        for wait in (*_LOOKUP_WAITS, None):
            if self._stopping:
                return
            try:
                async with contextlib.nullcontext() if turn else self._in_flight:
                    found = await self._call(self._lane(item), lambda carrier: carrier.get(number))
            except NotFoundError:
                found = None
            except _FOR_NOW as exc:
                if wait is None or isinstance(exc, _Stopped):
                    self._tell(item, "unknown", exc)
                    return
                await _sleep(wait)
                continue
            except NumbersError as exc:
                self._tell(item, "unknown", exc)
                return
            break
        await self._settled(job, item, found, lost=lost)

    async def _reconciled(self, job: Job, item: Item, found: ActiveNumber | None) -> None:
        """Write an item that may have happened done, as a look-up or a listing showed it
        (``found``: the number as its carrier has it, None for a release)."""
        await self.journal.move(
            job.id,
            item.seq,
            ItemState.DONE,
            reconciled=True,
            result=_dump(found),
            provider=self._holder(found),
        )
        self._tell(item, "reconciled")

    async def _settled(
        self, job: Job, item: Item, found: ActiveNumber | None, *, lost: NumbersError | None
    ) -> None:
        """Write what a look-up (or a listing) showed of an item that may have happened."""
        with _unless_taken_over():
            await self._record_found(job, item, found, lost=lost)

    async def _record_found(
        self, job: Job, item: Item, found: ActiveNumber | None, *, lost: NumbersError | None
    ) -> None:
        owned = found is not None and found.status is not NumberStatus.RELEASING
        if job.kind == JobKind.RELEASE:
            happened = not owned
        elif job.kind == JobKind.PURCHASE:
            happened = owned
        else:  # a configure sent again leaves the same configuration
            happened = False
        if happened:
            await self._reconciled(job, item, found)
        elif job.kind == JobKind.CONFIGURE and found is None:
            gone = NotFoundError(
                f"{item.number} is not a number of this account",
                provider=item.provider or job_provider(self.carrier),
            )
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
        # Items finished while a page is being read: the page may show them as they were before
        # (planned), read before their task wrote what became of them.
        self._finished_meanwhile: set[int] | None = None
        self._after = -1
        self._lock = anyio.Lock(fast_acquire=True)  # a turn of the loop for each take is a cost per item

    async def _fill(self) -> None:
        wrapped = False  # once per call: when every planned item is busy, the pass is over for a task
        while not self._buffer:
            self._finished_meanwhile = set()
            try:
                page = await self._journal.claim(self._job_id, after=self._after, limit=self._page)
                stale = self._finished_meanwhile
            finally:
                self._finished_meanwhile = None
            if not page and not wrapped and self._after >= 0 and self._again():
                self._after, wrapped = -1, True
                continue
            if not page:
                return
            self._after = page[-1].seq
            # One sent back to planned meanwhile is read again by a later claim (the pass comes
            # round again): left out here, it is not handed out twice.
            self._buffer = [item for item in page if item.seq not in self._busy and item.seq not in stale]

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
        seqs = [item.seq for item in items]
        self._busy.difference_update(seqs)
        if self._finished_meanwhile is not None:
            self._finished_meanwhile.update(seqs)


class _Unsent(Exception):
    """Items written sending whose request a stop held back: written planned again."""


@contextlib.asynccontextmanager
async def _sending(runner: Runner, job: Job, items: list[Item]) -> AsyncIterator[None]:
    """The carrier call of items written sending. Held back by a stop before any of its requests
    went (refused, or cut off while waiting its turn), they are planned again (:class:`_Unsent`):
    nothing was sent. Cut off by a stop once one went, they are written unknown: they may have
    happened, and resume looks them up."""
    sent = [0]
    token = _SENT.set(sent)
    seqs = [item.seq for item in items]
    try:
        yield
    except anyio.get_cancelled_exc_class():
        with anyio.CancelScope(shield=True), _unless_taken_over():
            if not sent[0]:
                await runner.journal.move(job.id, seqs, ItemState.PLANNED)
            else:
                stopped = ("Interrupted", None, "stopped before the carrier answered; resume looks it up")
                await runner.journal.move(job.id, seqs, ItemState.UNKNOWN, error=stopped)
                for item in items:
                    runner._tell(item, "unknown")
        raise
    except NumbersError:
        if runner.stopping and not sent[0]:
            with anyio.CancelScope(shield=True), _unless_taken_over():
                await runner.journal.move(job.id, seqs, ItemState.PLANNED)
            raise _Unsent from None
        raise
    finally:
        _SENT.reset(token)


@contextlib.contextmanager
def _fewer_collections() -> Iterator[None]:
    """The collector's first generation raised to ``_YOUNG`` for a run or a plan, then put back;
    left as it is where it is higher already or automatic collection is off (0), and not put
    back where it was changed meanwhile (by the process, or a run beside this one that ended)."""
    before = gc.get_threshold()
    if not 0 < before[0] < _YOUNG:
        yield
        return
    gc.set_threshold(_YOUNG, *before[1:])
    try:
        yield
    finally:
        if gc.get_threshold()[0] == _YOUNG:
            gc.set_threshold(*before)


def _refused_for_now(error: BaseException) -> TypeGuard[NumbersError]:
    """Whether the carrier refused a request for now (503, 429, a network failure), rather than
    the job stopping."""
    return isinstance(error, _FOR_NOW) and not isinstance(error, _Stopped)


def _quoted_over(job: Job, item: Item, error: NumbersError) -> str | None:
    """Why the item fails for its cost cap, where the carrier's quote of what buying it costs a
    month (a charge to accept, nothing bought) is above the price the cap was checked against:
    that price came from a table, and accepting the quote would break the cap. None otherwise (a
    quote at or below it stops the run as any charge to accept does)."""
    if not isinstance(error, PaymentRequiredError) or error.monthly is None:
        return None
    if not job.spec.get("max_cost") or item.price is None or error.monthly <= item.price:
        return None
    return (
        f"{error.provider} quotes {error.monthly} a month for {item.number}, above the {item.price} "
        f"{item.currency} ({item.price_basis or 'its'} price) the job's cost cap was checked against; "
        "nothing was bought"
    )


def _account_wide(error: NumbersError) -> bool:
    """About the account, not the item: credentials, funds, configuration, or paperwork every
    number of a country and type needs (a compliance refusal of scope account)."""
    if isinstance(error, ComplianceRequiredError):
        return error.scope is ComplianceScope.ACCOUNT
    return isinstance(error, _ACCOUNT_WIDE)


def _number_only(error: NumbersError) -> bool:
    """About this number alone: taken, or refused for what only it needs (scope number)."""
    if isinstance(error, ComplianceRequiredError):
        return error.scope is ComplianceScope.NUMBER
    return isinstance(error, NumberUnavailableError)


def _unless_taken_over() -> contextlib.suppress:
    """Around what a worker writes of an item it sent or looked up: another worker may have taken
    the item over meanwhile (this one was cut off from the journal past its lease) and moved it
    on; what that one wrote stands, and this one's late word is dropped."""
    return contextlib.suppress(LeaseLost)


def _first(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """The first error of a task group's: what a worker raised, not a wrapper around it, nor the
    cancellation it caused in the others."""
    leaves = list(_leaves(group))
    cancelled = anyio.get_cancelled_exc_class()
    return next((leaf for leaf in leaves if not isinstance(leaf, cancelled)), leaves[0])


def _leaves(group: BaseExceptionGroup[BaseException]) -> Iterator[BaseException]:
    for error in group.exceptions:
        if isinstance(error, BaseExceptionGroup):
            yield from _leaves(error)
        else:
            yield error


def _config(job: Job) -> NumberConfig | None:
    return NumberConfig.model_validate(job.spec["config"]) if job.spec.get("config") else None


def with_compliance(config: NumberConfig | None, compliance: NumberCompliance) -> NumberConfig:
    """``config`` (None: an empty one) with ``compliance``'s references over its own, field by
    field: a job's references given apart from its config (a job file's ``compliance`` table,
    ``--bundle-id``), or later (:func:`amend_job`)."""
    config = config or NumberConfig()
    given = {name: getattr(compliance, name) for name in compliance.model_fields_set}
    current = config.compliance
    merged = compliance if current is None else current.model_copy(update=given)
    return config.model_copy(update={"compliance": merged})


def _error(error: NumbersError) -> tuple[str, str | None, str]:
    return type(error).__name__, getattr(error, "code", None), str(error)[:500]


def _dump(number: ActiveNumber | None) -> str | None:
    # The JSON text straight from pydantic's serializer: a fifth of the time of a dict dumped again.
    return None if number is None else number.model_dump_json()


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
    filter is checked before anything is written, and so are the bounds of a job (at most
    ``MAX_ITEMS`` numbers in all, ``MAX_CRITERIA`` criteria sets, a label of ``MAX_LABEL``
    characters: numbers_core.bulk._limits).
    """
    check_job(numbers=numbers, criteria=criteria, label=label, max_cost=max_cost)
    kind = JobKind(kind)
    if kind is JobKind.CONFIGURE and config is None:
        raise InvalidInputError("a configure job needs its config", field="config")
    if config is not None:
        _check_config(carrier, config, kind)
    items: list[tuple[str | None, str | None, str | None]] = [
        (None, parse_e164(n), None) for n in numbers or []
    ]
    spec: dict[str, Any] = {}
    if criteria:
        if kind is not JobKind.PURCHASE:
            raise InvalidInputError("only a purchase job buys by criteria", field="criteria")
        spec["criteria"] = {}
        for name, (query, count) in criteria.items():
            carrier._check_search(query)
            spec["criteria"][name] = query.model_dump(mode="json", exclude_unset=True)
            items += [(name, None, None)] * count
    if max_cost is not None:
        if kind is not JobKind.PURCHASE or not criteria or numbers:
            raise InvalidInputError(
                "a cost cap applies to purchases by criteria, whose numbers come with quoted prices",
                field="max_cost",
            )
        if not carrier.supports(Feature.SEARCH_PRICES):
            raise UnsupportedError(
                carrier.name,
                Feature.SEARCH_PRICES,
                f"{carrier.name} does not price the numbers it offers (search.prices), so the job's "
                f"cost cap could not be kept: give {carrier.name} a prices setting (what its numbers "
                "cost you, per country and type), or leave the cost cap out",
            )
        for name, (query, _) in criteria.items():
            await _check_priced(carrier, name, query, max_cost)
        spec["max_cost"] = max_cost.model_dump(mode="json")
    if matching is not None:
        if kind is JobKind.PURCHASE:
            raise InvalidInputError(
                "a purchase buys numbers not owned yet: give numbers or criteria", field="matching"
            )
        # Each with the carrier that holds it (a member's name), where its configure or release goes.
        owned: dict[str, str] = {}
        async for number in carrier.list(**matching):
            owned[number.phone_number] = number.provider
            check_size(len(items) + len(owned))  # before a listing of millions is all read
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
        known = {number for _, number, _ in items}
        holders = isinstance(carrier, RoutingProvider)
        items += [
            (None, number, held if holders else None) for number, held in owned.items() if number not in known
        ]
    if config is not None:
        spec["config"] = config.model_dump(mode="json", exclude_unset=True)
    if not items:
        raise InvalidInputError("a job needs numbers, criteria or filters", field="numbers")
    return await journal.create(
        kind=kind, provider=job_provider(carrier), spec=spec, items=items, label=label
    )


async def amend_job(journal: Journal, carrier: Provider, job_id: str, *, compliance: NumberCompliance) -> Job:
    """Give a job the compliance references its requests go with from now on, over those it has
    field by field: what a job stopped for want of them (``ComplianceRequiredError`` of scope
    account) needs before it is run again. Checked as :func:`create_job` checks a config; what
    was sent already stays as it was."""
    job = await journal.job(job_id)
    kind = JobKind(job.kind)
    if kind is JobKind.RELEASE:
        raise InvalidInputError("a release job sends no compliance references", field="compliance")
    if job.state in (JobState.DONE, JobState.CANCELLED):
        raise InvalidInputError(f"job {job_id!r} is {job.state}: nothing is left to send", field="job")
    config = with_compliance(_config(job), compliance)
    _check_config(carrier, config, kind)
    await journal.set_spec(job_id, {**job.spec, "config": config.model_dump(mode="json", exclude_unset=True)})
    return await journal.job(job_id)


def _check_config(carrier: Provider, config: NumberConfig, kind: JobKind) -> None:
    """Refuse a job's config the carrier would refuse, or, for a purchase across several carriers,
    one that refers to one carrier account's things (any member may sell the numbers)."""
    if isinstance(carrier, RoutingProvider) and len(carrier.members) > 1 and kind is JobKind.PURCHASE:
        carrier._check_any_member(config, "a bulk job", "a job on carrier.members[NAME]")
    carrier._check_config(config, purchase=kind is JobKind.PURCHASE)


async def _check_priced(carrier: Provider, name: str, query: SearchQuery, cap: Money) -> None:
    """Refuse a cost cap the carrier's prices cannot keep, before anything is bought: one search
    of the criteria set shows whether its numbers come priced, and in what currency."""
    offers = await carrier.search(query.model_copy(update={"limit": 1}))
    if not offers:
        return  # nothing to price: the items fail as having no number to buy
    offer = offers[0]
    price = offer.monthly_price
    if price is None:
        # A carrier that prices its numbers has no price for these: a price list or table
        # without their country or type, or a price list that cannot be had now.
        kind = offer.number_type.value.replace("_", " ")
        raise InvalidInputError(
            f"{carrier.name} has no monthly price for the {query.country} {kind} numbers of criteria "
            f"{name!r}, so the job's cost cap could not be kept: add them to its prices setting, "
            "or leave the cost cap out",
            field="max_cost",
        )
    if price.currency != cap.currency:
        raise InvalidInputError(
            f"{carrier.name} prices the numbers of criteria {name!r} in {price.currency}, "
            f"the cost cap is in {cap.currency}: give it in {price.currency}",
            field="max_cost",
        )
