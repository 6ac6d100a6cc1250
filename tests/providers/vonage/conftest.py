"""Fixtures for the Vonage adapter tests: its emulator in process, every request checked against
Vonage's document, and no log line holding the API key or secret."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator

import httpx
import numbers_core as nc
import pytest
from numbers_core.emulator import Emulator
from openapi import Checked
from vonage_spec import check_request


@pytest.fixture
def emulator(caplog: pytest.LogCaptureFixture) -> Iterator[Emulator]:
    caplog.set_level(logging.DEBUG)
    emulated = Emulator("vonage")
    yield emulated
    settings = emulated.client_settings()
    for secret in (settings["api_key"], settings["api_secret"]):
        assert secret not in caplog.text


@pytest.fixture
async def vonage(emulator: Emulator) -> AsyncIterator[nc.Provider]:
    checked = Checked(emulator.transport(), check_request)
    async with (
        httpx.AsyncClient(transport=checked) as http,
        nc.connect("vonage", http_client=http, **emulator.client_settings()) as carrier,
    ):
        yield carrier
    assert checked.requests
