"""The Vonage adapter on the wire: every operation against its emulator (each request checked against
Vonage's document), and the answers the emulator does not give from a mocked transport."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from urllib.parse import parse_qsl

import httpx
import numbers_core as nc
import pytest
from numbers_core.adapter import RateLimit
from numbers_core.emulator import Emulator
from numbers_core.providers.vonage import VonageProvider
from openapi import Checked
from openapi import mocked as checked_mock
from vonage_spec import check_request

pytestmark = pytest.mark.anyio

KEY, SECRET = "ab12cd34", "Vonage0Secret9"
N1 = "+14155550100"


def posts(requests: list[httpx.Request], path: str) -> list[httpx.Request]:
    return [r for r in requests if r.method == "POST" and r.url.path == path]


def form(request: httpx.Request) -> dict[str, str]:
    return dict(parse_qsl(request.content.decode(), keep_blank_values=True))


def mocked(
    answer: Callable[[httpx.Request], httpx.Response],
) -> tuple[httpx.AsyncClient, list[httpx.Request]]:
    """A client whose every request is checked against the document and answered by ``answer``."""
    return checked_mock(answer, check_request)


def connect(http: httpx.AsyncClient) -> nc.Provider:
    return nc.connect("vonage", api_key=KEY, api_secret=SECRET, http_client=http)


def owned(*items: dict[str, object]) -> httpx.Response:
    return httpx.Response(200, json={"count": len(items), "numbers": list(items)} if items else {})


OK = {"error-code": "200", "error-code-label": "success"}
FAILED = {"error-code": "420", "error-code-label": "method failed"}


# -- purchases are never sent twice -------------------------------------------------------------------


@pytest.mark.parametrize("fault", ["lost", "unanswered"])
async def test_a_lost_buy_answer_is_settled_by_a_look_up_with_exactly_one_post(
    emulator: Emulator, fault: str
) -> None:
    checked = Checked(emulator.transport(), check_request)
    async with (
        httpx.AsyncClient(transport=checked) as http,
        nc.connect("vonage", http_client=http, **emulator.client_settings()) as carrier,
    ):
        [offer] = await carrier.search(area_code="415", limit=1)
        emulator.set_faults(**{fault: 1.0})  # made, then the answer cut off or never sent
        bought = await carrier.purchase(offer)
    assert bought.phone_number == offer.phone_number
    assert bought.status is nc.NumberStatus.ACTIVE
    assert len(posts(checked.requests, "/number/buy")) == 1
    assert offer.phone_number in (await emulator.world.owned())[emulator.client_settings()["api_key"]]


async def test_a_lost_buy_answer_that_cannot_be_checked_is_an_unknown_outcome() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            raise httpx.ReadError("connection reset after sending")
        return httpx.Response(503, json={"error-code": "503", "error-code-label": "unavailable"})

    http, seen = mocked(answer)
    async with http, connect(http) as carrier:
        with pytest.raises(nc.OutcomeUnknownError) as unknown:
            await carrier.purchase(N1)
    assert unknown.value.number == N1
    assert len(posts(seen, "/number/buy")) == 1


async def test_a_buy_that_never_happened_says_buying_again_is_safe() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
        return owned()

    http, seen = mocked(answer)
    async with http, connect(http) as carrier:
        with pytest.raises(nc.TransportError, match="buying again is safe") as raised:
            await carrier.purchase(N1)
    assert not isinstance(raised.value, nc.OutcomeUnknownError)
    assert len(posts(seen, "/number/buy")) == 1


async def test_a_garbled_success_is_settled_by_a_look_up() -> None:
    item = {"country": "US", "msisdn": N1[1:], "type": "landline", "features": ["VOICE"]}

    def answer(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(200, text="<html>gateway</html>")
        return owned(item)

    http, seen = mocked(answer)
    async with http, connect(http) as carrier:
        bought = await carrier.purchase(N1)
    assert bought.phone_number == N1
    assert len(posts(seen, "/number/buy")) == 1


async def test_the_buy_is_a_form_with_the_country_derived_from_the_number() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(200, json=OK)
        return owned({"country": "GB", "msisdn": "447700900123", "type": "mobile-lvn"})

    http, seen = mocked(answer)
    async with http, connect(http) as carrier:
        bought = await carrier.purchase("+447700900123")
    [buy] = posts(seen, "/number/buy")
    assert buy.headers["content-type"] == "application/x-www-form-urlencoded"
    assert form(buy) == {"country": "GB", "msisdn": "447700900123"}
    assert bought.geography.iso_country == "GB"
    assert bought.number_type is nc.NumberType.MOBILE
    look_up = seen[-1]
    assert dict(look_up.url.params) == {"pattern": "447700900123", "search_pattern": "0", "size": "100"}


# -- what a 420 means ---------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [420, 200])  # Vonage may put the refusal in an HTTP 200
async def test_a_refused_buy_of_a_number_no_longer_for_sale_is_unavailable(status: int) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(status, json=FAILED)
        return owned()  # not ours; and the search does not list it either

    http, seen = mocked(answer)
    async with http, connect(http) as carrier:
        with pytest.raises(nc.NumberUnavailableError, match="not for sale") as raised:
            await carrier.purchase(N1)
    assert raised.value.code == "420"
    assert [r.url.path for r in seen] == ["/number/buy", "/account/numbers", "/number/search"]


async def test_a_refused_buy_of_a_number_still_for_sale_keeps_vonages_words() -> None:
    offer = {"country": "US", "msisdn": N1[1:], "type": "landline", "cost": "1.00"}

    def answer(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(420, json=FAILED)
        if request.url.path == "/number/search":
            return httpx.Response(200, json={"count": 1, "numbers": [offer]})
        return owned()

    http, _ = mocked(answer)
    async with http, connect(http) as carrier:
        with pytest.raises(nc.ProviderError, match="method failed") as raised:
            await carrier.purchase(N1)
    assert type(raised.value) is nc.ProviderError  # not "unavailable": purchase_any would move on


@pytest.mark.parametrize(
    ("label", "error"),
    [
        ("Numbers from this country can be requested from the Dashboard", nc.ComplianceRequiredError),
        ("Insufficient credit to buy this number", nc.PaymentRequiredError),
    ],
)
async def test_vonages_labels_say_what_a_420_means(label: str, error: type[nc.ProviderError]) -> None:
    http, seen = mocked(lambda r: httpx.Response(420, json={"error-code": "420", "error-code-label": label}))
    async with http, connect(http) as carrier:
        with pytest.raises(error) as raised:
            await carrier.purchase(N1)
    if isinstance(raised.value, nc.ComplianceRequiredError):
        assert raised.value.scope is nc.ComplianceScope.ACCOUNT
        assert raised.value.requirement is nc.RequirementKind.LOCAL_ADDRESS
    assert len(seen) == 1  # nothing more to look up


async def test_a_regulated_number_is_a_compliance_refusal(vonage: nc.Provider) -> None:
    [number] = await vonage.search(country="GB", number_type="local", limit=1)
    with pytest.raises(nc.ComplianceRequiredError, match="dashboard"):
        await vonage.purchase(number)
    with pytest.raises(nc.ComplianceRequiredError):
        await vonage.purchase_any(country="GB", number_type="local")


async def test_a_number_already_ours_is_a_conflict(vonage: nc.Provider) -> None:
    bought = await vonage.purchase_any(area_code="415")
    with pytest.raises(nc.ConflictError) as again:
        await vonage.purchase(bought)
    assert again.value.code == "already-owned"


# -- search -------------------------------------------------------------------------------------------


async def test_search_sends_one_pattern_and_the_features_as_vonage_spells_them(vonage: nc.Provider) -> None:
    found = await vonage.search(area_code="415", voice=True, sms=True, limit=3)
    assert 1 <= len(found) <= 3
    number = found[0]
    assert number.phone_number.startswith("+1415")
    assert number.monthly_price is not None
    assert number.monthly_price.currency == "EUR"
    assert number.price_basis is nc.PriceBasis.OFFER
    assert number.capabilities.voice
    assert number.capabilities.sms


async def test_search_params_on_the_wire() -> None:
    http, seen = mocked(lambda r: httpx.Response(200, json={}))
    async with http, connect(http) as carrier:
        assert await carrier.search(area_code="415", sms=True, mms=True, voice=True, limit=5) == []
        await carrier.search(country="GB", number_type="mobile", contains="77*0", ends_with="1")
        await carrier.search(country="GB", ends_with="123")
        # Its longest run alone is sent: the rest is checked here, on a page of the most (before:
        # a page of 2, whose numbers held 5555 but seldom 4 one digit before it: "no numbers").
        await carrier.search(contains="4*5555", limit=2)
        await carrier.search(contains="5555", limit=2)  # sent whole: no more than asked for
    first, second, third, wildcard, whole = (dict(r.url.params) for r in seen)
    assert first == {
        "country": "US",
        "type": "landline",
        "pattern": "1415",
        "search_pattern": "0",
        "features": "SMS,MMS,VOICE",
        "size": "5",
        "index": "1",
    }
    assert second["type"] == "mobile-lvn"
    assert (second["pattern"], second["search_pattern"], second["size"]) == ("77", "1", "100")
    assert (third["pattern"], third["search_pattern"]) == ("123", "2")
    assert (wildcard["pattern"], wildcard["search_pattern"], wildcard["size"]) == ("5555", "1", "100")
    assert (whole["pattern"], whole["search_pattern"], whole["size"]) == ("5555", "1", "2")


async def test_search_pages_by_index_until_the_limit(vonage: nc.Provider) -> None:
    found = await vonage.search(area_code="415", limit=150)
    assert len(found) == 150
    assert len({n.phone_number for n in found}) == 150


@pytest.mark.parametrize(
    "criteria", [{"fax": True}, {"region": "CA"}, {"postal_code": "94105"}, {"number_type": "national"}]
)
async def test_what_vonage_cannot_search_is_refused_before_any_request(criteria: dict[str, object]) -> None:
    http, seen = mocked(lambda r: httpx.Response(500))
    async with http, connect(http) as carrier:
        with pytest.raises(nc.UnsupportedError):
            await carrier.search(**criteria)
    assert seen == []


# -- configure ----------------------------------------------------------------------------------------


async def test_configure_reads_merges_and_writes_the_whole_configuration() -> None:
    item = {
        "country": "US",
        "msisdn": N1[1:],
        "type": "landline",
        "moHttpUrl": "https://hooks.example.com/sms",
    }

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=OK) if request.method == "POST" else owned(item)

    http, seen = mocked(answer)
    async with http, connect(http) as carrier:
        linked = await carrier.configure(N1, nc.NumberConfig(voice=nc.Route(application_id="app-1")))
        assert form(posts(seen, "/number/update")[-1]) == {
            "country": "US",
            "msisdn": N1[1:],
            "app_id": "app-1",
            "moHttpUrl": "https://hooks.example.com/sms",  # sent again: the update replaces
        }
        assert linked.config.voice == nc.Route(application_id="app-1")
        assert linked.config.sms == nc.Route(application_id="app-1")  # one Application for both
        assert linked.config.extra == {"vonage": {"moHttpUrl": "https://hooks.example.com/sms"}}
        item["app_id"] = "app-1"
        forwarded = nc.NumberConfig(
            extra={
                "vonage": {
                    "voiceCallbackType": "tel",
                    "voiceCallbackValue": "447700900001",
                    "moHttpUrl": None,
                }
            }
        )
        await carrier.configure(N1, forwarded)
        assert form(posts(seen, "/number/update")[-1]) == {
            "country": "US",
            "msisdn": N1[1:],
            "app_id": "app-1",
            "voiceCallbackType": "tel",
            "voiceCallbackValue": "447700900001",
            "moHttpUrl": "",  # cleared, as the API documents
        }
        await carrier.configure(N1, nc.NumberConfig(sms=nc.Route(application_id=None)))
        assert form(posts(seen, "/number/update")[-1])["app_id"] == ""


@pytest.mark.parametrize(
    ("config", "error"),
    [
        (
            nc.NumberConfig(voice=nc.Route(application_id="a"), sms=nc.Route(application_id="b")),
            nc.InvalidInputError,
        ),
        (nc.NumberConfig(friendly_name="Desk"), nc.UnsupportedError),
        (nc.NumberConfig(voice=nc.Route(url="https://hooks.example.com/voice")), nc.UnsupportedError),
        (
            nc.NumberConfig(status_callback=nc.Callback(url="https://hooks.example.com/s")),
            nc.UnsupportedError,
        ),
        (nc.NumberConfig(extra={"vonage": {"voiceCallbackType": "tel"}}), nc.InvalidInputError),
        (nc.NumberConfig(extra={"vonage": {"moSmppSysType": "inbound"}}), nc.InvalidInputError),
    ],
)
async def test_what_vonage_cannot_set_is_refused_before_any_write(
    config: nc.NumberConfig, error: type[nc.NumbersError]
) -> None:
    item = {"country": "US", "msisdn": N1[1:]}
    http, seen = mocked(lambda r: httpx.Response(200, json=OK) if r.method == "POST" else owned(item))
    async with http, connect(http) as carrier:
        with pytest.raises(error):
            await carrier.configure(N1, config)
    assert posts(seen, "/number/update") == []


async def test_configure_of_a_number_not_ours_is_not_found(vonage: nc.Provider) -> None:
    with pytest.raises(nc.NotFoundError):
        await vonage.configure(N1, nc.NumberConfig(voice=nc.Route(application_id="app-1")))


async def test_an_application_set_reads_back_through_the_emulator(vonage: nc.Provider) -> None:
    bought = await vonage.purchase_any(area_code="415")
    await vonage.configure(bought, nc.NumberConfig(voice=nc.Route(application_id="app-9")))
    again = await vonage.get(bought)
    assert again.config.voice == nc.Route(application_id="app-9")
    assert again.config.extra == {}  # the emulator's voiceCallbackType "app" is the Application itself


# -- release, list, transfer ----------------------------------------------------------------------------


async def test_release_cancels_and_a_number_not_ours_is_not_found(vonage: nc.Provider) -> None:
    bought = await vonage.purchase_any(area_code="415")
    await vonage.release(bought)
    with pytest.raises(nc.NotFoundError):
        await vonage.get(bought)
    with pytest.raises(nc.NotFoundError):
        await vonage.release(bought)


async def test_a_lost_cancel_answer_is_checked_not_resent(emulator: Emulator) -> None:
    checked = Checked(emulator.transport(), check_request)
    async with (
        httpx.AsyncClient(transport=checked) as http,
        nc.connect("vonage", http_client=http, **emulator.client_settings()) as carrier,
    ):
        bought = await carrier.purchase_any(area_code="415")
        emulator.set_faults(lost=1.0)
        await carrier.release(bought)
    assert len(posts(checked.requests, "/number/cancel")) == 1


async def test_list_pages_by_index_and_drops_repeats(emulator: Emulator, vonage: nc.Provider) -> None:
    account = emulator.world.account(emulator.client_settings()["api_key"])
    for _ in range(3):
        await account.purchase_any(area_code="415", limit=1)
    for _ in range(101):
        await account.purchase_any(area_code="212")
    listed = [n.phone_number async for n in vonage.list()]
    assert len(listed) == len(set(listed)) == 104
    assert len([n async for n in vonage.list(contains="415")]) >= 3
    assert {n.geography.iso_country async for n in vonage.list(country="US")} == {"US"}


async def test_transfer_goes_to_a_subaccount(vonage: nc.Provider, emulator: Emulator) -> None:
    bought = await vonage.purchase_any(area_code="415")
    moved = await vonage.transfer(bought, "sub00001")
    assert moved.account_id == "sub00001"
    assert bought.phone_number in (await emulator.world.owned())["sub00001"]
    with pytest.raises(nc.NotFoundError):
        await vonage.get(bought)
    with pytest.raises(nc.InvalidInputError):
        await vonage.transfer(bought, "../../x")


async def test_a_lost_transfer_answer_is_settled_by_a_look_up(emulator: Emulator) -> None:
    checked = Checked(emulator.transport(), check_request)
    async with (
        httpx.AsyncClient(transport=checked) as http,
        nc.connect("vonage", http_client=http, **emulator.client_settings()) as carrier,
    ):
        bought = await carrier.purchase_any(area_code="415")
        emulator.set_faults(unanswered=1.0)
        moved = await carrier.transfer(bought, "sub00002")
    assert moved.account_id == "sub00002"
    assert len([r for r in checked.requests if r.url.path.endswith("/transfer-number")]) == 1


async def test_a_refused_transfer_reads_vonages_problem() -> None:
    item = {"country": "US", "msisdn": N1[1:]}
    problem = {
        "type": "https://developer.nexmo.com/api-errors/subaccounts#invalid-number-transfer",
        "title": "Invalid Number Transfer",
        "detail": "One of the accounts involved in the transfer is banned",
        "instance": "ba2abf2a-7e8f",
    }

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(403, json=problem) if request.method == "POST" else owned(item)

    http, seen = mocked(answer)
    async with http, connect(http) as carrier:
        with pytest.raises(
            nc.PermissionDeniedError, match="Invalid Number Transfer: One of the accounts"
        ) as raised:
            await carrier.transfer(N1, "sub00001")
    assert raised.value.request_id == "ba2abf2a-7e8f"
    [sent] = posts(seen, f"/accounts/{KEY}/transfer-number")
    assert json.loads(sent.content) == {"from": KEY, "to": "sub00001", "number": N1[1:], "country": "US"}


# -- errors and the account's rate ----------------------------------------------------------------------


async def test_errors_map_to_the_tree(sleeps: list[float]) -> None:
    answers = iter(
        [
            httpx.Response(401, json={"error-code": "401", "error-code-label": "authentication failed"}),
            *[httpx.Response(429, json={})] * 4,
            *[httpx.Response(500, text="<html>")] * 4,
        ]
    )
    http, _ = mocked(lambda r: next(answers))
    async with http, connect(http) as carrier:
        with pytest.raises(nc.AuthenticationError, match="authentication failed"):
            await carrier.get(N1)
        with pytest.raises(nc.RateLimitError):
            await carrier.get(N1)
        with pytest.raises(nc.ProviderUnavailableError):
            await carrier.get(N1)
    assert len(sleeps) == 6  # 429 and 5xx are retried (three times each)


async def test_an_empty_listing_is_an_empty_list_and_a_number_not_ours_not_found() -> None:
    http, _ = mocked(lambda r: httpx.Response(200, json={"count": 0}))
    async with http, connect(http) as carrier:
        assert [n async for n in carrier.list()] == []
        with pytest.raises(nc.NotFoundError):
            await carrier.get(N1)


def test_the_default_rate_is_vonages_one_request_a_second() -> None:
    assert VonageProvider.rate_limit == RateLimit(1.0, burst=1)


async def test_vonages_object_fields_are_all_optional() -> None:
    items = [{"msisdn": N1[1:], "features": None}, {"msisdn": "447700900000", "cost": "0.80"}]
    http, _ = mocked(lambda r: httpx.Response(200, json={"count": 2, "numbers": items}))
    async with http, connect(http) as carrier:
        first, second = [n async for n in carrier.list()]
        assert first.capabilities == nc.Capabilities()
        [offer, _] = await carrier.search(country="GB", number_type="mobile", limit=2)
    assert second.number_type is nc.NumberType.UNKNOWN
    assert offer.monthly_price is None or offer.monthly_price.amount == Decimal("0.80")
