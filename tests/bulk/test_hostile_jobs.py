"""Hostile input to bulk jobs: job files, create_job's arguments and journal files that are not
what they should be are refused with one line in the error tree, and nothing is made or changed."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import subprocess
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import numbers_core as nc
import pytest
from numbers_core.bulk import JobFile, create_job, report
from numbers_core.bulk import _journal as journal_module
from numbers_core.bulk._journal import DamagedJob, ItemState, Job, Journal
from numbers_core.bulk._limits import MAX_CRITERIA, MAX_ITEMS, MAX_LABEL

N1, N2 = "+14155550101", "+14155550102"


# -- job files -------------------------------------------------------------------------------------


def _refused(tmp_path: Path, name: str, content: str | bytes) -> str:
    """The one line a job file is refused with."""
    file = tmp_path / name
    if isinstance(content, bytes):
        file.write_bytes(content)
    else:
        file.write_text(content)
    with pytest.raises(nc.InvalidInputError) as refused:
        JobFile.load(file)
    message = refused.value.message
    assert message.startswith(f"job file {str(file)!r}: ")
    assert "\n" not in message
    return message


@pytest.mark.parametrize(
    ("name", "content"),
    [
        # Before: RecursionError from json and from tomllib.
        ("deep.json", "[" * 100_000 + "]" * 100_000),
        ("deep.toml", "a = " + "[" * 5_000 + "]" * 5_000),
        # Under the parsers' recursion limit, past any job's shape (pydantic and json.dumps recurse too).
        ("deep.json", json.dumps({"kind": "buy", "matching": {"a": json.loads("[" * 500 + "]" * 500)}})),
    ],
)
def test_a_file_nested_too_deep(tmp_path: Path, name: str, content: str) -> None:
    assert "nested deeper than a job file may be (32 levels)" in _refused(tmp_path, name, content)


def test_a_count_past_the_bound_is_refused_before_memory_runs_out(tmp_path: Path) -> None:
    # Before: MemoryError, planning a million million items.
    message = _refused(tmp_path, "job.toml", 'kind = "buy"\n[criteria.a]\ncount = 1000000000000\n')
    assert f"a job holds at most {MAX_ITEMS:,} numbers, not 1,000,000,000,000" in message


def test_the_bound_is_on_the_whole_job(tmp_path: Path) -> None:
    sets = "".join(f"[criteria.s{n}]\ncount = {MAX_ITEMS // 2}\n" for n in range(3))
    message = _refused(tmp_path, "job.toml", f'kind = "buy"\n{sets}')
    assert f"not {MAX_ITEMS // 2 * 3:,}" in message


def test_too_many_criteria_sets(tmp_path: Path) -> None:
    sets = "".join(f"[criteria.s{n}]\ncount = 1\n" for n in range(MAX_CRITERIA + 1))
    message = _refused(tmp_path, "job.toml", f'kind = "buy"\n{sets}')
    assert f"at most {MAX_CRITERIA:,} criteria sets, not {MAX_CRITERIA + 1:,}" in message


def test_a_label_too_long(tmp_path: Path) -> None:
    message = _refused(
        tmp_path, "job.json", json.dumps({"kind": "release", "numbers": [N1], "label": "x" * 201})
    )
    assert f"label: at most {MAX_LABEL} characters, not 201" in message


def test_a_file_of_no_end_is_read_only_up_to_the_bound() -> None:
    # Before: read until memory ran out.
    with pytest.raises(nc.InvalidInputError, match=r"larger than a job file may be \(10 MiB\)"):
        JobFile.load("/dev/zero")


def test_true_is_no_count(tmp_path: Path) -> None:
    # Before: taken as 1.
    message = _refused(tmp_path, "job.toml", 'kind = "buy"\n[criteria.a]\ncount = true\n')
    assert "criteria.a.count: expected a whole number, got True" in message


def test_numbers_and_criteria_together(tmp_path: Path) -> None:
    # Before: merged into one job of both.
    text = f'kind = "buy"\nnumbers = ["{N1}"]\n[criteria.a]\ncount = 1\n'
    assert "give one, not both" in _refused(tmp_path, "job.toml", text)


def test_a_json_key_given_twice(tmp_path: Path) -> None:
    # Before: json kept the last one, and the purchase was a release.
    text = f'{{"kind": "buy", "kind": "release", "numbers": ["{N1}"]}}'
    assert "'kind' is given twice" in _refused(tmp_path, "job.json", text)
    nested = '{"kind": "buy", "criteria": {"a": {"count": 1, "count": 2}}}'
    assert "'count' is given twice" in _refused(tmp_path, "job.json", nested)


def test_a_toml_key_given_twice(tmp_path: Path) -> None:
    assert "overwrite" in _refused(tmp_path, "job.toml", 'kind = "buy"\nkind = "release"\n')


@pytest.mark.parametrize("currency", ["ZZZ", "abc"])
def test_a_cost_cap_in_no_currency(tmp_path: Path, currency: str) -> None:
    # Before: accepted, and then every item failed against the carrier's prices.
    text = f'kind = "buy"\nmax_cost = "5 {currency}"\n[criteria.a]\ncount = 1\n'
    assert f"max_cost: {currency.upper()!r} is no currency" in _refused(tmp_path, "job.toml", text)


# -- create_job ------------------------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"criteria": {"a": (nc.SearchQuery(), 10**12)}}, f"at most {MAX_ITEMS:,} numbers"),
        ({"criteria": {"a": (nc.SearchQuery(), True)}}, "count must be a whole number, not True"),
        ({"criteria": {"a": (nc.SearchQuery(), 0)}}, "count must be at least 1"),
        ({"criteria": {"a": (nc.SearchQuery(), 1)}, "numbers": [N1]}, "give one, not both"),
        (
            {"criteria": {f"s{n}": (nc.SearchQuery(), 1) for n in range(MAX_CRITERIA + 1)}},
            "criteria sets",
        ),
        ({"numbers": [N1], "label": "x" * (MAX_LABEL + 1)}, "label: at most"),
        (
            {
                "criteria": {"a": (nc.SearchQuery(), 1)},
                "max_cost": nc.Money(amount=5, currency="ZZZ"),
            },
            "'ZZZ' is no currency",
        ),
    ],
)
async def test_create_job_refuses_a_job_past_its_bounds_and_writes_nothing(
    tmp_path: Path, arguments: dict[str, Any], message: str
) -> None:
    journal = Journal(tmp_path / "jobs.sqlite3")
    async with nc.connect("sandbox", path=tmp_path / "sandbox.sqlite3") as carrier:
        with pytest.raises(nc.InvalidInputError, match=message):
            await create_job(journal, carrier, "purchase", **arguments)
    await journal.aclose()
    assert not (tmp_path / "jobs.sqlite3").exists()


@pytest.mark.anyio
async def test_a_job_matching_more_numbers_than_a_job_holds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("numbers_core.bulk._limits.MAX_ITEMS", 2)
    journal = Journal(tmp_path / "jobs.sqlite3")
    async with nc.connect("sandbox", path=tmp_path / "sandbox.sqlite3") as carrier:
        for offer in await carrier.search(nc.SearchQuery(area_code="415", limit=3)):
            await carrier.purchase(offer.phone_number)
        with pytest.raises(nc.InvalidInputError, match="at most 2 numbers, not 3"):
            await create_job(journal, carrier, "release", matching={}, confirm=True)
    await journal.aclose()
    assert not (tmp_path / "jobs.sqlite3").exists()


# -- journal files ---------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["mysql://user:secret@db/jobs", "sqlite:///jobs.sqlite3", "https://x/y"])
def test_a_url_no_journal_has_is_refused_and_makes_no_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    # Before: taken for a path, and folders named "mysql:" and "db" made.
    monkeypatch.chdir(tmp_path)
    with pytest.raises(nc.ConfigurationError, match="not a journal location") as refused:
        Journal(url)
    assert "secret" not in str(refused.value)
    assert list(tmp_path.iterdir()) == []


async def _journal_refused(path: Path, message: str) -> None:
    """Check that the journal at ``path`` is refused, with ``message``, when first used."""
    journal = Journal(path)
    with pytest.raises(nc.ConfigurationError, match=message):
        await journal.jobs()
    await journal.aclose()


def _tables(path: Path) -> list[str]:
    with contextlib.closing(sqlite3.connect(path)) as db:
        return [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]


@pytest.mark.anyio
@pytest.mark.parametrize("version", [0, 2])
async def test_another_applications_sqlite_file_is_left_as_it_is(tmp_path: Path, version: int) -> None:
    # Before: the journal's tables were added to it (and it was turned to WAL mode).
    path = tmp_path / "app.sqlite3"
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.execute("CREATE TABLE customers (name TEXT)")
        db.execute("INSERT INTO customers VALUES ('Ada')")
        db.execute(f"PRAGMA user_version = {version}")
        db.commit()
    before = path.read_bytes()
    await _journal_refused(path, r"a SQLite file of something else \(its tables: customers\)")
    assert path.read_bytes() == before
    assert _tables(path) == ["customers"]


@pytest.mark.anyio
async def test_a_file_that_is_not_sqlite(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("not a database, and long enough to have a header" * 10)
    await _journal_refused(path, r"notes\.txt': not a SQLite file$")


@contextlib.contextmanager
def _tmpfs(where: Path, size: str) -> Iterator[Path]:
    """A small file system of its own at ``where`` (as root; skipped elsewhere)."""
    where.mkdir()
    try:
        done = subprocess.run(  # noqa: S603 - fixed arguments
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],  # noqa: S607
            capture_output=True,
            text=True,
            check=False,
        )
    except FileNotFoundError:
        pytest.skip("no mount command here")
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)  # noqa: S603, S607


def _fill(folder: Path) -> Path:
    """Fill the disk holding ``folder`` to the last byte."""
    filler = folder / "filler"
    with contextlib.suppress(OSError), filler.open("wb", buffering=0) as out:
        while True:
            out.write(b"\0" * 4096)
    return filler


async def _one_job(journal: Journal) -> str:
    job = await journal.create(kind="release", provider="sandbox", spec={}, items=[(None, N1)])
    await journal.move(job.id, 0, ItemState.SENDING)
    return job.id


async def _no_room_for_a_job(path: Path, message: str) -> None:
    """Check that a job of 5,000 numbers cannot be written to the journal at ``path``, with ``message``."""
    journal = Journal(path)
    items = [(None, f"+1415555{n:04}") for n in range(5000)]
    with pytest.raises(nc.ConfigurationError, match=message):
        await journal.create(kind="release", provider="sandbox", spec={}, items=items)
    await journal.aclose()


async def _only(path: Path, job_id: str) -> None:
    """Check that the journal at ``path`` holds the job ``_one_job`` made, as it made it, and no other."""
    journal = Journal(path)
    assert [job.id for job in await journal.jobs()] == [job_id]
    assert await journal.counts(job_id) == {ItemState.SENDING: 1}
    await journal.aclose()


@pytest.mark.anyio
async def test_a_full_disk_is_said_so_and_the_journal_stays_whole(tmp_path: Path) -> None:
    # Before: "disk I/O error".
    with _tmpfs(tmp_path / "small", "512k") as disk:
        path = disk / "jobs.sqlite3"
        journal = Journal(path)
        kept = await _one_job(journal)
        await journal.aclose()
        filler = _fill(disk)
        await _no_room_for_a_job(path, r"jobs\.sqlite3': the disk is full \(\d+ (bytes|KiB) free\)$")
        filler.unlink()
        await _only(path, kept)


@pytest.mark.anyio
async def test_a_full_database_is_said_so_and_the_journal_stays_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same where no file system can be mounted: SQLite's own bound on the file's size makes it
    answer as it does on a full disk (SQLITE_FULL)."""
    path = tmp_path / "jobs.sqlite3"
    journal = Journal(path)
    kept = await _one_job(journal)
    await journal.aclose()
    with contextlib.closing(sqlite3.connect(path)) as db:
        pages = db.execute("PRAGMA page_count").fetchone()[0]
    setup = journal_module._setup

    def bounded(db: sqlite3.Connection) -> None:
        setup(db)
        db.execute(f"PRAGMA max_page_count = {pages + 2}")

    monkeypatch.setattr(journal_module, "_setup", bounded)
    await _no_room_for_a_job(path, r"jobs\.sqlite3': the disk is full$")
    monkeypatch.setattr(journal_module, "_setup", setup)
    await _only(path, kept)


@contextlib.contextmanager
def _read_only(folder: Path) -> Iterator[None]:
    """``folder`` read-only: a read-only mount as root (whom permissions do not stop), else its
    permissions and its files'."""
    if os.geteuid() == 0:
        done = subprocess.run(["mount", "-o", "remount,ro", str(folder)], capture_output=True, check=False)  # noqa: S603, S607
        assert done.returncode == 0, done.stderr
        yield
        return
    modes = {path: path.stat().st_mode for path in [folder, *folder.iterdir()]}
    for path in modes:
        path.chmod(0o555 if path.is_dir() else 0o444)
    try:
        yield
    finally:
        for path, mode in modes.items():
            path.chmod(mode)


@contextlib.contextmanager
def _writable_then_read_only(tmp_path: Path) -> Iterator[tuple[Path, Any]]:
    if os.geteuid() == 0:
        with _tmpfs(tmp_path / "disk", "1m") as disk:
            yield disk, _read_only
    else:
        disk = tmp_path / "disk"
        disk.mkdir()
        yield disk, _read_only


@pytest.mark.anyio
async def test_a_read_only_journal_is_said_so_and_stays_whole(tmp_path: Path) -> None:
    # Before: "unable to open database file".
    with _writable_then_read_only(tmp_path) as (disk, read_only):
        path = disk / "jobs.sqlite3"
        journal = Journal(path)
        await _one_job(journal)
        await journal.aclose()
        before = path.read_bytes()
        with read_only(disk):
            await _journal_refused(path, r"jobs\.sqlite3': read-only \(the file and its folder")
            assert path.read_bytes() == before
            assert sorted(item.name for item in disk.iterdir()) == ["jobs.sqlite3"]


# -- damaged records -------------------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("column", "value", "why"),
    [
        ("spec", "{not json", "its spec is not a JSON object"),
        ("spec", "[1, 2]", "its spec is not a JSON object"),
        ("state", "exploded", "its state 'exploded' is none a job has"),
        ("label", b"\x00", "wrong types"),  # a blob: SQLite keeps a number given to TEXT as text
    ],
)
async def test_a_damaged_job_is_said_so_and_the_others_read(
    tmp_path: Path, column: str, value: object, why: str
) -> None:
    # Before: JSONDecodeError (ValueError for a state), for every job of the journal.
    path = tmp_path / "jobs.sqlite3"
    journal = Journal(path)
    damaged = await journal.create(kind="release", provider="sandbox", spec={}, items=[(None, N1)])
    whole = await journal.create(kind="release", provider="sandbox", spec={}, items=[(None, N2)])
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.execute(f"UPDATE jobs SET {column} = ? WHERE id = ?", (value, damaged.id))  # noqa: S608 - the test's own
        db.commit()
    with pytest.raises(DamagedJob, match=f"job {damaged.id!r} is damaged") as refused:
        await journal.job(damaged.id)
    assert why in str(refused.value)
    assert isinstance(refused.value, nc.ConfigurationError)
    assert await journal.job_ids() == [damaged.id, whole.id]
    assert (await journal.job(whole.id)).id == whole.id
    await journal.aclose()


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("column", "value", "why"),
    [
        ("result", "{not json", "item 0 holds a result that is not JSON"),
        ("price", "cheap", "item 0 holds a price that is not a number"),
        ("state", "lost", "item 0 holds a value none the journal writes ('lost' is not a valid ItemState)"),
        ("price_basis", "haggled", "item 0 holds a value none the journal writes"),
    ],
)
async def test_a_damaged_item_is_said_so_by_its_report(
    tmp_path: Path, column: str, value: str, why: str
) -> None:
    # Before: JSONDecodeError, decimal.InvalidOperation or ValueError from report() and resume.
    path = tmp_path / "jobs.sqlite3"
    journal = Journal(path)
    job = await journal.create(kind="release", provider="sandbox", spec={}, items=[(None, N1), (None, N2)])
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.execute(f"UPDATE items SET {column} = ? WHERE seq = 0", (value,))  # noqa: S608 - the test's own
        db.commit()
    with pytest.raises(DamagedJob, match=f"job {job.id!r} is damaged") as refused:
        await report(journal, job.id)
    assert why in str(refused.value)
    assert [item.seq for item in await journal.items(job.id, after=0)] == [1]  # the others read
    await journal.aclose()


async def _job_with_a_lost_item(path: Path) -> tuple[Journal, Job]:
    """A journal whose job's one item (+1 number N1) holds a state none the journal writes."""
    journal = Journal(path)
    job = await journal.create(kind="purchase", provider="sandbox", spec={}, items=[(None, N1)])
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.execute("UPDATE items SET state = 'lost'")
        db.commit()
    return journal, job


@pytest.mark.anyio
async def test_an_item_of_no_known_state_is_said_so(tmp_path: Path) -> None:
    journal, job = await _job_with_a_lost_item(tmp_path / "jobs.sqlite3")
    with pytest.raises(DamagedJob, match="an item's state 'lost' is none an item has"):
        await journal.counts(job.id)
    with pytest.raises(DamagedJob, match="an item's state 'lost' is none an item has"):
        await journal.counts_by_provider(job.id)  # before: ValueError
    await journal.aclose()


@pytest.mark.anyio
@pytest.mark.parametrize("step", ["move", "pin", "pin_many"])
async def test_an_item_of_no_known_state_is_not_moved_and_said_so(tmp_path: Path, step: str) -> None:
    # Before: ValueError ("'lost' is not a valid ItemState") from the state machine's check.
    path = tmp_path / "jobs.sqlite3"
    journal, job = await _job_with_a_lost_item(path)
    steps: dict[str, Callable[[], Awaitable[object]]] = {
        "move": lambda: journal.move(job.id, 0, ItemState.SENDING),
        "pin": lambda: journal.pin(job.id, 0, N2),
        "pin_many": lambda: journal.pin_many(job.id, [(0, N2, None, None, None)]),
    }
    with pytest.raises(DamagedJob, match="item 0's state 'lost' is none an item has"):
        await steps[step]()
    with contextlib.closing(sqlite3.connect(path)) as db:
        assert db.execute("SELECT state, number FROM items").fetchall() == [("lost", N1)]
    await journal.aclose()
