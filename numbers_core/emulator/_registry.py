"""The emulator registry: dialects in the ``numbers_core.emulators`` entry-point group.

Each carrier package registers its dialect under its provider's name, as a
third-party adapter would; a dialect is imported only when asked for.
"""

from __future__ import annotations

from .._registry import EMULATOR_GROUP, _entry_points, load_entry_point
from ._emulator import Dialect

__all__ = ["dialect_names", "load_dialect"]


def dialect_names() -> list[str]:
    """Every registered dialect, sorted."""
    return sorted(_entry_points(EMULATOR_GROUP))


def load_dialect(name: str) -> type[Dialect]:
    """The Dialect class registered under ``name``."""
    cls: type[Dialect] = load_entry_point(
        EMULATOR_GROUP,
        name,
        Dialect,
        what="emulator",
        base_name="numbers_core.emulator.Dialect",
        setting="dialect",
    )
    return cls
