"""The emulator registry: dialects in the ``numbers_core.emulators`` entry-point group.

Each carrier package registers its dialect under its provider's name, as a
third-party adapter would; a dialect is imported only when asked for.
"""

from __future__ import annotations

from .._registry import _entry_points
from ..errors import ConfigurationError
from ._emulator import Dialect

__all__ = ["EMULATOR_GROUP", "dialect_names", "load_dialect"]

EMULATOR_GROUP = "numbers_core.emulators"


def dialect_names() -> list[str]:
    """Every registered dialect, sorted."""
    return sorted(_entry_points(EMULATOR_GROUP))


def load_dialect(name: str) -> type[Dialect]:
    """The Dialect class registered under ``name``."""
    found = _entry_points(EMULATOR_GROUP).get(name)
    if found is None:
        known = ", ".join(dialect_names()) or "none"
        raise ConfigurationError(f"no emulator for {name!r} (emulated: {known})", setting="dialect")
    try:
        cls = found.load()
    except Exception as exc:  # a broken third-party package must not take the caller down
        raise ConfigurationError(
            f"emulator {name!r} could not be loaded from {found.value}: {type(exc).__name__}: {exc}",
            setting="dialect",
        ) from exc
    if not (isinstance(cls, type) and issubclass(cls, Dialect)):
        raise ConfigurationError(
            f"emulator {name!r} ({found.value}) is not a numbers_core.emulator.Dialect", setting="dialect"
        )
    return cls
