"""Canaries: the API key, the password, its login hash and every session token stay out of
log lines (DEBUG included), reprs and error texts, even when Kazoo echoes them back."""

from __future__ import annotations

import hashlib
import logging

import httpx
import numbers_core as nc
import pytest
from kazoo_fake import (
    API_KEY,
    PASSWORD,
    USER_LOGIN,
    USERNAME,
    FakeKazoo,
    connected,
)
from numbers_core.providers.kazoo import KazooProvider

pytestmark = pytest.mark.anyio

N1 = "+14155550101"
HASH = hashlib.md5(f"{USERNAME.lower()}:{PASSWORD}".encode(), usedforsecurity=False).hexdigest()


def shown(error: BaseException) -> str:
    parts = [str(error), repr(error), *(str(v) for v in vars(error).values())]
    cause = error.__cause__
    while cause is not None:
        parts.append(str(cause))
        cause = cause.__cause__
    return "\n".join(parts)


async def test_echoed_credentials_and_tokens_are_redacted(
    kazoo: KazooProvider, fake: FakeKazoo, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake.give(N1)
    await kazoo.get(N1)
    [token] = fake.tokens

    def echo(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            400, json={"error": "400", "message": f"bad key {API_KEY} for token {token}", "data": {}}
        )

    fake.faults.append(echo)
    with pytest.raises(nc.ProviderError) as refused:
        await kazoo.configure(N1, nc.NumberConfig(friendly_name="x"))
    fake.faults.append(lambda request: httpx.Response(200, text=f"<html>{token} {API_KEY}</html>"))
    with pytest.raises(nc.ProtocolError) as garbled:
        await kazoo.get(N1)
    for error in (refused.value, garbled.value):
        for secret in (API_KEY, token):
            assert secret not in shown(error)
    assert token not in caplog.text
    assert API_KEY not in repr(kazoo) + repr(kazoo._auth) + repr(kazoo._api)


async def test_a_user_login_keeps_password_and_hash_out_of_everything(
    fake: FakeKazoo, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake.faults.append(
        lambda request: httpx.Response(401, json={"message": f"invalid credentials {HASH} / {PASSWORD}"})
    )
    async with connected(fake, **USER_LOGIN) as carrier:
        with pytest.raises(nc.AuthenticationError) as refused:
            await carrier.get(N1)
    assert PASSWORD not in shown(refused.value)
    assert HASH not in shown(refused.value)
    assert HASH not in caplog.text
    assert PASSWORD not in caplog.text
