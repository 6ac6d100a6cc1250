"""Telnyx's Python SDK (``telnyx`` 4.x, Stainless-generated), unchanged, against the Telnyx emulator.

Pinned in noxfile.py to 4.176.0: the release the wire notes (shared/providers/telnyx.md) read, well
clear of 4.87.1 and 4.87.2, the two releases of March 2026's supply-chain compromise.
"""

from __future__ import annotations

import json

import pytest
from numbers_core.emulator import Server

# A submodule only the SDK has: tests/providers/telnyx, on sys.path in a whole run, is a namespace
# package that ``import telnyx`` alone would find.
pytest.importorskip("telnyx._client", reason="the telnyx SDK is installed by nox -s sdks")
import telnyx

DIALECT = "telnyx"


def client_for(server: Server) -> telnyx.Telnyx:
    # The SDK's own retries (POSTs too, with no idempotency key) are left as they are.
    return telnyx.Telnyx(api_key=server.settings["api_key"], base_url=f"{server.url}/v2")


def test_the_sdk_searches_orders_lists_updates_and_deletes(server: Server) -> None:
    client = client_for(server)
    found = client.available_phone_numbers.list(
        filter={
            "country_code": "US",
            "national_destination_code": "415",
            "features": ["sms", "voice"],
            "limit": 3,
        }
    )
    offers = [offer.phone_number for offer in found.data or []]
    assert offers
    assert all(number and number.startswith("+1415") for number in offers)
    assert found.data[0].cost_information is not None

    ordered = client.number_orders.create(
        phone_numbers=[{"phone_number": offers[0]}], customer_reference="sdk"
    )
    assert ordered.data is not None
    assert ordered.data.status == "pending"
    again = client.number_orders.retrieve(ordered.data.id)
    assert again.data is not None
    assert again.data.status == "success"
    assert [n.phone_number for n in again.data.phone_numbers or []] == [offers[0]]

    listed = client.phone_numbers.list(filter={"phone_number": offers[0][1:]})
    [number] = listed.data
    assert number.phone_number == offers[0]
    assert number.status == "active"
    updated = client.phone_numbers.update(number.id, customer_reference="From the SDK", tags=["sdk"])
    assert updated.data is not None
    assert updated.data.customer_reference == "From the SDK"
    assert updated.data.tags == ["sdk"]
    deleted = client.phone_numbers.delete(number.id)
    assert deleted.data is not None
    assert deleted.data.status == "deleted"
    assert list(client.phone_numbers.list().data) == []


def test_the_sdk_reserves_then_orders_a_reserved_number(server: Server) -> None:
    client = client_for(server)
    [offer] = client.available_phone_numbers.list(
        filter={"national_destination_code": "212", "limit": 1}
    ).data
    held = client.number_reservations.create(phone_numbers=[{"phone_number": offer.phone_number}])
    assert held.data is not None
    [row] = held.data.phone_numbers or []
    assert row.status == "success"
    assert row.expired_at is not None
    assert client.number_reservations.retrieve(held.data.id).data is not None
    client.number_orders.create(phone_numbers=[{"phone_number": offer.phone_number}])
    [number] = client.phone_numbers.list().data
    assert number.phone_number == offer.phone_number


def test_the_sdk_sees_telnyx_errors(server: Server) -> None:
    client = client_for(server)
    with pytest.raises(telnyx.NotFoundError) as missing:
        client.phone_numbers.retrieve("1293384261075731499")
    assert json.loads(missing.value.response.text)["errors"][0]["code"] == "10005"
    wrong = telnyx.Telnyx(api_key="KEY0000000000000000000000", base_url=f"{server.url}/v2", max_retries=0)
    with pytest.raises(telnyx.AuthenticationError):
        wrong.available_phone_numbers.list()
