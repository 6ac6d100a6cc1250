"""Sinch's settings: the project, its access key, and how to authenticate with it; and the draft's."""

from __future__ import annotations

import re
import uuid
from typing import Annotated, Any, Literal

from numbers_core.adapter import ProviderSettings
from pydantic import BeforeValidator, Field, SecretStr, field_validator

__all__ = ["SinchDraftSettings", "SinchSettings"]

# Sinch's access key ids are UUIDs; its secrets are letters, digits and a few marks.
_KEY_SECRET = re.compile(r"^[0-9A-Za-z_.~-]{8,128}$")


def _upper(value: Any) -> Any:
    return value.strip().upper() if isinstance(value, str) else value


def _uuid(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return str(uuid.UUID(value.strip()))
    except ValueError:
        raise ValueError("expected a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)") from None


class SinchSettings(ProviderSettings):
    """Sinch Numbers API v1: the project and an access key (Sinch dashboard: Settings > Access keys).

    ``nc.connect("sinch", project_id=…, key_id=…, key_secret=…)``.
    """

    project_id: Annotated[str, BeforeValidator(_uuid)]
    key_id: Annotated[str, BeforeValidator(_uuid)]
    key_secret: SecretStr
    #: ``oauth2`` (the default: a bearer token from ``auth_url``) or ``basic`` (the key on every
    #: request; Sinch rate-limits it harder: for testing)
    auth: Literal["oauth2", "basic"] = "oauth2"
    #: scheme and host of the Numbers API
    base_url: str = "https://numbers.api.sinch.com"
    #: scheme and host of the token service
    auth_url: str = "https://auth.sinch.com"

    @field_validator("key_secret")
    @classmethod
    def _secret(cls, value: SecretStr) -> SecretStr:
        if not _KEY_SECRET.match(value.get_secret_value()):
            raise ValueError("expected the access key's secret (8 or more letters and digits)")
        return value


class SinchDraftSettings(ProviderSettings):
    """A server speaking the seed document's draft of Numbers API v1 (no public host serves it).

    ``nc.connect("sinch-draft", base_url="https://numbers.example.com/v1", account_id=…)``.
    """

    #: the document's "Base URL": scheme, host and any path prefix (``/v1``), as the server has it
    base_url: str
    #: the ``{AccountId}`` of the paths
    account_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:=-]{0,127}$")]
    #: a bearer token, where the server asks for one (the document requires none)
    token: SecretStr | None = None
    #: the currency of prices: the draft gives amounts without one, so prices are left out unless set
    currency: Annotated[str, BeforeValidator(_upper), Field(pattern=r"^[A-Z]{3}$")] | None = None
