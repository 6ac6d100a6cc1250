"""No credential in a repr, a log line or an error message.

Every test in this folder already fails if a canary token reaches a log
record (conftest.py) or an error checked with ``raises`` (twilio_wire.py);
these tests go after the places a secret could slip through on purpose.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import httpx
import numbers_core as nc
import pytest
import respx
from twilio_wire import (
    CASES,
    SW_TOKEN,
    TWILIO_ACCOUNT,
    TWILIO_API_SECRET,
    TWILIO_TOKEN,
    assert_clean_error,
    assert_no_secret,
    page,
    raises,
)

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("name", ["twilio", "signalwire"])
async def test_reprs_hide_the_credentials(connected: Callable[[str], nc.Provider], name: str) -> None:
    async with connected(name) as carrier:
        settings = carrier.settings
        assert_no_secret(
            repr(carrier),
            str(carrier),
            repr(settings),
            str(settings),
            settings.model_dump(),
            settings.model_dump_json(),
            vars(carrier),
        )
        assert "**********" in repr(settings)


def test_an_api_key_secret_is_hidden_too() -> None:
    carrier = nc.connect(
        "twilio", account_sid=TWILIO_ACCOUNT, api_key="SK" + "c" * 32, api_secret=TWILIO_API_SECRET
    )
    assert_no_secret(repr(carrier), repr(carrier.settings), carrier.settings.model_dump_json())


@pytest.mark.parametrize("name", ["twilio", "signalwire"])
async def test_an_answer_echoing_the_token_does_not_leak_it(
    connected: Callable[[str], nc.Provider], wire: respx.MockRouter, name: str
) -> None:
    case = CASES[name]
    token = TWILIO_TOKEN if name == "twilio" else SW_TOKEN
    # A misbehaving proxy that quotes the request's credentials back.
    wire.get(case.search_url("US", "Local")).mock(
        return_value=httpx.Response(401, json={"code": 20003, "message": f"bad credentials {token}"})
    )
    wire.get(case.numbers).mock(
        return_value=httpx.Response(
            200, json=page(f"{name}_list_page1", items=[case.fixture("number", phone_number=token)])
        )
    )
    wire.get(case.search_url("US", "TollFree")).mock(
        return_value=httpx.Response(
            200, text=f"<html>token={token}</html>", headers={"Content-Type": "text/html"}
        )
    )
    async with connected(name) as carrier:
        with raises(nc.AuthenticationError) as auth:
            await carrier.search()
        with raises(nc.ProtocolError) as garbage:
            await carrier.get(case.owned)
        with raises(nc.ProtocolError) as html:
            await carrier.search(number_type="toll_free")
    assert "***" in auth.value.message
    for error in (garbage.value, html.value):
        assert error.body is not None
        assert_clean_error(error)
        assert_no_secret(error.body)


async def test_debug_logs_of_a_whole_session_hold_no_secret(
    carrier: nc.Provider, wire: respx.MockRouter, caplog: pytest.LogCaptureFixture
) -> None:
    case = CASES[carrier.name]
    wire.get(case.numbers).mock(
        side_effect=[
            httpx.Response(503, text="busy"),
            httpx.Response(200, json=page(f"{case.name}_list_page1", items=[case.fixture("number")])),
        ]
    )
    wire.delete(case.one).mock(return_value=httpx.Response(204))
    await carrier.release(case.owned)
    records = [record for record in caplog.records if record.levelno >= logging.DEBUG]
    assert any("retrying" in record.getMessage() for record in records)  # the retry was logged
    assert any(record.name == "numbers_core.http" for record in records)
    assert_no_secret(caplog.text)


async def test_an_auth_failure_names_no_secret(carrier: nc.Provider, wire: respx.MockRouter) -> None:
    case = CASES[carrier.name]
    wire.get(case.numbers).mock(return_value=httpx.Response(401, json=case.fixture("error_auth")))
    with raises(nc.AuthenticationError) as info:
        await carrier.get(case.owned)
    assert_clean_error(info.value)
    assert info.value.code == "20003"
