"""Telnyx's number_order.complete events: Ed25519 over "{timestamp}|{body}", checked before reading."""

from __future__ import annotations

import base64
import json
from typing import Any

import numbers_core as nc
import pytest
from numbers_core.emulator import Emulator
from numbers_core.providers.telnyx import parse_event

pytestmark = pytest.mark.anyio


async def settled_event(telnyx: nc.Provider, emulator: Emulator) -> tuple[dict[str, str], bytes, str]:
    """The event the emulator signed for one purchase, with the account's public key."""
    [offer] = await telnyx.search(area_code="415", limit=1)
    await telnyx.purchase(offer)
    dialect: Any = emulator.dialect
    [(headers, body)] = dialect.events
    return headers, body, dialect.public_key


async def test_a_signed_event_is_read(telnyx: nc.Provider, emulator: Emulator) -> None:
    headers, body, key = await settled_event(telnyx, emulator)
    event = parse_event(body, headers, key, now=int(headers["telnyx-timestamp"]))
    assert event.event_type == "number_order.complete"
    assert event.status == "success"
    assert list(event.numbers.values()) == ["success"]
    # Header names are matched in any case, as frameworks hand them over.
    upper = {name.upper(): value for name, value in headers.items()}
    assert parse_event(body.decode(), upper, key, now=int(headers["telnyx-timestamp"])) == event


async def test_a_changed_body_or_another_key_is_refused(telnyx: nc.Provider, emulator: Emulator) -> None:
    headers, body, key = await settled_event(telnyx, emulator)
    now = int(headers["telnyx-timestamp"])
    forged = body.replace(b'"success"', b'"failure"', 1)
    with pytest.raises(nc.InvalidInputError, match="not sent by Telnyx") as caught:
        parse_event(forged, headers, key, now=now)
    assert caught.value.field == "signature"
    other_key = base64.b64encode(bytes(32)).decode()
    with pytest.raises(nc.InvalidInputError):
        parse_event(body, headers, other_key, now=now)


async def test_a_stale_or_replayed_event_is_refused(telnyx: nc.Provider, emulator: Emulator) -> None:
    headers, body, key = await settled_event(telnyx, emulator)
    sent = int(headers["telnyx-timestamp"])
    assert parse_event(body, headers, key, now=sent + 299)
    with pytest.raises(nc.InvalidInputError, match="replayed") as caught:
        parse_event(body, headers, key, now=sent + 301)
    assert caught.value.field == "timestamp"
    with pytest.raises(nc.InvalidInputError, match="replayed"):
        parse_event(body, headers, key, now=sent + 61, tolerance=60)


@pytest.mark.parametrize(
    ("missing", "field"), [("telnyx-signature-ed25519", "signature"), ("telnyx-timestamp", "timestamp")]
)
async def test_an_event_without_its_headers_is_refused(
    telnyx: nc.Provider, emulator: Emulator, missing: str, field: str
) -> None:
    headers, body, key = await settled_event(telnyx, emulator)
    kept = {name: value for name, value in headers.items() if name != missing}
    with pytest.raises(nc.InvalidInputError) as caught:
        parse_event(body, kept, key, now=int(headers["telnyx-timestamp"]))
    assert caught.value.field == field


def test_a_signed_body_that_is_not_an_order_event_is_refused() -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    private = Ed25519PrivateKey.generate()
    key = base64.b64encode(private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()
    for body in (b"not json", json.dumps({"data": {"event_type": "x"}}).encode(), b"[" * 100_000):
        headers = {
            "telnyx-timestamp": "1900000000",
            "telnyx-signature-ed25519": base64.b64encode(private.sign(b"1900000000|" + body)).decode(),
        }
        with pytest.raises(nc.InvalidInputError) as caught:
            parse_event(body, headers, key, now=1_900_000_000)
        assert caught.value.field == "body"
