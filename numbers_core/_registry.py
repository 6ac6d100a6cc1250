"""The provider registry: entry points in the ``numbers_core.providers`` group.

Built-in providers are registered there exactly as a third-party adapter
would be, and every one is imported only when asked for.
"""

from __future__ import annotations

from importlib.metadata import EntryPoint, entry_points
from typing import Any

import httpx
from pydantic import ValidationError

from ._provider import Provider
from .errors import ConfigurationError

__all__ = ["ENTRY_POINT_GROUP", "connect", "load_provider", "provider_names"]

ENTRY_POINT_GROUP = "numbers_core.providers"


def _entry_points() -> dict[str, EntryPoint]:
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def provider_names() -> list[str]:
    """Every registered provider name, sorted."""
    return sorted(_entry_points())


def load_provider(name: str) -> type[Provider]:
    """The Provider class registered under ``name``."""
    found = _entry_points().get(name)
    if found is None:
        known = ", ".join(provider_names()) or "none"
        raise ConfigurationError(f"unknown provider {name!r} (registered: {known})", setting="provider")
    try:
        cls = found.load()
    except Exception as exc:  # a broken third-party package must not take the caller down
        raise ConfigurationError(
            f"provider {name!r} could not be loaded from {found.value}: {type(exc).__name__}: {exc}",
            setting="provider",
        ) from exc
    if not (isinstance(cls, type) and issubclass(cls, Provider)):
        raise ConfigurationError(
            f"provider {name!r} ({found.value}) is not a numbers_core.Provider", setting="provider"
        )
    return cls


def _settings_error(name: str, profile: str | None, exc: ValidationError) -> ConfigurationError:
    problems = []
    first: str | None = None
    for error in exc.errors():
        setting = ".".join(str(part) for part in error["loc"]) or "settings"
        first = first or setting
        if error["type"] == "missing":
            problems.append(f"{setting} is missing")
        elif error["type"] == "extra_forbidden":
            problems.append(f"{setting} is not a setting of {name}")
        else:
            problems.append(f"{setting}: {error['msg'].removeprefix('Value error, ')}")
    where = f" in profile {profile!r}" if profile else ""
    return ConfigurationError(f"{name}{where}: " + "; ".join(problems), setting=first, profile=profile)


def connect(
    provider: str | None = None,
    /,
    *,
    profile: str | None = None,
    config_file: str | None = None,
    http_client: httpx.AsyncClient | None = None,
    **settings: Any,
) -> Provider:
    """A provider, ready to use (``async with nc.connect("sandbox") as carrier``).

    With a provider name, ``settings`` are its settings (over any found in
    the environment). With ``profile`` (or neither), settings come from the
    config file and ``NUMBERS_…`` environment variables; with nothing
    configured at all, the sandbox. Any problem is a ConfigurationError
    naming the setting, raised before any network I/O.
    """
    from ._config import resolve

    name, values, used_profile = resolve(
        provider, profile=profile, config_file=config_file, overrides=settings
    )
    cls = load_provider(name)
    try:
        parsed = cls.settings_model.model_validate(values)
    except ValidationError as exc:
        raise _settings_error(name, used_profile, exc) from None
    return cls(parsed, http_client=http_client)
