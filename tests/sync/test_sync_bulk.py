"""Bulk jobs from blocking code: created, run with progress, stopped, interrupted and resumed."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import anyio
import numbers_core as nc
import pytest
from blocking_carriers import blocking
from numbers_core import sync
from numbers_core.sync.bulk import Event, ItemState, JobState, Journal, Runner, create_job, report

CRITERIA = {"sf": (nc.SearchQuery(area_code="415"), 40)}


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    with Journal(tmp_path / "jobs.sqlite3") as opened:
        yield opened


def _owned(carrier: sync.BlockingProvider) -> list[str]:
    return [number.phone_number for number in carrier.list()]


def test_a_job_is_planned_run_and_reported_with_progress_in_the_callers_thread(journal: Journal) -> None:
    events: list[tuple[str, int]] = []
    states: list[JobState] = []

    def progress(event: Event) -> None:
        events.append((event.state, threading.get_ident()))
        # The journal answers on its own loop while the job runs on the carrier's (the events
        # come after what they tell, so the last ones may find the job done).
        states.append(journal.job(job.id).state)

    with sync.connect("sandbox") as carrier:
        job = create_job(journal, carrier, "purchase", criteria=CRITERIA, label="spring")
        runner = Runner(carrier, journal, concurrency=5, on_event=progress)
        plan = runner.plan(job.id)
        assert plan.count == 40
        assert all(item.number is not None for item in plan.items)
        counts = runner.run(job.id)
        assert counts == {ItemState.DONE: 40}
        assert [state for state, _ in events] == ["pinned"] * 40 + ["done"] * 40  # the plan's, the run's
        assert {thread for _, thread in events} == {threading.get_ident()}
        assert set(states[:40]) == {JobState.PLANNED}
        assert states[40] is JobState.RUNNING
        assert set(states[40:]) <= {JobState.RUNNING, JobState.DONE}
        assert runner.orphans(job.id) == []
        owned = _owned(carrier)
        assert sorted(owned) == sorted(item.number for item in plan.items if item.number)

        rows = report(journal, job.id)
        assert [row.number for row in rows] == [item.number for item in plan.items]
        assert journal.job(job.id).state is JobState.DONE
        assert [one.label for one in journal.jobs()] == ["spring"]

        release = create_job(journal, carrier, "release", matching={}, confirm=lambda count: count == 40)
        assert Runner(carrier, journal).run(release.id) == {ItemState.DONE: 40}
        assert _owned(carrier) == []


def _bought_once(carrier: sync.BlockingProvider, journal: Journal, job_id: str) -> None:
    """The job is done; every number it bought is the account's, and none was bought twice."""
    assert journal.counts(job_id) == {ItemState.DONE: 40}
    done = [row.number for row in report(journal, job_id)]
    assert len(set(done)) == 40
    assert sorted(_owned(carrier)) == sorted(done)
    assert Runner(carrier, journal).orphans(job_id) == []


class _Enough(Exception):
    pass


def test_a_run_whose_callback_fails_is_cancelled_and_resumes(journal: Journal) -> None:
    def fail_at_ten(event: Event, done: list[Event] = []) -> None:  # noqa: B006 - a counter
        done.append(event)
        if len(done) == 10:
            raise _Enough

    with sync.connect("sandbox") as carrier:
        job = create_job(journal, carrier, "purchase", criteria=CRITERIA)
        with pytest.raises(_Enough):
            Runner(carrier, journal, concurrency=4, on_event=fail_at_ten).run(job.id)
        assert journal.counts(job.id).get(ItemState.DONE, 0) < 40
        assert Runner(carrier, journal, concurrency=4).run(job.id) == {ItemState.DONE: 40}
        _bought_once(carrier, journal, job.id)


def test_ctrl_c_in_a_run_cancels_it_and_the_job_resumes(journal: Journal) -> None:
    assert threading.current_thread() is threading.main_thread()
    with blocking("twilio@emulator") as (carrier, emulator):
        assert emulator is not None
        emulator.set_faults(latency=0.05)
        job = create_job(journal, carrier, "purchase", criteria=CRITERIA)
        first = threading.Event()

        def interrupt() -> None:
            first.wait(10)
            signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)

        interrupter = threading.Thread(target=interrupt)
        interrupter.start()
        with pytest.raises(KeyboardInterrupt):
            Runner(carrier, journal, concurrency=4, on_event=lambda _: first.set()).run(job.id)
        interrupter.join()
        assert journal.counts(job.id).get(ItemState.DONE, 0) < 40
        emulator.set_faults(latency=0)
        assert Runner(carrier, journal, concurrency=4).run(job.id) == {ItemState.DONE: 40}
        _bought_once(carrier, journal, job.id)


def test_stop_from_another_thread_ends_the_run_resumable(journal: Journal) -> None:
    with blocking("twilio@emulator") as (carrier, emulator):
        assert emulator is not None
        emulator.set_faults(latency=0.05)
        job = create_job(journal, carrier, "purchase", criteria=CRITERIA)
        runner = Runner(carrier, journal, concurrency=2)
        stopper = threading.Timer(0.3, runner.stop, kwargs={"grace": 1.0})
        stopper.start()
        started = time.monotonic()
        counts = runner.run(job.id)
        stopper.join()
        assert time.monotonic() - started < 2
        assert runner.stopped
        assert runner.stopping
        assert counts.get(ItemState.PLANNED)
        emulator.set_faults(latency=0)
        assert runner.run(job.id) == {ItemState.DONE: 40}
        assert not runner.stopped
        _bought_once(carrier, journal, job.id)


def test_a_journal_closed_opens_again_and_outlives_its_carriers(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "jobs.sqlite3")
    with sync.connect("sandbox") as carrier:
        job = create_job(journal, carrier, "purchase", numbers=carrier.search(area_code="415", limit=2))
    assert journal.counts(job.id) == {ItemState.PLANNED: 2}
    journal.close()
    journal.close()
    for _ in range(3):  # a carrier per run: the journal keeps none of those closed
        with sync.connect("sandbox") as carrier:
            assert Runner(carrier, journal).run(job.id) == {ItemState.DONE: 2}
    assert len(journal._elsewhere) == 1
    assert journal.job(job.id).state is JobState.DONE
    journal.close()
    with pytest.raises(nc.InvalidInputError, match="no job 'nope'"):
        journal.job("nope")
    journal.close()


def test_a_journal_that_cannot_be_opened_fails_as_the_async_one_does(tmp_path: Path) -> None:
    (tmp_path / "dir").mkdir()
    with Journal(tmp_path / "dir") as journal, pytest.raises(nc.ConfigurationError, match="journal"):
        journal.jobs()


@pytest.mark.anyio
async def test_a_journal_is_refused_inside_an_event_loop(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "jobs.sqlite3")
    with pytest.raises(sync.EventLoopError, match=r"await journal\.jobs\(\.\.\.\)"):
        journal.jobs()
    with pytest.raises(sync.EventLoopError, match=r"await numbers_core\.bulk\.report\(\.\.\.\)"):
        report(journal, "x")
    await anyio.lowlevel.checkpoint()
