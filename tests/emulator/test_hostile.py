"""Every emulator under hostile HTTP: a 400 in the carrier's own error shape, never a 5xx, a traceback
or a change of state."""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hostile import Probe, Target, probes, run, send, setup, shape_problem, snapshot
from numbers_core.emulator import Emulator, Server, serve

pytestmark = pytest.mark.anyio

DIALECTS = ["twilio", "signalwire", "kazoo", "sinch", "sinch-draft", "telnyx", "vonage", "plivo"]


@pytest.fixture
def logged(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every record of WARNING and above."""
    with caplog.at_level(logging.WARNING):
        yield caplog


@contextlib.contextmanager
def _serving(emulator: Emulator, caplog: pytest.LogCaptureFixture) -> Iterator[Server]:
    """``serve(emulator)``, its log caught too: uvicorn's loggers (set up as the server starts)
    keep their records from the root logger, where caplog listens."""
    with serve(emulator) as server:
        errors = logging.getLogger("uvicorn.error")
        errors.addHandler(caplog.handler)
        try:
            yield server
        finally:
            errors.removeHandler(caplog.handler)


def _assert_refused(outcome: Any, records: list[logging.LogRecord]) -> None:
    wrong = [
        f"{status} {p.kind}: {p.method} {p.target[:80]} -> {body[:200]!r}"
        for p, status, body in outcome.wrong
    ]
    assert not wrong, "\n".join(wrong[:20])
    assert not any(status >= 500 for status in outcome.statuses)
    errors = [r.getMessage() for r in records if r.levelno >= logging.ERROR or r.exc_info]
    assert not errors, errors[:3]


@pytest.mark.parametrize("dialect", DIALECTS)
async def test_hostile_requests_in_process(dialect: str, logged: pytest.LogCaptureFixture) -> None:
    emulator = Emulator(dialect)
    async with httpx.AsyncClient(transport=emulator.transport(), base_url="http://127.0.0.1") as client:
        target = await setup(dialect, client, emulator.client_settings(), emulator.connect)
        before = await snapshot(client, target)
        outcome = await run(client, target)
        assert await snapshot(client, target) == before  # nothing bought, changed or released
    _assert_refused(outcome, logged.records)
    assert outcome.statuses.total() > 200  # Vonage, with the fewest routes and segments, has 203
    await emulator.aclose()


@pytest.mark.parametrize("dialect", DIALECTS)
async def test_hostile_requests_over_a_socket(dialect: str, logged: pytest.LogCaptureFixture) -> None:
    emulator = Emulator(dialect)
    with _serving(emulator, logged) as server:
        async with httpx.AsyncClient(base_url=server.url) as client:
            target = await setup(dialect, client, server.settings, server.connect)
            before = await snapshot(client, target)
            # Each kind of probe once per method, through the server's own parser and limits (the
            # test above sends them all, in process).
            chosen = {(p.method, p.kind.split(" at ")[0]): p for p in probes(target)}
            outcome = await run(client, target, list(chosen.values()))
            assert await snapshot(client, target) == before
    _assert_refused(outcome, logged.records)


# -- the carriers' own refusals, by the issue's cases ------------------------------------------------


async def _target(dialect: str) -> tuple[Emulator, httpx.AsyncClient, Target]:
    emulator = Emulator(dialect)
    client = httpx.AsyncClient(transport=emulator.transport(), base_url="http://127.0.0.1")
    return emulator, client, await setup(dialect, client, emulator.client_settings(), emulator.connect)


def _route(target: Target, method: str, ending: str) -> str:
    return next(r.path for r in target.routes if r.method == method and r.path.split("?")[0].endswith(ending))


@pytest.mark.parametrize("ending", ["/activate", "/reserve"])
@pytest.mark.parametrize(
    "body",
    [b"{", b'{"data": ', b"[1]", b"\xff", b"a=b", b'{"data": {"cnam": 7}}', b'{"accept_charges": "yes"}'],
)
async def test_a_kazoo_activation_or_reservation_kazoo_cannot_read_holds_nothing(
    ending: str, body: bytes
) -> None:
    emulator, client, target = await _target("kazoo")
    before = await snapshot(client, target)
    path = _route(target, "PUT", ending)
    answer = await client.put(path, content=body, headers=target.headers)
    assert answer.status_code == 400
    assert answer.json()["message"] == "validation error"
    assert shape_problem("kazoo", path, 400, answer.content) is None
    assert await snapshot(client, target) == before
    await client.aclose()
    await emulator.aclose()


@pytest.mark.parametrize(
    "data",
    [
        "x",
        [],
        1,
        {"cnam": "x"},
        {"cnam": {"display_name": 7}},
        {"cnam": {"display_name": "sixteen letters!"}},
        {"e911": {"street_address": "1 Main St"}},
        {"force_outbound": "yes"},
        {"failover": ["x"]},
        {"create_with_state": "bought"},
    ],
)
async def test_a_kazoo_change_of_the_wrong_shape_changes_nothing(data: Any) -> None:
    emulator, client, target = await _target("kazoo")
    before = await snapshot(client, target)
    for method, ending in (
        ("PATCH", target.owned_path),
        ("POST", target.owned_path),
        ("PATCH", "/collection"),
    ):
        path = _route(target, method, ending.rsplit("/", 1)[-1])
        numbers = {"numbers": [before[1]["data"]["id"]]} if ending == "/collection" else {}
        body = {"data": {**numbers, **data}} if isinstance(data, dict) else {"data": data}
        answer = await client.request(method, path, json=body, headers=target.headers)
        assert answer.status_code == 400, (method, path, answer.text)
        refused = answer.json()
        assert refused["message"] == "validation error"
        assert all(isinstance(rules, dict) for rules in refused["data"].values()), refused
    assert await snapshot(client, target) == before
    await client.aclose()
    await emulator.aclose()


async def test_kazoo_says_which_field_breaks_which_rule() -> None:
    emulator, client, target = await _target("kazoo")
    path = _route(target, "PATCH", target.owned_path.rsplit("/", 1)[-1])
    answer = await client.patch(path, json={"data": {"cnam": {"display_name": 7}}}, headers=target.headers)
    assert answer.json()["data"] == {"cnam.display_name": {"type": {"message": "expected a string"}}}
    collection = _route(target, "PUT", "/collection/activate")
    answer = await client.put(collection, json={"data": "x"}, headers=target.headers)
    assert answer.json()["data"] == {"data": {"type": {"message": "expected an object"}}}
    await client.aclose()
    await emulator.aclose()


@pytest.mark.parametrize(
    "body", [[], 1, None, "x", {"displayName": 1}, {"smsConfiguration": {}}, {"bogus": 1}]
)
async def test_a_sinch_update_of_the_wrong_shape_is_invalid_argument(body: Any) -> None:
    emulator, client, target = await _target("sinch")
    before = await snapshot(client, target)
    answer = await client.patch(target.owned_path, content=json.dumps(body), headers=target.headers)
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["status"] == "INVALID_ARGUMENT"
    [detail] = error["details"]
    assert detail["type"] == "BadRequest"
    assert detail["fieldViolations"]
    assert shape_problem("sinch", target.owned_path, 400, answer.content) is None
    assert await snapshot(client, target) == before
    await client.aclose()
    await emulator.aclose()


@pytest.mark.parametrize("body", [b"{", b"[]", b'{"phoneNumber": "x"}', b"\xff"])
async def test_a_sinch_release_with_a_body_is_refused_and_keeps_the_number(body: bytes) -> None:
    emulator, client, target = await _target("sinch")
    before = await snapshot(client, target)
    answer = await client.post(f"{target.owned_path}:release", content=body, headers=target.headers)
    assert answer.status_code == 400
    assert await snapshot(client, target) == before
    released = await client.post(f"{target.owned_path}:release", headers=target.headers)
    assert released.status_code == 200  # no body: released, as Sinch's document has it
    await client.aclose()
    await emulator.aclose()


@pytest.mark.parametrize("dialect", DIALECTS)
async def test_a_nul_or_dot_segment_in_the_path_or_query_is_refused_in_the_carriers_shape(
    dialect: str,
) -> None:
    emulator, client, target = await _target(dialect)
    query = "&" if "?" in target.owned_path else "?"  # Vonage reads a number by a query
    cases = [
        target.owned_path + "%00",
        target.owned_path + "/..",
        target.owned_path + query + "x=..%2Fetc",
        "/%2e%2e/x",
    ]
    for case in cases:
        answer = await send(client, target, Probe("case", "GET", case))
        assert answer.status_code == 400, (case, answer.text)
        assert shape_problem(dialect, case.split("?")[0], 400, answer.content) is None, answer.text
    await client.aclose()
    await emulator.aclose()


async def test_a_kazoo_e911_block_is_refused_by_the_fields_the_number_schema_requires() -> None:
    emulator, client, target = await _target("kazoo")
    before = await snapshot(client, target)
    block = {"street_address": "140 New Montgomery St", "region": "California"}
    for method, ending in (("PATCH", target.owned_path), ("POST", target.owned_path), ("PUT", "/activate")):
        path = _route(target, method, ending.rsplit("/", 1)[-1])
        answer = await client.request(method, path, json={"data": {"e911": block}}, headers=target.headers)
        assert answer.status_code == 400, (method, answer.text)
        rules = {field: set(broken) for field, broken in answer.json()["data"].items()}
        assert rules == {
            "e911.locality": {"required"},
            "e911.postal_code": {"required"},
            "e911.region": {"maxLength"},
        }
    assert await snapshot(client, target) == before
    await client.aclose()
    await emulator.aclose()


@pytest.mark.parametrize(
    "body",
    [
        {
            "displayName": 7,
            "address": {"streetNumber": "3500", "streetInfo": "Lenox Rd NE", "city": "Atlanta"},
        },
        {"address": {"streetNumber": 3500, "streetInfo": "Lenox Rd NE", "city": "Atlanta"}},
        {
            "address": {
                "streetNumber": "3500",
                "streetInfo": "Lenox Rd NE",
                "city": "Atlanta",
                "country": "US",
            }
        },
        {"address": ["3500 Lenox Rd NE"]},
        {"bogus": 1},
    ],
)
async def test_a_sinch_emergency_address_of_the_wrong_shape_is_invalid_argument(body: Any) -> None:
    emulator, client, target = await _target("sinch")
    before = await snapshot(client, target)
    for verb in ("provision", "validate"):
        path = f"{target.owned_path}/emergencyAddress:{verb}"
        answer = await client.post(path, json=body, headers=target.headers)
        assert answer.status_code == 400, answer.text
        [detail] = answer.json()["error"]["details"]
        assert detail["type"] == "BadRequest"
        assert detail["fieldViolations"]
        assert shape_problem("sinch", path, 400, answer.content) is None
    deprovision = await client.post(
        f"{target.owned_path}/emergencyAddress:deprovision", json=body, headers=target.headers
    )
    assert deprovision.status_code == 400  # it takes no body
    assert await snapshot(client, target) == before
    await client.aclose()
    await emulator.aclose()


async def test_telnyx_answers_a_body_of_the_wrong_shape_422_pointing_at_each_field() -> None:
    emulator, client, target = await _target("telnyx")
    before = await snapshot(client, target)
    order = {"phone_numbers": [{"phone_number": 14155550100}], "customer_reference": ["x"]}
    answer = await client.post("/v2/number_orders", json=order, headers=target.headers)
    assert answer.status_code == 422
    errors = answer.json()["errors"]
    assert [(e["code"], e["source"]["pointer"]) for e in errors] == [
        ("10015", "/customer_reference"),
        ("10015", "/phone_numbers/0/phone_number"),
    ]
    assert shape_problem("telnyx", "/v2/number_orders", 422, answer.content) is None
    for change in ({"customer_reference": 7}, {"tags": "a"}, {"hd_voice_enabled": "true"}):
        answer = await client.patch(target.owned_path, json=change, headers=target.headers)
        assert answer.status_code == 422, answer.text
    unreadable = await client.post(
        "/v2/number_orders", content=b'{"phone_numbers": [', headers=target.headers
    )
    assert unreadable.status_code == 400
    assert unreadable.json()["errors"][0]["code"] == "10015"
    assert await snapshot(client, target) == before
    await client.aclose()
    await emulator.aclose()


async def test_vonage_names_each_field_of_a_form_it_refuses_and_plivo_an_unknown_parameter() -> None:
    emulator, client, target = await _target("vonage")
    before = await snapshot(client, target)
    form = "application/x-www-form-urlencoded"
    refused = await client.post(
        "/number/update",
        content=b"country=USA&voiceCallbackType=fax",
        headers={**target.headers, "Content-Type": form},
    )
    assert refused.status_code == 400
    assert refused.json() == {
        "country": "Is invalid.",
        "msisdn": "Is required.",
        "voiceCallbackType": "Is invalid.",
    }
    assert await snapshot(client, target) == before
    await client.aclose()
    await emulator.aclose()
    emulator, client, target = await _target("plivo")
    before = await snapshot(client, target)
    answer = await client.post(target.owned_path, json={"alias": "x", "color": "red"}, headers=target.headers)
    assert answer.status_code == 400
    assert set(answer.json()) == {"api_id", "error"}
    assert "color" in answer.json()["error"]
    assert await snapshot(client, target) == before
    await client.aclose()
    await emulator.aclose()
