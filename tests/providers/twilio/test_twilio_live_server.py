"""Both dialects against a real HTTP server on 127.0.0.1, over the core's own client.

The other tests mock httpx with respx (so the core falls back to a plain
httpx client); here the requests go over real sockets through the client the
core uses in production. Each request the server receives is checked against
the carrier's spec too.
"""

from __future__ import annotations

import base64
import email.utils
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import numbers_core as nc
import pytest
from twilio_wire import CASES, SW_PROJECT, SW_TOKEN, TWILIO_ACCOUNT, TWILIO_TOKEN, Case, fixture, spec_for

pytestmark = pytest.mark.anyio


class Carrier(BaseHTTPRequestHandler):
    """A fake carrier: one owned number, two list pages, purchases and releases."""

    case: Case
    credentials: str
    seen: list[httpx.Request]

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the test's output stays quiet

    def _answer(self, status: int, body: Any = None) -> None:
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        if body is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        content = self.rfile.read(length) if length else b""
        url = f"http://{self.headers['Host']}{self.path}"
        self.seen.append(
            httpx.Request(self.command, url, headers=dict(self.headers.items()), content=content)
        )
        if self.headers.get("Authorization") != f"Basic {self.credentials}":
            self._answer(401, {"code": 20003, "message": "Authenticate", "status": 401})
            return
        case, target = self.case, urlsplit(self.path)
        query = dict(parse_qsl(target.query))
        numbers_path = urlsplit(case.numbers).path
        if "/AvailablePhoneNumbers/" in target.path:
            self._answer(200, case.fixture("search_local"))
        elif target.path == "/v1/PhoneNumbers/Countries/US":  # Twilio's Pricing API, on this one host
            self._answer(200, fixture("twilio_prices_us"))
        elif target.path == numbers_path and self.command == "POST":
            form = dict(parse_qsl(content.decode()))
            # Bought now, by this server's clock: the one its Date header tells too.
            now = email.utils.formatdate(usegmt=True).replace("GMT", "+0000")
            self._answer(201, case.fixture("number", phone_number=form["PhoneNumber"], date_created=now))
        elif target.path == numbers_path and "PageToken" in query:
            self._answer(200, case.fixture("list_page2"))
        elif target.path == numbers_path:
            self._answer(200, case.fixture("list_page1"))
        elif target.path == urlsplit(case.one).path and self.command == "DELETE":
            self._answer(204)
        elif target.path == urlsplit(case.one).path:
            self._answer(200, case.fixture("number"))
        else:
            self._answer(404, {"code": 20404, "message": "not found", "status": 404})

    do_GET = do_POST = do_DELETE = _handle


@pytest.fixture(params=["twilio", "signalwire"])
def server(request: pytest.FixtureRequest) -> Iterator[tuple[Case, str, list[httpx.Request]]]:
    case = CASES[request.param]
    user, secret = (TWILIO_ACCOUNT, TWILIO_TOKEN) if case.name == "twilio" else (SW_PROJECT, SW_TOKEN)
    seen: list[httpx.Request] = []
    handler = type(
        "Handler",
        (Carrier,),
        {"case": case, "seen": seen, "credentials": base64.b64encode(f"{user}:{secret}".encode()).decode()},
    )
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield case, f"http://127.0.0.1:{httpd.server_address[1]}", seen
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


async def test_every_operation_over_real_sockets(server: tuple[Case, str, list[httpx.Request]]) -> None:
    case, base_url, seen = server
    if case.name == "twilio":
        carrier = nc.connect("twilio", account_sid=TWILIO_ACCOUNT, auth_token=TWILIO_TOKEN, base_url=base_url)
    else:
        carrier = nc.connect(
            "signalwire", space="example", project_id=SW_PROJECT, api_token=SW_TOKEN, base_url=base_url
        )
    async with carrier:
        found = await carrier.search(area_code="808" if case.name == "twilio" else "253")
        assert found
        # Twilio prices its results from the price list (on the same host as base_url); SignalWire has none.
        priced = nc.PriceBasis.CATALOG if case.name == "twilio" else None
        assert {number.price_basis for number in found} == {priced}
        bought = await carrier.purchase("+12532186751", config=nc.NumberConfig(friendly_name="Live"))
        assert bought.phone_number == "+12532186751"
        assert len([n async for n in carrier.list()]) == 3  # two pages
        assert (await carrier.get(case.owned)).id == case.sid  # by the sid the list taught
        await carrier.release(case.owned)
    # search (and Twilio's price list); purchase (one request); two pages; get; release
    prices = ["GET"] if case.name == "twilio" else []
    assert [r.method for r in seen] == ["GET", *prices, "POST", "GET", "GET", "GET", "DELETE"]
    for request in seen:
        spec_for(request).check(request)


async def test_wrong_credentials_over_real_sockets(server: tuple[Case, str, list[httpx.Request]]) -> None:
    case, base_url, seen = server
    if case.name == "twilio":
        carrier = nc.connect("twilio", account_sid=TWILIO_ACCOUNT, auth_token="f" * 32, base_url=base_url)
    else:
        carrier = nc.connect(
            "signalwire", space="x", project_id=SW_PROJECT, api_token="Wrong" * 8, base_url=base_url
        )
    async with carrier:
        with pytest.raises(nc.AuthenticationError) as info:
            await carrier.get(case.owned)
    assert info.value.code == "20003"
    assert len(seen) == 1  # a 401 is not retried
