"""The providers: one implementation of the contract, configured by a dialect."""

from __future__ import annotations

import functools
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, Protocol, TypeVar

import anyio
import httpx
from numbers_core import (
    ActiveNumber,
    Address,
    AvailableNumber,
    Coverage,
    NumberCompliance,
    NumberConfig,
    NumberPrice,
    NumberType,
    Requirement,
    SearchQuery,
)
from numbers_core.adapter import (
    Feature,
    HttpCore,
    Idempotency,
    Provider,
    ProviderSettings,
    check_url_policy,
    error_for_status,
    may_be_type,
    path_segment,
    retry_after_seconds,
)
from numbers_core.errors import (
    ComplianceRequiredError,
    ConfigurationError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    NumbersError,
    OutcomeUnknownError,
    ProtocolError,
    ProviderError,
)

from . import _codec as codec
from . import _commerce as commerce
from ._dialect import SIGNALWIRE, TWILIO, Dialect
from ._settings import SignalWireSettings, TwilioSettings, check_sid

__all__ = ["SignalWireProvider", "TwilioProvider"]

log = logging.getLogger("numbers_core.twilio")

T = TypeVar("T")

# The wait between looks at a number the carrier may not show yet, and the clock purchases
# are timed with; module attributes so that tests can skip the waits and set the time.
_sleep = anyio.sleep
_clock = time.monotonic

# The carrier answers 201 to a purchase of a number the account already owns (and applies the
# purchase's configuration to it), so a number created before the purchase was sent bought
# nothing. Dates have whole seconds: the Date header and date_created are each up to a second
# short, and the carrier's servers' clocks may differ by a little more.
_DATE_SLACK = 2.0  # seconds
# Without the carrier's clock (no usable Date header) the comparison is with this machine's,
# which may be off by minutes where it is not kept in sync. A Date further ahead of this
# machine's clock than that is not the carrier's clock but a garbled header.
_CLOCK_SLACK = 300.0  # seconds
# How long after buying a number a 404 for it may just mean the carrier has not caught up.
_FRESH_SECONDS = 120.0
_SID_CACHE_SIZE = 10_000
# The request ids of both carriers' answers, in the order they are looked for.
_REQUEST_ID_HEADERS = ("Twilio-Request-Id", "X-Request-Id", "X-Signalwire-Request-Id", "Request-Id")


class _Settings(Protocol):
    @property
    def account(self) -> str: ...

    def basic_auth(self) -> tuple[str, str]: ...

    def origin(self) -> str: ...


def _request_id(response: httpx.Response) -> str | None:
    return next((response.headers[name] for name in _REQUEST_ID_HEADERS if name in response.headers), None)


def _sent(started: float, response: httpx.Response | None) -> datetime:
    """The earliest moment the carrier can have seen a request sent at ``started`` (``_clock()``).

    By the carrier's own clock, its answer's Date header, where it gives one;
    else by this machine's, less sure. A Date ahead of this machine's clock by
    more than its slack would make a number just bought look owned for ages:
    it is not believed. One behind it can only make a number look newer, so
    it never passes a purchase off as a number owned already.
    """
    took = _clock() - started
    now = datetime.now(UTC)
    answered = None if response is None else codec.parse_date(response.headers.get("Date"))
    if answered is not None and answered <= now + timedelta(seconds=_CLOCK_SLACK):
        try:
            return answered - timedelta(seconds=took + _DATE_SLACK)
        except OverflowError:  # a Date in the first days of year 1: earlier than anything
            return datetime.min.replace(tzinfo=UTC)
    return now - timedelta(seconds=took + _CLOCK_SLACK)


def _may_be(number: ActiveNumber, wanted: NumberType) -> bool:
    if number.number_type is not NumberType.UNKNOWN:
        return number.number_type is wanted
    return may_be_type(number.phone_number, wanted)


class _CompatProvider(Provider):
    """The Twilio 2010-04-01 API, as spoken by ``dialect``."""

    dialect: ClassVar[Dialect]
    #: waits (seconds) between looks at a number the carrier may not show yet: after a lost
    #: purchase answer, and on a 404 for a number bought moments ago
    settle_delays: ClassVar[tuple[float, ...]] = (0.5, 1.0, 2.0)
    #: numbers per list page (the API's maximum: fewest round trips for a full listing)
    list_page_size: ClassVar[int] = 1000
    # A search answers about 30 numbers at most, whatever PageSize asks, and the same ones again.
    max_search_limit: ClassVar[int] = 30
    # Its searches carry no prices: those come from the Pricing API's list of the country.
    search_prices_listed: ClassVar[bool] = True

    def __init__(self, settings: ProviderSettings, *, http_client: httpx.AsyncClient | None = None) -> None:
        super().__init__(self._settings_as(settings, self.settings_model), http_client=http_client)
        wire: _Settings = settings  # type: ignore[assignment]  # both settings models are _Settings
        self._wire = wire
        self._api = self._make_http(
            base_url=wire.origin(),
            error_mapper=self._error,
            auth=httpx.BasicAuth(*wire.basic_auth()),
            secrets=(wire.basic_auth()[1],),
        )
        if self._api.base_url.path not in ("", "/") or self._api.base_url.query:
            raise ConfigurationError(
                f"base_url: give the scheme and host only (the adapter adds {self.dialect.api_root})",
                setting="base_url",
            )
        self._account = wire.account
        self._root = f"{self.dialect.api_root}/Accounts/{path_segment(self._account, field='account')}"
        self._numbers = f"{self._root}/IncomingPhoneNumbers{self.dialect.suffix}"
        # E.164 → sid, learned from every answer: most calls then need one request, not two.
        # Ordered: the oldest is dropped in O(1); ``next(iter(dict))`` after many deletions from its
        # front rescans the holes they leave (measured: 4.6 µs per number on a 100,000-number list).
        self._sids: OrderedDict[str, str] = OrderedDict()
        # sid → when this instance bought it (_clock), for the carrier's settling delay; oldest
        # first, so that forgetting the expired ones never scans the fresh ones.
        self._bought: OrderedDict[str, float] = OrderedDict()

    # -- wire helpers ------------------------------------------------------------------------

    def _error(self, response: httpx.Response) -> ProviderError:
        try:
            body = response.json()
        except ValueError:  # an HTML error page from a proxy: the status says enough
            body = None
        code, message = codec.error_details(body)
        status = response.status_code
        request_id = _request_id(response)
        message = message or response.reason_phrase or f"HTTP {status}"
        # Rate limits and outages go by status: that is what decides whether to retry.
        refusal = code is not None and status < 500 and status != 429
        paperwork = self.dialect.compliance_codes.get(code) if refusal and code is not None else None
        if paperwork is not None:
            requirement, scope = paperwork
            return ComplianceRequiredError(
                message,
                provider=self.name,
                requirement=requirement,
                scope=scope,
                status_code=status,
                code=code,
                request_id=request_id,
            )
        precise = self.dialect.error_codes.get(code) if refusal and code is not None else None
        if precise is not None:
            return precise(message, provider=self.name, status_code=status, code=code, request_id=request_id)
        return error_for_status(
            status,
            provider=self.name,
            message=message,
            code=code,
            request_id=request_id,
            retry_after=retry_after_seconds(response.headers.get("Retry-After")),
        )

    def _read(self, response: httpx.Response, parse: Callable[[Any], T], operation: str) -> T:
        return self._api.read(response, parse, operation)

    def _one(self, sid: str, account: str | None = None) -> str:
        root = self._root if account is None else f"{self.dialect.api_root}/Accounts/{path_segment(account)}"
        return f"{root}/IncomingPhoneNumbers/{path_segment(sid, field='sid')}{self.dialect.suffix}"

    def _page_path(self, uri: str) -> str:
        # Links carry the API prefix; one without it (as Twilio-wrapping SDKs build them)
        # would hit SignalWire's host root and get a 404.
        if uri.startswith("/2010-04-01/"):
            return self.dialect.api_root.removesuffix("/2010-04-01") + uri
        return uri

    def _remember(self, number: ActiveNumber) -> None:
        sids = self._sids
        if len(sids) >= _SID_CACHE_SIZE and number.phone_number not in sids:
            sids.popitem(last=False)
        sids[number.phone_number] = number.id

    def _just_bought(self, sid: str) -> None:
        now = _clock()
        bought = self._bought
        bought[sid] = now
        bought.move_to_end(sid)
        while now - next(iter(bought.values())) >= _FRESH_SECONDS:  # ends at ``sid`` at the latest
            bought.popitem(last=False)
        # A bulk job buys hundreds a second: kept by age alone, this would grow with the job. The
        # carrier catches up in seconds, long before 10,000 more purchases have been made.
        if len(bought) > _SID_CACHE_SIZE:
            bought.popitem(last=False)

    def _forget(self, e164: str) -> None:
        sid = self._sids.pop(e164, None)
        if sid is not None:
            self._bought.pop(sid, None)

    def _parse_number(self, response: httpx.Response, operation: str) -> ActiveNumber:
        number = self._read(response, functools.partial(codec.number, provider=self.name), operation)
        self._remember(number)
        return number

    async def _page(
        self, params: dict[str, str], cursor: str | None, *, operation: str, number: str | None = None
    ) -> tuple[list[ActiveNumber], str | None]:
        """One page of owned numbers; ``cursor`` is the carrier's ``next_page_uri``."""
        response = await self._api.request(
            "GET",
            self._numbers if cursor is None else self._page_path(cursor),
            params=params if cursor is None else None,
            idempotency=Idempotency.SAFE,
            operation=operation,
            number=number,
        )
        numbers, next_page = self._read(
            response, functools.partial(codec.number_page, provider=self.name), operation
        )
        for found in numbers:
            self._remember(found)
        return numbers, next_page

    async def _lookup(self, e164: str, operation: str) -> ActiveNumber | None:
        """The account's number ``e164``, found by listing with PhoneNumber (a partial match)."""
        found = None
        pages = self._api.paginate(
            lambda cursor: self._page({"PhoneNumber": e164}, cursor, operation=operation, number=e164)
        )
        async for candidate in pages:
            if candidate.phone_number == e164:
                found = candidate
        return found

    def _not_owned(self, e164: str) -> NotFoundError:
        return NotFoundError(f"{e164} is not a number of this account", provider=self.name)

    async def _on_number(
        self, e164: str, operation: str, action: Callable[[str, ActiveNumber | None], Awaitable[T]]
    ) -> T:
        """Run ``action(sid, number_if_just_looked_up)`` on the account's number ``e164``."""
        sid = self._sids.get(e164)
        if sid is not None:
            try:
                return await self._settled(sid, action)
            except NotFoundError:
                self._forget(e164)  # released, or released and bought again: look it up afresh
        found = await self._lookup(e164, operation)
        if found is None:
            raise self._not_owned(e164)
        return await action(found.id, found)

    async def _settled(self, sid: str, action: Callable[[str, ActiveNumber | None], Awaitable[T]]) -> T:
        # Just after a purchase the carrier may still answer 404 for the new number.
        bought = self._bought.get(sid)
        if bought is not None and _clock() - bought < _FRESH_SECONDS:
            for delay in self.settle_delays:
                try:
                    return await action(sid, None)
                except NotFoundError:
                    log.debug("%s: %s was bought moments ago and is not visible yet", self.name, sid)
                    await _sleep(delay)
        return await action(sid, None)

    # -- the contract --------------------------------------------------------------------------

    async def _search(self, query: SearchQuery) -> list[AvailableNumber]:
        kind, params = codec.search_request(query, self.dialect)
        country = path_segment(query.country, field="country")
        response = await self._api.request(
            "GET",
            f"{self._root}/AvailablePhoneNumbers/{country}/{kind}{self.dialect.suffix}",
            params=params,
            idempotency=Idempotency.SAFE,
            operation="search",
        )
        parse = functools.partial(codec.available_numbers, provider=self.name, number_type=query.number_type)
        return self._read(response, parse, "search")

    async def _purchase(self, e164: str, config: NumberConfig | None) -> ActiveNumber:
        form = {"PhoneNumber": e164, **codec.config_form(config, self.dialect, purchase=True)}
        return await self._buy(form, e164)

    def _can_purchase_any_natively(self, query: SearchQuery) -> bool:
        return (
            Feature.PURCHASE_ANY_NATIVE in self.features
            and query.number_type is NumberType.LOCAL
            and query.country in self.dialect.geographic_countries
            and query.area_code is not None
            and len(query.area_code) == 3
            and query.criteria().keys() == {"area_code"}
        )

    async def _purchase_any(self, query: SearchQuery, config: NumberConfig | None) -> ActiveNumber:
        form = {"AreaCode": str(query.area_code), **codec.config_form(config, self.dialect, purchase=True)}
        return await self._buy(form, None)

    async def _buy(self, form: dict[str, str], e164: str | None) -> ActiveNumber:
        started = _clock()
        try:
            response = await self._api.request(
                "POST",
                self._numbers,
                data=form,
                idempotency=Idempotency.UNSAFE,
                operation="purchase",
                number=e164,
            )
        except OutcomeUnknownError as unknown:
            if e164 is None:  # AreaCode: the carrier picked the number, so there is nothing to look up
                raise
            return await self._reconcile(e164, unknown, _sent(started, None))
        sent = _sent(started, response)
        try:
            bought = self._parse_number(response, "purchase")
        except ProtocolError as garbled:
            # The carrier said yes in words we cannot read: the number may well be the account's now.
            unread = self._unreadable("purchase", e164, response.status_code, garbled)
            if e164 is None:  # AreaCode: the carrier picked the number, so there is nothing to look up
                raise unread from garbled
            return await self._reconcile(e164, unread, sent)
        self._check_new(bought, sent, response)
        self._just_bought(bought.id)
        return bought

    def _check_new(self, bought: ActiveNumber, sent: datetime, response: httpx.Response | None) -> None:
        """Refuse a number created before its purchase was ``sent``: the account owned it already.

        One request, no look-up first: the carrier answers 201 to a purchase of
        a number the account owns, so the creation date is what tells; or, within
        the date's one-second resolution, that this provider bought it moments ago.
        """
        if bought.id not in self._bought and (bought.created_at is None or bought.created_at >= sent):
            return  # a carrier that does not say when has not said it was long ago
        since = (
            f" (owned since {bought.created_at.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC)"
            if bought.created_at is not None
            else ""
        )
        raise ConflictError(
            f"{bought.phone_number} is already a number of this account{since}: {self.name} took the "
            "purchase for an update of it and applied its configuration, if any",
            provider=self.name,
            status_code=None if response is None else response.status_code,
            # The contract's code for "bought already", as the sandbox and the other adapters say it.
            code="already-owned",
            request_id=None if response is None else _request_id(response),
        )

    async def _reconcile(self, e164: str, unknown: OutcomeUnknownError, sent: datetime) -> ActiveNumber:
        """After a lost purchase answer: the number if the account has it now (see the base class).

        The carrier may take a moment to list a number just bought, so it is
        looked for a few times. Finding it created before the purchase was
        ``sent`` means the account owned it all along (``ConflictError``).
        """
        found = await self._reconcile_purchase(
            e164, unknown, lambda: self._lookup(e164, "purchase"), delays=self.settle_delays
        )
        self._check_new(found, sent, None)
        self._just_bought(found.id)
        return found

    async def _fetch(self, sid: str, e164: str, operation: str) -> ActiveNumber:
        response = await self._api.request(
            "GET", self._one(sid), idempotency=Idempotency.SAFE, operation=operation, number=e164
        )
        return self._parse_number(response, operation)

    async def _get(self, e164: str) -> ActiveNumber:
        async def fetch(sid: str, found: ActiveNumber | None) -> ActiveNumber:
            return found if found is not None else await self._fetch(sid, e164, "get")

        return await self._on_number(e164, "get", fetch)

    async def _configure(self, e164: str, config: NumberConfig) -> ActiveNumber:
        form = codec.config_form(config, self.dialect, purchase=False)
        if not form:
            return await self._get(e164)

        async def update(sid: str, _: ActiveNumber | None) -> ActiveNumber:
            return await self._update_sent(
                self._api,
                e164,
                "POST",
                self._one(sid),
                lambda response: self._parse_number(response, "configure"),
                lambda: self._fetch(sid, e164, "configure"),
                data=form,
            )

        return await self._on_number(e164, "configure", update)

    async def _release(self, e164: str) -> None:
        async def delete(sid: str, _: ActiveNumber | None) -> None:
            await self._release_sent(
                self._api, e164, "DELETE", self._one(sid), lambda: self._lookup(e164, "release")
            )

        try:
            await self._on_number(e164, "release", delete)
        except ConflictError as exc:
            if not self.dialect.release_cooldown:
                raise
            raise ConflictError(
                f"{e164} cannot be released yet: {self.name} keeps a number for a cooldown period after "
                f"its purchase; try again later ({exc.message})",
                provider=self.name,
                status_code=exc.status_code,
                code=exc.code,
                request_id=exc.request_id,
            ) from exc
        self._forget(e164)

    async def _transfer(self, e164: str, to_account: str) -> ActiveNumber:
        return await self._move(e164, to_account, {})

    async def _transfer_with(self, e164: str, to_account: str, compliance: NumberCompliance) -> ActiveNumber:
        # The receiving account's references go with the move, in the same request.
        papers = codec.compliance_form(compliance, self.dialect, field="compliance")
        return await self._move(e164, to_account, papers)

    async def _move(self, e164: str, to_account: str, papers: dict[str, str]) -> ActiveNumber:
        try:
            target = self.dialect.account_id(to_account)
        except ValueError as exc:
            raise InvalidInputError(f"to_account: {exc}", field="to_account") from None
        if target == self._account:
            return await self._get(e164)

        async def move(sid: str, _: ActiveNumber | None) -> ActiveNumber:
            # Not idempotent: once moved, the number is gone from this account's path.
            try:
                response = await self._api.request(
                    "POST",
                    self._one(sid),
                    data={"AccountSid": target, **papers},
                    idempotency=Idempotency.UNSAFE,
                    operation="transfer",
                    number=e164,
                )
            except OutcomeUnknownError as unknown:
                return await self._moved(sid, target, unknown)
            try:
                moved = self._read(response, functools.partial(codec.number, provider=self.name), "transfer")
            except ProtocolError as garbled:
                unread = self._unreadable("transfer", e164, response.status_code, garbled)
                return await self._moved(sid, target, unread)
            if moved.account_id not in (None, target):
                raise ProtocolError(
                    f"{self.name}: transfer of {e164} to {target} was answered with account "
                    f"{moved.account_id}; look the number up in both accounts",
                    provider=self.name,
                    status_code=response.status_code,
                    numbers=(e164,),
                )
            return moved

        moved = await self._on_number(e164, "transfer", move)
        self._forget(e164)
        return moved

    async def _moved(self, sid: str, target: str, unknown: OutcomeUnknownError) -> ActiveNumber:
        """After a lost transfer answer: the number in the target account, if it is there."""
        try:
            response = await self._api.request(
                "GET", self._one(sid, target), idempotency=Idempotency.SAFE, operation="transfer"
            )
            moved = self._read(response, functools.partial(codec.number, provider=self.name), "transfer")
        except NumbersError as exc:
            raise unknown from exc
        if moved.account_id != target:
            raise unknown
        return moved

    async def _list_page(
        self, filters: dict[str, Any], cursor: str | None
    ) -> tuple[list[ActiveNumber], str | None]:
        params = {"PageSize": str(self.list_page_size)}
        contains = filters.get("contains")
        if contains is not None:
            # Twilio's PhoneNumber takes "*" for one digit; SignalWire's is not known to.
            params["PhoneNumber"] = (
                contains if self.dialect.contains_wildcards else codec.longest_run(contains)
            )
        if filters.get("friendly_name") is not None:
            params["FriendlyName"] = str(filters["friendly_name"])
        numbers, next_page = await self._page(params, cursor, operation="list")
        wanted: NumberType | None = filters.get("number_type")
        if wanted is not None:
            numbers = [found for found in numbers if _may_be(found, wanted)]
        return numbers, next_page

    # -- commerce ------------------------------------------------------------------------------

    async def _coverage(self) -> list[Coverage]:
        response = await self._api.request(
            "GET",
            f"{self._root}/AvailablePhoneNumbers{self.dialect.suffix}",
            idempotency=Idempotency.SAFE,
            operation="coverage",
        )
        return self._read(response, commerce.coverage, "coverage")


class TwilioProvider(_CompatProvider):
    """Twilio's REST API 2010-04-01 (``nc.connect("twilio", account_sid=…, auth_token=…)``), with its
    Pricing API and Regulations (Numbers API v2) on their own hosts."""

    name = "twilio"
    settings_model = TwilioSettings
    dialect = TWILIO
    features = TWILIO.features
    client_side_filters = TWILIO.client_side_filters
    native_list_filters = TWILIO.native_list_filters

    def __init__(self, settings: ProviderSettings, *, http_client: httpx.AsyncClient | None = None) -> None:
        super().__init__(settings, http_client=http_client)
        self._pricing = self._product("pricing")
        self._regulatory = self._product("numbers")
        self._addresses = f"{self._root}/Addresses.json"

    def _product(self, product: str) -> HttpCore:
        """The HTTP core of another Twilio API, on its own host with the same credentials."""
        settings = self.settings
        assert isinstance(settings, TwilioSettings)  # noqa: S101 - checked by _CompatProvider
        setting = f"{product}_url" if getattr(settings, f"{product}_url") is not None else "base_url"
        url = settings.product_origin(product)
        check_url_policy(url, allow_insecure_http=settings.allow_insecure_http, setting=setting)
        core = self._make_http(
            base_url=url,
            error_mapper=self._error,
            auth=httpx.BasicAuth(*settings.basic_auth()),
            secrets=(settings.basic_auth()[1],),
        )
        if core.base_url.path not in ("", "/") or core.base_url.query:
            raise ConfigurationError(f"{setting}: give the scheme and host only", setting=setting)
        return core

    async def _prices(self, country: str) -> list[NumberPrice]:
        try:
            response = await self._pricing.request(
                "GET",
                f"/v1/PhoneNumbers/Countries/{path_segment(country, field='country')}",
                idempotency=Idempotency.SAFE,
                operation="prices",
            )
        except NotFoundError:
            return []  # Twilio prices no number of that country
        return self._pricing.read(response, functools.partial(commerce.prices, country=country), "prices")

    async def _requirements(self, country: str, number_type: NumberType | None) -> list[Requirement]:
        params = {"IsoCountry": country, "PageSize": "1000"}
        if number_type is not None:
            params["NumberType"] = commerce.regulation_type(number_type)
        parse = functools.partial(commerce.regulations, country=country, number_type=number_type)

        async def page(cursor: str | None) -> tuple[list[Requirement], str | None]:
            # The next page's link is an absolute URL on the same host (the v1/v2 ``meta`` envelope).
            response = await self._regulatory.request(
                "GET",
                cursor or "/v2/RegulatoryCompliance/Regulations",
                params=None if cursor else params,
                idempotency=Idempotency.SAFE,
                operation="requirements",
            )
            return self._regulatory.read(response, parse, "requirements")

        return [requirement async for requirement in self._regulatory.paginate(page)]

    async def _create_address(self, address: Address) -> Address:
        # Not repeated blindly: a second request would store a second address.
        response = await self._api.request(
            "POST",
            self._addresses,
            data=commerce.address_form(address),
            idempotency=Idempotency.UNSAFE,
            operation="create_address",
        )
        return self._read(response, commerce.address, "create_address")

    async def _addresses_page(self, cursor: str | None) -> tuple[list[Address], str | None]:
        response = await self._api.request(
            "GET",
            self._addresses if cursor is None else self._page_path(cursor),
            params={"PageSize": str(self.list_page_size)} if cursor is None else None,
            idempotency=Idempotency.SAFE,
            operation="addresses",
        )
        return self._read(response, commerce.address_page, "addresses")

    async def _delete_address(self, address_id: str) -> None:
        try:
            sid = check_sid("AD", address_id)
        except ValueError as exc:
            raise InvalidInputError(f"address: {exc}", field="address") from None
        one = f"{self._root}/Addresses/{sid}"
        try:
            # Deleting twice leaves the same state: a retry after a lost answer is harmless.
            await self._api.request(
                "DELETE", f"{one}.json", idempotency=Idempotency.IDEMPOTENT, operation="delete_address"
            )
        except ProviderError as refused:
            # Twilio documents no code for an address numbers still use: a plain refusal is one if
            # the address has dependent numbers.
            if type(refused) is not ProviderError or not await self._in_use(one):
                raise
            raise refused.recast(
                ConflictError,
                f"address {sid} is in use by numbers of this account (as their address or emergency "
                f"address); configure them without it first ({refused.message})",
            ) from refused

    async def _in_use(self, address: str) -> bool:
        """Whether numbers depend on the address at path ``address`` (False when that cannot be told)."""
        try:
            response = await self._api.request(
                "GET",
                f"{address}/DependentPhoneNumbers.json",
                params={"PageSize": "1"},
                idempotency=Idempotency.SAFE,
                operation="delete_address",
            )
            return self._read(response, commerce.dependents, "delete_address") > 0
        except NumbersError:
            return False


class SignalWireProvider(_CompatProvider):
    """SignalWire's Twilio-compatible (LaML) API.

    ``nc.connect("signalwire", space=…, project_id=…, api_token=…)``
    """

    name = "signalwire"
    settings_model = SignalWireSettings
    dialect = SIGNALWIRE
    features = SIGNALWIRE.features
    client_side_filters = SIGNALWIRE.client_side_filters
    native_list_filters = SIGNALWIRE.native_list_filters
