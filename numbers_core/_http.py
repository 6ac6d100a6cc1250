"""The HTTP core every adapter talks through. It knows no carrier.

One ``httpx.AsyncClient`` per provider instance (or the user's own, never
closed here), one retry loop that knows which requests may be sent again,
the HTTPS policy, path-segment encoding, lazy pagination, and logging with
secrets redacted. Adapters bring an error mapper that turns a carrier's
error response into the error tree.
"""

from __future__ import annotations

import enum
import ipaddress
import logging
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, Protocol, TypeVar
from urllib.parse import quote

import httpx
import tenacity

from ._phone import parse_e164
from .errors import (
    ConfigurationError,
    InvalidInputError,
    NumbersError,
    OutcomeUnknownError,
    ProtocolError,
    ProviderError,
    ProviderUnavailableError,
    RateLimitError,
    TransportError,
    error_for_status,
)

__all__ = [
    "DEFAULT_LIMITS",
    "DEFAULT_TIMEOUT",
    "ErrorMapper",
    "HttpCore",
    "Idempotency",
    "RetryPolicy",
    "check_url_policy",
    "path_segment",
    "phone_segment",
    "retry_after_seconds",
]

log = logging.getLogger("numbers_core.http")

T = TypeVar("T")

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
DEFAULT_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=30.0)


class Idempotency(enum.Enum):
    """May this request be sent again when its first try went wrong?"""

    #: reads: always safe to repeat
    SAFE = "safe"
    #: deletes and full-state updates: repeating has the same effect
    IDEMPOTENT = "idempotent"
    #: purchases: repeating may buy twice; sent again only when provably not processed
    UNSAFE = "unsafe"


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How hard the core tries. Waits are in seconds."""

    attempts: int = 4
    #: the first backoff's ceiling; each retry doubles it (full jitter below it)
    initial_wait: float = 0.25
    max_wait: float = 8.0
    #: a Retry-After above this is not waited out: the error is raised instead
    max_retry_after: float = 60.0


class ErrorMapper(Protocol):
    """Turns a carrier's non-2xx response into an error of the tree."""

    def __call__(self, response: httpx.Response, /) -> ProviderError | ProtocolError: ...


def retry_after_seconds(value: str | None, *, now: float | None = None) -> float | None:
    """Parse ``Retry-After``: delta-seconds or an HTTP-date; None if absent or bad."""
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    return max(0.0, seconds)


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_url_policy(url: str, *, allow_insecure_http: bool = False, setting: str = "base_url") -> httpx.URL:
    """HTTPS only; plain http to loopback or when explicitly allowed."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise ConfigurationError(f"{setting}: {url!r} is not a URL ({exc})", setting=setting) from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ConfigurationError(f"{setting}: {url!r} must be an https:// URL", setting=setting)
    if parsed.scheme == "http" and not (allow_insecure_http or _is_loopback(parsed.host)):
        raise ConfigurationError(
            f"{setting}: plain http to {parsed.host} is refused; use https, "
            "or set allow_insecure_http=True if you really mean it",
            setting=setting,
        )
    if parsed.userinfo:
        raise ConfigurationError(
            f"{setting}: put credentials in their settings, not in the URL", setting=setting
        )
    return parsed


def path_segment(value: str, *, field: str = "id") -> str:
    """Percent-encode ``value`` as exactly one path segment.

    Nothing a caller passes can add a segment, go up one, or start a query.
    """
    if not isinstance(value, str) or not value or value in (".", ".."):
        raise InvalidInputError(f"{field}: {value!r} cannot be used in a URL path", field=field)
    return quote(value, safe="")


def phone_segment(number: Any, *, field: str = "number") -> str:
    """Validate a phone number and encode its E.164 form as one path segment (``%2B…``)."""
    return path_segment(parse_e164(number, field=field), field=field)


class _Retry(Exception):
    """Internal: this attempt failed in a way that may be retried."""

    def __init__(self, error: NumbersError, retry_after: float | None = None) -> None:
        super().__init__(str(error))
        self.error = error
        self.retry_after = retry_after


# Errors after which the request provably never reached the server.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class HttpCore:
    """The HTTP machinery of one provider instance."""

    def __init__(
        self,
        provider: str,
        *,
        base_url: str,
        error_mapper: ErrorMapper,
        auth: httpx.Auth | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        limits: httpx.Limits = DEFAULT_LIMITS,
        retry: RetryPolicy | None = None,
        http_client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        allow_insecure_http: bool = False,
        secrets: Iterable[str] = (),
    ) -> None:
        self.provider = provider
        self.base_url = check_url_policy(base_url, allow_insecure_http=allow_insecure_http)
        self._allow_insecure_http = allow_insecure_http
        self._error_mapper = error_mapper
        self._auth = auth
        self._headers = {"User-Agent": _user_agent(), "Accept": "application/json", **(headers or {})}
        self._timeout = timeout
        self._limits = limits
        self.retry = retry or RetryPolicy()
        self._transport = transport
        self._secrets = tuple(s for s in secrets if s)
        self._owns_client = http_client is None
        self._client = http_client
        self._closed = False

    # -- lifecycle ------------------------------------------------------------------

    def _get_client(self) -> httpx.AsyncClient:
        if self._closed:
            raise TransportError(
                f"{self.provider}: the provider is closed", provider=self.provider, retryable=False
            )
        if self._client is None:
            # Created on first use so that construction does no I/O and needs no event loop.
            self._client = httpx.AsyncClient(
                timeout=self._timeout,
                limits=self._limits,
                transport=self._transport,
                follow_redirects=False,
                trust_env=True,
            )
        return self._client

    async def aclose(self) -> None:
        self._closed = True
        if self._owns_client and self._client is not None:
            client, self._client = self._client, None
            await client.aclose()

    # -- URLs -------------------------------------------------------------------------

    def url(self, path: str) -> httpx.URL:
        """Resolve ``path`` (relative to the base URL, or absolute) and check it.

        An absolute URL (a next-page link the carrier sent) must point at the
        same origin as the base URL: credentials go nowhere else.
        """
        if path.startswith(("http://", "https://")):
            target = httpx.URL(path)
        elif path.startswith("/"):
            target = self.base_url.copy_with(raw_path=path.encode("ascii"))
        else:
            base = str(self.base_url).rstrip("/")
            target = httpx.URL(f"{base}/{path}")
        if (target.scheme, target.host, target.port) != (
            self.base_url.scheme,
            self.base_url.host,
            self.base_url.port,
        ):
            raise ProtocolError(
                f"{self.provider}: refusing to follow a link to another origin ({target.host})",
                provider=self.provider,
            )
        return target

    # -- requests ---------------------------------------------------------------------

    async def request(
        self,
        method: str,
        path: str,
        *,
        idempotency: Idempotency,
        operation: str,
        number: str | None = None,
        params: Mapping[str, Any] | None = None,
        data: Mapping[str, Any] | None = None,
        json: Any = None,
    ) -> httpx.Response:
        """Send one logical request, retrying as its idempotency allows.

        Returns the 2xx response; raises the mapped error otherwise.
        """
        url = self.url(path)
        client = self._get_client()
        retrying = tenacity.AsyncRetrying(
            stop=tenacity.stop_after_attempt(self.retry.attempts),
            wait=self._wait,
            retry=tenacity.retry_if_exception_type(_Retry),
            before_sleep=self._log_retry,
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._attempt(
                        client, method, url, idempotency, operation, number, params, data, json
                    )
        except _Retry as exhausted:
            raise exhausted.error from exhausted.error.__cause__
        raise AssertionError("unreachable: tenacity either returns or raises")  # pragma: no cover

    async def request_json(self, method: str, path: str, **kwargs: Any) -> Any:
        """:meth:`request`, then decode the JSON body (ProtocolError if it is not JSON)."""
        response = await self.request(method, path, **kwargs)
        return self.decode_json(response)

    def decode_json(self, response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError:
            kind = response.headers.get("content-type", "no content type")
            raise ProtocolError(
                f"{self.provider}: expected JSON, got {kind}",
                provider=self.provider,
                status_code=response.status_code,
                body=response.content,
            ) from None

    async def _attempt(
        self,
        client: httpx.AsyncClient,
        method: str,
        url: httpx.URL,
        idempotency: Idempotency,
        operation: str,
        number: str | None,
        params: Mapping[str, Any] | None,
        data: Mapping[str, Any] | None,
        json: Any,
    ) -> httpx.Response:
        started = time.perf_counter()
        try:
            response = await client.request(
                method,
                url,
                params=params,
                data=data,
                json=json,
                auth=self._auth if self._auth is not None else httpx.USE_CLIENT_DEFAULT,
                headers=self._headers,
            )
        except httpx.TransportError as exc:
            raise self._transport_failure(exc, idempotency, operation, number) from exc
        except httpx.HTTPError as exc:  # e.g. an invalid URL built from a carrier's link
            raise ProtocolError(
                f"{self.provider}: {operation}: {self._redact(str(exc))}", provider=self.provider
            ) from exc
        if log.isEnabledFor(logging.DEBUG):
            log.debug(
                "%s %s %s -> %s in %.1f ms",
                self.provider,
                method,
                self._redact(str(url)),
                response.status_code,
                (time.perf_counter() - started) * 1000,
            )
        if response.is_success:
            return response
        error = self._map(response)
        retry_after = retry_after_seconds(response.headers.get("Retry-After"))
        if isinstance(error, RateLimitError):
            if error.retry_after is None:
                error.retry_after = retry_after
            # A rate-limited request was refused, not processed: safe to send again.
            if error.retry_after is not None and error.retry_after > self.retry.max_retry_after:
                raise error
            raise _Retry(error, error.retry_after)
        if isinstance(error, ProviderUnavailableError):
            if idempotency is Idempotency.UNSAFE:
                raise OutcomeUnknownError(
                    f"{self.provider}: {operation} got {response.status_code}; it may or may not have "
                    "taken effect",
                    operation=operation,
                    number=number,
                    provider=self.provider,
                ) from error
            if retry_after is not None and retry_after > self.retry.max_retry_after:
                raise error
            raise _Retry(error, retry_after)
        raise error

    def _map(self, response: httpx.Response) -> ProviderError | ProtocolError:
        try:
            return self._error_mapper(response)
        except NumbersError as error:
            if isinstance(error, ProviderError | ProtocolError):
                return error
            raise
        except Exception:
            # The mapper could not read the body: classify by status alone.
            log.debug("%s: error body could not be read", self.provider, exc_info=True)
            return error_for_status(
                response.status_code,
                provider=self.provider,
                message=response.reason_phrase or "error",
                request_id=None,
            )

    def _transport_failure(
        self, exc: httpx.TransportError, idempotency: Idempotency, operation: str, number: str | None
    ) -> Exception:
        what = f"{self.provider}: {operation}: {type(exc).__name__}"
        detail = self._redact(str(exc))
        message = f"{what} ({detail})" if detail else what
        if isinstance(exc, _NOT_SENT) or idempotency is not Idempotency.UNSAFE:
            return _Retry(TransportError(message, provider=self.provider))
        return OutcomeUnknownError(
            f"{message}; the request may or may not have taken effect",
            operation=operation,
            number=number,
            provider=self.provider,
        )

    def _wait(self, state: tenacity.RetryCallState) -> float:
        outcome = state.outcome
        failure = outcome.exception() if outcome is not None else None
        if isinstance(failure, _Retry) and failure.retry_after is not None:
            return float(failure.retry_after)
        ceiling = min(self.retry.max_wait, self.retry.initial_wait * 2.0 ** (state.attempt_number - 1))
        return random.random() * ceiling  # noqa: S311 - full jitter, not cryptography

    def _log_retry(self, state: tenacity.RetryCallState) -> None:
        outcome = state.outcome
        failure = outcome.exception() if outcome is not None else None
        wait = state.next_action.sleep if state.next_action is not None else 0.0
        log.info(
            "%s: attempt %d failed (%s); retrying in %.2f s",
            self.provider,
            state.attempt_number,
            self._redact(str(failure)),
            wait,
        )

    def _redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    # -- pagination -------------------------------------------------------------------

    async def paginate(
        self,
        fetch: Callable[[str | None], Awaitable[tuple[list[T], str | None]]],
    ) -> AsyncIterator[T]:
        """Yield items page by page. ``fetch(cursor)`` returns a page and the next cursor.

        The first call gets ``None``; iteration stops when the cursor is None
        or empty. A carrier that sends the same cursor twice would loop
        forever, so that is a ProtocolError.
        """
        cursor: str | None = None
        seen: set[str] = set()
        while True:
            items, cursor = await fetch(cursor)
            for item in items:
                yield item
            if not cursor:
                return
            if cursor in seen:
                raise ProtocolError(
                    f"{self.provider}: pagination repeats itself at {self._redact(cursor)!r}",
                    provider=self.provider,
                )
            seen.add(cursor)


def _user_agent() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        ours = version("numbers-core")
    except PackageNotFoundError:  # running from a source tree
        ours = "0+unknown"
    return f"numbers-core/{ours} httpx/{httpx.__version__}"
