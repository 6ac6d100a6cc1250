"""The canary test of configuration: a secret never shows in a log record, a repr or an error.

The secret travels every way a setting can (keyword, ``NUMBERS_…`` variable,
the config file, a ``{ env = … }`` reference) and is then made to fail every
way configuration can fail, with all logging captured at DEBUG.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numbers_core as nc
import pytest
from numbers_core import ConfigurationError
from pydantic import Field, SecretStr, field_validator

from settings_only import SettingsOnlyProvider

CANARY = "canary-s3cr3t-9f8e7d"


class CanarySettings(nc.ProviderSettings):
    account: str
    api_key: SecretStr
    tags: list[str] = Field(default_factory=list)

    @field_validator("api_key")
    @classmethod
    def _careless(cls, value: SecretStr) -> SecretStr:
        # An adapter written carelessly: it quotes the rejected value.
        if value.get_secret_value().startswith("rejected-"):
            raise ValueError(f"{value.get_secret_value()} is not an api key")
        return value


class CanaryProvider(SettingsOnlyProvider):
    name = "canary"
    settings_model = CanarySettings


class LeakyProvider(CanaryProvider):
    def __init__(self, settings: nc.ProviderSettings, *, http_client: Any = None) -> None:
        assert isinstance(settings, CanarySettings)
        raise RuntimeError(f"cannot log in with {settings.api_key.get_secret_value()}")


@pytest.fixture(autouse=True)
def _providers(install_distribution: Callable[..., Path]) -> None:
    install_distribution(
        "canary-numbers",
        {"canary": f"{__name__}:CanaryProvider", "leaky": f"{__name__}:LeakyProvider"},
    )


@pytest.fixture
def captured(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)  # the root logger: every logger, every level
    return caplog


def config(text: str) -> None:
    Path("numbers.toml").write_text(text, encoding="utf-8")


def logged(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(
        f"{record.getMessage()} {record.args!r} {record.exc_text or ''}" for record in caplog.records
    )


def assert_no_canary(caplog: pytest.LogCaptureFixture, *texts: str) -> None:
    for text in (*texts, logged(caplog), caplog.text):
        assert CANARY not in text


# -- the secret arrives ----------------------------------------------------------------------------------


def by_keyword(monkeypatch: pytest.MonkeyPatch) -> nc.Provider:
    return nc.connect("canary", account="acct", api_key=CANARY)


def by_environment(monkeypatch: pytest.MonkeyPatch) -> nc.Provider:
    monkeypatch.setenv("NUMBERS_CANARY_API_KEY", CANARY)
    monkeypatch.setenv("NUMBERS_CANARY_ACCOUNT", "acct")
    return nc.connect("canary")


def by_file(monkeypatch: pytest.MonkeyPatch) -> nc.Provider:
    config(f'default = "p"\n[profiles.p]\nprovider = "canary"\naccount = "acct"\napi_key = "{CANARY}"\n')
    return nc.connect()


def by_reference(monkeypatch: pytest.MonkeyPatch) -> nc.Provider:
    monkeypatch.setenv("CANARY_KEY", CANARY)
    config('[profiles.p]\nprovider = "canary"\naccount = "acct"\napi_key = { env = "CANARY_KEY" }\n')
    return nc.connect(profile="p")


@pytest.mark.parametrize("arrival", [by_keyword, by_environment, by_file, by_reference])
def test_a_secret_that_arrives_is_never_shown(
    arrival: Callable[[pytest.MonkeyPatch], nc.Provider],
    monkeypatch: pytest.MonkeyPatch,
    captured: pytest.LogCaptureFixture,
) -> None:
    carrier = arrival(monkeypatch)
    settings = carrier.settings
    assert isinstance(settings, CanarySettings)
    assert settings.api_key.get_secret_value() == CANARY  # it did arrive
    # Configuration did log at DEBUG, naming the setting.
    assert any(r.name.startswith("numbers_core") and "api_key" in r.getMessage() for r in captured.records)
    assert_no_canary(
        captured, repr(carrier), str(carrier), repr(settings), str(settings), settings.model_dump_json()
    )


# -- the secret is part of a failure ------------------------------------------------------------------------


def rejected_by_keyword(monkeypatch: pytest.MonkeyPatch) -> None:
    nc.connect("canary", account="acct", api_key=f"rejected-{CANARY}")


def rejected_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NUMBERS_CANARY_API_KEY", f"rejected-{CANARY}")
    nc.connect("canary", account="acct")


def rejected_from_file(monkeypatch: pytest.MonkeyPatch) -> None:
    config(f'[profiles.p]\nprovider = "canary"\naccount = "acct"\napi_key = "rejected-{CANARY}"\n')
    nc.connect(profile="p")


def in_a_setting_of_another_type(monkeypatch: pytest.MonkeyPatch) -> None:
    nc.connect("canary", account="acct", api_key="k", timeout=CANARY)


def in_an_unknown_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    nc.connect("canary", account="acct", apikey=CANARY)


def with_a_missing_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    nc.connect("canary", api_key=CANARY)


def in_a_list_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NUMBERS_CANARY_TAGS", CANARY)
    nc.connect("canary", account="acct", api_key="k")


def pasted_as_a_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    config(f'[profiles.p]\nprovider = "canary"\naccount = "acct"\napi_key = {{ env = "{CANARY}" }}\n')
    nc.connect(profile="p")


def unterminated_in_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    config(f'[profiles.p]\nprovider = "canary"\napi_key = "{CANARY}\naccount = "acct"\n')
    nc.connect(profile="p")


def unquoted_in_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    config(f'[profiles.p]\nprovider = "canary"\napi_key = {CANARY}\n')
    nc.connect(profile="p")


def in_a_profile_without_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    config(f'[profiles.p]\naccount = "acct"\napi_key = "{CANARY}"\n')
    nc.connect(profile="p")


def in_a_profile_of_another_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    config(f'[profiles.p]\nprovider = "canary"\naccount = "acct"\napi_key = "{CANARY}"\n')
    nc.connect("leaky", profile="p")


def in_a_file_whose_profile_is_unknown(monkeypatch: pytest.MonkeyPatch) -> None:
    config(f'default = "q"\n[profiles.p]\nprovider = "canary"\napi_key = "{CANARY}"\n')
    nc.connect()


def quoted_by_the_adapters_constructor(monkeypatch: pytest.MonkeyPatch) -> None:
    nc.connect("leaky", account="acct", api_key=CANARY)


@pytest.mark.parametrize(
    "failure",
    [
        rejected_by_keyword,
        rejected_from_environment,
        rejected_from_file,
        in_a_setting_of_another_type,
        in_an_unknown_setting,
        with_a_missing_setting,
        in_a_list_variable,
        pasted_as_a_reference,
        unterminated_in_the_file,
        unquoted_in_the_file,
        in_a_profile_without_provider,
        in_a_profile_of_another_provider,
        in_a_file_whose_profile_is_unknown,
        quoted_by_the_adapters_constructor,
    ],
)
def test_a_secret_in_a_failing_configuration_is_never_shown(
    failure: Callable[[pytest.MonkeyPatch], None],
    monkeypatch: pytest.MonkeyPatch,
    captured: pytest.LogCaptureFixture,
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        failure(monkeypatch)
    error = caught.value
    assert error.message  # a real explanation, only without the secret
    assert_no_canary(
        captured,
        str(error),
        repr(error),
        repr(error.args),
        str(error.setting),
        str(error.profile),
        "".join(traceback.format_exception(error)),
    )


def test_the_careless_message_is_kept_with_the_secret_hidden(captured: pytest.LogCaptureFixture) -> None:
    # Hiding the secret keeps the rest of what the adapter had to say.
    with pytest.raises(ConfigurationError) as caught:
        nc.connect("canary", account="acct", api_key=f"rejected-{CANARY}")
    assert str(caught.value) == "canary: api_key: *** is not an api key"
    assert caught.value.setting == "api_key"
