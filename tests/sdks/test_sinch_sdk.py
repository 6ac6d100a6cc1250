"""Sinch's Python SDK (``sinch`` 2.x), unchanged, against the Sinch emulator (its origins overridden)."""

from __future__ import annotations

import pytest
from numbers_core.emulator import Server

# A submodule: the tests' own sinch/ folder can pass for a namespace package called sinch.
pytest.importorskip("sinch.domains.numbers", reason="the sinch SDK is installed by nox -s sdks")
import sinch

DIALECT = "sinch"


def client_for(server: Server) -> sinch.SinchClient:
    settings = server.settings
    client = sinch.SinchClient(
        key_id=settings["key_id"], key_secret=settings["key_secret"], project_id=settings["project_id"]
    )
    client.configuration.auth_origin = server.url  # the SDK's overrides of its hosts
    client.configuration.numbers_origin = server.url
    return client


def test_the_sdk_searches_rents_lists_gets_updates_and_releases(server: Server) -> None:
    client = client_for(server)
    found = client.numbers.search_for_available_numbers(
        region_code="US", number_type="LOCAL", number_pattern="+1415", number_search_pattern="START"
    )
    offers = list(found.iterator())
    assert offers
    assert all(offer.phone_number.startswith("+1415") for offer in offers)
    rented = client.numbers.rent(phone_number=offers[0].phone_number)
    assert rented.phone_number == offers[0].phone_number
    another = client.numbers.rent_any(
        region_code="US", number_type="LOCAL", number_pattern={"pattern": "+1415", "search_pattern": "START"}
    )
    assert another.phone_number.startswith("+1415")
    listed = [n.phone_number for n in client.numbers.list(region_code="US", number_type="LOCAL").iterator()]
    assert sorted(listed) == sorted([rented.phone_number, another.phone_number])
    assert client.numbers.get(rented.phone_number).phone_number == rented.phone_number
    named = client.numbers.update(phone_number=rented.phone_number, display_name="From the SDK")
    assert named.display_name == "From the SDK"
    released = client.numbers.release(rented.phone_number)
    assert released.expire_at is not None


def test_the_sdk_checks_one_number_and_a_rented_one_is_not_available(server: Server) -> None:
    client = client_for(server)
    [offer] = client.numbers.search_for_available_numbers(
        region_code="US",
        number_type="LOCAL",
        number_pattern="+1415",
        number_search_pattern="START",
        page_size=1,
    ).content()
    checked = client.numbers.check_availability(phone_number=offer.phone_number)
    assert checked.phone_number == offer.phone_number
    assert checked.monthly_price == offer.monthly_price
    client.numbers.rent(phone_number=offer.phone_number)
    with pytest.raises(sinch.domains.numbers.api.v1.exceptions.NumberNotFoundException) as gone:
        client.numbers.check_availability(phone_number=offer.phone_number)
    assert gone.value.http_response.status_code == 404
    assert gone.value.http_response.body["error"]["details"][0]["resourceType"] == "AvailableNumber"


def test_the_sdk_lists_the_available_regions(server: Server) -> None:
    client = client_for(server)
    regions = {r.region_code: r for r in client.numbers.regions.list().iterator()}
    assert {"US", "GB"} <= regions.keys()
    assert regions["US"].region_name == "United States"
    assert "LOCAL" in regions["US"].types
    toll_free = list(client.numbers.regions.list(types=["TOLL_FREE"]).iterator())
    assert toll_free
    assert all("TOLL_FREE" in region.types for region in toll_free)


def test_the_sdk_sees_which_offers_need_documents(server: Server) -> None:
    client = client_for(server)
    [landline] = client.numbers.search_for_available_numbers(
        region_code="GB", number_type="LOCAL", page_size=1
    ).content()
    assert landline.supporting_documentation_required is True
    [local] = client.numbers.search_for_available_numbers(
        region_code="US",
        number_type="LOCAL",
        number_pattern="+1415",
        number_search_pattern="START",
        page_size=1,
    ).content()
    assert local.supporting_documentation_required is False
    assert local.payment_interval_months == 1
