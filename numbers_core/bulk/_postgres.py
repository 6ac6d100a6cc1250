"""A PostgreSQL database holding the bulk journal, used from worker threads one call at a time.

psycopg 3's synchronous API, each call in a worker thread through anyio: its
asynchronous API runs on asyncio only (psycopg/psycopg#29), and the journal
must work under trio too. The journal's statements are written once, with
SQLite's ``?`` placeholders, and turned into psycopg's ``%s`` here; none of
them holds a literal ``?`` or ``%``.

The schema is versioned in a table of its own and created (or migrated) on
first use under an advisory lock, so that workers starting together do not
race; a schema newer than this library knows is refused with a clear error.

A database out of reach (the connection lost, the server restarting, a
failover, a deadlock between workers) is told apart from one that refuses
this journal for good (a wrong password, a database that does not exist): the
first is ``unavailable`` and worth trying again, the second a configuration
error. A transaction whose COMMIT was sent and never answered may or may not
have taken effect; its id is kept (:attr:`PostgresDatabase.lost_commit`) so
that, once the database is back, :func:`commit_status` says which.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from .._database import Absent, ThreadedDatabase
from .._database import transaction as database_transaction
from .._extras import missing_extra
from ..errors import ConfigurationError, NumbersError

__all__ = ["PostgresDatabase", "commit_status", "is_postgres_url", "redacted", "transaction"]

_SCHEMES = ("postgresql://", "postgres://")
# Any constant: it only has to be the same in every worker.
_SCHEMA_LOCK = 0x6E756D62  # "numb"
# What a server that answered says when it refuses this journal for good, in libpq's words (a
# refusal at connection time comes with no SQLSTATE): any other failure to connect (refused,
# timed out, "the database system is starting up", "too many clients") is the database out of reach.
_REFUSED = (
    "authentication failed",
    "password",
    "does not exist",
    "pg_hba.conf",
    "permission denied",
    "invalid",
    "certificate",
)
# SQLSTATE classes of a statement's failure that say nothing against the statement itself: the
# connection (08), the server going away or not ready (57P), resources (53), a deadlock or
# serialization failure between workers (40), a read-only server, a failover's old primary (25006).
_UNAVAILABLE = ("08", "57P", "53", "40", "25006")


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
        #: the id of the transaction whose COMMIT is being sent (None: none, or it wrote nothing)
        self.committing: int | None = None

    def execute(self, query: str, parameters: Sequence[Any] = ()) -> Any:
        return self._connection.execute(query.replace("?", "%s"), parameters)

    def executemany(self, query: str, rows: Sequence[Sequence[Any]]) -> None:
        with self._connection.cursor() as cursor:
            cursor.executemany(query.replace("?", "%s"), rows)


class PostgresDatabase(ThreadedDatabase[_Connection]):
    """The database at ``url`` with ``migrations`` (the DDL of versions 1, 2, …) applied.

    ``unavailable`` makes the error for a database out of reach, from its one-line message.
    """

    def __init__(
        self,
        url: str,
        *,
        migrations: Sequence[str],
        what: str,
        setting: str,
        unavailable: Callable[[str], NumbersError],
        create: bool = True,
    ) -> None:
        self.url = url
        self._create = create
        self._migrations = migrations
        self._what = what
        self._setting = setting
        self._unavailable = unavailable
        super().__init__()
        self._connection: _Connection | None = None
        self._raw: Any = None
        #: the transaction whose COMMIT went unanswered when the connection was lost (None: none)
        self.lost_commit: int | None = None

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
        if not self._create and db.execute("SELECT to_regclass('numbers_schema')").fetchone()[0] is None:
            raise Absent(
                f"{self._what} {redacted(self.url)!r}: the database holds no {self._what} yet",
                setting=self._setting,
            )
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

        if not isinstance(exc, psycopg.Error):
            return None
        connecting = self._connection is None
        if _out_of_reach(exc, connecting=connecting):
            if self._connection is not None and self._connection.committing is not None:
                self.lost_commit = self._connection.committing  # asked about once the database is back
            self._close()  # opened afresh by the next call
            return self._unavailable(f"{self._what} {redacted(self.url)!r}: {_first_line(exc)}")
        if isinstance(exc, psycopg.OperationalError):
            self._close()
        return self._fail(_first_line(exc))

    def _close(self) -> None:
        if self._raw is not None:
            with contextlib.suppress(Exception):
                self._raw.close()
        self._raw = self._connection = None


def _out_of_reach(exc: Exception, *, connecting: bool) -> bool:
    """Whether psycopg's ``exc`` says the database is out of reach for now, not this journal wrong."""
    import psycopg

    if not isinstance(exc, psycopg.Error):
        return False
    if connecting:
        message = str(exc).lower()
        return isinstance(exc, psycopg.OperationalError) and not any(word in message for word in _REFUSED)
    state: str | None = exc.sqlstate
    if state is None:  # no answer from the server: the connection was lost
        return isinstance(exc, psycopg.OperationalError)
    return state.startswith(_UNAVAILABLE)


@contextlib.contextmanager
def transaction(db: _Connection) -> Iterator[None]:
    """A transaction whose id is known while its COMMIT is sent: should the connection be lost
    before the answer, whether it took effect can be asked once the database is back."""
    db.committing = None
    with database_transaction(db):
        yield
        # NULL when the transaction wrote nothing: then it does not matter whether it committed.
        db.committing = db.execute("SELECT txid_current_if_assigned()").fetchone()[0]
    db.committing = None


def commit_status(db: _Connection, xid: int) -> bool | None:
    """Whether the transaction ``xid`` committed; None while it is still open (a connection lost on
    this side only, whose server end has not noticed yet)."""
    status = db.execute("SELECT txid_status(?)", (xid,)).fetchone()[0]
    return None if status == "in progress" else status == "committed"


def _first_line(exc: BaseException) -> str:
    # psycopg's messages name the server and the user, never the password; the first line says it.
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
