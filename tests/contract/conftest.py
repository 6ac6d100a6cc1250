"""The carriers the contract scenario runs against, each as a user connects to it.

``carrier`` is parametrized over the providers that have a stateful carrier
to test against here: the sandbox itself, and Kazoo over its fake Crossbar
(a real server on 127.0.0.1 joins with the emulators).
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import numbers_core as nc
import pytest

# The fake carriers live with their adapter's tests.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "providers" / "kazoo"))

from kazoo_fake import ACCOUNT, API_KEY, BASE_URL, FakeKazoo
from kazoo_spec import check_request


@pytest.fixture(autouse=True)
def _no_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    async def sleep(seconds: float) -> None:
        pass

    monkeypatch.setattr("numbers_core._http._sleep", sleep)
    monkeypatch.setattr("numbers_core._provider._sleep", sleep)


@pytest.fixture(params=["sandbox", "kazoo"])
async def carrier(request: pytest.FixtureRequest) -> AsyncIterator[nc.Provider]:
    if request.param == "sandbox":
        async with nc.connect("sandbox") as sandbox:
            yield sandbox
        return
    fake = FakeKazoo()
    fake.stock(*(f"+14152{i:06}" for i in range(40)))  # area code 415, where the scenario searches
    async with (
        httpx.AsyncClient(transport=fake.transport()) as http,
        nc.connect(
            "kazoo", base_url=BASE_URL, account_id=ACCOUNT, api_key=API_KEY, http_client=http
        ) as kazoo,
    ):
        yield kazoo
    for sent in fake.requests:
        check_request(sent)
