"""The canary test of the wire: no credential of any adapter shows in any text the library makes.

Every credential mode of every built-in adapter is connected with canary
secrets to a fake carrier that knows no carrier's format: it hands out a
canary session token to anything that logs in, and answers everything else
with an error (4xx, 401, 5xx, a garbled or malformed 2xx, a redirect to
another origin) that echoes the request whole: method, URL, every header and
the body, in the body, in the reason phrase and in request-id headers, as a
proxy or a careless carrier may. The same is done to the login itself.

Then every text the library produced is searched for every canary in every
spelling it may take (raw, the Basic header's base64 of ``id:secret``,
percent-encoded, JSON- and repr-escaped): each error's ``str``, ``repr``,
arguments and attributes (``ProtocolError.body`` among them), the same for
every exception chained to it as cause or context, its formatted traceback
and its pickle; every log record at DEBUG; the provider's reprs; and, for a
bulk job whose items fail so, the journal's files and the job's reports.
Each run also checks that the echo did come back (redacted, as ``***``), so
that a fake that stopped echoing cannot make the test pass by saying nothing.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import io
import json
import logging
import pickle
import traceback
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import anyio
import httpx
import numbers_core as nc
import pytest
from numbers_core._registry import load_provider
from numbers_core.bulk import Journal, Runner, create_job, report, write_csv, write_json

pytestmark = pytest.mark.anyio

FOREIGN = "elsewhere.example"
NUMBER = "+14155550123"
OTHER = "+14155550124"

TWILIO_ACCOUNT = "AC" + "5eed" * 8
TWILIO_TOKEN = "c0ffee" * 5 + "42"  # 32 hex digits: all an auth token may be
TWILIO_KEY = "SK" + "beef" * 8
TWILIO_SECRET = "CanaryTwilioApiSecret0123456789Z"
SW_PROJECT = "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"
SW_TOKEN = "PTCanarySignalWireApiToken0123456789abcdefXYZ"
KAZOO_ACCOUNT = "a" * 32
KAZOO_KEY = "CanaryKazooApiKey" + "0" * 47
KAZOO_USER = "canary.user"
# Characters that every encoding spells differently.
KAZOO_PASSWORD = 'Canary pa55 "w/o+rd=&?%'
KAZOO_CREDENTIALS = hashlib.md5(f"{KAZOO_USER}:{KAZOO_PASSWORD}".encode(), usedforsecurity=False).hexdigest()
SINCH_PROJECT = "b3877c40-da60-4998-90ad-b792e98472ac"
SINCH_KEY = "d1c2b3a4-9f8e-4d7c-8b6a-5f4e3d2c1b0a"
SINCH_SECRET = "Canary_Sinch.Key~Secret-7f3a9c2e1b"
DRAFT_TOKEN = "Canary/Draft+Bearer=Token_42"
TELNYX_KEY = "KEYCanaryTelnyxApiKey_0123456789-abcdef"
VONAGE_KEY = "Canary5eed"
VONAGE_SECRET = "Canary_Vonage+Secret/42"
PLIVO_ID = "MA" + "C0FFEE" * 3
PLIVO_TOKEN = "Canary/Plivo+Auth=Token_42"
# What the fake hands out to a login: Kazoo's X-Auth-Token, Sinch's OAuth2 bearer.
SESSION = "CanarySession/Token+Issued=42abc"


@dataclass(frozen=True)
class Mode:
    """One way of connecting an adapter, and the credentials it involves."""

    name: str
    provider: str
    settings: dict[str, Any]
    secrets: tuple[str, ...]
    #: (id, secret) pairs sent as HTTP Basic authentication
    basic: tuple[tuple[str, str], ...] = ()
    #: it logs in for a session token first
    login: bool = False


MODES = [
    Mode(
        "twilio-auth-token",
        "twilio",
        {"account_sid": TWILIO_ACCOUNT, "auth_token": TWILIO_TOKEN},
        (TWILIO_TOKEN,),
        ((TWILIO_ACCOUNT, TWILIO_TOKEN),),
    ),
    Mode(
        "twilio-api-key",
        "twilio",
        {"account_sid": TWILIO_ACCOUNT, "api_key": TWILIO_KEY, "api_secret": TWILIO_SECRET},
        (TWILIO_SECRET,),
        ((TWILIO_KEY, TWILIO_SECRET),),
    ),
    Mode(
        "signalwire",
        "signalwire",
        {"space": "canary", "project_id": SW_PROJECT, "api_token": SW_TOKEN},
        (SW_TOKEN,),
        ((SW_PROJECT, SW_TOKEN),),
    ),
    Mode(
        "kazoo-api-key",
        "kazoo",
        {"base_url": "https://crossbar.example.com:8443", "account_id": KAZOO_ACCOUNT, "api_key": KAZOO_KEY},
        (KAZOO_KEY, SESSION),
        login=True,
    ),
    Mode(
        "kazoo-user",
        "kazoo",
        {
            "base_url": "https://crossbar.example.com:8443",
            "account_id": KAZOO_ACCOUNT,
            "username": KAZOO_USER,
            "password": KAZOO_PASSWORD,
            "account_name": "canary",
        },
        (KAZOO_PASSWORD, KAZOO_CREDENTIALS, SESSION),
        login=True,
    ),
    Mode(
        "sinch-oauth2",
        "sinch",
        {"project_id": SINCH_PROJECT, "key_id": SINCH_KEY, "key_secret": SINCH_SECRET},
        (SINCH_SECRET, SESSION),
        ((SINCH_KEY, SINCH_SECRET),),
        login=True,
    ),
    Mode(
        "sinch-basic",
        "sinch",
        {"project_id": SINCH_PROJECT, "key_id": SINCH_KEY, "key_secret": SINCH_SECRET, "auth": "basic"},
        (SINCH_SECRET,),
        ((SINCH_KEY, SINCH_SECRET),),
    ),
    Mode(
        "sinch-draft",
        "sinch-draft",
        {"base_url": "https://numbers.example.com/v1", "account_id": "canary-account", "token": DRAFT_TOKEN},
        (DRAFT_TOKEN,),
    ),
    Mode("telnyx", "telnyx", {"api_key": TELNYX_KEY}, (TELNYX_KEY,)),
    Mode(
        "vonage",
        "vonage",
        {"api_key": VONAGE_KEY, "api_secret": VONAGE_SECRET},
        (VONAGE_KEY, VONAGE_SECRET),
        ((VONAGE_KEY, VONAGE_SECRET),),
    ),
    Mode(
        "plivo",
        "plivo",
        {"auth_id": PLIVO_ID, "auth_token": PLIVO_TOKEN},
        (PLIVO_TOKEN,),
        ((PLIVO_ID, PLIVO_TOKEN),),
    ),
]


def spellings(secret: str) -> set[str]:
    """A secret as a text may hold it: raw, percent-encoded, JSON- and repr-escaped."""
    return {
        secret,
        quote(secret, safe=""),
        quote_plus(secret),
        json.dumps(secret)[1:-1],
        json.dumps(secret)[1:-1].replace("/", "\\/"),  # as some JSON encoders write a slash
        repr(secret)[1:-1],
    }


def forms(mode: Mode) -> dict[str, str]:
    """Every spelling of every credential of ``mode``, each with what it is (for the report)."""
    found: dict[str, str] = {}
    for secret in mode.secrets:
        for spelling in spellings(secret):
            found.setdefault(spelling, f"{secret[:12]}…")
    for user, secret in mode.basic:
        encoded = base64.b64encode(f"{user}:{secret}".encode()).decode("ascii")
        for spelling in spellings(encoded):
            found.setdefault(spelling, f"base64({user[:8]}…:{secret[:8]}…)")
    return found


# -- the fake carrier ------------------------------------------------------------------------------

LOGINS = ("/api_auth", "/user_auth", "/oauth2/token")


def echo(request: httpx.Request) -> str:
    """The whole request, as one line: what a proxy quoting it back would show."""
    headers = " ".join(f"{name}: {value}" for name, value in request.headers.multi_items())
    return f"{request.method} {request.url} {headers} {request.content.decode('utf-8', 'replace')}"


def header_echo(request: httpx.Request) -> str:
    # A header value or a reason phrase is one line of Latin-1.
    return "; ".join(request.headers.values()).encode("latin-1", "replace").decode("latin-1")


def answer(scenario: str, request: httpx.Request) -> httpx.Response:
    said = echo(request)
    quoted = header_echo(request)
    headers = {
        name: quoted for name in ("X-Request-Id", "Request-Id", "X-Correlation-Id", "WWW-Authenticate")
    }
    envelope = {
        "message": said,
        "error": {"code": 400, "message": said, "status": "INVALID_ARGUMENT"},
        "data": {"message": said, "cause": said},
        "request_id": said,
    }
    reason = {"reason_phrase": quoted.encode("latin-1")}
    if scenario == "refused":
        return httpx.Response(400, json=envelope, headers=headers, extensions=reason)
    if scenario == "missing":
        return httpx.Response(404, json=envelope, headers=headers, extensions=reason)
    if scenario == "unauthorized":
        return httpx.Response(401, json=envelope, headers=headers, extensions=reason)
    if scenario == "outage":
        return httpx.Response(503, json=envelope, headers=headers, extensions=reason)
    if scenario == "garbled":
        return httpx.Response(200, text=f"<html><pre>{said}</pre>", headers={"Content-Type": "text/html"})
    if scenario == "malformed":
        return httpx.Response(200, json={"unexpected": said, "data": said, "error": said})
    assert scenario == "redirect"
    target = request.url.copy_with(scheme="https", host=FOREIGN, port=None)
    return httpx.Response(307, json=envelope, headers={**headers, "Location": str(target)})


@dataclass
class FakeCarrier:
    """Answers every request with ``scenario``'s echo; a login gets a token unless it is the target."""

    scenario: str = "refused"
    #: "api": logins succeed, everything else fails; "login": the login fails
    target: str = "api"
    #: reads find nothing (404, echoing too): a purchase then goes ahead and sends its request
    reads_missing: bool = False
    foreign: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == FOREIGN:
            # Reached only by following a redirect off the carrier's origin: it must never be.
            self.foreign.append(request)
            return httpx.Response(200, json={"echo": echo(request), "items": [], "data": []})
        login = request.url.path.endswith(LOGINS)
        if login and self.target == "api":
            return httpx.Response(
                200,
                json={
                    "auth_token": SESSION,
                    "access_token": SESSION,
                    "token_type": "bearer",
                    "expires_in": 3600,
                    "status": "success",
                    "data": {},
                },
            )
        if self.reads_missing and request.method == "GET" and not login:
            return answer("missing", request)
        return answer(self.scenario, request)


# The registered class, looked up once: connect() reads every distribution's entry points each time.
provider_class = functools.cache(load_provider)


def connect(mode: Mode, fake: FakeCarrier) -> nc.Provider:
    # A user's client that follows redirects: the core must not, whatever it says.
    client = httpx.AsyncClient(transport=httpx.MockTransport(fake), follow_redirects=True)
    cls = provider_class(mode.provider)
    return cls(cls.settings_model(max_attempts=2, **mode.settings), http_client=client)


# -- what the library says ---------------------------------------------------------------------------


def chain(error: BaseException) -> Iterator[BaseException]:
    """``error`` and every exception reachable from it: causes, contexts, a group's members."""
    seen: set[int] = set()
    todo = [error]
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo.extend(e for e in (current.__cause__, current.__context__) if e is not None)
        todo.extend(getattr(current, "exceptions", ()))


def error_texts(error: BaseException) -> Iterator[tuple[str, str]]:
    """(where, text) for everything an error lets a caller see."""
    yield "traceback", "".join(traceback.format_exception(error))
    yield "pickle", pickle.dumps(error).decode("utf-8", "replace")
    for depth, linked in enumerate(chain(error)):
        kind = f"{type(linked).__name__}#{depth}"
        yield f"str({kind})", str(linked)
        yield f"repr({kind})", repr(linked)
        yield f"args({kind})", repr(linked.args)
        for name, value in vars(linked).items() if hasattr(linked, "__dict__") else ():
            yield f"{kind}.{name}", value if isinstance(value, str) else repr(value)


def log_texts(caplog: pytest.LogCaptureFixture) -> Iterator[tuple[str, str]]:
    for record in caplog.records:
        yield f"log {record.name}", f"{record.getMessage()} {record.args!r} {record.exc_text or ''}"
    yield "log output", caplog.text


def provider_texts(carrier: nc.Provider) -> Iterator[tuple[str, str]]:
    yield "repr(provider)", repr(carrier)
    yield "str(provider)", str(carrier)
    yield "repr(settings)", repr(carrier.settings)
    yield "settings json", carrier.settings.model_dump_json()
    for name, value in vars(carrier).items():
        yield f"provider.{name}", repr(value)


@dataclass
class Scan:
    """Searches texts for every spelling of the canaries; keeps the hits and the counts."""

    mode: Mode
    spelled: dict[str, str] = field(init=False)
    texts: int = 0
    redacted: int = 0
    hits: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.spelled = forms(self.mode)

    def __call__(self, situation: str, texts: Iterator[tuple[str, str]]) -> None:
        for where, text in texts:
            self.texts += 1
            self.redacted += "***" in text
            for spelling, what in self.spelled.items():
                if spelling in text:
                    self.hits.append(f"{self.mode.name} {situation} {where}: {what} as {spelling!r}")


async def _no_wait(seconds: float) -> None:
    await anyio.lowlevel.checkpoint()


@pytest.fixture(autouse=True)
def _no_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retries and settling waits asked for, not slept."""
    monkeypatch.setattr("numbers_core._http._sleep", _no_wait)
    monkeypatch.setattr("numbers_core._provider._sleep", _no_wait)
    monkeypatch.setattr("numbers_core.providers.twilio._provider._sleep", _no_wait)
    monkeypatch.setattr("numbers_core.providers.telnyx._provider._sleep", _no_wait)


async def _first(carrier: nc.Provider) -> object:
    async for number in carrier.list():
        return number
    return None


def _canary_config(carrier: nc.Provider) -> nc.NumberConfig:
    # A change the carrier can make, so that the request is sent (Vonage names no number).
    if carrier.supports(nc.Feature.CONFIG_FRIENDLY_NAME):
        return nc.NumberConfig(friendly_name="canary")
    return nc.NumberConfig(voice=nc.Route(application_id="canary-app"))


OPERATIONS: dict[str, Callable[[nc.Provider], Awaitable[object]]] = {
    "search": lambda carrier: carrier.search(area_code="415"),
    "get": lambda carrier: carrier.get(NUMBER),
    "list": _first,
    "purchase": lambda carrier: carrier.purchase(NUMBER),
    "configure": lambda carrier: carrier.configure(NUMBER, _canary_config(carrier)),
    "release": lambda carrier: carrier.release(NUMBER),
}
SCENARIOS = ("refused", "unauthorized", "outage", "garbled", "malformed", "redirect")


@pytest.mark.parametrize("mode", MODES, ids=[mode.name for mode in MODES])
async def test_no_credential_shows_in_errors_reprs_tracebacks_or_logs(
    mode: Mode, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, every level
    scan = Scan(mode)
    errors = 0
    for target in ("api", "login") if mode.login else ("api",):
        for scenario in SCENARIOS:
            fake = FakeCarrier(scenario, target)
            async with connect(mode, fake) as carrier:
                for operation, call in OPERATIONS.items():
                    fake.reads_missing = operation == "purchase"
                    try:
                        await call(carrier)
                    except Exception as error:  # every error is scanned, whatever it is
                        errors += 1
                        scan(f"{target}/{scenario}/{operation}", error_texts(error))
                scan(f"{target}/{scenario}", provider_texts(carrier))
            scan.hits += [f"{mode.name} {target}/{scenario}: followed to {r.url}" for r in fake.foreign]
    scan("all", log_texts(caplog))
    assert not scan.hits, "\n".join(scan.hits[:40])
    assert errors
    assert scan.redacted, "the fake's echo never came back: the test proves nothing"


@pytest.mark.parametrize("mode", MODES, ids=[mode.name for mode in MODES])
async def test_no_credential_shows_in_a_bulk_journal_or_report(
    mode: Mode, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    scan = Scan(mode)
    path = tmp_path / "jobs.sqlite3"
    journal = Journal(path)
    outputs: list[tuple[str, str]] = []
    for scenario in ("refused", "outage", "garbled"):
        async with connect(mode, FakeCarrier(scenario)) as carrier:
            for kind in ("purchase", "release"):
                job = await create_job(journal, carrier, kind, numbers=[NUMBER, OTHER])
                await Runner(carrier, journal).run(job.id)
                rows = await report(journal, job.id)
                csv_text, json_text = io.StringIO(), io.StringIO()
                write_csv(rows, csv_text)
                write_json(rows, json_text)
                outputs += [(f"{scenario}/{kind} csv", csv_text.getvalue())]
                outputs += [(f"{scenario}/{kind} json", json_text.getvalue())]
    await journal.aclose()
    # The database and whatever files SQLite keeps beside it (journal, WAL).
    files = [
        (f"journal {p.name}", (await p.read_bytes()).decode("utf-8", "replace"))
        async for p in anyio.Path(tmp_path).iterdir()
    ]
    scan("bulk", iter(outputs + files))
    scan("bulk", log_texts(caplog))
    assert not scan.hits, "\n".join(scan.hits[:40])
    assert scan.redacted, "the fake's echo never came back: the test proves nothing"
