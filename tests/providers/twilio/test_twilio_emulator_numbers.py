"""The Twilio emulator's numbers as its answers show them, in process (``Emulator.connect``)."""

from __future__ import annotations

import email.utils
from datetime import UTC

import pytest
from numbers_core.emulator import Emulator
from numbers_core.providers.twilio._emulator import _rfc2822_second

pytestmark = pytest.mark.anyio


async def test_a_listing_writes_each_second_of_its_dates_once() -> None:
    emulator = Emulator("twilio")
    try:
        async with emulator.connect() as twilio:
            for offer in await twilio.search(area_code="415", limit=3):
                await twilio.purchase(offer.phone_number)
            written = _rfc2822_second.cache_info()
            listed = [number async for number in twilio.list()]
    finally:
        await emulator.aclose()
    assert len(listed) == 3
    for number in listed:
        assert number.created_at is not None
        # As email.utils writes it (Twilio's dates), to the second.
        shown = email.utils.format_datetime(number.created_at.astimezone(UTC)).replace("-0000", "+0000")
        assert _rfc2822_second(number.created_at.astimezone(UTC).replace(microsecond=0)) == shown
    # Three numbers bought within a second or two: their dates (created, updated) are written as the
    # purchases' answers wrote them, not again.
    assert _rfc2822_second.cache_info().misses == written.misses
