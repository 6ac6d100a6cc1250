"""The provider registry: entry points in the ``numbers_core.providers`` group.

Built-in providers are registered there exactly as a third-party adapter
would be, and every one is imported only when asked for.
"""

from __future__ import annotations

import functools
import inspect
import os
import sys
import traceback
import typing
from collections.abc import Callable, Mapping
from importlib.metadata import EntryPoint, entry_points
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import Secret, SecretBytes, SecretStr, ValidationError

from ._problems import problems as plain_problems
from ._provider import Provider
from ._redaction import redact, secret_forms
from ._settings import ProviderSettings
from .errors import ConfigurationError, NumbersError

if TYPE_CHECKING:
    import httpx

    from ._config import Routing
    from ._routing import RoutingProvider

__all__ = ["EMULATOR_GROUP", "ENTRY_POINT_GROUP", "connect", "load_provider", "provider_names"]

_T = TypeVar("_T")

ENTRY_POINT_GROUP = "numbers_core.providers"
#: where carrier packages register their emulated dialects (numbers_core.emulator.Dialect)
EMULATOR_GROUP = "numbers_core.emulators"


def _entry_points(group: str = ENTRY_POINT_GROUP) -> dict[str, EntryPoint]:
    return dict(_scan(group, _search_path()))


def _search_path() -> tuple[tuple[str, int | None], ...]:
    """sys.path, each entry with its modification time: what the scan below is cached under.

    A distribution installed or removed at run time adds or removes its metadata directory in
    one of these directories, which changes that directory's time; one put on sys.path changes
    sys.path. Either way the next look-up scans afresh. A stat per entry costs microseconds; a
    scan reads every installed distribution's metadata, milliseconds, and ``connect()`` looks
    names up a dozen times.
    """
    state: list[tuple[str, int | None]] = []
    for entry in sys.path:
        where = entry or os.getcwd()  # "" is the working directory
        try:
            state.append((where, os.stat(where).st_mtime_ns))
        except OSError:
            state.append((where, None))
    return tuple(state)


@functools.lru_cache(maxsize=8)
def _scan(group: str, search_path: tuple[tuple[str, int | None], ...]) -> dict[str, EntryPoint]:
    del search_path  # the cache's key only
    found: dict[str, EntryPoint] = {}
    for entry_point in entry_points(group=group):
        # The first on sys.path wins, as for imports.
        found.setdefault(entry_point.name, entry_point)
    return found


def provider_names() -> list[str]:
    """Every registered provider name, sorted."""
    return sorted(_entry_points())


def load_entry_point(group: str, name: str, base: Any, *, what: str, base_name: str, setting: str) -> Any:
    """The subclass of ``base`` registered as ``name`` in ``group``; ConfigurationError otherwise.

    ``what`` names the kind in messages ("provider", "emulator"), ``base_name`` the class.
    """
    found = _entry_points(group).get(name)
    if found is None:
        known = ", ".join(sorted(_entry_points(group))) or "none"
        raise ConfigurationError(f"unknown {what} {name!r} (registered: {known})", setting=setting)
    try:
        cls = found.load()
    except Exception as exc:  # a broken third-party package must not take the caller down
        raise ConfigurationError(
            f"{what} {name!r} could not be loaded from {found.value}: {type(exc).__name__}: {exc}",
            setting=setting,
        ) from exc
    if not (isinstance(cls, type) and issubclass(cls, base)):
        raise ConfigurationError(
            f"{what} {name!r} ({found.value}) is not a {base_name}",
            setting=setting,
        )
    return cls


def load_provider(name: str) -> type[Provider]:
    """The Provider class registered under ``name``."""
    cls: type[Provider] = load_entry_point(
        ENTRY_POINT_GROUP,
        name,
        Provider,
        what="provider",
        base_name="numbers_core.Provider",
        setting="provider",
    )
    found = _entry_points()[name]
    if inspect.isabstract(cls):
        missing = ", ".join(sorted(getattr(cls, "__abstractmethods__", ())))
        raise ConfigurationError(
            f"provider {name!r} ({found.value}) does not implement {missing}", setting="provider"
        )
    model = cls.settings_model
    if not (isinstance(model, type) and issubclass(model, ProviderSettings)):
        raise ConfigurationError(
            f"provider {name!r} ({found.value}): settings_model is not a numbers_core.ProviderSettings",
            setting="provider",
        )
    return cls


def _is_secret(annotation: Any) -> bool:
    origin = typing.get_origin(annotation) or annotation
    if isinstance(origin, type) and issubclass(origin, SecretStr | SecretBytes | Secret):
        return True
    return any(_is_secret(argument) for argument in typing.get_args(annotation))


def _secret_values(model: type[ProviderSettings], values: dict[str, Any]) -> list[str]:
    """The secrets among ``values``, as the text they would show as."""
    secrets = []
    for setting, field in model.model_fields.items():
        value = values.get(setting)
        if not _is_secret(field.annotation) or value is None:
            continue
        if isinstance(value, SecretStr | SecretBytes | Secret):
            value = value.get_secret_value()
        if isinstance(value, bytes):
            value = value.decode(errors="replace")
        if isinstance(value, str) and value:
            secrets.append(value)
    return secrets


def _settings_error(
    name: str, profile: str | None, exc: ValidationError, secrets: list[str]
) -> ConfigurationError:
    problems = []
    first: str | None = None
    # Never the value given: a setting may be a secret.
    for setting, text, kind in plain_problems(exc, show_input=False):
        setting = setting or "settings"
        first = first or setting
        if kind == "missing":
            problems.append(f"{setting} is missing ({_how_to_give(name, setting.split('.')[0], profile)})")
        elif kind == "extra_forbidden":
            problems.append(f"{setting} is not a setting of {name}")
        else:
            problems.append(f"{setting}: {text}")
    where = f" in profile {profile!r}" if profile else ""
    message = redact(f"{name}{where}: " + "; ".join(problems), secret_forms(secrets))
    # Pydantic never shows the input here, but an adapter's validator may have put
    # the value into its own message.
    return ConfigurationError(message, setting=first, profile=profile)


def _how_to_give(name: str, setting: str, profile: str | None) -> str:
    """Where a missing setting can be given, in the words of a config file and a shell."""
    from ._config import DEFAULT_CONFIG_FILE, environment_prefix  # which imports this module

    variable = environment_prefix(name) + setting.upper()
    where = f"profile {profile!r}" if profile else f"a [profiles.NAME] table of {DEFAULT_CONFIG_FILE}"
    return f"set {variable}, or {setting} in {where}"


def _setup_error(name: str, profile: str | None, exc: Exception) -> ConfigurationError:
    # Neither the exception's text nor the exception itself (as a cause) is kept:
    # an adapter's bug may have put a setting's value into it. Where it happened is safe.
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" at {os.path.basename(frames[-1].filename)}:{frames[-1].lineno}" if frames else ""
    return ConfigurationError(
        f"provider {name!r} could not be set up: {type(exc).__name__}{where}", profile=profile
    )


def _setting_up(
    cls: type[Provider], name: str, profile: str | None, values: dict[str, Any], step: Callable[[], _T]
) -> _T:
    """``step()`` (validating provider ``name``'s settings ``values``, or making the provider), its
    failures as the contract's ConfigurationError."""
    try:
        return step()
    except ValidationError as exc:
        problem = _settings_error(name, profile, exc, _secret_values(cls.settings_model, values))
    except NumbersError:
        raise
    except Exception as exc:  # an adapter's bug must still surface as the contract's error
        problem = _setup_error(name, profile, exc)
    # Raised outside the handler so that the original exception is not kept as its context.
    raise problem


def connect(
    provider: str | list[str] | tuple[str, ...] | None = None,
    /,
    *,
    profile: str | None = None,
    config_file: str | os.PathLike[str] | None = None,
    http_client: httpx.AsyncClient | None = None,
    **settings: Any,
) -> Provider:
    """A provider, ready to use (``async with nc.connect("sandbox") as carrier``).

    With a provider name, ``settings`` are its settings (over any
    ``NUMBERS_<PROVIDER>_<SETTING>`` environment variables); no profile is
    used unless ``profile`` is given too. With ``profile``, or with neither,
    settings come from the config file and the environment; with nothing
    configured at all, the sandbox. Any problem is a ConfigurationError
    naming the setting, raised before any network I/O.

    With a list of names (``connect(["telnyx", "twilio"])``), or a profile
    with ``providers = [...]``, a :class:`RoutingProvider` over those
    carriers: each name is the config file's profile of that name if there
    is one, else a provider's name; ``settings`` are the routing provider's
    own (``policy``, ``member_timeout``, …) and each member's under its name
    (``twilio={"account_sid": …}``).
    """
    # Imported here: the configuration module looks providers up in this one.
    from ._config import resolve

    if http_client is not None:
        import httpx  # loaded already where a client was made

        if not isinstance(http_client, httpx.AsyncClient):
            raise ConfigurationError(
                f"http_client: expected an httpx.AsyncClient, got {type(http_client).__name__}",
                setting="http_client",
            )
    target = resolve(provider, profile=profile, config_file=config_file, overrides=settings)
    if not isinstance(target, tuple):
        return _connect_routing(target, http_client)
    name, values, used_profile = target
    cls = load_provider(name)
    return _setting_up(
        cls,
        name,
        used_profile,
        values,
        lambda: cls(cls.settings_model.model_validate(values), http_client=http_client),
    )


def _connect_routing(target: Routing, http_client: httpx.AsyncClient | None) -> RoutingProvider:
    """A routing provider over ``target``'s members, every setting checked before any is made."""
    from ._config import resolve_member
    from ._routing import RoutingProvider, routing_settings

    own = {key: value for key, value in target.settings.items() if key not in target.members}
    routing_settings(own, profile=target.profile)
    checked = []
    for member in target.members:
        overrides = target.settings.get(member, {})
        if not isinstance(overrides, Mapping):
            raise ConfigurationError(
                f"{member}: a member's settings are a dict ({member}={{...}}), "
                f"got {type(overrides).__name__}",
                setting=member,
                profile=target.profile,
            )
        name, values, used_profile = resolve_member(member, target, dict(overrides))
        cls = load_provider(name)
        valid = _setting_up(
            cls, name, used_profile, values, functools.partial(cls.settings_model.model_validate, values)
        )
        checked.append((member, cls, name, used_profile, values, valid))
    members = {
        member: _setting_up(
            cls, name, used_profile, values, functools.partial(cls, valid, http_client=http_client)
        )
        for member, cls, name, used_profile, values, valid in checked
    }
    return RoutingProvider(members, **own)
