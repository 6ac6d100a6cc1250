"""Fixtures for the Sinch adapter tests: the fake API and token service, the draft's fake server.

Every request the adapter sent is checked against Sinch's OpenAPI document
(the draft's against the seed document), every 2xx answer of the fakes
against its schema or examples, and no log line may hold the key secret or
a token.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterator

import draft_examples
import draft_fake
import pytest
from numbers_core.providers.sinch import SinchDraftProvider, SinchProvider
from sinch_fake import KEY_SECRET, FakeSinch, connected
from sinch_spec import check_answer, check_request


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


@pytest.fixture
def draft(caplog: pytest.LogCaptureFixture) -> Iterator[draft_fake.FakeDraft]:
    caplog.set_level(logging.DEBUG)
    server = draft_fake.FakeDraft(token=draft_fake.TOKEN)
    yield server
    for request in server.requests:
        draft_examples.check_request(request)
    for request, answer in server.answers:
        draft_examples.check_answer(request, answer)
    assert draft_fake.TOKEN not in caplog.text


@pytest.fixture
async def drafted(draft: draft_fake.FakeDraft) -> AsyncIterator[SinchDraftProvider]:
    async with draft_fake.connected(draft) as carrier:
        assert isinstance(carrier, SinchDraftProvider)
        yield carrier
