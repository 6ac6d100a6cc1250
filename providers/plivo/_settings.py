"""Plivo's settings: the account's auth id and auth token, and the API's host."""

from __future__ import annotations

from typing import Annotated

from numbers_core.adapter import ProviderSettings
from pydantic import Field, SecretStr, field_validator

__all__ = ["PlivoSettings"]


class PlivoSettings(ProviderSettings):
    """Plivo's API: the account's auth id (``MA…``, or a subaccount's ``SA…``) and auth token.

    ``nc.connect("plivo", auth_id=…, auth_token=…)``.
    """

    #: the main account's (``MA``) or a subaccount's (``SA``) id: 20 letters and digits
    auth_id: Annotated[str, Field(pattern=r"^(MA|SA)[A-Z0-9]{18}$")]
    auth_token: SecretStr
    #: scheme and host of the API (the adapter adds ``/v1``)
    base_url: str = "https://api.plivo.com"

    @field_validator("auth_token")
    @classmethod
    def _token(cls, value: SecretStr) -> SecretStr:
        token = value.get_secret_value()
        if not 8 <= len(token) <= 128 or not token.isprintable() or " " in token:
            raise ValueError("expected the account's auth token (8 or more characters, no spaces)")
        return value
