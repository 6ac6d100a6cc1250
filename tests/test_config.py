"""Configuration: profiles, the default profile, environment overrides, ``{ env = ... }`` and every error."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numbers_core as nc
import pytest
from numbers_core import ConfigurationError
from numbers_core._config import environment_prefix, resolve
from pydantic import Field, SecretStr

from settings_only import SettingsOnlyProvider


class ExampleSettings(nc.ProviderSettings):
    account: str
    api_key: SecretStr
    region: str = "eu"
    tags: list[str] = Field(default_factory=list)


class ExampleProvider(SettingsOnlyProvider):
    """A provider that only holds its settings: configuration is all these tests look at."""

    name = "example"
    settings_model = ExampleSettings


class OtherSettings(nc.ProviderSettings):
    endpoint: str = "https://other.example"


class OtherProvider(ExampleProvider):
    name = "other"
    settings_model = OtherSettings  # type: ignore[assignment]


@pytest.fixture(autouse=True)
def _providers(install_distribution: Callable[..., Path]) -> None:
    install_distribution(
        "example-numbers",
        {
            "example": f"{__name__}:ExampleProvider",
            "other": f"{__name__}:OtherProvider",
            "my-carrier": f"{__name__}:ExampleProvider",
        },
    )


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


PROFILES = """
default = "dev"

[profiles.dev]
provider = "example"
account = "dev-account"
api_key = "dev-key"

[profiles.production]
provider = "example"
account = "prod-account"
api_key = { env = "EXAMPLE_PROD_KEY" }
region = "us"

[profiles.elsewhere]
provider = "other"
endpoint = "https://elsewhere.example"
"""


def settings_of(carrier: nc.Provider) -> Any:
    return carrier.settings


# -- choosing what to connect to ---------------------------------------------------------


def test_provider_by_name_takes_keyword_settings() -> None:
    carrier = nc.connect("example", account="a1", api_key="k1", tags=["x"])
    assert isinstance(carrier, ExampleProvider)
    assert carrier.settings == ExampleSettings(account="a1", api_key=SecretStr("k1"), tags=["x"])
    assert settings_of(carrier).region == "eu"


def test_provider_may_be_passed_as_keyword_like_in_a_profile() -> None:
    assert resolve(None, profile=None, config_file=None, overrides={"provider": "other"}) == (
        "other",
        {},
        None,
    )
    with pytest.raises(ConfigurationError, match="given twice") as caught:
        resolve("example", profile=None, config_file=None, overrides={"provider": "other"})
    assert caught.value.setting == "provider"


@pytest.mark.parametrize("bad", ["", "  ", 3, SecretStr("x")])
def test_provider_and_profile_must_be_names(bad: Any) -> None:
    with pytest.raises(ConfigurationError, match="expected a name") as caught:
        nc.connect(bad)
    assert caught.value.setting == "provider"
    with pytest.raises(ConfigurationError, match="expected a name") as caught:
        nc.connect(profile=bad)
    assert caught.value.setting == "profile"


def test_default_profile_of_the_file_in_the_working_directory() -> None:
    write(Path.cwd() / "numbers.toml", PROFILES)
    name, values, profile = resolve(None, profile=None, config_file=None, overrides={})
    assert (name, values, profile) == ("example", {"account": "dev-account", "api_key": "dev-key"}, "dev")
    carrier = nc.connect()
    assert settings_of(carrier).account == "dev-account"
    assert settings_of(carrier).api_key.get_secret_value() == "dev-key"


def test_the_users_config_directory_is_looked_in_after_the_working_directory() -> None:
    import os

    import platformdirs

    user_file = Path(platformdirs.user_config_dir("numbers-core")) / "numbers.toml"
    # The tests' config directory is a fresh one (tests/conftest.py).
    assert str(user_file).startswith(os.environ["XDG_CONFIG_HOME"])
    user_file.parent.mkdir(parents=True)
    write(user_file, PROFILES.replace('default = "dev"', 'default = "elsewhere"'))
    assert settings_of(nc.connect()).endpoint == "https://elsewhere.example"
    # One in the working directory comes first.
    write(Path.cwd() / "numbers.toml", PROFILES)
    assert settings_of(nc.connect()).account == "dev-account"


def test_profile_argument_then_environment_then_default(monkeypatch: pytest.MonkeyPatch) -> None:
    write(Path.cwd() / "numbers.toml", PROFILES)
    monkeypatch.setenv("EXAMPLE_PROD_KEY", "prod-key")
    monkeypatch.setenv("NUMBERS_PROFILE", "production")
    assert settings_of(nc.connect()).account == "prod-account"
    carrier = nc.connect(profile="elsewhere")
    assert isinstance(carrier, OtherProvider)
    assert settings_of(carrier).endpoint == "https://elsewhere.example"


def test_numbers_provider_names_the_provider_when_no_profile_is_asked_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NUMBERS_PROVIDER", "other")
    assert resolve(None, profile=None, config_file=None, overrides={}) == ("other", {}, None)
    # The environment is stronger than the file's default ...
    write(Path.cwd() / "numbers.toml", PROFILES)
    assert resolve(None, profile=None, config_file=None, overrides={}) == ("other", {}, None)
    # ... and a profile asked for is stronger still.
    monkeypatch.setenv("NUMBERS_PROFILE", "dev")
    assert resolve(None, profile=None, config_file=None, overrides={})[::2] == ("example", "dev")
    assert resolve(None, profile="elsewhere", config_file=None, overrides={})[::2] == ("other", "elsewhere")


def test_a_provider_named_without_profile_takes_no_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    # The default profile (and $NUMBERS_PROFILE) are for the same provider, with
    # other settings: none of them is mixed in.
    write(Path.cwd() / "numbers.toml", PROFILES)
    monkeypatch.setenv("NUMBERS_PROFILE", "production")
    name, values, profile = resolve("example", profile=None, config_file=None, overrides={"account": "a"})
    assert (name, values, profile) == ("example", {"account": "a"}, None)
    # nor is one of another provider, whose settings would be refused
    assert isinstance(nc.connect("other"), OtherProvider)


def test_a_provider_named_does_not_read_the_config_file() -> None:
    write(Path.cwd() / "numbers.toml", "this is not TOML")
    assert resolve("other", profile=None, config_file=None, overrides={}) == ("other", {}, None)


def test_provider_and_profile_together_must_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    write(Path.cwd() / "numbers.toml", PROFILES)
    monkeypatch.setenv("EXAMPLE_PROD_KEY", "prod-key")
    carrier = nc.connect("example", profile="production", region="ap")
    assert (settings_of(carrier).account, settings_of(carrier).region) == ("prod-account", "ap")
    with pytest.raises(
        ConfigurationError, match="'elsewhere' is for provider 'other', not 'example'"
    ) as caught:
        nc.connect("example", profile="elsewhere")
    assert (caught.value.setting, caught.value.profile) == ("provider", "elsewhere")


def test_file_given_as_argument_or_by_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(Path.cwd() / "numbers.toml", 'default = "dev"\n[profiles.dev]\nprovider = "other"\n')
    by_env = write(tmp_path / "env.toml", 'default = "x"\n[profiles.x]\nprovider = "example"\n')
    by_arg = write(
        tmp_path / "arg.toml", 'default = "y"\n[profiles.y]\nprovider = "other"\nendpoint = "arg"\n'
    )
    assert resolve(None, profile=None, config_file=None, overrides={})[::2] == ("other", "dev")
    monkeypatch.setenv("NUMBERS_CONFIG", str(by_env))
    assert resolve(None, profile=None, config_file=None, overrides={})[::2] == ("example", "x")
    assert resolve(None, profile=None, config_file=by_arg, overrides={}) == (
        "other",
        {"endpoint": "arg"},
        "y",
    )
    assert resolve(None, profile="y", config_file=str(by_arg), overrides={})[2] == "y"


def test_a_file_without_default_chooses_no_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    write(Path.cwd() / "numbers.toml", '[profiles.dev]\nprovider = "other"\n')
    # (with nothing else configured that is the sandbox: see test_registry)
    monkeypatch.setenv("NUMBERS_PROVIDER", "example")
    assert resolve(None, profile=None, config_file=None, overrides={})[::2] == ("example", None)
    assert resolve(None, profile="dev", config_file=None, overrides={})[::2] == ("other", "dev")


def test_empty_selection_variables_count_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NUMBERS_PROFILE", "")
    monkeypatch.setenv("NUMBERS_CONFIG", "")
    monkeypatch.setenv("NUMBERS_PROVIDER", "other")
    assert resolve(None, profile=None, config_file=None, overrides={}) == ("other", {}, None)


# -- environment overrides ---------------------------------------------------------------


def test_environment_overrides_the_file_and_keywords_override_both(monkeypatch: pytest.MonkeyPatch) -> None:
    write(Path.cwd() / "numbers.toml", PROFILES)
    monkeypatch.setenv("NUMBERS_EXAMPLE_ACCOUNT", "env-account")
    monkeypatch.setenv("NUMBERS_EXAMPLE_REGION", "env-region")
    monkeypatch.setenv("NUMBERS_EXAMPLE_TIMEOUT", "12.5")
    monkeypatch.setenv("NUMBERS_EXAMPLE_TAGS", '["a", "b"]')
    carrier = nc.connect(region="kw-region")
    settings = settings_of(carrier)
    assert settings.account == "env-account"
    assert settings.api_key.get_secret_value() == "dev-key"  # from the file, not overridden
    assert settings.region == "kw-region"
    assert settings.timeout == 12.5
    assert settings.tags == ["a", "b"]


def test_environment_overrides_apply_without_a_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NUMBERS_EXAMPLE_ACCOUNT", "env-account")
    monkeypatch.setenv("NUMBERS_EXAMPLE_API_KEY", "env-key")
    monkeypatch.setenv("NUMBERS_EXAMPLE_ALLOW_INSECURE_HTTP", "true")
    settings = settings_of(nc.connect("example"))
    assert (settings.account, settings.api_key.get_secret_value()) == ("env-account", "env-key")
    assert settings.allow_insecure_http is True


def test_only_the_providers_own_setting_names_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    # A stray variable under the prefix, another provider's variable and an empty one change nothing.
    monkeypatch.setenv("NUMBERS_EXAMPLE_NOT_A_SETTING", "{not json")
    monkeypatch.setenv("NUMBERS_OTHER_ACCOUNT", "other's")
    monkeypatch.setenv("NUMBERS_EXAMPLE_REGION", "")
    assert resolve("example", profile=None, config_file=None, overrides={"account": "a"})[1] == {
        "account": "a"
    }


def test_environment_prefix_of_a_name_with_punctuation(monkeypatch: pytest.MonkeyPatch) -> None:
    assert environment_prefix("twilio") == "NUMBERS_TWILIO_"
    assert environment_prefix("my-carrier") == "NUMBERS_MY_CARRIER_"
    monkeypatch.setenv("NUMBERS_MY_CARRIER_ACCOUNT", "mine")
    monkeypatch.setenv("NUMBERS_MY_CARRIER_API_KEY", "k")
    assert settings_of(nc.connect("my-carrier")).account == "mine"


def test_a_list_setting_from_the_environment_must_be_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NUMBERS_EXAMPLE_TAGS", "a,b")
    with pytest.raises(ConfigurationError, match="NUMBERS_EXAMPLE_TAGS") as caught:
        nc.connect("example", account="a", api_key="k")
    assert (caught.value.setting, caught.value.profile) == ("tags", None)


# -- { env = "VAR" } references --------------------------------------------------------------


def test_env_reference_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    write(Path.cwd() / "numbers.toml", PROFILES)
    monkeypatch.setenv("EXAMPLE_PROD_KEY", "from-env")
    assert resolve(None, profile="production", config_file=None, overrides={})[1] == {
        "account": "prod-account",
        "api_key": "from-env",
        "region": "us",
    }


def test_missing_env_reference_names_setting_variable_and_profile() -> None:
    write(Path.cwd() / "numbers.toml", PROFILES)
    with pytest.raises(ConfigurationError) as caught:
        nc.connect(profile="production")
    assert (caught.value.setting, caught.value.profile) == ("api_key", "production")
    message = str(caught.value)
    assert "'api_key'" in message
    assert "EXAMPLE_PROD_KEY" in message
    assert "'production'" in message


def test_empty_env_reference_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    write(Path.cwd() / "numbers.toml", PROFILES)
    monkeypatch.setenv("EXAMPLE_PROD_KEY", "")
    with pytest.raises(ConfigurationError, match="EXAMPLE_PROD_KEY"):
        nc.connect(profile="production")


def test_a_reference_replaced_by_a_stronger_source_is_not_read(monkeypatch: pytest.MonkeyPatch) -> None:
    write(Path.cwd() / "numbers.toml", PROFILES)
    # EXAMPLE_PROD_KEY is unset: that does not matter when api_key comes from elsewhere.
    assert settings_of(nc.connect(profile="production", api_key="kw")).api_key.get_secret_value() == "kw"
    monkeypatch.setenv("NUMBERS_EXAMPLE_API_KEY", "env")
    assert settings_of(nc.connect(profile="production")).api_key.get_secret_value() == "env"


@pytest.mark.parametrize(
    "reference",
    [
        "{ env = 3 }",
        '{ env = "" }',
        '{ env = "lower_case" }',
        '{ env = "A-B" }',
        '{ env = "A", default = "x" }',
    ],
)
def test_malformed_env_reference(reference: str) -> None:
    write(
        Path.cwd() / "numbers.toml",
        f'[profiles.p]\nprovider = "example"\naccount = "a"\napi_key = {reference}\n',
    )
    with pytest.raises(ConfigurationError, match="environment reference") as caught:
        nc.connect(profile="p")
    assert (caught.value.setting, caught.value.profile) == ("api_key", "p")


# -- errors in the file ----------------------------------------------------------------------


def test_named_file_that_does_not_exist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(ConfigurationError, match=r"nope\.toml does not exist") as caught:
        nc.connect(config_file=missing)
    assert caught.value.setting == "config_file"
    monkeypatch.setenv("NUMBERS_CONFIG", str(missing))
    with pytest.raises(ConfigurationError, match=r"nope\.toml does not exist"):
        nc.connect(profile="dev")


def test_profile_asked_for_without_any_file() -> None:
    import platformdirs

    with pytest.raises(
        ConfigurationError, match="profile 'dev' asked for, but there is no config file"
    ) as caught:
        nc.connect(profile="dev")
    assert (caught.value.setting, caught.value.profile) == ("profile", "dev")
    # Every place it was looked for is named.
    assert f"in {Path.cwd()} or in {platformdirs.user_config_dir('numbers-core')}," in str(caught.value)


def test_malformed_toml_names_file_and_place() -> None:
    write(Path.cwd() / "numbers.toml", 'default = "dev"\n[profiles.dev]\nprovider = example\n')
    with pytest.raises(ConfigurationError, match=r"numbers.toml is not valid TOML: .*line 3") as caught:
        nc.connect()
    assert caught.value.setting == "config_file"
    with pytest.raises(ConfigurationError) as caught:
        nc.connect(profile="dev")
    assert caught.value.profile == "dev"


def test_file_that_is_not_utf8_or_not_a_file(tmp_path: Path) -> None:
    (tmp_path / "latin1.toml").write_bytes(b'default = "d\xe9v"\n')
    with pytest.raises(ConfigurationError, match="not UTF-8"):
        nc.connect(config_file=tmp_path / "latin1.toml")
    (tmp_path / "dir.toml").mkdir()
    with pytest.raises(ConfigurationError, match=r"dir\.toml cannot be read"):
        nc.connect(config_file=tmp_path / "dir.toml")


def test_unknown_profile_lists_the_known_ones() -> None:
    write(Path.cwd() / "numbers.toml", PROFILES)
    with pytest.raises(
        ConfigurationError, match=r"unknown profile 'staging'.*dev, elsewhere, production"
    ) as caught:
        nc.connect(profile="staging")
    assert (caught.value.setting, caught.value.profile) == ("profile", "staging")


def test_unknown_default_profile() -> None:
    write(Path.cwd() / "numbers.toml", 'default = "gone"\n')
    with pytest.raises(ConfigurationError, match=r"unknown profile 'gone'.*profiles: none") as caught:
        nc.connect()
    assert caught.value.profile == "gone"


@pytest.mark.parametrize(
    ("profile_body", "match"),
    [("account = 'a'", "has no 'provider' setting"), ("provider = 3", "needs a name as its 'provider'")],
)
def test_profile_without_provider(profile_body: str, match: str) -> None:
    write(Path.cwd() / "numbers.toml", f"[profiles.p]\n{profile_body}\n")
    with pytest.raises(ConfigurationError, match=match) as caught:
        nc.connect(profile="p")
    assert (caught.value.setting, caught.value.profile) == ("provider", "p")


def test_profile_that_is_not_a_table() -> None:
    write(Path.cwd() / "numbers.toml", 'profiles = { p = "example" }\n')
    with pytest.raises(ConfigurationError, match=r"must be a table: \[profiles.p\]") as caught:
        nc.connect(profile="p")
    assert (caught.value.setting, caught.value.profile) == ("profile", "p")


@pytest.mark.parametrize(
    ("text", "setting"),
    [
        ('defualt = "dev"\n', "defualt"),
        ("default = 1\n", "default"),
        ('profiles = "dev"\n', "profiles"),
    ],
)
def test_malformed_file_shape(text: str, setting: str) -> None:
    write(Path.cwd() / "numbers.toml", text)
    with pytest.raises(ConfigurationError, match=setting) as caught:
        nc.connect()
    assert caught.value.setting == setting


def test_unknown_provider_in_a_profile_names_the_profile() -> None:
    write(Path.cwd() / "numbers.toml", '[profiles.p]\nprovider = "nosuch"\n')
    with pytest.raises(
        ConfigurationError, match=r"profile 'p': unknown provider 'nosuch' \(registered: .*example"
    ) as caught:
        nc.connect(profile="p")
    assert (caught.value.setting, caught.value.profile) == ("provider", "p")


# -- settings that do not validate --------------------------------------------------------------


def test_invalid_setting_in_a_profile_names_setting_and_profile() -> None:
    write(Path.cwd() / "numbers.toml", PROFILES.replace('api_key = "dev-key"', 'api_key = "k"\ntimeout = -1'))
    with pytest.raises(
        ConfigurationError, match=r"example in profile 'dev': timeout: expected more than 0$"
    ) as caught:
        nc.connect()
    assert (caught.value.setting, caught.value.profile) == ("timeout", "dev")


def test_missing_and_unknown_settings() -> None:
    with pytest.raises(ConfigurationError) as caught:
        nc.connect("example", account="a", apikey="k")
    assert str(caught.value) == (
        "example: api_key is missing (set NUMBERS_EXAMPLE_API_KEY, or api_key in a [profiles.NAME] table "
        "of numbers.toml); apikey is not a setting of example"
    )
    assert (caught.value.setting, caught.value.profile) == ("api_key", None)


def test_a_missing_setting_of_a_profile_says_how_to_give_it() -> None:
    write(Path.cwd() / "numbers.toml", '[profiles.p]\nprovider = "my-carrier"\naccount = "a"\n')
    with pytest.raises(ConfigurationError) as caught:
        nc.connect(profile="p")
    assert str(caught.value) == (
        "my-carrier in profile 'p': api_key is missing "
        "(set NUMBERS_MY_CARRIER_API_KEY, or api_key in profile 'p')"
    )


def test_invalid_value_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NUMBERS_EXAMPLE_MAX_ATTEMPTS", "many")
    with pytest.raises(ConfigurationError) as caught:
        nc.connect("example", account="a", api_key="k")
    assert caught.value.setting == "max_attempts"
    # In plain words, and without the value (a setting may be a secret).
    assert str(caught.value) == "example: max_attempts: expected a whole number"


# -- variables nothing reads --------------------------------------------------------------------


def test_a_misspelt_variable_is_warned_about_once_naming_the_closest(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr("numbers_core._config._warned", set())
    monkeypatch.setenv("NUMBERS_EXAMPLE_ACOUNT", "a")
    monkeypatch.setenv("NUMBERS_PROFLE", "dev")
    monkeypatch.setenv("NUMBERS_NOTHING_LIKE_IT", "1")
    # Read: by the example provider, the other provider, connect() itself and the command line.
    for known in ("NUMBERS_EXAMPLE_REGION", "NUMBERS_OTHER_ENDPOINT", "NUMBERS_CONFIG", "NUMBERS_JOURNAL"):
        monkeypatch.setenv(known, "x")
    monkeypatch.setenv("numbers_example_tags", "[]")  # variables are read whatever their case
    with caplog.at_level(logging.WARNING, logger="numbers_core.config"):
        nc.connect("example", account="a", api_key="k")
        nc.connect("example", account="a", api_key="k")
    assert sorted(record.getMessage() for record in caplog.records) == [
        "NUMBERS_EXAMPLE_ACOUNT is not a variable numbers-core reads; did you mean NUMBERS_EXAMPLE_ACCOUNT?",
        "NUMBERS_NOTHING_LIKE_IT is not a variable numbers-core reads",
        "NUMBERS_PROFLE is not a variable numbers-core reads; did you mean NUMBERS_PROFILE?",
    ]
