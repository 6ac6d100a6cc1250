"""The SQLite store: a real file, reopened, shared, locked, or not a database at all."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import anyio
import pytest
from numbers_core import (
    ActiveNumber,
    Address,
    ConfigurationError,
    NumberConfig,
    NumberStatus,
    ProviderUnavailableError,
)
from numbers_core.sandbox._sqlite import _SCHEMA, SqliteStore
from numbers_core.sandbox._store import ListFilter

pytestmark = pytest.mark.anyio


def owned(e164: str, account: str = "alice") -> ActiveNumber:
    now = datetime.now(UTC)
    return ActiveNumber(
        phone_number=e164,
        id="SBX" + e164[1:],
        provider="sandbox",
        account_id=account,
        status=NumberStatus.ACTIVE,
        created_at=now,
        updated_at=now,
    )


async def test_the_file_and_its_directories_are_created(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "sandbox.db"
    store = SqliteStore(path, timeout=5)
    assert not path.exists()  # nothing happens before the first call
    assert await store.claim(owned("+14155550101"))
    await store.aclose()
    assert path.is_file()


async def test_state_survives_closing_and_reopening(tmp_path: Path) -> None:
    path = tmp_path / "sandbox.db"
    first = SqliteStore(path, timeout=5)
    number = owned("+14155550101")
    await first.claim(number)
    await first.aclose()
    await first.aclose()  # twice is fine

    second = SqliteStore(path, timeout=5)
    assert await second.get("+14155550101", "alice") == number
    assert not await second.claim(owned("+14155550101", account="bob"))
    await second.aclose()
    # A closed store opens again when used.
    assert await first.get("+14155550101", "alice") == number
    await first.aclose()


async def test_two_stores_on_one_file_see_each_other_at_once(tmp_path: Path) -> None:
    path = tmp_path / "sandbox.db"
    one, two = SqliteStore(path, timeout=5), SqliteStore(path, timeout=5)
    await one.claim(owned("+14155550101"))
    assert await two.taken(["+14155550101"]) == {"+14155550101"}
    assert await two.remove("+14155550101", "alice")
    assert await one.get("+14155550101", "alice") is None

    winners: list[str] = []

    async def claim(store: SqliteStore, account: str) -> None:
        if await store.claim(owned("+14155550102", account=account)):
            winners.append(account)

    async with anyio.create_task_group() as tasks:
        for n in range(10):
            tasks.start_soon(claim, (one, two)[n % 2], f"account-{n}")
    assert len(winners) == 1
    for store in (one, two):
        [row] = await store.page(winners[0], 0, 10, ListFilter())
        assert row.e164 == "+14155550102"
    await one.aclose()
    await two.aclose()


async def test_a_file_that_is_not_a_database_is_a_configuration_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("these are my notes, not a sandbox\n" * 100)
    store = SqliteStore(path, timeout=5)
    with pytest.raises(ConfigurationError) as caught:
        await store.taken(["+14155550101"])
    assert caught.value.setting == "path"
    assert "notes.txt" in str(caught.value)


async def test_a_path_under_a_file_is_a_configuration_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    store = SqliteStore(blocker / "sandbox.db", timeout=5)
    with pytest.raises(ConfigurationError) as caught:
        await store.claim(owned("+14155550101"))
    assert caught.value.setting == "path"


async def test_a_database_of_a_newer_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "sandbox.db"
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version = 99")
    db.close()
    with pytest.raises(ConfigurationError, match="schema version 99"):
        await SqliteStore(path, timeout=5).get("+14155550101", "alice")


async def test_a_file_locked_by_another_process_for_too_long_is_unavailable(tmp_path: Path) -> None:
    path = tmp_path / "sandbox.db"
    store = SqliteStore(path, timeout=0.05)
    await store.claim(owned("+14155550101"))
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(ProviderUnavailableError) as caught:
            await store.claim(owned("+14155550102"))
        assert caught.value.provider == "sandbox"
    finally:
        other.execute("ROLLBACK")
        other.close()
    # Once the lock is gone, the same store works again.
    assert await store.claim(owned("+14155550102"))
    await store.aclose()


async def test_a_file_of_version_1_gains_address_books_and_keeps_its_numbers(tmp_path: Path) -> None:
    path = tmp_path / "sandbox.db"
    number = owned("+14155550101")
    # As version 1 kept a number: its JSON has none of the fields added since.
    record = number.model_dump_json(exclude={"emergency", "compliance"})
    with sqlite3.connect(path) as db:
        db.executescript(_SCHEMA)  # version 1: before address books
        db.execute(
            "INSERT INTO numbers (e164, account_id, number_type, iso_country, friendly_name, national, "
            "record) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (number.phone_number, "alice", "unknown", None, None, "4155550101", record),
        )
        db.execute("PRAGMA user_version = 1")
    db.close()
    store = SqliteStore(path, timeout=5)
    assert await store.get("+14155550101", "alice") == number
    address = Address(id="AD1", street="1 Main St", locality="Austin", region="TX", country="US")
    await store.add_address("alice", "AD1", address)
    assert await store.get_address("alice", "AD1") == address
    assert await store.get_address("bob", "AD1") is None
    await store.aclose()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (2,)
    db.close()


async def test_an_address_a_number_uses_is_kept(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "sandbox.db", timeout=5)
    address = Address(id="AD1", street="1 Main St", locality="Austin", region="TX", country="US")
    await store.add_address("alice", "AD1", address)
    await store.claim(
        owned("+14155550101", account="bob").model_copy(
            update={"config": NumberConfig(emergency_address_id="AD1")}
        )
    )
    assert await store.remove_address("alice", "AD1") == "in-use"  # whoever's number it is
    assert await store.remove_address("bob", "AD1") == "missing"
    await store.remove("+14155550101", "bob")
    assert await store.remove_address("alice", "AD1") == "removed"
    assert await store.get_address("alice", "AD1") is None
    await store.aclose()
