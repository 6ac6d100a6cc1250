"""Sinch's provisioning events: signature checked, then parsed into ProvisioningEvent."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime

import numbers_core as nc
import pytest
from numbers_core.providers.sinch import ProvisioningEvent, parse_event

SECRET = "project-callback-secret-canary"
EVENT = {
    "eventId": "01hy3zz6b1ywk3gx6vs6c3r8bq",
    "timestamp": "2026-12-03T10:00:00.123456",
    "projectId": "b3877c40-da60-4998-90ad-b792e98472ac",
    "resourceId": "+12025550101",
    "resourceType": "ACTIVE_NUMBER",
    "eventType": "PROVISIONING_TO_SMS_PLATFORM",
    "status": "FAILED",
    "failureCode": "CAMPAIGN_NOT_AVAILABLE",
    "internalFailureCode": None,
}
BODY = json.dumps(EVENT).encode()
DIGEST = hmac.new(SECRET.encode(), BODY, hashlib.sha1).digest()


@pytest.mark.parametrize("signature", [DIGEST.hex(), DIGEST.hex().upper(), base64.b64encode(DIGEST).decode()])
def test_a_signed_event_is_parsed(signature: str) -> None:
    event = parse_event(BODY, signature, SECRET)
    assert isinstance(event, ProvisioningEvent)
    assert event.resource_id == "+12025550101"
    assert event.event_type == "PROVISIONING_TO_SMS_PLATFORM"
    assert event.failed
    assert event.failure_code == "CAMPAIGN_NOT_AVAILABLE"
    assert event.timestamp == datetime(2026, 12, 3, 10, 0, 0, 123456, tzinfo=UTC)  # no zone given: UTC


def test_new_statuses_and_event_types_are_kept() -> None:
    body = json.dumps({**EVENT, "status": "IN_REVIEW", "eventType": "SOMETHING_NEW", "failureCode": None})
    signature = hmac.new(SECRET.encode(), body.encode(), hashlib.sha1).hexdigest()
    event = parse_event(body, signature, SECRET)
    assert (event.status, event.event_type, event.failed) == ("IN_REVIEW", "SOMETHING_NEW", False)


@pytest.mark.parametrize(
    ("body", "signature", "secret"),
    [
        (BODY, None, SECRET),
        (BODY, "", SECRET),
        (BODY, "zz", SECRET),
        (BODY, DIGEST.hex()[:-2], SECRET),
        (BODY, hmac.new(b"other", BODY, hashlib.sha1).hexdigest(), SECRET),
        (BODY + b" ", DIGEST.hex(), SECRET),
        (BODY, DIGEST.hex(), ""),
    ],
)
def test_unsigned_or_tampered_events_are_refused(body: bytes, signature: str | None, secret: str) -> None:
    with pytest.raises(nc.InvalidInputError) as raised:
        parse_event(body, signature, secret)
    assert SECRET not in str(raised.value)


@pytest.mark.parametrize("body", [b"not json", b"[]", json.dumps({"eventId": "x"}).encode(), b"[" * 5000])
def test_a_signed_body_that_is_no_event_is_refused(body: bytes) -> None:
    signature = hmac.new(SECRET.encode(), body, hashlib.sha1).hexdigest()
    with pytest.raises(nc.InvalidInputError, match="not a Sinch event"):
        parse_event(body, signature, SECRET)
