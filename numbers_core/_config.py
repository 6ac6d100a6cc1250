"""Configuration: TOML profiles, ``NUMBERS_*`` environment variables and keyword settings.

The config file (``config_file=``, else ``$NUMBERS_CONFIG``, else ``numbers.toml``
in the working directory, else ``numbers.toml`` in the user's configuration
directory: ``~/.config/numbers-core`` on Linux)::

    default = "dev"

    [profiles.dev]
    provider = "sandbox"

    [profiles.production]
    provider = "twilio"
    account_sid = "AC0123…"
    auth_token = { env = "TWILIO_AUTH_TOKEN" }   # read from the environment

What to connect to, first match wins: the ``provider`` / ``profile`` given to
``connect()``, ``$NUMBERS_PROFILE``, ``$NUMBERS_PROVIDER``, the file's
``default``, the sandbox. A provider named without a profile is used on its own:
no profile (of whatever provider) is mixed in.

Several carriers at once (a routing provider): a list given to ``connect()``,
or a profile with ``providers = ["primary", "backup"]`` instead of
``provider``. Each name in it is the config file's profile of that name if
there is one, else a provider's name.

A provider's settings, strongest first: keyword settings given to
``connect()``, ``NUMBERS_<PROVIDER>_<SETTING>`` environment variables (only
names of that provider's settings are read), the profile.
"""

from __future__ import annotations

import difflib
import functools
import logging
import os
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import create_model
from pydantic_settings import BaseSettings, EnvSettingsSource, SettingsConfigDict

from ._registry import load_provider, provider_names
from ._settings import ProviderSettings
from .errors import ConfigurationError

__all__ = [
    "DEFAULT_CONFIG_FILE",
    "DEFAULT_PROVIDER",
    "Routing",
    "environment_prefix",
    "resolve",
    "resolve_member",
]

log = logging.getLogger("numbers_core.config")

DEFAULT_CONFIG_FILE = "numbers.toml"
DEFAULT_PROVIDER = "sandbox"

_ENV_PREFIX = "NUMBERS_"
_VARIABLE_NAME = re.compile(r"[A-Z_][A-Z0-9_]*")
# Read by the command line, not by connect(): known all the same.
_CLI_VARIABLES = frozenset({"NUMBERS_JOURNAL"})
# The NUMBERS_* variables warned about already: once each per process.
_warned: set[str] = set()


class _Selection(BaseSettings):
    """The environment variables that choose what to connect to."""

    # An empty variable counts as unset: deployments often define them blank.
    model_config = SettingsConfigDict(env_prefix=_ENV_PREFIX, env_ignore_empty=True, extra="ignore")

    config: Path | None = None
    profile: str | None = None
    provider: str | None = None


def environment_prefix(provider: str) -> str:
    """The prefix of ``provider``'s setting variables: ``NUMBERS_TWILIO_`` for ``twilio``."""
    return _ENV_PREFIX + re.sub(r"[^0-9A-Za-z]+", "_", provider).upper() + "_"


@dataclass(frozen=True)
class Routing:
    """A routing provider to connect to: its members' names, and its settings as given (its own,
    and each member's under the member's name); members are looked up in ``config``."""

    members: tuple[str, ...]
    settings: dict[str, Any]
    profile: str | None
    config: _ConfigFile | None


def resolve(
    provider: str | list[str] | tuple[str, ...] | None,
    *,
    profile: str | None,
    config_file: str | os.PathLike[str] | None,
    overrides: dict[str, Any],
) -> tuple[str, dict[str, Any], str | None] | Routing:
    """(provider name, raw settings, profile used) for ``connect()``; a :class:`Routing` for a
    list of providers or a routing profile.

    Raises ConfigurationError, never with a setting's value in the message.
    """
    overrides = dict(overrides)
    # ``provider`` is positional-only in connect(), so ``provider=`` lands here;
    # it means what the same key means in a profile.
    if "provider" in overrides:
        if provider is not None:
            raise ConfigurationError("the provider is given twice", setting="provider")
        provider = overrides.pop("provider")
    if isinstance(provider, list | tuple):
        if profile is not None:
            raise ConfigurationError("give a list of providers or a profile, not both", setting="profile")
        members = _member_names(provider, "provider", None)
        selection = _Selection()
        _warn_about_unknown_variables()
        return Routing(members, overrides, None, _ConfigFile.find(config_file, selection.config, wanted=None))
    _check_name(provider, "provider")
    _check_name(profile, "profile")

    selection = _Selection()
    _warn_about_unknown_variables()
    config: _ConfigFile | None = None
    if provider is None and profile is None:
        profile = selection.profile
        if profile is None:
            provider = selection.provider
        if profile is None and provider is None:
            config = _ConfigFile.find(config_file, selection.config, wanted=None)
            profile = config.default if config is not None else None

    if profile is None:
        name = provider or DEFAULT_PROVIDER
        return name, _settings(name, {}, overrides, profile=None, origin=None), None

    if config is None:
        config = _ConfigFile.find(config_file, selection.config, wanted=profile)
    if config is None:
        raise ConfigurationError(
            f"profile {profile!r} asked for, but there is no config file ({DEFAULT_CONFIG_FILE} in "
            f"{Path.cwd()} or in {_user_config_file().parent}, or set $NUMBERS_CONFIG)",
            setting="profile",
            profile=profile,
        )
    name_or_members, from_file = config.profile(profile)
    if not isinstance(name_or_members, str):
        if provider is not None:
            raise ConfigurationError(
                f"profile {profile!r} is a routing profile (over {', '.join(name_or_members)}), "
                f"not {provider!r}",
                setting="provider",
                profile=profile,
            )
        given = {
            setting: _dereference(setting, value, profile)
            for setting, value in from_file.items()
            if setting not in overrides
        }
        return Routing(name_or_members, {**given, **overrides}, profile, config)
    name = name_or_members
    if provider is not None and provider != name:
        raise ConfigurationError(
            f"profile {profile!r} is for provider {name!r}, not {provider!r}",
            setting="provider",
            profile=profile,
        )
    return name, _settings(name, from_file, overrides, profile=profile, origin=config.path), profile


def resolve_member(
    name: str, routing: Routing, overrides: dict[str, Any]
) -> tuple[str, dict[str, Any], str | None]:
    """(provider name, raw settings, profile used) of the member ``name`` of ``routing``: the config
    file's profile of that name if there is one, else the provider of that name."""
    config = routing.config
    if config is not None and name in config.profiles:
        provider, from_file = config.profile(name)
        if not isinstance(provider, str):
            raise ConfigurationError(
                f"profile {name!r} in {config.path} is a routing profile itself; a member is one carrier",
                setting="providers",
                profile=routing.profile,
            )
        return provider, _settings(provider, from_file, overrides, profile=name, origin=config.path), name
    registered = provider_names()
    if name not in registered:
        where = f"a profile of {config.path}" if config is not None else "a profile (there is no config file)"
        raise ConfigurationError(
            f"member {name!r} is neither {where} nor a provider (registered: {', '.join(registered)})",
            setting="providers",
            profile=routing.profile,
        )
    return name, _settings(name, {}, overrides, profile=None, origin=None), None


def _member_names(value: object, setting: str, profile: str | None) -> tuple[str, ...]:
    """The members of a routing provider, as given: names, at least one, each once."""
    if isinstance(value, str | bytes) or not isinstance(value, Sequence) or not value:
        raise ConfigurationError(
            f"{setting}: expected a list of provider or profile names", setting=setting, profile=profile
        )
    names: list[str] = []
    for item in value:
        if not (isinstance(item, str) and item.strip()) or item != item.strip():
            shown = repr(item)[:40] if isinstance(item, str) else type(item).__name__
            raise ConfigurationError(
                f"{setting}: expected provider or profile names, got {shown}",
                setting=setting,
                profile=profile,
            )
        if item in names:
            raise ConfigurationError(f"{setting}: {item!r} is given twice", setting=setting, profile=profile)
        names.append(item)
    return tuple(names)


def _warn_about_unknown_variables() -> None:
    """Warn once about each ``NUMBERS_*`` variable nothing reads, naming the closest one that is read.

    A misspelt variable would otherwise be ignored without a word, and its setting fall back
    to the profile or the default. Only the providers whose prefix a variable has are loaded
    to check it; every provider only when one is unknown, for the suggestion.
    """
    selection = {_ENV_PREFIX + name.upper() for name in _Selection.model_fields} | _CLI_VARIABLES
    registered = provider_names()
    unknown = []
    for variable in os.environ:
        name = variable.upper()
        if not name.startswith(_ENV_PREFIX) or name in selection or variable in _warned:
            continue
        owners = tuple(provider for provider in registered if name.startswith(environment_prefix(provider)))
        if name not in _variables_of(owners):
            unknown.append(variable)
    if not unknown:
        return
    # Compared without the prefix they all share, which would make any two look alike.
    known = sorted(name.removeprefix(_ENV_PREFIX) for name in selection | _variables_of(tuple(registered)))
    for variable in unknown:
        _warned.add(variable)
        close = difflib.get_close_matches(variable.upper().removeprefix(_ENV_PREFIX), known, n=1)
        hint = f"; did you mean {_ENV_PREFIX}{close[0]}?" if close else ""
        log.warning("%s is not a variable numbers-core reads%s", variable, hint)


def _variables_of(providers: tuple[str, ...]) -> frozenset[str]:
    """The ``NUMBERS_<PROVIDER>_<SETTING>`` variables of ``providers`` (any that cannot load: none)."""
    names: set[str] = set()
    for name in providers:
        try:
            fields = load_provider(name).settings_model.model_fields
        except ConfigurationError:
            continue
        names.update(environment_prefix(name) + setting.upper() for setting in fields)
    return frozenset(names)


def _user_config_file() -> Path:
    """``numbers.toml`` in the user's configuration directory, looked at after the working directory."""
    import platformdirs

    return Path(platformdirs.user_config_dir("numbers-core")) / DEFAULT_CONFIG_FILE


def _check_name(value: object, what: str) -> None:
    if value is not None and not (isinstance(value, str) and value.strip()):
        got = repr(value) if isinstance(value, str) else type(value).__name__
        raise ConfigurationError(f"{what}: expected a name, got {got}", setting=what)


class _ConfigFile:
    """A parsed config file; only its overall shape is checked up front."""

    def __init__(self, path: Path, data: dict[str, Any]) -> None:
        self.path = path
        unknown = sorted(set(data) - {"default", "profiles"})
        if unknown:
            raise ConfigurationError(
                f"config file {path}: unknown key {unknown[0]!r} (expected 'default' and [profiles.NAME])",
                setting=unknown[0],
            )
        default = data.get("default")
        if default is not None and not (isinstance(default, str) and default.strip()):
            raise ConfigurationError(
                f"config file {path}: 'default' must be a profile name", setting="default"
            )
        profiles = data.get("profiles", {})
        if not isinstance(profiles, dict):
            raise ConfigurationError(
                f"config file {path}: 'profiles' must be tables: [profiles.NAME]", setting="profiles"
            )
        self.default: str | None = default
        self.profiles: dict[str, Any] = profiles

    @classmethod
    def find(
        cls, argument: str | os.PathLike[str] | None, from_environment: Path | None, *, wanted: str | None
    ) -> _ConfigFile | None:
        """The config file, or None when there is none at the default places.

        A file named by ``config_file=`` or ``$NUMBERS_CONFIG`` must exist.
        """
        if argument is not None:
            path, named = Path(argument), True
        elif from_environment is not None:
            path, named = from_environment, True
        else:
            here = Path(DEFAULT_CONFIG_FILE)
            path, named = (here if here.exists() else _user_config_file()), False
        try:
            with path.open("rb") as file:
                data = tomllib.load(file)
        except FileNotFoundError:
            if not named:
                return None
            raise ConfigurationError(
                f"config file {path} does not exist", setting="config_file", profile=wanted
            ) from None
        except tomllib.TOMLDecodeError as exc:
            # tomllib names the place (line, column), never the text found there.
            raise ConfigurationError(
                f"config file {path} is not valid TOML: {exc}", setting="config_file", profile=wanted
            ) from None
        except UnicodeDecodeError:
            raise ConfigurationError(
                f"config file {path} is not UTF-8 text", setting="config_file", profile=wanted
            ) from None
        except OSError as exc:
            raise ConfigurationError(
                f"config file {path} cannot be read: {exc.strerror or type(exc).__name__}",
                setting="config_file",
                profile=wanted,
            ) from None
        return cls(path, data)

    def profile(self, name: str) -> tuple[str | tuple[str, ...], dict[str, Any]]:
        """(provider name, settings as written) of profile ``name``; for a routing profile, its
        members' names in place of the provider name."""
        table = self.profiles.get(name)
        if table is None:
            known = ", ".join(sorted(self.profiles)) or "none"
            raise ConfigurationError(
                f"unknown profile {name!r} in {self.path} (profiles: {known})",
                setting="profile",
                profile=name,
            )
        if not isinstance(table, dict):
            raise ConfigurationError(
                f"profile {name!r} in {self.path} must be a table: [profiles.{name}]",
                setting="profile",
                profile=name,
            )
        settings = dict(table)
        provider = settings.pop("provider", None)
        if "providers" in settings:
            if provider is not None:
                raise ConfigurationError(
                    f"profile {name!r} in {self.path} has both 'provider' and 'providers': give one",
                    setting="providers",
                    profile=name,
                )
            return _member_names(settings.pop("providers"), "providers", name), settings
        if not (isinstance(provider, str) and provider.strip()):
            problem = "has no" if provider is None else "needs a name as its"
            raise ConfigurationError(
                f"profile {name!r} in {self.path} {problem} 'provider' setting",
                setting="provider",
                profile=name,
            )
        return provider, settings


def _settings(
    name: str,
    from_file: dict[str, Any],
    overrides: dict[str, Any],
    *,
    profile: str | None,
    origin: Path | None,
) -> dict[str, Any]:
    """The raw settings of provider ``name``: file, then environment, then keywords."""
    try:
        model = load_provider(name).settings_model
    except ConfigurationError as exc:
        if profile is None:
            raise
        raise ConfigurationError(
            f"profile {profile!r}: {exc.message}", setting="provider", profile=profile
        ) from exc
    from_environment = _from_environment(name, model, profile)
    given = from_environment.keys() | overrides.keys()
    # A reference that something stronger replaces is never read: its variable may rightly be unset.
    from_file = {
        setting: _dereference(setting, value, profile)
        for setting, value in from_file.items()
        if setting not in given
    }
    # Names only: where each setting came from is what a user debugging a deployment needs.
    log.debug(
        "%s: %s; settings from the profile: %s, from the environment: %s, given: %s",
        name,
        f"profile {profile!r} of {origin}" if profile else "no profile",
        ", ".join(sorted(from_file)) or "none",
        ", ".join(sorted(from_environment)) or "none",
        ", ".join(sorted(overrides)) or "none",
    )
    return {**from_file, **from_environment, **overrides}


def _dereference(setting: str, value: Any, profile: str | None) -> Any:
    """A setting's value, reading ``{ env = "VAR" }`` from the environment."""
    if not (isinstance(value, dict) and "env" in value):
        return value
    variable = value["env"]
    if set(value) != {"env"} or not (isinstance(variable, str) and _VARIABLE_NAME.fullmatch(variable)):
        # What was written is not repeated: a secret pasted where its variable's
        # name belongs is a likely mistake.
        raise ConfigurationError(
            f"setting {setting!r} of profile {profile!r}: an environment reference is "
            '{ env = "VARIABLE_NAME" } (upper-case letters, digits and _) and nothing else',
            setting=setting,
            profile=profile,
        )
    found = os.environ.get(variable)
    if not found:
        raise ConfigurationError(
            f"setting {setting!r} of profile {profile!r} refers to environment variable "
            f"{variable}, which is not set (or empty)",
            setting=setting,
            profile=profile,
        )
    return found


@functools.cache
def _environment_model(model: type[ProviderSettings]) -> type[BaseSettings]:
    # The provider's fields with their own types (so that list and dict settings
    # are decoded from JSON) but no validation: that is the provider model's job.
    fields: dict[str, Any] = {name: (info.annotation, None) for name, info in model.model_fields.items()}
    return create_model(f"{model.__name__}Environment", __base__=BaseSettings, **fields)


def _from_environment(name: str, model: type[ProviderSettings], profile: str | None) -> dict[str, Any]:
    """The ``NUMBERS_<PROVIDER>_<SETTING>`` variables set for ``model``'s fields."""
    prefix = environment_prefix(name)
    environment_model = _environment_model(model)
    source = EnvSettingsSource(
        environment_model, env_prefix=prefix, case_sensitive=False, env_ignore_empty=True
    )
    found: dict[str, Any] = {}
    for setting, field in environment_model.model_fields.items():
        value, _, is_complex = source.get_field_value(field, setting)
        try:
            value = source.prepare_field_value(setting, field, value, is_complex)
        except ValueError:
            raise ConfigurationError(
                f"environment variable {prefix}{setting.upper()} (setting {setting!r} of {name}) "
                "must be JSON",
                setting=setting,
                profile=profile,
            ) from None
        if value is not None:
            found[setting] = value
    return found
