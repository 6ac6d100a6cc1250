"""Kazoo's documented curl examples (crossbar docs: phone_numbers.md, the install guide) against the emulator.

Each request is sent as the documents write it (verb, path, headers,
body), over a socket; the answers are read as those documents show them.
"""

from __future__ import annotations

import hashlib

import httpx
from numbers_core.emulator import Emulator, serve
from numbers_core.providers.kazoo._emulator import KazooEmulation


def test_the_documented_requests_get_the_documented_answers() -> None:
    emulator = Emulator("kazoo")
    dialect = emulator.dialect
    assert isinstance(dialect, KazooEmulation)
    with serve(emulator) as server, httpx.Client(base_url=server.url) as http:
        # echo -n "{USERNAME}:{PASSWORD}" | md5sum, then PUT /v2/user_auth
        credentials = hashlib.md5(f"{dialect.username}:{dialect.password}".encode()).hexdigest()  # noqa: S324
        login = http.put(
            "/v2/user_auth",
            headers={"content-type": "application/json"},
            content=f'{{"data":{{"credentials":"{credentials}","account_name":"{dialect.account_name}"}}}}',
        ).json()
        assert login["status"] == "success"
        token, account = login["auth_token"], login["data"]["account_id"]
        # GET /v2/phone_numbers?prefix={PREFIX}&quantity={QUANTITY}&offset={OFFSET}
        found = http.get("/v2/phone_numbers?prefix=415&quantity=2&offset=0").json()
        assert [n["number"][:5] for n in found["data"]] == ["+1415", "+1415"]
        number = found["data"][0]["number"]
        # curl -X PUT -H "Content-Type: …" -H "X-Auth-Token: …" …/phone_numbers/{NUMBER}/activate -d '{}'
        activated = http.put(
            f"/v2/accounts/{account}/phone_numbers/{number}/activate",
            headers={"Content-Type": "application/json", "X-Auth-Token": token},
            content="{}",
        ).json()
        assert activated["data"]["id"] == number
        assert activated["data"]["state"] == "in_service"
        # GET /v2/accounts/{ACCOUNT_ID}/phone_numbers
        listed = http.get(f"/v2/accounts/{account}/phone_numbers", headers={"X-Auth-Token": token}).json()
        assert listed["data"]["numbers"][number]["state"] == "in_service"
        assert listed["data"]["numbers"][number]["assigned_to"] == account
        # PATCH …/phone_numbers/{NUMBER} with a feature block, as the e911 example
        patched = http.patch(
            f"/v2/accounts/{account}/phone_numbers/{number}",
            headers={"X-Auth-Token": token},
            json={"data": {"cnam": {"display_name": "Emulated"}}},
        ).json()
        assert patched["data"]["cnam"] == {"display_name": "Emulated"}
        assert "cnam" in patched["data"]["features"]
        # POST …/phone_numbers/{NUMBER} ("Change"), with the E911 example's body: the document is
        # replaced (the cnam block left out is gone), the 3.x dash_e911 block kept as e911 too.
        address = {
            "postal_code": "94105",
            "street_address": "116 NATOMA ST",
            "extended_address": "APT 116",
            "locality": "SAN FRANCISCO",
            "region": "CA",
        }
        changed = http.post(
            f"/v2/accounts/{account}/phone_numbers/{number}",
            headers={"X-Auth-Token": token},
            json={"data": {"used_by": "callflow", "id": number, "dash_e911": address}},
        )
        assert changed.status_code == 200
        assert changed.json()["data"]["id"] == number
        # Kazoo's e911 provider registers it: the block reads back with its status.
        assert changed.json()["data"]["dash_e911"] == address
        assert changed.json()["data"]["e911"] == {**address, "status": "PROVISIONED"}
        assert "cnam" not in changed.json()["data"]
        assert changed.json()["data"]["features"] == ["e911"]
        # DELETE …/phone_numbers/{NUMBER}: back to available
        released = http.delete(
            f"/v2/accounts/{account}/phone_numbers/{number}", headers={"X-Auth-Token": token}
        )
        assert released.json()["data"]["state"] == "available"
        # A number Kazoo cannot find: the document's "Failure" answer.
        for verb in ("GET", "POST", "PATCH", "DELETE"):
            missing = http.request(
                verb,
                f"/v2/accounts/{account}/phone_numbers/{number}",
                headers={"X-Auth-Token": token},
                json={},
            )
            assert missing.status_code == 404
            assert {k: missing.json()[k] for k in ("error", "message", "data", "status")} == {
                "error": "404",
                "message": "bad_identifier",
                "data": {"message": "bad identifier", "not_found": "The number could not be found"},
                "status": "error",
            }
