"""Sinch's Numbers API v1 and its OAuth2 token service, emulated: registered as ``sinch``.

One server answers both: ``POST /oauth2/token`` (client credentials, Basic
with the access key; tokens last ``token_lifetime`` seconds, then 401 with
``WWW-Authenticate`` saying they expired) and ``/v1/projects/{projectId}/…``
(Bearer token or the key itself): search, one available number, rent,
rentAny, list, get, update, release. Scheduled provisioning: a service plan or
voice app asked for waits (``WAITING``, then ``IN_PROGRESS`` after half of
``provisioning_delay``) and moves to the top level once the delay has
passed; an id starting with ``fail`` ends ``FAILED`` with Sinch's error
code. A release keeps the number until its paid period ends (``expireAt``).
Errors are google.rpc envelopes, as Sinch's; a body that is not one of the
document's request messages is ``INVALID_ARGUMENT`` with its field violations.

Commerce as the sandbox has it: offers priced from its catalogue, and
``supportingDocumentationRequired`` where its regulated offers need paperwork
(a rent of one is refused, 400); ``availableRegions`` from its coverage; a
number's emergency address (``emergencyAddress``, ``:provision``,
``:deprovision``, ``:validate``) is the sandbox's emergency registration, and
``:validate`` its address check (exact, corrected, invalid: EXACT_MATCH,
NEAR_MATCH, NO_MATCH).

What Sinch keeps of a number beyond the sandbox's own fields lives in its
``config.extra["sinch"]``, so it is in the state file too.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal

import phonenumbers
from numbers_core import (
    ActiveNumber,
    Address,
    AvailableNumber,
    EmergencyStatus,
    NumberConfig,
    NumberType,
    SearchQuery,
)
from numbers_core.adapter import Malformed, region_of
from numbers_core.emulator import BadRequest, Dialect, Emulator, Shape, read_form, read_json, reason
from numbers_core.errors import (
    AddressValidationError,
    ComplianceRequiredError,
    ConflictError,
    NotFoundError,
    NumbersError,
    NumberUnavailableError,
)
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute
from starlette.routing import Route as Path

from ._codec import TYPES, BadConfig, emergency_address, sinch_address

__all__ = ["SinchEmulation"]

_NEUTRAL_TYPES = {wire: neutral for neutral, wire in TYPES.items()}
_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    405: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    429: "RESOURCE_EXHAUSTED",
    503: "UNAVAILABLE",
}
_LIST_PAGE = 100
_PAID_DAYS = 30
_VALIDATION = {"exact": "EXACT_MATCH", "corrected": "NEAR_MATCH", "invalid": "NO_MATCH"}
# What Sinch sends for an address it has not got: every field, empty.
_NO_ADDRESS = dict.fromkeys(
    ("streetNumber", "streetInfo", "location", "city", "state", "postalCode", "postalCodePlusFour"), ""
)


# -- request bodies, as Sinch's OpenAPI document has them (a null is a field left unset) ----------


class _Sms(Shape):
    servicePlanId: str
    campaignId: str | None = None


class _Voice(Shape):
    type: Literal["RTC", "EST", "FAX"] = "RTC"
    appId: str | None = None
    trunkId: str | None = None
    serviceId: str | None = None


class _Configuration(Shape):
    smsConfiguration: _Sms | None = None
    voiceConfiguration: _Voice | None = None
    callbackUrl: str | None = None


class _Pattern(Shape):
    pattern: str | None = None
    searchPattern: Literal["START", "CONTAINS", "END"] | None = None


class _RentAny(_Configuration):
    regionCode: str
    type: Literal["MOBILE", "LOCAL", "TOLL_FREE"]
    numberPattern: _Pattern | None = None
    capabilities: list[Literal["SMS", "VOICE"]] | None = None


class _Update(_Configuration):
    displayName: str | None = None


class _NoBody(Shape):
    """``:release`` and ``emergencyAddress:deprovision`` take no body: nothing, or an empty object."""


class _EmergencyAddress(Shape):
    """Sinch's EmergencyAddress (the SDKs' models of Numbers OAS 1.0.3: every field optional)."""

    streetNumber: str | None = None
    streetInfo: str | None = None
    location: str | None = None
    city: str | None = None
    state: str | None = None
    postalCode: str | None = None
    postalCodePlusFour: str | None = None


class _EmergencyRequest(Shape):
    """The body of ``emergencyAddress:provision`` and ``:validate`` (EmergencyAddressRequest)."""

    displayName: str | None = None
    address: _EmergencyAddress | None = None


class _Grant(Shape):
    grant_type: str


def _given(body: Shape) -> dict[str, Any]:
    """What a body sets: the fields given, a null being one left unset."""
    return body.model_dump(exclude_none=True)


def _stamp(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class SinchEmulation(Dialect):
    """Sinch's Numbers API: one project with one access key, OAuth2 tokens, scheduled provisioning."""

    name: ClassVar[str] = "sinch"

    def __init__(self, emulator: Emulator) -> None:
        super().__init__(emulator)
        digest = hashlib.blake2b(b"sinch/emulator", digest_size=32).digest()
        self.project = str(uuid.UUID(bytes=digest[:16], version=4))
        self.key_id = str(uuid.UUID(bytes=digest[16:], version=4))
        self.key_secret = hashlib.blake2b(b"sinch/secret", digest_size=12).hexdigest()
        self.token_lifetime = 3599
        self.provisioning_delay = 0.0
        self.tokens: dict[str, float] = {}
        self.token_requests = 0
        #: the clock of tokens and scheduled provisioning (tests move it)
        self.clock = time.time
        # Whether the sandbox's offers of a country and type need paperwork: asked once each.
        self._regulated: dict[tuple[str, NumberType], bool] = {}

    def client_settings(self, base_url: str) -> dict[str, Any]:
        return {
            "project_id": self.project,
            "key_id": self.key_id,
            "key_secret": self.key_secret,
            "base_url": base_url,
            "auth_url": base_url,
        }

    def describe(self) -> dict[str, Any]:
        return {"project": self.project, "token_requests": self.token_requests, "tokens": len(self.tokens)}

    def reset(self) -> None:
        self.tokens.clear()
        self.token_requests = 0

    def error(
        self, status: int, message: str, *, retry_after: int | None = None, details: list[Any] | None = None
    ) -> Response:
        name = _STATUS_NAMES.get(status, "INTERNAL" if status >= 500 else "FAILED_PRECONDITION")
        body = {"error": {"code": status, "message": message, "status": name, "details": details or []}}
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        if status == 401 and "expired" in message:
            headers["WWW-Authenticate"] = 'Bearer error="invalid_token", error_description="token expired"'
        return JSONResponse(body, status_code=status, headers=headers or None)

    def bad_request(self, request: Request, refusal: BadRequest) -> Response:
        """``INVALID_ARGUMENT`` with a ``BadRequest`` detail naming each field violated (a body too
        large too, as Google's APIs answer it); the token service's own answer on its path."""
        if request.url.path == "/oauth2/token":  # RFC 6749's
            return JSONResponse({"error": "invalid_request", "error_description": refusal.message}, 400)
        violations = [{"field": v.field, "description": v.description} for v in refusal.violations]
        return self.error(
            400, refusal.message, details=[{"type": "BadRequest", "fieldViolations": violations}]
        )

    def _not_found(self, kind: str, number: str) -> Response:
        info = {
            "type": "ResourceInfo",
            "resourceType": kind,
            "resourceName": number,
            "owner": "",
            "description": "",
        }
        return self.error(404, "", details=[info])

    def account_of(self, request: Request) -> str | None:
        project = request.path_params.get("project")
        return project if project and self._authorized(request) is None else None

    def routes(self) -> list[BaseRoute]:
        root = "/v1/projects/{project}"
        return [
            Path("/oauth2/token", self._token, methods=["POST"]),
            Path(f"{root}/availableNumbers", self._search, methods=["GET"]),
            Path(f"{root}/availableNumbers:rentAny", self._rent_any, methods=["POST"]),
            Path(f"{root}/availableNumbers/{{number}}:rent", self._rent, methods=["POST"]),
            Path(f"{root}/availableNumbers/{{number}}", self._available, methods=["GET"]),
            Path(f"{root}/activeNumbers", self._list, methods=["GET"]),
            Path(f"{root}/activeNumbers/{{number}}:release", self._release, methods=["POST"]),
            Path(f"{root}/activeNumbers/{{number}}", self._one, methods=["GET", "PATCH"]),
            Path(f"{root}/activeNumbers/{{number}}/emergencyAddress", self._emergency, methods=["GET"]),
            Path(
                f"{root}/activeNumbers/{{number}}/emergencyAddress:{{verb}}",
                self._emergency_change,
                methods=["POST"],
            ),
            Path(f"{root}/availableRegions", self._regions, methods=["GET"]),
        ]

    # -- authentication --------------------------------------------------------------------------

    def _key(self, request: Request) -> bool:
        expected = base64.b64encode(f"{self.key_id}:{self.key_secret}".encode()).decode()
        return request.headers.get("authorization", "") == f"Basic {expected}"

    async def _token(self, request: Request) -> Response:
        self.token_requests += 1
        if not self._key(request):
            return JSONResponse(
                {"error": "invalid_client", "error_description": "bad client credentials"}, 401
            )
        if (await read_form(request, _Grant)).grant_type != "client_credentials":
            return JSONResponse({"error": "unsupported_grant_type"}, 400)
        token = secrets.token_urlsafe(32)
        self.tokens[token] = self.clock() + self.token_lifetime
        body = {"access_token": token, "expires_in": self.token_lifetime, "scope": "", "token_type": "bearer"}
        return JSONResponse(body)

    def _authorized(self, request: Request) -> Response | None:
        header = request.headers.get("authorization", "")
        if header.startswith("Bearer "):
            expires = self.tokens.get(header.removeprefix("Bearer "))
            if expires is not None and expires > self.clock():
                return self._project(request)
            return self.error(401, "the token expired" if expires is not None else "unknown token")
        if self._key(request):
            return self._project(request)
        return self.error(401, "")

    def _project(self, request: Request) -> Response | None:
        if request.path_params.get("project") != self.project:
            return self.error(403, "the key is not of this project")
        return None

    # -- state -------------------------------------------------------------------------------------

    def _settled(self, state: dict[str, Any]) -> bool:
        """Move scheduled jobs on by the clock; whether anything changed."""
        changed = False
        now = self.clock()
        for part, job_key, keys in (
            ("smsConfiguration", "scheduledProvisioning", ("servicePlanId", "campaignId")),
            ("voiceConfiguration", "scheduledVoiceProvisioning", ("type", "appId", "trunkId", "serviceId")),
        ):
            job = state[part].get(job_key)
            if job is None or job["status"] == "FAILED":
                continue
            elapsed = now - float(job.get("_at", now))
            if elapsed < self.provisioning_delay:
                status = "IN_PROGRESS" if elapsed >= self.provisioning_delay / 2 else "WAITING"
                if job["status"] != status:
                    job["status"], changed = status, True
                continue
            if any(str(job.get(k, "")).startswith("fail") for k in keys):
                code = (
                    "SMS_PROVISIONING_FAILED" if part == "smsConfiguration" else "VOICE_PROVISIONING_FAILED"
                )
                job.update(status="FAILED", errorCodes=[code], lastUpdatedTime=_stamp(now))
            else:
                state[part].update({k: job[k] for k in keys if k in job})
                state[part][job_key] = None
                if part == "voiceConfiguration":
                    state[part]["lastUpdatedTime"] = _stamp(now)
            changed = True
        return changed

    def _fresh_state(self) -> dict[str, Any]:
        now = self.clock()
        return {
            "smsConfiguration": {"servicePlanId": "", "campaignId": "", "scheduledProvisioning": None},
            "voiceConfiguration": {
                "type": "RTC",
                "appId": "",
                "trunkId": "",
                "serviceId": "",
                "lastUpdatedTime": None,
                "scheduledVoiceProvisioning": None,
            },
            "callbackUrl": "",
            "expireAt": None,
            "nextChargeDate": _stamp(now + _PAID_DAYS * 86400),
        }

    def _schedule(self, state: dict[str, Any], body: dict[str, Any]) -> None:
        now = self.clock()
        sms = body.get("smsConfiguration")
        if isinstance(sms, dict):
            state["smsConfiguration"]["scheduledProvisioning"] = {
                "servicePlanId": str(sms.get("servicePlanId", "")),
                "campaignId": str(sms.get("campaignId", "")),
                "status": "WAITING",
                "lastUpdatedTime": _stamp(now),
                "errorCodes": [],
                "_at": now,
            }
        voice = body.get("voiceConfiguration")
        if isinstance(voice, dict):
            state["voiceConfiguration"]["scheduledVoiceProvisioning"] = {
                "type": str(voice.get("type", "RTC")),
                **{k: str(voice.get(k, "")) for k in ("appId", "trunkId", "serviceId")},
                "status": "WAITING",
                "lastUpdatedTime": _stamp(now),
                "_at": now,
            }
        if "callbackUrl" in body:
            state["callbackUrl"] = str(body["callbackUrl"])

    def _state_of(self, number: ActiveNumber) -> dict[str, Any]:
        state = number.config.extra.get("sinch")
        return state if isinstance(state, dict) else self._fresh_state()

    async def _keep(
        self, project: str, number: ActiveNumber, state: dict[str, Any], **fields: Any
    ) -> ActiveNumber:
        config = NumberConfig(extra={"sinch": state}, **fields)
        return await self.world.account(project).configure(number.phone_number, config)

    async def _current(self, project: str, e164: str) -> ActiveNumber:
        """The project's number with its scheduled jobs moved on by the clock."""
        number = await self.world.account(project).get(e164)
        state = self._state_of(number)
        if self._settled(state):
            number = await self._keep(project, number, state)
        return number

    # -- bodies ------------------------------------------------------------------------------------

    @staticmethod
    def _capability(number: AvailableNumber | ActiveNumber) -> list[str]:
        caps = number.capabilities
        return [name for name, has in (("SMS", caps.sms), ("VOICE", caps.voice)) if has]

    async def _documents(self, offer: AvailableNumber) -> bool:
        """Whether Sinch would ask for supporting documents: the sandbox's offer needs paperwork."""
        key = (offer.geography.iso_country or "US", offer.number_type)
        if key not in self._regulated:
            needs = await self.world.account(self.project).requirements(*key)
            self._regulated[key] = bool(needs)
        return self._regulated[key]

    def _offer(self, offer: AvailableNumber, documents: bool = False) -> dict[str, Any]:
        def money(amount: Any) -> dict[str, str]:
            return (
                {"currencyCode": amount.currency, "amount": f"{amount.amount:.2f}"}
                if amount
                else {
                    "currencyCode": "USD",
                    "amount": "0.00",
                }
            )

        return {
            "phoneNumber": offer.phone_number,
            "regionCode": offer.geography.iso_country or "US",
            "type": TYPES.get(offer.number_type, "LOCAL"),
            "capability": self._capability(offer),
            "setupPrice": money(offer.setup_price),
            "monthlyPrice": money(offer.monthly_price),
            "paymentIntervalMonths": 1,
            "supportingDocumentationRequired": documents,
        }

    def _number(self, number: ActiveNumber) -> dict[str, Any]:
        state = self._state_of(number)

        def public(part: dict[str, Any]) -> dict[str, Any]:
            return {
                k: ({j: w for j, w in v.items() if not j.startswith("_")} if isinstance(v, dict) else v)
                for k, v in part.items()
            }

        return {
            "phoneNumber": number.phone_number,
            "projectId": number.account_id,
            "displayName": number.friendly_name if number.config.friendly_name else "",
            "regionCode": number.geography.iso_country or "US",
            "type": TYPES.get(number.number_type, "LOCAL"),
            "capability": self._capability(number),
            "money": {"currencyCode": "USD", "amount": "2.00"},
            "paymentIntervalMonths": 1,
            "nextChargeDate": state["nextChargeDate"],
            "expireAt": state["expireAt"],
            "smsConfiguration": public(state["smsConfiguration"]),
            "voiceConfiguration": public(state["voiceConfiguration"]),
            "callbackUrl": state["callbackUrl"],
        }

    # -- routes ------------------------------------------------------------------------------------

    def _query(
        self, region: str | None, kind: str | None, pattern: str, where: str
    ) -> SearchQuery | Response:
        if not region or kind not in _NEUTRAL_TYPES:
            problem = (
                "regionCode is required"
                if not region
                else f'parsing field "type": "{kind}" is not a valid value'
            )
            return self.error(400, problem)
        criteria: dict[str, Any] = {"country": region, "number_type": _NEUTRAL_TYPES[kind]}
        if pattern:
            digits = pattern.lstrip("+")
            if where == "START":
                code = str(phonenumbers.country_code_for_region(region))
                if not pattern.startswith(f"+{code}"):
                    return self.error(400, "numberPattern: a START pattern starts with the country code")
                digits = pattern.removeprefix(f"+{code}")
                if digits:
                    criteria["starts_with"] = digits
            elif where == "END":
                criteria["ends_with"] = digits
            else:
                criteria["contains"] = digits
        try:
            return SearchQuery(**criteria)
        except ValueError as exc:
            return self.error(400, reason(exc))

    async def _search(self, request: Request) -> Response:
        refused = self._authorized(request)
        if refused is not None:
            return refused
        q = request.query_params
        query = self._query(
            q.get("regionCode"),
            q.get("type"),
            q.get("numberPattern.pattern", ""),
            q.get("numberPattern.searchPattern", "START"),
        )
        if isinstance(query, Response):
            return query
        wanted = set(q.getlist("capabilities"))
        size = q.get("size", "100")
        limit = min(int(size), 1000) if size.isdigit() and int(size) > 0 else 100
        changes = {"limit": limit, "voice": "VOICE" in wanted, "sms": "SMS" in wanted}
        try:
            found = await self.world.account(self.project).search(query.model_copy(update=changes))
        except NumbersError as exc:
            return self.error(400, reason(exc))
        return JSONResponse({"availableNumbers": [self._offer(n, await self._documents(n)) for n in found]})

    async def _available(self, request: Request) -> Response:
        refused = self._authorized(request)
        if refused is not None:
            return refused
        e164 = request.path_params["number"]
        offer = await self.world.offer(e164)
        if offer is None:  # not sold, or rented already (by this project or another)
            return self._not_found("AvailableNumber", e164)
        # Priced as a search prices it: the sandbox's price of its country and type.
        prices = await self.world.account(self.project).prices(
            offer.geography.iso_country or "US", offer.number_type
        )
        if prices:
            offer = offer.model_copy(
                update={"setup_price": prices[0].setup, "monthly_price": prices[0].monthly}
            )
        return JSONResponse(self._offer(offer, await self._documents(offer)))

    async def _rent(self, request: Request) -> Response:
        refused = self._authorized(request)
        if refused is not None:
            return refused
        body = _given(await read_json(request, _Configuration))
        return await self._rent_number(request.path_params["project"], request.path_params["number"], body)

    async def _rent_number(self, project: str, e164: str, body: dict[str, Any]) -> Response:
        carrier = self.world.account(project)
        try:
            bought = await carrier.purchase(e164)
        except (NumberUnavailableError, ConflictError):
            return self._not_found("AvailableNumber", e164)
        except ComplianceRequiredError:
            # The paperwork goes through a KYC number order, never with a rent.
            return self.error(
                400, "supporting documentation is required for this number: order it with a number order"
            )
        except NumbersError as exc:
            return self.error(400, reason(exc))
        return await self._rented_now(project, bought, body)

    async def _rented_now(self, project: str, bought: ActiveNumber, body: dict[str, Any]) -> Response:
        state = self._fresh_state()
        self._schedule(state, body)
        bought = await self._keep(project, bought, state)
        return JSONResponse(self._number(bought))

    async def _rent_any(self, request: Request) -> Response:
        refused = self._authorized(request)
        if refused is not None:
            return refused
        body = _given(await read_json(request, _RentAny))
        if body["regionCode"] != "US":
            return self.error(400, "rentAny is available for US numbers only")
        given = body.get("numberPattern")
        pattern: dict[str, Any] = given if isinstance(given, dict) else {}
        query = self._query(
            "US",
            body.get("type"),
            str(pattern.get("pattern", "")),
            str(pattern.get("searchPattern", "START")),
        )
        if isinstance(query, Response):
            return query
        wanted = set(body.get("capabilities") or [])
        project = request.path_params["project"]
        try:
            # Sinch picks the number and rents it in one step: concurrent calls get different ones,
            # and "none" means none is left.
            bought = await self.world.account(project).purchase_any(
                query.model_copy(update={"voice": "VOICE" in wanted, "sms": "SMS" in wanted})
            )
        except NumberUnavailableError:
            return self._not_found("AvailableNumber", "")
        except NumbersError as exc:
            return self.error(400, reason(exc))
        rest = {
            k: v for k, v in body.items() if k in ("smsConfiguration", "voiceConfiguration", "callbackUrl")
        }
        return await self._rented_now(project, bought, rest)

    async def _list(self, request: Request) -> Response:
        refused = self._authorized(request)
        if refused is not None:
            return refused
        project = request.path_params["project"]
        q = request.query_params
        size = q.get("pageSize", str(_LIST_PAGE))
        token = q.get("pageToken", "")
        if not size.isdigit() or (not token.isdigit() and token):
            return self.error(400, "pageSize and pageToken must be numbers")
        filters: dict[str, Any] = {}
        if q.get("regionCode"):
            filters["country"] = q["regionCode"]
        if q.get("type") in _NEUTRAL_TYPES:
            filters["number_type"] = _NEUTRAL_TYPES[q["type"]]
        if q.get("numberPattern.pattern"):
            filters["contains"] = q["numberPattern.pattern"].lstrip("+")
        numbers = [n async for n in self.world.account(project).list(**filters)]
        start, count = int(token or 0), max(int(size), 1)
        page = [
            self._number(await self._current(project, n.phone_number)) for n in numbers[start : start + count]
        ]
        following = str(start + count) if start + count < len(numbers) else ""
        return JSONResponse({"activeNumbers": page, "nextPageToken": following, "totalSize": len(numbers)})

    async def _rented(self, request: Request) -> tuple[str, ActiveNumber] | Response:
        """The project and its number the path names, or the answer refusing the request."""
        refused = self._authorized(request)
        if refused is not None:
            return refused
        project, e164 = request.path_params["project"], request.path_params["number"]
        try:
            return project, await self._current(project, e164)
        except NotFoundError:
            return self._not_found("ActiveNumber", e164)
        except NumbersError as exc:
            return self.error(400, reason(exc))

    async def _one(self, request: Request) -> Response:
        rented = await self._rented(request)
        if isinstance(rented, Response):
            return rented
        project, number = rented
        if request.method == "GET":
            return JSONResponse(self._number(number))
        state = self._state_of(number)
        if state["expireAt"] is not None:
            return self.error(400, "the number is released")
        body = _given(await read_json(request, _Update))
        self._schedule(state, body)
        name = {"friendly_name": body["displayName"] or None} if "displayName" in body else {}
        return JSONResponse(self._number(await self._keep(project, number, state, **name)))

    async def _release(self, request: Request) -> Response:
        rented = await self._rented(request)
        if isinstance(rented, Response):
            return rented
        await read_json(request, _NoBody)
        project, number = rented
        state = self._state_of(number)
        if state["expireAt"] is not None:
            return self.error(400, "the number is already released")
        state["expireAt"] = state["nextChargeDate"]
        return JSONResponse(self._number(await self._keep(project, number, state)))

    # -- regions -----------------------------------------------------------------------------------

    async def _regions(self, request: Request) -> Response:
        refused = self._authorized(request)
        if refused is not None:
            return refused
        wanted = request.query_params.getlist("types")
        odd = [kind for kind in wanted if kind not in _NEUTRAL_TYPES]
        if odd:
            return self.error(400, f'parsing field "types": "{odd[0]}" is not a valid value')
        found = []
        for covered in await self.world.account(request.path_params["project"]).coverage():
            kinds = sorted(TYPES[kind] for kind in covered.number_types if kind in TYPES)
            if kinds and (not wanted or set(wanted) & set(kinds)):
                found.append({"regionCode": covered.country, "regionName": covered.name, "types": kinds})
        return JSONResponse({"availableRegions": found})

    # -- emergency addresses -----------------------------------------------------------------------

    async def _emergency(self, request: Request) -> Response:
        """``GET …/emergencyAddress``: the sandbox's registration, or 404 when there is none."""
        rented = await self._rented(request)
        if isinstance(rented, Response):
            return rented
        _, number = rented
        registration = number.emergency
        if registration is None or registration.status is not EmergencyStatus.ACTIVE:
            return self._not_found("EmergencyAddress", number.phone_number)
        return JSONResponse(self._address(registration.address))

    @staticmethod
    def _address(address: Address | None) -> dict[str, str]:
        """An address as Sinch gives it back: every field, "" for one it has not."""
        if address is None:
            return dict(_NO_ADDRESS)
        try:
            return {**_NO_ADDRESS, **sinch_address(address)}
        except BadConfig:  # registered by another dialect, in a shape Sinch's cannot say
            return dict(_NO_ADDRESS)

    def _given_address(self, given: _EmergencyRequest, e164: str) -> Address | Response:
        """The address of a ``:provision`` or ``:validate`` body, in the number's country (Sinch's has
        none), ``displayName`` as its name; or the refusal of one that is not an address."""
        fields = _given(given.address) if given.address is not None else {}
        try:
            address = emergency_address(fields, "address")
        except (Malformed, ValueError) as exc:
            return self.error(400, reason(exc))
        if address is None:
            return self.error(400, "address: give at least the street and the city")
        return address.model_copy(
            update={"customer_name": given.displayName or None, "country": region_of(e164) or "US"}
        )

    async def _emergency_change(self, request: Request) -> Response:
        """``:provision``, ``:deprovision`` and ``:validate`` of a number's emergency address."""
        rented = await self._rented(request)
        if isinstance(rented, Response):
            return rented
        project, number = rented
        verb = request.path_params["verb"]
        if verb not in ("provision", "deprovision", "validate"):
            return self.error(404, f"emergencyAddress:{verb} is not an operation")
        carrier = self.world.account(project)
        if verb == "deprovision":
            await read_json(request, _NoBody)
            await carrier.configure(number.phone_number, NumberConfig(emergency_address=None))
            return JSONResponse({})
        address = self._given_address(await read_json(request, _EmergencyRequest), number.phone_number)
        if isinstance(address, Response):
            return address
        if verb == "validate":
            check = await carrier.validate_emergency_address(address, number.phone_number)
            answer = {
                "phoneNumber": number.phone_number,
                "displayName": address.customer_name or "",
                "validatedAddress": self._address(address),
                "validationResult": _VALIDATION.get(check.result, "NO_MATCH"),
                "validationMessage": check.message or "",
                "correctedAddress": self._address(check.address if check.result == "corrected" else None),
                "candidateAddresses": [self._address(candidate) for candidate in check.candidates],
            }
            return JSONResponse(answer)
        try:
            registered = await carrier.configure(number.phone_number, NumberConfig(emergency_address=address))
        except AddressValidationError as exc:
            return self.error(400, reason(exc))
        except NumbersError as exc:  # a number the sandbox registers no address for
            return self.error(
                400, f"emergency addresses cannot be provisioned for this number: {reason(exc)}"
            )
        return JSONResponse(self._address(registered.emergency.address if registered.emergency else None))
