"""numbers-core: buy, configure, list and release phone numbers at any carrier.

::

    import numbers_core as nc

    async with nc.connect("sandbox") as carrier:
        [number] = await carrier.search(area_code="415", limit=1)
        owned = await carrier.purchase(number)
"""

import importlib.metadata as _metadata

from ._features import Feature
from ._models import (
    ActiveNumber,
    AddressRequirement,
    AvailableNumber,
    Callback,
    Capabilities,
    Geography,
    MmsCapabilities,
    Money,
    NumberConfig,
    NumberStatus,
    NumberType,
    Route,
    SearchQuery,
    SmsCapabilities,
    VoiceCapabilities,
)
from ._provider import Provider
from ._registry import connect, provider_names
from ._settings import ProviderSettings
from .errors import (
    AuthenticationError,
    ConfigurationError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    NumbersError,
    NumberUnavailableError,
    OutcomeUnknownError,
    PaymentRequiredError,
    PermissionDeniedError,
    ProtocolError,
    ProviderError,
    ProviderUnavailableError,
    RateLimitError,
    TransportError,
    UnsupportedError,
)

try:
    __version__ = _metadata.version("numbers-core")
except _metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

__all__ = [
    "ActiveNumber",
    "AddressRequirement",
    "AuthenticationError",
    "AvailableNumber",
    "Callback",
    "Capabilities",
    "ConfigurationError",
    "ConflictError",
    "Feature",
    "Geography",
    "InvalidInputError",
    "MmsCapabilities",
    "Money",
    "NotFoundError",
    "NumberConfig",
    "NumberStatus",
    "NumberType",
    "NumberUnavailableError",
    "NumbersError",
    "OutcomeUnknownError",
    "PaymentRequiredError",
    "PermissionDeniedError",
    "ProtocolError",
    "Provider",
    "ProviderError",
    "ProviderSettings",
    "ProviderUnavailableError",
    "RateLimitError",
    "Route",
    "SearchQuery",
    "SmsCapabilities",
    "TransportError",
    "UnsupportedError",
    "VoiceCapabilities",
    "__version__",
    "connect",
    "provider_names",
]
