"""Who owns which number, and each account's address book: the sandbox's state, kept in memory.

A store holds one row per owned number, whoever owns it, so that no two
accounts sharing a store can own the same number. Numbers are kept as the
JSON of their :class:`ActiveNumber`, in memory exactly as in SQLite, so both
stores hand back fresh, equal objects and refuse the same configurations.
Addresses are kept the same way, as the JSON of their :class:`Address`.
"""

from __future__ import annotations

import abc
import bisect
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import anyio.lowlevel
import phonenumbers

from .._models import ActiveNumber, Address, NumberType
from .._provider import _matches_pattern

__all__ = ["AddressRow", "ListFilter", "MemoryStore", "Removal", "Row", "Store", "uses_address"]

Change = Callable[[ActiveNumber], ActiveNumber]
#: what ``remove_address`` did: removed it, found no such address, or left it because a number uses it
Removal = Literal["removed", "missing", "in-use"]


def uses_address(number: ActiveNumber, address_id: str) -> bool:
    """Whether ``number`` is bought or registered for emergencies under the address ``address_id``."""
    compliance = number.config.compliance
    return number.config.emergency_address_id == address_id or (
        compliance is not None and compliance.address_id == address_id
    )


_NORTH_AMERICAN = re.compile(r"\+1[2-9][0-9]{9}")


def _national(e164: str) -> str:
    """The national number of ``e164`` as phonenumbers parses it (its digits after the country code,
    but for leading zeros and a trunk prefix, which parsing drops). Ten digits after +1 that do not
    start with 0 or 1 (the North American trunk prefix) are already that: no parsing, the most part
    of a claim's time otherwise."""
    if _NORTH_AMERICAN.fullmatch(e164):
        return e164[2:]
    return str(phonenumbers.parse(e164, None).national_number)


@dataclass(frozen=True)
class Row:
    """One owned number as a store keeps it."""

    seq: int  # purchase order, never reused: the cursor of list pages
    e164: str
    account_id: str
    number_type: str
    iso_country: str | None
    friendly_name: str | None
    national: str
    record: str  # the ActiveNumber as JSON

    @classmethod
    def of(cls, seq: int, number: ActiveNumber) -> Row:
        return cls(
            seq=seq,
            e164=number.phone_number,
            account_id=number.account_id or "",
            number_type=number.number_type.value,
            iso_country=number.geography.iso_country,
            friendly_name=number.friendly_name,
            national=_national(number.phone_number),
            record=number.model_dump_json(),
        )

    def number(self) -> ActiveNumber:
        return ActiveNumber.model_validate_json(self.record)


@dataclass(frozen=True)
class AddressRow:
    """One address as a store keeps it."""

    seq: int  # creation order, never reused: the cursor of address pages
    id: str
    account_id: str
    record: str  # the Address as JSON

    def address(self) -> Address:
        return Address.model_validate_json(self.record)


@dataclass(frozen=True)
class ListFilter:
    """The filters of ``Provider.list`` the stores apply themselves (already normalised)."""

    contains: str | None = None
    friendly_name: str | None = None
    number_type: NumberType | None = None
    country: str | None = None

    def admits(self, row: Row) -> bool:
        return (
            (
                self.contains is None
                or _matches_pattern(row.national, self.contains)
                or _matches_pattern(row.e164[1:], self.contains)
            )
            and (
                self.friendly_name is None
                or (row.friendly_name or "").casefold() == self.friendly_name.casefold()
            )
            and (self.number_type is None or row.number_type == self.number_type.value)
            and (self.country is None or row.iso_country in (None, self.country))
        )


class Store(abc.ABC):
    """Ownership state. Every method is atomic with respect to every other caller."""

    @abc.abstractmethod
    async def taken(self, numbers: Sequence[str]) -> set[str]:
        """Which of ``numbers`` someone owns."""

    @abc.abstractmethod
    async def claim(self, number: ActiveNumber) -> bool:
        """Record ``number`` as owned by its account; False if anyone owns it already."""

    @abc.abstractmethod
    async def generation(self) -> int:
        """How many numbers were ever claimed: it changes with every purchase, and only then."""

    @abc.abstractmethod
    async def get(self, e164: str, account_id: str) -> ActiveNumber | None:
        """The number, if ``account_id`` owns it."""

    @abc.abstractmethod
    async def update(self, e164: str, account_id: str, change: Change) -> ActiveNumber | None:
        """Replace the number ``account_id`` owns by ``change(number)``; None if not owned."""

    @abc.abstractmethod
    async def remove(self, e164: str, account_id: str) -> bool:
        """Forget the number if ``account_id`` owns it; False if not."""

    @abc.abstractmethod
    async def page(self, account_id: str, after: int, size: int, where: ListFilter) -> list[Row]:
        """Up to ``size`` rows of ``account_id`` with ``seq > after`` that ``where`` admits, in order."""

    @abc.abstractmethod
    async def accounts(self) -> dict[str, int]:
        """Every account that owns numbers, with how many it owns."""

    @abc.abstractmethod
    async def clear(self) -> None:
        """Forget every owned number and every address, of every account."""

    @abc.abstractmethod
    async def add_address(self, account_id: str, address_id: str, address: Address) -> None:
        """Keep ``address`` (whose id is ``address_id``, new) in ``account_id``'s address book."""

    @abc.abstractmethod
    async def get_address(self, account_id: str, address_id: str) -> Address | None:
        """The address, if it is in ``account_id``'s address book."""

    @abc.abstractmethod
    async def address_page(self, account_id: str, after: int, size: int) -> list[AddressRow]:
        """Up to ``size`` addresses of ``account_id`` with ``seq > after``, in order."""

    @abc.abstractmethod
    async def remove_address(self, account_id: str, address_id: str) -> Removal:
        """Forget the address unless a number (of any account) uses it; atomically."""

    @abc.abstractmethod
    async def aclose(self) -> None:
        """Let go of files and connections; the store may be used again afterwards."""


class MemoryStore(Store):
    """State that lives as long as the provider object.

    Every method does its work in one synchronous stretch after a single
    checkpoint, and tasks only switch at awaits: no other task can see or
    change the state half way, so no lock is needed (an ``anyio.Lock`` here
    would guard nothing).
    """

    def __init__(self) -> None:
        self._rows: dict[str, Row] = {}
        self._order: list[int] = []  # seq of every row, ascending
        self._by_seq: dict[int, str] = {}
        self._last_seq = 0
        self._addresses: dict[str, AddressRow] = {}  # by id, in creation order
        self._last_address = 0

    async def aclose(self) -> None:
        """Nothing to let go of: the state lives as long as the object."""

    async def accounts(self) -> dict[str, int]:
        await anyio.lowlevel.checkpoint()
        counts: dict[str, int] = {}
        for row in self._rows.values():
            counts[row.account_id] = counts.get(row.account_id, 0) + 1
        return counts

    async def clear(self) -> None:
        await anyio.lowlevel.checkpoint()
        # Sequence numbers go on from where they were: list cursors handed out stay meaningless.
        self._rows.clear()
        self._order.clear()
        self._by_seq.clear()
        self._addresses.clear()

    async def taken(self, numbers: Sequence[str]) -> set[str]:
        await anyio.lowlevel.checkpoint()
        return {e164 for e164 in numbers if e164 in self._rows}

    async def generation(self) -> int:
        await anyio.lowlevel.checkpoint()
        return self._last_seq

    async def claim(self, number: ActiveNumber) -> bool:
        await anyio.lowlevel.checkpoint()
        if number.phone_number in self._rows:
            return False
        self._last_seq += 1
        self._put(Row.of(self._last_seq, number))
        self._order.append(self._last_seq)
        return True

    def _put(self, row: Row) -> None:
        self._rows[row.e164] = row
        self._by_seq[row.seq] = row.e164

    def _owned(self, e164: str, account_id: str) -> Row | None:
        row = self._rows.get(e164)
        return row if row is not None and row.account_id == account_id else None

    async def get(self, e164: str, account_id: str) -> ActiveNumber | None:
        await anyio.lowlevel.checkpoint()
        row = self._owned(e164, account_id)
        return row.number() if row is not None else None

    async def update(self, e164: str, account_id: str, change: Change) -> ActiveNumber | None:
        await anyio.lowlevel.checkpoint()
        row = self._owned(e164, account_id)
        if row is None:
            return None
        changed = change(row.number())
        self._put(Row.of(row.seq, changed))
        return changed

    async def remove(self, e164: str, account_id: str) -> bool:
        await anyio.lowlevel.checkpoint()
        row = self._owned(e164, account_id)
        if row is None:
            return False
        del self._rows[e164]
        del self._by_seq[row.seq]
        del self._order[bisect.bisect_left(self._order, row.seq)]
        return True

    async def page(self, account_id: str, after: int, size: int, where: ListFilter) -> list[Row]:
        await anyio.lowlevel.checkpoint()
        found: list[Row] = []
        for seq in self._order[bisect.bisect_right(self._order, after) :]:
            row = self._rows[self._by_seq[seq]]
            if row.account_id == account_id and where.admits(row):
                found.append(row)
                if len(found) == size:
                    break
        return found

    async def add_address(self, account_id: str, address_id: str, address: Address) -> None:
        await anyio.lowlevel.checkpoint()
        self._last_address += 1
        self._addresses[address_id] = AddressRow(
            self._last_address, address_id, account_id, address.model_dump_json()
        )

    async def get_address(self, account_id: str, address_id: str) -> Address | None:
        await anyio.lowlevel.checkpoint()
        row = self._addresses.get(address_id)
        return row.address() if row is not None and row.account_id == account_id else None

    async def address_page(self, account_id: str, after: int, size: int) -> list[AddressRow]:
        await anyio.lowlevel.checkpoint()
        # Dicts keep insertion order, which is creation order; address books are small.
        rows = [row for row in self._addresses.values() if row.account_id == account_id and row.seq > after]
        return rows[:size]

    async def remove_address(self, account_id: str, address_id: str) -> Removal:
        await anyio.lowlevel.checkpoint()
        row = self._addresses.get(address_id)
        if row is None or row.account_id != account_id:
            return "missing"
        if any(uses_address(number.number(), address_id) for number in self._rows.values()):
            return "in-use"
        del self._addresses[address_id]
        return "removed"
