"""A SQLite file with a versioned schema, used from worker threads one call at a time.

The sandbox's state and the bulk journal both live in one: created with its
directory, in WAL mode (readers in one process go on while another writes),
its schema created on first use, an older file migrated, and a file of a
newer version refused with a clear error.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

from ._database import Absent, ThreadedDatabase
from ._database import transaction as database_transaction
from .errors import ConfigurationError, NumbersError

__all__ = ["SqliteFile", "failure_text", "transaction"]

# The tables a schema's migrations make.
_CREATED = re.compile(r"CREATE TABLE (?:IF NOT EXISTS )?(\w+)", re.IGNORECASE)


class SqliteFile(ThreadedDatabase[sqlite3.Connection]):
    """``path`` with ``migrations`` applied (the DDL of versions 1, 2, …, kept in ``user_version``);
    ``error`` turns a sqlite3 error into the tree's; ``create=False``: a file not there is
    :class:`Absent`, not made."""

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
        create: bool = True,
    ) -> None:
        self.path = path
        self._create = create
        self._migrations = migrations
        self._tables = set(_CREATED.findall("\n".join(migrations)))
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
        if not self._create and not self.path.exists():
            raise Absent(f"{self._what} {str(self.path)!r}: no such file", setting=self._setting)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: no implicit transactions; callers open explicit ones.
        db = sqlite3.connect(self.path, timeout=self._timeout, isolation_level=None, check_same_thread=False)
        try:
            self._check_ours(db)  # before WAL mode or a table changes another application's file
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

    def _check_ours(self, db: sqlite3.Connection) -> None:
        """Refuse another application's SQLite file: one with tables but no schema version of ours,
        or with tables our schema does not have."""
        found = db.execute("PRAGMA user_version").fetchone()[0]
        if found > self._version:
            return  # a newer one of ours, whose tables this one does not know: _prepare says so
        tables = sorted(
            name
            for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if not name.startswith("sqlite_")  # SQLite's own (sqlite_sequence, sqlite_stat1)
        )
        others = [name for name in tables if name not in self._tables]
        if (tables and not found) or others:
            names = ", ".join(name[:40] for name in (others or tables)[:3])
            raise ConfigurationError(
                f"{self._what}: {str(self.path)!r} is a SQLite file of something else (its tables: "
                f"{names}{', …' if len(others or tables) > 3 else ''}), not a {self._what}: "
                "give another file",
                setting=self._setting,
            )

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


# Below this much free space, an I/O error writing a file is taken for a full disk: SQLite reports
# ENOSPC as one (SQLITE_IOERR_WRITE, _SHMSIZE, …) at least as often as SQLITE_FULL.
_NEARLY_FULL = 64 * 1024 * 1024


def failure_text(path: Path, exc: sqlite3.Error) -> str | None:
    """What a sqlite3 error on the file ``path`` comes from, in the user's terms: the file or its
    folder is read-only, its disk is full, it is no SQLite file; None when it is none of those."""
    name = getattr(exc, "sqlite_errorname", "")
    if name == "SQLITE_NOTADB":
        return "not a SQLite file"
    about_the_file = name.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_IOERR", "SQLITE_PERM"))
    if about_the_file and not _writable(path):
        # SQLite keeps its write-ahead log and its shared memory in files beside the file.
        return "read-only (the file and its folder must be writable)"
    if name == "SQLITE_FULL" or name.startswith("SQLITE_IOERR"):
        free = _free(path)
        if free is not None and free < _NEARLY_FULL:
            return f"the disk is full ({_size(free)} free)"
        if name == "SQLITE_FULL":  # and yet room on the disk: a quota, or a bound on the file's size
            return "the disk is full"
    return None


def _writable(path: Path) -> bool:
    """Whether this process may write the file and make files beside it (os.access sees both a
    read-only mount and permissions)."""
    return os.access(_folder(path), os.W_OK) and (not path.exists() or os.access(path, os.W_OK))


def _free(path: Path) -> int | None:
    """Bytes this process may still write on the disk holding ``path`` (None: not known)."""
    try:
        found = os.statvfs(_folder(path))
    except (OSError, AttributeError):  # AttributeError: no statvfs on Windows
        return None
    return found.f_bavail * found.f_frsize


def _folder(path: Path) -> Path:
    """The folder of ``path``, or the nearest one above it that exists."""
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return folder


def _size(count: int) -> str:
    if count < 1024:
        return f"{count} bytes"
    return f"{count // 1024} KiB" if count < 1024 * 1024 else f"{count // (1024 * 1024)} MiB"


@contextlib.contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[None]:
    # IMMEDIATE takes the write lock up front: a deferred transaction that reads
    # then writes can deadlock with another process doing the same.
    with database_transaction(db, "BEGIN IMMEDIATE"):
        yield
