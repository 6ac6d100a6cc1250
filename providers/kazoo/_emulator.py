"""Kazoo's Crossbar v2 (phone numbers, callflows, authentication), emulated: registered as ``kazoo``.

Sessions from ``PUT /v2/api_auth`` (the account's API key) and
``PUT /v2/user_auth`` (md5 of ``user:password`` and the account name):
JWTs with an ``exp`` ``token_lifetime`` seconds ahead, refused with 401 once
expired. Numbers: prefix search, activation (with the 402 charge quote when
``charges`` is set, until the client accepts them: a list of invoices as
Kazoo 4.3 and later quote, or one object per category as 4.0 to 4.2 do,
by ``version``), listing by
``start_key`` / ``next_start_key``, documents merged by PATCH and replaced
by POST, release to ``available``, Kazoo's errors (``bad_identifier`` for a
number it cannot find, ``number_exists``, ``too_many_requests``), and
collections answering 200 with a ``success`` and an ``error`` map (the
number manager's ``not_found`` for each number it cannot find). Callflows
hold numbers for routing. Reservations (``PUT …/{n}/reserve``: state
``reserved``, the same 402 dry run as an activation, ``no_change_required``
when reserved already), which an activation puts in service. A body
Crossbar cannot read, or whose shape its schemas refuse (the envelope, the
number document with its e911 block, the logins), is a 400 ``validation
error`` keyed by field and rule, before anything is done.

A number's public document (feature blocks, ``friendly_name``, custom keys)
is kept in the sandbox's ``config.extra["kazoo"]``, so in the state file too.
Its ``e911`` block is the sandbox's emergency registration: an address the
sandbox cannot use is refused as Kazoo's e911 provider refuses one it cannot
locate (400 ``invalid``, "Location is not geocoded"), a number the sandbox
registers no address for with 403 ``forbidden``; a registered one reads
back tidied, with ``status`` ``PROVISIONED``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal

from numbers_core import ActiveNumber, EmergencyStatus, NumberConfig, NumberStatus, SearchQuery
from numbers_core.adapter import Malformed, region_of
from numbers_core.emulator import BadRequest, Dialect, Emulator, Shape, read_json, reason
from numbers_core.errors import (
    AddressValidationError,
    ConflictError,
    NotFoundError,
    NumbersError,
    NumberUnavailableError,
    ProviderError,
)
from pydantic import ConfigDict, Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute
from starlette.routing import Route as Path

from ._codec import E911_KEY, BadConfig, e911_address, e911_block

__all__ = ["KazooEmulation", "Price"]

_GREGORIAN_UNIX = 62_167_219_200  # Kazoo's timestamps count seconds from year 0
_LIST_PAGE = 50
_SEARCH_MAX = 500
# Keys of a number's document that Kazoo sets itself: a request's are dropped.
_KAZOO_SETS = frozenset({"id", "used_by", "state", "features"})
# The e911 blocks of Kazoo 3.x's providers, which Kazoo 4 copies to "e911" (the Vitelity one wins).
_LEGACY_E911 = ("dash_e911", "vitelity_e911")
_STATES = {NumberStatus.RESERVED: "reserved"}
# A request's e911 left as it was (PATCH without the key).
_UNCHANGED: Any = object()
Missing = Callable[[str], Response]


# -- request bodies, as Kazoo's schemas have them (phone_numbers, api_auth, user_auth) -----------------


class _Open(Shape):
    """An object of Kazoo's schemas: the keys they name typed, any other key kept (custom keys)."""

    model_config = ConfigDict(extra="allow")


Text = Annotated[str, Field(min_length=1)]


class _Cnam(_Open):
    display_name: Annotated[str, Field(min_length=1, max_length=15)] | None = None
    inbound_lookup: bool | None = None


class _LegacyE911(_Open):
    house_number: str | None = None
    predirectional: str | None = None
    streetname: str | None = None
    suite: str | None = None


class _E911(_Open):
    street_address: str
    locality: str
    region: Annotated[str, Field(min_length=2, max_length=2)]
    postal_code: str
    extended_address: str | None = None
    caller_name: Annotated[str, Field(min_length=3)] | None = None
    notification_contact_emails: list[str] | None = None
    # What Kazoo adds itself, read back and sent again by a client that GETs then POSTs.
    activated_time: str | None = None
    latitude: str | None = None
    longitude: str | None = None
    location_id: str | None = None
    plus_four: str | None = None
    legacy_data: _LegacyE911 | None = None
    status: Literal["INVALID", "GEOCODED", "PROVISIONED", "REMOVED", "ERROR"] | None = None


class _Prepend(_Open):
    enabled: bool | None = None
    name: str | None = None
    number: str | None = None


class _Failover(_Open):
    e164: str | None = None
    sip: str | None = None


class _Ringback(_Open):
    early: str | None = None
    transfer: str | None = None


class _Porting(_Open):
    billing_account_id: str | None = None
    billing_extended_address: str | None = None
    billing_locality: str | None = None
    billing_name: str | None = None
    billing_postal_code: str | None = None
    billing_region: str | None = None
    billing_street_address: str | None = None
    billing_telephone_number: str | None = None
    comments: list[str] | None = None
    customer_contact: str | None = None
    port_id: str | None = None
    requested_port_date: str | None = None
    service_provider: str | None = None


class _Public(_Open):
    """A number's public fields (``null``: remove the key, as PATCH merges), custom keys kept."""

    carrier_name: Annotated[str, Field(min_length=1, max_length=30)] | None = None
    cnam: _Cnam | None = None
    create_with_state: (
        Literal[
            "aging",
            "available",
            "deleted",
            "discovery",
            "in_service",
            "port_in",
            "port_out",
            "released",
            "reserved",
        ]
        | None
    ) = None
    e911: _E911 | None = None
    dash_e911: _E911 | None = None
    vitelity_e911: _E911 | None = None
    porting: _Porting | None = None
    prepend: _Prepend | None = None
    failover: _Failover | None = None
    ringback: _Ringback | None = None
    force_outbound: bool | None = None
    sms: dict[str, Any] | None = None
    mms: dict[str, Any] | None = None


class _Numbers(_Public):
    numbers: Annotated[list[Text], Field(min_length=1)]


class _Envelope(_Open):
    """Crossbar's request envelope: ``data``, and ``accept_charges`` after a 402."""

    accept_charges: bool | None = None
    auth_token: str | None = None
    verb: str | None = None


class _Change(_Envelope):
    data: _Public


class _Activation(_Envelope):
    data: _Public = _Public()  # optional: activating a number sets nothing else


class _Collection(_Envelope):
    data: _Numbers


class _ApiKey(_Open):
    api_key: Annotated[str, Field(min_length=64, max_length=64)]


class _UserLogin(_Open):
    credentials: Annotated[str, Field(min_length=1, max_length=64)]
    account_name: Annotated[str, Field(min_length=1, max_length=128)] | None = None
    account_realm: Annotated[str, Field(min_length=4, max_length=253)] | None = None
    phone_number: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    method: Literal["md5", "sha"] | None = None


class _ApiAuth(_Envelope):
    data: _ApiKey


class _UserAuth(_Envelope):
    data: _UserLogin


class _Callflow(_Open):
    numbers: list[Text] | None = None


class _CallflowChange(_Envelope):
    data: _Callflow


def _jwt(account: str, exp: float) -> str:
    def part(value: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    claims = {"account_id": account, "exp": int(exp), "jti": secrets.token_hex(8)}
    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part(claims)}.{secrets.token_urlsafe(16)}"


@dataclass(frozen=True, slots=True)
class Price:
    """What the account's service plan charges for each number of one classifier (Kazoo names no
    currency): ``rate`` a month, ``activation`` once."""

    rate: float
    activation: float = 0.0
    item: str = "did_us"
    category: str = "phone_numbers"


def _fields(data: _Open) -> dict[str, Any]:
    """The fields a request's ``data`` gives, custom keys included, as plain JSON values."""
    return data.model_dump(exclude_unset=True)


class KazooEmulation(Dialect):
    """Kazoo: one account with an API key and a user login; ``charges``: the price a 402 quotes."""

    name: ClassVar[str] = "kazoo"

    def __init__(self, emulator: Emulator) -> None:
        super().__init__(emulator)
        self.account = hashlib.blake2b(b"kazoo/account", digest_size=16).hexdigest()
        self.api_key = hashlib.blake2b(b"kazoo/api-key", digest_size=32).hexdigest()
        self.username, self.password, self.account_name = "admin", "emulated-Pa55", "Emulated Telecom"
        self.token_lifetime = 3600.0
        #: activations answer 402 with a quote at this price until the request accepts charges
        self.charges: Price | None = None
        #: the Kazoo release answering, where releases differ: a 402's quote is a list of invoices
        #: from 4.3 on (and on master), one object per category before
        self.version = (4, 3)
        self.tokens: dict[str, tuple[str, float]] = {}
        self.logins = 0
        self.callflows: dict[str, dict[str, Any]] = {}
        self.clock = time.time

    def client_settings(self, base_url: str) -> dict[str, Any]:
        return {"base_url": base_url, "account_id": self.account, "api_key": self.api_key}

    def describe(self) -> dict[str, Any]:
        return {"account": self.account, "logins": self.logins, "callflows": sorted(self.callflows)}

    def reset(self) -> None:
        self.tokens.clear()
        self.logins = 0
        self.callflows.clear()

    def add_callflow(self, callflow_id: str, *numbers: str) -> None:
        self.callflows[callflow_id] = {
            "id": callflow_id,
            "name": f"flow {callflow_id[:4]}",
            "numbers": list(numbers),
            "flow": {"module": "user", "data": {"id": "u1"}},
        }

    # -- answers -------------------------------------------------------------------------------

    def _envelope(self, data: Any, status: int = 200, **extra: Any) -> Response:
        body = {
            "data": data,
            "status": "success",
            "request_id": secrets.token_hex(16),
            "revision": "1",
            **extra,
        }
        return JSONResponse(body, status_code=status)

    def error(
        self, status: int, message: str, *, retry_after: int | None = None, data: Any = None
    ) -> Response:
        if status == 429:
            # Crossbar says the same of every empty token bucket (cb_context's too_many_requests).
            message, data = "too_many_requests", {"message": "too many requests"}
        body = {
            "error": str(status),
            "message": message,
            "data": data if data is not None else {"message": message},
            "status": "error",
            "request_id": secrets.token_hex(16),
        }
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
        return JSONResponse(body, status_code=status, headers=headers)

    def bad_request(self, request: Request, refusal: BadRequest) -> Response:
        """Crossbar's 400 "validation error": ``data`` keyed by field (within ``data``), then by the
        schema rule broken; a body it cannot read at all is keyed by what is wrong (json, …)."""
        if refusal.status != 400:
            return self.error(refusal.status, refusal.message)
        data: dict[str, Any] = {}
        for violation in refusal.violations:
            key = violation.field.removeprefix("data.") or violation.rule
            rule = violation.rule if violation.field else "invalid"
            data.setdefault(key, {})[rule] = {"message": violation.description}
        return self.error(400, "validation error", data=data)

    def _knm(self, status: int, name: str, cause: str | None = None) -> Response:
        data: dict[str, Any] = {"code": status, "error": name, "message": name.replace("_", " ")}
        if cause is not None:
            data["cause"] = cause
        return self.error(status, name, data=data)

    def _not_found(self, e164: str) -> Response:
        """The number manager's error for a number it does not have, as a collection's item gives it."""
        return self._knm(404, "not_found", e164)

    def _bad_identifier(self, e164: str) -> Response:
        """Crossbar's answer to a request on one number it cannot find (cb_phone_numbers)."""
        return self.error(
            404,
            "bad_identifier",
            data={"message": "bad identifier", "not_found": "The number could not be found"},
        )

    def account_of(self, request: Request) -> str | None:
        session = self.tokens.get(request.headers.get("x-auth-token", ""))
        return session[0] if session is not None else None

    def routes(self) -> list[BaseRoute]:
        numbers = "/v2/accounts/{account}/phone_numbers"
        return [
            Path("/v2/api_auth", self._login, methods=["PUT"]),
            Path("/v2/user_auth", self._login, methods=["PUT"]),
            # The account-less search, as Kazoo's documents show it with no token.
            Path("/v2/phone_numbers", self._numbers, methods=["GET"]),
            Path(numbers, self._numbers, methods=["GET"]),
            Path(f"{numbers}/collection/activate", self._collection, methods=["PUT"]),
            Path(f"{numbers}/collection", self._collection, methods=["PATCH", "DELETE"]),
            Path(f"{numbers}/{{number}}/activate", self._activate_one, methods=["PUT"]),
            Path(f"{numbers}/{{number}}/reserve", self._reserve, methods=["PUT"]),
            Path(f"{numbers}/{{number}}", self._one, methods=["GET", "POST", "PATCH", "DELETE"]),
            Path("/v2/accounts/{account}/callflows", self._callflow_list, methods=["GET"]),
            Path("/v2/accounts/{account}/callflows/{callflow}", self._callflow, methods=["GET", "PATCH"]),
        ]

    # -- authentication --------------------------------------------------------------------------

    async def _login(self, request: Request) -> Response:
        if request.url.path.endswith("api_auth"):
            ok = (await read_json(request, _ApiAuth)).data.api_key == self.api_key
        else:
            login = (await read_json(request, _UserAuth)).data
            expected = hashlib.md5(f"{self.username.lower()}:{self.password}".encode()).hexdigest()  # noqa: S324 - Kazoo's scheme
            ok = login.credentials == expected and login.account_name == self.account_name
        if not ok:
            return self.error(401, "invalid credentials")
        self.logins += 1
        expires = self.clock() + self.token_lifetime
        token = _jwt(self.account, expires)
        self.tokens[token] = (self.account, expires)
        auth = {"account_id": self.account, "owner_id": "u1", "reseller_id": "r1", "is_reseller": False}
        return self._envelope(auth, auth_token=token)

    def _session(self, request: Request) -> Response | None:
        session = self.tokens.get(request.headers.get("x-auth-token", ""))
        if session is None or session[1] <= self.clock():
            return self.error(401, "invalid credentials")
        if request.path_params.get("account") != session[0]:
            return self.error(403, "forbidden")
        return None

    # -- documents -------------------------------------------------------------------------------

    @staticmethod
    def _public(number: ActiveNumber) -> dict[str, Any]:
        kept = number.config.extra.get("kazoo")
        return dict(kept) if isinstance(kept, dict) else {}

    def _document(self, number: ActiveNumber, state: str | None = None) -> dict[str, Any]:
        state = state or _STATES.get(number.status, "in_service")
        public = {key: value for key, value in self._public(number).items() if key != E911_KEY}
        e911 = self._e911(number)
        if e911 is not None:
            public[E911_KEY] = e911
        created = int(number.created_at.timestamp()) + _GREGORIAN_UNIX if number.created_at else None
        modified = int(number.updated_at.timestamp()) + _GREGORIAN_UNIX if number.updated_at else created
        features = sorted(key for key in public if key in ("cnam", "e911", "failover", "prepend", "porting"))
        return {
            "id": number.phone_number,
            "state": state,
            "features": features,
            **public,
            "_read_only": {"created": created, "modified": modified, "state": state, "features": features},
        }

    @staticmethod
    def _public_fields(data: dict[str, Any]) -> dict[str, Any]:
        """What Kazoo keeps of a request's ``data``: its public keys, without the number's id and
        what Kazoo itself sets; a legacy e911 block (3.x's ``dash_e911``) copied to ``e911``."""
        public = {
            key: value
            for key, value in data.items()
            if key not in _KAZOO_SETS and not key.startswith(("_", "pvt_"))
        }
        for legacy in _LEGACY_E911:
            if public.get(legacy):
                public["e911"] = public[legacy]
        return public

    async def _keep(
        self, number: ActiveNumber, public: dict[str, Any], e911: Any = _UNCHANGED
    ) -> ActiveNumber:
        """Keep ``public`` as the number's document, and ``e911`` (a block, None to remove it) as its
        emergency registration; the sandbox's refusals of the address are raised."""
        config = self._config(public, number.phone_number, e911)
        return await self.world.account(number.account_id or self.account).configure(
            number.phone_number, config
        )

    @staticmethod
    def _config(public: dict[str, Any], e164: str, e911: Any = _UNCHANGED) -> NumberConfig:
        """What the sandbox keeps of a document: its public fields, and its e911 block as the
        emergency address (in the number's country: the block names none)."""
        kept = {key: value for key, value in public.items() if key != E911_KEY}
        if e911 is _UNCHANGED:
            return NumberConfig(extra={"kazoo": kept})
        address = None if e911 is None else e911_address(e911, region_of(e164))
        return NumberConfig(extra={"kazoo": kept}, emergency_address=address)

    @staticmethod
    def _e911(number: ActiveNumber) -> dict[str, Any] | None:
        """The number's e911 block, from the sandbox's registration: provisioned."""
        registration = number.emergency
        if registration is None or registration.address is None:
            return None
        if registration.status is not EmergencyStatus.ACTIVE:
            return None
        try:
            return {**e911_block(registration.address), "status": "PROVISIONED"}
        except BadConfig:  # registered by another dialect, in a shape Kazoo's block cannot say
            return None

    def _e911_refused(self, error: Exception, e911: Any) -> Response | None:
        """Kazoo's answer to an e911 block the sandbox would not register, if that is the error."""
        if isinstance(error, AddressValidationError | Malformed):
            # As the Dash provider refuses an address it cannot locate: its reason and the address.
            cause = f"Location is not geocoded: {reason(error)} ({json.dumps(e911, sort_keys=True)})"
            return self._knm(400, "invalid", cause)
        if isinstance(error, ProviderError) and error.code == "emergency-unavailable":
            return self._forbidden(reason(error))
        return None

    def _forbidden(self, cause: str) -> Response:
        """knm_errors' unauthorized: a feature the number may not have."""
        data = {
            "code": 403,
            "error": "forbidden",
            "message": "requestor is unauthorized to perform operation",
            "cause": cause,
        }
        return self.error(403, "forbidden", data=data)

    # -- numbers ---------------------------------------------------------------------------------

    async def _numbers(self, request: Request) -> Response:
        query = request.query_params
        if "account" not in request.path_params and "prefix" not in query:
            return self.error(400, "validation error", data={"prefix": {"required": {"message": "required"}}})
        refused = self._session(request) if "account" in request.path_params else None
        if refused is not None:
            return refused
        carrier = self.world.account(request.path_params.get("account", self.account))
        if "prefix" in query:
            prefix = query["prefix"]
            if not 3 <= len(prefix) <= 10:
                return self.error(
                    400, "validation error", data={"prefix": {"maxLength": {"message": "3 to 10"}}}
                )
            quantity = query.get("quantity", "1")
            offset = query.get("offset", "0")
            if not quantity.isdigit() or not offset.isdigit():
                return self.error(
                    400, "validation error", data={"quantity": {"type": {"message": "integer"}}}
                )
            wanted = prefix.removeprefix("+1").removeprefix("+")
            count = min(int(quantity), _SEARCH_MAX)
            try:
                found = await carrier.search(
                    SearchQuery(starts_with=wanted, limit=min(int(offset) + count, 1000))
                )
            except (NumbersError, ValueError) as exc:
                return self.error(400, f"validation error: {reason(exc)}")
            offers = found[int(offset) : int(offset) + count]
            return self._envelope([{"number": n.phone_number, "state": "discovery"} for n in offers])
        size_text = query.get("page_size", str(_LIST_PAGE))
        if not size_text.isdigit() or int(size_text) < 1:
            return self.error(400, "validation error", data={"page_size": {"minimum": {"message": "1"}}})
        start = 0
        if "start_key" in query:
            try:
                start = int(base64.b64decode(query["start_key"], validate=True))
            except ValueError:
                return self.error(400, "invalid start_key")
        filters = {k.removeprefix("filter_"): v for k, v in query.items() if k.startswith("filter_")}
        owned = [n async for n in carrier.list()]
        docs = {n.phone_number: self._document(n) for n in owned}
        mine = [e164 for e164, doc in docs.items() if all(str(doc.get(k)) == v for k, v in filters.items())]
        size = int(size_text)
        page = mine[start : start + size]
        rows = {
            e164: {
                "state": docs[e164]["state"],
                "assigned_to": request.path_params["account"],
                "used_by": docs[e164].get("used_by", ""),
                "features": docs[e164]["features"],
                "created": docs[e164]["_read_only"]["created"],
                "updated": docs[e164]["_read_only"]["modified"],
            }
            for e164 in page
        }
        extra: dict[str, Any] = {"page_size": len(rows), "start_key": query.get("start_key", "")}
        if start + size < len(mine):
            extra["next_start_key"] = base64.b64encode(str(start + size).encode()).decode()
        return self._envelope({"numbers": rows, "cascade_quantity": len(mine)}, **extra)

    async def _activate(
        self, account: str, e164: str, data: dict[str, Any], accept: bool, missing: Missing
    ) -> Response:
        held = await self._holding(account, e164)
        if isinstance(held, Response):
            return held
        if held is not None and held.status is not NumberStatus.RESERVED:
            return self._envelope(self._document(held))  # in service here already: free
        public = {k: v for k, v in self._public_fields(data).items() if v is not None}
        e911 = public.get(E911_KEY, _UNCHANGED)
        if self.charges is not None and not accept:
            return await self._quote(self.charges, account, 1)
        try:
            # A number this account reserved is put in service (the sandbox activates it).
            bought = await self.world.account(account).purchase(e164, config=self._config(public, e164, e911))
        except ConflictError:
            return self._knm(409, "number_exists", e164)
        except NumberUnavailableError as exc:
            # Another account's number exists; one nobody sells is not found.
            if exc.code == "number-unavailable":
                return self._knm(409, "number_exists", e164)
            return missing(e164)
        except (NumbersError, Malformed) as exc:
            return self._e911_refused(exc, e911) or self._knm(400, "invalid", reason(exc))
        return self._envelope(self._document(bought))

    async def _quote(self, price: Price, account: str, adding: int) -> Response:
        """The 402 of a dry run that would add ``adding`` numbers to the account's, at ``price``."""
        quantity = len([n async for n in self.world.account(account).list()]) + adding
        once = price.activation * adding
        if self.version < (4, 3):
            # kz_services' calculate_charges: the category's item, and the total activation charge.
            line = {
                "category": price.category,
                "item": price.item,
                "quantity": quantity,
                "rate": price.rate,
                "single_discount": True,
                "single_discount_rate": 0.0,
                "cumulative_discount": 0,
                "cumulative_discount_rate": 0.0,
            }
            quote: Any = {price.category: {price.item: line}}
            if once:
                quote["activation_charges"] = once
            return self.error(402, "accept charges", data=quote)
        # kz_services_invoice:public_json, one invoice (one bookkeeper): what is due today (the
        # activation charges) and every month after (the items).
        name = f"{price.category}/{price.item}"
        recurring = price.rate * quantity
        what = {"category": price.category, "item": price.item, "name": name}
        charged = {**what, "billable": adding, "rate": price.activation, "total": once}
        quote = [
            {
                "activation_charges": [charged] if once else [],
                "items": [
                    {
                        **what,
                        "quantity": quantity,
                        "billable": quantity,
                        "rate": price.rate,
                        "maximum": quantity,
                        "total": recurring,
                        "changes": {
                            "type": "modified",
                            "difference": {"quantity": adding, "billable": adding},
                        },
                    }
                ],
                "taxes": [],
                "summary": {"today": once, "recurring": recurring},
                "plan": {
                    price.category: {price.item: {"rate": price.rate, "activation_charge": price.activation}}
                },
                "bookkeeper": {},
            }
        ]
        return self.error(402, "accept charges", data=quote)

    async def _activate_one(self, request: Request) -> Response:
        refused = self._session(request)
        if refused is not None:
            return refused
        body = await read_json(request, _Activation)
        return await self._activate(
            request.path_params["account"],
            request.path_params["number"],
            _fields(body.data),
            body.accept_charges is True,
            self._bad_identifier,
        )

    async def _reserve(self, request: Request) -> Response:
        """``PUT …/{n}/reserve``: the number held for the account (acquired from its carrier), after
        the same dry run as an activation; one the account has in service moves back to reserved."""
        addressed = self._number_of(request)
        if isinstance(addressed, Response):
            return addressed
        account, e164 = addressed
        held = await self._holding(account, e164)
        if isinstance(held, Response):
            return held
        # Its body is an activation's (Kazoo's reserve takes the same envelope and document).
        body = await read_json(request, _Activation)
        if held is not None and held.status is NumberStatus.RESERVED:
            return self._knm(400, "no_change_required", e164)
        if held is None and self.charges is not None and body.accept_charges is not True:
            return await self._quote(self.charges, account, 1)
        if held is not None:
            # knm_states lets a number in service be reserved again.
            reserved = await self.world.store.update(
                e164, account, lambda number: number.model_copy(update={"status": NumberStatus.RESERVED})
            )
        else:
            try:
                reserved = await self.world.account(account).reserve(e164)
            except NumberUnavailableError as exc:
                if exc.code == "number-unavailable":
                    return self._knm(409, "number_exists", e164)
                return self._bad_identifier(e164)
            except NumbersError as exc:
                return self._knm(400, "invalid", reason(exc))
        if reserved is None:  # released meanwhile
            return self._bad_identifier(e164)
        return self._envelope(self._document(reserved))

    async def _holding(self, account: str, e164: str) -> ActiveNumber | Response | None:
        """The account's number ``e164``, None when it has not got it, or the answer saying Kazoo
        cannot read it as a number at all."""
        try:
            return await self.world.account(account).get(e164)
        except NotFoundError:
            return None
        except NumbersError:
            return self._knm(404, "not_reconcilable", e164)

    async def _held(self, account: str, e164: str, missing: Missing) -> ActiveNumber | Response:
        """The account's number ``e164``, or the answer saying Kazoo cannot find it (``missing``),
        or cannot read it as a number at all."""
        number = await self._holding(account, e164)
        return missing(e164) if number is None else number

    async def _patch(self, account: str, e164: str, data: dict[str, Any], missing: Missing) -> Response:
        """PATCH merges: the keys given change, ``null`` removes one, the others stay."""
        number = await self._held(account, e164, missing)
        if isinstance(number, Response):
            return number
        public = self._public(number)
        given = self._public_fields(data)
        e911 = given.pop(E911_KEY, _UNCHANGED)
        for key, value in given.items():
            if value is None:
                public.pop(key, None)
            else:
                public[key] = value
        return await self._kept(number, public, e911)

    async def _kept(self, number: ActiveNumber, public: dict[str, Any], e911: Any) -> Response:
        """The number's document once ``public`` and ``e911`` are kept, or Kazoo's refusal of the e911."""
        try:
            kept = await self._keep(number, public, e911)
        except (NumbersError, Malformed) as exc:
            refused = self._e911_refused(exc, e911)
            if refused is None:
                raise
            return refused
        return self._envelope(self._document(kept))

    async def _replace(self, account: str, e164: str, data: dict[str, Any]) -> Response:
        """POST replaces the public document: a feature block left out is gone (and switched off)."""
        number = await self._held(account, e164, self._bad_identifier)
        if isinstance(number, Response):
            return number
        public = {k: v for k, v in self._public_fields(data).items() if v is not None}
        # An e911 block left out is removed: POST replaces the whole document.
        e911 = public.pop(E911_KEY, None)
        return await self._kept(number, public, e911)

    async def _delete(self, account: str, e164: str, missing: Missing) -> Response:
        number = await self._held(account, e164, missing)
        if isinstance(number, Response):
            return number
        await self.world.account(account).release(e164)
        for callflow in self.callflows.values():
            if e164 in callflow["numbers"]:
                callflow["numbers"].remove(e164)
        return self._envelope({**self._document(number), "state": "available"})

    def _number_of(self, request: Request) -> tuple[str, str] | Response:
        """The account and the number a request on one number is about, or its refusal (a session
        that may not, a number Kazoo cannot read as one)."""
        refused = self._session(request)
        if refused is not None:
            return refused
        account, e164 = request.path_params["account"], request.path_params["number"]
        if not e164.startswith("+"):
            return self._knm(404, "not_reconcilable", e164)
        return account, e164

    async def _one(self, request: Request) -> Response:
        addressed = self._number_of(request)
        if isinstance(addressed, Response):
            return addressed
        account, e164 = addressed
        # Crossbar loads the number before it reads the request's body.
        number = await self._held(account, e164, self._bad_identifier)
        if isinstance(number, Response):
            return number
        if request.method == "GET":
            return self._envelope(self._document(number))
        if request.method == "DELETE":
            return await self._delete(account, e164, self._bad_identifier)
        data = _fields((await read_json(request, _Change)).data)
        if request.method == "POST":
            return await self._replace(account, e164, data)
        return await self._patch(account, e164, data, self._bad_identifier)

    async def _collection(self, request: Request) -> Response:
        refused = self._session(request)
        if refused is not None:
            return refused
        account = request.path_params["account"]
        body = await read_json(request, _Collection)
        data = _fields(body.data)
        numbers: list[str] = data.pop("numbers")
        if len(set(numbers)) != len(numbers):
            return self.error(
                400, "validation error", data={"numbers": {"uniqueItems": {"message": "unique"}}}
            )
        answers: dict[str, Response] = {}
        if request.url.path.endswith("/activate"):
            accept = body.accept_charges is True
            if self.charges is not None and not accept:
                return await self._quote(self.charges, account, len(numbers))
            for e164 in numbers:
                answers[e164] = await self._activate(account, e164, data, True, self._not_found)
        elif request.method == "PATCH":
            for e164 in numbers:
                answers[e164] = await self._patch(account, e164, data, self._not_found)
        else:
            for e164 in numbers:
                answers[e164] = await self._delete(account, e164, self._not_found)
        success: dict[str, Any] = {}
        errors: dict[str, Any] = {}
        for e164, answer in answers.items():
            parsed = json.loads(bytes(answer.body))
            (success if answer.status_code < 400 else errors)[e164] = parsed["data"]
        return self._envelope({"success": success, "error": errors})

    # -- callflows -------------------------------------------------------------------------------

    async def _callflow_list(self, request: Request) -> Response:
        refused = self._session(request)
        if refused is not None:
            return refused
        query = request.query_params
        size = int(query["page_size"]) if query.get("page_size", "").isdigit() else _LIST_PAGE
        start = int(base64.b64decode(query["start_key"])) if "start_key" in query else 0
        ids = sorted(self.callflows)
        rows = [
            {"id": i, "name": self.callflows[i]["name"], "numbers": self.callflows[i]["numbers"]}
            for i in ids[start : start + size]
        ]
        extra: dict[str, Any] = {}
        if start + size < len(ids):
            extra["next_start_key"] = base64.b64encode(str(start + size).encode()).decode()
        return self._envelope(rows, **extra)

    async def _callflow(self, request: Request) -> Response:
        refused = self._session(request)
        if refused is not None:
            return refused
        callflow = self.callflows.get(request.path_params["callflow"])
        if callflow is None:
            return self.error(404, "bad_identifier", data={"message": "bad identifier"})
        if request.method == "GET":
            return self._envelope(callflow)
        given = (await read_json(request, _CallflowChange)).data.numbers
        numbers = callflow["numbers"] if given is None else given
        for other in self.callflows.values():
            if other is not callflow and set(other["numbers"]) & set(numbers):
                return self.error(
                    400, "validation error", data={"numbers": {"unique": {"message": "unique"}}}
                )
        carrier = self.world.account(request.path_params["account"])
        for e164 in numbers:
            try:
                await carrier.get(e164)
            except NumbersError:
                return self._knm(403, "forbidden", e164)
        callflow["numbers"] = list(numbers)
        return self._envelope(callflow)
