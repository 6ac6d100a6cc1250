"""The emulator machinery, through the Twilio dialect: state, control endpoints, faults, servers."""

from __future__ import annotations

import base64
import itertools
import json
from pathlib import Path
from typing import Any

import anyio
import httpx
import numbers_core as nc
import pytest
from numbers_core.emulator import Emulator, Faults, JSONAnswer, dialect_names, reason, serve
from numbers_core.emulator._faults import Kind
from starlette.responses import JSONResponse

pytestmark = pytest.mark.anyio


def test_every_dialect_is_registered() -> None:
    assert {"twilio", "signalwire"} <= set(dialect_names())


def test_an_unknown_dialect_is_a_configuration_error() -> None:
    with pytest.raises(nc.ConfigurationError, match="unknown emulator 'acme'"):
        Emulator("acme")


async def test_in_process_a_number_bought_is_listed_and_kept_per_account() -> None:
    emulator = Emulator("twilio")
    async with emulator.connect() as carrier:
        [offer] = await carrier.search(area_code="415", limit=1)
        bought = await carrier.purchase(offer)
        assert [n.phone_number async for n in carrier.list()] == [bought.phone_number]
    other = list(emulator.dialect.accounts.items())[1]  # type: ignore[attr-defined]
    async with emulator.connect(account_sid=other[0], auth_token=other[1]) as neighbour:
        assert [n async for n in neighbour.list()] == []
        with pytest.raises(nc.NumberUnavailableError):
            await neighbour.purchase(bought.phone_number)  # two accounts never own one number
    state = await emulator.state()
    assert state["numbers"] == {bought.account_id: [bought.phone_number]}
    await emulator.aclose()


async def test_control_endpoints_show_reset_and_set_faults() -> None:
    emulator = Emulator("twilio")
    async with emulator.connect() as carrier:
        bought = await carrier.purchase_any(area_code="415")
    async with httpx.AsyncClient(transport=emulator.transport(), base_url="http://127.0.0.1") as http:
        state = (await http.get("/_emulator/state")).json()
        assert state["numbers"] == {bought.account_id: [bought.phone_number]}
        assert state["answered"] == {"201": 1}
        changed = await http.patch("/_emulator/faults", json={"throttled": 0.25, "seed": 7})
        assert changed.json()["throttled"] == 0.25
        assert emulator.faults.seed == 7
        assert emulator.faults.latency == 0.0  # the others stay
        refused = await http.patch("/_emulator/faults", json={"throttled": 3})
        assert refused.status_code == 400
        # One line in plain words, naming the fault and what it takes: no validation library's dump.
        assert refused.json() == {"error": "faults: throttled takes a share of requests, from 0 to 1, not 3"}
        unknown = await http.patch("/_emulator/faults", json={"noise": 1, "rate_limit": "fast"})
        assert unknown.status_code == 400
        said = unknown.json()["error"]
        assert 'there is no fault "noise" (the faults: seed, latency,' in said
        assert 'rate_limit takes requests per second, more than 0 (or null: no limit), not "fast"' in said
        assert not any(word in said for word in ("pydantic", "http", "Input should", "\n"))
        assert emulator.faults.throttled == 0.25  # a refused change changes nothing
        reset = (await http.post("/_emulator/reset")).json()
        assert reset["numbers"] == {}
        assert reset["faults"]["throttled"] == 0.25  # a reset keeps the faults
    await emulator.aclose()


async def test_a_stock_makes_the_carrier_run_dry_of_a_prefix_and_a_reset_restocks_it() -> None:
    emulator = Emulator("twilio")
    async with (
        emulator.connect() as carrier,
        httpx.AsyncClient(transport=emulator.transport(), base_url="http://127.0.0.1") as http,
    ):
        assert (await http.patch("/_emulator/stock", json={"+1415": 2})).json() == {"+1415": 2}
        offers = await carrier.search(area_code="415", limit=5)
        bought = await carrier.purchase(offers[0])
        await carrier.purchase_any(area_code="415")
        with pytest.raises(nc.NumberUnavailableError):  # as Twilio says a number is taken
            await carrier.purchase(offers[2])
        with pytest.raises(nc.NumberUnavailableError, match="21452"):  # and none is left
            await carrier.purchase_any(area_code="415")
        assert await carrier.search(area_code="415") == []  # searches show none any more
        assert await carrier.search(area_code="415", starts_with="4157") == []
        assert len(await carrier.search(area_code="510", limit=2)) == 2  # other prefixes sell on
        state = (await http.get("/_emulator/state")).json()
        assert state["stock"] == {"+1415": 0}
        assert len(state["numbers"][bought.account_id or ""]) == 2

        refused = await http.put("/_emulator/stock", json={"1415": 3, "+1510": -1})
        assert refused.status_code == 400
        assert refused.json() == {
            "error": "stock: '1415' is not a prefix of E.164 numbers (a + and digits: +1415)"
        }
        bad_count = await http.patch("/_emulator/stock", json={"+1510": "many"})
        assert bad_count.json()["error"].startswith("stock: +1510 takes a whole number of numbers")
        assert (await http.get("/_emulator/stock")).json() == {"+1415": 0}  # nothing changed

        reset = (await http.post("/_emulator/reset")).json()
        assert reset["stock"] == {"+1415": 2}  # all of it for sale again
        assert len(await carrier.search(area_code="415", limit=3)) == 3
        assert emulator.set_stock({"+1415": None}) == {}  # no limit any more
    await emulator.aclose()


async def test_what_is_not_emulated_is_a_404_in_the_carriers_format() -> None:
    emulator = Emulator("twilio")
    async with httpx.AsyncClient(transport=emulator.transport(), base_url="http://127.0.0.1") as http:
        answer = await http.get("/2010-04-01/Accounts/AC1/Calls.json")
    assert answer.status_code == 404
    assert answer.json()["code"] == 20404
    assert "not emulated: GET /2010-04-01/Accounts/AC1/Calls.json" in answer.json()["message"]


@pytest.mark.parametrize("dialect", ["twilio", "sinch-draft"])
async def test_no_answer_names_the_sandbox_or_dumps_a_validation_error(dialect: str) -> None:
    emulator = Emulator(dialect, record=True)
    async with emulator.connect() as carrier:
        with pytest.raises(nc.ProviderError) as refused:
            await carrier.search(area_code="415", postal_code="94105")  # which the sandbox cannot do
    assert refused.value.message == "not emulated: search.postal_code"
    if dialect == "twilio":
        settings = emulator.client_settings()
        account = settings["account_sid"]
        transport = emulator.transport()
        async with httpx.AsyncClient(
            transport=transport, base_url="http://127.0.0.1", auth=(account, settings["auth_token"])
        ) as http:
            search = f"/2010-04-01/Accounts/{account}/AvailablePhoneNumbers/US/Local.json"
            invalid = (await http.get(search, params={"AreaCode": "abc"})).json()
            assert invalid["message"] == "Invalid search: area_code: expected 1 to 15 digits, got 'abc'"
    assert emulator.exchanges
    for exchange in emulator.exchanges:
        assert b"sandbox" not in exchange.body.lower()
        assert b"pydantic" not in exchange.body


def test_a_json_answer_is_written_as_starlette_writes_it_by_pydantic_core(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    body = {"numbers": [{"e164": "+14155550100", "name": "café \u2028 \x00", "voice": True}], "next": None}
    assert JSONAnswer(body, status_code=201).body == JSONResponse(body, status_code=201).body
    # Written by pydantic_core (a third of json's time), not json.
    monkeypatch.setattr(json, "dumps", lambda *_, **__: pytest.fail("json wrote it"))
    assert JSONAnswer(body).body.startswith(b'{"numbers":[{"e164":"+14155550100"')


def test_refusals_are_told_in_the_carriers_place() -> None:
    assert reason(
        nc.NumberUnavailableError("+15551234567 is not for sale in the sandbox", provider="sandbox")
    ) == ("+15551234567 is not for sale")
    unavailable = nc.ProviderUnavailableError(
        "the sandbox database is unavailable (locked)", provider="sandbox"
    )
    assert reason(unavailable) == "the emulator database is unavailable (locked)"
    assert reason(nc.UnsupportedError("sandbox", "search.lata")) == "not emulated: search.lata"
    assert reason(ValueError("first line\nsecond line")) == "first line"


async def test_credentials_are_checked_as_the_carrier_does() -> None:
    emulator = Emulator("twilio")
    async with emulator.connect(auth_token="0" * 32) as carrier:
        with pytest.raises(nc.AuthenticationError) as refused:
            await carrier.search(area_code="415")
    assert refused.value.code == "20003"
    key, (secret, _) = next(iter(emulator.dialect.api_keys.items()))  # type: ignore[attr-defined]
    async with emulator.connect(auth_token=None, api_key=key, api_secret=secret) as with_key:
        assert await with_key.search(area_code="415", limit=1)


def test_faults_follow_the_seed() -> None:
    faults = Faults(seed=3, throttled=0.3, unavailable=0.2, dropped=0.1, lost=0.4, unanswered=0.2)
    first = [faults.draw(n, change=True).kind for n in range(200)]
    assert first == [faults.draw(n, change=True).kind for n in range(200)]
    assert first != [
        Faults(seed=4, **faults.model_dump(exclude={"seed"})).draw(n, change=True).kind for n in range(200)
    ]
    counts = {kind: first.count(kind) for kind in Kind}
    assert 40 <= counts[Kind.THROTTLED] <= 80
    assert counts[Kind.LOST] > counts[Kind.UNANSWERED] > 0
    # Reads are never "lost" nor left unanswered.
    assert {faults.draw(n, change=False).kind for n in range(200)}.isdisjoint({Kind.LOST, Kind.UNANSWERED})
    slow = Faults(latency=0.1, jitter=0.05)
    assert all(0.1 <= slow.draw(n, change=False).delay <= 0.15 for n in range(50))


async def test_latency_is_the_time_to_answer_with_the_change_made_half_way() -> None:
    emulator = Emulator("twilio", faults=Faults(latency=1.0))
    async with emulator.connect() as carrier:
        emulator.set_faults(latency=0.0)
        [offer] = await carrier.search(area_code="415", limit=1)
        emulator.set_faults(latency=1.0)
        answered: list[float] = []

        async def buy() -> None:
            await carrier.purchase(offer)
            answered.append(anyio.current_time() - started)

        started = anyio.current_time()
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(buy)
            await anyio.sleep(0.8)
            assert answered == []  # the answer is not due yet...
            owned = (await emulator.state())["numbers"]
            assert [offer.phone_number] in owned.values()  # ...but the number is bought
    assert answered[0] >= 1.0
    await emulator.aclose()


async def test_throttling_and_outages_answer_in_the_carriers_format_and_reads_are_retried() -> None:
    emulator = Emulator("twilio", faults=Faults(throttled=1.0, retry_after=7))
    settings = emulator.client_settings()
    async with httpx.AsyncClient(transport=emulator.transport(), base_url="http://127.0.0.1") as http:
        answer = await http.get(
            f"/2010-04-01/Accounts/{settings['account_sid']}/IncomingPhoneNumbers.json",
            auth=(settings["account_sid"], settings["auth_token"]),
        )
        assert answer.status_code == 429
        assert answer.headers["Retry-After"] == "7"
        assert answer.json()["code"] == 20429
        emulator.set_faults(throttled=0.0, unavailable=1.0)
        assert (await http.get("/2010-04-01/Accounts/x/IncomingPhoneNumbers.json")).json()["code"] == 20503
    emulator.set_faults(unavailable=0.5, seed=1)
    async with emulator.connect() as carrier:
        assert [n async for n in carrier.list()] == []  # retried through the 503s


@pytest.mark.parametrize("fault", ["lost", "unanswered"])
async def test_a_lost_purchase_answer_is_reconciled_and_nothing_is_bought_twice(fault: str) -> None:
    emulator = Emulator("twilio", faults=Faults(**{fault: 1.0}))
    async with emulator.connect() as carrier:
        [offer] = await carrier.search(area_code="415", limit=1)
        bought = await carrier.purchase(offer)
    assert bought.phone_number == offer.phone_number
    assert emulator.answered[fault] == 1
    assert (await emulator.state())["numbers"] == {bought.account_id: [offer.phone_number]}


async def test_a_dropped_purchase_is_reported_safe_to_repeat() -> None:
    emulator = Emulator("twilio")
    async with emulator.connect() as carrier:
        [offer] = await carrier.search(area_code="415", limit=1)
        emulator.set_faults(dropped=1.0)
        with pytest.raises(nc.OutcomeUnknownError):
            # Every look-up is dropped too: whether it was bought cannot be told.
            await carrier.purchase(offer)
        emulator.set_faults(dropped=0.0)
        assert [n async for n in carrier.list()] == []  # dropped before it was read: nothing bought
        assert (await carrier.purchase(offer)).phone_number == offer.phone_number


async def test_the_rate_limit_is_a_token_bucket_per_account() -> None:
    emulator = Emulator("twilio", faults=Faults(rate_limit=0.5, burst=2))
    settings = emulator.client_settings()
    path = f"/2010-04-01/Accounts/{settings['account_sid']}/IncomingPhoneNumbers.json"
    auth = (settings["account_sid"], settings["auth_token"])
    async with httpx.AsyncClient(transport=emulator.transport(), base_url="http://127.0.0.1") as http:
        statuses = [(await http.get(path, auth=auth)).status_code for _ in range(3)]
        assert statuses == [200, 200, 429]
        limited = await http.get(path, auth=auth)
        assert int(limited.headers["Retry-After"]) >= 1
        assert "Rate limit" in limited.json()["message"]
        # Unauthenticated requests spend nobody's budget.
        assert (await http.get(path)).status_code == 401


async def test_twilios_magic_numbers_and_area_code() -> None:
    emulator = Emulator("twilio")
    async with emulator.connect() as carrier:
        with pytest.raises(nc.NumberUnavailableError) as unavailable:
            await carrier.purchase("+15005550000")
        assert unavailable.value.code == "21422"
        with pytest.raises(nc.ProviderError) as invalid:
            await carrier.purchase("+15005550001")
        assert invalid.value.code == "21421"
        with pytest.raises(nc.NumberUnavailableError) as none_left:
            await carrier.purchase_any(area_code="533")
        assert none_left.value.code == "21452"


async def test_numbers_move_between_the_emulated_accounts() -> None:
    emulator = Emulator("twilio")
    target = list(emulator.dialect.accounts)[1]  # type: ignore[attr-defined]
    async with emulator.connect() as carrier:
        bought = await carrier.purchase_any(area_code="415")
        moved = await carrier.transfer(bought, target)
        assert moved.account_id == target
        assert [n async for n in carrier.list()] == []


async def test_list_pages_follow_page_tokens() -> None:
    emulator = Emulator("twilio", record=True)
    async with emulator.connect() as carrier:
        for _ in range(5):
            await carrier.purchase_any(area_code="415")
        carrier.list_page_size = 2  # type: ignore[attr-defined]
        listed = [n.phone_number async for n in carrier.list()]
    assert len(set(listed)) == 5
    assert emulator.exchanges is not None
    pages = [
        e for e in emulator.exchanges if e.method == "GET" and e.path.endswith("IncomingPhoneNumbers.json")
    ]
    assert len(pages) == 3
    assert all("PageToken=PA" in page.query for page in pages[1:])


async def test_every_list_page_but_the_first_links_back_to_the_one_before() -> None:
    emulator = Emulator("twilio")
    async with emulator.connect() as carrier:
        for _ in range(5):
            await carrier.purchase_any(area_code="415")
    settings = emulator.client_settings()
    account, auth = settings["account_sid"], (settings["account_sid"], settings["auth_token"])
    first = f"/2010-04-01/Accounts/{account}/IncomingPhoneNumbers.json?PageSize=2"
    transport = emulator.transport()
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1", auth=auth) as http:
        pages = [(await http.get(first)).json()]
        while pages[-1]["next_page_uri"]:
            pages.append((await http.get(pages[-1]["next_page_uri"])).json())
        assert [page["page"] for page in pages] == [0, 1, 2]
        assert pages[0]["previous_page_uri"] is None
        for before, page in itertools.pairwise(pages):
            back = (await http.get(page["previous_page_uri"])).json()
            assert back["page"] == before["page"]
            assert back["incoming_phone_numbers"] == before["incoming_phone_numbers"]
    await emulator.aclose()


async def test_a_list_page_costs_the_page_not_the_whole_account(request: pytest.FixtureRequest) -> None:
    emulator = Emulator("twilio")
    settings = emulator.client_settings()
    owner = emulator.world.account(settings["account_sid"])
    template = await owner.purchase_any(area_code="415")
    for i in range(399):  # straight into the store: buying them one by one is not what is measured
        e164 = f"+1212555{i:04}"
        assert await emulator.world.store.claim(
            template.model_copy(update={"phone_number": e164, "id": e164})
        )
    # The work of a listing: owned numbers read back from the store, one at a time.
    read = request.getfixturevalue("rows_read")
    async with emulator.connect() as carrier:
        carrier.list_page_size = 50
        listed = [n.phone_number async for n in carrier.list()]
    assert len(set(listed)) == 400
    # Each number once, over eight pages; reading the account for each page would be 3,200.
    assert read() == 400
    await emulator.aclose()


async def test_signalwire_refuses_a_release_during_its_cooldown() -> None:
    emulator = Emulator("signalwire")
    emulator.dialect.release_cooldown = 60  # type: ignore[attr-defined]
    async with emulator.connect() as carrier:
        bought = await carrier.purchase_any(area_code="415")
        with pytest.raises(nc.ConflictError, match="cooldown"):
            await carrier.release(bought)
        emulator.dialect.release_cooldown = 0  # type: ignore[attr-defined]
        await carrier.release(bought)


async def test_signalwire_search_results_leave_out_what_its_document_says_is_always_null() -> None:
    emulator = Emulator("signalwire")
    async with emulator.connect() as carrier:
        found = await carrier.search(area_code="415", region="CA", locality="San Rafael", limit=5)
        abroad = await carrier.search(country="GB", limit=1)
    assert found
    for offer in found:
        wire = offer.raw
        assert [wire[k] for k in ("lata", "locality", "latitude", "longitude", "postal_code")] == [None] * 5
        assert wire["region"] == "CA"
        # The adapter fills what SignalWire says (the region), and the number itself (the country).
        assert (offer.geography.iso_country, offer.geography.region) == ("US", "CA")
        assert offer.geography.locality is None
    # InLocality is still honoured: these are the sandbox's San Rafael numbers.
    local = await emulator.world.account("check").search(area_code="415", region="CA", locality="San Rafael")
    assert {o.phone_number for o in found} <= {n.phone_number for n in local}
    assert abroad[0].raw["region"] is None
    await emulator.aclose()


async def test_state_is_kept_in_a_sqlite_file_between_runs(tmp_path: Path) -> None:
    state = tmp_path / "twilio.db"
    first = Emulator("twilio", state=state)
    async with first.connect() as carrier:
        bought = await carrier.purchase_any(area_code="415")
    await first.aclose()
    second = Emulator("twilio", state=state)
    async with second.connect() as carrier:
        assert [n.phone_number async for n in carrier.list()] == [bought.phone_number]
    await second.aclose()


@pytest.mark.parametrize("fault", ["lost", "unanswered"])
async def test_over_a_socket_faults_cut_the_connection_as_a_network_would(fault: str) -> None:
    emulator = Emulator("twilio", faults=Faults(**{fault: 1.0}))
    with serve(emulator) as server:
        assert server.url.startswith("http://127.0.0.1:")
        async with server.connect() as carrier:
            [offer] = await carrier.search(area_code="415", limit=1)
            # The answer is cut off after the purchase is made: the adapter looks, and finds it.
            assert (await carrier.purchase(offer)).phone_number == offer.phone_number
            # Twilio picks the number of an AreaCode purchase: nothing to look up, so unknown.
            with pytest.raises(nc.OutcomeUnknownError):
                await carrier.purchase_any(area_code="415")
    assert emulator.answered[fault] == 2


@pytest.mark.parametrize("where", ["socket", "in process"])
async def test_a_dropped_or_unanswered_request_gets_no_answer_at_all(where: str) -> None:
    emulator = Emulator("twilio", faults=Faults(dropped=1.0))
    settings = emulator.client_settings()
    account = settings["account_sid"]
    with serve(emulator) as server:
        options: dict[str, Any] = (
            {"base_url": server.url}
            if where == "socket"
            else {"base_url": "http://127.0.0.1", "transport": emulator.transport()}
        )
        async with httpx.AsyncClient(auth=(account, settings["auth_token"]), **options) as http:
            [offer] = await emulator.world.account(account).search(area_code="415", limit=1)
            buy = f"/2010-04-01/Accounts/{account}/IncomingPhoneNumbers.json"
            with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
                await http.post(buy, data={"PhoneNumber": offer.phone_number})
            assert (await emulator.state())["numbers"] == {}  # dropped before it was read
            emulator.set_faults(dropped=0.0, unanswered=1.0)
            with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
                await http.post(buy, data={"PhoneNumber": offer.phone_number})
            assert (await emulator.state())["numbers"] == {account: [offer.phone_number]}  # made
            listed = await http.get(buy)  # a read is answered: only changes go unanswered
            assert listed.status_code == 200
    assert emulator.answered == {"dropped": 1, "unanswered": 1, "200": 1}


async def test_a_client_gone_before_the_emulator_acts_is_counted_apart() -> None:
    emulator = Emulator("twilio")
    settings = emulator.client_settings()
    account = settings["account_sid"]
    credentials = base64.b64encode(f"{account}:{settings['auth_token']}".encode()).decode()
    with serve(emulator) as server:
        host, port = server.url.removeprefix("http://").split(":")
        async with await anyio.connect_tcp(host, int(port)) as stream:
            # A purchase whose body never comes whole: the client gives up half way.
            await stream.send(
                f"POST /2010-04-01/Accounts/{account}/IncomingPhoneNumbers.json HTTP/1.1\r\n"
                f"Host: {host}\r\nAuthorization: Basic {credentials}\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\n"
                "PhoneNumber=%2B1415".encode()
            )
        with anyio.fail_after(5):
            # The count changes in the server's thread: no event of this loop can say so.
            while "client_gone" not in emulator.answered:  # noqa: ASYNC110
                await anyio.sleep(0.01)
    assert emulator.answered == {"client_gone": 1}  # not a 500: nobody was answered
    assert (await emulator.state())["numbers"] == {}


async def test_the_pytest_fixture_starts_a_server(numbers_emulator: object) -> None:
    server = numbers_emulator("signalwire", latency=0.01)  # type: ignore[operator]
    async with server.connect() as carrier:
        bought = await carrier.purchase_any(area_code="415")
        assert [n.phone_number async for n in carrier.list()] == [bought.phone_number]
    assert server.emulator.faults.latency == 0.01
