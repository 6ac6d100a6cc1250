"""A stateful Twilio behind ``httpx.MockTransport``: its REST API 2010-04-01 (phone numbers and
addresses), its Pricing API and its Regulations, each on its own host.

For the contract scenario: numbers for sale, an account's numbers with sids
and creation dates, Twilio's own answers (201 to a purchase of a number the
account owns, with its first creation date; 21422 for a number not for
sale; 20404 for a sid that is not the account's). British landlines are
regulated: a purchase needs an address on file (21631) and a bundle (21649);
an address a number uses cannot be deleted. Every request is checked against
the OpenAPI documents by whoever holds the fake (``spec_for``).
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
PRICES = {
    "US": [("local", "1.15"), ("toll free", "2.15")],
    "GB": [("local", "1.00"), ("mobile", "1.00")],
}
CURRENCIES = {"US": "USD", "GB": "GBP"}
# What British landlines need: an address, and a bundle for it (the one regulation the fake has).
REGULATION = {
    "sid": "RN" + "1" * 32,
    "friendly_name": "United Kingdom: Local - Business",
    "iso_country": "GB",
    "number_type": "local",
    "end_user_type": "business",
    "requirements": {
        "end_user": [{"name": "Business", "type": "business", "fields": ["business_name"]}],
        "supporting_document": [
            [
                {
                    "name": "Address",
                    "type": "document",
                    "requirement_name": "proof_of_address",
                    "accepted_documents": [{"name": "Address Validation", "type": "address"}],
                }
            ]
        ],
    },
}


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
    #: sid -> Address
    addresses: dict[str, dict[str, Any]] = field(default_factory=dict)
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
        if request.url.host == "pricing.twilio.com":
            return self._prices(path.rsplit("/", 1)[1])
        if request.url.host == "numbers.twilio.com":
            query = dict(parse_qsl(request.url.query.decode()))
            wanted = query.get("IsoCountry") == "GB" and query.get("NumberType", "local") == "local"
            return httpx.Response(200, json={"results": [REGULATION] if wanted else [], "meta": {}})
        if not path.startswith(ROOT + "/"):
            return _error(404, 20404, "The requested resource was not found")
        rest = path.removeprefix(ROOT + "/")
        query = dict(parse_qsl(request.url.query.decode()))
        form = dict(parse_qsl(request.content.decode())) if request.content else {}
        if rest.startswith("Addresses"):
            return self._addresses(request.method, rest, form)
        if rest == "AvailablePhoneNumbers.json":
            return httpx.Response(200, json={"countries": [self._country(cc) for cc in ("US", "GB")]})
        if rest.startswith("AvailablePhoneNumbers/") and request.method == "GET":
            return self._search(rest.split("/")[1], query)
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

    def _search(self, country: str, query: dict[str, str]) -> httpx.Response:
        area = query.get("AreaCode", "")
        size = int(query.get("PageSize", "50"))
        prefix = "+44" if country == "GB" else f"+1{area}"
        found = sorted(n for n in self.pool if n.startswith(prefix))[:size]
        rows = [
            {
                "friendly_name": n,
                "phone_number": n,
                "iso_country": country,
                "locality": "London" if country == "GB" else "San Francisco",
                "address_requirements": "any" if country == "GB" else "none",
                "beta": False,
                "capabilities": {"voice": True, "SMS": country != "GB", "MMS": False},
            }
            for n in found
        ]
        return httpx.Response(200, json={"uri": "/search", "available_phone_numbers": rows})

    @staticmethod
    def _country(country: str) -> dict[str, Any]:
        links = {
            kind: f"{ROOT}/AvailablePhoneNumbers/{country}/{name}.json" for kind, name in [("local", "Local")]
        }
        return {"country_code": country, "country": country, "beta": False, "subresource_uris": links}

    def _prices(self, country: str) -> httpx.Response:
        if country not in PRICES:
            return _error(404, 20404, "The requested resource was not found")
        rows = [
            {"number_type": kind, "base_price": price, "current_price": price}
            for kind, price in PRICES[country]
        ]
        body = {"iso_country": country, "phone_number_prices": rows, "price_unit": CURRENCIES[country]}
        return httpx.Response(200, json=body)

    def _addresses(self, method: str, rest: str, form: dict[str, str]) -> httpx.Response:
        if rest == "Addresses.json" and method == "POST":
            sid = f"AD{next(self._sids):032x}"
            self.addresses[sid] = {
                "sid": sid,
                "customer_name": form["CustomerName"],
                "street": form["Street"],
                "city": form["City"],
                "region": form["Region"],
                "postal_code": form["PostalCode"],
                "iso_country": form["IsoCountry"],
                "emergency_enabled": form.get("EmergencyEnabled") == "true",
            }
            return httpx.Response(201, json=self.addresses[sid])
        if rest == "Addresses.json":
            return httpx.Response(
                200, json={"addresses": list(self.addresses.values()), "next_page_uri": None}
            )
        sid = rest.split("/")[1].removesuffix(".json")
        if sid not in self.addresses:
            return _error(404, 20404, "The requested resource was not found")
        using = [
            n for n in self.owned.values() if sid in (n.get("address_sid"), n.get("emergency_address_sid"))
        ]
        if rest.endswith("/DependentPhoneNumbers.json"):
            return httpx.Response(200, json={"dependent_phone_numbers": using, "next_page_uri": None})
        if using:
            return _error(400, 20001, "Address has dependent phone numbers")
        del self.addresses[sid]
        return httpx.Response(204)

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
        if e164.startswith("+44") and form.get("AddressSid") not in self.addresses:
            return _error(
                400, 21631, "Phone Number Requires an Address but the 'AddressSid' parameter was empty."
            )
        if e164.startswith("+44") and not form.get("BundleSid", "").startswith("BU"):
            return _error(
                400, 21649, "Bundle required and not provided for country: [GB] and numberType: [LOCAL]"
            )
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
            "address_sid": form.get("AddressSid"),
            "bundle_sid": form.get("BundleSid"),
            "identity_sid": form.get("IdentitySid"),
        }
        self.owned[sid] = number
        return httpx.Response(201, json=number)

    def _list(self, query: dict[str, str]) -> httpx.Response:
        wanted = query.get("PhoneNumber")
        rows = [n for n in self.owned.values() if wanted is None or wanted.lstrip("+") in n["phone_number"]]
        return httpx.Response(200, json={"incoming_phone_numbers": rows, "next_page_uri": None, "page": 0})
