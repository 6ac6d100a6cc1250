"""A stateful Twilio REST API 2010-04-01 (phone numbers only) behind ``httpx.MockTransport``.

For the contract scenario: numbers for sale, an account's numbers with sids
and creation dates, Twilio's own answers (201 to a purchase of a number the
account owns, with its first creation date; 21422 for a number not for
sale; 20404 for a sid that is not the account's). Every request is checked
against the OpenAPI document by whoever holds the fake (``spec_for``).
"""

from __future__ import annotations

import email.utils
import itertools
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import httpx

ACCOUNT = "AC" + "a" * 32
TOKEN = "ca5a7e0c7d1f5b9e0c7d1fca4a2bb00b"
HOST = "https://api.twilio.com"
ROOT = f"/2010-04-01/Accounts/{ACCOUNT}"


def _error(status: int, code: int, message: str) -> httpx.Response:
    body = {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    return httpx.Response(status, json=body)


@dataclass
class FakeTwilio:
    now: float = field(default_factory=time.time)
    #: numbers for sale
    pool: set[str] = field(default_factory=set)
    #: sid -> IncomingPhoneNumber
    owned: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)
    _sids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def _now(self) -> str:
        return email.utils.formatdate(self.now, usegmt=True).replace("GMT", "+0000")

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        # Each exchange takes ten seconds of the fake's time: dates a second apart (Twilio's
        # resolution) tell a number bought now from one owned before.
        self.now += 10.0
        answer = self._route(request)
        answer.headers["Date"] = email.utils.formatdate(self.now, usegmt=True)
        return answer

    def _route(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if not path.startswith(ROOT + "/"):
            return _error(404, 20404, "The requested resource was not found")
        rest = path.removeprefix(ROOT + "/")
        query = dict(parse_qsl(request.url.query.decode()))
        form = dict(parse_qsl(request.content.decode())) if request.content else {}
        if rest.startswith("AvailablePhoneNumbers/") and request.method == "GET":
            return self._search(query)
        if rest == "IncomingPhoneNumbers.json":
            if request.method == "POST":
                return self._buy(form)
            return self._list(query)
        if rest.startswith("IncomingPhoneNumbers/") and rest.endswith(".json"):
            sid = rest.removeprefix("IncomingPhoneNumbers/").removesuffix(".json")
            number = self.owned.get(sid)
            if number is None:
                return _error(404, 20404, f"The requested resource {path} was not found")
            if request.method == "GET":
                return httpx.Response(200, json=number)
            if request.method == "POST":
                if "FriendlyName" in form:
                    number["friendly_name"] = form["FriendlyName"]
                number["date_updated"] = self._now()
                return httpx.Response(200, json=number)
            if request.method == "DELETE":
                del self.owned[sid]
                self.pool.add(number["phone_number"])
                return httpx.Response(204)
        return _error(405, 20004, "Method not allowed")

    def _search(self, query: dict[str, str]) -> httpx.Response:
        area = query.get("AreaCode", "")
        size = int(query.get("PageSize", "50"))
        found = sorted(n for n in self.pool if n.startswith(f"+1{area}"))[:size]
        rows = [
            {
                "friendly_name": f"({n[2:5]}) {n[5:8]}-{n[8:]}",
                "phone_number": n,
                "iso_country": "US",
                "region": "CA",
                "locality": "San Francisco",
                "address_requirements": "none",
                "beta": False,
                "capabilities": {"voice": True, "SMS": True, "MMS": True},
            }
            for n in found
        ]
        return httpx.Response(200, json={"uri": "/search", "available_phone_numbers": rows})

    def _buy(self, form: dict[str, str]) -> httpx.Response:
        if "AreaCode" in form:  # Twilio picks one
            choice = sorted(n for n in self.pool if n.startswith(f"+1{form['AreaCode']}"))
            if not choice:
                return _error(400, 21452, f"No phone numbers found in area code {form['AreaCode']}")
            form = {**form, "PhoneNumber": choice[0]}
        e164 = form.get("PhoneNumber", "")
        for number in self.owned.values():
            if number["phone_number"] == e164:
                return httpx.Response(201, json=number)  # Twilio: an update of the owned number
        if e164 not in self.pool:
            return _error(400, 21422, f"Phone number {e164} is not available")
        self.pool.discard(e164)
        sid = f"PN{next(self._sids):032x}"
        now = self._now()
        number = {
            "account_sid": ACCOUNT,
            "sid": sid,
            "phone_number": e164,
            "friendly_name": form.get("FriendlyName", e164),
            "capabilities": {"voice": True, "sms": True, "mms": True, "fax": False},
            "date_created": now,
            "date_updated": now,
            "status": "in-use",
            "type": "local",
            "uri": f"{ROOT}/IncomingPhoneNumbers/{sid}.json",
        }
        self.owned[sid] = number
        return httpx.Response(201, json=number)

    def _list(self, query: dict[str, str]) -> httpx.Response:
        wanted = query.get("PhoneNumber")
        rows = [n for n in self.owned.values() if wanted is None or wanted.lstrip("+") in n["phone_number"]]
        return httpx.Response(200, json={"incoming_phone_numbers": rows, "next_page_uri": None, "page": 0})
