"""The seed document's draft of Sinch Numbers API v1 behind the neutral interface.

No public host serves the draft; systems were built against the document,
so this speaks it exactly as written, inconsistencies included (see
docs/providers/sinch-draft.md): numbers are bought under
``/Account/{AccountId}/ActiveNumbers/`` and addressed under
``/Accounts/{AccountId}/ActiveNumbers/ActiveNumbers/PN{phoneNumber}``,
the catalog is ``/api/AvailableNumbers``, outside any account.
"""

from __future__ import annotations

import functools
from typing import Any

import httpx
from numbers_core import (
    ActiveNumber,
    AvailableNumber,
    ComplianceScope,
    NumberConfig,
    RequirementKind,
    SearchQuery,
)
from numbers_core.adapter import (
    Feature,
    Idempotency,
    Provider,
    ProviderSettings,
    error_for_status,
    path_segment,
    retry_after_seconds,
)
from numbers_core.errors import (
    ComplianceRequiredError,
    ConfigurationError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    NumberUnavailableError,
    OutcomeUnknownError,
    ProtocolError,
    ProviderError,
)

from . import _draft_codec as codec
from ._codec import BadConfig
from ._settings import SinchDraftSettings

__all__ = ["SinchDraftProvider"]

# The error codes the document names (they are Twilio's).
_CODES: dict[str, type[ProviderError]] = {
    "21452": NumberUnavailableError,  # no number found for the request
}
# "requires an identity document on file and you don't have a verified identity document
# associated with your account": what the account lacks, for every such number.
_IDENTITY = "21650"
# Search pages looked at for one search: the draft cannot narrow by number pattern, so those
# filters are applied to the results, and a few pages are read to find enough of them.
_SEARCH_PAGES = 5

_FEATURES = frozenset(
    {
        Feature.SEARCH,
        Feature.PURCHASE,
        Feature.PURCHASE_WITH_CONFIG,
        Feature.GET,
        Feature.CONFIGURE,
        Feature.RELEASE,
        Feature.LIST,
        *(
            Feature(f"search.{field}")
            for field in (
                "area_code",
                "starts_with",
                "contains",
                "ends_with",
                "region",
                "locality",
                "postal_code",
                "rate_center",
                "lata",
                "voice",
                "sms",
                "mms",
                "exclude_address_required",
            )
        ),
        Feature.NUMBER_TYPE_LOCAL,
        Feature.NUMBER_TYPE_MOBILE,
        Feature.NUMBER_TYPE_TOLL_FREE,
        Feature.CONFIG_FRIENDLY_NAME,
        Feature.CONFIG_VOICE,
        Feature.CONFIG_VOICE_FALLBACK,
        Feature.CONFIG_VOICE_APPLICATION,
        Feature.CONFIG_SMS,
        Feature.CONFIG_SMS_APPLICATION,
        Feature.CONFIG_STATUS_CALLBACK,
    }
)


class SinchDraftProvider(Provider):
    """The seed's draft of Numbers API v1 (``nc.connect("sinch-draft", base_url=…, account_id=…)``)."""

    name = "sinch-draft"
    settings_model = SinchDraftSettings
    features = _FEATURES
    client_side_filters = frozenset({"area_code", "starts_with", "contains", "ends_with"})
    native_list_filters = frozenset({"country"})

    def __init__(self, settings: ProviderSettings, *, http_client: httpx.AsyncClient | None = None) -> None:
        settings = self._settings_as(settings, SinchDraftSettings)
        super().__init__(settings, http_client=http_client)
        self._currency = settings.currency
        if self._currency is not None:
            # The draft's search gives each number's price, in the currency the settings name.
            self.features = self.features | {Feature.SEARCH_PRICES}
        token = settings.token.get_secret_value() if settings.token is not None else None
        if token is not None and not token.strip():
            raise ConfigurationError(
                "token: empty; leave it out where the server asks for none", setting="token"
            )
        if httpx.URL(settings.base_url).query:
            raise ConfigurationError("base_url: give the scheme, host and path, no query", setting="base_url")
        self._api = self._make_http(
            base_url=settings.base_url.rstrip("/"),
            error_mapper=self._error,
            headers={"Authorization": f"Bearer {token}"} if token else None,
            secrets=(token,) if token else (),
        )
        account = path_segment(settings.account_id, field="account_id")
        # Singular for the collection, plural for a number: as the document has them.
        self._numbers = f"Account/{account}/ActiveNumbers/"
        self._instances = f"Accounts/{account}/ActiveNumbers/ActiveNumbers/PN"

    # -- wire helpers ------------------------------------------------------------------------------

    def _error(self, response: httpx.Response) -> ProviderError:
        try:
            body = response.json()
        except ValueError:
            body = None
        code, message = codec.error_details(body)
        status = response.status_code
        message = message or response.reason_phrase or f"HTTP {status}"
        request_id = response.headers.get("x-request-id")
        refused = status < 500 and status != 429
        if refused and code == _IDENTITY:
            return ComplianceRequiredError(
                message,
                provider=self.name,
                requirement=RequirementKind.IDENTITY,
                scope=ComplianceScope.ACCOUNT,
                status_code=status,
                code=code,
                request_id=request_id,
            )
        precise = _CODES.get(code or "") if refused else None
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

    def _one(self, e164: str) -> str:
        return self._instances + path_segment(e164, field="number")

    def _number_of(self, response: httpx.Response, operation: str) -> ActiveNumber:
        parse = functools.partial(codec.active_number, provider=self.name, currency=self._currency)
        return self._api.read(response, parse, operation)

    @staticmethod
    def _checked(write: Any, config: NumberConfig) -> dict[str, Any]:
        try:
            body: dict[str, Any] = write(config)
        except BadConfig as exc:
            raise InvalidInputError(f"config.{exc}", field=f"config.{exc.field}") from None
        return body

    # -- search --------------------------------------------------------------------------------------

    async def _search(self, query: SearchQuery) -> list[AvailableNumber]:
        parse = functools.partial(codec.available_page, provider=self.name, currency=self._currency)
        found: list[AvailableNumber] = []
        path = "api/AvailableNumbers"
        params: dict[str, str] | None = codec.search_params(query)
        for _ in range(_SEARCH_PAGES):
            response = await self._api.request(
                "GET", path, params=params, idempotency=Idempotency.SAFE, operation="search"
            )
            numbers, following = self._api.read(response, parse, "search")
            found.extend(numbers)
            if not following or following == path or len(self._filter(query, found)) >= query.limit:
                break
            path, params = following, None
        return found

    # -- purchase ------------------------------------------------------------------------------------

    async def _held(self, e164: str, operation: str) -> ActiveNumber | None:
        try:
            return await self._fetch(e164, operation)
        except NotFoundError:
            return None

    async def _purchase(self, e164: str, config: NumberConfig | None) -> ActiveNumber:
        body = self._checked(codec.configuration, config) if config is not None else {}
        # What the draft answers for a number the account has is not written down: looked at
        # first, so that it is reported as the contract says (already-owned).
        if await self._held(e164, "purchase") is not None:
            raise ConflictError(
                f"{e164} is already a number of this account", provider=self.name, code="already-owned"
            )
        try:
            response = await self._api.request(
                "POST",
                self._numbers,
                params={"phoneNumber": e164},
                json=body or None,
                idempotency=Idempotency.UNSAFE,
                operation="purchase",
                number=e164,
            )
        except OutcomeUnknownError as unknown:
            bought = await self._reconcile_purchase(e164, unknown, lambda: self._held(e164, "purchase"))
        except NotFoundError as exc:
            raise exc.recast(NumberUnavailableError, f"{e164} cannot be bought: {exc.message}") from exc
        else:
            try:
                bought = self._number_of(response, "purchase")
            except ProtocolError as garbled:
                unread = self._unreadable("purchase", e164, response.status_code, garbled)
                bought = await self._reconcile_purchase(e164, unread, lambda: self._held(e164, "purchase"))
        if config is not None and "friendly_name" in config.model_fields_set:
            # The purchase takes a Configuration, which has no name: it is set right after.
            return await self._configure_bought(bought, NumberConfig(friendly_name=config.friendly_name))
        return bought

    # -- one number ------------------------------------------------------------------------------------

    async def _fetch(self, e164: str, operation: str) -> ActiveNumber:
        response = await self._api.request(
            "GET", self._one(e164), idempotency=Idempotency.SAFE, operation=operation, number=e164
        )
        return self._number_of(response, operation)

    async def _get(self, e164: str) -> ActiveNumber:
        return await self._fetch(e164, "get")

    async def _configure(self, e164: str, config: NumberConfig) -> ActiveNumber:
        body = self._checked(codec.update_body, config)
        if not body:
            return await self._get(e164)
        return await self._update_sent(
            self._api,
            e164,
            "POST",
            self._one(e164),
            lambda response: self._number_of(response, "configure"),
            lambda: self._get(e164),
            json=body,
        )

    async def _release(self, e164: str) -> None:
        try:
            await self._release_sent(
                self._api, e164, "DELETE", self._one(e164), lambda: self._held(e164, "release")
            )
        except NotFoundError as exc:
            raise exc.recast(NotFoundError, f"{e164} is not a number of this account") from exc

    # -- listing ---------------------------------------------------------------------------------------

    async def _list_page(
        self, filters: dict[str, Any], cursor: str | None
    ) -> tuple[list[ActiveNumber], str | None]:
        params = {"geography.iso_country": filters["country"]} if "country" in filters else None
        response = await self._api.request(
            "GET",
            self._numbers if cursor is None else cursor,
            params=params if cursor is None else None,
            idempotency=Idempotency.SAFE,
            operation="list",
        )
        parse = functools.partial(codec.active_page, provider=self.name, currency=self._currency)
        return self._api.read(response, parse, "list")
