"""Lazy pagination, shared by every provider."""

from __future__ import annotations

from collections import deque
from collections.abc import Awaitable, Callable, Hashable
from types import TracebackType
from typing import Generic, Self, TypeVar

from .errors import ProtocolError

__all__ = ["PageFetcher", "Pager"]

T = TypeVar("T")

#: ``fetch(cursor)`` returns one page and the cursor of the next (None or "" after the last).
PageFetcher = Callable[[str | None], Awaitable[tuple[list[T], str | None]]]

# The longest next-page key sent back. Carriers' keys are tens or hundreds of characters; a longer
# one is a broken or hostile answer, and percent-encoded into a URL (up to 12 characters for one)
# it could pass the 64 KiB a URL may have, which fails the request before it is built.
MAX_CURSOR = 4096


class Pager(Generic[T]):
    """Items fetched page by page, only as they are consumed.

    An async iterator, but deliberately not an async generator: a consumer
    that leaves ``async for`` early leaves no suspended generator frame
    behind, which trio would otherwise report as a ResourceWarning, and which
    asyncio would finalise at some later, unpredictable point.

    The first call of ``fetch`` gets ``None``. A carrier that hands out the
    same cursor twice would make us loop forever, so that is a ProtocolError;
    it names the page, never the cursor, which may carry a credential.
    ``keep`` drops items client-side (filters the carrier cannot apply);
    ``unique`` gives each item's identity, for carriers that repeat items on
    several pages: an item already handed out is dropped.
    """

    def __init__(
        self,
        fetch: PageFetcher[T],
        *,
        provider: str,
        keep: Callable[[T], bool] | None = None,
        unique: Callable[[T], Hashable] | None = None,
    ) -> None:
        self._fetch = fetch
        self._provider = provider
        self._keep = keep
        self._unique = unique
        self._handed_out: set[Hashable] = set()
        self._buffer: deque[T] = deque()
        self._cursor: str | None = None
        self._seen: set[str] = set()
        self._pages = 0
        self._done = False
        # Raised once the items already fetched have been handed out.
        self._error: ProtocolError | None = None

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> T:
        while not self._buffer:
            if self._error is not None:
                error, self._error = self._error, None
                raise error
            if self._done:
                raise StopAsyncIteration
            await self._next_page()
        return self._buffer.popleft()

    async def _next_page(self) -> None:
        if self._pages and not self._cursor:
            self._done = True
            return
        self._pages += 1
        try:
            items, cursor = await self._fetch(self._cursor)
        except BaseException:
            self._done = True
            raise
        if self._unique is not None:
            items = self._first_sightings(items, self._unique)
        self._buffer.extend(items if self._keep is None else filter(self._keep, items))
        if cursor:
            problem = _unusable(cursor, self._seen)
            if problem is not None:
                self._done = True
                self._error = ProtocolError(
                    f"{self._provider}: pagination stops: page {self._pages} links to {problem}",
                    provider=self._provider,
                )
            self._seen.add(cursor)
        else:
            self._done = True
        self._cursor = cursor

    def _first_sightings(self, items: list[T], identity: Callable[[T], Hashable]) -> list[T]:
        fresh = []
        for item in items:
            key = identity(item)
            if key not in self._handed_out:
                self._handed_out.add(key)
                fresh.append(item)
        return fresh

    async def aclose(self) -> None:
        """Stop: no further page is fetched. Nothing is held open between pages."""
        self._done = True
        self._error = None
        self._buffer.clear()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


def _unusable(cursor: str, seen: set[str]) -> str | None:
    """What is wrong with a next-page key, in words that do not quote it (it may carry a
    credential); None for one that can be followed."""
    if cursor in seen:
        return "a page already read (pagination repeats itself)"
    if len(cursor) > MAX_CURSOR:
        return f"the next page by a key of {len(cursor):,} characters, longer than any carrier's"
    if not cursor.isprintable():  # a control character, or a lone surrogate no URL can carry
        return "the next page by a key that is not plain text"
    return None
