"""Bulk jobs at scale: past one search page, searches in parallel, the sweep in linear time,
settling what is known, cost caps refused up front, and a stop that sends nothing new."""

from __future__ import annotations

import contextlib
import math
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import anyio
import numbers_core as nc
import pytest
from numbers_core.bulk._engine import Event, Runner, _narrower, create_job
from numbers_core.bulk._journal import ItemState, Job, JobState, Journal
from numbers_core.bulk._limiter import RateLimiter
from numbers_core.emulator import Emulator, Faults

pytestmark = pytest.mark.anyio


@pytest.fixture
def journal(tmp_path: Path) -> Journal:
    return Journal(tmp_path / "bulk.sqlite3")


def _fast() -> RateLimiter:
    return RateLimiter(10_000.0, burst=100)


def _owned(state: dict[str, Any]) -> list[str]:
    return [number for numbers in state["numbers"].values() for number in numbers]


# -- past one search page ------------------------------------------------------------------------


async def test_a_plan_pins_more_numbers_than_one_search_shows_and_run_buys_them(journal: Journal) -> None:
    emulator = Emulator("twilio")  # answers 30 numbers at most, the same ones until some are bought
    events: list[Event] = []
    async with emulator.connect() as carrier:
        criteria = {"sf": (nc.SearchQuery(area_code="415"), 200)}
        job = await create_job(journal, carrier, "purchase", criteria=criteria)
        runner = Runner(carrier, journal, concurrency=20, limiter=_fast(), on_event=events.append)
        plan = await runner.plan(job.id)
        numbers = [item.number for item in plan.items]
        searches = [e for e in emulator.exchanges or [] if "/AvailablePhoneNumbers/" in e.path]
        assert await runner.run(job.id) == {ItemState.DONE: 200}
    # Before: 30 pinned, 170 failed "no number matching the criteria is left to buy".
    assert plan.count == 200
    assert plan.failed == 0
    assert len(set(numbers)) == 200
    assert all(number is not None and number.startswith("+1415") for number in numbers)
    assert [e.state for e in events].count("pinned") == 200
    # 14 to 20 searches here (a few narrowed-out ones bring nothing); searches that run ahead of
    # the tasks may bring more than the job needs on a busy machine, never one a number.
    assert len(searches) <= 40
    assert sorted(_owned(await emulator.state())) == sorted(n for n in numbers if n)


async def test_a_plans_writes_grow_with_its_searches_not_with_its_items(
    journal: Journal, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator = Emulator("twilio", faults=Faults(latency=0.02))
    writes = searches = 0
    written = Journal._write

    async def counted(self: Journal, batch: list[Any]) -> None:
        nonlocal writes
        writes += 1
        await written(self, batch)

    async with emulator.connect() as carrier:
        criteria = {"sf": (nc.SearchQuery(area_code="415"), 600)}
        job = await create_job(journal, carrier, "purchase", criteria=criteria)
        search = carrier.search

        async def searched(*args: Any, **kwargs: Any) -> Any:
            nonlocal searches
            searches += 1
            return await search(*args, **kwargs)

        monkeypatch.setattr(carrier, "search", searched)
        monkeypatch.setattr(Journal, "_write", counted)
        plan = await Runner(carrier, journal, concurrency=10, limiter=_fast()).plan(job.id, items=False)
    assert plan.count == 600
    # A transaction for each search's check of what it found, and one for each batch of 50 pins, a
    # few more: before, about one for each time the tasks pinned numbers together (88 here).
    assert writes <= searches + 600 // 50 + 10
    await emulator.aclose()


async def test_a_run_without_a_plan_buys_past_one_search_page_too(journal: Journal) -> None:
    emulator = Emulator("twilio")
    async with emulator.connect() as carrier:
        job = await create_job(
            journal, carrier, "purchase", criteria={"sf": (nc.SearchQuery(area_code="415"), 120)}
        )
        # 60 at once, all pinned and in flight: more than a search shows.
        assert await Runner(carrier, journal, concurrency=60, limiter=_fast()).run(job.id) == {
            ItemState.DONE: 120
        }
    assert len(set(_owned(await emulator.state()))) == 120


async def test_criteria_with_fewer_numbers_than_asked_fail_the_rest_and_say_so(journal: Journal) -> None:
    async with nc.connect("sandbox") as carrier:
        # Nine digits of ten: at most ten numbers match, whatever the carrier has.
        narrow = nc.SearchQuery(starts_with="415555012")
        available = await carrier.search(narrow.model_copy(update={"limit": 100}))
        assert 0 < len(available) <= 10
        job = await create_job(journal, carrier, "purchase", criteria={"few": (narrow, 15)})
        events: list[Event] = []
        plan = await Runner(carrier, journal, on_event=events.append).plan(job.id)
    failed = [e for e in events if e.state == "failed"]
    assert plan.count == len(available)
    assert plan.failed == len(failed) == 15 - len(available)
    assert all("no number matching the criteria is left to buy" in (e.error or "") for e in failed)


async def test_every_carrier_narrows_by_the_neutral_starts_with_filter() -> None:
    for dialect in ("twilio", "signalwire", "kazoo", "sinch"):
        emulator = Emulator(dialect)
        async with emulator.connect(**({"accept_charges": True} if dialect == "kazoo" else {})) as carrier:
            assert carrier.supports(nc.Feature.SEARCH_STARTS_WITH), dialect
            found = await carrier.search(area_code="415", starts_with="4153", limit=30)
        assert found, dialect
        assert all(n.phone_number.startswith("+14153") for n in found), dialect
        await emulator.aclose()


def test_a_search_is_narrowed_first_by_the_digits_its_answer_had() -> None:
    shown = ["+18313451234", "+18313459876", "+18313470000", "+18313401111", "+18313459999"]
    likely, unlikely = _narrower(nc.SearchQuery(area_code="831", starts_with="83134"), shown)
    assert likely == ["831345", "831347", "831340"]  # the most often first
    assert unlikely == ["831341", "831342", "831343", "831344", "831346", "831348", "831349"]
    # Nothing shown yet (a set's first searches): every digit, in order.
    assert _narrower(nc.SearchQuery(area_code="831")) == ([f"831{digit}" for digit in range(10)], [])


async def test_exchanges_a_search_never_showed_are_searched_last(
    journal: Journal, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 831's numbers for sale lie in few of its exchanges: before, every full page was narrowed
    # into all ten next digits, and 16 of 38 searches of a 600-number job answered none.
    async with _watched_twilio(monkeypatch, 0.0) as (emulator, carrier, watched):
        job = await create_job(
            journal, carrier, "purchase", criteria={"sc": (nc.SearchQuery(area_code="831"), 600)}
        )
        assert await Runner(carrier, journal, concurrency=50, limiter=_fast()).run(job.id) == {
            ItemState.DONE: 600
        }
    assert len(set(_owned(await emulator.state()))) == 600
    assert watched.empty <= 8  # 4 here: 8310, 8311 and a few exchanges a page happened to miss


# -- searches in parallel ------------------------------------------------------------------------


class _Watched:
    """A carrier's search, slowed and watched: how many run at once."""

    def __init__(self, carrier: nc.Provider, delay: float) -> None:
        self._search = carrier.search
        self.delay = delay
        self.running = self.most = self.calls = self.empty = 0

    async def __call__(self, query: nc.SearchQuery) -> list[nc.AvailableNumber]:
        self.running += 1
        self.calls += 1
        self.most = max(self.most, self.running)
        try:
            await anyio.sleep(self.delay)
            found = await self._search(query)
            self.empty += not found
            return found
        finally:
            self.running -= 1


@contextlib.asynccontextmanager
async def _watched_twilio(
    monkeypatch: pytest.MonkeyPatch, delay: float
) -> AsyncIterator[tuple[Emulator, nc.Provider, _Watched]]:
    """The Twilio emulator (30 numbers a search at most) and a carrier on it whose searches are
    slowed by ``delay`` and watched."""
    emulator = Emulator("twilio")
    async with emulator.connect() as carrier:
        watched = _Watched(carrier, delay)
        monkeypatch.setattr(carrier, "search", watched)
        yield emulator, carrier, watched


async def _planned(
    journal: Journal, monkeypatch: pytest.MonkeyPatch, count: int, concurrency: int
) -> _Watched:
    """A plan of ``count`` numbers of 415 on the Twilio emulator, its searches slowed and watched."""
    async with _watched_twilio(monkeypatch, 0.05) as (_, carrier, watched):
        job = await create_job(
            journal, carrier, "purchase", criteria={"sf": (nc.SearchQuery(area_code="415"), count)}
        )
        plan = await Runner(carrier, journal, concurrency=concurrency, limiter=_fast()).plan(job.id)
    assert plan.count == count
    return watched


async def test_a_criteria_sets_narrower_searches_run_in_parallel(
    journal: Journal, monkeypatch: pytest.MonkeyPatch
) -> None:
    watched = await _planned(journal, monkeypatch, 300, concurrency=100)
    # 100 tasks waiting, 30 numbers a search: several searches at once (before: one at a time).
    assert watched.most >= 3


async def test_a_plan_searches_at_once_what_its_tasks_pin_at_once(
    journal: Journal, monkeypatch: pytest.MonkeyPatch
) -> None:
    watched = await _planned(journal, monkeypatch, 1000, concurrency=50)
    # The first ten searches (415 and a digit) bring 240 numbers; the 760 others need 26 pages of
    # 30, all wanted now by the tasks pinning 50 each: searched at once, not a few rounds ahead of
    # the tasks as a run does (before: 14 to 20 at once, and four waves of searches).
    assert watched.most >= 26
    # And few more searches than pages: 36 at the least (10 + 26); the rest are pages that overlap,
    # which depends on the order the searches come back in (39 to 46 seen on a loaded machine).
    assert watched.calls <= 50


async def test_criteria_sets_search_at_the_same_time(
    journal: Journal, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with nc.connect("sandbox") as carrier:
        watched = _Watched(carrier, 0.05)
        monkeypatch.setattr(carrier, "search", watched)
        criteria = {code: (nc.SearchQuery(area_code=code), 4) for code in ("415", "510", "650")}
        job = await create_job(journal, carrier, "purchase", criteria=criteria)
        with anyio.fail_after(5):
            plan = await Runner(carrier, journal, concurrency=12).plan(job.id)
    assert plan.count == 12
    assert watched.calls == 3  # one each, sized to its set
    assert watched.most == 3


async def test_searches_ahead_stay_few_however_little_the_last_ones_brought(
    journal: Journal, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Searches and purchases of 100 ms, 3,000 numbers of 415: the searches that meet numbers the
    # job pinned bring few, and the set counted on a few from each of the next. Before, it started
    # them by the hundred at once (117 to 326 here), each back with a page from a fresh, narrower
    # prefix: numbers in hand by the ten thousand in a job of 20,000, and its memory with them.
    async with _watched_twilio(monkeypatch, 0.1) as (_, carrier, watched):
        purchase = carrier.purchase

        async def slowed(number: str, *, config: nc.NumberConfig | None = None) -> nc.ActiveNumber:
            await anyio.sleep(0.1)
            return await purchase(number, config=config)

        monkeypatch.setattr(carrier, "purchase", slowed)
        job = await create_job(
            journal, carrier, "purchase", criteria={"sf": (nc.SearchQuery(area_code="415"), 3000)}
        )
        counts = await Runner(carrier, journal, concurrency=50).run(job.id)
    assert counts == {ItemState.DONE: 3000}
    # Ahead of the tasks: twice the pages of four rounds of 50 numbers (2 × 7); and the 50 tasks,
    # each searching for itself when nothing is in hand.
    assert watched.most <= 2 * math.ceil(4 * 50 / 30) + 50


# -- the sweep -------------------------------------------------------------------------------------


async def test_the_sweep_reads_the_journal_once_per_page_of_owned_numbers(
    journal: Journal, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("numbers_core.bulk._engine._PAGE", 50)
    async with nc.connect("sandbox") as carrier:
        job = await create_job(
            journal, carrier, "purchase", criteria={"sf": (nc.SearchQuery(area_code="415"), 120)}
        )
        runner = Runner(carrier, journal, concurrency=20)
        assert await runner.run(job.id) == {ItemState.DONE: 120}
        reads: list[str] = []
        looked_up: list[int] = []
        unbought = journal.unbought

        def refused(name: str) -> Any:
            async def read(*args: object, **kwargs: object) -> None:
                reads.append(name)
                raise AssertionError(f"the sweep read {name}: the whole job at once")

            return read

        async def counted(job_id: str, numbers: list[str]) -> object:
            looked_up.append(len(numbers))
            return await unbought(job_id, numbers)

        monkeypatch.setattr(journal, "unbought", counted)
        monkeypatch.setattr(journal, "items", refused("items"))
        monkeypatch.setattr(journal, "pinned", refused("pinned"))
        assert await runner.orphans(job.id) == []
    # Before: every pinned number, and every done item in full, read at once; then `pinned - bought`
    # computed again for each owned number (quadratic). Now: a page at a time, once each.
    assert reads == []
    assert looked_up == [50, 50, 20]


async def test_the_sweep_settles_what_it_finds_owned_and_reports_the_rest(journal: Journal) -> None:
    async with nc.connect("sandbox") as carrier:
        picks = [n.phone_number for n in await carrier.search(area_code="415", limit=3)]
        job = await create_job(journal, carrier, "purchase", numbers=picks)
        for number in picks:  # bought, every answer lost: the items are unknown
            await journal.claim(job.id)
            await carrier.purchase(number)
        items = await journal.items(job.id)
        for item in items[:2]:
            await journal.move(job.id, item.seq, ItemState.SENDING)
            await journal.move(job.id, item.seq, ItemState.UNKNOWN)
        await journal.move(job.id, items[2].seq, ItemState.FAILED, error=("X", None, "refused"))
        await journal.set_state(job.id, JobState.RUNNING)  # as a run leaves it, with items unknown
        events: list[Event] = []
        orphans = await Runner(carrier, journal, on_event=events.append).orphans(job.id)
    assert orphans == [picks[2]]  # failed, yet owned: the carrier sold it while saying no
    assert await journal.counts(job.id) == {ItemState.DONE: 2, ItemState.FAILED: 1}
    assert [e.state for e in events] == ["reconciled", "reconciled"]
    assert (await journal.job(job.id)).state is JobState.DONE


# -- settling what is known ------------------------------------------------------------------------


async def test_a_job_on_a_sandbox_that_fails_its_look_ups_too_ends_with_nothing_unknown(
    journal: Journal,
) -> None:
    async with nc.connect("sandbox", fail_rate=0.3, fail_seed=4) as carrier:
        async with nc.connect("sandbox", path=None) as clean:
            picks = [n.phone_number for n in await clean.search(area_code="415", limit=40)]
        job = await create_job(journal, carrier, "purchase", numbers=picks)
        runner = Runner(carrier, journal, concurrency=8)
        counts = await runner.run(job.id)
        owned = [n.phone_number for n in await _listed(carrier)]
        orphans = await runner.orphans(job.id)
    # Before: items whose look-up got a 429 or a 503 stayed unknown, and resume did the same.
    assert not counts.get(ItemState.UNKNOWN), counts
    assert orphans == []
    done = {item.number for item in await journal.items(job.id, ItemState.DONE)}
    assert sorted(owned) == sorted(done)
    assert len(owned) == len(set(owned))


async def _listed(carrier: nc.Provider) -> list[nc.ActiveNumber]:
    for _ in range(20):  # the listing fails now and then too
        try:
            return [number async for number in carrier.list()]
        except (nc.ProviderUnavailableError, nc.RateLimitError):
            continue
    raise AssertionError("the sandbox never listed")


async def _one_number(journal: Journal, carrier: nc.Provider) -> tuple[nc.AvailableNumber, Job]:
    """A number for sale, and a job buying it."""
    [offer] = await carrier.search(area_code="415", limit=1)
    return offer, await create_job(journal, carrier, "purchase", numbers=[offer.phone_number])


async def test_a_look_up_refused_for_now_is_tried_again(
    journal: Journal, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with nc.connect("sandbox") as carrier:
        _, job = await _one_number(journal, carrier)
        purchase, get = carrier.purchase, carrier.get
        refusals = 3

        async def lost(number: str, *, config: object = None) -> nc.ActiveNumber:
            await purchase(number)
            raise nc.OutcomeUnknownError("lost", operation="purchase", number=number, provider="sandbox")

        async def busy(number: str) -> nc.ActiveNumber:
            nonlocal refusals
            if refusals:
                refusals -= 1
                raise nc.ProviderUnavailableError("busy", provider="sandbox", status_code=503)
            return await get(number)

        monkeypatch.setattr(carrier, "purchase", lost)
        monkeypatch.setattr(carrier, "get", busy)
        assert await Runner(carrier, journal).run(job.id) == {ItemState.DONE: 1}
    (item,) = await journal.items(job.id)
    assert item.reconciled
    assert item.sends == 1


async def test_a_purchase_answered_already_owned_is_looked_up_not_failed(
    journal: Journal, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with nc.connect("sandbox") as carrier:
        offer, job = await _one_number(journal, carrier)
        await carrier.purchase(offer)  # bought by this job's lost answer, as far as it can tell
        assert await Runner(carrier, journal).run(job.id) == {ItemState.DONE: 1}
    (item,) = await journal.items(job.id)
    assert item.reconciled


# -- cost caps -------------------------------------------------------------------------------------


async def test_a_cost_cap_on_a_carrier_that_quotes_no_prices_is_refused_before_anything_is_bought(
    journal: Journal,
) -> None:
    emulator = Emulator("signalwire")  # its compatibility API has no price list
    async with emulator.connect() as carrier:
        cap = nc.Money(amount=Decimal(100), currency="USD")
        criteria = {"sf": (nc.SearchQuery(area_code="415"), 10)}
        with pytest.raises(nc.UnsupportedError) as refused:
            await create_job(journal, carrier, "purchase", criteria=criteria, max_cost=cap)
    # Before: accepted, then every item failed with CostCapReached; then refused after a search.
    assert refused.value.feature == "search.prices"
    assert "give signalwire a prices setting" in str(refused.value)
    assert "\n" not in str(refused.value)
    assert await journal.jobs() == []
    assert emulator.requests == 0  # refused before any request


async def test_a_cost_cap_in_another_currency_than_the_prices_is_refused(journal: Journal) -> None:
    async with nc.connect("sandbox") as carrier:
        cap = nc.Money(amount=Decimal(100), currency="EUR")
        criteria = {"sf": (nc.SearchQuery(area_code="415"), 10)}
        with pytest.raises(nc.InvalidInputError, match="in USD, the cost cap is in EUR"):
            await create_job(journal, carrier, "purchase", criteria=criteria, max_cost=cap)
    assert await journal.jobs() == []


# -- a stop sends nothing new ---------------------------------------------------------------------


async def test_tasks_searching_when_the_stop_comes_buy_nothing_after_it(
    journal: Journal, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with nc.connect("sandbox") as carrier:
        job = await create_job(
            journal, carrier, "purchase", criteria={"sf": (nc.SearchQuery(area_code="415"), 10)}
        )
        runner = Runner(carrier, journal, concurrency=5)
        search, purchase = carrier.search, carrier.purchase
        searching = anyio.Event()
        stopped = anyio.Event()
        bought: list[str] = []

        async def slow_search(query: nc.SearchQuery) -> list[nc.AvailableNumber]:
            searching.set()
            await stopped.wait()  # the stop comes while the search is out
            return await search(query)

        async def recorded(number: str, *, config: object = None) -> nc.ActiveNumber:
            bought.append(number)
            return await purchase(number, config=config)  # type: ignore[arg-type]

        monkeypatch.setattr(carrier, "search", slow_search)
        monkeypatch.setattr(carrier, "purchase", recorded)
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(runner.run, job.id)
            await searching.wait()
            runner.stop(grace=5.0)
            stopped.set()
        counts = await journal.counts(job.id)
    # Before: the tasks searching when Ctrl-C came bought their numbers after it.
    assert bought == []
    assert runner.stopped
    assert counts == {ItemState.PLANNED: 10}
    pinned = [item for item in await journal.items(job.id) if item.number is not None]
    assert len(pinned) <= 5  # a number pinned meanwhile stays its item's, planned, for resume


async def test_requests_waiting_their_turn_are_not_sent_after_a_stop(journal: Journal) -> None:
    emulator = Emulator("twilio", faults=Faults(latency=0.05))
    async with emulator.connect() as carrier:
        picks = [n.phone_number for n in await carrier.search(area_code="415", limit=20)]
        job = await create_job(journal, carrier, "purchase", numbers=picks)
        runner = Runner(carrier, journal, concurrency=10, limiter=RateLimiter(5.0))  # one each 0.2 s
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(runner.run, job.id)
            await anyio.sleep(0.3)
            runner.stop(grace=5.0)
            stopped_at = anyio.current_time()
        # The waiting requests hear of it at once, not each in its turn (two seconds on).
        assert anyio.current_time() - stopped_at < 0.5
        counts = await journal.counts(job.id)
    bought = len(_owned(await emulator.state()))
    assert bought == counts.get(ItemState.DONE, 0) <= 3
    assert counts.get(ItemState.UNKNOWN, 0) == 0
    assert counts[ItemState.PLANNED] == 20 - bought


async def test_a_native_batch_is_not_sent_after_a_stop_during_its_pinning(
    journal: Journal, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator = Emulator("kazoo")
    async with emulator.connect(batch_size=50, accept_charges=True) as carrier:
        job = await create_job(
            journal, carrier, "purchase", criteria={"sf": (nc.SearchQuery(area_code="415"), 50)}
        )
        runner = Runner(carrier, journal, concurrency=1, limiter=_fast())
        search = carrier.search

        async def stopping_search(query: nc.SearchQuery) -> list[nc.AvailableNumber]:
            found = await search(query)
            runner.stop(grace=5.0)  # Ctrl-C while the batch's numbers are being pinned
            return found

        monkeypatch.setattr(carrier, "search", stopping_search)
        await runner.run(job.id)
        counts = await journal.counts(job.id)
    # Before: all 250 numbers of a Kazoo job were activated after Ctrl-C, and the job exited 0.
    assert _owned(await emulator.state()) == []
    assert counts == {ItemState.PLANNED: 50}
    assert runner.stopped


async def test_an_adapters_second_try_after_a_stop_is_not_sent(journal: Journal) -> None:
    emulator = Emulator("twilio", faults=Faults(seed=2, unavailable=1.0, latency=0.05))
    async with emulator.connect() as carrier:
        job = await create_job(journal, carrier, "release", numbers=["+14155550100"])
        runner = Runner(carrier, journal, limiter=_fast())
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(runner.run, job.id)
            with anyio.fail_after(10):
                while not emulator.requests:  # noqa: ASYNC110 - the emulator has no event to wait on
                    await anyio.sleep(0.005)
            runner.stop(grace=5.0)  # the first look-up of the number is out, and will get a 503
    # The adapter would try again after the 503 (a read): after the stop, nothing goes.
    assert emulator.requests == 1


async def test_a_rate_given_paces_the_sandbox_too(journal: Journal, monkeypatch: pytest.MonkeyPatch) -> None:
    async with nc.connect("sandbox") as carrier:
        job = await create_job(
            journal, carrier, "purchase", criteria={"sf": (nc.SearchQuery(area_code="415"), 6)}
        )
        limiter = RateLimiter(1000.0)
        acquire, try_acquire, paced = limiter.acquire, limiter.try_acquire, 0

        async def counted() -> None:
            nonlocal paced
            paced += 1
            await acquire()

        def tried() -> bool:  # let go at once, or left to wait (acquire)
            nonlocal paced
            let_go = try_acquire()
            paced += let_go
            return let_go

        monkeypatch.setattr(limiter, "acquire", counted)
        monkeypatch.setattr(limiter, "try_acquire", tried)
        assert await Runner(carrier, journal, concurrency=6, limiter=limiter).run(job.id) == {
            ItemState.DONE: 6
        }
    # Before: the sandbox has no HTTP requests to pace, and --rate did nothing there.
    assert paced == 7  # the search and six purchases


async def test_what_a_job_learns_of_the_accounts_rate_the_next_job_starts_from(journal: Journal) -> None:
    from numbers_core.bulk._engine import _budget

    emulator = Emulator("twilio")
    async with emulator.connect() as carrier:
        budget = _budget(carrier)
        picks = [n.phone_number for n in await carrier.search(area_code="415", limit=20)]
        first = await create_job(journal, carrier, "purchase", numbers=picks[:10])
        runner = Runner(carrier, journal, concurrency=5)
        await runner.run(first.id)
        reached = await journal.learnt_rate(budget)
        assert reached is not None
        assert reached[1] is False  # no 429: the rate reached, to climb from next time
        await journal.learn_rate(budget, 42.0, limited=True)  # as if a job had met the ceiling
        second = await create_job(journal, carrier, "purchase", numbers=picks[10:])
        again = Runner(carrier, journal, concurrency=5)
        await again.run(second.id)
        assert again.limiter is not None
        assert again.limiter.learnt == 42.0
    assert await journal.learnt_rate(budget) == (42.0, True)


async def test_a_batch_whose_answer_was_lost_is_not_looked_up_number_by_number_after_a_stop(
    journal: Journal, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before: a Kazoo batch whose answer was lost (or answered 503) was settled by a look-up of
    # each number at the account's rate (10 a second), well past the grace after Ctrl-C.
    emulator = Emulator("kazoo")
    async with emulator.connect(batch_size=30, accept_charges=True) as carrier:
        picks = [n.phone_number for n in await carrier.search(area_code="415", limit=30)]
        emulator.set_faults(lost=1.0)  # logged in already: the activation's answer is what is lost
        job = await create_job(journal, carrier, "purchase", numbers=picks)
        runner = Runner(carrier, journal, concurrency=1, limiter=RateLimiter(5.0, burst=3))
        looked_up = anyio.Event()
        held = carrier._held  # type: ignore[attr-defined]

        async def look_up(e164: str, operation: str) -> nc.ActiveNumber | None:
            looked_up.set()
            return await held(e164, operation)  # type: ignore[no-any-return]

        monkeypatch.setattr(carrier, "_held", look_up)
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(runner.run, job.id)
            await looked_up.wait()  # the batch was sent, its answer lost: the look-ups have begun
            runner.stop(grace=5.0)
            stopped_at = anyio.current_time()
        assert anyio.current_time() - stopped_at < 1.0  # not 30 look-ups at 5 a second
        counts = await journal.counts(job.id)
        assert counts.get(ItemState.DONE, 0) <= 1  # the look-up out when the stop came may finish
        assert counts[ItemState.UNKNOWN] == 30 - counts.get(ItemState.DONE, 0)
        listed = carrier.list
        listings = 0

        def counted(**filters: object) -> object:
            nonlocal listings
            listings += 1
            return listed(**filters)

        monkeypatch.setattr(carrier, "list", counted)
        emulator.set_faults(lost=0.0)
        resumed = Runner(carrier, journal, concurrency=1, limiter=_fast())
        assert await resumed.run(job.id) == {ItemState.DONE: 30}
    assert listings == 1  # resume settled the 30 with one listing of the account
