"""A stateful Kazoo Crossbar v2 for the adapter's tests, behind ``httpx.MockTransport``.

It keeps accounts' numbers, a pool of numbers for sale, sessions (JWTs
with an ``exp``), answers with Kazoo's envelopes and errors, and can be
told to fail: a 402 quote, a lost or garbled answer after the change was
made, 429s, 5xx. It reserves numbers, and takes e911 blocks as Kazoo's e911 provider
does: provisioned, or refused as not geocoded, ambiguous (400 ``multiple_choice`` with
candidates) or not allowed for the number (403). Every request it gets is checked against the Swagger
document (``spec.check``) by the ``kazoo`` fixture.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote

import httpx
import numbers_core as nc

ACCOUNT = "a1b2c3d4e5f60718293a4b5c6d7e8f90"
OTHER_ACCOUNT = "0f9e8d7c6b5a49382716f5e4d3c2b1a0"
API_KEY = "c4n4ry" + "5e7a9b1c3d" * 5 + "f0e1d2c3"  # a canary: 64 characters
USERNAME = "Ops-Admin"
PASSWORD = "canary-Pa55word-9f8e7d6c5b4a"
ACCOUNT_NAME = "Acme Telecom"
BASE_URL = "https://crossbar.example.com:8443"
GREGORIAN_UNIX = 62_167_219_200
SECRETS = (API_KEY, PASSWORD)

Fault = Callable[[httpx.Request], httpx.Response | None]
USER_LOGIN = {"username": USERNAME, "password": PASSWORD, "account_name": ACCOUNT_NAME}


@contextlib.asynccontextmanager
async def connected(fake: FakeKazoo, **settings: Any) -> AsyncIterator[nc.Provider]:
    """``nc.connect("kazoo", …)`` talking to ``fake``; the API key unless a user login is given."""
    given: dict[str, Any] = {"base_url": BASE_URL, "account_id": ACCOUNT, **settings}
    if "username" not in given:
        given.setdefault("api_key", API_KEY)
    async with (
        httpx.AsyncClient(transport=fake.transport()) as http,
        nc.connect("kazoo", http_client=http, **given) as carrier,
    ):
        yield carrier


def envelope(data: Any, status: int = 200, **extra: Any) -> httpx.Response:
    body = {"data": data, "status": "success", "request_id": "req-0001", "revision": "1-abc", **extra}
    return httpx.Response(status, json=body)


def error(status: int, message: str, data: Any = None) -> httpx.Response:
    body = {
        "error": str(status),
        "message": message,
        "data": data if data is not None else {"message": message},
        "status": "error",
        "request_id": "req-0002",
    }
    return httpx.Response(status, json=body)


def knm_error(status: int, name: str, cause: str | None = None) -> httpx.Response:
    data: dict[str, Any] = {"code": status, "error": name, "message": name.replace("_", " ")}
    if cause is not None:
        data["cause"] = cause
    return error(status, name, data)


def jwt(exp: float, subject: str = ACCOUNT) -> str:
    def part(value: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part({'account_id': subject, 'exp': exp})}.c2ln"


@dataclass
class FakeKazoo:
    """Kazoo's state: who holds which number, what is for sale, who is logged in."""

    clock: Callable[[], float] = time.time
    token_lifetime: float = 3600.0
    #: numbers for sale: e164 -> "available" (Kazoo's pool) or "discovery" (a carrier's)
    pool: dict[str, str] = field(default_factory=dict)
    #: numbers held: e164 -> document (with "assigned_to" and "_read_only")
    held: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: numbers in open port requests: merged into every listing page
    porting: dict[str, dict[str, Any]] = field(default_factory=dict)
    tokens: dict[str, float] = field(default_factory=dict)
    #: a quote (either of Kazoo's shapes): activations without accept_charges get a 402 with it
    quote: Any = None
    #: answers to give before the real one, in order: None lets the request through
    faults: list[Fault] = field(default_factory=list)
    requests: list[httpx.Request] = field(default_factory=list)
    logins: int = 0
    #: what the next activation does after committing (e.g. lose the answer)
    after_commit: list[Callable[[httpx.Response], httpx.Response]] = field(default_factory=list)
    #: answer a one-number collection as a single number, as Kazoo may
    single_shape: bool = False
    #: give item errors as bare strings ("not_found"), as Kazoo sometimes does
    bare_errors: bool = False
    #: the account's callflows: id -> {"id", "name", "numbers", "flow"}
    callflows: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: e911 street addresses the provider cannot locate (400 invalid)
    e911_unknown: set[str] = field(default_factory=set)
    #: e911 street addresses that match several places: street -> the candidates (400 multiple_choice)
    e911_choices: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    #: numbers the e911 feature is not available for (403 forbidden)
    e911_denied: set[str] = field(default_factory=set)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    # -- state helpers --------------------------------------------------------------------------

    def stock(self, *numbers: str, state: str = "discovery") -> None:
        for number in numbers:
            self.pool[number] = state

    def give(self, number: str, account: str = ACCOUNT, **public: Any) -> dict[str, Any]:
        now = int(self.clock()) + GREGORIAN_UNIX
        doc = {
            "id": number,
            "state": "in_service",
            "assigned_to": account,
            "features": [],
            "_read_only": {"created": now, "modified": now, "state": "in_service"},
            **public,
        }
        self.pool.pop(number, None)
        self.held[number] = doc
        return doc

    def expire_tokens(self) -> None:
        for token in self.tokens:
            self.tokens[token] = 0.0

    # -- the server -------------------------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        while self.faults:
            answer = self.faults.pop(0)(request)
            if answer is not None:
                return answer
            break
        path = request.url.raw_path.decode().split("?", 1)[0]
        parts = path.strip("/").split("/")
        if parts[:1] != ["v2"]:
            return error(404, "not found")
        parts = parts[1:]
        body = json.loads(request.content) if request.content else None
        if request.method == "PUT" and parts in (["api_auth"], ["user_auth"]):
            return self._login(parts[0], body)
        token = request.headers.get("X-Auth-Token")
        if token is None or self.tokens.get(token, 0.0) <= self.clock():
            return error(401, "invalid credentials")
        if parts[:1] != ["accounts"] or len(parts) < 3 or parts[2] not in ("phone_numbers", "callflows"):
            return error(404, "bad_identifier")
        account = parts[1]
        if account != ACCOUNT:
            return error(403, "forbidden")
        query = dict(parse_qsl(request.url.query.decode()))
        if parts[2] == "callflows":
            return self._callflow(request.method, parts[3:], query, body or {})
        rest = parts[3:]
        if not rest:
            if request.method != "GET":
                return error(405, "method not allowed")
            return self._search(query) if "prefix" in query else self._listing(query)
        raw = rest[0]
        if raw == "collection":
            return self._collection(request.method, rest[1:], body or {})
        if not raw.startswith("%2B"):
            return knm_error(404, "not_reconcilable", raw)
        number = unquote(raw)
        if rest[1:] == ["activate"] and request.method == "PUT":
            return self._activate(number, body or {})
        if rest[1:] == ["reserve"] and request.method == "PUT":
            return self._reserve(number, body or {})
        if rest[1:]:
            return error(404, "not found")
        if request.method == "GET":
            return self._get(number)
        if request.method == "PATCH":
            return self._patch(number, body or {})
        if request.method == "DELETE":
            return self._delete(number)
        return error(405, "method not allowed")

    def _login(self, kind: str, body: Any) -> httpx.Response:
        data = body.get("data", {}) if isinstance(body, dict) else {}
        if kind == "api_auth":
            ok = data.get("api_key") == API_KEY
        else:
            expected = hashlib.md5(f"{USERNAME.lower()}:{PASSWORD}".encode()).hexdigest()  # noqa: S324
            ok = data.get("credentials") == expected and data.get("account_name") == ACCOUNT_NAME
        if not ok:
            return error(401, "invalid credentials")
        self.logins += 1
        token = jwt(self.clock() + self.token_lifetime, subject=f"{ACCOUNT}-{self.logins}")
        self.tokens[token] = self.clock() + self.token_lifetime
        auth = {"account_id": ACCOUNT, "owner_id": "u1", "reseller_id": "r1", "is_reseller": False}
        return envelope(auth, auth_token=token)

    def _search(self, query: dict[str, str]) -> httpx.Response:
        prefix = query["prefix"]
        if not 3 <= len(prefix) <= 10:
            return error(400, "validation error", {"prefix": {"maxLength": {"message": "too long"}}})
        quantity = int(query.get("quantity", "1"))
        offset = int(query.get("offset", "0"))
        wanted = prefix if prefix.startswith("+") else "+1" + prefix
        matches = sorted(n for n in self.pool if n.startswith(wanted))
        page = matches[offset : offset + min(quantity, 500)]
        return envelope([{"number": n, "state": self.pool[n]} for n in page])

    def _listing(self, query: dict[str, str]) -> httpx.Response:
        size = int(query.get("page_size", "50"))
        start = int(base64.b64decode(query["start_key"])) if "start_key" in query else 0
        filters = {
            key.removeprefix("filter_"): value for key, value in query.items() if key.startswith("filter_")
        }
        mine = sorted(
            n
            for n, doc in self.held.items()
            if doc["assigned_to"] == ACCOUNT and all(doc.get(key) == value for key, value in filters.items())
        )
        page = mine[start : start + size]
        rows = {n: self._row(self.held[n]) for n in page}
        rows.update({n: self._row(doc) for n, doc in self.porting.items()})
        extra: dict[str, Any] = {"page_size": len(rows), "start_key": query.get("start_key", "")}
        if start + size < len(mine):
            extra["next_start_key"] = base64.b64encode(str(start + size).encode()).decode()
        return envelope({"numbers": rows, "cascade_quantity": len(mine)}, **extra)

    @staticmethod
    def _row(doc: dict[str, Any]) -> dict[str, Any]:
        meta = doc.get("_read_only", {})
        return {
            "state": doc["state"],
            "assigned_to": doc["assigned_to"],
            "used_by": doc.get("used_by", ""),
            "features": doc.get("features", []),
            "created": meta.get("created"),
            "updated": meta.get("modified"),
        }

    @staticmethod
    def _public(doc: dict[str, Any]) -> dict[str, Any]:
        return {key: value for key, value in doc.items() if key != "assigned_to"}

    def _get(self, number: str) -> httpx.Response:
        doc = self.held.get(number)
        if doc is None:
            return knm_error(404, "not_found", number)
        if doc["assigned_to"] != ACCOUNT:
            return knm_error(403, "forbidden", f"account '{ACCOUNT}' may not read {number}")
        return envelope(self._public(doc))

    def _e911(self, number: str, data: dict[str, Any]) -> httpx.Response | None:
        """Kazoo's e911 provider on the block ``data`` sets: its refusal, or None with the block
        provisioned in ``data``."""
        block = data.get("e911")
        if block is None:
            return None
        if number in self.e911_denied:
            return error(
                403,
                "forbidden",
                {
                    "code": 403,
                    "error": "forbidden",
                    "message": "requestor is unauthorized to perform operation",
                },
            )
        street = block.get("street_address")
        if street in self.e911_unknown:
            return knm_error(400, "invalid", f"Location is not geocoded ({json.dumps(block)})")
        if street in self.e911_choices:
            details = {
                "code": 400,
                "error": "multiple_choice",
                "message": "more than one address found",
                "details": self.e911_choices[street],
            }
            return error(400, "multiple_choice", details)
        data["e911"] = {**block, "status": "PROVISIONED", "latitude": "37.7", "longitude": "-122.4"}
        return None

    def _activate(self, number: str, body: dict[str, Any], *, commit: bool = True) -> httpx.Response:
        doc = self.held.get(number)
        if doc is not None and not (doc["assigned_to"] == ACCOUNT and doc["state"] == "reserved"):
            if doc["assigned_to"] == ACCOUNT:
                return envelope(self._public(doc))  # already in service here: free
            return knm_error(409, "number_exists", number)
        if doc is None and number not in self.pool:
            return knm_error(404, "not_found", number)
        if self.quote is not None and body.get("accept_charges") is not True:
            return error(402, "accept charges", self.quote)
        data = dict(body.get("data", {}))
        refused = self._e911(number, data)
        if refused is not None:
            return refused
        if doc is not None:  # reserved by this account: put in service
            doc.update(data, state="in_service")
            doc["_read_only"]["state"] = "in_service"
        else:
            doc = self.give(number, **data)
        answer = envelope(self._public(doc))
        if commit and self.after_commit:
            return self.after_commit.pop(0)(answer)
        return answer

    def _reserve(self, number: str, body: dict[str, Any]) -> httpx.Response:
        doc = self.held.get(number)
        if doc is not None:
            if doc["assigned_to"] != ACCOUNT:
                return knm_error(409, "number_exists", number)
            if doc["state"] == "reserved":
                return knm_error(400, "no_change_required", number)
        elif number not in self.pool:
            return error(404, "bad_identifier", {"message": "bad identifier", "not_found": number})
        if self.quote is not None and body.get("accept_charges") is not True:
            return error(402, "accept charges", self.quote)
        doc = doc or self.give(number, **body.get("data", {}))
        doc["state"] = doc["_read_only"]["state"] = "reserved"
        answer = envelope(self._public(doc))
        if self.after_commit:
            return self.after_commit.pop(0)(answer)
        return answer

    def _patch(self, number: str, body: dict[str, Any]) -> httpx.Response:
        doc = self.held.get(number)
        if doc is None or doc["assigned_to"] != ACCOUNT:
            return knm_error(404, "not_found", number)
        data = dict(body.get("data", {}))
        refused = self._e911(number, data)
        if refused is not None:
            return refused
        for key, value in data.items():
            if value is None:
                doc.pop(key, None)
            else:
                doc[key] = value
        doc["_read_only"]["modified"] = int(self.clock()) + GREGORIAN_UNIX
        return envelope(self._public(doc))

    def _delete(self, number: str) -> httpx.Response:
        doc = self.held.get(number)
        if doc is None:
            if number in self.pool:
                return knm_error(400, "invalid_state_transition", "from available to available")
            return knm_error(404, "not_found", number)
        if doc["assigned_to"] != ACCOUNT:
            return knm_error(403, "forbidden", number)
        del self.held[number]
        self.pool[number] = "available"
        return envelope({**self._public(doc), "state": "available"})

    # -- collections --------------------------------------------------------------------------------

    def _collection(self, method: str, rest: list[str], body: dict[str, Any]) -> httpx.Response:
        data = dict(body.get("data", {}))
        numbers = data.pop("numbers", [])
        if not numbers or len(set(numbers)) != len(numbers):
            return error(400, "validation error", {"numbers": {"uniqueItems": {"message": "unique"}}})
        if rest == ["activate"] and method == "PUT":
            accept = body.get("accept_charges") is True
            if self.quote is not None and not accept and any(n in self.pool for n in numbers):
                return error(402, "accept charges", self.quote)
            before = {n for n, doc in self.held.items() if doc["assigned_to"] == ACCOUNT}
            answers = {
                n: self._activate(n, {"data": data, "accept_charges": True}, commit=False) for n in numbers
            }
            failed = any(a.status_code >= 400 for a in answers.values())
            if failed and not accept:
                # Kazoo master: a dry run with failed items answers 200 with a "success" never saved.
                for n, answer in answers.items():
                    if answer.status_code < 400 and n not in before:
                        self.held.pop(n, None)
                        self.pool[n] = "discovery"
            result = self._batch(answers, numbers)
            if self.after_commit:
                return self.after_commit.pop(0)(result)
            return result
        if rest == [] and method == "PATCH":
            return self._batch({n: self._patch(n, {"data": data}) for n in numbers}, numbers)
        if rest == [] and method == "DELETE":
            return self._batch({n: self._delete(n) for n in numbers}, numbers)
        return error(405, "method not allowed")

    def _batch(self, answers: dict[str, httpx.Response], numbers: list[str]) -> httpx.Response:
        if self.single_shape and len(numbers) == 1:
            return answers[numbers[0]]
        success: dict[str, Any] = {}
        errors: dict[str, Any] = {}
        for number, answer in answers.items():
            body = json.loads(answer.content)
            if answer.status_code < 400:
                success[number] = body["data"]
            else:
                errors[number] = body["data"].get("error", "failed") if self.bare_errors else body["data"]
        return envelope({"success": success, "error": errors})

    # -- callflows ------------------------------------------------------------------------------------

    def add_callflow(self, callflow_id: str, *numbers: str) -> None:
        self.callflows[callflow_id] = {
            "id": callflow_id,
            "name": f"flow {callflow_id[:4]}",
            "numbers": list(numbers),
            "flow": {"module": "user", "data": {"id": "u1"}},
        }

    def _callflow(
        self, method: str, rest: list[str], query: dict[str, str], body: dict[str, Any]
    ) -> httpx.Response:
        if not rest and method == "GET":
            size = int(query.get("page_size", "50"))
            start = int(base64.b64decode(query["start_key"])) if "start_key" in query else 0
            ids = sorted(self.callflows)
            rows = [
                {"id": i, "name": self.callflows[i]["name"], "numbers": self.callflows[i]["numbers"]}
                for i in ids[start : start + size]
            ]
            extra = {}
            if start + size < len(ids):
                extra["next_start_key"] = base64.b64encode(str(start + size).encode()).decode()
            return envelope(rows, **extra)
        if len(rest) != 1 or rest[0] not in self.callflows:
            return error(
                404, "bad_identifier", {"message": "bad identifier", "not_found": rest[0] if rest else ""}
            )
        callflow = self.callflows[rest[0]]
        if method == "GET":
            return envelope(callflow)
        if method == "PATCH":
            numbers = body.get("data", {}).get("numbers", callflow["numbers"])
            for other in self.callflows.values():
                if other is not callflow and set(other["numbers"]) & set(numbers):
                    return error(
                        400,
                        "validation error",
                        {"numbers": {"unique": {"message": "numbers must be unique"}}},
                    )
            for number in numbers:
                doc = self.held.get(number)
                if doc is None or doc["assigned_to"] != ACCOUNT:
                    return knm_error(403, "forbidden", number)
            callflow["numbers"] = list(numbers)
            for number in numbers:
                self.held[number]["used_by"] = "callflow"
            return envelope(callflow)
        return error(405, "method not allowed")
