"""Bulk jobs and commerce: compliance refusals (the account's stop the job, a number's re-pin its
item), cost caps wherever search results are priced, and each item's price with its basis."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import anyio
import numbers_core as nc
import pytest
from numbers_core.bulk import Event, ItemState, JobState, Journal, Runner, amend_job, create_job, report
from numbers_core.emulator import Emulator, dialect_names
from numbers_core.providers.kazoo._emulator import KazooEmulation, Price
from numbers_core.sandbox import APPROVED_BUNDLE

pytestmark = pytest.mark.anyio

LONDON = nc.Address(
    customer_name="Acme Ltd", street="1 Poultry", locality="London", postal_code="EC2R 8AH", country="GB"
)
FAHRLAND = nc.Address(
    customer_name="Acme GmbH",
    street="Ketziner Str. 1",
    locality="Fahrland",
    postal_code="14476",
    country="DE",
)
# Twilio's price of a US local number, as a prices table setting gives it.
US_LOCAL = {"US": {"local": "1.15 USD"}}


@pytest.fixture
async def journal(tmp_path: Path) -> AsyncIterator[Journal]:
    journal = Journal(tmp_path / "bulk.sqlite3")
    yield journal
    await journal.aclose()


def _config(address: nc.Address, bundle: str | None = None) -> nc.NumberConfig:
    return nc.NumberConfig(compliance=nc.NumberCompliance(address_id=address.id, bundle_id=bundle))


# -- compliance ------------------------------------------------------------------------------------


async def test_an_account_without_the_bundle_stops_the_job_at_its_first_refusal(journal: Journal) -> None:
    async with nc.connect("sandbox") as carrier:
        office = await carrier.create_address(LONDON)
        criteria = {"london": (nc.SearchQuery(country="GB", area_code="20"), 6)}
        # An address on file, as British landlines need, and no bundle, which they need as well.
        job = await create_job(journal, carrier, "purchase", criteria=criteria, config=_config(office))
        sent: list[str] = []
        purchase = carrier.purchase

        async def counted(number: str, *, config: nc.NumberConfig | None = None) -> nc.ActiveNumber:
            sent.append(number)
            return await purchase(number, config=config)

        carrier.purchase = counted  # type: ignore[method-assign]
        events: list[Event] = []
        with pytest.raises(nc.ComplianceRequiredError) as stopped:
            await Runner(carrier, journal, concurrency=3, on_event=events.append).run(job.id)
        # The refusal itself, saying what the account lacks, for which numbers.
        assert (stopped.value.requirement, stopped.value.scope) == (nc.RequirementKind.BUNDLE, "account")
        assert (stopped.value.country, stopped.value.number_type) == ("GB", nc.NumberType.LOCAL)
        # Before: every item failed with the same refusal, 6 purchases sent.
        assert 1 <= len(sent) <= 3  # what was in flight when the first refusal came, no more
        assert await journal.counts(job.id) == {ItemState.PLANNED: 6}
        assert "failed" not in {event.state for event in events}
        items = await journal.items(job.id)
        refused = [item for item in items if item.error_class == "ComplianceRequiredError"]
        assert len(refused) == len(sent)
        assert all(item.attempts == 0 for item in items)  # not the items' tries: resumes cost them none
        assert (await journal.job(job.id)).state is JobState.RUNNING  # resumable

        # The account has it now: the job, given its id, goes on with the items left.
        amended = await amend_job(
            journal, carrier, job.id, compliance=nc.NumberCompliance(bundle_id=APPROVED_BUNDLE)
        )
        assert amended.spec["config"]["compliance"] == {"address_id": office.id, "bundle_id": APPROVED_BUNDLE}
        assert await Runner(carrier, journal, concurrency=3).run(job.id) == {ItemState.DONE: 6}
        owned = [number async for number in carrier.list()]
    assert len(owned) == 6
    assert {(n.compliance.address_id, n.compliance.bundle_id) for n in owned if n.compliance} == {
        (office.id, APPROVED_BUNDLE)
    }


async def test_a_bundle_approved_meanwhile_lets_resume_finish_the_job(
    journal: Journal, tmp_path: Path
) -> None:
    shared = tmp_path / "sandbox.sqlite3"
    pending = "BU" + "7" * 32
    criteria = {"london": (nc.SearchQuery(country="GB", area_code="20"), 3)}
    # The bundle is under review: the account has it on file, not approved yet.
    async with nc.connect("sandbox", path=shared, bundles={"GB": {"local": []}}) as carrier:
        office = await carrier.create_address(LONDON)
        config = _config(office, pending)
        job = await create_job(journal, carrier, "purchase", criteria=criteria, config=config)
        with pytest.raises(nc.ComplianceRequiredError, match="not approved"):
            await Runner(carrier, journal, concurrency=1).run(job.id)
    assert await journal.counts(job.id) == {ItemState.PLANNED: 3}
    async with nc.connect("sandbox", path=shared, bundles={"GB": {"local": [pending]}}) as carrier:
        assert await Runner(carrier, journal).run(job.id) == {ItemState.DONE: 3}


async def test_a_number_refused_for_want_of_a_local_address_is_replaced_by_the_next_candidate(
    journal: Journal,
) -> None:
    async with nc.connect("sandbox") as carrier:
        office = await carrier.create_address(FAHRLAND)
        # Numbers of 03320x: ten towns near Potsdam, of which Fahrland (033208) is one. A German
        # landline needs an address in its own town: the others are refused, each for itself.
        criteria = {"potsdam": (nc.SearchQuery(country="DE", starts_with="3320"), 2)}
        job = await create_job(
            journal, carrier, "purchase", criteria=criteria, config=_config(office, APPROVED_BUNDLE)
        )
        events: list[Event] = []
        counts = await Runner(carrier, journal, concurrency=2, on_event=events.append).run(job.id)
        owned = sorted([number.phone_number async for number in carrier.list()])
    # Before: the first number refused failed its item.
    assert counts == {ItemState.DONE: 2}
    assert [number[:8] for number in owned] == ["+4933208"] * 2
    refusals = [event for event in events if event.state == "retried"]
    assert refusals
    assert all("its own town" in (event.error or "") for event in refusals)
    items = await journal.items(job.id)
    assert sorted(item.number or "" for item in items) == owned
    assert sum(item.sends for item in items) == 2 + len(refusals)
    assert all(item.attempts == 0 for item in items)
    pinned = await journal.pinned(job.id)
    assert len(pinned) == 2 + len(refusals)  # a refused number is never pinned again


async def _caputh(journal: Journal, carrier: nc.Provider, count: int) -> str:
    """A job of ``count`` Caputh numbers with an address in Fahrland: each is refused for itself
    (a German landline needs an address in its own town); the job's id."""
    office = await carrier.create_address(FAHRLAND)
    criteria = {"caputh": (nc.SearchQuery(country="DE", starts_with="33209"), count)}
    job = await create_job(
        journal, carrier, "purchase", criteria=criteria, config=_config(office, APPROVED_BUNDLE)
    )
    return job.id


async def test_when_every_number_left_is_refused_for_itself_the_item_says_why(journal: Journal) -> None:
    async with nc.connect("sandbox") as carrier:
        job_id = await _caputh(journal, carrier, 1)
        assert await Runner(carrier, journal).run(job_id) == {ItemState.FAILED: 1}
    [row] = await report(journal, job_id)
    assert row.error == "NumberUnavailableError"
    assert row.message.startswith("sandbox: no number matching the criteria is left to buy; the last one")
    assert "Caputh" in row.message
    assert "it needs an address in its own town" in row.message


async def test_numbers_refused_one_after_another_for_themselves_fail_their_items_in_the_end(
    journal: Journal,
) -> None:
    # Every Caputh number needs an address in Caputh, and the sandbox has numbers without end
    # under narrower prefixes: before, two such items were searched for forever.
    async with nc.connect("sandbox") as carrier:
        job_id = await _caputh(journal, carrier, 2)
        with anyio.fail_after(60):
            assert await Runner(carrier, journal).run(job_id) == {ItemState.FAILED: 2}
        assert [number async for number in carrier.list()] == []
    for row in await report(journal, job_id):
        assert row.error == "NumberUnavailableError"
        assert row.message.startswith("sandbox: 50 numbers matching the criteria were refused in a row: ")
        assert "it needs an address in its own town" in row.message


async def test_a_number_given_by_the_job_and_refused_for_itself_fails_alone(journal: Journal) -> None:
    async with nc.connect("sandbox") as carrier:
        office = await carrier.create_address(FAHRLAND)
        fahrland = await carrier.search(country="DE", starts_with="33208", limit=1)
        caputh = await carrier.search(country="DE", starts_with="33209", limit=1)
        numbers = [offer.phone_number for offer in caputh + fahrland]
        job = await create_job(
            journal, carrier, "purchase", numbers=numbers, config=_config(office, APPROVED_BUNDLE)
        )
        assert await Runner(carrier, journal).run(job.id) == {ItemState.DONE: 1, ItemState.FAILED: 1}
    refused, bought = await report(journal, job.id)
    assert (refused.number, refused.error, bought.number, bought.outcome) == (
        *numbers[:1],
        "ComplianceRequiredError",
        numbers[1],
        "done",
    )


# -- cost caps and prices --------------------------------------------------------------------------


@pytest.mark.parametrize("dialect", dialect_names())
async def test_a_cost_capped_job_runs_to_its_end_within_its_cap_on_every_carrier(
    journal: Journal, dialect: str
) -> None:
    emulator = Emulator(dialect)
    async with emulator.connect() as carrier:
        priced = carrier.supports(nc.Feature.SEARCH_PRICES)
    # A carrier whose search results carry no price (SignalWire, Kazoo) is priced by a table.
    async with emulator.connect(**({} if priced else {"prices": US_LOCAL})) as carrier:
        [offer] = await carrier.search(area_code="415", limit=1)
        price = offer.monthly_price
        assert price is not None
        cap = nc.Money(amount=price.amount * 4, currency=price.currency)  # four numbers
        criteria = {"415": (nc.SearchQuery(area_code="415"), 5)}
        job = await create_job(journal, carrier, "purchase", criteria=criteria, max_cost=cap)
        counts = await Runner(carrier, journal, concurrency=3).run(job.id)
    assert counts == {ItemState.DONE: 4, ItemState.FAILED: 1}
    assert (await journal.job(job.id)).state is JobState.DONE
    rows = await report(journal, job.id)
    done = [row for row in rows if row.outcome == "done"]
    basis = offer.price_basis if priced else "table"  # Twilio's are its price list's (catalog)
    assert {(Decimal(row.monthly_price), row.currency, row.price_basis) for row in done} == {
        (price.amount, price.currency, basis)
    }
    [over] = [row for row in rows if row.outcome == "failed"]
    assert over.error == "CostCapReached"
    bought = [n for numbers in (await emulator.state())["numbers"].values() for n in numbers]
    assert sorted(bought) == sorted(row.number for row in done)
    costs = await journal.prices(job.id, ItemState.DONE)
    assert (costs.total, costs.unpriced, costs.bases) == (
        {price.currency: price.amount * 4},
        0,
        {nc.PriceBasis(basis): 4},
    )
    assert sum(costs.total.values()) <= cap.amount


async def test_a_cost_cap_over_a_type_the_table_leaves_out_is_refused_naming_it(journal: Journal) -> None:
    async with Emulator("twilio").connect(prices=US_LOCAL) as carrier:
        criteria = {"free": (nc.SearchQuery(number_type="toll_free"), 2)}
        cap = nc.Money(amount=Decimal(50), currency="USD")
        with pytest.raises(nc.InvalidInputError, match="no monthly price for the US toll free numbers"):
            await create_job(journal, carrier, "purchase", criteria=criteria, max_cost=cap)


async def test_a_plan_gives_each_number_its_price_and_basis(journal: Journal) -> None:
    async with nc.connect("sandbox") as carrier:
        job = await create_job(
            journal, carrier, "purchase", criteria={"415": (nc.SearchQuery(area_code="415"), 3)}
        )
        plan = await Runner(carrier, journal).plan(job.id)
    assert {(item.price, item.currency, item.price_basis) for item in plan.items} == {
        (Decimal("1.15"), "USD", nc.PriceBasis.CATALOG)
    }
    assert (plan.total, plan.bases) == ({"USD": Decimal("3.45")}, {nc.PriceBasis.CATALOG: 3})


async def test_a_job_on_twilio_without_the_bundle_stops_at_its_first_21649_and_resumes_with_it(
    journal: Journal,
) -> None:
    # Twilio's own refusal (21649, "Bundle required and not provided") read as the account's want.
    emulator = Emulator("twilio")
    async with emulator.connect() as carrier:
        office = await carrier.create_address(LONDON.model_copy(update={"region": "London"}))
        criteria = {"london": (nc.SearchQuery(country="GB", area_code="20"), 4)}
        job = await create_job(journal, carrier, "purchase", criteria=criteria, config=_config(office))
        with pytest.raises(nc.ComplianceRequiredError) as stopped:
            await Runner(carrier, journal, concurrency=2).run(job.id)
        assert (stopped.value.requirement, stopped.value.scope) == (nc.RequirementKind.BUNDLE, "account")
        assert stopped.value.code == "21649"
        assert await journal.counts(job.id) == {ItemState.PLANNED: 4}
        assert (await emulator.state())["numbers"] == {} or not any(
            (await emulator.state())["numbers"].values()
        )
        await amend_job(journal, carrier, job.id, compliance=nc.NumberCompliance(bundle_id=APPROVED_BUNDLE))
        assert await Runner(carrier, journal, concurrency=2).run(job.id) == {ItemState.DONE: 4}
        owned = [number async for number in carrier.list()]
    assert len(owned) == 4
    assert {n.compliance.bundle_id for n in owned if n.compliance} == {APPROVED_BUNDLE}


@pytest.mark.parametrize(("rate", "fails"), [("2.5", True), ("1.15", False)])
async def test_a_quote_above_the_table_price_fails_its_item_for_the_cost_cap(
    journal: Journal, rate: str, fails: bool
) -> None:
    # Kazoo prices from a table, and quotes the real charge with a 402 (nothing bought) unless
    # charges are accepted: a quote above the table's price would break the cap the table kept.
    emulator = Emulator("kazoo")
    assert isinstance(emulator.dialect, KazooEmulation)
    emulator.dialect.charges = Price(rate=float(rate), activation=0.5)
    async with emulator.connect(prices=US_LOCAL) as carrier:
        criteria = {"415": (nc.SearchQuery(area_code="415"), 3)}
        cap = nc.Money(amount=Decimal(10), currency="USD")
        job = await create_job(journal, carrier, "purchase", criteria=criteria, max_cost=cap)
        runner = Runner(carrier, journal, concurrency=3)
        if fails:
            counts = await runner.run(job.id)
        else:  # at the table's price: a charge to accept, as on any job (the run stops, resumable)
            with pytest.raises(nc.PaymentRequiredError, match="accept_charges=True"):
                await runner.run(job.id)
            counts = await journal.counts(job.id)
    assert (await emulator.state())["numbers"] == {}  # nothing bought either way
    if not fails:
        assert counts == {ItemState.PLANNED: 3}
        return
    assert counts == {ItemState.FAILED: 3}
    rows = await report(journal, job.id)
    assert {row.error for row in rows} == {"CostCapReached"}
    assert all(
        f"kazoo quotes 2.5 a month for {row.number}, above the 1.15 USD (table price)" in (row.message or "")
        for row in rows
    )
