"""The Kazoo adapter against the fake Crossbar: every operation, its errors and its wire."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import anyio
import httpx
import numbers_core as nc
import pytest
from kazoo_fake import (
    ACCOUNT,
    ACCOUNT_NAME,
    GREGORIAN_UNIX,
    OTHER_ACCOUNT,
    PASSWORD,
    USER_LOGIN,
    FakeKazoo,
    connected,
    envelope,
    error,
)
from numbers_core.providers.kazoo import KazooProvider

pytestmark = pytest.mark.anyio

N1, N2, N3 = "+14155550101", "+14155550102", "+14155550103"
NUMBERS = f"/v2/accounts/{ACCOUNT}/phone_numbers"


def sent(fake: FakeKazoo, method: str | None = None) -> list[httpx.Request]:
    return [r for r in fake.requests if method is None or r.method == method]


def paths(fake: FakeKazoo) -> list[str]:
    return [f"{r.method} {r.url.raw_path.decode().split('?')[0]}" for r in fake.requests]


# -- authentication ---------------------------------------------------------------------------------


async def test_it_logs_in_with_the_api_key_once_and_sends_the_token(
    kazoo: KazooProvider, fake: FakeKazoo
) -> None:
    fake.give(N1)
    await kazoo.get(N1)
    await kazoo.get(N1)
    assert fake.logins == 1
    login, first, second = fake.requests
    assert (login.method, login.url.path) == ("PUT", "/v2/api_auth")
    assert "X-Auth-Token" not in login.headers
    assert first.headers["X-Auth-Token"] == second.headers["X-Auth-Token"]


async def test_user_login_sends_the_md5_of_the_lower_cased_user_and_password(fake: FakeKazoo) -> None:
    fake.give(N1)
    async with connected(fake, **USER_LOGIN) as carrier:
        assert (await carrier.get(N1)).phone_number == N1
    login = fake.requests[0]
    assert login.url.path == "/v2/user_auth"
    data = json.loads(login.content)["data"]
    assert data["account_name"] == ACCOUNT_NAME
    assert len(data["credentials"]) == 32
    assert PASSWORD not in login.content.decode()


async def test_an_expired_token_is_renewed_ahead_of_time(
    kazoo: KazooProvider, fake: FakeKazoo, clock: object
) -> None:
    fake.give(N1)
    await kazoo.get(N1)
    clock.now += 3600 - 30  # type: ignore[attr-defined]  # inside the renewal margin
    await kazoo.get(N1)
    assert fake.logins == 2
    assert [r.url.path for r in fake.requests].count("/v2/api_auth") == 2
    assert not any(
        r for r in fake.requests if r.url.path != "/v2/api_auth" and r.headers.get("X-Auth-Token") is None
    )


async def test_a_revoked_token_is_replaced_and_the_call_sent_once_more(
    kazoo: KazooProvider, fake: FakeKazoo
) -> None:
    fake.give(N1)
    await kazoo.get(N1)
    fake.tokens.clear()  # Kazoo forgot every session (a restart, a logout elsewhere)
    assert (await kazoo.get(N1)).phone_number == N1
    assert fake.logins == 2
    assert paths(fake)[-3:] == [
        f"GET {NUMBERS}/%2B14155550101",
        "PUT /v2/api_auth",
        f"GET {NUMBERS}/%2B14155550101",
    ]


async def test_200_concurrent_operations_over_an_expired_token_log_in_once(
    kazoo: KazooProvider, fake: FakeKazoo, clock: object
) -> None:
    fake.give(N1)
    await kazoo.get(N1)
    clock.now += 3600  # type: ignore[attr-defined]  # the token has expired
    results: list[str] = []

    async def one() -> None:
        results.append((await kazoo.get(N1)).phone_number)

    async with anyio.create_task_group() as tg:
        for _ in range(200):
            tg.start_soon(one)
    assert results == [N1] * 200
    assert fake.logins == 2  # the first login, and exactly one for the 200
    assert len(sent(fake, "PUT")) == 2


async def test_a_refused_login_is_an_authentication_error_not_a_loop(fake: FakeKazoo) -> None:
    async with connected(fake, api_key="f" * 64) as carrier:
        with pytest.raises(nc.AuthenticationError, match="invalid credentials"):
            await carrier.get(N1)
    assert [r.url.path for r in fake.requests] == ["/v2/api_auth"]


async def test_a_login_answer_without_a_token_is_a_protocol_error(
    kazoo: KazooProvider, fake: FakeKazoo
) -> None:
    fake.faults.append(lambda request: envelope({"account_id": ACCOUNT}))
    with pytest.raises(nc.ProtocolError, match="no auth_token"):
        await kazoo.get(N1)


# -- search -----------------------------------------------------------------------------------------


async def test_search_sends_the_prefix_with_the_calling_code(kazoo: KazooProvider, fake: FakeKazoo) -> None:
    fake.stock(N1, N2, "+16285550100")
    fake.stock(N3, state="available")
    found = await kazoo.search(area_code="415", limit=2)
    assert [n.phone_number for n in found] == [N1, N2]
    assert found[0].geography.iso_country == "US"
    assert found[0].capabilities == nc.Capabilities()
    assert found[0].raw == {"number": N1, "state": "discovery"}
    search = fake.requests[-1]
    assert dict(search.url.params) == {"prefix": "+1415", "quantity": "2", "offset": "0", "country": "US"}
    assert b"prefix=%2B1415" in search.url.raw_path


async def test_search_sifts_contains_on_this_side_reading_further_answers(
    kazoo: KazooProvider, fake: FakeKazoo
) -> None:
    fake.stock(*(f"+1415555{i:04}" for i in range(1200)))
    found = await kazoo.search(area_code="415", contains="1199", limit=1)
    assert [n.phone_number for n in found] == ["+14155551199"]
    offsets = [r.url.params["offset"] for r in fake.requests if "prefix" in r.url.params]
    assert offsets == ["0", "500", "1000"]
    assert {r.url.params["quantity"] for r in fake.requests if "prefix" in r.url.params} == {"500"}


async def test_search_without_leading_digits_is_refused_before_any_request(
    kazoo: KazooProvider, fake: FakeKazoo
) -> None:
    with pytest.raises(nc.UnsupportedError, match="area_code or starts_with"):
        await kazoo.search()
    with pytest.raises(nc.UnsupportedError):
        await kazoo.search(area_code="415", region="CA")  # Kazoo knows no geography
    assert fake.requests == []


async def test_search_with_a_long_start_cuts_the_prefix_and_checks_the_rest(
    kazoo: KazooProvider, fake: FakeKazoo
) -> None:
    fake.stock("+14155550199", "+14155550100", "+14155550900")
    found = await kazoo.search(starts_with="415555019", limit=5)
    assert [n.phone_number for n in found] == ["+14155550199"]
    assert fake.requests[-1].url.params["prefix"] == "+141555501"  # Kazoo takes 10 characters


# -- purchase ---------------------------------------------------------------------------------------


async def test_purchase_activates_the_number_and_reports_it_in_service(
    kazoo: KazooProvider, fake: FakeKazoo
) -> None:
    fake.stock(N1)
    bought = await kazoo.purchase(N1, config=nc.NumberConfig(friendly_name="Support"))
    assert bought.phone_number == bought.id == N1
    assert bought.status is nc.NumberStatus.ACTIVE
    assert bought.friendly_name == "Support"
    assert bought.account_id == ACCOUNT
    assert fake.held[N1]["assigned_to"] == ACCOUNT
    activate = [r for r in fake.requests if r.url.raw_path.decode().endswith("/activate")]
    assert len(activate) == 1
    assert activate[0].method == "PUT"
    assert activate[0].url.raw_path.decode() == f"{NUMBERS}/%2B14155550101/activate"
    assert json.loads(activate[0].content) == {"data": {"friendly_name": "Support"}}


@pytest.mark.parametrize(
    "quote",
    [
        # Kazoo 4.0 to 4.2
        {"phone_numbers": {"did_us": {"quantity": 1, "rate": 1.5}}, "activation_charges": 1.5},
        # Kazoo 4.3 and master: a list of invoices
        [
            {
                "activation_charges": [
                    {"category": "phone_numbers", "item": "did_us", "rate": 1.5, "total": 1.5}
                ],
                "items": [{"category": "phone_numbers", "item": "did_us", "quantity": 1, "rate": 1.5}],
                "summary": {"today": 1.5, "recurring": 1.5},
            }
        ],
    ],
    ids=["4.0", "4.3"],
)
async def test_a_charge_is_quoted_and_nothing_is_bought(
    kazoo: KazooProvider, fake: FakeKazoo, quote: Any
) -> None:
    fake.stock(N1)
    fake.quote = quote
    with pytest.raises(nc.PaymentRequiredError) as raised:
        await kazoo.purchase(N1)
    error = raised.value
    assert error.total == Decimal("1.5")
    assert error.charges == (nc.Charge("phone_numbers", "did_us", Decimal(1), Decimal("1.5")),)
    assert error.monthly == Decimal("1.5")  # a month of the number, for a cost cap to compare
    assert "accept_charges=True" in str(error)
    assert N1 not in fake.held
    assert len([r for r in fake.requests if r.url.raw_path.decode().endswith("/activate")]) == 1


async def test_accept_charges_is_sent_up_front(fake: FakeKazoo) -> None:
    fake.stock(N1)
    fake.quote = {"activation_charges": 1.0}
    async with connected(fake, accept_charges=True) as carrier:
        assert (await carrier.purchase(N1)).status is nc.NumberStatus.ACTIVE
    activate = next(r for r in fake.requests if r.url.raw_path.decode().endswith("/activate"))
    assert json.loads(activate.content) == {"data": {}, "accept_charges": True}


async def test_a_number_already_in_service_here_is_not_bought_again(
    kazoo: KazooProvider, fake: FakeKazoo
) -> None:
    fake.give(N1)
    with pytest.raises(nc.ConflictError) as raised:
        await kazoo.purchase(N1)
    assert raised.value.code == "already-owned"
    assert not any(r.url.raw_path.decode().endswith("/activate") for r in fake.requests)


@pytest.mark.parametrize("where", ["other account", "unknown"])
async def test_a_number_held_elsewhere_or_unknown_cannot_be_bought(
    kazoo: KazooProvider, fake: FakeKazoo, where: str
) -> None:
    if where == "other account":
        fake.give(N1, account=OTHER_ACCOUNT)
    with pytest.raises(nc.NumberUnavailableError, match="cannot be bought"):
        await kazoo.purchase(N1)


async def test_purchase_any_moves_on_when_a_candidate_is_taken(kazoo: KazooProvider, fake: FakeKazoo) -> None:
    fake.stock(N1, N2)
    found = await kazoo.search(area_code="415")
    fake.give(N1, account=OTHER_ACCOUNT)  # bought by someone else between search and purchase
    fake.stock(N1)  # and still in the (stale) search answers
    fake.held[N1]["assigned_to"] = OTHER_ACCOUNT
    bought = await kazoo.purchase_any(area_code="415")
    assert [n.phone_number for n in found] == [N1, N2]
    assert bought.phone_number == N2
    assert fake.held[N1]["assigned_to"] == OTHER_ACCOUNT


async def test_a_lost_activation_answer_is_reconciled_by_looking_the_number_up(
    kazoo: KazooProvider, fake: FakeKazoo
) -> None:
    fake.stock(N1)

    def lose(answer: httpx.Response) -> httpx.Response:
        raise httpx.ReadError("connection reset after the request was sent")

    fake.after_commit.append(lose)
    bought = await kazoo.purchase(N1)
    assert bought.phone_number == N1
    assert bought.status is nc.NumberStatus.ACTIVE
    activations = [r for r in fake.requests if r.url.raw_path.decode().endswith("/activate")]
    assert len(activations) == 1  # never sent again


async def test_a_garbled_activation_answer_is_reconciled(kazoo: KazooProvider, fake: FakeKazoo) -> None:
    fake.stock(N1)
    fake.after_commit.append(lambda answer: httpx.Response(200, content=b"<html>proxy</html>"))
    assert (await kazoo.purchase(N1)).phone_number == N1


async def test_a_lost_answer_for_a_purchase_that_did_not_happen_says_buying_again_is_safe(
    kazoo: KazooProvider, fake: FakeKazoo
) -> None:
    fake.stock(N1)

    def lost_before_commit(request: httpx.Request) -> httpx.Response | None:
        if request.url.raw_path.decode().endswith("/activate"):
            raise httpx.ReadTimeout("no answer")
        return None

    fake.faults.extend([lambda r: None, lambda r: None, lost_before_commit])  # login, look-up, activate
    with pytest.raises(nc.TransportError, match="buying again is safe") as raised:
        await kazoo.purchase(N1)
    assert not isinstance(raised.value, nc.OutcomeUnknownError)
    assert N1 not in fake.held


async def test_a_lost_answer_whose_look_up_fails_is_an_unknown_outcome(
    kazoo: KazooProvider, fake: FakeKazoo
) -> None:
    fake.stock(N1)

    def lose(answer: httpx.Response) -> httpx.Response:
        fake.faults.extend([lambda r: error(503, "unavailable")] * 10)
        raise httpx.ReadError("reset")

    fake.after_commit.append(lose)
    with pytest.raises(nc.OutcomeUnknownError) as raised:
        await kazoo.purchase(N1)
    assert raised.value.number == N1
    assert raised.value.operation == "purchase"


def in_state(state: object) -> httpx.Response:
    return envelope({"id": N1, "state": state, "features": []})


@pytest.mark.parametrize(
    "look_up",
    [
        pytest.param(lambda: in_state("mystery"), id="unknown-state"),
        pytest.param(lambda: in_state(""), id="empty-state"),
        pytest.param(lambda: in_state(None), id="no-state"),
        # 423 says the account is disabled, not that it does not hold the number.
        pytest.param(lambda: error(423, "account disabled"), id="account-disabled"),
    ],
)
async def test_after_a_lost_activation_a_look_up_that_does_not_say_leaves_the_purchase_unknown(
    kazoo: KazooProvider, fake: FakeKazoo, look_up: Callable[[], httpx.Response]
) -> None:
    # The number is the account's now; a look-up that does not say so is no proof it is not.
    fake.stock(N1)

    def lose(answer: httpx.Response) -> httpx.Response:
        fake.faults.append(lambda request: look_up())
        raise httpx.ReadError("connection reset after the request was sent")

    fake.after_commit.append(lose)
    with pytest.raises(nc.OutcomeUnknownError) as raised:
        await kazoo.purchase(N1)
    assert raised.value.number == N1
    assert "buying again is safe" not in str(raised.value)
    assert fake.held[N1]["assigned_to"] == ACCOUNT


@pytest.mark.parametrize("state", ["available", "discovery", "released"])
async def test_after_a_lost_activation_a_state_of_nobodys_number_says_buying_again_is_safe(
    kazoo: KazooProvider, fake: FakeKazoo, state: str
) -> None:
    fake.stock(N1)

    def lost_before_commit(request: httpx.Request) -> httpx.Response | None:
        fake.faults.append(lambda request: in_state(state))
        raise httpx.ReadTimeout("no answer")

    fake.faults.extend([lambda r: None, lambda r: None, lost_before_commit])  # login, look-up, activate
    with pytest.raises(nc.TransportError, match="buying again is safe") as raised:
        await kazoo.purchase(N1)
    assert not isinstance(raised.value, nc.OutcomeUnknownError)


async def test_a_bad_feature_block_is_refused_before_any_request(
    kazoo: KazooProvider, fake: FakeKazoo
) -> None:
    bad = nc.NumberConfig(extra={"kazoo": {"cnam": {"display_name": "x" * 16}}})
    with pytest.raises(nc.InvalidInputError, match=r"cnam\.display_name"):
        await kazoo.purchase(N1, config=bad)
    with pytest.raises(nc.InvalidInputError, match=r"under extra\['kazoo'\]"):
        await kazoo.configure(N1, nc.NumberConfig(extra={"servicePlanId": "x"}))
    with pytest.raises(nc.UnsupportedError):
        await kazoo.configure(N1, nc.NumberConfig(voice=nc.Route(url="https://example.com/voice")))
    assert fake.requests == []


# -- get, configure, release ------------------------------------------------------------------------


async def test_get_reads_the_document(kazoo: KazooProvider, fake: FakeKazoo, clock: object) -> None:
    doc = fake.give(N1, friendly_name="Sales", cnam={"display_name": "ACME"})
    number = await kazoo.get(N1)
    assert number.friendly_name == number.config.friendly_name == "Sales"
    assert number.config.extra == {"kazoo": {"cnam": {"display_name": "ACME"}}}
    assert number.created_at == datetime.fromtimestamp(doc["_read_only"]["created"] - GREGORIAN_UNIX, UTC)
    assert number.created_at == datetime.fromtimestamp(int(clock.now), UTC)  # type: ignore[attr-defined]


@pytest.mark.parametrize("holder", [OTHER_ACCOUNT, None])
async def test_get_of_a_number_not_held_is_not_found(
    kazoo: KazooProvider, fake: FakeKazoo, holder: str | None
) -> None:
    if holder is not None:
        fake.give(N1, account=holder)
    with pytest.raises(nc.NotFoundError):
        await kazoo.get(N1)


async def test_configure_patches_only_what_is_set(kazoo: KazooProvider, fake: FakeKazoo) -> None:
    fake.give(
        N1,
        friendly_name="Old",
        e911={"street_address": "1 Main St", "locality": "SF", "region": "CA", "postal_code": "94103"},
    )
    cnam = {"display_name": "ACME", "inbound_lookup": True}
    number = await kazoo.configure(N1, nc.NumberConfig(friendly_name=None, extra={"kazoo": {"cnam": cnam}}))
    patch = sent(fake, "PATCH")[0]
    assert json.loads(patch.content) == {"data": {"friendly_name": None, "cnam": cnam}}
    assert number.friendly_name is None
    assert number.emergency is not None
    assert number.emergency.address is not None
    assert number.emergency.address.street == "1 Main St"  # left as it was
    assert number.config.extra["kazoo"]["cnam"] == cnam


async def test_an_empty_configure_only_reads(kazoo: KazooProvider, fake: FakeKazoo) -> None:
    fake.give(N1)
    await kazoo.configure(N1, nc.NumberConfig())
    assert sent(fake, "PATCH") == []


async def test_release_deletes_and_a_second_release_is_not_found(
    kazoo: KazooProvider, fake: FakeKazoo
) -> None:
    fake.give(N1)
    await kazoo.release(N1)
    assert N1 not in fake.held
    assert sent(fake, "DELETE")[0].url.raw_path.decode() == f"{NUMBERS}/%2B14155550101"
    with pytest.raises(nc.NotFoundError):
        await kazoo.release(N1)  # back in Kazoo's pool: 400 invalid_state_transition
    fake.give(N2, account=OTHER_ACCOUNT)
    with pytest.raises(nc.NotFoundError):
        await kazoo.release(N2)


def lose_the_delete(fake: FakeKazoo, state: object) -> None:
    """The release after the login is made, and its answer lost; the look-up then finds N1 in
    ``state``."""

    def lose(request: httpx.Request) -> httpx.Response | None:
        fake._delete(N1)  # made...
        fake.faults.append(lambda request: in_state(state))
        raise httpx.ReadError("connection reset after the request was sent")  # ... and not told

    fake.faults.extend([lambda r: None, lose])


@pytest.mark.parametrize("state", ["mystery", "", None])
async def test_after_a_lost_release_a_state_that_says_nothing_leaves_the_release_unknown(
    kazoo: KazooProvider, fake: FakeKazoo, state: object
) -> None:
    fake.give(N1)
    lose_the_delete(fake, state)
    with pytest.raises(nc.OutcomeUnknownError) as raised:
        await kazoo.release(N1)
    assert (raised.value.operation, raised.value.number) == ("release", N1)
    assert len(sent(fake, "DELETE")) == 1


async def test_after_a_lost_release_a_state_of_nobodys_number_means_released(
    kazoo: KazooProvider, fake: FakeKazoo
) -> None:
    fake.give(N1)
    lose_the_delete(fake, "available")  # where a release puts a number: Kazoo's pool
    await kazoo.release(N1)
    assert len(sent(fake, "DELETE")) == 1


@pytest.mark.parametrize("state", ["mystery", "", None])
async def test_get_of_a_number_in_a_state_that_says_nothing_is_a_protocol_error(
    kazoo: KazooProvider, fake: FakeKazoo, state: object
) -> None:
    fake.give(N1, state=state, _read_only={"state": state})
    with pytest.raises(nc.ProtocolError, match="does not say whether the account holds it"):
        await kazoo.get(N1)


# -- list -------------------------------------------------------------------------------------------


async def test_list_follows_next_start_key_and_drops_repeated_port_ins(
    kazoo: KazooProvider, fake: FakeKazoo
) -> None:
    kazoo.list_page_size = 2
    for i in range(5):
        fake.give(f"+1415555020{i}")
    fake.porting["+14155559999"] = {
        "state": "port_in",
        "assigned_to": ACCOUNT,
        "_read_only": {"created": GREGORIAN_UNIX, "modified": GREGORIAN_UNIX},
    }
    listed = [n async for n in kazoo.list()]
    assert sorted(n.phone_number for n in listed) == sorted(
        [*(f"+1415555020{i}" for i in range(5)), "+14155559999"]
    )
    port = next(n for n in listed if n.phone_number == "+14155559999")
    assert port.status is nc.NumberStatus.PENDING
    assert port.created_at == datetime(1970, 1, 1, tzinfo=UTC)
    pages = [r for r in fake.requests if r.method == "GET" and "page_size" in r.url.params]
    assert len(pages) == 3
    assert "start_key" not in pages[0].url.params
    assert pages[1].url.params["start_key"] == base64_of(2)


def base64_of(index: int) -> str:
    return base64.b64encode(str(index).encode()).decode()


async def test_list_by_friendly_name_is_filtered_by_kazoo(kazoo: KazooProvider, fake: FakeKazoo) -> None:
    fake.give(N1, friendly_name="Sales")
    fake.give(N2, friendly_name="Support")
    fake.give(N3)
    listed = [n async for n in kazoo.list(friendly_name="Sales")]
    assert [(n.phone_number, n.friendly_name) for n in listed] == [(N1, "Sales")]
    assert fake.requests[-1].url.params["filter_friendly_name"] == "Sales"


async def test_list_filters_by_contains_on_this_side(kazoo: KazooProvider, fake: FakeKazoo) -> None:
    fake.give(N1)
    fake.give(N2)
    assert [n.phone_number async for n in kazoo.list(contains="0102")] == [N2]


# -- errors -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "message", "data", "expected", "code"),
    [
        (
            400,
            "validation error",
            {"e911": {"required": {"message": "Field is required"}}},
            nc.ProviderError,
            "validation error",
        ),
        (
            400,
            "invalid",
            {"code": 400, "error": "invalid", "cause": "Location is not geocoded"},
            nc.ProviderError,
            "invalid",
        ),
        (
            400,
            "invalid_state_transition",
            {"code": 400, "error": "invalid_state_transition"},
            nc.ConflictError,
            "invalid_state_transition",
        ),
        (
            400,
            "number_is_porting",
            {"code": 400, "error": "number_is_porting"},
            nc.ConflictError,
            "number_is_porting",
        ),
        (
            402,
            "not_enough_credit",
            {"code": 402, "error": "not_enough_credit"},
            nc.PaymentRequiredError,
            "not_enough_credit",
        ),
        (
            403,
            "forbidden",
            {"code": 403, "error": "forbidden", "cause": "not allowed"},
            nc.NotFoundError,
            "forbidden",
        ),
        (
            404,
            "bad_identifier",
            {"message": "bad identifier", "not_found": "The number could not be found"},
            nc.NotFoundError,
            "bad_identifier",
        ),
        (409, "number_exists", {"code": 409, "error": "number_exists"}, nc.ConflictError, "number_exists"),
        (423, "account expired", None, nc.PermissionDeniedError, "account expired"),
        (429, "too_many_requests", None, nc.RateLimitError, "too_many_requests"),
        (
            500,
            "unspecified_fault",
            {"code": 500, "error": "unspecified_fault", "message": "fault by carrier"},
            nc.ProviderUnavailableError,
            "unspecified_fault",
        ),
    ],
)
async def test_errors_are_mapped_to_the_tree(
    kazoo: KazooProvider, fake: FakeKazoo, status: int, message: str, data: object, expected: type, code: str
) -> None:
    fake.give(N1)
    fake.faults.extend([lambda r: None] + [lambda r: error(status, message, data)] * 10)
    with pytest.raises(expected) as raised:
        await kazoo.configure(N1, nc.NumberConfig(friendly_name="x"))
    assert raised.value.code == code
    assert raised.value.request_id == "req-0002"
    if isinstance(data, dict) and "cause" in data:
        assert data["cause"] in str(raised.value)


async def test_a_429_is_backed_off_and_retried(
    kazoo: KazooProvider, fake: FakeKazoo, sleeps: list[float]
) -> None:
    fake.give(N1)
    fake.faults.extend(
        [lambda r: None, lambda r: error(429, "too_many_requests"), lambda r: error(429, "too_many_requests")]
    )
    assert (await kazoo.get(N1)).phone_number == N1
    assert len(sleeps) == 2


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(200, content=b"not json"),
        httpx.Response(200, json=[1, 2]),
        httpx.Response(200, json={"data": {"id": 12}}),
        httpx.Response(200, json={"data": {"id": "+14155550101", "_read_only": {"created": "yesterday"}}}),
        httpx.Response(200, json={"data": {"id": "+14155550101", "features": "e911"}}),
        httpx.Response(200, json={"data": {"id": "+14155550101", "friendly_name": ["x"]}}),
    ],
)
async def test_garbage_answers_are_protocol_errors(
    kazoo: KazooProvider, fake: FakeKazoo, answer: httpx.Response
) -> None:
    fake.faults.extend([lambda r: None, lambda r: answer])
    with pytest.raises(nc.ProtocolError):
        await kazoo.get(N1)


# -- routing by callflow ------------------------------------------------------------------------------

FLOW_A, FLOW_B = "ca11f10e" + "a" * 24, "ca11f10e" + "b" * 24


async def test_routing_moves_the_number_from_its_callflow_to_the_new_one(
    kazoo: KazooProvider, fake: FakeKazoo
) -> None:
    for number in (N1, N2, N3):
        fake.give(number)
    fake.add_callflow(FLOW_A, N1, N2)
    fake.add_callflow(FLOW_B, N3)
    number = await kazoo.configure(N1, nc.NumberConfig(voice=nc.Route(application_id=FLOW_B)))
    assert number.config.voice == nc.Route(application_id=FLOW_B)
    assert fake.callflows[FLOW_A]["numbers"] == [N2]
    assert fake.callflows[FLOW_B]["numbers"] == [N3, N1]
    assert fake.callflows[FLOW_B]["flow"] == {"module": "user", "data": {"id": "u1"}}  # left as it was
    patches = [r for r in sent(fake, "PATCH") if "/callflows/" in r.url.path]
    assert [r.url.path.rsplit("/", 1)[1] for r in patches] == [FLOW_A, FLOW_B]  # out first, then in


async def test_routing_to_none_takes_the_number_out_of_every_callflow(
    kazoo: KazooProvider, fake: FakeKazoo
) -> None:
    fake.give(N1)
    fake.add_callflow(FLOW_A, N1)
    number = await kazoo.configure(N1, nc.NumberConfig(voice=nc.Route(application_id=None)))
    assert number.config.voice is None
    assert fake.callflows[FLOW_A]["numbers"] == []


async def test_routing_to_the_callflow_that_has_it_changes_nothing(
    kazoo: KazooProvider, fake: FakeKazoo
) -> None:
    fake.give(N1)
    fake.add_callflow(FLOW_A, N1)
    await kazoo.configure(N1, nc.NumberConfig(voice=nc.Route(application_id=FLOW_A), friendly_name="Main"))
    assert [r for r in sent(fake, "PATCH") if "/callflows/" in r.url.path] == []
    assert fake.held[N1]["friendly_name"] == "Main"


async def test_routing_to_an_unknown_callflow_or_a_number_not_held_is_not_found(
    kazoo: KazooProvider, fake: FakeKazoo
) -> None:
    fake.give(N1)
    with pytest.raises(nc.NotFoundError, match="not a callflow of this account"):
        await kazoo.configure(N1, nc.NumberConfig(voice=nc.Route(application_id=FLOW_A)))
    fake.add_callflow(FLOW_A)
    with pytest.raises(nc.NotFoundError):
        await kazoo.configure(N2, nc.NumberConfig(voice=nc.Route(application_id=FLOW_A)))
    assert fake.callflows[FLOW_A]["numbers"] == []


async def test_routing_is_refused_in_a_purchase_and_by_url(kazoo: KazooProvider, fake: FakeKazoo) -> None:
    fake.stock(N1)
    routed = nc.NumberConfig(voice=nc.Route(application_id=FLOW_A))
    with pytest.raises(nc.UnsupportedError, match="after the purchase"):
        await kazoo.purchase(N1, config=routed)
    with pytest.raises(nc.UnsupportedError, match="for each number"):
        await kazoo.configure_many([N1], routed)
    with pytest.raises(nc.UnsupportedError):
        await kazoo.configure(N1, nc.NumberConfig(voice=nc.Route(url="https://example.com/voice")))
    with pytest.raises(nc.UnsupportedError):
        await kazoo.configure(N1, nc.NumberConfig(sms=nc.Route(application_id=FLOW_A)))
    assert [r for r in fake.requests if r.url.path != "/v2/api_auth"] == []


async def test_the_callflow_listing_is_paged(
    kazoo: KazooProvider, fake: FakeKazoo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("numbers_core.providers.kazoo._callflows._PAGE_SIZE", 2)
    fake.give(N1)
    for i in range(5):
        fake.add_callflow(f"{i:02}" + "c" * 30)
    fake.add_callflow("ff" + "c" * 30, N1)
    await kazoo.configure(N1, nc.NumberConfig(voice=nc.Route(application_id="00" + "c" * 30)))
    assert fake.callflows["ff" + "c" * 30]["numbers"] == []
    assert fake.callflows["00" + "c" * 30]["numbers"] == [N1]
    listings = [r for r in fake.requests if r.method == "GET" and r.url.path.endswith("/callflows")]
    assert len(listings) == 3
