"""Hostile requests for an emulator, as a fuzzer sends them: what each dialect must refuse with a 400.

For every writable route of a dialect: bodies nested 100,000 levels deep,
invalid JSON, non-UTF-8, UTF-16, 5,000-digit integers, NaN, a form where
JSON is expected and JSON where a form is, lone surrogates, bodies of the
wrong JSON type, every field of a valid body swapped for each other JSON
type, a body too large; for every route: ``%00``, ``..`` (raw and
%-encoded), non-UTF-8 and CR/LF in the path and in the query. None of them
may change what the emulator holds (nothing bought, configured or
released), and each is answered 4xx in the dialect's own error shape (400, or
422 where the carrier answers so a body of the wrong shape: Telnyx).

Used by tests/emulator/test_hostile.py (in process and over a socket), and
as a script against a ``numbers emulate`` server it starts itself::

    python tests/emulator/hostile.py twilio signalwire kazoo sinch sinch-draft telnyx vonage plivo
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import anyio
import httpx
import jsonschema
import numbers_core as nc
from httpx._urlparse import ParseResult

for _adapter in ("kazoo", "sinch", "telnyx"):
    sys.path.insert(0, str(Path(__file__).parents[1] / "providers" / _adapter))
sys.path.insert(0, str(Path(__file__).parents[1] / "providers"))

import kazoo_spec  # noqa: E402
import sinch_spec  # noqa: E402
import telnyx_spec  # noqa: E402

__all__ = ["Probe", "Target", "probes", "run", "setup", "snapshot"]

DEEP = 100_000
HUGE_INT = "9" * 5000
TOO_LARGE = 2 * 1024 * 1024
# The dialects that answer a body read but not of the route's shape 422, not 400.
UNPROCESSABLE = frozenset({"telnyx"})
# What a JSON value of each type is swapped for (never null: a null is a field left unset, or
# removed, to most of these carriers).
WRONG_TYPES: dict[type, list[Any]] = {
    str: [0, 1.5, True, [], {}],
    bool: ["true", 0, [], {}],
    int: ["1", True, [], {}],
    float: ["1.5", True, [], {}],
    list: ["x", 0, True, {}],
    dict: ["x", 0, True, []],
}


@dataclass(frozen=True)
class Probe:
    """One hostile request: ``target`` is the raw path and query, sent as it is."""

    kind: str
    method: str
    target: str
    body: bytes = b""
    content_type: str | None = None


@dataclass
class Route:
    method: str
    path: str  # raw, percent-encoded as a client sends it
    body: str | None = None  # "json" or "form": what the route reads
    valid: dict[str, Any] = field(default_factory=dict)  # a body the route takes (never sent)
    closed: bool = True  # whether unknown keys are refused (a form's, or a JSON object's)
    # Form fields that hold a number: one that is none there is refused as in the path (any 4xx).
    numbers: tuple[str, ...] = ()


@dataclass
class Target:
    """A dialect's emulator as the probes see it: credentials, a number it owns, one for sale."""

    dialect: str
    headers: dict[str, str]
    routes: list[Route]
    owned_path: str  # where the owned number's document is read (to see it unchanged)
    # Other documents read to see them unchanged (what the dialect keeps besides numbers: addresses)
    watched: tuple[str, ...] = ()


def _e(e164: str) -> str:
    return quote(e164, safe="")


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


async def setup(
    dialect: str, client: httpx.AsyncClient, settings: dict[str, Any], connect: Callable[[], Any]
) -> Target:
    """Buy one number through the adapter (``connect()``), and describe the routes around it and
    another number, for sale (and a third, where a dialect holds one otherwise)."""
    async with connect() as carrier:
        # Kazoo searches by prefix only.
        offers = await carrier.search(
            **{"starts_with" if dialect == "kazoo" else "area_code": "415"}, limit=3
        )
        owned = await carrier.purchase(offers[0])
        # Twilio's address book, for its Addresses routes (one address, to read, list and delete).
        office = await carrier.create_address(_OFFICE) if dialect == "twilio" else None
    o, f, third = owned.phone_number, offers[1].phone_number, offers[2].phone_number
    if dialect in ("twilio", "signalwire"):
        account = settings.get("account_sid") or settings["project_id"]
        token = settings.get("auth_token") or settings["api_token"]
        root = ("" if dialect == "twilio" else "/api/laml") + f"/2010-04-01/Accounts/{account}"
        suffix = ".json"
        one = f"{root}/IncomingPhoneNumbers/{owned.id}{suffix}"
        commerce = _twilio_commerce(root, str(office.id)) if office is not None else []
        return Target(
            dialect,
            {"Authorization": _basic(account, token)},
            [
                *commerce,
                Route("GET", f"{root}/AvailablePhoneNumbers{suffix}"),
                Route(
                    "POST",
                    f"{root}/IncomingPhoneNumbers{suffix}",
                    "form",
                    {
                        "PhoneNumber": f,
                        "FriendlyName": "x",
                        "VoiceUrl": "https://e.com/v",
                        "VoiceMethod": "POST",
                    },
                ),
                Route(
                    "POST",
                    one,
                    "form",
                    {"FriendlyName": "y", "SmsMethod": "GET", "VoiceCallerIdLookup": "true"},
                ),
                Route("DELETE", one),
                Route("GET", f"{root}/AvailablePhoneNumbers/US/Local{suffix}?AreaCode=415"),
                Route("GET", f"{root}/IncomingPhoneNumbers{suffix}?PageSize=5"),
            ],
            one,
            (f"{root}/Addresses.json",) if commerce else (),
        )
    if dialect == "kazoo":
        login = await client.put("/v2/api_auth", json={"data": {"api_key": settings["api_key"]}})
        token = login.json()["auth_token"]
        account = settings["account_id"]
        numbers = f"/v2/accounts/{account}/phone_numbers"
        cnam = {"cnam": {"display_name": "x", "inbound_lookup": True}}
        e911 = {
            "e911": {
                "street_address": "140 New Montgomery St",
                "extended_address": "Floor 3",
                "locality": "San Francisco",
                "region": "CA",
                "postal_code": "94105",
                "notification_contact_emails": ["noc@example.com"],
            }
        }
        return Target(
            dialect,
            {"X-Auth-Token": token},
            [
                Route("PUT", "/v2/api_auth", "json", {"data": {"api_key": "0" * 64}}, False),
                Route(
                    "PUT",
                    "/v2/user_auth",
                    "json",
                    {"data": {"credentials": "0" * 32, "account_name": "a"}},
                    False,
                ),
                Route(
                    "PUT",
                    f"{numbers}/{_e(f)}/activate",
                    "json",
                    {"data": {**cnam, **e911}, "accept_charges": True},
                    False,
                ),
                Route(
                    "PUT", f"{numbers}/{_e(f)}/reserve", "json", {"data": cnam, "accept_charges": True}, False
                ),
                Route("POST", f"{numbers}/{_e(o)}", "json", {"data": {**cnam, **e911}}, False),
                Route(
                    "PATCH",
                    f"{numbers}/{_e(o)}",
                    "json",
                    {"data": {**cnam, **e911, "failover": {"e164": f}}},
                    False,
                ),
                Route(
                    "PUT",
                    f"{numbers}/collection/activate",
                    "json",
                    {"data": {"numbers": [f], **cnam}, "accept_charges": True},
                    False,
                ),
                Route("PATCH", f"{numbers}/collection", "json", {"data": {"numbers": [o], **cnam}}, False),
                Route("DELETE", f"{numbers}/collection", "json", {"data": {"numbers": [o]}}, False),
                Route("DELETE", f"{numbers}/{_e(o)}"),
                Route("GET", f"{numbers}?page_size=5"),
                Route("GET", "/v2/phone_numbers?prefix=415&quantity=2"),
            ],
            f"{numbers}/{_e(o)}",
        )
    if dialect == "sinch":
        root = f"/v1/projects/{settings['project_id']}"
        key = _basic(settings["key_id"], settings["key_secret"])
        sms = {"servicePlanId": "plan"}
        voice = {"type": "RTC", "appId": "app"}
        address = {
            "displayName": "ACME Support",
            "address": {
                "streetNumber": "3500",
                "streetInfo": "Lenox Rd NE",
                "location": "Suite 100",
                "city": "Atlanta",
                "state": "GA",
                "postalCode": "30326",
                "postalCodePlusFour": "4228",
            },
        }
        emergency = f"{root}/activeNumbers/{_e(o)}/emergencyAddress"
        return Target(
            dialect,
            {"Authorization": key},
            [
                Route("POST", "/oauth2/token", "form", {"grant_type": "client_credentials"}),
                Route(
                    "POST",
                    f"{root}/availableNumbers/{_e(f)}:rent",
                    "json",
                    {"smsConfiguration": sms, "voiceConfiguration": voice, "callbackUrl": "https://e.com/c"},
                ),
                Route(
                    "POST",
                    f"{root}/availableNumbers:rentAny",
                    "json",
                    {
                        "regionCode": "US",
                        "type": "LOCAL",
                        "numberPattern": {"pattern": "+1415", "searchPattern": "START"},
                        "capabilities": ["SMS"],
                        "smsConfiguration": sms,
                    },
                ),
                Route(
                    "PATCH",
                    f"{root}/activeNumbers/{_e(o)}",
                    "json",
                    {"displayName": "x", "smsConfiguration": sms, "voiceConfiguration": voice},
                ),
                Route("POST", f"{root}/activeNumbers/{_e(o)}:release", "json", {}),
                Route("POST", f"{emergency}:provision", "json", address),
                Route("POST", f"{emergency}:validate", "json", address),
                Route("POST", f"{emergency}:deprovision", "json", {}),
                Route("GET", emergency),
                Route("GET", f"{root}/availableNumbers?regionCode=US&type=LOCAL"),
                Route("GET", f"{root}/availableNumbers/{_e(f)}"),
                Route("GET", f"{root}/activeNumbers?pageSize=5"),
                Route("GET", f"{root}/availableRegions?types=LOCAL"),
            ],
            f"{root}/activeNumbers/{_e(o)}",
        )
    if dialect == "sinch-draft":
        account = settings["account_id"]
        one = f"/v1/Accounts/{account}/ActiveNumbers/ActiveNumbers/PN{_e(o)}"
        route = {"url": "https://e.com/v", "method": "POST"}
        return Target(
            dialect,
            {"Authorization": f"Bearer {settings['token']}"},
            [
                Route(
                    "POST",
                    f"/v1/Account/{account}/ActiveNumbers/?phoneNumber={_e(f)}",
                    "json",
                    {"status_callback_url": "https://e.com/s", "voice": route},
                ),
                Route("POST", one, "json", {"friendlyName": "x", "configuration": {"voice": route}}),
                Route("DELETE", one),
                Route("GET", f"/v1/Account/{account}/ActiveNumbers/"),
                Route("GET", "/v1/api/AvailableNumbers?geography.iso_country=US"),
            ],
            one,
        )
    if dialect == "telnyx":
        return await _telnyx(client, settings, o, f, third)
    if dialect == "vonage":
        key = settings["api_key"]
        mine = {"country": "US", "msisdn": o[1:]}
        # Only the fields whose values the document bounds: app_id, the callbacks and their values
        # are any strings, which an update keeps.
        update = {**mine, "voiceCallbackType": ""}
        numbers = ("msisdn",)
        transfer = {"from": key, "to": "sub00001", "number": o[1:], "country": "US"}
        return Target(
            dialect,
            {"Authorization": _basic(key, settings["api_secret"])},
            [
                Route("POST", "/number/buy", "form", {"country": "US", "msisdn": f[1:]}, False, numbers),
                Route("POST", "/number/cancel", "form", mine, False, numbers),
                Route("POST", "/number/update", "form", update, False, numbers),
                Route("POST", f"/accounts/{key}/transfer-number", "json", transfer, False),
                Route("GET", "/number/search?country=US&pattern=1415&search_pattern=0"),
                Route("GET", "/account/numbers?size=5"),
            ],
            f"/account/numbers?pattern={o[1:]}",
        )
    if dialect == "plivo":
        root = f"/v1/Account/{settings['auth_id']}"
        one = f"{root}/Number/{o[1:]}/"
        return Target(
            dialect,
            {"Authorization": _basic(settings["auth_id"], settings["auth_token"])},
            [
                Route(
                    "POST",
                    f"{root}/PhoneNumber/{f[1:]}/",
                    "json",
                    {"number": f[1:], "app_id": "123", "ha_enable": False, "verification_info": {}},
                    False,
                ),
                Route(
                    "POST",
                    one,
                    "json",
                    {"number": o[1:], "alias": "x", "app_id": "123", "cnam_lookup": "enabled"},
                ),
                Route("DELETE", one),
                Route("GET", f"{root}/PhoneNumber/?country_iso=US&pattern=1415&limit=5"),
                Route("GET", f"{root}/Number/?limit=5"),
            ],
            one,
        )
    raise ValueError(f"no probes for {dialect}")


_OFFICE = nc.Address(
    customer_name="Acme Ltd",
    street="1 Poultry",
    locality="London",
    region="London",
    postal_code="EC2R 8AH",
    country="GB",
)


def _twilio_commerce(root: str, address: str) -> list[Route]:
    """Twilio's Addresses, Pricing and Regulations routes (the last two on the same host here)."""
    new = {
        "CustomerName": "Acme Ltd",
        "Street": "1 Poultry",
        "StreetSecondary": "Floor 2",
        "City": "London",
        "Region": "London",
        "PostalCode": "EC2R 8AH",
        "IsoCountry": "GB",
        "FriendlyName": "Head office",
        "EmergencyEnabled": "false",
        "AutoCorrectAddress": "true",
    }
    one = f"{root}/Addresses/{address}"
    return [
        Route("POST", f"{root}/Addresses.json", "form", new),
        Route("GET", f"{root}/Addresses.json?IsoCountry=GB&PageSize=5"),
        Route("GET", f"{one}.json"),
        Route("DELETE", f"{one}.json"),
        Route("GET", f"{one}/DependentPhoneNumbers.json?PageSize=5"),
        Route("GET", "/v1/PhoneNumbers/Countries?PageSize=5"),
        Route("GET", "/v1/PhoneNumbers/Countries/GB"),
        Route(
            "GET", "/v2/RegulatoryCompliance/Regulations?IsoCountry=GB&NumberType=local&EndUserType=business"
        ),
    ]


async def _telnyx(client: httpx.AsyncClient, settings: dict[str, Any], o: str, f: str, third: str) -> Target:
    """Telnyx's routes: the owned number by its numeric id, and a reservation (of a third number)
    to extend."""
    headers = {"Authorization": f"Bearer {settings['api_key']}"}
    # A look-up by digits also settles the number's order, before the snapshot.
    listed = await client.get(f"/v2/phone_numbers?filter%5Bphone_number%5D={o[1:]}", headers=headers)
    [number] = listed.json()["data"]
    reserved = {"phone_numbers": [{"phone_number": third}], "customer_reference": "held"}
    reservation = (await client.post("/v2/number_reservations", json=reserved, headers=headers)).json()[
        "data"
    ]
    one = f"/v2/phone_numbers/{number['id']}"
    group = {
        "country_iso": "US",
        "phone_number_type": "local",
        "count_requested": "1",
        "strategy": "never",
        "phone_number": {"starts_with": "415"},
        "features": ["sms"],
        "quickship": False,
    }
    return Target(
        "telnyx",
        headers,
        [
            Route(
                "POST",
                "/v2/number_orders",
                "json",
                {
                    "phone_numbers": [{"phone_number": f, "requirement_group_id": "g"}],
                    "connection_id": "c",
                    "customer_reference": "x",
                },
                False,
            ),
            Route(
                "POST",
                "/v2/inexplicit_number_orders",
                "json",
                {"ordering_groups": [group], "customer_reference": "x"},
                False,
            ),
            Route(
                "POST",
                "/v2/number_reservations",
                "json",
                {"phone_numbers": [{"phone_number": f}], "customer_reference": "x"},
                False,
            ),
            Route("POST", f"/v2/number_reservations/{reservation['id']}/actions/extend", "json", {}, False),
            Route(
                "PATCH",
                one,
                "json",
                {"customer_reference": "y", "tags": ["a"], "connection_id": "c", "hd_voice_enabled": True},
                False,
            ),
            Route("PATCH", f"{one}/messaging", "json", {"messaging_profile_id": "m", "tags": ["a"]}, False),
            Route(
                "POST",
                f"{one}/actions/enable_emergency",
                "json",
                {"emergency_enabled": True, "emergency_address_id": "1"},
                False,
            ),
            Route(
                "POST",
                "/v2/phone_numbers/jobs/update_emergency_settings",
                "json",
                {"emergency_enabled": False, "phone_numbers": [number["id"]]},
                False,
            ),
            Route("DELETE", one),
            Route("GET", "/v2/available_phone_numbers?filter%5Bcountry_code%5D=US&filter%5Blimit%5D=2"),
            Route("GET", "/v2/phone_numbers?page%5Bsize%5D=5"),
            Route("GET", "/v2/number_orders"),
            Route("GET", f"/v2/number_reservations/{reservation['id']}"),
            Route("GET", "/v2/country_coverage/countries/US"),
            Route("GET", "/v2/requirements?filter%5Bcountry_code%5D=DE"),
        ],
        one,
    )


# -- bodies ------------------------------------------------------------------------------------


def _variants(value: Any, replace: Callable[[Any], list[Any]], where: str = "") -> Iterator[tuple[str, Any]]:
    """``value`` with one part at a time swapped for each of ``replace(part)``: (where, body)."""
    for replaced in replace(value):
        yield where or "body", replaced
    if isinstance(value, dict):
        for key, item in value.items():
            for place, changed in _variants(item, replace, f"{where}.{key}" if where else key):
                yield place, {**value, key: changed}
    elif isinstance(value, list) and value:
        for place, changed in _variants(value[0], replace, f"{where}[0]"):
            yield place, [changed, *value[1:]]


def _wrong_types(value: Any) -> list[Any]:
    return WRONG_TYPES[type(value)]


def _lone_surrogate(value: Any) -> list[Any]:
    """A string's swap: valid JSON, not Unicode."""
    return ["\ud800"] if isinstance(value, str) else []


def _json_bodies(route: Route) -> Iterator[tuple[str, bytes]]:
    valid = route.valid
    yield "deep JSON array", b"[" * DEEP + b"]" * DEEP
    yield "deep JSON object", b'{"a":' * DEEP + b"1" + b"}" * DEEP
    yield (
        "deep JSON in a field",
        json.dumps({**valid, "x": 0})[:-1].encode() + b', "y": ' + b"[" * 5000 + b"]" * 5000 + b"}",
    )
    for broken in (b"{", b'{"a":}', b"{'a': 1}", b'{"a": 1} x', b'{"a": 1,}', b"\x00", b"nul", b'{"a" 1}'):
        yield "invalid JSON", broken
    yield "non-UTF-8", b'{"a": "\xff\xfe"}'
    yield "Latin-1", json.dumps({"x": "caf\u00e9"}, ensure_ascii=False).encode("latin-1")
    yield "UTF-16", json.dumps(valid).encode("utf-16")
    yield "UTF-8 BOM", b"\xef\xbb\xbf" + json.dumps(valid).encode()
    yield "5,000-digit integer", f'{{"a": {HUGE_INT}}}'.encode()
    yield "5,000-digit integer", HUGE_INT.encode()
    yield "integer past 64 bits", json.dumps({**valid, "x": 2**70}).encode()
    for constant in (b"NaN", b"Infinity", b"-Infinity", b"1e999"):
        yield "not a JSON number", b'{"a": ' + constant + b"}"
    yield "form body", b"a=b&c=d"
    yield "form body", urlencode({k: str(v) for k, v in valid.items()}).encode() or b"x=1"
    for top in ([], 1, "x", True, None, [valid]):
        yield "wrong JSON type", json.dumps(top).encode()
    for place, body in _variants(valid, _wrong_types):
        if place != "body":
            yield f"wrong type at {place}", json.dumps(body).encode()
    for place, body in _variants(valid, _lone_surrogate):
        yield f"lone surrogate at {place}", json.dumps(body).encode()
    if route.closed:
        yield "unknown field", json.dumps({**valid, "bogusField": "x"}).encode()
    yield "too large", b'{"a": "' + b"x" * TOO_LARGE + b'"}'


def _form_bodies(route: Route) -> Iterator[tuple[str, bytes]]:
    valid = route.valid
    encoded = urlencode(valid)
    yield "JSON body", json.dumps(valid).encode()
    yield "JSON body", json.dumps({"x": "a=b"}).encode()
    yield "deep JSON", b"[" * DEEP + b"]" * DEEP
    yield "non-UTF-8", encoded.encode() + b"&FriendlyName=\xff\xfe"
    yield "%-encoded non-UTF-8", (encoded + "&FriendlyName=%ff%fe").encode()
    yield "field without a value", (encoded + "&FriendlyName").encode()
    if route.closed:
        yield "unknown field", (encoded + "&BogusField=1").encode()
    yield "field given twice", (encoded + "&" + encoded).encode()
    for key in valid:
        for garbage in ("%00", "\ud800", HUGE_INT, "PUT"):
            if garbage == "PUT" and valid[key] not in ("GET", "POST", "true", "false"):
                continue  # any other field may say PUT
            text = garbage if garbage != "\ud800" else "%ED%A0%80"  # a surrogate, as UTF-8 cannot say
            body = urlencode({**valid, key: "@"}).replace("%40", text)
            number = garbage == HUGE_INT and key in route.numbers
            yield f"not a number in {key}" if number else f"garbage in {key}", body.encode()
    yield "too large", (encoded + "&FriendlyName=" + "x" * TOO_LARGE).encode()


# -- paths and queries ---------------------------------------------------------------------------

# Not a number, where one goes: the carrier's own refusal (400 or 404), never a 5xx.
_NOT_NUMBERS = ("%2Bnot-a-number", "%2B" + "1" * 5000, "%2B")
_DOTS = ("..", "%2e%2e", "%2E%2E", ".")
_SEGMENTS = (
    "%00",
    "..",
    "%2e%2e",
    "%2E%2E",
    ".",
    "..%2F..%2Fetc%2Fpasswd",
    "%2B1415%00",
    "%ff%fe",
    "%0d%0aX:%20y",
)
_QUERIES = ("x=%00", "%00=1", "x=..%2F..%2Fetc%2Fpasswd", "x=../..", "x=..", "x=%ff%fe", "x=%0d%0a")


def _paths(route: Route) -> Iterator[tuple[str, str]]:
    path, _, query = route.path.partition("?")
    parts = path.split("/")
    # Every segment but the API's root and version, in turn: the two last (where the number, sid
    # or verb goes) every way, the others with a NUL and a "..".
    for index in range(3, len(parts)):
        segment = parts[index]
        every = index >= len(parts) - 2
        for hostile in _SEGMENTS + _NOT_NUMBERS if every else ("%00", ".."):
            if hostile in _DOTS:  # the whole segment, or it is no dot segment
                changed = hostile
            elif ":" in segment:  # Sinch's custom verbs stay: the number before them changes
                changed = hostile + segment[segment.index(":") :]
            elif "." in segment and segment.endswith(".json"):
                changed = hostile + ".json"
            elif segment.startswith("PN"):
                changed = "PN" + hostile
            else:
                changed = hostile
            target = "/".join([*parts[:index], changed, *parts[index + 1 :]])
            kind = "not a number in the path" if hostile in _NOT_NUMBERS else f"{hostile} in the path"
            yield kind, target + (f"?{query}" if query else "")
    for hostile in ("/..", "/../..", "/%2e%2e/"):
        yield f"{hostile} in the path", path + hostile + (f"?{query}" if query else "")
    for hostile in _QUERIES:
        yield f"{hostile} in the query", f"{path}?{query}&{hostile}" if query else f"{path}?{hostile}"
    if query:
        name = query.split("=", 1)[0]
        yield "%00 in a parameter", f"{path}?{name}=%00"


def probes(target: Target) -> list[Probe]:
    found: list[Probe] = []
    for route in target.routes:
        for kind, path in _paths(route):
            body = json.dumps(route.valid).encode() if route.body == "json" else b""
            if route.body == "form":
                body = urlencode(route.valid).encode()
            # A valid body down a hostile path must be refused all the same (and buy nothing).
            found.append(Probe(kind, route.method, path, body))
        if route.body == "json":
            found += [
                Probe(k, route.method, route.path, b, "application/json") for k, b in _json_bodies(route)
            ]
        elif route.body == "form":
            form = "application/x-www-form-urlencoded"
            found += [Probe(k, route.method, route.path, b, form) for k, b in _form_bodies(route)]
    for kind, body in _json_bodies(Route("PATCH", "/_emulator/faults", "json", {"latency": 0})):
        if not kind.startswith(("wrong type", "lone", "unknown", "form")):
            found.append(Probe(f"control: {kind}", "PATCH", "/_emulator/faults", body, "application/json"))
    return found


# -- running them ----------------------------------------------------------------------------------


@dataclass
class Outcome:
    statuses: Counter[int] = field(default_factory=Counter)
    wrong: list[tuple[Probe, int, bytes]] = field(default_factory=list)
    slow: list[tuple[Probe, float]] = field(default_factory=list)


def _raw(base: httpx.URL, target: str) -> httpx.URL:
    """``base`` with ``target`` as its path and query, as written: httpx removes the dot segments of
    any URL it parses, and a fuzzer's are to reach the server."""
    path, _, query = target.partition("?")
    url = httpx.URL(base)
    parts = url._uri_reference
    url._uri_reference = ParseResult(
        parts.scheme, parts.userinfo, parts.host, parts.port, path, query or None, None
    )
    return url


async def send(client: httpx.AsyncClient, target: Target, probe: Probe) -> httpx.Response:
    url = _raw(client.base_url, probe.target)
    headers = dict(target.headers)
    if probe.content_type:
        headers["Content-Type"] = probe.content_type
    return await client.request(probe.method, url, content=probe.body, headers=headers)


# What the state endpoint counts of the requests themselves, which the probes are (Sinch's token
# service counts every request, refused or not).
_COUNTS = ("requests", "answered", "faults", "token_requests")


async def snapshot(client: httpx.AsyncClient, target: Target) -> tuple[Any, Any, list[Any]]:
    """What the emulator holds (numbers, and the dialect's own: tokens, orders, reservations…), the
    owned number's document and the watched ones (without what differs per answer)."""
    state = {k: v for k, v in (await client.get("/_emulator/state")).json().items() if k not in _COUNTS}
    documents = []
    for path in (target.owned_path, *target.watched):
        document = (await client.get(path, headers=target.headers)).json()
        if isinstance(document, dict):
            for fresh in ("request_id", "api_id"):  # Kazoo's and Plivo's: new in every answer
                document.pop(fresh, None)
        documents.append(document)
    return state, documents[0], documents[1:]


def _expected(dialect: str, probe: Probe, status: int) -> bool:
    if probe.kind.startswith("not a number"):
        return 400 <= status < 500
    if probe.kind.endswith("too large"):
        return status in (400, 413)  # Sinch says 400, as Google's APIs do
    if dialect in UNPROCESSABLE and probe.kind.startswith(("wrong type", "wrong JSON type")):
        return status == 422
    return status == 400


def shape_problem(dialect: str, path: str, status: int, body: bytes) -> str | None:
    """What is wrong with an error answer for ``dialect`` (None: it is in the carrier's own shape,
    one line, saying nothing of the emulator's insides)."""
    try:
        answer = json.loads(body)
    except ValueError:
        return f"not JSON: {body[:80]!r}"
    if not isinstance(answer, dict):
        return f"not an object: {answer!r}"
    if any(word in body.decode().lower() for word in ("traceback", "pydantic", "sandbox", "input should")):
        return f"the emulator's insides: {body[:200]!r}"
    try:
        message = _message(dialect, path, status, answer)
    except (AssertionError, jsonschema.ValidationError, KeyError) as exc:
        return f"not {dialect}'s error shape: {str(exc).splitlines()[0]}"
    said = message or (dialect == "sinch" and status == 404)  # Sinch's 404 says nothing: its details do
    if not isinstance(message, str) or not said or "\n" in message:
        return f"not one line: {message!r}"
    return None


def _message(dialect: str, path: str, status: int, answer: dict[str, Any]) -> Any:
    """The message of an error answer in the shape of ``dialect`` (AssertionError if it is not)."""
    if path.startswith("/_emulator/"):
        assert set(answer) == {"error"}, sorted(answer)
        return answer["error"]
    if path == "/oauth2/token":  # RFC 6749's shape, as Sinch's token service answers
        assert {"error"} <= set(answer) <= {"error", "error_description"}, sorted(answer)
        return answer.get("error_description", answer["error"])
    if dialect in ("twilio", "signalwire", "sinch-draft"):
        assert set(answer) == {"code", "message", "more_info", "status"}, sorted(answer)
        assert answer["status"] == status, answer
        assert isinstance(answer["code"], int), answer
        return answer["message"]
    if dialect == "kazoo":
        kazoo_spec.validator(kazoo_spec.spec()["definitions"]["research.error_envelope"]).validate(answer)
        assert answer["status"] == "error", answer
        assert answer["error"] == str(status), answer
        return answer["message"]
    if dialect == "plivo":
        assert set(answer) == {"api_id", "error"}, sorted(answer)
        return answer["error"]
    if dialect == "vonage":
        if "type" in answer:  # the Subaccounts API's RFC 7807 problem
            assert set(answer) == {"type", "title", "detail", "instance"}, sorted(answer)
            return answer["detail"]
        if "error-code" in answer:
            assert set(answer) == {"error-code", "error-code-label"}, sorted(answer)
            assert answer["error-code"] == str(status), answer
            return answer["error-code-label"]
        assert status == 400, status  # a form refused field by field
        assert answer, answer
        assert all(text in ("Is required.", "Is invalid.") for text in answer.values()), answer
        return "; ".join(f"{name}: {text}" for name, text in answer.items())
    if dialect == "telnyx":
        errors = {
            "$ref": "#/components/schemas/numbers_Errors",
            "components": telnyx_spec.spec()["components"],
        }
        jsonschema.Draft202012Validator(errors).validate(answer)
        entries = answer["errors"]
        assert set(answer) == {"errors"}, answer
        assert entries, answer
        assert all({"code", "title", "detail"} <= set(e) for e in entries), answer
        assert all(e["code"] == "10005" if status == 404 else "10015" for e in entries), answer
        return "; ".join(e["detail"] for e in entries)
    assert dialect == "sinch", dialect
    schema = "InvalidArgument" if status == 400 else "ErrorResponse"
    sinch_spec.validator({"$ref": f"#/components/schemas/{schema}"}).validate(answer)
    assert answer["error"]["code"] == status, answer
    return answer["error"]["message"]


async def run(client: httpx.AsyncClient, target: Target, chosen: list[Probe] | None = None) -> Outcome:
    """Send every probe (or those ``chosen``): each is to be refused with a 4xx in the dialect's
    own error shape (400 but for a body too large, a number where none can be, and a body of the
    wrong shape where the carrier says 422)."""
    outcome = Outcome()
    for probe in probes(target) if chosen is None else chosen:
        started = anyio.current_time()
        try:
            answer = await send(client, target, probe)
        except httpx.TransportError as exc:  # no answer at all: counted as 0
            answer = httpx.Response(0, content=repr(exc).encode())
        status = answer.status_code
        outcome.statuses[status] += 1
        if anyio.current_time() - started > 2:
            outcome.slow.append((probe, anyio.current_time() - started))
        path = probe.target.split("?")[0]
        problem = shape_problem(target.dialect, path, status, answer.content) if 400 <= status < 500 else None
        if problem or not _expected(target.dialect, probe, status):
            outcome.wrong.append((probe, status, problem.encode() if problem else answer.content[:300]))
    return outcome


@contextlib.contextmanager
def emulate(dialect: str) -> Iterator[tuple[str, dict[str, Any], subprocess.Popen[str]]]:
    """``numbers --json emulate DIALECT --port 0``, as a user starts it; stopped at the end."""
    server = subprocess.Popen(  # noqa: S603 - this interpreter's own command
        [str(Path(sys.executable).with_name("numbers")), "--json", "emulate", dialect, "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        told = json.loads(server.stdout.readline())
        yield told["url"], told["settings"], server
    finally:
        server.terminate()
        server.wait(10)


async def _attack(dialect: str) -> bool:
    """Every probe against a ``numbers emulate`` server of ``dialect``; whether all were refused."""
    with emulate(dialect) as (url, settings, server):
        async with httpx.AsyncClient(base_url=url, timeout=3) as client:
            target = await setup(dialect, client, settings, lambda: nc.connect(dialect, **settings))
            before = await snapshot(client, target)
            outcome = await run(client, target)
            after = await snapshot(client, target)
        server.terminate()
        _, logged = server.communicate(timeout=10)
    statuses = dict(sorted(outcome.statuses.items()))
    fives = sum(n for status, n in statuses.items() if status >= 500)
    tracebacks = logged.count("Traceback")
    print(
        f"{dialect}: {outcome.statuses.total()} requests, answered {statuses}; 5xx {fives}, "
        f"wrong {len(outcome.wrong)}, tracebacks logged {tracebacks}, "
        f"state {'unchanged' if before == after else 'CHANGED'}"
    )
    for probe, seconds in outcome.slow:
        print(f"   slow ({seconds:.1f} s): {probe.kind}: {probe.method} {probe.target[:100]}")
    for probe, status, said in outcome.wrong[:20]:
        print(f"   {status} {probe.kind}: {probe.method} {probe.target[:100]} -> {said[:160]!r}")
    return not outcome.wrong and not tracebacks and before == after


async def _main(dialects: list[str]) -> int:
    results = [await _attack(dialect) for dialect in dialects]
    return 0 if all(results) else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dialects", nargs="+")
    sys.exit(anyio.run(_main, parser.parse_args().dialects))
