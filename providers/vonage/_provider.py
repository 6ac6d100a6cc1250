"""Vonage's Numbers API (and its Subaccounts API's transfers) behind the neutral interface."""

from __future__ import annotations

import functools
import logging
import math
from typing import Any

import httpx
import phonenumbers
from numbers_core import (
    ActiveNumber,
    AvailableNumber,
    Geography,
    NumberConfig,
    NumberStatus,
    NumberType,
    SearchQuery,
)
from numbers_core.adapter import (
    Feature,
    Idempotency,
    Provider,
    ProviderSettings,
    RateLimit,
    check_url_policy,
    error_for_status,
    longest_run,
    path_segment,
    region_of,
    sifted,
)
from numbers_core.errors import (
    ComplianceRequiredError,
    ConfigurationError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    NumbersError,
    NumberUnavailableError,
    OutcomeUnknownError,
    PaymentRequiredError,
    ProtocolError,
    ProviderError,
    TransportError,
)

from . import _codec as codec
from ._settings import VonageSettings

__all__ = ["VonageProvider"]

log = logging.getLogger("numbers_core.vonage")

# Numbers per page: the most the API gives (its default is 10).
_PAGE = 100
# What a search's features parameter asks of the numbers: checked by Vonage itself.
_FILTERED = frozenset({"voice", "sms", "mms"})
# What a 420 ("method failed", Vonage's answer to most refusals) says when the number can be bought
# from the dashboard only, for want of a local address; and when the account lacks credit.
_DASHBOARD_ONLY = ("dashboard", "local address")
_NO_CREDIT = ("credit", "balance", "funds")

_FEATURES = frozenset(
    {
        Feature.SEARCH,
        Feature.PURCHASE,
        Feature.GET,
        Feature.CONFIGURE,
        Feature.RELEASE,
        Feature.LIST,
        Feature.TRANSFER,
        Feature.SEARCH_AREA_CODE,
        Feature.SEARCH_STARTS_WITH,
        Feature.SEARCH_CONTAINS,
        Feature.SEARCH_ENDS_WITH,
        Feature.SEARCH_VOICE,
        Feature.SEARCH_SMS,
        Feature.SEARCH_MMS,
        # Each offer carries its setup fee and monthly cost (in EUR).
        Feature.SEARCH_PRICES,
        Feature.NUMBER_TYPE_LOCAL,
        Feature.NUMBER_TYPE_MOBILE,
        Feature.NUMBER_TYPE_TOLL_FREE,
        Feature.CONFIG_VOICE_APPLICATION,
        Feature.CONFIG_SMS_APPLICATION,
        Feature.CONFIG_EXTRA,
    }
)


class VonageProvider(Provider):
    """Vonage's Numbers API (``nc.connect("vonage", api_key=…, api_secret=…)``)."""

    name = "vonage"
    settings_model = VonageSettings
    features = _FEATURES
    # One pattern goes on the wire; the others, and the capabilities, are checked here as well.
    client_side_filters = frozenset(
        {"area_code", "starts_with", "contains", "ends_with", "voice", "sms", "mms"}
    )
    native_list_filters = frozenset({"country", "contains"})
    # Pages are by index: a number bought or cancelled meanwhile shifts the others between pages.
    list_repeats = True
    # "This API is 1 request per second" (Vonage's PHP SDK, which waits a second after a 429).
    rate_limit = RateLimit(1.0, burst=1)

    def __init__(self, settings: ProviderSettings, *, http_client: httpx.AsyncClient | None = None) -> None:
        settings = self._settings_as(settings, VonageSettings)
        super().__init__(settings, http_client=http_client)
        self._settings = settings
        key, secret = settings.api_key.get_secret_value(), settings.api_secret.get_secret_value()
        # Basic credentials, never the query string the 1.0 document also allows: URLs get logged.
        auth = httpx.BasicAuth(key, secret)
        secrets = (key, secret)
        check_url_policy(
            settings.api_url, allow_insecure_http=settings.allow_insecure_http, setting="api_url"
        )
        self._api = self._make_http(
            base_url=settings.base_url, error_mapper=self._error, auth=auth, secrets=secrets
        )
        self._accounts = self._make_http(
            base_url=settings.api_url, error_mapper=self._error, auth=auth, secrets=secrets
        )
        for setting, core in (("base_url", self._api), ("api_url", self._accounts)):
            if core.base_url.path not in ("", "/") or core.base_url.query:
                raise ConfigurationError(f"{setting}: give the scheme and host only", setting=setting)

    # -- errors ----------------------------------------------------------------------------------

    def _error(self, response: httpx.Response) -> ProviderError:
        try:
            body = response.json()
        except ValueError:  # a proxy's HTML page: the status says enough
            body = None
        code, message = codec.failure(body)
        instance = body.get("instance") if isinstance(body, dict) else None
        return self._refusal(
            response.status_code,
            code,
            message or response.reason_phrase,
            request_id=instance if isinstance(instance, str) else None,
        )

    def _refusal(
        self, status: int, code: str | None, message: str | None, *, request_id: str | None = None
    ) -> ProviderError:
        said = message or f"HTTP {status}"
        if status == 420:
            lowered = said.lower()
            if any(word in lowered for word in _DASHBOARD_ONLY):
                return ComplianceRequiredError(
                    f"Vonage sells this country's numbers from its dashboard only, with a local "
                    f"address: {said}",
                    provider=self.name,
                    requirement="local_address",
                    scope="account",
                    status_code=status,
                    code=code,
                    request_id=request_id,
                )
            if any(word in lowered for word in _NO_CREDIT):
                return PaymentRequiredError(
                    said, provider=self.name, status_code=status, code=code, request_id=request_id
                )
        return error_for_status(status, provider=self.name, message=said, code=code, request_id=request_id)

    def _refused_in(self, outcome: tuple[str, str | None]) -> ProviderError:
        """A refusal Vonage put in a 2xx answer's body: read as if its ``error-code`` were the status."""
        code, label = outcome
        status = int(code) if code.isdigit() and 400 <= int(code) < 600 else 420
        return self._refusal(status, code, label)

    # -- wire helpers ----------------------------------------------------------------------------

    def _country(self, e164: str) -> str:
        """The country Vonage files ``e164`` under: every write names it."""
        region = region_of(e164)
        if region is None:
            region = phonenumbers.region_code_for_country_code(phonenumbers.parse(e164).country_code or 0)
        if len(region) != 2 or not region.isalpha() or region == "ZZ":
            raise InvalidInputError(
                f"number: {e164} belongs to no country, and Vonage needs one", field="number"
            )
        return region

    def _country_of(self, item: dict[str, Any], e164: str) -> str:
        country = item.get("country")
        if isinstance(country, str) and len(country) == 2 and country.isalpha():
            return country.upper()
        return self._country(e164)

    async def _write(self, path: str, form: dict[str, str], *, operation: str, e164: str) -> None:
        """POST one of the Numbers API's forms; a refusal in its answer is raised as the error it means.

        A 2xx answer that cannot be read is no refusal: the change may have been made (an
        OutcomeUnknownError for a buy or a cancel, a ProtocolError for an update, as the core's).
        """
        unsafe = operation in ("purchase", "release")
        response = await self._api.request(
            "POST",
            path,
            data=form,
            idempotency=Idempotency.UNSAFE if unsafe else Idempotency.IDEMPOTENT,
            operation=operation,
            number=e164,
        )
        try:
            outcome = self._api.read(response, codec.write_outcome, operation)
        except ProtocolError as garbled:
            if unsafe:
                raise self._unreadable(operation, e164, response.status_code, garbled) from garbled
            raise
        if outcome is not None:
            raise self._refused_in(outcome)

    async def _find(self, e164: str, operation: str) -> dict[str, Any] | None:
        """The account's number ``e164`` as Vonage lists it, or None when the account does not have it.

        There is no read of one number: the listing, by the number's digits as a prefix.
        """
        digits = e164[1:]
        response = await self._api.request(
            "GET",
            "/account/numbers",
            params={"pattern": digits, "search_pattern": "0", "size": str(_PAGE)},
            idempotency=Idempotency.SAFE,
            operation=operation,
            number=e164,
        )

        def exact(body: object) -> dict[str, Any] | None:
            items, _ = codec.owned_items(body)
            for item in items:
                if item.get("msisdn") == digits:
                    codec.active_number(item, provider=self.name)  # checked here, read by callers
                    return item
            return None

        return self._api.read(response, exact, operation)

    async def _held(self, e164: str, operation: str) -> ActiveNumber | None:
        item = await self._find(e164, operation)
        return None if item is None else codec.active_number(item, provider=self.name)

    # -- search ----------------------------------------------------------------------------------

    async def _search(self, query: SearchQuery) -> list[AvailableNumber]:
        params: dict[str, str] = {"country": query.country, "type": codec.TYPES[query.number_type]}
        pattern = codec.number_pattern(query)
        if pattern is not None:
            params["pattern"], params["search_pattern"] = pattern
        features = codec.features_value(query)
        if features is not None:
            params["features"] = features
        # More than asked for when filters beyond the one pattern sent are checked here.
        wanted = max(query.limit, _PAGE) if sifted(query, _FILTERED) else query.limit
        size = min(wanted, _PAGE)
        parse = functools.partial(codec.available_page, provider=self.name, number_type=query.number_type)
        found: list[AvailableNumber] = []
        for index in range(1, math.ceil(wanted / size) + 1):
            response = await self._api.request(
                "GET",
                "/number/search",
                params={**params, "size": str(size), "index": str(index)},
                idempotency=Idempotency.SAFE,
                operation="search",
            )
            page, count = self._api.read(response, parse, "search")
            found.extend(page)
            if not page or count <= index * size:
                break
        return found

    # -- purchase --------------------------------------------------------------------------------

    async def _purchase(self, e164: str, config: NumberConfig | None) -> ActiveNumber:
        country = self._country(e164)
        try:
            await self._write(
                "/number/buy", {"country": country, "msisdn": e164[1:]}, operation="purchase", e164=e164
            )
        except OutcomeUnknownError as unknown:
            # Never sent again: whether the account has the number now says what happened.
            return await self._reconcile_purchase(e164, unknown, lambda: self._held(e164, "purchase"))
        except ProviderError as refused:
            raise await self._buy_refused(e164, country, refused) from None
        return await self._bought(e164, country)

    async def _bought(self, e164: str, country: str) -> ActiveNumber:
        """The number just bought: Vonage's answer names none, so it is looked up."""
        try:
            found = await self._held(e164, "purchase")
        except NumbersError as exc:
            log.warning("%s: %s is bought, but reading it failed (%s)", self.name, e164, type(exc).__name__)
            found = None
        if found is not None:
            return found
        # Bought all the same (Vonage said so): as much as is known of it.
        return ActiveNumber(
            phone_number=e164,
            id=e164[1:],
            provider=self.name,
            geography=Geography(iso_country=country),
            status=NumberStatus.ACTIVE,
        )

    async def _buy_refused(self, e164: str, country: str, refused: ProviderError) -> ProviderError:
        """What a refused buy means: Vonage's 420 ("method failed") says nothing of why."""
        if refused.status_code != 420 or type(refused) is not ProviderError:
            return refused
        try:
            if await self._find(e164, "purchase") is not None:
                error: ProviderError = ConflictError(
                    f"{e164} is already a number of this account",
                    provider=self.name,
                    status_code=refused.status_code,
                    code="already-owned",
                )
                error.__cause__ = refused
                return error
            if not await self._offered(e164, country):
                return refused.recast(
                    NumberUnavailableError, f"{e164} cannot be bought: it is not for sale ({refused.message})"
                )
        except NumbersError as exc:
            log.info("%s: could not tell why buying %s failed (%s)", self.name, e164, type(exc).__name__)
        # For sale, and not ours: out of credit, or a rule of Vonage's; its label says what it says.
        return refused

    async def _offered(self, e164: str, country: str) -> bool:
        response = await self._api.request(
            "GET",
            "/number/search",
            params={"country": country, "pattern": e164[1:], "search_pattern": "0", "size": "10"},
            idempotency=Idempotency.SAFE,
            operation="purchase",
            number=e164,
        )
        parse = functools.partial(codec.available_page, provider=self.name, number_type=NumberType.UNKNOWN)
        page, _ = self._api.read(response, parse, "purchase")
        return any(offer.phone_number == e164 for offer in page)

    # -- one number ------------------------------------------------------------------------------

    async def _get(self, e164: str) -> ActiveNumber:
        found = await self._held(e164, "get")
        if found is None:
            raise NotFoundError(f"{e164} is not a number of this account", provider=self.name)
        return found

    async def _owned(self, e164: str, operation: str) -> dict[str, Any]:
        item = await self._find(e164, operation)
        if item is None:
            raise NotFoundError(f"{e164} is not a number of this account", provider=self.name)
        return item

    async def _configure(self, e164: str, config: NumberConfig) -> ActiveNumber:
        # Vonage's update replaces the whole configuration: read it, change what config says, write all.
        current = await self._owned(e164, "configure")
        try:
            form = codec.update_form(current, self._country_of(current, e164), config, provider="Vonage")
        except codec.BadConfig as exc:
            raise InvalidInputError(f"config.{exc}", field=f"config.{exc.field}") from None
        await self._write("/number/update", form, operation="configure", e164=e164)
        return codec.active_number(codec.settled(current, form), provider=self.name)

    async def _release(self, e164: str) -> None:
        form = {"country": self._country(e164), "msisdn": e164[1:]}
        try:
            await self._release_checked(
                e164,
                lambda: self._write("/number/cancel", form, operation="release", e164=e164),
                lambda: self._held(e164, "release"),
            )
        except ProviderError as refused:
            if refused.status_code != 420 or type(refused) is not ProviderError:
                raise
            if await self._find(e164, "release") is None:
                raise NotFoundError(
                    f"{e164} is not a number of this account",
                    provider=self.name,
                    status_code=refused.status_code,
                    code=refused.code,
                ) from refused
            raise

    # -- listing ---------------------------------------------------------------------------------

    async def _list_page(
        self, filters: dict[str, Any], cursor: str | None
    ) -> tuple[list[ActiveNumber], str | None]:
        index = int(cursor) if cursor else 1
        params = {"size": str(_PAGE), "index": str(index)}
        if "country" in filters:
            params["country"] = filters["country"]
        contains = filters.get("contains")
        run = longest_run(contains) if contains else ""
        if run:
            params["pattern"], params["search_pattern"] = run, "1"
        response = await self._api.request(
            "GET", "/account/numbers", params=params, idempotency=Idempotency.SAFE, operation="list"
        )

        def page(body: object) -> tuple[list[ActiveNumber], str | None]:
            items, count = codec.owned_items(body)
            numbers = [codec.active_number(item, provider=self.name) for item in items]
            # Vonage answers a page past the end with {}: the count says whether another one follows.
            return numbers, str(index + 1) if numbers and count > index * _PAGE else None

        return self._api.read(response, page, "list")

    # -- transfer ----------------------------------------------------------------------------------

    async def _transfer(self, e164: str, to_account: str) -> ActiveNumber:
        if not to_account.isalnum():
            raise InvalidInputError(
                f"to_account: expected a subaccount's API key (letters and digits), got {to_account!r}",
                field="to_account",
            )
        current = await self._owned(e164, "transfer")
        key = self._settings.api_key.get_secret_value()
        if to_account == key:
            return codec.active_number(current, provider=self.name)
        number = codec.active_number(current, provider=self.name)
        moved = number.model_copy(update={"account_id": to_account})
        body = {
            "from": key,
            "to": to_account,
            "number": e164[1:],
            "country": self._country_of(current, e164),
        }
        try:
            response = await self._accounts.request(
                "POST",
                f"/accounts/{path_segment(key, field='api_key')}/transfer-number",
                json=body,
                idempotency=Idempotency.UNSAFE,
                operation="transfer",
                number=e164,
            )
        except OutcomeUnknownError as unknown:
            return await self._moved(e164, moved, unknown)

        def echoed(answer: object) -> bool:
            said = answer if isinstance(answer, dict) else {}
            return said.get("number") == body["number"] and said.get("to") == to_account

        try:
            believed = self._accounts.read(response, echoed, "transfer")
        except ProtocolError as garbled:
            return await self._moved(
                e164, moved, self._unreadable("transfer", e164, response.status_code, garbled)
            )
        if not believed:
            raise self._unbelieved(
                "transfer",
                e164,
                None,
                f"{self.name}: transfer of {e164} to {to_account} was answered "
                "with another number or account",
            )
        return moved

    async def _moved(self, e164: str, moved: ActiveNumber, unknown: OutcomeUnknownError) -> ActiveNumber:
        """After a transfer whose answer was lost or unreadable: gone from this account means moved."""
        try:
            still = await self._find(e164, "transfer")
        except NumbersError as exc:
            raise unknown from exc
        if still is None:
            return moved
        if isinstance(unknown.__cause__, ProtocolError):
            raise unknown  # a 2xx that cannot be read: not seeing it moved yet proves nothing
        error = TransportError(
            f"{self.name}: transfer of {e164}: no answer; the number is still this account's, "
            "transferring again is safe",
            provider=self.name,
        )
        error.__cause__ = unknown
        raise error
