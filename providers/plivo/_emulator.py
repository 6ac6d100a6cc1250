"""Plivo's phone numbers API, emulated: registered as ``plivo``.

``/v1/Account/{auth_id}/PhoneNumber/`` (search), ``…/PhoneNumber/{number}/``
(buy: 201), ``…/Number/`` (list), ``…/Number/{number}/`` (get, update: 202,
unrent: 204), with and without the trailing slash, numbers with or without
``+``. Credentials are Basic, and the user must be the path's account.
Pages are ``limit`` (at most 20: 400 above) and ``offset`` with ``meta.next``
as Plivo builds it; errors are ``{"api_id", "error"}``; a buy of a number not
for sale, or of one the account rents already, is 404 ``not found``.

Regulated numbers (the sandbox's: an address required) are refused without
a ``compliance_application_id``; with one they are bought ``pending``
(``numbers[0].status``, the number's ``compliance_status`` and ``active:
false``) until :meth:`PlivoEmulation.review` approves or rejects the
application. An update without ``app_id`` links the account's default
Application (``default_number_app``), as Plivo's documents say it does.
Subaccounts (``SA…``) take numbers by an update's ``subaccount``. Bodies are
JSON, as Plivo's SDKs send them (a form too, leniently), of the fields its
document names: a buy ignores others (the number the Python SDK repeats), an
update refuses them. What Plivo keeps of a number lives in its
``config.extra["plivo"]``.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar

import phonenumbers
from numbers_core import ActiveNumber, AvailableNumber, NumberConfig, NumberStatus, NumberType, SearchQuery
from numbers_core.adapter import carrier_e164, region_of
from numbers_core.emulator import Dialect, Emulator, Shape, read_form, read_json
from numbers_core.errors import ComplianceRequiredError, NumbersError
from phonenumbers.geodata.locale import LOCALE_DATA
from pydantic import ConfigDict
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute
from starlette.routing import Route as Path

__all__ = ["PlivoEmulation"]

_LIMIT = 20
_SEARCH_TYPES = {
    "fixed": (NumberType.LOCAL, NumberType.NATIONAL),
    "mobile": (NumberType.MOBILE,),
    "tollfree": (NumberType.TOLL_FREE,),
}
_SUB_TYPES = {
    NumberType.LOCAL: "local",
    NumberType.NATIONAL: "national",
    NumberType.MOBILE: "mobile",
    NumberType.TOLL_FREE: "tollfree",
}
_LIST_TYPES = {
    "local": NumberType.LOCAL,
    "fixed": NumberType.LOCAL,
    "mobile": NumberType.MOBILE,
    "tollfree": NumberType.TOLL_FREE,
    "national": NumberType.NATIONAL,
}
_SERVICES = {"voice", "sms", "mms"}
_FORM = "application/x-www-form-urlencoded"


# -- request bodies, as Plivo's documents have them (a null is a field left unset) ------------------


class _Buy(Shape):
    """A buy's body: what the documents do not name is ignored; the number the Python SDK repeats
    is read and ignored."""

    model_config = ConfigDict(extra="ignore")

    number: str | None = None
    app_id: str | None = None
    cnam_lookup: str | None = None
    cnam: str | None = None
    callback_url: str | None = None
    callback_method: str | None = None
    ha_enable: bool | None = None
    compliance_application_id: str | None = None
    verification_info: dict[str, Any] | None = None


class _Update(Shape):
    """An update's body: a parameter Plivo does not know is refused; the number the Python SDK
    repeats is read and ignored."""

    number: str | None = None
    app_id: str | None = None
    subaccount: str | None = None
    alias: str | None = None
    cnam_lookup: str | None = None
    cnam: str | None = None
    cnam_callback_url: str | None = None
    cnam_callback_method: str | None = None
    compliance_application_id: str | None = None
    verification_info: dict[str, Any] | None = None


Body = TypeVar("Body", bound=Shape)


def _country_name(iso: str) -> str:
    names = LOCALE_DATA.get(iso, {})
    name = names.get("en", "")
    while name.startswith("*"):
        name = names.get(name[1:], "")
    return name or iso


def _api_id() -> str:
    return str(uuid.uuid4())


class PlivoEmulation(Dialect):
    """Plivo's numbers API for one main account (``MA…``) and its subaccounts (``SA…``)."""

    name: ClassVar[str] = "plivo"

    def __init__(self, emulator: Emulator) -> None:
        super().__init__(emulator)
        digest = hashlib.blake2b(b"plivo/emulator", digest_size=9).hexdigest().upper()
        self.auth_id = "MA" + digest[:18]
        self.auth_token = hashlib.blake2b(b"plivo/token", digest_size=16).hexdigest()
        #: the Application an update without ``app_id`` links (None: none)
        self.default_number_app: str | None = None

    def client_settings(self, base_url: str) -> dict[str, Any]:
        return {"auth_id": self.auth_id, "auth_token": self.auth_token, "base_url": base_url}

    def describe(self) -> dict[str, Any]:
        return {"auth_id": self.auth_id}

    def error(self, status: int, message: str, *, retry_after: int | None = None) -> Response:
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
        return JSONResponse({"api_id": _api_id(), "error": message}, status, headers=headers)

    def account_of(self, request: Request) -> str | None:
        return self.auth_id if self._authorized(request) is None else None

    def routes(self) -> list[BaseRoute]:
        root = "/v1/Account/{auth_id}"
        routes: list[BaseRoute] = []
        for slash in ("/", ""):
            routes += [
                Path(f"{root}/PhoneNumber{slash}", self._search, methods=["GET"]),
                Path(f"{root}/PhoneNumber/{{number}}{slash}", self._buy, methods=["POST"]),
                Path(f"{root}/Number{slash}", self._list, methods=["GET"]),
                Path(f"{root}/Number/{{number}}{slash}", self._one, methods=["GET", "POST", "DELETE"]),
            ]
        return routes

    # -- credentials, bodies, state ----------------------------------------------------------------

    def _authorized(self, request: Request) -> Response | None:
        expected = base64.b64encode(f"{self.auth_id}:{self.auth_token}".encode()).decode()
        if not secrets.compare_digest(request.headers.get("authorization", ""), f"Basic {expected}"):
            return self.error(401, "Authentication credentials invalid")
        if request.path_params.get("auth_id") != self.auth_id:
            return self.error(403, "the credentials are not of this account")
        return None

    @staticmethod
    async def _body(request: Request, shape: type[Body]) -> Body:
        """The body as ``shape``: JSON, as Plivo's SDKs send it, or a form, as its documents allow."""
        if request.headers.get("content-type", "").startswith(_FORM):
            return await read_form(request, shape)
        return await read_json(request, shape)

    @staticmethod
    def _e164(number: str) -> str | None:
        digits = number.removeprefix("+")
        if not digits.isdigit():
            return None
        try:
            return carrier_e164(f"+{digits}")
        except ValueError:
            return None

    @staticmethod
    def _state(number: ActiveNumber) -> dict[str, Any]:
        state = number.config.extra.get("plivo")
        return dict(state) if isinstance(state, dict) else {}

    async def _keep(self, number: ActiveNumber, state: dict[str, Any], **fields: Any) -> ActiveNumber:
        config = NumberConfig(extra={"plivo": state}, **fields)
        return await self.world.account(self.auth_id).configure(number.phone_number, config)

    async def review(self, number: str, *, accepted: bool = True) -> None:
        """Plivo's verdict on a pending number's compliance application (a test's hook)."""
        owned = await self.world.account(self.auth_id).get(number)
        state = self._state(owned)
        state["compliance_status"] = "accepted" if accepted else "rejected"
        await self._keep(owned, state)

    # -- what the API shows ------------------------------------------------------------------------

    def _offer(self, offer: AvailableNumber, country: str) -> dict[str, Any]:
        monthly, setup = offer.monthly_price, offer.setup_price
        caps = offer.capabilities
        digits = offer.phone_number[1:]
        geography = offer.geography
        restriction = {"local": "city-address", "any": "country-address", "foreign": "country-address"}.get(
            offer.address_requirement or "none"
        )
        return {
            "number": digits,
            "prefix": digits[len(str(phonenumbers.country_code_for_region(country))) :][:3],
            "city": geography.locality,
            "country": _country_name(country).upper(),
            "region": geography.region or _country_name(country),
            "rate_center": geography.rate_center,
            "lata": int(geography.lata) if geography.lata and geography.lata.isdigit() else None,
            "type": "fixed"
            if offer.number_type in (NumberType.LOCAL, NumberType.NATIONAL)
            else _SUB_TYPES.get(offer.number_type, "fixed"),
            "sub_type": _SUB_TYPES.get(offer.number_type, "local"),
            "setup_rate": f"{setup.amount:.5f}" if setup else "0.00000",
            "monthly_rental_rate": f"{monthly.amount:.5f}" if monthly else "0.80000",
            "sms_enabled": bool(caps.sms),
            "sms_rate": "0.00800",
            "mms_enabled": bool(caps.mms),
            "mms_rate": "0.02000",
            "voice_enabled": bool(caps.voice),
            "voice_rate": "0.00500",
            "restriction": restriction,
            "restriction_text": "An address is required to buy this number" if restriction else None,
            "resource_uri": f"/v1/Account/{self.auth_id}/PhoneNumber/{digits}/",
        }

    def _owned(self, number: ActiveNumber) -> dict[str, Any]:
        state = self._state(number)
        country = number.geography.iso_country or region_of(number.phone_number) or "US"
        digits = number.phone_number[1:]
        caps = number.capabilities
        app = state.get("app_id")
        compliance = state.get("compliance_status")
        region = number.geography.region
        named = _country_name(country)
        return {
            "added_on": (number.created_at or datetime.now(UTC)).strftime("%Y-%m-%d"),
            "active": compliance in (None, "accepted"),
            "alias": state.get("alias"),
            "application": f"/v1/Account/{self.auth_id}/Application/{app}/" if app else None,
            "carrier": "Plivo",
            "city": number.geography.locality,
            "cnam_lookup": state.get("cnam_lookup", "disabled"),
            "compliance_application_id": state.get("compliance_application_id"),
            "compliance_status": compliance,
            "country": named,
            "mms_enabled": bool(caps.mms),
            "monthly_rental_rate": "0.80000",
            "number": digits,
            "number_type": _SUB_TYPES.get(number.number_type, "local"),
            "region": f"{region}, {named.upper()}" if region else named.upper(),
            "renewal_date": (number.created_at or datetime.now(UTC)).strftime("%Y-%m-%d"),
            "resource_uri": f"/v1/Account/{self.auth_id}/Number/{digits}/",
            "sms_enabled": bool(caps.sms),
            "sms_rate": "0.00800",
            "sub_account": state.get("sub_account"),
            "voice_enabled": bool(caps.voice),
            "voice_rate": "0.00850",
        }

    def _meta(self, path: str, limit: int, offset: int, total: int, query: dict[str, str]) -> dict[str, Any]:
        def link(at: int) -> str:
            rest = "".join(f"&{k}={v}" for k, v in query.items() if k not in ("limit", "offset"))
            return f"/v1/Account/{self.auth_id}/{path}/?limit={limit}&offset={at}{rest}"

        return {
            "limit": limit,
            "offset": offset,
            "total_count": total,
            "next": link(offset + limit) if offset + limit < total else None,
            "previous": link(max(0, offset - limit)) if offset > 0 else None,
        }

    def _paging(self, q: Any) -> tuple[int, int] | Response:
        limit, offset = q.get("limit", str(_LIMIT)), q.get("offset", "0")
        if not limit.isdigit() or not 1 <= int(limit) <= _LIMIT:
            return self.error(400, "limit: must be between 1 and 20")
        if not offset.isdigit():
            return self.error(400, "offset: must be a whole number")
        return int(limit), int(offset)

    # -- routes ------------------------------------------------------------------------------------

    async def _search(self, request: Request) -> Response:
        refused = self._authorized(request)
        if refused is not None:
            return refused
        q = request.query_params
        country = (q.get("country_iso") or "").upper()
        if len(country) != 2 or not country.isalpha():
            return self.error(400, "country_iso is required")
        kind = q.get("type", "any")
        types = _SEARCH_TYPES.get(kind, tuple(_SUB_TYPES)) if kind != "any" else tuple(_SUB_TYPES)
        if kind not in (*_SEARCH_TYPES, "any"):
            return self.error(400, f"type: {kind!r} is not one of fixed, mobile, tollfree, any")
        paging = self._paging(q)
        if isinstance(paging, Response):
            return paging
        limit, offset = paging
        services = set(filter(None, (q.get("services") or "").split(",")))
        if not services <= _SERVICES:
            return self.error(400, "services: use voice, sms, mms or a combination")
        criteria: dict[str, Any] = {
            "country": country,
            "voice": "voice" in services,
            "sms": "sms" in services,
            "mms": "mms" in services,
        }
        if q.get("pattern"):
            criteria["starts_with"] = q["pattern"]
        if q.get("region"):
            criteria["region"] = q["region"]
        if q.get("city"):
            criteria["locality"] = q["city"]
        found: list[AvailableNumber] = []
        for number_type in types:
            try:
                query = SearchQuery(**criteria, number_type=number_type, limit=min(1000, offset + limit + 1))
                found += await self.world.account(self.auth_id).search(query)
            except (NumbersError, ValueError):
                continue  # a type the country does not sell, or a pattern no number has
        for field in ("rate_center", "lata"):
            if q.get(field):
                found = [n for n in found if getattr(n.geography, field) in (None, q[field])]
        page = [self._offer(n, country) for n in found[offset : offset + limit]]
        meta = self._meta("PhoneNumber", limit, offset, len(found), dict(q))
        return JSONResponse({"api_id": _api_id(), "meta": meta, "objects": page})

    async def _buy(self, request: Request) -> Response:
        refused = self._authorized(request)
        if refused is not None:
            return refused
        e164 = self._e164(request.path_params["number"])
        body = await self._body(request, _Buy)
        if e164 is None:
            return self.error(404, "not found")
        carrier = self.world.account(self.auth_id)
        application = body.compliance_application_id
        try:
            bought = await carrier.purchase(e164)
        except ComplianceRequiredError:
            if not application:
                return self.error(
                    400,
                    "this number requires an approved compliance application: give compliance_application_id",
                )
            claimed = await self._claim(e164)
            if claimed is None:
                return self.error(404, "not found")
            bought = claimed
            state = {"compliance_application_id": application, "compliance_status": "pending"}
        except NumbersError:  # not for sale, someone else's, or already this account's
            return self.error(404, "not found")
        else:
            state = {"compliance_application_id": application} if application else {}
        if body.app_id:
            state["app_id"] = body.app_id
        elif self.default_number_app:
            state["app_id"] = self.default_number_app
        await self._keep(bought, state)
        status = "pending" if state.get("compliance_status") == "pending" else "Success"
        answer = {
            "api_id": _api_id(),
            "message": "created",
            "numbers": [{"number": e164[1:], "status": status}],
            "status": "fulfilled",
        }
        return JSONResponse(answer, 201)

    async def _claim(self, e164: str) -> ActiveNumber | None:
        """A regulated number bought with a compliance application: Plivo reviews the papers, not
        the sandbox, so the number is the account's at once (pending its review)."""
        offer = await self.world.offer(e164)
        if offer is None:
            return None
        number = ActiveNumber(
            phone_number=offer.phone_number,
            id=offer.phone_number,
            provider="sandbox",
            account_id=self.auth_id,
            number_type=offer.number_type,
            capabilities=offer.capabilities,
            geography=offer.geography,
            status=NumberStatus.ACTIVE,
            created_at=datetime.now(UTC),
        )
        return number if await self.world.store.claim(number) else None

    async def _list(self, request: Request) -> Response:
        refused = self._authorized(request)
        if refused is not None:
            return refused
        q = request.query_params
        paging = self._paging(q)
        if isinstance(paging, Response):
            return paging
        limit, offset = paging
        kind = q.get("type")
        if kind is not None and kind not in _LIST_TYPES:
            return self.error(400, f"type: {kind!r} is not one of local, mobile, fixed, national, tollfree")
        items = []
        async for number in self.world.account(self.auth_id).list():
            item = self._owned(number)
            if kind is not None and _LIST_TYPES[item["number_type"]] is not _LIST_TYPES[kind]:
                continue
            if q.get("number_startswith") and not item["number"].startswith(q["number_startswith"]):
                continue
            if q.get("alias") and item["alias"] != q["alias"]:
                continue
            if q.get("subaccount") and item["sub_account"] != q["subaccount"]:
                continue
            items.append(item)
        meta = self._meta("Number", limit, offset, len(items), dict(q))
        return JSONResponse({"api_id": _api_id(), "meta": meta, "objects": items[offset : offset + limit]})

    async def _held(self, e164: str | None) -> ActiveNumber | None:
        if e164 is None:
            return None
        try:
            return await self.world.account(self.auth_id).get(e164)
        except NumbersError:
            return None

    async def _one(self, request: Request) -> Response:
        refused = self._authorized(request)
        if refused is not None:
            return refused
        e164 = self._e164(request.path_params["number"])
        carrier = self.world.account(self.auth_id)
        number = await self._held(e164)
        if number is None:
            return self.error(404, "not found")
        if request.method == "GET":
            return JSONResponse({"api_id": _api_id(), **self._owned(number)})
        if request.method == "DELETE":
            await carrier.release(number.phone_number)
            return Response(status_code=204)
        body = (await self._body(request, _Update)).model_dump(exclude_unset=True)
        state = self._state(number)
        sub = body.get("subaccount")
        if sub is not None and not (len(sub) == 20 and sub.startswith("SA")):
            return self.error(400, "subaccount: not a subaccount of this account")
        if "compliance_application_id" in body and state.get("compliance_status") not in (
            None,
            "pending",
            "rejected",
        ):
            return self.error(
                400, "compliance_application_id can change only while the compliance is pending or rejected"
            )
        # Plivo's documents: "If not specified, the application selected as the default_number_app
        # is assigned".
        app = body.get("app_id", self.default_number_app)
        state["app_id"] = app or None
        if sub is not None:
            state["sub_account"] = sub
        for key in ("alias", "cnam_lookup", "cnam", "compliance_application_id"):
            if key in body:
                state[key] = body[key] or None
        if "compliance_application_id" in body and state.get("compliance_status") == "rejected":
            state["compliance_status"] = "pending"  # a new application, reviewed again
        await self._keep(number, state)
        return JSONResponse({"api_id": _api_id(), "message": "changed"}, 202)
