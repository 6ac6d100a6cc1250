"""Kazoo's settings: where Crossbar is, which account, and how to log in."""

from __future__ import annotations

import hashlib
import re
from typing import Annotated, Any, NoReturn

from numbers_core.adapter import ProviderSettings
from pydantic import BeforeValidator, Field, SecretStr, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

__all__ = ["KazooSettings"]

_ACCOUNT_ID = re.compile(r"^[0-9a-f]{32}$")
# api_auth's schema: exactly 64 characters (Kazoo issues 64 hex digits).
_API_KEY = re.compile(r"^[0-9A-Za-z]{64}$")
# user_auth's schema for account_realm.
_REALM = re.compile(r"^[.\w-]{4,253}$")


def _account_id(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    account = value.strip().lower()
    if not _ACCOUNT_ID.match(account):
        raise ValueError("expected the account id: 32 hex digits")
    return account


def _setting_error(setting: str, message: str) -> NoReturn:
    # Raised with the setting as its location, so that connect()'s ConfigurationError names it.
    detail = InitErrorDetails(type=PydanticCustomError("credentials", message), loc=(setting,), input=None)
    raise ValidationError.from_exception_data("KazooSettings", [detail])


class KazooSettings(ProviderSettings):
    """Kazoo (2600hz) Crossbar: the server, the account, and an API key or a user's login.

    ``nc.connect("kazoo", base_url="https://crossbar.example.com:8443",
    account_id="…", api_key="…")``, or ``username``, ``password`` and
    ``account_name`` (or ``account_realm``) instead of ``api_key``.
    """

    #: the Crossbar server: scheme, host and port (and a path prefix, if a proxy adds one);
    #: the adapter adds ``/v2``
    base_url: str
    account_id: Annotated[str, BeforeValidator(_account_id)]
    api_key: SecretStr | None = None
    username: str | None = None
    password: SecretStr | None = None
    account_name: str | None = None
    account_realm: str | None = None
    #: send ``accept_charges: true`` with every purchase; otherwise a purchase that would cost
    #: money raises PaymentRequiredError with Kazoo's quote and buys nothing
    accept_charges: bool = False
    #: numbers per collection request (purchase_many, release_many)
    batch_size: Annotated[int, Field(ge=1, le=1000)] = 100

    @model_validator(mode="after")
    def _login(self) -> KazooSettings:
        login = (self.username, self.password, self.account_name, self.account_realm)
        if self.api_key is not None:
            if any(part is not None for part in login):
                _setting_error("api_key", "give api_key, or username and password, not both")
            if not _API_KEY.match(self.api_key.get_secret_value()):
                _setting_error("api_key", "expected the account's API key (64 letters and digits)")
            return self
        if self.username is None and self.password is None:
            _setting_error("api_key", "missing (or give username, password and account_name instead)")
        if self.username is None or not self.username.strip():
            _setting_error("username", "missing: password needs its username")
        if self.password is None or not self.password.get_secret_value():
            _setting_error("password", "missing: username needs its password")
        if self.account_name is None and self.account_realm is None:
            _setting_error("account_name", "missing (or give account_realm): which account the user is in")
        if self.account_name is not None and self.account_realm is not None:
            _setting_error("account_name", "give account_name or account_realm, not both")
        if self.account_name is not None and not 1 <= len(self.account_name) <= 128:
            _setting_error("account_name", "expected 1 to 128 characters")
        if self.account_realm is not None and not _REALM.match(self.account_realm):
            _setting_error("account_realm", "expected a realm such as sip.example.com")
        return self

    def login(self) -> tuple[str, dict[str, str]]:
        """The login request: its path under ``/v2`` and its ``data``."""
        if self.api_key is not None:
            return "api_auth", {"api_key": self.api_key.get_secret_value()}
        assert self.username is not None  # noqa: S101 - see _login
        assert self.password is not None  # noqa: S101
        # Kazoo stores md5("user:password") with the user name lower-cased.
        secret = f"{self.username.strip().lower()}:{self.password.get_secret_value()}"
        data = {"credentials": hashlib.md5(secret.encode(), usedforsecurity=False).hexdigest()}
        if self.account_name is not None:
            data["account_name"] = self.account_name
        else:
            assert self.account_realm is not None  # noqa: S101 - see _login
            data["account_realm"] = self.account_realm
        return "user_auth", data

    def secrets(self) -> tuple[str, ...]:
        """Every credential as it may show up in a text: to be redacted everywhere."""
        if self.api_key is not None:
            return (self.api_key.get_secret_value(),)
        assert self.password is not None  # noqa: S101 - see _login
        return self.password.get_secret_value(), self.login()[1]["credentials"]
