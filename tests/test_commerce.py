"""Prices, compliance, addresses, emergency and reservations in the Provider base class.

Through the recording adapter of test_provider.py, given the commerce hooks: what the base class
checks before any hook, how it prices search results, and how purchase_any treats compliance.
"""

from __future__ import annotations

import builtins
import logging
from decimal import Decimal
from pathlib import Path
from typing import Any

import numbers_core as nc
import pytest
from numbers_core import (
    ActiveNumber,
    Address,
    AddressCheck,
    ComplianceRequiredError,
    Coverage,
    Feature,
    InvalidInputError,
    Money,
    NumberCompliance,
    NumberConfig,
    NumberPrice,
    NumberType,
    NumberUnavailableError,
    PriceBasis,
    ProtocolError,
    ProviderSettings,
    ProviderUnavailableError,
    Requirement,
    RequirementKind,
    UnsupportedError,
)

from test_docs import blocks
from test_provider import Fake, everything_but, hooks, offer, owned

pytestmark = pytest.mark.anyio

HOME = Address(street="1 Main St", locality="Austin", region="TX", postal_code="78701", country="US")


def usd(amount: str) -> Money:
    return Money(amount=Decimal(amount), currency="USD")


class Shop(Fake):
    """The recording adapter with a price list, an address book, regulations and reservations."""

    def __init__(
        self,
        *,
        settings: ProviderSettings | None = None,
        refused: dict[str, ComplianceRequiredError] | None = None,
        catalog_fails: bool = False,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        if settings is not None:
            # What constructing with these settings does (the recording adapter takes none).
            self.settings = settings
            self._init_prices(settings)
        self.refused = refused or {}
        self.catalog_fails = catalog_fails

    async def _purchase(self, e164: str, config: NumberConfig | None) -> ActiveNumber:
        if e164 in self.refused:
            self._record("purchase", (e164, config))
            raise self.refused[e164]
        return await super()._purchase(e164, config)

    async def _prices(self, country: str) -> builtins.list[NumberPrice]:
        self._record("prices", country)
        if self.catalog_fails:
            raise ProviderUnavailableError("pricing is down", provider=self.name, status_code=503)
        return [
            NumberPrice(country=country, number_type="local", monthly=usd("1.15"), basis="catalog"),
            NumberPrice(country=country, number_type="toll_free", monthly=usd("2.15"), basis="catalog"),
        ]

    async def _coverage(self) -> builtins.list[Coverage]:
        self._record("coverage", None)
        return [
            Coverage(country="US", number_types={"local"}),
            Coverage(country="GB", number_types={"mobile"}),
        ]

    async def _requirements(self, country: str, number_type: NumberType | None) -> builtins.list[Requirement]:
        self._record("requirements", (country, number_type))
        return [Requirement(country=country, number_type="local", kind="bundle", name="Bundle")]

    async def _create_address(self, address: Address) -> Address:
        self._record("create_address", address)
        return address.model_copy(update={"id": "AD1"})

    async def _addresses_page(self, cursor: str | None) -> tuple[builtins.list[Address], str | None]:
        self._record("addresses", cursor)
        if cursor is None:
            return [HOME.model_copy(update={"id": "AD1"})], "2"
        return [HOME.model_copy(update={"id": "AD2"})], None

    async def _delete_address(self, address_id: str) -> None:
        self._record("delete_address", address_id)

    async def _validate_emergency_address(self, address: Address, e164: str | None) -> AddressCheck:
        self._record("validate_emergency_address", (address, e164))
        return AddressCheck(result="exact", address=address)

    async def _reserve(self, e164: str) -> ActiveNumber:
        self._record("reserve", e164)
        return owned(e164, status="reserved")

    async def _transfer_with(self, e164: str, to_account: str, compliance: NumberCompliance) -> ActiveNumber:
        self._record("transfer_with", (e164, to_account, compliance))
        return owned(e164, account_id=to_account, compliance=compliance)


def refusal(scope: str, requirement: str = "local_address") -> ComplianceRequiredError:
    return ComplianceRequiredError(
        "not here", provider="fake", status_code=400, code="21615", requirement=requirement, scope=scope
    )


# -- the methods, their features and their input ----------------------------------------------------


CALLS = {
    Feature.PRICES: lambda c: c.prices("US"),
    Feature.COVERAGE: lambda c: c.coverage(),
    Feature.REQUIREMENTS: lambda c: c.requirements("GB", "local"),
    Feature.ADDRESSES: lambda c: c.create_address(HOME),
    Feature.EMERGENCY_VALIDATE: lambda c: c.validate_emergency_address(HOME),
    Feature.RESERVE: lambda c: c.reserve("+14155552671"),
    Feature.CONFIG_COMPLIANCE: lambda c: c.transfer("+14155552671", "AC2", compliance=NumberCompliance()),
}


@pytest.mark.parametrize(("missing", "call"), CALLS.items(), ids=[str(f) for f in CALLS])
async def test_each_method_is_refused_before_any_hook_without_its_feature(
    missing: Feature, call: Any
) -> None:
    carrier = Shop(features=everything_but(missing))
    with pytest.raises(UnsupportedError) as caught:
        await call(carrier)
    assert caught.value.feature == missing
    assert carrier.calls == []


async def test_the_address_book_needs_its_feature() -> None:
    carrier = Shop(features=everything_but(Feature.ADDRESSES))
    with pytest.raises(UnsupportedError, match="addresses"):
        carrier.addresses()  # at the call, as list() does: not at the first page
    with pytest.raises(UnsupportedError, match="addresses"):
        await carrier.delete_address("AD1")
    assert carrier.calls == []


async def test_a_provider_without_the_hooks_refuses_too() -> None:
    # An adapter that announces nothing of this: the base class's own refusal, never an AttributeError.
    carrier = Fake()
    carrier.features = everything_but()
    with pytest.raises(UnsupportedError, match="coverage"):
        await carrier.coverage()
    with pytest.raises(UnsupportedError, match="reserve"):
        await carrier.reserve("+14155552671")


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda c: c.prices("ZZ"), "country"),
        (lambda c: c.prices("US", "unknown"), "number_type"),
        (lambda c: c.prices("US", "landline"), "number_type"),
        (lambda c: c.prices(None), "country"),
        (lambda c: c.coverage("XX"), "country"),
        (lambda c: c.requirements("GB", "pager"), "number_type"),
        (lambda c: c.create_address({"street": "1 Main St"}), "address"),
        (lambda c: c.create_address(HOME.model_copy(update={"id": "AD9"})), "address.id"),
        (lambda c: c.delete_address(HOME), "address"),  # an address without an id
        (lambda c: c.delete_address("AD\n1"), "address_id"),
        (lambda c: c.delete_address("  "), "address"),
        (lambda c: c.delete_address(7), "address_id"),
        (lambda c: c.validate_emergency_address("1 Main St"), "address"),
        (lambda c: c.validate_emergency_address(HOME, "+1415"), "number"),
        (lambda c: c.reserve("not a number"), "number"),
        (lambda c: c.transfer("+14155552671", "AC2", compliance={"bundle_id": "BU1"}), "compliance"),
    ],
)
async def test_bad_input_is_refused_before_any_hook(call: Any, field: str) -> None:
    carrier = Shop()
    with pytest.raises(InvalidInputError) as caught:
        await call(carrier)
    assert caught.value.field == field
    assert carrier.calls == []


async def test_the_methods_reach_their_hooks_with_clean_input() -> None:
    carrier = Shop()
    assert [p.number_type for p in await carrier.prices(" us ")] == ["local", "toll_free"]
    assert [p.number_type for p in await carrier.prices("US", number_type="toll_free")] == ["toll_free"]
    assert [c.country for c in await carrier.coverage("gb")] == ["GB"]
    assert len(await carrier.coverage()) == 2
    [needed] = await carrier.requirements("gb", "local")
    assert needed.kind is RequirementKind.BUNDLE
    assert (await carrier.create_address(HOME)).id == "AD1"
    assert [a.id async for a in carrier.addresses()] == ["AD1", "AD2"]
    await carrier.delete_address(HOME.model_copy(update={"id": "AD1"}))
    await carrier.delete_address("AD2")
    assert (await carrier.validate_emergency_address(HOME, "+1 415 555 2671")).result == "exact"
    assert (await carrier.reserve("+1 415 555 2671")).status is nc.NumberStatus.RESERVED
    papers = NumberCompliance(bundle_id="BU1")
    assert (await carrier.transfer("+14155552671", "AC2", compliance=papers)).compliance == papers
    assert carrier.calls == [
        ("prices", "US"),  # once: the second call is served from the cache
        ("coverage", None),
        ("coverage", None),
        ("requirements", ("GB", NumberType.LOCAL)),
        ("create_address", HOME),
        ("addresses", None),
        ("addresses", "2"),
        ("delete_address", "AD1"),
        ("delete_address", "AD2"),
        ("validate_emergency_address", (HOME, "+14155552671")),
        ("reserve", "+14155552671"),
        ("transfer_with", ("+14155552671", "AC2", papers)),
    ]


async def test_a_transfer_without_compliance_takes_the_plain_hook() -> None:
    carrier = Shop(features=everything_but(Feature.CONFIG_COMPLIANCE))
    await carrier.transfer("+14155552671", "AC2")
    assert hooks(carrier) == ["transfer"]


async def test_foreign_exceptions_from_the_hooks_become_protocol_errors() -> None:
    carrier = Shop(explode=KeyError("sid"))
    for feature, call in CALLS.items():
        # A reservation or a transfer may have been made before the hook failed: not "not made".
        changes = feature in (Feature.RESERVE, Feature.CONFIG_COMPLIANCE)
        with pytest.raises(nc.OutcomeUnknownError if changes else ProtocolError):
            await call(carrier)
    with pytest.raises(ProtocolError):
        [a async for a in carrier.addresses()]


async def test_a_reservation_answered_with_another_number_is_not_believed() -> None:
    class Confused(Shop):
        async def _reserve(self, e164: str) -> ActiveNumber:
            return owned("+14155550000", status="reserved")

    with pytest.raises(nc.OutcomeUnknownError) as caught:
        await Confused().reserve("+14155552671")
    assert set(caught.value.numbers) == {"+14155552671", "+14155550000"}


# -- prices in search results ------------------------------------------------------------------------


async def test_search_results_are_priced_from_the_catalog_once_per_country() -> None:
    carrier = Shop(
        inventory=[offer("+14155552671", number_type="local"), offer("+18005550100", number_type="toll_free")]
    )
    first = await carrier.search()
    assert [(n.monthly_price, n.setup_price, n.price_basis) for n in first] == [
        (usd("1.15"), None, PriceBasis.CATALOG),
        (usd("2.15"), None, PriceBasis.CATALOG),
    ]
    await carrier.search()
    await carrier.prices("US")
    assert hooks(carrier) == ["search", "prices", "search"]


async def test_a_price_the_carrier_gave_stays_and_is_called_an_offer() -> None:
    mine = offer("+14155552671", number_type="local", monthly_price=usd("0.50"))
    unknown = offer("+14155552672", number_type="mobile")  # no row for mobile numbers
    carrier = Shop(inventory=[mine, unknown])
    found = await carrier.search()
    assert (found[0].monthly_price, found[0].price_basis) == (usd("0.50"), PriceBasis.OFFER)
    assert (found[1].monthly_price, found[1].price_basis) == (None, None)


async def test_a_failing_price_list_leaves_the_search_unpriced(caplog: pytest.LogCaptureFixture) -> None:
    carrier = Shop(inventory=[offer("+14155552671", number_type="local")], catalog_fails=True)
    with caplog.at_level(logging.WARNING, logger="numbers_core"):
        [found] = await carrier.search()
    assert (found.monthly_price, found.price_basis) == (None, None)
    assert "no prices for US" in caplog.text
    carrier.catalog_fails = False  # a failure is not remembered: the next search tries again
    [found] = await carrier.search()
    assert found.price_basis is PriceBasis.CATALOG
    with pytest.raises(ProviderUnavailableError):  # prices() itself says what went wrong
        await Shop(catalog_fails=True).prices("US")


async def test_without_search_prices_the_results_stay_as_the_carrier_gave_them() -> None:
    carrier = Shop(features=everything_but(Feature.SEARCH_PRICES), inventory=[offer("+14155552671")])
    [found] = await carrier.search()
    assert found.price_basis is None
    assert hooks(carrier) == ["search"]


# -- the prices table setting --------------------------------------------------------------------------

TABLE = {"US": {"local": "1.15 USD", "toll_free": {"monthly": "2.15 usd", "setup": "1 USD"}}}


async def test_the_prices_table_prices_any_provider_instead_of_its_catalog() -> None:
    carrier = Shop(
        settings=ProviderSettings(prices=TABLE),
        features=everything_but(Feature.PRICES, Feature.SEARCH_PRICES),
        inventory=[offer("+18005550100", number_type="toll_free")],
    )
    assert carrier.supports(Feature.PRICES)
    assert carrier.supports(Feature.SEARCH_PRICES)
    [found] = await carrier.search(number_type="toll_free")
    assert (found.monthly_price, found.setup_price, found.price_basis) == (
        usd("2.15"),
        usd("1"),
        PriceBasis.TABLE,
    )
    local, toll_free = await carrier.prices("us")
    assert local == NumberPrice(country="US", number_type="local", monthly=usd("1.15"), basis="table")
    assert toll_free.setup == usd("1")
    assert await carrier.prices("GB") == []  # not in the table: nothing priced
    assert "prices" not in hooks(carrier)  # the carrier's own list is never asked


def test_without_a_table_the_features_are_the_class_s() -> None:
    assert Feature.PRICES not in Fake(features={Feature.SEARCH}).features
    assert Shop(settings=ProviderSettings(), features={Feature.SEARCH}).features == {Feature.SEARCH}


async def test_connect_takes_the_table_and_turns_on_the_features() -> None:
    async with nc.connect("sandbox", prices={"GB": {"mobile": "0.80 GBP"}}) as carrier:
        [mobile] = await carrier.prices("GB")
        assert (mobile.monthly, mobile.basis) == (
            Money(amount=Decimal("0.80"), currency="GBP"),
            PriceBasis.TABLE,
        )
        [found] = await carrier.search(country="GB", number_type="mobile", limit=1)
        assert (found.monthly_price, found.price_basis) == (mobile.monthly, PriceBasis.TABLE)


@pytest.mark.parametrize(
    ("table", "setting", "says"),
    [
        ({"ZZ": {"local": "1 USD"}}, "prices.ZZ.[key]", "'ZZ' is not an ISO 3166"),
        (
            {"US": {"landline": "1 USD"}},
            "prices.US.landline.[key]",
            "'landline' is not a type of number one buys (local, mobile,",
        ),
        (
            {"US": {"unknown": "1 USD"}},
            "prices.US.unknown.[key]",
            "'unknown' is not a type of number one buys",
        ),
        ({"US": {"local": "1.15"}}, "prices.US.local.monthly", "write the amount and the currency"),
        ({"US": {"local": "-1 USD"}}, "prices.US.local.monthly", "'-1 USD' is not a price"),
        ({"US": {"local": 1.15}}, "prices.US.local", "expected a table of names and values"),
        ({"US": {"local": {"setup": "1 USD"}}}, "prices.US.local.monthly", "missing"),
        (
            {"US": {"local": {"monthly": "1 USD", "yearly": "9 USD"}}},
            "prices.US.local.yearly",
            "not a setting",
        ),
        ({"US": "1.15 USD"}, "prices.US", "expected a table of names and values"),
    ],
)
def test_a_bad_table_is_a_configuration_error_naming_the_key(table: Any, setting: str, says: str) -> None:
    with pytest.raises(nc.ConfigurationError) as caught:
        nc.connect("sandbox", prices=table)
    assert caught.value.setting == setting
    assert says in str(caught.value)


def test_the_table_is_read_from_the_config_file_and_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "numbers.toml"
    config.write_text(
        '[profiles.dev]\nprovider = "sandbox"\n'
        'prices = { US = { local = "1.15 USD", toll_free = { monthly = "2.15 USD", setup = "0 USD" } } }\n',
        encoding="utf-8",
    )
    carrier = nc.connect(profile="dev", config_file=config)
    assert carrier.settings.prices is not None
    assert carrier.settings.prices["US"][NumberType.TOLL_FREE].setup == Money(
        amount=Decimal("0"), currency="USD"
    )
    monkeypatch.setenv("NUMBERS_SANDBOX_PRICES", '{"CA": {"local": "1.50 CAD"}}')
    from_environment = nc.connect("sandbox")
    assert from_environment.settings.prices is not None
    assert set(from_environment.settings.prices) == {"CA"}


# -- purchase_any and compliance -------------------------------------------------------------------------


async def test_purchase_any_moves_on_after_a_refusal_for_one_number() -> None:
    candidates = [offer("+14155552671"), offer("+14155552672"), offer("+14155552673")]
    carrier = Shop(inventory=candidates, taken={"+14155552671"}, refused={"+14155552672": refusal("number")})
    bought = await carrier.purchase_any()
    assert bought.phone_number == "+14155552673"
    assert [argument[0] for hook, argument in carrier.calls if hook == "purchase"] == [
        "+14155552671",
        "+14155552672",
        "+14155552673",
    ]


async def test_purchase_any_stops_at_a_refusal_for_the_whole_account() -> None:
    candidates = [offer("+14155552671"), offer("+14155552672")]
    carrier = Shop(inventory=candidates, refused={"+14155552671": refusal("account", "bundle")})
    with pytest.raises(ComplianceRequiredError) as caught:
        await carrier.purchase_any()
    assert (caught.value.requirement, caught.value.scope) == ("bundle", "account")
    assert [hook for hook in hooks(carrier) if hook == "purchase"] == ["purchase"]


async def test_when_every_candidate_is_refused_purchase_any_says_why() -> None:
    candidates = [offer("+14155552671"), offer("+14155552672")]
    carrier = Shop(inventory=candidates, refused={n.phone_number: refusal("number") for n in candidates})
    with pytest.raises(ComplianceRequiredError) as caught:
        await carrier.purchase_any()
    assert caught.value.scope == "number"
    with pytest.raises(NumberUnavailableError):  # all taken: as before
        await Shop(inventory=candidates, taken={n.phone_number for n in candidates}).purchase_any()


async def test_compliance_in_a_config_needs_its_feature() -> None:
    carrier = Shop(features=everything_but(Feature.CONFIG_COMPLIANCE))
    papers = NumberConfig(compliance=NumberCompliance(bundle_id="BU1"))
    with pytest.raises(UnsupportedError, match=r"config\.compliance"):
        await carrier.purchase("+14155552671", config=papers)
    inline = NumberConfig(emergency_address=HOME)
    with pytest.raises(UnsupportedError, match=r"config\.emergency_address\.inline"):
        await Shop(features=everything_but(Feature.CONFIG_EMERGENCY_ADDRESS_INLINE)).configure(
            "+14155552671", inline
        )
    assert carrier.calls == []


def test_the_compliance_page_s_example_runs_on_the_sandbox(capsys: pytest.CaptureFixture[str]) -> None:
    [example] = [block.code for block in blocks("docs/compliance.md") if block.language == "python"]
    exec(compile(example, "docs/compliance.md", "exec"), {"__name__": "example"})  # noqa: S102 - our own docs
    printed = capsys.readouterr().out.splitlines()
    assert printed[:3] == ["1.00 GBP catalog", "address - Address", "bundle - Regulatory bundle"]
    assert printed[4] == "address account"
    assert printed[-3:] == ["True", "active", "the number still uses it"]


@pytest.mark.parametrize("dialect", ["twilio", "signalwire", "kazoo", "sinch", "sinch-draft"])
async def test_every_adapter_takes_the_prices_table(dialect: str) -> None:
    from numbers_core.emulator import Emulator

    emulator = Emulator(dialect)
    try:
        async with emulator.connect(prices={"US": {"local": "0.95 USD"}}) as carrier:
            assert carrier.supports(Feature.PRICES)
            assert carrier.supports(Feature.SEARCH_PRICES)
            found = await carrier.search(area_code="415", limit=2)
            assert found
            for number in found:
                # A price the carrier gives per number stays; the others are the table's.
                assert number.price_basis in (PriceBasis.OFFER, PriceBasis.TABLE)
                if number.price_basis is PriceBasis.TABLE:
                    assert number.monthly_price == usd("0.95")
    finally:
        await emulator.aclose()
