"""Carriers for the CLI tests, installed as a third-party distribution would be.

``fake`` is a small carrier kept in memory: six numbers for sale, an account
that owns what was bought. Its state lives in this module, so successive CLI
runs in one test (one process) see the same account; each test gets a fresh
copy of the module. Settings (``NUMBERS_FAKE_…``) make it fail on purpose the
way real carriers do.

``tunable`` knows its features only once configured, as a carrier whose
abilities depend on the account would.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from numbers_core import (
    ActiveNumber,
    AvailableNumber,
    Capabilities,
    Geography,
    Money,
    NotFoundError,
    NumberConfig,
    NumberStatus,
    NumberType,
    NumberUnavailableError,
    OutcomeUnknownError,
    PaymentRequiredError,
    SearchQuery,
    TransportError,
)
from numbers_core.adapter import Feature, Provider, ProviderSettings
from pydantic import SecretStr

FOR_SALE = [f"+1415200{index:04d}" for index in range(1, 7)]
OWNED: dict[str, ActiveNumber] = {}
#: every NumberConfig the carrier was asked to apply, in order
CONFIGURED: list[NumberConfig] = []
CREATED = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


class FakeSettings(ProviderSettings):
    #: how many numbers the account can pay for in all
    funds: int | None = None
    #: every request fails as an unreachable carrier would
    offline: bool = False
    #: the response to the n-th purchase of this process is lost (1 = the first)
    lose_purchase: int | None = None
    #: Ctrl-C is pressed while the n-th purchase of this process is under way
    interrupt_purchase: int | None = None
    #: a credential: the CLI must never print it
    api_key: SecretStr | None = None


class FakeCarrier(Provider):
    name = "fake"
    settings_model = FakeSettings
    features = frozenset(
        {
            Feature.SEARCH,
            Feature.PURCHASE,
            Feature.PURCHASE_WITH_CONFIG,
            Feature.GET,
            Feature.CONFIGURE,
            Feature.RELEASE,
            Feature.LIST,
            Feature.NUMBER_TYPE_LOCAL,
            Feature.SEARCH_AREA_CODE,
            Feature.SEARCH_CONTAINS,
            Feature.SEARCH_VOICE,
            Feature.CONFIG_FRIENDLY_NAME,
            Feature.CONFIG_VOICE,
            Feature.CONFIG_SMS,
        }
    )
    client_side_filters = frozenset({"area_code", "contains", "voice"})
    purchases = 0

    def _reach(self) -> None:
        if self.settings.offline:  # type: ignore[attr-defined]
            raise TransportError("fake: connection refused", provider=self.name)

    async def _search(self, query: SearchQuery) -> list[AvailableNumber]:
        self._reach()
        return [
            AvailableNumber(
                phone_number=number,
                provider=self.name,
                number_type=NumberType.LOCAL,
                capabilities=Capabilities(voice=True, sms=True),
                geography=Geography(iso_country="US", region="CA", locality="San Francisco"),
                monthly_price=Money(amount=Decimal("1.15"), currency="USD"),
            )
            for number in FOR_SALE
            if number not in OWNED
        ]

    async def _purchase(self, e164: str, config: NumberConfig | None) -> ActiveNumber:
        self._reach()
        settings: Any = self.settings
        if e164 in OWNED or e164 not in FOR_SALE:
            raise NumberUnavailableError(f"{e164} is not available", provider=self.name, status_code=400)
        if settings.funds is not None and len(OWNED) >= settings.funds:
            raise PaymentRequiredError("insufficient funds", provider=self.name, status_code=402)
        type(self).purchases += 1
        if settings.interrupt_purchase == type(self).purchases:
            raise KeyboardInterrupt
        if config is not None:
            CONFIGURED.append(config)
        config = config or NumberConfig()
        OWNED[e164] = ActiveNumber(
            phone_number=e164,
            id=f"FN{FOR_SALE.index(e164)}",
            provider=self.name,
            number_type=NumberType.LOCAL,
            friendly_name=config.friendly_name,
            capabilities=Capabilities(voice=True, sms=True),
            geography=Geography(iso_country="US", region="CA", locality="San Francisco"),
            config=config,
            status=NumberStatus.ACTIVE,
            created_at=CREATED,
        )
        if settings.lose_purchase == type(self).purchases:
            raise OutcomeUnknownError("fake: purchase timed out", operation="purchase", number=e164)
        return OWNED[e164]

    def _owned(self, e164: str) -> ActiveNumber:
        self._reach()
        if e164 not in OWNED:
            raise NotFoundError(f"{e164} is not on this account", provider=self.name, status_code=404)
        return OWNED[e164]

    async def _get(self, e164: str) -> ActiveNumber:
        return self._owned(e164)

    async def _configure(self, e164: str, config: NumberConfig) -> ActiveNumber:
        current = self._owned(e164)
        CONFIGURED.append(config)
        changes: dict[str, Any] = {}
        for field in config.model_fields_set:
            value = getattr(config, field)
            before = getattr(current.config, field)
            if field in ("voice", "sms") and value is not None and before is not None:
                value = before.model_copy(
                    update={part: getattr(value, part) for part in value.model_fields_set}
                )
            changes[field] = value
        new_config = current.config.model_copy(update=changes)
        OWNED[e164] = current.model_copy(
            update={"config": new_config, "friendly_name": new_config.friendly_name}
        )
        return OWNED[e164]

    async def _release(self, e164: str) -> None:
        self._owned(e164)
        del OWNED[e164]

    async def _list_page(
        self, filters: dict[str, Any], cursor: str | None
    ) -> tuple[list[ActiveNumber], str | None]:
        self._reach()
        return [OWNED[e164] for e164 in sorted(OWNED)], None


class TunableSettings(ProviderSettings):
    can_release: bool = False


class TunableCarrier(FakeCarrier):
    name = "tunable"
    settings_model = TunableSettings

    @property  # type: ignore[override]
    def features(self) -> frozenset[Feature]:
        base = FakeCarrier.features - {Feature.RELEASE}
        return base | {Feature.RELEASE} if self.settings.can_release else base  # type: ignore[attr-defined]
