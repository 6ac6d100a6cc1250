"""numbers-core: buy, configure, list and release phone numbers at any carrier.

::

    import numbers_core as nc

    async with nc.connect("sandbox") as carrier:
        [number] = await carrier.search(area_code="415", limit=1)
        owned = await carrier.purchase(number)
"""

import importlib as _importlib
import typing as _typing

from ._kinds import (
    AddressRequirement,
    ComplianceScope,
    EmergencyStatus,
    NumberStatus,
    NumberType,
    PriceBasis,
    RequirementKind,
)
from .errors import (
    AddressValidationError,
    AuthenticationError,
    Charge,
    ComplianceRequiredError,
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

if _typing.TYPE_CHECKING:
    from ._batch import BatchOutcome
    from ._features import Feature
    from ._models import (
        ActiveNumber,
        Address,
        AddressCheck,
        AvailableNumber,
        Callback,
        Capabilities,
        Coverage,
        EmergencyRegistration,
        Geography,
        MmsCapabilities,
        Money,
        NumberCompliance,
        NumberConfig,
        NumberPrice,
        Provisioning,
        Requirement,
        Route,
        SearchQuery,
        SmsCapabilities,
        VoiceCapabilities,
    )
    from ._provider import Provider
    from ._registry import connect, provider_names
    from ._routing import MergedResults, RoutingProvider
    from ._settings import ProviderSettings

    __version__: str

# The rest loads on first use (PEP 562): pydantic, httpx and the models cost a third of a second,
# which `numbers --help` and the errors alone need not pay.
_LAZY = {
    "ActiveNumber": "._models",
    "Address": "._models",
    "AddressCheck": "._models",
    "AvailableNumber": "._models",
    "BatchOutcome": "._batch",
    "Callback": "._models",
    "Capabilities": "._models",
    "Coverage": "._models",
    "EmergencyRegistration": "._models",
    "Feature": "._features",
    "Geography": "._models",
    "MergedResults": "._routing",
    "MmsCapabilities": "._models",
    "Money": "._models",
    "NumberCompliance": "._models",
    "NumberConfig": "._models",
    "NumberPrice": "._models",
    "Provider": "._provider",
    "Provisioning": "._models",
    "ProviderSettings": "._settings",
    "Requirement": "._models",
    "Route": "._models",
    "RoutingProvider": "._routing",
    "SearchQuery": "._models",
    "SmsCapabilities": "._models",
    "VoiceCapabilities": "._models",
    "connect": "._registry",
    "provider_names": "._registry",
}


def _version() -> str:
    import importlib.metadata

    try:
        return importlib.metadata.version("numbers-core")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0+unknown"


def __getattr__(name: str) -> object:
    if name == "__version__":
        value: object = _version()
    elif name in _LAZY:
        value = getattr(_importlib.import_module(_LAZY[name], __name__), name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    # The package registers a pytest plugin, so pytest rewrites an installed copy of this module in a
    # user's test run, adding "@py_builtins" and "@pytest_ar" to its globals: no names of ours.
    return sorted(name for name in {*globals(), *__all__} if name.isidentifier())


__all__ = [
    "ActiveNumber",
    "Address",
    "AddressCheck",
    "AddressRequirement",
    "AddressValidationError",
    "AuthenticationError",
    "AvailableNumber",
    "BatchOutcome",
    "Callback",
    "Capabilities",
    "Charge",
    "ComplianceRequiredError",
    "ComplianceScope",
    "ConfigurationError",
    "ConflictError",
    "Coverage",
    "EmergencyRegistration",
    "EmergencyStatus",
    "Feature",
    "Geography",
    "InvalidInputError",
    "MergedResults",
    "MmsCapabilities",
    "Money",
    "NotFoundError",
    "NumberCompliance",
    "NumberConfig",
    "NumberPrice",
    "NumberStatus",
    "NumberType",
    "NumberUnavailableError",
    "NumbersError",
    "OutcomeUnknownError",
    "PaymentRequiredError",
    "PermissionDeniedError",
    "PriceBasis",
    "ProtocolError",
    "Provider",
    "ProviderError",
    "ProviderSettings",
    "ProviderUnavailableError",
    "Provisioning",
    "RateLimitError",
    "Requirement",
    "RequirementKind",
    "Route",
    "RoutingProvider",
    "SearchQuery",
    "SmsCapabilities",
    "TransportError",
    "UnsupportedError",
    "VoiceCapabilities",
    "__version__",
    "connect",
    "provider_names",
]
