"""A stateful server of the seed document's draft of Numbers API v1, behind ``httpx.MockTransport``.

A catalog of numbers for sale, an account's numbers, an optional bearer
token, ``meta`` paging with absolute next-page links, and Twilio-shaped
errors with the codes the document names (21452, 21650). Every request is
checked against the document's parameters and examples, and every 2xx
answer against its examples, by the ``draft`` fixture.
"""

from __future__ import annotations

import contextlib
import copy
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote

import httpx
import numbers_core as nc

BASE_URL = "https://numbers.draft.test/v1"
ACCOUNT = "AC-draft-1"
TOKEN = "CanaryDraftBearerToken_93e1c0ffee"  # a canary: never in a log, repr or message

Fault = Callable[[httpx.Request], httpx.Response | None]


def draft_error(status: int, code: int, message: str) -> httpx.Response:
    return httpx.Response(
        status,
        json={
            "code": code,
            "message": message,
            "more_info": f"https://example.test/{code}",
            "status": status,
        },
    )


def offer(number: str, *, kind: str = "local", region: str = "CA", identity: bool = False) -> dict[str, Any]:
    return {
        "phone_number": number,
        "type": kind,
        "base_setup_price": "1.00",
        "base_recurring_price": "1.15",
        "capabilities": {
            "voice": {"inbound_connectivity": True, "outbound_connectivity": True, "e911": True},
            "sms": {"inbound_connectivity": True, "outbound_connectivity": True, "inbound_mps": 10},
            "mms": {"inbound_connectivity": False, "outbound_connectivity": False},
        },
        "regulatory": {"address_requirements": "local" if identity else "none"},
        "lifecycle": "generally-available",
        "geography": {
            "iso_country": "US",
            "lata": "722",
            "rate_center": "SNFC CNTRL",
            "latitude": "37.77",
            "longitude": "-122.41",
            "region": region,
            "locality": "San Francisco",
            "postal_code": "94103",
        },
    }


@dataclass
class FakeDraft:
    #: the bearer token the server asks for (None: no authentication, as the document says)
    token: str | None = None
    page_size: int = 50
    #: for sale: e164 -> AvailableNumber document
    pool: dict[str, dict[str, Any]] = field(default_factory=dict)
    owned: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: numbers that need an identity document the account lacks (21650)
    identity_required: set[str] = field(default_factory=set)
    requests: list[httpx.Request] = field(default_factory=list)
    answers: list[tuple[httpx.Request, httpx.Response]] = field(default_factory=list)
    #: answers to give before the real one, in order: None lets the request through
    faults: list[Fault] = field(default_factory=list)
    #: what the next change (a POST or DELETE that worked) does with its answer (e.g. lose it)
    after_commit: list[Callable[[httpx.Response], httpx.Response]] = field(default_factory=list)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def stock(self, *numbers: str, **details: Any) -> None:
        for number in numbers:
            self.pool[number] = offer(number, **details)

    def buy(self, number: str, configuration: dict[str, Any] | None = None) -> dict[str, Any]:
        doc = {
            "friendlyName": number,
            "accountSid": ACCOUNT,
            "statusCallback": None,
            "statusCallbackMethod": None,
            "configuration": {
                "status_callback_url": None,
                "status_callback_method": None,
                "voice": {
                    "url": None,
                    "method": "POST",
                    "fallback_url": None,
                    "fallback_method": "POST",
                    "application_sid": None,
                },
                "sms": {"url": None, "method": "POST", "application_sid": None},
            },
            **self.pool.pop(number, offer(number)),
        }
        self._apply(doc, {"configuration": configuration or {}})
        self.owned[number] = doc
        return doc

    # -- the server -------------------------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.faults:
            injected = self.faults.pop(0)(request)
            if injected is not None:
                return injected  # a fault: not the server's own answer, so not checked
        answer = self._route(request)
        self.answers.append((request, answer))  # what the server said, before it may be lost
        if self.after_commit and request.method != "GET" and answer.is_success:
            return self.after_commit.pop(0)(answer)
        return answer

    def _route(self, request: httpx.Request) -> httpx.Response:
        if self.token is not None and request.headers.get("Authorization") != f"Bearer {self.token}":
            return draft_error(401, 20003, "Authenticate")
        raw = request.url.raw_path.decode().split("?", 1)[0].removeprefix("/v1")
        query = parse_qs(request.url.query.decode())
        body = json.loads(request.content) if request.content else {}
        if raw == "/api/AvailableNumbers" and request.method == "GET":
            return self._search(request, query)
        if raw == f"/Account/{ACCOUNT}/ActiveNumbers/":
            if request.method == "POST":
                return self._purchase(query.get("phoneNumber", [""])[0], body)
            if request.method == "GET":
                return self._list(request, query)
        prefix = f"/Accounts/{ACCOUNT}/ActiveNumbers/ActiveNumbers/PN"
        if raw.startswith(prefix):
            number = unquote(raw.removeprefix(prefix))
            if number not in self.owned:
                return draft_error(404, 20404, f"The requested resource PN{number} was not found")
            if request.method == "GET":
                return httpx.Response(200, json=copy.deepcopy(self.owned[number]))
            if request.method == "POST":
                self._apply(self.owned[number], body)
                return httpx.Response(200, json=copy.deepcopy(self.owned[number]))
            if request.method == "DELETE":
                del self.owned[number]
                return httpx.Response(200)
        return draft_error(404, 20404, "The requested resource was not found")

    def _page(
        self, request: httpx.Request, docs: list[dict[str, Any]], query: dict[str, list[str]]
    ) -> httpx.Response:
        page = int(query.get("page", ["0"])[0])
        start = page * self.page_size
        items = docs[start : start + self.page_size]
        url = request.url.copy_remove_param("page")

        def link(number: int) -> str:
            return str(url.copy_merge_params({"page": str(number)}))

        meta = {
            "page": page,
            "page_size": self.page_size,
            "first_page_url": link(0),
            "previous_page_url": link(page - 1) if page else None,
            "url": str(request.url),
            "next_page_url": link(page + 1) if start + self.page_size < len(docs) else None,
            "key": "items",
        }
        return httpx.Response(200, json={"items": copy.deepcopy(items), "meta": meta})

    @staticmethod
    def _matches(doc: dict[str, Any], query: dict[str, list[str]]) -> bool:
        for name, values in query.items():
            if name in ("page", "phoneNumber"):
                continue
            if name == "phone_number":  # a prefix, as the document's example "+1" reads
                if not doc["phone_number"].startswith(values[0]):
                    return False
                continue
            actual: Any = doc
            for part in name.split("."):
                actual = (actual or {}).get(part.lower() if part in ("Voice", "SMS", "MMS") else part)
            wanted = values[0]
            if isinstance(actual, bool):
                actual = "true" if actual else "false"
            if actual != wanted:
                return False
        return True

    def _search(self, request: httpx.Request, query: dict[str, list[str]]) -> httpx.Response:
        found = [doc for _, doc in sorted(self.pool.items()) if self._matches(doc, query)]
        return self._page(request, found, query)

    def _purchase(self, number: str, configuration: dict[str, Any]) -> httpx.Response:
        if number not in self.pool:
            return draft_error(400, 21452, f"No phone number found for your request: {number}")
        if number in self.identity_required:
            return draft_error(400, 21650, "This number requires an identity document on file")
        return httpx.Response(200, json=copy.deepcopy(self.buy(number, configuration)))

    def _list(self, request: httpx.Request, query: dict[str, list[str]]) -> httpx.Response:
        numbers = [doc for _, doc in sorted(self.owned.items()) if self._matches(doc, query)]
        return self._page(request, numbers, query)

    @staticmethod
    def _apply(doc: dict[str, Any], body: dict[str, Any]) -> None:
        """A configure: the fields given change, nested objects key by key."""
        for key in ("friendlyName", "statusCallback", "statusCallbackMethod"):
            if key in body:
                doc[key] = body[key]
        setup = body.get("configuration") or {}
        mine = doc["configuration"]
        for key, value in setup.items():
            if isinstance(value, dict):
                mine[key].update(value)
            else:
                mine[key] = value


@contextlib.asynccontextmanager
async def connected(fake: FakeDraft, **settings: Any) -> AsyncIterator[nc.Provider]:
    """``nc.connect("sinch-draft", …)`` talking to ``fake``."""
    given = {"base_url": BASE_URL, "account_id": ACCOUNT, **settings}
    if fake.token is not None:
        given.setdefault("token", fake.token)
    async with (
        httpx.AsyncClient(transport=fake.transport()) as http,
        nc.connect("sinch-draft", http_client=http, **given) as carrier,
    ):
        yield carrier
