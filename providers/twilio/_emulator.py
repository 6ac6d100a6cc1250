"""Twilio's REST API 2010-04-01 and SignalWire's compatibility API, emulated (phone numbers).

Registered under ``numbers_core.emulators`` as ``twilio`` and ``signalwire``.
Routes, bodies, Basic authentication (account or API key), ``next_page_uri``
paging with a PageToken, and Twilio's own answers: 201 to a purchase of a
number the account owns (an update, as at Twilio), 21422 for one not for
sale, 20404 for a sid that is not the account's; Twilio's magic test
numbers (``+15005550000`` unavailable, ``+15005550001`` invalid) and area
code 533 (21452). SignalWire answers 409 to a release during its cooldown
(``release_cooldown`` seconds after the purchase; 0, off, by default).
"""

from __future__ import annotations

import email.utils
import hashlib
import uuid
from base64 import b64decode
from binascii import Error as Base64Error
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar
from urllib.parse import urlencode

from numbers_core import ActiveNumber, AvailableNumber, Callback, NumberConfig, NumberType, Route, SearchQuery
from numbers_core.emulator import Dialect, Emulator, Shape, read_form, reason
from numbers_core.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    NumbersError,
    NumberUnavailableError,
)
from pydantic import AfterValidator
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute
from starlette.routing import Route as Path

from ._dialect import SIGNALWIRE, TWILIO
from ._dialect import Dialect as Wire

__all__ = ["SignalWireEmulation", "TwilioEmulation"]

# Twilio's magic numbers and area code for test credentials, as Twilio documents them.
_MAGIC = {
    "+15005550000": (400, 21422, "Phone number +15005550000 is not available"),
    "+15005550001": (400, 21421, "PhoneNumber +15005550001 is invalid"),
}
_NO_NUMBERS_AREA_CODE = "533"
_TYPES = {"Local": "local", "TollFree": "toll_free", "Mobile": "mobile"}
_ROUTE_FIELDS = {
    "Url": "url",
    "Method": "method",
    "FallbackUrl": "fallback_url",
    "FallbackMethod": "fallback_method",
}
_LIST_PAGE = 50


def _choice(*allowed: str) -> AfterValidator:
    """A form value among ``allowed`` (any case, as Twilio reads them), or "" (which clears it)."""

    def check(value: str) -> str:
        if value and value.upper() not in {a.upper() for a in allowed}:
            raise ValueError(f"expected {' or '.join(allowed)}")
        return value

    return AfterValidator(check)


Method = Annotated[str, _choice("GET", "POST")]


class _Settable(Shape):
    """The form fields of a number both its purchase and its update take (Twilio's and SignalWire's
    documents): the values are strings, as a form's are."""

    ApiVersion: str | None = None
    FriendlyName: str | None = None
    VoiceUrl: str | None = None
    VoiceMethod: Method | None = None
    VoiceFallbackUrl: str | None = None
    VoiceFallbackMethod: Method | None = None
    VoiceApplicationSid: str | None = None
    VoiceCallerIdLookup: Annotated[str, _choice("true", "false")] | None = None
    VoiceReceiveMode: Annotated[str, _choice("voice", "fax")] | None = None
    SmsUrl: str | None = None
    SmsMethod: Method | None = None
    SmsFallbackUrl: str | None = None
    SmsFallbackMethod: Method | None = None
    SmsApplicationSid: str | None = None
    StatusCallback: str | None = None
    StatusCallbackMethod: Method | None = None
    EmergencyStatus: Annotated[str, _choice("Active", "Inactive")] | None = None
    EmergencyAddressSid: str | None = None
    TrunkSid: str | None = None
    IdentitySid: str | None = None
    AddressSid: str | None = None
    BundleSid: str | None = None


class _Purchase(_Settable):
    PhoneNumber: str | None = None
    AreaCode: str | None = None


class _Update(_Settable):
    AccountSid: str | None = None


@dataclass(frozen=True)
class _Mark:
    """Where a page of a listing starts: how many numbers come before it, the world's cursor after
    them (None: at the first), and where the page before it starts."""

    skip: int
    after: str | None
    before: _Mark | None


_FIRST = _Mark(0, None, None)


def _rfc2822(moment: datetime | None) -> str | None:
    return email.utils.format_datetime(moment.astimezone(UTC)).replace("-0000", "+0000") if moment else None


class TwilioEmulation(Dialect):
    """Twilio's API. Credentials: ``accounts`` (sid → auth token) and ``api_keys`` (sid → secret, account)."""

    name: ClassVar[str] = "twilio"
    wire: ClassVar[Wire] = TWILIO
    id_prefix: ClassVar[str] = "PN"

    def __init__(self, emulator: Emulator) -> None:
        super().__init__(emulator)
        seed = self.name.encode()
        self.accounts = {
            self._sid("AC", seed + b"/1"): self._secret(seed + b"/1"),
            self._sid("AC", seed + b"/2"): self._secret(seed + b"/2"),
        }
        main = next(iter(self.accounts))
        self.api_keys = {self._sid("SK", seed + b"/key"): (self._secret(seed + b"/key"), main)}
        self.release_cooldown = 0.0
        self._bought: dict[str, datetime] = {}
        self._pages: dict[str, _Mark] = {}

    # -- ids and credentials ---------------------------------------------------------------------

    @staticmethod
    def _sid(prefix: str, seed: bytes) -> str:
        return prefix + hashlib.blake2b(seed, digest_size=16).hexdigest()

    @staticmethod
    def _secret(seed: bytes) -> str:
        return hashlib.blake2b(b"secret/" + seed, digest_size=16).hexdigest()

    def number_id(self, account: str, e164: str) -> str:
        return self._sid(self.id_prefix, f"{account}/{e164}".encode())

    def client_settings(self, base_url: str) -> dict[str, Any]:
        account, token = next(iter(self.accounts.items()))
        return {"account_sid": account, "auth_token": token, "base_url": base_url}

    def describe(self) -> dict[str, Any]:
        return {"accounts": sorted(self.accounts), "api_keys": sorted(self.api_keys)}

    def reset(self) -> None:
        self._bought.clear()
        self._pages.clear()

    def _caller(self, request: Request) -> str | None:
        """The account the Basic credentials are of, or None."""
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            user, _, password = b64decode(encoded, validate=True).decode().partition(":")
        except (Base64Error, UnicodeDecodeError):
            return None
        if self.accounts.get(user) == password:
            return user
        key = self.api_keys.get(user)
        return key[1] if key is not None and key[0] == password else None

    def account_of(self, request: Request) -> str | None:
        return self._caller(request)

    # -- answers -------------------------------------------------------------------------------

    def error(
        self, status: int, message: str, *, retry_after: int | None = None, code: int | None = None
    ) -> Response:
        code = code or {401: 20003, 404: 20404, 405: 20004, 429: 20429, 503: 20503}.get(
            status, 20001 if status < 500 else 20500
        )
        body = {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        }
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
        return JSONResponse(body, status_code=status, headers=headers)

    def _failure(self, exc: NumbersError) -> Response:
        if isinstance(exc, NotFoundError):
            return self.error(404, reason(exc))
        if isinstance(exc, NumberUnavailableError):
            return self.error(400, reason(exc), code=21422)
        if isinstance(exc, ConflictError):
            return self.error(409, reason(exc), code=21000)
        return self.error(400, reason(exc), code=21421 if isinstance(exc, InvalidInputError) else None)

    def routes(self) -> list[BaseRoute]:
        root = f"{self.wire.api_root}/Accounts/{{account}}"
        # Twilio answers JSON under ".json" only; SignalWire with or without it.
        suffixes = (".json",) if self.wire.suffix else (".json", "")
        routes: list[BaseRoute] = []
        for suffix in suffixes:
            routes += [
                Path(
                    f"{root}/AvailablePhoneNumbers/{{country}}/{{kind}}{suffix}",
                    self._search,
                    methods=["GET"],
                ),
                Path(f"{root}/IncomingPhoneNumbers{suffix}", self._collection, methods=["GET", "POST"]),
                Path(
                    f"{root}/IncomingPhoneNumbers/{{sid}}{suffix}",
                    self._one,
                    methods=["GET", "POST", "DELETE"],
                ),
            ]
        return routes

    def _authorized(self, request: Request) -> str | Response:
        """The account of the path, if the credentials are its; else the carrier's 401."""
        account: str = request.path_params["account"]
        if self._caller(request) != account:
            return self.error(401, "Authenticate" if self.name == "twilio" else "Authentication failed")
        return account

    # -- wire bodies -----------------------------------------------------------------------------

    def _uri(self, account: str, rest: str) -> str:
        return f"{self.wire.api_root}/Accounts/{account}/{rest}.json"

    def _offer(self, offer: AvailableNumber) -> dict[str, Any]:
        place = offer.geography
        caps = offer.capabilities
        return self.styled_offer(
            {
                "friendly_name": offer.friendly_name or offer.phone_number,
                "phone_number": offer.phone_number,
                "lata": place.lata,
                "locality": place.locality,
                "rate_center": place.rate_center,
                "latitude": None if place.latitude is None else f"{place.latitude:.6f}",
                "longitude": None if place.longitude is None else f"{place.longitude:.6f}",
                "region": place.region,
                "postal_code": place.postal_code,
                "iso_country": place.iso_country,
                "address_requirements": offer.address_requirement or "none",
                "beta": bool(offer.beta),
                # As Twilio answers live (its spec says lower case): "voice", "SMS", "MMS".
                "capabilities": {
                    "voice": bool(caps.voice),
                    "SMS": bool(caps.sms),
                    "MMS": bool(caps.mms),
                    "fax": bool(caps.fax),
                },
            }
        )

    def _number(self, number: ActiveNumber) -> dict[str, Any]:
        account = number.account_id or ""
        sid = self.number_id(account, number.phone_number)
        config = number.config
        doc: dict[str, Any] = {
            "account_sid": account,
            "address_sid": None,
            "address_requirements": "none",
            "api_version": "2010-04-01",
            "beta": False,
            "capabilities": {
                k: bool(getattr(number.capabilities, k)) for k in ("voice", "sms", "mms", "fax")
            },
            "date_created": _rfc2822(number.created_at),
            "date_updated": _rfc2822(number.updated_at),
            "friendly_name": number.friendly_name,
            "identity_sid": None,
            "phone_number": number.phone_number,
            "origin": "twilio",
            "sid": sid,
            "status_callback": config.status_callback.url if config.status_callback else None,
            "status_callback_method": (config.status_callback.method if config.status_callback else None)
            or "POST",
            "trunk_sid": None,
            "uri": self._uri(account, f"IncomingPhoneNumbers/{sid}"),
            "voice_receive_mode": "voice",
            "voice_caller_id_lookup": False,
            "emergency_status": "Inactive",
            "emergency_address_sid": config.emergency_address_id,
            "emergency_address_status": "unregistered",
            "bundle_sid": None,
            "status": "in-use",
            "type": number.number_type.value.replace("_", "-")
            if number.number_type.value != "unknown"
            else "local",
        }
        for kind in ("voice", "sms"):
            route = getattr(config, kind) or Route()
            doc[f"{kind}_url"] = route.url
            doc[f"{kind}_method"] = route.method or "POST"
            doc[f"{kind}_fallback_url"] = route.fallback_url
            doc[f"{kind}_fallback_method"] = route.fallback_method or "POST"
            doc[f"{kind}_application_sid"] = route.application_id
        return self.styled(doc, number)

    def styled(self, doc: dict[str, Any], number: ActiveNumber) -> dict[str, Any]:
        """An owned number as this dialect shows it."""
        return doc

    def styled_offer(self, doc: dict[str, Any]) -> dict[str, Any]:
        """A number for sale as this dialect shows it."""
        return doc

    @staticmethod
    def _config(form: dict[str, str]) -> NumberConfig:
        """The NumberConfig a purchase's or an update's form asks for ("" clears a field)."""
        fields: dict[str, Any] = {}
        if "FriendlyName" in form:
            fields["friendly_name"] = form["FriendlyName"] or None
        for kind in ("Voice", "Sms"):
            route = {
                name: form[f"{kind}{wire}"] or None
                for wire, name in _ROUTE_FIELDS.items()
                if f"{kind}{wire}" in form
            }
            if f"{kind}ApplicationSid" in form:
                route["application_id"] = form[f"{kind}ApplicationSid"] or None
            if route:
                fields[kind.lower()] = Route(**route)
        if "StatusCallback" in form or "StatusCallbackMethod" in form:
            callback = {}
            if "StatusCallback" in form:
                callback["url"] = form["StatusCallback"] or None
            if "StatusCallbackMethod" in form:
                callback["method"] = form["StatusCallbackMethod"] or None
            fields["status_callback"] = Callback(**callback)
        if "EmergencyAddressSid" in form:
            fields["emergency_address_id"] = form["EmergencyAddressSid"] or None
        return NumberConfig(**fields)

    # -- routes ----------------------------------------------------------------------------------

    async def _search(self, request: Request) -> Response:
        account = self._authorized(request)
        if isinstance(account, Response):
            return account
        kind = request.path_params["kind"]
        if kind not in _TYPES or kind not in self.wire.search_types.values():
            return self.error(404, f"The requested resource {request.url.path} was not found")
        query = dict(request.query_params)
        criteria: dict[str, Any] = {"country": request.path_params["country"], "number_type": _TYPES[kind]}
        if "AreaCode" in query:
            criteria["area_code"] = query["AreaCode"]
        if "Contains" in query:
            criteria["contains"] = query["Contains"].strip("+$")
        wired = {wire: field for field, wire in self.wire.search_params.items()}
        for wire, value in query.items():
            field = wired.get(wire)
            if field is None:
                continue
            if field in ("voice", "sms", "mms", "fax", "exclude_address_required"):
                if value.lower() == "true":
                    criteria[field] = True
            else:
                criteria[field] = value
        size = query.get("PageSize", "30")
        # Twilio shows about 30 at most, whatever is asked.
        criteria["limit"] = min(int(size), 30) if size.isdigit() and int(size) > 0 else 30
        try:
            found = await self.world.account(account).search(SearchQuery(**criteria))
        except NumbersError as exc:
            return self._failure(exc)
        except ValueError as exc:
            return self.error(400, f"Invalid search: {reason(exc)}")
        uri = f"{request.url.path}?{request.url.query}" if request.url.query else request.url.path
        return JSONResponse({"uri": uri, "available_phone_numbers": [self._offer(n) for n in found]})

    @staticmethod
    async def _form(request: Request, shape: type[Shape]) -> dict[str, str]:
        """The fields the form gives (a malformed one is refused as Twilio does: 400)."""
        return (await read_form(request, shape)).model_dump(exclude_unset=True)

    async def _collection(self, request: Request) -> Response:
        account = self._authorized(request)
        if isinstance(account, Response):
            return account
        if request.method == "GET":
            return await self._list(request, account)
        form = await self._form(request, _Purchase)
        carrier = self.world.account(account)
        e164 = form.get("PhoneNumber", "")
        if not e164 and "AreaCode" in form:
            if "sid" in request.path_params:
                return self.error(400, "AreaCode is not allowed on this resource", code=21457)
            if form["AreaCode"] == _NO_NUMBERS_AREA_CODE:
                return self.error(
                    400, f"No phone numbers found in area code {_NO_NUMBERS_AREA_CODE}", code=21452
                )
        magic = _MAGIC.get(e164)
        if magic is not None:
            return self.error(magic[0], magic[2], code=magic[1])
        try:
            config = self._config(form)
            if e164:
                try:
                    bought = await carrier.purchase(e164, config=config)
                except ConflictError:
                    # Twilio answers 201 to a number the account owns, updating it.
                    bought = await carrier.configure(e164, config)
            elif "AreaCode" in form:
                bought = await carrier.purchase_any(area_code=form["AreaCode"], config=config)
            else:
                return self.error(400, "A 'PhoneNumber' or 'AreaCode' parameter is required.", code=21421)
        except NumberUnavailableError as exc:
            code = 21452 if not e164 else 21422
            return self.error(
                400, f"Phone number {e164} is not available" if e164 else reason(exc), code=code
            )
        except NumbersError as exc:
            return self._failure(exc)
        except ValueError as exc:
            return self.error(400, f"Invalid parameter: {reason(exc)}", code=21421)
        self._bought.setdefault(bought.phone_number, datetime.now(UTC))
        return JSONResponse(self._number(bought), status_code=201)

    async def _list(self, request: Request, account: str) -> Response:
        query = dict(request.query_params)
        size_text = query.get("PageSize", str(_LIST_PAGE))
        if not size_text.isdigit() or not 1 <= int(size_text) <= 1000:
            return self.error(400, "PageSize must be between 1 and 1000")
        size = int(size_text)
        page = int(query.get("Page", "0")) if query.get("Page", "0").isdigit() else 0
        mark = _FIRST
        if page:
            token = query.get("PageToken", "")
            if token not in self._pages:
                return self.error(
                    400,
                    "Invalid page token" if token else "A PageToken is needed to read a page past the first",
                )
            mark = self._pages[token]
        try:
            rows, rest = await self.world.page(
                account,
                mark.after,
                size,
                contains=query.get("PhoneNumber", "").lstrip("+") or None,
                friendly_name=query.get("FriendlyName") or None,
            )
        except NumbersError as exc:
            return self._failure(exc)
        skip = mark.skip
        base = {k: v for k, v in query.items() if k not in ("Page", "PageToken")}
        base["PageSize"] = str(size)

        def uri(number: int, token: str | None) -> str:
            params = {**base, "Page": str(number), **({"PageToken": token} if token else {})}
            return f"{self.wire.api_root}/Accounts/{account}/IncomingPhoneNumbers.json?{urlencode(params)}"

        following = previous = None
        if rest is not None:
            following = uri(page + 1, self._page_token("PA", _Mark(skip + len(rows), rest, mark)))
        if page:
            # Twilio links every page but the first back to the one before it (a "PB" token).
            previous = uri(page - 1, self._page_token("PB", mark.before or _FIRST))
        body = {
            "incoming_phone_numbers": [self._number(number) for number in rows],
            "first_page_uri": uri(0, None),
            "next_page_uri": following,
            "previous_page_uri": previous,
            "uri": f"{request.url.path}?{request.url.query}" if request.url.query else request.url.path,
            "page": page,
            "page_size": size,
            "start": skip,
            "end": skip + max(len(rows) - 1, 0),
        }
        return JSONResponse(self.styled_page(body))

    def _page_token(self, prefix: str, mark: _Mark) -> str:
        """A new PageToken for the page that starts at ``mark``."""
        token = prefix + uuid.uuid4().hex
        self._pages[token] = mark
        return token

    def styled_page(self, body: dict[str, Any]) -> dict[str, Any]:
        return body

    async def _owned(self, account: str, sid: str) -> ActiveNumber | None:
        async for number in self.world.account(account).list():
            if self.number_id(account, number.phone_number) == sid:
                return number
        return None

    async def _one(self, request: Request) -> Response:
        account = self._authorized(request)
        if isinstance(account, Response):
            return account
        sid = request.path_params["sid"]
        if sid in _TYPES and request.method != "DELETE":  # IncomingPhoneNumbers/Local.json and friends
            return await self._collection(request)
        number = await self._owned(account, sid)
        if number is None:
            return self.error(404, f"The requested resource {request.url.path} was not found")
        carrier = self.world.account(account)
        e164 = number.phone_number
        try:
            if request.method == "GET":
                return JSONResponse(self._number(number))
            if request.method == "DELETE":
                bought = self._bought.get(e164)
                if (
                    self.release_cooldown
                    and bought
                    and (datetime.now(UTC) - bought).total_seconds() < self.release_cooldown
                ):
                    return self.error(
                        409, f"{e164} cannot be released during its cooldown after purchase", code=21000
                    )
                await carrier.release(e164)
                self._bought.pop(e164, None)
                return Response(status_code=204)
            form = await self._form(request, _Update)
            target = form.pop("AccountSid", None)
            if form:
                number = await carrier.configure(e164, self._config(form))
            if target and target != account:
                if target not in self.accounts:
                    return self.error(
                        400, f"AccountSid {target} is not an account you can move numbers to", code=20001
                    )
                number = await carrier.transfer(e164, target)
            return JSONResponse(self._number(number))
        except NumbersError as exc:
            return self._failure(exc)
        except ValueError as exc:
            return self.error(400, f"Invalid parameter: {reason(exc)}")


class SignalWireEmulation(TwilioEmulation):
    """SignalWire's compatibility API: UUID ids, ``/api/laml`` paths, its own fields and cooldown."""

    name: ClassVar[str] = "signalwire"
    wire: ClassVar[Wire] = SIGNALWIRE

    def __init__(self, emulator: Emulator) -> None:
        super().__init__(emulator)
        seed = self.name.encode()
        self.accounts = {
            self._uuid(seed + b"/1"): "PT" + self._secret(seed + b"/1") * 2,
            self._uuid(seed + b"/2"): "PT" + self._secret(seed + b"/2") * 2,
        }
        self.api_keys = {}

    @staticmethod
    def _uuid(seed: bytes) -> str:
        return str(uuid.UUID(bytes=hashlib.blake2b(seed, digest_size=16).digest(), version=4))

    def number_id(self, account: str, e164: str) -> str:
        return self._uuid(f"{account}/{e164}".encode())

    def client_settings(self, base_url: str) -> dict[str, Any]:
        account, token = next(iter(self.accounts.items()))
        return {"project_id": account, "api_token": token, "base_url": base_url}

    def styled(self, doc: dict[str, Any], number: ActiveNumber) -> dict[str, Any]:
        for gone in ("status", "type", "bundle_sid", "emergency_address_status", "voice_receive_mode"):
            doc.pop(gone, None)
        doc.update(account_id=doc["account_sid"], country_code=number.geography.iso_country or "US")
        doc["origin"] = "signalwire"
        if number.number_type is NumberType.TOLL_FREE:
            doc["verification_status"] = "Unverified"
        return doc

    def styled_offer(self, doc: dict[str, Any]) -> dict[str, Any]:
        doc.pop("address_requirements")
        doc["capabilities"].pop("fax")
        doc["beta"] = False
        # SignalWire's document: these are "always null" (InLocality still filters), and the rate
        # center and region are given for US and Canadian numbers only.
        doc.update(dict.fromkeys(("lata", "locality", "latitude", "longitude", "postal_code")))
        if doc["iso_country"] not in ("US", "CA"):
            doc.update(rate_center=None, region=None)
        return doc

    def styled_page(self, body: dict[str, Any]) -> dict[str, Any]:
        body.pop("start", None)
        body.pop("end", None)
        return body
