"""numbers-core for code that is not async: Django and Flask views, Celery tasks, scripts.

::

    from numbers_core import sync

    with sync.connect("sandbox") as carrier:
        [number] = carrier.search(area_code="415", limit=1)
        owned = carrier.purchase(number)
        for held in carrier.list():
            ...

:func:`connect` takes the arguments of ``numbers_core.connect`` and returns a
:class:`BlockingProvider`: the methods of ``numbers_core.Provider``, without ``await``
(``list()``, like any async-iterator method, gives a plain iterator). Bulk jobs:
:mod:`numbers_core.sync.bulk`. See docs/blocking.md.

How it runs. A blocking provider runs its async provider on an asyncio event loop in a thread
of its own (anyio's blocking portal), started by :func:`connect` and stopped by
:meth:`~BlockingProvider.close`. A call hands its coroutine to that loop and waits for it;
calls from several threads at once run there concurrently, over one connection pool, so a
process keeps one provider for all its threads. A Ctrl-C in a waiting thread cancels the call
on the loop, and the provider stays usable. A call from a thread that runs an event loop of
its own is refused (:class:`EventLoopError`): it would stall every other task of that loop.

Why it is derived this way. No method is written out twice. Each is one declaration,
``search = _TWINS.call(lambda carrier: carrier.search)``, which makes a function that runs the
provider's own ``search`` on the loop and carries its docstring and signature. The declaration
is typed with ParamSpec, so mypy sees every method's parameters (names, kinds, defaults) and
the type its coroutine returns, with no stub to keep in step: a ``__getattr__`` would show mypy
nothing, and a generated ``.pyi`` would need regenerating by hand and would keep mypy from
checking this module. What no type checker can do is see a declaration that is not written, so
the class decorator completes the class at import: a public coroutine or async-iterator method
of ``Provider`` that has no declaration (one just added to the async side) gets its twin
anyway, which works at once, and the tests fail until it is declared, for mypy's sake.
"""

from __future__ import annotations

import inspect
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, ParamSpec

from .._provider import Provider
from .._registry import connect as _async_connect
from ..errors import TransportError
from ._portal import (
    BlockingIterator,
    Closing,
    EventLoopError,
    LoopThread,
    Twins,
    close_collected,
    refuse_inside_loop,
)

if TYPE_CHECKING:
    from .._features import Feature

__all__ = ["BlockingIterator", "BlockingProvider", "EventLoopError", "connect"]

P = ParamSpec("P")

_TWINS: Twins[Provider] = Twins(
    Provider,
    "BlockingProvider",
    module=__name__,
    instead="await carrier.{name}(...) on a provider from numbers_core.connect()",
)


@_TWINS.complete
class BlockingProvider(Closing):
    """A carrier for blocking code: ``numbers_core.Provider``'s methods, without ``await``.

    Made by :func:`connect`. Any number of threads may share one; each call blocks its own
    thread only. Close it with :meth:`close` or a ``with`` block.
    """

    def __init__(self, carrier: Provider) -> None:
        name = carrier.name

        def closed() -> TransportError:
            return TransportError(f"{name}: the provider is closed", provider=name, retryable=False)

        loop = LoopThread(closed)
        try:
            self._async = loop.enter(carrier)
        except BaseException:
            loop.close()
            raise
        self._loop = loop
        #: the registered name of the carrier
        self.name = name
        self._finalizer = weakref.finalize(
            self, close_collected, loop, f"numbers_core.sync provider {name!r}"
        )
        # A provider kept for the life of the process is closed at its exit (the loop's own
        # hook), which is how it is meant to be used: nothing to warn about.
        self._finalizer.atexit = False

    @property
    def features(self) -> frozenset[Feature]:
        """What this provider, as configured, can do."""
        return self._async.features

    def supports(self, feature: Feature | str) -> bool:
        """Whether this provider, as configured, can do ``feature``."""
        return self._async.supports(feature)

    def __repr__(self) -> str:
        return f"<BlockingProvider {self.name!r}>"

    def close(self) -> None:
        """Close the provider (its connections) and stop its event loop. Safe to call twice.

        A user-supplied ``http_client`` is left open, as by ``aclose()``.
        """
        refuse_inside_loop("BlockingProvider.close()", "await carrier.aclose()")
        self._finalizer.detach()
        self._loop.close()

    # The Provider interface; each line is one method's blocking twin (see the module's docstring).
    search = _TWINS.call(lambda carrier: carrier.search)
    purchase = _TWINS.call(lambda carrier: carrier.purchase)
    purchase_any = _TWINS.call(lambda carrier: carrier.purchase_any)
    get = _TWINS.call(lambda carrier: carrier.get)
    configure = _TWINS.call(lambda carrier: carrier.configure)
    release = _TWINS.call(lambda carrier: carrier.release)
    list = _TWINS.iterate(lambda carrier: carrier.list)
    wait_provisioned = _TWINS.call(lambda carrier: carrier.wait_provisioned)
    transfer = _TWINS.call(lambda carrier: carrier.transfer)
    purchase_many = _TWINS.call(lambda carrier: carrier.purchase_many)
    configure_many = _TWINS.call(lambda carrier: carrier.configure_many)
    release_many = _TWINS.call(lambda carrier: carrier.release_many)
    prices = _TWINS.call(lambda carrier: carrier.prices)
    coverage = _TWINS.call(lambda carrier: carrier.coverage)
    requirements = _TWINS.call(lambda carrier: carrier.requirements)
    create_address = _TWINS.call(lambda carrier: carrier.create_address)
    addresses = _TWINS.iterate(lambda carrier: carrier.addresses)
    delete_address = _TWINS.call(lambda carrier: carrier.delete_address)
    validate_emergency_address = _TWINS.call(lambda carrier: carrier.validate_emergency_address)
    reserve = _TWINS.call(lambda carrier: carrier.reserve)


def _blocking_connect(connect: Callable[P, Provider]) -> Callable[P, BlockingProvider]:
    """``connect``'s blocking form: the same arguments (for mypy too), a BlockingProvider back."""

    def blocking_connect(*args: P.args, **kwargs: P.kwargs) -> BlockingProvider:
        """A provider for blocking code (``with sync.connect("sandbox") as carrier``).

        Takes the arguments of ``numbers_core.connect`` (a provider name and its settings, a
        profile, a config file, an ``http_client``), checks them the same way before any network
        I/O, and returns a :class:`BlockingProvider` running on an event loop of its own.
        """
        refuse_inside_loop("numbers_core.sync.connect()", "async with numbers_core.connect(...) as carrier")
        return BlockingProvider(connect(*args, **kwargs))

    blocking_connect.__name__ = blocking_connect.__qualname__ = "connect"
    blocking_connect.__signature__ = inspect.signature(connect).replace(  # type: ignore[attr-defined]
        return_annotation="BlockingProvider"
    )
    return blocking_connect


connect = _blocking_connect(_async_connect)
