"""The provider-neutral models (pydantic v2, immutable).

Field names follow the Sinch draft schema the project started from. Adapters
fill what their wire format gives and leave the rest ``None``: a value the
carrier did not state is never made up.
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
from collections.abc import Iterator
from contextvars import ContextVar
from decimal import Decimal
from typing import Annotated, Any, Literal, TypeVar
from urllib.parse import urlsplit

import phonenumbers
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from ._kinds import (
    AddressRequirement,
    ComplianceScope,
    EmergencyStatus,
    NumberStatus,
    NumberType,
    PriceBasis,
    RequirementKind,
)
from ._phone import carrier_e164, keypad_digits, parse_e164
from ._problems import location, problems
from .errors import InvalidInputError

__all__ = [
    "ActiveNumber",
    "Address",
    "AddressCheck",
    "AddressRequirement",
    "AvailableNumber",
    "Callback",
    "Capabilities",
    "ComplianceScope",
    "Coverage",
    "EmergencyRegistration",
    "EmergencyStatus",
    "Geography",
    "MmsCapabilities",
    "Money",
    "NumberCompliance",
    "NumberConfig",
    "NumberPrice",
    "NumberStatus",
    "NumberType",
    "PriceBasis",
    "Provisioning",
    "Requirement",
    "RequirementKind",
    "Route",
    "SearchQuery",
    "SmsCapabilities",
    "VoiceCapabilities",
    "build",
    "country_code",
]


def _blank_to_none(value: Any) -> Any:
    # Carriers send "" and null for the same absence (Twilio mixes both in one object).
    if isinstance(value, str) and not value.strip():
        return None
    return value


_UNHASHED = frozenset({"raw", "extra"})


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", use_enum_values=False)

    @model_validator(mode="before")
    @classmethod
    def _blanks(cls, data: Any) -> Any:
        if isinstance(data, dict):
            # Most input has no blank: it is passed on as it is, not copied.
            for value in data.values():
                if isinstance(value, str) and not value.strip():
                    return {key: _blank_to_none(value) for key, value in data.items()}
        return data

    def __hash__(self) -> int:
        # pydantic's frozen hash covers every field and fails on the dicts in ``raw`` and
        # ``extra``; leaving those out still gives equal models equal hashes.
        return hash((type(self), *(v for k, v in self.__dict__.items() if k not in _UNHASHED)))


def _carrier_number(value: Any) -> str:
    return carrier_e164(value)


CarrierNumber = Annotated[str, BeforeValidator(_carrier_number)]
"""An E.164 number as a carrier reported it: possible, not necessarily valid."""


def _upper(value: Any) -> Any:
    # Codes and methods are case-insensitive on the wire; "us" and "post" are not worth a ProtocolError.
    return value.strip().upper() if isinstance(value, str) else value


HttpMethod = Annotated[Literal["GET", "POST"], BeforeValidator(_upper)]


# What free text a user gives may not hold: control characters (C0, DEL, C1: a newline in a form
# field or a header is at best refused by the carrier and at worst read as two), the line and
# paragraph separators, the bidirectional controls that reorder what is shown (embeddings,
# overrides and isolates: a name that displays otherwise than it is stored). Left-to-right and
# right-to-left marks stay: right-to-left names use them, and they reorder nothing. (Lone
# surrogates, which no wire encoding takes, pydantic refuses itself.)
_UNSENDABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


# Set while a carrier's answer is read (HttpCore.read): what the carrier stores is taken as it is.
# A number the library handed out must always be accepted back, and one odd name or URL set in a
# carrier's console must not make a whole listing unreadable; the checks below are for what users send.
_reading_answer: ContextVar[bool] = ContextVar("numbers_core_reading_answer", default=False)


@contextlib.contextmanager
def carrier_answer() -> Iterator[None]:
    """Models built within read a carrier's answer: free text and URLs are kept as the carrier has them."""
    token = _reading_answer.set(True)
    try:
        yield
    finally:
        _reading_answer.reset(token)


def _user_text(value: str) -> str:
    """The check of every field of free text a user gives (names, places, address lines, ids)."""
    if _reading_answer.get():
        return value
    found = _UNSENDABLE.search(value)
    if found is not None:
        char = found.group()
        kind = "a bidirectional control" if "\u202a" <= char <= "\u2069" else "a control character"
        raise ValueError(f"contains {kind} ({char!r}); give plain text")
    if not value.strip():
        raise ValueError("is blank")
    return value


# Hosts as a URL names them: DNS labels (ASCII; an internationalised name in its xn-- form).
_LABEL = re.compile(r"(?!-)[a-z0-9_-]{1,63}(?<!-)", re.IGNORECASE)
# A "%" that does not start an escape ("%%", "%zz"): a server cannot know what it stands for.
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


def _check_url(value: str) -> str:
    """An http(s) URL a carrier can call as it is: a well-formed host and port, ASCII only,
    no space or control character, and every ``%`` an escape.

    In a carrier's answer only the shape is checked (an http(s) scheme and a host): what the
    carrier stores is its own, and a finer point of syntax must not make the number unreadable.
    """
    shown = value if len(value) <= 60 else value[:59] + "…"
    if _reading_answer.get():
        if not re.match(r"^https?://[^\s/?#]+", value, re.IGNORECASE):
            raise ValueError(f"{shown!r} is not an http(s) URL")
        return value
    try:
        parts = urlsplit(value)
        port = parts.port  # raises for a port out of range or not a number
    except ValueError as exc:
        raise ValueError(f"{shown!r} is not a usable URL ({exc})") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{shown!r} is not an http(s) URL")
    problem = _url_problem(value, parts.hostname or "", port)
    if problem is not None:
        raise ValueError(f"{shown!r} is not a usable URL: {problem}")
    return value


def _url_problem(value: str, host: str, port: int | None) -> str | None:
    if not value.isascii():
        return "it is not all ASCII (give the host in its xn-- form, percent-encode the rest)"
    if re.search(r"[\x00-\x20\x7f]", value):
        return "it has a space or a control character (percent-encode it)"
    if _BAD_ESCAPE.search(value):
        return "a % in it does not start an escape (%25 is a literal %)"
    if port == 0:
        return "port 0 is not a port"
    if not host:
        return "it names no host"
    if ":" in host:  # urlsplit found brackets around it
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            return f"[{host}] is not an IPv6 address"
        return None
    if not all(_LABEL.fullmatch(label) for label in host.removesuffix(".").split(".")):
        return f"{host!r} is not a host name"
    return None


# Bounds on what a user types, checked before any request: a megabyte of "locality" would otherwise
# become a request head no carrier reads (or an httpx.InvalidURL past its URL limit).
Url = Annotated[str, Field(max_length=2048), AfterValidator(_check_url)]
# Free text a user gives, each checked by ``_user_text`` within its bound.
#: a place name, a postal code, a rate center: short free text sent as a query parameter
Place = Annotated[str, Field(max_length=100), AfterValidator(_user_text)]
#: a carrier's id for an application, an address, a bundle, a service plan, an account
Reference = Annotated[str, Field(max_length=256), AfterValidator(_user_text)]
#: one line of text: of a postal address, a number's friendly name
TextLine = Annotated[str, Field(max_length=255), AfterValidator(_user_text)]
#: a postal code in an address
PostalCode = Annotated[str, Field(max_length=32), AfterValidator(_user_text)]


def country_code(value: Any) -> Any:
    """``value`` as an ISO 3166 alpha-2 code of a country with phone numbers (``"us"`` is ``"US"``).

    Raises ValueError for a string that is not one; other types are left for pydantic to refuse.
    """
    if not isinstance(value, str):
        return value
    country = value.strip().upper()
    if country not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(f"{value!r} is not an ISO 3166 alpha-2 country with phone numbers")
    return country


#: a country the user names (checked against the countries that have phone numbers)
Country = Annotated[str, BeforeValidator(country_code)]
#: a country a carrier names: two letters, upper-cased (carriers know countries phonenumbers may not)
CarrierCountry = Annotated[str, BeforeValidator(_upper), Field(pattern=r"^[A-Z]{2}$")]


class Money(_Model):
    """An amount in a currency; never a float.

    ``currency`` is the carrier's code, upper-cased: ISO 4217 as a rule, but
    carriers also send names (Sinch's ``"DOLLAR"``), which are kept rather than
    refused with the whole answer.
    """

    amount: Decimal
    currency: Annotated[str, BeforeValidator(_upper), Field(pattern=r"^[A-Z]{3,16}$")]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


class VoiceCapabilities(_Model):
    """Voice details, where the provider gives them (names from the Sinch draft)."""

    inbound_connectivity: bool | None = None
    outbound_connectivity: bool | None = None
    e911: bool | None = None
    sip_trunking: bool | None = None
    calls_per_second: int | None = None
    concurrent_calls_limit: int | None = None
    inbound_called_dtmf: bool | None = None
    inbound_caller_dtmf: bool | None = None
    inbound_caller_id_preservation: str | None = None
    inbound_reachability: str | None = None


class SmsCapabilities(_Model):
    """SMS details, where the provider gives them (names from the Sinch draft)."""

    inbound_connectivity: bool | None = None
    outbound_connectivity: bool | None = None
    gsm7: bool | None = None
    ucs2: bool | None = None
    gsm7_concatenation: bool | None = None
    ucs2_concatenation: bool | None = None
    inbound_sender_id_preservation: str | None = None
    inbound_reachability: str | None = None
    inbound_mps: int | None = None


class MmsCapabilities(_Model):
    """MMS details, where the provider gives them (names from the Sinch draft)."""

    inbound_connectivity: bool | None = None
    outbound_connectivity: bool | None = None
    inbound_reachability: str | None = None
    inbound_mps: int | None = None


class Capabilities(_Model):
    """What a number can do. ``None`` means the provider does not say."""

    voice: bool | None = None
    sms: bool | None = None
    mms: bool | None = None
    fax: bool | None = None
    voice_details: VoiceCapabilities | None = None
    sms_details: SmsCapabilities | None = None
    mms_details: MmsCapabilities | None = None


class Geography(_Model):
    """Where a number belongs, as far as the provider says."""

    iso_country: Annotated[str, BeforeValidator(_upper), Field(pattern=r"^[A-Z]{2}$")] | None = None
    region: str | None = None
    locality: str | None = None
    postal_code: str | None = None
    rate_center: str | None = None
    lata: str | None = None
    # Carriers send coordinates as numbers or as strings ("19.720000").
    latitude: Annotated[float, Field(ge=-90, le=90)] | None = None
    longitude: Annotated[float, Field(ge=-180, le=180)] | None = None


class AvailableNumber(_Model):
    """A number that can be bought now."""

    phone_number: CarrierNumber
    provider: str
    number_type: NumberType = NumberType.UNKNOWN
    friendly_name: str | None = None
    capabilities: Capabilities = Capabilities()
    geography: Geography = Geography()
    setup_price: Money | None = None
    monthly_price: Money | None = None
    address_requirement: AddressRequirement | None = None
    #: where ``setup_price``/``monthly_price`` come from (None: no price)
    price_basis: PriceBasis | None = None
    #: whether the carrier reviews documents before selling it (Sinch's supportingDocumentationRequired)
    documents_required: bool | None = None
    beta: bool | None = None
    raw: Any = Field(default=None, repr=False, exclude=True)


class NumberPrice(_Model):
    """What one type of number costs in one country: one row of a price list.

    ``monthly`` is the recurring price (after the account's discounts, where
    the carrier applies them), ``list_monthly`` the price before discounts,
    ``setup`` the one-off charge at purchase; ``interval_months`` is how often
    the recurring price is charged, where the carrier says.
    """

    country: CarrierCountry
    number_type: NumberType
    monthly: Money | None = None
    setup: Money | None = None
    list_monthly: Money | None = None
    interval_months: Annotated[int, Field(ge=1)] | None = None
    basis: PriceBasis
    #: the routing member (``connect([...])``) this is from; None from a single carrier
    provider: str | None = None
    raw: Any = Field(default=None, repr=False, exclude=True)


class Address(_Model):
    """A postal address, as a carrier keeps it on file (``id`` is the carrier's, None until created).

    Checked when built: no field holds a control character or runs past its
    length, and ``country`` is an ISO 3166 alpha-2 code (upper-cased), so that
    a bad address is refused before any request. ``emergency`` asks for (or
    reports) an address fit for emergency calls; ``validated`` and
    ``verified`` are the carrier's verdicts (None: it does not say).
    """

    id: Reference | None = None
    customer_name: TextLine | None = None
    street: TextLine
    street2: TextLine | None = None
    locality: TextLine
    region: TextLine | None = None
    postal_code: PostalCode | None = None
    country: Country
    emergency: bool | None = None
    validated: bool | None = None
    verified: bool | None = None
    raw: Any = Field(default=None, repr=False, exclude=True)


class AddressCheck(_Model):
    """What a carrier made of an address, without storing it or changing anything.

    ``result``: ``exact`` (as given), ``corrected`` (usable as ``address``,
    which differs from what was given), ``ambiguous`` (pick one of
    ``candidates``) or ``invalid`` (not usable; ``message`` says why).
    """

    result: Literal["exact", "corrected", "ambiguous", "invalid"]
    #: the address as the carrier would use it (None when there is none)
    address: Address | None = None
    candidates: tuple[Address, ...] = ()
    message: str | None = None
    raw: Any = Field(default=None, repr=False, exclude=True)


class NumberCompliance(_Model):
    """The carrier's references a regulated number is bought (and kept) under.

    ``address_id``: an address on file (Twilio AddressSid); ``bundle_id``: an
    approved regulatory bundle (BundleSid); ``identity_id``: a verified
    identity (IdentitySid). As part of ``configure``'s partial update, only the
    fields set change.
    """

    address_id: Reference | None = None
    bundle_id: Reference | None = None
    identity_id: Reference | None = None


class EmergencyRegistration(_Model):
    """A number's emergency (E911) registration, as the carrier reports it.

    ``address_id`` where the carrier keeps addresses by id (Twilio,
    SignalWire), ``address`` where it keeps it on the number (Kazoo, Sinch);
    ``carrier_status`` is the carrier's own word for ``status`` (a "being
    removed" state reads as ``pending``, and this tells which).
    """

    status: EmergencyStatus
    address_id: Reference | None = None
    address: Address | None = None
    caller_name: TextLine | None = None
    carrier_status: str | None = None
    raw: Any = Field(default=None, repr=False, exclude=True)


class Requirement(_Model):
    """One thing a carrier needs before it sells numbers of a country and type.

    ``name`` and ``description`` are the carrier's words; ``end_user_type``
    is whom the requirement is for where the carrier distinguishes
    (``individual``, ``business``); ``carrier_id`` its id for the regulation.
    """

    country: CarrierCountry
    number_type: NumberType
    kind: RequirementKind
    name: str
    description: str | None = None
    end_user_type: str | None = None
    carrier_id: str | None = None
    #: the routing member (``connect([...])``) this is from; None from a single carrier
    provider: str | None = None
    raw: Any = Field(default=None, repr=False, exclude=True)


class Coverage(_Model):
    """A country the carrier sells numbers in, and the types it sells there."""

    country: CarrierCountry
    name: str | None = None
    number_types: frozenset[NumberType] = frozenset()
    beta: bool | None = None
    #: the routing member (``connect([...])``) this is from; None from a single carrier
    provider: str | None = None
    raw: Any = Field(default=None, repr=False, exclude=True)


class Route(_Model):
    """Where a number sends its calls or messages. Only the fields set change."""

    url: Url | None = None
    method: HttpMethod | None = None
    fallback_url: Url | None = None
    fallback_method: HttpMethod | None = None
    application_id: Reference | None = None


class Callback(_Model):
    """A status callback URL and the method it is called with."""

    url: Url | None = None
    method: HttpMethod | None = None


class NumberConfig(_Model):
    """How an owned number is set up.

    As input to ``configure`` it is a partial update: only the fields given
    explicitly (``model_fields_set``) change; a field given as ``None`` is
    cleared. ``extra`` carries provider-specific settings under the key each
    adapter documents.
    """

    friendly_name: TextLine | None = None
    voice: Route | None = None
    sms: Route | None = None
    status_callback: Callback | None = None
    #: an emergency address on file, by the carrier's id (Twilio, SignalWire)
    emergency_address_id: Reference | None = None
    #: an emergency address given inline, for carriers that keep it on the number (Kazoo, Sinch)
    emergency_address: Address | None = None
    #: the references a regulated number is bought under (address, bundle, identity)
    compliance: NumberCompliance | None = None
    extra: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_emergency_address(self) -> NumberConfig:
        if self.emergency_address_id is not None and self.emergency_address is not None:
            raise ValueError("give emergency_address_id or emergency_address, not both")
        return self


class Provisioning(_Model):
    """One part of a number the carrier sets up after the request was answered.

    Some carriers (Sinch) answer a purchase or an update at once and configure
    the number afterwards: while any part is ``pending`` the number's status is
    ``pending``; a part that ``failed`` stays visible with the carrier's codes
    (the number itself is the account's, and billed, all the same).
    """

    #: what is being set up: "sms", "voice", …
    part: str
    state: Literal["pending", "failed"]
    #: what it is being set to (a service plan, an application id), where the carrier says
    target: str | None = None
    #: the carrier's own words: its status and, on failure, its error codes
    status: str | None = None
    error_codes: tuple[str, ...] = ()


class ActiveNumber(_Model):
    """A number the account owns."""

    phone_number: CarrierNumber
    id: str
    provider: str
    account_id: str | None = None
    number_type: NumberType = NumberType.UNKNOWN
    friendly_name: str | None = None
    capabilities: Capabilities = Capabilities()
    geography: Geography = Geography()
    config: NumberConfig = NumberConfig()
    status: NumberStatus = NumberStatus.UNKNOWN
    created_at: AwareDatetime | None = None
    updated_at: AwareDatetime | None = None
    #: when the number leaves the account (released, kept until the period paid for ends)
    expires_at: AwareDatetime | None = None
    #: what the carrier is still setting up on the number, or failed to (empty: nothing)
    provisioning: tuple[Provisioning, ...] = ()
    #: the emergency registration, where the carrier reports one (``emergency.status`` feature)
    emergency: EmergencyRegistration | None = None
    #: the compliance references the carrier holds for the number
    compliance: NumberCompliance | None = None
    raw: Any = Field(default=None, repr=False, exclude=True)


_DIGITS = re.compile(r"^[0-9]+$")


def _digits(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def _only_digits(value: str) -> str:
    if not _DIGITS.fullmatch(value) or len(value) > 15:
        raise ValueError(f"expected 1 to 15 digits, got {value[:20]!r}")
    return value


Digits = Annotated[str, BeforeValidator(_digits), AfterValidator(_only_digits)]


class SearchQuery(_Model):
    """What to look for when searching numbers to buy.

    ``contains`` takes digits, letters (mapped by the phone keypad, ``WOLF``
    becomes ``9653``) and ``*`` for exactly one digit. ``distance`` is in
    miles around ``near_number`` or ``near_lat_long``. Capability flags
    require the capability when ``True``.
    """

    country: str = "US"
    number_type: NumberType = NumberType.LOCAL
    area_code: Digits | None = None
    contains: str | None = None
    starts_with: Digits | None = None
    ends_with: Digits | None = None
    region: Place | None = None
    locality: Place | None = None
    postal_code: Place | None = None
    rate_center: Place | None = None
    lata: Digits | None = None
    near_number: Annotated[str, Field(max_length=64)] | None = None
    near_lat_long: (
        tuple[Annotated[float, Field(ge=-90, le=90)], Annotated[float, Field(ge=-180, le=180)]] | None
    ) = None
    distance: Annotated[int, Field(gt=0, le=500)] | None = None
    voice: bool = False
    sms: bool = False
    mms: bool = False
    fax: bool = False
    exclude_address_required: bool = False
    limit: Annotated[int, Field(ge=1, le=1000)] = 20

    @model_validator(mode="before")
    @classmethod
    def _blanks(cls, data: Any) -> Any:
        # A query is the user's: a blank filter is refused (below), not taken for an absent one as
        # a carrier's blank is, which would widen the search, and a purchase, to any number.
        return data

    @field_validator("*", mode="before")
    @classmethod
    def _not_blank(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            raise ValueError("is empty; leave it out to match any number")
        return value

    @field_validator("country", mode="before")
    @classmethod
    def _country(cls, value: Any) -> Any:
        return country_code(value)

    @field_validator("number_type")
    @classmethod
    def _searchable_type(cls, value: NumberType) -> NumberType:
        if value is NumberType.UNKNOWN:
            raise ValueError("'unknown' is not a type of number one can search for")
        return value

    @field_validator("area_code")
    @classmethod
    def _area_code(cls, value: str | None, info: ValidationInfo) -> str | None:
        # Elsewhere an area code is any number of leading digits of the national number (20 for
        # London); in the North American plan it is always three, and a shorter one would match
        # many areas at once (41: 410 to 419).
        country = info.data.get("country")
        north_american = isinstance(country, str) and phonenumbers.country_code_for_region(country) == 1
        if value is not None and north_american and not re.fullmatch(r"[2-9][0-9]{2}", value):
            raise ValueError(f"an area code in {country} is 3 digits, the first 2 to 9 (415), not {value!r}")
        return value

    @field_validator("contains")
    @classmethod
    def _contains(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not re.fullmatch(r"[0-9A-Za-z*]{1,16}", value):
            raise ValueError("use 1 to 16 digits, letters (keypad) or '*' (one digit)")
        mapped = keypad_digits(value)
        if set(mapped) == {"*"}:
            raise ValueError("needs at least one digit or letter")
        return mapped

    @field_validator("near_lat_long", mode="before")
    @classmethod
    def _lat_long(cls, value: Any) -> Any:
        if isinstance(value, str):
            parts = value.split(",")
            if len(parts) != 2:
                raise ValueError("expected 'latitude,longitude'")
            return tuple(part.strip() for part in parts)
        return value

    @field_validator("near_number")
    @classmethod
    def _near_number(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        try:
            return parse_e164(value, country=info.data.get("country"), field="near_number")
        except InvalidInputError as exc:
            raise ValueError(exc.message.removeprefix("near_number: ")) from None

    # A field validator (the centre fields come first) so that the error names ``distance``.
    @field_validator("distance")
    @classmethod
    def _distance_needs_a_centre(cls, value: int | None, info: ValidationInfo) -> int | None:
        centre = info.data.get("near_number") or info.data.get("near_lat_long")
        if value is not None and centre is None:
            raise ValueError("needs near_number or near_lat_long")
        return value

    def criteria(self) -> dict[str, Any]:
        """The filters set on this query (everything but country, type and limit)."""
        return {
            name: getattr(self, name)
            for name in self.model_fields_set - {"country", "number_type", "limit"}
            if getattr(self, name) not in (None, False)
        }


M = TypeVar("M", bound=BaseModel)


def build(model: type[M], given: M | None, overrides: dict[str, Any]) -> M:
    """Build a model from an object and/or keyword criteria.

    Turns pydantic's ValidationError into InvalidInputError so that it never
    escapes a public method.
    """
    try:
        if given is None:
            return model.model_validate(overrides)
        if not isinstance(given, model):
            raise InvalidInputError(f"expected a {model.__name__}, got {type(given).__name__}")
        if not overrides:
            return given
        merged = {name: getattr(given, name) for name in given.model_fields_set}
        merged.update(overrides)
        return model.model_validate(merged)
    except ValidationError as exc:
        raise InvalidInputError(_describe(model.__name__, exc), field=_first_field(exc)) from None


def _first_field(exc: ValidationError) -> str | None:
    errors = exc.errors()
    return location(errors[0]["loc"]) if errors and errors[0]["loc"] else None


def _describe(what: str, exc: ValidationError) -> str:
    return f"invalid {what}: " + "; ".join(f"{where or what}: {text}" for where, text, _ in problems(exc))
