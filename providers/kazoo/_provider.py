"""Kazoo (2600hz) Crossbar v2 behind the neutral interface."""

from __future__ import annotations

import contextlib
import copy
import functools
import json
import logging
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, ClassVar, NamedTuple

import httpx
import phonenumbers
from numbers_core import ActiveNumber, AvailableNumber, NumberConfig, NumberStatus, Route, SearchQuery
from numbers_core.adapter import (
    Feature,
    Idempotency,
    Provider,
    ProviderSettings,
    RateLimit,
    Token,
    TokenAuth,
    error_for_status,
    jwt_expiry,
    may_be_type,
    path_segment,
    region_of,
)
from numbers_core.errors import (
    AddressValidationError,
    AuthenticationError,
    ConfigurationError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    NumbersError,
    NumberUnavailableError,
    OutcomeUnknownError,
    PaymentRequiredError,
    PermissionDeniedError,
    ProtocolError,
    ProviderError,
    UnsupportedError,
)

from . import _codec as codec
from ._callflows import CallflowRouter
from ._settings import KazooSettings

__all__ = ["KazooProvider"]

log = logging.getLogger("numbers_core.kazoo")


# Kazoo's search answers at most this many numbers at once (number_manager.maximum_search_quantity).
_SEARCH_MAX = 500
# Prefixes Kazoo's search takes: 3 to 10 characters, "+" and the calling code included.
_PREFIX_MAX = 10
# The states in which a number is the account's; released (or in Kazoo's pool) it is nobody's, and
# any other state (one Kazoo added, none at all) does not say.
_HELD = frozenset({NumberStatus.ACTIVE, NumberStatus.RESERVED, NumberStatus.PENDING, NumberStatus.RELEASING})
_REQUEST_ID_HEADERS = ("X-Request-ID", "X-Request-Id")

# The number manager's errors (and the envelope's messages), by what they mean for the user.
_ERRORS: dict[str, type[ProviderError]] = {
    "invalid credentials": AuthenticationError,
    "invalid_credentials": AuthenticationError,
    "forbidden": PermissionDeniedError,
    "bad_identifier": NotFoundError,
    "not_found": NotFoundError,
    "number_exists": ConflictError,
    "invalid_state_transition": ConflictError,
    "no_change_required": ConflictError,
    "number_is_porting": ConflictError,
}

_FEATURES = frozenset(
    {
        Feature.SEARCH,
        Feature.PURCHASE,
        Feature.PURCHASE_WITH_CONFIG,
        Feature.GET,
        Feature.CONFIGURE,
        Feature.RELEASE,
        Feature.LIST,
        Feature.SEARCH_AREA_CODE,
        Feature.SEARCH_STARTS_WITH,
        Feature.SEARCH_CONTAINS,
        Feature.SEARCH_ENDS_WITH,
        Feature.NUMBER_TYPE_LOCAL,
        Feature.NUMBER_TYPE_MOBILE,
        Feature.NUMBER_TYPE_TOLL_FREE,
        Feature.CONFIG_FRIENDLY_NAME,
        Feature.CONFIG_VOICE_APPLICATION,
        Feature.CONFIG_EXTRA,
        Feature.CONFIG_EMERGENCY_ADDRESS_INLINE,
        Feature.EMERGENCY_STATUS,
        Feature.RESERVE,
        Feature.BULK,
        Feature.PURCHASE_MANY,
        Feature.CONFIGURE_MANY,
        Feature.RELEASE_MANY,
    }
)


class _Sent(NamedTuple):
    """What a batch change sent once came to, number by number."""

    #: the documents of the numbers Kazoo says it changed
    done: dict[str, Any]
    #: the errors it gives the others (a one-number batch refused whole: its number's)
    errors: dict[str, NumbersError]
    #: the outcomes of the numbers the answer did not tell of, looked up; of a batch refused whole
    settled: dict[str, ActiveNumber | NumbersError | None]
    #: the answer's status, where one was read
    status: int = 0


class KazooProvider(Provider):
    """Kazoo's Crossbar v2 API (``nc.connect("kazoo", base_url=…, account_id=…, api_key=…)``)."""

    name = "kazoo"
    settings_model = KazooSettings
    features = _FEATURES
    # Kazoo searches by one prefix and says nothing but the number: the rest is checked here.
    client_side_filters = frozenset({"area_code", "starts_with", "contains", "ends_with"})
    # Kazoo filters listings on any key of the number document (filter_<key>).
    native_list_filters = frozenset({"friendly_name"})
    # Numbers in open port requests are merged into every page of a listing.
    list_repeats = True
    #: numbers per list page
    list_page_size: ClassVar[int] = 500
    #: how many search answers of 500 are looked through for filters only this side can check
    search_rounds: ClassVar[int] = 4
    # Crossbar's cap on a search's quantity.
    max_search_limit: ClassVar[int] = _SEARCH_MAX
    # Crossbar's default token bucket per client address and account: 100 tokens, 10 back a second,
    # one per request (crossbar.token_costs may say otherwise on a given cluster).
    rate_limit = RateLimit(10.0, burst=100)

    @property
    def batch_size(self) -> int:
        return self._settings.batch_size

    def __init__(self, settings: ProviderSettings, *, http_client: httpx.AsyncClient | None = None) -> None:
        settings = self._settings_as(settings, KazooSettings)
        super().__init__(settings, http_client=http_client)
        self._settings = settings
        self._auth = TokenAuth(self._login, header="X-Auth-Token", prefix="")
        self._api = self._make_http(
            base_url=settings.base_url,
            error_mapper=self._error,
            auth=self._auth,
            secrets=settings.secrets(),
        )
        if self._api.base_url.query:
            raise ConfigurationError("base_url: give the server without a query", setting="base_url")
        # A proxy may put Crossbar under a path; "/v2" given with the server is taken as meant.
        root = self._api.base_url.path.rstrip("/").removesuffix("/v2")
        self._v2 = f"{root}/v2"
        self._account = settings.account_id
        self._numbers = f"{self._v2}/accounts/{self._account}/phone_numbers"
        self._callflows = CallflowRouter(self._api, f"{self._v2}/accounts/{self._account}", self.name)

    # -- authentication ------------------------------------------------------------------------

    async def _login(self) -> Token:
        path, data = self._settings.login()
        response = await self._api.request(
            "PUT",
            f"{self._v2}/{path}",
            json={"data": data},
            # A login changes nothing: sending it again is harmless.
            idempotency=Idempotency.IDEMPOTENT,
            operation="authenticate",
            authenticate=False,
        )
        body = self._api.decode_json(response)
        token = body.get("auth_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token.strip():
            raise ProtocolError(
                f"{self.name}: authenticate: the answer holds no auth_token",
                provider=self.name,
                status_code=response.status_code,
            )
        self._api.set_session_secret(token)
        return Token(token, jwt_expiry(token))

    # -- wire helpers ------------------------------------------------------------------------------

    def _error(self, response: httpx.Response) -> ProviderError:
        try:
            body = response.json()
        except ValueError:  # an HTML error page from a proxy: the status says enough
            body = None
        failure = codec.error_details(body)
        request_id = failure.request_id or next(
            (response.headers[name] for name in _REQUEST_ID_HEADERS if name in response.headers), None
        )
        return self._error_of(
            failure,
            response.status_code,
            request_id,
            response.reason_phrase,
            e911=codec.sends_e911(_sent_data(response)),
        )

    def _error_of(
        self,
        failure: codec.Failure,
        status: int,
        request_id: str | None = None,
        reason: str = "",
        *,
        e911: bool = False,
    ) -> ProviderError:
        """The error of the tree for what Kazoo said, of a whole request or of one number of a batch.

        ``e911``: the request set an e911 block, which Kazoo's ``invalid`` (an address its e911
        provider cannot locate) and 403 (the feature is not available for the number) are about.
        """
        code = failure.error or failure.message
        message = failure.message or reason or f"HTTP {status}"
        if failure.cause and failure.cause not in message:
            message = f"{message}: {failure.cause}"
        if status == 402:
            return self._charges(message, failure, status, request_id)
        if "multiple_choice" in (failure.error, failure.message) or (e911 and code == "invalid"):
            # multiple_choice is the e911 provider's only (the docs' 400; master's 500 says it too).
            return AddressValidationError(
                f"Kazoo's e911 provider cannot use the emergency address: {message}",
                provider=self.name,
                suggestions=codec.candidates(failure.data),
                status_code=status,
                code=code,
                request_id=request_id,
            )
        if e911 and status == 403:
            return PermissionDeniedError(
                f"{message}: the e911 feature is not available for this number or account "
                "(its document lists the features it may use in _read_only.features.available)",
                provider=self.name,
                status_code=status,
                code=code,
                request_id=request_id,
            )
        precise = _ERRORS.get(code or "") if status < 500 and status != 429 else None
        if precise is not None:
            return precise(message, provider=self.name, status_code=status, code=code, request_id=request_id)
        if status == 423:  # the account is disabled or expired
            return PermissionDeniedError(
                message, provider=self.name, status_code=status, code=code, request_id=request_id
            )
        # 429 comes without Retry-After: the core backs off exponentially.
        return error_for_status(status, provider=self.name, message=message, code=code, request_id=request_id)

    def _charges(
        self, message: str, failure: codec.Failure, status: int, request_id: str | None
    ) -> PaymentRequiredError:
        lines, total = codec.charges(failure.data)
        if lines or total is not None:
            quoted = ", ".join(
                f"{line.category}/{line.item}: {line.quantity or '?'} at {line.rate or '?'}" for line in lines
            )
            message = (
                f"{message}: Kazoo quotes {total if total is not None else 'a charge'}"
                f"{f' ({quoted})' if quoted else ''}; nothing was bought. Set accept_charges=True to "
                "accept charges"
            )
        return PaymentRequiredError(
            message,
            provider=self.name,
            status_code=status,
            code=failure.error or failure.message,
            request_id=request_id,
            charges=lines,
            total=total,
            monthly=codec.monthly(failure.data),
        )

    def _number_of(self, response: httpx.Response, operation: str) -> ActiveNumber:
        parse = functools.partial(codec.number, provider=self.name, account_id=self._account)
        return self._api.read(response, parse, operation)

    def _one(self, e164: str) -> str:
        return f"{self._numbers}/{path_segment(e164, field='number')}"

    def _config_data(self, config: NumberConfig | None, *e164s: str) -> dict[str, Any]:
        """The public fields ``config`` sets, for ``e164s``: an emergency address must be in each
        number's country, since the e911 block does not say one."""
        try:
            data = codec.config_data(config)
        except codec.BadConfig as exc:
            raise InvalidInputError(f"config.{exc}", field=f"config.{exc.field}") from None
        address = config.emergency_address if config is not None else None
        for e164 in e164s:
            country = region_of(e164)
            if address is not None and country is not None and country != address.country:
                raise InvalidInputError(
                    f"config.emergency_address.country: {e164} is a {country} number, and Kazoo's e911 "
                    f"block is read as an address in the number's country, not in {address.country}",
                    field="config.emergency_address.country",
                )
        return data

    def _envelope(self, data: dict[str, Any]) -> dict[str, Any]:
        body: dict[str, Any] = {"data": data}
        if self._settings.accept_charges:
            # Up front: the dry run and its 402 are skipped (and a dry-run collection's unsaved
            # "success" with them).
            body["accept_charges"] = True
        return body

    # -- search --------------------------------------------------------------------------------------

    def _prefix(self, query: SearchQuery) -> str:
        """Kazoo's ``prefix``: the calling code and the leading national digits the query asks for."""
        leads = [lead for lead in (query.area_code, query.starts_with) if lead]
        if not leads:
            raise UnsupportedError(
                self.name,
                Feature.SEARCH,
                "kazoo searches by the leading digits of numbers: give area_code or starts_with",
            )
        lead = max(leads, key=len)
        if any(not lead.startswith(other) for other in leads):
            lead = ""  # the two contradict each other: nothing can match (checked below)
        code = phonenumbers.country_code_for_region(query.country)
        if not code:
            raise InvalidInputError(f"country: {query.country!r} has no calling code", field="country")
        # Longer prefixes are cut to what Kazoo takes; the rest is checked on each result.
        return f"+{code}{lead}"[:_PREFIX_MAX]

    async def _search(self, query: SearchQuery) -> list[AvailableNumber]:
        prefix = self._prefix(query)
        # Only the number comes back: filters on other digits need more answers than the limit.
        sifted = bool(query.criteria().keys() & {"contains", "ends_with"}) or len(prefix) == _PREFIX_MAX
        quantity = _SEARCH_MAX if sifted else min(query.limit, _SEARCH_MAX)
        parse = functools.partial(codec.search_results, provider=self.name, number_type=query.number_type)
        found: list[AvailableNumber] = []
        offset = 0
        logins = 0
        for _ in range(self.search_rounds if sifted else 1):
            if offset and self._auth.fetches != logins:
                # Kazoo keeps offset>0 answers in a cache keyed on the token: a new token's is empty.
                break
            response = await self._api.request(
                "GET",
                self._numbers,
                params={
                    "prefix": prefix,
                    "quantity": str(quantity),
                    "offset": str(offset),
                    "country": query.country,
                },
                idempotency=Idempotency.SAFE,
                operation="search",
            )
            if not offset:
                logins = self._auth.fetches
            batch = self._api.read(response, parse, "search")
            found.extend(n for n in batch if may_be_type(n.phone_number, query.number_type))
            if len(batch) < quantity or len(self._filter(query, found)) >= query.limit:
                break
            offset += len(batch)
        return found

    # -- purchase ------------------------------------------------------------------------------------

    async def _held(self, e164: str, operation: str) -> ActiveNumber | None:
        """The account's number ``e164``, or None when the account does not hold it.

        A ProtocolError when Kazoo's answer does not say (see :meth:`_holds`): after a change
        whose answer was lost, that leaves its outcome unknown.
        """
        try:
            with self._foreign_is_not_held(e164):
                number = await self._fetch(e164, operation)
        except NotFoundError:
            return None
        return number if self._holds(number, operation) else None

    def _holds(self, number: ActiveNumber, operation: str) -> bool:
        """Whether the number's document says the account holds it."""
        if number.status in _HELD:
            return True
        if number.status is NumberStatus.RELEASED:
            return False
        raise ProtocolError(
            f"{self.name}: {operation}: Kazoo gives {number.phone_number} the state "
            f"{repr(codec.state(number.raw))[:40]}, "
            "which does not say whether the account holds it",
            provider=self.name,
            numbers=(number.phone_number,),
        )

    async def _purchase(self, e164: str, config: NumberConfig | None) -> ActiveNumber:
        self._refuse_routing(config, "purchase")
        data = self._config_data(config, e164)
        # Kazoo activates a number the account holds already without complaint (and free): looked
        # at first, so that it is not reported as bought.
        held = await self._held(e164, "purchase")
        if held is not None and held.status is NumberStatus.ACTIVE:
            raise ConflictError(
                f"{e164} is already a number of this account (in service)",
                provider=self.name,
                code="already-owned",
            )
        try:
            with self._for_sale(e164):
                response = await self._api.request(
                    "PUT",
                    f"{self._one(e164)}/activate",
                    json=self._envelope(data),
                    idempotency=Idempotency.UNSAFE,
                    operation="purchase",
                    number=e164,
                )
        except OutcomeUnknownError as unknown:
            return await self._reconcile_purchase(e164, unknown, lambda: self._held(e164, "purchase"))
        try:
            return self._number_of(response, "purchase")
        except ProtocolError as garbled:
            # Kazoo said yes in words we cannot read: the number may well be the account's now.
            unread = self._unreadable("purchase", e164, response.status_code, garbled)
            return await self._reconcile_purchase(e164, unread, lambda: self._held(e164, "purchase"))

    @contextlib.contextmanager
    def _for_sale(self, e164: str) -> Iterator[None]:
        """An activation's or a reservation's refusal that means the number cannot be had, as such."""
        try:
            yield
        except (NotFoundError, ConflictError) as exc:
            unavailable = self._unavailable(e164, exc)
            if unavailable is None:
                raise
            raise unavailable from exc

    def _unavailable(self, e164: str, error: NumbersError) -> NumberUnavailableError | None:
        """What a refused activation means, where it means the number cannot be bought."""
        if not isinstance(error, NotFoundError | ConflictError):
            return None
        if isinstance(error, ConflictError) and error.code != "number_exists":
            return None
        # Not in Kazoo's search cache nor its pool (404), or another account's (409).
        return error.recast(NumberUnavailableError, f"{e164} cannot be bought: {error.message}")

    # -- reservations ----------------------------------------------------------------------------------

    async def _reserve(self, e164: str) -> ActiveNumber:
        # Kazoo moves a number the account has in service back to reserved: looked at first, so that
        # a reservation never takes a number out of service.
        held = await self._held(e164, "reserve")
        if held is not None:
            reserved = held.status is NumberStatus.RESERVED
            raise ConflictError(
                f"{e164} is already {'reserved by' if reserved else 'a number of'} this account",
                provider=self.name,
                code="already-reserved" if reserved else "already-owned",
            )
        try:
            # A reservation acquires the number from its carrier (and may be charged: the same 402
            # dry run as an activation): sent once, never again blindly.
            with self._for_sale(e164):
                response = await self._api.request(
                    "PUT",
                    f"{self._one(e164)}/reserve",
                    json=self._envelope({}),
                    idempotency=Idempotency.UNSAFE,
                    operation="reserve",
                    number=e164,
                )
        except OutcomeUnknownError as unknown:
            return await self._reservation(e164, unknown)
        try:
            return self._number_of(response, "reserve")
        except ProtocolError as garbled:
            return await self._reservation(
                e164, self._unreadable("reserve", e164, response.status_code, garbled)
            )

    async def _reservation(self, e164: str, unknown: OutcomeUnknownError) -> ActiveNumber:
        """After a reservation whose answer was lost or garbled: the number, if the account holds
        it reserved now; otherwise (or when the look-up fails) the outcome stays unknown."""
        try:
            held = await self._held(e164, "reserve")
        except NumbersError as exc:
            raise unknown from exc
        if held is not None and held.status is NumberStatus.RESERVED:
            return held
        raise unknown

    # -- one number ------------------------------------------------------------------------------------

    async def _fetch(self, e164: str, operation: str) -> ActiveNumber:
        response = await self._api.request(
            "GET", self._one(e164), idempotency=Idempotency.SAFE, operation=operation, number=e164
        )
        return self._number_of(response, operation)

    def _not_held(self, e164: str, cause: ProviderError | None = None) -> NotFoundError:
        return NotFoundError(
            f"{e164} is not a number of this account{f' ({cause.message})' if cause else ''}",
            provider=self.name,
            status_code=None if cause is None else cause.status_code,
            code=None if cause is None else cause.code,
            request_id=None if cause is None else cause.request_id,
        )

    @contextlib.contextmanager
    def _foreign_is_not_held(self, e164: str) -> Iterator[None]:
        """Kazoo's 403 for a number of another account, as the contract says it: not found."""
        try:
            yield
        except PermissionDeniedError as exc:
            if exc.status_code != 403:
                raise  # 423: the account itself is disabled
            raise self._not_held(e164, exc) from exc

    async def _forbidden(self, e164: str, error: PermissionDeniedError, data: dict[str, Any]) -> NumbersError:
        """A 403 to a change of ``e164``: Kazoo says it of another account's number (not found
        here) and of an e911 block the number may not have; only a look-up tells which."""
        if error.status_code != 403:
            return error  # 423: the account itself is disabled
        if codec.sends_e911(data) and await self._held(e164, "configure") is not None:
            return error
        return self._not_held(e164, error)

    def _held_error(self, e164: str, error: NumbersError) -> NumbersError:
        """One number's error of a batch that changes numbers the account holds."""
        if isinstance(error, PermissionDeniedError) and error.status_code == 403:
            return self._not_held(e164, error)
        if isinstance(error, ConflictError) and error.code == "invalid_state_transition":
            return self._not_held(e164, error)  # in Kazoo's pool: nobody holds it
        return error

    async def _get(self, e164: str) -> ActiveNumber:
        with self._foreign_is_not_held(e164):
            number = await self._fetch(e164, "get")
        if not self._holds(number, "get"):
            raise self._not_held(e164)  # in Kazoo's pool, or released: nobody's
        return number

    def _refuse_routing(self, config: NumberConfig | None, operation: str) -> None:
        if config is not None and "voice" in config.model_fields_set:
            raise UnsupportedError(
                self.name,
                Feature.CONFIG_VOICE_APPLICATION,
                "kazoo routes a number by callflow, in a step of its own: "
                "configure(number, NumberConfig(voice=Route(application_id=callflow_id))) "
                + ("after the purchase" if operation == "purchase" else "for each number"),
            )

    async def _configure(self, e164: str, config: NumberConfig) -> ActiveNumber:
        data = self._config_data(config, e164)
        routed = "voice" in config.model_fields_set
        number = await self._patch(e164, data) if data else await self._get(e164)
        if not routed:
            return number
        callflow = config.voice.application_id if config.voice is not None else None
        # Only numbers the account holds are routed (the look-up above said so).
        await self._callflows.route(e164, callflow)
        # The number's document does not say which callflow holds it; this call knows.
        route = Route(application_id=callflow) if callflow is not None else None
        return number.model_copy(update={"config": number.config.model_copy(update={"voice": route})})

    async def _patch(self, e164: str, data: dict[str, Any]) -> ActiveNumber:
        try:
            # PATCH merges (POST would replace the document and switch off every feature left out);
            # the same fields merged twice leave the same document: safe to retry.
            return await self._update_sent(
                self._api,
                e164,
                "PATCH",
                self._one(e164),
                lambda response: self._number_of(response, "configure"),
                lambda: self._get(e164),
                json={"data": data},
            )
        except PermissionDeniedError as exc:
            raise await self._forbidden(e164, exc, data) from exc

    async def _release(self, e164: str) -> None:
        try:
            # Sent once: after a lost answer, a second DELETE would be refused as not held for a
            # release that worked; the number is looked up instead.
            await self._release_sent(
                self._api, e164, "DELETE", self._one(e164), lambda: self._held(e164, "release")
            )
        except PermissionDeniedError as exc:
            raise self._not_held(e164, exc) from exc
        except ConflictError as exc:
            not_held = self._held_error(e164, exc)
            if not_held is exc:
                raise  # number_is_porting: the user's to sort out
            raise not_held from exc

    # -- listing ---------------------------------------------------------------------------------------

    async def _list_page(
        self, filters: dict[str, Any], cursor: str | None
    ) -> tuple[list[ActiveNumber], str | None]:
        params = {"page_size": str(self.list_page_size)}
        if cursor is not None:
            params["start_key"] = cursor
        name = filters.get("friendly_name")
        if name is not None:
            params[f"filter_{codec.FRIENDLY_NAME_KEY}"] = str(name)
        response = await self._api.request(
            "GET", self._numbers, params=params, idempotency=Idempotency.SAFE, operation="list"
        )
        parse = functools.partial(codec.listing, provider=self.name, account_id=self._account)
        numbers, following = self._api.read(response, parse, "list")
        if name is not None:
            # Listing rows leave the public keys out; Kazoo matched this one exactly.
            numbers = [codec.named(number, str(name)) for number in numbers]
        return numbers, following

    # -- collections: one request for many numbers ---------------------------------------------------

    def _chunks(self, e164s: list[str]) -> list[list[str]]:
        size = self._settings.batch_size
        return [e164s[start : start + size] for start in range(0, len(e164s), size)]

    def _batch_answer(
        self, response: httpx.Response, chunk: list[str], operation: str
    ) -> tuple[dict[str, Any], dict[str, NumbersError]]:
        """The documents of the numbers done and the errors of the others.

        Kazoo answers 200 even when some numbers failed, may answer a
        one-number batch in the single-number shape, and may give an item's
        error as a bare string.
        """
        done, failed = self._api.read(response, lambda answer: codec.collection(answer, chunk), operation)
        e911 = codec.sends_e911(_sent_data(response))
        errors: dict[str, NumbersError] = {
            number: self._error_of(failure, failure.status(), e911=e911) for number, failure in failed.items()
        }
        return done, errors

    def _document(self, e164: str, doc: Any, operation: str) -> ActiveNumber:
        number = codec.number(
            {"data": {"id": e164, **doc} if isinstance(doc, dict) else doc},
            provider=self.name,
            account_id=self._account,
        )
        if number.phone_number != e164:
            raise codec.Malformed(f"{operation}: the batch answered {number.phone_number} for {e164}")
        return number

    async def _purchase_many(
        self, e164s: list[str], config: NumberConfig | None
    ) -> dict[str, ActiveNumber | NumbersError | None]:
        self._refuse_routing(config, "purchase")
        data = self._config_data(config, *e164s)
        found: dict[str, ActiveNumber | NumbersError | None] = {}
        for chunk in self._chunks(e164s):
            found.update(await self._activate_chunk(chunk, data))
        return found

    async def _activate_chunk(
        self, chunk: list[str], data: dict[str, Any]
    ) -> dict[str, ActiveNumber | NumbersError | None]:
        sent = await self._sent_once(
            "PUT",
            f"{self._numbers}/collection/activate",
            self._envelope({"numbers": chunk, **data}),
            chunk,
            "purchase",
            self._settle,
        )
        found = sent.settled
        for e164, error in sent.errors.items():
            found[e164] = self._unavailable(e164, error) or error
        for e164, doc in sent.done.items():
            if sent.errors and not self._settings.accept_charges:
                found[e164] = await self._dry_run_success(e164)
                continue
            try:
                found[e164] = self._document(e164, doc, "purchase")
            except codec.Malformed as exc:
                odd = ProtocolError(f"{self.name}: purchase: {exc}", provider=self.name)
                found[e164] = await self._settle(e164, self._unreadable("purchase", e164, sent.status, odd))
        return found

    async def _sent_once(
        self,
        method: str,
        path: str,
        body: dict[str, Any],
        chunk: list[str],
        operation: str,
        settle: Callable[[str, OutcomeUnknownError], Awaitable[ActiveNumber | NumbersError | None]],
    ) -> _Sent:
        """A batch change (an activation, a release) sent once, never again blindly; see
        :class:`_Sent` for what it comes to. ``settle(number, unknown)`` looks up a number whose
        fate the answer does not tell (lost, unreadable, or silent on it)."""
        try:
            response = await self._api.request(
                method, path, json=body, idempotency=Idempotency.UNSAFE, operation=operation
            )
        except OutcomeUnknownError as unknown:
            return _Sent(
                {}, {}, {e164: await settle(e164, self._unknown_for(e164, unknown)) for e164 in chunk}
            )
        except NumbersError as refused:  # the whole batch: a 402 quote, a 401, a 400
            if len(chunk) == 1:  # or its one number, answered in the single-number shape
                return _Sent({}, {chunk[0]: refused}, {})
            return _Sent({}, {}, {e164: copy.copy(refused) for e164 in chunk})
        try:
            done, errors = self._batch_answer(response, chunk, operation)
        except ProtocolError as unread:
            status = response.status_code
            return _Sent(
                {},
                {},
                {
                    e164: await settle(e164, self._unreadable(operation, e164, status, unread))
                    for e164 in chunk
                },
            )
        settled: dict[str, ActiveNumber | NumbersError | None] = {}
        for e164 in chunk:
            if e164 not in done and e164 not in errors:
                silent = ProtocolError(
                    f"{self.name}: {operation}: the batch's answer does not mention {e164}",
                    provider=self.name,
                )
                settled[e164] = await settle(
                    e164, self._unreadable(operation, e164, response.status_code, silent)
                )
        return _Sent(
            {e164: done[e164] for e164 in chunk if e164 in done}, errors, settled, response.status_code
        )

    async def _dry_run_success(self, e164: str) -> ActiveNumber | NumbersError:
        """A "success" in a batch that also had failures, without accept_charges: Kazoo ran it as a
        dry run, which it does not save. What the account holds now is the answer."""
        try:
            held = await self._held(e164, "purchase")
        except NumbersError as exc:
            unknown = OutcomeUnknownError(
                f"{self.name}: purchase of {e164}: Kazoo answered success in a dry run and the number "
                f"could not be looked up ({type(exc).__name__})",
                operation="purchase",
                number=e164,
                provider=self.name,
            )
            unknown.__cause__ = exc
            return unknown
        if held is not None:
            return held
        return ProviderError(
            f"{e164} was not bought: Kazoo ran the batch as a dry run because other numbers in it failed, "
            "and saved nothing; buy it again (with accept_charges=True there is no dry run)",
            provider=self.name,
            code="dry_run",
        )

    async def _settle(self, e164: str, unknown: OutcomeUnknownError) -> ActiveNumber | NumbersError:
        """One number of a batch whose answer was lost or unclear, after looking it up."""
        try:
            return await self._reconcile_purchase(e164, unknown, lambda: self._held(e164, "purchase"))
        except NumbersError as exc:
            return exc

    async def _configure_many(
        self, e164s: list[str], config: NumberConfig
    ) -> dict[str, ActiveNumber | NumbersError | None]:
        self._refuse_routing(config, "configure_many")
        data = self._config_data(config, *e164s)
        found: dict[str, ActiveNumber | NumbersError | None] = {}
        for chunk in self._chunks(e164s):
            if not data:
                for e164 in chunk:
                    found[e164] = await self._get_or_error(e164)
                continue
            found.update(await self._patch_chunk(chunk, data))
        return found

    async def _release_many(self, e164s: list[str]) -> dict[str, ActiveNumber | NumbersError | None]:
        found: dict[str, ActiveNumber | NumbersError | None] = {}
        for chunk in self._chunks(e164s):
            found.update(await self._release_chunk(chunk))
        return found

    async def _release_chunk(self, chunk: list[str]) -> dict[str, ActiveNumber | NumbersError | None]:
        """A batch DELETE. Sent once, as a single release is: after an answer that is lost or says
        nothing, a second one would be refused as "not held" for numbers it released; each number
        is looked up instead."""
        sent = await self._sent_once(
            "DELETE",
            f"{self._numbers}/collection",
            {"data": {"numbers": chunk}},
            chunk,
            "release",
            self._release_settled,
        )
        found = sent.settled
        for e164, error in sent.errors.items():
            found[e164] = self._held_error(e164, error)
        found.update(dict.fromkeys(sent.done))
        return found

    async def _release_settled(self, e164: str, unknown: OutcomeUnknownError) -> NumbersError | None:
        """One number of a batch release whose answer was lost or unclear, after looking it up:
        None when it is gone."""
        try:
            if await self._released(unknown, lambda: self._held(e164, "release")):
                return None
        except NumbersError as exc:
            return exc
        return self._not_released(e164, unknown)

    def _refused_chunk(
        self, chunk: list[str], refused: NumbersError
    ) -> dict[str, ActiveNumber | NumbersError | None]:
        """A batch of held numbers refused whole, each number's error (a one-number batch may
        be answered in the single-number shape: its own)."""
        if len(chunk) == 1:
            return {chunk[0]: self._held_error(chunk[0], refused)}
        return {e164: copy.copy(refused) for e164 in chunk}

    async def _get_or_error(self, e164: str) -> ActiveNumber | NumbersError:
        try:
            return await self._get(e164)
        except NumbersError as exc:
            return exc

    async def _patch_chunk(
        self, chunk: list[str], data: dict[str, Any]
    ) -> dict[str, ActiveNumber | NumbersError | None]:
        """A batch PATCH (merge these fields) of numbers the account holds."""
        try:
            # The same fields merged twice leave the same documents: safe to send again.
            response = await self._api.request(
                "PATCH",
                f"{self._numbers}/collection",
                json={"data": {"numbers": chunk, **data}},
                idempotency=Idempotency.IDEMPOTENT,
                operation="configure",
            )
            done, errors = self._batch_answer(response, chunk, "configure")
        except NumbersError as refused:
            return self._refused_chunk(chunk, refused)
        found: dict[str, ActiveNumber | NumbersError | None] = {}
        for e164 in chunk:
            if e164 in errors:
                failed = errors[e164]
                if isinstance(failed, PermissionDeniedError):
                    found[e164] = await self._forbidden(e164, failed, data)
                else:
                    found[e164] = self._held_error(e164, failed)
            elif e164 not in done:
                found[e164] = ProtocolError(
                    f"{self.name}: configure: the batch said nothing of {e164}; look it up",
                    provider=self.name,
                    numbers=(e164,),
                )
            else:
                try:
                    found[e164] = self._document(e164, done[e164], "configure")
                except codec.Malformed:
                    found[e164] = await self._get_or_error(e164)  # the change is made: read it back
        return found


def _sent_data(response: httpx.Response) -> object:
    """The ``data`` of the request ``response`` answers: None for one without a JSON body."""
    try:
        sent = response.request.content
        body = json.loads(sent) if sent else None
    except (RuntimeError, ValueError):  # an answer built without its request; a body not JSON
        return None
    return body.get("data") if isinstance(body, dict) else None
