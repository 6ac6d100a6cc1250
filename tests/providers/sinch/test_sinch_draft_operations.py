"""The sinch-draft adapter against a server of the seed document: every operation, its errors, its wire."""

from __future__ import annotations

import json
import logging
from decimal import Decimal

import httpx
import numbers_core as nc
import pytest
from draft_fake import ACCOUNT, BASE_URL, TOKEN, FakeDraft, connected, draft_error
from numbers_core.providers.sinch import SinchDraftProvider

pytestmark = pytest.mark.anyio

N1, N2, N3 = "+14155550101", "+14155550102", "+16285550103"
ONE = f"/v1/Accounts/{ACCOUNT}/ActiveNumbers/ActiveNumbers/PN"
MANY = f"/v1/Account/{ACCOUNT}/ActiveNumbers/"


def paths(fake: FakeDraft) -> list[str]:
    return [f"{r.method} {r.url.raw_path.decode().split('?')[0]}" for r in fake.requests]


def sent(fake: FakeDraft, method: str) -> httpx.Request:
    return next(r for r in reversed(fake.requests) if r.method == method)


def lose(answer: httpx.Response) -> httpx.Response:
    raise httpx.ReadError("connection reset after the purchase was made")


# -- authentication ----------------------------------------------------------------------------------


async def test_the_token_goes_as_a_bearer_on_every_call(
    drafted: SinchDraftProvider, draft: FakeDraft
) -> None:
    draft.buy(N1)
    await drafted.get(N1)
    assert [r.headers["Authorization"] for r in draft.requests] == [f"Bearer {TOKEN}"]


async def test_without_a_token_no_authorization_is_sent() -> None:
    server = FakeDraft()
    server.buy(N1)
    async with connected(server) as carrier:
        assert (await carrier.get(N1)).phone_number == N1
    assert "Authorization" not in server.requests[0].headers


async def test_a_refused_token_is_an_authentication_error_without_the_token(draft: FakeDraft) -> None:
    async with connected(draft, token="NotTheRightToken_123") as carrier:
        with pytest.raises(nc.AuthenticationError) as caught:
            await carrier.get(N1)
    assert caught.value.status_code == 401
    assert caught.value.code == "20003"
    assert "NotTheRightToken_123" not in str(caught.value) + repr(caught.value) + repr(carrier)


# -- search ----------------------------------------------------------------------------------------------


async def test_search_sends_the_documents_filters(drafted: SinchDraftProvider, draft: FakeDraft) -> None:
    draft.stock(N1, N2)
    found = await drafted.search(region="CA", locality="San Francisco", voice=True, sms=True, limit=5)
    assert [n.phone_number for n in found] == [N1, N2]
    request = sent(draft, "GET")
    assert request.url.path == "/v1/api/AvailableNumbers"
    assert dict(request.url.params) == {
        "geography.iso_country": "US",
        "type": "local",
        "geography.region": "CA",
        "geography.locality": "San Francisco",
        "capabilities.Voice.inbound_connectivity": "true",
        "capabilities.SMS.inbound_connectivity": "true",
    }


async def test_search_reads_every_field_of_an_offer(drafted: SinchDraftProvider, draft: FakeDraft) -> None:
    draft.stock(N1)
    (number,) = await drafted.search()
    assert number.provider == "sinch-draft"
    assert number.number_type is nc.NumberType.LOCAL
    assert number.capabilities.voice is True
    assert number.capabilities.mms is False
    assert number.capabilities.sms_details is not None
    assert number.capabilities.sms_details.inbound_mps == 10
    assert number.geography.rate_center == "SNFC CNTRL"
    assert number.geography.latitude == pytest.approx(37.77)
    assert number.address_requirement == "none"
    assert number.beta is False
    assert number.setup_price is None  # the draft gives no currency, and none was configured


async def test_prices_are_money_in_the_configured_currency(draft: FakeDraft) -> None:
    draft.stock(N1)
    async with connected(draft, currency="usd") as carrier:
        (number,) = await carrier.search()
    assert number.monthly_price == nc.Money(amount=Decimal("1.15"), currency="USD")
    assert number.setup_price == nc.Money(amount=Decimal("1.00"), currency="USD")


async def test_number_patterns_are_checked_on_the_results_across_pages(
    drafted: SinchDraftProvider, draft: FakeDraft
) -> None:
    draft.page_size = 2
    draft.stock(*(f"+1415555{i:04}" for i in range(6)), "+14155559999")
    found = await drafted.search(ends_with="9999", limit=1)
    assert [n.phone_number for n in found] == ["+14155559999"]
    # Followed meta.next_page_url (absolute, same origin) until one matched.
    assert [r.url.params.get("page") for r in draft.requests] == [None, "1", "2", "3"]
    assert all("ends_with" not in str(r.url) for r in draft.requests)


async def test_a_search_stops_after_a_few_pages(drafted: SinchDraftProvider, draft: FakeDraft) -> None:
    draft.page_size = 1
    draft.stock(*(f"+1415555{i:04}" for i in range(20)))
    assert await drafted.search(contains="9999") == []
    assert len(draft.requests) == 5


@pytest.mark.parametrize(
    ("criteria", "feature"),
    [
        ({"fax": True}, "search.fax"),
        ({"near_number": "+14155550100"}, "search.near_number"),
        ({"number_type": "voip"}, "number_type.voip"),
    ],
)
async def test_filters_the_draft_cannot_check_are_refused_before_any_request(
    drafted: SinchDraftProvider, draft: FakeDraft, criteria: dict[str, object], feature: str
) -> None:
    with pytest.raises(nc.UnsupportedError) as caught:
        await drafted.search(**criteria)
    assert caught.value.feature == feature
    assert draft.requests == []


async def test_a_link_to_another_host_is_not_followed(drafted: SinchDraftProvider, draft: FakeDraft) -> None:
    meta = {"next_page_url": "https://elsewhere.test/v1/api/AvailableNumbers?page=1"}
    draft.faults.append(lambda r: httpx.Response(200, json={"items": [], "meta": meta}))
    with pytest.raises(nc.ProtocolError, match="another origin"):
        await drafted.search(ends_with="1")
    assert len(draft.requests) == 1


# -- purchase ---------------------------------------------------------------------------------------------


async def test_purchase_posts_the_configuration_with_the_number_in_the_query(
    drafted: SinchDraftProvider, draft: FakeDraft
) -> None:
    draft.stock(N1)
    config = nc.NumberConfig(
        voice=nc.Route(url="https://hooks.example.com/voice", method="POST", application_id="AP123"),
        sms=nc.Route(url="https://hooks.example.com/sms"),
        status_callback=nc.Callback(url="https://hooks.example.com/status", method="GET"),
    )
    bought = await drafted.purchase(N1, config=config)
    request = sent(draft, "POST")
    assert request.url.raw_path.decode() == f"{MANY}?phoneNumber=%2B14155550101"
    assert json.loads(request.content) == {
        "status_callback_url": "https://hooks.example.com/status",
        "status_callback_method": "GET",
        "voice": {"url": "https://hooks.example.com/voice", "method": "POST", "application_sid": "AP123"},
        "sms": {"url": "https://hooks.example.com/sms"},
    }
    assert bought.status is nc.NumberStatus.ACTIVE
    assert bought.account_id == ACCOUNT
    assert bought.config.voice == nc.Route(
        url="https://hooks.example.com/voice", method="POST", fallback_method="POST", application_id="AP123"
    )
    assert bought.config.status_callback == nc.Callback(url="https://hooks.example.com/status", method="GET")
    assert N1 in draft.owned


async def test_a_purchase_with_a_name_buys_then_names(drafted: SinchDraftProvider, draft: FakeDraft) -> None:
    draft.stock(N1)
    bought = await drafted.purchase(N1, config=nc.NumberConfig(friendly_name="Support line"))
    assert bought.friendly_name == "Support line"
    assert paths(draft) == [f"GET {ONE}%2B14155550101", f"POST {MANY}", f"POST {ONE}%2B14155550101"]
    assert json.loads(draft.requests[-1].content) == {"friendlyName": "Support line"}


async def test_a_failed_naming_returns_the_bought_number(
    drafted: SinchDraftProvider, draft: FakeDraft, caplog: pytest.LogCaptureFixture
) -> None:
    draft.stock(N1)
    # The look and the purchase go through; the naming is refused.
    draft.faults.extend([lambda r: None, lambda r: None, lambda r: draft_error(400, 21000, "nope")])
    bought = await drafted.purchase(N1, config=nc.NumberConfig(friendly_name="Support line"))
    assert bought.phone_number == N1
    assert N1 in draft.owned
    assert "configuring it failed" in caplog.text


async def test_buying_an_owned_number_is_already_owned(drafted: SinchDraftProvider, draft: FakeDraft) -> None:
    draft.buy(N1)
    with pytest.raises(nc.ConflictError) as caught:
        await drafted.purchase(N1)
    assert caught.value.code == "already-owned"
    assert [r.method for r in draft.requests] == ["GET"]


async def test_a_number_not_for_sale_is_unavailable(drafted: SinchDraftProvider, draft: FakeDraft) -> None:
    with pytest.raises(nc.NumberUnavailableError) as caught:
        await drafted.purchase(N1)
    assert caught.value.code == "21452"
    assert "No phone number found" in caught.value.message


async def test_a_number_needing_an_identity_document_is_a_compliance_refusal(
    drafted: SinchDraftProvider, draft: FakeDraft
) -> None:
    draft.stock(N1)
    draft.identity_required.add(N1)
    with pytest.raises(nc.ComplianceRequiredError) as caught:
        await drafted.purchase(N1)
    assert caught.value.code == "21650"
    # "you don't have a verified identity document associated with your account": the account's.
    assert caught.value.requirement is nc.RequirementKind.IDENTITY
    assert caught.value.scope is nc.ComplianceScope.ACCOUNT
    assert N1 not in draft.owned


async def test_search_prices_are_announced_where_a_currency_says_what_they_are_in(
    drafted: SinchDraftProvider, draft: FakeDraft
) -> None:
    assert not drafted.supports(nc.Feature.SEARCH_PRICES)
    draft.stock(N1)
    async with connected(draft, currency="USD") as carrier:
        assert carrier.supports(nc.Feature.SEARCH_PRICES)
        assert not carrier.supports(nc.Feature.PRICES)
        [number] = await carrier.search(area_code="415")
    assert number.price_basis is nc.PriceBasis.OFFER
    assert number.monthly_price == nc.Money(amount=Decimal("1.15"), currency="USD")


async def test_a_purchase_whose_answer_is_lost_is_found_by_looking(
    drafted: SinchDraftProvider, draft: FakeDraft
) -> None:
    draft.stock(N1)
    draft.after_commit.append(lose)
    bought = await drafted.purchase(N1)
    assert bought.phone_number == N1
    assert [r.method for r in draft.requests] == ["GET", "POST", "GET"]  # never bought twice


async def test_a_lost_purchase_that_did_not_happen_says_buying_again_is_safe(
    drafted: SinchDraftProvider, draft: FakeDraft
) -> None:
    draft.stock(N1)
    draft.faults.extend([lambda r: None, lose])  # the look first goes through; the POST is lost
    with pytest.raises(nc.TransportError, match="buying again is safe") as caught:
        await drafted.purchase(N1)
    assert not isinstance(caught.value, nc.OutcomeUnknownError)
    assert [r.method for r in draft.requests].count("POST") == 1


async def test_a_garbled_purchase_answer_is_reconciled(drafted: SinchDraftProvider, draft: FakeDraft) -> None:
    draft.stock(N1)
    draft.after_commit.append(lambda answer: httpx.Response(200, text="<html>oops</html>"))
    assert (await drafted.purchase(N1)).phone_number == N1


async def test_purchase_any_searches_then_buys(drafted: SinchDraftProvider, draft: FakeDraft) -> None:
    draft.stock(N1, N3)
    bought = await drafted.purchase_any(area_code="628")
    assert bought.phone_number == N3


# -- one number -------------------------------------------------------------------------------------------


async def test_get_uses_the_plural_path_with_pn(drafted: SinchDraftProvider, draft: FakeDraft) -> None:
    draft.buy(N1)
    number = await drafted.get(N1)
    assert number.id == N1
    assert number.friendly_name == N1
    assert paths(draft) == [f"GET {ONE}%2B14155550101"]


async def test_get_of_a_number_not_owned_is_not_found(drafted: SinchDraftProvider) -> None:
    with pytest.raises(nc.NotFoundError) as caught:
        await drafted.get(N1)
    assert caught.value.status_code == 404
    assert caught.value.code == "20404"


async def test_configure_sends_only_what_is_set(drafted: SinchDraftProvider, draft: FakeDraft) -> None:
    draft.buy(
        N1, {"voice": {"url": "https://old.example.com/v", "fallback_url": "https://old.example.com/f"}}
    )
    changed = await drafted.configure(
        N1,
        nc.NumberConfig(
            friendly_name="Sales",
            voice=nc.Route(url="https://new.example.com/v"),
            status_callback=nc.Callback(url="https://new.example.com/s"),
        ),
    )
    assert json.loads(sent(draft, "POST").content) == {
        "friendlyName": "Sales",
        "configuration": {
            "status_callback_url": "https://new.example.com/s",
            "voice": {"url": "https://new.example.com/v"},
        },
        # The document has the status callback twice: both are said.
        "statusCallback": "https://new.example.com/s",
    }
    assert changed.friendly_name == "Sales"
    assert changed.config.voice is not None
    assert changed.config.voice.fallback_url == "https://old.example.com/f"  # untouched
    assert str(changed.config.voice.url) == "https://new.example.com/v"


async def test_clearing_a_route_sends_nulls(drafted: SinchDraftProvider, draft: FakeDraft) -> None:
    draft.buy(N1, {"sms": {"url": "https://old.example.com/s", "application_sid": "AP1"}})
    changed = await drafted.configure(N1, nc.NumberConfig(sms=None))
    assert json.loads(sent(draft, "POST").content) == {
        "configuration": {"sms": {"url": None, "application_sid": None}}
    }
    assert changed.config.sms == nc.Route(method="POST")


@pytest.mark.parametrize(
    ("config", "field"),
    [
        (nc.NumberConfig(friendly_name="x" * 65), "config.friendly_name"),
        (nc.NumberConfig(sms=nc.Route(fallback_url="https://f.example.com")), "config.sms"),
    ],
)
async def test_configs_the_draft_cannot_take_are_refused_before_any_request(
    drafted: SinchDraftProvider, draft: FakeDraft, config: nc.NumberConfig, field: str
) -> None:
    with pytest.raises((nc.InvalidInputError, nc.UnsupportedError)) as caught:
        await drafted.configure(N1, config)
    assert field in str(caught.value)
    assert draft.requests == []


async def test_emergency_addresses_are_unsupported(drafted: SinchDraftProvider, draft: FakeDraft) -> None:
    with pytest.raises(nc.UnsupportedError):
        await drafted.configure(N1, nc.NumberConfig(emergency_address_id="AD1"))
    assert draft.requests == []


async def test_a_garbled_configure_answer_is_read_again(
    drafted: SinchDraftProvider, draft: FakeDraft
) -> None:
    draft.buy(N1)
    draft.after_commit.append(lambda answer: httpx.Response(200, text="{"))
    changed = await drafted.configure(N1, nc.NumberConfig(friendly_name="Sales"))
    assert changed.friendly_name == "Sales"


async def test_release_deletes_the_number(drafted: SinchDraftProvider, draft: FakeDraft) -> None:
    draft.buy(N1)
    await drafted.release(N1)
    assert paths(draft) == [f"DELETE {ONE}%2B14155550101"]
    assert N1 not in draft.owned


async def test_release_of_a_number_not_owned_is_not_found(drafted: SinchDraftProvider) -> None:
    with pytest.raises(nc.NotFoundError, match="not a number of this account"):
        await drafted.release(N1)


async def test_a_release_whose_answer_is_lost_is_checked(
    drafted: SinchDraftProvider, draft: FakeDraft
) -> None:
    draft.buy(N1)
    draft.after_commit.append(lose)
    await drafted.release(N1)  # the number is gone: released
    assert [r.method for r in draft.requests] == ["DELETE", "GET"]


async def test_a_release_lost_before_it_happened_is_looked_up_then_sent_again(
    drafted: SinchDraftProvider, draft: FakeDraft
) -> None:
    draft.buy(N1)

    def drop(request: httpx.Request) -> None:
        raise httpx.ReadError("reset before the server read it")

    draft.faults.append(drop)
    await drafted.release(N1)
    assert [r.method for r in draft.requests] == ["DELETE", "GET", "DELETE"]
    assert N1 not in draft.owned


async def test_a_release_that_keeps_failing_says_releasing_again_is_safe(
    drafted: SinchDraftProvider, draft: FakeDraft
) -> None:
    draft.buy(N1)

    def drop(request: httpx.Request) -> None:
        raise httpx.ReadError("reset")

    draft.faults.extend([drop, lambda r: None] * 3)  # every DELETE dropped, every look-up answered
    with pytest.raises(nc.TransportError, match="releasing again is safe"):
        await drafted.release(N1)
    assert N1 in draft.owned


# -- listing -----------------------------------------------------------------------------------------------


async def test_list_follows_meta_next_page_url(drafted: SinchDraftProvider, draft: FakeDraft) -> None:
    draft.page_size = 2
    for number in (N1, N2, N3):
        draft.buy(number)
    listed = [n.phone_number async for n in drafted.list()]
    assert listed == [N1, N2, N3]
    assert [r.url.params.get("page") for r in draft.requests] == [None, "1"]


async def test_list_by_country_is_sent_and_the_rest_applied_here(
    drafted: SinchDraftProvider, draft: FakeDraft
) -> None:
    for number in (N1, N2, N3):
        draft.buy(number)
    listed = [n.phone_number async for n in drafted.list(country="US", contains="628")]
    assert listed == [N3]
    assert dict(draft.requests[0].url.params) == {"geography.iso_country": "US"}


async def test_a_list_page_that_is_not_a_page_is_a_protocol_error(
    drafted: SinchDraftProvider, draft: FakeDraft
) -> None:
    draft.faults.append(lambda r: httpx.Response(200, json={"items": {"phone_number": N1}}))
    with pytest.raises(nc.ProtocolError, match="items: expected a list"):
        [n async for n in drafted.list()]


async def test_rate_limits_and_outages_are_retried_for_reads(
    drafted: SinchDraftProvider, draft: FakeDraft
) -> None:
    draft.buy(N1)
    draft.faults.extend(
        [
            lambda r: httpx.Response(429, headers={"Retry-After": "1"}),
            lambda r: draft_error(503, 20500, "down"),
        ]
    )
    assert (await drafted.get(N1)).phone_number == N1
    assert len(draft.requests) == 3


async def test_no_log_line_holds_the_token(draft: FakeDraft, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    draft.stock(N1)
    async with connected(draft) as carrier:
        await carrier.purchase(N1)
        assert TOKEN not in repr(carrier) + repr(carrier.settings)
    assert caplog.records
    assert TOKEN not in caplog.text
    assert BASE_URL.split("//")[1] in caplog.text  # the requests were logged, the token was not
