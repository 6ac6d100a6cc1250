"""Fixtures for the Sinch adapter tests: the fake API and token service, a clock, no sleeps.

Every request the adapter sent is checked against Sinch's OpenAPI document,
every 2xx answer of the fake against its schema, and no log line may hold
the key secret or a token.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterator

import pytest
from sinch_fake import KEY_SECRET, FakeSinch, connected
from sinch_spec import check_answer, check_request

from providers.sinch import SinchProvider


@pytest.fixture
def fake(clock: Callable[[], float], caplog: pytest.LogCaptureFixture) -> Iterator[FakeSinch]:
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
