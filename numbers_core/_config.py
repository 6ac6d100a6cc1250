"""Configuration: TOML profiles and NUMBERS_* environment overrides. (stub: being written)"""

from __future__ import annotations

from typing import Any

__all__ = ["resolve"]


def resolve(
    provider: str | None,
    *,
    profile: str | None,
    config_file: str | None,
    overrides: dict[str, Any],
) -> tuple[str, dict[str, Any], str | None]:
    """(provider name, raw settings, profile used)."""
    return provider or "sandbox", dict(overrides), profile
