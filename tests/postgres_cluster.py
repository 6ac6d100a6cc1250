"""A real PostgreSQL server for the tests: Debian's binaries, a cluster in a temporary directory.

``initdb`` refuses to run as root, so as root the cluster belongs to the
``postgres`` user Debian's package creates (or ``$NUMBERS_TEST_PG_USER``).
The server listens on a Unix socket in the cluster's directory only, with
trust authentication: nothing outside this machine's tests can reach it.
:func:`stop` and :func:`start` take it down and bring it back, as a restart or
a failover would, for the tests of workers that must outlive one.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

__all__ = ["binaries", "cluster", "end_sessions", "missing", "start", "stop"]


def binaries() -> Path | None:
    """The directory of ``initdb`` and ``pg_ctl``, newest version first; None when absent."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    if found:
        return Path(found[0]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


def _runuser() -> str | None:
    """util-linux's runuser, in sbin: a root shell's PATH need not hold it (cron, env -i, CI)."""
    return shutil.which("runuser", path=os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"]))


def missing() -> str | None:
    """Why the PostgreSQL tests cannot run here, in one line; None when they can."""
    if binaries() is None:
        return "PostgreSQL's server binaries (initdb, pg_ctl) are not installed: apt install postgresql"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed: pip install 'numbers-core[postgres]'"
    if os.geteuid() == 0:
        user = os.environ.get("NUMBERS_TEST_PG_USER", "postgres")
        try:
            pwd.getpwnam(user)
        except KeyError:
            return (
                f"running as root and there is no user {user!r} to own the test cluster (initdb refuses root)"
            )
        if _runuser() is None:
            return "running as root, and runuser (util-linux) is not installed to run initdb as another user"
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _as_owner(*command: str) -> None:
    """``command`` as the cluster's owner: this user, or (as root) the ``postgres`` user."""
    prefix: list[str] = []
    if os.geteuid() == 0:
        user = os.environ.get("NUMBERS_TEST_PG_USER", "postgres")
        prefix = [_runuser() or "runuser", "-u", user, "--"]
    subprocess.run([*prefix, *command], check=True, capture_output=True, text=True)  # noqa: S603


def _pg_ctl(directory: Path, *arguments: str) -> None:
    bin_dir = binaries()
    assert bin_dir is not None, missing()
    _as_owner(str(bin_dir / "pg_ctl"), "-D", str(directory / "data"), *arguments)


def _directory(url: str) -> Path:
    """The cluster's directory, from the URL of any of its databases (its socket's ``host``)."""
    return Path(parse_qs(urlsplit(url).query)["host"][0])


def stop(url: str) -> None:
    """Stop the server of ``url`` as a restart does (``-m fast``: its sessions are ended)."""
    _pg_ctl(_directory(url), "-m", "fast", "-w", "stop")


def start(url: str) -> None:
    """Start the server of ``url`` again, as it was."""
    directory = _directory(url)
    options = (directory / "options").read_text()
    _pg_ctl(directory, "-o", options, "-l", str(directory / "log"), "-w", "start")


def end_sessions(url: str) -> int:
    """End every other session on the database of ``url`` (``pg_terminate_backend``); how many."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as admin:
        ended = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
    return len(ended)


@contextlib.contextmanager
def cluster() -> Iterator[str]:
    """A running server; yields the URL of its ``postgres`` database (superuser ``numbers``)."""
    bin_dir = binaries()
    assert bin_dir is not None, missing()
    directory = Path(tempfile.mkdtemp(prefix="numbers-pg-"))
    if os.geteuid() == 0:
        owner = pwd.getpwnam(os.environ.get("NUMBERS_TEST_PG_USER", "postgres"))
        os.chown(directory, owner.pw_uid, owner.pw_gid)
    data, port = directory / "data", _free_port()
    _as_owner(
        str(bin_dir / "initdb"), "-D", str(data), "-U", "numbers", "--auth=trust", "-E", "UTF8", "--no-sync"
    )
    options = f"-k {directory} -p {port} -c listen_addresses='' -c fsync=off -c max_connections=200"
    (directory / "options").write_text(options)
    url = f"postgresql://numbers@/postgres?host={directory}&port={port}"
    start(url)
    try:
        yield url
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            _pg_ctl(directory, "-m", "immediate", "-w", "stop")
        shutil.rmtree(directory, ignore_errors=True)
