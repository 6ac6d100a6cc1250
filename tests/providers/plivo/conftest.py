"""Fixtures for the Plivo adapter tests: its emulator in process, every request checked against
the Plivo document, and no log line holding the auth token."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator

import httpx
import numbers_core as nc
import pytest
from numbers_core.emulator import Emulator
from openapi import Checked
from plivo_spec import check_request


@pytest.fixture
def emulator(caplog: pytest.LogCaptureFixture) -> Iterator[Emulator]:
    caplog.set_level(logging.DEBUG)
    emulated = Emulator("plivo")
    yield emulated
    assert emulated.client_settings()["auth_token"] not in caplog.text


@pytest.fixture
def checked(emulator: Emulator) -> Checked:
    return Checked(emulator.transport(), check_request)


@pytest.fixture
async def plivo(emulator: Emulator, checked: Checked) -> AsyncIterator[nc.Provider]:
    async with (
        httpx.AsyncClient(transport=checked) as http,
        nc.connect("plivo", http_client=http, **emulator.client_settings()) as carrier,
    ):
        yield carrier
    assert checked.requests
