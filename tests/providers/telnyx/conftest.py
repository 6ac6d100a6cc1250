"""Fixtures for the Telnyx adapter tests: the adapter wired to the Telnyx emulator in process.

Every request the adapter sends is checked against Telnyx's OpenAPI document
(and every 2xx answer of the emulator, by tests/conftest.py); no log line may
hold the API key. ``wire`` sits between them: it records the requests, and
answers with a test's own responses (``wire.script``) or changes the
emulator's (``wire.after``) where a test asks.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator

import httpx
import numbers_core as nc
import pytest
from numbers_core.emulator import Emulator
from telnyx_spec import check_request
from telnyx_wire import Wire


@pytest.fixture
def emulator() -> Emulator:
    return Emulator("telnyx")


@pytest.fixture
def wire(emulator: Emulator, caplog: pytest.LogCaptureFixture) -> Iterator[Wire]:
    caplog.set_level(logging.DEBUG)
    recorded = Wire(emulator.transport())
    yield recorded
    for request in recorded.requests:
        check_request(request)
    assert emulator.dialect.client_settings("")["api_key"] not in caplog.text


@pytest.fixture
async def telnyx(emulator: Emulator, wire: Wire) -> AsyncIterator[nc.Provider]:
    async with (
        httpx.AsyncClient(transport=wire) as http,
        nc.connect("telnyx", http_client=http, **emulator.client_settings()) as carrier,
    ):
        yield carrier
    await emulator.aclose()
