"""The Sinch emulators (production and draft): tokens, scheduled provisioning, release, errors."""

from __future__ import annotations

import anyio
import httpx
import numbers_core as nc
import pytest
from numbers_core.emulator import Emulator
from numbers_core.providers.sinch._emulator import SinchEmulation

pytestmark = pytest.mark.anyio


class Clock:
    def __init__(self) -> None:
        self.now = 1_900_000_000.0

    def __call__(self) -> float:
        return self.now


def sinch_emulator() -> tuple[Emulator, SinchEmulation, Clock]:
    emulator = Emulator("sinch")
    dialect = emulator.dialect
    assert isinstance(dialect, SinchEmulation)
    clock = Clock()
    dialect.clock = clock
    return emulator, dialect, clock


async def test_200_concurrent_calls_over_an_expired_token_fetch_one_token() -> None:
    emulator, dialect, clock = sinch_emulator()
    dialect.token_lifetime = 60
    async with emulator.connect() as carrier:
        bought = await carrier.purchase_any(area_code="415")
        assert dialect.token_requests == 1
        clock.now += 120  # the emulator's tokens expire; the adapter's clock has not moved
        got: list[str] = []

        async def one() -> None:
            got.append((await carrier.get(bought)).phone_number)

        async with anyio.create_task_group() as tasks:
            for _ in range(200):
                tasks.start_soon(one)
    assert got == [bought.phone_number] * 200
    assert dialect.token_requests == 2  # one for the 200
    assert emulator.answered["401"] >= 1


async def test_scheduled_provisioning_waits_then_moves_to_the_top() -> None:
    emulator, dialect, clock = sinch_emulator()
    dialect.provisioning_delay = 10
    config = nc.NumberConfig(sms=nc.Route(application_id="plan-1"))
    async with emulator.connect() as carrier:
        bought = await carrier.purchase_any(area_code="415", config=config)
        assert bought.status is nc.NumberStatus.PENDING
        assert [(p.part, p.status, p.target) for p in bought.provisioning] == [("sms", "WAITING", "plan-1")]
        clock.now += 6
        halfway = await carrier.get(bought)
        assert [p.status for p in halfway.provisioning] == ["IN_PROGRESS"]
        clock.now += 5
        done = await carrier.get(bought)
    assert done.status is nc.NumberStatus.ACTIVE
    assert done.provisioning == ()
    assert done.config.sms == nc.Route(application_id="plan-1")


async def test_a_failed_provisioning_stays_visible_with_sinchs_code() -> None:
    emulator, _, _ = sinch_emulator()
    config = nc.NumberConfig(voice=nc.Route(application_id="fail-app"))
    async with emulator.connect() as carrier:
        bought = await carrier.purchase_any(area_code="415", config=config)
        settled = await carrier.wait_provisioned(bought, interval=0.01)
    (part,) = settled.provisioning
    assert (part.part, part.state, part.error_codes) == ("voice", "failed", ("VOICE_PROVISIONING_FAILED",))
    assert settled.status is nc.NumberStatus.ACTIVE  # rented and billed all the same
    assert settled.config.voice is None


async def test_a_released_number_stays_until_its_paid_period_ends() -> None:
    emulator, _, _ = sinch_emulator()
    async with emulator.connect() as carrier:
        bought = await carrier.purchase_any(area_code="415")
        await carrier.release(bought)
        leaving = await carrier.get(bought)
        assert leaving.status is nc.NumberStatus.RELEASING
        assert leaving.expires_at is not None
        with pytest.raises(nc.NotFoundError, match="released already"):
            await carrier.release(bought)


async def test_sinchs_own_refusals() -> None:
    emulator, dialect, _ = sinch_emulator()
    settings = emulator.client_settings()
    root = f"/v1/projects/{dialect.project}"
    auth = (dialect.key_id, dialect.key_secret)
    async with httpx.AsyncClient(transport=emulator.transport(), base_url="http://127.0.0.1") as http:
        bad_type = await http.get(
            f"{root}/availableNumbers", params={"regionCode": "US", "type": "XXX"}, auth=auth
        )
        assert bad_type.status_code == 400
        assert bad_type.json()["error"]["status"] == "INVALID_ARGUMENT"
        assert '"XXX" is not a valid value' in bad_type.json()["error"]["message"]
        abroad = await http.post(
            f"{root}/availableNumbers:rentAny", json={"regionCode": "GB", "type": "LOCAL"}, auth=auth
        )
        assert abroad.json()["error"]["status"] == "INVALID_ARGUMENT"
        missing = await http.get(f"{root}/activeNumbers/%2B14155550100", auth=auth)
        assert missing.status_code == 404
        assert missing.json()["error"]["details"][0]["resourceType"] == "ActiveNumber"
        other = await http.get("/v1/projects/00000000-0000-4000-8000-000000000000/activeNumbers", auth=auth)
        assert other.json()["error"]["status"] == "PERMISSION_DENIED"
        refused = await http.post("/oauth2/token", data={"grant_type": "client_credentials"}, auth=("x", "y"))
        assert refused.json() == {"error": "invalid_client", "error_description": "bad client credentials"}
    assert settings["auth_url"] == settings["base_url"]


async def test_one_available_number_is_answered_until_it_is_rented() -> None:
    emulator, dialect, _ = sinch_emulator()
    root = f"/v1/projects/{dialect.project}"
    auth = (dialect.key_id, dialect.key_secret)
    async with emulator.connect() as carrier:
        [offer] = await carrier.search(area_code="415", limit=1)
        elsewhere = await emulator.world.account("someone-else").purchase_any(area_code="212")
        async with httpx.AsyncClient(transport=emulator.transport(), base_url="http://127.0.0.1") as http:
            available = await http.get(f"{root}/availableNumbers/{offer.phone_number}", auth=auth)
            assert available.status_code == 200
            assert available.json()["phoneNumber"] == offer.phone_number
            # The price a search gave it, not zero.
            assert offer.monthly_price is not None
            assert available.json()["monthlyPrice"]["amount"] == f"{offer.monthly_price.amount:.2f}"
            await carrier.purchase(offer)
            for taken in (offer.phone_number, elsewhere.phone_number, "+15555550100"):
                gone = await http.get(f"{root}/availableNumbers/{taken.replace('+', '%2B')}", auth=auth)
                assert gone.status_code == 404
                assert gone.json()["error"]["status"] == "NOT_FOUND"
                [info] = gone.json()["error"]["details"]
                assert (info["type"], info["resourceType"], info["resourceName"]) == (
                    "ResourceInfo",
                    "AvailableNumber",
                    taken,
                )
            unauthorized = await http.get(f"{root}/availableNumbers/{offer.phone_number}")
            assert unauthorized.status_code == 401


async def test_the_draft_asks_for_its_bearer_token() -> None:
    emulator = Emulator("sinch-draft")
    async with emulator.connect(token="WrongToken") as carrier:
        with pytest.raises(nc.AuthenticationError):
            await carrier.search(area_code="415")
    emulator.dialect.token = None  # type: ignore[attr-defined]  # as the document has it: none
    async with emulator.connect(token=None) as carrier:
        [offer] = await carrier.search(area_code="415", limit=1)
        bought = await carrier.purchase(offer, config=nc.NumberConfig(friendly_name="Desk"))
    assert bought.friendly_name == "Desk"


OFFICE = nc.Address(
    customer_name="ACME Support",
    street="3500  Lenox Rd NE",
    locality="Atlanta",
    region="GA",
    postal_code="30326",
    country="US",
)


async def test_offers_are_priced_and_regulated_ones_need_documents() -> None:
    emulator, _, _ = sinch_emulator()
    async with emulator.connect() as carrier:
        [local] = await carrier.search(area_code="415", limit=1)
        assert local.price_basis is nc.PriceBasis.OFFER
        assert local.monthly_price == nc.Money(amount="1.15", currency="USD")
        assert local.documents_required is False
        # A British landline is a regulated offer of the sandbox: Sinch asks for documents.
        [landline] = await carrier.search(country="GB", number_type="local", limit=1)
        assert landline.documents_required is True
        with pytest.raises(nc.ComplianceRequiredError) as refused:
            await carrier.purchase(landline)
        assert refused.value.requirement is nc.RequirementKind.DOCUMENTS
        assert refused.value.scope is nc.ComplianceScope.NUMBER
        assert [n async for n in carrier.list()] == []


async def test_available_regions_are_the_sandbox_s_coverage() -> None:
    emulator, _, _ = sinch_emulator()
    async with emulator.connect() as carrier:
        covered = {c.country: c for c in await carrier.coverage()}
    assert {"US", "GB", "DE"} <= covered.keys()
    assert covered["US"].name == "United States"
    assert nc.NumberType.LOCAL in covered["US"].number_types
    assert all(
        c.number_types <= {nc.NumberType.LOCAL, nc.NumberType.MOBILE, nc.NumberType.TOLL_FREE}
        for c in covered.values()
    )
    async with httpx.AsyncClient(transport=emulator.transport(), base_url="http://127.0.0.1") as http:
        settings = emulator.client_settings()
        auth = (settings["key_id"], settings["key_secret"])
        path = f"/v1/projects/{settings['project_id']}/availableRegions"
        toll_free = (await http.get(path, params={"types": "TOLL_FREE"}, auth=auth)).json()
        assert all("TOLL_FREE" in region["types"] for region in toll_free["availableRegions"])
        assert (await http.get(path, params={"types": "FAX"}, auth=auth)).status_code == 400


async def test_an_emergency_address_is_the_sandbox_s_registration() -> None:
    emulator, _, _ = sinch_emulator()
    async with emulator.connect() as carrier:
        bought = await carrier.purchase_any(area_code="415", config=nc.NumberConfig(emergency_address=OFFICE))
        assert bought.emergency is not None
        assert bought.emergency.status is nc.EmergencyStatus.ACTIVE
        assert bought.emergency.address is not None
        assert bought.emergency.address.street == "3500 Lenox Rd NE"  # as the sandbox tidied it
        read = await carrier.get(bought)
        assert read.emergency is not None
        assert read.emergency.status is nc.EmergencyStatus.ACTIVE
        # Sinch keeps no name with the address: the one sent is not read back.
        assert read.emergency.address == bought.emergency.address.model_copy(update={"customer_name": None})
        sandbox = await emulator.world.account(bought.account_id or "").get(bought)
        assert sandbox.emergency is not None
        assert sandbox.emergency.status is nc.EmergencyStatus.ACTIVE
        cleared = await carrier.configure(bought, nc.NumberConfig(emergency_address=None))
        assert cleared.emergency == nc.EmergencyRegistration(status=nc.EmergencyStatus.NONE)
        assert (await carrier.get(bought)).emergency == nc.EmergencyRegistration(
            status=nc.EmergencyStatus.NONE
        )
        with pytest.raises(nc.AddressValidationError):
            await carrier.configure(
                bought, nc.NumberConfig(emergency_address=OFFICE.model_copy(update={"locality": " "}))
            )


async def test_validation_answers_as_the_sandbox_checks() -> None:
    emulator, _, _ = sinch_emulator()
    async with emulator.connect() as carrier:
        bought = await carrier.purchase_any(area_code="415")
        exact = OFFICE.model_copy(update={"street": "3500 Lenox Rd NE"})
        assert (await carrier.validate_emergency_address(exact, bought)).result == "exact"
        spaced = exact.model_copy(update={"locality": "East  Point"})
        corrected = await carrier.validate_emergency_address(spaced, bought)
        assert corrected.result == "corrected"
        assert corrected.address is not None
        assert corrected.address.locality == "East Point"
        assert corrected.address.customer_name == "ACME Support"
        assert (await carrier.get(bought)).emergency == nc.EmergencyRegistration(
            status=nc.EmergencyStatus.NONE
        )
    # What the adapter would refuse before sending, sent as it is: the sandbox's verdict, NO_MATCH.
    settings = emulator.client_settings()
    number = bought.phone_number
    path = f"/v1/projects/{settings['project_id']}/activeNumbers/{number}/emergencyAddress:validate"
    address = {
        "streetNumber": "3500",
        "streetInfo": "Lenox Rd NE",
        "city": "Atlanta",
        "state": "GA",
        "postalCode": "3032",
    }
    async with httpx.AsyncClient(transport=emulator.transport(), base_url="http://127.0.0.1") as http:
        key = (settings["key_id"], settings["key_secret"])
        answer = (await http.post(path, json={"address": address}, auth=key)).json()
    assert answer["validationResult"] == "NO_MATCH"
    assert "postal code" in answer["validationMessage"]
    assert answer["correctedAddress"]["city"] == ""


async def test_the_draft_prices_its_offers_and_refuses_a_regulated_one_with_21650() -> None:
    emulator = Emulator("sinch-draft")
    async with emulator.connect() as carrier:
        assert carrier.supports(nc.Feature.SEARCH_PRICES)  # its settings name the currency
        [local] = await carrier.search(area_code="415", limit=1)
        assert local.price_basis is nc.PriceBasis.OFFER
        [landline] = await carrier.search(country="GB", number_type="local", limit=1)
        with pytest.raises(nc.ComplianceRequiredError) as refused:
            await carrier.purchase(landline)
    assert refused.value.code == "21650"
    assert refused.value.requirement is nc.RequirementKind.IDENTITY
    assert refused.value.scope is nc.ComplianceScope.ACCOUNT
