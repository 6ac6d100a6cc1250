"""A SQLite file with a versioned schema, used from worker threads one call at a time.

The sandbox's state and the bulk journal both live in one: created with its
directory, in WAL mode (readers in one process go on while another writes),
its schema created on first use, an older file migrated, and a file of a
newer version refused with a clear error.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

from ._database import ThreadedDatabase
from ._database import transaction as database_transaction
from .errors import ConfigurationError, NumbersError

__all__ = ["SqliteFile", "transaction"]


class SqliteFile(ThreadedDatabase[sqlite3.Connection]):
    """``path`` with ``migrations`` applied (the DDL of versions 1, 2, …, kept in ``user_version``);
    ``error`` turns a sqlite3 error into the tree's."""

    def __init__(
        self,
        path: Path,
        *,
        migrations: tuple[str, ...],
        timeout: float,
        what: str,
        setting: str,
        error: Callable[[sqlite3.Error], NumbersError],
        setup: Callable[[sqlite3.Connection], None] | None = None,
    ) -> None:
        self.path = path
        self._migrations = migrations
        self._version = len(migrations)
        self._timeout = timeout
        self._what = what
        self._setting = setting
        self._error = error
        self._setup = setup
        super().__init__()
        self._connection: sqlite3.Connection | None = None

    def _connect(self) -> sqlite3.Connection:
        if self._connection is not None:
            return self._connection
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: no implicit transactions; callers open explicit ones.
        db = sqlite3.connect(self.path, timeout=self._timeout, isolation_level=None, check_same_thread=False)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            if self._setup is not None:
                self._setup(db)
            with transaction(db):
                self._prepare(db)
        except BaseException:
            db.close()
            raise
        self._connection = db
        return db

    def _prepare(self, db: sqlite3.Connection) -> None:
        found = db.execute("PRAGMA user_version").fetchone()[0]
        if found == self._version:
            return
        if found > self._version:
            raise ConfigurationError(
                f"{self._what}: {str(self.path)!r} has schema version {found}, this numbers-core reads "
                f"version {self._version} (made by a newer numbers-core: upgrade to use it)",
                setting=self._setting,
            )
        for migration in self._migrations[found:]:
            for statement in migration.split(";"):
                if statement.strip():
                    db.execute(statement)
        db.execute(f"PRAGMA user_version = {self._version}")

    def _failure(self, exc: Exception) -> NumbersError | None:
        if isinstance(exc, sqlite3.Error):
            return self._error(exc)
        if isinstance(exc, OSError):
            return ConfigurationError(
                f"{self._what}: cannot use {str(self.path)!r}: {exc.strerror or exc}", setting=self._setting
            )
        return None

    def _close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


@contextlib.contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[None]:
    # IMMEDIATE takes the write lock up front: a deferred transaction that reads
    # then writes can deadlock with another process doing the same.
    with database_transaction(db, "BEGIN IMMEDIATE"):
        yield
