"""The seed document's draft of Numbers API v1, emulated: registered as ``sinch-draft``.

Paths as the document writes them (``/v1/Account/{AccountId}/ActiveNumbers/``,
``/v1/Accounts/{AccountId}/ActiveNumbers/ActiveNumbers/PN{phoneNumber}``, the
catalog at ``/v1/api/AvailableNumbers``), bodies as its examples show them,
``meta`` paging with absolute links, Twilio-shaped errors with the codes it
names (21452: no number found; 21650: the number needs what the account
does not have on file, which the sandbox's regulated offers need). The
document requires no authentication;
the emulator asks for a bearer ``token`` unless it is set to None.
"""

from __future__ import annotations

import hashlib
from typing import Any, ClassVar

import phonenumbers
from numbers_core import (
    ActiveNumber,
    AvailableNumber,
    Callback,
    MmsCapabilities,
    NumberConfig,
    Route,
    SearchQuery,
    SmsCapabilities,
    VoiceCapabilities,
)
from numbers_core.emulator import Dialect, Emulator, Shape, read_json, reason
from numbers_core.errors import (
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

from ._draft_codec import TYPES

__all__ = ["DraftEmulation"]

_ROOT = "/v1"
_PAGE = 20
_NEUTRAL_TYPES = {wire: neutral for neutral, wire in TYPES.items()}
_CODES = {401: 20003, 404: 20404, 405: 20004, 429: 20429, 503: 20503}


# -- request bodies, as the document's examples have them (every field nullable) ----------------


class _Route(Shape):
    url: str | None = None
    method: str | None = None
    fallback_url: str | None = None
    fallback_method: str | None = None
    application_sid: str | None = None


class _Configuration(Shape):
    """The purchase's body, and an update's ``configuration``."""

    status_callback_url: str | None = None
    status_callback_method: str | None = None
    voice: _Route | None = None
    sms: _Route | None = None


class _Capabilities(Shape):
    # The models' own: their names are the draft's.
    voice: VoiceCapabilities | None = None
    sms: SmsCapabilities | None = None
    mms: MmsCapabilities | None = None


class _Regulatory(Shape):
    address_requirements: str | None = None


class _Geography(Shape):
    iso_country: str | None = None
    lata: str | None = None
    rate_center: str | None = None
    latitude: str | None = None
    longitude: str | None = None
    region: str | None = None
    locality: str | None = None
    postal_code: str | None = None


class _Update(Shape):
    """An ActiveNumber, which the document's update sends whole; what the account cannot change
    (the number, its type, prices, capabilities…) is read and left as it is."""

    friendlyName: str | None = None
    accountSid: str | None = None
    statusCallback: str | None = None
    statusCallbackMethod: str | None = None
    configuration: _Configuration | None = None
    phone_number: str | None = None
    type: str | None = None
    base_setup_price: str | None = None
    base_recurring_price: str | None = None
    capabilities: _Capabilities | None = None
    regulatory: _Regulatory | None = None
    lifecycle: str | None = None
    geography: _Geography | None = None


class DraftEmulation(Dialect):
    """The draft's server. ``token``: the bearer token asked for (None: none, as the document says)."""

    name: ClassVar[str] = "sinch-draft"

    def __init__(self, emulator: Emulator) -> None:
        super().__init__(emulator)
        self.token: str | None = "dr" + hashlib.blake2b(b"sinch-draft/token", digest_size=16).hexdigest()
        self.account = "AC-emulated-1"

    def client_settings(self, base_url: str) -> dict[str, Any]:
        settings = {"base_url": f"{base_url}{_ROOT}", "account_id": self.account, "currency": "USD"}
        return {**settings, "token": self.token} if self.token else settings

    def error(
        self, status: int, message: str, *, retry_after: int | None = None, code: int | None = None
    ) -> Response:
        code = code or _CODES.get(status, 20001 if status < 500 else 20500)
        body = {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        }
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
        return JSONResponse(body, status_code=status, headers=headers)

    def account_of(self, request: Request) -> str | None:
        return request.path_params.get("account") or ("catalog" if self._allowed(request) else None)

    def routes(self) -> list[BaseRoute]:
        return [
            Path(f"{_ROOT}/api/AvailableNumbers", self._search, methods=["GET"]),
            Path(f"{_ROOT}/Account/{{account}}/ActiveNumbers/", self._collection, methods=["GET", "POST"]),
            Path(
                f"{_ROOT}/Accounts/{{account}}/ActiveNumbers/ActiveNumbers/PN{{number}}",
                self._one,
                methods=["GET", "POST", "DELETE"],
            ),
        ]

    def _allowed(self, request: Request) -> bool:
        return self.token is None or request.headers.get("authorization") == f"Bearer {self.token}"

    # -- bodies ----------------------------------------------------------------------------------

    @staticmethod
    def _offer(number: AvailableNumber | ActiveNumber) -> dict[str, Any]:
        caps, place = number.capabilities, number.geography
        setup = getattr(number, "setup_price", None)
        monthly = getattr(number, "monthly_price", None)
        return {
            "phone_number": number.phone_number,
            "type": TYPES.get(number.number_type, number.number_type.value),
            "base_setup_price": str(setup.amount) if setup else None,
            "base_recurring_price": str(monthly.amount) if monthly else None,
            "capabilities": {
                "voice": {
                    "inbound_connectivity": bool(caps.voice),
                    "outbound_connectivity": bool(caps.voice),
                },
                "sms": {"inbound_connectivity": bool(caps.sms), "outbound_connectivity": bool(caps.sms)},
                "mms": {"inbound_connectivity": bool(caps.mms), "outbound_connectivity": bool(caps.mms)},
            },
            "regulatory": {"address_requirements": getattr(number, "address_requirement", None) or "none"},
            "lifecycle": "generally-available",
            "geography": {
                "iso_country": place.iso_country,
                "lata": place.lata,
                "rate_center": place.rate_center,
                "latitude": None if place.latitude is None else str(place.latitude),
                "longitude": None if place.longitude is None else str(place.longitude),
                "region": place.region,
                "locality": place.locality,
                "postal_code": place.postal_code,
            },
        }

    def _number(self, number: ActiveNumber) -> dict[str, Any]:
        config = number.config
        callback = config.status_callback or Callback()

        def route(value: Route | None, *, fallback: bool) -> dict[str, Any]:
            value = value or Route()
            wire = {"url": value.url, "method": value.method or "POST"}
            if fallback:
                wire |= {
                    "fallback_url": value.fallback_url,
                    "fallback_method": value.fallback_method or "POST",
                }
            return {**wire, "application_sid": value.application_id}

        return {
            "friendlyName": number.friendly_name,
            "accountSid": number.account_id,
            "statusCallback": callback.url,
            "statusCallbackMethod": callback.method,
            "configuration": {
                "status_callback_url": callback.url,
                "status_callback_method": callback.method,
                "voice": route(config.voice, fallback=True),
                "sms": route(config.sms, fallback=False),
            },
            **self._offer(number),
        }

    @staticmethod
    def _config(body: dict[str, Any], *, setup: dict[str, Any]) -> NumberConfig:
        fields: dict[str, Any] = {}
        if "friendlyName" in body:
            fields["friendly_name"] = body["friendlyName"]
        url_key = "status_callback_url" if "status_callback_url" in setup else None
        if url_key or "statusCallback" in body:
            callback = {"url": setup[url_key] if url_key else body["statusCallback"]}
            method = setup.get("status_callback_method", body.get("statusCallbackMethod"))
            if "status_callback_method" in setup or "statusCallbackMethod" in body:
                callback["method"] = method
            fields["status_callback"] = Callback(**callback)
        for kind in ("voice", "sms"):
            given = setup.get(kind)
            if isinstance(given, dict):
                names = {"url": "url", "method": "method", "fallback_url": "fallback_url"}
                names |= {"fallback_method": "fallback_method", "application_sid": "application_id"}
                fields[kind] = Route(**{names[k]: v for k, v in given.items() if k in names})
        return NumberConfig(**fields)

    def _page(self, request: Request, docs: list[dict[str, Any]], page: int, *, more: bool) -> Response:
        url = request.url.remove_query_params("page")

        def link(number: int) -> str:
            return str(url.include_query_params(page=number))

        meta = {
            "page": page,
            "page_size": _PAGE,
            "first_page_url": link(0),
            "previous_page_url": link(page - 1) if page else None,
            "url": str(request.url),
            "next_page_url": link(page + 1) if more else None,
            "key": "items",
        }
        return JSONResponse({"items": docs, "meta": meta})

    @staticmethod
    def _page_number(request: Request) -> int:
        text = request.query_params.get("page", "0")
        return int(text) if text.isdigit() else 0

    # -- routes ----------------------------------------------------------------------------------

    async def _search(self, request: Request) -> Response:
        if not self._allowed(request):
            return self.error(401, "Authenticate")
        query = request.query_params
        page = self._page_number(request)
        criteria: dict[str, Any] = {
            "country": query.get("geography.iso_country", "US"),
            "number_type": _NEUTRAL_TYPES.get(query.get("type", "local"), query.get("type", "local")),
            "limit": min((page + 1) * _PAGE + 1, 1000),
        }
        prefix = query.get("phone_number", "")
        if prefix:
            # A prefix with the calling code, as the document's example "+1" reads.
            code = str(phonenumbers.country_code_for_region(criteria["country"]))
            if not prefix.startswith(f"+{code}"):
                return self._page(request, [], page, more=False)
            if prefix.removeprefix(f"+{code}"):
                criteria["starts_with"] = prefix.removeprefix(f"+{code}")
        for field in ("region", "locality", "postal_code", "rate_center", "lata"):
            if f"geography.{field}" in query:
                criteria[field] = query[f"geography.{field}"]
        for field, wire in (("voice", "Voice"), ("sms", "SMS"), ("mms", "MMS")):
            if query.get(f"capabilities.{wire}.inbound_connectivity") == "true":
                criteria[field] = True
        if query.get("regulatory.address_requirements") == "none":
            criteria["exclude_address_required"] = True
        try:
            found = await self.world.account(self.account).search(SearchQuery(**criteria))
        except NumbersError as exc:
            return self.error(400, reason(exc))
        except ValueError as exc:
            return self.error(400, f"Invalid search: {reason(exc)}")
        docs = [self._offer(n) for n in found[page * _PAGE : (page + 1) * _PAGE]]
        return self._page(request, docs, page, more=len(found) > (page + 1) * _PAGE)

    async def _collection(self, request: Request) -> Response:
        if not self._allowed(request):
            return self.error(401, "Authenticate")
        carrier = self.world.account(request.path_params["account"])
        if request.method == "GET":
            page = self._page_number(request)
            country = request.query_params.get("geography.iso_country")
            numbers = [n async for n in carrier.list(**({"country": country} if country else {}))]
            docs = [self._number(n) for n in numbers[page * _PAGE : (page + 1) * _PAGE]]
            return self._page(request, docs, page, more=len(numbers) > (page + 1) * _PAGE)
        e164 = request.query_params.get("phoneNumber", "")
        setup = (await read_json(request, _Configuration)).model_dump(exclude_unset=True)
        try:
            config = self._config({}, setup=setup)
            bought = await carrier.purchase(e164, config=config)
        except (NumberUnavailableError, ConflictError):
            return self.error(400, f"No phone number found for your request: {e164}", code=21452)
        except ComplianceRequiredError as exc:
            # The draft has no compliance fields: what it names is an identity document on file.
            return self.error(
                400, f"This number requires an identity document on file: {reason(exc)}", code=21650
            )
        except NumbersError as exc:
            return self.error(400, reason(exc))
        except ValueError as exc:
            return self.error(400, f"Invalid configuration: {reason(exc)}")
        return JSONResponse(self._number(bought))

    async def _one(self, request: Request) -> Response:
        if not self._allowed(request):
            return self.error(401, "Authenticate")
        carrier = self.world.account(request.path_params["account"])
        e164 = request.path_params["number"]
        try:
            if request.method == "GET":
                return JSONResponse(self._number(await carrier.get(e164)))
            if request.method == "DELETE":
                await carrier.release(e164)
                return Response(status_code=200)
            body = (await read_json(request, _Update)).model_dump(exclude_unset=True)
            setup: dict[str, Any] = body.get("configuration") or {}
            changed = await carrier.configure(e164, self._config(body, setup=setup))
            return JSONResponse(self._number(changed))
        except NotFoundError:
            return self.error(404, f"The requested resource PN{e164} was not found")
        except NumbersError as exc:
            return self.error(400, reason(exc))
        except ValueError as exc:
            return self.error(400, f"Invalid configuration: {reason(exc)}")
