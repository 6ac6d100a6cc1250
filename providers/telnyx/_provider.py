"""Telnyx API v2 behind the neutral interface: number search, number orders, reservations, owned numbers."""

from __future__ import annotations

import copy
import functools
import logging
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

import anyio
import httpx
from numbers_core import (
    ActiveNumber,
    AvailableNumber,
    ComplianceScope,
    Coverage,
    NumberConfig,
    NumberStatus,
    NumberType,
    Provisioning,
    Requirement,
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
    NumbersError,
    NumberUnavailableError,
    OutcomeUnknownError,
    PaymentRequiredError,
    ProtocolError,
    ProviderError,
    TransportError,
    UnsupportedError,
)

from . import _codec as codec
from ._settings import TelnyxSettings

__all__ = ["TelnyxProvider"]

log = logging.getLogger("numbers_core.telnyx")

T = TypeVar("T")

# The waits for an inexplicit order's number; a module attribute so that tests can skip them.
_sleep = anyio.sleep

_REQUEST_ID_HEADERS = ("x-request-id", "x-telnyx-request-id")
# Owned numbers per list page: Telnyx's maximum.
_PAGE_SIZE = 250
# How many numbers a search asks for when some of its filters are checked here only.
_SIFTED = 100
# The statuses in which a number is not the account's any more.
_GONE = frozenset({NumberStatus.RELEASED})
# The waits while Telnyx allocates the number of an inexplicit order (about 8 s in all).
_ALLOCATION_WAITS = (0.25, 0.5, 1.0, 2.0, 4.0)
# Pages of inexplicit orders looked through for one whose answer was lost (newest first).
_INEXPLICIT_PAGES = 4
# Telnyx's codes for "the number can no longer be ordered" (seen in production on POST /number_orders).
_UNAVAILABLE_CODES = frozenset({"85001", "10015"})
_PAYMENT_CODES = frozenset({"20100"})

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
        Feature.BULK,
        Feature.PURCHASE_MANY,
        Feature.SEARCH_AREA_CODE,
        Feature.SEARCH_STARTS_WITH,
        Feature.SEARCH_ENDS_WITH,
        Feature.SEARCH_CONTAINS,
        Feature.SEARCH_REGION,
        Feature.SEARCH_LOCALITY,
        Feature.SEARCH_RATE_CENTER,
        Feature.SEARCH_VOICE,
        Feature.SEARCH_SMS,
        Feature.SEARCH_MMS,
        Feature.SEARCH_FAX,
        Feature.NUMBER_TYPE_LOCAL,
        Feature.NUMBER_TYPE_TOLL_FREE,
        Feature.NUMBER_TYPE_MOBILE,
        Feature.NUMBER_TYPE_NATIONAL,
        Feature.NUMBER_TYPE_SHARED_COST,
        Feature.CONFIG_FRIENDLY_NAME,
        Feature.CONFIG_VOICE_APPLICATION,
        Feature.CONFIG_SMS_APPLICATION,
        Feature.CONFIG_EMERGENCY_ADDRESS,
        Feature.CONFIG_COMPLIANCE,
        Feature.CONFIG_EXTRA,
        Feature.SEARCH_PRICES,
        Feature.COVERAGE,
        Feature.REQUIREMENTS,
        Feature.RESERVE,
        Feature.EMERGENCY_STATUS,
    }
)

# What an inexplicit order's ordering group takes, by SearchQuery field.
_INEXPLICIT = frozenset(
    {"area_code", "starts_with", "ends_with", "contains", "region", "locality", "voice", "sms", "mms", "fax"}
)


class TelnyxProvider(Provider):
    """Telnyx's API v2 (``nc.connect("telnyx", api_key="KEY…")``)."""

    name = "telnyx"
    settings_model = TelnyxSettings
    features = _FEATURES
    # Telnyx ignores what it does not know and answers 200 all the same, and a wildcard finds nothing:
    # every filter is checked again on the results (geography where Telnyx states it).
    client_side_filters = frozenset(
        {
            "area_code",
            "starts_with",
            "ends_with",
            "contains",
            "region",
            "rate_center",
            "voice",
            "sms",
            "mms",
            "fax",
        }
    )
    native_list_filters = frozenset({"country", "number_type", "contains"})
    # Pages follow a sort by creation time: a number bought or released mid-walk shifts them.
    list_repeats = True

    @property
    def batch_size(self) -> int:
        return self._settings.batch_size

    def __init__(self, settings: ProviderSettings, *, http_client: httpx.AsyncClient | None = None) -> None:
        settings = self._settings_as(settings, TelnyxSettings)
        super().__init__(settings, http_client=http_client)
        self._settings = settings
        key = settings.api_key.get_secret_value()
        self._api = self._make_http(
            base_url=settings.base_url,
            error_mapper=self._error,
            headers={"Authorization": f"Bearer {key}"},
            secrets=(key,),
        )
        url = self._api.base_url
        # "/v2" given with the host (as Telnyx's docs write the base URL) is taken as meant.
        if url.path.rstrip("/") not in ("", "/v2") or url.query:
            raise ConfigurationError(
                "base_url: give the scheme, host and port only (the adapter adds /v2)", setting="base_url"
            )
        self._v2 = "/v2"
        self._defaults: dict[str, str | None] = {
            "connection_id": settings.connection_id,
            "messaging_profile_id": settings.messaging_profile_id,
            "billing_group_id": settings.billing_group_id,
        }
        #: the order each number bought here was bought with, until Telnyx shows the number active
        self._orders: dict[str, str] = {}

    # -- wire helpers ------------------------------------------------------------------------------

    def _error(self, response: httpx.Response) -> ProviderError:
        try:
            body = response.json()
        except ValueError:
            body = None
        code, message = codec.error_details(body)
        status = response.status_code
        message = message or response.reason_phrase or f"HTTP {status}"
        request_id = next((response.headers[h] for h in _REQUEST_ID_HEADERS if h in response.headers), None)
        details: dict[str, Any] = {"status_code": status, "code": code, "request_id": request_id}
        ordering = response.request.method == "POST" and response.request.url.path.endswith("/number_orders")
        if ordering and 400 <= status < 500 and (code in _UNAVAILABLE_CODES or status == 409):
            # Telnyx's answers to an order of a number someone else took (409 85001, 400 10015).
            return NumberUnavailableError(message, provider=self.name, **details)
        if status == 402 or code in _PAYMENT_CODES:
            return PaymentRequiredError(message, provider=self.name, **details)
        retry_after = retry_after_seconds(
            response.headers.get("Retry-After") or response.headers.get("x-ratelimit-reset")
        )
        return error_for_status(
            status,
            provider=self.name,
            message=message,
            code=code,
            request_id=request_id,
            retry_after=retry_after,
        )

    def _read(self, response: httpx.Response, parse: Callable[[Any], T], operation: str) -> T:
        return self._api.read(response, parse, operation)

    async def _get_json(
        self, path: str, operation: str, params: dict[str, str] | None = None, number: str | None = None
    ) -> httpx.Response:
        return await self._api.request(
            "GET",
            f"{self._v2}/{path}",
            params=params,
            idempotency=Idempotency.SAFE,
            operation=operation,
            number=number,
        )

    @staticmethod
    def _reference() -> str:
        """A number order's (or reservation's) customer_reference: what finds it again after a lost
        answer, since Telnyx takes no idempotency key on these endpoints."""
        return f"nc-{uuid.uuid4()}"

    # -- search ------------------------------------------------------------------------------------

    async def _search(self, query: SearchQuery) -> list[AvailableNumber]:
        sifted = bool(query.contains and "*" in query.contains) or bool(query.contains and query.area_code)
        params = codec.search_filters(query, max(query.limit, _SIFTED) if sifted else query.limit)
        response = await self._get_json("available_phone_numbers", "search", params)
        parse = functools.partial(codec.available_numbers, provider=self.name, number_type=query.number_type)
        return self._read(response, parse, "search")

    # -- owned numbers -----------------------------------------------------------------------------

    async def _record(self, e164: str, operation: str) -> ActiveNumber | None:
        """The account's record of ``e164`` (any status), or None when Telnyx lists none.

        Telnyx's filter matches digits anywhere in the number: the exact one is picked.
        """
        response = await self._get_json(
            "phone_numbers",
            operation,
            {"filter[phone_number]": e164.lstrip("+"), "page[size]": str(_PAGE_SIZE)},
            number=e164,
        )
        numbers, _ = self._read(response, codec.phone_numbers, operation)
        return next((number for number in numbers if number.phone_number == e164), None)

    async def _held(self, e164: str, operation: str) -> ActiveNumber | None:
        """The account's number ``e164``, or None when it is not the account's (absent, deleted).

        A ProtocolError when its status does not say whether it is (after a change whose
        answer was lost, that leaves the outcome unknown).
        """
        number = await self._record(e164, operation)
        if number is None or number.status in _GONE:
            return None
        if number.status is NumberStatus.UNKNOWN and not number.provisioning:
            raise ProtocolError(
                f"{self.name}: {operation}: Telnyx gives {e164} the status "
                f"{repr(number.raw.get('status'))[:40]}, which does not say whether the account holds it",
                provider=self.name,
                numbers=(e164,),
            )
        return number

    async def _owned(self, e164: str, operation: str) -> ActiveNumber:
        number = await self._held(e164, operation)
        if number is None:
            raise NotFoundError(
                f"{e164} is not a number of this Telnyx account", provider=self.name, code="10005"
            )
        return number

    def _one(self, number: ActiveNumber) -> str:
        return f"{self._v2}/phone_numbers/{path_segment(number.id, field='id')}"

    async def _get(self, e164: str) -> ActiveNumber:
        number = await self._held(e164, "get")
        order_id = self._orders.get(e164)
        if order_id is None or (number is not None and number.status is not NumberStatus.PENDING):
            self._orders.pop(e164, None)
            if number is None:
                raise NotFoundError(
                    f"{e164} is not a number of this Telnyx account", provider=self.name, code="10005"
                )
            return number
        # Bought here and not active yet: the order says how it stands (requirements, failure).
        row = await self._order_row(order_id, e164)
        if number is None:
            if row is None:
                raise NotFoundError(
                    f"{e164} is not a number of this Telnyx account", provider=self.name, code="10005"
                )
            return codec.row_number(row, order_id, provider=self.name)
        return self._with_order(number, row, order_id)

    async def _order_row(self, order_id: str, e164: str) -> codec.Row | None:
        response = await self._get_json(f"number_orders/{path_segment(order_id)}", "get", number=e164)
        return self._read(response, codec.order, "get").rows.get(e164)

    @staticmethod
    def _with_order(number: ActiveNumber, row: codec.Row | None, order_id: str) -> ActiveNumber:
        """The number with what its order says of it in place of its bare purchase status."""
        if row is None:
            return number
        ordered = codec.row_number(row, order_id, provider=number.provider).provisioning
        kept = tuple(part for part in number.provisioning if part.part != "purchase")
        status = NumberStatus.UNKNOWN if row.failed else number.status
        return number.model_copy(update={"provisioning": ordered + kept, "status": status})

    async def _configure(self, e164: str, config: NumberConfig) -> ActiveNumber:
        try:
            made = codec.changes(config)
        except codec.BadConfig as exc:
            raise InvalidInputError(f"config.{exc}", field=f"config.{exc.field}") from None
        if "compliance" in config.model_fields_set:
            raise UnsupportedError(
                self.name,
                Feature.CONFIG_COMPLIANCE,
                "telnyx takes a requirement group (compliance bundle_id) with the number order only",
            )
        number = await self._owned(e164, "configure")
        one = self._one(number)
        if made.messaging:
            # "" unassigns the profile, null would keep it: safe to send again.
            await self._api.request(
                "PATCH",
                f"{one}/messaging",
                json=made.messaging,
                idempotency=Idempotency.IDEMPOTENT,
                operation="configure",
                number=e164,
            )
        if made.emergency_set:
            await self._emergency(number, made.emergency)
        if not made.number:
            return await self._owned(e164, "configure") if made.messaging or made.emergency_set else number
        return await self._update_sent(
            self._api,
            e164,
            "PATCH",
            one,
            lambda response: self._read(response, codec.number, "configure"),
            lambda: self._owned(e164, "configure"),
            json=made.number,
        )

    async def _emergency(self, number: ActiveNumber, address_id: str | None) -> None:
        if address_id is not None:
            await self._api.request(
                "POST",
                f"{self._one(number)}/actions/enable_emergency",
                json={"emergency_enabled": True, "emergency_address_id": address_id},
                idempotency=Idempotency.IDEMPOTENT,
                operation="configure",
                number=number.phone_number,
            )
            return
        # Telnyx turns emergency services off through a bulk job only (one number here).
        await self._api.request(
            "POST",
            f"{self._v2}/phone_numbers/jobs/update_emergency_settings",
            json={"emergency_enabled": False, "phone_numbers": [number.id]},
            idempotency=Idempotency.IDEMPOTENT,
            operation="configure",
            number=number.phone_number,
        )

    async def _release(self, e164: str) -> None:
        number = await self._owned(e164, "release")
        # Sent once: after a lost answer the number is looked up (absent or "deleted": released), and
        # the DELETE sent again only if it is still there.
        await self._release_sent(
            self._api, e164, "DELETE", self._one(number), lambda: self._held(e164, "release")
        )
        self._orders.pop(e164, None)

    async def _list_page(
        self, filters: dict[str, Any], cursor: str | None
    ) -> tuple[list[ActiveNumber], str | None]:
        params = {"page[number]": cursor or "1", "page[size]": str(_PAGE_SIZE)}
        if "country" in filters:
            params["filter[country_iso_alpha2]"] = filters["country"]
        wanted = filters.get("number_type")
        if wanted is not None:
            if wanted not in codec.TYPES:
                return [], None  # Telnyx sells no number of that type
            params["filter[number_type][eq]"] = codec.TYPES[wanted]
        contains = filters.get("contains")
        # Telnyx's filter needs three digits and finds nothing for anything but digits.
        if contains is not None and "*" not in contains and len(contains) >= 3:
            params["filter[phone_number]"] = contains
        response = await self._get_json("phone_numbers", "list", params)
        numbers, following = self._read(response, codec.phone_numbers, "list")
        # A released number may linger in the listing as "deleted": it is not the account's.
        kept = [number for number in numbers if number.status not in _GONE]
        return kept, str(following) if following is not None else None

    # -- purchase --------------------------------------------------------------------------------------

    def _order_body(self, e164s: list[str], config: NumberConfig | None, reference: str) -> dict[str, Any]:
        try:
            defaults = codec.purchase_defaults(config, self._defaults)
        except codec.BadConfig as exc:
            raise InvalidInputError(f"config.{exc}", field=f"config.{exc.field}") from None
        group = None
        compliance = config.compliance if config is not None else None
        if compliance is not None:
            if compliance.address_id is not None or compliance.identity_id is not None:
                raise InvalidInputError(
                    "config.compliance: Telnyx takes a requirement group, as bundle_id (addresses and "
                    "identities go in the group)",
                    field="config.compliance",
                )
            group = compliance.bundle_id
        return codec.order_body(e164s, reference, defaults, group)

    async def _order(self, body: dict[str, Any], number: str | None) -> httpx.Response:
        try:
            return await self._api.request(
                "POST",
                f"{self._v2}/number_orders",
                json=body,
                idempotency=Idempotency.UNSAFE,
                operation="purchase",
                number=number,
            )
        except ProviderError as refused:
            if refused.status_code in (400, 422) and "requirement" in refused.message.lower():
                # Telnyx names no code for it: its words say the order wants a requirement group.
                raise refused.recast(
                    ComplianceRequiredError,
                    f"{refused.message}; give an approved requirement group as compliance bundle_id",
                    requirement=RequirementKind.BUNDLE,
                    scope=ComplianceScope.ACCOUNT,
                ) from refused
            raise

    async def _purchase(self, e164: str, config: NumberConfig | None) -> ActiveNumber:
        reference = self._reference()
        body = self._order_body([e164], config, reference)
        after_config = self._later_config(config)
        try:
            response = await self._order(body, e164)
        except OutcomeUnknownError as unknown:
            bought = await self._reconcile_purchase(e164, unknown, lambda: self._placed(reference, e164))
        except NumberUnavailableError as refused:
            raise await self._taken(e164, refused) from refused
        else:
            try:
                placed = self._read(response, codec.order, "purchase")
                row = self._row_of(placed, e164)
            except ProtocolError as garbled:
                unread = self._unreadable("purchase", e164, response.status_code, garbled)
                bought = await self._reconcile_purchase(e164, unread, lambda: self._placed(reference, e164))
            else:
                self._refused_row(row)
                bought = await self._ordered(row, placed.id)
        if after_config is not None:
            return await self._configure_bought(bought, after_config)
        return bought

    def _row_of(self, placed: codec.Order, e164: str) -> codec.Row:
        row = placed.rows.get(e164)
        if row is None:
            raise ProtocolError(
                f"{self.name}: purchase: the order's answer does not mention {e164}", provider=self.name
            )
        return row

    @staticmethod
    def _later_config(config: NumberConfig | None) -> NumberConfig | None:
        """What of ``config`` a number order does not take, applied once it is bought."""
        if config is None:
            return None
        later = config.model_fields_set & {"friendly_name", "emergency_address_id"}
        tags = config.extra.get(codec.EXTRA_KEY, {}) if "extra" in config.model_fields_set else {}
        if isinstance(tags, dict) and "tags" in tags:
            return NumberConfig(
                **{name: getattr(config, name) for name in later},
                extra={codec.EXTRA_KEY: {"tags": tags["tags"]}},
            )
        return NumberConfig(**{name: getattr(config, name) for name in later}) if later else None

    def _refused_row(self, row: codec.Row) -> None:
        """Raise what an order row that failed at once means."""
        if not row.failed:
            return
        if row.requirements_met is False or row.requirements_status in codec.REFUSED_REQUIREMENTS:
            raise ComplianceRequiredError(
                f"Telnyx refused {row.phone_number}: its regulatory requirements are not met "
                f"({row.requirements_status or 'requirements not met'}); give an approved requirement group "
                "as compliance bundle_id",
                provider=self.name,
                requirement=RequirementKind.BUNDLE,
                scope=ComplianceScope.ACCOUNT,
                code=row.requirements_status,
            )
        raise NumberUnavailableError(
            f"Telnyx could not order {row.phone_number} (the order's status for it: {row.status})",
            provider=self.name,
            code=row.status,
        )

    async def _ordered(self, row: codec.Row, order_id: str) -> ActiveNumber:
        """A number its order accepted, as the account's listing shows it (with the order's word on
        it while pending); as the order tells of it where Telnyx does not list it yet."""
        e164 = row.phone_number
        self._orders[e164] = order_id
        try:
            number = await self._held(e164, "purchase")
        except NumbersError as exc:  # it is bought: a failed look-up must not hide that
            log.info("%s: %s is ordered; looking it up failed (%s)", self.name, e164, type(exc).__name__)
            number = None
        if number is None:
            return codec.row_number(row, order_id, provider=self.name)
        if number.status is not NumberStatus.PENDING:
            self._orders.pop(e164, None)
            return number
        return self._with_order(number, row, order_id)

    async def _placed(self, reference: str, e164: str) -> ActiveNumber | None:
        """After an order whose answer was lost or garbled: the number, if the order went through."""
        found = await self._placed_orders(reference)
        for placed in found or ():
            row = placed.rows.get(e164)
            if row is not None:
                return None if row.failed else await self._ordered(row, placed.id)
        # No order carries the reference: it was not placed. The account's numbers say the same, or the
        # number is the account's by another way (found is None: the filter was not applied).
        return await self._held(e164, "purchase")

    async def _placed_orders(self, reference: str) -> list[codec.Order] | None:
        """The orders carrying ``reference``, each read whole (a listing's rows give no status);
        None when Telnyx's answer shows it ignored the filter."""
        response = await self._get_json(
            "number_orders", "purchase", {"filter[customer_reference]": reference}
        )
        listed = self._read(response, codec.orders, "purchase")
        if any(placed.customer_reference != reference for placed in listed):
            return None
        found = []
        for placed in listed:
            answer = await self._get_json(f"number_orders/{path_segment(placed.id)}", "purchase")
            found.append(self._read(answer, codec.order, "purchase"))
        return found

    async def _taken(self, e164: str, refused: NumberUnavailableError) -> ProviderError:
        """A refused order of ``e164``: already the account's (ConflictError), or someone else's."""
        try:
            mine = await self._held(e164, "purchase")
        except NumbersError:
            mine = None
        if mine is not None:
            return ConflictError(
                f"{e164} is already a number of this Telnyx account",
                provider=self.name,
                status_code=refused.status_code,
                code="already-owned",
                request_id=refused.request_id,
            )
        return refused.recast(NumberUnavailableError, f"{e164} can no longer be bought: {refused.message}")

    # -- native batches: one number order for many numbers ---------------------------------------------

    async def _purchase_many(
        self, e164s: list[str], config: NumberConfig | None
    ) -> dict[str, ActiveNumber | NumbersError | None]:
        if self._later_config(config) is not None:
            raise UnsupportedError(
                self.name,
                Feature.PURCHASE_MANY,
                "telnyx: a number order takes the connection, messaging profile and billing group only; "
                "configure the numbers after buying them",
            )
        found: dict[str, ActiveNumber | NumbersError | None] = {}
        size = self._settings.batch_size
        for start in range(0, len(e164s), size):
            found.update(await self._order_chunk(e164s[start : start + size], config))
        return found

    async def _order_chunk(
        self, chunk: list[str], config: NumberConfig | None
    ) -> dict[str, ActiveNumber | NumbersError | None]:
        reference = self._reference()
        body = self._order_body(chunk, config, reference)
        try:
            response = await self._order(body, None)
        except OutcomeUnknownError as unknown:
            return await self._settle_chunk(chunk, reference, unknown, None)
        except (NumberUnavailableError, ConflictError) as refused:
            if len(chunk) == 1:
                return {
                    chunk[0]: await self._taken(chunk[0], refused)
                    if isinstance(refused, NumberUnavailableError)
                    else refused
                }
            # Telnyx refused the whole order for one of its numbers: nothing was ordered, so each goes
            # in an order of its own, and the one taken is told apart.
            found: dict[str, ActiveNumber | NumbersError | None] = {}
            for e164 in chunk:
                found.update(await self._order_chunk([e164], config))
            return found
        except NumbersError as refused:
            return {e164: copy.copy(refused) for e164 in chunk}
        try:
            placed = self._read(response, codec.order, "purchase")
        except ProtocolError as garbled:
            unread = self._unreadable("purchase", None, response.status_code, garbled)
            return await self._settle_chunk(chunk, reference, unread, None)
        found = {}
        silent = [e164 for e164 in chunk if e164 not in placed.rows]
        for e164 in chunk:
            row = placed.rows.get(e164)
            if row is None:
                continue
            try:
                self._refused_row(row)
            except NumbersError as exc:
                found[e164] = exc
                continue
            self._orders[e164] = placed.id
            found[e164] = codec.row_number(row, placed.id, provider=self.name)
        if silent:
            odd = ProtocolError(
                f"{self.name}: purchase: the order's answer leaves numbers out", provider=self.name
            )
            found.update(
                await self._settle_chunk(
                    silent, reference, self._unreadable("purchase", None, 200, odd), placed
                )
            )
        return found

    async def _settle_chunk(
        self,
        chunk: list[str],
        reference: str,
        unknown: OutcomeUnknownError,
        placed: codec.Order | None,
    ) -> dict[str, ActiveNumber | NumbersError | None]:
        """The numbers of an order whose answer was lost or unclear, each settled by looking the order
        up once (and, where it does not tell, the number)."""
        orders: list[codec.Order] | None = None
        fetched = False

        async def lookup(e164: str) -> ActiveNumber | None:
            nonlocal orders, fetched
            if not fetched:
                orders = [placed] if placed is not None else await self._placed_orders(reference)
                fetched = True
            for one in orders or ():
                row = one.rows.get(e164)
                if row is not None:
                    if row.failed:
                        return None
                    self._orders[e164] = one.id
                    return codec.row_number(row, one.id, provider=self.name)
            return await self._held(e164, "purchase")

        found: dict[str, ActiveNumber | NumbersError | None] = {}
        for e164 in chunk:
            try:
                found[e164] = await self._reconcile_purchase(
                    e164, self._unknown_for(e164, unknown), functools.partial(lookup, e164)
                )
            except NumbersError as exc:
                found[e164] = exc
        return found

    # -- purchase_any: an inexplicit order, Telnyx picks the number ------------------------------------

    def _can_purchase_any_natively(self, query: SearchQuery) -> bool:
        criteria = query.criteria()
        return (
            query.country in ("US", "CA")
            and query.number_type in (NumberType.LOCAL, NumberType.TOLL_FREE)
            and criteria.keys() <= _INEXPLICIT
            and "*" not in (query.contains or "")
            and not (query.area_code and query.starts_with)
        )

    async def _purchase_any(self, query: SearchQuery, config: NumberConfig | None) -> ActiveNumber:
        reference = self._reference()
        group: dict[str, Any] = {
            "country_iso": query.country,
            "phone_number_type": codec.TYPES[query.number_type],
            "count_requested": "1",
            # Never order beyond what is in stock: an order waiting for numbers is not "any number now".
            "strategy": "never",
        }
        pattern = {
            k: getattr(query, k) for k in ("starts_with", "ends_with", "contains") if getattr(query, k)
        }
        if pattern:
            group["phone_number"] = pattern
        if query.area_code:
            group["national_destination_code"] = query.area_code
        if query.region:
            group["administrative_area"] = query.region
        if query.locality:
            group["locality"] = query.locality
        features = [name for name in ("voice", "sms", "mms", "fax") if getattr(query, name)]
        if features:
            group["features"] = features
        body = self._order_body([], config, reference)
        body.pop("phone_numbers")
        body["ordering_groups"] = [group]
        after_config = self._later_config(config)
        try:
            response = await self._api.request(
                "POST",
                f"{self._v2}/inexplicit_number_orders",
                json=body,
                idempotency=Idempotency.UNSAFE,
                operation="purchase",
            )
            ident = self._read(response, codec.inexplicit, "purchase")[0]
        except OutcomeUnknownError as unknown:
            ident = await self._inexplicit_by(reference, unknown)
        except ProtocolError as garbled:
            ident = await self._inexplicit_by(reference, self._unreadable("purchase", None, 200, garbled))
        bought = await self._allocated(ident)
        if not self._filter(query, [_offer(bought)]):
            raise self._unbelieved(
                "purchase",
                bought.phone_number,
                None,
                f"{self.name}: asked for any number matching the query, Telnyx ordered "
                f"{bought.phone_number}, "
                "which does not match it",
            )
        if after_config is not None:
            return await self._configure_bought(bought, after_config)
        return bought

    async def _inexplicit_by(self, reference: str, unknown: OutcomeUnknownError) -> str:
        """The inexplicit order carrying ``reference``, after its answer was lost or garbled."""
        try:
            for page in range(1, _INEXPLICIT_PAGES + 1):
                response = await self._get_json(
                    "inexplicit_number_orders", "purchase", {"page_number": str(page), "page_size": "250"}
                )
                listed = self._read(response, codec.inexplicit_references, "purchase")
                for ident, stated in listed:
                    if stated == reference:
                        return ident
                if len(listed) < 250:
                    break
            else:
                raise unknown  # more orders than were looked through: not finding it proves nothing
        except NumbersError as exc:
            raise unknown from exc
        if isinstance(unknown.__cause__, ProtocolError):
            # Telnyx said yes (2xx) in words that could not be read: not seeing it proves nothing.
            raise unknown
        error = TransportError(
            f"{self.name}: purchase: the order's answer was lost, and Telnyx has no such order: nothing was "
            "ordered, buying again is safe",
            provider=self.name,
        )
        raise error from unknown

    async def _allocated(self, ident: str) -> ActiveNumber:
        """The number Telnyx allocated to inexplicit order ``ident``, once it has."""
        path = f"inexplicit_number_orders/{path_segment(ident)}"
        status, reason = "pending", None
        made: list[str] = []
        try:
            for wait in (0.0, *_ALLOCATION_WAITS):
                if wait:
                    await _sleep(wait)
                response = await self._get_json(path, "purchase")
                _, _, status, made, reason = self._read(response, codec.inexplicit, "purchase")
                if made or status in ("failed", "success", "partial_success"):
                    break
            if not made:
                raise self._unallocated(ident, status, reason)
            response = await self._get_json(f"number_orders/{path_segment(made[0])}", "purchase")
            placed = self._read(response, codec.order, "purchase")
        except NumberUnavailableError:
            raise
        except NumbersError as exc:
            raise OutcomeUnknownError(
                f"{self.name}: purchase: Telnyx took the order {ident} for any number, but which number it "
                f"got could not be read ({exc.message}); look at the order before buying again",
                operation="purchase",
                provider=self.name,
            ) from exc
        rows = [row for row in placed.rows.values() if not row.failed]
        if len(rows) != 1:
            raise NumberUnavailableError(
                f"no number matching the query could be ordered (order {placed.id}: {placed.status})",
                provider=self.name,
            )
        return await self._ordered(rows[0], placed.id)

    def _unallocated(self, ident: str, status: str, reason: str | None) -> NumbersError:
        if status == "failed":
            return NumberUnavailableError(
                f"no number matching the query can be ordered: {reason or 'Telnyx has none in stock'}",
                provider=self.name,
                code=status,
            )
        return ProtocolError(
            f"{self.name}: purchase: the order {ident} has no number yet", provider=self.name
        )

    # -- reservations --------------------------------------------------------------------------------

    async def _reserve(self, e164: str) -> ActiveNumber:
        reference = self._reference()
        try:
            response = await self._api.request(
                "POST",
                f"{self._v2}/number_reservations",
                json={"phone_numbers": [{"phone_number": e164}], "customer_reference": reference},
                idempotency=Idempotency.UNSAFE,
                operation="reserve",
                number=e164,
            )
            held = self._read(response, codec.reservation, "reserve")
        except OutcomeUnknownError as unknown:
            held = await self._reservation_by(reference, unknown)
        except ProtocolError as garbled:
            held = await self._reservation_by(reference, self._unreadable("reserve", e164, 200, garbled))
        row = held.rows.get(e164)
        if row is None:
            raise self._unbelieved(
                "reserve", e164, None, f"{self.name}: the reservation does not mention {e164}"
            )
        status, expires, errors = row
        if status == "failure":
            raise NumberUnavailableError(
                f"Telnyx could not reserve {e164}: {errors or 'it is not available'}", provider=self.name
            )
        return ActiveNumber(
            phone_number=e164,
            id=held.id,
            provider=self.name,
            status=NumberStatus.RESERVED,
            expires_at=expires,
            provisioning=(Provisioning(part="reservation", state="pending", target=held.id, status=status),)
            if status == "pending"
            else (),
        )

    async def _reservation_by(self, reference: str, unknown: OutcomeUnknownError) -> codec.Reservation:
        try:
            response = await self._get_json(
                "number_reservations", "reserve", {"filter[customer_reference]": reference}
            )
            listed = self._read(response, codec.reservations, "reserve")
        except NumbersError as exc:
            raise unknown from exc
        mine = [held for held in listed if held.customer_reference == reference]
        if len(mine) == 1:
            return mine[0]
        if not listed:
            raise NumberUnavailableError(
                f"{self.name}: reserve: the answer was lost and no reservation was made; "
                "reserving again is safe",
                provider=self.name,
            )
        raise unknown

    # -- coverage and requirements --------------------------------------------------------------------

    async def _coverage(self) -> list[Coverage]:
        response = await self._get_json("country_coverage", "coverage")
        return self._read(response, codec.coverage, "coverage")

    async def _requirements(self, country: str, number_type: NumberType | None) -> list[Requirement]:
        params = {"filter[country_code]": country, "filter[action]": "ordering", "page[size]": "250"}
        if number_type in (NumberType.LOCAL, NumberType.NATIONAL, NumberType.TOLL_FREE):
            params["filter[phone_number_type]"] = codec.TYPES[number_type]
        found: list[Requirement] = []
        page: int | None = 1
        while page is not None:
            response = await self._get_json(
                "requirements", "requirements", {**params, "page[number]": str(page)}
            )
            rows, page = self._read(
                response,
                functools.partial(codec.requirements, country=country, number_type=number_type),
                "requirements",
            )
            found.extend(rows)
        return found


def _offer(number: ActiveNumber) -> AvailableNumber:
    """A bought number as the search filters see it, to check what an inexplicit order picked."""
    return AvailableNumber(
        phone_number=number.phone_number,
        provider=number.provider,
        number_type=number.number_type,
        capabilities=number.capabilities,
        geography=number.geography,
    )
