"""Blocking providers as a script gets them: the sandbox, and each emulator as a real server."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from numbers_core import sync
from numbers_core.emulator import Emulator, dialect_names, serve

# Where the scenarios run: the built-in sandbox, and every registered emulator over a socket.
CARRIERS = ["sandbox", *(f"{dialect}@emulator" for dialect in dialect_names())]


@contextlib.contextmanager
def blocking(where: str) -> Iterator[tuple[sync.BlockingProvider, Emulator | None]]:
    """A blocking provider for ``where`` ("sandbox" or "DIALECT@emulator"), and its emulator."""
    if where == "sandbox":
        with sync.connect("sandbox") as carrier:
            yield carrier, None
        return
    emulator = Emulator(where.removesuffix("@emulator"))
    with serve(emulator) as server, sync.connect(emulator.dialect.name, **server.settings) as carrier:
        yield carrier, emulator
