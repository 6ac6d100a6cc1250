"""The Provider base class: the neutral interface every adapter implements.

Public methods here validate input, check features before any I/O, apply
client-side filters and keep foreign exceptions from escaping; adapters
implement the underscored hooks with their wire knowledge only.
"""

from __future__ import annotations

import abc
import builtins
import contextlib
import functools
import logging
import sys
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Iterator, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, Concatenate, NamedTuple, ParamSpec, Self, TypeVar

import anyio
import phonenumbers
import pydantic

from ._batch import BatchOutcome
from ._claims import Claims
from ._deadline import call_deadline, call_end, settle_grace
from ._features import Feature, config_features, search_feature, type_feature
from ._kinds import ComplianceScope, PriceBasis
from ._models import (
    ActiveNumber,
    Address,
    AddressCheck,
    AvailableNumber,
    Coverage,
    NumberCompliance,
    NumberConfig,
    NumberPrice,
    NumberStatus,
    NumberType,
    Reference,
    Requirement,
    SearchQuery,
    build,
)
from ._paging import Pager
from ._phone import national_digits, parse_e164, region_of
from ._problems import problems
from ._settings import ProviderSettings, table_prices
from .errors import (
    ComplianceRequiredError,
    ConfigurationError,
    ConflictError,
    InvalidInputError,
    NumbersError,
    NumberUnavailableError,
    OutcomeUnknownError,
    ProtocolError,
    ProviderUnavailableError,
    TransportError,
    UnsupportedError,
)

if TYPE_CHECKING:
    # The HTTP stack loads with the first adapter that builds an HTTP core: the sandbox
    # (and a CLI run on it) never pays for httpx, httpcore and trio.
    import httpx

    from ._http import ErrorMapper, HttpCore, Pacer

__all__ = ["Provider", "RateLimit"]

_P = TypeVar("_P", bound="Provider")
_Args = ParamSpec("_Args")
_R = TypeVar("_R")
_S = TypeVar("_S", bound=ProviderSettings)


class RateLimit(NamedTuple):
    """A carrier account's request rate as the carrier documents it: per second, and at once."""

    rate: float
    burst: int = 1


log = logging.getLogger("numbers_core")

# The wait between looks at a number a carrier may not show yet; a module attribute so that
# tests can skip the waits.
_sleep = anyio.sleep

# Filters the base class can check on a returned AvailableNumber; a provider
# that accepts one of these but ignores it lists it in ``client_side_filters``.
_CLIENT_FILTERS: dict[str, Callable[[AvailableNumber, Any], bool]] = {
    "voice": lambda n, _: n.capabilities.voice is not False,
    "sms": lambda n, _: n.capabilities.sms is not False,
    "mms": lambda n, _: n.capabilities.mms is not False,
    "fax": lambda n, _: n.capabilities.fax is not False,
    "exclude_address_required": lambda n, _: n.address_requirement in (None, "none"),
    "contains": lambda n, v: _matches_number(n.phone_number, v),
    "starts_with": lambda n, v: national_digits(n.phone_number).startswith(v),
    "ends_with": lambda n, v: n.phone_number.endswith(v),
    "area_code": lambda n, v: national_digits(n.phone_number).startswith(v),
    "region": lambda n, v: _same(n.geography.region, v),
    "locality": lambda n, v: _same(n.geography.locality, v),
    "postal_code": lambda n, v: _same(n.geography.postal_code, v),
    "rate_center": lambda n, v: _same(n.geography.rate_center, v),
    "lata": lambda n, v: _same(n.geography.lata, v),
}

_LIST_FILTERS = ("contains", "friendly_name", "number_type", "country")
# Changes that are not sent twice blindly (an answer that cannot be believed leaves them unknown),
# and what each does to a number.
_UNREPEATABLE = {"purchase": "bought", "release": "released", "transfer": "moved", "reserve": "reserved"}
# More seconds than anyone waits on a call (a year): a bound on the waits a caller asks for.
_FOREVER = 365 * 24 * 3600.0
# A number a batch's answer does not mention.
_MISSING: Any = object()
# The code of the ConflictError for a purchase of a number the account owns already.
_ALREADY_OWNED = "already-owned"
# Searches ``purchase_any`` makes after one whose every candidate was taken by others meanwhile.
_RESEARCHES = 3
# The most numbers a search asks for (SearchQuery.limit's bound).
_WIDEST = 1000


def _matches_number(e164: str, pattern: str) -> bool:
    """Whether ``pattern`` (digits, ``*`` one digit) occurs in the national or full number."""
    return _matches_pattern(national_digits(e164), pattern) or _matches_pattern(e164.lstrip("+"), pattern)


def _same(actual: str | None, wanted: str) -> bool:
    # A carrier that leaves the field empty has not contradicted the filter.
    return actual is None or actual.casefold() == wanted.casefold()


def _matches_pattern(digits: str, pattern: str) -> bool:
    width = len(pattern)
    return any(
        all(p == "*" or p == d for p, d in zip(pattern, digits[i : i + width], strict=True))
        for i in range(len(digits) - width + 1)
    )


def _one_deadline(
    method: Callable[Concatenate[_P, _Args], Awaitable[_R]],
) -> Callable[Concatenate[_P, _Args], Coroutine[Any, Any, _R]]:
    """A public call: every request and wait it makes (a login, a search then a purchase, the
    look-ups after a lost answer) shares one ``deadline`` (the setting's seconds)."""

    @functools.wraps(method)
    async def call(self: _P, /, *args: _Args.args, **kwargs: _Args.kwargs) -> _R:
        with call_deadline(self.settings.deadline):
            return await method(self, *args, **kwargs)

    return call


def _time_for(wait: float) -> bool:
    """Whether a wait of ``wait`` seconds ends within the call's deadline (or grace)."""
    end = call_end()
    return end is None or anyio.current_time() + wait < end


class Provider(abc.ABC):
    """A carrier, behind the neutral interface.

    Use it as an async context manager, or call :meth:`aclose` when done.
    Subclasses set ``features`` (what they can do in their configuration) and
    ``client_side_filters`` (search filters the carrier accepts but ignores,
    which the base class then applies to the results).
    """

    name: ClassVar[str] = ""
    #: the pydantic model ``connect()`` validates this provider's settings with
    settings_model: ClassVar[type[ProviderSettings]] = ProviderSettings
    features: frozenset[Feature] = frozenset()
    client_side_filters: frozenset[str] = frozenset()
    native_list_filters: frozenset[str] = frozenset()
    #: whether the carrier may list a number on more than one page (the listing then drops repeats)
    list_repeats: ClassVar[bool] = False
    #: the account's request rate where the carrier documents one (bulk jobs keep to it by default)
    rate_limit: ClassVar[RateLimit | None] = None
    #: the most numbers one search answers with, whatever its ``limit`` (bulk jobs size their
    #: searches to it, and narrow a search that answers as many)
    max_search_limit: ClassVar[int] = 1000
    #: whether its search results come without prices of their own, priced from its price list
    #: (``prices()``): the first search of a country then fetches the list at the same time
    search_prices_listed: ClassVar[bool] = False

    @property
    def batch_size(self) -> int:
        """Numbers per native batch call (``Feature.BULK``); 1 for a provider without them."""
        return 1

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # Fail when the adapter is imported, not with a KeyError in a user's search.
        unknown = cls.client_side_filters - _CLIENT_FILTERS.keys()
        if unknown:
            raise TypeError(f"{cls.__name__}: cannot filter client-side on {', '.join(sorted(unknown))}")

    def __init__(self, settings: ProviderSettings, *, http_client: httpx.AsyncClient | None = None) -> None:
        self.settings = settings
        self._user_http_client = http_client
        # Every HTTP core this instance made (an API host, a token host), all closed by aclose().
        self._cores: list[HttpCore] = []
        self._claims = Claims()
        self._init_prices(settings)

    def _settings_as(self, settings: ProviderSettings, model: type[_S]) -> _S:
        """``settings``, which an adapter's ``__init__`` needs as its own ``model``: any other
        (a caller that built the provider by hand) is a ConfigurationError."""
        if not isinstance(settings, model):
            raise ConfigurationError(
                f"{self.name}: expected {model.__name__}, got {type(settings).__name__}", setting="settings"
            )
        return settings

    def _make_http(
        self,
        *,
        base_url: str,
        error_mapper: ErrorMapper,
        auth: httpx.Auth | None = None,
        headers: dict[str, str] | None = None,
        secrets: tuple[str, ...] = (),
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> HttpCore:
        """An HTTP core for this instance (one per host it talks to), built from the common settings."""
        import httpx

        from ._http import HttpCore, RetryPolicy

        core = HttpCore(
            self.name,
            base_url=base_url,
            error_mapper=error_mapper,
            auth=auth,
            headers=headers,
            timeout=httpx.Timeout(self.settings.timeout, connect=min(10.0, self.settings.timeout)),
            retry=RetryPolicy(attempts=self.settings.max_attempts, deadline=self.settings.deadline),
            limits=httpx.Limits(
                max_connections=self.settings.max_connections,
                max_keepalive_connections=self.settings.max_connections,
                keepalive_expiry=30.0,
            ),
            http_client=self._user_http_client,
            transport=transport,
            allow_insecure_http=self.settings.allow_insecure_http,
            secrets=secrets,
        )
        self._cores.append(core)
        return core

    def pace(self, pacer: Pacer | None) -> bool:
        """Send every request of this provider through ``pacer`` (a bulk job's rate limiter), which
        is also told of every 429; None stops pacing. False for a provider without HTTP requests
        to pace (the sandbox): a caller that wants it paced paces its own calls."""
        for core in self._cores:
            core.pacer = pacer
        return bool(self._cores)

    def supports(self, feature: Feature | str) -> bool:
        """Whether this provider, as configured, can do ``feature``."""
        try:
            return Feature(feature) in self.features
        except ValueError:
            return False

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"

    # -- lifecycle -----------------------------------------------------------------

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Release connections and other resources. Safe to call twice.

        A user-supplied ``http_client`` is left open: it is the user's.
        """
        for core in self._cores:
            await core.aclose()

    # -- the neutral interface -------------------------------------------------------

    @_one_deadline
    async def search(
        self, query: SearchQuery | None = None, /, **criteria: Any
    ) -> builtins.list[AvailableNumber]:
        """Numbers that can be bought now, at most ``query.limit`` of them."""
        query = build(SearchQuery, query, criteria)
        self._check_search(query)
        if self._lists_prices_later(query.country):
            # The results will want the country's price list: fetched beside the search, not
            # after it (a round trip more before the first numbers of a connection are shown).
            failed: NumbersError | None = None
            async with anyio.create_task_group() as beside:
                beside.start_soon(self._prices_quietly, query.country)
                try:
                    with self._guard("search"):
                        found = await self._search(query)
                except NumbersError as error:  # raised as itself, not in a task group's
                    failed = error
                    beside.cancel_scope.cancel()
            if failed is not None:
                raise failed
        else:
            with self._guard("search"):
                found = await self._search(query)
        return await self._priced(query, self._filter(query, found)[: query.limit])

    def _lists_prices_later(self, country: str) -> bool:
        """Whether a search of ``country`` is to be priced from a price list not fetched yet."""
        return (
            self.search_prices_listed
            and self._price_table is None
            and country not in self._catalog
            and Feature.PRICES in self.features
            and Feature.SEARCH_PRICES in self.features
        )

    async def _prices_quietly(self, country: str) -> None:
        # Failing, the search's results ask for the list again, and say why they are unpriced.
        with contextlib.suppress(NumbersError):
            await self._price_rows(country)

    @_one_deadline
    async def purchase(self, number: Any, /, *, config: NumberConfig | None = None) -> ActiveNumber:
        """Buy one specific number, configuring it in the same step if asked."""
        e164 = parse_e164(number)
        self._require(Feature.PURCHASE)
        self._check_config(config, purchase=True)
        # One purchase of a number at a time on this provider: a second one is then told that the
        # account owns it already, never that it bought it too.
        async with self._claims.holding(e164):
            return await self._buy_held(e164, config)

    @_one_deadline
    async def purchase_any(
        self, query: SearchQuery | None = None, /, *, config: NumberConfig | None = None, **criteria: Any
    ) -> ActiveNumber:
        """Buy any one number matching the query.

        Natively where the carrier can, otherwise search then buy, moving on
        to the next candidate when one is taken meanwhile. The number returned
        is one this call bought: concurrent calls on this provider buy
        different numbers.
        """
        query = build(SearchQuery, query, criteria)
        self._check_search(query)
        self._require(Feature.PURCHASE)
        self._check_config(config, purchase=True)
        if self.supports(Feature.PURCHASE_ANY_NATIVE) and self._can_purchase_any_natively(query):
            with self._guard("purchase"):
                return await self._purchase_any(query, config)
        return await self._purchase_found(query, config)

    @_one_deadline
    async def get(self, number: Any, /) -> ActiveNumber:
        """One owned number; NotFoundError if the account does not own it."""
        e164 = parse_e164(number)
        self._require(Feature.GET)
        with self._guard("get"):
            return self._answer_for(e164, await self._get(e164), "get")

    @_one_deadline
    async def configure(self, number: Any, config: NumberConfig, /) -> ActiveNumber:
        """Change only the fields set on ``config``; returns the number as it is now."""
        e164 = parse_e164(number)
        self._require(Feature.CONFIGURE)
        if not isinstance(config, NumberConfig):
            raise InvalidInputError(
                f"config: expected a NumberConfig, got {type(config).__name__}", field="config"
            )
        self._check_config(config, purchase=False)
        with self._guard("configure"):
            return self._answer_for(e164, await self._configure(e164, config), "configure")

    @_one_deadline
    async def release(self, number: Any, /) -> None:
        """Give the number back to the carrier."""
        e164 = parse_e164(number)
        self._require(Feature.RELEASE)
        with self._guard("release", e164):
            await self._release(e164)

    def list(self, **filters: Any) -> Pager[ActiveNumber]:
        """Every owned number, fetched page by page as iterated.

        ``async for number in carrier.list(): …``. Filters: ``contains``
        (digits of the number, ``*`` one digit), ``friendly_name``,
        ``number_type``, ``country``; those the carrier cannot apply are
        applied here. Bad filters and a provider that cannot list are
        reported here and now, before any request.
        """
        self._require(Feature.LIST)
        unknown = set(filters) - set(_LIST_FILTERS)
        if unknown:
            raise InvalidInputError(
                f"unknown list filter(s): {', '.join(sorted(unknown))}", field=min(unknown)
            )
        clean = {
            key: _list_filter(NumberConfig if key == "friendly_name" else SearchQuery, key, value)
            for key, value in filters.items()
            if value is not None
        }
        native = {key: value for key, value in clean.items() if key in self.native_list_filters}

        async def fetch(cursor: str | None) -> tuple[builtins.list[ActiveNumber], str | None]:
            # Each page is a call of its own: a slow consumer does not eat into the next one's time.
            with call_deadline(self.settings.deadline), self._guard("list"):
                return await self._list_page(native, cursor)

        return Pager(
            fetch,
            provider=self.name,
            keep=(lambda number: _listed(number, clean)) if clean else None,
            unique=_phone_number if self.list_repeats else None,
        )

    async def wait_provisioned(
        self, number: Any, /, *, within: float = 300.0, interval: float = 5.0
    ) -> ActiveNumber:
        """The number once the carrier has finished setting it up, or as it is after ``within`` seconds.

        Some carriers (Sinch) answer a purchase or an update before the number
        is configured: its status is ``pending`` meanwhile. This reads the
        number every ``interval`` seconds until its status is no longer
        pending, for at most ``within`` seconds, and returns it as last read
        (not an error: the number is the account's either way): check
        ``status`` (still ``pending`` when the time ran out) and
        ``provisioning`` (a part that failed, with the carrier's codes). Where
        nothing is pending it returns after one read.
        """
        for name, value in (("within", within), ("interval", interval)):
            # A whole number past a float's range (10**400) is as good as infinite: refused too.
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < _FOREVER:
                shown = f"{value!r:.40}" if isinstance(value, int | float) else type(value).__name__
                raise InvalidInputError(
                    f"{name}: expected seconds > 0 (at most a year), got {shown}", field=name
                )
        end = anyio.current_time() + within
        while True:
            current = await self.get(number)
            left = end - anyio.current_time()
            if current.status is not NumberStatus.PENDING or left <= 0:
                return current
            await _sleep(min(interval, left))

    @_one_deadline
    async def transfer(
        self, number: Any, to_account: str, /, *, compliance: NumberCompliance | None = None
    ) -> ActiveNumber:
        """Move an owned number to another account of the same carrier.

        ``compliance``: the receiving account's references a regulated number
        needs there (feature ``config.compliance``).
        """
        e164 = parse_e164(number)
        self._require(Feature.TRANSFER)
        if not isinstance(to_account, str) or not to_account.strip():
            raise InvalidInputError("to_account: expected an account id", field="to_account")
        account = _reference(to_account.strip(), "to_account")
        if compliance is not None:
            self._check_compliance(compliance)
            with self._guard("transfer", e164):
                moved = await self._transfer_with(e164, account, compliance)
            return self._answer_for(e164, moved, "transfer")
        with self._guard("transfer", e164):
            return self._answer_for(e164, await self._transfer(e164, account), "transfer")

    # -- commerce and compliance: prices, coverage, requirements, addresses, emergency, reserve ---

    @_one_deadline
    async def prices(
        self, country: str, number_type: NumberType | str | None = None
    ) -> builtins.list[NumberPrice]:
        """What numbers cost in ``country`` (ISO 3166 alpha-2), per type; of one type if given.

        From the ``prices`` setting when it is given, otherwise from the
        carrier's own price list (fetched once per country and connection).
        Empty where nothing is priced in that country.
        """
        country, wanted = _market(country, number_type)
        self._require(Feature.PRICES)
        rows = await self._price_rows(country)
        return [row for row in rows if wanted is None or row.number_type is wanted]

    @_one_deadline
    async def coverage(self, country: str | None = None) -> builtins.list[Coverage]:
        """The countries the carrier sells numbers in, with the types sold there (of one country if given)."""
        wanted = None if country is None else _checked(SearchQuery, "country", country)
        self._require(Feature.COVERAGE)
        with self._guard("coverage"):
            found = await self._coverage()
        return [entry for entry in found if wanted is None or entry.country == wanted]

    @_one_deadline
    async def requirements(
        self, country: str, number_type: NumberType | str | None = None
    ) -> builtins.list[Requirement]:
        """What buying ``country``'s numbers (of ``number_type``, or of every type) needs on file.

        Empty when nothing is required. Pass what is needed with
        ``NumberConfig(compliance=…)`` when buying.
        """
        country, wanted = _market(country, number_type)
        self._require(Feature.REQUIREMENTS)
        with self._guard("requirements"):
            return await self._requirements(country, wanted)

    @_one_deadline
    async def create_address(self, address: Address, /) -> Address:
        """Put ``address`` in the carrier's address book; returns it as stored, with its ``id``.

        The carrier may correct it on the way (compare what comes back); one it
        refuses raises AddressValidationError with its suggestions.
        """
        address = _address(address)
        if address.id is not None:
            raise InvalidInputError(
                "address.id: the carrier gives the id; leave it unset", field="address.id"
            )
        self._require(Feature.ADDRESSES)
        with self._guard("create_address"):
            return await self._create_address(address)

    def addresses(self) -> Pager[Address]:
        """Every address in the carrier's address book, fetched page by page as iterated.

        ``async for address in carrier.addresses(): …``
        """
        self._require(Feature.ADDRESSES)

        async def fetch(cursor: str | None) -> tuple[builtins.list[Address], str | None]:
            with call_deadline(self.settings.deadline), self._guard("addresses"):
                return await self._addresses_page(cursor)

        return Pager(fetch, provider=self.name)

    @_one_deadline
    async def delete_address(self, address: Address | str, /) -> None:
        """Remove an address (an ``Address`` with its id, or the id) from the address book.

        NotFoundError when there is no such address; ConflictError when a
        number still uses it.
        """
        address_id = _address_id(address)
        self._require(Feature.ADDRESSES)
        with self._guard("delete_address"):
            await self._delete_address(address_id)

    @_one_deadline
    async def validate_emergency_address(self, address: Address, /, number: Any = None) -> AddressCheck:
        """What the carrier makes of ``address`` as an emergency address (for ``number``, if given).

        Nothing is stored or changed: the check says ``exact``, ``corrected``
        (use ``check.address``), ``ambiguous`` (pick one of
        ``check.candidates``) or ``invalid`` (``check.message`` says why).
        """
        address = _address(address)
        e164 = None if number is None else parse_e164(number, field="number")
        self._require(Feature.EMERGENCY_VALIDATE)
        with self._guard("validate_emergency_address"):
            return await self._validate_emergency_address(address, e164)

    @_one_deadline
    async def reserve(self, number: Any, /) -> ActiveNumber:
        """Hold a number for this account (status ``reserved``); ``purchase`` of it then activates it."""
        e164 = parse_e164(number)
        self._require(Feature.RESERVE)
        with self._guard("reserve", e164):
            return self._answer_for(e164, await self._reserve(e164), "reserve")

    # Hooks: adapters implement those of the features they announce.

    async def _prices(self, country: str) -> builtins.list[NumberPrice]:
        """The carrier's price list for ``country``, every type (basis ``catalog``); cached by the caller."""
        raise UnsupportedError(self.name, Feature.PRICES)

    async def _coverage(self) -> builtins.list[Coverage]:
        raise UnsupportedError(self.name, Feature.COVERAGE)

    async def _requirements(self, country: str, number_type: NumberType | None) -> builtins.list[Requirement]:
        """``number_type`` None: the requirements of every type."""
        raise UnsupportedError(self.name, Feature.REQUIREMENTS)

    async def _create_address(self, address: Address) -> Address:
        raise UnsupportedError(self.name, Feature.ADDRESSES)

    async def _addresses_page(self, cursor: str | None) -> tuple[builtins.list[Address], str | None]:
        """One page of the address book and the cursor of the next (None after the last)."""
        raise UnsupportedError(self.name, Feature.ADDRESSES)

    async def _delete_address(self, address_id: str) -> None:
        raise UnsupportedError(self.name, Feature.ADDRESSES)

    async def _validate_emergency_address(self, address: Address, e164: str | None) -> AddressCheck:
        raise UnsupportedError(self.name, Feature.EMERGENCY_VALIDATE)

    async def _reserve(self, e164: str) -> ActiveNumber:
        raise UnsupportedError(self.name, Feature.RESERVE)

    async def _transfer_with(self, e164: str, to_account: str, compliance: NumberCompliance) -> ActiveNumber:
        """A transfer that sends the receiving account's compliance references along."""
        raise UnsupportedError(self.name, Feature.CONFIG_COMPLIANCE)

    # Mechanics.

    def _init_prices(self, settings: ProviderSettings) -> None:
        # The user's table stands in for the carrier's price list, and prices its search results.
        table = getattr(settings, "prices", None)
        self._price_table = table_prices(table) if table is not None else None
        if self._price_table is not None:
            self.features = self.features | {Feature.PRICES, Feature.SEARCH_PRICES}
        self._catalog: dict[str, builtins.list[NumberPrice]] = {}
        self._catalog_locks: dict[str, anyio.Lock] = {}

    async def _price_rows(self, country: str) -> builtins.list[NumberPrice]:
        """The table's rows for ``country``, else the carrier's, fetched once per connection."""
        if self._price_table is not None:
            return self._price_table.get(country, [])
        # One request per country however many searches want it at once.
        async with self._catalog_locks.setdefault(country, anyio.Lock()):
            rows = self._catalog.get(country)
            if rows is None:
                with self._guard("prices"):
                    rows = builtins.list(await self._prices(country))
                self._catalog[country] = rows
        return rows

    async def _priced(
        self, query: SearchQuery, found: builtins.list[AvailableNumber]
    ) -> builtins.list[AvailableNumber]:
        """Search results with their prices: the carrier's own per number (basis ``offer``), else
        the price list's or the table's for their type. A price list that cannot be had leaves them
        unpriced: a search does not fail for want of prices."""
        unpriced = [
            n for n in found if n.price_basis is None and n.monthly_price is None and n.setup_price is None
        ]
        rows: dict[NumberType, NumberPrice] = {}
        if unpriced and Feature.PRICES in self.features and Feature.SEARCH_PRICES in self.features:
            try:
                rows = {row.number_type: row for row in await self._price_rows(query.country)}
            except NumbersError as exc:
                log.warning(
                    "%s: no prices for %s: %s; search results are unpriced", self.name, query.country, exc
                )
        priced = []
        for number in found:
            if number.price_basis is None and (number.monthly_price, number.setup_price) != (None, None):
                number = number.model_copy(update={"price_basis": PriceBasis.OFFER})
            elif number.price_basis is None and number.number_type in rows:
                row = rows[number.number_type]
                number = number.model_copy(
                    update={"monthly_price": row.monthly, "setup_price": row.setup, "price_basis": row.basis}
                )
            priced.append(number)
        return priced

    def _check_compliance(self, compliance: NumberCompliance) -> None:
        if not isinstance(compliance, NumberCompliance):
            raise InvalidInputError(
                f"compliance: expected a NumberCompliance, got {type(compliance).__name__}",
                field="compliance",
            )
        self._require(Feature.CONFIG_COMPLIANCE)

    # -- native batches (announced by Feature.BULK and its three operations) ---------------------

    @_one_deadline
    async def purchase_many(
        self, numbers: Iterable[Any], /, *, config: NumberConfig | None = None
    ) -> builtins.list[BatchOutcome]:
        """Buy these numbers in the carrier's own batch calls: one outcome per number, in order.

        Never raises for one number's failure: that is its outcome's ``error``
        (``OutcomeUnknownError`` where the carrier's answer was lost and the
        number could not be looked up). Bad input, and a provider without
        native batches, raise before any request.
        """
        e164s = self._batch(numbers, Feature.PURCHASE_MANY)
        self._check_config(config, purchase=True)
        with self._guard("purchase"):
            found = await self._purchase_many(e164s, config) if e164s else {}
        return self._outcomes(e164s, found, "purchase")

    @_one_deadline
    async def configure_many(
        self, numbers: Iterable[Any], config: NumberConfig, /
    ) -> builtins.list[BatchOutcome]:
        """Apply ``config`` (only the fields set) to these numbers in batch calls; one outcome each."""
        e164s = self._batch(numbers, Feature.CONFIGURE_MANY)
        if not isinstance(config, NumberConfig):
            raise InvalidInputError(
                f"config: expected a NumberConfig, got {type(config).__name__}", field="config"
            )
        self._check_config(config, purchase=False)
        with self._guard("configure"):
            found = await self._configure_many(e164s, config) if e164s else {}
        return self._outcomes(e164s, found, "configure")

    @_one_deadline
    async def release_many(self, numbers: Iterable[Any], /) -> builtins.list[BatchOutcome]:
        """Give these numbers back in batch calls; one outcome each (``result`` is None)."""
        e164s = self._batch(numbers, Feature.RELEASE_MANY)
        with self._guard("release"):
            found = await self._release_many(e164s) if e164s else {}
        return self._outcomes(e164s, found, "release")

    def _batch(self, numbers: Iterable[Any], feature: Feature) -> builtins.list[str]:
        """The numbers of a batch as E.164, each once; every one checked before any request."""
        if isinstance(numbers, str | bytes) or not isinstance(numbers, Iterable):
            raise InvalidInputError(
                f"numbers: expected a list of phone numbers, got {type(numbers).__name__}", field="numbers"
            )
        self._require(feature)
        e164s: dict[str, None] = {}
        for index, number in enumerate(numbers):
            e164 = parse_e164(number, field=f"numbers[{index}]")
            if e164 in e164s:
                raise InvalidInputError(f"numbers[{index}]: {e164} is given twice", field=f"numbers[{index}]")
            e164s[e164] = None
        return builtins.list(e164s)

    def _outcomes(
        self, e164s: builtins.list[str], found: dict[str, ActiveNumber | NumbersError | None], operation: str
    ) -> builtins.list[BatchOutcome]:
        outcomes = []
        for e164 in e164s:
            result = found.get(e164, _MISSING)
            if result is _MISSING:
                # An adapter must account for every number; one it lost track of may have changed.
                error = self._unbelieved(
                    operation, e164, None, f"{self.name}: {operation}: the batch said nothing of {e164}"
                )
                outcomes.append(BatchOutcome(e164, error=error))
            elif isinstance(result, NumbersError):
                outcomes.append(BatchOutcome(e164, error=result))
            elif result is not None and result.phone_number != e164:
                error = self._unbelieved(
                    operation,
                    e164,
                    result.phone_number,
                    f"{self.name}: {operation} of {e164} was answered with {result.phone_number}",
                )
                outcomes.append(BatchOutcome(e164, error=error))
            else:
                outcomes.append(BatchOutcome(e164, result=result))
        return outcomes

    # -- hooks for adapters ------------------------------------------------------------

    @abc.abstractmethod
    async def _search(self, query: SearchQuery) -> builtins.list[AvailableNumber]: ...

    @abc.abstractmethod
    async def _purchase(self, e164: str, config: NumberConfig | None) -> ActiveNumber: ...

    @abc.abstractmethod
    async def _get(self, e164: str) -> ActiveNumber: ...

    @abc.abstractmethod
    async def _configure(self, e164: str, config: NumberConfig) -> ActiveNumber: ...

    @abc.abstractmethod
    async def _release(self, e164: str) -> None: ...

    @abc.abstractmethod
    async def _list_page(
        self, filters: dict[str, Any], cursor: str | None
    ) -> tuple[builtins.list[ActiveNumber], str | None]:
        """One page of owned numbers and the cursor of the next (None after the last).

        ``cursor`` is None for the first page, else what the previous call
        returned. ``filters`` holds only those in ``native_list_filters``.
        """

    async def _purchase_many(
        self, e164s: builtins.list[str], config: NumberConfig | None
    ) -> dict[str, ActiveNumber | NumbersError | None]:
        """Every number's result or error, keyed by number (never raising for one of them)."""
        raise UnsupportedError(self.name, Feature.PURCHASE_MANY)

    async def _configure_many(
        self, e164s: builtins.list[str], config: NumberConfig
    ) -> dict[str, ActiveNumber | NumbersError | None]:
        raise UnsupportedError(self.name, Feature.CONFIGURE_MANY)

    async def _release_many(self, e164s: builtins.list[str]) -> dict[str, ActiveNumber | NumbersError | None]:
        raise UnsupportedError(self.name, Feature.RELEASE_MANY)

    def _can_purchase_any_natively(self, query: SearchQuery) -> bool:
        """Whether ``_purchase_any`` can serve this query in one request."""
        return False

    async def _purchase_any(self, query: SearchQuery, config: NumberConfig | None) -> ActiveNumber:
        raise UnsupportedError(self.name, Feature.PURCHASE_ANY_NATIVE)

    async def _transfer(self, e164: str, to_account: str) -> ActiveNumber:
        raise UnsupportedError(self.name, Feature.TRANSFER)

    # -- shared mechanics ---------------------------------------------------------------

    async def _buy_held(self, e164: str, config: NumberConfig | None) -> ActiveNumber:
        """``_purchase``, for a call that holds ``e164``'s claim; an answer about another number is
        not believed."""
        with self._guard("purchase", e164):
            bought = await self._purchase(e164, config)
        return self._answer_for(e164, bought, "purchase")

    async def _purchase_found(self, query: SearchQuery, config: NumberConfig | None) -> ActiveNumber:
        """``purchase_any`` by searching, then buying the first candidate no other call of this
        provider is buying or has just settled.

        A candidate taken meanwhile (by anyone, this account included) or refused for what only it
        lacks is passed over. When a page runs out, the carrier is searched again past the numbers
        gone and those being bought: at once where the page was full (it may have more), else once
        the calls buying those are done (a carrier that shows a few at a time shows others then).
        A page whose every candidate was taken by others leads to a few more searches; "none left"
        is a search with nothing new in it.
        """
        passed: set[str] = set()
        refused: ComplianceRequiredError | None = None
        limit, researches = query.limit, _RESEARCHES
        while True:
            busy: builtins.list[str] = []
            tried = stale = False
            with self._claims.page() as out_of_date:
                page = await self.search(query.model_copy(update={"limit": limit}))
                for candidate in page:
                    e164 = candidate.phone_number
                    if e164 in passed:
                        continue
                    if out_of_date(e164):
                        stale = True
                        continue
                    if not self._claims.take(e164):
                        busy.append(e164)
                        continue
                    tried = True
                    settled = False
                    try:
                        bought = await self._buy_held(e164, config)
                    except NumberUnavailableError:
                        settled = True
                        log.info("%s: %s was taken meanwhile, trying the next one", self.name, e164)
                    except ConflictError as exc:
                        if exc.code != _ALREADY_OWNED:
                            raise
                        settled = True
                        # Bought by another call of this account: not this call's to return.
                        log.info(
                            "%s: %s was bought meanwhile by another call, trying the next one",
                            self.name,
                            e164,
                        )
                    except ComplianceRequiredError as exc:
                        refused = _number_refusal(exc, self.name, e164)
                    else:
                        settled = True
                        return bought
                    finally:
                        self._claims.drop(e164, settled=settled)
                    passed.add(e164)
            if busy and (len(page) < limit or limit == _WIDEST):
                # All the carrier shows is gone or being bought: once those calls are done, the
                # numbers they did not buy, or new ones, show.
                await self._claims.gone(busy)
                continue
            if not busy and not stale:  # nothing here was bought by another call of this provider
                if not tried or not researches:
                    break
                researches -= 1
            # Every number of this page is gone or being bought: as many again past them.
            limit = min(max(limit, len(page) + query.limit), _WIDEST)
        if refused is not None:
            # Every candidate that was not taken needed what this purchase lacks: say what.
            raise refused
        raise NumberUnavailableError("no number matching the query could be bought", provider=self.name)

    def _require(self, feature: Feature) -> None:
        if feature not in self.features:
            raise UnsupportedError(self.name, feature)

    def _check_search(self, query: SearchQuery) -> None:
        self._require(Feature.SEARCH)
        self._require(type_feature(query.number_type))
        for field in sorted(query.criteria()):
            self._require(search_feature(field))

    def _check_config(self, config: NumberConfig | None, *, purchase: bool) -> None:
        if config is None:
            return
        if not isinstance(config, NumberConfig):
            raise InvalidInputError(
                f"config: expected a NumberConfig, got {type(config).__name__}", field="config"
            )
        if purchase and config.model_fields_set:
            self._require(Feature.PURCHASE_WITH_CONFIG)
        for feature in sorted(config_features(config)):
            self._require(feature)

    def _filter(
        self, query: SearchQuery, found: builtins.list[AvailableNumber]
    ) -> builtins.list[AvailableNumber]:
        checks = [
            (_CLIENT_FILTERS[field], value)
            for field, value in query.criteria().items()
            if field in self.client_side_filters
        ]
        if not checks:  # the common case: the carrier applied every filter itself
            return found
        return [number for number in found if all(check(number, value) for check, value in checks)]

    def _answer_for(self, e164: str, answer: ActiveNumber, operation: str) -> ActiveNumber:
        """``answer``, if it is about ``e164``: an answer about another number is not believed."""
        if answer.phone_number == e164:
            return answer
        if operation == "purchase":
            message = f"{self.name}: asked to buy {e164}, the carrier answered with {answer.phone_number}"
        else:
            message = f"{self.name}: {operation} of {e164} was answered with {answer.phone_number}"
        raise self._unbelieved(operation, e164, answer.phone_number, message)

    def _unbelieved(
        self, operation: str, e164: str, other: str | None, message: str
    ) -> OutcomeUnknownError | ProtocolError:
        """An answer that does not say what became of ``e164`` (it names ``other``, or nothing).

        For a change not to be sent twice blindly, the outcome is unknown (for either number):
        that is what a caller checks before trying again. For the others, a ProtocolError.
        """
        numbers = (e164,) if other is None else (e164, other)
        done = _UNREPEATABLE.get(operation)
        if done is None:
            return ProtocolError(f"{message}; look it up", provider=self.name, numbers=numbers)
        return OutcomeUnknownError(
            f"{message}; it may have {done} {' or '.join(numbers)}: check with get() before trying again",
            operation=operation,
            number=e164,
            provider=self.name,
            numbers=numbers,
        )

    def _unreadable(
        self, operation: str, e164: str | None, status: int, garbled: ProtocolError
    ) -> OutcomeUnknownError:
        """The carrier said yes (2xx) to a change in words that cannot be read: it may have happened."""
        unknown = OutcomeUnknownError(
            f"{self.name}: {operation}{f' of {e164}' if e164 else ''} was answered HTTP {status} with an "
            f"answer that cannot be read ({garbled.message}); it may have taken effect",
            operation=operation,
            number=e164,
            provider=self.name,
        )
        unknown.__cause__ = garbled
        return unknown

    @staticmethod
    def _unknown_for(e164: str, unknown: OutcomeUnknownError) -> OutcomeUnknownError:
        """A batch's unknown outcome as one of its numbers' (which its look-up settles)."""
        one = OutcomeUnknownError(
            f"{unknown.message} ({e164})", operation=unknown.operation, number=e164, provider=unknown.provider
        )
        one.__cause__ = unknown.__cause__
        return one

    async def _reconcile_purchase(
        self,
        e164: str,
        unknown: OutcomeUnknownError,
        lookup: Callable[[], Awaitable[ActiveNumber | None]],
        *,
        delays: tuple[float, ...] = (),
    ) -> ActiveNumber:
        """After a purchase whose answer was lost or unreadable: the number, if the account has it.

        ``lookup`` finds the account's number ``e164`` (None when it does not
        have it); it is tried at once and again after each of ``delays``, for
        carriers that take a moment to show a number just bought. Not finding
        it means the purchase did not happen: the original failure is raised
        (a ``ProviderUnavailableError`` or a retryable ``TransportError``) with
        a note that buying again is safe. A look-up that fails, and a 2xx
        answer that could not be read (the carrier said yes, so not seeing the
        number proves nothing), leave the outcome unknown: ``unknown`` is raised.
        """
        cause = unknown.__cause__
        with settle_grace():
            for delay in (0.0, *delays):
                if delay:
                    if not _time_for(delay):
                        # Not seen yet, and no time left to look again: that proves nothing.
                        log.warning("%s: no time left to check again whether %s was bought", self.name, e164)
                        raise unknown
                    await _sleep(delay)
                try:
                    found = await lookup()
                except NumbersError as exc:
                    log.warning(
                        "%s: could not check whether %s was bought (%s)", self.name, e164, type(exc).__name__
                    )
                    raise unknown from exc
                if found is not None:
                    log.info("%s: the purchase of %s went through; its answer was lost", self.name, e164)
                    return found
        if isinstance(cause, ProtocolError):
            raise unknown
        note = f"{e164} is not on the account, so the purchase did not take effect; buying again is safe"
        if isinstance(cause, ProviderUnavailableError):
            raise ProviderUnavailableError(
                f"{cause.message}; {note}",
                provider=self.name,
                status_code=cause.status_code,
                code=cause.code,
                request_id=cause.request_id,
            ) from unknown
        raise TransportError(
            f"{self.name}: purchase: {_what(cause)}; {note}", provider=self.name
        ) from unknown

    async def _updated(
        self,
        e164: str,
        read: Callable[[], ActiveNumber],
        read_back: Callable[[], Awaitable[ActiveNumber]],
    ) -> ActiveNumber:
        """The number an accepted (2xx) update answered with: ``read()`` of its answer.

        An answer that cannot be read does not undo the change: the number as
        it is now is one ``read_back()`` away. Should that fail too, the
        unreadable answer's ProtocolError stands.
        """
        try:
            return read()
        except ProtocolError as garbled:
            log.info("%s: the update of %s was answered unreadably; reading it back", self.name, e164)
            try:
                with settle_grace():
                    return await read_back()
            except NumbersError:
                raise garbled from None

    async def _update_sent(
        self,
        api: HttpCore,
        e164: str,
        method: str,
        path: str,
        read: Callable[[httpx.Response], ActiveNumber],
        read_back: Callable[[], Awaitable[ActiveNumber]],
        *,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
    ) -> ActiveNumber:
        """Configure ``e164`` with one request (``method`` ``path``, its body ``json`` or form
        ``data``), then the number :meth:`_updated` reads from its answer with ``read``.

        The same fields sent twice leave the same state: the request is retried as any
        idempotent one.
        """
        from ._http import Idempotency

        response = await api.request(
            method,
            path,
            json=json,
            data=data,
            idempotency=Idempotency.IDEMPOTENT,
            operation="configure",
            number=e164,
        )
        return await self._updated(e164, lambda: read(response), read_back)

    async def _release_sent(
        self,
        api: HttpCore,
        e164: str,
        method: str,
        path: str,
        lookup: Callable[[], Awaitable[ActiveNumber | None]],
    ) -> None:
        """Release ``e164`` with one request (``method`` ``path``), sent once and never
        retried blind: :meth:`_release_checked`, with ``lookup`` after a lost answer."""
        from ._http import Idempotency

        await self._release_checked(
            e164,
            lambda: api.request(
                method, path, idempotency=Idempotency.UNSAFE, operation="release", number=e164
            ),
            lookup,
        )

    async def _release_checked(
        self,
        e164: str,
        send: Callable[[], Awaitable[object]],
        lookup: Callable[[], Awaitable[ActiveNumber | None]],
        *,
        attempts: int = 3,
    ) -> None:
        """Release with ``send`` (one request, never retried blind), looking the number up after
        each answer that was lost or garbled: gone means released; still there means sending
        again is safe, which is done up to ``attempts`` times.

        Retrying the request itself would not tell: a second release of a released number is
        refused as "not found". A look-up that fails leaves the outcome unknown.
        """
        for _ in range(attempts):
            try:
                await send()
            except OutcomeUnknownError as unknown:
                if await self._released(unknown, lookup):
                    return
                last = unknown
                log.info("%s: the release of %s did not happen; sending it again", self.name, e164)
            else:
                return
        raise self._not_released(e164, last)

    async def _released(
        self, unknown: OutcomeUnknownError, lookup: Callable[[], Awaitable[ActiveNumber | None]]
    ) -> bool:
        """After a release whose answer was lost or garbled: whether the number is gone (``lookup``
        finds the account's number, None when it does not have it). A look-up that fails, or does
        not say, leaves the outcome unknown: ``unknown`` is raised."""
        try:
            with settle_grace():
                return await lookup() is None
        except NumbersError as exc:
            raise unknown from exc

    def _not_released(self, e164: str, unknown: OutcomeUnknownError) -> TransportError:
        """A release whose answer was lost or garbled, of a number still there: it did not happen."""
        error = TransportError(
            f"{self.name}: release of {e164}: {_what(unknown.__cause__)}; the number is not "
            "released, releasing again is safe",
            provider=self.name,
        )
        error.__cause__ = unknown
        return error

    async def _configure_bought(self, bought: ActiveNumber, config: NumberConfig) -> ActiveNumber:
        """Apply to a number just bought what the carrier does not take with a purchase.

        The number is bought either way: if the update fails it is returned as
        bought (with a warning), never lost behind an error.
        """
        try:
            return await self._configure(bought.phone_number, config)
        except NumbersError as exc:
            log.warning(
                "%s: %s is bought, but configuring it failed (%s); it is returned as bought",
                self.name,
                bought.phone_number,
                type(exc).__name__,
            )
            return bought

    @contextlib.contextmanager
    def _guard(self, operation: str, number: str | None = None) -> Iterator[None]:
        """Turn anything foreign an adapter lets through into the error tree.

        For a change not to be sent twice blindly (of ``number``, where one is known), it may have
        come after the change was made: its outcome is unknown, never "not made".
        """
        try:
            yield
        except NumbersError:
            raise
        except Exception as exc:
            error = self._foreign(operation, exc)
            if error is None:
                raise
            if operation in _UNREPEATABLE:
                raise OutcomeUnknownError(
                    f"{error.message}; it may or may not have taken effect",
                    operation=operation,
                    number=number,
                    provider=self.name,
                ) from exc
            raise error from exc

    def _foreign(self, operation: str, exc: Exception) -> NumbersError | None:
        """What a foreign exception means in the error tree; None for one that is not a carrier's
        answer or the network's (a bug to let through)."""
        # Read when an exception is being matched: no httpx error can exist before httpx is imported.
        httpx = sys.modules.get("httpx")
        if httpx is not None and isinstance(exc, httpx.DecodingError):
            return ProtocolError(
                f"{self.name}: {operation}: an answer's body does not decode as its Content-Encoding says",
                provider=self.name,
            )
        if httpx is not None and isinstance(exc, httpx.HTTPError):
            from ._transport import failure_text  # loaded with httpx already

            try:
                failure = failure_text(exc, exc.request)
            except RuntimeError:  # an error httpx raised before the request existed
                failure = "the exchange with the carrier failed"
            return TransportError(f"{self.name}: {operation} failed: {failure}", provider=self.name)
        if isinstance(exc, _FOREIGN):
            return ProtocolError(
                f"{self.name}: {operation}: unexpected response ({type(exc).__name__}: {_short(exc)})",
                provider=self.name,
            )
        return None


# What an adapter's reading of an answer it did not expect lets through.
_FOREIGN = (
    pydantic.ValidationError,
    KeyError,
    TypeError,
    ValueError,
    AttributeError,
    IndexError,
    ArithmeticError,  # decimal.InvalidOperation from a price that is not a number
    RecursionError,  # an answer nested deeper than a parser goes
    phonenumbers.NumberParseException,
)


def _list_filter(model: type[SearchQuery | NumberConfig], name: str, value: Any) -> Any:
    """A list filter, checked as the field of the same name (a message that names the filter).

    A blank one is refused: the models take a blank for an absent value, and the filter would be
    dropped, or worse, matched as None.
    """
    if isinstance(value, str) and not value.strip():
        raise InvalidInputError(f"list filter {name}: is empty; leave it out to match any number", field=name)
    return _checked(model, name, value, label=f"list filter {name}")


def _checked(model: type[pydantic.BaseModel], name: str, value: Any, *, label: str | None = None) -> Any:
    """``value`` checked as ``model``'s field ``name``; InvalidInputError saying ``label: problem``."""
    try:
        return getattr(build(model, None, {name: value}), name)
    except InvalidInputError as exc:
        problem = exc.message.split(": ", 2)[-1]
        raise InvalidInputError(f"{label or name}: {problem}", field=name) from None


_REFERENCE: pydantic.TypeAdapter[str] = pydantic.TypeAdapter(Reference)


def _reference(value: str, field: str) -> str:
    """A carrier's id the user gives outside a model (an account), checked as the models' ids are."""
    try:
        return _REFERENCE.validate_python(value)
    except pydantic.ValidationError as exc:
        raise InvalidInputError(f"{field}: {problems(exc)[0][1]}", field=field) from None


def _market(country: Any, number_type: Any) -> tuple[str, NumberType | None]:
    """A country and an optional number type, checked as a search's are."""
    checked: str = _checked(SearchQuery, "country", country)
    if number_type is None:
        return checked, None
    wanted: NumberType = _checked(SearchQuery, "number_type", number_type)
    return checked, wanted


def _address(address: Any) -> Address:
    if not isinstance(address, Address):
        raise InvalidInputError(
            f"address: expected an Address, got {type(address).__name__}", field="address"
        )
    return address


def _address_id(address: Any) -> str:
    if isinstance(address, Address):
        if address.id is None:
            raise InvalidInputError("address: it has no id (it is not in an address book)", field="address")
        return address.id
    checked: str = _checked(NumberCompliance, "address_id", address, label="address")
    if checked is None or not checked.strip():
        raise InvalidInputError("address: expected an address id", field="address")
    return checked


def _number_refusal(refusal: ComplianceRequiredError, provider: str, e164: str) -> ComplianceRequiredError:
    """A refusal that another number may not meet, to remember; one for the whole account is raised."""
    if refusal.scope is not ComplianceScope.NUMBER:
        raise refusal
    log.info(
        "%s: %s needs %s, trying the next one", provider, e164, refusal.requirement.value.replace("_", " ")
    )
    return refusal


def _phone_number(number: ActiveNumber) -> str:
    return number.phone_number


def _what(cause: BaseException | None) -> str:
    """What became of a request's answer, in a few words: the status an error came with, or the
    failure's kind."""
    if cause is None:
        return "no answer"
    if isinstance(cause, ProtocolError):
        return "an answer that cannot be read"
    status = getattr(cause, "status_code", None)
    return f"HTTP {status}" if status is not None else type(cause).__name__


def _short(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return text[:200]


def _listed(number: ActiveNumber, filters: dict[str, Any]) -> bool:
    for key, value in filters.items():
        if key == "contains" and not _matches_number(number.phone_number, value):
            return False
        if key == "friendly_name" and (number.friendly_name or "").casefold() != str(value).casefold():
            return False
        # A carrier that does not say the type has not contradicted the filter (as for geography).
        if key == "number_type" and number.number_type not in (NumberType.UNKNOWN, value):
            return False
        if key == "country" and not _in_country(number, value):
            return False
    return True


def _in_country(number: ActiveNumber, country: str) -> bool:
    # Where the carrier gives no country, the number itself tells (its calling code at least).
    if number.geography.iso_country is not None:
        return number.geography.iso_country == country
    if phonenumbers.parse(number.phone_number).country_code != phonenumbers.country_code_for_region(country):
        return False
    return region_of(number.phone_number) in (None, country)
