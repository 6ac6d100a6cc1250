"""Fixtures for the Sinch adapter tests: the fake API and token service, a clock, no sleeps.

Every request the adapter sent is checked against Sinch's OpenAPI document,
every 2xx answer of the fake against its schema, and no log line may hold
the key secret or a token.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator

import pytest
from sinch_fake import KEY_SECRET, FakeSinch, connected
from sinch_spec import check_answer, check_request

from providers.sinch import SinchProvider


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
    waited: list[float] = []

    async def sleep(seconds: float) -> None:
        waited.append(seconds)

    monkeypatch.setattr("numbers_core._http._sleep", sleep)
    monkeypatch.setattr("numbers_core._provider._sleep", sleep)
    return waited


@pytest.fixture
def fake(clock: Clock, caplog: pytest.LogCaptureFixture) -> Iterator[FakeSinch]:
    caplog.set_level(logging.DEBUG)
    server = FakeSinch(clock=clock)
    yield server
    for request in server.requests:
        check_request(request)
    for request, answer in server.answers:
        check_answer(request, answer)
    text = caplog.text
    assert KEY_SECRET not in text
    for token in server.tokens:
        assert token not in text


@pytest.fixture
async def sinch(fake: FakeSinch) -> AsyncIterator[SinchProvider]:
    async with connected(fake) as carrier:
        assert isinstance(carrier, SinchProvider)
        yield carrier
