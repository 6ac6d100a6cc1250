"""Bulk jobs across several carriers (a routing provider): each item's carrier recorded, each
carrier's rate its own, look-ups and the sweep at the carrier an item went to.

The carriers are emulators in process (Twilio's and Telnyx's wire formats, each over a world of
its own that sells the same numbers): a stock set on one makes it run dry of an area code.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import numbers_core as nc
import pytest
from numbers_core.bulk import RateLimiter, report
from numbers_core.bulk._engine import Event, Runner, _budget, create_job
from numbers_core.bulk._journal import ItemState, JobState, Journal
from numbers_core.emulator import Emulator, Faults

pytestmark = pytest.mark.anyio


@pytest.fixture
def journal(tmp_path: Path) -> Journal:
    return Journal(tmp_path / "bulk.sqlite3")


@pytest.fixture
async def emulators() -> AsyncIterator[dict[str, Emulator]]:
    made = {"twilio": Emulator("twilio"), "telnyx": Emulator("telnyx")}
    yield made
    for emulator in made.values():
        await emulator.aclose()


def _routing(emulators: dict[str, Emulator], **settings: object) -> nc.RoutingProvider:
    return nc.RoutingProvider({name: emulator.connect() for name, emulator in emulators.items()}, **settings)


async def _owned(emulator: Emulator) -> list[str]:
    return [number for numbers in (await emulator.state())["numbers"].values() for number in numbers]


def _asked_about(emulator: Emulator, number: str) -> list[str]:
    """The requests the emulator answered that named ``number`` (in the path or the query)."""
    digits = number.lstrip("+")
    return [f"{e.method} {e.path}" for e in emulator.exchanges or [] if digits in e.path + e.query]


async def test_a_purchase_buys_at_the_first_carrier_until_it_runs_dry_then_at_the_next(
    journal: Journal, emulators: dict[str, Emulator]
) -> None:
    emulators["twilio"].set_stock({"+1415": 8})
    async with _routing(emulators) as carrier:
        criteria = {"415": (nc.SearchQuery(area_code="415"), 24)}
        job = await create_job(journal, carrier, "purchase", criteria=criteria)
        runner = Runner(carrier, journal, concurrency=5)
        assert await runner.run(job.id) == {ItemState.DONE: 24}
        assert await runner.orphans(job.id) == []
    at_twilio, at_telnyx = await _owned(emulators["twilio"]), await _owned(emulators["telnyx"])
    assert len(at_twilio) == 8  # its stock, then none
    assert len(at_telnyx) == 16
    assert not set(at_twilio) & set(at_telnyx)  # each number bought once
    done = await journal.items(job.id, ItemState.DONE)
    assert {item.number: item.provider for item in done} == {
        **dict.fromkeys(at_twilio, "twilio"),
        **dict.fromkeys(at_telnyx, "telnyx"),
    }
    # The number stored with each item names the member it was bought at.
    assert {item.result["provider"] for item in done if item.result} == {"twilio", "telnyx"}
    assert (await journal.job(job.id)).provider == "twilio,telnyx"
    rows = await report(journal, job.id)
    assert sorted({row.provider for row in rows}) == ["telnyx", "twilio"]
    assert await journal.counts_by_provider(job.id) == {
        "twilio": {ItemState.DONE: 8},
        "telnyx": {ItemState.DONE: 16},
    }


async def test_a_plan_chooses_each_number_at_the_first_carrier_that_shows_one_and_buys_nothing(
    journal: Journal, emulators: dict[str, Emulator]
) -> None:
    emulators["twilio"].set_stock({"+1510": 0})  # Twilio has run dry of 510, not of 415
    async with _routing(emulators) as carrier:
        criteria = {
            "415": (nc.SearchQuery(area_code="415"), 3),
            "510": (nc.SearchQuery(area_code="510"), 2),
        }
        job = await create_job(journal, carrier, "purchase", criteria=criteria)
        events: list[Event] = []
        plan = await Runner(carrier, journal, on_event=events.append).plan(job.id)
    assert (plan.count, plan.failed) == (5, 0)
    assert sorted((item.slot, item.provider) for item in plan.items) == [
        ("415", "twilio"),
        ("415", "twilio"),
        ("415", "twilio"),
        ("510", "telnyx"),
        ("510", "telnyx"),
    ]
    assert sorted((event.state, event.provider) for event in events) == sorted(
        ("pinned", item.provider) for item in plan.items
    )
    assert await _owned(emulators["twilio"]) == []  # a dry run
    assert await _owned(emulators["telnyx"]) == []
    assert (await journal.job(job.id)).state is JobState.PLANNED


async def test_a_plans_batch_of_pins_runs_across_carriers_each_number_recorded_at_the_one_that_offered_it(
    journal: Journal, emulators: dict[str, Emulator]
) -> None:
    # Twilio shows three numbers under +1415555010 (no more of the others): the plan's one batch
    # of pins takes them, then Telnyx's, in the same write.
    emulators["twilio"].set_stock({f"+1415555010{digit}": 0 for digit in range(3, 10)})
    query = nc.SearchQuery(area_code="415", starts_with="415555010")
    async with _routing(emulators) as carrier:
        job = await create_job(journal, carrier, "purchase", criteria={"415": (query, 7)})
        plan = await Runner(carrier, journal, concurrency=1).plan(job.id)
    assert (plan.count, plan.failed) == (7, 0)
    chosen = {item.number: item.provider for item in plan.items}
    assert len(chosen) == 7  # none handed out twice
    assert sorted(chosen.values()) == ["telnyx"] * 4 + ["twilio"] * 3
    assert all(number < "+14155550103" for number, name in chosen.items() if name == "twilio")
    planned = await journal.items(job.id, ItemState.PLANNED)
    assert {item.number: item.provider for item in planned} == chosen


async def test_a_carrier_that_refuses_every_search_is_left_for_the_next(
    journal: Journal, emulators: dict[str, Emulator]
) -> None:
    emulators["twilio"].set_faults(unavailable=1.0)
    async with _routing(emulators) as carrier:
        job = await create_job(
            journal, carrier, "purchase", criteria={"415": (nc.SearchQuery(area_code="415"), 5)}
        )
        assert await Runner(carrier, journal, concurrency=2).run(job.id) == {ItemState.DONE: 5}
    assert await _owned(emulators["twilio"]) == []
    assert len(await _owned(emulators["telnyx"])) == 5
    assert {item.provider for item in await journal.items(job.id)} == {"telnyx"}


async def test_a_job_stops_resumable_when_one_carrier_is_down_and_the_others_have_none_left(
    journal: Journal, emulators: dict[str, Emulator]
) -> None:
    emulators["twilio"].set_stock({"+1415": 2})
    emulators["telnyx"].set_faults(unavailable=1.0)
    async with _routing(emulators) as carrier:
        job = await create_job(
            journal, carrier, "purchase", criteria={"415": (nc.SearchQuery(area_code="415"), 5)}
        )
        with pytest.raises(nc.ProviderUnavailableError) as stopped:
            await Runner(carrier, journal, concurrency=2).run(job.id)
        assert stopped.value.member == "telnyx"
        assert await journal.counts(job.id) == {ItemState.DONE: 2, ItemState.PLANNED: 3}
        emulators["telnyx"].set_faults(unavailable=0.0)
        assert await Runner(carrier, journal, concurrency=2).run(job.id) == {ItemState.DONE: 5}
    assert len(await _owned(emulators["telnyx"])) == 3


async def test_each_carrier_keeps_its_own_rate_and_what_was_learnt_of_it(
    journal: Journal, emulators: dict[str, Emulator]
) -> None:
    # Twilio's account takes 40 requests a second: its 429s slow its own limiter, not Telnyx's.
    emulators["twilio"].set_faults(rate_limit=40.0, burst=2)
    emulators["twilio"].set_stock({"+1415": 10})
    events: list[Event] = []
    async with _routing(emulators) as carrier:
        job = await create_job(
            journal, carrier, "purchase", criteria={"415": (nc.SearchQuery(area_code="415"), 40)}
        )
        runner = Runner(carrier, journal, concurrency=10, on_event=events.append)
        assert runner.limiter is None
        assert runner.limiters["twilio"] is not runner.limiters["telnyx"]
        assert await runner.run(job.id) == {ItemState.DONE: 40}
        assert runner.limiters["twilio"].throttles > 0
        assert runner.limiters["telnyx"].throttles == 0
        assert {event.provider for event in events if event.state == "rate"} == {"twilio"}
        # What each learnt is kept for its own account, for the next job on it.
        twilio = await journal.learnt_rate(_budget(carrier.members["twilio"]))
        telnyx = await journal.learnt_rate(_budget(carrier.members["telnyx"]))
    assert twilio is not None
    assert twilio[1]  # a ceiling its 429s showed
    assert telnyx is not None
    assert not telnyx[1]  # a rate reached without one


async def test_a_rate_given_is_each_carriers_own(journal: Journal, emulators: dict[str, Emulator]) -> None:
    async with _routing(emulators) as carrier:
        given = RateLimiter(50.0, burst=5)
        runner = Runner(carrier, journal, limiter=given)
        assert given not in runner.limiters.values()
        assert [(limiter.configured, limiter.burst) for limiter in runner.limiters.values()] == [
            (50.0, 5)
        ] * 2


async def test_a_number_left_unknown_is_looked_up_at_the_carrier_it_went_to(
    journal: Journal, emulators: dict[str, Emulator]
) -> None:
    async with _routing(emulators) as carrier:
        job = await create_job(
            journal, carrier, "purchase", criteria={"415": (nc.SearchQuery(area_code="415"), 3)}
        )
        plan = await Runner(carrier, journal).plan(job.id)
        assert {item.provider for item in plan.items} == {"twilio"}
        # As a crash leaves it: the purchase made at Twilio, the item still sending.
        first = plan.items[0]
        assert first.number is not None
        await carrier.members["twilio"].purchase(first.number)
        await journal.move(job.id, first.seq, ItemState.SENDING)
        assert await Runner(carrier, journal).run(job.id) == {ItemState.DONE: 3}
    (settled,) = [item for item in await journal.items(job.id) if item.seq == first.seq]
    assert settled.reconciled
    assert settled.provider == "twilio"
    assert len(await _owned(emulators["twilio"])) == 3
    assert _asked_about(emulators["telnyx"], first.number) == []  # Telnyx was not asked about it


async def test_many_left_open_are_settled_by_listing_each_member_a_member_down_holding_back_its_own(
    journal: Journal, emulators: dict[str, Emulator]
) -> None:
    emulators["twilio"].set_stock({"+1510": 0})
    async with _routing(emulators) as carrier:
        criteria = {
            "415": (nc.SearchQuery(area_code="415"), 12),  # at Twilio
            "510": (nc.SearchQuery(area_code="510"), 12),  # at Telnyx
        }
        job = await create_job(journal, carrier, "purchase", criteria=criteria)
        plan = await Runner(carrier, journal).plan(job.id)
        # As a crash leaves them: every purchase made, every item still sending.
        for item in plan.items:
            assert item.provider is not None
            assert item.number is not None
            await carrier.members[item.provider].purchase(item.number)
            await journal.move(job.id, item.seq, ItemState.SENDING)
        emulators["telnyx"].set_faults(unavailable=1.0)
        counts = await Runner(carrier, journal).run(job.id)
        assert counts == {ItemState.DONE: 12, ItemState.UNKNOWN: 12}
        assert {item.provider for item in await journal.items(job.id, ItemState.DONE)} == {"twilio"}
        emulators["telnyx"].set_faults(unavailable=0.0)
        assert await Runner(carrier, journal).run(job.id) == {ItemState.DONE: 24}
    assert all(item.reconciled for item in await journal.items(job.id))
    assert len(await _owned(emulators["twilio"])) == len(await _owned(emulators["telnyx"])) == 12


async def test_numbers_given_are_bought_where_sold_and_owned_ones_changed_where_held(
    journal: Journal, emulators: dict[str, Emulator]
) -> None:
    emulators["twilio"].set_stock({"+1510": 0})
    async with _routing(emulators) as carrier:
        at_telnyx = await carrier.members["telnyx"].search(area_code="510", limit=2)
        at_twilio = await carrier.members["twilio"].search(area_code="415", limit=2)
        wanted = [offer.phone_number for offer in [*at_twilio, *at_telnyx]]
        bought = await create_job(journal, carrier, "purchase", numbers=wanted)
        assert await Runner(carrier, journal).run(bought.id) == {ItemState.DONE: 4}
        where = {item.number: item.provider for item in await journal.items(bought.id)}
        assert where == {number: "twilio" if number.startswith("+1415") else "telnyx" for number in wanted}

        # Every owned number, at each member: each released at the member that holds it.
        released = await create_job(journal, carrier, "release", matching={}, confirm=True)
        assert {item.provider for item in await journal.items(released.id)} == {"twilio", "telnyx"}
        assert await Runner(carrier, journal).run(released.id) == {ItemState.DONE: 4}
        assert (await journal.job(released.id)).state is JobState.DONE
    assert await _owned(emulators["twilio"]) == []
    assert await _owned(emulators["telnyx"]) == []


async def test_a_config_of_one_carrier_account_is_refused_for_a_job_that_may_buy_at_any(
    journal: Journal, emulators: dict[str, Emulator]
) -> None:
    config = nc.NumberConfig(voice=nc.Route(application_id="AP" + "0" * 32))
    async with _routing(emulators) as carrier:
        with pytest.raises(
            nc.InvalidInputError, match=r"config\.voice\.application_id.*a bulk job may buy at any"
        ):
            await create_job(
                journal,
                carrier,
                "purchase",
                criteria={"415": (nc.SearchQuery(area_code="415"), 2)},
                config=config,
            )
    assert await journal.jobs() == []


async def test_a_search_refused_for_now_round_after_round_stops_a_job_of_one_carrier(
    journal: Journal,
) -> None:
    emulator = Emulator("twilio", faults=Faults(unavailable=1.0))
    async with emulator.connect(max_attempts=1) as carrier:
        job = await create_job(
            journal, carrier, "purchase", criteria={"415": (nc.SearchQuery(area_code="415"), 3)}
        )
        with pytest.raises(nc.ProviderUnavailableError):
            await Runner(carrier, journal, concurrency=3).run(job.id)
    searches = [e for e in emulator.exchanges or [] if "AvailablePhoneNumbers" in e.path]
    # Five rounds, one search each (the tasks wait for the round's search, they do not each send one).
    assert len(searches) == 5
    assert await journal.counts(job.id) == {ItemState.PLANNED: 3}
    await emulator.aclose()
