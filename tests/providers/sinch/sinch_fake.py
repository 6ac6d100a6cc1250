"""A stateful Sinch Numbers API v1 and its token service, behind ``httpx.MockTransport``.

Numbers for sale, a project's rented numbers, OAuth2 tokens timed by a
clock, scheduled provisioning (a requested service plan or app waits, then
moves to the top level after ``settle_reads`` reads, or fails when its id
starts with ``fail``), release with ``expireAt``, and Sinch's error
envelopes. Numbers that need supporting documents (flagged in search,
their rent refused), the project's regions, and emergency addresses:
provisioned, refused, deprovisioned, validated (``validations`` says what
``:validate`` answers for a street). Every request is checked against the OpenAPI document, and
every 2xx answer against its response schema, by the ``fake`` fixture.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, unquote

import httpx
import numbers_core as nc

PROJECT = "b3877c40-da60-4998-90ad-b792e98472ac"
KEY_ID = "d1c2b3a4-9f8e-4d7c-8b6a-5f4e3d2c1b0a"
KEY_SECRET = "CanarySinchKeySecret_7f3a9c2e1b"  # a canary: never in a log, repr or message
ROOT = f"/v1/projects/{PROJECT}"

Fault = Callable[[httpx.Request], httpx.Response | None]


def sinch_error(
    status: int, name: str, message: str = "", details: list[Any] | None = None
) -> httpx.Response:
    body = {"error": {"code": status, "message": message, "status": name, "details": details or []}}
    return httpx.Response(status, json=body)


def not_found(kind: str, number: str) -> httpx.Response:
    info = {
        "type": "ResourceInfo",
        "resourceType": kind,
        "resourceName": number,
        "owner": "",
        "description": "",
    }
    return sinch_error(404, "NOT_FOUND", "", [info])


def _stamp(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class FakeSinch:
    clock: Callable[[], float] = time.time
    token_lifetime: int = 3599
    #: reads of a number after which its scheduled provisioning is done
    settle_reads: int = 1
    #: for sale: e164 -> (regionCode, type, capabilities)
    pool: dict[str, tuple[str, str, tuple[str, ...]]] = field(default_factory=dict)
    rented: dict[str, dict[str, Any]] = field(default_factory=dict)
    tokens: dict[str, float] = field(default_factory=dict)
    token_requests: int = 0
    requests: list[httpx.Request] = field(default_factory=list)
    answers: list[tuple[httpx.Request, httpx.Response]] = field(default_factory=list)
    #: answers to give before the real one, in order: None lets the request through
    faults: list[Fault] = field(default_factory=list)
    #: what the next rent does with its answer after committing (e.g. lose it)
    after_commit: list[Callable[[httpx.Response], httpx.Response]] = field(default_factory=list)
    #: numbers for sale that need supporting documents: flagged in search, their rent refused
    documents: set[str] = field(default_factory=set)
    #: the emergency address provisioned for each rented number (Sinch's shape)
    emergency: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: streets (streetInfo) Sinch refuses to provision (400)
    bad_streets: set[str] = field(default_factory=set)
    #: what :validate answers for a streetInfo: (validationResult, correctedAddress, candidateAddresses)
    validations: dict[str, tuple[str, dict[str, str], list[dict[str, str]]]] = field(default_factory=dict)
    _reads: dict[str, int] = field(default_factory=dict)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def stock(
        self,
        *numbers: str,
        region: str = "US",
        kind: str = "LOCAL",
        capability: tuple[str, ...] = ("SMS", "VOICE"),
    ) -> None:
        for number in numbers:
            self.pool[number] = (region, kind, capability)

    def rent(self, number: str, **changes: Any) -> dict[str, Any]:
        region, kind, capability = self.pool.pop(number, ("US", "LOCAL", ("SMS", "VOICE")))
        now = self.clock()
        doc: dict[str, Any] = {
            "phoneNumber": number,
            "projectId": PROJECT,
            "displayName": "",
            "regionCode": region,
            "type": kind,
            "capability": list(capability),
            "money": {"currencyCode": "USD", "amount": "2.00"},
            "paymentIntervalMonths": 1,
            "nextChargeDate": _stamp(now + 30 * 86400),
            "expireAt": None,
            "smsConfiguration": {"servicePlanId": "", "campaignId": "", "scheduledProvisioning": None},
            "voiceConfiguration": {
                "type": "RTC",
                "appId": "",
                "trunkId": "",
                "serviceId": "",
                "lastUpdatedTime": None,
                "scheduledVoiceProvisioning": None,
            },
            "callbackUrl": "",
        }
        doc.update(changes)
        self.rented[number] = doc
        return doc

    # -- the servers ----------------------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.faults:
            injected = self.faults.pop(0)(request)
            if injected is not None:
                return injected  # a fault: not the fake's own answer, so not checked against the schema
        answer = self._token(request) if request.url.host == "auth.sinch.com" else self._api(request)
        if not answer.extensions.get("fault"):
            self.answers.append((request, answer))
        return answer

    def _token(self, request: httpx.Request) -> httpx.Response:
        self.token_requests += 1
        expected = "Basic " + base64.b64encode(f"{KEY_ID}:{KEY_SECRET}".encode()).decode()
        if request.headers.get("Authorization") != expected:
            return httpx.Response(
                401, json={"error": "invalid_client", "error_description": "bad credentials"}
            )
        token = f"tok-{self.token_requests}-" + "x" * 40
        self.tokens[token] = self.clock() + self.token_lifetime
        body = {"access_token": token, "token_type": "bearer", "expires_in": self.token_lifetime, "scope": ""}
        return httpx.Response(200, json=body)

    def _authorized(self, request: httpx.Request) -> httpx.Response | None:
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            expires = self.tokens.get(header.removeprefix("Bearer "))
            if expires is not None and expires > self.clock():
                return None
            return httpx.Response(
                401,
                headers={
                    "WWW-Authenticate": 'Bearer error="invalid_token", error_description="token expired"'
                },
                json={"error": {"code": 401, "message": "", "status": "UNAUTHENTICATED", "details": []}},
            )
        if header == "Basic " + base64.b64encode(f"{KEY_ID}:{KEY_SECRET}".encode()).decode():
            return None
        return httpx.Response(401, json={"error": {"code": 401, "message": "", "status": "UNAUTHENTICATED"}})

    def _api(self, request: httpx.Request) -> httpx.Response:
        refused = self._authorized(request)
        if refused is not None:
            return refused
        raw = request.url.raw_path.decode().split("?", 1)[0]
        if not raw.startswith(ROOT + "/"):
            return sinch_error(404, "NOT_FOUND", "no such project")
        rest = raw.removeprefix(ROOT + "/")
        query = parse_qs(request.url.query.decode())
        body = json.loads(request.content) if request.content else {}
        collection, _, item = rest.partition("/")
        if collection == "availableNumbers" and request.method == "GET" and not item:
            return self._search(query)
        if collection == "availableNumbers" and request.method == "GET":
            return self._offer(unquote(item))
        if collection == "availableRegions" and request.method == "GET":
            return self._regions(query)
        if collection == "activeNumbers" and "/emergencyAddress" in item:
            number, _, verb = unquote(item).partition("/emergencyAddress")
            return self._emergency(request.method, number, verb, body)
        if collection == "availableNumbers:rentAny" and request.method == "POST":
            return self._rent_any(body)
        if collection == "availableNumbers" and item.endswith(":rent") and request.method == "POST":
            return self._rent(unquote(item.removesuffix(":rent")), body)
        if collection == "activeNumbers" and not item and request.method == "GET":
            return self._list(query)
        if collection == "activeNumbers" and item.endswith(":release") and request.method == "POST":
            return self._release(unquote(item.removesuffix(":release")))
        if collection == "activeNumbers" and item:
            number = unquote(item)
            if number not in self.rented:
                return not_found("ActiveNumber", number)
            if request.method == "GET":
                return self._show(number)
            if request.method == "PATCH":
                return self._update(number, body)
        return sinch_error(404, "NOT_FOUND", "no such operation")

    @staticmethod
    def _matches(number: str, query: dict[str, list[str]]) -> bool:
        pattern = query.get("numberPattern.pattern", [""])[0]
        where = query.get("numberPattern.searchPattern", ["START"])[0]
        digits = number.lstrip("+")
        if not pattern:
            return True
        if where == "START":
            return number.startswith(pattern)
        if where == "END":
            return digits.endswith(pattern)
        return pattern in digits

    def _available(self, number: str) -> dict[str, Any]:
        region, kind, capability = self.pool[number]
        return {
            "phoneNumber": number,
            "regionCode": region,
            "type": kind,
            "capability": list(capability),
            "setupPrice": {"currencyCode": "USD", "amount": "0.00"},
            "monthlyPrice": {"currencyCode": "USD", "amount": "2.00"},
            "paymentIntervalMonths": 1,
            "supportingDocumentationRequired": number in self.documents,
        }

    def _search(self, query: dict[str, list[str]]) -> httpx.Response:
        region, kind = query["regionCode"][0], query["type"][0]
        wanted = set(query.get("capabilities", []))
        size = int(query.get("size", ["100"])[0])
        found = [
            self._available(number)
            for number, (r, k, c) in sorted(self.pool.items())
            if r == region and k == kind and wanted <= set(c) and self._matches(number, query)
        ]
        return httpx.Response(200, json={"availableNumbers": found[:size]})

    def _offer(self, number: str) -> httpx.Response:
        if number not in self.pool:
            return not_found("AvailableNumber", number)
        return httpx.Response(200, json=self._available(number))

    def _regions(self, query: dict[str, list[str]]) -> httpx.Response:
        wanted = set(query.get("types", []))
        names = {"US": "United States", "GB": "United Kingdom", "SE": "Sweden"}
        kinds: dict[str, set[str]] = {}
        for region, kind, _ in self.pool.values():
            kinds.setdefault(region, set()).add(kind)
        found = [
            {"regionCode": region, "regionName": names.get(region, region), "types": sorted(types)}
            for region, types in sorted(kinds.items())
            if not wanted or wanted & types
        ]
        return httpx.Response(200, json={"availableRegions": found})

    def _emergency(self, method: str, number: str, verb: str, body: dict[str, Any]) -> httpx.Response:
        if number not in self.rented:
            return not_found("ActiveNumber", number)
        if method == "GET" and not verb:
            if number not in self.emergency:
                return not_found("EmergencyAddress", number)
            return httpx.Response(200, json=self.emergency[number])
        if method == "POST" and verb == ":provision":
            address = body["address"]
            if address.get("streetInfo") in self.bad_streets:
                return sinch_error(400, "INVALID_ARGUMENT", "the address could not be located")
            self.emergency[number] = dict(address)
            return httpx.Response(200, json=self.emergency[number])
        if method == "POST" and verb == ":deprovision":
            if self.emergency.pop(number, None) is None:
                return not_found("EmergencyAddress", number)
            return httpx.Response(200)
        if method == "POST" and verb == ":validate":
            address = body["address"]
            result, corrected, candidates = self.validations.get(
                address.get("streetInfo", ""), ("EXACT_MATCH", dict(address), [])
            )
            answer = {
                "phoneNumber": number,
                "displayName": body.get("displayName", ""),
                "validatedAddress": address,
                "validationResult": result,
                "validationMessage": "" if result == "EXACT_MATCH" else "Corrected to valid address",
                "correctedAddress": corrected,
                "candidateAddresses": candidates,
            }
            return httpx.Response(200, json=answer)
        return sinch_error(404, "NOT_FOUND", "no such operation")

    def _schedule(self, doc: dict[str, Any], body: dict[str, Any]) -> None:
        now = _stamp(self.clock())
        sms = body.get("smsConfiguration")
        if sms is not None:
            doc["smsConfiguration"]["scheduledProvisioning"] = {
                "servicePlanId": sms["servicePlanId"],
                "campaignId": sms.get("campaignId", ""),
                "status": "WAITING",
                "lastUpdatedTime": now,
                "errorCodes": [],
            }
        voice = body.get("voiceConfiguration")
        if voice is not None:
            doc["voiceConfiguration"]["scheduledVoiceProvisioning"] = {
                "type": voice["type"],
                "appId": voice.get("appId", ""),
                "trunkId": voice.get("trunkId", ""),
                "serviceId": voice.get("serviceId", ""),
                "status": "WAITING",
                "lastUpdatedTime": now,
            }
        if "callbackUrl" in body:
            doc["callbackUrl"] = body["callbackUrl"]
        if "displayName" in body:
            doc["displayName"] = body["displayName"]
        self._reads[doc["phoneNumber"]] = 0

    def _settle(self, number: str) -> None:
        """One read of the number: scheduled jobs finish after settle_reads reads."""
        doc = self.rented[number]
        self._reads[number] = self._reads.get(number, 0) + 1
        if self._reads[number] < self.settle_reads:
            return
        sms = doc["smsConfiguration"]
        job = sms.get("scheduledProvisioning")
        if job is not None and job["status"] != "FAILED":
            if job["servicePlanId"].startswith("fail"):
                job.update(status="FAILED", errorCodes=["SMS_PROVISIONING_FAILED"])
            else:
                sms.update(
                    servicePlanId=job["servicePlanId"],
                    campaignId=job["campaignId"],
                    scheduledProvisioning=None,
                )
        voice = doc["voiceConfiguration"]
        job = voice.get("scheduledVoiceProvisioning")
        if job is not None and job["status"] != "FAILED":
            voice.update({k: job[k] for k in ("type", "appId", "trunkId", "serviceId")})
            voice.update(scheduledVoiceProvisioning=None, lastUpdatedTime=_stamp(self.clock()))

    def _show(self, number: str) -> httpx.Response:
        self._settle(number)
        return httpx.Response(200, json=copy.deepcopy(self.rented[number]))

    def _rent(self, number: str, body: dict[str, Any]) -> httpx.Response:
        if number not in self.pool:
            return not_found("AvailableNumber", number)
        if number in self.documents:
            return sinch_error(
                400, "INVALID_ARGUMENT", "supporting documentation is required for this number"
            )
        doc = self.rent(number)
        self._schedule(doc, body)
        answer = httpx.Response(200, json=copy.deepcopy(doc))
        if not self.after_commit:
            return answer
        self.answers.append((self.requests[-1], answer))  # what Sinch said, before it was lost
        changed = self.after_commit.pop(0)(answer)
        changed.extensions["fault"] = True
        return changed

    def _rent_any(self, body: dict[str, Any]) -> httpx.Response:
        if body["regionCode"] != "US":
            return sinch_error(400, "INVALID_ARGUMENT", "rentAny is available for US numbers only")
        pattern = body.get("numberPattern", {})
        query = {
            "regionCode": [body["regionCode"]],
            "type": [body["type"]],
            "capabilities": body.get("capabilities", []),
            "numberPattern.pattern": [pattern.get("pattern", "")],
            "numberPattern.searchPattern": [pattern.get("searchPattern", "START")],
        }
        found = json.loads(self._search(query).content)["availableNumbers"]
        if not found:
            return not_found("AvailableNumber", "")
        rest = {
            key: value
            for key, value in body.items()
            if key not in ("regionCode", "type", "numberPattern", "capabilities")
        }
        return self._rent(found[0]["phoneNumber"], rest)

    def _update(self, number: str, body: dict[str, Any]) -> httpx.Response:
        doc = self.rented[number]
        if doc["expireAt"] is not None:
            return sinch_error(400, "INVALID_ARGUMENT", "number is released")
        self._schedule(doc, body)
        return httpx.Response(200, json=copy.deepcopy(doc))

    def _release(self, number: str) -> httpx.Response:
        doc = self.rented.get(number)
        if doc is None:
            return not_found("ActiveNumber", number)
        if doc["expireAt"] is not None:
            return sinch_error(400, "INVALID_ARGUMENT", "number is already released")
        doc["expireAt"] = doc["nextChargeDate"]
        return httpx.Response(200, json=copy.deepcopy(doc))

    def _list(self, query: dict[str, list[str]]) -> httpx.Response:
        size = int(query.get("pageSize", ["50"])[0])
        start = int(query.get("pageToken", ["0"])[0] or 0)
        numbers = [
            n
            for n, doc in sorted(self.rented.items())
            if ("regionCode" not in query or doc["regionCode"] == query["regionCode"][0])
            and ("type" not in query or doc["type"] == query["type"][0])
            and self._matches(n, query)
        ]
        page = [copy.deepcopy(self.rented[n]) for n in numbers[start : start + size]]
        following = str(start + size) if start + size < len(numbers) else ""
        return httpx.Response(
            200, json={"activeNumbers": page, "nextPageToken": following, "totalSize": len(numbers)}
        )


@contextlib.asynccontextmanager
async def connected(fake: FakeSinch, **settings: Any) -> AsyncIterator[nc.Provider]:
    """``nc.connect("sinch", …)`` talking to ``fake``."""
    given = {"project_id": PROJECT, "key_id": KEY_ID, "key_secret": KEY_SECRET, **settings}
    async with (
        httpx.AsyncClient(transport=fake.transport()) as http,
        nc.connect("sinch", http_client=http, **given) as carrier,
    ):
        yield carrier
