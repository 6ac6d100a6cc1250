"""The tests here are plain functions in pytest's main thread, which runs no event loop: each
blocking call is made as a Django view, a Celery task or a script would make it."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from numbers_core.sync._portal import THREAD_NAME


@pytest.fixture(autouse=True)
def _no_loop_left_running() -> Iterator[None]:
    """Every test closes what it opened: no event loop thread outlives it."""
    before = set(threading.enumerate())
    yield
    left = [thread for thread in threading.enumerate() if thread not in before and thread.name == THREAD_NAME]
    for thread in left:
        thread.join(5)
    assert not [thread for thread in left if thread.is_alive()]
