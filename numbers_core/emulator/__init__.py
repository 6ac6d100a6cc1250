"""Emulated carriers: each dialect's wire format over the sandbox's state, with faults on demand.

::

    from numbers_core.emulator import Emulator, serve

    emulator = Emulator("twilio")
    async with emulator.connect() as carrier:      # in process, no socket
        ...
    with serve(emulator) as server:                # a real server on 127.0.0.1
        async with server.connect() as carrier:
            ...

Needs the ``emulator`` extra (Starlette and uvicorn). See docs/testing.md.
"""

from __future__ import annotations

try:
    import starlette  # noqa: F401
    import uvicorn  # noqa: F401
except ImportError as exc:  # the optional emulator extra: one line that says what to install
    from .._extras import missing_extra

    raise missing_extra("numbers_core.emulator", "emulator", exc) from None

from ._emulator import Dialect, Emulator, Exchange, JSONAnswer, World, reason
from ._faults import Faults
from ._registry import dialect_names, load_dialect
from ._requests import BadRequest, Shape, Violation, read_form, read_json, read_query
from ._server import Server, serve

__all__ = [
    "BadRequest",
    "Dialect",
    "Emulator",
    "Exchange",
    "Faults",
    "JSONAnswer",
    "Server",
    "Shape",
    "Violation",
    "World",
    "dialect_names",
    "load_dialect",
    "read_form",
    "read_json",
    "read_query",
    "reason",
    "serve",
]
