"""A provider that only holds its settings, for tests of configuration and secrets."""

from __future__ import annotations

import builtins
from typing import Any

import numbers_core as nc
from numbers_core import ActiveNumber, AvailableNumber, NumberConfig, SearchQuery


class SettingsOnlyProvider(nc.Provider):
    """Every operation is out of scope: subclasses set ``name`` and ``settings_model``."""

    async def _search(self, query: SearchQuery) -> builtins.list[AvailableNumber]:
        raise NotImplementedError

    async def _purchase(self, e164: str, config: NumberConfig | None) -> ActiveNumber:
        raise NotImplementedError

    async def _get(self, e164: str) -> ActiveNumber:
        raise NotImplementedError

    async def _configure(self, e164: str, config: NumberConfig) -> ActiveNumber:
        raise NotImplementedError

    async def _release(self, e164: str) -> None:
        raise NotImplementedError

    async def _list_page(
        self, filters: dict[str, Any], cursor: str | None
    ) -> tuple[builtins.list[ActiveNumber], str | None]:
        raise NotImplementedError
