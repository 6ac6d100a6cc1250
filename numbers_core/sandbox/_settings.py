"""The sandbox's settings."""

from __future__ import annotations

import os
from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from .._kinds import NumberType
from .._models import Country, Reference
from .._settings import ProviderSettings

__all__ = ["ACCOUNT_ID", "APPROVED_BUNDLE", "SandboxSettings"]

ACCOUNT_ID = r"^[A-Za-z0-9._:@-]{1,64}$"
"""What an account id may look like (the setting, and the target of a transfer)."""

APPROVED_BUNDLE = "BU" + "0" * 31 + "1"
"""The bundle id the sandbox approves for every regulated offer while the ``bundles`` setting is unset.

Shaped as a Twilio BundleSid, so that an emulated carrier over the sandbox's state takes it too.
"""


def _path(value: Any) -> Any:
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if isinstance(value, str):
        # An empty value (NUMBERS_PATH= in the environment) means "no file".
        return os.path.expanduser(value) if value.strip() else None
    return value


class SandboxSettings(ProviderSettings):
    """Settings of the built-in sandbox carrier.

    ``timeout`` (inherited) is how long to wait for another process that holds
    the SQLite file's lock; the other inherited settings have no effect here.
    """

    #: SQLite file keeping the state between runs (created with its parent
    #: directories); None keeps it in memory for the life of the provider
    path: Annotated[str | None, BeforeValidator(_path)] = None
    #: the account this provider acts as; accounts sharing a file cannot own the same number
    account_id: Annotated[str, Field(pattern=ACCOUNT_ID)] = "sandbox"
    #: share of calls that fail the way carriers fail (503, 429, or an answer lost
    #: after the change was made), for testing retry and reconciliation code
    fail_rate: Annotated[float, Field(ge=0.0, le=1.0)] = 0.0
    #: which calls fail: the same seed fails the same calls in every run
    fail_seed: int = 0
    #: the regulatory bundles approved for this account, per country and number type
    #: (``{"GB": {"local": ["BU1"]}}``); unset, ``APPROVED_BUNDLE`` is approved for every offer
    bundles: dict[Country, dict[NumberType, list[Reference]]] | None = None
