"""pytest fixtures for your own tests: emulated carriers on 127.0.0.1 (registered as ``pytest11``).

::

    async def test_my_provisioning(numbers_emulator):
        server = numbers_emulator("twilio", latency=0.05)   # stopped after the test
        async with server.connect() as carrier:             # a provider, over a real socket
            ...
        server.emulator.set_faults(lost=1.0)                # every change's answer lost from now on

Without the ``emulator`` extra installed, the fixture skips the test saying so.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .emulator import Server

__all__ = ["numbers_emulator"]


@pytest.fixture
def numbers_emulator() -> Iterator[Callable[..., Server]]:
    """Start an emulator server: ``numbers_emulator(dialect, state=None, **faults) -> Server``."""
    try:
        from numbers_core.emulator import Emulator, Faults, serve
    except ImportError as exc:  # the emulator extra is not installed: exc names it
        pytest.skip(str(exc))
    with contextlib.ExitStack() as servers:

        def start(dialect: str, *, state: str | Path | None = None, **faults: Any) -> Server:
            emulator = Emulator(dialect, state=state, faults=Faults(**faults))
            return servers.enter_context(serve(emulator))

        yield start
