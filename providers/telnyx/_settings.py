"""Telnyx's settings: the API key, the API's host, and the defaults a purchase is made with."""

from __future__ import annotations

import re
from typing import Annotated, Any

from numbers_core.adapter import ProviderSettings
from pydantic import AfterValidator, Field, SecretStr, field_validator

__all__ = ["TelnyxSettings"]

# Telnyx's v2 API keys ("KEY…") are letters, digits, "_" and "-"; nothing else goes in a Bearer header.
_API_KEY = re.compile(r"^[0-9A-Za-z_-]{16,256}$")
# Connections, messaging profiles and billing groups: numeric strings or UUIDs.
_REFERENCE = re.compile(r"^[0-9A-Za-z-]{1,64}$")


def _reference(value: str) -> str:
    value = value.strip()
    if not _REFERENCE.match(value):
        raise ValueError("expected a Telnyx id (digits, or a UUID)")
    return value


Reference = Annotated[str, AfterValidator(_reference)]


class TelnyxSettings(ProviderSettings):
    """Telnyx API v2: an API key (Mission Control > Auth > API Keys).

    ``nc.connect("telnyx", api_key="KEY…")``; ``connection_id``,
    ``messaging_profile_id`` and ``billing_group_id`` are put on every number
    bought unless its ``NumberConfig`` says otherwise.
    """

    api_key: SecretStr
    #: scheme, host and port of the API; the adapter adds ``/v2``
    base_url: str = "https://api.telnyx.com"
    #: the voice connection (SIP connection, Call Control or TeXML application) numbers are bought on
    connection_id: Reference | None = None
    #: the messaging profile numbers are bought on
    messaging_profile_id: Reference | None = None
    #: the billing group numbers are bought in
    billing_group_id: Reference | None = None
    #: numbers per number order in purchase_many
    batch_size: Annotated[int, Field(ge=1, le=250)] = 50

    @field_validator("api_key")
    @classmethod
    def _key(cls, value: SecretStr) -> SecretStr:
        if not _API_KEY.match(value.get_secret_value()):
            raise ValueError("expected a Telnyx API key (KEY…: 16 or more letters, digits, _ or -)")
        return value

    @field_validator("base_url", mode="before")
    @classmethod
    def _base(cls, value: Any) -> Any:
        return value.strip() if isinstance(value, str) else value
