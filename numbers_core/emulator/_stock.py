"""An emulator's stock: how many more numbers it sells under a prefix, so that a carrier can be
made to run dry of an area code (``PATCH /_emulator/stock`` with ``{"+1415": 300}``).

The stock is counted where every purchase of every dialect ends, the store's ``claim``: a number
under a prefix with none left is not sold (the dialect answers as its carrier does for a number
taken), and searches no longer show it, as at a carrier that has run dry. Releases do not put
numbers back. The counts live in the emulator's process, beside a state file that may outlive it.
"""

from __future__ import annotations

import builtins
import re
from collections.abc import Mapping, Sequence
from typing import Any

import phonenumbers

from .._models import ActiveNumber, Address, AvailableNumber, SearchQuery
from ..errors import ConfigurationError
from ..sandbox import SandboxProvider, SandboxSettings
from ..sandbox._store import AddressRow, Change, ListFilter, Removal, Row, Store

__all__ = ["Stock", "StockedSandbox", "StockedStore"]

_PREFIX = re.compile(r"^\+[1-9][0-9]{0,14}$")


class Stock:
    """Numbers left to sell, by E.164 prefix (``"+1415"``); a number under several prefixes needs
    one left under each."""

    def __init__(self) -> None:
        self._given: dict[str, int] = {}
        self.left: dict[str, int] = {}

    def set(self, changes: Mapping[str, Any]) -> dict[str, int]:
        """Sell ``count`` more numbers under each prefix given (None: as many as there are); the
        others stay. Returns what is left under each prefix. Checked whole before any change."""
        if not isinstance(changes, Mapping):
            raise ConfigurationError("stock: expected prefixes and counts", setting="stock")
        for prefix, count in changes.items():
            if not isinstance(prefix, str) or not _PREFIX.match(prefix):
                raise ConfigurationError(
                    f"stock: {prefix!r:.40} is not a prefix of E.164 numbers (a + and digits: +1415)",
                    setting="stock",
                )
            if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 0):
                raise ConfigurationError(
                    f"stock: {prefix} takes a whole number of numbers, 0 or more (or null: no limit), "
                    f"not {count!r:.40}",
                    setting="stock",
                )
        for prefix, count in changes.items():
            if count is None:
                self._given.pop(prefix, None)
                self.left.pop(prefix, None)
            else:
                self._given[prefix] = self.left[prefix] = count
        return dict(self.left)

    def restock(self) -> None:
        """Everything given is for sale again (the emulator was reset)."""
        self.left = dict(self._given)

    def _under(self, e164: str) -> list[str]:
        return [prefix for prefix in self.left if e164.startswith(prefix)]

    def sold_out(self, e164: str) -> bool:
        return any(self.left[prefix] <= 0 for prefix in self._under(e164))

    def take(self, e164: str) -> bool:
        """One number under ``e164``'s prefixes sold; False (and nothing taken) if none is left."""
        under = self._under(e164)
        if any(self.left[prefix] <= 0 for prefix in under):
            return False
        for prefix in under:
            self.left[prefix] -= 1
        return True

    def give_back(self, e164: str) -> None:
        """A number taken and not sold after all (the claim failed)."""
        for prefix in self._under(e164):
            self.left[prefix] += 1


class StockedStore(Store):
    """``inner``, selling only what the stock has left: a number under a prefix sold out is
    refused by :meth:`claim` and reported by :meth:`taken`, as a number someone holds is."""

    def __init__(self, inner: Store, stock: Stock) -> None:
        self.inner = inner
        self.stock = stock

    async def taken(self, numbers: Sequence[str]) -> set[str]:
        held = await self.inner.taken(numbers)
        return held | {number for number in numbers if self.stock.sold_out(number)}

    async def claim(self, number: ActiveNumber) -> bool:
        # Taken before the claim, in one step of the event loop: claims at the same moment cannot
        # both have the last one.
        if not self.stock.take(number.phone_number):
            return False
        claimed = False
        try:
            claimed = await self.inner.claim(number)
        finally:
            if not claimed:
                self.stock.give_back(number.phone_number)
        return claimed

    async def generation(self) -> int:
        return await self.inner.generation()

    async def get(self, e164: str, account_id: str) -> ActiveNumber | None:
        return await self.inner.get(e164, account_id)

    async def update(self, e164: str, account_id: str, change: Change) -> ActiveNumber | None:
        return await self.inner.update(e164, account_id, change)

    async def remove(self, e164: str, account_id: str) -> bool:
        return await self.inner.remove(e164, account_id)

    async def page(self, account_id: str, after: int, size: int, where: ListFilter) -> list[Row]:
        return await self.inner.page(account_id, after, size, where)

    async def accounts(self) -> dict[str, int]:
        return await self.inner.accounts()

    async def clear(self) -> None:
        await self.inner.clear()

    async def add_address(self, account_id: str, address_id: str, address: Address) -> None:
        await self.inner.add_address(account_id, address_id, address)

    async def get_address(self, account_id: str, address_id: str) -> Address | None:
        return await self.inner.get_address(account_id, address_id)

    async def address_page(self, account_id: str, after: int, size: int) -> list[AddressRow]:
        return await self.inner.address_page(account_id, after, size)

    async def remove_address(self, account_id: str, address_id: str) -> Removal:
        return await self.inner.remove_address(account_id, address_id)

    async def aclose(self) -> None:
        await self.inner.aclose()


class StockedSandbox(SandboxProvider):
    """The sandbox acting as an account of an emulated carrier whose store is stocked: a search
    whose numbers all lie under a prefix sold out answers nothing at once (the store would hide
    each of them, but only after the search had drawn them all)."""

    def __init__(self, settings: SandboxSettings, *, store: StockedStore) -> None:
        super().__init__(settings, store=store)
        self._stock = store.stock

    async def _search(self, query: SearchQuery) -> builtins.list[AvailableNumber]:
        leading = _leading(query)
        if leading is not None and self._stock.sold_out(leading):
            return []
        return await super()._search(query)


def _leading(query: SearchQuery) -> str | None:
    """What every number the query asks for starts with, in E.164 (``+1415``); None if unknown."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(query.country)
    if metadata is None or metadata.country_code is None:
        return None
    lead = max(query.area_code or "", query.starts_with or "", key=len)
    trunk = metadata.national_prefix or ""
    if trunk and lead.startswith(trunk):  # London's 020 is +4420
        lead = lead[len(trunk) :]
    return f"+{metadata.country_code}{lead}"
