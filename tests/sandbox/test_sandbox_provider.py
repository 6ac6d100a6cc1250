"""The sandbox carrier through the public interface, in memory and in a SQLite file."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import anyio
import numbers_core as nc
import phonenumbers
import pytest
from numbers_core import (
    ActiveNumber,
    Address,
    ConfigurationError,
    ConflictError,
    Feature,
    InvalidInputError,
    NotFoundError,
    NumberCompliance,
    NumberConfig,
    NumberStatus,
    NumberType,
    NumberUnavailableError,
    Route,
    SearchQuery,
    UnsupportedError,
)
from numbers_core.sandbox import APPROVED_BUNDLE, SandboxProvider, SandboxSettings
from numbers_core.sandbox import _inventory as inventory
from numbers_core.sandbox import _provider as sandbox_provider
from numbers_core.sandbox._catalogue import COUNTRIES, offered_types
from numbers_core.sandbox._inventory import describe

pytestmark = pytest.mark.anyio

DECLARED = {
    "search",
    "purchase",
    "purchase.config",
    "purchase_any.native",
    "get",
    "configure",
    "release",
    "list",
    "transfer",
    "search.area_code",
    "search.contains",
    "search.starts_with",
    "search.ends_with",
    "search.region",
    "search.locality",
    "search.near_number",
    "search.voice",
    "search.sms",
    "search.mms",
    "search.fax",
    "search.exclude_address_required",
    "number_type.local",
    "number_type.mobile",
    "number_type.toll_free",
    "number_type.national",
    "number_type.voip",
    "number_type.shared_cost",
    "number_type.premium_rate",
    "number_type.personal",
    "config.friendly_name",
    "config.voice",
    "config.voice.fallback",
    "config.voice.application",
    "config.sms",
    "config.sms.fallback",
    "config.sms.application",
    "config.status_callback",
    "config.emergency_address",
    "config.extra",
    "prices",
    "search.prices",
    "coverage",
    "requirements",
    "addresses",
    "reserve",
    "emergency.status",
    "emergency.validate",
    "config.compliance",
    "config.emergency_address.inline",
}


async def first(carrier: nc.Provider, **criteria: Any) -> str:
    [number] = await carrier.search(limit=1, **criteria)
    return number.phone_number


# -- construction and features -------------------------------------------------------------


async def test_connect_gives_the_sandbox_and_so_does_the_bare_class() -> None:
    async with nc.connect("sandbox") as connected:
        assert isinstance(connected, SandboxProvider)
        assert connected.name == "sandbox"
    async with SandboxProvider() as bare:
        assert len(await bare.search(limit=2)) == 2
        assert bare.account_id == "sandbox"


def test_settings_of_another_provider_are_refused() -> None:
    with pytest.raises(ConfigurationError):
        SandboxProvider(nc.ProviderSettings())


@pytest.mark.parametrize(
    ("setting", "value"),
    [("account_id", "two words"), ("account_id", ""), ("fail_rate", 1.5), ("path", 12), ("colour", "red")],
)
def test_bad_settings_are_configuration_errors_naming_the_setting(setting: str, value: object) -> None:
    with pytest.raises(ConfigurationError) as caught:
        nc.connect("sandbox", **{setting: value})
    assert caught.value.setting == setting


def test_the_declared_features() -> None:
    provider = SandboxProvider()
    assert {str(feature) for feature in provider.features} == DECLARED
    for feature in ("search.postal_code", "search.rate_center", "search.lata", "search.near_lat_long"):
        assert not provider.supports(feature)
    assert not provider.supports(Feature.SEARCH_DISTANCE)
    assert not provider.supports(Feature.NUMBER_TYPE_MACHINE_TO_MACHINE)
    assert not provider.supports(Feature.BULK)


@pytest.mark.parametrize(
    ("criteria", "feature"),
    [
        ({"postal_code": "94103"}, "search.postal_code"),
        ({"rate_center": "SNFC"}, "search.rate_center"),
        ({"lata": "722"}, "search.lata"),
        ({"near_lat_long": "37.77,-122.42"}, "search.near_lat_long"),
        ({"near_number": "+14155552671", "distance": 10}, "search.distance"),
        ({"number_type": "machine_to_machine"}, "number_type.machine_to_machine"),
    ],
)
async def test_filters_it_cannot_honour_are_unsupported(
    carrier: nc.Provider, criteria: dict[str, Any], feature: str
) -> None:
    with pytest.raises(UnsupportedError) as caught:
        await carrier.search(**criteria)
    assert (caught.value.provider, caught.value.feature) == ("sandbox", feature)
    with pytest.raises(UnsupportedError):
        await carrier.purchase_any(**criteria)


# -- search ------------------------------------------------------------------------------


async def test_search_defaults_to_twenty_us_local_numbers(carrier: nc.Provider) -> None:
    found = await carrier.search()
    assert len(found) == 20
    for number in found:
        assert number.provider == "sandbox"
        assert number.number_type is NumberType.LOCAL
        assert number.geography.iso_country == "US"
        assert number.geography.region
        assert number.geography.locality


async def test_search_takes_a_query_or_keywords_and_honours_the_limit(carrier: nc.Provider) -> None:
    by_query = await carrier.search(SearchQuery(area_code="212", limit=7))
    assert len(by_query) == 7
    assert await carrier.search(area_code="212", limit=7) == by_query
    assert await carrier.search(SearchQuery(area_code="212"), limit=7) == by_query
    assert len(await carrier.search(limit=1)) == 1


async def test_every_country_and_type_can_be_searched(carrier: nc.Provider) -> None:
    for country in COUNTRIES:
        for number_type in offered_types(country):
            found = await carrier.search(country=country, number_type=number_type, limit=3)
            assert len(found) == 3, (country, number_type)
            for number in found:
                parsed = phonenumbers.parse(number.phone_number)
                assert phonenumbers.is_valid_number(parsed)
                assert phonenumbers.region_code_for_number(parsed) == country
                assert number.number_type is number_type


async def test_geography_of_us_area_codes(carrier: nc.Provider) -> None:
    for area_code, state, town in (
        ("415", "CA", "San Francisco"),
        ("212", "NY", "New York"),
        ("312", "IL", "Chicago"),
    ):
        found = await carrier.search(area_code=area_code, limit=10)
        assert {n.geography.region for n in found} == {state}
        assert town in {n.geography.locality for n in found}
        assert all(n.phone_number.startswith("+1" + area_code) for n in found)
    found = await carrier.search(country="CA", area_code="604", region="BC", locality="Vancouver", limit=5)
    assert len(found) == 5
    assert {(n.geography.region, n.geography.locality) for n in found} == {("BC", "Vancouver")}


async def test_search_never_offers_an_owned_number_and_release_brings_it_back(
    carrier: nc.Provider, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = await carrier.search(area_code="312", limit=5)
    await carrier.purchase(before[1])
    # Whatever walk a search takes, an owned number met on it is left out.
    monkeypatch.setattr(sandbox_provider, "candidates", lambda query, provider, salt: iter(before))
    after = await carrier.search(area_code="312", limit=5)
    assert after == [before[0], *before[2:]]
    await carrier.release(before[1])
    assert await carrier.search(area_code="312", limit=5) == before


async def test_the_same_search_on_the_same_state_finds_the_same_numbers(carrier: nc.Provider) -> None:
    first = await carrier.search(area_code="312", limit=5)
    assert await carrier.search(area_code="312", limit=5) == first
    await carrier.purchase(first[0])
    again = await carrier.search(area_code="312", limit=5)
    assert first[0] not in again
    assert await carrier.search(area_code="312", limit=5) == again


async def test_search_and_purchase_any_cost_the_same_however_many_numbers_are_owned(
    carrier: nc.Provider, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Work counted, not timed: the numbers the inventory had to look at per call.
    looked: list[str] = []
    real = inventory.describe
    monkeypatch.setattr(
        inventory, "describe", lambda e164, provider: looked.append(e164) or real(e164, provider)
    )

    async def cost() -> tuple[int, int]:
        looked.clear()
        await carrier.search(area_code="415", limit=20)
        searched = len(looked)
        looked.clear()
        await carrier.purchase_any(area_code="415")
        return searched, len(looked)

    first = await cost()
    for _ in range(300):
        await carrier.purchase_any(area_code="415")
    later = await cost()
    # Before: each call walked past every number bought from the same walk (300 more looks).
    assert later[0] <= first[0] + 10
    assert later[1] <= first[1] + 10


async def test_capability_and_address_filters(carrier: nc.Provider) -> None:
    assert await carrier.search(number_type="toll_free", mms=True) == []
    found = await carrier.search(country="AU", number_type="mobile", mms=True, limit=3)
    assert [n.capabilities.mms for n in found] == [True] * 3
    assert await carrier.search(country="DE", exclude_address_required=True) == []
    found = await carrier.search(country="US", exclude_address_required=True, limit=3)
    assert {n.address_requirement for n in found} == {nc.AddressRequirement.NONE}


# -- purchase, get, configure, release --------------------------------------------------------------


async def test_purchase_returns_the_active_number_and_get_returns_it_again(carrier: nc.Provider) -> None:
    [available] = await carrier.search(area_code="415", limit=1)
    owned = await carrier.purchase(available.phone_number)
    assert owned.phone_number == available.phone_number
    assert owned.id.startswith("SBX")
    assert owned.provider == "sandbox"
    assert owned.account_id == "sandbox"
    assert owned.status is NumberStatus.ACTIVE
    assert owned.number_type is available.number_type
    assert owned.geography == available.geography
    assert owned.capabilities == available.capabilities
    assert owned.friendly_name == available.friendly_name
    assert owned.config == NumberConfig()
    assert owned.created_at is not None
    assert owned.created_at.utcoffset() == timedelta(0)
    assert owned.updated_at == owned.created_at
    assert await carrier.get(owned.phone_number) == owned
    assert await carrier.get(owned) == owned  # the model is accepted too


async def test_purchase_accepts_the_available_number_object_and_applies_a_config(
    carrier: nc.Provider,
) -> None:
    [available] = await carrier.search(country="GB", number_type="mobile", limit=1)
    config = NumberConfig(
        friendly_name="Support line",
        voice=Route(url="https://example.com/voice", method="GET"),
        sms=Route(application_id="AP123"),
        extra={"plan": "gold"},
    )
    owned = await carrier.purchase(available, config=config)
    assert owned.friendly_name == "Support line"
    assert owned.config == config
    assert (await carrier.get(available)).config == config


async def test_an_owned_number_cannot_be_bought_again(carrier: nc.Provider) -> None:
    number = await first(carrier, number_type="toll_free")
    await carrier.purchase(number)
    # The account's own: a ConflictError, so that nobody mistakes it for a number lost to another.
    with pytest.raises(ConflictError) as caught:
        await carrier.purchase(number)
    assert caught.value.provider == "sandbox"
    assert caught.value.code == "already-owned"


async def test_a_number_another_account_owns_is_unavailable(tmp_path: Path) -> None:
    path = str(tmp_path / "sandbox.db")
    async with (
        SandboxProvider(SandboxSettings(path=path)) as mine,
        SandboxProvider(SandboxSettings(path=path, account_id="other")) as theirs,
    ):
        number = await first(mine, number_type="toll_free")
        await theirs.purchase(number)
        with pytest.raises(NumberUnavailableError) as caught:
            await mine.purchase(number)
        assert caught.value.code == "number-unavailable"


@pytest.mark.parametrize(
    "number",
    [
        "+81312345678",  # valid, in a country the sandbox has no numbers in
        "+447640123456",  # valid, a pager: not sold
        "+12032201234",  # valid, in Connecticut but no known town
    ],
)
async def test_a_valid_number_that_is_not_for_sale_cannot_be_bought(
    carrier: nc.Provider, number: str
) -> None:
    with pytest.raises(NumberUnavailableError) as caught:
        await carrier.purchase(number)
    assert caught.value.code == "not-for-sale"


async def test_a_number_held_by_another_customer_cannot_be_bought(carrier: nc.Provider) -> None:
    stem = (await first(carrier, area_code="415"))[:-2]
    held = next(f"{stem}{n:02d}" for n in range(100) if describe(f"{stem}{n:02d}", "sandbox") is None)
    with pytest.raises(NumberUnavailableError):
        await carrier.purchase(held)


@pytest.mark.parametrize("number", ["+1415", "+14155550123 ext 1", "hello", "", None, 4155550123])
async def test_invalid_numbers_are_refused_before_anything_happens(carrier: nc.Provider, number: Any) -> None:
    for call in (carrier.purchase, carrier.get, carrier.release):
        with pytest.raises(InvalidInputError):
            await call(number)
    with pytest.raises(InvalidInputError):
        await carrier.configure(number, NumberConfig(friendly_name="x"))


async def test_invalid_queries_and_configs_are_refused(carrier: nc.Provider) -> None:
    with pytest.raises(InvalidInputError):
        await carrier.search(country="XX")
    with pytest.raises(InvalidInputError):
        await carrier.search(limit=0)
    with pytest.raises(InvalidInputError):
        await carrier.search(colour="red")
    number = await first(carrier, number_type="toll_free")
    with pytest.raises(InvalidInputError):
        await carrier.purchase(number, config={"friendly_name": "x"})  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError) as caught:
        await carrier.purchase(number, config=NumberConfig(extra={"when": object()}))
    assert caught.value.field == "config.extra"
    # Nothing was bought on the way.
    assert [n async for n in carrier.list()] == []


async def test_numbers_not_owned_are_not_found(carrier: nc.Provider) -> None:
    number = await first(carrier, number_type="toll_free")
    calls = (
        carrier.get(number),
        carrier.configure(number, NumberConfig(friendly_name="x")),
        carrier.release(number),
        carrier.transfer(number, "someone-else"),
    )
    for call in calls:
        with pytest.raises(NotFoundError) as caught:
            await call
        assert caught.value.provider == "sandbox"
        assert caught.value.code == "not-owned"


async def test_release_gives_the_number_back_for_anyone_to_buy(carrier: nc.Provider) -> None:
    number = await first(carrier, country="AU", number_type="toll_free")
    owned = await carrier.purchase(number, config=NumberConfig(friendly_name="Sydney"))
    assert await carrier.release(number) is None
    with pytest.raises(NotFoundError):
        await carrier.get(number)
    with pytest.raises(NotFoundError):
        await carrier.release(number)
    again = await carrier.purchase(number)
    assert again.id == owned.id  # the id is the number's own
    assert again.config == NumberConfig()


async def test_configure_changes_only_what_is_set(carrier: nc.Provider) -> None:
    number = await first(carrier, area_code="212")
    office = await carrier.create_address(
        Address(
            street="350 5th Ave",
            locality="New York",
            region="NY",
            postal_code="10118",
            country="US",
            emergency=True,
        )
    )
    owned = await carrier.purchase(
        number,
        config=NumberConfig(
            friendly_name="Sales",
            voice=Route(url="https://example.com/voice", method="POST"),
            sms=Route(url="https://example.com/sms"),
            emergency_address_id=office.id,
        ),
    )
    changed = await carrier.configure(number, NumberConfig(voice=Route(method="GET")))
    assert changed.config.voice == Route(url="https://example.com/voice", method="GET")
    assert changed.config.sms == owned.config.sms
    assert changed.friendly_name == "Sales"
    assert changed.config.emergency_address_id == office.id
    assert changed.created_at == owned.created_at
    assert changed.updated_at is not None
    assert owned.updated_at is not None
    assert changed.updated_at >= owned.updated_at
    assert await carrier.get(number) == changed

    cleared = await carrier.configure(number, NumberConfig(sms=None, friendly_name=None))
    assert cleared.config.sms is None
    assert cleared.config.friendly_name is None
    assert cleared.friendly_name == phonenumbers.format_number(
        phonenumbers.parse(number), phonenumbers.PhoneNumberFormat.NATIONAL
    )
    assert cleared.config.voice == changed.config.voice
    assert (await carrier.configure(number, NumberConfig())).config == cleared.config


# -- list ----------------------------------------------------------------------------------------


async def test_list_shows_the_account_s_numbers_in_purchase_order_with_filters(carrier: nc.Provider) -> None:
    assert [n async for n in carrier.list()] == []
    us = await carrier.purchase(
        await first(carrier, area_code="415"), config=NumberConfig(friendly_name="Desk")
    )
    office = await carrier.create_address(
        Address(street="1 Poultry", locality="London", postal_code="EC2R 8AH", country="GB")
    )
    papers = NumberCompliance(address_id=office.id, bundle_id=APPROVED_BUNDLE)
    gb = await carrier.purchase(
        await first(carrier, country="GB", area_code="20"), config=NumberConfig(compliance=papers)
    )
    mobile = await carrier.purchase(await first(carrier, country="GB", number_type="mobile"))
    assert [n async for n in carrier.list()] == [us, gb, mobile]
    assert [n async for n in carrier.list(country="gb")] == [gb, mobile]
    assert [n async for n in carrier.list(number_type="mobile")] == [mobile]
    assert [n async for n in carrier.list(friendly_name="DESK")] == [us]
    assert [n async for n in carrier.list(contains="4420")] == [gb]
    assert [n async for n in carrier.list(contains=us.phone_number[-4:])] == [us]
    assert [n async for n in carrier.list(country="DE")] == []
    with pytest.raises(InvalidInputError):
        [n async for n in carrier.list(colour="red")]


async def test_list_fetches_page_by_page_as_iterated(carrier: nc.Provider) -> None:
    bought = [await carrier.purchase(n) for n in await carrier.search(number_type="toll_free", limit=230)]
    store = carrier._store  # type: ignore[attr-defined]
    pages: list[int] = []
    fetch = store.page

    async def counting_page(*args: Any) -> Any:
        page = await fetch(*args)
        pages.append(len(page))
        return page

    store.page = counting_page
    listing = carrier.list()
    assert await anext(listing) == bought[0]
    assert pages == [100]
    await listing.aclose()
    pages.clear()
    assert [n async for n in carrier.list()] == bought
    assert pages == [100, 100, 30]


# -- purchase_any and races ------------------------------------------------------------------------


async def test_purchase_any_buys_a_number_matching_the_query(carrier: nc.Provider) -> None:
    # What a search shows first is what purchase_any buys, on the same state.
    [expected] = await carrier.search(area_code="415", limit=1)
    owned = await carrier.purchase_any(area_code="415", config=NumberConfig(friendly_name="Any"))
    assert owned.phone_number == expected.phone_number
    assert owned.friendly_name == "Any"
    assert owned.geography.region == "CA"
    [expected] = await carrier.search(area_code="415", limit=1)
    again = await carrier.purchase_any(SearchQuery(area_code="415"))
    assert again.phone_number == expected.phone_number != owned.phone_number


async def test_purchase_any_with_nothing_for_sale_is_unavailable(carrier: nc.Provider) -> None:
    with pytest.raises(NumberUnavailableError) as caught:
        await carrier.purchase_any(locality="Atlantis")
    assert caught.value.code == "no-numbers"


async def test_ten_tasks_racing_for_one_number_make_one_owner(carrier: nc.Provider) -> None:
    number = await first(carrier, area_code="415")
    won: list[ActiveNumber] = []
    lost: list[ConflictError] = []

    async def buy() -> None:
        try:
            won.append(await carrier.purchase(number))
        except ConflictError as exc:  # one account: the losers find it theirs already
            lost.append(exc)

    async with anyio.create_task_group() as tasks:
        for _ in range(10):
            tasks.start_soon(buy)
    assert len(won) == 1
    assert len(lost) == 9
    assert {exc.code for exc in lost} == {"already-owned"}
    assert [n async for n in carrier.list()] == won


async def buy_at_once(carrier: nc.Provider, calls: int, area_code: str) -> list[ActiveNumber]:
    won: list[ActiveNumber] = []

    async def buy() -> None:
        won.append(await carrier.purchase_any(area_code=area_code))

    async with anyio.create_task_group() as tasks:
        for _ in range(calls):
            tasks.start_soon(buy)
    return won


async def test_ten_tasks_buying_any_number_get_ten_different_ones(carrier: nc.Provider) -> None:
    won = await buy_at_once(carrier, 10, "312")
    assert len({n.phone_number for n in won}) == 10
    assert {n.geography.locality for n in won} >= {"Chicago"}
    assert len([n async for n in carrier.list()]) == 10


async def test_fifty_calls_at_once_claim_about_one_number_each(
    carrier: nc.Provider, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before: all fifty walked the search's walk and claimed, in vain, what the ones ahead took
    # (seven claims a call); a call finding others on that walk now walks its own.
    store = carrier._store  # type: ignore[attr-defined]
    claims: list[str] = []
    real = store.claim

    async def counted(number: ActiveNumber) -> bool:
        claims.append(number.phone_number)
        return bool(await real(number))

    monkeypatch.setattr(store, "claim", counted)
    won = await buy_at_once(carrier, 50, "415")
    assert len({n.phone_number for n in won}) == 50
    assert len(claims) <= 55


async def test_purchase_any_passes_over_owned_numbers_without_making_them_up(
    carrier: nc.Provider, monkeypatch: pytest.MonkeyPatch
) -> None:
    walked = await carrier.search(area_code="312", limit=3)
    for number in walked[:2]:
        await carrier.purchase(number)
    monkeypatch.setattr(sandbox_provider, "candidates", lambda query, provider, salt: iter(walked))
    made: list[str] = []
    real = SandboxProvider._active

    def counted(self: SandboxProvider, available: nc.AvailableNumber, *args: Any) -> ActiveNumber:
        made.append(available.phone_number)
        return real(self, available, *args)

    monkeypatch.setattr(SandboxProvider, "_active", counted)
    bought = await carrier.purchase_any(area_code="312")
    assert bought.phone_number == walked[2].phone_number
    # Before: an ActiveNumber made (and a claim tried) for each owned number met.
    assert made == [walked[2].phone_number]


@pytest.fixture
def hops(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """The functions run in a worker thread from now on, the walks' paces forgotten."""
    hopped: list[object] = []
    real = anyio.to_thread.run_sync

    async def counted(function: Any, *args: Any, **options: Any) -> Any:
        hopped.append(function)
        return await real(function, *args, **options)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counted)
    monkeypatch.setattr(sandbox_provider, "_pace", {})
    monkeypatch.setattr(sandbox_provider, "_kind_pace", {})
    return hopped


async def test_quick_walks_are_drawn_on_the_event_loop_long_ones_in_a_thread(
    carrier: nc.Provider, request: pytest.FixtureRequest
) -> None:
    await carrier.search(area_code="312", limit=1)  # the country's range built, whatever ran before
    hops: list[object] = request.getfixturevalue("hops")  # counted from here, the paces forgotten
    await carrier.purchase_any(area_code="312")  # a kind of query not walked before: in a thread
    assert sandbox_provider._take in hops
    hops.clear()
    for _ in range(5):
        await carrier.purchase_any(area_code="312")
    # A hop costs more CPU than drawing a number or two (the SQLite store hops for its own work).
    assert sandbox_provider._take not in hops
    # Measured over one number, a walk's pace counts its start too: a search's own is finer.
    await carrier.search(area_code="312", limit=10)
    hops.clear()
    await carrier.search(area_code="312", limit=10)
    assert sandbox_provider._take not in hops
    # Drawing a thousand takes longer than a worker thread holds the GIL at a stretch.
    await carrier.search(area_code="312", limit=1000)
    assert sandbox_provider._take in hops
    hops.clear()
    # A kind of query whose walks were slow to find a number is drawn in a thread again.
    sandbox_provider._pace[inventory.query_seed(SearchQuery(area_code="312"))] = 1.0
    await carrier.purchase_any(area_code="312")
    assert sandbox_provider._take in hops


async def test_a_query_narrowed_by_its_start_is_drawn_at_the_pace_of_its_kind(
    carrier: nc.Provider, request: pytest.FixtureRequest
) -> None:
    await carrier.search(area_code="312", limit=1)  # the country's range built, whatever ran before
    hops: list[object] = request.getfixturevalue("hops")  # counted from here, the paces forgotten
    await carrier.search(area_code="312", limit=10)  # the kind's first walk: in a thread
    assert sandbox_provider._take in hops
    hops.clear()
    # A bulk job's searches: each a start never searched before, of a kind walked quickly.
    for start in ("3125", "31255", "312555"):
        await carrier.search(area_code="312", starts_with=start, limit=10)
    await carrier.purchase_any(area_code="312", starts_with="3126")
    assert sandbox_provider._take not in hops
    # Another kind of query, not walked before: in a thread.
    await carrier.search(area_code="312", contains="77", limit=10)
    assert sandbox_provider._take in hops
    hops.clear()
    # A start whose own walks were slow goes to a thread, whatever its kind's pace.
    sandbox_provider._pace[inventory.query_seed(SearchQuery(area_code="312", starts_with="3125"))] = 1.0
    await carrier.search(area_code="312", starts_with="3125", limit=10)
    assert sandbox_provider._take in hops


# -- transfer and accounts ----------------------------------------------------------------------


async def test_transfer_moves_a_number_to_another_account(carrier: nc.Provider) -> None:
    number = await first(carrier, country="GB", number_type="mobile")
    owned = await carrier.purchase(number, config=NumberConfig(friendly_name="Leeds"))
    with pytest.raises(ConflictError):
        await carrier.transfer(number, "sandbox")
    with pytest.raises(InvalidInputError):
        await carrier.transfer(number, "no spaces please")
    with pytest.raises(InvalidInputError):
        await carrier.transfer(number, "  ")
    moved = await carrier.transfer(owned, "team-b")
    assert moved.account_id == "team-b"
    assert moved.id == owned.id
    assert moved.config == owned.config
    assert moved.created_at == owned.created_at
    with pytest.raises(NotFoundError):
        await carrier.get(number)
    assert [n async for n in carrier.list()] == []
    # Nobody can buy it: it still belongs to someone.
    with pytest.raises(NumberUnavailableError):
        await carrier.purchase(number)
    assert number not in {n.phone_number for n in await carrier.search(country="GB", number_type="mobile")}


async def test_accounts_sharing_a_file_own_numbers_apart(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    async with (
        nc.connect("sandbox", path=str(path), account_id="alice") as alice,
        nc.connect("sandbox", path=path, account_id="bob") as bob,
    ):
        number = await first(alice, country="AU", number_type="toll_free")
        await alice.purchase(number)
        with pytest.raises(NumberUnavailableError):
            await bob.purchase(number)
        with pytest.raises(NotFoundError):
            await bob.get(number)
        assert number not in {n.phone_number for n in await bob.search(country="AU", number_type="toll_free")}
        moved = await alice.transfer(number, "bob")
        assert await bob.get(number) == moved
        assert [n async for n in bob.list()] == [moved]
        await bob.release(number)
        assert (await alice.purchase(number)).account_id == "alice"


async def test_state_survives_reopening_the_same_file(tmp_path: Path) -> None:
    path = tmp_path / "dir" / "sandbox.db"
    async with nc.connect("sandbox", path=str(path)) as carrier:
        owned = await carrier.purchase(await first(carrier, area_code="604", country="CA"))
        configured = await carrier.configure(owned, NumberConfig(voice=Route(url="https://example.com/v")))
    assert path.is_file()
    async with nc.connect("sandbox", path=str(path)) as reopened:
        assert [n async for n in reopened.list()] == [configured]
        assert await reopened.get(owned) == configured
        with pytest.raises(ConflictError):
            await reopened.purchase(owned)
    async with nc.connect("sandbox") as in_memory:
        assert [n async for n in in_memory.list()] == []


async def test_two_instances_on_one_file_race_for_one_number(tmp_path: Path) -> None:
    path = str(tmp_path / "sandbox.db")
    one = SandboxProvider(SandboxSettings(path=path))
    two = SandboxProvider(SandboxSettings(path=path, account_id="other"))
    number = await first(one, number_type="toll_free")
    outcomes: list[str] = []

    async def buy(carrier: nc.Provider) -> None:
        try:
            await carrier.purchase(number)
            outcomes.append("won")
        except (NumberUnavailableError, ConflictError):  # another account's / this account's already
            outcomes.append("lost")

    async with anyio.create_task_group() as tasks:
        for n in range(10):
            tasks.start_soon(buy, (one, two)[n % 2])
    assert sorted(outcomes) == ["lost"] * 9 + ["won"]
    owners = [n.account_id for carrier in (one, two) async for n in carrier.list()]
    assert len(owners) == 1
    await one.aclose()
    await two.aclose()
