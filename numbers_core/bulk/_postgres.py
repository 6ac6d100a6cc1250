"""A PostgreSQL database holding the bulk journal, used from worker threads one call at a time.

psycopg 3's synchronous API, each call in a worker thread through anyio: its
asynchronous API runs on asyncio only (psycopg/psycopg#29), and the journal
must work under trio too. The journal's statements are written once, with
SQLite's ``?`` placeholders, and turned into psycopg's ``%s`` here; none of
them holds a literal ``?`` or ``%``.

The schema is versioned in a table of its own and created (or migrated) on
first use under an advisory lock, so that workers starting together do not
race; a schema newer than this library knows is refused with a clear error.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import anyio.to_thread

from ..errors import ConfigurationError, NumbersError

__all__ = ["PostgresDatabase", "is_postgres_url", "redacted"]

T = TypeVar("T")

_SCHEMES = ("postgresql://", "postgres://")
# Any constant: it only has to be the same in every worker.
_SCHEMA_LOCK = 0x6E756D62  # "numb"


def is_postgres_url(location: object) -> bool:
    return isinstance(location, str) and location.startswith(_SCHEMES)


def redacted(url: str) -> str:
    """The URL without its password, fit for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


class _Connection:
    """A psycopg connection with the journal's ``?`` placeholders, shaped like sqlite3's."""

    def __init__(self, connection: Any) -> None:
        self._connection = connection

    def execute(self, query: str, parameters: Sequence[Any] = ()) -> Any:
        return self._connection.execute(query.replace("?", "%s"), parameters)

    def executemany(self, query: str, rows: Sequence[Sequence[Any]]) -> None:
        with self._connection.cursor() as cursor:
            cursor.executemany(query.replace("?", "%s"), rows)


class PostgresDatabase:
    """The database at ``url`` with ``migrations`` (the DDL of versions 1, 2, …) applied."""

    def __init__(self, url: str, *, migrations: Sequence[str], what: str, setting: str) -> None:
        self.url = url
        self._migrations = migrations
        self._what = what
        self._setting = setting
        self._lock = threading.Lock()
        self._connection: _Connection | None = None
        self._raw: Any = None

    def __repr__(self) -> str:
        return f"<PostgresDatabase {redacted(self.url)!r}>"

    def _fail(self, message: str) -> ConfigurationError:
        return ConfigurationError(f"{self._what} {redacted(self.url)!r}: {message}", setting=self._setting)

    def _connect(self) -> _Connection:
        if self._connection is not None:
            return self._connection
        try:
            import psycopg
        except ImportError:
            raise self._fail(
                "a PostgreSQL journal needs psycopg: pip install 'numbers-core[postgres]'"
            ) from None
        # autocommit: no implicit transactions; the journal opens explicit ones, as with SQLite.
        raw = psycopg.connect(self.url, autocommit=True, connect_timeout=10)
        try:
            connection = _Connection(raw)
            with transaction(connection):
                self._prepare(connection)
        except BaseException:
            raw.close()
            raise
        self._raw, self._connection = raw, connection
        return connection

    def _prepare(self, db: _Connection) -> None:
        db.execute("SELECT pg_advisory_xact_lock(?)", (_SCHEMA_LOCK,))
        db.execute("CREATE TABLE IF NOT EXISTS numbers_schema (version INTEGER NOT NULL)")
        row = db.execute("SELECT max(version) FROM numbers_schema").fetchone()
        found = row[0] or 0
        known = len(self._migrations)
        if found > known:
            raise self._fail(
                f"has schema version {found}, this numbers-core reads version {known} "
                "(made by a newer numbers-core: upgrade to use it)"
            )
        for version in range(found + 1, known + 1):
            for statement in self._migrations[version - 1].split(";"):
                if statement.strip():
                    db.execute(statement)
            db.execute("INSERT INTO numbers_schema VALUES (?)", (version,))

    def locked(self, work: Callable[[Any], T]) -> T:
        """``work(connection)`` in this thread, alone on the connection; errors in the tree."""
        import psycopg

        with self._lock:
            try:
                return work(self._connect())
            except NumbersError:
                raise
            except psycopg.OperationalError as exc:
                self._drop()  # a connection lost is opened afresh by the next call
                raise self._fail(_first_line(exc)) from None
            except psycopg.Error as exc:
                raise self._fail(_first_line(exc)) from None

    def _drop(self) -> None:
        if self._raw is not None:
            with contextlib.suppress(Exception):
                self._raw.close()
        self._raw = self._connection = None

    async def run(self, work: Callable[[Any], T]) -> T:
        """``work(connection)`` in a worker thread."""
        return await anyio.to_thread.run_sync(self.locked, work)

    async def aclose(self) -> None:
        def close() -> None:
            with self._lock:
                self._drop()

        await anyio.to_thread.run_sync(close)


def _first_line(exc: BaseException) -> str:
    # psycopg's messages name the server and the user, never the password; the first line says it.
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


@contextlib.contextmanager
def transaction(db: Any) -> Iterator[None]:
    db.execute("BEGIN")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
