"""Provider.wait_provisioned: for carriers that finish setting a number up after answering."""

from __future__ import annotations

from typing import Any

import anyio
import anyio.lowlevel
import numbers_core as nc
import pytest
from numbers_core import _provider

pytestmark = pytest.mark.anyio

NUMBER = "+14155550100"


class Settling(nc.Provider):
    """A carrier whose number is pending for ``reads`` reads, then active (or failed)."""

    name = "settling"
    features = frozenset({nc.Feature.GET})

    def __init__(self, reads: int, *, failed: bool = False) -> None:
        super().__init__(nc.ProviderSettings())
        self.reads = reads
        self.failed = failed
        self.gets = 0

    async def _get(self, e164: str) -> nc.ActiveNumber:
        self.gets += 1
        pending = self.gets <= self.reads
        part = nc.Provisioning(
            part="sms",
            state="pending" if pending else "failed",
            target="plan-1",
            status="WAITING" if pending else "FAILED",
            error_codes=() if pending else ("SMS_PROVISIONING_FAILED",),
        )
        return nc.ActiveNumber(
            phone_number=e164,
            id=e164,
            provider=self.name,
            status=nc.NumberStatus.PENDING if pending else nc.NumberStatus.ACTIVE,
            provisioning=(part,) if pending or self.failed else (),
        )

    async def _search(self, query: Any) -> Any: ...
    async def _purchase(self, e164: str, config: Any) -> Any: ...
    async def _configure(self, e164: str, config: Any) -> Any: ...
    async def _release(self, e164: str) -> None: ...
    async def _list_page(self, filters: Any, cursor: Any) -> Any: ...


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    waited: list[float] = []

    async def sleep(seconds: float) -> None:
        waited.append(seconds)
        await anyio.lowlevel.checkpoint()

    monkeypatch.setattr(_provider, "_sleep", sleep)
    return waited


async def test_it_reads_until_nothing_is_pending(waits: list[float]) -> None:
    carrier = Settling(reads=2)
    number = await carrier.wait_provisioned(NUMBER, interval=3)
    assert number.status is nc.NumberStatus.ACTIVE
    assert number.provisioning == ()
    assert carrier.gets == 3
    assert waits == [3, 3]


async def test_a_failed_part_is_returned_with_the_carriers_codes(waits: list[float]) -> None:
    number = await Settling(reads=1, failed=True).wait_provisioned(NUMBER, interval=1)
    assert number.status is nc.NumberStatus.ACTIVE
    assert [(p.part, p.state, p.error_codes) for p in number.provisioning] == [
        ("sms", "failed", ("SMS_PROVISIONING_FAILED",))
    ]


async def test_when_time_runs_out_the_number_comes_back_still_pending() -> None:
    carrier = Settling(reads=10**6)
    number = await carrier.wait_provisioned(NUMBER, within=0.05, interval=0.01)
    assert number.status is nc.NumberStatus.PENDING
    assert 2 <= carrier.gets < 20


async def test_where_nothing_is_pending_it_reads_once(waits: list[float]) -> None:
    async with nc.connect("sandbox") as sandbox:
        owned = await sandbox.purchase_any(area_code="415")
        assert (await sandbox.wait_provisioned(owned)).status is nc.NumberStatus.ACTIVE
    assert waits == []


@pytest.mark.parametrize(
    "bad",
    [
        {"within": 0},
        {"interval": -1},
        {"within": float("inf")},
        {"interval": True},
        {"within": 10**400},  # an OverflowError once added to the clock
        {"within": float("nan")},
    ],
)
async def test_bad_waits_are_refused(bad: dict[str, Any]) -> None:
    with pytest.raises(nc.InvalidInputError):
        await Settling(reads=0).wait_provisioned(NUMBER, **bad)
