"""The carriers' own SDKs against the emulators, each pointed at a server by its base-URL override.

Run by ``nox -s sdks``, which alone installs the SDKs; elsewhere these tests skip.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from numbers_core.emulator import Emulator, Server, serve


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Iterator[Server]:
    """The emulator of the dialect the test module names (``DIALECT``), serving on 127.0.0.1."""
    with serve(Emulator(request.module.DIALECT, record=True)) as running:
        yield running
