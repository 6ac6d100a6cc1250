"""The Kazoo emulator: sessions, the 402 charge handshake, collections, callflows, paging."""

from __future__ import annotations

import json
from decimal import Decimal

import httpx
import numbers_core as nc
import pytest
from numbers_core.emulator import Emulator
from numbers_core.providers.kazoo._emulator import KazooEmulation, Price

pytestmark = pytest.mark.anyio


def kazoo_emulator() -> tuple[Emulator, KazooEmulation]:
    emulator = Emulator("kazoo", record=True)
    assert isinstance(emulator.dialect, KazooEmulation)
    return emulator, emulator.dialect


@pytest.mark.parametrize("version", [(4, 3), (4, 2)])
async def test_charges_are_quoted_with_a_402_until_accepted(version: tuple[int, int]) -> None:
    emulator, dialect = kazoo_emulator()
    dialect.charges = Price(rate=2.5, activation=1.5)
    dialect.version = version
    async with emulator.connect(accept_charges=True) as carrier:
        await carrier.purchase_any(area_code="212")  # one held already: the plan's quantity is 2
    async with emulator.connect() as carrier:
        [offer] = await carrier.search(area_code="415", limit=1)
        with pytest.raises(nc.PaymentRequiredError) as quoted:
            await carrier.purchase(offer)
        assert quoted.value.total == Decimal("1.5")
        assert quoted.value.charges == (nc.Charge("phone_numbers", "did_us", Decimal(2), Decimal("2.5")),)
        assert len([n async for n in carrier.list()]) == 1  # nothing bought
    async with emulator.connect(accept_charges=True) as carrier:
        assert (await carrier.purchase(offer)).phone_number == offer.phone_number
    [refused] = [e for e in emulator.exchanges or () if e.status == 402]
    shape = json.loads(refused.body)["data"]
    assert isinstance(shape, list if version >= (4, 3) else dict)


async def test_a_collections_charges_are_quoted_for_every_number() -> None:
    emulator, dialect = kazoo_emulator()
    dialect.charges = Price(rate=1.0, activation=0.5)
    async with emulator.connect() as carrier:
        numbers = [o.phone_number for o in await carrier.search(area_code="415", limit=3)]
        outcomes = await carrier.purchase_many(numbers)
    for outcome in outcomes:
        assert isinstance(outcome.error, nc.PaymentRequiredError)
        assert outcome.error.total == Decimal("1.5")


async def test_an_expired_session_logs_in_again() -> None:
    emulator, dialect = kazoo_emulator()
    async with emulator.connect() as carrier:
        bought = await carrier.purchase_any(area_code="415")
        for token, (account, _) in list(dialect.tokens.items()):
            dialect.tokens[token] = (account, 0.0)  # expired at the emulator
        assert (await carrier.get(bought)).phone_number == bought.phone_number
    assert dialect.logins == 2
    assert emulator.answered["401"] == 1


async def test_a_user_login_works_too() -> None:
    emulator, dialect = kazoo_emulator()
    login = {"username": dialect.username, "password": dialect.password, "account_name": dialect.account_name}
    async with emulator.connect(api_key=None, **login) as carrier:
        assert await carrier.search(area_code="415", limit=1)
    async with emulator.connect(api_key=None, **{**login, "password": "wrong-Pa55word"}) as carrier:
        with pytest.raises(nc.AuthenticationError):
            await carrier.search(area_code="415", limit=1)


async def test_collections_answer_each_number() -> None:
    emulator, _ = kazoo_emulator()
    async with emulator.connect() as carrier:
        offers = await carrier.search(area_code="415", limit=3)
        numbers = [o.phone_number for o in offers]
        first = await carrier.purchase(numbers[0])
        outcomes = {o.number: o for o in await carrier.purchase_many(numbers)}
        assert all(o.ok for o in outcomes.values())  # the one held already is free, and in service
        named = await carrier.configure_many(numbers, nc.NumberConfig(friendly_name="Bulk"))
        assert {o.result.friendly_name for o in named if o.result} == {"Bulk"}
        gone = await carrier.release_many([first.phone_number, "+14155550199"])
    assert gone[0].ok
    assert isinstance(gone[1].error, nc.NotFoundError)
    batches = [e for e in emulator.exchanges or () if "/collection" in e.path]
    assert [e.method for e in batches] == ["PUT", "PATCH", "DELETE"]


async def test_numbers_are_routed_by_callflow() -> None:
    emulator, dialect = kazoo_emulator()
    dialect.add_callflow("c" * 32)
    async with emulator.connect() as carrier:
        bought = await carrier.purchase_any(area_code="415")
        routed = await carrier.configure(bought, nc.NumberConfig(voice=nc.Route(application_id="c" * 32)))
    assert routed.config.voice == nc.Route(application_id="c" * 32)
    assert dialect.callflows["c" * 32]["numbers"] == [bought.phone_number]


async def test_listing_follows_next_start_key() -> None:
    emulator, _ = kazoo_emulator()
    async with emulator.connect() as carrier:
        bought = {(await carrier.purchase_any(area_code="415")).phone_number for _ in range(3)}
        carrier.list_page_size = 2  # type: ignore[attr-defined]
        assert {n.phone_number async for n in carrier.list()} == bought
    listings = [
        e for e in emulator.exchanges or () if e.method == "GET" and e.path.endswith("/phone_numbers")
    ]
    assert any("start_key=" in e.query for e in listings)


async def test_another_accounts_number_exists() -> None:
    emulator, dialect = kazoo_emulator()
    other = emulator.world.account("f" * 32)
    taken = await other.purchase_any(area_code="415")
    async with emulator.connect() as carrier:
        with pytest.raises(nc.NumberUnavailableError):
            await carrier.purchase(taken.phone_number)
    assert dialect.account != "f" * 32


@pytest.mark.parametrize("fault", ["lost", "unanswered"])
async def test_a_release_whose_answer_is_lost_is_looked_up_not_sent_again(fault: str) -> None:
    emulator, _ = kazoo_emulator()
    async with emulator.connect() as carrier:
        bought = await carrier.purchase_any(area_code="415")
        emulator.set_faults(**{fault: 1.0})  # the DELETE is done, and its answer cut off or never sent
        await carrier.release(bought)
        emulator.set_faults(**{fault: 0.0})
        assert [n async for n in carrier.list()] == []
    deletes = [e for e in emulator.exchanges or () if e.method == "DELETE"]
    assert len(deletes) == 0  # a lost answer is not recorded; the look-up settled it
    assert emulator.answered[fault] == 1


async def test_a_429_is_kazoos_too_many_requests() -> None:
    emulator, dialect = kazoo_emulator()
    async with emulator.connect() as carrier:
        await carrier.search(area_code="415", limit=1)  # logged in
        token = next(iter(dialect.tokens))
    path = f"/v2/accounts/{dialect.account}/phone_numbers"
    async with httpx.AsyncClient(transport=emulator.transport(), base_url="http://127.0.0.1") as http:
        answers = []
        emulator.set_faults(throttled=1.0)
        answers.append(await http.get(path, headers={"X-Auth-Token": token}))
        emulator.set_faults(throttled=0.0, rate_limit=0.01, burst=1)
        for _ in range(2):
            answers.append(await http.get(path, headers={"X-Auth-Token": token}))
    for limited in (answers[0], answers[2]):  # injected, and over the rate limit
        assert limited.status_code == 429
        body = limited.json()
        assert (body["error"], body["message"], body["data"]) == (
            "429",
            "too_many_requests",
            {"message": "too many requests"},
        )
    assert answers[1].status_code == 200
    emulator.set_faults(rate_limit=None, throttled_bare=1.0)
    async with emulator.connect(max_attempts=1) as carrier:
        with pytest.raises(nc.RateLimitError):
            await carrier.search(area_code="415", limit=1)


async def test_a_number_kazoo_cannot_find_is_not_found_to_the_adapter() -> None:
    emulator, _ = kazoo_emulator()
    async with emulator.connect() as carrier:
        [offer] = await carrier.search(area_code="415", limit=1)
        for call in (carrier.get, carrier.release):
            with pytest.raises(nc.NotFoundError):
                await call(offer)
        with pytest.raises(nc.NotFoundError):
            await carrier.configure(offer, nc.NumberConfig(friendly_name="Nobody's"))
    answers = [e for e in emulator.exchanges or () if e.status == 404]
    assert answers
    assert all(json.loads(e.body)["message"] == "bad_identifier" for e in answers)


OFFICE = nc.Address(
    customer_name="ACME Support",
    street="140  New Montgomery St",
    locality="San Francisco",
    region="ca",
    postal_code="94105",
    country="US",
)


async def test_a_reserved_number_is_held_listed_and_activated() -> None:
    emulator, dialect = kazoo_emulator()
    async with emulator.connect() as carrier:
        [offer] = await carrier.search(area_code="415", limit=1)
        held = await carrier.reserve(offer)
        assert held.status is nc.NumberStatus.RESERVED
        assert {n.phone_number: n.status async for n in carrier.list()} == {
            offer.phone_number: nc.NumberStatus.RESERVED
        }
        with pytest.raises(nc.ConflictError):
            await carrier.reserve(offer)
        assert (await carrier.purchase(offer)).status is nc.NumberStatus.ACTIVE
        assert (await carrier.get(offer)).status is nc.NumberStatus.ACTIVE
        # Someone else's number cannot be reserved; the charges quote is the activation's.
        taken = await emulator.world.account("f" * 32).purchase_any(area_code="415")
        with pytest.raises(nc.NumberUnavailableError):
            await carrier.reserve(taken.phone_number)
        dialect.charges = Price(rate=2.5, activation=1.0)
        [another] = await carrier.search(area_code="212", limit=1)
        with pytest.raises(nc.PaymentRequiredError) as quoted:
            await carrier.reserve(another)
        assert quoted.value.monthly == Decimal("2.5")
    reservations = [e for e in emulator.exchanges or () if e.path.endswith("/reserve")]
    assert [e.status for e in reservations] == [200, 409, 402]  # the second was refused before sending


async def test_the_e911_block_is_the_sandbox_s_registration() -> None:
    emulator, _ = kazoo_emulator()
    async with emulator.connect() as carrier:
        bought = await carrier.purchase_any(area_code="415", config=nc.NumberConfig(emergency_address=OFFICE))
        assert bought.emergency is not None
        assert bought.emergency.status is nc.EmergencyStatus.ACTIVE
        assert bought.emergency.carrier_status == "PROVISIONED"
        # Registered as the carrier tidied it (spaces, the state's code).
        assert bought.emergency.address is not None
        assert (bought.emergency.address.street, bought.emergency.address.region) == (
            "140 New Montgomery St",
            "CA",
        )
        sandbox = await emulator.world.account(bought.account_id or "").get(bought)
        assert sandbox.emergency is not None
        assert sandbox.emergency.status is nc.EmergencyStatus.ACTIVE
        named = await carrier.configure(bought, nc.NumberConfig(friendly_name="Front desk"))
        assert named.emergency == bought.emergency  # a PATCH of other keys leaves it
        cleared = await carrier.configure(bought, nc.NumberConfig(emergency_address=None))
        assert cleared.emergency is not None
        assert cleared.emergency.status is nc.EmergencyStatus.NONE
        assert (await carrier.get(bought)).config.friendly_name == "Front desk"


async def test_an_address_the_sandbox_refuses_is_kazoo_s_not_geocoded() -> None:
    emulator, _ = kazoo_emulator()
    bad = OFFICE.model_copy(update={"postal_code": "9410"})
    async with emulator.connect() as carrier:
        [offer] = await carrier.search(area_code="415", limit=1)
        with pytest.raises(nc.AddressValidationError, match="Location is not geocoded"):
            await carrier.purchase(offer, config=nc.NumberConfig(emergency_address=bad))
        assert [n async for n in carrier.list()] == []  # nothing bought
        bought = await carrier.purchase(offer)
        with pytest.raises(nc.AddressValidationError) as refused:
            await carrier.configure(bought, nc.NumberConfig(emergency_address=bad))
        assert refused.value.code == "invalid"
    [answer, *_] = [e for e in emulator.exchanges or () if e.status == 400]
    assert json.loads(answer.body)["data"]["error"] == "invalid"
