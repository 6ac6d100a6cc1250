"""The numbers one provider's calls are buying right now, and those they just finished with.

Concurrent calls on one provider instance would otherwise pick the same
candidate and buy it twice, or, where a carrier answers a purchase of a
number the account holds already with success (Kazoo), both report it bought.
A purchase holds its number's claim until its answer is in: another
``purchase`` of it waits for that, a ``purchase_any`` picks another
candidate. A page a search gave before a purchase ended still shows its
number: numbers settled (bought, or found taken) since a search began are
passed over too. Everything runs on one event loop (the blocking API's too),
so a claim is taken or refused without a lock.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Iterable, Iterator

import anyio

__all__ = ["Claims"]


class Claims:
    """Numbers held by calls in flight, and those settled while a search's page is being used."""

    def __init__(self) -> None:
        # Each held number, with the event set when its call lets it go.
        self._held: dict[str, anyio.Event] = {}
        # Numbers settled while a page was in use, by when (a tick of ``_clock``).
        self._settled: dict[str, int] = {}
        self._clock = 0
        # When each page in use was asked for.
        self._pages: list[int] = []

    def take(self, e164: str) -> bool:
        """Claim ``e164`` now; False when another call holds it."""
        if e164 in self._held:
            return False
        self._held[e164] = anyio.Event()
        return True

    def drop(self, e164: str, *, settled: bool) -> None:
        """Let ``e164`` go; ``settled``: it is not for sale any more (bought, or taken)."""
        self._held.pop(e164).set()
        if settled and self._pages:
            self._clock += 1
            self._settled[e164] = self._clock

    async def gone(self, numbers: Iterable[str]) -> None:
        """Return once the calls holding any of ``numbers`` now have let them go."""
        for event in [self._held[e164] for e164 in numbers if e164 in self._held]:
            await event.wait()

    @contextlib.asynccontextmanager
    async def holding(self, e164: str) -> AsyncIterator[None]:
        """Hold ``e164`` for the block, once the call that holds it now (if any) is done; settled
        when the block ends without an error."""
        while not self.take(e164):
            await self.gone([e164])
        settled = False
        try:
            yield
            settled = True
        finally:
            self.drop(e164, settled=settled)

    @contextlib.contextmanager
    def page(self) -> Iterator[Callable[[str], bool]]:
        """For a search and the purchases made from its page: whether a number of the page was
        settled since the search was sent (its page is out of date about it)."""
        start = self._clock
        self._pages.append(start)
        try:
            yield lambda e164: self._settled.get(e164, start) > start
        finally:
            self._pages.remove(start)
            oldest = min(self._pages, default=self._clock)
            self._settled = {e164: tick for e164, tick in self._settled.items() if tick > oldest}
