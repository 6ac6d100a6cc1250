"""Ownership state and address books in a SQLite file, shared by every process that opens it.

The CLI runs ``numbers buy`` and ``numbers list`` as separate processes, and
two programs may use one sandbox file at once: every change is one statement
or one ``BEGIN IMMEDIATE`` transaction, so SQLite's file locking keeps them
consistent. Calls run in a worker thread because waiting for another
process's lock (up to the ``timeout`` setting) must not stall the event loop.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path

from .._models import ActiveNumber, Address
from .._sqlite import SqliteFile, transaction
from ..errors import ConfigurationError, NumbersError, ProviderUnavailableError
from ._store import AddressRow, Change, ListFilter, Removal, Row, Store

__all__ = ["SqliteStore"]

_SCHEMA = """
CREATE TABLE numbers (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,  -- AUTOINCREMENT: never reused, list cursors stay valid
    e164 TEXT NOT NULL UNIQUE,
    account_id TEXT NOT NULL,
    number_type TEXT NOT NULL,
    iso_country TEXT,
    friendly_name TEXT,
    national TEXT NOT NULL,
    record TEXT NOT NULL
);
CREATE INDEX numbers_by_account ON numbers (account_id, seq);
"""
# Version 2: each account's address book.
_ADDRESSES = """
CREATE TABLE addresses (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: address page cursors stay valid
    id TEXT NOT NULL UNIQUE,
    account_id TEXT NOT NULL,
    record TEXT NOT NULL
);
CREATE INDEX addresses_by_account ON addresses (account_id, seq);
"""
# A number uses an address it was bought, or registered for emergencies, under (as uses_address).
_USED = (
    "SELECT 1 FROM numbers WHERE json_extract(record, '$.config.compliance.address_id') = ?1 "
    "OR json_extract(record, '$.config.emergency_address_id') = ?1 LIMIT 1"
)
_COLUMNS = "seq, e164, account_id, number_type, iso_country, friendly_name, national, record"

# Result codes (the low byte of extended ones) meaning the file itself is unusable.
_BAD_FILE = {
    3,  # SQLITE_PERM
    8,  # SQLITE_READONLY
    11,  # SQLITE_CORRUPT
    14,  # SQLITE_CANTOPEN
    26,  # SQLITE_NOTADB
}


def _glob(pattern: str) -> str:
    # ``contains`` uses ``*`` for one digit; GLOB's one-character wildcard is ``?``.
    return f"*{pattern.replace('*', '?')}*"


class SqliteStore(Store):
    """Ownership state in the SQLite file at ``path`` (created with its parent directories)."""

    def __init__(self, path: Path, *, timeout: float) -> None:
        self.path = path
        self._file = SqliteFile(
            path,
            migrations=(_SCHEMA, _ADDRESSES),
            timeout=timeout,
            what="sandbox",
            setting="path",
            error=self._error,
            setup=lambda db: db.create_function("casefold", 1, _casefold, deterministic=True),
        )
        self._run = self._file.run

    def _error(self, exc: sqlite3.Error) -> NumbersError:
        code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
        if code in _BAD_FILE:
            return ConfigurationError(
                f"sandbox: {str(self.path)!r} is not a usable sandbox database ({exc})", setting="path"
            )
        return ProviderUnavailableError(
            f"the sandbox database is unavailable ({exc})", provider="sandbox", code="database-unavailable"
        )

    async def aclose(self) -> None:
        await self._file.aclose()

    # -- the store ------------------------------------------------------------------

    async def taken(self, numbers: Sequence[str]) -> set[str]:
        def work(db: sqlite3.Connection) -> set[str]:
            marks = ", ".join("?" * len(numbers))
            rows = db.execute(f"SELECT e164 FROM numbers WHERE e164 IN ({marks})", tuple(numbers))  # noqa: S608 - only placeholders
            return {e164 for (e164,) in rows}

        return await self._run(work) if numbers else set()

    async def generation(self) -> int:
        def work(db: sqlite3.Connection) -> int:
            # AUTOINCREMENT keeps the last seq handed out here: no scan of the table.
            found = db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'numbers'").fetchone()
            return int(found[0]) if found else 0

        return await self._run(work)

    async def claim(self, number: ActiveNumber) -> bool:
        row = Row.of(0, number)

        def work(db: sqlite3.Connection) -> bool:
            # One statement: atomic across processes, and the UNIQUE e164 decides the race.
            cursor = db.execute(
                "INSERT OR IGNORE INTO numbers "
                "(e164, account_id, number_type, iso_country, friendly_name, national, record) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    row.e164,
                    row.account_id,
                    row.number_type,
                    row.iso_country,
                    row.friendly_name,
                    row.national,
                    row.record,
                ),
            )
            return cursor.rowcount == 1

        return await self._run(work)

    async def get(self, e164: str, account_id: str) -> ActiveNumber | None:
        def work(db: sqlite3.Connection) -> ActiveNumber | None:
            found = _owned(db, e164, account_id)
            return found.number() if found is not None else None

        return await self._run(work)

    async def update(self, e164: str, account_id: str, change: Change) -> ActiveNumber | None:
        def work(db: sqlite3.Connection) -> ActiveNumber | None:
            # The write lock is held from before the read: no other process can
            # change the row in between.
            with transaction(db):
                found = _owned(db, e164, account_id)
                if found is None:
                    return None
                changed = change(found.number())
                row = Row.of(found.seq, changed)
                db.execute(
                    "UPDATE numbers SET account_id = ?, friendly_name = ?, record = ? WHERE seq = ?",
                    (row.account_id, row.friendly_name, row.record, row.seq),
                )
                return changed

        return await self._run(work)

    async def accounts(self) -> dict[str, int]:
        def work(db: sqlite3.Connection) -> dict[str, int]:
            rows = db.execute("SELECT account_id, count(*) FROM numbers GROUP BY account_id")
            return dict(rows.fetchall())

        return await self._run(work)

    async def clear(self) -> None:
        def work(db: sqlite3.Connection) -> None:
            with transaction(db):
                db.execute("DELETE FROM numbers")
                db.execute("DELETE FROM addresses")

        await self._run(work)

    async def remove(self, e164: str, account_id: str) -> bool:
        def work(db: sqlite3.Connection) -> bool:
            cursor = db.execute("DELETE FROM numbers WHERE e164 = ? AND account_id = ?", (e164, account_id))
            return cursor.rowcount == 1

        return await self._run(work)

    async def page(self, account_id: str, after: int, size: int, where: ListFilter) -> list[Row]:
        clauses = ["account_id = ?", "seq > ?"]
        values: list[object] = [account_id, after]
        if where.contains is not None:
            clauses.append("(national GLOB ? OR substr(e164, 2) GLOB ?)")
            values += [_glob(where.contains)] * 2
        if where.friendly_name is not None:
            clauses.append("casefold(friendly_name) = ?")
            values.append(where.friendly_name.casefold())
        if where.number_type is not None:
            clauses.append("number_type = ?")
            values.append(where.number_type.value)
        if where.country is not None:
            clauses.append("(iso_country IS NULL OR iso_country = ?)")
            values.append(where.country)
        values.append(size)
        query = f"SELECT {_COLUMNS} FROM numbers WHERE {' AND '.join(clauses)} ORDER BY seq LIMIT ?"  # noqa: S608 - fixed clauses

        def work(db: sqlite3.Connection) -> list[Row]:
            return [Row(*columns) for columns in db.execute(query, values).fetchall()]

        return await self._run(work)

    # -- address books ---------------------------------------------------------------------

    async def add_address(self, account_id: str, address_id: str, address: Address) -> None:
        record = address.model_dump_json()

        def work(db: sqlite3.Connection) -> None:
            db.execute(
                "INSERT INTO addresses (id, account_id, record) VALUES (?, ?, ?)",
                (address_id, account_id, record),
            )

        await self._run(work)

    async def get_address(self, account_id: str, address_id: str) -> Address | None:
        def work(db: sqlite3.Connection) -> str | None:
            found = db.execute(
                "SELECT record FROM addresses WHERE id = ? AND account_id = ?", (address_id, account_id)
            ).fetchone()
            return found[0] if found is not None else None

        record = await self._run(work)
        return Address.model_validate_json(record) if record is not None else None

    async def address_page(self, account_id: str, after: int, size: int) -> list[AddressRow]:
        def work(db: sqlite3.Connection) -> list[AddressRow]:
            rows = db.execute(
                "SELECT seq, id, account_id, record FROM addresses WHERE account_id = ? AND seq > ? "
                "ORDER BY seq LIMIT ?",
                (account_id, after, size),
            )
            return [AddressRow(*columns) for columns in rows.fetchall()]

        return await self._run(work)

    async def remove_address(self, account_id: str, address_id: str) -> Removal:
        def work(db: sqlite3.Connection) -> Removal:
            # One transaction: no number can be stored using the address between the look and the delete.
            with transaction(db):
                found = db.execute(
                    "SELECT 1 FROM addresses WHERE id = ? AND account_id = ?", (address_id, account_id)
                ).fetchone()
                if found is None:
                    return "missing"
                if db.execute(_USED, (address_id,)).fetchone() is not None:
                    return "in-use"
                db.execute("DELETE FROM addresses WHERE id = ?", (address_id,))
                return "removed"

        return await self._run(work)


def _owned(db: sqlite3.Connection, e164: str, account_id: str) -> Row | None:
    found = db.execute(
        f"SELECT {_COLUMNS} FROM numbers WHERE e164 = ? AND account_id = ?",  # noqa: S608 - fixed columns
        (e164, account_id),
    ).fetchone()
    return Row(*found) if found is not None else None


def _casefold(text: str | None) -> str | None:
    return text.casefold() if text is not None else None
