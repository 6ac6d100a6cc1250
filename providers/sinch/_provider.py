"""Sinch Numbers API v1 (production) behind the neutral interface."""

from __future__ import annotations

import functools
import logging
from typing import Any

import httpx
from numbers_core import (
    ActiveNumber,
    Address,
    AddressCheck,
    AvailableNumber,
    ComplianceScope,
    Coverage,
    EmergencyRegistration,
    EmergencyStatus,
    NumberConfig,
    NumberStatus,
    RequirementKind,
    SearchQuery,
)
from numbers_core.adapter import (
    Feature,
    Idempotency,
    Provider,
    ProviderSettings,
    Token,
    TokenAuth,
    check_url_policy,
    error_for_status,
    longest_run,
    path_segment,
    retry_after_seconds,
    sifted,
)
from numbers_core.errors import (
    AddressValidationError,
    AuthenticationError,
    ComplianceRequiredError,
    ConfigurationError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    NumbersError,
    NumberUnavailableError,
    OutcomeUnknownError,
    PermissionDeniedError,
    ProtocolError,
    ProviderError,
    ProviderUnavailableError,
    RateLimitError,
)

from . import _codec as codec
from ._settings import SinchSettings

__all__ = ["SinchProvider"]

log = logging.getLogger("numbers_core.sinch")

# Sinch's google.rpc status names, by what they mean for the user.
_STATUSES: dict[str, type[ProviderError]] = {
    "UNAUTHENTICATED": AuthenticationError,
    "PERMISSION_DENIED": PermissionDeniedError,
    "NOT_FOUND": NotFoundError,
    "ALREADY_EXISTS": ConflictError,
    "FAILED_PRECONDITION": ConflictError,
    "ABORTED": ConflictError,
    "RESOURCE_EXHAUSTED": RateLimitError,
    "UNAVAILABLE": ProviderUnavailableError,
    "INTERNAL": ProviderUnavailableError,
    "UNKNOWN": ProviderUnavailableError,
}
_REQUEST_ID_HEADERS = ("x-request-id", "x-correlation-id")
# Numbers per list page (no maximum is documented; this keeps answers to a few hundred kB).
_PAGE_SIZE = 500
# How many numbers a search asks for when some filters are checked here.
_SIFTED_SIZE = 100
# What a search's capabilities ask of the numbers: checked by Sinch itself.
_FILTERED = frozenset({"voice", "sms"})

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
        Feature.SEARCH_AREA_CODE,
        Feature.SEARCH_STARTS_WITH,
        Feature.SEARCH_CONTAINS,
        Feature.SEARCH_ENDS_WITH,
        Feature.SEARCH_VOICE,
        Feature.SEARCH_SMS,
        Feature.NUMBER_TYPE_LOCAL,
        Feature.NUMBER_TYPE_MOBILE,
        Feature.NUMBER_TYPE_TOLL_FREE,
        Feature.CONFIG_FRIENDLY_NAME,
        Feature.CONFIG_SMS_APPLICATION,
        Feature.CONFIG_VOICE_APPLICATION,
        Feature.CONFIG_STATUS_CALLBACK,
        Feature.CONFIG_EXTRA,
        # Sinch's search gives each number's price (basis offer); it has no price list.
        Feature.SEARCH_PRICES,
        Feature.COVERAGE,
        Feature.CONFIG_EMERGENCY_ADDRESS_INLINE,
        Feature.EMERGENCY_STATUS,
        Feature.EMERGENCY_VALIDATE,
    }
)
# What refuses a rent for want of something the number needs (its offer then says which).
_REFUSALS = (400, 403)
# What a rent cannot take, set on the number once rented.
_AFTER_RENT = frozenset({"friendly_name", "emergency_address"})


class SinchProvider(Provider):
    """Sinch's Numbers API v1 (``nc.connect("sinch", project_id=…, key_id=…, key_secret=…)``)."""

    name = "sinch"
    settings_model = SinchSettings
    features = _FEATURES
    # One number pattern goes on the wire; the others, and the capabilities, are checked here.
    client_side_filters = frozenset({"area_code", "starts_with", "contains", "ends_with", "voice", "sms"})
    native_list_filters = frozenset({"country", "number_type", "contains"})

    def __init__(self, settings: ProviderSettings, *, http_client: httpx.AsyncClient | None = None) -> None:
        settings = self._settings_as(settings, SinchSettings)
        super().__init__(settings, http_client=http_client)
        self._settings = settings
        secret = settings.key_secret.get_secret_value()
        key = httpx.BasicAuth(settings.key_id, secret)
        if settings.auth == "oauth2":
            check_url_policy(
                settings.auth_url, allow_insecure_http=settings.allow_insecure_http, setting="auth_url"
            )
            self._tokens = self._make_http(
                base_url=settings.auth_url, error_mapper=self._error, auth=key, secrets=(secret,)
            )
            self._auth: TokenAuth | None = TokenAuth(self._login)
            auth: httpx.Auth = self._auth
        else:
            self._auth = None
            auth = key
        self._api = self._make_http(
            base_url=settings.base_url, error_mapper=self._error, auth=auth, secrets=(secret,)
        )
        for setting in ("base_url", *(("auth_url",) if settings.auth == "oauth2" else ())):
            url = httpx.URL(getattr(settings, setting))
            if url.path not in ("", "/") or url.query:
                raise ConfigurationError(f"{setting}: give the scheme and host only", setting=setting)
        self._root = f"/v1/projects/{path_segment(settings.project_id, field='project_id')}"

    # -- authentication ------------------------------------------------------------------------

    async def _login(self) -> Token:
        # A token request changes nothing: sending it again (after a 429, say) is harmless.
        response = await self._tokens.request(
            "POST",
            "/oauth2/token",
            data={"grant_type": "client_credentials"},
            idempotency=Idempotency.IDEMPOTENT,
            operation="authenticate",
        )
        body = self._tokens.decode_json(response)
        token = body.get("access_token") if isinstance(body, dict) else None
        lifetime = body.get("expires_in") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token.strip():
            raise ProtocolError(
                f"{self.name}: authenticate: the answer holds no access_token",
                provider=self.name,
                status_code=response.status_code,
            )
        self._api.set_session_secret(token)
        self._tokens.set_session_secret(token)
        return Token.lasting(token, lifetime)

    # -- wire helpers ------------------------------------------------------------------------------

    def _error(self, response: httpx.Response) -> ProviderError:
        try:
            body = response.json()
        except ValueError:
            body = None
        status_name, message = codec.error_details(body)
        if status_name is None and isinstance(body, dict) and isinstance(body.get("error"), str):
            # The token service answers OAuth2's {"error": "invalid_client", ...}.
            status_name, message = None, str(body.get("error_description") or body["error"])[:500]
        status = response.status_code
        request_id = next((response.headers[h] for h in _REQUEST_ID_HEADERS if h in response.headers), None)
        message = message or response.reason_phrase or f"HTTP {status}"
        if status == 401 and "expired" in response.headers.get("WWW-Authenticate", "").lower():
            message = f"{message} (the token expired)"
        retry_after = retry_after_seconds(response.headers.get("Retry-After"))
        precise = _STATUSES.get(status_name or "") if status not in (429,) and status < 500 else None
        if precise is RateLimitError:
            return RateLimitError(
                message,
                provider=self.name,
                status_code=status,
                code=status_name,
                request_id=request_id,
                retry_after=retry_after,
            )
        if precise is not None:
            return precise(
                message, provider=self.name, status_code=status, code=status_name, request_id=request_id
            )
        return error_for_status(
            status,
            provider=self.name,
            message=message,
            code=status_name,
            request_id=request_id,
            retry_after=retry_after,
        )

    def _number_of(self, response: httpx.Response, operation: str) -> ActiveNumber:
        return self._api.read(response, functools.partial(codec.active_number, provider=self.name), operation)

    def _one(self, e164: str) -> str:
        return f"{self._root}/activeNumbers/{path_segment(e164, field='number')}"

    def _body(self, config: NumberConfig | None, *, purchase: bool) -> dict[str, Any]:
        """The number's fields ``config`` sets; an emergency address (sent apart) checked too, so
        that one Sinch cannot take is refused before any request."""
        if config is not None and config.emergency_address is not None:
            self._emergency_body(config.emergency_address)
        try:
            return codec.config_body(config, purchase=purchase)
        except codec.BadConfig as exc:
            raise InvalidInputError(f"config.{exc}", field=f"config.{exc.field}") from None

    # -- search --------------------------------------------------------------------------------------

    def _search_params(self, query: SearchQuery) -> dict[str, Any]:
        params: dict[str, Any] = {"regionCode": query.country, "type": codec.TYPES[query.number_type]}
        pattern = codec.number_pattern(query)
        if pattern is not None:
            params["numberPattern.pattern"], params["numberPattern.searchPattern"] = pattern
        capabilities = [wire for field, wire in (("voice", "VOICE"), ("sms", "SMS")) if getattr(query, field)]
        if capabilities:
            params["capabilities"] = capabilities
        return params

    async def _search(self, query: SearchQuery) -> list[AvailableNumber]:
        params = self._search_params(query)
        # More than asked for when filters beyond the one pattern sent are checked here.
        params["size"] = str(max(query.limit, _SIFTED_SIZE) if sifted(query, _FILTERED) else query.limit)
        response = await self._api.request(
            "GET",
            f"{self._root}/availableNumbers",
            params=params,
            idempotency=Idempotency.SAFE,
            operation="search",
        )
        parse = functools.partial(codec.available_numbers, provider=self.name, number_type=query.number_type)
        return self._api.read(response, parse, "search")

    # -- purchase ------------------------------------------------------------------------------------

    async def _held(self, e164: str, operation: str) -> ActiveNumber | None:
        """The project's number ``e164`` (not released), or None when the project does not rent it."""
        try:
            number = await self._fetch(e164, operation)
        except NotFoundError:
            return None
        return None if number.status is NumberStatus.RELEASING else number

    async def _purchase(self, e164: str, config: NumberConfig | None) -> ActiveNumber:
        body = self._body(config, purchase=True)
        # Sinch would refuse to rent a number the project rents: looked at first, so that it is
        # reported as the contract says (already-owned), not as unavailable.
        if await self._held(e164, "purchase") is not None:
            raise ConflictError(
                f"{e164} is already a number of this project", provider=self.name, code="already-owned"
            )
        path = f"{self._root}/availableNumbers/{path_segment(e164, field='number')}:rent"
        try:
            response = await self._api.request(
                "POST", path, json=body, idempotency=Idempotency.UNSAFE, operation="purchase", number=e164
            )
        except OutcomeUnknownError as unknown:
            bought = await self._reconcile_purchase(e164, unknown, lambda: self._held(e164, "purchase"))
        except NotFoundError as exc:
            raise exc.recast(NumberUnavailableError, f"{e164} cannot be rented: {exc.message}") from exc
        except ProviderError as refused:
            raise await self._documents_refusal(e164, refused) from refused
        else:
            try:
                bought = self._number_of(response, "purchase")
            except ProtocolError as garbled:
                unread = self._unreadable("purchase", e164, response.status_code, garbled)
                bought = await self._reconcile_purchase(e164, unread, lambda: self._held(e164, "purchase"))
        return await self._named(bought, config)

    async def _named(self, bought: ActiveNumber, config: NumberConfig | None) -> ActiveNumber:
        """Give a rented number what Sinch takes on an update, not with the rent: its display name
        and its emergency address."""
        later = config.model_fields_set & _AFTER_RENT if config is not None else set()
        if not later:
            return bought
        return await self._configure_bought(
            bought, NumberConfig(**{field: getattr(config, field) for field in later})
        )

    async def _documents_refusal(self, e164: str, refused: ProviderError) -> ProviderError:
        """A rent refused (400, 403) of a number whose offer says it needs supporting documents:
        the documents are what is missing, for this number (another may not need them). Sinch
        takes them through its KYC number orders, not through a rent."""
        if refused.status_code not in _REFUSALS or isinstance(refused, AuthenticationError):
            return refused
        try:
            response = await self._api.request(
                "GET",
                f"{self._root}/availableNumbers/{path_segment(e164, field='number')}",
                idempotency=Idempotency.SAFE,
                operation="purchase",
                number=e164,
            )
            offer = self._api.read(
                response, functools.partial(codec.available_number, provider=self.name), "purchase"
            )
        except NumbersError:
            return refused  # no offer to ask (rented meanwhile, or unreadable): the refusal stands
        if not offer.documents_required:
            return refused
        return refused.recast(
            ComplianceRequiredError,
            f"{e164} needs supporting documents before Sinch rents it: order it with them through "
            f"Sinch's number orders (KYC) ({refused.message})",
            requirement=RequirementKind.DOCUMENTS,
            scope=ComplianceScope.NUMBER,
            country=offer.geography.iso_country,
            number_type=offer.number_type,
        )

    def _can_purchase_any_natively(self, query: SearchQuery) -> bool:
        # rentAny serves US numbers only; one pattern at most goes with it.
        patterns = query.criteria().keys() & {"area_code", "starts_with", "contains", "ends_with"}
        return (
            query.country == "US"
            and query.criteria().keys() <= {*patterns, "voice", "sms"}
            and len(patterns) <= 1
        )

    async def _purchase_any(self, query: SearchQuery, config: NumberConfig | None) -> ActiveNumber:
        params = self._search_params(query)
        body: dict[str, Any] = {"regionCode": params["regionCode"], "type": params["type"]}
        if "numberPattern.pattern" in params:
            body["numberPattern"] = {
                "pattern": params["numberPattern.pattern"],
                "searchPattern": params["numberPattern.searchPattern"],
            }
        if "capabilities" in params:
            body["capabilities"] = params["capabilities"]
        body.update(self._body(config, purchase=True))
        try:
            response = await self._api.request(
                "POST",
                f"{self._root}/availableNumbers:rentAny",
                json=body,
                idempotency=Idempotency.UNSAFE,
                operation="purchase",
            )
        except NotFoundError as exc:
            message = f"no number matching the query can be rented: {exc.message}"
            raise exc.recast(NumberUnavailableError, message) from exc
        # Sinch picked the number: a lost answer has nothing to look up (OutcomeUnknownError stands).
        try:
            bought = self._number_of(response, "purchase")
        except ProtocolError as garbled:
            raise self._unreadable("purchase", None, response.status_code, garbled) from garbled
        self._check_picked(bought, query)
        return await self._named(bought, config)

    def _check_picked(self, bought: ActiveNumber, query: SearchQuery) -> None:
        if self._filter(query, [_offer(bought)]):
            return
        # Not believed, nor a refusal: the number it names (or another) may be the project's now.
        raise self._unbelieved(
            "purchase",
            bought.phone_number,
            None,
            f"{self.name}: asked to rent any number matching the query, Sinch answered with "
            f"{bought.phone_number}, which does not match it",
        )

    # -- one number ------------------------------------------------------------------------------------

    async def _fetch(self, e164: str, operation: str) -> ActiveNumber:
        response = await self._api.request(
            "GET", self._one(e164), idempotency=Idempotency.SAFE, operation=operation, number=e164
        )
        return self._number_of(response, operation)

    async def _get(self, e164: str) -> ActiveNumber:
        return _registered(await self._fetch(e164, "get"), await self._emergency(e164))

    def _emergency_path(self, e164: str, verb: str = "") -> str:
        return f"{self._one(e164)}/emergencyAddress{verb}"

    async def _emergency(self, e164: str) -> EmergencyRegistration | None:
        """The number's emergency address, read apart from the number (Sinch keeps it so).

        Sinch gives no registration status: an address it holds is provisioned (the provision
        call answers once it is, and nothing of it is scheduled), none (404) is none. A number it
        keeps no address for at all (a refusal, 400 or 403) says nothing: None.
        """
        try:
            response = await self._api.request(
                "GET", self._emergency_path(e164), idempotency=Idempotency.SAFE, operation="get", number=e164
            )
        except NotFoundError:
            return EmergencyRegistration(status=EmergencyStatus.NONE)
        except ProviderError as refused:
            if refused.status_code not in _REFUSALS or isinstance(refused, AuthenticationError):
                raise
            log.debug(
                "%s: no emergency address is kept for %s (HTTP %s)", self.name, e164, refused.status_code
            )
            return None
        return self._api.read(response, _registration, "get")

    async def _patch(self, e164: str, body: dict[str, Any]) -> ActiveNumber:
        return await self._update_sent(
            self._api,
            e164,
            "PATCH",
            self._one(e164),
            lambda response: self._number_of(response, "configure"),
            lambda: self._get(e164),
            json=body,
        )

    async def _configure(self, e164: str, config: NumberConfig) -> ActiveNumber:
        body = self._body(config, purchase=False)
        if "emergency_address" not in config.model_fields_set:
            return await self._patch(e164, body) if body else await self._get(e164)
        # The address first: one Sinch refuses leaves the rest of the number as it was.
        registration = await self._register(e164, config.emergency_address)
        number = await self._patch(e164, body) if body else await self._fetch(e164, "configure")
        return _registered(number, registration)

    async def _register(self, e164: str, address: Address | None) -> EmergencyRegistration:
        """Provision ``address`` as the number's emergency address, or deprovision it (None)."""
        if address is None:
            try:
                # Sent again, it takes off what is already off: safe to retry.
                await self._api.request(
                    "POST",
                    self._emergency_path(e164, ":deprovision"),
                    idempotency=Idempotency.IDEMPOTENT,
                    operation="configure",
                    number=e164,
                )
            except NotFoundError:
                await self._fetch(e164, "configure")  # no address to take off, unless no number
            return EmergencyRegistration(status=EmergencyStatus.NONE)
        try:
            # The same address provisioned twice is the same registration: safe to retry.
            response = await self._api.request(
                "POST",
                self._emergency_path(e164, ":provision"),
                json=self._emergency_body(address),
                idempotency=Idempotency.IDEMPOTENT,
                operation="configure",
                number=e164,
            )
        except ProviderError as refused:
            if refused.status_code != 400:
                raise
            raise refused.recast(
                AddressValidationError, f"Sinch did not provision the emergency address: {refused.message}"
            ) from refused
        registration = self._api.read(response, _registration, "configure")
        if registration.address is not None and address.customer_name:
            # The answer has no name: the display name sent is the one registered.
            named = registration.address.model_copy(update={"customer_name": address.customer_name})
            registration = registration.model_copy(
                update={"address": named, "caller_name": address.customer_name}
            )
        return registration

    def _emergency_body(self, address: Address) -> dict[str, Any]:
        try:
            return codec.emergency_body(address)
        except codec.BadConfig as exc:
            raise InvalidInputError(f"config.{exc}", field=f"config.{exc.field}") from None

    # -- commerce --------------------------------------------------------------------------------------

    async def _coverage(self) -> list[Coverage]:
        response = await self._api.request(
            "GET", f"{self._root}/availableRegions", idempotency=Idempotency.SAFE, operation="coverage"
        )
        return self._api.read(response, codec.regions, "coverage")

    async def _validate_emergency_address(self, address: Address, e164: str | None) -> AddressCheck:
        if e164 is None:
            raise InvalidInputError(
                "number: Sinch checks an emergency address for one of the project's numbers: give it",
                field="number",
            )
        try:
            body = codec.emergency_body(address)
        except codec.BadConfig as exc:
            raise InvalidInputError(
                str(exc).replace("emergency_address", "address", 1), field="address"
            ) from None
        # It stores nothing: a check sent again is the same check.
        response = await self._api.request(
            "POST",
            self._emergency_path(e164, ":validate"),
            json=body,
            idempotency=Idempotency.SAFE,
            operation="validate_emergency_address",
            number=e164,
        )
        return self._api.read(response, lambda answer: codec.address_check(answer, address), "validate")

    async def _release(self, e164: str) -> None:
        try:
            # Released means "expires at the end of the paid period": _held says None then.
            await self._release_sent(
                self._api, e164, "POST", f"{self._one(e164)}:release", lambda: self._held(e164, "release")
            )
        except ProviderError as refused:
            if refused.status_code not in (400, 404):
                raise
            # Released already (it lingers until its paid period ends), or not the project's.
            try:
                current = await self._fetch(e164, "release")
            except NotFoundError as exc:
                raise NotFoundError(
                    f"{e164} is not a number of this project", provider=self.name, status_code=exc.status_code
                ) from refused
            if current.status is NumberStatus.RELEASING:
                until = f" (it stays until {current.expires_at:%Y-%m-%d})" if current.expires_at else ""
                raise NotFoundError(
                    f"{e164} is released already{until}",
                    provider=self.name,
                    status_code=refused.status_code,
                    code=refused.code,
                    request_id=refused.request_id,
                ) from refused
            raise

    # -- listing ---------------------------------------------------------------------------------------

    async def _list_page(
        self, filters: dict[str, Any], cursor: str | None
    ) -> tuple[list[ActiveNumber], str | None]:
        params: dict[str, Any] = {"pageSize": str(_PAGE_SIZE)}
        if "country" in filters:
            params["regionCode"] = filters["country"]
        wanted = filters.get("number_type")
        if wanted is not None:
            if wanted not in codec.TYPES:
                return [], None  # Sinch rents no number of that type
            params["type"] = codec.TYPES[wanted]
        contains = filters.get("contains")
        if contains is not None:
            run = longest_run(contains)
            if run:
                params["numberPattern.pattern"] = run
                params["numberPattern.searchPattern"] = "CONTAINS"
        if cursor is not None:
            params["pageToken"] = cursor
        response = await self._api.request(
            "GET",
            f"{self._root}/activeNumbers",
            params=params,
            idempotency=Idempotency.SAFE,
            operation="list",
        )
        return self._api.read(response, functools.partial(codec.active_page, provider=self.name), "list")


def _offer(number: ActiveNumber) -> AvailableNumber:
    """A rented number as the search filters see it, to check what rentAny picked."""
    return AvailableNumber(
        phone_number=number.phone_number,
        provider=number.provider,
        number_type=number.number_type,
        capabilities=number.capabilities,
        geography=number.geography,
    )


def _registration(body: object) -> EmergencyRegistration:
    """The emergency address Sinch holds for a number (``GET``, ``:provision``) as a registration:
    active, since Sinch holds it once provisioned and has no status of its own."""
    address = codec.emergency_address(body)
    if address is None:
        return EmergencyRegistration(status=EmergencyStatus.NONE, raw=body)
    return EmergencyRegistration(status=EmergencyStatus.ACTIVE, address=address, raw=body)


def _registered(number: ActiveNumber, registration: EmergencyRegistration | None) -> ActiveNumber:
    """``number`` with its emergency registration, its address in the configuration as well."""
    address = registration.address if registration is not None else None
    config = number.config.model_copy(update={"emergency_address": address})
    return number.model_copy(update={"emergency": registration, "config": config})
