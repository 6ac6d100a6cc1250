"""Ownership state, the same for both stores: in memory and in a SQLite file."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import anyio
import phonenumbers
import pytest
from numbers_core import ActiveNumber, Geography, NumberStatus, NumberType
from numbers_core.sandbox._sqlite import SqliteStore
from numbers_core.sandbox._store import ListFilter, MemoryStore, Row, Store

pytestmark = pytest.mark.anyio

WHEN = datetime(2024, 5, 1, 12, 30, tzinfo=UTC)


def owned(e164: str, account: str = "alice", **fields: object) -> ActiveNumber:
    return ActiveNumber.model_validate(
        {
            "phone_number": e164,
            "id": "SBX" + e164[1:],
            "provider": "sandbox",
            "account_id": account,
            "number_type": NumberType.LOCAL,
            "geography": Geography(iso_country="US"),
            "status": NumberStatus.ACTIVE,
            "created_at": WHEN,
            "updated_at": WHEN,
            **fields,
        }
    )


@pytest.fixture(params=["memory", "sqlite"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    made: Store = MemoryStore() if request.param == "memory" else SqliteStore(tmp_path / "s.db", timeout=5)
    yield made
    await made.aclose()


async def test_a_number_is_owned_once(store: Store) -> None:
    number = owned("+14155550101")
    assert await store.claim(number)
    assert not await store.claim(number)
    assert not await store.claim(owned("+14155550101", account="bob"))
    assert await store.taken(["+14155550101", "+14155550102"]) == {"+14155550101"}
    assert await store.taken([]) == set()


async def test_get_sees_only_the_owner_s_numbers(store: Store) -> None:
    number = owned("+14155550101", friendly_name="Desk")
    await store.claim(number)
    assert await store.get("+14155550101", "alice") == number
    assert await store.get("+14155550101", "bob") is None
    assert await store.get("+14155550199", "alice") is None


async def test_update_replaces_the_number_of_its_owner(store: Store) -> None:
    await store.claim(owned("+14155550101"))
    changed = await store.update(
        "+14155550101", "alice", lambda n: n.model_copy(update={"friendly_name": "Desk"})
    )
    assert changed is not None
    assert changed.friendly_name == "Desk"
    assert await store.get("+14155550101", "alice") == changed
    assert await store.update("+14155550101", "bob", lambda n: n) is None
    moved = await store.update("+14155550101", "alice", lambda n: n.model_copy(update={"account_id": "bob"}))
    assert moved is not None
    assert await store.get("+14155550101", "alice") is None
    assert await store.get("+14155550101", "bob") == moved


async def test_remove_frees_the_number(store: Store) -> None:
    await store.claim(owned("+14155550101"))
    assert not await store.remove("+14155550101", "bob")
    assert await store.remove("+14155550101", "alice")
    assert not await store.remove("+14155550101", "alice")
    assert await store.taken(["+14155550101"]) == set()
    assert await store.claim(owned("+14155550101", account="bob"))


async def test_pages_follow_purchase_order_and_never_reuse_a_cursor(store: Store) -> None:
    numbers = [f"+1415555{n:04d}" for n in range(1, 8)]
    for e164 in numbers:
        await store.claim(owned(e164))
    await store.claim(owned("+14155559999", account="bob"))
    await store.remove(numbers[2], "alice")
    await store.claim(owned(numbers[2]))  # bought again: now the newest
    expected = [*numbers[:2], *numbers[3:], numbers[2]]
    seen: list[str] = []
    after = 0
    while page := await store.page("alice", after, 3, ListFilter()):
        assert len(page) <= 3
        seen += [row.e164 for row in page]
        after = page[-1].seq
    assert seen == expected
    assert [row.number() for row in await store.page("bob", 0, 10, ListFilter())] == [
        owned("+14155559999", account="bob")
    ]


async def test_pages_apply_the_list_filters(store: Store) -> None:
    await store.claim(owned("+14155550101", friendly_name="Front Desk"))
    await store.claim(
        owned("+442079460123", number_type=NumberType.LOCAL, geography=Geography(iso_country="GB"))
    )
    await store.claim(
        owned("+447700900123", number_type=NumberType.MOBILE, geography=Geography(iso_country="GB"))
    )

    async def listed(**filters: str | NumberType) -> list[str]:
        return [row.e164 for row in await store.page("alice", 0, 10, ListFilter(**filters))]  # type: ignore[arg-type]

    assert await listed(country="GB") == ["+442079460123", "+447700900123"]
    assert await listed(number_type=NumberType.MOBILE) == ["+447700900123"]
    assert await listed(friendly_name="front desk") == ["+14155550101"]
    assert await listed(contains="555*1") == ["+14155550101"]
    assert await listed(contains="4420") == ["+442079460123"]  # country code included
    assert await listed(contains="79*6") == ["+442079460123"]
    assert await listed(contains="0000") == []
    assert await listed(country="GB", number_type=NumberType.LOCAL) == ["+442079460123"]


async def test_a_page_stops_at_its_size_even_when_filtering(store: Store) -> None:
    for n in range(1, 11):
        await store.claim(owned(f"+1415555{n:04d}", friendly_name="odd" if n % 2 else "even"))
    page = await store.page("alice", 0, 2, ListFilter(friendly_name="even"))
    assert [row.e164 for row in page] == ["+14155550002", "+14155550004"]
    page = await store.page("alice", page[-1].seq, 10, ListFilter(friendly_name="even"))
    assert [row.e164 for row in page] == ["+14155550006", "+14155550008", "+14155550010"]


async def test_ten_claims_of_one_number_at_once_make_one_owner(store: Store) -> None:
    wins: list[str] = []

    async def claim(account: str) -> None:
        if await store.claim(owned("+14155550101", account=account)):
            wins.append(account)

    async with anyio.create_task_group() as tasks:
        for n in range(10):
            tasks.start_soon(claim, f"account-{n}")
    assert len(wins) == 1
    assert await store.get("+14155550101", wins[0]) is not None


@pytest.mark.parametrize(
    "e164", ["+14155550123", "+12125550199", "+16135550123", "+442079460000", "+33142685300", "+61291234567"]
)
def test_a_row_keeps_the_national_number_phonenumbers_parses(e164: str) -> None:
    # Read off the text where parsing would find just that (+1 and ten digits), parsed otherwise.
    row = Row.of(1, owned(e164))
    assert row.national == str(phonenumbers.parse(e164, None).national_number)
