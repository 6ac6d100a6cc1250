"""The built-in sandbox carrier: a complete carrier that needs no network.

::

    async with nc.connect("sandbox") as carrier:                    # in memory
        ...
    async with nc.connect("sandbox", path="~/sandbox.db") as carrier:  # kept in SQLite
        ...
"""

from __future__ import annotations

from ._provider import SandboxProvider
from ._settings import APPROVED_BUNDLE, SandboxSettings

__all__ = ["APPROVED_BUNDLE", "SandboxProvider", "SandboxSettings"]
