"""Kazoo's collections behind purchase_many, configure_many and release_many: one outcome per number."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal

import httpx
import numbers_core as nc
import pytest
from kazoo_fake import ACCOUNT, OTHER_ACCOUNT, FakeKazoo, connected
from numbers_core.providers.kazoo import KazooProvider

pytestmark = pytest.mark.anyio

NUMBERS = [f"+1415555030{i}" for i in range(5)]


def batches(fake: FakeKazoo, suffix: str) -> list[httpx.Request]:
    return [r for r in fake.requests if r.url.raw_path.decode().split("?")[0].endswith(suffix)]


async def test_purchase_many_activates_in_batches_and_reports_each_number(fake: FakeKazoo) -> None:
    fake.stock(*NUMBERS)
    async with connected(fake, batch_size=2) as kazoo:
        assert kazoo.supports(nc.Feature.PURCHASE_MANY)
        outcomes = await kazoo.purchase_many(NUMBERS, config=nc.NumberConfig(friendly_name="Bulk"))
    assert [o.number for o in outcomes] == NUMBERS
    assert all(o.ok and o.result is not None and o.result.friendly_name == "Bulk" for o in outcomes)
    sent = batches(fake, "/collection/activate")
    assert [json.loads(r.content)["data"]["numbers"] for r in sent] == [
        NUMBERS[:2],
        NUMBERS[2:4],
        NUMBERS[4:],
    ]
    assert all(r.method == "PUT" for r in sent)
    assert {fake.held[n]["assigned_to"] for n in NUMBERS} == {ACCOUNT}


async def test_failed_items_are_the_numbers_errors_and_unsaved_successes_are_checked(
    kazoo: KazooProvider, fake: FakeKazoo
) -> None:
    good, taken, unknown = NUMBERS[:3]
    fake.stock(good)
    fake.give(taken, account=OTHER_ACCOUNT)
    outcomes = {o.number: o for o in await kazoo.purchase_many([good, taken, unknown])}
    assert isinstance(outcomes[taken].error, nc.NumberUnavailableError)
    assert isinstance(outcomes[unknown].error, nc.NumberUnavailableError)
    # A dry run with failed items answers "success" for the good number without saving it: it was
    # looked up, not believed.
    assert good not in fake.held
    assert isinstance(outcomes[good].error, nc.ProviderError)
    assert outcomes[good].error.code == "dry_run"
    assert "buy it again" in str(outcomes[good].error)


async def test_with_accept_charges_the_successes_are_believed(fake: FakeKazoo) -> None:
    good, taken = NUMBERS[:2]
    fake.stock(good)
    fake.give(taken, account=OTHER_ACCOUNT)
    fake.bare_errors = True  # "number_exists" as a bare string
    async with connected(fake, accept_charges=True) as kazoo:
        outcomes = await kazoo.purchase_many([good, taken])
    assert outcomes[0].ok
    assert outcomes[0].result is not None
    assert outcomes[0].result.status is nc.NumberStatus.ACTIVE
    assert isinstance(outcomes[1].error, nc.NumberUnavailableError)
    assert json.loads(batches(fake, "/collection/activate")[0].content)["accept_charges"] is True
    assert not [r for r in fake.requests if r.method == "GET" and "%2B" in r.url.raw_path.decode()]


async def test_a_quote_refuses_the_whole_batch_with_its_amounts(
    kazoo: KazooProvider, fake: FakeKazoo
) -> None:
    fake.stock(*NUMBERS[:2])
    fake.quote = {"phone_numbers": {"did_us": {"quantity": 2, "rate": 1.0}}, "activation_charges": 2.0}
    outcomes = await kazoo.purchase_many(NUMBERS[:2])
    for outcome in outcomes:
        assert isinstance(outcome.error, nc.PaymentRequiredError)
        assert outcome.error.total == Decimal("2.0")
    assert outcomes[0].error is not outcomes[1].error
    assert not any(n in fake.held for n in NUMBERS[:2])


async def test_a_lost_batch_answer_is_settled_number_by_number(kazoo: KazooProvider, fake: FakeKazoo) -> None:
    fake.stock(*NUMBERS[:3])

    def lose(answer: httpx.Response) -> httpx.Response:
        raise httpx.ReadError("reset after sending")

    fake.after_commit.append(lose)
    outcomes = await kazoo.purchase_many(NUMBERS[:3])
    assert all(o.ok for o in outcomes)
    assert len(batches(fake, "/collection/activate")) == 1  # never sent again


async def test_a_one_number_batch_answered_as_a_single_number(kazoo: KazooProvider, fake: FakeKazoo) -> None:
    fake.stock(NUMBERS[0])
    fake.single_shape = True
    [outcome] = await kazoo.purchase_many(NUMBERS[:1])
    assert outcome.ok
    assert outcome.result is not None
    assert outcome.result.phone_number == NUMBERS[0]


async def test_a_one_number_batch_refused_in_the_single_number_shape(
    kazoo: KazooProvider, fake: FakeKazoo
) -> None:
    fake.give(NUMBERS[0], account=OTHER_ACCOUNT)
    fake.single_shape = True
    [bought] = await kazoo.purchase_many(NUMBERS[:1])
    assert isinstance(bought.error, nc.NumberUnavailableError)
    [released] = await kazoo.release_many(NUMBERS[:1])
    assert isinstance(released.error, nc.NotFoundError)


async def test_release_many_and_configure_many(kazoo: KazooProvider, fake: FakeKazoo) -> None:
    mine, foreign, pooled = NUMBERS[:3]
    fake.give(mine)
    fake.give(foreign, account=OTHER_ACCOUNT)
    fake.stock(pooled, state="available")
    configured = await kazoo.configure_many([mine, foreign], nc.NumberConfig(friendly_name="Sales"))
    assert configured[0].result is not None
    assert configured[0].result.friendly_name == "Sales"
    assert isinstance(configured[1].error, nc.NotFoundError)
    released = await kazoo.release_many([mine, foreign, pooled])
    assert released[0].ok
    assert released[0].result is None
    assert isinstance(released[1].error, nc.NotFoundError)
    assert isinstance(released[2].error, nc.NotFoundError)
    assert mine not in fake.held
    [delete] = [r for r in batches(fake, "/collection") if r.method == "DELETE"]
    assert delete.method == "DELETE"
    assert json.loads(delete.content) == {"data": {"numbers": [mine, foreign, pooled]}}


def on_the_delete(fake: FakeKazoo, answer: Callable[[httpx.Request], httpx.Response]) -> None:
    """``answer`` answers the next DELETE, the requests before it go through."""

    def fault(request: httpx.Request) -> httpx.Response | None:
        if request.method != "DELETE":
            fake.faults.insert(0, fault)
            return None
        return answer(request)

    fake.faults.append(fault)


@pytest.mark.parametrize("garbage", ["lost", "html", "302"])
async def test_a_batch_release_whose_answer_says_nothing_is_settled_number_by_number(
    kazoo: KazooProvider, fake: FakeKazoo, garbage: str
) -> None:
    # Two of the three are released, and the answer does not say so: each is looked up, and the
    # batch is not sent again (a second DELETE would call the released ones "not held").
    for number in NUMBERS[:3]:
        fake.give(number)

    def release_two(request: httpx.Request) -> httpx.Response:
        fake._delete(NUMBERS[0])
        fake._delete(NUMBERS[1])
        if garbage == "lost":
            raise httpx.ReadError("reset after sending")
        if garbage == "html":
            return httpx.Response(200, content=b"<html>proxy</html>")
        return httpx.Response(302, headers={"Location": "/elsewhere"})

    on_the_delete(fake, release_two)
    released = await kazoo.release_many(NUMBERS[:3])
    assert [o.ok for o in released] == [True, True, False]
    assert type(released[2].error) is nc.TransportError
    assert "releasing again is safe" in str(released[2].error)
    assert len([r for r in batches(fake, "/collection") if r.method == "DELETE"]) == 1


async def test_a_batch_release_whose_answer_and_look_ups_fail_is_unknown(
    kazoo: KazooProvider, fake: FakeKazoo
) -> None:
    for number in NUMBERS[:2]:
        fake.give(number)

    def lose(request: httpx.Request) -> httpx.Response:
        fake.faults.extend([lambda r: httpx.Response(503)] * 20)
        raise httpx.ReadError("reset after sending")

    on_the_delete(fake, lose)
    released = await kazoo.release_many(NUMBERS[:2])
    assert all(isinstance(o.error, nc.OutcomeUnknownError) for o in released)
    assert [o.error.number for o in released if isinstance(o.error, nc.OutcomeUnknownError)] == NUMBERS[:2]


async def test_bad_batches_are_refused_before_any_request(kazoo: KazooProvider, fake: FakeKazoo) -> None:
    with pytest.raises(nc.InvalidInputError, match="given twice"):
        await kazoo.purchase_many([NUMBERS[0], NUMBERS[0]])
    with pytest.raises(nc.InvalidInputError, match=r"numbers\[1\]"):
        await kazoo.release_many([NUMBERS[0], "not a number"])
    with pytest.raises(nc.InvalidInputError, match="list of phone numbers"):
        await kazoo.release_many(NUMBERS[0])
    assert await kazoo.release_many([]) == []
    assert fake.requests == []


async def test_providers_without_batches_refuse_them() -> None:
    async with nc.connect("sandbox") as sandbox:
        assert not sandbox.supports(nc.Feature.PURCHASE_MANY)
        with pytest.raises(nc.UnsupportedError):
            await sandbox.purchase_many(["+14155550100"])
