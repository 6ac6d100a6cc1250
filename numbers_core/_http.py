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
import math
import random
import re
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, Protocol, Self, TypeVar
from urllib.parse import quote

import anyio
import httpx
import pydantic_core
import tenacity
from httpx._client import UseClientDefault  # the type of httpx.USE_CLIENT_DEFAULT

from ._deadline import call_end
from ._models import carrier_answer
from ._paging import PageFetcher, Pager
from ._phone import parse_e164
from ._redaction import redact, secret_forms, sent_credentials
from ._transport import create_client, failure_text
from .errors import (
    RETRY_AFTER_CEILING,
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
    "Malformed",
    "RetryPolicy",
    "check_url_policy",
    "path_segment",
    "phone_segment",
    "retry_after_seconds",
]

log = logging.getLogger("numbers_core.http")

T = TypeVar("T")
E = TypeVar("E", bound=BaseException)

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
# Every connection allowed is kept for reuse: a smaller idle pool makes each wave of concurrent
# requests reopen the difference (at 50 concurrent with 20 kept, 30 new TLS connections a wave).
DEFAULT_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=100, keepalive_expiry=30.0)

# The retry loop's sleep. anyio's works under asyncio and trio alike; a module
# attribute so that tests can watch the waits without sleeping them.
_sleep = anyio.sleep


class Malformed(ValueError):
    """An answer without the shape of the carrier's format: raised by codecs, see :meth:`HttpCore.read`."""


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

    #: tries in all, the first one included
    attempts: int = 4
    #: the first backoff's ceiling; each retry doubles it (full jitter below it)
    initial_wait: float = 0.25
    max_wait: float = 8.0
    #: a Retry-After above this is not waited out: the error is raised instead
    max_retry_after: float = 60.0
    #: seconds one call may take in all, every try and every wait between them included; a wait
    #: that would end past it is not waited: the last error is raised at once. A provider's public
    #: call sets one deadline for all of its requests (see ``_deadline``); this one bounds a request
    #: sent outside such a call
    deadline: float = 60.0

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ConfigurationError("attempts: at least one try is needed", setting="attempts")
        if not (math.isfinite(self.deadline) and self.deadline > 0):
            raise ConfigurationError(
                f"deadline: expected seconds > 0, got {self.deadline!r}", setting="deadline"
            )
        for name in ("initial_wait", "max_wait", "max_retry_after"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise ConfigurationError(f"{name}: expected seconds >= 0, got {value!r}", setting=name)


class ErrorMapper(Protocol):
    """Turns a carrier's non-2xx response into an error of the tree."""

    def __call__(self, response: httpx.Response, /) -> ProviderError | ProtocolError: ...


_DELTA_SECONDS = re.compile(r"\d+(\.\d+)?")


def retry_after_seconds(value: str | None, *, now: float | None = None) -> float | None:
    """Parse ``Retry-After``: delta-seconds or an HTTP-date; None if absent or bad.

    At most a day (RETRY_AFTER_CEILING): a carrier asking for more means "not
    today", and a number that large is no use to anyone waiting on it.
    """
    if value is None:
        return None
    value = value.strip()
    if _DELTA_SECONDS.fullmatch(value):
        return min(float(value), RETRY_AFTER_CEILING)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        return None
    return min(max(0.0, when.timestamp() - (time.time() if now is None else now)), RETRY_AFTER_CEILING)


def _is_loopback(host: str) -> bool:
    # Only names that cannot resolve elsewhere: "foo.localhost" is left to a resolver to answer.
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


_USERINFO = re.compile(r"(?<=//)[^/?#@]*@")


def _shown(url: object) -> str:
    """``url`` as an error message may show it: without any credentials put in it."""
    return _USERINFO.sub("***@", url) if isinstance(url, str) else repr(url)


def check_url_policy(url: str, *, allow_insecure_http: bool = False, setting: str = "base_url") -> httpx.URL:
    """HTTPS only; plain http to loopback or when explicitly allowed; no credentials in the URL."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        raise ConfigurationError(f"{setting}: {_shown(url)} is not a URL", setting=setting) from None
    if parsed.userinfo:
        raise ConfigurationError(
            f"{setting}: put credentials in their settings, not in the URL", setting=setting
        )
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ConfigurationError(f"{setting}: {_shown(url)} must be an https:// URL", setting=setting)
    if parsed.scheme == "http" and not (allow_insecure_http or _is_loopback(parsed.host)):
        raise ConfigurationError(
            f"{setting}: plain http to {parsed.host} is refused; use https, "
            "or set allow_insecure_http=True if you really mean it",
            setting=setting,
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


# -- redaction --------------------------------------------------------------------------------


# A header tuple in an HTTP/2 debug log (hpack logs every header it encodes).
_AUTH_HEADER = re.compile(r"""(?i)(['"]authorization['"],\s*b?['"])[^'"]*""")


class _LogScrubber(logging.Filter):
    """Removes the secrets of every live core from the records of the loggers that may see them.

    httpx logs every request's full URL (query included) at INFO, httpcore logs
    response headers and hpack request headers at DEBUG. A filter on those
    loggers is the one place where their records can be reached before any
    handler formats them.
    """

    LOGGERS = (
        log.name,
        "httpx",
        "httpcore.connection",
        "httpcore.http11",
        "httpcore.http2",
        "httpcore.proxy",
        "httpcore.socks",
        "hpack.hpack",
    )

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._cores: weakref.WeakSet[HttpCore] = weakref.WeakSet()
        self._installed = False

    def watch(self, core: HttpCore) -> None:
        with self._lock:
            self._cores.add(core)
            if not self._installed:
                for name in self.LOGGERS:
                    logging.getLogger(name).addFilter(self)
                self._installed = True

    def filter(self, record: logging.LogRecord) -> bool:
        with self._lock:
            forms = tuple(
                sorted({form for core in self._cores for form in core._secret_forms}, key=len, reverse=True)
            )
        try:
            text = record.getMessage()
        except Exception:  # a record that cannot be formatted: keep its template only
            text, record.args = str(record.msg), None
        clean = _AUTH_HEADER.sub(r"\1***", redact(text, forms))
        if clean != text:
            record.msg, record.args = clean, None
        return True


_SCRUBBER = _LogScrubber()


# -- the core ---------------------------------------------------------------------------------


class _Retry(Exception):
    """Internal: this attempt failed in a way that may be retried."""

    def __init__(self, error: NumbersError, retry_after: float | None = None) -> None:
        super().__init__(str(error))
        self.error = error
        self.retry_after = retry_after


_URL_CACHE_SIZE = 256
# Headers about how a body came over the wire, which no longer apply once it is read.
_BODY_FRAMING = ("content-encoding", "content-length", "transfer-encoding")

# Failures after which the request provably never reached the server.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.ProxyError)
# Failures that another try cannot cure: our own request could not be expressed on the wire.
_PERMANENT = (httpx.UnsupportedProtocol, httpx.LocalProtocolError)


@dataclass(frozen=True, slots=True)
class _Call:
    """One logical request, as every attempt at it sends it."""

    method: str
    url: httpx.URL
    idempotency: Idempotency
    operation: str
    number: str | None
    params: Mapping[str, Any] | None
    data: Mapping[str, Any] | None
    json: Any
    #: whether the core's auth signs it (not the request that logs in)
    authenticate: bool
    #: when the whole call must be over (anyio.current_time()); no try or wait goes past it
    end: float


class Pacer(Protocol):
    """Paces the requests of a carrier account (a bulk job's rate limiter): asked before each
    attempt, told of every 429."""

    async def acquire(self) -> None: ...

    def throttled(self, retry_after: float | None = None) -> None: ...


class HttpCore:
    """The HTTP machinery of one provider instance.

    ``timeout`` bounds each step (pool, connect, write, read) as httpx does;
    on top of that, once a request is on the wire its whole exchange must be
    over within the longest of those timeouts, so that a body trickling in
    just fast enough to dodge the read timeout cannot hold a call forever.
    """

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
        self._error_mapper = error_mapper
        self._auth = auth
        self._headers = {"User-Agent": _user_agent(), "Accept": "application/json", **(headers or {})}
        self._timeout = timeout
        self._limits = limits
        steps = [t for t in (timeout.connect, timeout.read, timeout.write, timeout.pool) if t is not None]
        self._exchange_deadline = max(steps) if steps else None
        #: paces every attempt when set (Provider.pace): a bulk job's limiter per carrier account
        self.pacer: Pacer | None = None
        self.retry = retry or RetryPolicy()
        self._transport = transport
        # The adapter's secrets, and the forms its auth sends them in (a Basic header's base64).
        self._static_secrets = (*secrets, *sent_credentials(auth))
        self._secret_forms = secret_forms(self._static_secrets)
        if self._secret_forms:
            _SCRUBBER.watch(self)
        self._owns_client = http_client is None
        self._client = http_client
        self._closed = False
        self._urls: dict[str, httpx.URL] = {}

    def __repr__(self) -> str:
        # A core whose construction failed half-way is still shown, in a traceback for one.
        return f"<HttpCore {getattr(self, 'provider', '?')!r} {getattr(self, 'base_url', '?')}>"

    # -- lifecycle ------------------------------------------------------------------

    def _get_client(self) -> httpx.AsyncClient:
        if self._closed:
            raise TransportError(
                f"{self.provider}: the provider is closed", provider=self.provider, retryable=False
            )
        if self._client is None:
            # Created on first use so that construction does no I/O and needs no event loop.
            self._client = create_client(
                timeout=self._timeout, limits=self._limits, transport=self._transport
            )
        return self._client

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close our own client; a user-supplied one stays open. Safe to call twice."""
        self._closed = True
        if self._owns_client and self._client is not None:
            client, self._client = self._client, None
            await client.aclose()

    # -- URLs -------------------------------------------------------------------------

    def url(self, path: str) -> httpx.URL:
        """Resolve ``path`` and check it.

        ``"Numbers/x"`` is relative to the base URL, ``"/v2/x"`` replaces the
        base URL's path (and query), and an absolute URL (a next-page link the
        carrier sent) must point at the same origin as the base URL, since
        credentials go nowhere else.
        """
        cached = self._urls.get(path)
        if cached is not None:
            return cached
        try:
            if path[:8].lower().startswith(("http://", "https://")):
                target = httpx.URL(path)
            elif path.startswith("/"):
                target = self.base_url.copy_with(raw_path=path.encode("ascii"))
            else:
                target = httpx.URL(f"{str(self.base_url).rstrip('/')}/{path}")
        except (httpx.InvalidURL, UnicodeEncodeError):
            raise ProtocolError(
                f"{self.provider}: {self.redact(_shown(path))} is not a usable URL",
                provider=self.provider,
            ) from None
        if (target.scheme, target.host, target.port) != (
            self.base_url.scheme,
            self.base_url.host,
            self.base_url.port,
        ):
            raise ProtocolError(
                f"{self.provider}: refusing to follow a link to another origin ({target.scheme}://{target.host})",
                provider=self.provider,
            )
        if target.userinfo:
            raise ProtocolError(
                f"{self.provider}: refusing a link with credentials in it", provider=self.provider
            )
        # Paths without a query (collections, resources) recur on every call, and parsing one into
        # an httpx.URL costs about a sixth of a whole request; links with a query (next pages) do not.
        if "?" not in path and len(self._urls) < _URL_CACHE_SIZE:
            self._urls[path] = target
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
        authenticate: bool = True,
    ) -> httpx.Response:
        """Send one logical request, retrying as its idempotency allows.

        Returns the 2xx response; raises the mapped error otherwise. SAFE and
        IDEMPOTENT requests are sent again after connection failures, timeouts,
        429 and 5xx; an UNSAFE one only after failures that prove it never
        reached the carrier (connect errors, pool timeouts, 429), and any other
        failure raises :class:`OutcomeUnknownError`. ``authenticate=False``
        sends it without the core's auth: the request that logs in.
        """
        # The public call's deadline, shared by all of its requests and waits; a request sent
        # outside one (the core used on its own) has the whole deadline to itself.
        end = call_end()
        if end is None:
            end = anyio.current_time() + self.retry.deadline
        call = _Call(
            method, self.url(path), idempotency, operation, number, params, data, json, authenticate, end
        )
        try:
            # Most requests succeed at once and skip tenacity's loop, which costs about 45 µs (a
            # tenth of a request). A first failure is replayed as the loop's first attempt, so the
            # waits, logs and attempt count are exactly those of the loop alone.
            return await self._attempt(call)
        except _Retry as first:
            replay = [first]
        retrying = tenacity.AsyncRetrying(
            sleep=_sleep,
            stop=tenacity.stop_after_attempt(self.retry.attempts) | _past(end),
            wait=self._wait,
            retry=tenacity.retry_if_exception_type(_Retry),
            before_sleep=self._log_retry,
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    if replay:
                        raise replay.pop()
                    return await self._attempt(call)
        except _Retry as exhausted:
            raise exhausted.error from exhausted.error.__cause__
        raise AssertionError("unreachable: tenacity either returns or raises")  # pragma: no cover

    async def request_json(self, method: str, path: str, **kwargs: Any) -> Any:
        """:meth:`request`, then decode the JSON body (ProtocolError if it is not JSON)."""
        response = await self.request(method, path, **kwargs)
        return self.decode_json(response)

    def decode_json(self, response: httpx.Response) -> Any:
        """The JSON body of ``response``; ProtocolError with an excerpt if it is not JSON."""
        try:
            try:
                # pydantic's parser (jiter) reads JSON about twice as fast as the json module; what it
                # refuses (a BOM, UTF-16, a lone surrogate) is then read as httpx reads it.
                return pydantic_core.from_json(response.content)
            except ValueError:
                return response.json()
        except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError, deep nesting
            failure = type(exc).__name__
        # Raised outside the handler: the parser's exception holds the whole body unredacted (a
        # JSONDecodeError's .doc), and as the error's context a caller could still reach it.
        kind = response.headers.get("content-type", "no content type")
        body = self.redact(response.content.decode("utf-8", errors="replace"))
        start = body[:60] + ("…" if len(body) > 60 else "")
        raise ProtocolError(
            f"{self.provider}: expected a JSON body, got {kind} that does not parse "
            f"({failure}) starting {start!r}",
            provider=self.provider,
            status_code=response.status_code,
            body=body,
        )

    def read(self, response: httpx.Response, parse: Callable[[Any], T], operation: str) -> T:
        """``parse`` of the JSON body; a :class:`Malformed` answer becomes a ProtocolError.

        The error quotes the body (redacted) and the codec's reason, so that the
        user sees what the carrier said.
        """
        data = self.decode_json(response)
        try:
            with carrier_answer():
                return parse(data)
        except Malformed as exc:
            problem = str(exc)
        # Raised outside the handler, so that the parse error (which quotes the answer) is not kept
        # as its context; and the answer is quoted back to the user, so a carrier or a proxy
        # echoing a credential must not carry it into the error.
        body = self.redact(response.content.decode("utf-8", errors="replace"))
        message = self.redact(f"{self.provider}: {operation}: unexpected answer ({problem})")
        raise ProtocolError(message, provider=self.provider, status_code=response.status_code, body=body)

    async def _attempt(self, call: _Call) -> httpx.Response:
        if self.pacer is not None:
            await self.pacer.acquire()
        if anyio.current_time() >= call.end:
            # Said before sending: past the deadline, a cancelled send could not tell whether the
            # request went out, and a purchase would be left unknown though it was never made.
            raise TransportError(
                f"{self.provider}: {call.operation}: the call's deadline of {self.retry.deadline:g} s "
                "passed before this request could be sent; it was not sent",
                provider=self.provider,
            )
        client = self._get_client()
        deadline = anyio.CancelScope(deadline=call.end)
        # Whether the request went on the wire: None until a traced event says (a transport that
        # traces nothing never does, so then it may have been sent), False while it is not yet.
        on_wire: bool | None = None

        async def trace(event: str, info: Mapping[str, Any]) -> None:
            # The exchange's deadline runs from the moment the request goes on the wire.
            nonlocal on_wire
            if event.endswith(".send_request_headers.started"):
                on_wire = True
                if self._exchange_deadline is not None:
                    deadline.deadline = min(call.end, anyio.current_time() + self._exchange_deadline)
            elif on_wire is None:
                on_wire = False

        request = client.build_request(
            call.method,
            call.url,
            params=call.params,
            data=call.data,
            json=call.json,
            headers=self._headers,
            extensions={"trace": trace},
        )
        started = time.perf_counter()
        response: httpx.Response | None = None
        with deadline:
            try:
                # Never a redirect, whatever a user's client says: see _redirected.
                response = await client.send(request, auth=self._auth_for(call), follow_redirects=False)
            except httpx.TransportError as exc:
                self._scrub(exc)  # it is chained to what we raise, so a traceback shows it
                self._log_exchange(request, started, type(exc).__name__)
                raise self._transport_failure(
                    call,
                    failure_text(exc, request),
                    cause=exc,
                    not_sent=isinstance(exc, _NOT_SENT),
                    permanent=isinstance(exc, _PERMANENT),
                ) from exc
            except httpx.HTTPError as exc:  # an answer came, but not one that can be read
                self._scrub(exc)
                self._log_exchange(request, started, "unreadable answer")
                unreadable = self._unreadable_answer(call, exc, request)
                raise unreadable from unreadable.__cause__
        if response is None:
            self._log_exchange(request, started, "deadline exceeded")
            if on_wire is False:  # the call's own deadline, before the request went out
                raise TransportError(
                    f"{self.provider}: {call.operation}: no answer within the call's deadline of "
                    f"{self.retry.deadline:g} s; the request was not sent",
                    provider=self.provider,
                )
            raise self._transport_failure(
                call,
                f"no complete answer within {self._exchange_deadline} s of sending"
                if anyio.current_time() < call.end
                else f"no complete answer within the call's deadline of {self.retry.deadline:g} s",
                cause=None,
                not_sent=False,
                permanent=False,
            )
        self._log_exchange(request, started, response.status_code)
        if response.is_success:
            return response
        return self._refuse(call, response)

    def _auth_for(self, call: _Call) -> httpx.Auth | UseClientDefault | None:
        if not call.authenticate:
            return None  # not even a user-supplied client's own auth: this request logs in
        return self._auth if self._auth is not None else httpx.USE_CLIENT_DEFAULT

    def _unreadable_answer(
        self, call: _Call, exc: httpx.HTTPError, request: httpx.Request
    ) -> ProtocolError | OutcomeUnknownError:
        """An answer that came but cannot be read (a body that does not decode as its
        Content-Encoding says): a ProtocolError, in words rather than httpx's class names.

        Its status is lost with it, so for a request that is not to be repeated it may have been
        a yes: the outcome is unknown, with the ProtocolError as its cause, which is what a 2xx
        that cannot be read leaves (see ``Provider._reconcile_purchase``).
        """
        garbled = ProtocolError(
            f"{self.provider}: {call.operation}: {self.redact(failure_text(exc, request))}",
            provider=self.provider,
        )
        garbled.__cause__ = exc
        if call.idempotency is not Idempotency.UNSAFE:
            return garbled
        unknown = OutcomeUnknownError(
            f"{garbled.message}; the request may or may not have taken effect",
            operation=call.operation,
            number=call.number,
            provider=self.provider,
        )
        unknown.__cause__ = garbled
        return unknown

    def _refuse(self, call: _Call, response: httpx.Response) -> httpx.Response:
        """Raise what a non-2xx response means: the error, or _Retry when it may be retried."""
        error = self._map(response)
        if call.idempotency is Idempotency.UNSAFE and not 400 <= response.status_code < 500:
            # Only a 4xx says that a request not to be repeated was refused. A 5xx, or an answer
            # an API does not give to it (a 1xx, a 3xx: a proxy's redirect), says nothing of
            # what the carrier did with it.
            raise OutcomeUnknownError(
                f"{self.provider}: {call.operation} got HTTP {response.status_code}; it may or may not "
                "have taken effect",
                operation=call.operation,
                number=call.number,
                provider=self.provider,
            ) from error
        retry_after = retry_after_seconds(response.headers.get("Retry-After"))
        if isinstance(error, RateLimitError):
            if error.retry_after is None:
                error.retry_after = retry_after
            if self.pacer is not None:  # every task of the job slows down, not only this one
                self.pacer.throttled(error.retry_after)
            # A rate-limited request was refused, not processed: safe to send again, even a purchase.
            if error.retry_after is not None and error.retry_after > self.retry.max_retry_after:
                raise error
            raise _Retry(error, error.retry_after)
        if isinstance(error, ProviderUnavailableError):
            if retry_after is not None and retry_after > self.retry.max_retry_after:
                raise error
            raise _Retry(error, retry_after)
        raise error

    def _map(self, response: httpx.Response) -> ProviderError | ProtocolError:
        status = response.status_code
        if 300 <= status < 400:
            return self._redirected(response)
        mapped: object
        try:
            # The mapper sees the answer redacted: whatever it quotes, or cuts short, holds no secret.
            mapped = self._error_mapper(self._redacted(response))
        except (ProviderError, ProtocolError) as raised:
            mapped = raised
        except NumbersError as other:
            raise self._scrub(other) from None
        except Exception as exc:
            # The mapper could not read the body (a KeyError on an HTML error page): go by status.
            log.debug(
                "%s: the error mapper failed on HTTP %d (%s)", self.provider, status, type(exc).__name__
            )
            mapped = None
        if isinstance(mapped, ProviderError) or (
            # An unreadable 429 or 5xx is still a rate limit or an outage, and retried as one.
            isinstance(mapped, ProtocolError) and status != 429 and status < 500
        ):
            return self._scrub(mapped)
        by_status = error_for_status(
            status,
            provider=self.provider,
            message=self.redact(response.reason_phrase) or f"HTTP {status}",
        )
        if isinstance(mapped, ProtocolError):
            by_status.__cause__ = self._scrub(mapped)
        return by_status

    def _redirected(self, response: httpx.Response) -> ProtocolError:
        """A 3xx: never followed, whatever the client's setting.

        A carrier's API answers where it is asked; a redirect comes from a proxy
        or an impostor, and following it would send the credentials and the
        request (a purchase too) wherever it points.
        """
        origin = (self.base_url.scheme, self.base_url.host, self.base_url.port)
        try:
            target = response.request.url.join(response.headers["Location"])
        except (KeyError, httpx.InvalidURL, UnicodeError):
            where = "a redirect without a usable Location"
        else:
            if (target.scheme, target.host, target.port) != origin:
                where = f"a redirect to another origin ({target.scheme}://{target.host})"
            else:
                where = f"a redirect to {target.path}"
        home = f"{self.base_url.scheme}://{self.base_url.netloc.decode('ascii')}"
        return ProtocolError(
            self.redact(
                f"{self.provider}: HTTP {response.status_code}, {where}; not followed: "
                f"requests and credentials go to {home} only"
            ),
            provider=self.provider,
            status_code=response.status_code,
        )

    def _redacted(self, response: httpx.Response) -> httpx.Response:
        """``response`` with this core's secrets taken out of its body, headers and reason phrase."""
        if not self._secret_forms:
            return response
        text = response.content.decode("utf-8", errors="replace")
        body = self.redact(text)
        headers = [(name, self.redact(value)) for name, value in response.headers.multi_items()]
        reason = self.redact(response.reason_phrase)
        if body == text and headers == response.headers.multi_items() and reason == response.reason_phrase:
            return response
        return httpx.Response(
            response.status_code,
            # The body is decoded already: its encoding and length headers no longer apply.
            headers=[h for h in headers if h[0].lower() not in _BODY_FRAMING],
            content=body.encode(),
            request=response.request,
            extensions={**response.extensions, "reason_phrase": reason.encode("ascii", "replace")},
        )

    def _transport_failure(
        self,
        call: _Call,
        failure: str,
        *,
        cause: Exception | None,
        not_sent: bool,
        permanent: bool,
    ) -> Exception:
        message = f"{self.provider}: {call.operation}: {self.redact(failure)}"
        if permanent:
            return TransportError(message, provider=self.provider, retryable=False)
        if not_sent or call.idempotency is not Idempotency.UNSAFE:
            error = TransportError(message, provider=self.provider)
            # Kept on the error itself: it is raised from this cause once the retries run out.
            error.__cause__ = cause
            return _Retry(error)
        return OutcomeUnknownError(
            f"{message}; the request may or may not have taken effect",
            operation=call.operation,
            number=call.number,
            provider=self.provider,
        )

    def _wait(self, state: tenacity.RetryCallState) -> float:
        outcome = state.outcome
        failure = outcome.exception() if outcome is not None else None
        if isinstance(failure, _Retry) and failure.retry_after is not None:
            return float(failure.retry_after)
        ceiling = min(self.retry.max_wait, self.retry.initial_wait * 2.0 ** (state.attempt_number - 1))
        return random.uniform(0.0, ceiling)  # noqa: S311 - full jitter, not cryptography

    # -- logging and redaction ----------------------------------------------------------

    def _log_exchange(self, request: httpx.Request, started: float, outcome: object) -> None:
        if log.isEnabledFor(logging.DEBUG):
            log.debug(
                "%s %s %s -> %s in %.1f ms",
                self.provider,
                request.method,
                self.redact(str(request.url)),
                outcome,
                (time.perf_counter() - started) * 1000,
            )

    def _log_retry(self, state: tenacity.RetryCallState) -> None:
        outcome = state.outcome
        failure = outcome.exception() if outcome is not None else None
        wait = state.next_action.sleep if state.next_action is not None else 0.0
        log.info(
            "%s: attempt %d failed (%s); retrying in %.2f s",
            self.provider,
            state.attempt_number,
            self.redact(str(failure)),
            wait,
        )

    def set_session_secret(self, value: str) -> None:
        """Redact ``value`` too from now on (a session token), in place of the previous one."""
        self._secret_forms = secret_forms((*self._static_secrets, value))
        _SCRUBBER.watch(self)

    def redact(self, text: str) -> str:
        """``text`` without this core's secrets: for anything built from an answer or a request."""
        return redact(text, self._secret_forms)

    def _scrub(self, error: E) -> E:
        """Redact secrets from an error's message and text attributes, in place.

        For errors built from a carrier's answer (bodies may echo a token) and
        for the httpx errors chained to ours.
        """
        if self._secret_forms:
            error.args = tuple(self.redact(a) if isinstance(a, str) else a for a in error.args)
            for name, value in list(vars(error).items()):
                # Only text that held a secret is replaced: an enum that is a str (a requirement's
                # kind) stays the enum it was.
                if isinstance(value, str) and (redacted := self.redact(value)) != value:
                    setattr(error, name, redacted)
        return error

    # -- pagination -------------------------------------------------------------------

    def paginate(self, fetch: PageFetcher[T]) -> Pager[T]:
        """Items page by page: ``fetch(cursor)`` returns a page and the next cursor.

        A page is fetched only once the previous one's items are consumed;
        see :class:`~numbers_core._paging.Pager`.
        """
        return Pager(fetch, provider=self.provider)


class _past(tenacity.stop.stop_base):
    """Stop when the next try would start after ``end`` (anyio's clock)."""

    def __init__(self, end: float) -> None:
        self.end = end

    def __call__(self, retry_state: tenacity.RetryCallState) -> bool:
        return anyio.current_time() + (retry_state.upcoming_sleep or 0.0) >= self.end


def _user_agent() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        ours = version("numbers-core")
    except PackageNotFoundError:  # running from a source tree
        ours = "0+unknown"
    return f"numbers-core/{ours} httpx/{httpx.__version__}"
