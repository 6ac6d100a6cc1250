"""Canaries: the key secret and every access token stay out of errors, reprs and logs, even echoed."""

from __future__ import annotations

import httpx
import numbers_core as nc
import pytest
from numbers_core.providers.sinch import SinchProvider
from sinch_fake import KEY_SECRET, FakeSinch, sinch_error

pytestmark = pytest.mark.anyio

N1 = "+12025550101"


async def test_echoed_secrets_are_redacted_everywhere(sinch: SinchProvider, fake: FakeSinch) -> None:
    fake.rent(N1)
    await sinch.get(N1)
    [token] = fake.tokens
    fake.faults.append(lambda r: sinch_error(400, "INVALID_ARGUMENT", f"bad {KEY_SECRET} / {token}"))
    with pytest.raises(nc.ProviderError) as refused:
        await sinch.configure(N1, nc.NumberConfig(friendly_name="x"))
    fake.faults.append(lambda r: httpx.Response(200, text=f"<html>{token} {KEY_SECRET}</html>"))
    with pytest.raises(nc.ProtocolError) as garbled:
        await sinch.get(N1)
    for error in (refused.value, garbled.value):
        shown = " ".join([str(error), repr(error), *map(str, vars(error).values())])
        assert KEY_SECRET not in shown
        assert token not in shown
    assert KEY_SECRET not in repr(sinch) + repr(sinch._auth) + repr(sinch._api) + repr(sinch.settings)


async def test_an_echo_from_the_token_service_is_redacted(fake: FakeSinch) -> None:
    from sinch_fake import connected

    fake.faults.append(
        lambda r: httpx.Response(401, json={"error": "invalid_client", "error_description": KEY_SECRET})
    )
    async with connected(fake) as carrier:
        with pytest.raises(nc.AuthenticationError) as refused:
            await carrier.get(N1)
    assert KEY_SECRET not in str(refused.value)
