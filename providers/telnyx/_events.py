"""Telnyx's ``number_order.complete`` events: checked against their Ed25519 signature, then read.

Telnyx POSTs an event to the account's webhook URL (Mission Control >
Notifications) when a number order completes (success, failure or partial
success), signed in ``telnyx-signature-ed25519`` (base64) over
``"{telnyx-timestamp}|{raw body}"`` with the account's key; its public half is
in Mission Control. A web service receiving them::

    from numbers_core.providers.telnyx import parse_event

    event = parse_event(request.body, request.headers, public_key)
    for number, status in event.numbers.items():
        ...

Check the raw bytes as they came: JSON parsed and written again no longer
matches the signature. Events may come twice and in any order.

Needs the ``telnyx`` extra (``pip install 'numbers-core[telnyx]'``: pyca/cryptography).
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from numbers_core.errors import InvalidInputError
from pydantic import BaseModel, ConfigDict, Field, ValidationError

__all__ = ["OrderEvent", "parse_event"]

#: how far (seconds) an event's timestamp may be from now, as Telnyx's own SDKs allow
TOLERANCE = 300.0
_KEY_BYTES = 32
_SIGNATURE_BYTES = 64


class OrderEvent(BaseModel):
    """A ``number_order.complete`` event: the order, and each number's status in it.

    ``status`` and the numbers' statuses are Telnyx's strings (``success``,
    ``failure``, ``pending``), kept as they come.
    """

    model_config = ConfigDict(frozen=True)

    event_id: str
    event_type: str
    occurred_at: datetime | None
    order_id: str
    #: the order's status
    status: str
    customer_reference: str | None = None
    #: number (E.164) -> its status in the order
    numbers: dict[str, str] = Field(default_factory=dict)
    raw: Any = Field(default=None, repr=False, exclude=True)


def _read(raw: bytes) -> OrderEvent:
    try:
        doc = json.loads(raw)
        data = doc["data"]
        payload = data["payload"]
        rows = payload.get("phone_numbers") or []
        return OrderEvent(
            event_id=data["id"],
            event_type=data["event_type"],
            occurred_at=data.get("occurred_at"),
            order_id=payload["id"],
            status=payload["status"],
            customer_reference=payload.get("customer_reference"),
            numbers={row["phone_number"]: row.get("status") or "pending" for row in rows},
            raw=doc,
        )
    except (ValueError, RecursionError, KeyError, TypeError, AttributeError, ValidationError) as exc:
        raise InvalidInputError(
            f"body: not a Telnyx number order event ({type(exc).__name__})", field="body"
        ) from None


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def _decoded(text: str | None, size: int, what: str, field: str) -> bytes:
    try:
        value = base64.b64decode(text.strip(), validate=True) if isinstance(text, str) else b""
    except (binascii.Error, ValueError):
        value = b""
    if len(value) != size:
        raise InvalidInputError(f"{what}: missing, or not a base64 Ed25519 {field}", field=field)
    return value


def parse_event(
    body: bytes | str,
    headers: Mapping[str, str],
    public_key: str,
    *,
    tolerance: float = TOLERANCE,
    now: float | None = None,
) -> OrderEvent:
    """The event in ``body``, once its ``telnyx-signature-ed25519`` proves Telnyx sent it.

    ``headers`` are the request's (any case); ``public_key`` the account's
    base64 Ed25519 public key. Raises ``InvalidInputError`` for a missing or
    wrong signature, a timestamp more than ``tolerance`` seconds from ``now``
    (a replayed event), and a body that is not an order event: answer such a
    request with 4xx and forget it.
    """
    try:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    except ImportError as exc:  # the optional telnyx extra
        from numbers_core._extras import missing_extra

        raise missing_extra("numbers_core.providers.telnyx.parse_event", "telnyx", exc) from None
    raw = body.encode() if isinstance(body, str) else body
    key = _decoded(public_key, _KEY_BYTES, "public_key", "public_key")
    signature = _decoded(
        _header(headers, "telnyx-signature-ed25519"),
        _SIGNATURE_BYTES,
        "telnyx-signature-ed25519",
        "signature",
    )
    stamp = _header(headers, "telnyx-timestamp") or ""
    if not stamp.strip().isdigit():
        raise InvalidInputError("telnyx-timestamp: missing, or not Unix seconds", field="timestamp")
    if abs((time.time() if now is None else now) - int(stamp)) > tolerance:
        raise InvalidInputError(
            f"telnyx-timestamp: more than {tolerance:g} s from now: a delayed or replayed event",
            field="timestamp",
        )
    try:
        Ed25519PublicKey.from_public_bytes(key).verify(signature, stamp.strip().encode() + b"|" + raw)
    except InvalidSignature:
        raise InvalidInputError(
            "telnyx-signature-ed25519: does not match the body: not sent by Telnyx", field="signature"
        ) from None
    return _read(raw)
