"""The contract scenario (tests/contract/test_scenario.py), step for step, through the blocking API.

The async steps run as they are written, not copied: each is given a carrier whose coroutines
make the blocking provider's calls and never suspend, so a step runs to its end without an event
loop, driven by hand, and every call it makes is a blocking call from this plain thread, as a
script's would be. A step added to the scenario runs here too.
"""

from __future__ import annotations

import inspect
import itertools
import sys
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import numbers_core as nc
import pytest
from numbers_core import sync
from numbers_core.sync._portal import ITERATE, surface

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "contract"))
import test_scenario as scenario
from blocking_carriers import CARRIERS, blocking

_KINDS = surface(nc.Provider)


class _Items:
    """An async iterator over a blocking one: each ``__anext__`` takes the next item, blocking."""

    def __init__(self, items: Iterator[Any]) -> None:
        self._items = items

    def __aiter__(self) -> _Items:
        return self

    async def __anext__(self) -> Any:
        try:
            return next(self._items)
        except StopIteration:
            raise StopAsyncIteration from None


class Awaitless:
    """The async Provider interface over a blocking provider, for the async steps."""

    def __init__(self, carrier: sync.BlockingProvider) -> None:
        self._carrier = carrier

    def __getattr__(self, name: str) -> Any:
        member = getattr(self._carrier, name)
        if name not in _KINDS:
            return member
        if _KINDS[name] == ITERATE:
            return lambda *args, **kwargs: _Items(member(*args, **kwargs))

        async def call(*args: Any, **kwargs: Any) -> Any:
            return member(*args, **kwargs)

        return call


def run_step(step: Callable[..., Coroutine[Any, Any, None]], carrier: Any, arguments: dict[str, Any]) -> None:
    """Run an async step to its end with no event loop: its awaits never suspend."""
    coroutine = step(carrier, **arguments)
    try:
        coroutine.send(None)
    except StopIteration:
        return
    coroutine.close()
    raise AssertionError(f"{step.__name__} waited for something other than the carrier")


def _steps() -> Iterator[Any]:
    """Every async test of the scenario, once per combination of its parametrize marks."""
    for name, step in vars(scenario).items():
        if not (name.startswith("test_") and inspect.iscoroutinefunction(step)):
            continue
        grids = []
        for mark in getattr(step, "pytestmark", []):
            if mark.name != "parametrize":
                continue
            argnames, argvalues = mark.args[:2]
            names = [part.strip() for part in argnames.split(",")] if isinstance(argnames, str) else argnames
            grids.append(
                [dict(zip(names, value if len(names) > 1 else (value,), strict=True)) for value in argvalues]
            )
        for combination in itertools.product(*grids):
            arguments = {key: value for part in combination for key, value in part.items()}
            label = "-".join(str(value) for value in arguments.values())
            yield pytest.param(step, arguments, id=f"{name}[{label}]" if label else name)


@pytest.mark.parametrize(("step", "arguments"), list(_steps()))
@pytest.mark.parametrize("where", CARRIERS)
def test_the_contract_scenario_through_the_blocking_api(
    where: str, step: Callable[..., Coroutine[Any, Any, None]], arguments: dict[str, Any]
) -> None:
    with blocking(where) as (carrier, _):
        run_step(step, Awaitless(carrier), arguments)


def test_the_scenario_has_steps_to_run() -> None:
    # The scenario module is read by name: an empty walk would pass every carrier vacuously.
    assert len(list(_steps())) >= 4
