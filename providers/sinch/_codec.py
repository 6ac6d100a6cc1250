"""Sinch Numbers API v1: its documents read into neutral models, and the requests written from them.

Reading checks every field it uses and raises :class:`Malformed` rather
than trusting an answer; enum values Sinch adds later (types, statuses,
error codes) are accepted as opaque strings.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from numbers_core import (
    ActiveNumber,
    Address,
    AddressCheck,
    AvailableNumber,
    Callback,
    Capabilities,
    Coverage,
    Geography,
    Money,
    NumberConfig,
    NumberStatus,
    NumberType,
    Provisioning,
    Route,
    SearchQuery,
)
from numbers_core.adapter import Malformed, extra_settings, one_pattern
from pydantic import ValidationError

from ._reading import e164, kind, listed, obj, optional_object, records, strings, text

__all__ = [
    "EMERGENCY_COUNTRY",
    "EXTRA_KEY",
    "TYPES",
    "BadConfig",
    "active_number",
    "active_page",
    "address_check",
    "available_number",
    "available_numbers",
    "config_body",
    "emergency_address",
    "emergency_body",
    "error_details",
    "number_pattern",
    "regions",
    "sinch_address",
]

#: the key of ``NumberConfig.extra`` that holds Sinch's own settings
EXTRA_KEY = "sinch"
#: the neutral number types Sinch knows, and its names for them
TYPES = {NumberType.LOCAL: "LOCAL", NumberType.MOBILE: "MOBILE", NumberType.TOLL_FREE: "TOLL_FREE"}
_NEUTRAL_TYPES = {wire: neutral for neutral, wire in TYPES.items()}
# Scheduled provisioning statuses that mean "not done yet"; anything else Sinch may add is taken
# as pending too, except FAILED.
_FAILED = "FAILED"
#: where Sinch registers emergency addresses: US numbers (its address has no country field)
EMERGENCY_COUNTRY = "US"
# A street as Sinch splits it: the house number (3500, 12B, 1-3, 7 1/2), then the rest.
_STREET = re.compile(r"^\s*(\d+[A-Za-z]?(?:[-/]\d+[A-Za-z]?)?(?: 1/2)?)\s+(\S.*?)\s*$")
_ZIP = re.compile(r"^(\d{5})(?:-?(\d{4}))?$")


def _time(value: object, what: str) -> datetime | None:
    stated = text(value, what)
    if stated is None:
        return None
    try:
        moment = datetime.fromisoformat(stated.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise Malformed(f"{what}: {stated[:40]!r} is not a time") from None
    # Sinch's times are UTC; an event's may come without the zone.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _money(value: object, what: str) -> Money | None:
    money = optional_object(value, what)
    amount, currency = money.get("amount"), text(money.get("currencyCode"), f"{what}.currencyCode")
    if amount is None or currency is None:
        return None
    if type(amount) is not str:
        raise Malformed(f"{what}.amount: expected a decimal string, got {kind(amount)}")
    try:
        return Money(amount=Decimal(amount), currency=currency)
    except (InvalidOperation, ValidationError):
        raise Malformed(f"{what}: {amount[:20]!r} {currency[:20]!r} is not an amount") from None


def _type(value: object, what: str, fallback: NumberType = NumberType.UNKNOWN) -> NumberType:
    stated = text(value, what)
    return fallback if stated is None else _NEUTRAL_TYPES.get(stated, NumberType.UNKNOWN)


def _capabilities(value: object, what: str) -> Capabilities:
    if value is None:
        return Capabilities()
    stated = strings(value, what)
    # Sinch knows voice and SMS only: MMS and fax stay unknown.
    return Capabilities(voice="VOICE" in stated, sms="SMS" in stated)


def _country(value: object, what: str) -> Geography:
    region = text(value, what)
    if region is not None and not (len(region) == 2 and region.isalpha()):
        raise Malformed(f"{what}: {region[:10]!r} is not a region code")
    return Geography(iso_country=region)


# -- search ------------------------------------------------------------------------------------


def available_numbers(body: object, *, provider: str, number_type: NumberType) -> list[AvailableNumber]:
    """The numbers of a search answer (``{availableNumbers: [...]}``)."""
    items = listed(obj(body, "search").get("availableNumbers"), "availableNumbers")
    return [
        available_number(item, provider=provider, number_type=number_type, what=f"availableNumbers[{index}]")
        for index, item in enumerate(items)
    ]


def available_number(
    body: object,
    *,
    provider: str,
    number_type: NumberType = NumberType.UNKNOWN,
    what: str = "availableNumber",
) -> AvailableNumber:
    """One number for sale (a search's item, or ``GET …/availableNumbers/{n}``)."""
    entry = obj(body, what)
    documents = entry.get("supportingDocumentationRequired")
    if documents is not None and type(documents) is not bool:
        raise Malformed(f"{what}.supportingDocumentationRequired: expected true or false")
    return AvailableNumber(
        phone_number=e164(entry.get("phoneNumber"), f"{what}.phoneNumber"),
        provider=provider,
        number_type=_type(entry.get("type"), f"{what}.type", number_type),
        capabilities=_capabilities(entry.get("capability"), f"{what}.capability"),
        geography=_country(entry.get("regionCode"), f"{what}.regionCode"),
        setup_price=_money(entry.get("setupPrice"), f"{what}.setupPrice"),
        monthly_price=_money(entry.get("monthlyPrice"), f"{what}.monthlyPrice"),
        # KYC documents Sinch reviews (through number orders) before the number is rented: no
        # address requirement, which Sinch's search does not state.
        documents_required=documents,
        raw=entry,
    )


def regions(body: object) -> list[Coverage]:
    """The regions of ``GET …/availableRegions`` (``{availableRegions: [{regionCode, regionName,
    types}]}``) with the types numbers-core knows; a type Sinch adds later is left out."""
    found = []
    for index, entry in enumerate(records(obj(body, "regions").get("availableRegions"), "availableRegions")):
        what = f"availableRegions[{index}]"
        country = _country(entry.get("regionCode"), f"{what}.regionCode").iso_country
        if country is None:
            raise Malformed(f"{what}.regionCode: missing")
        kinds = strings(entry.get("types"), f"{what}.types")
        found.append(
            Coverage(
                country=country,
                name=text(entry.get("regionName"), f"{what}.regionName"),
                number_types=frozenset(_NEUTRAL_TYPES[kind] for kind in kinds if kind in _NEUTRAL_TYPES),
                raw=entry,
            )
        )
    return found


# Where a search's one pattern lies, as Sinch's searchPattern says it.
_SEARCH_PATTERN = {"start": "START", "contains": "CONTAINS", "end": "END"}


def number_pattern(query: SearchQuery) -> tuple[str, str] | None:
    """The one ``numberPattern`` a search sends: (pattern, searchPattern), or None.

    Leading digits go with the calling code and its ``+`` (``+1415``)."""
    sent = one_pattern(query)
    if sent is None:
        return None
    return ("+" if sent.where == "start" else "") + sent.digits, _SEARCH_PATTERN[sent.where]


# -- owned numbers -----------------------------------------------------------------------------


def _scheduled(part: str, value: object, target_keys: tuple[str, ...], what: str) -> Provisioning | None:
    if value is None:
        return None
    job = obj(value, what)
    status = text(job.get("status"), f"{what}.status")
    targets = [text(job.get(key), f"{what}.{key}") for key in target_keys]
    return Provisioning(
        part=part,
        state="failed" if status == _FAILED else "pending",
        target=next((t for t in targets if t), None),
        status=status,
        error_codes=strings(job.get("errorCodes"), f"{what}.errorCodes"),
    )


def active_number(body: object, *, provider: str) -> ActiveNumber:
    """A rented number (ActiveNumber: rent, get, update, release)."""
    doc = obj(body, "number")
    number = e164(doc.get("phoneNumber"), "phoneNumber")
    sms = optional_object(doc.get("smsConfiguration"), "smsConfiguration")
    voice = optional_object(doc.get("voiceConfiguration"), "voiceConfiguration")
    parts = [
        _scheduled(
            "sms",
            sms.get("scheduledProvisioning"),
            ("servicePlanId", "campaignId"),
            "smsConfiguration.scheduledProvisioning",
        ),
        _scheduled(
            "voice",
            voice.get("scheduledVoiceProvisioning"),
            ("appId", "trunkId", "serviceId"),
            "voiceConfiguration.scheduledVoiceProvisioning",
        ),
    ]
    provisioning = tuple(part for part in parts if part is not None)
    expires = _time(doc.get("expireAt"), "expireAt")
    if expires is not None:
        status = NumberStatus.RELEASING  # released: the account keeps it until the paid period ends
    elif any(part.state == "pending" for part in provisioning):
        status = NumberStatus.PENDING
    else:
        status = NumberStatus.ACTIVE
    name = text(doc.get("displayName"), "displayName")
    return ActiveNumber(
        phone_number=number,
        id=number,
        provider=provider,
        account_id=text(doc.get("projectId"), "projectId"),
        number_type=_type(doc.get("type"), "type"),
        friendly_name=name,
        capabilities=_capabilities(doc.get("capability"), "capability"),
        geography=_country(doc.get("regionCode"), "regionCode"),
        config=_config(name, sms, voice, text(doc.get("callbackUrl"), "callbackUrl")),
        status=status,
        updated_at=_time(voice.get("lastUpdatedTime"), "voiceConfiguration.lastUpdatedTime"),
        expires_at=expires,
        provisioning=provisioning,
        raw=doc,
    )


def _config(
    name: str | None, sms: dict[str, Any], voice: dict[str, Any], callback: str | None
) -> NumberConfig:
    plan = text(sms.get("servicePlanId"), "smsConfiguration.servicePlanId")
    campaign = text(sms.get("campaignId"), "smsConfiguration.campaignId")
    kind = text(voice.get("type"), "voiceConfiguration.type")
    app = text(voice.get("appId"), "voiceConfiguration.appId")
    extra: dict[str, Any] = {}
    if campaign is not None:
        extra["campaignId"] = campaign
    for wire_type, key in (("EST", "trunkId"), ("FAX", "serviceId")):
        linked = text(voice.get(key), f"voiceConfiguration.{key}")
        if kind == wire_type and linked is not None:
            extra["voiceConfiguration"] = {"type": wire_type, key: linked}
    try:
        return NumberConfig(
            friendly_name=name,
            sms=Route(application_id=plan) if plan else None,
            voice=Route(application_id=app) if app and kind in (None, "RTC") else None,
            status_callback=Callback(url=callback) if callback else None,
            extra={EXTRA_KEY: extra} if extra else {},
        )
    except ValidationError as exc:
        raise Malformed(f"configuration: {exc.errors(include_url=False)[0]['msg']}") from None


def active_page(body: object, *, provider: str) -> tuple[list[ActiveNumber], str | None]:
    """One page of rented numbers and the token of the next (None on the last)."""
    page = obj(body, "list page")
    items = listed(page.get("activeNumbers"), "activeNumbers")
    numbers = [active_number(item, provider=provider) for item in items]
    return numbers, text(page.get("nextPageToken"), "nextPageToken")


# -- errors ------------------------------------------------------------------------------------


def error_details(body: object) -> tuple[str | None, str | None]:
    """Sinch's ``status`` name and a readable message, from ``{"error": {code, message, status, details}}``.

    ``message`` is often empty: the status and the details then say it.
    """
    error = body.get("error") if type(body) is dict else None
    if type(error) is not dict:
        return None, None
    status = error.get("status") if type(error.get("status")) is str else None
    message = error.get("message") if type(error.get("message")) is str else ""
    notes = []
    details = error.get("details")
    for detail in details if type(details) is list else []:
        if type(detail) is not dict:
            continue
        for violation in detail.get("fieldViolations") or []:
            if type(violation) is dict:
                notes.append(f"{violation.get('field')}: {violation.get('description')}")
        described = detail.get("description")
        if type(described) is str and described and described != message:
            notes.append(described)
        if detail.get("type") == "ResourceInfo" and not described:
            kind, name = detail.get("resourceType"), detail.get("resourceName")
            if type(kind) is str and kind:
                notes.append(f"{kind} {name}" if type(name) is str and name else kind)
    said = "; ".join(part for part in (message, *notes) if part)[:500]
    return status, said or (status.replace("_", " ").lower() if status else None)


# -- writing -----------------------------------------------------------------------------------


class BadConfig(ValueError):
    """A NumberConfig Sinch cannot take; the message says why."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


_VOICE_KEYS = {"EST": "trunkId", "FAX": "serviceId"}


def _extra(config: NumberConfig) -> dict[str, Any]:
    settings = extra_settings(config, EXTRA_KEY, "Sinch", ("campaignId", "voiceConfiguration"), BadConfig)
    campaign = settings.get("campaignId")
    if campaign is not None and not isinstance(campaign, str):
        raise BadConfig(f"extra.{EXTRA_KEY}.campaignId: expected a string", "extra")
    voice = settings.get("voiceConfiguration")
    if voice is not None:
        kind = voice.get("type") if isinstance(voice, dict) else None
        key = _VOICE_KEYS.get(kind) if isinstance(kind, str) else None
        if key is None or set(voice) != {"type", key} or not isinstance(voice[key], str):
            raise BadConfig(
                f"extra.{EXTRA_KEY}.voiceConfiguration: expected "
                '{"type": "EST", "trunkId": "…"} or {"type": "FAX", "serviceId": "…"}',
                "extra",
            )
    return settings


def config_body(config: NumberConfig | None, *, purchase: bool) -> dict[str, Any]:
    """The configuration fields of a rent or an update: only what ``config`` sets.

    A field set to None is unlinked with ``""``, as Sinch asks. The display
    name cannot go with a rent (Sinch takes it on updates only).
    """
    if config is None:
        return {}
    fields = config.model_fields_set
    body: dict[str, Any] = {}
    settings = _extra(config) if "extra" in fields else {}
    if "friendly_name" in fields and not purchase:
        body["displayName"] = config.friendly_name or ""
    campaign = settings.get("campaignId")
    if "sms" in fields or campaign is not None:
        plan = config.sms.application_id if config.sms is not None else None
        if "sms" not in fields:
            raise BadConfig(
                f"extra.{EXTRA_KEY}.campaignId: Sinch links a campaign with its service plan: "
                "give sms=Route(application_id=<service plan id>) too",
                "extra",
            )
        body["smsConfiguration"] = {"servicePlanId": plan or ""}
        if campaign is not None:
            body["smsConfiguration"]["campaignId"] = campaign
    voice = settings.get("voiceConfiguration")
    if "voice" in fields and voice is not None:
        raise BadConfig(
            f"voice: give voice.application_id or extra.{EXTRA_KEY}.voiceConfiguration, not both", "voice"
        )
    if "voice" in fields:
        app = config.voice.application_id if config.voice is not None else None
        body["voiceConfiguration"] = {"type": "RTC", "appId": app or ""}
    elif voice is not None:
        body["voiceConfiguration"] = dict(voice)
    if "status_callback" in fields:
        callback = config.status_callback
        if callback is not None and callback.method not in (None, "POST"):
            raise BadConfig("status_callback.method: Sinch POSTs its events", "status_callback")
        body["callbackUrl"] = str(callback.url) if callback is not None and callback.url else ""
    return body


# -- emergency addresses -------------------------------------------------------------------------


def sinch_address(address: Address) -> dict[str, str]:
    """``address`` in Sinch's shape: the house number apart from the street (``streetNumber``,
    ``streetInfo``), ``street2`` as ``location``, the ZIP+4 split (``postalCode``,
    ``postalCodePlusFour``). Sinch's address has no country: it must be a US one."""
    what = "emergency_address"
    if address.country != EMERGENCY_COUNTRY:
        raise BadConfig(
            f"{what}.country: Sinch registers emergency addresses of US numbers, and its address has "
            f"no country, not {address.country}",
            f"{what}.country",
        )
    street = _STREET.match(address.street)
    if street is None:
        raise BadConfig(
            f"{what}.street: Sinch takes the house number apart from the street: begin the street with "
            f"it, as '3500 Lenox Rd NE', not {address.street!r}",
            f"{what}.street",
        )
    region = (address.region or "").strip().upper()
    if len(region) != 2 or not region.isalpha():
        raise BadConfig(
            f"{what}.region: the state's two-letter code (as 'GA'), not {address.region!r}", f"{what}.region"
        )
    zip_code = _ZIP.match((address.postal_code or "").strip())
    if zip_code is None:
        raise BadConfig(
            f"{what}.postal_code: a ZIP code (30326, or 30326-4228), not {address.postal_code!r}",
            f"{what}.postal_code",
        )
    wire = {
        "streetNumber": street.group(1),
        "streetInfo": street.group(2),
        "city": address.locality,
        "state": region,
        "postalCode": zip_code.group(1),
    }
    if address.street2:
        wire["location"] = address.street2
    if zip_code.group(2):
        wire["postalCodePlusFour"] = zip_code.group(2)
    return wire


def emergency_body(address: Address) -> dict[str, Any]:
    """The body of ``:provision`` and ``:validate``: the address, and ``customer_name`` as the
    ``displayName`` emergency services are given."""
    body: dict[str, Any] = {"address": sinch_address(address)}
    if address.customer_name:
        body["displayName"] = address.customer_name
    return body


def emergency_address(value: object, what: str = "emergencyAddress") -> Address | None:
    """Sinch's address as an Address (in the US); None for one with no street and no city (what
    Sinch sends as ``correctedAddress`` when it has none: every field "")."""
    fields = obj(value, what)
    part = {key: text(fields.get(key), f"{what}.{key}") for key in _ADDRESS_KEYS}
    street = " ".join(piece for piece in (part["streetNumber"], part["streetInfo"]) if piece)
    if not street and not part["city"]:
        return None
    postal = part["postalCode"]
    if postal and part["postalCodePlusFour"]:
        postal = f"{postal}-{part['postalCodePlusFour']}"
    try:
        return Address(
            street=street,
            street2=part["location"],
            locality=part["city"],
            region=part["state"],
            postal_code=postal,
            country=EMERGENCY_COUNTRY,
        )
    except ValidationError as exc:
        problem = exc.errors(include_url=False)[0]
        raise Malformed(f"{what}: {'.'.join(map(str, problem['loc']))}: {problem['msg']}") from None


_ADDRESS_KEYS = (
    "streetNumber",
    "streetInfo",
    "location",
    "city",
    "state",
    "postalCode",
    "postalCodePlusFour",
)
_CHECKED = {"EXACT_MATCH": "exact", "NEAR_MATCH": "corrected", "NO_MATCH": "invalid"}


def address_check(body: object, given: Address) -> AddressCheck:
    """What ``:validate`` answered of ``given``: EXACT_MATCH is ``exact`` (the address as given),
    NEAR_MATCH ``corrected`` (its ``correctedAddress``), NO_MATCH ``invalid`` with Sinch's
    ``candidateAddresses`` and its ``validationMessage``."""
    answer = obj(body, "validation")
    outcome = text(answer.get("validationResult"), "validationResult")
    result = _CHECKED.get(outcome or "")
    if result is None:
        raise Malformed(f"validationResult: {str(outcome)[:40]!r} is not EXACT_MATCH, NEAR_MATCH or NO_MATCH")
    message = text(answer.get("validationMessage"), "validationMessage")
    candidates = [
        address
        for index, item in enumerate(listed(answer.get("candidateAddresses"), "candidateAddresses"))
        if (address := emergency_address(item, f"candidateAddresses[{index}]")) is not None
    ]
    if result == "exact":
        return AddressCheck(result="exact", address=given, message=message, raw=answer)
    if result == "corrected":
        corrected = answer.get("correctedAddress")
        found = emergency_address(corrected, "correctedAddress") if corrected is not None else None
        if found is None:
            raise Malformed("correctedAddress: a NEAR_MATCH without the address it corrects to")
        # Sinch's address has no name: the one given stays.
        address = found.model_copy(update={"customer_name": given.customer_name})
        return AddressCheck(result="corrected", address=address, message=message, raw=answer)
    return AddressCheck(result="invalid", candidates=tuple(candidates), message=message, raw=answer)
