"""The Provider base class, through a small in-memory adapter that records every hook call."""

from __future__ import annotations

import builtins
import decimal
from collections.abc import Iterable
from contextlib import aclosing
from typing import Any

import anyio
import httpx
import phonenumbers
import pydantic
import pytest
from numbers_core import (
    ActiveNumber,
    AvailableNumber,
    ConflictError,
    Feature,
    InvalidInputError,
    NotFoundError,
    NumberConfig,
    NumbersError,
    NumberType,
    NumberUnavailableError,
    OutcomeUnknownError,
    PaymentRequiredError,
    ProtocolError,
    Provider,
    ProviderSettings,
    Route,
    SearchQuery,
    TransportError,
    UnsupportedError,
)
from numbers_core.adapter import Idempotency, error_for_status

pytestmark = pytest.mark.anyio

ALL_CLIENT_FILTERS = frozenset(
    {
        "voice",
        "sms",
        "mms",
        "fax",
        "exclude_address_required",
        "contains",
        "starts_with",
        "ends_with",
        "area_code",
        "region",
        "locality",
        "postal_code",
        "rate_center",
        "lata",
    }
)


def offer(number: str, **fields: Any) -> AvailableNumber:
    return AvailableNumber.model_validate({"phone_number": number, "provider": "fake", **fields})


def owned(number: str, **fields: Any) -> ActiveNumber:
    return ActiveNumber.model_validate(
        {"phone_number": number, "id": f"id-{number}", "provider": "fake", **fields}
    )


class Fake(Provider):
    """A carrier whose search ignores every filter, as a sloppy real one would."""

    name = "fake"
    features = frozenset(Feature) - {Feature.PURCHASE_ANY_NATIVE}

    def __init__(
        self,
        *,
        features: Iterable[Feature] | None = None,
        client_side: Iterable[str] = (),
        native_list: Iterable[str] = (),
        inventory: Iterable[AvailableNumber] = (),
        numbers: Iterable[ActiveNumber] = (),
        taken: Iterable[str] = (),
        explode: BaseException | None = None,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        super().__init__(ProviderSettings(), http_client=http_client)
        if features is not None:
            self.features = frozenset(features)
        self.client_side_filters = frozenset(client_side)
        self.native_list_filters = frozenset(native_list)
        self.inventory = builtins.list(inventory)
        self.numbers = builtins.list(numbers)
        self.taken = set(taken)
        self.explode = explode
        self.calls: builtins.list[tuple[str, Any]] = []
        self.cursors: builtins.list[str | None] = []

    def _record(self, hook: str, argument: Any) -> None:
        self.calls.append((hook, argument))
        if self.explode is not None:
            raise self.explode

    async def _search(self, query: SearchQuery) -> builtins.list[AvailableNumber]:
        self._record("search", query)
        return builtins.list(self.inventory)

    async def _purchase(self, e164: str, config: NumberConfig | None) -> ActiveNumber:
        self._record("purchase", (e164, config))
        if e164 in self.taken:
            raise NumberUnavailableError(f"{e164} is taken", provider=self.name, status_code=400)
        return owned(e164, config=config or NumberConfig())

    async def _get(self, e164: str) -> ActiveNumber:
        self._record("get", e164)
        for number in self.numbers:
            if number.phone_number == e164:
                return number
        raise NotFoundError(f"{e164} is not yours", provider=self.name, status_code=404)

    async def _configure(self, e164: str, config: NumberConfig) -> ActiveNumber:
        self._record("configure", (e164, config))
        return owned(e164, config=config)

    async def _release(self, e164: str) -> None:
        self._record("release", e164)

    async def _list_page(
        self, filters: dict[str, Any], cursor: str | None
    ) -> tuple[builtins.list[ActiveNumber], str | None]:
        # Pages of two, the cursor being the index of the next page's first number.
        if cursor is None:
            self.calls.append(("list", filters))
        self.cursors.append(cursor)
        if self.explode is not None:
            raise self.explode
        start = int(cursor or 0)
        following = str(start + 2) if start + 2 < len(self.numbers) else None
        return self.numbers[start : start + 2], following

    async def _transfer(self, e164: str, to_account: str) -> ActiveNumber:
        self._record("transfer", (e164, to_account))
        return owned(e164, account_id=to_account)


class NativeAny(Fake):
    """A carrier that can buy "any number in this area code" in one request (like Twilio)."""

    features = frozenset(Feature)

    def _can_purchase_any_natively(self, query: SearchQuery) -> bool:
        return set(query.criteria()) <= {"area_code"}

    async def _purchase_any(self, query: SearchQuery, config: NumberConfig | None) -> ActiveNumber:
        self._record("purchase_any", query)
        return owned(f"+1{query.area_code or '415'}5552671", config=config or NumberConfig())


def hooks(carrier: Fake) -> builtins.list[str]:
    return [hook for hook, _ in carrier.calls]


# -- features and pre-flight checks ----------------------------------------------------------------


async def test_supports() -> None:
    carrier = Fake(features={Feature.SEARCH, Feature.SEARCH_AREA_CODE})
    assert carrier.supports(Feature.SEARCH)
    assert carrier.supports("search.area_code")
    assert not carrier.supports(Feature.TRANSFER)
    assert not carrier.supports("no such feature")


def everything_but(*missing: Feature) -> frozenset[Feature]:
    return frozenset(Feature) - set(missing)


@pytest.mark.parametrize(
    ("missing", "call"),
    [
        (Feature.SEARCH, lambda c: c.search()),
        (Feature.NUMBER_TYPE_MOBILE, lambda c: c.search(number_type="mobile")),
        (Feature.NUMBER_TYPE_LOCAL, lambda c: c.search()),  # the default type needs its feature too
        (Feature.SEARCH_AREA_CODE, lambda c: c.search(area_code=415)),
        (Feature.SEARCH_CONTAINS, lambda c: c.search(SearchQuery(contains="WOLF"))),
        (Feature.SEARCH_SMS, lambda c: c.search(sms=True)),
        (Feature.SEARCH_DISTANCE, lambda c: c.search(near_lat_long="37.7,-122.4", distance=10)),
        (Feature.SEARCH_NEAR_LAT_LONG, lambda c: c.search(near_lat_long="37.7,-122.4", distance=10)),
        (Feature.PURCHASE, lambda c: c.purchase("+14155552671")),
        (
            Feature.PURCHASE_WITH_CONFIG,
            lambda c: c.purchase("+14155552671", config=NumberConfig(friendly_name="a")),
        ),
        (
            Feature.CONFIG_VOICE_APPLICATION,
            lambda c: c.purchase("+14155552671", config=NumberConfig(voice=Route(application_id="AP1"))),
        ),
        (Feature.PURCHASE, lambda c: c.purchase_any(area_code="415")),
        (Feature.SEARCH_AREA_CODE, lambda c: c.purchase_any(area_code="415")),
        (Feature.CONFIG_EXTRA, lambda c: c.purchase_any(config=NumberConfig(extra={"servicePlanId": "x"}))),
        (Feature.GET, lambda c: c.get("+14155552671")),
        (Feature.CONFIGURE, lambda c: c.configure("+14155552671", NumberConfig(friendly_name="a"))),
        (
            Feature.CONFIG_SMS_FALLBACK,
            lambda c: c.configure("+14155552671", NumberConfig(sms=Route(fallback_url="https://e.com/f"))),
        ),
        (
            Feature.CONFIG_FRIENDLY_NAME,
            lambda c: c.configure("+14155552671", NumberConfig(friendly_name=None)),
        ),
        (Feature.RELEASE, lambda c: c.release("+14155552671")),
        (Feature.TRANSFER, lambda c: c.transfer("+14155552671", "AC2")),
    ],
)
async def test_unsupported_is_raised_before_any_hook(missing: Feature, call: Any) -> None:
    carrier = Fake(features=everything_but(missing), inventory=[offer("+14155552671")])
    with pytest.raises(UnsupportedError) as caught:
        await call(carrier)
    assert caught.value.provider == "fake"
    assert caught.value.feature == missing
    assert f"fake does not support {missing.value}" in str(caught.value)
    assert carrier.calls == []


async def test_unsupported_list_is_raised_before_the_hook() -> None:
    carrier = Fake(features=everything_but(Feature.LIST), numbers=[owned("+14155552671")])
    with pytest.raises(UnsupportedError, match="fake does not support list"):
        await collect(carrier)
    assert carrier.calls == []


async def test_an_empty_config_needs_no_config_feature() -> None:
    carrier = Fake(features={Feature.PURCHASE})
    bought = await carrier.purchase("+14155552671", config=NumberConfig())
    assert bought.phone_number == "+14155552671"
    assert hooks(carrier) == ["purchase"]


# -- input validation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [
        "+1415",
        "(415) 555-2671",
        "+14155552671 ext 1",
        "+14155552671,1",
        None,
        14155552671,
        "",
        "+1415555O1OO",  # the letter O: read by the keypad it would be +14155556166
        "+1415555CALL",
    ],
)
@pytest.mark.parametrize("operation", ["purchase", "get", "release", "configure", "transfer"])
async def test_invalid_numbers_are_refused_before_any_hook(bad: Any, operation: str) -> None:
    carrier = Fake()
    arguments: dict[str, tuple[Any, ...]] = {
        "purchase": (bad,),
        "get": (bad,),
        "release": (bad,),
        "configure": (bad, NumberConfig(friendly_name="x")),
        "transfer": (bad, "AC2"),
    }
    with pytest.raises(InvalidInputError) as caught:
        await getattr(carrier, operation)(*arguments[operation])
    assert caught.value.field == "number"
    assert carrier.calls == []


@pytest.mark.parametrize("operation", ["get", "release", "configure", "transfer", "purchase"])
async def test_a_number_the_library_handed_out_is_accepted_back(operation: str) -> None:
    # Possible but in no range the metadata knows: carriers sell such numbers, and list() yields them.
    unknown_range = "+14557165290"
    assert not phonenumbers.is_valid_number(phonenumbers.parse(unknown_range))
    carrier = Fake(numbers=[owned(unknown_range)])
    [listed] = [number async for number in carrier.list()]
    arguments: dict[str, tuple[Any, ...]] = {
        "purchase": (),
        "get": (),
        "release": (),
        "configure": (NumberConfig(friendly_name="x"),),
        "transfer": ("AC2",),
    }
    for handed_out in (listed, listed.phone_number):
        await getattr(carrier, operation)(handed_out, *arguments[operation])
    assert [call[0] for call in carrier.calls if call[0] != "list"] == [operation, operation]


class Contrary(Fake):
    """A carrier whose answers are about another number than the one asked for."""

    async def _purchase(self, e164: str, config: NumberConfig | None) -> ActiveNumber:
        await super()._purchase(e164, config)
        return owned("+13968898950")

    async def _get(self, e164: str) -> ActiveNumber:
        self._record("get", e164)
        return owned("+13968898950")

    async def _configure(self, e164: str, config: NumberConfig) -> ActiveNumber:
        self._record("configure", (e164, config))
        return owned("+13968898950")

    async def _transfer(self, e164: str, to_account: str) -> ActiveNumber:
        self._record("transfer", (e164, to_account))
        return owned("+13968898950")


@pytest.mark.parametrize(
    ("operation", "refusal"),
    [
        # A change that is not sent twice blindly: what callers catch before looking it up.
        ("purchase", OutcomeUnknownError),
        ("transfer", OutcomeUnknownError),
        ("get", ProtocolError),
        ("configure", ProtocolError),
    ],
)
async def test_an_answer_about_another_number_is_refused(operation: str, refusal: type[NumbersError]) -> None:
    carrier = Contrary(numbers=[owned("+14155550100")])
    arguments: dict[str, tuple[Any, ...]] = {
        "purchase": (),
        "get": (),
        "configure": (NumberConfig(friendly_name="x"),),
        "transfer": ("AC2",),
    }
    with pytest.raises(refusal, match=r"\+13968898950") as caught:
        await getattr(carrier, operation)("+14155550100", *arguments[operation])
    # Both numbers are named, so that a bulk job can look both up.
    assert getattr(caught.value, "numbers", None) == ("+14155550100", "+13968898950")
    if operation == "purchase":
        assert isinstance(caught.value, OutcomeUnknownError)
        assert (caught.value.operation, caught.value.number) == ("purchase", "+14155550100")
        assert "may have bought +14155550100 or +13968898950" in str(caught.value)


async def test_purchase_any_refuses_an_answer_about_another_number() -> None:
    carrier = Contrary(inventory=[offer("+14155550100")])
    with pytest.raises(OutcomeUnknownError, match="may have bought"):
        await carrier.purchase_any(area_code="415")


class Sloppy(Fake):
    """A carrier whose batches answer the first number with another and say nothing of the second."""

    async def _sloppy(self, e164s: builtins.list[str]) -> dict[str, ActiveNumber | NumbersError | None]:
        return {e164s[0]: owned("+13968898950")}

    async def _purchase_many(
        self, e164s: builtins.list[str], config: NumberConfig | None
    ) -> dict[str, ActiveNumber | NumbersError | None]:
        return await self._sloppy(e164s)

    async def _configure_many(
        self, e164s: builtins.list[str], config: NumberConfig
    ) -> dict[str, ActiveNumber | NumbersError | None]:
        return await self._sloppy(e164s)

    async def _release_many(self, e164s: builtins.list[str]) -> dict[str, ActiveNumber | NumbersError | None]:
        return await self._sloppy(e164s)


@pytest.mark.parametrize(
    ("operation", "refusal"),
    [("purchase", OutcomeUnknownError), ("release", OutcomeUnknownError), ("configure", ProtocolError)],
)
async def test_a_batch_that_misreports_a_number_leaves_a_change_unknown(
    operation: str, refusal: type[NumbersError]
) -> None:
    carrier = Sloppy()
    arguments = (NumberConfig(friendly_name="x"),) if operation == "configure" else ()
    answered, silent = await getattr(carrier, f"{operation}_many")(
        ["+14155550100", "+14155550101"], *arguments
    )
    assert type(answered.error) is refusal
    assert type(silent.error) is refusal
    # Both numbers the answer may concern, so that a bulk job can look both up.
    assert getattr(answered.error, "numbers", None) == ("+14155550100", "+13968898950")
    assert getattr(silent.error, "numbers", None) == ("+14155550101",)


async def test_numbers_are_normalised_and_model_objects_accepted() -> None:
    carrier = Fake(numbers=[owned("+14155552671")])
    await carrier.purchase(" +1 (415) 555-2671 ")
    await carrier.purchase(offer("+14155552671"))
    got = await carrier.get(owned("+14155552671"))
    await carrier.release(got)
    assert carrier.calls[0] == ("purchase", ("+14155552671", None))
    assert carrier.calls[1] == ("purchase", ("+14155552671", None))
    assert carrier.calls[2:] == [("get", "+14155552671"), ("release", "+14155552671")]


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.search("US"),
        lambda c: c.search(bogus=1),
        lambda c: c.search(limit=0),
        lambda c: c.search(distance=5),
        lambda c: c.search(number_type="unknown"),
        lambda c: c.purchase_any(country="XX"),
        lambda c: c.purchase("+14155552671", config={"friendly_name": "x"}),
        lambda c: c.purchase_any(config="x"),
        lambda c: c.configure("+14155552671", {"friendly_name": "x"}),
        lambda c: c.transfer("+14155552671", " "),
        lambda c: c.transfer("+14155552671", None),
        lambda c: c.transfer("+14155552671", "AC\x00"),
        lambda c: c.transfer("+14155552671", "AC\u202e2"),
        lambda c: c.transfer("+14155552671", "A" * 257),
        # A blank filter is refused, not dropped: dropped, it bought any number at all.
        lambda c: c.purchase_any(area_code=""),
        lambda c: c.purchase_any(contains="\r\n"),
        lambda c: c.purchase_any(locality=" "),
        lambda c: c.search(region=""),
    ],
)
async def test_bad_queries_and_configs_are_refused_before_any_hook(call: Any) -> None:
    carrier = Fake(inventory=[offer("+14155552671")])
    with pytest.raises(InvalidInputError):
        await call(carrier)
    assert carrier.calls == []


async def test_search_merges_a_query_and_keyword_criteria() -> None:
    carrier = Fake(inventory=[offer("+14155552671")])
    await carrier.search(SearchQuery(country="CA", limit=3), sms=True)
    [(hook, query)] = carrier.calls
    assert hook == "search"
    assert (query.country, query.limit, query.sms) == ("CA", 3, True)


async def test_transfer_strips_the_account() -> None:
    carrier = Fake()
    moved = await carrier.transfer("+14155552671", "  AC2 ")
    assert moved.account_id == "AC2"
    assert carrier.calls == [("transfer", ("+14155552671", "AC2"))]


async def test_configure_passes_the_partial_config_through() -> None:
    carrier = Fake()
    config = NumberConfig(sms=Route(url="https://example.com/sms"))
    await carrier.configure("+14155552671", config)
    [(hook, (number, passed))] = carrier.calls
    assert (hook, number) == ("configure", "+14155552671")
    assert passed is config
    assert passed.model_fields_set == {"sms"}


# -- client-side search filters --------------------------------------------------------------------

INVENTORY = [
    offer(
        "+14155552671",
        capabilities={"voice": True, "sms": True, "mms": False},
        geography={"region": "CA", "locality": "San Francisco", "postal_code": "94105", "lata": "722"},
        address_requirement="none",
    ),
    offer(
        "+14155559653",  # ends in WOLF
        capabilities={"voice": True, "sms": None},
        geography={"region": "ca", "rate_center": "SNFC"},
    ),
    offer(
        "+12125550100",
        capabilities={"voice": False, "sms": True, "fax": True},
        geography={"region": "NY", "locality": "New York"},
        address_requirement="local",
    ),
    offer("+390612345678", address_requirement="any"),  # Rome: the national number keeps its 0
    offer("+442079460000"),
]


def numbers_of(found: builtins.list[AvailableNumber]) -> builtins.list[str]:
    return [n.phone_number for n in found]


@pytest.mark.parametrize(
    ("criteria", "expected"),
    [
        ({}, [n.phone_number for n in INVENTORY]),
        ({"voice": True}, ["+14155552671", "+14155559653", "+390612345678", "+442079460000"]),
        # None means "not said", which does not contradict the filter; False does.
        ({"sms": True}, ["+14155552671", "+14155559653", "+12125550100", "+390612345678", "+442079460000"]),
        ({"mms": True}, ["+14155559653", "+12125550100", "+390612345678", "+442079460000"]),
        ({"fax": True, "voice": True}, ["+14155552671", "+14155559653", "+390612345678", "+442079460000"]),
        ({"contains": "WOLF"}, ["+14155559653"]),
        ({"contains": "555*6*1"}, ["+14155552671"]),
        ({"contains": "1415"}, ["+14155552671", "+14155559653"]),  # the country code counts
        ({"contains": "*" * 9 + "71"}, ["+14155552671"]),
        ({"area_code": 415}, ["+14155552671", "+14155559653"]),
        ({"country": "IT", "area_code": "06"}, ["+390612345678"]),
        ({"country": "GB", "area_code": "20"}, ["+442079460000"]),
        ({"starts_with": "212"}, ["+12125550100"]),
        ({"ends_with": "0100"}, ["+12125550100"]),
        ({"region": "CA"}, ["+14155552671", "+14155559653", "+390612345678", "+442079460000"]),
        ({"locality": "new york"}, ["+14155559653", "+12125550100", "+390612345678", "+442079460000"]),
        ({"postal_code": "94105", "area_code": "415"}, ["+14155552671", "+14155559653"]),
        (
            {"rate_center": "snfc", "lata": "999"},
            ["+14155559653", "+12125550100", "+390612345678", "+442079460000"],
        ),
        ({"exclude_address_required": True}, ["+14155552671", "+14155559653", "+442079460000"]),
    ],
)
async def test_client_side_filters(criteria: dict[str, Any], expected: builtins.list[str]) -> None:
    carrier = Fake(client_side=ALL_CLIENT_FILTERS, inventory=INVENTORY)
    assert numbers_of(await carrier.search(**criteria)) == expected


async def test_filters_the_carrier_honours_are_not_applied_again() -> None:
    carrier = Fake(client_side={"sms"}, inventory=INVENTORY)
    found = await carrier.search(area_code="212", sms=True)
    # area_code is the carrier's business (trusted); sms is checked here.
    assert numbers_of(found) == [n.phone_number for n in INVENTORY]
    carrier = Fake(client_side={"sms", "voice"}, inventory=INVENTORY)
    assert numbers_of(await carrier.search(voice=True, sms=True)) == [
        "+14155552671",
        "+14155559653",
        "+390612345678",
        "+442079460000",
    ]


async def test_results_are_cut_to_the_limit_after_filtering() -> None:
    inventory = [offer(f"+1212555{i:04d}") for i in range(10)] + [
        offer(f"+1415555{i:04d}") for i in range(30)
    ]
    carrier = Fake(client_side={"area_code"}, inventory=inventory)
    found = await carrier.search(area_code="415", limit=4)
    assert numbers_of(found) == ["+14155550000", "+14155550001", "+14155550002", "+14155550003"]
    assert len(await carrier.search()) == 20  # the default limit


def test_an_adapter_cannot_claim_a_filter_the_base_cannot_check() -> None:
    with pytest.raises(TypeError, match="near_number"):

        class Broken(Fake):
            client_side_filters = frozenset({"near_number", "sms"})


# -- purchase_any ----------------------------------------------------------------------------------


async def test_purchase_any_moves_on_when_a_candidate_is_taken() -> None:
    inventory = [offer("+14155550001"), offer("+14155550002"), offer("+14155550003"), offer("+14155550004")]
    carrier = Fake(inventory=inventory, taken={"+14155550001", "+14155550002"})
    config = NumberConfig(friendly_name="support")
    bought = await carrier.purchase_any(area_code="415", config=config)
    assert bought.phone_number == "+14155550003"
    assert bought.config == config
    assert hooks(carrier) == ["search", "purchase", "purchase", "purchase"]
    assert [argument[0] for hook, argument in carrier.calls if hook == "purchase"] == [
        "+14155550001",
        "+14155550002",
        "+14155550003",
    ]


async def test_purchase_any_only_tries_candidates_that_match() -> None:
    inventory = [offer("+12125550100"), offer("+14155550001")]
    carrier = Fake(client_side={"area_code"}, inventory=inventory)
    bought = await carrier.purchase_any(SearchQuery(area_code="415"))
    assert bought.phone_number == "+14155550001"
    assert hooks(carrier) == ["search", "purchase"]


async def test_purchase_any_when_everything_is_taken() -> None:
    inventory = [offer("+14155550001"), offer("+14155550002")]
    carrier = Fake(inventory=inventory, taken={"+14155550001", "+14155550002"})
    with pytest.raises(NumberUnavailableError) as caught:
        await carrier.purchase_any(area_code="415")
    assert caught.value.provider == "fake"
    # Taken meanwhile: a second search shows whether others came up since; none did.
    assert hooks(carrier) == ["search", "purchase", "purchase", "search"]


async def test_purchase_any_when_nothing_is_found() -> None:
    carrier = Fake(inventory=[])
    with pytest.raises(NumberUnavailableError):
        await carrier.purchase_any()
    assert hooks(carrier) == ["search"]


async def test_purchase_any_stops_on_other_errors() -> None:
    class Broke(Fake):
        async def _purchase(self, e164: str, config: NumberConfig | None) -> ActiveNumber:
            self._record("purchase", e164)
            raise PaymentRequiredError("insufficient funds", provider=self.name, status_code=402)

    carrier = Broke(inventory=[offer("+14155550001"), offer("+14155550002")])
    with pytest.raises(PaymentRequiredError):
        await carrier.purchase_any()
    assert hooks(carrier) == ["search", "purchase"]


async def test_purchase_any_moves_on_when_the_account_bought_a_candidate_meanwhile() -> None:
    class Raced(Fake):
        async def _purchase(self, e164: str, config: NumberConfig | None) -> ActiveNumber:
            if e164 == "+14155550001":  # another call (another process) of this account bought it
                self._record("purchase", (e164, config))
                raise ConflictError("yours already", provider=self.name, code="already-owned")
            return await super()._purchase(e164, config)

    carrier = Raced(inventory=[offer("+14155550001"), offer("+14155550002")])
    assert (await carrier.purchase_any(area_code="415")).phone_number == "+14155550002"


async def test_purchase_any_stops_on_another_conflict() -> None:
    class Porting(Fake):
        async def _purchase(self, e164: str, config: NumberConfig | None) -> ActiveNumber:
            self._record("purchase", (e164, config))
            raise ConflictError("the number is porting", provider=self.name, code="number_is_porting")

    carrier = Porting(inventory=[offer("+14155550001"), offer("+14155550002")])
    with pytest.raises(ConflictError):
        await carrier.purchase_any(area_code="415")
    assert hooks(carrier) == ["search", "purchase"]


async def test_purchase_any_searches_again_when_every_candidate_was_taken_meanwhile() -> None:
    class Busy(Fake):
        """Others buy what its first search showed before this call gets to it."""

        async def _search(self, query: SearchQuery) -> builtins.list[AvailableNumber]:
            shown = await super()._search(query)
            self.inventory = [offer("+14155550003")]
            return shown

    carrier = Busy(
        inventory=[offer("+14155550001"), offer("+14155550002")], taken={"+14155550001", "+14155550002"}
    )
    assert (await carrier.purchase_any(area_code="415")).phone_number == "+14155550003"
    assert hooks(carrier) == ["search", "purchase", "purchase", "search", "purchase"]


class Shelf(Fake):
    """A carrier that shows two of its unsold numbers at a time, and takes a moment to sell one;
    like Kazoo, it sells a number the account has again without a word, so its adapter looks first."""

    async def _search(self, query: SearchQuery) -> builtins.list[AvailableNumber]:
        self._record("search", query)
        return [n for n in self.inventory if n.phone_number not in self.taken][:2]

    async def _purchase(self, e164: str, config: NumberConfig | None) -> ActiveNumber:
        self._record("purchase", (e164, config))
        if e164 in self.taken:
            raise ConflictError(f"{e164} is yours already", provider=self.name, code="already-owned")
        await anyio.sleep(0.01)
        self.taken.add(e164)
        return owned(e164)


async def test_concurrent_purchase_any_calls_buy_a_number_each() -> None:
    stock = [f"+1415555000{i}" for i in range(6)]
    carrier = Shelf(inventory=[offer(e164) for e164 in stock])
    results: builtins.list[str | None] = []

    async def one() -> None:
        try:
            results.append((await carrier.purchase_any(area_code="415")).phone_number)
        except NumberUnavailableError:
            results.append(None)

    async with anyio.create_task_group() as tasks:
        for _ in range(len(stock) + 1):
            tasks.start_soon(one)
    # Each call bought a number of its own; "none left" only for the one call too many.
    assert sorted(results, key=str) == [*stock, None]
    # No two calls tried the same number: the calls in flight took different ones.
    assert sorted(argument[0] for hook, argument in carrier.calls if hook == "purchase") == stock


async def test_concurrent_purchases_of_one_number_run_one_at_a_time() -> None:
    carrier = Shelf(inventory=[offer("+14155550001")])
    results: builtins.list[str] = []

    async def one() -> None:
        try:
            await carrier.purchase("+14155550001")
            results.append("bought")
        except ConflictError as exc:
            results.append(str(exc.code))

    async with anyio.create_task_group() as tasks:
        for _ in range(3):
            tasks.start_soon(one)
    assert sorted(results) == ["already-owned", "already-owned", "bought"]


async def test_purchase_any_natively() -> None:
    carrier = NativeAny(inventory=[offer("+14155550001")])
    bought = await carrier.purchase_any(area_code="212", config=NumberConfig(friendly_name="x"))
    assert bought.phone_number == "+12125552671"
    assert bought.config.friendly_name == "x"
    [(hook, query)] = carrier.calls
    assert hook == "purchase_any"
    assert query.area_code == "212"


async def test_purchase_any_falls_back_when_the_native_call_cannot_serve_the_query() -> None:
    carrier = NativeAny(inventory=[offer("+14155559653")])
    bought = await carrier.purchase_any(contains="WOLF")
    assert bought.phone_number == "+14155559653"
    assert hooks(carrier) == ["search", "purchase"]


async def test_native_purchase_any_needs_its_feature() -> None:
    carrier = NativeAny(
        features=everything_but(Feature.PURCHASE_ANY_NATIVE), inventory=[offer("+14155550001")]
    )
    await carrier.purchase_any(area_code="415")
    assert hooks(carrier) == ["search", "purchase"]


# -- list ------------------------------------------------------------------------------------------

OWNED = [
    owned("+14155552671", friendly_name="Support", number_type="local", geography={"iso_country": "US"}),
    owned("+14155559653", friendly_name="Sales", number_type="toll_free"),
    owned("+16135550123", friendly_name="support"),  # Canada, type and country not said
    owned("+442079460000", number_type="local"),
    owned("+15550000000", number_type="mobile"),  # a +1 number the metadata cannot place
    owned("+12125550100", geography={"iso_country": "CA"}),  # the carrier's word wins
]


async def collect(carrier: Fake, **filters: Any) -> builtins.list[str]:
    async with aclosing(carrier.list(**filters)) as numbers:
        return [number.phone_number async for number in numbers]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, [n.phone_number for n in OWNED]),
        ({"contains": "WOLF"}, ["+14155559653"]),
        ({"contains": "415*55"}, ["+14155552671", "+14155559653"]),
        ({"friendly_name": "SUPPORT"}, ["+14155552671", "+16135550123"]),
        ({"number_type": "local"}, ["+14155552671", "+16135550123", "+442079460000", "+12125550100"]),
        ({"country": "us"}, ["+14155552671", "+14155559653", "+15550000000"]),
        ({"country": "CA"}, ["+16135550123", "+15550000000", "+12125550100"]),
        ({"country": "GB"}, ["+442079460000"]),
        ({"country": "GB", "number_type": "mobile"}, []),
        ({"contains": None, "country": None}, [n.phone_number for n in OWNED]),
    ],
)
async def test_list_filters_client_side(filters: dict[str, Any], expected: builtins.list[str]) -> None:
    carrier = Fake(numbers=OWNED)
    assert await collect(carrier, **filters) == expected
    assert carrier.calls == [("list", {})]
    assert carrier.cursors == [None, "2", "4"]


async def test_native_list_filters_are_passed_through_normalised() -> None:
    carrier = Fake(numbers=OWNED, native_list={"contains", "country", "number_type"})
    await collect(carrier, contains="wolf", country="us", number_type="toll_free", friendly_name="Sales")
    assert carrier.calls == [
        ("list", {"contains": "9653", "country": "US", "number_type": NumberType.TOLL_FREE})
    ]


async def test_native_list_filter_with_a_carrier_that_does_not_report_the_type() -> None:
    # The carrier filtered by type (e.g. a /Local endpoint) but its records do not say the type.
    untyped = [owned("+14155552671"), owned("+14155559653")]
    carrier = Fake(numbers=untyped, native_list={"number_type"})
    assert await collect(carrier, number_type="local") == ["+14155552671", "+14155559653"]


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        ({"area_code": "415"}, "area_code"),
        ({"contains": "+1"}, "contains"),
        ({"country": "XX"}, "country"),
        ({"number_type": "landline"}, "number_type"),
    ],
)
async def test_bad_list_filters_are_refused_before_the_hook(filters: dict[str, Any], field: str) -> None:
    carrier = Fake(numbers=OWNED)
    with pytest.raises(InvalidInputError) as caught:
        await collect(carrier, **filters)
    assert field in str(caught.value)
    assert carrier.calls == []


@pytest.mark.parametrize("name", ["contains", "friendly_name", "country", "number_type"])
@pytest.mark.parametrize("blank", ["", " ", "\r\n"])
def test_a_blank_list_filter_is_refused(name: str, blank: str) -> None:
    # contains="" became None, then was matched against each number: a TypeError once the
    # account owned one.
    carrier = Fake(numbers=OWNED)
    with pytest.raises(InvalidInputError, match=f"list filter {name}: is empty") as caught:
        carrier.list(**{name: blank})
    assert caught.value.field == name
    assert carrier.calls == []


async def test_a_consumer_that_stops_early_fetches_no_further_page() -> None:
    carrier = Fake(numbers=OWNED)
    numbers = carrier.list()
    assert carrier.cursors == []  # nothing is fetched before iteration
    async for number in numbers:
        assert number.phone_number == "+14155552671"
        break
    assert carrier.cursors == [None]
    # Nothing is held open between pages, so leaving the loop needs no aclose() (trio would warn
    # about an abandoned async generator); aclose() still ends the iteration for good.
    await numbers.aclose()
    assert [n async for n in numbers] == []
    assert carrier.cursors == [None]


def test_list_refuses_bad_filters_when_called_not_when_iterated() -> None:
    carrier = Fake(numbers=OWNED)
    with pytest.raises(InvalidInputError):
        carrier.list(area_code="415")
    with pytest.raises(UnsupportedError):
        Fake(features={Feature.SEARCH}).list()
    assert carrier.cursors == []


async def test_list_guards_the_adapter_generator() -> None:
    carrier = Fake(numbers=OWNED, explode=KeyError("items"))
    with pytest.raises(ProtocolError, match="fake: list: unexpected response"):
        await collect(carrier)
    assert carrier.cursors == [None]


async def test_list_lets_errors_of_the_tree_through() -> None:
    carrier = Fake(numbers=OWNED, explode=NotFoundError("account gone", provider="fake", status_code=404))
    with pytest.raises(NotFoundError, match="account gone"):
        await collect(carrier)
    assert carrier.cursors == [None]


# -- the guard -------------------------------------------------------------------------------------


def _validation_error() -> pydantic.ValidationError:
    try:
        ActiveNumber.model_validate({"phone_number": "+14155552671"})
    except pydantic.ValidationError as exc:
        return exc
    raise AssertionError("expected a ValidationError")


def _parse_error() -> phonenumbers.NumberParseException:
    try:
        phonenumbers.parse("nothing", None)
    except phonenumbers.NumberParseException as exc:
        return exc
    raise AssertionError("expected a NumberParseException")


FOREIGN = [
    KeyError("sid"),
    TypeError("'NoneType' object is not subscriptable"),
    ValueError("bad literal"),
    AttributeError("'list' object has no attribute 'get'"),
    IndexError("list index out of range"),
    decimal.InvalidOperation("price"),
    _validation_error(),
    _parse_error(),
]


GUARDED: dict[str, tuple[Any, ...]] = {
    "search": (),
    "purchase": ("+14155552671",),
    "get": ("+14155552671",),
    "configure": ("+14155552671", NumberConfig(friendly_name="x")),
    "release": ("+14155552671",),
    "transfer": ("+14155552671", "AC2"),
}


@pytest.mark.parametrize("foreign", FOREIGN, ids=lambda e: type(e).__name__)
@pytest.mark.parametrize("operation", ["search", "get", "configure"])
async def test_guard_turns_foreign_errors_into_protocol_errors(foreign: Exception, operation: str) -> None:
    carrier = Fake(explode=foreign)
    with pytest.raises(ProtocolError) as caught:
        await getattr(carrier, operation)(*GUARDED[operation])
    assert caught.value.provider == "fake"
    assert str(caught.value).startswith(f"fake: {operation}: unexpected response ({type(foreign).__name__}")
    assert caught.value.__cause__ is foreign


@pytest.mark.parametrize(
    "foreign",
    [*FOREIGN, httpx.ReadTimeout("slow"), httpx.DecodingError("bad gzip")],
    ids=lambda e: type(e).__name__,
)
@pytest.mark.parametrize("operation", ["purchase", "release", "transfer"])
async def test_a_foreign_error_in_a_change_leaves_its_outcome_unknown(
    foreign: Exception, operation: str
) -> None:
    # It may have come after the carrier made the change (reading its answer): never "not made".
    carrier = Fake(explode=foreign)
    with pytest.raises(OutcomeUnknownError) as caught:
        await getattr(carrier, operation)(*GUARDED[operation])
    assert (caught.value.operation, caught.value.number) == (operation, "+14155552671")
    assert "may or may not have taken effect" in str(caught.value)
    assert caught.value.__cause__ is foreign


async def test_an_answer_that_does_not_decode_is_said_in_words() -> None:
    carrier = Fake(explode=httpx.DecodingError("Error -3 while decompressing data"))
    with pytest.raises(ProtocolError) as caught:
        await carrier.get("+14155552671")
    assert "does not decode as its Content-Encoding says" in str(caught.value)
    assert "DecodingError" not in str(caught.value)


@pytest.mark.parametrize(
    "foreign",
    [httpx.ConnectError("refused"), httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("eh")],
    ids=lambda e: type(e).__name__,
)
async def test_guard_turns_httpx_errors_into_transport_errors(foreign: httpx.HTTPError) -> None:
    carrier = Fake(explode=foreign)
    with pytest.raises(TransportError) as caught:
        await carrier.get("+14155552671")
    assert caught.value.provider == "fake"
    assert type(foreign).__name__ not in str(caught.value)  # httpx's words are not the user's
    assert "failed" in str(caught.value)
    assert caught.value.__cause__ is foreign


async def test_guard_lets_errors_of_the_tree_through_unchanged() -> None:
    error = NotFoundError("no such number", provider="fake", status_code=404)
    carrier = Fake(explode=error)
    with pytest.raises(NotFoundError) as caught:
        await carrier.get("+14155552671")
    assert caught.value is error


# -- over the wire: the hooks use HttpCore ---------------------------------------------------------


class RecordingTransport(httpx.MockTransport):
    def __init__(self, handler: Any) -> None:
        super().__init__(handler)
        self.closed = False

    async def aclose(self) -> None:
        self.closed = True


class Wired(Fake):
    """Fetches numbers from an HTTP API; parses the body without checking it, like a buggy adapter."""

    def __init__(self, transport: httpx.AsyncBaseTransport | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.http = self._make_http(
            base_url="http://127.0.0.1/api",
            error_mapper=lambda r: error_for_status(r.status_code, provider=self.name, message=r.text),
            transport=transport,
        )

    async def _get(self, e164: str) -> ActiveNumber:
        body = await self.http.request_json(
            "GET", "numbers", idempotency=Idempotency.SAFE, operation="get", number=e164
        )
        return owned(body["number"]["e164"])


def json_handler(body: Any, status: int = 200) -> Any:
    return lambda request: httpx.Response(status, json=body)


async def test_wire_answer_with_a_missing_key_becomes_a_protocol_error() -> None:
    async with Wired(RecordingTransport(json_handler({"numbers": []}))) as carrier:
        with pytest.raises(ProtocolError, match="KeyError"):
            await carrier.get("+14155552671")


async def test_wire_answer_with_a_bad_number_becomes_a_protocol_error() -> None:
    async with Wired(RecordingTransport(json_handler({"number": {"e164": "+1415"}}))) as carrier:
        with pytest.raises(ProtocolError, match="ValidationError"):
            await carrier.get("+14155552671")


async def test_wire_error_status_is_mapped() -> None:
    async with Wired(RecordingTransport(json_handler({"message": "nope"}, status=404))) as carrier:
        with pytest.raises(NotFoundError):
            await carrier.get("+14155552671")


async def test_context_manager_closes_its_own_client() -> None:
    transport = RecordingTransport(json_handler({"number": {"e164": "+14155552671"}}))
    async with Wired(transport) as carrier:
        assert (await carrier.get("+14155552671")).phone_number == "+14155552671"
        assert not transport.closed
    assert transport.closed
    with pytest.raises(TransportError, match="closed"):
        await carrier.get("+14155552671")
    await carrier.aclose()  # twice is fine


async def test_a_user_supplied_client_is_left_open() -> None:
    transport = RecordingTransport(json_handler({"number": {"e164": "+14155552671"}}))
    async with httpx.AsyncClient(transport=transport) as client:
        async with Wired(None, http_client=client) as carrier:
            assert (await carrier.get("+14155552671")).phone_number == "+14155552671"
        assert not client.is_closed
        assert not transport.closed
    assert transport.closed


async def test_a_provider_without_http_closes_cleanly() -> None:
    async with Fake() as carrier:
        assert repr(carrier) == "<Fake 'fake'>"
    await carrier.aclose()


@pytest.mark.parametrize(
    "name", ["sandbox", "twilio", "signalwire", "kazoo", "sinch", "sinch-draft", "telnyx", "vonage", "plivo"]
)
def test_a_provider_built_with_settings_not_its_own_says_which_it_needs(name: str) -> None:
    from numbers_core import ConfigurationError
    from numbers_core._registry import load_provider

    provider = load_provider(name)
    with pytest.raises(ConfigurationError) as refused:
        provider(ProviderSettings())
    assert refused.value.message == (
        f"{name}: expected {provider.settings_model.__name__}, got ProviderSettings"
    )
    assert refused.value.setting == "settings"
