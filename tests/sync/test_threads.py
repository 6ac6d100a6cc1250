"""One blocking provider shared by the threads of a process, and Ctrl-C in a blocking call."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import anyio
import pytest
from blocking_carriers import blocking
from numbers_core.emulator import Emulator, serve

HERE = Path(__file__).resolve().parent


@pytest.mark.parametrize("where", ["sandbox", "twilio@emulator"])
def test_eight_threads_share_one_provider_for_400_purchases_none_twice(where: str) -> None:
    with blocking(where) as (carrier, _):
        start = threading.Barrier(8)
        callers: set[int] = set()

        def buy(_: int) -> list[str]:
            callers.add(threading.get_ident())
            start.wait()
            return [carrier.purchase_any(area_code="415").phone_number for _ in range(50)]

        with ThreadPoolExecutor(8) as pool:
            bought = [number for batch in pool.map(buy, range(8)) for number in batch]
        assert len(callers) == 8
        assert len(bought) == 400
        assert len(set(bought)) == 400
        assert {number.phone_number for number in carrier.list()} == set(bought)


def test_the_calls_of_several_threads_run_at_once() -> None:
    with blocking("twilio@emulator") as (carrier, emulator):
        assert emulator is not None
        [number] = carrier.search(area_code="415", limit=1)
        owned = carrier.purchase(number)
        emulator.set_faults(latency=0.2)
        started = time.monotonic()
        with ThreadPoolExecutor(8) as pool:
            found = list(pool.map(lambda _: carrier.get(owned).phone_number, range(16)))
        elapsed = time.monotonic() - started
    assert found == [owned.phone_number] * 16
    # 16 calls of 0.2 s, 8 at a time: 0.4 s; one after the other they would take 3.2 s.
    assert elapsed < 1.6


def _interrupt_main_thread_once(ready: threading.Event, after: float) -> threading.Thread:
    """A real SIGINT to the main thread (as Ctrl-C sends it), ``after`` seconds after ``ready``."""

    def send() -> None:
        ready.wait(10)
        time.sleep(after)
        signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)

    thread = threading.Thread(target=send)
    thread.start()
    return thread


def test_ctrl_c_in_a_blocking_call_cancels_it_and_leaves_the_provider_usable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert threading.current_thread() is threading.main_thread()
    with blocking("twilio@emulator") as (carrier, emulator):
        assert emulator is not None
        carrier.search(area_code="415", limit=1)
        sent, cancelled = threading.Event(), threading.Event()
        search = carrier._async.search

        async def watched(*args: Any, **kwargs: Any) -> Any:
            sent.set()
            try:
                return await search(*args, **kwargs)
            except anyio.get_cancelled_exc_class():
                cancelled.set()
                raise

        monkeypatch.setattr(carrier._async, "search", watched)
        # Long enough to tell an answer from an interruption; short, since the server's shutdown
        # waits for the request it is holding.
        emulator.set_faults(latency=3)
        interrupter = _interrupt_main_thread_once(sent, 0.2)
        started = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            carrier.search(area_code="415", limit=1)
        interrupter.join()
        assert time.monotonic() - started < 1.5
        assert cancelled.wait(5), "the call went on on the loop"
        emulator.set_faults(latency=0)
        assert carrier.search(area_code="415", limit=1)


def test_ctrl_c_in_a_script_as_a_user_presses_it() -> None:
    """``python script.py`` blocked in a call; SIGINT from outside, as a terminal sends Ctrl-C."""
    emulator = Emulator("twilio")
    with serve(emulator) as server:
        emulator.set_faults(latency=3)  # as above
        with subprocess.Popen(  # noqa: S603 - this interpreter, our own script
            [sys.executable, str(HERE / "interrupted.py"), json.dumps(server.settings)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(HERE.parents[1])},
        ) as script:
            assert script.stdin is not None
            assert script.stdout is not None
            assert script.stderr is not None
            try:
                assert script.stdout.readline().strip() == "calling", script.stderr.read()
                time.sleep(0.5)  # well inside the 3 s the answer takes
                script.send_signal(signal.SIGINT)
                line = script.stdout.readline().split()
                assert line[:1] == ["interrupted"], script.stderr.read()
                assert float(line[1]) < 2
                emulator.set_faults(latency=0)
                script.stdin.write("go\n")
                script.stdin.flush()
                assert script.stdout.readline().split()[0] == "usable"
                assert script.wait(30) == 0
            finally:
                script.kill()
