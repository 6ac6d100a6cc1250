"""Vonage's settings: the account's API key and secret, and where its two APIs live."""

from __future__ import annotations

import re

from numbers_core.adapter import ProviderSettings
from pydantic import SecretStr, field_validator

__all__ = ["VonageSettings"]

# Vonage's API keys are a few letters and digits (8 hex digits today); its secrets printable ASCII
# without spaces (letters and digits today).
_KEY = re.compile(r"^[0-9A-Za-z]{4,64}$")
_SECRET = re.compile(r"^[!-~]{6,128}$")


class VonageSettings(ProviderSettings):
    """Vonage's Numbers API: the account's API key and secret (Vonage dashboard: API settings).

    ``nc.connect("vonage", api_key=…, api_secret=…)``. Both are secrets: together they are the
    account's Basic credentials, and neither shows in a repr, a log line or a message.
    """

    api_key: SecretStr
    api_secret: SecretStr
    #: scheme and host of the Numbers API
    base_url: str = "https://rest.nexmo.com"
    #: scheme and host of the Subaccounts API (transfers between the account and its subaccounts)
    api_url: str = "https://api.nexmo.com"

    @field_validator("api_key")
    @classmethod
    def _key(cls, value: SecretStr) -> SecretStr:
        if not _KEY.match(value.get_secret_value()):
            raise ValueError("expected the account's API key (letters and digits)")
        return value

    @field_validator("api_secret")
    @classmethod
    def _secret(cls, value: SecretStr) -> SecretStr:
        if not _SECRET.match(value.get_secret_value()):
            raise ValueError(
                "expected the account's API secret (6 or more letters, digits or marks, no spaces)"
            )
        return value
