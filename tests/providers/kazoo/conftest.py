"""Fixtures for the Kazoo adapter tests: a fake Crossbar on MockTransport, a clock, no sleeps.

Log records at every level are captured and must not contain a credential;
every request the adapter sent is checked against the Swagger document.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterator

import pytest
from kazoo_fake import SECRETS, FakeKazoo, connected
from kazoo_spec import check_request
from numbers_core.providers.kazoo import KazooProvider


@pytest.fixture(autouse=True)
def _no_secret_logged(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    caplog.set_level(logging.DEBUG)
    yield
    text = caplog.text + "".join(record.getMessage() for record in caplog.records)
    for secret in SECRETS:
        assert secret not in text


@pytest.fixture
def fake(clock: Callable[[], float]) -> Iterator[FakeKazoo]:
    server = FakeKazoo(clock=clock)
    yield server
    for request in server.requests:
        check_request(request)


@pytest.fixture
async def kazoo(fake: FakeKazoo) -> AsyncIterator[KazooProvider]:
    async with connected(fake) as carrier:
        assert isinstance(carrier, KazooProvider)
        yield carrier
