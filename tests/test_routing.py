"""The routing provider: several carriers behind one Provider (docs/several-carriers.md).

Unit tests with fake members (tests/test_provider.py's Fake, keeping what it sells), the circuit
breaker on a fake clock, the sandbox twice (two accounts in two SQLite files), the configuration
and the blocking API. The contract scenario runs against a routing provider of two emulators
(tests/contract/conftest.py).
"""

from __future__ import annotations

import builtins
import logging
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import anyio
import numbers_core as nc
import pytest
from numbers_core import (
    ActiveNumber,
    AuthenticationError,
    AvailableNumber,
    ConfigurationError,
    Feature,
    InvalidInputError,
    Money,
    NotFoundError,
    NumberConfig,
    NumberPrice,
    NumbersError,
    NumberType,
    NumberUnavailableError,
    OutcomeUnknownError,
    PriceBasis,
    ProviderSettings,
    ProviderUnavailableError,
    RateLimitError,
    RoutingProvider,
    SearchQuery,
    TransportError,
    UnsupportedError,
)
from numbers_core._deadline import call_end
from numbers_core._routing import _Breaker
from numbers_core.emulator import Emulator, Faults, serve

from test_provider import Fake, hooks, offer, owned

pytestmark = pytest.mark.anyio

TOKEN = "0123456789abcdef" * 2
A1, A2, B1, B2, BOTH = "+14155550101", "+14155550102", "+14155550201", "+14155550202", "+14155550999"


class Member(Fake):
    """A fake carrier that keeps what it sells, and fails or hangs on the hooks it is told to."""

    def __init__(
        self,
        *for_sale: str,
        holds: Iterable[str] = (),
        price: str | None = None,
        deadline: float = 60.0,
        features: Iterable[Feature] | None = None,
    ) -> None:
        super().__init__(
            features=features,
            inventory=[offer(e164) for e164 in for_sale],
            numbers=[owned(e164) for e164 in holds],
        )
        self.settings = ProviderSettings(deadline=deadline)
        self.price = price
        self.failing: dict[str, NumbersError] = {}
        self.hanging: set[str] = set()
        self.ends: builtins.list[float | None] = []

    async def _step(self, hook: str) -> None:
        # How much of the routed call this member's part may take.
        end = call_end()
        self.ends.append(None if end is None else end - anyio.current_time())
        if hook in self.hanging:
            await anyio.sleep_forever()
        if hook in self.failing:
            raise self.failing[hook]

    async def _search(self, query: SearchQuery) -> builtins.list[AvailableNumber]:
        found = await super()._search(query)
        await self._step("search")
        return found

    async def _purchase(self, e164: str, config: NumberConfig | None) -> ActiveNumber:
        await self._step("purchase")
        if e164 not in {n.phone_number for n in self.inventory}:
            self._record("purchase", (e164, config))
            raise NumberUnavailableError(f"{e164} is not for sale here", provider=self.name, status_code=400)
        bought = await super()._purchase(e164, config)
        self.inventory = [n for n in self.inventory if n.phone_number != e164]
        self.numbers.append(bought)
        return bought

    async def _get(self, e164: str) -> ActiveNumber:
        await self._step("get")
        return await super()._get(e164)

    async def _release(self, e164: str) -> None:
        await self._get(e164)
        await super()._release(e164)
        self.numbers = [n for n in self.numbers if n.phone_number != e164]

    async def _prices(self, country: str) -> builtins.list[NumberPrice]:
        await self._step("prices")
        if self.price is None:
            return []
        amount, currency = self.price.split()
        return [
            NumberPrice(
                country=country,
                number_type=NumberType.LOCAL,
                monthly=Money(amount=Decimal(amount), currency=currency),
                basis=PriceBasis.CATALOG,
            )
        ]


def routed(**members: Member) -> RoutingProvider:
    return RoutingProvider(members, member_timeout=5)


def numbers_of(found: Iterable[AvailableNumber | ActiveNumber]) -> builtins.list[tuple[str, str]]:
    return [(n.phone_number, n.provider) for n in found]


def asked(member: Member, hook: str) -> int:
    return hooks(member).count(hook)


# -- search -----------------------------------------------------------------------------------------


async def test_search_merges_the_members_offers_in_their_order_each_once() -> None:
    a, b = Member(A1, A2, BOTH), Member(BOTH, B1, B2)
    carrier = routed(a=a, b=b)
    found = await carrier.search(area_code="415", limit=4)
    assert isinstance(found, nc.MergedResults)
    assert numbers_of(found) == [(A1, "a"), (A2, "a"), (BOTH, "a"), (B1, "b")]
    assert found.errors == {}
    assert asked(a, "search") == asked(b, "search") == 1


async def test_search_by_price_puts_the_cheapest_first_and_the_unpriced_last() -> None:
    def priced(e164: str, amount: str | None, currency: str = "USD") -> AvailableNumber:
        if amount is None:
            return offer(e164)
        return offer(e164, monthly_price={"amount": amount, "currency": currency})

    a, b = Member(), Member()
    a.inventory = [priced(A1, "2.00"), priced(A2, None), priced(BOTH, "1.50")]
    b.inventory = [priced(B1, "1.00"), priced(B2, "0.10", "EUR"), priced(BOTH, "0.90")]
    carrier = RoutingProvider({"a": a, "b": b}, policy="price")
    found = await carrier.search(limit=10)
    # No exchange rate is assumed: the euro price counts as unknown, after the dollar ones.
    assert numbers_of(found) == [(BOTH, "b"), (B1, "b"), (A1, "a"), (A2, "a"), (B2, "b")]


async def test_a_policy_callable_chooses_and_orders_the_members() -> None:
    a, b, c = Member(A1), Member(B1), Member(BOTH)
    seen: builtins.list[tuple[str | None, Sequence[str]]] = []

    def local_first(query: SearchQuery, members: Sequence[str]) -> builtins.list[str]:
        seen.append((query.area_code, members))
        return ["c", "a"]

    carrier = RoutingProvider({"a": a, "b": b, "c": c}, policy=local_first)
    assert numbers_of(await carrier.search(area_code="415")) == [(BOTH, "c"), (A1, "a")]
    assert seen == [("415", ("a", "b", "c"))]
    assert asked(b, "search") == 0


@pytest.mark.parametrize("answer", [["a", "zz"], "a", 3])
async def test_a_policy_that_names_no_member_is_a_configuration_error(answer: Any) -> None:
    carrier = RoutingProvider({"a": Member(A1)}, policy=lambda query, members: answer)
    with pytest.raises(ConfigurationError) as caught:
        await carrier.search()
    assert caught.value.setting == "policy"


async def test_a_failing_member_is_left_out_of_a_search_with_its_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    a, b = Member(A1), Member(B1)
    outage = ProviderUnavailableError("service unavailable", provider="fake", status_code=503)
    a.failing["search"] = outage
    found = await routed(a=a, b=b).search()
    assert numbers_of(found) == [(B1, "b")]
    # The member's own error, kept whole, naming the member.
    assert found.errors["a"] is outage
    assert outage.member == "a"
    assert str(outage) == "a: fake: service unavailable (HTTP 503)"
    assert outage.status_code == 503
    assert "a is left out of this search" in caplog.text


async def test_when_every_member_fails_the_search_raises_the_first_error_noting_the_others() -> None:
    a, b = Member(A1), Member(B1)
    a.failing["search"] = AuthenticationError("bad credentials", provider="fake", status_code=401)
    b.failing["search"] = ProviderUnavailableError("down", provider="fake", status_code=503)
    with pytest.raises(AuthenticationError) as caught:
        await routed(a=a, b=b).search()
    assert caught.value.member == "a"
    assert caught.value.__notes__ == ["also b: fake: down (HTTP 503)"]


async def test_a_member_that_does_not_answer_in_time_is_left_out() -> None:
    a, b = Member(A1), Member(B1)
    a.hanging.add("search")
    carrier = RoutingProvider({"a": a, "b": b}, member_timeout=0.2)
    started = anyio.current_time()
    found = await carrier.search()
    assert anyio.current_time() - started < 2
    assert numbers_of(found) == [(B1, "b")]
    late = found.errors["a"]
    assert isinstance(late, TransportError)
    assert str(late) == "a: no answer within 0.2 s"


# -- purchase ---------------------------------------------------------------------------------------


async def test_purchase_goes_to_the_member_that_offered_the_number() -> None:
    a, b = Member(A1, BOTH), Member(BOTH, B1)
    carrier = routed(a=a, b=b)
    [offered] = [n for n in await carrier.search() if n.phone_number == B1]
    bought = await carrier.purchase(offered)
    assert (bought.phone_number, bought.provider) == (B1, "b")
    assert asked(a, "purchase") == 0
    # An offer names its member: b's offer of a number a sells too is bought at b.
    bought = await carrier.purchase(offer(BOTH, provider="b"))
    assert bought.provider == "b"
    assert asked(a, "purchase") == 0


async def test_a_number_as_text_is_bought_where_the_last_search_offered_it() -> None:
    a, b = Member(A1), Member(B1)
    carrier = routed(a=a, b=b)
    await carrier.search()
    assert (await carrier.purchase(B1)).provider == "b"
    assert asked(a, "purchase") == 0


async def test_a_number_nobody_offered_here_is_asked_of_each_member_in_turn() -> None:
    a, b = Member(A1), Member(B1)
    carrier = routed(a=a, b=b)
    assert (await carrier.purchase(B1)).provider == "b"
    assert asked(a, "purchase") == 1  # "not for sale here": the next member
    # Once bought, the member that holds it is known: no member is searched for it.
    assert (await carrier.get(B1)).provider == "b"
    assert asked(a, "get") == 0
    with pytest.raises(NumberUnavailableError, match="no member sells \\+14155550303"):
        await carrier.purchase("+14155550303")


async def test_the_offering_members_refusal_is_final() -> None:
    a, b = Member(B1), Member(B1)
    b.failing["purchase"] = NumberUnavailableError("taken meanwhile", provider="fake", status_code=400)
    carrier = routed(a=a, b=b)
    with pytest.raises(NumberUnavailableError) as caught:
        await carrier.purchase(offer(B1, provider="b"))
    assert caught.value.member == "b"
    assert asked(a, "purchase") == 0


# -- purchase_any -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "failure",
    [
        NumberUnavailableError("no numbers found in area code 415", provider="fake", code="21452"),
        ProviderUnavailableError("down; buying again is safe", provider="fake", status_code=503),
        RateLimitError("slow down", provider="fake", status_code=429, retry_after=30),
        TransportError("fake: connection refused", provider="fake"),
    ],
    ids=type,
)
async def test_purchase_any_moves_on_to_the_next_member(
    failure: NumbersError, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "numbers_core.routing")
    a, b = Member(A1), Member(B1)
    a.failing["search"] = failure
    bought = await routed(a=a, b=b).purchase_any(area_code="415")
    assert (bought.phone_number, bought.provider) == (B1, "b")
    assert "trying the next member" in caplog.text


async def test_purchase_any_moves_on_when_the_first_member_has_none_left() -> None:
    a, b = Member(), Member(B1)
    bought = await routed(a=a, b=b).purchase_any(area_code="415")
    assert bought.provider == "b"
    assert hooks(a) == ["search"]


async def test_an_unknown_outcome_is_raised_and_no_other_member_is_asked() -> None:
    a, b = Member(A1), Member(B1)
    a.failing["purchase"] = OutcomeUnknownError(
        "fake: purchase: no answer", operation="purchase", number=A1, provider="fake"
    )
    with pytest.raises(OutcomeUnknownError) as caught:
        await routed(a=a, b=b).purchase_any(area_code="415")
    assert caught.value.member == "a"
    assert caught.value.number == A1
    assert hooks(b) == []


async def test_purchase_any_stops_at_an_error_another_member_would_not_mend() -> None:
    a, b = Member(A1), Member(B1)
    a.failing["search"] = AuthenticationError("bad credentials", provider="fake", status_code=401)
    with pytest.raises(AuthenticationError):
        await routed(a=a, b=b).purchase_any()
    assert hooks(b) == []


async def test_purchase_any_when_no_member_has_one() -> None:
    carrier = routed(a=Member(), b=Member())
    with pytest.raises(NumberUnavailableError) as caught:
        await carrier.purchase_any(area_code="415")
    assert caught.value.member is None
    assert str(caught.value).startswith("routing: no member had a number matching the query to sell (a: ")
    assert "; b: " in str(caught.value)


async def test_purchase_any_says_a_member_was_down_rather_than_none_left() -> None:
    a, b = Member(), Member()
    b.failing["search"] = ProviderUnavailableError("down", provider="fake", status_code=503)
    with pytest.raises(ProviderUnavailableError) as caught:
        await routed(a=a, b=b).purchase_any()
    assert caught.value.member == "b"
    assert caught.value.__notes__[0].startswith("also a: ")


async def test_purchase_any_by_price_asks_the_cheapest_member_first() -> None:
    a, b, c = Member(A1, price="1.15 USD"), Member(B1, price="0.80 USD"), Member(BOTH)
    carrier = RoutingProvider({"a": a, "b": b, "c": c}, policy="price")
    assert (await carrier.purchase_any()).provider == "b"
    b.inventory = []
    assert (await carrier.purchase_any()).provider == "a"
    a.inventory = []
    assert (await carrier.purchase_any()).provider == "c"  # no price: asked after those with one


async def test_ranked_names_the_members_in_the_order_purchase_any_tries_them() -> None:
    a, b, c = Member(A1, price="1.15 USD"), Member(B1, price="0.80 USD"), Member(BOTH)
    assert await RoutingProvider({"a": a, "b": b, "c": c}).ranked(area_code="415") == ["a", "b", "c"]
    assert await RoutingProvider({"a": a, "b": b, "c": c}, policy="price").ranked() == ["b", "a", "c"]
    chosen = RoutingProvider({"a": a, "b": b, "c": c}, policy=lambda query, members: ["c", "a"])
    assert await chosen.ranked(SearchQuery(country="GB")) == ["c", "a"]


async def test_a_member_asked_directly_answers_as_the_routing_provider_would_say_it() -> None:
    a, b = Member(A1), Member(B1)
    a.failing["get"] = ProviderUnavailableError("down", provider="fake", status_code=503)
    carrier = RoutingProvider({"a": a, "b": b}, set_aside_after=2, set_aside_for=60)
    for _ in range(2):
        with pytest.raises(ProviderUnavailableError) as caught, carrier.asking("a") as member:
            await member.get(A1)
        assert caught.value.member == "a"  # its errors name it
        assert str(caught.value).startswith("a: ")
    # The caller chose to ask it: its outages there do not set it aside for the routed calls.
    assert numbers_of(await carrier.search()) == [(A1, "a"), (B1, "b")]
    with pytest.raises(InvalidInputError, match=r"member: 'c' is not a member \(a, b\)"), carrier.asking("c"):
        pass


async def test_pacing_a_routing_provider_paces_every_member() -> None:
    class Counting:
        def __init__(self) -> None:
            self.acquired = 0

        async def acquire(self) -> None:
            self.acquired += 1

        def throttled(self, retry_after: float | None = None) -> None:
            pass

    twilio, telnyx = Emulator("twilio"), Emulator("telnyx")
    pacer = Counting()
    async with RoutingProvider({"twilio": twilio.connect(), "telnyx": telnyx.connect()}) as carrier:
        assert carrier.pace(pacer)  # (before, False: the routing provider has no requests of its own)
        await carrier.search(area_code="415", limit=2)
        # Every request of each member: Telnyx's search, Twilio's and its price list for the US.
        assert pacer.acquired == 3
        carrier.pace(None)  # no pacing any more
        await carrier.search(area_code="415", limit=2)
        assert pacer.acquired == 3
    async with RoutingProvider({"a": nc.connect("sandbox"), "b": Member(B1)}) as unpaced:
        assert not unpaced.pace(pacer)  # members without requests to pace: the caller paces them
    await twilio.aclose()
    await telnyx.aclose()


@pytest.mark.parametrize(
    ("config", "field"),
    [
        (NumberConfig(voice=nc.Route(application_id="AP123")), "config.voice.application_id"),
        (NumberConfig(emergency_address_id="AD1"), "config.emergency_address_id"),
        (NumberConfig(compliance=nc.NumberCompliance(bundle_id="BU1")), "config.compliance"),
        (NumberConfig(extra={"servicePlanId": "x"}), "config.extra"),
    ],
)
async def test_purchase_any_refuses_one_accounts_references_when_several_members_may_sell(
    config: NumberConfig, field: str
) -> None:
    a, b = Member(A1), Member(B1)
    with pytest.raises(InvalidInputError) as caught:
        await routed(a=a, b=b).purchase_any(config=config)
    assert caught.value.field == field
    assert hooks(a) == hooks(b) == []
    # One member chosen: its own references are fine.
    only_b = RoutingProvider({"a": a, "b": b}, policy=lambda query, members: ["b"])
    assert (await only_b.purchase_any(config=config)).provider == "b"


async def test_each_member_keeps_to_its_own_deadline_within_the_routed_call() -> None:
    a, b = Member(deadline=5), Member(B1, deadline=20)
    carrier = routed(a=a, b=b)
    assert carrier.settings.deadline == 25  # unset: each member's in turn
    await carrier.purchase_any()
    [a_end] = a.ends
    b_ends = b.ends
    assert a_end is not None
    assert 4 < a_end <= 5
    assert all(end is not None and 19 < end <= 20 for end in b_ends)


# -- owned numbers ----------------------------------------------------------------------------------


async def test_get_configure_and_release_go_to_the_member_that_holds_the_number() -> None:
    a, b = Member(holds=[A1]), Member(holds=[B1])
    carrier = routed(a=a, b=b)
    assert (await carrier.get(B1)).provider == "b"  # looked for at every member
    named = await carrier.configure(B1, NumberConfig(friendly_name="desk"))
    assert (named.provider, named.config.friendly_name) == ("b", "desk")
    assert asked(a, "get") == 1  # once, when it was looked for
    await carrier.release(B1)
    with pytest.raises(NotFoundError) as caught:
        await carrier.get(B1)
    assert str(caught.value) == "routing: +14155550201 is not held by any member (a, b)"


async def test_a_number_moved_to_another_member_is_looked_for_again() -> None:
    a, b = Member(), Member(holds=[B1])
    carrier = routed(a=a, b=b)
    await carrier.get(B1)
    # Moved behind the routing provider's back (another process, the carrier's portal).
    b.numbers, a.numbers = [], [owned(B1)]
    assert (await carrier.get(B1)).provider == "a"


async def test_a_member_that_cannot_say_whether_it_holds_a_number_is_not_taken_for_a_no() -> None:
    a, b = Member(), Member()
    b.failing["get"] = ProviderUnavailableError("down", provider="fake", status_code=503)
    with pytest.raises(ProviderUnavailableError) as caught:
        await routed(a=a, b=b).release(B1)
    assert caught.value.member == "b"


async def test_list_gives_every_members_numbers_member_by_member_page_by_page() -> None:
    a, b = Member(holds=[A1, A2, BOTH]), Member(holds=[BOTH, B1])
    carrier = routed(a=a, b=b)
    assert numbers_of([n async for n in carrier.list()]) == [(A1, "a"), (A2, "a"), (BOTH, "a"), (B1, "b")]
    assert numbers_of([n async for n in carrier.list(contains="0201")]) == [(B1, "b")]
    # The numbers listed are known to be theirs.
    assert (await carrier.get(B1)).provider == "b"
    assert asked(a, "get") == 0
    # Lazily: a consumer that stops after the first number fetched b's numbers not at all.
    b.cursors.clear()
    async for _ in carrier.list():
        break
    assert b.cursors == []


# -- features ---------------------------------------------------------------------------------------


async def test_features_are_those_every_member_has() -> None:
    a = Member(A1, features=frozenset(Feature) - {Feature.SEARCH_LATA})
    carrier = routed(a=a, b=Member(B1))
    assert not carrier.supports(Feature.SEARCH_LATA)
    assert carrier.supports(Feature.SEARCH_LATA, member="b")
    assert not carrier.supports(Feature.SEARCH_LATA, member="a")
    with pytest.raises(UnsupportedError) as caught:
        await carrier.search(lata="722")
    assert (
        str(caught.value) == "a does not support search.lata (a routing provider does what every member does)"
    )
    assert caught.value.provider == "a"
    with pytest.raises(InvalidInputError):
        carrier.supports(Feature.SEARCH, member="zz")


@pytest.mark.parametrize(
    "call",
    [
        lambda carrier: carrier.create_address(nc.Address(street="1 Main St", locality="Town", country="US")),
        lambda carrier: carrier.purchase_many([A1]),
        lambda carrier: carrier.release_many([A1]),
    ],
)
async def test_what_works_with_one_carrier_at_a_time_is_refused_before_any_request(call: Any) -> None:
    a, b = Member(A1), Member(B1)
    carrier = routed(a=a, b=b)
    assert a.supports(Feature.ADDRESSES)
    with pytest.raises(UnsupportedError, match=r"is not routed across carriers: call it on one member"):
        await call(carrier)
    assert hooks(a) == hooks(b) == []


# -- the circuit breaker ----------------------------------------------------------------------------


class Clock(SimpleNamespace):
    now: float


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """The clock the breaker reads, moved by hand (``clock.now += 60``)."""
    clock = Clock(now=1000.0)
    monkeypatch.setattr("numbers_core._routing._now", lambda: clock.now)
    return clock


def test_the_breaker_sets_a_member_aside_then_lets_one_probe_through(
    clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "numbers_core.routing")
    breaker = _Breaker("a", after=3, cooldown=30)
    for _ in range(2):
        breaker.failed()
    breaker.answered()  # an answer in between: the count starts again
    for _ in range(2):
        breaker.failed()
    assert breaker.admit()
    breaker.failed()
    assert not breaker.admit()
    assert "a: set aside for 30 s after 3 failures in a row" in caplog.text
    clock.now += 29
    assert not breaker.admit()
    clock.now += 1
    assert breaker.admit()  # the probe
    assert not breaker.admit()  # one at a time
    breaker.failed()
    assert "a: still failing; set aside for another 30 s" in caplog.text
    assert not breaker.admit()
    clock.now += 30
    assert breaker.admit()
    breaker.gave_up()  # cancelled: it proved nothing, another call may probe
    assert breaker.admit()
    breaker.answered()
    assert "a: answers again; back in use" in caplog.text
    assert breaker.admit()
    assert breaker.admit()


async def test_a_member_that_keeps_failing_is_set_aside_and_probed_after_a_while(clock: Clock) -> None:
    a, b = Member(A1), Member(B1)
    a.failing["search"] = ProviderUnavailableError("down", provider="fake", status_code=503)
    carrier = RoutingProvider({"a": a, "b": b}, set_aside_after=3, set_aside_for=60)
    for _ in range(5):
        found = await carrier.search()
        assert numbers_of(found) == [(B1, "b")]
    assert asked(a, "search") == 3  # set aside after the third
    assert str(found.errors["a"]) == "a: set aside after 3 failures in a row; asked again in 60 s"
    assert found.errors["a"].member == "a"
    # purchase_any passes it over too, without asking it.
    assert (await carrier.purchase_any()).provider == "b"
    assert asked(a, "search") == 3
    # A number only it holds is still asked of it.
    a.numbers.append(owned(A2))
    assert (await carrier.get(A2)).provider == "a"
    clock.now += 60
    del a.failing["search"]
    b.inventory = [offer(B2)]
    assert numbers_of(await carrier.search()) == [(A1, "a"), (B2, "b")]  # the probe, answered
    assert numbers_of(await carrier.search()) == [(A1, "a"), (B2, "b")]
    assert asked(a, "search") == 5


async def test_when_every_member_is_set_aside_calls_fail_at_once(clock: Clock) -> None:
    a = Member(A1)
    a.failing["search"] = TransportError("fake: connection refused", provider="fake")
    carrier = RoutingProvider({"a": a}, set_aside_after=1)
    with pytest.raises(TransportError):
        await carrier.search()
    with pytest.raises(ProviderUnavailableError, match="a: set aside after 1 failures in a row"):
        await carrier.search()
    with pytest.raises(ProviderUnavailableError, match="a: set aside"):
        await carrier.purchase_any()
    assert asked(a, "search") == 1


async def test_time_to_route_around_a_member_that_hangs() -> None:
    """A member that hangs costs each search its member_timeout until it is set aside, then nothing."""
    a, b = Member(A1), Member(B1)
    a.hanging.add("search")
    carrier = RoutingProvider({"a": a, "b": b}, member_timeout=0.1, set_aside_after=3)
    took = []
    for _ in range(5):
        started = anyio.current_time()
        assert numbers_of(await carrier.search()) == [(B1, "b")]
        took.append(anyio.current_time() - started)
    assert all(0.1 <= seconds < 1 for seconds in took[:3])
    assert all(seconds < 0.05 for seconds in took[3:])


# -- prices, coverage, requirements -----------------------------------------------------------------


async def test_prices_coverage_and_requirements_are_every_members_rows_each_named(tmp_path: Path) -> None:
    carrier = nc.connect(
        ["sandbox", "cheap"],
        cheap={"prices": {"US": {"local": "0.50 USD"}}},
        config_file=_profiles(tmp_path, cheap={"provider": "sandbox", "account_id": "cheap"}),
    )
    async with carrier:
        rows = await carrier.prices("US", "local")
        assert [(row.provider, str(row.monthly)) for row in rows] == [
            ("sandbox", "1.15 USD"),
            ("cheap", "0.50 USD"),
        ]
        assert {entry.provider for entry in await carrier.coverage("US")} == {"sandbox", "cheap"}
        needed = await carrier.requirements("GB", "local")
        assert needed
        assert {row.provider for row in needed} == {"sandbox", "cheap"}


# -- the sandbox twice ------------------------------------------------------------------------------


def _profiles(directory: Path, **profiles: dict[str, Any]) -> Path:
    lines = []
    for name, table in profiles.items():
        lines.append(f"[profiles.{name}]")
        lines.extend(f"{key} = {_toml(value)}" for key, value in table.items())
    path = directory / "numbers.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def _toml(value: Any) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    return str(value)


@pytest.fixture
def two_sandboxes(tmp_path: Path) -> Path:
    return _profiles(
        tmp_path,
        east={"provider": "sandbox", "account_id": "east", "path": str(tmp_path / "east.sqlite3")},
        west={"provider": "sandbox", "account_id": "west", "path": str(tmp_path / "west.sqlite3")},
        both={"providers": ["east", "west"], "member_timeout": 5},
    )


async def test_two_sandbox_accounts_behind_one_provider(two_sandboxes: Path, tmp_path: Path) -> None:
    async with nc.connect(profile="both", config_file=two_sandboxes) as carrier:
        assert isinstance(carrier, RoutingProvider)
        assert list(carrier.members) == ["east", "west"]
        assert carrier.settings.member_timeout == 5
        # The same inventory at both: each number is offered once, by the first member.
        found = await carrier.search(area_code="415", limit=4)
        assert {n.provider for n in found} == {"east"}
        east = await carrier.purchase(found[0])
        west = await carrier.purchase(found[1].model_copy(update={"provider": "west"}))
        assert (east.provider, east.account_id, west.provider, west.account_id) == (
            "east",
            "east",
            "west",
            "west",
        )
        listed = {n.phone_number: n.provider async for n in carrier.list()}
        assert listed == {east.phone_number: "east", west.phone_number: "west"}
    # Each account's state is in its own file.
    for name, number in (("east", east), ("west", west)):
        async with nc.connect(profile=name, config_file=two_sandboxes) as alone:
            assert [n.phone_number async for n in alone.list()] == [number.phone_number]
    # A new routing provider finds who holds each.
    async with nc.connect(["east", "west"], config_file=two_sandboxes) as carrier:
        assert (await carrier.get(west.phone_number)).provider == "west"
        await carrier.release(west.phone_number)
        await carrier.release(east.phone_number)
        assert [n async for n in carrier.list()] == []


async def test_purchase_any_falls_back_when_the_first_sandbox_has_run_dry(
    two_sandboxes: Path, tmp_path: Path
) -> None:
    async with nc.connect(profile="east", config_file=two_sandboxes) as east:
        [only] = await east.search(area_code="415", limit=1)
    wanted = {"area_code": "415", "ends_with": only.phone_number[-7:]}
    # Someone else in east's file buys the one number the query matches there.
    async with nc.connect("sandbox", path=str(tmp_path / "east.sqlite3"), account_id="other") as other:
        assert [n.phone_number for n in await other.search(**wanted)] == [only.phone_number]
        await other.purchase(only)
    async with nc.connect(profile="both", config_file=two_sandboxes) as carrier:
        found = await carrier.search(**wanted)
        assert numbers_of(found) == [(only.phone_number, "west")]
        bought = await carrier.purchase_any(**wanted)
        assert (bought.phone_number, bought.provider) == (only.phone_number, "west")
        with pytest.raises(NumberUnavailableError, match="no member had a number matching the query"):
            await carrier.purchase_any(**wanted)


# -- connecting -------------------------------------------------------------------------------------


async def test_connect_takes_each_members_settings_under_its_name() -> None:
    carrier = nc.connect(
        ["twilio", "sandbox"],
        twilio={"account_sid": "AC" + "0" * 32, "auth_token": TOKEN, "deadline": 30},
        sandbox={"account_id": "mine"},
        policy="price",
        member_timeout=3,
    )
    async with carrier:
        assert isinstance(carrier, RoutingProvider)
        assert [type(member).__name__ for member in carrier.members.values()] == [
            "TwilioProvider",
            "SandboxProvider",
        ]
        assert carrier.members["sandbox"].settings.account_id == "mine"  # type: ignore[attr-defined]
        assert (carrier.settings.policy, carrier.settings.member_timeout) == ("price", 3)
        assert carrier.settings.deadline == 90  # 30 + the sandbox's 60
        assert TOKEN not in repr(carrier)


async def test_a_profile_of_a_members_name_is_the_profile(tmp_path: Path) -> None:
    config = _profiles(tmp_path, twilio={"provider": "sandbox", "account_id": "not-twilio"})
    async with nc.connect(["twilio", "sandbox"], config_file=config) as carrier:
        assert isinstance(carrier, RoutingProvider)
        member = carrier.members["twilio"]
        assert member.name == "sandbox"
        assert member.settings.account_id == "not-twilio"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("given", "setting", "words"),
    [
        ({"provider": []}, "provider", "expected a list of provider or profile names"),
        ({"provider": ["sandbox", "sandbox"]}, "provider", "'sandbox' is given twice"),
        ({"provider": ["sandbox", ""]}, "provider", "expected provider or profile names"),
        ({"provider": ["sandbox", "nosuch"]}, "providers", "member 'nosuch' is neither a profile"),
        ({"provider": ["sandbox"], "sandbox": "x"}, "sandbox", "a member's settings are a dict"),
        ({"provider": ["sandbox"], "polcy": "price"}, "polcy", "is not a setting of a routing provider"),
        ({"provider": ["sandbox"], "policy": "cheapest"}, "policy", "routing: policy:"),
        ({"provider": ["sandbox"], "member_timeout": 0}, "member_timeout", "routing: member_timeout:"),
        ({"provider": ["sandbox"], "timeout": 5}, "timeout", "is a setting of each member"),
        ({"provider": ["twilio"], "twilio": {"account_sid": "AC" + "0" * 32}}, "auth_token", "twilio:"),
        ({"provider": ["sandbox"], "profile": "both"}, "profile", "a list of providers or a profile"),
        ({"provider": ["sandbox", "both"]}, "providers", "is a routing profile itself"),
        ({"provider": "sandbox", "profile": "both"}, "provider", "is a routing profile (over east, west)"),
        ({"profile": "mixed"}, "providers", "has both 'provider' and 'providers'"),
        ({"profile": "empty"}, "providers", "providers: expected a list"),
    ],
)
def test_routing_is_checked_before_any_request(
    two_sandboxes: Path, given: dict[str, Any], setting: str, words: str
) -> None:
    with two_sandboxes.open("a") as file:
        file.write('[profiles.mixed]\nprovider = "sandbox"\nproviders = ["east"]\n')
        file.write("[profiles.empty]\nproviders = []\n")
    given = dict(given)
    provider = given.pop("provider", None)
    with pytest.raises(ConfigurationError) as caught:
        nc.connect(provider, config_file=two_sandboxes, **given)
    assert caught.value.setting == setting
    assert words in str(caught.value)


def test_a_routing_provider_of_no_members_or_of_routing_providers_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="expected one provider or more"):
        RoutingProvider({})
    inner = RoutingProvider({"a": Member()})
    with pytest.raises(ConfigurationError, match="must be a provider of one carrier, not a routing provider"):
        RoutingProvider({"a": Member(), "inner": inner})  # type: ignore[dict-item]
    a = Member()
    with pytest.raises(ConfigurationError, match="is the same provider as another member"):
        RoutingProvider({"a": a, "b": a})


async def test_closing_closes_every_member() -> None:
    closed = []

    class Closing(Member):
        async def aclose(self) -> None:
            closed.append(self)
            if len(closed) == 1:
                raise TransportError("fake: could not close", provider="fake")

    a, b = Closing(), Closing()
    with pytest.raises(TransportError):
        async with RoutingProvider({"a": a, "b": b}):
            pass
    assert sorted(map(id, closed)) == sorted(map(id, (a, b)))


def test_the_blocking_api_routes_too(two_sandboxes: Path) -> None:
    from numbers_core import sync

    with sync.connect(profile="both", config_file=two_sandboxes) as carrier:
        found = carrier.search(area_code="415", limit=2)
        assert isinstance(found, nc.MergedResults)
        bought = carrier.purchase(found[0])
        assert bought.provider == "east"
        assert [n.provider for n in carrier.list()] == ["east"]
        carrier.release(bought)


# -- over sockets: two emulators --------------------------------------------------------------------


async def test_over_sockets_a_carrier_that_answers_503_is_routed_around_then_set_aside() -> None:
    down = Emulator("twilio", faults=Faults(unavailable=1.0))
    with serve(down) as twilio, serve(Emulator("sinch")) as sinch:
        carrier = nc.connect(
            ["twilio", "sinch"], twilio=twilio.settings, sinch=sinch.settings, member_timeout=0.5
        )
        async with carrier:
            took = []
            for _ in range(5):
                started = anyio.current_time()
                found = await carrier.search(area_code="415", limit=2)
                took.append(anyio.current_time() - started)
                assert {offer.provider for offer in found} == {"sinch"}
                assert found.errors["twilio"].member == "twilio"
            # The first three waited for twilio (its retries cut short by member_timeout), the rest
            # did not ask it.
            assert all(seconds <= 1.5 for seconds in took[:3])
            assert all(seconds < 0.25 for seconds in took[3:])
            assert isinstance(found.errors["twilio"], ProviderUnavailableError)
            assert "set aside after 3 failures in a row" in str(found.errors["twilio"])
            asked_twilio = len(down.exchanges)
            bought = await carrier.purchase_any(area_code="415")
            assert bought.provider == "sinch"
            assert len(down.exchanges) == asked_twilio


async def test_over_sockets_when_no_carrier_has_a_number_each_says_why() -> None:
    with serve(Emulator("twilio")) as twilio, serve(Emulator("sinch")) as sinch:
        async with nc.connect(["twilio", "sinch"], twilio=twilio.settings, sinch=sinch.settings) as carrier:
            # Twilio has run dry of area code 533 (its error 21452); the sandbox sells none there.
            with pytest.raises(NumberUnavailableError) as caught:
                await carrier.purchase_any(area_code="533")
    message = str(caught.value)
    assert message.startswith("routing: no member had a number matching the query to sell (twilio: ")
    assert "21452" in message
    assert "; sinch: " in message
