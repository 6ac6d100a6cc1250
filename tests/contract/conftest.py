"""The carriers the contract scenario runs against, each as a user connects to it.

``carrier`` is parametrized over the providers that have a stateful carrier
to test against here: the sandbox itself, Twilio, Kazoo, Sinch and the Sinch
draft over their stateful fakes, Telnyx over its emulator in process; each emulator as a real server on
127.0.0.1, its every answer checked against the carrier's spec; and a routing
provider over two of those servers.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import numbers_core as nc
import pytest

# The fake carriers and the spec checks live with their adapter's tests.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "providers"))
for _adapter in (
    "kazoo",
    "sinch",
    "twilio",
    "telnyx",
    "vonage",
    "plivo",
):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "providers" / _adapter))

import draft_examples  # noqa: E402
import draft_fake  # noqa: E402
import kazoo_fake  # noqa: E402
import sinch_fake  # noqa: E402
import twilio_fake  # noqa: E402
from kazoo_spec import check_request  # noqa: E402
from numbers_core.emulator import Emulator, serve  # noqa: E402
from openapi import Checked  # noqa: E402
from plivo_spec import check_request as check_plivo_request  # noqa: E402
from sinch_spec import check_answer as check_sinch_answer  # noqa: E402
from sinch_spec import check_request as check_sinch_request  # noqa: E402
from telnyx_spec import check_request as check_telnyx_request  # noqa: E402
from twilio_wire import spec_for  # noqa: E402
from vonage_spec import check_request as check_vonage_request  # noqa: E402

# The emulators, served over a real socket.
EMULATED = (
    "twilio",
    "signalwire",
    "kazoo",
    "sinch",
    "sinch-draft",
    "telnyx",
    "vonage",
    "plivo",
)
# Carriers tested in process through their emulator, every request checked against their document.
IN_PROCESS = {
    "vonage": check_vonage_request,
    "plivo": check_plivo_request,
}
# Settings a user of a carrier without a price list gives it: its prices, as a table.
SETTINGS: dict[str, dict[str, object]] = {
    "kazoo": {"prices": {"US": {"local": "1.15 USD", "toll_free": "2.15 USD"}}}
}


@pytest.fixture(autouse=True)
def _no_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    async def sleep(seconds: float) -> None:
        pass

    monkeypatch.setattr("numbers_core._http._sleep", sleep)
    monkeypatch.setattr("numbers_core._provider._sleep", sleep)


# A routing provider over two of them, each a real server (see docs/several-carriers.md).
ROUTED = ("twilio", "sinch")


@pytest.fixture(
    params=[
        "sandbox",
        "twilio",
        "kazoo",
        "sinch",
        "sinch-draft",
        "telnyx",
        *IN_PROCESS,
        *(f"{name}@emulator" for name in EMULATED),
        "routing@emulators",
    ]
)
async def carrier(request: pytest.FixtureRequest) -> AsyncIterator[nc.Provider]:
    if request.param in IN_PROCESS:
        emulator = Emulator(request.param)
        checked = Checked(emulator.transport(), IN_PROCESS[request.param])
        async with (
            httpx.AsyncClient(transport=checked) as http,
            nc.connect(request.param, http_client=http, **emulator.client_settings()) as carrier,
        ):
            yield carrier
        await emulator.aclose()
        return
    if request.param == "routing@emulators":
        with serve(Emulator(ROUTED[0])) as first, serve(Emulator(ROUTED[1])) as second:
            async with nc.connect(
                list(ROUTED), **{ROUTED[0]: first.settings, ROUTED[1]: second.settings}
            ) as both:
                yield both
        return
    if request.param.endswith("@emulator"):
        # Every answer it gives is checked against the carrier's documents (tests/conftest.py).
        name = request.param.removesuffix("@emulator")
        with serve(Emulator(name)) as server:
            async with server.connect(**SETTINGS.get(name, {})) as carrier:
                yield carrier
        return
    if request.param == "telnyx":
        # Telnyx's emulator in process (no socket), every request checked against Telnyx's document.
        emulator = Emulator("telnyx")
        sent: list[httpx.Request] = []

        async def record(request: httpx.Request) -> None:
            sent.append(request)

        async with (
            httpx.AsyncClient(transport=emulator.transport(), event_hooks={"request": [record]}) as http,
            nc.connect("telnyx", http_client=http, **emulator.client_settings()) as carrier,
        ):
            yield carrier
        await emulator.aclose()
        for one in sent:
            check_telnyx_request(one)
        return
    if request.param == "sinch-draft":
        draft = draft_fake.FakeDraft(token=draft_fake.TOKEN)
        draft.stock(*(f"+14152{i:06}" for i in range(40)))
        async with draft_fake.connected(draft) as carrier:
            yield carrier
        for sent in draft.requests:
            draft_examples.check_request(sent)
        for sent, answer in draft.answers:
            draft_examples.check_answer(sent, answer)
        return
    if request.param == "sinch":
        sinch = sinch_fake.FakeSinch()
        sinch.stock(*(f"+14152{i:06}" for i in range(40)))
        async with sinch_fake.connected(sinch) as carrier:
            yield carrier
        for sent in sinch.requests:
            check_sinch_request(sent)
        for sent, answer in sinch.answers:
            check_sinch_answer(sent, answer)
        return
    if request.param == "sandbox":
        async with nc.connect("sandbox") as sandbox:
            yield sandbox
        return
    if request.param == "twilio":
        twilio = twilio_fake.FakeTwilio()
        twilio.pool.update(f"+14152{i:06}" for i in range(40))
        twilio.pool.update(f"+44207946{i:04}" for i in range(5))  # London landlines: regulated
        async with (
            httpx.AsyncClient(transport=twilio.transport()) as http,
            nc.connect(
                "twilio", account_sid=twilio_fake.ACCOUNT, auth_token=twilio_fake.TOKEN, http_client=http
            ) as carrier,
        ):
            yield carrier
        for sent in twilio.requests:
            spec_for(sent).check(sent)
        return
    fake = kazoo_fake.FakeKazoo()
    fake.stock(*(f"+14152{i:06}" for i in range(40)))  # area code 415, where the scenario searches
    async with (
        httpx.AsyncClient(transport=fake.transport()) as http,
        nc.connect(
            "kazoo",
            base_url=kazoo_fake.BASE_URL,
            account_id=kazoo_fake.ACCOUNT,
            api_key=kazoo_fake.API_KEY,
            http_client=http,
            **SETTINGS["kazoo"],
        ) as kazoo,
    ):
        yield kazoo
    for sent in fake.requests:
        check_request(sent)
