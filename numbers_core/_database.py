"""A database used from worker threads, one call at a time, with its errors in the tree.

SQLite files and PostgreSQL databases alike: every call runs in a worker
thread, so that the event loop never waits on the disk or the network; one
connection serves one thread at a time, since it carries transaction state
that threads must not interleave.
"""

from __future__ import annotations

import abc
import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

import anyio.to_thread

from .errors import ConfigurationError, NumbersError

__all__ = ["Absent", "ThreadedDatabase", "transaction"]

T = TypeVar("T")
C = TypeVar("C")


class Absent(ConfigurationError):
    """No database of ours there yet (no file, no tables), where the caller asked that none be
    made: a command that only reads or changes what is there finds nothing, and makes nothing."""


class ThreadedDatabase(abc.ABC, Generic[C]):
    """One connection (of type ``C``), opened on first use, used by one thread at a time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    @abc.abstractmethod
    def _connect(self) -> C:
        """The connection, opened (and its schema prepared) if it is not yet."""

    @abc.abstractmethod
    def _failure(self, exc: Exception) -> NumbersError | None:
        """The tree's error for a driver's (None: not the driver's, raised as it is)."""

    @abc.abstractmethod
    def _close(self) -> None:
        """Close the connection if it is open; the next call opens it again."""

    def locked(self, work: Callable[[C], T]) -> T:
        """``work(connection)`` in this thread, alone on the connection; errors in the tree."""
        with self._lock:
            try:
                return work(self._connect())
            except NumbersError:
                raise
            except Exception as exc:
                failure = self._failure(exc)
                if failure is None:
                    raise
                raise failure from exc

    async def run(self, work: Callable[[C], T]) -> T:
        """``work(connection)`` in a worker thread."""
        return await anyio.to_thread.run_sync(self.locked, work)

    async def aclose(self) -> None:
        """Close the connection; the database can be used again afterwards."""

        def close() -> None:
            with self._lock:
                self._close()

        await anyio.to_thread.run_sync(close)


@contextlib.contextmanager
def transaction(db: Any, begin: str = "BEGIN") -> Iterator[None]:
    """A transaction on a connection that opens none of its own (autocommit)."""
    db.execute(begin)
    try:
        yield
    except BaseException:
        # SQLite ends the transaction itself on some errors (a full disk, an I/O error): a ROLLBACK
        # then fails ("no transaction is active") and hides the error that ended it.
        if getattr(db, "in_transaction", True):
            db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
