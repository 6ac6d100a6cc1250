"""The journal of bulk jobs: every item's state written down before the carrier is called.

An item goes ``planned`` → ``sending`` (written before the request) → ``done``,
``failed`` or ``unknown`` (the answer was lost, garbled or never came). An
unknown item, and one found ``sending`` after a crash, is settled by
looking the number up before anything is sent again; it is then ``done`` or
``failed`` with ``reconciled`` set. A purchase by criteria pins the exact
number in the item before buying it, so that every purchase can be looked
up afterwards; a number once pinned for a job is never pinned again by it.

One SQLite file (WAL, every write synchronous) holds many jobs, or one
PostgreSQL database (a ``postgresql://`` URL) where many workers, on many
machines, share them; each call is one transaction, run in a worker thread
so that the event loop never waits on the disk or the network.

Workers of a shared journal take items by leases: an item claimed is the
claimer's until its lease runs out, renewed by the worker while it lives.
Items a dead worker left ``sending`` or ``unknown`` are claimed by another
once the lease is over, and looked up before anything is sent again.

A database out of reach (PostgreSQL restarting, failing over, a connection
lost; a SQLite file locked by another process past its timeout) is tried
again, with backoff, for the journal's ``patience``: each call waits meanwhile,
so that what the carrier answered is written once the database is back, and
nothing is marked ``sending`` (nor sent) before. Only past the patience does a
call raise :class:`JournalUnavailableError`.
"""

from __future__ import annotations

import contextlib
import enum
import functools
import json
import logging
import random
import re
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar, cast

import anyio
import anyio.lowlevel

from .._kinds import PriceBasis
from .._models import Money
from .._sqlite import SqliteFile, failure_text
from .._sqlite import transaction as sqlite_transaction
from ..errors import ConfigurationError, InvalidInputError, NumbersError, TransportError
from ._postgres import PostgresDatabase, commit_status, is_postgres_url, redacted
from ._postgres import transaction as postgres_transaction

log = logging.getLogger("numbers_core.bulk")

__all__ = [
    "Costs",
    "DamagedJob",
    "Item",
    "ItemState",
    "Job",
    "JobState",
    "Journal",
    "JournalUnavailableError",
    "LeaseLost",
    "OverCap",
    "journal_file",
]

T = TypeVar("T")
_Transaction = Callable[[Any], contextlib.AbstractContextManager[None]]

_SCHEMA_1 = """
CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    label TEXT NOT NULL,
    kind TEXT NOT NULL,
    provider TEXT NOT NULL,
    spec TEXT NOT NULL,
    state TEXT NOT NULL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE TABLE items (
    job_id TEXT NOT NULL REFERENCES jobs (id),
    seq INTEGER NOT NULL,
    slot TEXT,
    number TEXT,
    state TEXT NOT NULL,
    reconciled INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    error_class TEXT,
    error_code TEXT,
    error_message TEXT,
    result TEXT,
    price TEXT,
    currency TEXT,
    updated_at REAL NOT NULL,
    PRIMARY KEY (job_id, seq)
);
CREATE UNIQUE INDEX items_by_number ON items (job_id, number) WHERE number IS NOT NULL;
CREATE INDEX items_by_state ON items (job_id, state);
CREATE TABLE pinned (
    job_id TEXT NOT NULL REFERENCES jobs (id),
    number TEXT NOT NULL,
    PRIMARY KEY (job_id, number)
);
"""
# Leases: which worker holds an item, and until when (the journal's clock); the workers alive, by
# the rate budget they share.
_SCHEMA_2 = """
ALTER TABLE items ADD COLUMN owner TEXT;
ALTER TABLE items ADD COLUMN lease_until REAL;
CREATE INDEX items_by_owner ON items (owner);
CREATE TABLE workers (
    id TEXT PRIMARY KEY,
    budget TEXT NOT NULL,
    seen_at REAL NOT NULL
)
"""
# Sends per item (what a report calls attempts: the refused tries alone say less), and the request
# rate a job learnt of each carrier account, for the next job on it to start from.
_SCHEMA_3 = """
ALTER TABLE items ADD COLUMN sends INTEGER NOT NULL DEFAULT 0;
CREATE TABLE rates (
    budget TEXT PRIMARY KEY,
    rate REAL NOT NULL,
    limited INTEGER NOT NULL,
    learnt_at REAL NOT NULL
)
"""
# Where each item's price came from (a PriceBasis: the carrier's offer, its price list, the user's
# table, a quote), so that a plan's or a report's total says what it stands on.
_SCHEMA_4 = """
ALTER TABLE items ADD COLUMN price_basis TEXT
"""
# The carrier each item went to: a routing provider's member (its name), or the job's one carrier.
_SCHEMA_5 = """
ALTER TABLE items ADD COLUMN provider TEXT
"""
# The items of a job in a state, in order: what a claim reads (the next planned items past one).
# By (job_id, state) alone, SQLite read them in the primary key's order instead, through every item
# past it whatever its state: a task that found the pass over read the whole job (6 ms at 10,000
# items), and each of a run's tasks does at its end. It serves what (job_id, state) served.
_SCHEMA_6 = """
CREATE INDEX items_by_state_seq ON items (job_id, state, seq);
DROP INDEX items_by_state
"""
_MIGRATIONS = (_SCHEMA_1, _SCHEMA_2, _SCHEMA_3, _SCHEMA_4, _SCHEMA_5, _SCHEMA_6)
# REAL is a 4-byte float in PostgreSQL: time stamps need 8.
_POSTGRES_MIGRATIONS = tuple(ddl.replace(" REAL", " DOUBLE PRECISION") for ddl in _MIGRATIONS)

_ITEM_COLUMNS = (
    "seq, slot, number, state, reconciled, attempts, error_class, error_code, error_message, result, "
    "price, currency, updated_at, sends, price_basis, provider"
)

_QUALIFIED_COLUMNS = ", ".join(f"items.{column.strip()}" for column in _ITEM_COLUMNS.split(","))


class JobState(enum.StrEnum):
    """Where a job is: planned (not run yet), running (or interrupted), done, cancelled."""

    PLANNED = "planned"
    RUNNING = "running"
    DONE = "done"
    CANCELLED = "cancelled"


class ItemState(enum.StrEnum):
    """Where an item is; ``sending`` is written before the carrier is called."""

    PLANNED = "planned"
    SENDING = "sending"
    DONE = "done"
    FAILED = "failed"
    UNKNOWN = "unknown"


# Where an item may go from each state; a crash leaves "sending", which resume settles. Back to
# "planned" only when the carrier's answer, or a look-up, shows nothing happened: sending again
# (or, for a purchase by criteria, another number) is safe then.
_MOVES: dict[ItemState, frozenset[ItemState]] = {
    ItemState.PLANNED: frozenset({ItemState.SENDING, ItemState.FAILED}),
    ItemState.SENDING: frozenset({ItemState.DONE, ItemState.FAILED, ItemState.UNKNOWN, ItemState.PLANNED}),
    ItemState.UNKNOWN: frozenset({ItemState.DONE, ItemState.FAILED, ItemState.PLANNED}),
    ItemState.DONE: frozenset(),
    ItemState.FAILED: frozenset(),
}
FINAL = frozenset({ItemState.DONE, ItemState.FAILED})
# Numbers per IN (…) list: well under SQLite's oldest limit on a statement's parameters (999).
_IN_LIST = 500
# The PostgreSQL advisory lock that check-ins take, one at a time: any constant, the same in every
# worker, other than the schema's.
_CHECK_IN_LOCK = 0x6E756D63
# How long a journal waits for its database out of reach, by default: a restart or a failover
# takes seconds to a minute or two.
PATIENCE = 300.0
# The waits between tries of a database out of reach: from the first, doubling up to the longest
# (each with jitter, so that many workers do not knock at once); short, since a server back up
# should find the workers writing again within a second.
_RETRY_FIRST = 0.05
_RETRY_LONGEST = 1.0
_OPEN = (ItemState.PLANNED, ItemState.SENDING, ItemState.UNKNOWN)
_SETTLED_FIRST = (ItemState.SENDING, ItemState.UNKNOWN)  # may have happened: looked up before all else


@dataclass(frozen=True)
class Job:
    """A job as the journal keeps it: what it does (``kind``, ``spec``) and where it is."""

    id: str
    label: str
    kind: str
    provider: str
    spec: dict[str, Any]
    state: JobState
    created_at: float
    updated_at: float


@dataclass(frozen=True)
class Item:
    """One number of a job (or, for a purchase by criteria, one slot until its number is pinned)."""

    seq: int
    slot: str | None
    number: str | None
    state: ItemState
    reconciled: bool
    attempts: int
    error_class: str | None
    error_code: str | None
    error_message: str | None
    result: dict[str, Any] | None
    #: the monthly price the carrier quoted for the number pinned, where it quotes one
    price: Decimal | None
    currency: str | None
    updated_at: float
    #: how many times the item was sent (written ``sending``), crashes and look-ups aside
    sends: int = 0
    #: where ``price`` came from (None with no price, or in a journal older than the basis)
    price_basis: PriceBasis | None = None
    #: the carrier it went to (a routing provider's member), once known: the one its number was
    #: offered by or listed at, else the one that answered
    provider: str | None = None

    @classmethod
    def of(cls, row: Sequence[Any]) -> Item:
        seq, slot, number, state, reconciled, attempts, error_class, code, message, result, *rest = row
        price, currency, updated_at, sends, basis, provider = rest
        return cls(
            seq,
            slot,
            number,
            ItemState(state),
            bool(reconciled),
            attempts,
            error_class,
            code,
            message,
            json.loads(result) if result else None,
            Decimal(price) if price is not None else None,
            currency,
            updated_at,
            sends,
            PriceBasis(basis) if basis is not None else None,
            provider,
        )


# A URL's start (its scheme two letters at least: C://jobs.sqlite3 may be a path on Windows).
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+://")


def journal_file(location: str | Path) -> Path | None:
    """The SQLite file ``location`` names, or None for a PostgreSQL URL; a ConfigurationError for
    any other URL (``mysql://…``, ``sqlite:///…``), which would be taken for a folder's name."""
    if is_postgres_url(location):
        return None
    if isinstance(location, str) and _URL.match(location):
        raise ConfigurationError(
            f"journal {redacted(location)!r}: not a journal location: give a SQLite file's path or a "
            "postgresql:// URL",
            setting="journal",
        )
    return Path(location).expanduser().absolute()


@dataclass
class Costs:
    """The monthly prices of some of a job's items (:meth:`Journal.prices`)."""

    #: summed by currency
    total: dict[str, Decimal] = field(default_factory=dict)
    #: how many items had no price
    unpriced: int = 0
    #: how many of the priced items each basis priced (none for prices from a journal older than it)
    bases: dict[PriceBasis, int] = field(default_factory=dict)


def _reached(connection: object) -> None:
    """Nothing: the connection made, and its tables prepared, is all :meth:`Journal.open` wants."""


class Journal:
    """The jobs of one SQLite file (created with its directory), or of a PostgreSQL database.

    ``location``: a path, or a ``postgresql://`` URL (``pip install 'numbers-core[postgres]'``).
    A PostgreSQL journal is shared: each worker takes items under a lease of ``lease``
    seconds, renewed while it runs (:meth:`renew`). A SQLite journal serves one worker
    at a time, and a run resumed after a crash takes everything over at once.

    ``patience``: how many seconds a call waits for a database out of reach (tried again
    meanwhile) before it raises :class:`JournalUnavailableError`.

    ``create=False``: a journal not there yet (no file; a database without its tables) is not
    made: the first call raises ConfigurationError instead, for those that only read or change
    jobs made before.
    """

    def __init__(
        self,
        location: str | Path,
        *,
        timeout: float = 30.0,
        clock: Callable[[], float] = time.time,
        lease: float = 30.0,
        patience: float = PATIENCE,
        create: bool = True,
    ) -> None:
        if not patience >= 0:
            raise ValueError(f"patience: expected seconds, 0 or more, got {patience!r}")
        self._clock = clock
        self._queue: list[_Pending] = []
        self._writing = False  # a task is writing a batch (the calls that come meanwhile wait)
        self._written = anyio.Event()  # set when that batch is written (or its writer gave up)
        self.lease = lease
        self.patience = patience
        self._down_since: float | None = None  # when the database was first found out of reach
        self._back: anyio.Event | None = None  # set when it is reached again
        #: this journal's worker: the holder of the leases it takes
        self.owner = uuid.uuid4().hex[:12]
        self._file: SqliteFile | PostgresDatabase
        self.path: Path | None = journal_file(location)
        if self.path is None:
            url = str(location)
            self.location = redacted(url)
            self.shared = True
            self._transaction: _Transaction = postgres_transaction
            self._file = PostgresDatabase(
                url,
                migrations=_POSTGRES_MIGRATIONS,
                what="journal",
                setting="journal",
                unavailable=JournalUnavailableError,
                create=create,
            )
        else:
            self.location = str(self.path)
            self.shared = False
            self._transaction = sqlite_transaction
            self._file = SqliteFile(
                self.path,
                migrations=_MIGRATIONS,
                timeout=timeout,
                what="journal",
                setting="journal",
                error=self._sqlite_error,
                setup=_setup,
                create=create,
            )

    def __repr__(self) -> str:
        return f"<Journal {self.location!r}>"

    def _sqlite_error(self, exc: sqlite3.Error) -> NumbersError:
        # Locked past the timeout by another process (a long transaction, a backup): out of reach
        # for now, not wrong.
        if getattr(exc, "sqlite_errorcode", 0) & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            return JournalUnavailableError(f"journal {self.location!r}: {exc}")
        text = failure_text(self.path, exc) if self.path is not None else None
        return ConfigurationError(f"journal {self.location!r}: {text or exc}", setting="journal")

    @property
    def _holder(self) -> str | None:
        """This worker, as the holder of the items it moves (None: a journal nobody shares)."""
        return self.owner if self.shared else None

    @property
    def reachable(self) -> bool:
        """False from when a call finds the database out of reach until one reaches it again."""
        return self._down_since is None

    async def wait_reachable(self) -> None:
        """Return once the database is reachable: at once, unless a call found it out of reach."""
        while self._down_since is not None:
            if self._back is None:
                self._back = anyio.Event()
            await self._back.wait()

    async def _run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """``work`` committed before this returns, in a worker thread.

        Group commit: calls that come while another is being written are written
        together, one transaction and one trip to the disk for all (each in its own
        savepoint, so that one refused move undoes only itself). A call cancelled
        before its turn is not written at all.

        The calls that wait are woken together when a batch is written, not one after
        another through a lock (a turn of the event loop each): the first of them to
        run writes the next batch, with all of theirs in it.
        """
        pending = _Pending(work)
        self._queue.append(pending)
        try:
            while not pending.finished:
                if self._writing:
                    await self._written.wait()
                    continue
                self._writing = True
                try:
                    # One turn of the loop first: the calls that come in it are written along.
                    await anyio.lowlevel.cancel_shielded_checkpoint()
                    batch, self._queue = self._queue, []
                    await self._write(batch)
                finally:
                    self._writing = False
                    written, self._written = self._written, anyio.Event()
                    written.set()
        except BaseException:
            if pending in self._queue:
                self._queue.remove(pending)
            raise
        if pending.error is not None:
            raise pending.error
        return cast(T, pending.result)

    async def _write(self, batch: list[_Pending]) -> None:
        """Write ``batch`` in one transaction; tried again while the database is out of reach,
        for the journal's patience."""
        tries = 0
        try:
            while True:
                try:
                    if not await self._settled_before(batch):
                        await self._file.run(functools.partial(self._write_all, batch))
                except JournalUnavailableError as out:
                    if self._out_of_patience(out, batch):
                        return
                    await self._file.aclose()  # a SQLite transaction left open goes with it
                    wait = min(_RETRY_LONGEST, _RETRY_FIRST * 2**tries)
                    await anyio.sleep(random.uniform(0.5, 1.0) * wait)  # noqa: S311 - jitter, not a secret
                    tries += 1
                    continue
                except Exception as failed:  # the disk, the file: nothing of the group was written
                    for one in batch:
                        one.error, one.finished = failed, True
                self._reached()
                return
        except BaseException:
            # Cancelled while waiting for the database: the others of the group wait their turn again.
            self._queue[:0] = [one for one in batch if not one.finished]
            raise

    def _write_all(self, batch: list[_Pending], db: Any) -> None:
        # After an outage, the transaction first renews this worker's leases: they ran on while
        # it could not, and what it holds (answers to write) is still its own.
        if self._down_since is not None and self.shared:
            batch = [_Pending(self._renew_all), *batch]
        _write_all(db, batch, self._transaction)

    async def _settled_before(self, batch: list[_Pending]) -> bool:
        """Whether the batch's last try committed after all: its COMMIT was sent, and the
        connection lost before the answer. Its results stand then."""
        if not isinstance(self._file, PostgresDatabase) or self._file.lost_commit is None:
            return False
        xid = self._file.lost_commit
        committed = await self._file.run(lambda db: commit_status(db, xid))
        if committed is None:  # still open at the server, which has not noticed the loss yet
            raise JournalUnavailableError(f"journal {self.location!r}: a transaction is still being ended")
        self._file.lost_commit = None
        if not committed:
            return False
        for one in batch:
            one.finished = True
        self._reached()
        return True

    def _out_of_patience(self, out: JournalUnavailableError, batch: list[_Pending]) -> bool:
        """Note the database out of reach; past the patience, the batch's calls fail with ``out``."""
        now = anyio.current_time()
        if self._down_since is None:
            self._down_since = now
            if self.patience:
                log.warning(
                    "%s; trying again for up to %g s (nothing new is sent meanwhile)", out, self.patience
                )
        waited = now - self._down_since
        if waited < self.patience:
            return False
        gave_up = JournalUnavailableError(
            f"{out} (out of reach for {waited:.0f} s)" if self.patience else str(out)
        )
        for one in batch:
            one.error, one.finished = gave_up, True
        return True

    def _reached(self) -> None:
        if self._down_since is not None:
            waited = anyio.current_time() - self._down_since
            log.warning("journal %r reached again after %.1f s; going on", self.location, waited)
        self._down_since = None
        if self._back is not None:
            self._back.set()
            self._back = None

    def _renew_all(self, db: sqlite3.Connection) -> None:
        db.execute(
            "UPDATE items SET lease_until = ? WHERE owner = ? AND state IN (?, ?, ?)",
            (self._clock() + self.lease, self.owner, *_OPEN),
        )

    async def open(self) -> None:
        """Reach the database now (its tables brought up to date) rather than at the first call,
        for a caller with other work meanwhile: the command line makes its carrier's client while
        a worker thread connects. A failure is left to that first call, which meets it again and
        waits for the database with the journal's patience."""
        with contextlib.suppress(NumbersError):
            await self._file.run(_reached)

    async def aclose(self) -> None:
        await self._file.aclose()

    # -- jobs ----------------------------------------------------------------------------------

    async def create(
        self,
        *,
        kind: str,
        provider: str,
        spec: dict[str, Any],
        items: Iterable[Sequence[str | None]],
        label: str | None = None,
    ) -> Job:
        """A new planned job with its items, in order: ``(slot, number)`` each, or ``(slot,
        number, provider)`` for a number known to be held at one carrier (a member's)."""
        job_id = uuid.uuid4().hex[:12]
        rows = [(slot, number, held[0] if held else None) for slot, number, *held in items]
        numbers = [number for _, number, _ in rows if number is not None]
        if len(set(numbers)) != len(numbers):
            raise InvalidInputError("a job holds each number once", field="numbers")
        now = self._clock()
        text = json.dumps(spec, sort_keys=True)

        def work(db: sqlite3.Connection) -> None:
            db.execute(
                "INSERT INTO jobs VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (job_id, label or f"{kind} of {len(rows)}", kind, provider, text, JobState.PLANNED, now, now),
            )
            db.executemany(
                "INSERT INTO items (job_id, seq, slot, number, provider, state, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (job_id, seq, slot, number, provider, ItemState.PLANNED, now)
                    for seq, (slot, number, provider) in enumerate(rows)
                ],
            )
            db.executemany("INSERT INTO pinned VALUES (?, ?)", [(job_id, number) for number in numbers])

        await self._run(work)
        return await self.job(job_id)

    async def job(self, job_id: str) -> Job:
        """The job; DamagedJob if its record cannot be read (written by hand, or by another program)."""

        def work(db: sqlite3.Connection) -> Job:
            row = db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
            if row is None:
                raise InvalidInputError(f"no job {job_id!r} in {self.location!r}", field="job")
            return self._job(row)

        return await self._run(work)

    def _job(self, row: Sequence[Any]) -> Job:
        job_id, label, kind, provider, spec, state, created_at, updated_at = row
        try:
            parsed = json.loads(spec)
        except (TypeError, ValueError):
            parsed = None
        if not isinstance(parsed, dict):
            raise DamagedJob(self.location, job_id, "its spec is not a JSON object")
        if state not in set(JobState):
            raise DamagedJob(self.location, job_id, f"its state {str(state)[:40]!r} is none a job has")
        texts, times = (label, kind, provider), (created_at, updated_at)
        if not all(isinstance(text, str) for text in texts) or not all(
            isinstance(time, int | float) for time in times
        ):
            raise DamagedJob(self.location, job_id, "its columns hold values of the wrong types")
        return Job(job_id, label, kind, provider, parsed, JobState(state), created_at, updated_at)

    async def job_ids(self) -> list[str]:
        """The jobs' ids, oldest first: each one's :meth:`job` read apart, where some may be damaged."""

        def work(db: sqlite3.Connection) -> list[str]:
            return [row[0] for row in db.execute("SELECT id FROM jobs ORDER BY created_at, id")]

        return await self._run(work)

    async def jobs(self) -> list[Job]:
        return [await self.job(job_id) for job_id in await self.job_ids()]

    async def set_spec(self, job_id: str, spec: dict[str, Any]) -> None:
        """Write what the job does anew (its config amended: :func:`amend_job`)."""
        now = self._clock()
        text = json.dumps(spec, sort_keys=True)

        def work(db: sqlite3.Connection) -> None:
            db.execute("UPDATE jobs SET spec = ?, updated_at = ? WHERE id = ?", (text, now, job_id))

        await self._run(work)

    async def set_state(self, job_id: str, state: JobState) -> None:
        now = self._clock()

        def work(db: sqlite3.Connection) -> None:
            db.execute("UPDATE jobs SET state = ?, updated_at = ? WHERE id = ?", (state, now, job_id))

        await self._run(work)

    # -- items ---------------------------------------------------------------------------------

    async def items(
        self, job_id: str, *states: ItemState, after: int = -1, limit: int | None = None
    ) -> list[Item]:
        """The job's items in order; only those in ``states`` when given, past item ``after``,
        at most ``limit`` of them (a page: a large job is read a page at a time)."""
        wanted = [str(state) for state in states]

        def work(db: sqlite3.Connection) -> list[Item]:
            query = f"SELECT {_ITEM_COLUMNS} FROM items WHERE job_id = ? AND seq > ?"  # noqa: S608 - constant columns
            arguments: list[Any] = [job_id, after]
            if wanted:
                query += f" AND state IN ({', '.join('?' * len(wanted))})"
                arguments += wanted
            query += " ORDER BY seq"
            if limit is not None:
                query += " LIMIT ?"
                arguments.append(limit)
            return [self._item(job_id, row) for row in db.execute(query, arguments)]

        return await self._run(work)

    def _item(self, job_id: str, row: Sequence[Any]) -> Item:
        """The item a row of the job holds; DamagedJob where a value is none the journal writes
        (a row changed by hand, or by another program), rather than a ValueError from deep inside."""
        try:
            return Item.of(row)
        except json.JSONDecodeError:
            why = "a result that is not JSON"
        except ArithmeticError:
            why = "a price that is not a number"
        except (ValueError, TypeError) as exc:  # a state or price basis none the journal writes
            why = f"a value none the journal writes ({str(exc)[:80]})"
        raise DamagedJob(self.location, job_id, f"item {str(row[0])[:20]} holds {why}")

    async def counts(self, job_id: str) -> dict[ItemState, int]:
        def work(db: sqlite3.Connection) -> dict[ItemState, int]:
            rows = db.execute("SELECT state, count(*) FROM items WHERE job_id = ? GROUP BY state", (job_id,))
            return {_state(self.location, job_id, state, "an item's"): count for state, count in rows}

        return await self._run(work)

    async def counts_by_provider(self, job_id: str) -> dict[str | None, dict[ItemState, int]]:
        """The items' counts by state, for each carrier they went to (None: none yet)."""

        def work(db: sqlite3.Connection) -> dict[str | None, dict[ItemState, int]]:
            rows = db.execute(
                "SELECT provider, state, count(*) FROM items WHERE job_id = ? GROUP BY provider, state",
                (job_id,),
            )
            counts: dict[str | None, dict[ItemState, int]] = {}
            for provider, state, count in rows:
                counts.setdefault(provider, {})[_state(self.location, job_id, state, "an item's")] = count
            return counts

        return await self._run(work)

    async def pin(
        self,
        job_id: str,
        seq: int,
        number: str,
        *,
        price: Money | None = None,
        basis: PriceBasis | None = None,
        cap: Money | None = None,
        sending: bool = False,
        provider: str | None = None,
    ) -> bool:
        """Give a planned item its number (and its quoted price, with where that came from:
        ``basis``, and the carrier that offered it); False if the job ever pinned it.

        With ``cap``, raises :class:`OverCap` when the prices of the job's items that are
        bought, being bought or about to be, with this one, would pass it: checked in the
        same transaction as the pin, so concurrent tasks cannot pass it together.
        ``sending``: the item is written ``sending`` in the same transaction (as :meth:`move`
        would, its lease checked in a shared journal): one trip to the disk, not two.
        """
        pins = [(seq, number, price, basis, provider)]
        pinned = (await self.pin_many(job_id, pins, cap=cap, sending=sending))[seq]
        if isinstance(pinned, Exception):
            raise pinned
        return pinned

    async def pin_many(
        self,
        job_id: str,
        pins: Sequence[tuple[int, str, Money | None, PriceBasis | None, str | None]],
        *,
        cap: Money | None = None,
        sending: bool = False,
    ) -> dict[int, bool | OverCap | InvalidInputError]:
        """:meth:`pin` for many items at once, ``(seq, number, price, basis, provider)`` each, in one
        transaction of a few statements whatever their number; by item, what :meth:`pin` would have
        returned or raised (:class:`OverCap`, :class:`LeaseLost` for an item another worker holds
        now, …): the others are pinned all the same."""
        now = self._clock()

        def work(db: sqlite3.Connection) -> dict[int, bool | OverCap | InvalidInputError]:
            outcomes: dict[int, bool | OverCap | InvalidInputError] = {}
            rows = {
                row[0]: row[1:]
                for chunk in _chunks([seq for seq, *_ in pins])
                for row in db.execute(
                    f"SELECT seq, state, owner, lease_until FROM items WHERE job_id = ? "  # noqa: S608
                    f"AND seq IN ({', '.join('?' * len(chunk))})",
                    (job_id, *chunk),
                )
            }
            wanted: dict[str, tuple[int, Money | None, PriceBasis | None, str | None]] = {}
            for seq, number, price, basis, provider in pins:
                refused = _refusal(self.location, job_id, seq, rows.get(seq), None, self._holder)
                if refused is None and sending and self.shared:
                    refused = self._lease_refusal(job_id, seq, *rows[seq][1:])
                if refused is not None:
                    outcomes[seq] = refused
                elif number in wanted:  # asked twice: the first item has it
                    outcomes[seq] = False
                else:
                    wanted[number] = (seq, price, basis, provider)
            # Workers pinning the same number at once: the second waits for the first, then inserts
            # nothing. In the same order in every worker, so that they never wait on each other both.
            inserted = {
                row[0]
                for chunk in _chunks(sorted(wanted))
                for row in db.execute(
                    f"INSERT INTO pinned VALUES {', '.join(['(?, ?)'] * len(chunk))} "  # noqa: S608
                    "ON CONFLICT DO NOTHING RETURNING number",
                    [value for number in chunk for value in (job_id, number)],
                )
            }
            over = _over_cap(
                db, job_id, [(n, wanted[n][1]) for n in wanted if n in inserted], cap, self.shared
            )
            for number in over:
                db.execute("DELETE FROM pinned WHERE job_id = ? AND number = ?", (job_id, number))
            updates = []
            for number, (seq, price, basis, provider) in wanted.items():
                outcomes[seq] = over.get(number, number in inserted)
                if outcomes[seq] is True:
                    quoted: tuple[str | None, str | None, str | None] = (None, None, None)
                    if price is not None:
                        quoted = (str(price.amount), price.currency, None if basis is None else str(basis))
                    state = ItemState.SENDING if sending else ItemState.PLANNED
                    updates.append((number, *quoted, now, state, int(sending), provider, job_id, seq))
            if updates:
                db.executemany(
                    "UPDATE items SET number = ?, price = ?, currency = ?, price_basis = ?, updated_at = ?, "
                    "state = ?, sends = sends + ?, provider = ? WHERE job_id = ? AND seq = ?",
                    updates,
                )
            return outcomes

        return await self._run(work)

    async def unpin(self, job_id: str, seq: int) -> None:
        """Take a planned item's number back (it was taken meanwhile), and the carrier that offered
        it; it stays pinned for the job."""
        now = self._clock()

        def work(db: sqlite3.Connection) -> None:
            _check_move(self.location, db, job_id, seq, None, self._holder)
            db.execute(
                "UPDATE items SET number = NULL, provider = NULL, updated_at = ? "
                "WHERE job_id = ? AND seq = ?",
                (now, job_id, seq),
            )

        await self._run(work)

    async def move(
        self,
        job_id: str,
        seq: int | Sequence[int],
        state: ItemState,
        *,
        result: dict[str, Any] | str | None = None,
        error: tuple[str, str | None, str] | None = None,
        reconciled: bool = False,
        tried: bool | None = None,
        provider: str | None = None,
    ) -> None:
        """Write the item's new state (``error``: class, carrier code, message; ``result``: what the
        carrier answered, a JSON object or its text); only allowed moves.

        ``seq`` may be several items (a native batch, sent at once): all move in one transaction.
        Back to planned with an error counts as one of the item's tries, unless ``tried`` is
        False: a refusal that was not the item's (its account lacks something; its number, not
        the item, was refused). ``provider``: the carrier it went to, where this says it (None
        leaves it as it was).
        """
        now = self._clock()
        seqs = [seq] if isinstance(seq, int) else list(seq)
        error_class, code, message = error if error is not None else (None, None, None)
        # A failed try: the carrier refused for now. A crash or a look-up is no try.
        if tried is None:
            tried = state is ItemState.PLANNED and error is not None
        tries = int(tried)
        sent = int(state is ItemState.SENDING)
        text = result if result is None or isinstance(result, str) else json.dumps(result)

        # Each item is updated only from a state it may move from (and, sent by a worker of a shared
        # journal, under its lease): one statement, not a read and a write, for a move allowed.
        sources = [source for source, targets in _MOVES.items() if state in targets]
        allowed = f"state IN ({', '.join('?' * len(sources))})"
        leased = state is ItemState.SENDING and self.shared
        if leased:
            allowed += " AND owner = ? AND lease_until >= ?"
        values = (state, int(reconciled), tries, sent, error_class, code, message, text, provider, now)
        update = (
            "UPDATE items SET state = ?, reconciled = CASE WHEN ? = 1 THEN 1 ELSE reconciled END, "  # noqa: S608 - placeholders only
            "attempts = attempts + ?, sends = sends + ?, error_class = ?, error_code = ?, "
            "error_message = ?, result = coalesce(?, result), provider = coalesce(?, provider), "
            f"updated_at = ? WHERE job_id = ? AND seq = ? AND {allowed}"
        )

        def work(db: sqlite3.Connection) -> None:
            held = [self.owner, self._clock()] if leased else []
            for one in seqs:
                if not db.execute(update, [*values, job_id, one, *sources, *held]).rowcount:
                    raise self._move_refusal(db, job_id, one, state)

        await self._run(work)

    def _move_refusal(
        self, db: sqlite3.Connection, job_id: str, seq: int, state: ItemState
    ) -> InvalidInputError:
        """Why the item may not move to ``state`` (its update changed nothing): a move the state
        machine does not allow, or (sending) a lease this worker lost."""
        row = db.execute(
            "SELECT state, owner, lease_until FROM items WHERE job_id = ? AND seq = ?", (job_id, seq)
        ).fetchone()
        refused = _refusal(self.location, job_id, seq, row, state, self._holder)
        if refused is None:  # an allowed move: the lease was what refused it
            refused = self._lease_refusal(job_id, seq, *row[1:])
        return refused or InvalidInputError(f"job {job_id!r} item {seq} did not move", field="item")

    async def pinned(self, job_id: str) -> list[str]:
        """Every number the job ever pinned (bought, being bought, or replaced)."""

        def work(db: sqlite3.Connection) -> list[str]:
            rows = db.execute("SELECT number FROM pinned WHERE job_id = ? ORDER BY number", (job_id,))
            return [row[0] for row in rows]

        return await self._run(work)

    async def unpinned(self, job_id: str, numbers: Sequence[str]) -> set[str]:
        """Those of ``numbers`` the job never pinned: the ones worth trying to pin."""

        def work(db: sqlite3.Connection) -> set[str]:
            taken: set[str] = set()
            for chunk in _chunks(numbers):
                marks = ", ".join("?" * len(chunk))
                query = f"SELECT number FROM pinned WHERE job_id = ? AND number IN ({marks})"  # noqa: S608 - placeholders only
                taken.update(row[0] for row in db.execute(query, (job_id, *chunk)))
            return set(numbers) - taken

        return await self._run(work)

    async def open_slots(self, job_id: str, *, pinned: bool = False) -> dict[str, int]:
        """How many planned items of each criteria set have no number pinned yet; ``pinned``:
        how many open items of each have one (not bought yet, so the carrier may show it still)."""
        if pinned:
            states: tuple[ItemState, ...] = _OPEN
            numbered = "number IS NOT NULL"
        else:
            states, numbered = (ItemState.PLANNED,), "number IS NULL"
        marks = ", ".join("?" * len(states))

        def work(db: sqlite3.Connection) -> dict[str, int]:
            rows = db.execute(
                f"SELECT slot, count(*) FROM items WHERE job_id = ? AND state IN ({marks}) "  # noqa: S608 - placeholders only
                f"AND {numbered} AND slot IS NOT NULL GROUP BY slot",
                (job_id, *states),
            )
            return {slot: count for slot, count in rows}

        return await self._run(work)

    async def unbought(self, job_id: str, numbers: Sequence[str]) -> dict[str, Item | None]:
        """Those of ``numbers`` the job pinned and does not record as bought, with the item that
        holds each (None for a number an item gave up for another).

        One indexed look-up per number: the sweep at a job's end asks this of every number the
        account owns, a page at a time, so its cost grows with the account, not with its square.
        """

        def work(db: sqlite3.Connection) -> dict[str, Item | None]:
            found: dict[str, Item | None] = {}
            for chunk in _chunks(numbers):
                marks = ", ".join("?" * len(chunk))
                rows = db.execute(
                    f"SELECT pinned.number, {_QUALIFIED_COLUMNS} FROM pinned LEFT JOIN items "  # noqa: S608 - placeholders only
                    "ON items.job_id = pinned.job_id AND items.number = pinned.number "
                    f"WHERE pinned.job_id = ? AND pinned.number IN ({marks}) "
                    "AND (items.state IS NULL OR items.state != ?)",
                    (job_id, *chunk, ItemState.DONE),
                )
                for number, *item in rows:
                    found[number] = None if item[0] is None else self._item(job_id, item)
            return found

        return await self._run(work)

    async def prices(self, job_id: str, *states: ItemState) -> Costs:
        """The monthly prices quoted for the numbers of the job's items in ``states``: summed by
        currency, counted by where they came from, and how many of those items have none (no
        price quoted, or no number yet)."""
        marks = ", ".join("?" * len(states))

        def work(db: sqlite3.Connection) -> Costs:
            costs = Costs()
            rows = db.execute(
                f"SELECT price, currency, price_basis FROM items WHERE job_id = ? AND state IN ({marks})",  # noqa: S608 - placeholders only
                (job_id, *states),
            )
            for price, currency, basis in rows:
                if price is None or currency is None:
                    costs.unpriced += 1
                    continue
                costs.total[currency] = costs.total.get(currency, Decimal(0)) + Decimal(price)
                if basis is not None:
                    costs.bases[PriceBasis(basis)] = costs.bases.get(PriceBasis(basis), 0) + 1
            return costs

        return await self._run(work)

    # -- what was learnt of the carrier ----------------------------------------------------------

    async def learnt_rate(self, budget: str) -> tuple[float, bool] | None:
        """What an earlier job learnt of the request rate of the account ``budget``: the ceiling its
        429s showed (True), or the rate it reached without one (False); None if nothing yet."""

        def work(db: sqlite3.Connection) -> tuple[float, bool] | None:
            row = db.execute("SELECT rate, limited FROM rates WHERE budget = ?", (budget,)).fetchone()
            return None if row is None else (float(row[0]), bool(row[1]))

        return await self._run(work)

    async def learn_rate(self, budget: str, rate: float, *, limited: bool) -> None:
        """Keep what a job learnt of the request rate of the account ``budget``, for the next job."""
        now = self._clock()

        def work(db: sqlite3.Connection) -> None:
            db.execute(
                "INSERT INTO rates VALUES (?, ?, ?, ?) ON CONFLICT (budget) DO UPDATE SET "
                "rate = excluded.rate, limited = excluded.limited, learnt_at = excluded.learnt_at",
                (budget, rate, int(limited), now),
            )

        await self._run(work)

    # -- leases --------------------------------------------------------------------------------

    def _lease_refusal(
        self, job_id: str, seq: int, owner: str | None, until: float | None
    ) -> LeaseLost | None:
        """Refuse to send an item this worker holds no more: a worker stalled past its lease
        (a long pause, a lost network) finds its items taken over, and must not send them."""
        if owner != self.owner or until is None or until < self._clock():
            return LeaseLost(f"job {job_id!r} item {seq} is another worker's now", field="item")
        return None

    def _free(self) -> tuple[str, list[Any]]:
        """The condition (and its arguments) of an item this worker may take now."""
        if not self.shared:
            return "1 = 1", []
        return "(owner IS NULL OR owner = ? OR lease_until < ?)", [self.owner, self._clock()]

    async def claim(self, job_id: str, *, after: int = -1, limit: int = 500) -> list[Item]:
        """Planned items past ``after``, in order, now this worker's (at most ``limit``).

        In a shared journal, items another live worker holds are skipped, and so are items
        another worker is claiming at this moment (``SKIP LOCKED``): workers never wait on
        each other, and never take the same item.
        """
        free, arguments = self._free()
        locking = " FOR UPDATE SKIP LOCKED" if self.shared else ""

        def work(db: sqlite3.Connection) -> list[Item]:
            # A CTE, not "seq IN (SELECT …)": PostgreSQL may run such a subquery again for each row
            # it updates, and with SKIP LOCKED each run picks other rows (seen: LIMIT 5 claimed 42).
            rows = db.execute(
                f"WITH picked AS (SELECT seq FROM items WHERE job_id = ? AND state = ? AND seq > ? "  # noqa: S608
                f"AND {free} ORDER BY seq LIMIT ?{locking}) "
                "UPDATE items SET owner = ?, lease_until = ? FROM picked "
                f"WHERE items.job_id = ? AND items.seq = picked.seq RETURNING {_QUALIFIED_COLUMNS}",
                [
                    job_id,
                    ItemState.PLANNED,
                    after,
                    *arguments,
                    limit,
                    self.owner,
                    self._clock() + self.lease,
                    job_id,
                ],
            )
            return sorted((self._item(job_id, row) for row in rows), key=lambda item: item.seq)

        return await self._run(work)

    async def interrupted(self, job_id: str, *, others: bool = False) -> list[Item]:
        """Items a crash left ``sending`` are ``unknown`` now, and this worker's: what they did is
        to be looked up. In a shared journal, only those whose worker's lease has run out.

        ``others``: only other workers' (in a shared journal), given back or their leases run
        out: not this one's own, which it may be sending at this moment.
        """
        if others:
            free = "(owner IS NULL OR (owner != ? AND lease_until < ?))"
            arguments = [self.owner, self._clock()]
        else:
            free, arguments = self._free()

        def work(db: sqlite3.Connection) -> list[Item]:
            rows = db.execute(
                f"UPDATE items SET state = ?, owner = ?, lease_until = ? "  # noqa: S608 - constant
                f"WHERE job_id = ? AND state IN (?, ?) AND {free} RETURNING {_ITEM_COLUMNS}",
                [
                    ItemState.UNKNOWN,
                    self.owner,
                    self._clock() + self.lease,
                    job_id,
                    *_SETTLED_FIRST,
                    *arguments,
                ],
            )
            return sorted((self._item(job_id, row) for row in rows), key=lambda item: item.seq)

        return await self._run(work)

    async def renew(self, job_id: str) -> int:
        """Extend the leases this worker holds on the job's open items; how many it holds."""

        def work(db: sqlite3.Connection) -> int:
            cursor = db.execute(
                "UPDATE items SET lease_until = ? WHERE job_id = ? AND owner = ? AND state IN (?, ?, ?)",
                (self._clock() + self.lease, job_id, self.owner, *_OPEN),
            )
            return int(cursor.rowcount)

        return await self._run(work)

    async def give_back(self, job_id: str) -> None:
        """Let go of this worker's open items at once (it stops): others need not wait out its leases."""

        def work(db: sqlite3.Connection) -> None:
            db.execute(
                "UPDATE items SET owner = NULL, lease_until = NULL "
                "WHERE job_id = ? AND owner = ? AND state IN (?, ?, ?)",
                (job_id, self.owner, *_OPEN),
            )

        await self._run(work)

    async def takeable(self, job_id: str) -> int:
        """Open items of the job that nobody holds now (their worker gave them back, or died)."""
        return await self._count_open(job_id, "owner IS NULL OR (owner != ? AND lease_until < ?)")

    async def check_in(self, budget: str, *, alive: float | None = None) -> int:
        """This worker is alive and spends ``budget``; how many live workers spend it now: those
        that checked in within ``alive`` seconds (the lease by default)."""

        def work(db: sqlite3.Connection) -> int:
            if self.shared:
                # One check-in at a time (SQLite's writers are one at a time already): one that
                # commits after another's began after it, and counts it.
                db.execute("SELECT pg_advisory_xact_lock(?)", (_CHECK_IN_LOCK,))
            now = self._clock()
            db.execute(
                "INSERT INTO workers VALUES (?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET budget = excluded.budget, seen_at = excluded.seen_at",
                (self.owner, budget, now),
            )
            since = now - (self.lease if alive is None else alive)
            row = db.execute(
                "SELECT count(*) FROM workers WHERE budget = ? AND seen_at >= ?", (budget, since)
            ).fetchone()
            return int(row[0])

        return await self._run(work)

    async def others_seen(self, budget: str, *, alive: float | None = None) -> dict[str, float]:
        """The other live workers spending ``budget`` (checked in within ``alive`` seconds, the
        lease by default), each with when it last checked in, by its own clock: once that has
        changed, the worker has checked in again since this call, and counted this one if it
        had checked in before."""

        def work(db: sqlite3.Connection) -> dict[str, float]:
            since = self._clock() - (self.lease if alive is None else alive)
            rows = db.execute(
                "SELECT id, seen_at FROM workers WHERE budget = ? AND seen_at >= ? AND id != ?",
                (budget, since, self.owner),
            )
            return {worker: float(seen) for worker, seen in rows}

        return await self._run(work)

    async def check_out(self) -> None:
        """This worker stops: its share of the budget is the others' now."""

        def work(db: sqlite3.Connection) -> None:
            db.execute("DELETE FROM workers WHERE id = ?", (self.owner,))

        await self._run(work)

    async def held_by_others(self, job_id: str) -> int:
        """Open items of the job that other live workers hold (0 in a journal that is not shared)."""
        if not self.shared:
            return 0
        return await self._count_open(job_id, "owner IS NOT NULL AND owner != ? AND lease_until >= ?")

    async def _count_open(self, job_id: str, held: str) -> int:
        """Open items of the job whose holder matches ``held`` (a condition on this worker and now)."""

        def work(db: sqlite3.Connection) -> int:
            row = db.execute(
                f"SELECT count(*) FROM items WHERE job_id = ? AND state IN (?, ?, ?) AND ({held})",  # noqa: S608 - fixed conditions
                (job_id, *_OPEN, self.owner, self._clock()),
            ).fetchone()
            return int(row[0])

        return await self._run(work)


class _Pending:
    """One call of the journal waiting for its group's transaction; its result or error after."""

    __slots__ = ("error", "finished", "result", "work")

    def __init__(self, work: Callable[[sqlite3.Connection], Any]) -> None:
        self.work = work
        self.finished = False
        self.result: Any = None
        self.error: Exception | None = None


def _write_all(db: Any, batch: list[_Pending], transaction: _Transaction) -> None:
    with transaction(db):
        for pending in batch:
            pending.error = None  # of a try that was not committed
            db.execute("SAVEPOINT one")
            try:
                pending.result = pending.work(db)
            except (InvalidInputError, OverCap, DamagedJob) as refused:  # this call's own: only it is undone
                db.execute("ROLLBACK TO one")
                pending.error = refused
            db.execute("RELEASE one")
    for pending in batch:  # committed: now, and only now, each call has its answer
        pending.finished = True


def _check_move(
    location: str,
    db: sqlite3.Connection,
    job_id: str,
    seq: int,
    state: ItemState | None,
    owner: str | None = None,
) -> None:
    """Refuse a move the state machine does not allow (None: the item must be planned).

    ``owner``: the worker moving it, in a shared journal. An item another worker holds now
    was taken over from this one (cut off from the journal past its lease), and may have
    moved on meanwhile: a move it no longer allows is :class:`LeaseLost`, not a mistake.
    """
    row = db.execute("SELECT state, owner FROM items WHERE job_id = ? AND seq = ?", (job_id, seq)).fetchone()
    refused = _refusal(location, job_id, seq, row, state, owner)
    if refused is not None:
        raise refused


def _state(location: str, job_id: str, value: Any, whose: str) -> ItemState:
    """The item state ``value`` names; DamagedJob where it is none the journal writes (a row
    changed by hand, or by another program)."""
    try:
        return ItemState(value)
    except ValueError:
        raise DamagedJob(location, job_id, f"{whose} state {str(value)[:40]!r} is none an item has") from None


def _refusal(
    location: str,
    job_id: str,
    seq: int,
    row: Sequence[Any] | None,
    state: ItemState | None,
    owner: str | None,
) -> InvalidInputError | None:
    """What :func:`_check_move` raises for the item's ``row`` (its state and owner first), if
    anything; DamagedJob, raised, where the row's state is none the journal writes."""
    if row is None:
        return InvalidInputError(f"job {job_id!r} has no item {seq}", field="item")
    current = _state(location, job_id, row[0], f"item {seq}'s")
    allowed = {ItemState.PLANNED} if state is None else _MOVES[current]
    if (current if state is None else state) in allowed:
        return None
    if owner is not None and row[1] is not None and row[1] != owner:
        return LeaseLost(f"job {job_id!r} item {seq} is another worker's now", field="item")
    return InvalidInputError(
        f"job {job_id!r} item {seq}: {current} cannot become {state or 'pinned'}", field="item"
    )


def _chunks(values: Sequence[T]) -> Iterator[Sequence[T]]:
    """``values`` an IN (…) list at a time."""
    for start in range(0, len(values), _IN_LIST):
        yield values[start : start + _IN_LIST]


class DamagedJob(ConfigurationError):
    """A job's record in the journal cannot be read: it was changed by hand, or by another program."""

    def __init__(self, location: str, job_id: str, why: str) -> None:
        super().__init__(
            f"journal {location!r}: the record of job {job_id!r} is damaged ({why}): it cannot be "
            "read or run",
            setting="journal",
        )
        self.job_id = job_id


class LeaseLost(InvalidInputError):
    """The item's lease ran out, and another worker may hold it: it is not sent (nor written)."""


class JournalUnavailableError(TransportError):
    """The journal's database stayed out of reach (or locked) for the journal's patience.

    What that call was to write was not written; a job stopped by it resumes where its journal
    says it is, and what was in flight is looked up first. Try again once the database is back.
    """


class OverCap(Exception):
    """Pinning this number would pass the job's cost cap (or its price cannot be checked against it)."""


def _over_cap(
    db: sqlite3.Connection,
    job_id: str,
    numbers: list[tuple[str, Money | None]],
    cap: Money | None,
    shared: bool,
) -> dict[str, OverCap]:
    """Those of ``numbers`` (with their prices, pinned in this order) that would pass the job's cost
    cap, with the job's items bought, being bought or about to be."""
    if cap is None or not numbers:
        return {}
    if shared:  # one worker at a time sums the job's prices
        db.execute("SELECT id FROM jobs WHERE id = ? FOR UPDATE", (job_id,))
    rows = db.execute(
        "SELECT price FROM items WHERE job_id = ? AND state != ? AND price IS NOT NULL",
        (job_id, ItemState.FAILED),
    )
    committed = sum((Decimal(row[0]) for row in rows), Decimal(0))
    over: dict[str, OverCap] = {}
    for number, price in numbers:
        if price is None:
            over[number] = OverCap(
                f"the carrier quoted no price for {number}, so the job's cost cap cannot be kept"
            )
        elif price.currency != cap.currency:
            over[number] = OverCap(
                f"{number} is priced in {price.currency}, the job's cost cap in {cap.currency}"
            )
        elif committed + price.amount > cap.amount:
            over[number] = OverCap(
                f"buying {number} at {price.amount} {price.currency} would pass the job's cost cap of "
                f"{cap.amount} {cap.currency} ({committed} committed)"
            )
        else:
            committed += price.amount
    return over


def _setup(db: sqlite3.Connection) -> None:
    # Every write reaches the disk before the carrier is called: a power cut aside, what the
    # journal says was sent was at most sent.
    db.execute("PRAGMA synchronous=FULL")
    db.execute("PRAGMA foreign_keys=ON")
