"""The Sinch adapter against the fake Numbers API: every operation, its errors and its wire."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import anyio
import httpx
import numbers_core as nc
import pytest
from numbers_core.providers.sinch import SinchProvider
from sinch_fake import KEY_SECRET, PROJECT, ROOT, FakeSinch, connected, not_found, sinch_error

pytestmark = pytest.mark.anyio

N1, N2, N3 = "+12025550101", "+12025550102", "+12065550103"


def api(fake: FakeSinch) -> list[httpx.Request]:
    return [r for r in fake.requests if r.url.host != "auth.sinch.com"]


def last(fake: FakeSinch, suffix: str) -> httpx.Request:
    return next(r for r in reversed(fake.requests) if r.url.raw_path.decode().split("?")[0].endswith(suffix))


# -- OAuth2 -------------------------------------------------------------------------------------------


async def test_one_token_for_many_calls_sent_as_bearer(sinch: SinchProvider, fake: FakeSinch) -> None:
    fake.rent(N1)
    await sinch.get(N1)
    await sinch.get(N1)
    assert fake.token_requests == 1
    assert all(r.headers["Authorization"].startswith("Bearer tok-1-") for r in api(fake))


async def test_200_concurrent_operations_over_an_expired_token_fetch_one_token(
    sinch: SinchProvider, fake: FakeSinch, clock: object
) -> None:
    fake.rent(N1)
    await sinch.get(N1)
    clock.now += 3600  # type: ignore[attr-defined]
    got: list[str] = []

    async def one() -> None:
        got.append((await sinch.get(N1)).phone_number)

    async with anyio.create_task_group() as tg:
        for _ in range(200):
            tg.start_soon(one)
    assert got == [N1] * 200
    assert fake.token_requests == 2  # the first, and exactly one for the 200


async def test_the_token_is_renewed_ahead_of_expires_in(
    sinch: SinchProvider, fake: FakeSinch, clock: object
) -> None:
    fake.rent(N1)
    await sinch.get(N1)
    clock.now += 3599 - 30  # type: ignore[attr-defined]
    await sinch.get(N1)
    assert fake.token_requests == 2
    assert not any(answer.status_code == 401 for _, answer in fake.answers)


async def test_an_expired_token_refused_is_renewed_once_and_the_call_sent_again(
    sinch: SinchProvider, fake: FakeSinch
) -> None:
    fake.rent(N1)
    await sinch.get(N1)
    fake.tokens.clear()  # revoked on Sinch's side before its time
    assert (await sinch.get(N1)).phone_number == N1
    assert fake.token_requests == 2
    statuses = [answer.status_code for _, answer in fake.answers]
    # Refused, the token, the number; then its emergency address, which it has none of.
    assert statuses[-4:] == [401, 200, 200, 404]


async def test_a_429_on_the_token_endpoint_honours_retry_after(
    sinch: SinchProvider, fake: FakeSinch, sleeps: list[float]
) -> None:
    fake.rent(N1)
    fake.faults.append(
        lambda r: httpx.Response(429, headers={"Retry-After": "7"}, json={"error": "slow_down"})
    )
    assert (await sinch.get(N1)).phone_number == N1
    assert sleeps == [7.0]


async def test_bad_credentials_are_an_authentication_error(fake: FakeSinch) -> None:
    async with connected(fake, key_secret="WrongSecretValue123") as carrier:
        with pytest.raises(nc.AuthenticationError, match="bad credentials"):
            await carrier.get(N1)
    assert [r.url.host for r in fake.requests] == ["auth.sinch.com"]


async def test_basic_auth_sends_the_key_on_every_call(fake: FakeSinch) -> None:
    fake.rent(N1)
    async with connected(fake, auth="basic") as carrier:
        await carrier.get(N1)
    assert fake.token_requests == 0
    assert fake.requests[0].headers["Authorization"].startswith("Basic ")


# -- search -----------------------------------------------------------------------------------------


async def test_search_sends_region_type_one_pattern_and_capabilities(
    sinch: SinchProvider, fake: FakeSinch
) -> None:
    fake.stock(N1, N2, N3)
    found = await sinch.search(area_code="202", sms=True, voice=True, limit=5)
    assert [n.phone_number for n in found] == [N1, N2]
    assert found[0].monthly_price == nc.Money(amount=Decimal("2.00"), currency="USD")
    assert found[0].capabilities == nc.Capabilities(voice=True, sms=True)
    assert found[0].geography.iso_country == "US"
    sent = last(fake, "/availableNumbers")
    assert sent.url.params.get_list("capabilities") == ["VOICE", "SMS"]
    assert dict(sent.url.params) | {"capabilities": "x"} == {
        "regionCode": "US",
        "type": "LOCAL",
        "numberPattern.pattern": "+1202",
        "numberPattern.searchPattern": "START",
        "capabilities": "x",
        "size": "5",
    }
    assert "numberPattern.pattern=%2B1202" in sent.url.raw_path.decode()


async def test_only_one_pattern_goes_on_the_wire_the_rest_is_checked_here(
    sinch: SinchProvider, fake: FakeSinch
) -> None:
    fake.stock(N1, N2, "+12025550112")
    found = await sinch.search(area_code="202", ends_with="02", limit=5)
    assert [n.phone_number for n in found] == [N2]
    sent = last(fake, "/availableNumbers")
    assert sent.url.params["numberPattern.searchPattern"] == "START"
    assert sent.url.params["size"] == "100"
    await sinch.search(contains="55501*1", limit=5)
    assert last(fake, "/availableNumbers").url.params["numberPattern.pattern"] == "55501"
    assert last(fake, "/availableNumbers").url.params["size"] == "100"
    await sinch.search(contains="55501", limit=5)  # sent whole: no more than asked for
    assert last(fake, "/availableNumbers").url.params["size"] == "5"


@pytest.mark.parametrize(
    "criteria",
    [{"mms": True}, {"fax": True}, {"region": "CA"}, {"postal_code": "94105"}, {"number_type": "voip"}],
)
async def test_what_sinch_cannot_filter_is_refused_before_any_request(
    sinch: SinchProvider, fake: FakeSinch, criteria: dict[str, object]
) -> None:
    with pytest.raises(nc.UnsupportedError):
        await sinch.search(area_code="202", **criteria)
    assert fake.requests == []


# -- purchase ---------------------------------------------------------------------------------------


async def test_rent_with_a_service_plan_is_pending_until_provisioned(
    sinch: SinchProvider, fake: FakeSinch
) -> None:
    fake.stock(N1)
    fake.settle_reads = 2
    config = nc.NumberConfig(sms=nc.Route(application_id="plan-1"), voice=nc.Route(application_id="app-1"))
    bought = await sinch.purchase(N1, config=config)
    assert bought.status is nc.NumberStatus.PENDING
    assert {(p.part, p.state, p.target, p.status) for p in bought.provisioning} == {
        ("sms", "pending", "plan-1", "WAITING"),
        ("voice", "pending", "app-1", "WAITING"),
    }
    assert bought.config.sms is None  # not the number's yet
    rent = last(fake, ":rent")
    assert json.loads(rent.content) == {
        "smsConfiguration": {"servicePlanId": "plan-1"},
        "voiceConfiguration": {"type": "RTC", "appId": "app-1"},
    }
    assert rent.url.raw_path.decode() == f"{ROOT}/availableNumbers/%2B12025550101:rent"
    done = await sinch.wait_provisioned(N1, interval=1)
    assert done.status is nc.NumberStatus.ACTIVE
    assert done.provisioning == ()
    assert done.config.sms == nc.Route(application_id="plan-1")
    assert done.config.voice == nc.Route(application_id="app-1")


async def test_a_failed_provisioning_shows_sinchs_codes(sinch: SinchProvider, fake: FakeSinch) -> None:
    fake.stock(N1)
    await sinch.purchase(N1, config=nc.NumberConfig(sms=nc.Route(application_id="fail-plan")))
    number = await sinch.wait_provisioned(N1, interval=1)
    assert number.status is nc.NumberStatus.ACTIVE  # rented (and billed) all the same
    [part] = number.provisioning
    assert (part.part, part.state, part.status, part.error_codes) == (
        "sms",
        "failed",
        "FAILED",
        ("SMS_PROVISIONING_FAILED",),
    )


async def test_a_name_given_with_a_purchase_is_set_by_an_update_after_the_rent(
    sinch: SinchProvider, fake: FakeSinch
) -> None:
    fake.stock(N1)
    bought = await sinch.purchase(N1, config=nc.NumberConfig(friendly_name="Support"))
    assert bought.friendly_name == "Support"
    assert json.loads(last(fake, ":rent").content) == {}
    assert json.loads(last(fake, "%2B12025550101").content) == {"displayName": "Support"}


async def test_a_number_the_project_rents_is_not_rented_again(sinch: SinchProvider, fake: FakeSinch) -> None:
    fake.rent(N1)
    with pytest.raises(nc.ConflictError) as raised:
        await sinch.purchase(N1)
    assert raised.value.code == "already-owned"
    assert not any(r.url.raw_path.decode().endswith(":rent") for r in fake.requests)


async def test_a_number_not_for_sale_is_unavailable(sinch: SinchProvider, fake: FakeSinch) -> None:
    with pytest.raises(nc.NumberUnavailableError, match="AvailableNumber"):
        await sinch.purchase(N1)


async def test_a_lost_rent_answer_is_reconciled_never_resent(sinch: SinchProvider, fake: FakeSinch) -> None:
    fake.stock(N1)

    def lose(answer: httpx.Response) -> httpx.Response:
        raise httpx.ReadError("reset after sending")

    fake.after_commit.append(lose)
    bought = await sinch.purchase(N1)
    assert bought.phone_number == N1
    assert len([r for r in fake.requests if r.url.raw_path.decode().endswith(":rent")]) == 1


async def test_a_garbled_rent_answer_whose_look_up_fails_is_an_unknown_outcome(
    sinch: SinchProvider, fake: FakeSinch
) -> None:
    fake.stock(N1)

    def garble(answer: httpx.Response) -> httpx.Response:
        fake.faults.extend([lambda r: sinch_error(503, "UNAVAILABLE")] * 10)
        return httpx.Response(200, content=b"<html>gateway</html>")

    fake.after_commit.append(garble)
    with pytest.raises(nc.OutcomeUnknownError) as raised:
        await sinch.purchase(N1)
    assert raised.value.number == N1


async def test_purchase_any_rents_any_us_number_natively(sinch: SinchProvider, fake: FakeSinch) -> None:
    fake.stock(N1, N3)
    bought = await sinch.purchase_any(area_code="206", sms=True)
    assert bought.phone_number == N3
    rent_any = last(fake, ":rentAny")
    assert json.loads(rent_any.content) == {
        "regionCode": "US",
        "type": "LOCAL",
        "numberPattern": {"pattern": "+1206", "searchPattern": "START"},
        "capabilities": ["SMS"],
    }
    assert not any(r.url.path.endswith("/availableNumbers") for r in fake.requests)


async def test_a_rent_any_answered_with_a_number_off_the_query_is_an_unknown_outcome(
    sinch: SinchProvider, fake: FakeSinch
) -> None:
    # Sinch rented a number: the one its answer names (which does not match), or another.
    fake.stock(N3)

    def elsewhere(answer: httpx.Response) -> httpx.Response:
        return httpx.Response(200, json={**answer.json(), "phoneNumber": N1})

    fake.after_commit.append(elsewhere)
    with pytest.raises(nc.OutcomeUnknownError) as raised:
        await sinch.purchase_any(area_code="206")
    assert (raised.value.operation, raised.value.number, raised.value.numbers) == ("purchase", N1, (N1,))
    assert "does not match" in str(raised.value)


async def test_purchase_any_elsewhere_searches_then_rents(sinch: SinchProvider, fake: FakeSinch) -> None:
    fake.stock("+46701234567", region="SE", kind="MOBILE")
    bought = await sinch.purchase_any(country="SE", number_type="mobile", contains="1234")
    assert bought.phone_number == "+46701234567"
    assert not any(r.url.raw_path.decode().endswith(":rentAny") for r in fake.requests)


# -- configure, release, list -----------------------------------------------------------------------


async def test_configure_maps_the_neutral_fields_and_unlinks_with_empty_strings(
    sinch: SinchProvider, fake: FakeSinch
) -> None:
    fake.rent(N1)
    config = nc.NumberConfig(
        friendly_name="Sales",
        sms=nc.Route(application_id="plan-9"),
        status_callback=nc.Callback(url="https://example.com/events"),
        extra={"sinch": {"campaignId": "C123", "voiceConfiguration": {"type": "EST", "trunkId": "trunk-1"}}},
    )
    number = await sinch.configure(N1, config)
    assert json.loads(last(fake, "%2B12025550101").content) == {
        "displayName": "Sales",
        "smsConfiguration": {"servicePlanId": "plan-9", "campaignId": "C123"},
        "voiceConfiguration": {"type": "EST", "trunkId": "trunk-1"},
        "callbackUrl": "https://example.com/events",
    }
    assert number.friendly_name == "Sales"
    assert number.config.status_callback == nc.Callback(url="https://example.com/events")
    settled = await sinch.wait_provisioned(N1, interval=1)
    assert settled.config.extra == {
        "sinch": {"campaignId": "C123", "voiceConfiguration": {"type": "EST", "trunkId": "trunk-1"}}
    }
    await sinch.configure(N1, nc.NumberConfig(friendly_name=None, sms=nc.Route(application_id=None)))
    assert json.loads(last(fake, "%2B12025550101").content) == {
        "displayName": "",
        "smsConfiguration": {"servicePlanId": ""},
    }


@pytest.mark.parametrize(
    ("config", "error"),
    [
        (nc.NumberConfig(voice=nc.Route(url="https://example.com/voice")), nc.UnsupportedError),
        (nc.NumberConfig(sms=nc.Route(url="https://example.com/sms")), nc.UnsupportedError),
        (nc.NumberConfig(extra={"sinch": {"campaignId": "C1"}}), nc.InvalidInputError),
        (nc.NumberConfig(extra={"sinch": {"voiceConfiguration": {"type": "SIP"}}}), nc.InvalidInputError),
        (nc.NumberConfig(extra={"kazoo": {}}), nc.InvalidInputError),
        (
            nc.NumberConfig(
                voice=nc.Route(application_id="a"),
                extra={"sinch": {"voiceConfiguration": {"type": "FAX", "serviceId": "f"}}},
            ),
            nc.InvalidInputError,
        ),
        (
            nc.NumberConfig(status_callback=nc.Callback(url="https://e.com/x", method="GET")),
            nc.InvalidInputError,
        ),
    ],
)
async def test_configuration_sinch_cannot_take_is_refused_before_any_request(
    sinch: SinchProvider, fake: FakeSinch, config: nc.NumberConfig, error: type[Exception]
) -> None:
    with pytest.raises(error):
        await sinch.configure(N1, config)
    assert fake.requests == []


async def test_release_keeps_the_number_until_its_paid_period_ends(
    sinch: SinchProvider, fake: FakeSinch
) -> None:
    doc = fake.rent(N1)
    await sinch.release(N1)
    assert last(fake, ":release").method == "POST"
    released = await sinch.get(N1)
    assert released.status is nc.NumberStatus.RELEASING
    assert released.expires_at is not None
    assert released.expires_at.isoformat().startswith(doc["nextChargeDate"][:19])
    with pytest.raises(nc.NotFoundError, match="released already"):
        await sinch.release(N1)
    with pytest.raises(nc.NotFoundError):
        await sinch.release(N2)


async def test_a_lost_release_answer_is_checked_by_reading_the_number(
    sinch: SinchProvider, fake: FakeSinch
) -> None:
    fake.rent(N1)
    original = fake._release

    def release_then_lose(number: str) -> httpx.Response:
        original(number)
        raise httpx.ReadError("reset")

    fake._release = release_then_lose  # type: ignore[method-assign]
    await sinch.release(N1)
    assert fake.rented[N1]["expireAt"] is not None
    assert len([r for r in fake.requests if r.url.raw_path.decode().endswith(":release")]) == 1


async def test_list_pages_with_page_tokens_and_sends_filters_sinch_has(
    sinch: SinchProvider, fake: FakeSinch, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("numbers_core.providers.sinch._provider._PAGE_SIZE", 2)
    for i in range(5):
        fake.rent(f"+1202555020{i}")
    fake.rent("+46701234567", regionCode="SE", type="MOBILE")
    listed = [n.phone_number async for n in sinch.list()]
    assert len(listed) == 6
    pages = [r for r in fake.requests if r.url.path.endswith("/activeNumbers")]
    assert [r.url.params.get("pageToken") for r in pages] == [None, "2", "4"]
    assert "regionCode" not in pages[0].url.params  # every number, whatever its country
    swedish = [n.phone_number async for n in sinch.list(country="SE", number_type="mobile")]
    assert swedish == ["+46701234567"]
    assert dict(last(fake, "/activeNumbers").url.params) == {
        "pageSize": "2",
        "regionCode": "SE",
        "type": "MOBILE",
    }
    assert [n.phone_number async for n in sinch.list(contains="0203")] == ["+12025550203"]


# -- errors -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "expected", "text"),
    [
        (
            sinch_error(400, "INVALID_ARGUMENT", 'parsing field "type": "XXX" is not a valid value'),
            nc.ProviderError,
            "not a valid value",
        ),
        (
            sinch_error(
                400,
                "INVALID_ARGUMENT",
                "",
                [
                    {
                        "type": "BadRequest",
                        "fieldViolations": [{"field": "displayName", "description": "too long"}],
                    }
                ],
            ),
            nc.ProviderError,
            "displayName: too long",
        ),
        (
            sinch_error(403, "PERMISSION_DENIED", "Trial account is not enabled to rent number"),
            nc.PermissionDeniedError,
            "Trial",
        ),
        (not_found("ActiveNumber", N1), nc.NotFoundError, f"ActiveNumber {N1}"),
        (sinch_error(409, "ALREADY_EXISTS"), nc.ConflictError, "already exists"),
        (sinch_error(400, "SOME_NEW_STATUS", ""), nc.ProviderError, "some new status"),
        (sinch_error(500, "INTERNAL"), nc.ProviderUnavailableError, "internal"),
        (httpx.Response(502, text="<html>bad gateway</html>"), nc.ProviderUnavailableError, "Bad Gateway"),
    ],
)
async def test_errors_are_mapped_with_a_readable_message(
    sinch: SinchProvider, fake: FakeSinch, answer: httpx.Response, expected: type, text: str
) -> None:
    fake.faults.extend([lambda r: None] + [lambda r: answer] * 10)
    with pytest.raises(expected, match=re.escape(text)) as raised:
        await sinch.get(N1)
    assert KEY_SECRET not in str(raised.value)


@pytest.mark.parametrize(
    "body",
    [
        {"phoneNumber": 12},
        {"phoneNumber": N1, "voiceConfiguration": {"lastUpdatedTime": 5}},
        {"phoneNumber": N1, "capability": "SMS"},
        {"phoneNumber": N1, "expireAt": "soon"},
        {"phoneNumber": N1, "smsConfiguration": {"scheduledProvisioning": {"errorCodes": "X"}}},
        {"phoneNumber": N1, "regionCode": "USA"},
        [],
    ],
)
async def test_garbage_answers_are_protocol_errors(
    sinch: SinchProvider, fake: FakeSinch, body: object
) -> None:
    fake.faults.extend([lambda r: None, lambda r: httpx.Response(200, json=body)])
    with pytest.raises(nc.ProtocolError):
        await sinch.get(N1)


async def test_unknown_enum_values_are_accepted(sinch: SinchProvider, fake: FakeSinch) -> None:
    doc = fake.rent(N1)
    doc = {**doc, "type": "SHORT_CODE"}
    doc["smsConfiguration"] = {
        "servicePlanId": "",
        "scheduledProvisioning": {"servicePlanId": "p", "status": "IN_REVIEW", "errorCodes": ["NEW_CODE"]},
    }
    # Outside today's document (new values), so answered as a fault, not by the checked fake.
    fake.faults.extend([lambda r: None, lambda r: httpx.Response(200, json=doc)])
    number = await sinch.get(N1)
    assert number.number_type is nc.NumberType.UNKNOWN
    assert number.status is nc.NumberStatus.PENDING
    assert number.provisioning[0].error_codes == ("NEW_CODE",)


async def test_every_call_is_under_the_project(sinch: SinchProvider, fake: FakeSinch) -> None:
    fake.stock(N1)
    await sinch.search(area_code="202")
    await sinch.purchase(N1)
    await sinch.release(N1)
    paths = [r.url.raw_path.decode() for r in api(fake)]
    assert len(paths) >= 4
    assert all(path.startswith(f"/v1/projects/{PROJECT}/") for path in paths)
