"""The Plivo adapter on the wire: every operation against its emulator (each request checked against
the Plivo document), and the answers the emulator does not give from a mocked transport."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import numbers_core as nc
import pytest
from numbers_core.adapter import RateLimit
from numbers_core.emulator import Emulator
from numbers_core.providers.plivo import PlivoProvider
from openapi import Checked
from openapi import mocked as checked_mock
from plivo_spec import check_request

pytestmark = pytest.mark.anyio

AUTH_ID, TOKEN = "MA" + "A1B2C3D4E5F6G7H8I9", "PlivoCanaryToken0123"
ROOT = f"/v1/Account/{AUTH_ID}"
N1 = "+14155550100"
SUB = "SA" + "1" * 18


def mocked(
    answer: Callable[[httpx.Request], httpx.Response],
) -> tuple[httpx.AsyncClient, list[httpx.Request]]:
    """A client whose every request is checked against the document and answered by ``answer``."""
    return checked_mock(answer, check_request)


def connect(http: httpx.AsyncClient) -> nc.Provider:
    return nc.connect("plivo", auth_id=AUTH_ID, auth_token=TOKEN, http_client=http)


def number(**changes: object) -> dict[str, object]:
    return {
        "api_id": "a-1",
        "number": N1[1:],
        "number_type": "local",
        "active": True,
        "country": "UNITED STATES",
    } | changes


NOT_FOUND = {"api_id": "n-1", "error": "not found"}
BOUGHT = {
    "api_id": "b-1",
    "message": "created",
    "numbers": [{"number": N1[1:], "status": "Success"}],
    "status": "fulfilled",
}


def buys(requests: list[httpx.Request]) -> list[httpx.Request]:
    return [r for r in requests if r.method == "POST" and "/PhoneNumber/" in r.url.path]


# -- purchases are never sent twice -------------------------------------------------------------------


@pytest.mark.parametrize("fault", ["lost", "unanswered"])
async def test_a_lost_buy_answer_is_settled_by_a_look_up_with_exactly_one_post(
    emulator: Emulator, checked: Checked, plivo: nc.Provider, fault: str
) -> None:
    [offer] = await plivo.search(area_code="415", limit=1)
    emulator.set_faults(**{fault: 1.0})
    bought = await plivo.purchase(offer)
    assert bought.phone_number == offer.phone_number
    assert len(buys(checked.requests)) == 1


async def test_a_lost_buy_answer_that_cannot_be_checked_is_an_unknown_outcome() -> None:
    reads = iter([httpx.Response(404, json=NOT_FOUND)])

    def answer(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            raise httpx.ReadError("connection reset after sending")
        return next(reads, httpx.Response(503, json={"api_id": "x", "error": "unavailable"}))

    http, seen = mocked(answer)
    async with http, connect(http) as carrier:
        with pytest.raises(nc.OutcomeUnknownError):
            await carrier.purchase(N1)
    assert len(buys(seen)) == 1


async def test_the_buy_is_json_with_the_application_and_the_name_follows_in_an_update() -> None:
    owned = False

    def answer(request: httpx.Request) -> httpx.Response:
        nonlocal owned
        if request.method == "POST" and "/PhoneNumber/" in request.url.path:
            owned = True
            return httpx.Response(201, json=BOUGHT)
        if request.method == "POST":
            return httpx.Response(202, json={"message": "changed", "api_id": "u-1"})
        return (
            httpx.Response(200, json=number(alias="Desk")) if owned else httpx.Response(404, json=NOT_FOUND)
        )

    http, seen = mocked(answer)
    config = nc.NumberConfig(friendly_name="Desk", voice=nc.Route(application_id="app-1"))
    async with http, connect(http) as carrier:
        bought = await carrier.purchase(N1, config=config)
    assert bought.friendly_name == "Desk"
    [buy] = buys(seen)
    assert buy.url.path == f"{ROOT}/PhoneNumber/{N1[1:]}/"
    assert json.loads(buy.content) == {"app_id": "app-1"}
    update = next(r for r in seen if r.method == "POST" and "/Number/" in r.url.path)
    assert json.loads(update.content) == {"alias": "Desk"}  # app_id is the number's own once read


# -- what a 404 means ---------------------------------------------------------------------------------


async def test_a_number_already_ours_is_a_conflict_without_a_buy(
    plivo: nc.Provider, checked: Checked
) -> None:
    bought = await plivo.purchase_any(area_code="415")
    with pytest.raises(nc.ConflictError) as again:
        await plivo.purchase(bought)
    assert again.value.code == "already-owned"
    assert len(buys(checked.requests)) == 1


async def test_a_number_not_for_sale_is_unavailable(plivo: nc.Provider, emulator: Emulator) -> None:
    taken = await emulator.world.account("someone-else").purchase_any(area_code="415")
    with pytest.raises(nc.NumberUnavailableError, match="not found"):
        await plivo.purchase(taken.phone_number)


# -- regulated numbers --------------------------------------------------------------------------------


async def test_a_regulated_number_is_refused_then_pending_until_approved(
    plivo: nc.Provider, emulator: Emulator
) -> None:
    [offer] = await plivo.search(country="DE", number_type="local", limit=1)
    assert offer.address_requirement == "local"
    with pytest.raises(nc.ComplianceRequiredError) as refused:
        await plivo.purchase(offer)
    assert refused.value.requirement == nc.RequirementKind.BUNDLE
    assert refused.value.scope == nc.ComplianceScope.ACCOUNT
    papers = nc.NumberConfig(compliance=nc.NumberCompliance(bundle_id="CA-7"))
    bought = await plivo.purchase(offer, config=papers)
    assert bought.status is nc.NumberStatus.PENDING
    assert [(p.part, p.state) for p in bought.provisioning] == [("compliance", "pending")]
    assert bought.compliance == nc.NumberCompliance(bundle_id="CA-7")
    still = await plivo.wait_provisioned(bought, within=0.05, interval=0.01)
    assert still.status is nc.NumberStatus.PENDING
    await emulator.dialect.review(offer.phone_number)  # type: ignore[attr-defined]
    done = await plivo.wait_provisioned(bought, interval=0.01)
    assert done.status is nc.NumberStatus.ACTIVE


async def test_a_rejected_application_stays_visible(plivo: nc.Provider, emulator: Emulator) -> None:
    [offer] = await plivo.search(country="DE", number_type="local", limit=1)
    bought = await plivo.purchase(
        offer, config=nc.NumberConfig(compliance=nc.NumberCompliance(bundle_id="CA-8"))
    )
    await emulator.dialect.review(bought.phone_number, accepted=False)  # type: ignore[attr-defined]
    number = await plivo.wait_provisioned(bought, interval=0.01)
    [part] = number.provisioning
    assert (part.part, part.state, part.status) == ("compliance", "failed", "rejected")
    again = await plivo.configure(bought, nc.NumberConfig(compliance=nc.NumberCompliance(bundle_id="CA-9")))
    assert again.status is nc.NumberStatus.PENDING


@pytest.mark.parametrize("papers", [{"address_id": "AD1"}, {"identity_id": "ID1"}])
async def test_papers_plivo_does_not_take_are_refused_before_any_buy(papers: dict[str, str]) -> None:
    http, seen = mocked(lambda r: httpx.Response(404, json=NOT_FOUND))
    async with http, connect(http) as carrier:
        with pytest.raises(nc.InvalidInputError, match="compliance application"):
            await carrier.purchase(N1, config=nc.NumberConfig(compliance=nc.NumberCompliance(**papers)))
    assert seen == []


# -- search -------------------------------------------------------------------------------------------


async def test_search_params_on_the_wire() -> None:
    page = {"api_id": "s", "meta": {"limit": 20, "offset": 0, "total_count": 0, "next": None}, "objects": []}
    http, seen = mocked(lambda r: httpx.Response(200, json=page))
    async with http, connect(http) as carrier:
        await carrier.search(area_code="415", voice=True, sms=True, locality="San Francisco", limit=5)
        await carrier.search(
            country="GB", number_type="toll_free", region="London", lata="722", rate_center="X"
        )
    first, second = (dict(r.url.params) for r in seen)
    assert first == {
        "country_iso": "US",
        "type": "fixed",
        "pattern": "415",
        "city": "San Francisco",
        "services": "voice,sms",
        "limit": "20",
        "offset": "0",
    }
    assert second | {"limit": "?"} == {
        "country_iso": "GB",
        "type": "tollfree",
        "region": "London",
        "lata": "722",
        "rate_center": "X",
        "limit": "?",
        "offset": "0",
    }


async def test_search_reads_prices_restrictions_and_local_from_national(plivo: nc.Provider) -> None:
    found = await plivo.search(area_code="415", limit=25)
    assert len(found) == 25  # two pages of 20
    offer = found[0]
    assert offer.monthly_price is not None
    assert offer.monthly_price.currency == "USD"
    assert offer.price_basis is nc.PriceBasis.OFFER
    assert offer.geography.iso_country == "US"
    assert offer.number_type is nc.NumberType.LOCAL
    national = await plivo.search(country="DE", number_type="national", limit=3)
    assert all(n.number_type is nc.NumberType.NATIONAL for n in national)
    assert not await plivo.search(country="DE", number_type="local", exclude_address_required=True, limit=3)


async def test_a_search_stops_as_soon_as_it_has_enough(plivo: nc.Provider, checked: Checked) -> None:
    # Local numbers are sifted from Plivo's "fixed" ones: pages are fetched only while too few are kept.
    assert len(await plivo.search(area_code="415", limit=1)) == 1
    assert len([r for r in checked.requests if r.url.path.endswith("/PhoneNumber/")]) == 1


@pytest.mark.parametrize(
    "criteria", [{"contains": "55"}, {"ends_with": "00"}, {"postal_code": "94105"}, {"fax": True}]
)
async def test_what_plivo_cannot_search_is_refused_before_any_request(criteria: dict[str, object]) -> None:
    http, seen = mocked(lambda r: httpx.Response(500))
    async with http, connect(http) as carrier:
        with pytest.raises(nc.UnsupportedError):
            await carrier.search(**criteria)
    assert seen == []


# -- configure ----------------------------------------------------------------------------------------


async def test_an_update_always_sends_the_application_back(plivo: nc.Provider, checked: Checked) -> None:
    bought = await plivo.purchase_any(
        area_code="415", config=nc.NumberConfig(voice=nc.Route(application_id="app-1"))
    )
    named = await plivo.configure(bought, nc.NumberConfig(friendly_name="Desk"))
    assert named.friendly_name == "Desk"
    # Without app_id, Plivo (and its emulator) would link the account's default Application instead.
    assert named.config.voice == nc.Route(application_id="app-1")
    update = [r for r in checked.requests if r.method == "POST" and "/Number/" in r.url.path][-1]
    assert json.loads(update.content) == {"app_id": "app-1", "alias": "Desk"}
    relinked = await plivo.configure(bought, nc.NumberConfig(sms=nc.Route(application_id="app-2")))
    assert relinked.config.voice == relinked.config.sms == nc.Route(application_id="app-2")
    cnam = await plivo.configure(bought, nc.NumberConfig(extra={"plivo": {"cnam_lookup": "enabled"}}))
    assert cnam.config.extra == {"plivo": {"cnam_lookup": "enabled"}}


@pytest.mark.parametrize(
    "config",
    [
        nc.NumberConfig(voice=nc.Route(application_id="a"), sms=nc.Route(application_id="b")),
        nc.NumberConfig(voice=nc.Route(application_id=None)),
        nc.NumberConfig(extra={"plivo": {"sub_account": "x"}}),
    ],
)
async def test_what_plivo_cannot_set_is_refused_before_any_update(config: nc.NumberConfig) -> None:
    http, seen = mocked(lambda r: httpx.Response(200, json=number()))
    async with http, connect(http) as carrier:
        with pytest.raises(nc.InvalidInputError):
            await carrier.configure(N1, config)
    assert all(r.method == "GET" for r in seen)


async def test_urls_are_unsupported_plivo_routes_by_application() -> None:
    http, seen = mocked(lambda r: httpx.Response(500))
    async with http, connect(http) as carrier:
        with pytest.raises(nc.UnsupportedError):
            await carrier.configure(N1, nc.NumberConfig(voice=nc.Route(url="https://hooks.example.com/v")))
    assert seen == []


# -- get, release, list, transfer -----------------------------------------------------------------------


async def test_get_reads_plivos_number_and_its_country_name() -> None:
    answer = number(
        alias="Desk",
        application=f"{ROOT}/Application/29986316244302815/",
        country="GERMANY",
        number="4969365065273",
        region="Hesse, GERMANY",
        city="Frankfurt",
        added_on="2014-02-14",
        sub_account=SUB,
    )
    http, seen = mocked(lambda r: httpx.Response(200, json=answer))
    async with http, connect(http) as carrier:
        got = await carrier.get("+4969365065273")
    assert seen[0].url.path == f"{ROOT}/Number/4969365065273/"
    assert got.geography == nc.Geography(iso_country="DE", region="Hesse", locality="Frankfurt")
    assert got.config.voice == nc.Route(application_id="29986316244302815")
    assert got.account_id == SUB
    assert got.created_at is not None
    assert got.created_at.year == 2014


async def test_release_unrents_and_a_number_not_ours_is_not_found(plivo: nc.Provider) -> None:
    bought = await plivo.purchase_any(area_code="415")
    await plivo.release(bought)
    with pytest.raises(nc.NotFoundError):
        await plivo.get(bought)
    with pytest.raises(nc.NotFoundError, match="not a number of this account"):
        await plivo.release(bought)


async def test_a_lost_unrent_answer_is_checked_not_resent(
    plivo: nc.Provider, emulator: Emulator, checked: Checked
) -> None:
    bought = await plivo.purchase_any(area_code="415")
    emulator.set_faults(lost=1.0)
    await plivo.release(bought)
    assert len([r for r in checked.requests if r.method == "DELETE"]) == 1


async def test_list_pages_by_twenty(plivo: nc.Provider, emulator: Emulator, checked: Checked) -> None:
    account = emulator.world.account(emulator.client_settings()["auth_id"])
    for _ in range(45):
        await account.purchase_any(area_code="212")
    listed = [n.phone_number async for n in plivo.list()]
    assert len(listed) == len(set(listed)) == 45
    pages = [r for r in checked.requests if r.url.path.endswith("/Number/")]
    assert [r.url.params["offset"] for r in pages] == ["0", "20", "40"]
    assert [n async for n in plivo.list(number_type="toll_free")] == []
    assert pages[-1].url.params.get("type") is None
    assert [r for r in checked.requests if r.url.params.get("type") == "tollfree"]


async def test_transfer_moves_the_number_to_a_subaccount(plivo: nc.Provider, checked: Checked) -> None:
    bought = await plivo.purchase_any(
        area_code="415", config=nc.NumberConfig(voice=nc.Route(application_id="app-1"))
    )
    moved = await plivo.transfer(bought, SUB)
    assert moved.account_id == SUB
    update = [r for r in checked.requests if r.method == "POST" and "/Number/" in r.url.path][-1]
    assert json.loads(update.content) == {"app_id": "app-1", "subaccount": SUB}
    with pytest.raises(nc.InvalidInputError):
        await plivo.transfer(bought, "MA" + "1" * 18)


# -- errors and the account's rate ----------------------------------------------------------------------


async def test_errors_map_to_the_tree(sleeps: list[float]) -> None:
    answers = iter(
        [
            httpx.Response(401, json={"api_id": "x", "error": "Authentication credentials invalid"}),
            httpx.Response(403, json={"api_id": "x", "error": "forbidden"}),
            httpx.Response(422, json={"api_id": "x", "error": "unprocessable"}),
            *[httpx.Response(429, json={"api_id": "x", "error": "too many requests"})] * 4,
            *[httpx.Response(500, json={"api_id": "x", "error": "internal"})] * 4,
        ]
    )
    http, _ = mocked(lambda r: next(answers))
    async with http, connect(http) as carrier:
        with pytest.raises(nc.AuthenticationError, match="credentials invalid"):
            await carrier.get(N1)
        with pytest.raises(nc.PermissionDeniedError):
            await carrier.get(N1)
        with pytest.raises(nc.ConflictError) as conflict:
            await carrier.get(N1)
        assert conflict.value.request_id == "x"
        with pytest.raises(nc.RateLimitError):
            await carrier.get(N1)
        with pytest.raises(nc.ProviderUnavailableError):
            await carrier.get(N1)
    assert len(sleeps) == 6


def test_the_default_rate_is_plivos_300_requests_in_5_seconds() -> None:
    assert PlivoProvider.rate_limit == RateLimit(60.0, burst=300)


async def test_an_error_key_in_a_success_is_not_a_failure() -> None:
    # plivo-php#232: a successful search carried an "error" key; the status is what counts.
    page = {"api_id": "s", "error": "", "meta": {"total_count": 0}, "objects": []}
    http, _ = mocked(lambda r: httpx.Response(200, json=page))
    async with http, connect(http) as carrier:
        assert await carrier.search(area_code="415") == []
