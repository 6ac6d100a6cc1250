"""The sandbox carrier: the Provider interface over the inventory and a store."""

from __future__ import annotations

import builtins
import hashlib
import itertools
import random
import re
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio.lowlevel
import anyio.to_thread
import phonenumbers
import pydantic_core

from .._features import ALL_CONFIG_FEATURES, Feature
from .._models import (
    ActiveNumber,
    Address,
    AddressCheck,
    AvailableNumber,
    ComplianceScope,
    Coverage,
    EmergencyRegistration,
    EmergencyStatus,
    NumberCompliance,
    NumberConfig,
    NumberPrice,
    NumberStatus,
    NumberType,
    PriceBasis,
    Requirement,
    RequirementKind,
    SearchQuery,
)
from .._phone import region_of
from .._provider import Provider
from .._settings import ProviderSettings
from ..errors import (
    AddressValidationError,
    ComplianceRequiredError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    NumberUnavailableError,
    ProviderError,
)
from ._addresses import EMERGENCY_COUNTRIES, check, is_local
from ._catalogue import COUNTRIES, COUNTRY_NAMES, offer_for, offered_types
from ._faults import Faults
from ._inventory import candidates, describe, query_seed
from ._merge import merge_config, merge_part
from ._settings import ACCOUNT_ID, APPROVED_BUNDLE, SandboxSettings
from ._sqlite import SqliteStore
from ._store import ListFilter, MemoryStore, Store

if TYPE_CHECKING:
    import httpx

__all__ = ["SandboxProvider"]

# Owned numbers fetched per step of ``list()``.
_PAGE_SIZE = 100
# Numbers ``purchase_any`` draws at a time: one by one at first (most calls buy the first number
# they draw), a few at a time once its walk goes on.
_FIRST_DRAWS = 2
_BATCH = 4
# Walks of its own a ``purchase_any`` may start when concurrent buyers took every number it drew.
_FRESH_WALKS = 3
_KEPT_PACES = 4096

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
        Feature.PRICES,
        Feature.SEARCH_PRICES,
        Feature.COVERAGE,
        Feature.REQUIREMENTS,
        Feature.ADDRESSES,
        Feature.RESERVE,
        Feature.EMERGENCY_STATUS,
        Feature.EMERGENCY_VALIDATE,
        Feature.CONFIG_COMPLIANCE,
        Feature.CONFIG_EMERGENCY_ADDRESS_INLINE,
    }
    | ALL_CONFIG_FEATURES
)

# The config fields whose values the sandbox checks against its state (the address book, the bundles).
_PAPERWORK = frozenset({"compliance", "emergency_address_id", "emergency_address"})
_EMERGENCY = frozenset({"emergency_address_id", "emergency_address"})
_ADDRESS_KINDS = (RequirementKind.ADDRESS, RequirementKind.LOCAL_ADDRESS)
_NOT_REGISTERED = EmergencyRegistration(status=EmergencyStatus.NONE, carrier_status="unregistered")
# What the sandbox calls what a purchase needs, and how to give it.
_REQUIREMENT_TEXT = {
    RequirementKind.ADDRESS: ("Address", "an address on file, anywhere: NumberCompliance(address_id=…)"),
    RequirementKind.LOCAL_ADDRESS: (
        "Local address",
        "an address on file in the number's own town: NumberCompliance(address_id=…)",
    ),
    RequirementKind.BUNDLE: (
        "Regulatory bundle",
        f"a bundle approved for the country and type (the sandbox approves {APPROVED_BUNDLE!r} unless "
        "the bundles setting says otherwise): NumberCompliance(bundle_id=…)",
    ),
}


_described = False


# CPU seconds per number found the last draw of each query's walks took (by query seed); a few
# thousand cover the kinds of query a busy emulator sees.
_pace: dict[int, float] = {}
# The same by kind of query (:func:`_kind`), for a query never walked before.
_kind_pace: dict[str, float] = {}


def _kind(query: SearchQuery) -> str:
    """A query's kind: its filters but ``starts_with``, the one a bulk job's searches narrow a digit
    at a time (each a query never walked before, whose walk draws numbers as its kind's do: the
    prefix is written into every number drawn, not searched for)."""
    return query.model_dump_json(exclude={"limit", "starts_with"})


def _take(walk: Iterator[AvailableNumber], count: int, seed: int, kind: str) -> list[AvailableNumber]:
    global _described
    started = time.thread_time()
    taken = list(itertools.islice(walk, count))
    # A walk describes every number it draws: the metadata is loaded now.
    _described = _described or bool(taken)
    pace = (time.thread_time() - started) / max(len(taken), 1)
    _keep(_pace, seed, pace)
    _keep(_kind_pace, kind, pace)
    return taken


def _keep(paces: dict[Any, float], key: object, pace: float) -> None:
    if len(paces) >= _KEPT_PACES:
        paces.clear()
    paces[key] = pace


async def _draw(walk: Iterator[AvailableNumber], count: int, seed: int, kind: str) -> list[AvailableNumber]:
    """The next ``count`` numbers of ``walk``, a walk of the query whose seed is ``seed``, of the
    kind ``kind``.

    On the event loop when the query's walks (or, for a query not walked before, its kind's) were
    seen to find that many within the interpreter's switch interval (5 ms): a worker thread would
    hold the GIL that long at a stretch anyway, and the hop there and back (0.06 ms of CPU) costs
    more than drawing an area code's number. In a worker thread otherwise: a kind's first walk may
    build its country's range (seconds), a rare query's may try thousands of numbers before
    finding one, a long search draws hundreds.
    """
    pace = _pace.get(seed)
    if pace is None:
        pace = _kind_pace.get(kind)
    if pace is not None and pace * count <= sys.getswitchinterval():
        await anyio.lowlevel.checkpoint()
        return _take(walk, count, seed, kind)
    return await anyio.to_thread.run_sync(_take, walk, count, seed, kind)


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

    Commerce and compliance work as at a carrier that has them all: prices
    from its catalogue, an address book, regulated offers (a purchase without
    the address or approved bundle they need raises ComplianceRequiredError;
    ``requirements()`` says what each needs), emergency registration by
    address id or inline (US, CA and GB numbers), address checks and
    reservations. ``bundles`` says which bundle ids are approved; unset,
    ``APPROVED_BUNDLE`` is approved for every offer.
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
        settings = self._settings_as(settings, SandboxSettings)
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
        # ``purchase_any`` calls under way that started on a search's walk, by (query seed, generation).
        self._walking: dict[tuple[int, int], int] = {}

    def __repr__(self) -> str:
        where = "memory" if not isinstance(self._store, SqliteStore) else str(self._store.path)
        return f"<SandboxProvider account={self.account_id!r} at {where}>"

    async def aclose(self) -> None:
        if not self._shared:
            await self._store.aclose()
        await super().aclose()

    # -- the hooks ----------------------------------------------------------------------

    async def _search(self, query: SearchQuery) -> builtins.list[AvailableNumber]:
        seed, kind = query_seed(query), _kind(query)
        self._faults.strike("search", str(seed))
        walk = candidates(query, self.name, salt=str(await self._store.generation()))
        found: builtins.list[AvailableNumber] = []
        while len(found) < query.limit:
            batch = await _draw(walk, query.limit - len(found), seed, kind)
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
        country = available.geography.iso_country or ""
        offer = offer_for(country, available.number_type)
        if (offer is not None and offer.needs) or _compliance_of(config) is not None:
            # A number that cannot be had anyway is refused as such, before its paperwork is.
            await self._still_for_sale(e164)
            compliance = _compliance_of(config)
            address = await self._papers(country, available.number_type, compliance, self.account_id)
            not_local = self._not_local(address, available)
            if not_local is not None:
                raise not_local
        number = self._active(available, config, await self._registration(country, config))
        if not await self._store.claim(number):
            if await self._store.get(e164, self.account_id) is None:
                raise NumberUnavailableError(
                    f"{e164} is already taken", provider=self.name, code="number-unavailable"
                )
            number = await self._activate(number)
        if lose_answer:
            raise self._faults.lost("purchase", e164)
        return number

    def _can_purchase_any_natively(self, query: SearchQuery) -> bool:
        return True

    async def _purchase_any(self, query: SearchQuery, config: NumberConfig | None) -> ActiveNumber:
        seed, kind = query_seed(query), _kind(query)
        lose_answer = self._faults.strike("purchase", str(seed))
        _storable(config)
        # What every number of the query needs is checked once; what one number needs, one by one.
        address = await self._papers(
            query.country, query.number_type, _compliance_of(config), self.account_id
        )
        registration = await self._registration(query.country, config)
        refused: ComplianceRequiredError | None = None
        generation = await self._store.generation()
        # The walk a search on the same state takes: what it shows first is what is bought. Calls
        # already walking it take its first numbers ahead of this one, which would claim each after
        # them in vain (fifty calls at once made seven claims each): this one walks its own.
        shared = (seed, generation)
        salt = str(generation) if shared not in self._walking else f"{generation}/{random.getrandbits(64)}"
        self._walking[shared] = self._walking.get(shared, 0) + 1
        try:
            walk = candidates(query, self.name, salt=salt)
            fresh_walks = _FRESH_WALKS
            drawn = 0
            while batch := await _draw(walk, 1 if drawn < _FIRST_DRAWS else _BATCH, seed, kind):
                drawn += len(batch)
                # Claiming is the test; a number already owned is passed over before it is made up.
                owned = await self._store.taken([available.phone_number for available in batch])
                lost = len(owned)
                for available in batch:
                    if available.phone_number in owned:
                        continue
                    not_local = self._not_local(address, available)
                    if not_local is not None:
                        refused = not_local
                        continue
                    number = self._active(available, config, registration)
                    if await self._store.claim(number):
                        if lose_answer:
                            raise self._faults.lost("purchase", number.phone_number)
                        return number
                    lost += 1
                if fresh_walks and lost == len(batch):
                    # All of them were bought meanwhile: others are buying from this walk too. A walk
                    # of one's own leaves them behind; the last one is followed to its end.
                    fresh_walks -= 1
                    salt = f"{await self._store.generation()}/{random.getrandbits(64)}"
                    walk, drawn = candidates(query, self.name, salt=salt), 0
        finally:
            if self._walking[shared] == 1:
                del self._walking[shared]
            else:
                self._walking[shared] -= 1
        if refused is not None:
            # Numbers were for sale, but none in the town of the address given.
            raise refused
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
        registration = None
        if config.model_fields_set & _PAPERWORK:
            # Checked against the address book and the bundles before anything changes.
            current = await self._get_owned(e164)
            merged = merge_config(current.config, config)
            country = current.geography.iso_country or region_of(e164) or ""
            if "compliance" in config.model_fields_set:
                address = await self._papers(country, current.number_type, merged.compliance, self.account_id)
                not_local = self._not_local(address, current)
                if not_local is not None:
                    raise not_local
            if config.model_fields_set & _EMERGENCY:
                registration = await self._registration(country, merged)

        def change(number: ActiveNumber) -> ActiveNumber:
            merged = _registered(merge_config(number.config, config), registration)
            return number.model_copy(
                update={
                    "config": merged,
                    "friendly_name": merged.friendly_name or _default_name(e164),
                    "compliance": merged.compliance,
                    "emergency": registration or number.emergency,
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
        return await self._move(e164, to_account, None)

    async def _transfer_with(self, e164: str, to_account: str, compliance: NumberCompliance) -> ActiveNumber:
        return await self._move(e164, to_account, compliance)

    # -- commerce and compliance --------------------------------------------------------

    async def _prices(self, country: str) -> builtins.list[NumberPrice]:
        self._faults.strike("prices", country)
        prices = []
        for number_type in offered_types(country):
            offer = offer_for(country, number_type)
            if offer is not None:
                prices.append(
                    NumberPrice(
                        country=country,
                        number_type=number_type,
                        monthly=offer.monthly_price,
                        setup=offer.setup_price,
                        interval_months=1,
                        basis=PriceBasis.CATALOG,
                    )
                )
        return prices

    async def _coverage(self) -> builtins.list[Coverage]:
        self._faults.strike("coverage", "")
        return [
            Coverage(
                country=country, name=COUNTRY_NAMES[country], number_types=offered_types(country), beta=False
            )
            for country in COUNTRIES
        ]

    async def _requirements(self, country: str, number_type: NumberType | None) -> builtins.list[Requirement]:
        self._faults.strike("requirements", f"{country}/{number_type}")
        found = []
        for sold in offered_types(country) if number_type is None else (number_type,):
            offer = offer_for(country, sold)
            for kind in offer.needs if offer is not None else ():
                name, description = _REQUIREMENT_TEXT[kind]
                found.append(
                    Requirement(
                        country=country,
                        number_type=sold,
                        kind=kind,
                        name=name,
                        description=description,
                        carrier_id=f"{country}-{sold.value}-{kind.value}",
                    )
                )
        return found

    async def _create_address(self, address: Address) -> Address:
        self._faults.strike("create_address", address.street)
        emergency = bool(address.emergency)
        checked = check(address, emergency=emergency)
        if checked.address is None:
            raise AddressValidationError(
                checked.message or "the address cannot be used", provider=self.name, code="invalid-address"
            )
        # Stored as corrected, as carriers that validate addresses do (Twilio's AutoCorrectAddress).
        stored = checked.address.model_copy(
            update={
                "id": f"AD{uuid.uuid4().hex}",
                "emergency": emergency,
                "validated": True,
                "verified": False,
            }
        )
        await self._store.add_address(self.account_id, stored.id or "", stored)
        return stored

    async def _addresses_page(self, cursor: str | None) -> tuple[builtins.list[Address], str | None]:
        self._faults.strike("addresses", cursor or "")
        page = await self._store.address_page(self.account_id, int(cursor or 0), _PAGE_SIZE)
        following = str(page[-1].seq) if len(page) == _PAGE_SIZE else None
        return [row.address() for row in page], following

    async def _delete_address(self, address_id: str) -> None:
        self._faults.strike("delete_address", address_id)
        removal = await self._store.remove_address(self.account_id, address_id)
        if removal == "missing":
            raise NotFoundError(
                f"address {address_id!r} is not in the address book of account {self.account_id!r}",
                provider=self.name,
                code="address-not-found",
            )
        if removal == "in-use":
            raise ConflictError(
                f"address {address_id!r} is in use by a number (compliance or emergency registration); "
                "configure the number without it first",
                provider=self.name,
                code="address-in-use",
            )

    async def _validate_emergency_address(self, address: Address, e164: str | None) -> AddressCheck:
        self._faults.strike("validate", address.street)
        checked = check(address, emergency=True)
        if e164 is None or checked.address is None:
            return checked
        number = await self._get_owned(e164)
        country = number.geography.iso_country or region_of(e164)
        if checked.address.country != country:
            return AddressCheck(
                result="invalid",
                message=f"{e164} is a {country} number: its emergency address must be in {country}",
            )
        return checked

    async def _reserve(self, e164: str) -> ActiveNumber:
        lose_answer = self._faults.strike("reserve", e164)
        available = await _describe(e164, self.name)
        if available is None:
            raise NumberUnavailableError(
                f"{e164} is not for sale in the sandbox", provider=self.name, code="not-for-sale"
            )
        number = self._active(available, None, None).model_copy(update={"status": NumberStatus.RESERVED})
        if not await self._store.claim(number):
            mine = await self._store.get(e164, self.account_id)
            if mine is None:
                raise NumberUnavailableError(
                    f"{e164} is already taken", provider=self.name, code="number-unavailable"
                )
            raise self._already(mine)
        if lose_answer:
            raise self._faults.lost("reserve", e164)
        return number

    # -- helpers ------------------------------------------------------------------------

    def _active(
        self,
        available: AvailableNumber,
        config: NumberConfig | None,
        registration: EmergencyRegistration | None,
    ) -> ActiveNumber:
        now = datetime.now(UTC)
        applied = merge_config(NumberConfig(), config) if config is not None else NumberConfig()
        applied = _registered(applied, registration)
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
            emergency=registration or _NOT_REGISTERED,
            compliance=applied.compliance,
        )

    async def _activate(self, bought: ActiveNumber) -> ActiveNumber:
        """``bought`` in place of the account's reservation of it (a purchase of a reserved number)."""

        def change(number: ActiveNumber) -> ActiveNumber:
            if number.status is not NumberStatus.RESERVED:
                raise self._already(number)
            return bought.model_copy(update={"created_at": number.created_at})

        activated = await self._store.update(bought.phone_number, self.account_id, change)
        if activated is None:  # released meanwhile; buying it again is a fresh purchase
            raise NumberUnavailableError(
                f"{bought.phone_number} was let go meanwhile; buy it again",
                provider=self.name,
                code="released",
            )
        return activated

    def _already(self, number: ActiveNumber) -> ConflictError:
        # As at Twilio: telling "yours already" from "someone else's" is what lets a job that lost
        # an answer carry on without buying twice or giving up a number.
        if number.status is NumberStatus.RESERVED:
            return ConflictError(
                f"{number.phone_number} is already reserved by this account",
                provider=self.name,
                code="already-reserved",
            )
        return ConflictError(
            f"{number.phone_number} is already a number of this account",
            provider=self.name,
            code="already-owned",
        )

    async def _still_for_sale(self, e164: str) -> None:
        """Refuse ``e164`` if someone else owns it, or this account does (unless it reserved it)."""
        if not await self._store.taken([e164]):
            return
        mine = await self._store.get(e164, self.account_id)
        if mine is None:
            raise NumberUnavailableError(
                f"{e164} is already taken", provider=self.name, code="number-unavailable"
            )
        if mine.status is not NumberStatus.RESERVED:
            raise self._already(mine)

    async def _get_owned(self, e164: str) -> ActiveNumber:
        number = await self._store.get(e164, self.account_id)
        if number is None:
            raise self._not_owned(e164)
        return number

    async def _move(self, e164: str, to_account: str, compliance: NumberCompliance | None) -> ActiveNumber:
        """Transfer ``e164`` to ``to_account``, under ``compliance`` (that account's references) if given."""
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
        update: dict[str, Any] = {"account_id": to_account, "updated_at": now}
        if compliance is not None:
            current = await self._get_owned(e164)
            merged = merge_part(current.config.compliance, compliance)
            country = current.geography.iso_country or region_of(e164) or ""
            address = await self._papers(country, current.number_type, merged, to_account)
            not_local = self._not_local(address, current)
            if not_local is not None:
                raise not_local
            update["compliance"] = merged
            update["config"] = current.config.model_copy(update={"compliance": merged})
        number = await self._store.update(
            e164, self.account_id, lambda number: number.model_copy(update=update)
        )
        if number is None:
            raise self._not_owned(e164)
        if lose_answer:
            raise self._faults.lost("transfer", e164)
        return number

    async def _papers(
        self, country: str, number_type: NumberType, compliance: NumberCompliance | None, account_id: str
    ) -> Address | None:
        """The address ``account_id`` buys a ``country`` ``number_type`` number under, its bundle checked.

        Raises ComplianceRequiredError (scope account: no number of the kind can be
        bought so) for a missing or unknown address or an unapproved bundle.
        """
        offer = offer_for(country, number_type)
        needs = offer.needs if offer is not None else ()
        address_id = compliance.address_id if compliance is not None else None
        bundle_id = compliance.bundle_id if compliance is not None else None
        wanted = next((kind for kind in needs if kind in _ADDRESS_KINDS), RequirementKind.ADDRESS)
        what = f"{country} {number_type.value.replace('_', '-')} numbers"
        address = None
        if address_id is not None:
            address = await self._store.get_address(account_id, address_id)
            if address is None:
                raise self._refusal(
                    wanted,
                    ComplianceScope.ACCOUNT,
                    country,
                    number_type,
                    f"address {address_id!r} is not in the address book of account {account_id!r}",
                )
        for kind in needs:
            if kind in _ADDRESS_KINDS and address is None:
                where = "in the number's own town" if kind is RequirementKind.LOCAL_ADDRESS else "on file"
                raise self._refusal(
                    kind,
                    ComplianceScope.ACCOUNT,
                    country,
                    number_type,
                    f"{what} need an address {where}: create one, buy with its id as compliance address_id",
                )
            if kind is RequirementKind.LOCAL_ADDRESS and address is not None and address.country != country:
                raise self._refusal(
                    kind,
                    ComplianceScope.ACCOUNT,
                    country,
                    number_type,
                    f"{what} need an address in {country}; address {address_id!r} is in {address.country}",
                )
            if kind is RequirementKind.BUNDLE and not self._approved(country, number_type, bundle_id):
                given = f"bundle {bundle_id!r} is not approved for them" if bundle_id else "none was given"
                raise self._refusal(
                    kind,
                    ComplianceScope.ACCOUNT,
                    country,
                    number_type,
                    f"{what} need an approved regulatory bundle; {given}",
                )
        return address

    def _not_local(
        self, address: Address | None, number: AvailableNumber | ActiveNumber
    ) -> ComplianceRequiredError | None:
        """Why ``number`` cannot be bought under ``address`` (not in its town; scope number), if so."""
        place = number.geography
        offer = offer_for(place.iso_country or "", number.number_type)
        if address is None or offer is None or RequirementKind.LOCAL_ADDRESS not in offer.needs:
            return None
        if is_local(address, place.iso_country or "", place.locality, place.region):
            return None
        return self._refusal(
            RequirementKind.LOCAL_ADDRESS,
            ComplianceScope.NUMBER,
            place.iso_country,
            number.number_type,
            f"{number.phone_number} is in {place.locality or place.region}, address {address.id!r} "
            f"({address.locality}) is not: it needs an address in its own town",
        )

    def _refusal(
        self,
        kind: RequirementKind,
        scope: ComplianceScope,
        country: str | None,
        number_type: NumberType,
        message: str,
    ) -> ComplianceRequiredError:
        return ComplianceRequiredError(
            message,
            provider=self.name,
            code=f"{kind.value.replace('_', '-')}-required",
            requirement=kind,
            scope=scope,
            country=country,
            number_type=number_type,
        )

    def _approved(self, country: str, number_type: NumberType, bundle_id: str | None) -> bool:
        if bundle_id is None:
            return False
        bundles = self.settings.bundles if isinstance(self.settings, SandboxSettings) else None
        if bundles is None:
            return bundle_id == APPROVED_BUNDLE
        return bundle_id in bundles.get(country, {}).get(number_type, [])

    async def _registration(self, country: str, config: NumberConfig | None) -> EmergencyRegistration | None:
        """The emergency registration ``config`` asks for (None: it asks for none), checked.

        Active at once where the address is fit: on file as an emergency address
        (by id) or valid (inline, as corrected), in the number's country, which
        must be one where the sandbox registers emergency addresses.
        """
        if config is None or not config.model_fields_set & _EMERGENCY:
            return None
        address_id, inline = config.emergency_address_id, config.emergency_address
        if (address_id, inline) != (None, None) and country not in EMERGENCY_COUNTRIES:
            raise ProviderError(
                f"emergency addresses are registered for {', '.join(EMERGENCY_COUNTRIES)} numbers only, "
                f"not {country} ones",
                provider=self.name,
                code="emergency-unavailable",
            )
        if inline is not None:
            checked = check(inline, emergency=True)
            if checked.address is None:
                raise AddressValidationError(
                    checked.message or "the address cannot be used",
                    provider=self.name,
                    code="invalid-address",
                )
            address = checked.address
        elif address_id is not None:
            found = await self._store.get_address(self.account_id, address_id)
            if found is None:
                raise AddressValidationError(
                    f"address {address_id!r} is not in the address book of account {self.account_id!r}",
                    provider=self.name,
                    code="address-not-found",
                )
            if not found.emergency:
                raise AddressValidationError(
                    f"address {address_id!r} is not an emergency address (create it with emergency=True)",
                    provider=self.name,
                    code="not-emergency-address",
                )
            address = found
        else:
            return _NOT_REGISTERED
        if address.country != country:
            raise AddressValidationError(
                f"a {country} number's emergency address must be in {country}, not {address.country}",
                provider=self.name,
                code="address-abroad",
            )
        return EmergencyRegistration(
            status=EmergencyStatus.ACTIVE,
            address_id=address_id,
            address=address,
            caller_name=address.customer_name,
            carrier_status="registered",
        )

    def _not_owned(self, e164: str) -> NotFoundError:
        return NotFoundError(
            f"{e164} is not a number of account {self.account_id!r}", provider=self.name, code="not-owned"
        )


def _compliance_of(config: NumberConfig | None) -> NumberCompliance | None:
    return config.compliance if config is not None else None


def _registered(config: NumberConfig, registration: EmergencyRegistration | None) -> NumberConfig:
    """``config`` with an inline emergency address as registered (tidied by the check)."""
    if registration is None or registration.address_id is not None or config.emergency_address is None:
        return config
    return config.model_copy(update={"emergency_address": registration.address})
