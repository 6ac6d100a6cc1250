"""An event loop in a thread of its own, and the blocking twins of async methods that run on it.

A :class:`LoopThread` is anyio's blocking portal (an asyncio loop in a daemon thread) with what
the blocking API adds around it: calls from a thread that runs an event loop are refused, a
Ctrl-C that reaches the calling thread cancels the call it was waiting for, and closing runs
the async clean-ups on the loop before it stops.

:class:`Twins` makes the blocking methods. ``Twins(Provider, …).call(lambda carrier:
carrier.search)`` is a function taking ``search``'s parameters (ParamSpec: mypy sees them
exactly, names, kinds and defaults) and returning what its coroutine returns; its name,
docstring and ``inspect.signature`` are the async method's. The lambda names the method in a
way a type checker follows (``Provider.list(self, **filters)`` itself would not fit
``Concatenate``: its ``self`` can be passed by keyword); it is applied to the async object at
each call, so that an adapter's own override is the one that runs.
"""

from __future__ import annotations

import abc
import atexit
import collections.abc
import contextlib
import functools
import inspect
import operator
import os
import sys
import threading
import types
import typing
import warnings
import weakref
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterator
from concurrent.futures import Future
from types import TracebackType
from typing import Any, Concatenate, Generic, ParamSpec, Protocol, Self, TypeVar

import anyio.from_thread
import sniffio

from ..errors import ConfigurationError, NumbersError

__all__ = [
    "BlockingIterator",
    "Closing",
    "EventLoopError",
    "LoopThread",
    "Twins",
    "refuse_inside_loop",
    "surface",
]

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")
A = TypeVar("A")
A_co = TypeVar("A_co", covariant=True)
B = TypeVar("B", bound=type)

# What a twin is: a blocking call of a coroutine method, or a blocking iterator over an async one.
CALL = "call"
ITERATE = "iterate"
# Async methods whose blocking form is written by hand: close() and the context manager.
_LIFECYCLE = frozenset({"aclose"})


class EventLoopError(NumbersError, RuntimeError):
    """A blocking call made in a thread that runs an event loop: it would stall every other task
    of that loop until the carrier answered. Async code uses the async API instead."""


def running_loop() -> str | None:
    """The async library whose event loop runs in this thread, if one does."""
    try:
        return sniffio.current_async_library()
    except sniffio.AsyncLibraryNotFoundError:
        # An asyncio callback outside any task, which sniffio does not see.
        asyncio = sys.modules.get("asyncio")
        return "asyncio" if asyncio is not None and asyncio._get_running_loop() is not None else None


def refuse_inside_loop(call: str, instead: str) -> None:
    """Raise EventLoopError when this thread runs an event loop (``call`` would stall it)."""
    library = running_loop()
    if library is not None:
        raise EventLoopError(
            f"numbers_core.sync: {call} was called in a thread that runs an event loop ({library}), "
            f"which it would block; async code uses the async API: {instead}"
        )


# The name of every loop thread (in thread dumps, py-spy, tests).
THREAD_NAME = "numbers_core.sync"


def _name_thread() -> int:
    threading.current_thread().name = THREAD_NAME
    return threading.get_ident()


class LoopThread:
    """An asyncio event loop in a thread of its own (anyio's blocking portal), which blocking
    calls from any number of threads share. ``closed`` makes the error raised once it is closed."""

    def __init__(self, closed: Callable[[], NumbersError]) -> None:
        self._closed = closed
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._cleanups: dict[object, Callable[[], Awaitable[object]]] = {}
        self._stack = contextlib.ExitStack()
        self._portal = self._stack.enter_context(anyio.from_thread.start_blocking_portal("asyncio"))
        self._stack.callback(self._run_cleanups)
        self.thread_id = self._portal.call(_name_thread)
        self.closed = False
        _OPEN.add(self)

    def _check(self) -> None:
        if os.getpid() != self._pid:
            # The loop's thread stayed in the parent: waiting for it here would never end.
            raise ConfigurationError(
                f"numbers_core.sync: this was opened in process {self._pid}, which forked this one; "
                "open one in each process, after the fork (on first use, or in the worker's start-up hook)"
            )
        if self.closed:
            raise self._closed()

    def _start(self, function: Callable[[], Awaitable[R]], name: str) -> Future[R]:
        self._check()
        try:
            return self._portal.start_task_soon(function, name=name)
        except RuntimeError:  # the portal stopped meanwhile: closed from another thread
            raise self._closed() from None

    def run(
        self,
        hint: tuple[str, str],
        function: Callable[P, Awaitable[R]],
        /,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> R:
        """``await function(*args, **kwargs)`` on the loop; this thread waits for it.

        ``hint`` is what the call is and what async code does instead, for the refusal's
        message. A KeyboardInterrupt (or any exception raised in this thread while it waits,
        such as a signal handler's) cancels the call on the loop before it goes on up.
        """
        refuse_inside_loop(*hint)
        future = self._start(functools.partial(function, *args, **kwargs), hint[0])
        try:
            return future.result()
        except BaseException:
            # Done already (the call's own error): nothing to cancel.
            future.cancel()
            # The error's traceback holds this frame: without the future, it holds no cycle
            # (error, frame, future, error) that keeps what the call touched until a collection.
            del future
            raise

    def start(self, hint: tuple[str, str], function: Callable[[], Awaitable[R]]) -> Future[R]:
        """Start ``function()`` on the loop; its future (cancelling it cancels the call)."""
        refuse_inside_loop(*hint)
        return self._start(function, hint[0])

    def run_sync(self, function: Callable[[], object]) -> None:
        """``function()`` in the loop's thread (for what must not run elsewhere: a cancel scope's)."""
        self._check()
        try:
            self._portal.call(function)
        except RuntimeError:
            raise self._closed() from None

    def enter(self, manager: contextlib.AbstractAsyncContextManager[T]) -> T:
        """Enter ``manager`` on the loop, in a task of its own that exits it when the loop closes."""
        return self._stack.enter_context(self._portal.wrap_async_context_manager(manager))

    def on_close(self, key: object, cleanup: Callable[[], Awaitable[object]]) -> None:
        """Await ``cleanup()`` on the loop when it closes (before what was entered), unless forgotten."""
        with self._lock:
            self._cleanups[key] = cleanup

    def forget(self, key: object) -> None:
        with self._lock:
            self._cleanups.pop(key, None)

    async def _cleanup_all(self, cleanups: list[Callable[[], Awaitable[object]]]) -> None:
        for cleanup in reversed(cleanups):
            await cleanup()

    def _run_cleanups(self) -> None:
        with self._lock:
            cleanups, self._cleanups = list(self._cleanups.values()), {}
        if cleanups:
            self._portal.call(self._cleanup_all, cleanups)

    def close(self) -> None:
        """Run the clean-ups, exit what was entered, stop the loop and join its thread. Safe twice.

        Calls still running end as their async side ends when its object is closed under them.
        """
        with self._lock:
            if self.closed:
                return
            self.closed = True
        _OPEN.discard(self)
        if os.getpid() == self._pid:  # in a forked child, the loop and its thread are the parent's
            self._stack.close()


# Every loop not closed yet.
_OPEN: weakref.WeakSet[LoopThread] = weakref.WeakSet()


@atexit.register
def _close_at_exit() -> None:
    """Close the loops still open as the interpreter exits (a provider kept for the life of the
    process): left to the interpreter's own clean-up, a portal would wait for its thread, which
    no longer runs by then, and the process would hang."""
    for loop in list(_OPEN):
        loop.close()


def close_collected(loop: LoopThread, what: str) -> None:
    """The finalizer of an object that owned ``loop`` and was not closed: warn, and close it."""
    if loop.closed or sys.is_finalizing():
        return
    warnings.warn(
        f"{what} was never closed: close() it, or use it in a with block", ResourceWarning, stacklevel=1
    )
    if threading.get_ident() == loop.thread_id:
        # Collected in the loop's own thread, which cannot wait for itself to stop.
        threading.Thread(target=loop.close, name="numbers-core-close", daemon=True).start()
    else:
        loop.close()


class Runs(Protocol):
    """Where a blocking object's calls run: a LoopThread, or what wraps one."""

    @property
    def closed(self) -> bool: ...

    def run(
        self, hint: tuple[str, str], function: Callable[P, Awaitable[R]], /, *args: P.args, **kwargs: P.kwargs
    ) -> R: ...


class Owner(Protocol[A_co]):
    """A blocking object: where its calls run, and the async object they call."""

    @property
    def _loop(self) -> Runs: ...

    @property
    def _async(self) -> A_co: ...


class Closing(abc.ABC):
    """What a ``with`` block closes on the way out."""

    @abc.abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class BlockingIterator(Closing, Iterator[T]):
    """The items of an async iterator, each one taken on the event loop: ``for number in
    carrier.list(): …``. Threads may share it (each item goes to one of them); ``close()``, or a
    ``with`` block, stops it early."""

    def __init__(self, owner: Owner[object], items: AsyncIterator[T], hint: tuple[str, str]) -> None:
        # The owner is kept alive while its items are taken: collected, it would close the loop.
        self._owner = owner
        self._items = items
        self._hint = hint
        self._lock = threading.Lock()
        self._done = False

    def __iter__(self) -> Self:
        return self

    def __next__(self) -> T:
        with self._lock:
            if self._done:
                raise StopIteration
            try:
                return self._owner._loop.run(self._hint, self._items.__anext__)
            except StopAsyncIteration:
                self._done = True
                raise StopIteration from None

    def close(self) -> None:
        """Stop: no further item is fetched. Safe twice, and after the last item."""
        with self._lock:
            if self._done:
                return
            self._done = True
            aclose = getattr(self._items, "aclose", None)
            if aclose is not None and not self._owner._loop.closed:
                self._owner._loop.run(self._hint, aclose)


async def _iterate(
    function: Callable[P, AsyncIterable[T]], /, *args: P.args, **kwargs: P.kwargs
) -> AsyncIterator[T]:
    # Called on the loop: the method checks its arguments here, and may make loop-bound objects.
    return aiter(function(*args, **kwargs))


class _Probe:
    """Stands in for the async object: the attribute a lambda reads off it is its name."""

    def __getattr__(self, name: str) -> str:
        return name


class Twins(Generic[A]):
    """Blocking twins of ``async_class``'s async methods, for the class ``blocking_name`` of ``module``.

    ``instead`` says what async code calls, ``{name}`` standing for the method, as refusals
    inside an event loop say it.
    """

    def __init__(self, async_class: type, blocking_name: str, *, module: str, instead: str) -> None:
        # ``type``, not ``type[A]``: Provider is abstract. A comes from the variable's annotation.
        self.async_class = async_class
        self.module = module
        self.blocking_name = blocking_name
        self.instead = instead
        #: the methods :meth:`complete` added to its class without a declaration
        self.undeclared: tuple[str, ...] = ()
        self._made: dict[Callable[..., object], str] = {}

    def _original(self, method: Callable[[A], object], kind: str) -> tuple[str, Callable[..., object]]:
        name = method(typing.cast(A, _Probe()))
        if not isinstance(name, str):  # pragma: no cover - a twin is declared as lambda x: x.method
            raise TypeError(f"{self.blocking_name}: a twin is declared as lambda x: x.<method>")
        original = inspect.getattr_static(self.async_class, name, None)
        if kind_of(original) != kind:
            raise TypeError(
                f"{self.blocking_name}.{name}: {self.async_class.__name__}.{name} is not a {kind} method"
            )
        return name, typing.cast(Callable[..., object], original)

    def hint(self, name: str) -> tuple[str, str]:
        """What ``name`` is, and what async code calls instead, as a refusal inside a loop says it."""
        return f"{self.blocking_name}.{name}()", self.instead.format(name=name)

    def _describe(self, twin: Callable[..., object], name: str, original: Callable[..., object]) -> None:
        describe(
            twin,
            original,
            module=self.module,
            qualname=f"{self.blocking_name}.{name}",
            async_name=self.async_class.__name__,
        )
        self._made[twin] = name

    def call(self, method: Callable[[A], Callable[P, Awaitable[R]]]) -> Callable[Concatenate[Any, P], R]:
        """The blocking form of the coroutine method ``method`` reads (``lambda x: x.search``)."""
        name, original = self._original(method, CALL)
        hint = self.hint(name)

        def twin(self: Owner[A], /, *args: P.args, **kwargs: P.kwargs) -> R:
            return self._loop.run(hint, method(self._async), *args, **kwargs)

        self._describe(twin, name, original)
        return twin

    def iterate(
        self, method: Callable[[A], Callable[P, AsyncIterable[T]]]
    ) -> Callable[Concatenate[Any, P], BlockingIterator[T]]:
        """The blocking form of the async-iterator method ``method`` reads (``lambda x: x.list``)."""
        name, original = self._original(method, ITERATE)
        hint = self.hint(name)

        def twin(self: Owner[A], /, *args: P.args, **kwargs: P.kwargs) -> BlockingIterator[T]:
            items = self._loop.run(hint, _iterate, method(self._async), *args, **kwargs)
            return BlockingIterator(self, items, hint)

        self._describe(twin, name, original)
        return twin

    def complete(self, blocking_class: B) -> B:
        """Class decorator: a twin for every public async method of the async class.

        Those the class declares are checked (each under its own method's name); any other is
        made here, so that a method added to the async class has its blocking form at once.
        Such a twin works, but a type checker does not see it: :attr:`undeclared` names them,
        and the tests ask for their declarations.
        """
        for attribute, member in vars(blocking_class).items():
            twin_of = self._made.get(member) if isinstance(member, types.FunctionType) else None
            if twin_of is not None and twin_of != attribute:
                raise TypeError(f"{self.blocking_name}.{attribute} is declared as the twin of {twin_of}")
        undeclared = []
        for name, kind in surface(self.async_class).items():
            if hasattr(blocking_class, name):
                continue
            getter: Any = operator.attrgetter(name)
            setattr(blocking_class, name, self.call(getter) if kind == CALL else self.iterate(getter))
            undeclared.append(name)
        self.undeclared = tuple(undeclared)
        return blocking_class


def describe(
    twin: Callable[..., object],
    original: Callable[..., object],
    *,
    module: str,
    qualname: str,
    async_name: str,
) -> None:
    """Give ``twin`` (of ``module``) the name, docstring and signature of the async ``original`` it runs."""
    twin.__name__ = original.__name__
    twin.__qualname__ = qualname
    twin.__module__ = module
    twin.__doc__ = (
        f"{inspect.getdoc(original) or ''}\n\n"
        f"(The blocking form of ``{async_name}.{original.__name__}``: the same call, without await.)"
    ).strip()
    signature = inspect.signature(original)
    if kind_of(original) == ITERATE:
        # Pager[ActiveNumber] -> BlockingIterator[ActiveNumber]
        item = str(signature.return_annotation).partition("[")[2].rpartition("]")[0]
        signature = signature.replace(return_annotation=f"BlockingIterator[{item or 'Any'}]")
    twin.__signature__ = signature  # type: ignore[attr-defined]


def kind_of(member: object) -> str | None:
    """CALL for a coroutine function, ITERATE for one that returns an async iterator (or iterable)."""
    if inspect.iscoroutinefunction(member):
        return CALL
    if inspect.isasyncgenfunction(member):
        return ITERATE
    if inspect.isfunction(member) and _returns_async_iterable(member):
        return ITERATE
    return None


def _return_type(function: types.FunctionType) -> object:
    """``function``'s return annotation, resolved (its other annotations may name what only a type
    checker imports); None when it cannot be."""
    annotation = function.__annotations__.get("return")
    if not isinstance(annotation, str):
        return annotation
    shim = types.SimpleNamespace(__annotations__={"return": annotation})
    try:
        return typing.get_type_hints(shim, globalns=function.__globals__)["return"]
    except NameError:  # a name imported for type checkers only: not a class this can look at
        return None


def _returns_async_iterable(function: types.FunctionType) -> bool:
    returns = _return_type(function)
    origin = typing.get_origin(returns) or returns
    return isinstance(origin, type) and issubclass(origin, collections.abc.AsyncIterable)


def surface(async_class: type) -> dict[str, str]:
    """The public async methods of ``async_class`` by name: CALL or ITERATE each (close aside)."""
    found = {}
    for name in dir(async_class):
        if name.startswith("_") or name in _LIFECYCLE:
            continue
        kind = kind_of(inspect.getattr_static(async_class, name))
        if kind is not None:
            found[name] = kind
    return found
