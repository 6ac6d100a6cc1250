"""Settings of the two dialects.

Each model knows how its dialect authenticates and where its API lives, so
the provider code is the same for both.
"""

from __future__ import annotations

import re
import uuid
from typing import Annotated, Any, NoReturn
from urllib.parse import urlsplit

from numbers_core.adapter import ProviderSettings
from pydantic import AfterValidator, BeforeValidator, SecretStr, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

__all__ = ["SignalWireSettings", "TwilioSettings", "check_sid", "check_uuid"]

_SID = re.compile(r"^[A-Z]{2}[0-9a-fA-F]{32}$")
_AUTH_TOKEN = re.compile(r"^[0-9a-fA-F]{32}$")
_API_SECRET = re.compile(r"^[0-9A-Za-z]{32}$")
# "PT" and 48 hex digits, or 50 letters and digits in SignalWire's own examples.
_API_TOKEN = re.compile(r"^[0-9A-Za-z]{32,128}$")
_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


def check_sid(prefix: str, value: str) -> str:
    """A Twilio SID: the two-letter ``prefix`` and 32 hex digits."""
    if not (_SID.match(value) and value.startswith(prefix)):
        raise ValueError(f"expected a {prefix}… SID ({prefix} and 32 hex digits)")
    return value


def check_uuid(value: str) -> str:
    """A SignalWire id: a UUID, normalised to its lower-case hyphenated form."""
    try:
        return str(uuid.UUID(value))
    except (ValueError, AttributeError, TypeError):
        raise ValueError("expected a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)") from None


def _stripped(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _setting_error(model: str, setting: str, message: str) -> NoReturn:
    # Raised from a model validator with the setting as its location, so that connect()'s
    # ConfigurationError names the setting rather than "settings".
    detail = InitErrorDetails(type=PydanticCustomError("credentials", message), loc=(setting,), input=None)
    raise ValidationError.from_exception_data(model, [detail])


AccountSid = Annotated[str, BeforeValidator(_stripped), AfterValidator(lambda v: check_sid("AC", v))]
ApiKeySid = Annotated[str, BeforeValidator(_stripped), AfterValidator(lambda v: check_sid("SK", v))]
ProjectId = Annotated[str, BeforeValidator(_stripped), AfterValidator(check_uuid)]


class TwilioSettings(ProviderSettings):
    """Twilio: the account SID and either its auth token or an API key and secret.

    With an API key (``SK…``) the key authenticates and ``account_sid`` still
    names the account whose numbers are managed (a subaccount works too).
    """

    account_sid: AccountSid
    auth_token: SecretStr | None = None
    api_key: ApiKeySid | None = None
    api_secret: SecretStr | None = None
    #: scheme and host only; a regional host such as ``https://api.dublin.ie1.twilio.com`` works
    base_url: str = "https://api.twilio.com"
    #: the Pricing API's host; None: Twilio's beside ``base_url`` (see :meth:`product_origin`)
    pricing_url: str | None = None
    #: the host of the Regulations (Numbers API v2); None: Twilio's beside ``base_url``
    numbers_url: str | None = None

    @model_validator(mode="after")
    def _credentials(self) -> TwilioSettings:
        name = type(self).__name__
        if self.auth_token is not None and (self.api_key is not None or self.api_secret is not None):
            _setting_error(name, "auth_token", "give auth_token, or api_key with api_secret, not both")
        if self.api_key is not None and self.api_secret is None:
            _setting_error(name, "api_secret", "missing: api_key needs its api_secret")
        if self.api_secret is not None and self.api_key is None:
            _setting_error(name, "api_key", "missing: api_secret needs its api_key (SK…)")
        if self.auth_token is None and self.api_key is None:
            _setting_error(name, "auth_token", "missing (or give api_key and api_secret instead)")
        # Both have a fixed shape: a typo or a pasted SID fails here, not as a 401 later, and a
        # secret that cannot be a word keeps redaction from ever mangling a message.
        if self.auth_token is not None and not _AUTH_TOKEN.match(self.auth_token.get_secret_value()):
            _setting_error(name, "auth_token", "expected 32 hex digits (the account's auth token)")
        if self.api_secret is not None and not _API_SECRET.match(self.api_secret.get_secret_value()):
            _setting_error(name, "api_secret", "expected 32 letters and digits (the API key's secret)")
        return self

    @property
    def account(self) -> str:
        """The account whose numbers are managed (the ``{AccountSid}`` of every path)."""
        return self.account_sid

    def basic_auth(self) -> tuple[str, str]:
        """(user, password) for HTTP Basic authentication."""
        if self.api_key is not None and self.api_secret is not None:
            return self.api_key, self.api_secret.get_secret_value()
        assert self.auth_token is not None  # noqa: S101 - guaranteed by _credentials
        return self.account_sid, self.auth_token.get_secret_value()

    def origin(self) -> str:
        return self.base_url

    def product_origin(self, product: str) -> str:
        """Where Twilio's ``product`` API (``pricing``, ``numbers``) is: its own setting, else beside
        ``base_url``.

        Twilio names its hosts ``{product}.twilio.com``, regionally
        ``{product}.{edge}.{region}.twilio.com`` (as twilio-python builds them):
        ``api.dublin.ie1.twilio.com`` gives ``pricing.dublin.ie1.twilio.com``. Any
        other ``base_url`` (an emulator, a proxy) serves every product itself.
        """
        given: str | None = getattr(self, f"{product}_url")
        if given is not None:
            return given
        parts = urlsplit(self.base_url)
        host = (parts.hostname or "").lower()
        if host == "api.twilio.com" or (host.startswith("api.") and host.endswith(".twilio.com")):
            port = f":{parts.port}" if parts.port is not None else ""
            return f"{parts.scheme}://{product}.{host.removeprefix('api.')}{port}"
        return self.base_url


def _space_host(value: Any) -> Any:
    """A Space name (``example``), its host (``example.signalwire.com``) or URL, as a host."""
    if not isinstance(value, str):
        return value
    host = value.strip().lower()
    if "://" in host:
        host = host.split("://", 1)[1]
    host = host.split("/", 1)[0]
    labels = host.split(".")
    if not host or not all(_LABEL.match(label) for label in labels):
        raise ValueError(
            "expected a Space name (letters, digits, '-') or its host, e.g. example.signalwire.com"
        )
    return host if len(labels) > 1 else f"{host}.signalwire.com"


class SignalWireSettings(ProviderSettings):
    """SignalWire's compatibility API: the Space, the project id and an API token.

    The token needs the *Numbers* scope. ``base_url`` (scheme and host)
    replaces the host derived from ``space``, for tests and proxies.
    """

    space: Annotated[str, BeforeValidator(_space_host)] | None = None
    project_id: ProjectId
    api_token: SecretStr
    base_url: str | None = None

    @model_validator(mode="after")
    def _where(self) -> SignalWireSettings:
        if self.space is None and self.base_url is None:
            _setting_error(type(self).__name__, "space", "missing: the Space name, e.g. 'example'")
        if not _API_TOKEN.match(self.api_token.get_secret_value()):
            _setting_error(
                type(self).__name__, "api_token", "expected an API token (32 or more letters and digits)"
            )
        return self

    @property
    def account(self) -> str:
        return self.project_id

    def basic_auth(self) -> tuple[str, str]:
        return self.project_id, self.api_token.get_secret_value()

    def origin(self) -> str:
        return self.base_url if self.base_url is not None else f"https://{self.space}"
