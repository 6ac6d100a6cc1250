"""Kazoo Crossbar v2's phone-number documents, read and written.

Reading checks the shape of every answer and raises :class:`Malformed`
(which the provider turns into a ProtocolError) rather than trusting it;
writing builds the ``data`` of request envelopes from neutral models.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from numbers_core import (
    ActiveNumber,
    Address,
    AvailableNumber,
    EmergencyRegistration,
    EmergencyStatus,
    Geography,
    NumberConfig,
    NumberStatus,
    NumberType,
)
from numbers_core.adapter import Malformed, plan_type, region_of
from numbers_core.adapter import json_e164 as _e164
from numbers_core.adapter import json_kind as _kind
from numbers_core.adapter import json_object as _object
from numbers_core.adapter import json_text as _text
from numbers_core.errors import Charge
from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError

__all__ = [
    "BUYABLE",
    "EXTRA_KEY",
    "FEATURE_BLOCKS",
    "FRIENDLY_NAME_KEY",
    "BadConfig",
    "Failure",
    "Malformed",
    "candidates",
    "charges",
    "collection",
    "config_data",
    "data_of",
    "e911_address",
    "e911_block",
    "error_details",
    "failure",
    "gregorian",
    "listing",
    "monthly",
    "named",
    "number",
    "search_results",
    "sends_e911",
    "state",
]

#: the key of ``NumberConfig.extra`` that holds Kazoo's own feature blocks
EXTRA_KEY = "kazoo"
#: the public key of the number document that holds the neutral friendly_name
FRIENDLY_NAME_KEY = "friendly_name"
#: the search states a number can be activated from
BUYABLE = frozenset({"discovery", "available"})
#: the public key of the number document that holds its emergency address (3.x: ``dash_e911``)
E911_KEY = "e911"
_LEGACY_E911 = "dash_e911"

# Gregorian seconds (since 0001-01-01, Erlang's calendar) at the Unix epoch.
_GREGORIAN_UNIX = 62_167_219_200
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

_STATUS = {
    "in_service": NumberStatus.ACTIVE,
    "reserved": NumberStatus.RESERVED,
    "port_in": NumberStatus.PENDING,
    "port_out": NumberStatus.RELEASING,
    "released": NumberStatus.RELEASED,
    "aging": NumberStatus.RELEASED,
    "deleted": NumberStatus.RELEASED,
    # In Kazoo's pool (where a release puts a number by default) or just searched: nobody's, as a
    # released number is.
    "available": NumberStatus.RELEASED,
    "discovery": NumberStatus.RELEASED,
}

# The e911 provider's word for where an address stands (e911.status). GEOCODED: located, not yet
# provisioned for the number; REMOVED: taken off it.
_E911_STATUS = {
    "PROVISIONED": EmergencyStatus.ACTIVE,
    "GEOCODED": EmergencyStatus.PENDING,
    "INVALID": EmergencyStatus.FAILED,
    "ERROR": EmergencyStatus.FAILED,
    "REMOVED": EmergencyStatus.NONE,
}
# Kazoo's e911 block names no country; its providers (Dash, Telnyx, Vitelity) register North
# American addresses, and a Canadian one is told by its province.
_E911_COUNTRIES = ("US", "CA")
_PROVINCES = frozenset({"AB", "BC", "MB", "NB", "NL", "NS", "NT", "NU", "ON", "PE", "QC", "SK", "YT"})


def gregorian(value: object, what: str) -> datetime | None:
    """Gregorian seconds (Kazoo's timestamps) as an aware datetime; None when absent."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise Malformed(f"{what}: expected Gregorian seconds, got {_kind(value)}")
    try:
        return _EPOCH + timedelta(seconds=value - _GREGORIAN_UNIX)
    except OverflowError:
        raise Malformed(f"{what}: {value} is not a usable time") from None


def data_of(body: object, what: str) -> Any:
    """The ``data`` of a response envelope."""
    envelope = _object(body, what)
    if "data" not in envelope:
        raise Malformed(f"{what}: the envelope has no data")
    return envelope["data"]


# -- search ------------------------------------------------------------------------------------


def search_results(body: object, *, provider: str, number_type: NumberType) -> list[AvailableNumber]:
    """The buyable numbers of a search answer (``[{number, state}]``), in Kazoo's order.

    Kazoo says nothing but the number and its state: geography and
    capabilities stay unknown, except for the country, which the number
    itself tells.
    """
    data = data_of(body, "search")
    if type(data) is not list:
        raise Malformed(f"search: expected a list of numbers, got {_kind(data)}")
    found = []
    for index, item in enumerate(data):
        entry = _object(item, f"search[{index}]")
        state = _text(entry.get("state"), f"search[{index}].state")
        if state is not None and state not in BUYABLE:
            continue  # known to Kazoo but not for sale (reserved, in service elsewhere)
        e164 = _e164(entry.get("number"), f"search[{index}].number")
        stated = plan_type(e164)
        found.append(
            AvailableNumber(
                phone_number=e164,
                provider=provider,
                number_type=stated if stated is not NumberType.UNKNOWN else number_type,
                geography=Geography(iso_country=region_of(e164)),
                raw=entry,
            )
        )
    return found


# -- owned numbers -----------------------------------------------------------------------------


def _status(state: str | None) -> NumberStatus:
    return _STATUS.get(state or "", NumberStatus.UNKNOWN)


def _features(value: object, what: str) -> list[str]:
    if value is None:
        return []
    if type(value) is not list or not all(type(item) is str for item in value):
        raise Malformed(f"{what}: expected a list of feature names")
    return value


def state(doc: dict[str, Any]) -> object:
    """The state a number's document gives (at its root, or among its read-only fields)."""
    meta = doc.get("_read_only")
    return doc.get("state") or (meta.get("state") if type(meta) is dict else None)


def number(body: object, *, provider: str, account_id: str) -> ActiveNumber:
    """An owned number from its document (GET, PATCH, activate)."""
    doc = _object(data_of(body, "number"), "number")
    e164 = _e164(doc.get("id"), "number.id")
    meta = doc.get("_read_only")
    meta = {} if meta is None else _object(meta, "number._read_only")
    _features(doc.get("features"), "number.features")
    friendly = _text(doc.get(FRIENDLY_NAME_KEY), f"number.{FRIENDLY_NAME_KEY}")
    # The e911 block is the number's emergency registration (ActiveNumber.emergency), not an extra.
    blocks = {key: doc[key] for key in FEATURE_BLOCKS if key in doc and key != E911_KEY}
    country = region_of(e164)
    emergency = _emergency(doc, country)
    return ActiveNumber(
        phone_number=e164,
        id=e164,
        provider=provider,
        account_id=account_id,
        number_type=plan_type(e164),
        friendly_name=friendly,
        geography=Geography(iso_country=country),
        config=NumberConfig(
            friendly_name=friendly,
            emergency_address=emergency.address if emergency.status is not EmergencyStatus.NONE else None,
            extra={EXTRA_KEY: blocks} if blocks else {},
        ),
        status=_status(_text(state(doc), "number.state")),
        created_at=gregorian(meta.get("created"), "number._read_only.created"),
        updated_at=gregorian(meta.get("modified"), "number._read_only.modified"),
        emergency=emergency,
        raw=doc,
    )


def _emergency(doc: dict[str, Any], country: str | None) -> EmergencyRegistration:
    """The number's e911 registration: none without a block (a document carries all its public
    fields), else its address and the provider's status (unknown where it gives none)."""
    given = doc.get(E911_KEY) or doc.get(_LEGACY_E911)
    if given is None:
        return EmergencyRegistration(status=EmergencyStatus.NONE)
    block = _object(given, f"number.{E911_KEY}")
    carrier_status = _text(block.get("status"), f"number.{E911_KEY}.status")
    return EmergencyRegistration(
        status=_E911_STATUS.get(carrier_status or "", EmergencyStatus.UNKNOWN),
        address=e911_address(block, country, f"number.{E911_KEY}"),
        caller_name=_text(block.get("caller_name"), f"number.{E911_KEY}.caller_name"),
        carrier_status=carrier_status,
        raw=block,
    )


def e911_address(block: dict[str, Any], country: str | None, what: str = E911_KEY) -> Address:
    """An e911 block (or one of Kazoo's candidates for one) as an Address: in ``country``, the
    number's, or where its region says (a Canadian province, else the US)."""
    region = _text(block.get("region"), f"{what}.region")
    fields = {
        key: _text(block.get(wire), f"{what}.{wire}")
        for key, wire in (
            ("street", "street_address"),
            ("street2", "extended_address"),
            ("locality", "locality"),
            ("postal_code", "postal_code"),
            ("customer_name", "caller_name"),
        )
    }
    if country not in _E911_COUNTRIES:
        country = "CA" if (region or "").upper() in _PROVINCES else "US"
    try:
        return Address(**fields, region=region, country=country)
    except ValidationError as exc:
        problem = exc.errors(include_url=False)[0]
        raise Malformed(f"{what}.{'.'.join(map(str, problem['loc']))}: {problem['msg']}") from None


def candidates(data: object) -> tuple[Address, ...]:
    """The addresses a 400 ``multiple_choice`` proposes (its ``details``); those that cannot be
    read as one are left out rather than failing the error."""
    details = data.get("details") if type(data) is dict else None
    found = []
    for index, item in enumerate(details if type(details) is list else ()):
        if type(item) is dict:
            try:
                found.append(e911_address(item, None, f"details[{index}]"))
            except Malformed:
                continue
    return tuple(found)


def listing(body: object, *, provider: str, account_id: str) -> tuple[list[ActiveNumber], str | None]:
    """One page of the account's numbers, and the key of the next page (None after the last)."""
    envelope = _object(body, "list page")
    data = _object(data_of(envelope, "list page"), "list page data")
    rows = data.get("numbers")
    rows = {} if rows is None else _object(rows, "list page numbers")
    numbers = []
    for key, row in rows.items():
        entry = _object(row, f"numbers[{key[:20]!r}]")
        e164 = _e164(key, "list page number")
        what = f"numbers[{e164}]"
        _features(entry.get("features"), f"{what}.features")
        numbers.append(
            ActiveNumber(
                phone_number=e164,
                id=e164,
                provider=provider,
                account_id=_text(entry.get("assigned_to"), f"{what}.assigned_to") or account_id,
                number_type=plan_type(e164),
                geography=Geography(iso_country=region_of(e164)),
                status=_status(_text(entry.get("state"), f"{what}.state")),
                created_at=gregorian(entry.get("created"), f"{what}.created"),
                updated_at=gregorian(entry.get("updated"), f"{what}.updated"),
                raw=entry,
            )
        )
    following = envelope.get("next_start_key")
    if following is not None and not isinstance(following, str | int):
        raise Malformed(f"next_start_key: expected an opaque key, got {_kind(following)}")
    return numbers, None if following in (None, "") else str(following)


def named(number: ActiveNumber, friendly_name: str) -> ActiveNumber:
    """``number`` with the friendly name a filtered listing matched it on."""
    config = number.config.model_copy(update={"friendly_name": friendly_name})
    return number.model_copy(update={"friendly_name": friendly_name, "config": config})


# -- errors ------------------------------------------------------------------------------------


class Failure(BaseModel):
    """What an error answer says: Kazoo's words, the number manager's code and cause."""

    model_config = ConfigDict(frozen=True)

    #: the envelope's message ("invalid credentials", "bad_identifier", "accept charges", …)
    message: str | None = None
    #: the number manager's error ("number_exists", "invalid_state_transition", …)
    error: str | None = None
    cause: str | None = None
    request_id: str | None = None
    data: Any = None

    def status(self) -> int:
        """The HTTP status a batch item's error stands for (its ``code``; 400 when it has none)."""
        code = self.data.get("code") if isinstance(self.data, dict) else None
        if isinstance(code, int) and not isinstance(code, bool) and 400 <= code <= 599:
            return code
        return 404 if self.error in ("not_found", "bad_identifier") else 400


def error_details(body: object) -> Failure:
    """Read an error envelope leniently: any part may be missing or of another shape."""
    if type(body) is not dict:
        return Failure(error=body if type(body) is str and len(body) <= 200 else None)
    data = body.get("data")
    inner = data if type(data) is dict else {}
    message = _short(body.get("message")) or _short(inner.get("message"))
    error = _short(inner.get("error")) or _short(body.get("message"))
    if error is not None and error.isdigit():
        error = None  # the envelope's "error" is the HTTP status as a string
    return Failure(
        message=message,
        error=error,
        cause=_short(inner.get("cause")) or _validation(inner),
        request_id=_short(body.get("request_id")),
        data=data,
    )


def failure(value: object) -> Failure:
    """One item's error in a collection answer: an object, or a bare string."""
    if type(value) is str:
        return Failure(message=_short(value), error=_short(value))
    if type(value) is not dict:
        return Failure()
    return Failure(
        message=_short(value.get("message")) or _short(value.get("error")),
        error=_short(value.get("error")),
        cause=_short(value.get("cause")),
        data=value,
    )


def _short(value: object) -> str | None:
    return value[:500] if type(value) is str and value else None


def _validation(data: dict[str, Any]) -> str | None:
    # A schema failure: {"field": {"rule": {"message": "…"}}}.
    problems = []
    for field, rules in data.items():
        if type(rules) is dict:
            for rule, detail in rules.items():
                text = detail.get("message") if type(detail) is dict else None
                problems.append(f"{field}: {text or rule}")
    return "; ".join(problems)[:500] or None


def _decimal(value: object) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


def charges(data: object) -> tuple[tuple[Charge, ...], Decimal | None]:
    """The lines and total of a 402 "accept charges" quote, in either shape Kazoo sends.

    Kazoo 4.0 to 4.2: categories of items, each with a quantity and a rate, and
    the total activation charge: ``{"phone_numbers": {"did_us": {"quantity": 1,
    "rate": 1.0}}, "activation_charges": 1.0}``.

    Kazoo 4.3 and master: a list of invoices (one per bookkeeper), each with its
    ``items`` (category, item, quantity, rate, …) and a ``summary`` whose
    ``today`` is what the request would charge now (its activation charges):
    one line per item, and the sum of ``today`` over the invoices.
    """
    if type(data) is list:
        return _invoices(data)
    if type(data) is not dict:
        return (), None
    lines = []
    for category, items in data.items():
        if type(items) is not dict:
            continue
        for item, quote in items.items():
            if type(quote) is dict:
                lines.append(_line(category, item, quote))
    return tuple(lines), _decimal(data.get("activation_charges"))


def _invoices(invoices: list[Any]) -> tuple[tuple[Charge, ...], Decimal | None]:
    lines = []
    total: Decimal | None = None
    for invoice in invoices:
        if type(invoice) is not dict:
            continue
        items = invoice.get("items")
        for quote in items if type(items) is list else ():
            if type(quote) is dict and type(quote.get("category")) is str and type(quote.get("item")) is str:
                lines.append(_line(quote["category"], quote["item"], quote))
        summary = invoice.get("summary")
        today = _decimal(summary.get("today")) if type(summary) is dict else None
        if today is not None:
            total = today if total is None else total + today
    return tuple(lines), total


def monthly(data: object) -> Decimal | None:
    """What one number of the quote costs a month: the rate of the item the request adds.

    Kazoo 4.3 and master mark the items a request changes (``changes.difference``); 4.0 to 4.2
    list only those. None where the quote names no rate, or several different ones (a request
    that adds numbers of more than one classifier).
    """
    if type(data) is list:
        items = [
            quote
            for invoice in data
            if type(invoice) is dict and type(invoice.get("items")) is list
            for quote in invoice["items"]
            if type(quote) is dict
        ]
        added = [quote for quote in items if _added(quote)]
        rates = {_decimal(quote.get("rate")) for quote in added or items}
    else:
        rates = {line.rate for line in charges(data)[0]}
    rates.discard(None)
    return rates.pop() if len(rates) == 1 else None


def _added(quote: dict[str, Any]) -> bool:
    changes = quote.get("changes")
    difference = changes.get("difference") if type(changes) is dict else None
    added = _decimal(difference.get("quantity")) if type(difference) is dict else None
    return added is not None and added > 0


def _line(category: str, item: str, quote: dict[str, Any]) -> Charge:
    return Charge(
        category=str(category),
        item=str(item),
        quantity=_decimal(quote.get("quantity")),
        rate=_decimal(quote.get("rate")),
    )


# -- collections ---------------------------------------------------------------------------------


def collection(body: object, numbers: list[str]) -> tuple[dict[str, Any], dict[str, Failure]]:
    """What a collection answer says of each number: its document, or its failure.

    Kazoo answers ``{"success": {n: doc}, "error": {n: err}}``, and a
    one-number batch may come back in the single-number shape: the document
    itself (``{"id": n, …}``).
    """
    data = _object(data_of(body, "collection"), "collection data")
    if "success" not in data and "error" not in data:
        if len(numbers) == 1 and "id" in data:
            return {numbers[0]: data}, {}
        raise Malformed("collection: expected success and error maps")
    succeeded = data.get("success") or {}
    failed = data.get("error") or {}
    done = {_e164(key, "collection success"): doc for key, doc in _object(succeeded, "success").items()}
    errors = {_e164(key, "collection error"): failure(err) for key, err in _object(failed, "error").items()}
    return done, errors


# -- writing -----------------------------------------------------------------------------------


class _Block(BaseModel):
    # Strict: the number schema takes true, not "yes" (which pydantic would read as true).
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class _Cnam(_Block):
    display_name: Annotated[str, StringConstraints(min_length=1, max_length=15)] | None = None
    inbound_lookup: bool | None = None


class _E911(_Block):
    street_address: str
    locality: str
    region: Annotated[str, StringConstraints(min_length=2, max_length=2)]
    postal_code: str
    extended_address: str | None = None
    caller_name: Annotated[str, StringConstraints(min_length=3)] | None = None
    notification_contact_emails: list[str] | None = None


class _Prepend(_Block):
    enabled: bool | None = None
    name: str | None = None
    number: str | None = None


class _Failover(_Block):
    e164: str | None = None
    sip: str | None = None


class _Ringback(_Block):
    early: str | None = None
    transfer: str | None = None


class _Features(_Block):
    """The feature blocks a user may set, as the number schema describes them."""

    cnam: _Cnam | None = None
    e911: _E911 | None = None
    prepend: _Prepend | None = None
    failover: _Failover | None = None
    ringback: _Ringback | None = None
    force_outbound: bool | None = None
    carrier_name: Annotated[str, StringConstraints(min_length=1, max_length=30)] | None = None


#: the number document's keys that NumberConfig.extra["kazoo"] may set
FEATURE_BLOCKS = tuple(_Features.model_fields)


class BadConfig(ValueError):
    """A NumberConfig that cannot be written as a Kazoo number document; the message says why."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def config_data(config: NumberConfig | None) -> dict[str, Any]:
    """The public fields to merge into the number document: only those ``config`` sets.

    ``friendly_name`` goes to the :data:`FRIENDLY_NAME_KEY` key (``null``
    deletes it, as PATCH merges); ``extra["kazoo"]`` holds Kazoo's own feature
    blocks, checked against the number schema here, before any request.
    """
    if config is None:
        return {}
    data: dict[str, Any] = {}
    if "friendly_name" in config.model_fields_set:
        data[FRIENDLY_NAME_KEY] = config.friendly_name
    if "emergency_address" in config.model_fields_set:
        given = config.emergency_address
        # null deletes the block: Kazoo takes the number off its e911 provider.
        data[E911_KEY] = None if given is None else e911_block(given)
    unknown = sorted(set(config.extra) - {EXTRA_KEY})
    if unknown:
        raise BadConfig(
            f"extra: Kazoo settings go under extra[{EXTRA_KEY!r}], not {', '.join(map(repr, unknown))}",
            field="extra",
        )
    blocks = config.extra.get(EXTRA_KEY)
    if blocks is None:
        return data
    if not isinstance(blocks, dict):
        raise BadConfig(f"extra.{EXTRA_KEY}: expected an object of feature blocks", field="extra")
    try:
        checked = _Features.model_validate(blocks)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, error['loc']))}: {error['msg']}" for error in exc.errors(include_url=False)
        )
        raise BadConfig(f"extra.{EXTRA_KEY}: {problems}", field="extra") from None
    if E911_KEY in blocks and E911_KEY in data:
        raise BadConfig(
            f"extra.{EXTRA_KEY}.{E911_KEY}: give the emergency address as emergency_address or as the "
            "e911 block, not both",
            field="extra",
        )
    # A block given as None deletes it (PATCH merges; null removes a key).
    for key in blocks:
        value = getattr(checked, key)
        data[key] = None if value is None else _wire(value)
    return data


def e911_block(address: Address) -> dict[str, Any]:
    """``address`` as the number's e911 block, checked as the number schema and Kazoo's e911
    providers have it: a North American address (the block names no country), a two-letter
    region, a postal code, a caller name (``customer_name``) of three characters or more."""
    what = "emergency_address"
    if address.country not in _E911_COUNTRIES:
        raise BadConfig(
            f"{what}.country: Kazoo's e911 block has no country and its e911 providers register "
            f"addresses in the US and Canada, not in {address.country}",
            field=f"{what}.country",
        )
    region = (address.region or "").strip().upper()
    if len(region) != 2 or not region.isalpha():
        raise BadConfig(
            f"{what}.region: Kazoo takes the two-letter state or province code (as 'CA'), "
            f"not {address.region!r}",
            field=f"{what}.region",
        )
    if not address.postal_code:
        raise BadConfig(f"{what}.postal_code: Kazoo's e911 block needs it", field=f"{what}.postal_code")
    name = address.customer_name
    if name is not None and len(name.strip()) < 3:
        raise BadConfig(
            f"{what}.customer_name: Kazoo's caller_name is at least 3 characters, not {name!r}",
            field=f"{what}.customer_name",
        )
    block = {
        "street_address": address.street,
        "locality": address.locality,
        "region": region,
        "postal_code": address.postal_code,
    }
    if address.street2:
        block["extended_address"] = address.street2
    if name is not None:
        block["caller_name"] = name.strip()
    return block


def sends_e911(data: object) -> bool:
    """Whether the ``data`` of a request sets an e911 block (its refusals then are about it)."""
    return type(data) is dict and any(data.get(key) is not None for key in (E911_KEY, _LEGACY_E911))


def _wire(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(exclude_unset=True)
    return value
