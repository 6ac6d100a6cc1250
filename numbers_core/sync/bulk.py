"""Bulk jobs from blocking code: ``numbers_core.bulk``'s journal, runner, jobs and reports, without await.

::

    import numbers_core as nc
    from numbers_core import sync
    from numbers_core.sync.bulk import Journal, Runner, create_job

    with sync.connect(profile="production") as carrier, Journal("~/numbers-jobs.sqlite3") as journal:
        criteria = {"415": (nc.SearchQuery(area_code="415"), 500)}
        job = create_job(journal, carrier, "purchase", criteria=criteria)
        counts = Runner(carrier, journal, concurrency=20, on_event=print).run(job.id)

Every name of ``numbers_core.bulk`` is here: :class:`Journal`, :class:`Runner`,
:func:`create_job`, :func:`amend_job` and :func:`report` block; the others (``Event``, ``Job``,
``RateLimiter``, ``write_csv``, …) are the same objects. A job runs on its carrier's event
loop; a runner hands each event to ``on_event`` in the thread that waits for the run, so that a
slow callback slows no request. A Ctrl-C in that thread (or an error raised by ``on_event``)
cancels the run: what was in flight is written down as unknown before the exception goes on,
and running the job again resumes it. :meth:`Runner.stop` works from any thread (a signal
handler's too).

An async journal belongs to the event loop it is used on, so a blocking :class:`Journal` opens
its location once per loop: its own, started on first use (``job()``, ``counts()``, …), and
that of each carrier it creates or runs jobs with. Closed, it opens again when next used, as
``numbers_core.bulk.Journal`` does.
"""

from __future__ import annotations

import contextlib
import functools
import queue
import threading
import time
import weakref
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar, cast

from .. import bulk as _bulk
from .._provider import Provider
from ..bulk import (
    Costs,
    Event,
    Item,
    ItemState,
    Job,
    JobFile,
    JobKind,
    JobState,
    JournalUnavailableError,
    Plan,
    RateLimiter,
    ReportRow,
    write_csv,
    write_json,
)
from ..errors import ConfigurationError, TransportError
from . import BlockingProvider
from ._portal import Closing, LoopThread, Twins, close_collected, describe, refuse_inside_loop

# The names of numbers_core.bulk: those that await are defined here, blocking; the others are its own.
__all__ = [
    "Costs",
    "Event",
    "Item",
    "ItemState",
    "Job",
    "JobFile",
    "JobKind",
    "JobState",
    "Journal",
    "JournalUnavailableError",
    "Plan",
    "RateLimiter",
    "ReportRow",
    "Runner",
    "amend_job",
    "create_job",
    "report",
    "write_csv",
    "write_json",
]

P = ParamSpec("P")
R = TypeVar("R")

_JOURNAL: Twins[_bulk.Journal] = Twins(
    _bulk.Journal,
    "Journal",
    module=__name__,
    instead="await journal.{name}(...) on a numbers_core.bulk.Journal",
)
_RUNNER: Twins[_bulk.Runner] = Twins(
    _bulk.Runner, "Runner", module=__name__, instead="await runner.{name}(...) on a numbers_core.bulk.Runner"
)


class _OwnLoop:
    """Where a journal's own calls run: its loop, started by the first call that is not refused."""

    def __init__(self, started: Callable[[], LoopThread]) -> None:
        self._started = started

    @property
    def closed(self) -> bool:
        return False  # a closed journal opens again

    def run(
        self, hint: tuple[str, str], function: Callable[P, Awaitable[R]], /, *args: P.args, **kwargs: P.kwargs
    ) -> R:
        refuse_inside_loop(*hint)
        return self._started().run(hint, function, *args, **kwargs)


class Journal(Closing):
    """The jobs of one SQLite file, or of a PostgreSQL database, for blocking code.

    Takes the arguments of ``numbers_core.bulk.Journal`` and checks them the same way. Close it
    with :meth:`close` or a ``with`` block.
    """

    def __init__(
        self,
        location: str | Path,
        *,
        timeout: float = 30.0,
        clock: Callable[[], float] = time.time,
        lease: float = 30.0,
        patience: float = _bulk._journal.PATIENCE,
        create: bool = True,
    ) -> None:
        self._open = functools.partial(
            _bulk.Journal,
            location,
            timeout=timeout,
            clock=clock,
            lease=lease,
            patience=patience,
            create=create,
        )
        # This one serves the journal's own loop; made here, so that a bad location fails here.
        self._async = self._open()
        self._lock = threading.Lock()
        self._own: LoopThread | None = None
        self._finalizer: weakref.finalize[Any, Any] | None = None
        self._elsewhere: dict[LoopThread, _bulk.Journal] = {}

    @property
    def location(self) -> str:
        """The file's path, or the database's URL without its password."""
        return self._async.location

    @property
    def shared(self) -> bool:
        """Whether many workers share it (a PostgreSQL journal)."""
        return self._async.shared

    def __repr__(self) -> str:
        return f"<Journal {self.location!r}>"

    def _closed(self) -> ConfigurationError:
        return ConfigurationError(f"journal {self.location!r} is closed", setting="journal")

    @property
    def _loop(self) -> _OwnLoop:
        return _OwnLoop(self._started)

    def _started(self) -> LoopThread:
        """The journal's own loop, started if it is not running."""
        with self._lock:
            if self._own is None:
                own = LoopThread(self._closed)
                own.on_close(self._async, self._async.aclose)
                self._finalizer = weakref.finalize(
                    self, close_collected, own, f"{self!r} (numbers_core.sync)"
                )
                self._finalizer.atexit = False
                self._own = own
            return self._own

    def _on(self, loop: LoopThread) -> _bulk.Journal:
        """The journal as opened on ``loop`` (a carrier's): closed with the loop, or with this."""
        with self._lock:
            # Those of carriers closed since (their loops closed them): forgotten, not kept.
            self._elsewhere = {known: one for known, one in self._elsewhere.items() if not known.closed}
            journal = self._elsewhere.get(loop)
            if journal is None:
                journal = self._elsewhere[loop] = self._open()
                loop.on_close(journal, journal.aclose)
            return journal

    def close(self) -> None:
        """Close the journal on every event loop it was opened on, and stop its own. Safe twice."""
        refuse_inside_loop("Journal.close()", "await journal.aclose()")
        with self._lock:
            own, self._own = self._own, None
            finalizer, self._finalizer = self._finalizer, None
            elsewhere, self._elsewhere = self._elsewhere, {}
        for loop, journal in elsewhere.items():
            loop.forget(journal)
            # A carrier closed meanwhile closed it with its loop.
            with contextlib.suppress(TransportError):
                if not loop.closed:
                    loop.run(_JOURNAL.hint("aclose"), journal.aclose)
        if finalizer is not None:
            finalizer.detach()
        if own is not None:
            own.close()
            # Opened again on the next loop of its own: an async journal serves one loop.
            self._async = self._open()

    job = _JOURNAL.call(lambda journal: journal.job)
    jobs = _JOURNAL.call(lambda journal: journal.jobs)
    job_ids = _JOURNAL.call(lambda journal: journal.job_ids)
    counts = _JOURNAL.call(lambda journal: journal.counts)
    items = _JOURNAL.call(lambda journal: journal.items)
    set_state = _JOURNAL.call(lambda journal: journal.set_state)


def _on_journal(
    function: Callable[Concatenate[_bulk.Journal, P], Awaitable[R]],
) -> Callable[Concatenate[Journal, P], R]:
    """The blocking form of a function of ``numbers_core.bulk`` that takes a journal first."""
    hint = (f"{function.__name__}()", f"await numbers_core.bulk.{function.__name__}(...)")

    def twin(journal: Journal, /, *args: P.args, **kwargs: P.kwargs) -> R:
        return journal._loop.run(hint, function, journal._async, *args, **kwargs)

    describe(twin, function, module=__name__, qualname=function.__name__, async_name="numbers_core.bulk")
    return twin


def _on_carrier(
    function: Callable[Concatenate[_bulk.Journal, Provider, P], Awaitable[R]],
) -> Callable[Concatenate[Journal, BlockingProvider, P], R]:
    """The blocking form of a function of ``numbers_core.bulk`` that takes a journal and a carrier
    first: it runs on the carrier's loop, with the journal as opened there."""
    hint = (f"{function.__name__}()", f"await numbers_core.bulk.{function.__name__}(...)")

    def twin(journal: Journal, carrier: BlockingProvider, /, *args: P.args, **kwargs: P.kwargs) -> R:
        return carrier._loop.run(hint, function, journal._on(carrier._loop), carrier._async, *args, **kwargs)

    describe(twin, function, module=__name__, qualname=function.__name__, async_name="numbers_core.bulk")
    return twin


create_job = _on_carrier(_bulk.create_job)
amend_job = _on_carrier(_bulk.amend_job)
report = _on_journal(_bulk.report)

# What a call of a runner puts last on its queue of events.
_ENDED = object()


class _Pump:
    """Where a Runner's calls run: on its carrier's loop, one at a time, each event they make
    handed to ``on_event`` in the waiting thread."""

    def __init__(self, loop: LoopThread, on_event: Callable[[Event], None] | None) -> None:
        self.loop = loop
        self._on_event = on_event
        self._busy = threading.Lock()
        self._events: queue.SimpleQueue[object] | None = None

    @property
    def closed(self) -> bool:
        return self.loop.closed

    def put(self, event: Event) -> None:
        """The async runner's ``on_event``, called in the loop's thread."""
        events = self._events
        if events is not None:
            events.put(event)

    def run(
        self, hint: tuple[str, str], function: Callable[P, Awaitable[R]], /, *args: P.args, **kwargs: P.kwargs
    ) -> R:
        events: queue.SimpleQueue[object] = queue.SimpleQueue()
        ended = threading.Event()

        async def call() -> R:
            try:
                return await function(*args, **kwargs)
            finally:
                events.put(_ENDED)
                ended.set()

        with self._busy:
            self._events = events
            try:
                future = self.loop.start(hint, call)
                try:
                    while (event := events.get()) is not _ENDED:
                        if self._on_event is not None:
                            self._on_event(cast(Event, event))
                    return future.result()
                except BaseException:
                    # A Ctrl-C, or on_event's error: the call is cancelled, and goes on up once
                    # what it had in flight is written down (a second Ctrl-C stops the wait).
                    future.cancel()
                    ended.wait()
                    raise
            finally:
                self._events = None


class Runner:
    """Runs the jobs of a journal against one carrier, for blocking code.

    Takes the arguments of ``numbers_core.bulk.Runner``, with a blocking carrier and journal.
    ``on_event`` is called in the thread that waits for :meth:`run` (or :meth:`plan`). One call
    at a time: a second thread's call waits for the first.
    """

    def __init__(
        self,
        carrier: BlockingProvider,
        journal: Journal,
        *,
        concurrency: int = 10,
        limiter: RateLimiter | None = None,
        on_event: Callable[[Event], None] | None = None,
        batches: bool = True,
    ) -> None:
        self._carrier = carrier  # its loop runs the jobs: kept open while this is used
        self._loop = _Pump(carrier._loop, on_event)
        self._async = _bulk.Runner(
            carrier._async,
            journal._on(carrier._loop),
            concurrency=concurrency,
            limiter=limiter,
            on_event=self._loop.put if on_event is not None else None,
            batches=batches,
        )

    @property
    def stopping(self) -> bool:
        """Whether :meth:`stop` was called during the run."""
        return self._async.stopping

    @property
    def stopped(self) -> bool:
        """Whether the last run was stopped (:meth:`stop`) before the job's end."""
        return self._async.stopped

    def stop(self, grace: float = 5.0) -> None:
        """Send nothing new; requests in flight get ``grace`` seconds, then are cut off and written
        down as unknown. From any thread; the run then returns, the job resumable."""
        self._loop.loop.run_sync(functools.partial(self._async.stop, grace))

    run = _RUNNER.call(lambda runner: runner.run)
    plan = _RUNNER.call(lambda runner: runner.plan)
    orphans = _RUNNER.call(lambda runner: runner.orphans)
