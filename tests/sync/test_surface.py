"""The blocking surface is the async one: every method has its twin, with the same parameters,
for Python and for mypy, and a method added to the async side gets its twin without a copy."""

from __future__ import annotations

import collections.abc
import inspect
import re
import subprocess
import sys
import typing
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import numbers_core as nc
import numbers_core.bulk
import numbers_core.sync.bulk
import pytest
from numbers_core import sync
from numbers_core.sandbox import SandboxProvider
from numbers_core.sync._portal import CALL, ITERATE, Twins, surface

ROOT = Path(__file__).resolve().parents[2]


def _async_surface(cls: type) -> dict[str, str]:
    """Written out here rather than taken from the library: every public method of ``cls`` that
    is a coroutine function, an async generator function, or returns an async iterable."""
    found = {}
    for name, member in inspect.getmembers(cls):
        if name.startswith("_") or name == "aclose" or not inspect.isfunction(member):
            continue
        if inspect.iscoroutinefunction(member):
            found[name] = CALL
            continue
        if inspect.isasyncgenfunction(member):
            found[name] = ITERATE
            continue
        # Strict: a return annotation that cannot be resolved fails here, not silently.
        returns = typing.get_type_hints(
            type("Returns", (), {"__annotations__": {"return": member.__annotations__.get("return")}}),
            globalns=member.__globals__,
        )["return"]
        origin = typing.get_origin(returns) or returns
        if isinstance(origin, type) and issubclass(origin, collections.abc.AsyncIterable):
            found[name] = ITERATE
    return found


def test_every_public_async_method_of_provider_has_a_blocking_twin_with_its_parameters() -> None:
    methods = _async_surface(nc.Provider)
    # The optional operations and the batches are among them, not only the core six.
    assert {"search", "purchase_any", "list", "transfer", "purchase_many", "wait_provisioned"} <= set(methods)
    assert surface(nc.Provider) == methods
    for name in methods:
        twin = getattr(sync.BlockingProvider, name)
        assert inspect.signature(twin).parameters == inspect.signature(getattr(nc.Provider, name)).parameters
        assert not inspect.iscoroutinefunction(twin), name


def test_every_twin_is_declared_so_that_mypy_sees_it() -> None:
    # complete() made a twin for any method without a declaration: it works, but is untyped.
    undeclared = sync._TWINS.undeclared
    lines = [f"{name} = _TWINS.call(lambda carrier: carrier.{name})" for name in undeclared]
    assert not undeclared, "declare in BlockingProvider: " + "; ".join(lines)


def test_a_twin_calls_the_adapters_own_method_and_returns_what_its_coroutine_does() -> None:
    with sync.connect("sandbox") as carrier:
        found = carrier.search(area_code="415", limit=2)
        bound = inspect.signature(carrier.search)
    assert [type(n) for n in found] == [nc.AvailableNumber] * 2
    assert bound == inspect.signature(nc.connect("sandbox").search)
    assert "without await" in (sync.BlockingProvider.search.__doc__ or "")
    assert sync.BlockingProvider.search.__qualname__ == "BlockingProvider.search"


class Extended(SandboxProvider):
    """A provider with async methods the blocking class does not declare (as new optional ones are)."""

    async def tariffs(self, country: str, /, number_type: str | None = None) -> list[str]:
        return [f"{country} {number_type}"]

    async def streets(self, *, city: str) -> AsyncIterator[str]:
        for street in ("High Street", "Station Road"):
            yield f"{street}, {city}"


def test_a_method_new_on_the_async_side_gets_its_twin_at_once() -> None:
    twins: Twins[Extended] = Twins(Extended, "BlockingExtended", module=__name__, instead="await it")

    @twins.complete
    class BlockingExtended(sync.BlockingProvider):
        pass

    assert twins.undeclared == ("streets", "tariffs")
    carrier: Any = BlockingExtended(Extended(Extended.settings_model()))
    try:
        assert carrier.tariffs("GB", number_type="mobile") == ["GB mobile"]
        assert list(carrier.streets(city="Leeds")) == ["High Street, Leeds", "Station Road, Leeds"]
        assert carrier.purchase_any(area_code="415").phone_number.startswith("+1415")
        for name in ("tariffs", "streets"):
            twin = getattr(BlockingExtended, name)
            assert inspect.signature(twin).parameters == inspect.signature(getattr(Extended, name)).parameters
    finally:
        carrier.close()


def test_a_twin_declared_under_another_name_or_of_a_plain_method_is_refused_at_import() -> None:
    twins: Twins[nc.Provider] = Twins(nc.Provider, "Wrong", module=__name__, instead="await it")
    with pytest.raises(TypeError, match=r"Wrong\.find is declared as the twin of search"):

        @twins.complete
        class Wrong:
            find = twins.call(lambda carrier: carrier.search)

    with pytest.raises(TypeError, match="supports is not a call method"):
        twins.call(lambda carrier: carrier.supports)  # type: ignore[arg-type, return-value]


def test_sync_bulk_has_every_name_of_bulk_and_nothing_that_awaits() -> None:
    assert numbers_core.sync.bulk.__all__ == numbers_core.bulk.__all__
    for name in numbers_core.bulk.__all__:
        ours = getattr(numbers_core.sync.bulk, name)
        assert not inspect.iscoroutinefunction(ours), name
        # A RateLimiter is handed to a Runner, which awaits it on the carrier's loop.
        assert name == "RateLimiter" or not (isinstance(ours, type) and surface(ours)), name
        if ours is not getattr(numbers_core.bulk, name):
            assert name in {"Journal", "Runner", "create_job", "amend_job", "report"}, name


def test_the_bulk_twins_take_the_async_ones_arguments() -> None:
    pairs = [
        (numbers_core.sync.bulk.create_job, numbers_core.bulk.create_job),
        (numbers_core.sync.bulk.amend_job, numbers_core.bulk.amend_job),
        (numbers_core.sync.bulk.report, numbers_core.bulk.report),
        (numbers_core.sync.bulk.Journal.counts, numbers_core.bulk.Journal.counts),
        (numbers_core.sync.bulk.Runner.run, numbers_core.bulk.Runner.run),
        (numbers_core.sync.bulk.Runner.plan, numbers_core.bulk.Runner.plan),
        (numbers_core.sync.bulk.Runner.stop, numbers_core.bulk.Runner.stop),
        (numbers_core.sync.bulk.Journal.__init__, numbers_core.bulk.Journal.__init__),
        (numbers_core.sync.bulk.Runner.__init__, numbers_core.bulk.Runner.__init__),
        (sync.connect, nc.connect),
    ]
    for blocking, original in pairs:
        ours, theirs = inspect.signature(blocking).parameters, inspect.signature(original).parameters
        assert [(p.name, p.kind, p.default) for p in ours.values()] == [
            (p.name, p.kind, p.default) for p in theirs.values()
        ], blocking


# mypy leaves "-> None" out.
_REVEALED = re.compile(r'^.*:(\d+): note: Revealed type is "def \((.*)\)(?: -> (.*))?"$')


def test_mypy_sees_each_twin_with_the_async_methods_parameters_and_awaited_result(tmp_path: Path) -> None:
    pytest.importorskip("mypy.api")
    methods = sorted(surface(nc.Provider))
    lines = ["import numbers_core as nc", "from numbers_core import sync", ""]
    lines.append("def look(carrier: sync.BlockingProvider, original: nc.Provider) -> None:")
    for name in methods:
        lines += [f"    reveal_type(carrier.{name})", f"    reveal_type(original.{name})"]
    lines += ["    reveal_type(sync.connect)", "    reveal_type(nc.connect)"]
    snippet = tmp_path / "snippet.py"
    snippet.write_text("\n".join(lines) + "\n")
    # In a process of its own, this checkout's package first (the editable install may be another).
    run = subprocess.run(  # noqa: S603 - this interpreter's mypy, our own snippet
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--config-file", "", str(snippet)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"MYPYPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        check=False,
    )
    revealed = [_REVEALED.match(line) for line in run.stdout.splitlines() if "Revealed type" in line]
    assert all(revealed), run.stdout + run.stderr
    assert len(revealed) == 2 * len(methods) + 2, run.stdout + run.stderr
    pairs = [(revealed[i], revealed[i + 1]) for i in range(0, len(revealed), 2)]
    for name, (ours, theirs) in zip([*methods, "connect"], pairs, strict=True):
        assert ours is not None
        assert theirs is not None
        assert ours[2] == theirs[2], name  # the parameters: names, kinds, types, defaults
        returns, awaited = ours[3] or "None", theirs[3]
        if name == "connect":
            assert returns == "numbers_core.sync.BlockingProvider"
        elif surface(nc.Provider)[name] == CALL:
            assert awaited == f"typing.Coroutine[Any, Any, {returns}]", name
        else:
            item = awaited.partition("[")[2]
            assert returns == f"numbers_core.sync._portal.BlockingIterator[{item}", name
