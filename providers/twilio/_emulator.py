"""Twilio's REST API 2010-04-01 and SignalWire's compatibility API, emulated (phone numbers).

Registered under ``numbers_core.emulators`` as ``twilio`` and ``signalwire``.
Routes, bodies, Basic authentication (account or API key), ``next_page_uri``
paging with a PageToken, and Twilio's own answers: 201 to a purchase of a
number the account owns (an update, as at Twilio), 21422 for one not for
sale, 20404 for a sid that is not the account's; Twilio's magic test
numbers (``+15005550000`` unavailable, ``+15005550001`` invalid) and area
code 533 (21452). SignalWire answers 409 to a release during its cooldown
(``release_cooldown`` seconds after the purchase; 0, off, by default).

Commerce, from the sandbox's catalogue and rules: both dialects list their
countries (``AvailablePhoneNumbers``); Twilio's also serves its Pricing API
(``/v1/PhoneNumbers/Countries``), Regulations (``/v2/RegulatoryCompliance``)
and Addresses on the same host, refuses a purchase missing its paperwork with
21631, 21615 or 21649 in Twilio's own words, and shows a number's compliance
sids and emergency registration. Forms and listings' queries are read as
Twilio's documents have them (``Shape``); a malformed one is answered 400.
"""

from __future__ import annotations

import email.utils
import functools
import hashlib
import uuid
from base64 import b64decode
from binascii import Error as Base64Error
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, Self
from urllib.parse import urlencode

import phonenumbers
from numbers_core import (
    ActiveNumber,
    Address,
    AvailableNumber,
    Callback,
    ComplianceScope,
    NumberCompliance,
    NumberConfig,
    NumberType,
    RequirementKind,
    Route,
    SearchQuery,
)
from numbers_core.adapter import Feature
from numbers_core.emulator import (
    BadRequest,
    Dialect,
    Emulator,
    JSONAnswer,
    Shape,
    read_form,
    read_query,
    reason,
)
from numbers_core.errors import (
    AddressValidationError,
    ComplianceRequiredError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    NumbersError,
    NumberUnavailableError,
)
from pydantic import AfterValidator, ConfigDict, Field, model_validator
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.routing import Route as Path

from ._codec import spelled_type
from ._commerce import regulation_type
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
# How the Pricing API spells the types it prices (cross_carrier.md §8); it prices no others.
_PRICED = {
    NumberType.LOCAL: "local",
    NumberType.MOBILE: "mobile",
    NumberType.NATIONAL: "national",
    NumberType.TOLL_FREE: "toll free",
}
_END_USERS = {
    "individual": ("Individual", ["first_name", "last_name"]),
    "business": ("Business", ["business_name"]),
}
# The address list's filters: the query parameter, the document's field it matches.
_ADDRESS_FILTERS = {
    "CustomerName": "customer_name",
    "FriendlyName": "friendly_name",
    "EmergencyEnabled": "emergency_enabled",
    "IsoCountry": "iso_country",
}
_PAPERS = {"AddressSid": "address_id", "BundleSid": "bundle_id", "IdentitySid": "identity_id"}
# Twilio's own words for a purchase or transfer refused for want of paperwork, by code: the form
# field the code is about, then what Twilio says without it and with one that does not meet the
# requirement (as seen, cross_carrier.md §2; the code's title where nothing else was seen).
_PAPERWORK: dict[int, tuple[str, str, str]] = {
    21631: (
        "AddressSid",
        "Phone Number Requires an Address but the 'AddressSid' parameter was empty.",
        "Phone Number Requires an Address",
    ),
    21613: ("AddressSid", "PhoneNumber Requires an Address", "PhoneNumber Requires an Address"),
    21615: (
        "AddressSid",
        "Phone Number Requires a Local Address",
        "Could not find Address with sid {sid} for account {account} to satisfy Local Address requirement",
    ),
    21649: (
        "BundleSid",
        "Bundle required and not provided for country: [{country}] and numberType: [{type}]",
        "Bundle [{sid}] status is not twilio-approved",
    ),
    21651: (
        "BundleSid",
        "Document does not satisfy regulatory requirement",
        "Document does not satisfy regulatory requirement",
    ),
    21650: (
        "IdentitySid",
        "Phone Number Requires a Verified Identity Document",
        "Phone Number Requires a Verified Identity Document",
    ),
}
# What a DependentPhoneNumber shows of the number (its spec's fields).
_DEPENDENT = frozenset(
    {
        "sid",
        "account_sid",
        "friendly_name",
        "phone_number",
        "voice_url",
        "voice_method",
        "voice_fallback_method",
        "voice_fallback_url",
        "voice_caller_id_lookup",
        "date_created",
        "date_updated",
        "sms_fallback_method",
        "sms_fallback_url",
        "sms_method",
        "sms_url",
        "address_requirements",
        "capabilities",
        "status_callback",
        "status_callback_method",
        "api_version",
        "sms_application_sid",
        "voice_application_sid",
        "trunk_sid",
        "emergency_status",
        "emergency_address_sid",
        "uri",
    }
)


def _pattern(contains: str, country: str) -> dict[str, str]:
    """The search criterion a Contains pattern means: ``+`` anchors it at the start of the E.164
    number (a prefix of the national number after the country's calling code), ``$`` at the end."""
    if contains.endswith("$"):
        return {"ends_with": contains[:-1]}
    if contains.startswith("+"):
        calling_code = str(phonenumbers.country_code_for_region(country.upper()))
        national = contains[1:].removeprefix(calling_code)
        if national != contains[1:] and national:
            return {"starts_with": national}
    return {"contains": contains.strip("+$")}


def _matches(field: object, wanted: str) -> bool:
    """Whether a document's ``field`` is what a filter asks for (a flag as ``true`` or ``false``)."""
    return str(field).lower() == wanted.lower() if isinstance(field, bool) else field == wanted


def _count(text: str) -> int | None:
    """The whole number ``text`` spells in ASCII digits (a page size or number), or None."""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else None


def _choice(*allowed: str) -> AfterValidator:
    """A form value among ``allowed`` (any case, as Twilio reads them), or "" (which clears it)."""

    def check(value: str) -> str:
        if value and value.upper() not in {a.upper() for a in allowed}:
            raise ValueError(f"expected {' or '.join(allowed)}")
        return value

    return AfterValidator(check)


Method = Annotated[str, _choice("GET", "POST")]
Flag = Annotated[str, _choice("true", "false")]


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
    VoiceCallerIdLookup: Flag | None = None
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


class _NewAddress(Shape):
    """An address's form (Twilio's Addresses document): the six it requires, then the optional ones."""

    CustomerName: str
    Street: str
    City: str
    Region: str
    PostalCode: str
    IsoCountry: str
    FriendlyName: Annotated[str, Field(max_length=64)] | None = None
    EmergencyEnabled: Flag | None = None
    # The emulator stores the address as corrected either way (the sandbox's rules).
    AutoCorrectAddress: Flag | None = None
    StreetSecondary: str | None = None

    @model_validator(mode="after")
    def _emergency_name(self) -> Self:
        # Twilio's document: an emergency address's friendly name is 32 characters at most.
        emergency = (self.EmergencyEnabled or "").lower() == "true"
        if emergency and self.FriendlyName is not None and len(self.FriendlyName) > 32:
            raise ValueError("FriendlyName: at most 32 characters for an emergency address")
        return self


class _Query(Shape):
    """A listing's query parameters, as its document has them. Any other is passed over, as
    Twilio's APIs do; a documented one of the wrong value or given twice is refused."""

    model_config = ConfigDict(extra="ignore")

    PageSize: str | None = None
    Page: str | None = None
    PageToken: str | None = None


class _NumberQuery(_Query):
    Beta: Flag | None = None
    FriendlyName: str | None = None
    PhoneNumber: str | None = None
    Origin: str | None = None


class _AddressQuery(_Query):
    CustomerName: str | None = None
    FriendlyName: str | None = None
    EmergencyEnabled: Flag | None = None
    IsoCountry: str | None = None


class _RegulationQuery(_Query):
    EndUserType: Annotated[str, _choice(*_END_USERS)] | None = None
    IsoCountry: str | None = None
    NumberType: str | None = None
    # The regulations shown carry no constraints, asked for or not.
    IncludeConstraints: Flag | None = None


@dataclass(frozen=True)
class _Filed:
    """What the emulator keeps of an address besides the sandbox's: Twilio dates and names them."""

    created: datetime
    friendly_name: str | None


@dataclass(frozen=True)
class _Mark:
    """Where a page of a listing starts: how many items come before it, the world's cursor after
    them (None: at the first, or a listing read whole), and where the page before it starts."""

    skip: int
    after: str | None
    before: _Mark | None


_FIRST = _Mark(0, None, None)
# What a number without papers or without a route shows (the models are frozen: one of each does).
_NO_PAPERS = NumberCompliance()
_NO_ROUTE = Route()
#: a list request's page size, page number, and where the page starts
Window = tuple[int, int, _Mark]


def _rfc2822(moment: datetime | None) -> str | None:
    return _rfc2822_second(moment.astimezone(UTC).replace(microsecond=0)) if moment else None


# Whole seconds, each written once: a listing shows numbers bought in the same seconds, and the
# writing (email.utils) was a fifth of a listing's time.
@functools.lru_cache(maxsize=4096)
def _rfc2822_second(moment: datetime) -> str:
    return email.utils.format_datetime(moment).replace("-0000", "+0000")


def _basic(authorization: str) -> tuple[str, str] | None:
    """The user and password of Basic credentials; None for any other kind, or one not decodable."""
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, _, password = b64decode(encoded, validate=True).decode().partition(":")
    except (Base64Error, UnicodeDecodeError):
        return None
    return user, password


class TwilioEmulation(Dialect):
    """Twilio's API. Credentials: ``accounts`` (sid → auth token) and ``api_keys`` (sid → secret, account)."""

    name: ClassVar[str] = "twilio"
    wire: ClassVar[Wire] = TWILIO
    id_prefix: ClassVar[str] = "PN"
    #: whether the country list links every searchable type, sold in the country or not
    lists_every_type: ClassVar[bool] = False

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
        self._filed: dict[str, _Filed] = {}

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
        self._filed.clear()

    def _caller(self, request: Request) -> str | None:
        """The account the Basic credentials are of, or None."""
        given = _basic(request.headers.get("authorization", ""))
        if given is None:
            return None
        user, password = given
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
        return JSONAnswer(body, status_code=status, headers=headers)

    def bad_request(self, request: Request, refusal: BadRequest) -> Response:
        missing = next((v.field for v in refusal.violations if v.rule == "required"), None)
        if missing is not None:  # Twilio's own words for it
            return self.error(400, f"Missing required parameter {missing} in the post body", code=20001)
        return super().bad_request(request, refusal)

    def _failure(
        self, exc: NumbersError, form: Mapping[str, str | None] | None = None, account: str = ""
    ) -> Response:
        """The carrier's answer to a refusal; ``form`` and ``account``: the paperwork a purchase or
        transfer gave, and whose it is, which Twilio's refusal of them names."""
        if isinstance(exc, NotFoundError):
            return self.error(404, reason(exc))
        if isinstance(exc, NumberUnavailableError):
            return self.error(400, reason(exc), code=21422)
        if isinstance(exc, ConflictError):
            return self.error(409, reason(exc), code=21000)
        if isinstance(exc, ComplianceRequiredError):
            return self._paperwork_refused(exc, form or {}, account)
        if isinstance(exc, AddressValidationError):
            return self.error(400, reason(exc), code=self._refusal_code(exc))
        return self.error(400, reason(exc), code=21421 if isinstance(exc, InvalidInputError) else None)

    def _paperwork_refused(
        self, exc: ComplianceRequiredError, form: Mapping[str, str | None], account: str
    ) -> Response:
        """A purchase or transfer refused for its paperwork, in Twilio's own words where it has a code."""
        code = self._refusal_code(exc)
        said = _PAPERWORK.get(code) if code is not None else None
        if said is None:
            return self.error(400, reason(exc), code=code)
        field, without, unfit = said
        sid = form.get(field)
        words = {
            "sid": sid,
            "account": account,
            "country": exc.country,
            "type": exc.number_type.name if exc.number_type else None,
        }
        return self.error(400, (unfit if sid else without).format(**words), code=code)

    def _refusal_code(self, exc: ComplianceRequiredError | AddressValidationError) -> int | None:
        """The carrier's code for a refused paperwork or address (the adapter's mapping, read backwards:
        the first code of each meaning); None where the dialect has none (SignalWire)."""
        if isinstance(exc, AddressValidationError):
            found = next(
                (c for c, kind in self.wire.error_codes.items() if kind is AddressValidationError), None
            )
            return None if found is None else int(found)
        codes: dict[tuple[RequirementKind, ComplianceScope], str] = {}
        for wire_code, meaning in self.wire.compliance_codes.items():
            codes.setdefault(meaning, wire_code)
        code = codes.get((exc.requirement, exc.scope))
        if code is None and exc.requirement is RequirementKind.LOCAL_ADDRESS:
            # No address on file fits at all: "Requires an Address" (21631 lists that cause too).
            code = codes.get((RequirementKind.ADDRESS, ComplianceScope.ACCOUNT))
        return None if code is None else int(code)

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
                Path(f"{root}/AvailablePhoneNumbers{suffix}", self._countries, methods=["GET"]),
            ]
        return routes + self._commerce_routes(root)

    def _commerce_routes(self, root: str) -> list[BaseRoute]:
        """Twilio's other APIs, each where the dialect's features say it has one (SignalWire: none)."""
        features = self.wire.features
        routes: list[BaseRoute] = []
        if Feature.PRICES in features:
            routes += [
                Path("/v1/PhoneNumbers/Countries", self._price_countries, methods=["GET"]),
                Path("/v1/PhoneNumbers/Countries/{country}", self._price_country, methods=["GET"]),
            ]
        if Feature.REQUIREMENTS in features:
            routes.append(Path("/v2/RegulatoryCompliance/Regulations", self._regulations, methods=["GET"]))
        if Feature.ADDRESSES in features:
            routes += [
                Path(f"{root}/Addresses.json", self._address_book, methods=["GET", "POST"]),
                Path(f"{root}/Addresses/{{sid}}.json", self._address_one, methods=["GET", "DELETE"]),
                Path(
                    f"{root}/Addresses/{{sid}}/DependentPhoneNumbers.json",
                    self._address_dependents,
                    methods=["GET"],
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
        papers = number.compliance or _NO_PAPERS
        emergency = number.emergency.carrier_status if number.emergency else None
        created = _rfc2822(number.created_at)
        # A number just bought or never changed: the same moment, written once.
        updated = created if number.updated_at == number.created_at else _rfc2822(number.updated_at)
        doc: dict[str, Any] = {
            "account_sid": account,
            "address_sid": papers.address_id,
            "address_requirements": "none",
            "api_version": "2010-04-01",
            "beta": False,
            "capabilities": {
                k: bool(getattr(number.capabilities, k)) for k in ("voice", "sms", "mms", "fax")
            },
            "date_created": created,
            "date_updated": updated,
            "friendly_name": number.friendly_name,
            "identity_sid": papers.identity_id,
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
            "emergency_status": "Active" if emergency == "registered" else "Inactive",
            "emergency_address_sid": config.emergency_address_id,
            "emergency_address_status": emergency or "unregistered",
            "bundle_sid": papers.bundle_id,
            "status": "in-use",
            "type": number.number_type.value.replace("_", "-")
            if number.number_type.value != "unknown"
            else "local",
        }
        for kind in ("voice", "sms"):
            route = getattr(config, kind) or _NO_ROUTE
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
        papers = TwilioEmulation._papers(form)
        if papers is not None:
            fields["compliance"] = papers
        return NumberConfig(**fields)

    @staticmethod
    def _papers(form: dict[str, str]) -> NumberCompliance | None:
        """The compliance references a form sets (AddressSid, BundleSid, IdentitySid; "" clears one)."""
        given = {name: form[wire] or None for wire, name in _PAPERS.items() if wire in form}
        return NumberCompliance(**given) if given else None

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
            criteria.update(_pattern(query["Contains"], criteria["country"]))
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
        # Twilio shows about 30 at most, whatever is asked.
        criteria["limit"] = min(_count(query.get("PageSize", "")) or 30, 30)
        try:
            found = await self.world.account(account).search(SearchQuery(**criteria))
        except NumbersError as exc:
            return self._failure(exc)
        except ValueError as exc:
            return self.error(400, f"Invalid search: {reason(exc)}")
        uri = f"{request.url.path}?{request.url.query}" if request.url.query else request.url.path
        return JSONAnswer({"uri": uri, "available_phone_numbers": [self._offer(n) for n in found]})

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
            return self._failure(exc, form, account)
        except ValueError as exc:
            return self.error(400, f"Invalid parameter: {reason(exc)}", code=21421)
        self._bought.setdefault(bought.phone_number, datetime.now(UTC))
        return JSONAnswer(self._number(bought), status_code=201)

    async def _list(self, request: Request, account: str) -> Response:
        paged = self._paged(request, account, _NumberQuery)
        if isinstance(paged, Response):
            return paged
        _, query, window = paged
        size, _, mark = window
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
        following = None if rest is None else _Mark(mark.skip + len(rows), rest, mark)
        collection = f"{self.wire.api_root}/Accounts/{account}/IncomingPhoneNumbers.json"
        shown = [self._number(number) for number in rows]
        body = self._envelope(request, query, window, following, collection, "incoming_phone_numbers", shown)
        return JSONAnswer(self.styled_page(body))

    def _paged(
        self, request: Request, account: str | Response, shape: type[_Query]
    ) -> tuple[str, dict[str, str], Window] | Response:
        """A list request's account, query (the parameters of ``shape`` it gives) and page window;
        ``account`` is the caller's, or the answer refusing the caller, which is given back, as is
        the carrier's 400 for a bad page."""
        if isinstance(account, Response):
            return account
        query = read_query(request, shape).model_dump(exclude_unset=True)
        window = self._window(query)
        return window if isinstance(window, Response) else (account, query, window)

    def _window(self, query: dict[str, str]) -> Window | Response:
        """(page size, page, where it starts) a list request asks for; the carrier's 400 if it is bad."""
        size = _count(query.get("PageSize", str(_LIST_PAGE)))
        if size is None or not 1 <= size <= 1000:
            return self.error(400, "PageSize must be between 1 and 1000")
        page = _count(query.get("Page", "0")) or 0
        mark = _FIRST
        if page:
            token = query.get("PageToken", "")
            if token not in self._pages:
                return self.error(
                    400,
                    "Invalid page token" if token else "A PageToken is needed to read a page past the first",
                )
            mark = self._pages[token]
        return size, page, mark

    @staticmethod
    def _rows(items: list[Any], window: Window) -> tuple[list[Any], _Mark | None]:
        """A page of a listing read whole (addresses, countries…) and where the next one starts."""
        size, _, mark = window
        end = mark.skip + size
        return items[mark.skip : end], (_Mark(end, None, mark) if end < len(items) else None)

    def _links(
        self, query: dict[str, str], window: Window, following: _Mark | None, collection: str
    ) -> tuple[str, str | None, str | None]:
        """The first, next and previous pages' links (the same query, another page and token)."""
        size, page, mark = window
        base = {k: v for k, v in query.items() if k not in ("Page", "PageToken")}
        base["PageSize"] = str(size)

        def uri(number: int, token: str | None) -> str:
            params = {**base, "Page": str(number), **({"PageToken": token} if token else {})}
            return f"{collection}?{urlencode(params)}"

        next_uri = None if following is None else uri(page + 1, self._page_token("PA", following))
        # Twilio links every page but the first back to the one before it (a "PB" token).
        previous = uri(page - 1, self._page_token("PB", mark.before or _FIRST)) if page else None
        return uri(0, None), next_uri, previous

    def _envelope(
        self,
        request: Request,
        query: dict[str, str],
        window: Window,
        following: _Mark | None,
        collection: str,
        key: str,
        rows: list[dict[str, Any]],
    ) -> dict[str, Any]:
        """A 2010-04-01 list page: its rows under ``key``, links relative to the host."""
        size, page, mark = window
        first, next_uri, previous = self._links(query, window, following, collection)
        return {
            key: rows,
            "first_page_uri": first,
            "next_page_uri": next_uri,
            "previous_page_uri": previous,
            "uri": f"{request.url.path}?{request.url.query}" if request.url.query else request.url.path,
            "page": page,
            "page_size": size,
            "start": mark.skip,
            "end": mark.skip + max(len(rows) - 1, 0),
        }

    def _meta(
        self,
        request: Request,
        query: dict[str, str],
        window: Window,
        following: _Mark | None,
        key: str,
        rows: list[dict[str, Any]],
    ) -> dict[str, Any]:
        """A page of Twilio's newer APIs (v1, v2): its rows and a ``meta`` of absolute links."""
        size, page, _ = window
        collection = f"{str(request.base_url).rstrip('/')}{request.url.path}"
        first, next_url, previous = self._links(query, window, following, collection)
        return {
            key: rows,
            "meta": {
                "page": page,
                "page_size": size,
                "first_page_url": first,
                "previous_page_url": previous,
                "url": str(request.url),
                "next_page_url": next_url,
                "key": key,
            },
        }

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
                return JSONAnswer(self._number(number))
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
            given = dict(form)
            target = form.pop("AccountSid", None)
            moving = bool(target) and target != account
            # Moving, the references are the receiving account's: they go with the transfer.
            papers = self._papers({k: form.pop(k) for k in _PAPERS if k in form}) if moving else None
            if form:
                number = await carrier.configure(e164, self._config(form))
            if moving:
                if target not in self.accounts:
                    return self.error(
                        400, f"AccountSid {target} is not an account you can move numbers to", code=20001
                    )
                number = await carrier.transfer(e164, str(target), compliance=papers)
            return JSONAnswer(self._number(number))
        except NumbersError as exc:
            return self._failure(exc, given, str(target) if moving else account)
        except ValueError as exc:
            return self.error(400, f"Invalid parameter: {reason(exc)}")

    # -- commerce ----------------------------------------------------------------------------------

    def _caller_or_401(self, request: Request) -> str | Response:
        """The account of the credentials, for the APIs without one in their paths (v1, v2)."""
        caller = self._caller(request)
        return caller if caller is not None else self.error(401, "Authenticate")

    def _not_found(self, request: Request) -> Response:
        return self.error(404, f"The requested resource {request.url.path} was not found")

    async def _countries(self, request: Request) -> Response:
        account = self._authorized(request)
        if isinstance(account, Response):
            return account
        read_query(request, _Query)  # refused if malformed; the list comes whole, as Twilio's does
        try:
            found = await self.world.account(account).coverage()
        except NumbersError as exc:
            return self._failure(exc)
        suffix = self.wire.suffix
        countries = []
        for entry in found:
            base = f"{self.wire.api_root}/Accounts/{account}/AvailablePhoneNumbers/{entry.country}"
            links = {
                number_type.value: f"{base}/{kind}{suffix}"
                for number_type, kind in self.wire.search_types.items()
                if self.lists_every_type or number_type in entry.number_types
            }
            if links:
                countries.append(
                    {
                        "country_code": entry.country,
                        "country": entry.name,
                        "uri": f"{base}{suffix}",
                        "beta": bool(entry.beta),
                        "subresource_uris": links,
                    }
                )
        return JSONAnswer({"countries": countries, "uri": request.url.path})

    async def _price_countries(self, request: Request) -> Response:
        paged = self._paged(request, self._caller_or_401(request), _Query)
        if isinstance(paged, Response):
            return paged
        account, query, window = paged
        found = await self.world.account(account).coverage()
        here = str(request.base_url).rstrip("/")
        rows = [
            {
                "country": entry.name,
                "iso_country": entry.country,
                "url": f"{here}/v1/PhoneNumbers/Countries/{entry.country}",
            }
            for entry in found
        ]
        shown, following = self._rows(rows, window)
        return JSONAnswer(self._meta(request, query, window, following, "countries", shown))

    async def _price_country(self, request: Request) -> Response:
        account = self._caller_or_401(request)
        if isinstance(account, Response):
            return account
        country = request.path_params["country"].upper()
        carrier = self.world.account(account)
        try:
            prices = await carrier.prices(country)
        except NumbersError:  # not a country at all
            return self._not_found(request)
        rows = [
            {
                "number_type": _PRICED[row.number_type],
                "base_price": str(row.monthly.amount),
                "current_price": str(row.monthly.amount),
            }
            for row in prices
            if row.number_type in _PRICED and row.monthly is not None
        ]
        if not rows:  # Twilio sells no number there
            return self._not_found(request)
        [entry] = await carrier.coverage(country)
        currency = next(row.monthly.currency for row in prices if row.monthly is not None)
        return JSONAnswer(
            {
                "country": entry.name,
                "iso_country": country,
                "phone_number_prices": rows,
                "price_unit": currency,
                "url": str(request.url),
            }
        )

    async def _regulations(self, request: Request) -> Response:
        """A regulation per regulated offer of the sandbox (one that needs a bundle) and end-user type."""
        paged = self._paged(request, self._caller_or_401(request), _RegulationQuery)
        if isinstance(paged, Response):
            return paged
        account, query, window = paged
        end_user = query["EndUserType"].lower() if query.get("EndUserType") else None
        wanted = spelled_type(query["NumberType"]) if query.get("NumberType") else None
        carrier = self.world.account(account)
        coverage = {entry.country: entry for entry in await carrier.coverage()}
        countries = [query["IsoCountry"].upper()] if query.get("IsoCountry") else list(coverage)
        rows = []
        for country in countries:
            entry = coverage.get(country)
            if entry is None:
                continue
            kinds: dict[NumberType, set[RequirementKind]] = {}
            for requirement in await carrier.requirements(country):
                kinds.setdefault(requirement.number_type, set()).add(requirement.kind)
            for number_type, needs in kinds.items():
                if RequirementKind.BUNDLE not in needs or wanted not in (None, number_type):
                    continue
                for who in [end_user] if end_user else list(_END_USERS):
                    rows.append(self._regulation(request, entry.country, entry.name, number_type, who, needs))
        shown, following = self._rows(rows, window)
        return JSONAnswer(self._meta(request, query, window, following, "results", shown))

    def _regulation(
        self,
        request: Request,
        country: str,
        country_name: str | None,
        number_type: NumberType,
        end_user: str,
        needs: set[RequirementKind],
    ) -> dict[str, Any]:
        """A Regulation as Twilio's spec shows one: the end user's fields and the documents it needs."""
        here = f"{str(request.base_url).rstrip('/')}/v2/RegulatoryCompliance"
        sid = self._sid("RN", f"{country}/{number_type.value}/{end_user}".encode())
        label, fields = _END_USERS[end_user]
        documents = []
        if needs & {RequirementKind.ADDRESS, RequirementKind.LOCAL_ADDRESS}:
            where = (
                ", within the locality covered by the phone number's prefix"
                if RequirementKind.LOCAL_ADDRESS in needs
                else ""
            )
            address = {
                "name": "Address Validation",
                "type": "address",
                "url": f"{here}/DocumentTypes/address",
                "fields": ["address_sids"],
                "detailed_fields": [
                    {
                        "machine_name": "address_sids",
                        "friendly_name": "Address sid(s)",
                        "description": "Address sid",
                    }
                ],
            }
            documents.append(
                [
                    {
                        "name": "Address",
                        "type": "document",
                        "requirement_name": "proof_of_address",
                        "description": f"The physical location of the {end_user}{where}.",
                        "accepted_documents": [address],
                    }
                ]
            )
        kind = number_type.value.replace("_", " ").title()
        return {
            "sid": sid,
            "friendly_name": f"{country_name or country}: {kind} - {label}",
            "iso_country": country,
            "number_type": regulation_type(number_type),
            "end_user_type": end_user,
            "requirements": {
                "end_user": [
                    {
                        "name": label,
                        "type": end_user,
                        "requirement_name": f"{end_user}_info",
                        "url": f"{here}/Regulations/{end_user}",
                        "fields": fields,
                        "detailed_fields": [
                            {"machine_name": field, "friendly_name": field.replace("_", " ").title()}
                            for field in fields
                        ],
                    }
                ],
                "supporting_document": documents,
            },
            "url": f"{here}/Regulations/{sid}",
        }

    def _address_doc(self, account: str, address: Address) -> dict[str, Any]:
        filed = self._filed.get(address.id or "")
        created = _rfc2822(filed.created if filed else None)
        return {
            "account_sid": account,
            "city": address.locality,
            "customer_name": address.customer_name,
            "date_created": created,
            "date_updated": created,
            "emergency_enabled": bool(address.emergency),
            "friendly_name": filed.friendly_name if filed else None,
            "iso_country": address.country,
            "postal_code": address.postal_code,
            "region": address.region,
            "sid": address.id,
            "street": address.street,
            "street_secondary": address.street2,
            "uri": self._uri(account, f"Addresses/{address.id}"),
            "validated": address.validated,
            "verified": address.verified,
        }

    async def _stored_address(self, account: str, sid: str) -> Address | None:
        async for address in self.world.account(account).addresses():
            if address.id == sid:
                return address
        return None

    async def _address_book(self, request: Request) -> Response:
        account = self._authorized(request)
        if isinstance(account, Response):
            return account
        carrier = self.world.account(account)
        if request.method == "GET":
            paged = self._paged(request, account, _AddressQuery)
            if isinstance(paged, Response):
                return paged
            _, query, window = paged
            docs = [self._address_doc(account, address) async for address in carrier.addresses()]
            # Twilio's filters: each given one matches its field exactly (a flag in any case).
            wanted = {
                _ADDRESS_FILTERS[name]: value for name, value in query.items() if name in _ADDRESS_FILTERS
            }
            chosen = [doc for doc in docs if all(_matches(doc[key], value) for key, value in wanted.items())]
            rows, following = self._rows(chosen, window)
            collection = f"{self.wire.api_root}/Accounts/{account}/Addresses.json"
            return JSONAnswer(
                self._envelope(request, query, window, following, collection, "addresses", rows)
            )
        form = await self._form(request, _NewAddress)
        try:
            address = Address(
                customer_name=form["CustomerName"],
                street=form["Street"],
                street2=form.get("StreetSecondary") or None,
                locality=form["City"],
                region=form["Region"],
                postal_code=form["PostalCode"],
                country=form["IsoCountry"],
                emergency=form.get("EmergencyEnabled", "").lower() == "true",
            )
        except ValueError as exc:
            return self.error(400, f"Invalid parameter: {reason(exc)}", code=20001)
        try:
            stored = await carrier.create_address(address)
        except NumbersError as exc:
            return self._failure(exc)
        self._filed[stored.id or ""] = _Filed(datetime.now(UTC), form.get("FriendlyName"))
        return JSONAnswer(self._address_doc(account, stored), status_code=201)

    async def _address_one(self, request: Request) -> Response:
        account = self._authorized(request)
        if isinstance(account, Response):
            return account
        sid = request.path_params["sid"]
        found = await self._stored_address(account, sid)
        if found is None:
            return self._not_found(request)
        if request.method == "GET":
            return JSONAnswer(self._address_doc(account, found))
        try:
            await self.world.account(account).delete_address(sid)
        except ConflictError:
            # Twilio documents no code for it: a plain refusal, which the adapter looks into.
            return self.error(400, f"Address {sid} has phone numbers that depend on it", code=20001)
        except NumbersError as exc:
            return self._failure(exc)
        self._filed.pop(sid, None)
        return Response(status_code=204)

    async def _address_dependents(self, request: Request) -> Response:
        account = self._authorized(request)
        if isinstance(account, Response):
            return account
        sid = request.path_params["sid"]
        if await self._stored_address(account, sid) is None:
            return self._not_found(request)
        paged = self._paged(request, account, _Query)
        if isinstance(paged, Response):
            return paged
        _, query, window = paged
        using = [
            number
            async for number in self.world.account(account).list()
            if sid
            in ((number.compliance or NumberCompliance()).address_id, number.config.emergency_address_id)
        ]
        shown, following = self._rows(using, window)
        rows = [
            {key: value for key, value in self._number(number).items() if key in _DEPENDENT}
            for number in shown
        ]
        collection = f"{self.wire.api_root}/Accounts/{account}/Addresses/{sid}/DependentPhoneNumbers.json"
        body = self._envelope(request, query, window, following, collection, "dependent_phone_numbers", rows)
        return JSONAnswer(body)


class SignalWireEmulation(TwilioEmulation):
    """SignalWire's compatibility API: UUID ids, ``/api/laml`` paths, its own fields and cooldown."""

    name: ClassVar[str] = "signalwire"
    wire: ClassVar[Wire] = SIGNALWIRE
    # Its country resource requires both keys (its spec): it links both types wherever it sells.
    lists_every_type: ClassVar[bool] = True

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
        doc.update(address_sid=None, identity_sid=None)  # "always null" (its spec)
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
