"""Telnyx's API v2 for phone numbers, emulated: registered as ``telnyx``.

One account behind one API key (Bearer). Search with prices (``cost_information``)
and Telnyx's deep-object filters (``filter[phone_number][starts_with]``,
``filter[features]=sms,voice`` or ``filter[features][]=sms``; unknown filters
ignored, a wildcard finds nothing); number orders that answer 200 ``pending``
and settle ``settle_delay`` seconds later (numbers whose country and type need
papers stay ``requirement-info-pending`` unless ordered with an approved
requirement group, the sandbox's ``APPROVED_BUNDLE``); inexplicit orders whose
number shows on the first look after the answer; reservations that expire after
``reservation_lifetime`` seconds; owned numbers by numeric id, filtered by
digits (partial match), paged with ``page[number]``/``page[size]``; country
coverage and requirements from the sandbox's catalogue; Telnyx's ``errors[]``
envelope (409 ``85001`` for a number taken, 401 ``10009``, 404 ``10005``, 429
``10011`` with ``x-ratelimit-*``, 5xx ``10007``; a body it cannot read is a 400
``10015``, one not of its document's request schema a 422 ``10015`` with an entry
per field, its ``source.pointer``). Each settled order makes a
``number_order.complete`` event signed with Ed25519 (``signing_seed``: the key
a test holds; ``public_key`` is what checks it): kept in ``events``, and
POSTed to ``webhook_url`` when one is set.

What Telnyx keeps of a number lives in its ``config.extra["telnyx"]``, so it is
in the state file too; orders, reservations and events are kept in memory.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal

import httpx
from numbers_core import ActiveNumber, AvailableNumber, NumberConfig, NumberType, SearchQuery
from numbers_core.emulator import BadRequest, Dialect, Emulator, Shape, read_json, reason
from numbers_core.errors import (
    ComplianceRequiredError,
    ConflictError,
    NotFoundError,
    NumbersError,
    NumberUnavailableError,
)
from numbers_core.sandbox import APPROVED_BUNDLE
from pydantic import ConfigDict, Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute
from starlette.routing import Route as Path

from ._codec import TYPES

__all__ = ["TelnyxEmulation"]

_NEUTRAL_TYPES = {wire: neutral for neutral, wire in TYPES.items()}
_CODES = {400: "10015", 401: "10009", 403: "10010", 404: "10005", 405: "10005", 409: "85001", 422: "10015"}
_TITLES = {
    400: "Bad Request",
    401: "Authentication failed",
    403: "Authorization failed",
    404: "Resource not found",
    409: "Conflict",
    422: "Unprocessable entity",
    429: "Too many requests",
}
_MAX_PAGE = 250
_LISTED = frozenset(
    {"active", "purchase-pending", "requirement-info-pending", "requirement-info-under-review"}
)


# -- request bodies, as Telnyx's OpenAPI document has them (a null is a field left unset) -----------


class _Open(Shape):
    """A Telnyx request object: the fields its document names, typed; any other is ignored (its
    schemas do not close them)."""

    model_config = ConfigDict(extra="ignore")


class _Defaults(_Open):
    """What an order sets on the numbers it buys."""

    connection_id: str | None = None
    messaging_profile_id: str | None = None
    billing_group_id: str | None = None
    customer_reference: str | None = None


class _Ordered(_Open):
    phone_number: str
    requirement_group_id: str | None = None
    bundle_id: str | None = None


class _Order(_Defaults):
    phone_numbers: Annotated[list[_Ordered], Field(min_length=1)]


class _Pattern(_Open):
    starts_with: str | None = None
    ends_with: str | None = None
    contains: str | None = None


class _OrderingGroup(_Open):
    country_iso: Literal["US", "CA"]
    phone_number_type: str
    count_requested: str
    strategy: Literal["always", "never"] = "always"
    national_destination_code: str | None = None
    administrative_area: str | None = None
    locality: str | None = None
    phone_number: _Pattern | None = None
    features: list[str] | None = None
    quickship: bool | None = None
    exclude_held_numbers: bool | None = None


class _Inexplicit(_Defaults):
    ordering_groups: Annotated[list[_OrderingGroup], Field(min_length=1)]


class _Reserved(_Open):
    phone_number: str | None = None


class _Reservation(_Open):
    phone_numbers: Annotated[list[_Reserved], Field(min_length=1)]
    customer_reference: str | None = None


class _NumberChange(_Open):
    connection_id: str | None = None
    billing_group_id: str | None = None
    customer_reference: str | None = None
    tags: list[str] | None = None
    external_pin: str | None = None
    hd_voice_enabled: bool | None = None
    address_id: str | None = None


class _MessagingChange(_Open):
    messaging_profile_id: str | None = None
    messaging_product: str | None = None
    tags: list[str] | None = None


class _EnableEmergency(_Open):
    emergency_enabled: bool
    emergency_address_id: str


class _EmergencyJob(_Open):
    emergency_enabled: bool
    phone_numbers: list[str]
    emergency_address_id: str | None = None


def _stamp(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _cost(amount: Any) -> str:
    return f"{Decimal(amount):.5f}"


def _numeric_id(e164: str) -> str:
    # Telnyx's ids of numbers are numeric strings above 2**53: stable per number here.
    value = int.from_bytes(hashlib.blake2b(e164.encode(), digest_size=8).digest(), "big")
    return str(10**18 + value % (9 * 10**18))


def _filters(request: Request) -> dict[str, list[str]]:
    """The query's parameters, with ``x[]`` repeats and comma lists (``x=a,b``) both read as lists."""
    found: dict[str, list[str]] = {}
    for key, value in request.query_params.multi_items():
        name = key.removesuffix("[]")
        found.setdefault(name, []).extend(part for part in value.split(",") if part)
    return found


def _entry(status: int, message: str, pointer: str | None = None) -> dict[str, Any]:
    """One entry of Telnyx's ``errors[]``."""
    code = "10011" if status == 429 else "10007" if status >= 500 else _CODES.get(status, "10015")
    entry: dict[str, Any] = {
        "code": code,
        "title": _TITLES.get(status, "Unexpected error"),
        "detail": message,
        "meta": {"url": f"https://developers.telnyx.com/docs/overview/errors/{code}"},
    }
    if pointer is not None:
        entry["source"] = {"pointer": pointer}
    return entry


def _last(given: dict[str, list[str]], name: str) -> str | None:
    values = given.get(name)
    return values[-1] if values else None


class TelnyxEmulation(Dialect):
    """Telnyx API v2: one account, its API key, number orders that settle, reservations that expire."""

    name: ClassVar[str] = "telnyx"

    def __init__(self, emulator: Emulator) -> None:
        super().__init__(emulator)
        self.api_key = "KEY" + hashlib.blake2b(b"telnyx/emulator", digest_size=16).hexdigest().upper()
        self.account = "telnyx-account"
        #: seconds after an order until its numbers are active (0: at the next request)
        self.settle_delay = 0.0
        #: seconds a reservation holds its numbers (Telnyx: 30 minutes)
        self.reservation_lifetime = 1800.0
        #: the Ed25519 private key's 32-byte seed the events are signed with
        self.signing_seed = hashlib.blake2b(b"telnyx/webhooks", digest_size=32).digest()
        #: where settled orders' events are POSTed (None: kept in ``events`` only)
        self.webhook_url: str | None = None
        #: (headers, body) of every event made, as Telnyx would send it
        self.events: list[tuple[dict[str, str], bytes]] = []
        #: the clock of orders and reservations (tests move it)
        self.clock = time.time
        self.orders: dict[str, dict[str, Any]] = {}
        self.inexplicit: dict[str, dict[str, Any]] = {}
        self.reservations: dict[str, dict[str, Any]] = {}
        self._pending: set[str] = set()

    @property
    def public_key(self) -> str:
        """The base64 public key that checks the events (Mission Control's "public key")."""
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

        private = Ed25519PrivateKey.from_private_bytes(self.signing_seed)
        raw = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return base64.b64encode(raw).decode()

    def client_settings(self, base_url: str) -> dict[str, Any]:
        return {"api_key": self.api_key, "base_url": base_url}

    def describe(self) -> dict[str, Any]:
        return {
            "account": self.account,
            "orders": len(self.orders),
            "reservations": len(self.reservations),
            "events": len(self.events),
        }

    def reset(self) -> None:
        self.orders.clear()
        self.inexplicit.clear()
        self.reservations.clear()
        self.events.clear()
        self._pending.clear()

    def error(
        self, status: int, message: str, *, retry_after: int | None = None, pointer: str | None = None
    ) -> Response:
        headers = {"x-request-id": str(uuid.uuid4())}
        if status == 429:
            headers["x-ratelimit-limit"] = "100"
            headers["x-ratelimit-remaining"] = "0"
            if retry_after is not None:  # Telnyx says when in x-ratelimit-reset, not Retry-After
                headers["x-ratelimit-reset"] = str(retry_after)
        return JSONResponse(
            {"errors": [_entry(status, message, pointer)]}, status_code=status, headers=headers
        )

    def bad_request(self, request: Request, refusal: BadRequest) -> Response:
        """A body Telnyx cannot read is a 400; one read but not of the operation's schema a 422,
        an ``errors[]`` entry for each field, its ``source.pointer`` saying which (Telnyx's
        validation answers)."""
        if refusal.status != 400 or any(v.unreadable for v in refusal.violations):
            return self.error(refusal.status, refusal.message)
        entries = [_entry(422, str(v), v.pointer or None) for v in refusal.violations]
        return JSONResponse({"errors": entries}, status_code=422, headers={"x-request-id": str(uuid.uuid4())})

    def account_of(self, request: Request) -> str | None:
        return self.account if self._authorized(request) is None else None

    def routes(self) -> list[BaseRoute]:
        return [
            Path("/v2/available_phone_numbers", self._search, methods=["GET"]),
            Path("/v2/number_orders", self._orders, methods=["GET", "POST"]),
            Path("/v2/number_orders/{order}", self._order, methods=["GET"]),
            Path("/v2/inexplicit_number_orders", self._inexplicit, methods=["GET", "POST"]),
            Path("/v2/inexplicit_number_orders/{order}", self._inexplicit_one, methods=["GET"]),
            Path("/v2/number_reservations", self._reservations, methods=["GET", "POST"]),
            Path("/v2/number_reservations/{reservation}", self._reservation, methods=["GET"]),
            Path("/v2/number_reservations/{reservation}/actions/extend", self._extend, methods=["POST"]),
            Path("/v2/phone_numbers", self._list, methods=["GET"]),
            Path("/v2/phone_numbers/jobs/update_emergency_settings", self._emergency_job, methods=["POST"]),
            Path("/v2/phone_numbers/{id}", self._number, methods=["GET", "PATCH", "DELETE"]),
            Path("/v2/phone_numbers/{id}/messaging", self._messaging, methods=["GET", "PATCH"]),
            Path("/v2/phone_numbers/{id}/actions/enable_emergency", self._enable_emergency, methods=["POST"]),
            Path("/v2/country_coverage", self._coverage, methods=["GET"]),
            Path("/v2/country_coverage/countries/{country}", self._country, methods=["GET"]),
            Path("/v2/requirements", self._requirements, methods=["GET"]),
        ]

    # -- authentication --------------------------------------------------------------------------------

    def _authorized(self, request: Request) -> Response | None:
        if request.headers.get("authorization", "") == f"Bearer {self.api_key}":
            return None
        return self.error(401, "Could not understand the provided credentials.")

    @property
    def _carrier(self) -> Any:
        return self.world.account(self.account)

    async def _enter(self, request: Request) -> Response | None:
        """Authenticate, and move orders and reservations on by the clock."""
        refused = self._authorized(request)
        if refused is not None:
            return refused
        await self._settle()
        return None

    # -- numbers' own state ----------------------------------------------------------------------------

    def _state(self, number: ActiveNumber) -> dict[str, Any]:
        state = number.config.extra.get("telnyx")
        if isinstance(state, dict):
            return state
        return {
            "id": _numeric_id(number.phone_number),
            "status": "active",
            "connection_id": "",
            "messaging_profile_id": "",
            "billing_group_id": None,
            "tags": [],
            "emergency_enabled": False,
            "emergency_address_id": "",
            "emergency_status": "disabled",
            "purchased_at": _stamp(self.clock()),
        }

    async def _keep(self, number: ActiveNumber, state: dict[str, Any], **fields: Any) -> ActiveNumber:
        config = NumberConfig(extra={"telnyx": state}, **fields)
        kept: ActiveNumber = await self._carrier.configure(number.phone_number, config)
        return kept

    async def _mine(self, e164: str) -> ActiveNumber | None:
        try:
            number: ActiveNumber = await self._carrier.get(e164)
        except NotFoundError:
            return None
        return number

    def _doc(self, number: ActiveNumber, status: str | None = None) -> dict[str, Any]:
        state = self._state(number)
        return {
            "id": state["id"],
            "record_type": "phone_number",
            "phone_number": number.phone_number,
            "status": status or state["status"],
            "phone_number_type": TYPES.get(number.number_type, "local"),
            "country_iso_alpha2": number.geography.iso_country or "US",
            "tags": list(state["tags"]),
            # As production: unset ids are "", other unset fields null.
            "connection_id": state["connection_id"],
            "connection_name": None,
            "messaging_profile_id": state["messaging_profile_id"],
            "messaging_profile_name": None,
            "billing_group_id": state["billing_group_id"],
            "customer_reference": number.config.friendly_name,
            "external_pin": None,
            "emergency_enabled": state["emergency_enabled"],
            "emergency_address_id": state["emergency_address_id"],
            "emergency_status": state["emergency_status"],
            "call_forwarding_enabled": True,
            "cnam_listing_enabled": False,
            "caller_id_name_enabled": False,
            "call_recording_enabled": False,
            "t38_fax_gateway_enabled": False,
            "hd_voice_enabled": False,
            "deletion_lock_enabled": False,
            "inbound_call_screening": "disabled",
            "source_type": "number_order",
            "number_block_id": None,
            "purchased_at": state["purchased_at"],
            "activated_at": state.get("activated_at"),
            "created_at": state["purchased_at"],
            "updated_at": _stamp(number.updated_at.timestamp())
            if number.updated_at
            else state["purchased_at"],
        }

    # -- settling orders and expiring reservations -----------------------------------------------------

    async def _settle(self) -> None:
        now = self.clock()
        for order_id in sorted(self._pending):
            order = self.orders[order_id]
            for row in order["phone_numbers"]:
                if row["status"] != "pending" or not row["requirements_met"] or row["_due"] > now:
                    continue
                number = await self._mine(row["phone_number"])
                if number is None:
                    row["status"] = "failure"
                    continue
                state = self._state(number)
                state.update(status="active", activated_at=_stamp(now))
                await self._keep(number, state)
                row["status"], row["requirements_status"] = "success", "approved"
            if all(row["status"] != "pending" for row in order["phone_numbers"]):
                failed = any(row["status"] == "failure" for row in order["phone_numbers"])
                order.update(status="failure" if failed else "success", updated_at=_stamp(now))
                self._pending.discard(order_id)
                await self._complete(order)
        for held in self.reservations.values():
            for row in held["phone_numbers"]:
                if row["status"] == "success" and row["_expires"] <= now:
                    row["status"] = "expired"
                    number = await self._mine(row["phone_number"])
                    if number is not None and self._state(number)["status"] == "reserved":
                        await self._carrier.release(row["phone_number"])

    async def _complete(self, order: dict[str, Any]) -> None:
        """The ``number_order.complete`` event of a settled order, signed as Telnyx signs it."""
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        event = {
            "data": {
                "event_type": "number_order.complete",
                "id": str(uuid.uuid4()),
                "occurred_at": _stamp(self.clock()),
                "record_type": "event",
                "payload": self._public(order),
            },
            "meta": {"attempt": 1, "delivered_to": self.webhook_url or "https://example.com/webhooks"},
        }
        body = json.dumps(event).encode()
        timestamp = str(int(self.clock()))
        signature = Ed25519PrivateKey.from_private_bytes(self.signing_seed).sign(
            timestamp.encode() + b"|" + body
        )
        headers = {
            "content-type": "application/json",
            "telnyx-timestamp": timestamp,
            "telnyx-signature-ed25519": base64.b64encode(signature).decode(),
        }
        self.events.append((headers, body))
        if self.webhook_url is not None:
            try:
                async with httpx.AsyncClient(timeout=5.0) as client:
                    await client.post(self.webhook_url, content=body, headers=headers)
            except httpx.HTTPError:
                pass  # Telnyx would retry to the failover URL; the event stays in ``events``

    @staticmethod
    def _public(doc: dict[str, Any]) -> dict[str, Any]:
        """A document as answered: without the emulator's own keys (``_…``)."""
        return {
            key: [TelnyxEmulation._public(v) if isinstance(v, dict) else v for v in value]
            if isinstance(value, list)
            else value
            for key, value in doc.items()
            if not key.startswith("_")
        }

    # -- search --------------------------------------------------------------------------------------

    def _query(self, given: dict[str, list[str]]) -> SearchQuery | Response | None:
        """The search ``filter[…]`` asks for; None when it can find nothing (a wildcard)."""

        def one(name: str) -> str | None:
            values = given.get(f"filter[{name}]")
            return values[-1] if values else None

        kind = one("phone_number_type") or "local"
        if kind not in _NEUTRAL_TYPES:
            return self.error(
                400, f"{kind!r} is not a phone number type", pointer="/filter/phone_number_type"
            )
        criteria: dict[str, Any] = {
            "country": one("country_code") or "US",
            "number_type": _NEUTRAL_TYPES[kind],
        }
        ndc = one("national_destination_code") or ""
        patterns = {k: one(f"phone_number][{k}") for k in ("starts_with", "ends_with", "contains")}
        if any(p and ("*" in p or "%" in p) for p in patterns.values()):
            return None  # Telnyx finds nothing for a wildcard
        if ndc:
            criteria["area_code"] = ndc
        if patterns["starts_with"] or ndc:
            # With an NDC, a pattern leaves it out.
            criteria["starts_with"] = ndc + (patterns["starts_with"] or "")
        for key in ("ends_with", "contains"):
            if patterns[key]:
                criteria[key] = patterns[key]
        if one("administrative_area"):
            criteria["region"] = one("administrative_area")
        if one("locality"):
            criteria["locality"] = one("locality")
        for feature in given.get("filter[features]", []):
            if feature in ("voice", "sms", "mms", "fax"):
                criteria[feature] = True
        limit = one("limit") or "20"
        criteria["limit"] = min(int(limit), 1000) if limit.isdigit() and int(limit) > 0 else 20
        try:
            return SearchQuery(**criteria)
        except ValueError as exc:
            return self.error(400, reason(exc))

    def _offer(self, offer: AvailableNumber) -> dict[str, Any]:
        caps = offer.capabilities
        regions = [{"region_type": "country_code", "region_name": offer.geography.iso_country or "US"}]
        if offer.geography.region:
            regions.append({"region_type": "state", "region_name": offer.geography.region})
        if offer.geography.locality:
            place = offer.geography.locality.upper()
            regions.append({"region_type": "location", "region_name": f"{place} ({place})"})
        monthly, setup = offer.monthly_price, offer.setup_price
        priced = monthly or setup
        currency = priced.currency if priced is not None else "USD"
        return {
            "record_type": "available_phone_number",
            "phone_number": offer.phone_number,
            "phone_number_type": TYPES.get(offer.number_type, "local"),
            "vanity_format": None,
            "best_effort": False,
            "quickship": False,
            "reservable": True,
            "features": [{"name": n} for n, has in (("sms", caps.sms), ("mms", caps.mms)) if has]
            + [{"name": n} for n, has in (("voice", caps.voice), ("fax", caps.fax)) if has],
            "region_information": regions,
            "cost_information": {
                "upfront_cost": _cost(setup.amount if setup else 0),
                "monthly_cost": _cost(monthly.amount if monthly else 0),
                "currency": currency,
            },
        }

    async def _search(self, request: Request) -> Response:
        refused = await self._enter(request)
        if refused is not None:
            return refused
        query = self._query(_filters(request))
        if isinstance(query, Response):
            return query
        found: list[AvailableNumber] = []
        if query is not None:
            try:
                found = await self._carrier.search(query)
            except NumbersError as exc:
                return self.error(400, reason(exc))
        meta = {"total_results": len(found), "best_effort_results": 0}
        return JSONResponse({"data": [self._offer(n) for n in found], "meta": meta, "metadata": meta})

    # -- number orders -------------------------------------------------------------------------------

    async def _claim(self, e164: str, group: str | None) -> tuple[ActiveNumber, bool] | Response:
        """Take ``e164`` for the account (a number it reserved, or one for sale); whether its papers
        are in order (an approved requirement group where its country and type need one)."""
        number = await self._mine(e164)
        if number is not None:
            if self._state(number)["status"] != "reserved":
                return self.error(409, "Number is no longer available.", pointer="/phone_numbers")
        else:
            try:
                number = await self._carrier.purchase(e164)
            except ComplianceRequiredError:
                try:
                    number = await self._carrier.reserve(e164)
                except NumbersError as exc:
                    return self.error(409, reason(exc), pointer="/phone_numbers")
            except (NumberUnavailableError, ConflictError):
                return self.error(409, "Number is no longer available.", pointer="/phone_numbers")
            except NumbersError as exc:
                return self.error(400, reason(exc), pointer="/phone_numbers")
        country = number.geography.iso_country or "US"
        needed = await self._carrier.requirements(country, number.number_type)
        return number, not needed or group == APPROVED_BUNDLE

    async def _place(self, body: _Order) -> dict[str, Any] | Response:
        """A number order from its body, its numbers taken (all of them, or none)."""
        now = self.clock()
        order_id = str(uuid.uuid4())
        sub_order = str(uuid.uuid4())
        rows: list[dict[str, Any]] = []
        taken: list[str] = []
        for item in body.phone_numbers:
            e164 = item.phone_number
            claimed = (
                await self._claim(e164, item.requirement_group_id)
                if e164.startswith("+") and e164[1:].isdigit()
                else self.error(400, "The phone number must be in +E.164 format.")
            )
            if isinstance(claimed, Response):
                for e164 in taken:  # all or nothing: Telnyx refuses the order whole
                    await self._carrier.release(e164)
                return claimed
            claimed_number, met = claimed
            taken.append(claimed_number.phone_number)
            state = self._state(claimed_number)
            state.update(
                status="purchase-pending" if met else "requirement-info-pending",
                order_id=order_id,
                purchased_at=_stamp(now),
            )
            for key in ("connection_id", "messaging_profile_id", "billing_group_id"):
                if getattr(body, key) is not None:
                    state[key] = getattr(body, key)
            await self._keep(claimed_number, state)
            rows.append(
                {
                    "id": str(uuid.uuid4()),
                    "record_type": "number_order_phone_number",
                    "phone_number": claimed_number.phone_number,
                    "phone_number_type": TYPES.get(claimed_number.number_type, "local"),
                    "country_code": claimed_number.geography.iso_country or "US",
                    "status": "pending",
                    "requirements_met": met,
                    "requirements_status": "approved" if met else "requirement-info-pending",
                    "regulatory_requirements": [],
                    "bundle_id": None,
                    "sub_number_order_id": sub_order,
                    "is_block_number": False,
                    "_due": now + self.settle_delay,
                }
            )
        order = {
            "id": order_id,
            "record_type": "number_order",
            "status": "pending",
            "requirements_met": all(row["requirements_met"] for row in rows),
            "phone_numbers_count": len(rows),
            **body.model_dump(include=set(_Defaults.model_fields)),
            "sub_number_orders_ids": [sub_order],
            "phone_numbers": rows,
            "created_at": _stamp(now),
            "updated_at": _stamp(now),
        }
        self.orders[order_id] = order
        self._pending.add(order_id)
        return order

    async def _orders(self, request: Request) -> Response:
        refused = await self._enter(request)
        if refused is not None:
            return refused
        if request.method == "POST":
            order = await self._place(await read_json(request, _Order))
            if isinstance(order, Response):
                return order
            return JSONResponse({"data": self._public(order)})
        given = _filters(request)
        wanted = given.get("filter[customer_reference]")
        status = given.get("filter[status]")
        found = [
            order
            for order in reversed(self.orders.values())
            if (not wanted or order["customer_reference"] == wanted[-1])
            and (not status or order["status"] == status[-1])
        ]
        page = self._page(given, found)
        if isinstance(page, Response):
            return page
        items, meta = page
        listed = [
            {
                **{k: v for k, v in self._public(order).items() if k != "phone_numbers"},
                "phone_numbers": [
                    {"id": r["id"], "phone_number": r["phone_number"]} for r in order["phone_numbers"]
                ],
            }
            for order in items
        ]
        return JSONResponse({"data": listed, "meta": meta})

    async def _order(self, request: Request) -> Response:
        refused = await self._enter(request)
        if refused is not None:
            return refused
        order = self.orders.get(request.path_params["order"])
        if order is None:
            return self.error(404, "The requested resource or URL could not be found.")
        return JSONResponse({"data": self._public(order)})

    def _page(
        self,
        given: dict[str, list[str]],
        items: list[Any],
        *,
        names: tuple[str, str] = ("page[number]", "page[size]"),
    ) -> tuple[list[Any], dict[str, int]] | Response:
        number_text = (given.get(names[0]) or ["1"])[-1]
        size_text = (given.get(names[1]) or ["20"])[-1]
        if not number_text.isdigit() or not size_text.isdigit() or int(number_text) < 1:
            return self.error(400, "page[number] and page[size] must be whole numbers", pointer="/page")
        number, size = int(number_text), int(size_text)
        if not 1 <= size <= _MAX_PAGE:
            return self.error(400, f"page[size] must be between 1 and {_MAX_PAGE}", pointer="/page/size")
        pages = max(1, -(-len(items) // size))
        start = (number - 1) * size
        meta = {"page_number": number, "page_size": size, "total_pages": pages, "total_results": len(items)}
        return items[start : start + size], meta

    # -- inexplicit orders ----------------------------------------------------------------------------

    async def _inexplicit(self, request: Request) -> Response:
        refused = await self._enter(request)
        if refused is not None:
            return refused
        if request.method == "GET":
            page = self._page(
                _filters(request),
                list(reversed(self.inexplicit.values())),
                names=("page_number", "page_size"),
            )
            if isinstance(page, Response):
                return page
            items, meta = page
            return JSONResponse({"data": [self._public(doc) for doc in items], "meta": meta})
        body = await read_json(request, _Inexplicit)
        if len(body.ordering_groups) != 1:
            return self.error(
                422, "ordering_groups: the emulator takes one group", pointer="/ordering_groups"
            )
        [group] = body.ordering_groups
        kind = group.phone_number_type
        if kind not in ("local", "toll_free"):
            return self.error(422, "inexplicit orders are for US and CA local and toll-free numbers")
        criteria: dict[str, Any] = {"country": group.country_iso, "number_type": _NEUTRAL_TYPES[kind]}
        pattern = group.phone_number or _Pattern()
        for key in ("starts_with", "ends_with", "contains"):
            if getattr(pattern, key):
                criteria[key] = getattr(pattern, key)
        for given, key in (
            (group.national_destination_code, "area_code"),
            (group.administrative_area, "region"),
            (group.locality, "locality"),
        ):
            if given:
                criteria[key] = given
        for feature in group.features or []:
            if feature in ("voice", "sms", "mms", "fax"):
                criteria[feature] = True
        now = self.clock()
        doc: dict[str, Any] = {
            "id": str(uuid.uuid4()),
            **body.model_dump(include=set(_Defaults.model_fields)),
            "created_at": _stamp(now),
            "updated_at": _stamp(now),
            "ordering_groups": [
                {
                    "country_iso": group.country_iso,
                    "phone_number_type": kind,
                    "count_requested": 1,
                    "count_allocated": 0,
                    "strategy": group.strategy,
                    "status": "processing",
                    "orders": [],
                    "error_reason": None,
                    "created_at": _stamp(now),
                    "updated_at": _stamp(now),
                }
            ],
        }
        try:
            chosen = await self._carrier.purchase_any(SearchQuery(**criteria))
        except NumbersError as exc:
            doc["ordering_groups"][0].update(status="failed", error_reason=reason(exc))
        else:
            # Held for the number order made for it, which is shown at the next look.
            state = self._state(chosen)
            state["status"] = "reserved"
            await self._keep(chosen, state)
            placed = await self._place(
                _Order(
                    connection_id=body.connection_id,
                    messaging_profile_id=body.messaging_profile_id,
                    phone_numbers=[_Ordered(phone_number=chosen.phone_number)],
                )
            )
            if isinstance(placed, Response):
                doc["ordering_groups"][0].update(status="failed", error_reason="the number was taken")
            else:
                doc["_order"] = placed["id"]
        self.inexplicit[doc["id"]] = doc
        return JSONResponse({"data": self._public(doc)})

    async def _inexplicit_one(self, request: Request) -> Response:
        refused = await self._enter(request)
        if refused is not None:
            return refused
        doc = self.inexplicit.get(request.path_params["order"])
        if doc is None:
            return self.error(404, "The requested resource or URL could not be found.")
        group = doc["ordering_groups"][0]
        if "_order" in doc and not group["orders"]:
            order = self.orders[doc["_order"]]
            group.update(
                status="success",
                count_allocated=1,
                orders=[
                    {"number_order_id": order["id"], "sub_number_order_ids": order["sub_number_orders_ids"]}
                ],
            )
        return JSONResponse({"data": self._public(doc)})

    # -- reservations -----------------------------------------------------------------------------------

    async def _reservations(self, request: Request) -> Response:
        refused = await self._enter(request)
        if refused is not None:
            return refused
        if request.method == "GET":
            given = _filters(request)
            wanted = given.get("filter[customer_reference]")
            found = [
                doc
                for doc in reversed(self.reservations.values())
                if not wanted or doc["customer_reference"] == wanted[-1]
            ]
            page = self._page(given, found)
            if isinstance(page, Response):
                return page
            items, meta = page
            return JSONResponse({"data": [self._public(doc) for doc in items], "meta": meta})
        body = await read_json(request, _Reservation)
        now = self.clock()
        rows = []
        for item in body.phone_numbers:
            e164 = item.phone_number
            row: dict[str, Any] = {
                "id": str(uuid.uuid4()),
                "record_type": "reserved_phone_number",
                "phone_number": e164,
                "status": "success",
                "created_at": _stamp(now),
                "updated_at": _stamp(now),
                "expired_at": _stamp(now + self.reservation_lifetime),
                "_expires": now + self.reservation_lifetime,
            }
            try:
                held = await self._carrier.reserve(str(e164))
            except NumbersError as exc:
                row.update(status="failure", errors=reason(exc) or "Number is already on hold")
            else:
                state = self._state(held)
                state["status"] = "reserved"
                await self._keep(held, state)
            rows.append(row)
        failed = sum(row["status"] == "failure" for row in rows)
        doc = {
            "id": str(uuid.uuid4()),
            "record_type": "number_reservation",
            "status": "failure" if failed == len(rows) else "success",
            "customer_reference": body.customer_reference,
            "phone_numbers": rows,
            "created_at": _stamp(now),
            "updated_at": _stamp(now),
        }
        self.reservations[str(doc["id"])] = doc
        return JSONResponse({"data": self._public(doc)})

    async def _reservation(self, request: Request) -> Response:
        refused = await self._enter(request)
        if refused is not None:
            return refused
        doc = self.reservations.get(request.path_params["reservation"])
        if doc is None:
            return self.error(404, "The requested resource or URL could not be found.")
        return JSONResponse({"data": self._public(doc)})

    async def _extend(self, request: Request) -> Response:
        refused = await self._enter(request)
        if refused is not None:
            return refused
        doc = self.reservations.get(request.path_params["reservation"])
        if doc is None:
            return self.error(404, "The requested resource or URL could not be found.")
        await read_json(request, _Open)  # the document gives it no body: any object's fields are ignored
        for row in doc["phone_numbers"]:
            if row["status"] == "success":
                row["_expires"] += self.reservation_lifetime
                row["expired_at"] = _stamp(row["_expires"])
        return JSONResponse({"data": self._public(doc)})

    # -- owned numbers -----------------------------------------------------------------------------------

    async def _listed(self, contains: str | None = None) -> list[ActiveNumber]:
        """The account's numbers Telnyx lists (not those only reserved), newest first; those whose
        digits hold ``contains`` only, when given (the store picks them: a look-up of one number
        does not read the whole account)."""
        numbers = [n async for n in self._carrier.list(**({"contains": contains} if contains else {}))]
        return [n for n in reversed(numbers) if self._state(n)["status"] in _LISTED]

    async def _list(self, request: Request) -> Response:
        refused = await self._enter(request)
        if refused is not None:
            return refused
        given = _filters(request)
        digits = _last(given, "filter[phone_number]")
        if digits is not None and len(digits) < 3 and digits.isdigit():
            return self.error(400, "filter[phone_number] requires at least three digits")
        # Anything but digits matches nothing, as at Telnyx ("+1…" finds none); nor do more digits
        # than a number has (15).
        matches_none = digits is not None and (not digits.isdigit() or len(digits) > 15)
        numbers = [] if matches_none else await self._listed(digits)
        country = given.get("filter[country_iso_alpha2]")
        if country:
            numbers = [n for n in numbers if (n.geography.iso_country or "US") in country]
        kind = _last(given, "filter[number_type][eq]")
        if kind is not None:
            numbers = [n for n in numbers if TYPES.get(n.number_type) == kind]
        page = self._page(given, numbers)
        if isinstance(page, Response):
            return page
        items, meta = page
        return JSONResponse({"data": [self._doc(n) for n in items], "meta": meta})

    async def _by_id(self, request: Request) -> ActiveNumber | Response:
        refused = await self._enter(request)
        if refused is not None:
            return refused
        wanted = request.path_params["id"]
        for number in await self._listed():
            if self._state(number)["id"] == wanted:
                return number
        return self.error(404, "The requested resource or URL could not be found.")

    async def _number(self, request: Request) -> Response:
        number = await self._by_id(request)
        if isinstance(number, Response):
            return number
        if request.method == "GET":
            return JSONResponse({"data": self._doc(number)})
        if request.method == "DELETE":
            gone = self._doc(number, "deleted")
            await self._carrier.release(number.phone_number)
            return JSONResponse({"data": gone})
        body = (await read_json(request, _NumberChange)).model_dump(exclude_unset=True)
        state = self._state(number)
        if "connection_id" in body:
            state["connection_id"] = body["connection_id"] or ""
        if "billing_group_id" in body:
            state["billing_group_id"] = body["billing_group_id"] or None
        if "tags" in body:
            state["tags"] = body["tags"] or []
        fields = {}
        if "customer_reference" in body:
            fields["friendly_name"] = body["customer_reference"] or None
        return JSONResponse({"data": self._doc(await self._keep(number, state, **fields))})

    async def _messaging(self, request: Request) -> Response:
        number = await self._by_id(request)
        if isinstance(number, Response):
            return number
        state = self._state(number)
        if request.method == "PATCH":
            profile = (await read_json(request, _MessagingChange)).messaging_profile_id
            if profile is not None:  # null keeps, "" unassigns
                state["messaging_profile_id"] = profile
            number = await self._keep(number, state)
        doc = {
            "id": state["id"],
            "record_type": "messaging_settings",
            "phone_number": number.phone_number,
            "messaging_profile_id": state["messaging_profile_id"] or None,
            "country_code": number.geography.iso_country or "US",
            "type": "longcode",
            "eligible_messaging_products": ["A2P"],
            "traffic_type": "A2P",
            "messaging_product": "A2P",
            "created_at": state["purchased_at"],
            "updated_at": _stamp(self.clock()),
        }
        return JSONResponse({"data": doc})

    async def _enable_emergency(self, request: Request) -> Response:
        number = await self._by_id(request)
        if isinstance(number, Response):
            return number
        body = await read_json(request, _EnableEmergency)
        address = body.emergency_address_id
        if not body.emergency_enabled or not address:
            return self.error(422, "emergency_enabled and emergency_address_id are required")
        try:
            number = await self._carrier.configure(
                number.phone_number, NumberConfig(emergency_address_id=address)
            )
        except NumbersError as exc:
            return self.error(422, reason(exc), pointer="/emergency_address_id")
        state = self._state(number)
        state.update(emergency_enabled=True, emergency_address_id=address, emergency_status="active")
        number = await self._keep(number, state)
        doc = {
            "id": state["id"],
            "record_type": "voice_settings",
            "phone_number": number.phone_number,
            "connection_id": state["connection_id"] or None,
            "emergency": {
                "emergency_enabled": True,
                "emergency_address_id": address,
                "emergency_status": "active",
            },
        }
        return JSONResponse({"data": doc})

    async def _emergency_job(self, request: Request) -> Response:
        refused = await self._enter(request)
        if refused is not None:
            return refused
        body = await read_json(request, _EmergencyJob)
        wanted = body.phone_numbers
        if body.emergency_enabled:
            return self.error(422, "the emulator's job turns emergency services off: emergency_enabled false")
        done, failed = [], []
        for number in await self._listed():
            state = self._state(number)
            if state["id"] in wanted or number.phone_number in wanted:
                await self._carrier.configure(number.phone_number, NumberConfig(emergency_address_id=None))
                state.update(emergency_enabled=False, emergency_address_id="", emergency_status="disabled")
                await self._keep(number, state)
                done.append({"id": state["id"], "phone_number": number.phone_number})
        for given in wanted:
            if not any(given in (d["id"], d["phone_number"]) for d in done):
                failed.append(
                    {"id": str(given), "errors": [{"code": "10005", "title": "Resource not found"}]}
                )
        now = _stamp(self.clock())
        job = {
            "id": str(uuid.uuid4()),
            "record_type": "phone_numbers_job",
            "type": "update_emergency_settings",
            "status": "completed",
            "successful_operations": done,
            "failed_operations": failed,
            "pending_operations": [],
            "phone_numbers": [{"phone_number": d["phone_number"]} for d in done],
            "created_at": now,
            "updated_at": now,
            "etc": None,
        }
        return JSONResponse({"data": job}, status_code=202)

    # -- coverage and requirements -------------------------------------------------------------------------

    async def _coverage_of(self, entry: Any) -> dict[str, Any]:
        types = sorted(TYPES[kind] for kind in entry.number_types if kind in TYPES)
        return {
            "code": entry.country,
            "numbers": bool(types),
            "phone_number_type": types,
            "features": ["voice", "sms"],
            "inventory_coverage": True,
            "international_sms": False,
            "p2p": False,
            "quickship": False,
            "reservable": True,
            "region": "AMER" if entry.country in ("US", "CA") else "EMEA",
            "local": {},
            "mobile": {},
            "national": {},
            "shared_cost": {},
            "toll_free": {},
        }

    async def _coverage(self, request: Request) -> Response:
        refused = await self._enter(request)
        if refused is not None:
            return refused
        entries = await self._carrier.coverage()
        return JSONResponse(
            {"data": {entry.name or entry.country: await self._coverage_of(entry) for entry in entries}}
        )

    async def _country(self, request: Request) -> Response:
        refused = await self._enter(request)
        if refused is not None:
            return refused
        wanted = request.path_params["country"].upper()
        for entry in await self._carrier.coverage():
            if entry.country == wanted:
                return JSONResponse({"data": await self._coverage_of(entry)})
        return self.error(404, f"No coverage for {wanted}.")

    async def _requirements(self, request: Request) -> Response:
        refused = await self._enter(request)
        if refused is not None:
            return refused
        given = _filters(request)
        country = (_last(given, "filter[country_code]") or "").upper()
        kind = _last(given, "filter[phone_number_type]")
        docs = []
        if country:
            try:
                found = await self._carrier.requirements(
                    country, _NEUTRAL_TYPES.get(kind or "") if kind else None
                )
            except NumbersError as exc:
                return self.error(400, reason(exc), pointer="/filter/country_code")
            by_type: dict[NumberType, list[Any]] = {}
            for requirement in found:
                by_type.setdefault(requirement.number_type, []).append(requirement)
            for number_type, needs in by_type.items():
                if number_type not in (NumberType.LOCAL, NumberType.NATIONAL, NumberType.TOLL_FREE):
                    continue
                ident = uuid.uuid5(uuid.NAMESPACE_URL, f"telnyx/{country}/{number_type.value}")
                docs.append(
                    {
                        "id": str(ident),
                        "record_type": "requirement",
                        "action": "ordering",
                        "country_code": country,
                        "phone_number_type": TYPES[number_type],
                        "locality": None,
                        "requirement_types": [
                            {
                                "id": str(uuid.uuid5(ident, need.kind.value)),
                                "record_type": "requirement_type",
                                "name": need.name,
                                "description": f"{need.name}, given in a requirement group",
                                "type": "address" if "address" in need.kind.value else "document",
                                "example": None,
                                "acceptance_criteria": {},
                                "created_at": "2021-04-09T22:25:27.521Z",
                                "updated_at": "2021-04-09T22:25:27.521Z",
                            }
                            for need in needs
                        ],
                        "version": 1,
                        "effective_start_at": None,
                        "effective_end_at": None,
                        "created_at": "2021-04-09T22:25:27.521Z",
                        "updated_at": "2021-04-09T22:25:27.521Z",
                    }
                )
        page = self._page(given, docs)
        if isinstance(page, Response):
            return page
        items, meta = page
        return JSONResponse({"data": items, "meta": meta})
