"""The registry: providers found through the ``numbers_core.providers`` entry points, and connect()."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import numbers_core as nc
import pytest
from numbers_core import ConfigurationError
from numbers_core._config import resolve
from numbers_core._registry import load_provider

Install = Callable[..., Path]

# A third-party adapter as its own distribution would ship it: it talks HTTP
# through the adapter kit, so a search proves that the settings and the
# user's http_client reached it.
ACME = """
from __future__ import annotations

from typing import Any

from pydantic import SecretStr

import numbers_core as nc
from numbers_core.adapter import Feature, Idempotency, Provider, ProviderSettings, error_for_status


class AcmeSettings(ProviderSettings):
    token: SecretStr
    base_url: str = "https://api.acme.example/v1"


class AcmeProvider(Provider):
    name = "acme"
    settings_model = AcmeSettings
    features = frozenset({Feature.SEARCH, Feature.NUMBER_TYPE_LOCAL})

    def __init__(self, settings: AcmeSettings, *, http_client: Any = None) -> None:
        super().__init__(settings, http_client=http_client)
        token = settings.token.get_secret_value()
        self._api = self._make_http(
            base_url=settings.base_url,
            error_mapper=lambda r: error_for_status(r.status_code, provider="acme", message="failed"),
            headers={"Authorization": f"Bearer {token}"},
            secrets=(token,),
        )

    async def _search(self, query):
        params = {"country": query.country}
        body = await self._api.request_json(
            "GET", "numbers", idempotency=Idempotency.SAFE, operation="search", params=params
        )
        return [nc.AvailableNumber(phone_number=n, provider=self.name) for n in body["numbers"]]

    async def _purchase(self, e164, config):
        raise NotImplementedError

    async def _get(self, e164):
        raise NotImplementedError

    async def _configure(self, e164, config):
        raise NotImplementedError

    async def _release(self, e164):
        raise NotImplementedError

    async def _list_page(self, filters, cursor):
        raise NotImplementedError


class Broken(AcmeProvider):
    def __init__(self, settings, *, http_client=None):
        {}["oops"]


class Half(Provider):
    async def _search(self, query):
        return []


class OddSettings(AcmeProvider):
    settings_model = dict


def make():
    return AcmeProvider
"""


@pytest.fixture
def acme(install_distribution: Install) -> None:
    install_distribution(
        "acme-numbers",
        {
            "acme": "acme_numbers:AcmeProvider",
            "acme-broken": "acme_numbers:Broken",
            "acme-half": "acme_numbers:Half",
            "acme-odd": "acme_numbers:OddSettings",
            "acme-settings": "acme_numbers:AcmeSettings",
            "acme-factory": "acme_numbers:make",
            "acme-typo": "acme_numbers:AcmeProviderr",
            "acme-gone": "acme_numbers_v0:AcmeProvider",
        },
        modules={"acme_numbers": ACME},
    )


@pytest.mark.anyio
async def test_a_provider_of_another_distribution_is_found_by_connect(acme: None) -> None:
    assert "acme" in nc.provider_names()
    requests: list[httpx.Request] = []

    def carrier_api(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(200, json={"numbers": ["+14155550123"]})

    async with httpx.AsyncClient(transport=httpx.MockTransport(carrier_api)) as client:
        async with nc.connect("acme", token="t0ken", http_client=client) as carrier:
            assert type(carrier).__module__ == "acme_numbers"
            assert carrier.name == "acme"
            found = await carrier.search(limit=5)
        assert not client.is_closed  # the user's client stays the user's
    assert [number.phone_number for number in found] == ["+14155550123"]
    assert [str(request.url) for request in requests] == ["https://api.acme.example/v1/numbers?country=US"]
    assert requests[0].headers["Authorization"] == "Bearer t0ken"


def test_a_third_party_provider_from_a_profile(acme: None) -> None:
    Path("numbers.toml").write_text('default = "acme"\n[profiles.acme]\nprovider = "acme"\ntoken = "t"\n')
    carrier = nc.connect()
    assert type(carrier).__name__ == "AcmeProvider"
    assert carrier.settings.model_dump()["base_url"] == "https://api.acme.example/v1"


def test_provider_names_are_sorted_and_include_the_built_in_sandbox(acme: None) -> None:
    names = nc.provider_names()
    assert names == sorted(names)
    assert {"sandbox", "acme", "acme-broken"} <= set(names)


def test_unknown_provider_lists_the_registered_ones(acme: None) -> None:
    with pytest.raises(
        ConfigurationError, match=r"unknown provider 'acne' \(registered: .*acme, .*sandbox"
    ) as caught:
        nc.connect("acne", token="t")
    assert (caught.value.setting, caught.value.profile) == ("provider", None)


@pytest.mark.parametrize(
    ("name", "match"),
    [
        (
            "acme-gone",
            r"'acme-gone' could not be loaded from acme_numbers_v0:AcmeProvider: ModuleNotFoundError",
        ),
        ("acme-typo", r"'acme-typo' could not be loaded from acme_numbers:AcmeProviderr: AttributeError"),
        ("acme-settings", r"'acme-settings' \(acme_numbers:AcmeSettings\) is not a numbers_core.Provider"),
        ("acme-factory", r"'acme-factory' \(acme_numbers:make\) is not a numbers_core.Provider"),
        ("acme-half", r"does not implement _configure, _get, _list_page, _purchase, _release$"),
        ("acme-odd", r"settings_model is not a numbers_core.ProviderSettings"),
    ],
)
def test_an_entry_point_that_is_not_a_usable_provider(acme: None, name: str, match: str) -> None:
    with pytest.raises(ConfigurationError, match=match) as caught:
        nc.connect(name)
    assert caught.value.setting == "provider"


def test_a_module_that_fails_to_import(install_distribution: Install) -> None:
    install_distribution(
        "needy-numbers",
        {"needy": "needy_numbers:Needy"},
        modules={"needy_numbers": "raise ImportError('needy-numbers needs libfoo')\n"},
    )
    with pytest.raises(ConfigurationError, match=r"ImportError: needy-numbers needs libfoo") as caught:
        load_provider("needy")
    assert isinstance(caught.value.__cause__, ImportError)


def test_an_adapter_failing_in_its_constructor_is_a_configuration_error(acme: None) -> None:
    with pytest.raises(
        ConfigurationError, match=r"'acme-broken' could not be set up: KeyError at acme_numbers\.py:\d+$"
    ):
        nc.connect("acme-broken", token="t")


def test_the_first_distribution_on_sys_path_wins_a_name(install_distribution: Install) -> None:
    install_distribution("first-numbers", {"twin": "twin_a:Provider"}, modules={"twin_a": ""})
    # Installed second, but put before the first on sys.path.
    install_distribution("second-numbers", {"twin": "twin_b:Provider"}, modules={"twin_b": ""})
    with pytest.raises(ConfigurationError, match=r"twin_b:Provider"):
        load_provider("twin")


def test_entry_points_added_at_run_time_are_seen(install_distribution: Install) -> None:
    assert "late" not in nc.provider_names()
    install_distribution("late-numbers", {"late": "late_numbers:Late"})
    assert "late" in nc.provider_names()


def test_a_distribution_installed_beside_others_at_run_time_is_seen(install_distribution: Install) -> None:
    import time

    site = install_distribution("early-numbers", {"early": "early_numbers:Early"})
    assert "early" in nc.provider_names()
    assert "beside" not in nc.provider_names()
    # A file's time moves with the kernel's clock tick: an install a tick later, as pip's would be.
    time.sleep(0.05)
    info = site / "beside_numbers-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: beside-numbers\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[numbers_core.providers]\nbeside = beside_numbers:Beside\n")
    assert "beside" in nc.provider_names()


def test_connecting_reads_the_installed_distributions_once(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Every distribution's metadata is read for a look-up; connect() looks names up many times."""
    import importlib.metadata

    from numbers_core._registry import ENTRY_POINT_GROUP

    scans: list[str] = []

    def counted(*, group: str) -> importlib.metadata.EntryPoints:
        scans.append(group)
        return importlib.metadata.entry_points(group=group)

    monkeypatch.setattr("numbers_core._registry.entry_points", counted)
    monkeypatch.setenv("NUMBERS_SANDBOX_FAIL_SEED", "7")  # a provider's variable: it is checked too
    monkeypatch.syspath_prepend(str(tmp_path))  # a search path not scanned yet
    nc.connect("sandbox")
    nc.connect("sandbox")
    assert scans == [ENTRY_POINT_GROUP]


def test_http_client_must_be_an_async_client() -> None:
    with (
        httpx.Client() as client,
        pytest.raises(ConfigurationError, match=r"httpx\.AsyncClient, got Client$") as caught,
    ):
        nc.connect("sandbox", http_client=client)  # type: ignore[arg-type]
    assert caught.value.setting == "http_client"


# -- the built-in default -----------------------------------------------------------------------------


@pytest.mark.anyio
async def test_with_nothing_configured_connect_is_the_sandbox() -> None:
    from numbers_core.sandbox import SandboxProvider  # type: ignore[attr-defined,unused-ignore]

    assert resolve(None, profile=None, config_file=None, overrides={}) == ("sandbox", {}, None)
    async with nc.connect() as carrier:
        assert isinstance(carrier, SandboxProvider)
        assert carrier.name == "sandbox"
    async with nc.connect("sandbox") as carrier:
        assert isinstance(carrier, SandboxProvider)


@pytest.mark.anyio
async def test_the_sandbox_takes_its_settings_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NUMBERS_SANDBOX_PATH", str(tmp_path / "sandbox.db"))
    async with nc.connect() as carrier:
        assert carrier.settings.model_dump()["path"] == str(tmp_path / "sandbox.db")
