"""Vonage's Numbers API and its Subaccounts API's transfers, emulated: registered as ``vonage``.

One server answers both hosts' paths: ``GET /number/search``, ``POST
/number/buy``, ``/number/cancel``, ``/number/update`` (form bodies only: a
JSON body is refused as Vonage refuses it, ``{"country": "Is required."}``),
``GET /account/numbers`` (``index``/``size`` pages, ``{}`` past the end) and
``POST /accounts/{api_key}/transfer-number`` (JSON, RFC 7807 errors).
Credentials are Basic, or ``api_key``/``api_secret`` in the query or the form,
as Vonage takes them. Refusals are Vonage's catch-all 420 ``method failed``;
a regulated number (the sandbox's rules) is the 420 that sends buyers to the
dashboard. An update replaces the number's whole configuration: what the form
leaves out is cleared. ``target_api_key`` buys or cancels for a subaccount.
A form of the wrong shape (the document's fields, each given once) is a 400
keyed by field, ``{"msisdn": "Is required."}``, ``{"country": "Is invalid."}``;
one Vonage cannot read at all is read as none: its country is required.

Vonage's own SDK speaks HTTPS only: ``numbers emulate vonage --tls`` (or
``serve(emulator, tls=True)``) serves it with a certificate made on the spot.
What Vonage keeps of a number lives in its ``config.extra["vonage"]``, so it
is in the state file too.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import uuid
from typing import Annotated, Any, ClassVar, Literal, TypeVar

import phonenumbers
from numbers_core import ActiveNumber, AvailableNumber, NumberConfig, SearchQuery
from numbers_core.adapter import region_of
from numbers_core.emulator import BadRequest, Dialect, Emulator, Shape, read_form, read_json
from numbers_core.errors import ComplianceRequiredError, NotFoundError, NumbersError
from pydantic import ConfigDict, Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute
from starlette.routing import Route as Path

from ._codec import TYPES

__all__ = ["VonageEmulation"]

_NEUTRAL_TYPES = {wire: neutral for neutral, wire in TYPES.items()}
_FEATURES = {"SMS", "VOICE", "MMS", "SMS,VOICE", "SMS,MMS", "VOICE,MMS", "SMS,MMS,VOICE"}
# What an update sets; everything else of a number is the sandbox's.
_SETTINGS = (
    "app_id",
    "moHttpUrl",
    "voiceCallbackType",
    "voiceCallbackValue",
    "voiceStatusCallback",
    "moSmppSysType",
)
_FAILED = "method failed"
# The 420 of the API's own document, for numbers that need a local address.
_DASHBOARD = (
    "Numbers from this country can be requested from the Dashboard "
    "(https://dashboard.nexmo.com/buy-numbers) as they require a valid local address to be "
    "provided before being purchased."
)
_SEARCH_MAX = 1000
_FORM = "application/x-www-form-urlencoded"


# -- request bodies, as Vonage's documents have them ----------------------------------------------


class _Form(Shape):
    """A form of the Numbers API: its credentials may come in it too (as Ruby users sent them);
    a field the document does not name is ignored."""

    model_config = ConfigDict(extra="ignore")

    api_key: str | None = None
    api_secret: str | None = None
    country: Annotated[str, Field(min_length=2, max_length=2)]
    msisdn: str


class _Subject(_Form):
    """A buy's or a cancel's form."""

    target_api_key: str | None = None


class _Update(_Form):
    app_id: str | None = None
    moHttpUrl: str | None = None
    moSmppSysType: str | None = None
    # "" clears it, as a form says nothing else.
    voiceCallbackType: Literal["sip", "tel", "app", ""] | None = None
    voiceCallbackValue: str | None = None
    voiceStatusCallback: str | None = None
    messagesCallbackType: Literal["app", ""] | None = None
    messagesCallbackValue: str | None = None


class _Transfer(Shape):
    """The Subaccounts API's transfer of a number (JSON)."""

    model_config = ConfigDict(extra="ignore")

    source: str = Field(alias="from")
    to: str
    number: str
    country: str


Body = TypeVar("Body", bound=_Form)


class VonageEmulation(Dialect):
    """Vonage's Numbers API: one account (an API key and secret), its subaccounts by API key."""

    name: ClassVar[str] = "vonage"

    def __init__(self, emulator: Emulator) -> None:
        super().__init__(emulator)
        # Letters and digits, as Vonage's keys: a key of digits only would read as part of a number.
        self.api_key = "ve" + hashlib.blake2b(b"vonage/emulator", digest_size=3).hexdigest()
        self.api_secret = hashlib.blake2b(b"vonage/secret", digest_size=8).hexdigest()

    def client_settings(self, base_url: str) -> dict[str, Any]:
        return {
            "api_key": self.api_key,
            "api_secret": self.api_secret,
            "base_url": base_url,
            "api_url": base_url,
        }

    def describe(self) -> dict[str, Any]:
        return {"api_key": self.api_key}

    def error(self, status: int, message: str, *, retry_after: int | None = None) -> Response:
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
        return JSONResponse({"error-code": str(status), "error-code-label": message}, status, headers=headers)

    def _failed(self, label: str = _FAILED) -> Response:
        return self.error(420, label)

    def _field(self, name: str, problem: str = "Is required.") -> Response:
        # How Vonage refuses a form it cannot read (Vonage/vonage-ruby-sdk#95).
        return JSONResponse({name: problem}, 400)

    def bad_request(self, request: Request, refusal: BadRequest) -> Response:
        """A form of the wrong shape: 400 keyed by field (``Is required.``, ``Is invalid.``); one it
        cannot read at all, as none (its country is required); the transfer API's problem on its
        path; a path or query no client sends, or a body too large, Vonage's error."""
        if request.url.path.startswith("/accounts/"):
            return self._problem(refusal.status, refusal.message)
        if refusal.status != 400 or any(v.rule in ("path", "query") for v in refusal.violations):
            return self.error(refusal.status, refusal.message)
        named = {
            v.field: "Is required." if v.rule == "required" else "Is invalid."
            for v in refusal.violations
            if v.field
        }
        return JSONResponse(named or {"country": "Is required."}, 400)

    def account_of(self, request: Request) -> str | None:
        return self.api_key if self._key_of(request, {}) else None

    def routes(self) -> list[BaseRoute]:
        return [
            Path("/number/search", self._search, methods=["GET"]),
            Path("/number/buy", self._buy, methods=["POST"]),
            Path("/number/cancel", self._cancel, methods=["POST"]),
            Path("/number/update", self._update, methods=["POST"]),
            Path("/account/numbers", self._owned, methods=["GET"]),
            Path("/accounts/{key}/transfer-number", self._transfer, methods=["POST"]),
        ]

    # -- credentials and bodies --------------------------------------------------------------------

    def _key_of(self, request: Request, form: dict[str, str]) -> bool:
        basic = base64.b64encode(f"{self.api_key}:{self.api_secret}".encode()).decode()
        if secrets.compare_digest(request.headers.get("authorization", ""), f"Basic {basic}"):
            return True
        # The 1.0 document's query credentials; in a form, as Ruby users sent them (ruby-sdk#24).
        for given in (request.query_params, form):
            if given.get("api_key") == self.api_key and given.get("api_secret") == self.api_secret:
                return True
        return False

    async def _form(self, request: Request, shape: type[Body]) -> Body | Response:
        """The form of a POST as ``shape``, authenticated; or the answer refusing it."""
        if not request.headers.get("content-type", "").startswith(_FORM):
            return self._field("country")  # a JSON body is not read at all
        form = await read_form(request, shape)
        if not self._key_of(request, form.model_dump()):
            return self.error(401, "authentication failed")
        if not form.msisdn:
            return self._field("msisdn")
        return form

    @staticmethod
    def _number(msisdn: str, country: str) -> str | None:
        """The number ``msisdn``, if it is one and in ``country``."""
        if not msisdn.isdigit():
            return None
        e164 = f"+{msisdn}"
        try:
            parsed = phonenumbers.parse(e164)
        except phonenumbers.NumberParseException:
            return None
        country = country.upper()
        return (
            e164
            if region_of(e164) in (None, country)
            and parsed.country_code == phonenumbers.country_code_for_region(country)
            else None
        )

    def _account(self, form: _Subject) -> str | Response:
        target = form.target_api_key
        if target is None:
            return self.api_key
        return target if target.isalnum() else self._field("target_api_key", "Is invalid.")

    # -- what the API shows ------------------------------------------------------------------------

    @staticmethod
    def _features(number: AvailableNumber | ActiveNumber) -> list[str]:
        caps = number.capabilities
        return [name for name, has in (("VOICE", caps.voice), ("SMS", caps.sms), ("MMS", caps.mms)) if has]

    def _offer(self, offer: AvailableNumber) -> dict[str, Any]:
        monthly, setup = offer.monthly_price, offer.setup_price
        return {
            "country": offer.geography.iso_country or region_of(offer.phone_number) or "US",
            "msisdn": offer.phone_number[1:],
            "type": TYPES.get(offer.number_type, "landline"),
            "cost": f"{monthly.amount:.2f}" if monthly else "1.00",
            "initialPrice": f"{setup.amount:.2f}" if setup else "0.00",
            "features": self._features(offer),
        }

    @staticmethod
    def _state(number: ActiveNumber) -> dict[str, str]:
        state = number.config.extra.get("vonage")
        return dict(state) if isinstance(state, dict) else {}

    def _owned_item(self, number: ActiveNumber) -> dict[str, Any]:
        state = self._state(number)
        item: dict[str, Any] = {
            "country": number.geography.iso_country or region_of(number.phone_number) or "US",
            "msisdn": number.phone_number[1:],
            "type": TYPES.get(number.number_type, "landline"),
            "features": self._features(number),
        }
        app = state.get("app_id")
        if app:
            # As Vonage lists a linked number: the Application in app_id and in the old fields.
            item.update(app_id=app, messagesCallbackType="app", messagesCallbackValue=app)
            item.update(voiceCallbackType="app", voiceCallbackValue=app)
        for key in ("moHttpUrl", "voiceCallbackType", "voiceCallbackValue"):
            if state.get(key):
                item[key] = state[key]
        return item

    @staticmethod
    def _page(q: Any, default: int) -> tuple[int, int] | None:
        size, index = q.get("size", str(default)), q.get("index", "1")
        if not size.isdigit() or not index.isdigit() or not 1 <= int(size) <= 100 or int(index) < 1:
            return None
        return int(size), int(index)

    # -- routes ------------------------------------------------------------------------------------

    async def _search(self, request: Request) -> Response:
        q = request.query_params
        if not self._key_of(request, {}):
            return self.error(401, "authentication failed")
        country = (q.get("country") or "").upper()
        if len(country) != 2 or not country.isalpha():
            return self._field("country")
        kind = q.get("type", "landline")
        features = q.get("features")
        if kind not in _NEUTRAL_TYPES:
            return self._field("type", "Is invalid.")
        if features is not None and features not in _FEATURES:
            return self._field("features", "Is invalid.")
        paging = self._page(q, 10)
        if paging is None:
            return self._field("size", "Is invalid.")
        size, index = paging
        criteria: dict[str, Any] = {"country": country, "number_type": _NEUTRAL_TYPES[kind]}
        wanted = set((features or "").split(","))
        criteria.update(voice="VOICE" in wanted, sms="SMS" in wanted, mms="MMS" in wanted)
        pattern, where = q.get("pattern", ""), q.get("search_pattern", "0")
        if where not in ("0", "1", "2"):
            return self._field("search_pattern", "Is invalid.")
        if pattern:
            if not pattern.isdigit():
                return JSONResponse({})
            if where == "0":
                code = str(phonenumbers.country_code_for_region(country))
                if not pattern.startswith(code) and not code.startswith(pattern):
                    return JSONResponse({})
                if len(pattern) > len(code):
                    criteria["starts_with"] = pattern[len(code) :]
            else:
                criteria["contains" if where == "1" else "ends_with"] = pattern
        try:
            query = SearchQuery(**criteria, limit=min(_SEARCH_MAX, (index + 1) * size))
            found = await self.world.account(self.api_key).search(query)
        except (NumbersError, ValueError):
            return JSONResponse({})  # nothing Vonage sells matches: as it answers an empty search
        page = found[(index - 1) * size : index * size]
        if not page:
            return JSONResponse({})
        return JSONResponse({"count": len(found), "numbers": [self._offer(n) for n in page]})

    async def _subject(self, request: Request) -> tuple[str, str] | Response:
        """The account (``target_api_key``'s, else the caller's) and the number a buy or cancel names."""
        form = await self._form(request, _Subject)
        if isinstance(form, Response):
            return form
        account = self._account(form)
        if isinstance(account, Response):
            return account
        e164 = self._number(form.msisdn, form.country)
        return self._failed() if e164 is None else (account, e164)

    async def _buy(self, request: Request) -> Response:
        subject = await self._subject(request)
        if isinstance(subject, Response):
            return subject
        account, e164 = subject
        try:
            bought = await self.world.account(account).purchase(e164)
        except ComplianceRequiredError:
            return self._failed(_DASHBOARD)
        except NumbersError:  # taken, not sold, already this account's: Vonage says no more
            return self._failed()
        await self._keep(account, bought, {})
        return self.error(200, "success")

    async def _keep(self, account: str, number: ActiveNumber, state: dict[str, str]) -> ActiveNumber:
        return await self.world.account(account).configure(
            number.phone_number, NumberConfig(extra={"vonage": state})
        )

    async def _cancel(self, request: Request) -> Response:
        subject = await self._subject(request)
        if isinstance(subject, Response):
            return subject
        account, e164 = subject
        try:
            await self.world.account(account).release(e164)
        except NumbersError:
            return self._failed()
        return self.error(200, "success")

    async def _update(self, request: Request) -> Response:
        given = await self._form(request, _Update)
        if isinstance(given, Response):
            return given
        e164 = self._number(given.msisdn, given.country)
        if e164 is None:
            return self._failed()
        form = given.model_dump(exclude_unset=True)
        kind = form.get("voiceCallbackType")
        if bool(kind) != bool(form.get("voiceCallbackValue")):
            return self._field("voiceCallbackValue" if kind else "voiceCallbackType")
        try:
            number = await self.world.account(self.api_key).get(e164)
        except NumbersError:
            return self._failed()
        # The form replaces the configuration: a setting it leaves out is cleared.
        state = {key: form[key] for key in _SETTINGS if form.get(key)}
        if state.get("voiceCallbackType") == "app":
            state["app_id"] = state.pop("voiceCallbackValue")
            del state["voiceCallbackType"]
        await self._keep(self.api_key, number, state)
        return self.error(200, "success")

    async def _owned(self, request: Request) -> Response:
        q = request.query_params
        if not self._key_of(request, {}):
            return self.error(401, "authentication failed")
        paging = self._page(q, 10)
        if paging is None:
            return self._field("size", "Is invalid.")
        size, index = paging
        pattern, where = q.get("pattern", ""), q.get("search_pattern", "0")
        country, app = q.get("country"), q.get("application_id")
        linked = q.get("has_application")
        matched = []
        async for number in self.world.account(self.api_key).list():
            item = self._owned_item(number)
            digits = item["msisdn"]
            if pattern and not (
                digits.startswith(pattern)
                if where == "0"
                else (pattern in digits if where == "1" else digits.endswith(pattern))
            ):
                continue
            if country and item["country"] != country.upper():
                continue
            if app and item.get("app_id") != app:
                continue
            if linked in ("true", "false") and ("app_id" in item) != (linked == "true"):
                continue
            matched.append(item)
        page = matched[(index - 1) * size : index * size]
        if not page:
            return JSONResponse({})
        return JSONResponse({"count": len(matched), "numbers": page})

    def _problem(self, status: int, detail: str) -> Response:
        body = {
            "type": "https://developer.nexmo.com/api-errors/subaccounts#invalid-number-transfer",
            "title": "Invalid Number Transfer",
            "detail": detail,
            "instance": str(uuid.uuid4()),
        }
        return JSONResponse(body, status, media_type="application/problem+json")

    async def _transfer(self, request: Request) -> Response:
        basic = base64.b64encode(f"{self.api_key}:{self.api_secret}".encode()).decode()
        if request.headers.get("authorization", "") != f"Basic {basic}":
            return JSONResponse(
                {
                    "type": "https://developer.nexmo.com/api-errors#unauthorized",
                    "title": "Invalid credentials supplied",
                    "detail": "You did not provide correct credentials.",
                    "instance": str(uuid.uuid4()),
                },
                401,
            )
        if request.path_params["key"] != self.api_key:
            return self._problem(403, "Only the primary account may transfer numbers")
        body = await read_json(request, _Transfer)
        source, target = body.source, body.to
        if not target.isalnum() or target == source:
            return self._problem(400, "The accounts involved in the transfer are not valid")
        e164 = self._number(body.number, body.country)
        if e164 is None:
            return self._problem(400, "The number is not valid for that country")
        try:
            await self.world.account(source).transfer(e164, target)
        except NotFoundError:
            return self._problem(400, "The number is not owned by the account transferring it")
        except NumbersError as exc:
            return self._problem(400, exc.message)
        return JSONResponse({"number": body.number, "country": body.country, "from": source, "to": target})
