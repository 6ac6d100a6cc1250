"""Opening, closing and misuse: what a blocking provider does around its calls."""

from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import numbers_core as nc
import pytest
from numbers_core import sync
from numbers_core.emulator import Emulator
from numbers_core.sync._portal import THREAD_NAME


def _loop_threads() -> int:
    return sum(thread.name == THREAD_NAME for thread in threading.enumerate())


@pytest.fixture
def carrier() -> Iterator[sync.BlockingProvider]:
    with sync.connect("sandbox") as opened:
        yield opened


def test_a_with_block_closes_the_provider_and_its_thread() -> None:
    before = _loop_threads()
    with sync.connect("sandbox") as carrier:
        assert _loop_threads() == before + 1
        assert carrier.name == "sandbox"
        assert carrier.supports(nc.Feature.TRANSFER)
        assert nc.Feature.SEARCH in carrier.features
        assert repr(carrier) == "<BlockingProvider 'sandbox'>"
    assert _loop_threads() == before
    carrier.close()  # again: nothing happens
    with pytest.raises(nc.TransportError, match="sandbox: the provider is closed") as closed:
        carrier.search(area_code="415")
    assert closed.value.retryable is False


def test_settings_are_refused_before_any_thread_starts() -> None:
    before = _loop_threads()
    with pytest.raises(nc.ConfigurationError, match="unknown provider 'nope'"):
        sync.connect("nope")
    with pytest.raises(nc.ConfigurationError, match="account_sid"):
        sync.connect("twilio", auth_token="x")
    assert _loop_threads() == before


def test_errors_are_the_async_ones(carrier: sync.BlockingProvider) -> None:
    with pytest.raises(nc.NotFoundError):
        carrier.get("+14155550199")
    with pytest.raises(nc.InvalidInputError):
        carrier.purchase("not a number")
    with pytest.raises(nc.UnsupportedError):
        carrier.search(postal_code="94103")
    # And the provider goes on.
    assert carrier.search(area_code="415", limit=1)


def test_list_is_a_plain_iterator_that_checks_its_filters_at_once(carrier: sync.BlockingProvider) -> None:
    bought = {carrier.purchase_any(area_code="415").phone_number for _ in range(3)}
    assert {number.phone_number for number in carrier.list()} == bought
    with pytest.raises(nc.InvalidInputError, match="unknown list filter"):
        carrier.list(colour="red")
    items = carrier.list()
    first = next(items)
    assert first.phone_number in bought
    items.close()
    assert list(items) == []
    with carrier.list(contains=first.phone_number[-4:]) as matching:
        assert first.phone_number in {number.phone_number for number in matching}


def test_threads_can_share_one_iterator_each_item_going_to_one(carrier: sync.BlockingProvider) -> None:
    # Three pages of the sandbox's listing.
    bought = {carrier.purchase_any(area_code="415").phone_number for _ in range(250)}
    items = carrier.list()
    taken: list[list[str]] = [[] for _ in range(4)]

    def take(mine: list[str]) -> None:
        mine.extend(number.phone_number for number in items)

    threads = [threading.Thread(target=take, args=(mine,)) for mine in taken]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every = [number for mine in taken for number in mine]
    assert sorted(every) == sorted(bought)


def test_a_users_http_client_is_used_and_left_open() -> None:
    emulator = Emulator("twilio")
    http = httpx.AsyncClient(transport=emulator.transport())
    with sync.connect("twilio", http_client=http, **emulator.client_settings()) as carrier:
        assert carrier.purchase_any(area_code="415").phone_number.startswith("+1415")
    assert not http.is_closed
    anyio.run(http.aclose)
    anyio.run(emulator.aclose)


@pytest.mark.anyio
async def test_inside_a_running_event_loop_every_blocking_call_is_refused(
    carrier: sync.BlockingProvider, anyio_backend: str
) -> None:
    calls = {
        "connect": lambda: sync.connect("sandbox"),
        "get": lambda: carrier.get("+14155550199"),
        "list": lambda: carrier.list(),
        "close": carrier.close,
    }
    for name, call in calls.items():
        with pytest.raises(sync.EventLoopError) as refused:
            call()
        message = str(refused.value)
        assert "\n" not in message
        assert f"({anyio_backend})" in message
        assert "async API" in message
        assert ("await carrier.get(...)" in message) is (name == "get")
        assert isinstance(refused.value, nc.NumbersError)
    # Nothing was opened, and the provider is still open: the fixture uses it once more.


def test_a_blocking_call_from_a_worker_thread_of_an_async_app_is_fine(carrier: sync.BlockingProvider) -> None:
    # What Django's sync_to_async and Starlette's run_in_threadpool do: a thread without a loop.
    async def main() -> str:
        found = await anyio.to_thread.run_sync(lambda: carrier.search(area_code="415", limit=1))
        return found[0].phone_number

    assert anyio.run(main).startswith("+1415")


def test_a_provider_never_closed_warns_and_stops_its_thread_when_collected() -> None:
    before = _loop_threads()
    held = [sync.connect("sandbox")]  # its only reference
    held[0].search(limit=1)
    assert _loop_threads() == before + 1
    with pytest.warns(ResourceWarning, match="'sandbox' was never closed"):
        held.clear()
    assert _loop_threads() == before


def test_an_iterator_keeps_its_provider_open() -> None:
    held = [sync.connect("sandbox")]
    held[0].purchase_any(area_code="415")
    items = [held[0].list()]
    held.clear()
    gc.collect()
    assert len(list(items[0])) == 1
    with pytest.warns(ResourceWarning):
        _drop(items)


def _drop(held: list[Any]) -> None:
    """Drop what ``held`` holds, and collect it (an exception's traceback may hold it in a cycle)."""
    held.clear()
    gc.collect()


KEPT_FOR_LIFE = """
from numbers_core import sync
from numbers_core.sync.bulk import Journal

carrier = sync.connect("sandbox")  # a Django settings module's, say: never closed
journal = Journal("jobs.sqlite3")
journal.jobs()
carrier.purchase_any(area_code="415")
listed = carrier.list()
print(len(list(listed)))
"""


def test_a_process_that_never_closes_its_provider_still_exits(tmp_path: Path) -> None:
    done = subprocess.run(  # noqa: S603 - this interpreter, our own script
        [sys.executable, "-c", KEPT_FOR_LIFE],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
        check=False,
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "1\n", "")


def test_a_provider_opened_before_a_fork_refuses_in_the_child_and_lets_it_exit() -> None:
    with sync.connect("sandbox") as carrier:
        carrier.search(limit=1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # Python 3.12: fork with threads
            child = os.fork()
        if child == 0:  # pragma: no cover - the child reports through its exit status
            signal.alarm(10)  # a call waiting for the parent's thread would never end
            try:
                carrier.search(limit=1)
            except nc.ConfigurationError as refused:
                os._exit(0 if "open one in each process, after the fork" in str(refused) else 2)
            finally:
                os._exit(3)
        _, status = os.waitpid(child, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        assert carrier.search(limit=1)  # the parent's is unharmed
