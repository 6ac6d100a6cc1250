"""Sinch's provisioning events: checked against their signature, then read into a typed model.

Sinch POSTs an event to a number's ``callbackUrl`` when it has finished (or
failed) setting the number up, signed in ``X-Sinch-Signature`` with an
HMAC-SHA1 of the body under the project's callback secret (Numbers API:
``/callbackConfiguration``). A web service receiving them::

    from numbers_core.providers.sinch import parse_event

    event = parse_event(request.body, request.headers.get("X-Sinch-Signature"), secret)
    if event.failed:
        ...

Events may arrive in any order: ``timestamp`` says which is newer.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Annotated

from numbers_core.errors import InvalidInputError
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

__all__ = ["ProvisioningEvent", "parse_event"]

_SHA1_BYTES = 20


def _utc(moment: datetime) -> datetime:
    # Sinch's event timestamps may come without a zone; they are UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class ProvisioningEvent(BaseModel):
    """One event Sinch sends about a number (``resourceId``) of a project.

    ``event_type`` and ``status`` are Sinch's strings, kept as they come
    (``PROVISIONING_TO_SMS_PLATFORM``, ``SUCCEEDED``, ``FAILED``, …): Sinch adds
    values over time, and a new one must not make a valid event unreadable.
    """

    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore")

    event_id: str = Field(alias="eventId")
    timestamp: Annotated[datetime, AfterValidator(_utc)]
    project_id: str = Field(alias="projectId")
    #: the number the event is about (E.164)
    resource_id: str = Field(alias="resourceId")
    resource_type: str | None = Field(default=None, alias="resourceType")
    event_type: str = Field(alias="eventType")
    status: str
    failure_code: str | None = Field(default=None, alias="failureCode")
    internal_failure_code: str | None = Field(default=None, alias="internalFailureCode")

    @property
    def failed(self) -> bool:
        return self.status == "FAILED" or bool(self.failure_code)


def _signature(text: str) -> bytes | None:
    text = text.strip()
    for decode in (bytes.fromhex, lambda value: base64.b64decode(value, validate=True)):
        try:
            digest = decode(text)
        except (ValueError, binascii.Error):
            continue
        if len(digest) == _SHA1_BYTES:
            return digest
    return None


def parse_event(body: bytes | str, signature: str | None, secret: str) -> ProvisioningEvent:
    """The event in ``body``, once ``signature`` (``X-Sinch-Signature``) proves Sinch sent it.

    Raises ``InvalidInputError`` for a missing or wrong signature and for a
    body that is not an event: answer such a request with 4xx and forget it.
    The signature is accepted hex- or base64-encoded and compared in constant
    time; the secret never appears in a message.
    """
    raw = body.encode() if isinstance(body, str) else body
    if not secret:
        raise InvalidInputError(
            "secret: the project's callback secret is needed to check events", field="secret"
        )
    given = _signature(signature) if isinstance(signature, str) else None
    if given is None:
        raise InvalidInputError("X-Sinch-Signature: missing, or not an HMAC-SHA1", field="signature")
    expected = hmac.new(secret.encode(), raw, hashlib.sha1).digest()
    if not hmac.compare_digest(given, expected):
        raise InvalidInputError(
            "X-Sinch-Signature: does not match the body: not sent by Sinch", field="signature"
        )
    try:
        return ProvisioningEvent.model_validate(json.loads(raw))
    except (ValueError, RecursionError, ValidationError) as exc:
        raise InvalidInputError(f"body: not a Sinch event ({type(exc).__name__})", field="body") from None
