"""One deadline per public call, shared by every request and wait the call makes.

A public method of a provider (``purchase_any``: a login, a search, then a
purchase; ``purchase``: the purchase, then the look-up that settles a lost
answer) opens a deadline with :func:`call_deadline`; the HTTP core reads it
with :func:`call_end` before each request and each retry wait, so that the
``deadline`` setting bounds the call as a whole, not each request in it. It
lives in a context variable, so it follows the call into the tasks it starts
(under asyncio and trio alike) and never leaks into another call. It needs no
HTTP stack: the sandbox opens deadlines too, and loads none.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

import anyio

__all__ = ["SETTLE_GRACE", "call_deadline", "call_end", "part_deadline", "settle_grace"]

#: seconds a look-up that settles a lost or unreadable answer (was the number bought? released?)
#: may still take when the call's deadline has passed or is about to: without it, a deadline
#: that ran out with the answer would leave every such outcome unknown
SETTLE_GRACE = 10.0

# When the public call under way in this task must be over (anyio.current_time()); None outside one.
_END: ContextVar[float | None] = ContextVar("numbers_core_call_end", default=None)


def call_end() -> float | None:
    """When the public call under way must be over (``anyio.current_time()``); None outside one."""
    return _END.get()


@contextlib.contextmanager
def call_deadline(seconds: float) -> Iterator[None]:
    """Everything inside is over within ``seconds`` from now; a call made inside another one
    (``purchase_any``'s search) keeps the outer call's deadline."""
    if _END.get() is not None:
        yield
        return
    token = _END.set(anyio.current_time() + seconds)
    try:
        yield
    finally:
        _END.reset(token)


@contextlib.contextmanager
def part_deadline(seconds: float) -> Iterator[None]:
    """Everything inside is over within ``seconds`` from now, or by the deadline of the call under
    way if that comes first: a part of a call that has a budget of its own (a routing provider's
    call to one of its members keeps to that member's deadline, and to the routed call's)."""
    end = anyio.current_time() + seconds
    outer = _END.get()
    token = _END.set(end if outer is None else min(outer, end))
    try:
        yield
    finally:
        _END.reset(token)


@contextlib.contextmanager
def settle_grace() -> Iterator[None]:
    """Everything inside has at least SETTLE_GRACE seconds from now, even past the call's deadline:
    for the look-ups that settle an answer that was lost. Outside a call, nothing changes."""
    end = _END.get()
    if end is None:
        yield
        return
    token = _END.set(max(end, anyio.current_time() + SETTLE_GRACE))
    try:
        yield
    finally:
        _END.reset(token)
