"""Fixtures for the Kazoo adapter tests: a fake Crossbar on MockTransport, a clock, no sleeps.

Log records at every level are captured and must not contain a credential;
every request the adapter sent is checked against the Swagger document.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator

import pytest
from kazoo_fake import SECRETS, FakeKazoo, connected
from kazoo_spec import check_request

from providers.kazoo import KazooProvider


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr("numbers_core._auth._now", clock)
    return clock


@pytest.fixture(autouse=True)
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The waits the core asked for, none of them slept."""
    waited: list[float] = []

    async def sleep(seconds: float) -> None:
        waited.append(seconds)

    monkeypatch.setattr("numbers_core._http._sleep", sleep)
    monkeypatch.setattr("numbers_core._provider._sleep", sleep)
    return waited


@pytest.fixture(autouse=True)
def _no_secret_logged(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    caplog.set_level(logging.DEBUG)
    yield
    text = caplog.text + "".join(record.getMessage() for record in caplog.records)
    for secret in SECRETS:
        assert secret not in text


@pytest.fixture
def fake(clock: Clock) -> Iterator[FakeKazoo]:
    server = FakeKazoo(clock=clock)
    yield server
    for request in server.requests:
        check_request(request)


@pytest.fixture
async def kazoo(fake: FakeKazoo) -> AsyncIterator[KazooProvider]:
    async with connected(fake) as carrier:
        assert isinstance(carrier, KazooProvider)
        yield carrier
