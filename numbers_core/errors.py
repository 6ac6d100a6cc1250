"""Every error numbers-core raises.

Nothing else escapes a public method: no ``KeyError``, ``TypeError``, ``httpx``
or ``pydantic`` exception. The tree::

    NumbersError
    ├── ConfigurationError         missing/invalid settings, unknown provider
    ├── InvalidInputError          bad phone number, query or config, caught before any request
    ├── UnsupportedError           the provider cannot do this (.provider, .feature)
    ├── TransportError             network failure or timeout (.retryable)
    │   └── OutcomeUnknownError    a mutating request may or may not have taken effect
    │                              (.operation, .number, .numbers)
    ├── ProtocolError              an answer that cannot be understood
    │                              (.provider, .status_code, .body, .numbers)
    └── ProviderError              the provider answered with an error
        │                          (.provider, .status_code, .code, .message, .request_id)
        ├── AuthenticationError    credentials rejected
        ├── PermissionDeniedError
        ├── NotFoundError          not owned / does not exist
        ├── NumberUnavailableError the number can no longer be bought
        ├── PaymentRequiredError   insufficient funds, charges to accept
        ├── ConflictError
        ├── RateLimitError         (.retry_after: seconds or None)
        ├── ProviderUnavailableError  5xx
        ├── ComplianceRequiredError   the purchase needs an address, bundle, identity or documents
        │                             (.requirement, .scope: account | number, .country, .number_type)
        └── AddressValidationError    the carrier refused an address (.suggestions)

Messages carry what a user needs to act on (provider, HTTP status, the
carrier's code and request id) and never a credential: adapters build them
from response bodies, never from request headers or settings.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from ._kinds import ComplianceScope, NumberType, RequirementKind

if TYPE_CHECKING:
    from ._models import Address

__all__ = [
    "AddressValidationError",
    "AuthenticationError",
    "Charge",
    "ComplianceRequiredError",
    "ConfigurationError",
    "ConflictError",
    "InvalidInputError",
    "NotFoundError",
    "NumberUnavailableError",
    "NumbersError",
    "OutcomeUnknownError",
    "PaymentRequiredError",
    "PermissionDeniedError",
    "ProtocolError",
    "ProviderError",
    "ProviderUnavailableError",
    "RateLimitError",
    "TransportError",
    "UnsupportedError",
    "error_for_status",
]

P = TypeVar("P", bound="ProviderError")

# Long or binary bodies are cut so that an exception message stays one screen.
_BODY_EXCERPT = 500


class NumbersError(Exception):
    """Base class of every error raised by numbers-core.

    ``member`` names the member of a routing provider (``connect([...])``) the
    error came from, and the message then starts with it; None elsewhere.
    """

    #: the routing member the error came from (set by the routing provider)
    member: str | None = None

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __reduce__(self) -> tuple[Any, ...]:
        # Subclasses take keyword-only arguments that Exception's own reduce cannot pass back,
        # so pickling (process pools) and copy would fail; rebuild from the attributes instead.
        return (_restore, (type(self), self.args), self.__dict__)


def _restore(cls: type[NumbersError], args: tuple[Any, ...]) -> NumbersError:
    return cls.__new__(cls, *args)


class ConfigurationError(NumbersError):
    """A setting is missing or malformed, or the provider is unknown.

    ``setting`` names the offending setting and ``profile`` the profile it was
    read from, where known.
    """

    def __init__(self, message: str, *, setting: str | None = None, profile: str | None = None) -> None:
        super().__init__(message)
        self.setting = setting
        self.profile = profile


class InvalidInputError(NumbersError, ValueError):
    """Bad input (phone number, query, config) detected before any request.

    ``field`` names the offending argument or field where known.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class UnsupportedError(NumbersError):
    """The provider cannot do what was asked; raised before any request."""

    def __init__(self, provider: str, feature: str, message: str | None = None) -> None:
        super().__init__(message or f"{provider} does not support {feature}")
        self.provider = provider
        self.feature = feature


class TransportError(NumbersError):
    """The network failed or timed out before a usable answer arrived."""

    def __init__(self, message: str, *, provider: str | None = None, retryable: bool = True) -> None:
        super().__init__(message)
        self.provider = provider
        self.retryable = retryable


class OutcomeUnknownError(TransportError):
    """A mutating request may or may not have taken effect at the carrier.

    Look the number up (``get``) before trying again: a purchase retried
    blindly may buy twice. ``numbers`` lists every number it may have
    changed: ``number``, and another one where the carrier's answer named
    another (a purchase of one answered with the other may have bought either).
    """

    def __init__(
        self,
        message: str,
        *,
        operation: str,
        number: str | None = None,
        provider: str | None = None,
        numbers: tuple[str, ...] = (),
    ) -> None:
        super().__init__(message, provider=provider, retryable=False)
        self.operation = operation
        self.number = number
        self.numbers = numbers or ((number,) if number is not None else ())


def excerpt(body: str | bytes | None) -> str | None:
    """Shorten a response body for an error message."""
    if body is None:
        return None
    if isinstance(body, bytes):
        body = body.decode("utf-8", errors="replace")
    return body if len(body) <= _BODY_EXCERPT else body[:_BODY_EXCERPT] + "…"


class ProtocolError(NumbersError):
    """The provider answered something that cannot be understood.

    ``numbers`` lists the numbers such an answer may have changed at the
    carrier, where that matters: a purchase answered with another number
    gives both, so that neither goes unchecked.
    """

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        status_code: int | None = None,
        body: str | bytes | None = None,
        numbers: tuple[str, ...] = (),
    ) -> None:
        super().__init__(message)
        self.provider = provider
        self.status_code = status_code
        self.body = excerpt(body)
        self.numbers = numbers


class ProviderError(NumbersError):
    """The provider answered with an error."""

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        status_code: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
    ) -> None:
        parts = [f"{provider}: {message}"]
        details = [
            f"{label} {value}"
            for label, value in (("HTTP", status_code), ("code", code), ("request", request_id))
            if value is not None
        ]
        if details:
            parts.append(f"({', '.join(details)})")
        super().__init__(" ".join(parts))
        # ``str(error)`` is the full line; ``.message`` is the carrier's own words.
        self.message = message
        self.provider = provider
        self.status_code = status_code
        self.code = code
        self.request_id = request_id

    def recast(self, cls: type[P], message: str, **details: Any) -> P:
        """This answer as another error of the tree, in other words: what it means for the caller.

        The status, code and request id stay; this error becomes the new one's cause.
        ``details`` are the new class's own arguments (a ComplianceRequiredError's
        ``requirement`` and ``scope``).
        """
        error = cls(
            message,
            provider=self.provider,
            status_code=self.status_code,
            code=self.code,
            request_id=self.request_id,
            **details,
        )
        error.__cause__ = self
        return error


class AuthenticationError(ProviderError):
    """The provider rejected the credentials."""


class PermissionDeniedError(ProviderError):
    """The credentials are valid but may not do this."""


class NotFoundError(ProviderError):
    """The number is not owned, or does not exist."""


class NumberUnavailableError(ProviderError):
    """The number can no longer be bought."""


@dataclass(frozen=True, slots=True)
class Charge:
    """One line of a carrier's quote: what it would charge for, how many, at what rate.

    Amounts are in the account's currency, which the carrier does not always
    name (``currency`` is then None).
    """

    category: str
    item: str
    quantity: Decimal | None = None
    rate: Decimal | None = None
    currency: str | None = None


class PaymentRequiredError(ProviderError):
    """Insufficient funds, or charges to accept first.

    Where the carrier quoted what the request would cost, ``charges`` holds its
    lines and ``total`` the sum it named; nothing was bought or changed.
    ``monthly`` is what one number of the request would cost a month, where the
    quote says (to compare with a price list or a job's cost cap), in the
    account's currency.
    """

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        status_code: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
        charges: tuple[Charge, ...] = (),
        total: Decimal | None = None,
        monthly: Decimal | None = None,
    ) -> None:
        super().__init__(
            message, provider=provider, status_code=status_code, code=code, request_id=request_id
        )
        self.charges = charges
        self.total = total
        self.monthly = monthly


class ConflictError(ProviderError):
    """The request conflicts with the number's current state."""


class RateLimitError(ProviderError):
    """Too many requests; ``retry_after`` is in seconds, or None when not said."""

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        status_code: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(
            message, provider=provider, status_code=status_code, code=code, request_id=request_id
        )
        self.retry_after = _sane_wait(retry_after)


#: the longest wait, in seconds, a RateLimitError reports: a carrier asking for more means "not today"
RETRY_AFTER_CEILING = 86_400.0


def _sane_wait(seconds: float | None) -> float | None:
    # A wait that is not a finite number of seconds (inf, NaN, negative) says nothing usable.
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return None
    return min(float(seconds), RETRY_AFTER_CEILING)


class ProviderUnavailableError(ProviderError):
    """The provider failed on its side (5xx)."""


class ComplianceRequiredError(ProviderError):
    """The purchase (or transfer) needs something on file that was not given.

    ``requirement`` says what (a :class:`RequirementKind`: address,
    local_address, bundle, identity, documents); ``scope`` whom it concerns:
    ``account`` (every number of ``country`` and ``number_type`` needs it: put
    the account right first) or ``number`` (this number only: another one may
    do, so ``purchase_any`` moves on to the next candidate). ``country`` and
    ``number_type`` are None where the carrier does not say.
    """

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        requirement: RequirementKind | str,
        scope: ComplianceScope | str,
        country: str | None = None,
        number_type: NumberType | str | None = None,
        status_code: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(
            message, provider=provider, status_code=status_code, code=code, request_id=request_id
        )
        # Adapters pass constants; a value outside the enumerations is their bug, and fails loudly here.
        self.requirement = RequirementKind(requirement)
        self.scope = ComplianceScope(scope)
        self.country = country
        self.number_type = NumberType(number_type) if number_type is not None else None


class AddressValidationError(ProviderError):
    """The carrier refused an address: it cannot be found, or is not fit for the use asked.

    ``suggestions`` holds the addresses the carrier proposed instead (empty
    when it proposed none); check one with the user and send it again.
    """

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        suggestions: tuple[Address, ...] = (),
        status_code: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(
            message, provider=provider, status_code=status_code, code=code, request_id=request_id
        )
        self.suggestions = tuple(suggestions)


_BY_STATUS: dict[int, type[ProviderError]] = {
    401: AuthenticationError,
    402: PaymentRequiredError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    410: NotFoundError,
    429: RateLimitError,
}


def error_for_status(
    status_code: int,
    *,
    provider: str,
    message: str,
    code: str | None = None,
    request_id: str | None = None,
    retry_after: float | None = None,
) -> ProviderError:
    """The error of the tree an HTTP status means when the carrier's code says no more.

    Adapters call this for the common case and pick a class themselves where a
    carrier code is more precise (a 400 that means "number unavailable").
    """
    if status_code >= 500:
        cls: type[ProviderError] = ProviderUnavailableError
    else:
        cls = _BY_STATUS.get(status_code, ProviderError)
    if cls is RateLimitError:
        return RateLimitError(
            message,
            provider=provider,
            status_code=status_code,
            code=code,
            request_id=request_id,
            retry_after=retry_after,
        )
    return cls(message, provider=provider, status_code=status_code, code=code, request_id=request_id)
