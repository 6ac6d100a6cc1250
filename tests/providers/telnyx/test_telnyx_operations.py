"""The Telnyx adapter on the wire, against the Telnyx emulator in process (requests checked against
Telnyx's OpenAPI document by the fixtures), with answers lost, garbled or scripted where a test says."""

from __future__ import annotations

import json

import anyio
import httpx
import numbers_core as nc
import pytest
from numbers_core.emulator import Emulator
from numbers_core.sandbox import APPROVED_BUNDLE
from telnyx_wire import Wire

pytestmark = pytest.mark.anyio


def lose(response: httpx.Response) -> httpx.Response:
    raise httpx.ReadError("connection reset after Telnyx acted")


def garble(response: httpx.Response) -> httpx.Response:
    return httpx.Response(200, content=b"<html>502</html>", headers={"Content-Type": "text/html"})


def refuse(status: int, code: str, detail: str, **headers: str) -> httpx.Response:
    body = {
        "errors": [
            {"code": code, "title": "Error", "detail": detail, "source": {"pointer": "/phone_numbers"}}
        ]
    }
    return httpx.Response(status, json=body, headers=headers)


async def first(carrier: nc.Provider, **criteria: object) -> nc.AvailableNumber:
    [number] = await carrier.search(limit=1, **{"area_code": "415", **criteria})
    return number


# -- search ---------------------------------------------------------------------------------------


async def test_search_sends_telnyx_filters_and_reads_prices_as_offers(
    telnyx: nc.Provider, wire: Wire
) -> None:
    found = await telnyx.search(area_code="415", starts_with="4155", sms=True, voice=True, limit=3)
    assert 1 <= len(found) <= 3
    for number in found:
        assert number.phone_number.startswith("+14155")
        assert number.price_basis is nc.PriceBasis.OFFER
        assert number.monthly_price is not None
        assert number.monthly_price.currency == "USD"
        assert number.capabilities.sms
        assert number.capabilities.voice
        assert number.geography.iso_country == "US"
    [sent] = wire.sent("GET", "available_phone_numbers")
    params = dict(sent.url.params)
    assert params["filter[national_destination_code]"] == "415"
    # With an NDC, Telnyx's patterns leave it out.
    assert params["filter[phone_number][starts_with]"] == "5"
    assert params["filter[features]"] == "voice,sms"
    assert params["filter[country_code]"] == "US"
    assert params["filter[phone_number_type]"] == "local"


async def test_a_wildcard_is_not_sent_and_is_checked_on_the_results(telnyx: nc.Provider, wire: Wire) -> None:
    found = await telnyx.search(contains="55*1", limit=5)
    assert all("55" in n.phone_number for n in found)
    [sent] = wire.sent("GET", "available_phone_numbers")
    assert sent.url.params["filter[phone_number][contains]"] == "55"
    assert "*" not in str(sent.url)


async def test_filters_telnyx_cannot_apply_are_refused_before_any_request(
    telnyx: nc.Provider, wire: Wire
) -> None:
    for criteria in ({"postal_code": "94105"}, {"lata": "722"}, {"near_number": "+14155550100"}):
        with pytest.raises(nc.UnsupportedError):
            await telnyx.search(**criteria)
    with pytest.raises(nc.UnsupportedError):
        await telnyx.search(number_type="premium_rate")
    assert wire.requests == []


async def test_an_unrelated_answer_to_a_search_is_filtered_here(telnyx: nc.Provider, wire: Wire) -> None:
    # What Telnyx does with a filter it ignores: 200, with numbers from anywhere.
    def anywhere(request: httpx.Request) -> httpx.Response:
        numbers = ["+12125550100", "+14155550111"]
        return httpx.Response(
            200,
            json={"data": [{"phone_number": n, "cost_information": None} for n in numbers], "meta": None},
        )

    wire.script.append(anywhere)
    found = await telnyx.search(area_code="415", region="CA")
    assert [n.phone_number for n in found] == ["+14155550111"]


# -- purchase -----------------------------------------------------------------------------------------


async def test_a_purchase_is_one_order_and_one_look_up(telnyx: nc.Provider, wire: Wire) -> None:
    offer = await first(telnyx)
    wire.requests.clear()
    bought = await telnyx.purchase(
        offer, config=nc.NumberConfig(voice=nc.Route(application_id="1293384261075731499"))
    )
    assert bought.status is nc.NumberStatus.ACTIVE
    assert bought.id.isdigit()
    assert bought.config.voice is not None
    assert bought.config.voice.application_id == "1293384261075731499"
    [order] = wire.sent("POST", "number_orders")
    body = json.loads(order.content)
    assert body["phone_numbers"] == [{"phone_number": offer.phone_number}]
    assert body["customer_reference"].startswith("nc-")
    assert body["connection_id"] == "1293384261075731499"
    assert len(wire.requests) == 2  # the order, and the look-up that gives the number's id
    assert (await telnyx.get(offer)).id == bought.id


async def test_the_emulator_looks_one_number_up_without_reading_the_whole_account(
    telnyx: nc.Provider, emulator: Emulator, request: pytest.FixtureRequest
) -> None:
    # Before, each look-up read every number of the account: a bulk job's purchases (an order
    # and a look-up each) took time that grew with the square of their count.
    offers = await telnyx.search(area_code="415", limit=20)
    for offer in offers:
        await telnyx.purchase(offer)
    read = request.getfixturevalue("rows_read")  # counted from here
    assert (await telnyx.get(offers[7])).phone_number == offers[7].phone_number
    assert read() == 1
    # More digits than a number has match none (the store takes no such pattern).
    key = emulator.client_settings()["api_key"]
    async with httpx.AsyncClient(transport=emulator.transport(), base_url="http://127.0.0.1") as http:
        answer = await http.get(
            "/v2/phone_numbers",
            params={"filter[phone_number]": "1" * 20},
            headers={"Authorization": f"Bearer {key}"},
        )
    assert answer.status_code == 200
    assert answer.json()["data"] == []


async def test_a_lost_order_answer_is_settled_without_a_second_order(
    telnyx: nc.Provider, wire: Wire, emulator: Emulator
) -> None:
    offer = await first(telnyx)
    wire.script.append(lambda request: None)
    wire.after.append(lose)
    bought = await telnyx.purchase(offer)
    assert bought.phone_number == offer.phone_number
    assert bought.status is nc.NumberStatus.ACTIVE
    assert len(wire.sent("POST", "number_orders")) == 1  # orders sent per lost answer: 1
    [looked] = wire.sent("GET", "number_orders")
    assert looked.url.params["filter[customer_reference]"].startswith("nc-")
    assert len(emulator.dialect.orders) == 1


async def test_a_garbled_order_answer_is_settled_by_the_order(telnyx: nc.Provider, wire: Wire) -> None:
    offer = await first(telnyx)
    wire.after.append(garble)
    bought = await telnyx.purchase(offer)
    assert bought.phone_number == offer.phone_number
    assert len(wire.sent("POST", "number_orders")) == 1


async def test_an_order_lost_before_telnyx_took_it_is_safe_to_send_again(
    telnyx: nc.Provider, wire: Wire
) -> None:
    offer = await first(telnyx)

    def cut(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadError("reset before the carrier read it")

    wire.script.append(cut)
    with pytest.raises(nc.TransportError) as failed:
        await telnyx.purchase(offer)
    assert not isinstance(failed.value, nc.OutcomeUnknownError)
    assert "buying again is safe" in str(failed.value)
    assert (await telnyx.purchase(offer)).phone_number == offer.phone_number


async def test_an_order_whose_outcome_nothing_can_tell_is_unknown(telnyx: nc.Provider, wire: Wire) -> None:
    offer = await first(telnyx)
    wire.after.append(lose)
    outage = refuse(503, "10007", "Unexpected error")
    wire.script += [lambda r: None, *[lambda r: outage] * 10]
    with pytest.raises(nc.OutcomeUnknownError) as unknown:
        await telnyx.purchase(offer)
    assert unknown.value.number == offer.phone_number
    assert len(wire.sent("POST", "number_orders")) == 1


@pytest.mark.parametrize(("status", "code"), [(409, "85001"), (400, "10015")])
async def test_a_number_no_longer_available_is_unavailable_or_already_owned(
    telnyx: nc.Provider, wire: Wire, status: int, code: str
) -> None:
    offer = await first(telnyx)
    wire.script.append(lambda request: refuse(status, code, "Number is no longer available."))
    with pytest.raises(nc.NumberUnavailableError) as taken:
        await telnyx.purchase(offer)
    assert taken.value.code == code
    await telnyx.purchase(offer)
    with pytest.raises(nc.ConflictError) as mine:
        await telnyx.purchase(offer)
    assert mine.value.code == "already-owned"


@pytest.mark.parametrize(
    ("status", "code", "error"),
    [
        (401, "10009", nc.AuthenticationError),
        (402, "20100", nc.PaymentRequiredError),
        (403, "10010", nc.PermissionDeniedError),
        (404, "10005", nc.NotFoundError),
        (422, "10015", nc.ProviderError),
    ],
)
async def test_errors_map_to_the_tree_with_code_detail_and_request_id(
    telnyx: nc.Provider, wire: Wire, status: int, code: str, error: type[nc.ProviderError]
) -> None:
    wire.script.append(lambda request: refuse(status, code, "Telnyx says no.", **{"x-request-id": "req-42"}))
    with pytest.raises(error) as refused:
        await telnyx.search(area_code="415")
    assert refused.value.code == code
    assert refused.value.request_id == "req-42"
    assert "Telnyx says no. (/phone_numbers)" in refused.value.message


async def test_a_rate_limit_is_waited_out_by_telnyx_reset_header(
    telnyx: nc.Provider, wire: Wire, sleeps: list[float]
) -> None:
    wire.script.append(
        lambda request: refuse(429, "10011", "Too many requests", **{"x-ratelimit-reset": "3"})
    )
    assert await telnyx.search(area_code="415", limit=1)
    assert sleeps == [3.0]


async def test_an_answer_that_is_not_json_is_mapped_by_status(telnyx: nc.Provider, wire: Wire) -> None:
    wire.script.append(lambda request: httpx.Response(401, text="<html>no</html>"))
    with pytest.raises(nc.AuthenticationError):
        await telnyx.get("+14155550100")


async def test_an_order_settles_later_and_wait_provisioned_follows_it(
    telnyx: nc.Provider, emulator: Emulator
) -> None:
    dialect = emulator.dialect
    now = [1_900_000_000.0]
    dialect.clock = lambda: now[0]  # type: ignore[attr-defined]
    dialect.settle_delay = 1.5  # type: ignore[attr-defined]
    offer = await first(telnyx)
    bought = await telnyx.purchase(offer)
    assert bought.status is nc.NumberStatus.PENDING
    [part] = bought.provisioning
    assert (part.part, part.state, part.status) == ("purchase", "pending", "pending")
    assert part.target in dialect.orders  # type: ignore[attr-defined]
    now[0] += 2
    done = await telnyx.wait_provisioned(bought, interval=0.01)
    assert done.status is nc.NumberStatus.ACTIVE
    assert done.provisioning == ()
    [(_, body)] = dialect.events  # type: ignore[attr-defined]
    assert json.loads(body)["data"]["payload"]["status"] == "success"


async def test_a_number_that_needs_papers_stays_pending_with_the_requirement_named(
    telnyx: nc.Provider,
) -> None:
    offer = await first(telnyx, country="GB", area_code="20")
    bought = await telnyx.purchase(offer)
    assert bought.status is nc.NumberStatus.PENDING
    assert bought.provisioning[0].error_codes == ("requirement-info-pending",)
    assert (
        await telnyx.wait_provisioned(bought, within=0.05, interval=0.01)
    ).status is nc.NumberStatus.PENDING
    other = await first(telnyx, country="GB", area_code="20")
    papers = nc.NumberConfig(compliance=nc.NumberCompliance(bundle_id=APPROVED_BUNDLE))
    approved = await telnyx.purchase(other, config=papers)
    assert approved.status is nc.NumberStatus.ACTIVE


async def test_an_order_refused_for_its_requirements_is_a_compliance_error(
    telnyx: nc.Provider, wire: Wire
) -> None:
    wire.script.append(lambda r: refuse(422, "10015", "Regulatory requirements are missing for this number."))
    with pytest.raises(nc.ComplianceRequiredError) as refused:
        await telnyx.purchase("+442079460000")
    assert refused.value.requirement is nc.RequirementKind.BUNDLE


async def test_compliance_other_than_a_requirement_group_is_refused_before_any_request(
    telnyx: nc.Provider, wire: Wire
) -> None:
    with pytest.raises(nc.InvalidInputError):
        await telnyx.purchase(
            "+442079460000", config=nc.NumberConfig(compliance=nc.NumberCompliance(address_id="A1"))
        )
    assert wire.requests == []


# -- batches and purchase_any ---------------------------------------------------------------------------


async def test_purchase_many_is_one_order_and_a_lost_answer_one_look_up(
    telnyx: nc.Provider, wire: Wire, emulator: Emulator
) -> None:
    numbers = [n.phone_number for n in await telnyx.search(area_code="415", limit=4)]
    wire.requests.clear()
    outcomes = await telnyx.purchase_many(numbers[:2])
    assert [o.ok for o in outcomes] == [True, True]
    assert len(wire.requests) == 1
    wire.after.append(lose)
    settled = await telnyx.purchase_many(numbers[2:])
    assert [o.number for o in settled if o.ok] == numbers[2:]
    assert len(wire.sent("POST", "number_orders")) == 2
    owned = (await emulator.world.owned())["telnyx-account"]
    assert sorted(owned) == sorted(numbers)


async def test_a_batch_refused_for_one_taken_number_buys_the_others(
    telnyx: nc.Provider, emulator: Emulator
) -> None:
    numbers = [n.phone_number for n in await telnyx.search(area_code="415", limit=3)]
    await emulator.world.account("someone-else").purchase(numbers[1])
    outcomes = await telnyx.purchase_many(numbers)
    assert [o.ok for o in outcomes] == [True, False, True]
    assert isinstance(outcomes[1].error, nc.NumberUnavailableError)


async def test_purchase_any_is_an_inexplicit_order(telnyx: nc.Provider, wire: Wire) -> None:
    bought = await telnyx.purchase_any(area_code="415", sms=True)
    assert bought.phone_number.startswith("+1415")
    [sent] = wire.sent("POST", "inexplicit_number_orders")
    [group] = json.loads(sent.content)["ordering_groups"]
    assert group == {
        "country_iso": "US",
        "phone_number_type": "local",
        "count_requested": "1",
        "strategy": "never",
        "national_destination_code": "415",
        "features": ["sms"],
    }
    assert wire.sent("POST", "number_orders") == []


async def test_50_concurrent_purchase_any_buy_50_distinct_numbers(telnyx: nc.Provider) -> None:
    bought: list[str] = []

    async def buy() -> None:
        bought.append((await telnyx.purchase_any(area_code="415")).phone_number)

    async with anyio.create_task_group() as group:
        for _ in range(50):
            group.start_soon(buy)
    assert len(bought) == len(set(bought)) == 50


async def test_a_lost_inexplicit_order_is_found_by_its_reference(telnyx: nc.Provider, wire: Wire) -> None:
    wire.after.append(lose)
    bought = await telnyx.purchase_any(area_code="415")
    assert bought.phone_number.startswith("+1415")
    assert len(wire.sent("POST", "inexplicit_number_orders")) == 1


# -- owned numbers ---------------------------------------------------------------------------------------


async def test_configure_sends_each_field_where_telnyx_takes_it(telnyx: nc.Provider, wire: Wire) -> None:
    bought = await telnyx.purchase(await first(telnyx))
    wire.requests.clear()
    config = nc.NumberConfig(
        friendly_name="Front desk",
        voice=nc.Route(application_id="1293384261075731499"),
        sms=nc.Route(application_id="abc85f64-5717-4562-b3fc-2c9600000000"),
        extra={"telnyx": {"tags": ["sales"]}},
    )
    done = await telnyx.configure(bought, config)
    assert done.friendly_name == "Front desk"
    assert done.config.sms is not None
    assert done.config.sms.application_id.startswith("abc85f64")
    assert done.config.extra == {"telnyx": {"tags": ["sales"]}}
    [patch] = wire.sent("PATCH", f"phone_numbers/{bought.id}")
    assert json.loads(patch.content) == {
        "customer_reference": "Front desk",
        "connection_id": "1293384261075731499",
        "tags": ["sales"],
    }
    [messaging] = wire.sent("PATCH", f"phone_numbers/{bought.id}/messaging")
    assert json.loads(messaging.content) == {"messaging_profile_id": "abc85f64-5717-4562-b3fc-2c9600000000"}
    unlinked = nc.Route(application_id=None)
    cleared = await telnyx.configure(
        bought, nc.NumberConfig(voice=unlinked, sms=unlinked, friendly_name=None)
    )
    assert cleared.config.voice is None
    assert cleared.config.sms is None
    assert cleared.friendly_name is None


async def test_per_number_urls_are_refused_before_any_request(telnyx: nc.Provider, wire: Wire) -> None:
    for config in (
        nc.NumberConfig(voice=nc.Route(url="https://example.com/voice")),
        nc.NumberConfig(sms=nc.Route(url="https://example.com/sms")),
        nc.NumberConfig(status_callback=nc.Callback(url="https://example.com/status")),
    ):
        with pytest.raises(nc.UnsupportedError):
            await telnyx.configure("+14155550100", config)
    assert wire.requests == []


async def test_emergency_is_enabled_by_address_id_and_turned_off_by_a_job(
    telnyx: nc.Provider, emulator: Emulator
) -> None:
    bought = await telnyx.purchase(await first(telnyx))
    address = await emulator.world.account("telnyx-account").create_address(
        nc.Address(
            street="1 Market St",
            locality="San Francisco",
            region="CA",
            postal_code="94105",
            country="US",
            emergency=True,
        )
    )
    on = await telnyx.configure(bought, nc.NumberConfig(emergency_address_id=address.id))
    assert on.emergency is not None
    assert on.emergency.status is nc.EmergencyStatus.ACTIVE
    assert on.emergency.address_id == address.id
    off = await telnyx.configure(bought, nc.NumberConfig(emergency_address_id=None))
    assert off.emergency is not None
    assert off.emergency.status is nc.EmergencyStatus.NONE


async def test_a_number_is_found_by_its_digits_among_partial_matches(telnyx: nc.Provider, wire: Wire) -> None:
    bought = await telnyx.purchase(await first(telnyx))
    longer = _doc("+86" + bought.phone_number[1:], "2")  # the same digits, in China
    exact = _doc(bought.phone_number, bought.id)

    def partial(request: httpx.Request) -> httpx.Response:
        assert request.url.params["filter[phone_number]"] == bought.phone_number[1:]
        return httpx.Response(
            200, json={"data": [longer, exact], "meta": {"page_number": 1, "total_pages": 1}}
        )

    wire.script.append(partial)
    assert (await telnyx.get(bought)).id == bought.id


def _doc(e164: str, ident: str) -> dict[str, object]:
    return {
        "id": ident,
        "phone_number": e164,
        "status": "active",
        "connection_id": "",
        "customer_reference": None,
    }


async def test_release_deletes_and_a_lost_answer_is_settled_by_looking(
    telnyx: nc.Provider, wire: Wire
) -> None:
    one = await telnyx.purchase(await first(telnyx))
    two = await telnyx.purchase(await first(telnyx))
    await telnyx.release(one)
    with pytest.raises(nc.NotFoundError):
        await telnyx.get(one.phone_number)
    wire.script.append(lambda r: None)
    wire.after.append(lose)
    await telnyx.release(two)
    assert len(wire.sent("DELETE", f"phone_numbers/{two.id}")) == 1
    with pytest.raises(nc.NotFoundError):
        await telnyx.release(two)


async def test_list_walks_every_page(
    telnyx: nc.Provider, wire: Wire, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("numbers_core.providers.telnyx._provider._PAGE_SIZE", 2)
    numbers = [n.phone_number for n in await telnyx.search(area_code="415", limit=5)]
    await telnyx.purchase_many(numbers)
    wire.requests.clear()
    listed = [n.phone_number async for n in telnyx.list()]
    assert sorted(listed) == sorted(numbers)
    pages = [r.url.params["page[number]"] for r in wire.sent("GET", "phone_numbers")]
    assert pages == ["1", "2", "3"]
    assert [n async for n in telnyx.list(number_type="premium_rate")] == []


# -- reservations, coverage, requirements ----------------------------------------------------------------


async def test_a_reserved_number_is_held_then_bought(telnyx: nc.Provider, emulator: Emulator) -> None:
    offer = await first(telnyx)
    held = await telnyx.reserve(offer)
    assert held.status is nc.NumberStatus.RESERVED
    assert held.expires_at is not None
    with pytest.raises(nc.NumberUnavailableError):
        await emulator.world.account("someone-else").purchase(offer.phone_number)
    assert (await telnyx.purchase(offer)).status is nc.NumberStatus.ACTIVE


async def test_a_reservation_expires(telnyx: nc.Provider, emulator: Emulator) -> None:
    now = [1_900_000_000.0]
    emulator.dialect.clock = lambda: now[0]  # type: ignore[attr-defined]
    offer = await first(telnyx)
    await telnyx.reserve(offer)
    now[0] += 1801
    assert (await telnyx.search(area_code="415", limit=1)) is not None  # any request moves time on
    assert offer.phone_number not in {n for v in (await emulator.world.owned()).values() for n in v}


async def test_a_lost_reservation_answer_is_found_by_its_reference(telnyx: nc.Provider, wire: Wire) -> None:
    offer = await first(telnyx)
    wire.after.append(lose)
    held = await telnyx.reserve(offer)
    assert held.status is nc.NumberStatus.RESERVED
    assert len(wire.sent("POST", "number_reservations")) == 1


async def test_coverage_and_requirements(telnyx: nc.Provider, wire: Wire) -> None:
    [gb] = await telnyx.coverage("GB")
    assert nc.NumberType.LOCAL in gb.number_types
    needed = await telnyx.requirements("GB", "local")
    assert needed
    assert {r.kind for r in needed} == {nc.RequirementKind.BUNDLE}
    assert await telnyx.requirements("US", "local") == []
    [sent, *_] = wire.sent("GET", "requirements")
    assert sent.url.params["filter[action]"] == "ordering"
