"""Shared fixtures. Every async test runs once under asyncio and once under trio.

Mark async tests with ``pytest.mark.anyio`` (or set ``pytestmark`` in the
module); the ``anyio_backend`` fixture below parametrizes them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """No test reads the developer's own config, data or cache directory or NUMBERS_* variables."""
    import os

    for name in list(os.environ):
        if name.startswith("NUMBERS_"):
            monkeypatch.delenv(name)
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.chdir(home)


@pytest.fixture(autouse=True)
def _emulator_answers_checked(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every emulator a test makes keeps its answers, and each 2xx one must fit the carrier's documents."""
    import sys

    module = sys.modules.get("numbers_core.emulator._emulator")
    if module is None:  # no test module of this run uses the emulators
        yield
        return
    made: list[Any] = []
    original = module.Emulator.__init__

    def recording(self: Any, *args: Any, **options: Any) -> None:
        original(self, *args, **{**options, "record": True})
        made.append(self)

    monkeypatch.setattr(module.Emulator, "__init__", recording)
    yield
    sys.path.insert(0, str(Path(__file__).parent / "providers"))
    from emulated import check

    for emulator in made:
        for exchange in emulator.exchanges:
            check(emulator.dialect.name, exchange)


@pytest.fixture
def install_distribution(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> Callable[..., Path]:
    """Make a distribution visible to importlib.metadata, as installing it would.

    ``install_distribution("acme-numbers", {"acme": "acme_numbers:Acme"}, modules={"acme_numbers": src})``
    writes ``acme_numbers-1.0.dist-info`` (METADATA, entry_points.txt in the
    ``numbers_core.providers`` group) and the modules into a fresh directory put
    first on sys.path; everything is undone after the test.
    """
    import sys

    def install(name: str, providers: dict[str, str], *, modules: dict[str, str] | None = None) -> Path:
        root = tmp_path_factory.mktemp("site")
        info = root / f"{name.replace('-', '_')}-1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
        lines = [f"{key} = {value}" for key, value in providers.items()]
        (info / "entry_points.txt").write_text("[numbers_core.providers]\n" + "\n".join(lines) + "\n")
        for module, source in (modules or {}).items():
            (root / f"{module}.py").write_text(source)
            monkeypatch.delitem(sys.modules, module, raising=False)
        monkeypatch.syspath_prepend(str(root))
        return root

    return install


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A real PostgreSQL server for the session (tests/postgres_cluster.py); skipped without one."""
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    import postgres_cluster

    reason = postgres_cluster.missing()
    if reason is not None:
        pytest.skip(reason)
    with postgres_cluster.cluster() as url:
        yield url


@pytest.fixture
def postgres_url(postgres_server: str) -> str:
    """The URL of a new, empty database on the test server."""
    import uuid

    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    return postgres_server.replace("/postgres?", f"/{name}?")


@pytest.fixture
def rows_read(monkeypatch: pytest.MonkeyPatch) -> Callable[[], int]:
    """How many owned numbers an emulator's world has read back from its store since the fixture
    was asked for, one at a time: the work a request costs, as a count."""
    from numbers_core.sandbox._store import Row

    read = 0
    number = Row.number

    def counted(row: Row) -> Any:
        nonlocal read
        read += 1
        return number(row)

    monkeypatch.setattr(Row, "number", counted)
    return lambda: read
