"""Plivo's phone numbers API (``/v1/Account/{auth_id}/…``) behind the neutral interface."""

from __future__ import annotations

import functools
import logging
import math
from typing import Any

import httpx
from numbers_core import (
    ActiveNumber,
    AvailableNumber,
    NumberCompliance,
    NumberConfig,
    NumberStatus,
    Provisioning,
    SearchQuery,
)
from numbers_core.adapter import (
    Feature,
    Idempotency,
    Provider,
    ProviderSettings,
    RateLimit,
    error_for_status,
    path_segment,
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
    ProtocolError,
    ProviderError,
)

from . import _codec as codec
from ._settings import PlivoSettings

__all__ = ["PlivoProvider"]

log = logging.getLogger("numbers_core.plivo")

# Plivo answers at most 20 numbers a page, searches and listings alike.
_PAGE = 20
# How many numbers a search looks through when some filters are checked here.
_SIFTED = 100
# What Plivo's refusal of a regulated number says it lacks (inferred: its words are not documented).
_COMPLIANCE_WORDS = ("compliance", "document", "address", "regulat")

_FEATURES = frozenset(
    {
        Feature.SEARCH,
        Feature.PURCHASE,
        Feature.PURCHASE_WITH_CONFIG,
        Feature.GET,
        Feature.CONFIGURE,
        Feature.RELEASE,
        Feature.LIST,
        Feature.TRANSFER,
        Feature.SEARCH_AREA_CODE,
        Feature.SEARCH_STARTS_WITH,
        Feature.SEARCH_REGION,
        Feature.SEARCH_LOCALITY,
        Feature.SEARCH_RATE_CENTER,
        Feature.SEARCH_LATA,
        Feature.SEARCH_VOICE,
        Feature.SEARCH_SMS,
        Feature.SEARCH_MMS,
        Feature.SEARCH_EXCLUDE_ADDRESS_REQUIRED,
        # Each offer carries its setup and monthly rates (in USD).
        Feature.SEARCH_PRICES,
        Feature.NUMBER_TYPE_LOCAL,
        Feature.NUMBER_TYPE_MOBILE,
        Feature.NUMBER_TYPE_TOLL_FREE,
        Feature.NUMBER_TYPE_NATIONAL,
        Feature.CONFIG_FRIENDLY_NAME,
        Feature.CONFIG_VOICE_APPLICATION,
        Feature.CONFIG_SMS_APPLICATION,
        Feature.CONFIG_COMPLIANCE,
        Feature.CONFIG_EXTRA,
    }
)


class PlivoProvider(Provider):
    """Plivo's phone numbers API (``nc.connect("plivo", auth_id=…, auth_token=…)``)."""

    name = "plivo"
    settings_model = PlivoSettings
    features = _FEATURES
    # One prefix goes on the wire (area code or leading digits); restrictions are read, not searched.
    client_side_filters = frozenset({"area_code", "starts_with", "exclude_address_required"})
    native_list_filters = frozenset({"number_type"})
    # "300 API requests per 5 seconds per account" (Plivo's account limits), subaccounts included.
    rate_limit = RateLimit(60.0, burst=300)

    def __init__(self, settings: ProviderSettings, *, http_client: httpx.AsyncClient | None = None) -> None:
        settings = self._settings_as(settings, PlivoSettings)
        super().__init__(settings, http_client=http_client)
        self._account = settings.auth_id
        token = settings.auth_token.get_secret_value()
        self._api = self._make_http(
            base_url=settings.base_url,
            error_mapper=self._error,
            auth=httpx.BasicAuth(settings.auth_id, token),
            secrets=(token,),
        )
        if self._api.base_url.path not in ("", "/") or self._api.base_url.query:
            raise ConfigurationError("base_url: give the scheme and host only", setting="base_url")
        self._root = f"/v1/Account/{path_segment(settings.auth_id, field='auth_id')}"

    # -- errors ----------------------------------------------------------------------------------

    def _error(self, response: httpx.Response) -> ProviderError:
        try:
            body = response.json()
        except ValueError:  # a proxy's HTML page: the status says enough
            body = None
        message, api_id = codec.failure(body)
        status = response.status_code
        said = message or response.reason_phrase or f"HTTP {status}"
        if status in (409, 422):
            return ConflictError(said, provider=self.name, status_code=status, request_id=api_id)
        return error_for_status(status, provider=self.name, message=said, request_id=api_id)

    def _one(self, e164: str) -> str:
        # Plivo's paths end with a slash, and take the number's digits.
        return f"{self._root}/Number/{path_segment(e164[1:], field='number')}/"

    def _number(self, body: object) -> ActiveNumber:
        return codec.active_number(body, provider=self.name, account=self._account)

    # -- search ----------------------------------------------------------------------------------

    async def _search(self, query: SearchQuery) -> list[AvailableNumber]:
        kind, sub_types = codec.SEARCH_TYPES[query.number_type]
        params: dict[str, str] = {"country_iso": query.country, "type": kind}
        # "Numbers which start with the country code + pattern": the national leading digits.
        leads = [lead for lead in (query.area_code, query.starts_with) if lead]
        if leads:
            params["pattern"] = max(leads, key=len)
        for field, wire in (("region", "region"), ("locality", "city"), ("rate_center", "rate_center")):
            if getattr(query, field):
                params[wire] = getattr(query, field)
        if query.lata:
            params["lata"] = query.lata
        services = [name for name in ("voice", "sms", "mms") if getattr(query, name)]
        if services:
            params["services"] = ",".join(services)
        # Pages until enough numbers are kept: some may be dropped here (a national number when local
        # ones are asked for, a restriction, a second prefix), so up to 100 are looked through.
        sifted = sub_types is not None or query.exclude_address_required or len(leads) > 1
        pages = math.ceil(max(query.limit, _SIFTED if sifted else 0) / _PAGE)
        parse = functools.partial(
            codec.available_page, provider=self.name, country=query.country, number_type=query.number_type
        )
        found: list[AvailableNumber] = []
        for page in range(pages):
            offset = page * _PAGE
            response = await self._api.request(
                "GET",
                f"{self._root}/PhoneNumber/",
                params={**params, "limit": str(_PAGE), "offset": str(offset)},
                idempotency=Idempotency.SAFE,
                operation="search",
            )
            numbers, total = self._api.read(response, parse, "search")
            found.extend(numbers)
            enough = len(self._filter(query, found)) >= query.limit
            if enough or total is None or offset + _PAGE >= total:
                break
        return found

    # -- purchase --------------------------------------------------------------------------------

    async def _held(self, e164: str, operation: str) -> ActiveNumber | None:
        try:
            return await self._fetch(e164, operation)
        except NotFoundError:
            return None

    async def _purchase(self, e164: str, config: NumberConfig | None) -> ActiveNumber:
        try:
            _, app = codec.wanted_application(config)
            bundle = codec.compliance_application(config)
        except codec.BadConfig as exc:
            raise InvalidInputError(f"config.{exc}", field=f"config.{exc.field}") from None
        body = {
            key: value for key, value in (("app_id", app), ("compliance_application_id", bundle)) if value
        }
        # Plivo answers 404 both to a number no longer for sale and to one the account rents already:
        # looked at first, so that the second is told as the contract says (already-owned).
        if await self._held(e164, "purchase") is not None:
            raise ConflictError(
                f"{e164} is already a number of this account", provider=self.name, code="already-owned"
            )
        digits = e164[1:]
        try:
            response = await self._api.request(
                "POST",
                f"{self._root}/PhoneNumber/{path_segment(digits, field='number')}/",
                json=body,
                idempotency=Idempotency.UNSAFE,
                operation="purchase",
                number=e164,
            )
        except OutcomeUnknownError as unknown:
            bought = await self._reconcile_purchase(e164, unknown, lambda: self._held(e164, "purchase"))
            return await self._named(bought, config)
        except NotFoundError as exc:
            # Bought meanwhile by another call of this account's (Plivo's 404 says that too)?
            if await self._held(e164, "purchase") is not None:
                raise ConflictError(
                    f"{e164} is already a number of this account",
                    provider=self.name,
                    status_code=exc.status_code,
                    code="already-owned",
                    request_id=exc.request_id,
                ) from exc
            raise exc.recast(NumberUnavailableError, f"{e164} cannot be bought: {exc.message}") from exc
        except ProviderError as refused:
            raise self._refused(refused) from None
        try:
            said = self._api.read(response, functools.partial(codec.bought_status, digits=digits), "purchase")
        except ProtocolError as garbled:
            unread = self._unreadable("purchase", e164, response.status_code, garbled)
            bought = await self._reconcile_purchase(e164, unread, lambda: self._held(e164, "purchase"))
            return await self._named(bought, config)
        if said is None:
            raise self._unbelieved(
                "purchase", e164, None, f"{self.name}: asked to buy {e164}, Plivo's answer does not name it"
            )
        return await self._named(await self._bought(e164, said), config)

    def _refused(self, refused: ProviderError) -> ProviderError:
        """A refused buy: one that asks for compliance papers says so (Plivo's words are not documented)."""
        if refused.status_code in (400, 403) and any(w in refused.message.lower() for w in _COMPLIANCE_WORDS):
            return refused.recast(
                ComplianceRequiredError,
                f"this number needs an approved compliance application (config=NumberConfig("
                f"compliance=NumberCompliance(bundle_id=<its id>))): {refused.message}",
                requirement="bundle",
                scope="account",
            )
        return refused

    async def _bought(self, e164: str, said: str) -> ActiveNumber:
        """The number just bought, as Plivo shows it; ``pending`` while its compliance is reviewed."""
        pending = said.casefold() == "pending"
        try:
            number = await self._fetch(e164, "purchase")
        except NumbersError as exc:
            log.warning("%s: %s is bought, but reading it failed (%s)", self.name, e164, type(exc).__name__)
            return ActiveNumber(
                phone_number=e164,
                id=e164[1:],
                provider=self.name,
                account_id=self._account,
                status=NumberStatus.PENDING if pending else NumberStatus.ACTIVE,
                provisioning=(Provisioning(part="compliance", state="pending", status=said),)
                if pending
                else (),
            )
        if pending and number.status is not NumberStatus.PENDING:
            # The buy said pending; the number's own fields may not say so yet.
            part = Provisioning(part="compliance", state="pending", status=said)
            number = number.model_copy(update={"status": NumberStatus.PENDING, "provisioning": (part,)})
        return number

    async def _named(self, bought: ActiveNumber, config: NumberConfig | None) -> ActiveNumber:
        """What a buy does not take (a name, CNAM) is set by an update after it."""
        if config is None:
            return bought
        rest = config.model_dump(include=config.model_fields_set & {"friendly_name", "extra"})
        if not rest or not any(rest.values()):
            return bought
        return await self._configure_bought(bought, NumberConfig(**rest))

    # -- one number ------------------------------------------------------------------------------

    async def _fetch(self, e164: str, operation: str) -> ActiveNumber:
        response = await self._api.request(
            "GET", self._one(e164), idempotency=Idempotency.SAFE, operation=operation, number=e164
        )
        return self._api.read(response, self._number, operation)

    async def _get(self, e164: str) -> ActiveNumber:
        return await self._fetch(e164, "get")

    async def _update(self, e164: str, body: dict[str, Any], operation: str) -> ActiveNumber:
        # The same fields sent twice leave the same number: safe to retry.
        await self._api.request(
            "POST",
            self._one(e164),
            json=body,
            idempotency=Idempotency.IDEMPOTENT,
            operation=operation,
            number=e164,
        )
        # Plivo answers "changed" and no number: it is read back.
        return await self._fetch(e164, operation)

    async def _configure(self, e164: str, config: NumberConfig) -> ActiveNumber:
        current = await self._fetch(e164, "configure")
        try:
            body = codec.update_body(current, config)
        except codec.BadConfig as exc:
            raise InvalidInputError(f"config.{exc}", field=f"config.{exc.field}") from None
        if not body:
            return current
        return await self._update(e164, body, "configure")

    async def _release(self, e164: str) -> None:
        try:
            await self._release_sent(
                self._api, e164, "DELETE", self._one(e164), lambda: self._held(e164, "release")
            )
        except NotFoundError as exc:
            raise exc.recast(NotFoundError, f"{e164} is not a number of this account") from exc

    # -- listing ---------------------------------------------------------------------------------

    async def _list_page(
        self, filters: dict[str, Any], cursor: str | None
    ) -> tuple[list[ActiveNumber], str | None]:
        offset = int(cursor) if cursor else 0
        params = {"limit": str(_PAGE), "offset": str(offset)}
        kind = codec.LIST_TYPES.get(filters.get("number_type"))  # type: ignore[arg-type]
        if kind is not None:
            params["type"] = kind
        response = await self._api.request(
            "GET", f"{self._root}/Number/", params=params, idempotency=Idempotency.SAFE, operation="list"
        )
        parse = functools.partial(codec.list_page, provider=self.name, account=self._account)
        numbers, total = self._api.read(response, parse, "list")
        more = bool(numbers) and (total is None or offset + _PAGE < total)
        return numbers, str(offset + _PAGE) if more else None

    # -- transfer ----------------------------------------------------------------------------------

    async def _transfer(self, e164: str, to_account: str) -> ActiveNumber:
        return await self._transfer_with(e164, to_account, None)

    async def _transfer_with(
        self, e164: str, to_account: str, compliance: NumberCompliance | None
    ) -> ActiveNumber:
        if not (len(to_account) == 20 and to_account.startswith("SA") and to_account.isalnum()):
            raise InvalidInputError(
                "to_account: expected a subaccount's auth id (SA and 18 letters or digits), "
                f"got {to_account!r}",
                field="to_account",
            )
        current = await self._fetch(e164, "transfer")
        if current.account_id == to_account and compliance is None:
            return current
        # Moving it to the same subaccount twice leaves it there: the update is safe to repeat.
        papers = NumberConfig(compliance=compliance) if compliance is not None else NumberConfig()
        try:
            body = codec.update_body(current, papers)
        except codec.BadConfig as exc:
            raise InvalidInputError(f"compliance: {exc}", field="compliance") from None
        return await self._update(e164, {**body, "subaccount": to_account}, "transfer")
