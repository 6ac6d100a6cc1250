"""The sandbox carrier: the Provider interface over the inventory and a store."""

from __future__ import annotations

import builtins
import hashlib
import itertools
import random
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio.lowlevel
import anyio.to_thread
import phonenumbers
import pydantic_core

from .._features import ALL_CONFIG_FEATURES, Feature
from .._models import ActiveNumber, AvailableNumber, NumberConfig, NumberStatus, SearchQuery
from .._provider import Provider
from .._settings import ProviderSettings
from ..errors import (
    ConfigurationError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    NumberUnavailableError,
)
from ._faults import Faults
from ._inventory import candidates, describe, query_seed
from ._merge import merge_config
from ._settings import ACCOUNT_ID, SandboxSettings
from ._sqlite import SqliteStore
from ._store import ListFilter, MemoryStore, Store

if TYPE_CHECKING:
    import httpx

__all__ = ["SandboxProvider"]

# Owned numbers fetched per step of ``list()``.
_PAGE_SIZE = 100
# Numbers drawn per step of ``purchase_any``: most queries succeed on the first.
_BATCH = 4
# Walks of its own a ``purchase_any`` may start when concurrent buyers took every number it drew.
_FRESH_WALKS = 3

_FEATURES = frozenset(
    {
        Feature.SEARCH,
        Feature.PURCHASE,
        Feature.PURCHASE_WITH_CONFIG,
        Feature.PURCHASE_ANY_NATIVE,
        Feature.GET,
        Feature.CONFIGURE,
        Feature.RELEASE,
        Feature.LIST,
        Feature.TRANSFER,
        Feature.SEARCH_AREA_CODE,
        Feature.SEARCH_CONTAINS,
        Feature.SEARCH_STARTS_WITH,
        Feature.SEARCH_ENDS_WITH,
        Feature.SEARCH_REGION,
        Feature.SEARCH_LOCALITY,
        Feature.SEARCH_NEAR_NUMBER,
        Feature.SEARCH_VOICE,
        Feature.SEARCH_SMS,
        Feature.SEARCH_MMS,
        Feature.SEARCH_FAX,
        Feature.SEARCH_EXCLUDE_ADDRESS_REQUIRED,
        Feature.NUMBER_TYPE_LOCAL,
        Feature.NUMBER_TYPE_MOBILE,
        Feature.NUMBER_TYPE_TOLL_FREE,
        Feature.NUMBER_TYPE_NATIONAL,
        Feature.NUMBER_TYPE_VOIP,
        Feature.NUMBER_TYPE_SHARED_COST,
        Feature.NUMBER_TYPE_PREMIUM_RATE,
        Feature.NUMBER_TYPE_PERSONAL,
    }
    | ALL_CONFIG_FEATURES
)


_described = False


def _take(walk: Iterator[AvailableNumber], count: int) -> list[AvailableNumber]:
    global _described
    taken = list(itertools.islice(walk, count))
    # A walk describes every number it draws: the metadata is loaded now.
    _described = _described or bool(taken)
    return taken


async def _describe(e164: str, provider: str) -> AvailableNumber | None:
    """``describe``, off the event loop the first time only: that call loads the metadata (once per
    process); later ones take about 0.1 ms, less than a hop to a worker thread costs."""
    global _described
    if _described:
        await anyio.lowlevel.checkpoint()
        return describe(e164, provider)
    found = await anyio.to_thread.run_sync(describe, e164, provider)
    _described = True
    return found


def _number_id(e164: str) -> str:
    return "SBX" + hashlib.blake2b(e164.encode(), digest_size=16).hexdigest()


def _default_name(e164: str) -> str:
    return phonenumbers.format_number(phonenumbers.parse(e164, None), phonenumbers.PhoneNumberFormat.NATIONAL)


def _storable(config: NumberConfig | None) -> None:
    # Configurations are kept as JSON; say so now rather than fail half way.
    if config is None or not config.extra:
        return
    try:
        config.model_dump_json()
    except pydantic_core.PydanticSerializationError as exc:
        raise InvalidInputError(
            f"config.extra: values must be JSON data ({exc})", field="config.extra"
        ) from None


class SandboxProvider(Provider):
    """A complete carrier without a network: ``connect("sandbox")``.

    Its inventory is generated from the phonenumbers metadata (valid numbers
    of every type it sells in US, CA, GB, DE, FR and AU, local ones with the
    place the geocoding data gives them); what accounts own is kept in memory,
    or with ``path=`` in a SQLite file that several processes can share.
    Errors are those of a real carrier: buying a taken number raises
    NumberUnavailableError, touching a number the account does not own
    NotFoundError. ``fail_rate`` makes calls fail as carriers do, reproducibly.

    Search filters: ``area_code`` and ``starts_with`` match the start of the
    national number (a trunk prefix such as London's ``020`` is understood),
    ``region`` is the state or province code in the US and Canada (``"CA"``,
    ``"BC"``), ``locality`` the town, ``near_number`` means in the same area
    code. Postal codes, rate centres, LATAs and coordinates are not known.
    """

    name = "sandbox"
    settings_model = SandboxSettings
    features = _FEATURES
    native_list_filters = frozenset({"contains", "friendly_name", "number_type", "country"})

    def __init__(
        self,
        settings: ProviderSettings | None = None,
        *,
        http_client: httpx.AsyncClient | None = None,
        store: Store | None = None,
    ) -> None:
        """``store``: ownership state shared with other sandbox providers (one per account, as the
        emulators keep them); it then outlives this provider, and ``path`` is not used."""
        if settings is None:
            settings = SandboxSettings()
        if not isinstance(settings, SandboxSettings):
            raise ConfigurationError(
                f"sandbox: expected SandboxSettings, got {type(settings).__name__}", setting="settings"
            )
        # http_client is accepted like every provider's and never used: nothing here goes on the network.
        super().__init__(settings, http_client=http_client)
        self.account_id = settings.account_id
        self._shared = store is not None
        self._store: Store = store or (
            MemoryStore()
            if settings.path is None
            else SqliteStore(Path(settings.path).absolute(), timeout=settings.timeout)
        )
        self._faults = Faults(settings.fail_rate, settings.fail_seed, provider=self.name)

    def __repr__(self) -> str:
        where = "memory" if not isinstance(self._store, SqliteStore) else str(self._store.path)
        return f"<SandboxProvider account={self.account_id!r} at {where}>"

    async def aclose(self) -> None:
        if not self._shared:
            await self._store.aclose()
        await super().aclose()

    # -- the hooks ----------------------------------------------------------------------

    async def _search(self, query: SearchQuery) -> builtins.list[AvailableNumber]:
        self._faults.strike("search", str(query_seed(query)))
        walk = candidates(query, self.name, salt=str(await self._store.generation()))
        found: builtins.list[AvailableNumber] = []
        while len(found) < query.limit:
            # Drawing numbers is CPU work (and loads the geocoding data once): off the event loop.
            batch = await anyio.to_thread.run_sync(_take, walk, query.limit - len(found))
            if not batch:
                break
            taken = await self._store.taken([number.phone_number for number in batch])
            found.extend(number for number in batch if number.phone_number not in taken)
        return found

    async def _purchase(self, e164: str, config: NumberConfig | None) -> ActiveNumber:
        lose_answer = self._faults.strike("purchase", e164)
        _storable(config)
        available = await _describe(e164, self.name)
        if available is None:
            raise NumberUnavailableError(
                f"{e164} is not for sale in the sandbox", provider=self.name, code="not-for-sale"
            )
        number = self._active(available, config)
        if not await self._store.claim(number):
            if await self._store.get(e164, self.account_id) is not None:
                # As at Twilio: telling "yours already" from "someone else's" is what lets a
                # job that lost an answer carry on without buying twice or giving up a number.
                raise ConflictError(
                    f"{e164} is already a number of this account", provider=self.name, code="already-owned"
                )
            raise NumberUnavailableError(
                f"{e164} is already taken", provider=self.name, code="number-unavailable"
            )
        if lose_answer:
            raise self._faults.lost("purchase", e164)
        return number

    def _can_purchase_any_natively(self, query: SearchQuery) -> bool:
        return True

    async def _purchase_any(self, query: SearchQuery, config: NumberConfig | None) -> ActiveNumber:
        lose_answer = self._faults.strike("purchase", str(query_seed(query)))
        _storable(config)
        # The walk a search on the same state takes: what it shows first is what is bought.
        walk = candidates(query, self.name, salt=str(await self._store.generation()))
        fresh_walks = _FRESH_WALKS
        # Claiming is the test: a number someone buys meanwhile just fails its claim.
        while batch := await anyio.to_thread.run_sync(_take, walk, _BATCH):
            for available in batch:
                number = self._active(available, config)
                if await self._store.claim(number):
                    if lose_answer:
                        raise self._faults.lost("purchase", number.phone_number)
                    return number
            if fresh_walks:
                # All of them were bought meanwhile: others are buying from this walk too. A walk of
                # one's own leaves them behind; the last one is followed to its end.
                fresh_walks -= 1
                salt = f"{await self._store.generation()}/{random.getrandbits(64)}"
                walk = candidates(query, self.name, salt=salt)
        raise NumberUnavailableError(
            "no number matching the query is for sale", provider=self.name, code="no-numbers"
        )

    async def _get(self, e164: str) -> ActiveNumber:
        self._faults.strike("get", e164)
        number = await self._store.get(e164, self.account_id)
        if number is None:
            raise self._not_owned(e164)
        return number

    async def _configure(self, e164: str, config: NumberConfig) -> ActiveNumber:
        lose_answer = self._faults.strike("configure", e164)
        _storable(config)
        now = datetime.now(UTC)

        def change(number: ActiveNumber) -> ActiveNumber:
            merged = merge_config(number.config, config)
            return number.model_copy(
                update={
                    "config": merged,
                    "friendly_name": merged.friendly_name or _default_name(e164),
                    "updated_at": now,
                }
            )

        number = await self._store.update(e164, self.account_id, change)
        if number is None:
            raise self._not_owned(e164)
        if lose_answer:
            raise self._faults.lost("configure", e164)
        return number

    async def _release(self, e164: str) -> None:
        lose_answer = self._faults.strike("release", e164)
        if not await self._store.remove(e164, self.account_id):
            raise self._not_owned(e164)
        if lose_answer:
            raise self._faults.lost("release", e164)

    async def _list_page(
        self, filters: dict[str, Any], cursor: str | None
    ) -> tuple[builtins.list[ActiveNumber], str | None]:
        # The cursor is the purchase sequence number of the last row handed out.
        page = await self._store.page(self.account_id, int(cursor or 0), _PAGE_SIZE, ListFilter(**filters))
        following = str(page[-1].seq) if len(page) == _PAGE_SIZE else None
        return [row.number() for row in page], following

    async def _transfer(self, e164: str, to_account: str) -> ActiveNumber:
        if to_account == self.account_id:
            raise ConflictError(
                f"{e164} is already in account {to_account!r}", provider=self.name, code="same-account"
            )
        if not re.fullmatch(ACCOUNT_ID, to_account):
            raise InvalidInputError(
                f"to_account: {to_account!r} is not an account id (letters, digits, . _ : @ -; at most 64)",
                field="to_account",
            )
        lose_answer = self._faults.strike("transfer", e164)
        now = datetime.now(UTC)
        number = await self._store.update(
            e164,
            self.account_id,
            lambda number: number.model_copy(update={"account_id": to_account, "updated_at": now}),
        )
        if number is None:
            raise self._not_owned(e164)
        if lose_answer:
            raise self._faults.lost("transfer", e164)
        return number

    # -- helpers ------------------------------------------------------------------------

    def _active(self, available: AvailableNumber, config: NumberConfig | None) -> ActiveNumber:
        now = datetime.now(UTC)
        applied = merge_config(NumberConfig(), config) if config is not None else NumberConfig()
        return ActiveNumber(
            phone_number=available.phone_number,
            id=_number_id(available.phone_number),
            provider=self.name,
            account_id=self.account_id,
            number_type=available.number_type,
            friendly_name=applied.friendly_name or available.friendly_name,
            capabilities=available.capabilities,
            geography=available.geography,
            config=applied,
            status=NumberStatus.ACTIVE,
            created_at=now,
            updated_at=now,
        )

    def _not_owned(self, e164: str) -> NotFoundError:
        return NotFoundError(
            f"{e164} is not a number of account {self.account_id!r}", provider=self.name, code="not-owned"
        )
