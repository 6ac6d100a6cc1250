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
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from .._database import ThreadedDatabase, transaction
from .._extras import missing_extra
from ..errors import ConfigurationError, NumbersError

__all__ = ["PostgresDatabase", "is_postgres_url", "redacted", "transaction"]

_SCHEMES = ("postgresql://", "postgres://")
# Any constant: it only has to be the same in every worker.
_SCHEMA_LOCK = 0x6E756D62  # "numb"


def is_postgres_url(location: object) -> bool:
    return isinstance(location, str) and location.startswith(_SCHEMES)


def redacted(url: str) -> str:
    """The URL without its password (in the address or as a parameter), fit for messages and logs."""
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    if parts.password is None and all(key != "password" for key, _ in pairs):
        return url
    netloc = parts.netloc
    if parts.password is not None:
        netloc = f"{parts.username}:***@{netloc.rpartition('@')[2]}"
    query = urlencode([(key, "***" if key == "password" else value) for key, value in pairs], safe="/*")
    # Built by hand: urlunsplit turns postgresql:///jobs (a local socket) into postgresql:/jobs.
    fragment = f"#{parts.fragment}" if parts.fragment else ""
    return f"{parts.scheme}://{netloc}{parts.path}{'?' if query else ''}{query}{fragment}"


class _Connection:
    """A psycopg connection with the journal's ``?`` placeholders, shaped like sqlite3's."""

    def __init__(self, connection: Any) -> None:
        self._connection = connection

    def execute(self, query: str, parameters: Sequence[Any] = ()) -> Any:
        return self._connection.execute(query.replace("?", "%s"), parameters)

    def executemany(self, query: str, rows: Sequence[Sequence[Any]]) -> None:
        with self._connection.cursor() as cursor:
            cursor.executemany(query.replace("?", "%s"), rows)


class PostgresDatabase(ThreadedDatabase[_Connection]):
    """The database at ``url`` with ``migrations`` (the DDL of versions 1, 2, …) applied."""

    def __init__(self, url: str, *, migrations: Sequence[str], what: str, setting: str) -> None:
        self.url = url
        self._migrations = migrations
        self._what = what
        self._setting = setting
        super().__init__()
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
        except ImportError as exc:
            raise self._fail(str(missing_extra("a PostgreSQL journal", "postgres", exc))) from None
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

    def _failure(self, exc: Exception) -> NumbersError | None:
        import psycopg

        if isinstance(exc, psycopg.OperationalError):
            self._close()  # a connection lost is opened afresh by the next call
        if isinstance(exc, psycopg.Error):
            return self._fail(_first_line(exc))
        return None

    def _close(self) -> None:
        if self._raw is not None:
            with contextlib.suppress(Exception):
                self._raw.close()
        self._raw = self._connection = None


def _first_line(exc: BaseException) -> str:
    # psycopg's messages name the server and the user, never the password; the first line says it.
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
