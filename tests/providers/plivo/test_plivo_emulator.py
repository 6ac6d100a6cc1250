"""The Plivo emulator's own wire: credentials of the path's account, statuses, pages, errors."""

from __future__ import annotations

import httpx
import pytest
from numbers_core.emulator import Emulator

pytestmark = pytest.mark.anyio


def raw(emulator: Emulator) -> tuple[httpx.AsyncClient, tuple[str, str], str]:
    settings = emulator.client_settings()
    client = httpx.AsyncClient(transport=emulator.transport(), base_url="http://127.0.0.1")
    return client, (settings["auth_id"], settings["auth_token"]), f"/v1/Account/{settings['auth_id']}"


async def test_the_user_must_be_the_paths_account(emulator: Emulator) -> None:
    http, auth, root = raw(emulator)
    async with http:
        assert (await http.get(f"{root}/Number/", auth=auth)).status_code == 200
        wrong = await http.get(f"{root}/Number/", auth=(auth[0], "wrong-token"))
        assert wrong.status_code == 401
        assert set(wrong.json()) == {"api_id", "error"}
        other = await http.get(f"/v1/Account/MA{'0' * 18}/Number/", auth=auth)
        assert other.status_code == 403


async def test_statuses_and_paths_with_or_without_slash_and_plus(emulator: Emulator) -> None:
    http, auth, root = raw(emulator)
    async with http:
        search = await http.get(
            f"{root}/PhoneNumber", params={"country_iso": "US", "pattern": "415", "limit": 2}, auth=auth
        )
        [first, second] = search.json()["objects"]
        assert first["country"] == "UNITED STATES"
        bought = await http.post(
            f"{root}/PhoneNumber/{first['number']}/", json={"number": first["number"]}, auth=auth
        )
        assert bought.status_code == 201
        assert bought.json()["numbers"] == [{"number": first["number"], "status": "Success"}]
        again = await http.post(f"{root}/PhoneNumber/+{first['number']}", json={}, auth=auth)
        assert again.status_code == 404  # already this account's: Plivo says not found
        assert again.json()["error"] == "not found"
        got = await http.get(f"{root}/Number/+{first['number']}", auth=auth)
        assert got.json()["number"] == first["number"]
        changed = await http.post(f"{root}/Number/{first['number']}/", json={"alias": "Desk"}, auth=auth)
        assert changed.status_code == 202
        assert changed.json()["message"] == "changed"
        gone = await http.delete(f"{root}/Number/{first['number']}/", auth=auth)
        assert gone.status_code == 204
        assert (await http.get(f"{root}/Number/{first['number']}/", auth=auth)).status_code == 404
        assert (await http.delete(f"{root}/Number/{second['number']}/", auth=auth)).status_code == 404


async def test_pages_of_at_most_twenty_with_plivos_next_link(emulator: Emulator) -> None:
    http, auth, root = raw(emulator)
    async with http:
        page = (
            await http.get(f"{root}/PhoneNumber/", params={"country_iso": "US", "limit": 3}, auth=auth)
        ).json()
        assert page["meta"]["next"] == f"{root}/PhoneNumber/?limit=3&offset=3&country_iso=US"
        following = (await http.get(page["meta"]["next"], auth=auth)).json()
        assert following["meta"]["offset"] == 3
        assert following["meta"]["previous"] is not None
        too_many = await http.get(f"{root}/Number/", params={"limit": 21}, auth=auth)
        assert too_many.status_code == 400
        no_country = await http.get(f"{root}/PhoneNumber/", auth=auth)
        assert no_country.status_code == 400


async def test_an_update_without_app_id_links_the_default_application(emulator: Emulator) -> None:
    emulator.dialect.default_number_app = "default-app"  # type: ignore[attr-defined]
    http, auth, root = raw(emulator)
    async with http:
        [offer] = (
            await http.get(f"{root}/PhoneNumber/", params={"country_iso": "US", "limit": 1}, auth=auth)
        ).json()["objects"]
        await http.post(f"{root}/PhoneNumber/{offer['number']}/", json={"app_id": "mine"}, auth=auth)
        linked = (await http.get(f"{root}/Number/{offer['number']}/", auth=auth)).json()["application"]
        assert linked.endswith("/Application/mine/")
        await http.post(f"{root}/Number/{offer['number']}/", json={"alias": "Desk"}, auth=auth)
        after = (await http.get(f"{root}/Number/{offer['number']}/", auth=auth)).json()["application"]
    assert after.endswith("/Application/default-app/")
