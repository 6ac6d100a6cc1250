"""The bulk journal in a real SQLite file: jobs, items, the state machine, pins, crashes."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import anyio
import numbers_core as nc
import pytest
from numbers_core._sqlite import SqliteFile
from numbers_core.bulk._journal import ItemState, Job, JobState, Journal, JournalUnavailableError, LeaseLost
from numbers_core.errors import ConfigurationError

pytestmark = pytest.mark.anyio

N1, N2, N3 = "+14155550101", "+14155550102", "+14155550103"


async def _created(journal: Journal, **details: Any) -> Job:
    """A new job, its items claimed by the journal's worker: a shared journal sends only those."""
    job = await journal.create(**details)
    await journal.claim(job.id)
    return job


@pytest.fixture(params=["sqlite", "postgres"])
async def journal(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Journal]:
    """The same journal in a SQLite file and in a PostgreSQL database."""
    if request.param == "postgres":
        journal = Journal(request.getfixturevalue("postgres_url"))
    else:
        journal = Journal(tmp_path / "jobs" / "bulk.sqlite3")
    yield journal
    await journal.aclose()


async def test_a_job_keeps_its_items_in_order(journal: Journal) -> None:
    job = await _created(
        journal,
        kind="purchase",
        provider="sandbox",
        spec={"count": 3},
        items=[(None, N1), ("415", None), (None, N2)],
    )
    assert job.state is JobState.PLANNED
    assert job.label == "purchase of 3"
    assert job.spec == {"count": 3}
    items = await journal.items(job.id)
    assert [(i.seq, i.slot, i.number, i.state) for i in items] == [
        (0, None, N1, ItemState.PLANNED),
        (1, "415", None, ItemState.PLANNED),
        (2, None, N2, ItemState.PLANNED),
    ]
    assert await journal.counts(job.id) == {ItemState.PLANNED: 3}
    assert [j.id for j in await journal.jobs()] == [job.id]


async def test_items_move_only_as_the_state_machine_allows(journal: Journal) -> None:
    job = await _created(
        journal, kind="purchase", provider="sandbox", spec={}, items=[(None, N1), (None, N2)]
    )
    await journal.move(job.id, 0, ItemState.SENDING)
    await journal.move(job.id, 0, ItemState.DONE, result={"phone_number": N1})
    with pytest.raises(nc.InvalidInputError, match="done cannot become sending"):
        await journal.move(job.id, 0, ItemState.SENDING)
    with pytest.raises(nc.InvalidInputError, match="planned cannot become done"):
        await journal.move(job.id, 1, ItemState.DONE)  # never without being sent first
    await journal.move(job.id, 1, ItemState.SENDING)
    await journal.move(job.id, 1, ItemState.UNKNOWN, error=("OutcomeUnknownError", None, "lost"))
    await journal.move(job.id, 1, ItemState.DONE, reconciled=True, result={"phone_number": N2})
    done = await journal.items(job.id, ItemState.DONE)
    assert [(i.number, i.reconciled, i.attempts) for i in done] == [(N1, False, 0), (N2, True, 0)]
    assert done[0].result == {"phone_number": N1}


async def test_a_number_is_pinned_once_per_job(journal: Journal) -> None:
    job = await _created(
        journal, kind="purchase", provider="sandbox", spec={}, items=[("415", None), ("415", None)]
    )
    assert await journal.pin(job.id, 0, N1)
    assert not await journal.pin(job.id, 1, N1)  # already the first item's
    await journal.unpin(job.id, 0)  # taken meanwhile: another candidate is wanted
    assert not await journal.pin(job.id, 0, N1)  # and that one is never tried again
    assert await journal.pin(job.id, 0, N2)
    await journal.move(job.id, 0, ItemState.SENDING)
    with pytest.raises(nc.InvalidInputError, match="cannot become pinned"):
        await journal.pin(job.id, 0, N3)  # a number being bought is never swapped


async def test_each_item_keeps_the_carrier_it_went_to(journal: Journal) -> None:
    job = await _created(
        journal,
        kind="purchase",
        provider="twilio,telnyx",
        spec={},
        items=[("415", None), ("415", None), (None, N3, "telnyx")],
    )
    assert [item.provider for item in await journal.items(job.id)] == [None, None, "telnyx"]
    assert await journal.pin(job.id, 0, N1, provider="twilio")
    await journal.unpin(job.id, 0)  # taken meanwhile: the next candidate may be another's
    assert await journal.pin(job.id, 0, N2, provider="telnyx", sending=True)
    await journal.move(job.id, 0, ItemState.DONE)  # what is known stays
    await journal.move(job.id, 1, ItemState.FAILED, provider="twilio")
    assert [item.provider for item in await journal.items(job.id)] == ["telnyx", "twilio", "telnyx"]
    assert await journal.counts_by_provider(job.id) == {
        "telnyx": {ItemState.DONE: 1, ItemState.PLANNED: 1},
        "twilio": {ItemState.FAILED: 1},
    }


async def test_a_pinned_price_keeps_its_basis_and_the_costs_count_them(journal: Journal) -> None:
    job = await _created(
        journal, kind="purchase", provider="sandbox", spec={}, items=[("a", None), ("a", None), ("a", None)]
    )
    usd = nc.Money(amount=Decimal("1.15"), currency="USD")
    assert await journal.pin(job.id, 0, N1, price=usd, basis=nc.PriceBasis.CATALOG)
    assert await journal.pin(job.id, 1, N2, price=usd, basis=nc.PriceBasis.TABLE)
    assert await journal.pin(job.id, 2, N3)  # unpriced
    items = await journal.items(job.id)
    assert [item.price_basis for item in items] == [nc.PriceBasis.CATALOG, nc.PriceBasis.TABLE, None]
    costs = await journal.prices(job.id, ItemState.PLANNED)
    assert costs.total == {"USD": Decimal("2.30")}
    assert costs.unpriced == 1
    assert costs.bases == {nc.PriceBasis.CATALOG: 1, nc.PriceBasis.TABLE: 1}


async def test_a_refusal_that_is_not_the_items_try_keeps_its_error_and_counts_no_try(
    journal: Journal,
) -> None:
    job = await _created(journal, kind="release", provider="sandbox", spec={}, items=[(None, N1)])
    await journal.move(job.id, 0, ItemState.SENDING)
    await journal.move(
        job.id, 0, ItemState.PLANNED, error=("ComplianceRequiredError", "x", "no bundle"), tried=False
    )
    [item] = await journal.items(job.id)
    assert (item.attempts, item.error_class, item.error_message) == (
        0,
        "ComplianceRequiredError",
        "no bundle",
    )
    await journal.move(job.id, 0, ItemState.SENDING)
    await journal.move(job.id, 0, ItemState.PLANNED, error=("ProviderUnavailableError", None, "down"))
    assert [item.attempts for item in await journal.items(job.id)] == [1]


async def test_unpinned_leaves_out_every_number_the_job_ever_pinned(journal: Journal) -> None:
    job = await _created(
        journal, kind="purchase", provider="sandbox", spec={}, items=[("415", None), ("415", None)]
    )
    other = await _created(journal, kind="purchase", provider="sandbox", spec={}, items=[("415", None)])
    assert await journal.pin(job.id, 0, N1)
    await journal.unpin(job.id, 0)  # replaced: still the job's, never to be tried again
    assert await journal.pin(job.id, 1, N2)
    assert await journal.pin(other.id, 0, N3)  # another job's pin is no concern of this one
    # More numbers than one IN (...) list holds: a carrier's full page of candidates.
    page = [N1, N2, N3, *(f"+1628555{n:04d}" for n in range(1200))]
    assert await journal.unpinned(job.id, page) == set(page) - {N1, N2}
    assert await journal.unpinned(job.id, []) == set()


async def test_a_job_holds_each_number_once(journal: Journal) -> None:
    with pytest.raises(nc.InvalidInputError, match="each number once"):
        await journal.create(kind="release", provider="sandbox", spec={}, items=[(None, N1), (None, N1)])


async def test_after_a_crash_what_was_being_sent_is_unknown_and_kept_in_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bulk.sqlite3"
    first = Journal(path)
    job = await first.create(kind="purchase", provider="sandbox", spec={}, items=[(None, N1), (None, N2)])
    await first.move(job.id, 0, ItemState.SENDING)  # and then the process dies
    again = Journal(path)
    unknown = await again.interrupted(job.id)
    assert [(i.number, i.state) for i in unknown] == [(N1, ItemState.UNKNOWN)]
    assert await again.counts(job.id) == {ItemState.UNKNOWN: 1, ItemState.PLANNED: 1}
    await first.aclose()
    await again.aclose()


async def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bulk.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version = 99")
    with pytest.raises(nc.ConfigurationError, match="schema version 99"):
        await Journal(path).jobs()


async def test_opening_early_makes_the_journal_and_leaves_a_failure_to_the_first_call(tmp_path: Path) -> None:
    path = tmp_path / "bulk.sqlite3"
    opened = Journal(path)
    await opened.open()
    assert path.exists()
    assert await opened.job_ids() == []
    await opened.aclose()
    with sqlite3.connect(tmp_path / "newer.sqlite3") as db:
        db.execute("PRAGMA user_version = 99")
    newer = Journal(tmp_path / "newer.sqlite3")
    await newer.open()  # said by the call that needs the journal, not by this one
    with pytest.raises(nc.ConfigurationError, match="schema version 99"):
        await newer.job_ids()


async def test_an_unknown_job_is_said_so(journal: Journal) -> None:
    with pytest.raises(nc.InvalidInputError, match="no job 'nope'"):
        await journal.job("nope")


async def test_only_the_carriers_refusals_count_as_attempts(journal: Journal) -> None:
    job = await _created(journal, kind="purchase", provider="sandbox", spec={}, items=[(None, N1)])
    for _ in range(3):
        await journal.move(job.id, 0, ItemState.SENDING)
        await journal.move(job.id, 0, ItemState.PLANNED, error=("ProviderUnavailableError", "20503", "down"))
    await journal.move(job.id, 0, ItemState.SENDING)
    await journal.interrupted(job.id)  # a crash
    await journal.move(job.id, 0, ItemState.PLANNED, reconciled=True)  # looked up: not bought
    (item,) = await journal.items(job.id)
    assert item.attempts == 3


async def test_concurrent_writes_share_transactions_and_a_refused_one_undoes_only_itself(
    journal: Journal, monkeypatch: pytest.MonkeyPatch
) -> None:
    numbers = [f"+1415555{n:04d}" for n in range(200, 240)]
    job = await _created(
        journal, kind="purchase", provider="sandbox", spec={}, items=[(None, n) for n in numbers]
    )
    await journal.move(job.id, 0, ItemState.SENDING)
    await journal.move(job.id, 0, ItemState.DONE)
    trips = 0
    run = journal._file.run

    async def counted(work: object) -> object:
        nonlocal trips
        trips += 1
        return await run(work)  # type: ignore[arg-type]

    monkeypatch.setattr(journal._file, "run", counted)
    refused: list[Exception] = []

    async def move(seq: int) -> None:
        try:
            # Item 0 is done: its move is refused, the others' are not.
            await journal.move(job.id, seq, ItemState.SENDING)
        except nc.InvalidInputError as exc:
            refused.append(exc)

    async with anyio.create_task_group() as tasks:
        for seq in range(40):
            tasks.start_soon(move, seq)
    assert len(refused) == 1
    assert "cannot become sending" in str(refused[0])
    assert await journal.counts(job.id) == {ItemState.DONE: 1, ItemState.SENDING: 39}
    assert trips < 40 / 2  # grouped: far fewer trips to the disk than calls


async def test_calls_written_together_return_together(journal: Journal) -> None:
    numbers = [f"+1415555{n:04d}" for n in range(300, 330)]
    job = await _created(
        journal, kind="purchase", provider="sandbox", spec={}, items=[(None, n) for n in numbers]
    )
    turns = 0
    returned: list[int] = []

    async def count_turns() -> None:
        nonlocal turns
        while True:
            await anyio.lowlevel.checkpoint()
            turns += 1

    async def move(seq: int) -> None:
        await journal.move(job.id, seq, ItemState.SENDING)
        returned.append(turns)

    async with anyio.create_task_group() as counting:
        counting.start_soon(count_turns)
        async with anyio.create_task_group() as tasks:
            for seq in range(30):
                tasks.start_soon(move, seq)
        counting.cancel_scope.cancel()
    assert await journal.counts(job.id) == {ItemState.SENDING: 30}
    # Before: written in one transaction, the 30 calls returned one a turn of the event loop
    # (a lock passed from each to the next), 30 turns from the first to the last.
    assert max(returned) - min(returned) <= 3


async def test_a_claim_that_finds_nothing_planned_reads_none_of_the_other_items(tmp_path: Path) -> None:
    # Before: SQLite read every item past the last one claimed, whatever its state (about 25,000
    # steps of its machine here): at a pass's end, each task that came back for more read the
    # whole job, a sixth of the bench's 10,000-item run.
    journal = Journal(tmp_path / "bulk.sqlite3")
    numbers = [f"+1415{n:07d}" for n in range(5000)]
    job = await journal.create(
        kind="purchase", provider="sandbox", spec={}, items=[(None, n) for n in numbers]
    )
    await journal.move(job.id, range(5000), ItemState.SENDING)
    steps = 0

    def step() -> int:
        nonlocal steps
        steps += 1
        return 0  # go on

    assert isinstance(journal._file, SqliteFile)
    await journal._file.run(lambda db: db.set_progress_handler(step, 10))
    assert await journal.claim(job.id) == []
    await journal._file.run(lambda db: db.set_progress_handler(None, 10))
    assert steps < 50  # tens of steps of 10, however many items the job has
    await journal.aclose()


async def test_an_allowed_move_is_one_statement_and_a_refused_one_says_why(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "bulk.sqlite3")
    job = await _created(journal, kind="purchase", provider="sandbox", spec={}, items=[(None, N1)])
    statements: list[str] = []
    assert isinstance(journal._file, SqliteFile)
    await journal._file.run(lambda db: db.set_trace_callback(statements.append))
    await journal.move(job.id, 0, ItemState.SENDING)
    # Before: the item's state read, then written.
    assert [s.split()[0] for s in statements] == ["BEGIN", "SAVEPOINT", "UPDATE", "RELEASE", "COMMIT"]
    with pytest.raises(nc.InvalidInputError, match="sending cannot become sending") as refused:
        await journal.move(job.id, 0, ItemState.SENDING)
    assert not isinstance(refused.value, LeaseLost)
    await journal.aclose()


async def test_a_result_given_as_json_text_is_kept_as_it_says(journal: Journal) -> None:
    job = await _created(journal, kind="purchase", provider="sandbox", spec={}, items=[(None, N1)])
    await journal.move(job.id, 0, ItemState.SENDING)
    await journal.move(job.id, 0, ItemState.DONE, result='{"phone_number": "+14155550101"}')
    assert (await journal.items(job.id))[0].result == {"phone_number": N1}


async def test_a_journal_of_schema_1_is_migrated_and_keeps_its_jobs(tmp_path: Path) -> None:
    from numbers_core.bulk._journal import _SCHEMA_1

    path = tmp_path / "bulk.sqlite3"
    with sqlite3.connect(path) as db:  # as numbers-core wrote it before leases
        db.executescript(_SCHEMA_1)
        db.execute("INSERT INTO jobs VALUES ('j1', 'old', 'release', 'sandbox', '{}', 'planned', 1.0, 1.0)")
        db.execute(
            "INSERT INTO items (job_id, seq, number, state, updated_at) VALUES ('j1', 0, ?, 'planned', 1)",
            (N1,),
        )
        db.execute("PRAGMA user_version = 1")
    journal = Journal(path)
    [item] = await journal.claim("j1")
    assert item.number == N1
    assert item.sends == 0
    assert item.provider is None  # the carrier an item went to: not known of items of before
    await journal.learn_rate("sandbox/1", 42.0, limited=True)
    assert await journal.learnt_rate("sandbox/1") == (42.0, True)
    await journal.aclose()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 6


@pytest.mark.parametrize(
    ("version", "basis"),
    [
        (3, None),  # as numbers-core wrote it before prices had a basis
        (4, nc.PriceBasis.CATALOG),  # before items kept the carrier they went to
        (5, nc.PriceBasis.CATALOG),  # before the items' index by state kept them in order
    ],
)
async def test_an_older_journal_keeps_its_prices_and_what_they_stand_on_and_gives_its_items_no_carrier(
    tmp_path: Path, version: int, basis: nc.PriceBasis | None
) -> None:
    from numbers_core.bulk._journal import _MIGRATIONS

    path = tmp_path / "bulk.sqlite3"
    with sqlite3.connect(path) as db:
        for schema in _MIGRATIONS[:version]:
            db.executescript(schema)
        db.execute("INSERT INTO jobs VALUES ('j1', 'old', 'purchase', 'sandbox', '{}', 'running', 1.0, 1.0)")
        db.execute(
            "INSERT INTO items (job_id, seq, number, state, price, currency, updated_at) "
            "VALUES ('j1', 0, ?, 'done', '1.15', 'USD', 1)",
            (N1,),
        )
        if basis is not None:
            db.execute("UPDATE items SET price_basis = ?", (str(basis),))
        db.execute(f"PRAGMA user_version = {version}")
    journal = Journal(path)
    [item] = await journal.items("j1")
    assert (item.price, item.currency, item.price_basis) == (Decimal("1.15"), "USD", basis)
    assert item.provider is None
    assert await journal.counts_by_provider("j1") == {None: {ItemState.DONE: 1}}
    costs = await journal.prices("j1", ItemState.DONE)
    assert (costs.total, costs.unpriced) == ({"USD": Decimal("1.15")}, 0)
    assert costs.bases == ({} if basis is None else {basis: 1})
    await journal.aclose()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 6


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def _workers(url: str, count: int, clock: _Clock) -> list[Journal]:
    return [Journal(url, clock=clock, lease=30.0) for _ in range(count)]


async def test_workers_of_a_shared_journal_never_claim_the_same_item(postgres_url: str) -> None:
    clock = _Clock()
    workers = await _workers(postgres_url, 4, clock)
    job = await workers[0].create(
        kind="release", provider="sandbox", spec={}, items=[(None, f"+1415555{n:04d}") for n in range(100)]
    )
    claimed: list[list[int]] = [[] for _ in workers]
    for worker in workers:
        await worker.jobs()  # connected: they all claim at once

    async def work(index: int) -> None:
        while page := await workers[index].claim(job.id, after=max(claimed[index], default=-1), limit=5):
            assert len(page) <= 5
            claimed[index] += [item.seq for item in page]

    async with anyio.create_task_group() as tasks:
        for index in range(len(workers)):
            tasks.start_soon(work, index)
    everyone = [seq for seqs in claimed for seq in seqs]
    assert sorted(everyone) == list(range(100))  # every item once, by one worker
    for worker in workers:
        await worker.aclose()


async def test_a_dead_workers_items_are_taken_over_once_its_lease_runs_out(postgres_url: str) -> None:
    clock = _Clock()
    dead, alive = await _workers(postgres_url, 2, clock)
    job = await dead.create(
        kind="release", provider="sandbox", spec={}, items=[(None, N1), (None, N2), (None, N3)]
    )
    first, second, _ = await dead.claim(job.id)
    await dead.move(job.id, first.seq, ItemState.SENDING)  # and then its machine is lost
    assert await alive.claim(job.id) == []  # all three are the dead worker's, for now
    assert await alive.interrupted(job.id) == []
    assert await alive.held_by_others(job.id) == 3
    clock.now += 31.0  # no heartbeat came
    assert await alive.held_by_others(job.id) == 0
    [unknown] = await alive.interrupted(job.id)  # looked up before anything is sent again
    assert (unknown.seq, unknown.state) == (first.seq, ItemState.UNKNOWN)
    assert [item.seq for item in await alive.claim(job.id)] == [second.seq, 2]
    await dead.aclose()
    await alive.aclose()


async def test_a_running_worker_takes_over_only_the_dead_ones_items(postgres_url: str) -> None:
    clock = _Clock()
    dead, alive = await _workers(postgres_url, 2, clock)
    job = await dead.create(
        kind="release", provider="sandbox", spec={}, items=[(None, N1), (None, N2), (None, N3)]
    )
    [first] = await dead.claim(job.id, limit=1)
    await dead.move(job.id, first.seq, ItemState.SENDING)  # and then its machine is lost
    mine, lost = await alive.claim(job.id)
    await alive.move(job.id, mine.seq, ItemState.SENDING)  # in flight, its answer to come
    await alive.move(job.id, lost.seq, ItemState.SENDING)
    await alive.move(job.id, lost.seq, ItemState.UNKNOWN)  # its answer lost, being looked up
    clock.now += 31.0
    await alive.renew(job.id)  # its heartbeat keeps its own leases
    [taken] = await alive.interrupted(job.id, others=True)
    assert (taken.seq, taken.state) == (first.seq, ItemState.UNKNOWN)  # none of its own
    assert await alive.interrupted(job.id, others=True) == []  # taken over once
    await dead.aclose()
    await alive.aclose()


async def test_a_living_worker_keeps_its_items_by_renewing_and_gives_them_back_when_it_stops(
    postgres_url: str,
) -> None:
    clock = _Clock()
    one, other = await _workers(postgres_url, 2, clock)
    job = await one.create(kind="release", provider="sandbox", spec={}, items=[(None, N1), (None, N2)])
    assert len(await one.claim(job.id)) == 2
    clock.now += 20.0
    assert await one.renew(job.id) == 2
    clock.now += 20.0  # 40 s after the claim, 20 s after the renewal
    assert await other.claim(job.id) == []
    await one.give_back(job.id)
    assert len(await other.claim(job.id)) == 2
    await one.aclose()
    await other.aclose()


async def test_a_newer_postgres_schema_is_refused(postgres_url: str) -> None:
    import psycopg

    journal = Journal(postgres_url)
    await journal.jobs()  # creates the schema
    await journal.aclose()
    with psycopg.connect(postgres_url, autocommit=True) as db:
        db.execute("INSERT INTO numbers_schema VALUES (99)")
    with pytest.raises(nc.ConfigurationError, match=r"schema version 99.*newer numbers-core"):
        await Journal(postgres_url).jobs()


async def test_a_postgres_journal_of_before_items_kept_their_carrier_is_migrated(postgres_url: str) -> None:
    import psycopg
    from numbers_core.bulk._journal import _POSTGRES_MIGRATIONS

    with psycopg.connect(postgres_url, autocommit=True) as db:  # schema 4: before items kept their carrier
        db.execute("CREATE TABLE numbers_schema (version INTEGER NOT NULL)")
        for version, schema in enumerate(_POSTGRES_MIGRATIONS[:4], start=1):
            for statement in schema.split(";"):
                if statement.strip():
                    db.execute(statement)
            db.execute("INSERT INTO numbers_schema VALUES (%s)", (version,))
        db.execute("INSERT INTO jobs VALUES ('j1', 'old', 'purchase', 'sandbox', '{}', 'running', 1.0, 1.0)")
        db.execute(
            "INSERT INTO items (job_id, seq, number, state, updated_at) VALUES ('j1', 0, %s, 'done', 1)",
            (N1,),
        )
    journal = Journal(postgres_url)
    [item] = await journal.items("j1")
    assert (item.number, item.provider) == (N1, None)
    assert await journal.counts_by_provider("j1") == {None: {ItemState.DONE: 1}}
    await journal.aclose()
    with psycopg.connect(postgres_url, autocommit=True) as db:
        assert db.execute("SELECT max(version) FROM numbers_schema").fetchone() == (6,)


async def test_a_postgres_journal_out_of_reach_is_waited_for_then_unavailable_without_its_password() -> None:
    journal = Journal("postgresql://numbers:s3cret-pw@127.0.0.1:1/jobs?connect_timeout=2", patience=0.5)
    started = anyio.current_time()
    with pytest.raises(JournalUnavailableError) as raised:
        await journal.jobs()
    assert anyio.current_time() - started >= 0.5  # tried again meanwhile
    assert "s3cret-pw" not in str(raised.value)
    assert "numbers:***@127.0.0.1:1" in str(raised.value)
    assert "out of reach for" in str(raised.value)
    assert "s3cret-pw" not in repr(journal)


async def test_a_postgres_database_that_refuses_the_journal_is_a_configuration_error_at_once(
    postgres_server: str,
) -> None:
    journal = Journal(postgres_server.replace("/postgres?", "/no_such_database?"), patience=60.0)
    with anyio.fail_after(10), pytest.raises(nc.ConfigurationError, match="does not exist"):
        await journal.jobs()


class _LosingCommits:
    """A journal's PostgreSQL connection whose next COMMIT loses its answer: the connection breaks
    ``after`` the COMMIT reached the server (True) or before it did (False)."""

    def __init__(self, journal: Journal, *, after: bool) -> None:
        import psycopg

        self._database: Any = journal._file
        self._after = after
        self._error = psycopg.OperationalError("server closed the connection unexpectedly")

    def __call__(self, query: str, parameters: Any = ()) -> Any:
        connection = self._database._connection
        if query != "COMMIT":
            return connection._connection.execute(query.replace("?", "%s"), parameters)
        del connection.execute  # once
        if self._after:
            connection._connection.execute("COMMIT")
        connection._connection.close()
        raise self._error

    def arm(self) -> None:
        self._database._connection.execute = self


@pytest.mark.parametrize("reached", [True, False], ids=["committed", "not-committed"])
async def test_a_write_whose_commit_answer_was_lost_is_written_once(postgres_url: str, reached: bool) -> None:
    journal = Journal(postgres_url, patience=10.0)
    job = await _created(journal, kind="release", provider="sandbox", spec={}, items=[(None, N1)])
    await journal.move(job.id, 0, ItemState.SENDING)
    _LosingCommits(journal, after=reached).arm()
    # Sent again after a commit that took effect, the move would be refused (done cannot become
    # done); lost before it, it must be sent again.
    await journal.move(job.id, 0, ItemState.DONE, result={"ok": 1})
    [item] = await journal.items(job.id)
    assert (item.state, item.result, item.sends) == (ItemState.DONE, {"ok": 1}, 1)
    await journal.aclose()


async def test_a_late_write_on_an_item_another_worker_took_over_is_lease_lost(postgres_url: str) -> None:
    clock = _Clock()
    cut_off, other = await _workers(postgres_url, 2, clock)
    job = await _created(cut_off, kind="release", provider="sandbox", spec={}, items=[(None, N1)])
    await cut_off.move(job.id, 0, ItemState.SENDING)
    clock.now += 60.0  # the first worker was cut off from the journal past its lease
    [taken] = await other.interrupted(job.id, others=True)
    await other.move(job.id, taken.seq, ItemState.DONE, reconciled=True)
    with pytest.raises(LeaseLost):  # its answer, come late, is not written over the look-up's
        await cut_off.move(job.id, 0, ItemState.DONE)
    assert (await other.items(job.id))[0].reconciled
    await cut_off.aclose()
    await other.aclose()


async def test_a_sqlite_journal_locked_by_another_process_is_waited_for(tmp_path: Path) -> None:
    path = tmp_path / "bulk.sqlite3"
    journal = Journal(path, timeout=0.05, patience=10.0)
    job = await _created(journal, kind="release", provider="sandbox", spec={}, items=[(None, N1)])
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process writing, long past the journal's timeout

    async def release() -> None:
        await anyio.sleep(0.5)
        other.execute("ROLLBACK")

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(release)
        await journal.move(job.id, 0, ItemState.SENDING)
    assert (await journal.items(job.id))[0].state is ItemState.SENDING
    other.execute("BEGIN IMMEDIATE")
    impatient = Journal(path, timeout=0.05, patience=0.3)
    with pytest.raises(JournalUnavailableError, match="locked"):
        await impatient.move(job.id, 0, ItemState.DONE)
    other.execute("ROLLBACK")
    other.close()
    await journal.aclose()
    await impatient.aclose()


def test_a_postgres_url_is_shown_without_its_password() -> None:
    from numbers_core.bulk._postgres import redacted

    assert redacted("postgresql://u:pw@db:5433/jobs") == "postgresql://u:***@db:5433/jobs"
    assert (
        redacted("postgresql://u@/jobs?host=/run/pg&password=pw")
        == "postgresql://u@/jobs?host=/run/pg&password=***"
    )
    assert redacted("postgresql:///jobs") == "postgresql:///jobs"
    assert redacted("postgresql:///jobs?password=pw") == "postgresql:///jobs?password=***"


@pytest.mark.anyio
async def test_a_journal_not_made_is_not_made_without_create(tmp_path: Path) -> None:
    path = tmp_path / "jobs" / "none.sqlite3"
    journal = Journal(path, create=False)
    with pytest.raises(ConfigurationError, match="no such file"):
        await journal.job_ids()
    await journal.aclose()
    assert not path.parent.exists()
    made = Journal(path)
    job = await made.create(kind="release", provider="sandbox", spec={}, items=[(None, "+14155550100")])
    await made.aclose()
    journal = Journal(path, create=False)
    assert await journal.job_ids() == [job.id]  # there now: read as any other
    await journal.aclose()


@pytest.mark.anyio
async def test_a_database_without_a_journal_gets_none_without_create(postgres_url: str) -> None:
    import psycopg

    journal = Journal(postgres_url, create=False)
    with pytest.raises(ConfigurationError, match="the database holds no journal yet"):
        await journal.job_ids()
    await journal.aclose()
    with psycopg.connect(postgres_url) as db:
        assert db.execute("SELECT to_regclass('numbers_schema')").fetchone() == (None,)
    made = Journal(postgres_url)
    job = await made.create(kind="release", provider="sandbox", spec={}, items=[(None, "+14155550100")])
    await made.aclose()
    journal = Journal(postgres_url, create=False)
    assert await journal.job_ids() == [job.id]
    await journal.aclose()
