"""Kazoo's reservations and e911 blocks against the fake Crossbar: the wire, the answers, the errors."""

from __future__ import annotations

import json
from decimal import Decimal

import httpx
import numbers_core as nc
import pytest
from kazoo_fake import ACCOUNT, OTHER_ACCOUNT, FakeKazoo, error
from numbers_core.providers.kazoo import KazooProvider

pytestmark = pytest.mark.anyio

N1, N2 = "+14155550101", "+14155550102"
NUMBERS = f"/v2/accounts/{ACCOUNT}/phone_numbers"
OFFICE = nc.Address(
    customer_name="ACME Support",
    street="140 New Montgomery St",
    locality="San Francisco",
    region="CA",
    postal_code="94105",
    country="US",
)
BLOCK = {
    "street_address": "140 New Montgomery St",
    "locality": "San Francisco",
    "region": "CA",
    "postal_code": "94105",
    "caller_name": "ACME Support",
}


def calls(fake: FakeKazoo, method: str, suffix: str = "") -> list[httpx.Request]:
    return [
        r
        for r in fake.requests
        if r.method == method and r.url.raw_path.decode().split("?")[0].endswith(suffix)
    ]


# -- reservations ---------------------------------------------------------------------------------------


async def test_a_reserved_number_is_held_and_a_purchase_puts_it_in_service(
    kazoo: KazooProvider, fake: FakeKazoo
) -> None:
    fake.stock(N1)
    held = await kazoo.reserve(N1)
    assert held.phone_number == N1
    assert held.status is nc.NumberStatus.RESERVED
    [reserve] = calls(fake, "PUT", "/reserve")
    assert reserve.url.raw_path.decode() == f"{NUMBERS}/%2B14155550101/reserve"
    assert json.loads(reserve.content) == {"data": {}}
    assert {n.phone_number: n.status async for n in kazoo.list()} == {N1: nc.NumberStatus.RESERVED}
    bought = await kazoo.purchase(N1)
    assert bought.status is nc.NumberStatus.ACTIVE
    assert len(calls(fake, "PUT", "/activate")) == 1
    assert fake.held[N1]["state"] == "in_service"


async def test_a_number_the_account_holds_is_not_reserved(kazoo: KazooProvider, fake: FakeKazoo) -> None:
    fake.give(N1)
    with pytest.raises(nc.ConflictError) as owned:
        await kazoo.reserve(N1)
    assert owned.value.code == "already-owned"  # Kazoo would take it out of service
    fake.stock(N2)
    await kazoo.reserve(N2)
    with pytest.raises(nc.ConflictError) as again:
        await kazoo.reserve(N2)
    assert again.value.code == "already-reserved"
    assert len(calls(fake, "PUT", "/reserve")) == 1
    assert fake.held[N1]["state"] == "in_service"


@pytest.mark.parametrize("where", ["other account", "unknown"])
async def test_a_number_held_elsewhere_or_unknown_cannot_be_reserved(
    kazoo: KazooProvider, fake: FakeKazoo, where: str
) -> None:
    if where == "other account":
        fake.give(N1, account=OTHER_ACCOUNT)
        fake.faults.extend([lambda r: None, lambda r: error(404, "bad_identifier")])  # the look-up
    with pytest.raises(nc.NumberUnavailableError, match="cannot be bought"):
        await kazoo.reserve(N1)


async def test_a_reservation_is_quoted_as_an_activation_is(kazoo: KazooProvider, fake: FakeKazoo) -> None:
    fake.stock(N1)
    fake.quote = {"phone_numbers": {"did_us": {"quantity": 1, "rate": 2.5}}, "activation_charges": 1.0}
    with pytest.raises(nc.PaymentRequiredError) as quoted:
        await kazoo.reserve(N1)
    assert (quoted.value.total, quoted.value.monthly) == (Decimal("1.0"), Decimal("2.5"))
    assert N1 not in fake.held


async def test_a_lost_reservation_answer_is_settled_by_a_look_up(
    kazoo: KazooProvider, fake: FakeKazoo
) -> None:
    fake.stock(N1, N2)

    def lose(answer: httpx.Response) -> httpx.Response:
        raise httpx.ReadError("connection reset after the request was sent")

    fake.after_commit.append(lose)
    assert (await kazoo.reserve(N1)).status is nc.NumberStatus.RESERVED
    assert len(calls(fake, "PUT", "/reserve")) == 1  # never sent again
    # Refused with a 5xx (it may or may not have happened), and not held: the outcome stays unknown.
    fake.faults.extend([lambda r: None, lambda r: error(500, "unspecified_fault")])
    with pytest.raises(nc.OutcomeUnknownError) as unknown:
        await kazoo.reserve(N2)
    assert unknown.value.operation == "reserve"


# -- e911 ------------------------------------------------------------------------------------------------


async def test_an_emergency_address_is_merged_as_the_e911_block_and_read_back(
    kazoo: KazooProvider, fake: FakeKazoo
) -> None:
    fake.give(N1, friendly_name="Support")
    registered = await kazoo.configure(N1, nc.NumberConfig(emergency_address=OFFICE))
    [patch] = calls(fake, "PATCH")
    assert json.loads(patch.content) == {"data": {"e911": BLOCK}}  # PATCH merges: the rest stays
    assert fake.held[N1]["friendly_name"] == "Support"
    for number in (registered, await kazoo.get(N1)):
        assert number.emergency is not None
        assert number.emergency.status is nc.EmergencyStatus.ACTIVE
        assert number.emergency.carrier_status == "PROVISIONED"
        assert number.emergency.address == OFFICE.model_copy(update={"customer_name": "ACME Support"})
        assert number.emergency.caller_name == "ACME Support"
        assert number.config.emergency_address == number.emergency.address
    cleared = await kazoo.configure(N1, nc.NumberConfig(emergency_address=None))
    assert json.loads(calls(fake, "PATCH")[-1].content) == {"data": {"e911": None}}
    assert cleared.emergency == nc.EmergencyRegistration(status=nc.EmergencyStatus.NONE)
    assert "e911" not in fake.held[N1]


async def test_a_purchase_sends_the_e911_block_with_the_activation(
    kazoo: KazooProvider, fake: FakeKazoo
) -> None:
    fake.stock(N1)
    bought = await kazoo.purchase(N1, config=nc.NumberConfig(emergency_address=OFFICE))
    [activate] = calls(fake, "PUT", "/activate")
    assert json.loads(activate.content) == {"data": {"e911": BLOCK}}
    assert bought.emergency is not None
    assert bought.emergency.status is nc.EmergencyStatus.ACTIVE
    assert not calls(fake, "POST")  # never POST: it replaces the whole document


async def test_an_address_kazoo_cannot_locate_is_refused_and_nothing_is_bought(
    kazoo: KazooProvider, fake: FakeKazoo
) -> None:
    fake.stock(N1)
    fake.give(N2)
    fake.e911_unknown.add(OFFICE.street)
    with pytest.raises(nc.AddressValidationError) as refused:
        await kazoo.purchase(N1, config=nc.NumberConfig(emergency_address=OFFICE))
    assert "Location is not geocoded" in str(refused.value)
    assert refused.value.code == "invalid"
    assert refused.value.suggestions == ()
    assert N1 not in fake.held
    with pytest.raises(nc.AddressValidationError):
        await kazoo.configure(N2, nc.NumberConfig(emergency_address=OFFICE))


async def test_invalid_about_another_block_is_no_address_error(kazoo: KazooProvider, fake: FakeKazoo) -> None:
    fake.give(N1)
    fake.faults.extend([lambda r: None, lambda r: error(400, "invalid", {"code": 400, "error": "invalid"})])
    with pytest.raises(nc.ProviderError) as refused:
        await kazoo.configure(N1, nc.NumberConfig(extra={"kazoo": {"carrier_name": "nowhere"}}))
    assert not isinstance(refused.value, nc.AddressValidationError)


async def test_an_address_that_matches_several_places_comes_with_them(
    kazoo: KazooProvider, fake: FakeKazoo
) -> None:
    fake.give(N1)
    fake.e911_choices[OFFICE.street] = [
        {
            "street_address": "140 New Montgomery St",
            "locality": "San Francisco",
            "region": "CA",
            "postal_code": "94105",
        },
        {
            "street_address": "140 New Montgomery Ave",
            "locality": "San Francisco",
            "region": "CA",
            "postal_code": "94107",
        },
    ]
    with pytest.raises(nc.AddressValidationError) as refused:
        await kazoo.configure(N1, nc.NumberConfig(emergency_address=OFFICE))
    assert [s.postal_code for s in refused.value.suggestions] == ["94105", "94107"]
    assert all(s.country == "US" for s in refused.value.suggestions)
    assert refused.value.code == "multiple_choice"


async def test_master_s_500_multiple_choice_is_an_address_error_not_retried(
    kazoo: KazooProvider, fake: FakeKazoo
) -> None:
    fake.give(N1)
    fault = {"code": 500, "error": "unspecified_fault", "message": "multiple_choice"}
    fake.faults.extend([lambda r: None, lambda r: error(500, "multiple_choice", fault)])
    with pytest.raises(nc.AddressValidationError):
        await kazoo.configure(N1, nc.NumberConfig(emergency_address=OFFICE))
    assert len(calls(fake, "PATCH")) == 1


async def test_the_e911_feature_not_available_for_a_number_is_permission_denied(
    kazoo: KazooProvider, fake: FakeKazoo
) -> None:
    fake.give(N1)
    fake.stock(N2)
    fake.e911_denied.update({N1, N2})
    with pytest.raises(nc.PermissionDeniedError) as denied:
        await kazoo.configure(N1, nc.NumberConfig(emergency_address=OFFICE))
    assert not isinstance(denied.value, nc.NotFoundError)
    assert "e911 feature is not available" in str(denied.value)
    with pytest.raises(nc.PermissionDeniedError, match="e911 feature"):
        await kazoo.purchase(N2, config=nc.NumberConfig(emergency_address=OFFICE))
    assert N2 not in fake.held


async def test_a_403_for_another_account_s_number_is_still_not_found(
    kazoo: KazooProvider, fake: FakeKazoo
) -> None:
    fake.give(N1, account=OTHER_ACCOUNT)
    fake.faults.extend([lambda r: None, lambda r: error(403, "forbidden")])  # the PATCH; the look-up: 403
    with pytest.raises(nc.NotFoundError):
        await kazoo.configure(N1, nc.NumberConfig(emergency_address=OFFICE))


@pytest.mark.parametrize(
    "address",
    [
        OFFICE.model_copy(update={"country": "CA", "region": "ON", "postal_code": "M5V 2T6"}),
        OFFICE.model_copy(update={"country": "GB", "region": None, "postal_code": "EC2R 8AH"}),
        OFFICE.model_copy(update={"region": None}),
        OFFICE.model_copy(update={"customer_name": "Al"}),
    ],
)
async def test_an_address_the_block_cannot_say_is_refused_before_any_request(
    kazoo: KazooProvider, fake: FakeKazoo, address: nc.Address
) -> None:
    fake.give(N1)
    with pytest.raises(nc.InvalidInputError, match="emergency_address"):
        await kazoo.configure(N1, nc.NumberConfig(emergency_address=address))
    with pytest.raises(nc.InvalidInputError, match="emergency_address"):
        await kazoo.purchase_many([N1, N2], config=nc.NumberConfig(emergency_address=address))
    assert fake.requests == []


async def test_configure_many_gives_each_number_its_e911_outcome(
    kazoo: KazooProvider, fake: FakeKazoo
) -> None:
    fake.give(N1)
    fake.give(N2)
    fake.e911_denied.add(N2)
    first, second = await kazoo.configure_many([N1, N2], nc.NumberConfig(emergency_address=OFFICE))
    assert first.result is not None
    assert first.result.emergency is not None
    assert first.result.emergency.status is nc.EmergencyStatus.ACTIVE
    assert isinstance(second.error, nc.PermissionDeniedError)
    fake.e911_unknown.add(OFFICE.street)
    outcomes = await kazoo.configure_many([N1, N2], nc.NumberConfig(emergency_address=OFFICE))
    assert isinstance(outcomes[0].error, nc.AddressValidationError)


def test_kazoo_announces_what_it_does() -> None:
    features = KazooProvider.features
    for feature in (
        nc.Feature.CONFIG_EMERGENCY_ADDRESS_INLINE,
        nc.Feature.EMERGENCY_STATUS,
        nc.Feature.RESERVE,
    ):
        assert feature in features
    for feature in (
        nc.Feature.PRICES,  # only with a prices table (the core adds it)
        nc.Feature.SEARCH_PRICES,
        nc.Feature.COVERAGE,
        nc.Feature.REQUIREMENTS,
        nc.Feature.ADDRESSES,
        nc.Feature.EMERGENCY_VALIDATE,
        nc.Feature.CONFIG_EMERGENCY_ADDRESS,
    ):
        assert feature not in features
