"""Session tokens: fetched once for all the requests that need one, renewed before they expire.

Carriers that log in with a key and hand out a short-lived token (Kazoo's
JWT, an OAuth2 access token) share the same mechanics, which live here:

- **Single flight.** However many requests find the token missing or about
  to expire, one of them fetches a new one and the others wait for it; when
  that fetch fails, the requests that waited for it fail with its error
  rather than each trying again.
- **Ahead of expiry.** A token is renewed ``ahead`` seconds before the
  expiry it states (at most half its lifetime early, so that a short-lived
  token is not renewed on every request).
- **Once on a 401.** A request refused with 401 gets a fresh token and is
  sent again, once; a second 401 is the carrier's answer. A 401 means the
  request was not processed, so this is safe for purchases too.

The fetch itself is the adapter's (its wire format); it must not go through
this auth, or an expired login would ask for itself.
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
import math
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
from dataclasses import dataclass

import anyio
import httpx

__all__ = ["Token", "TokenAuth", "jwt_expiry"]

# The wall clock tokens' expiry times are read against; a module attribute so that tests can set it.
_now = time.time


@dataclass(frozen=True, slots=True)
class Token:
    """A session token and when it stops working (Unix time; None when nobody says)."""

    value: str
    expires_at: float | None = None

    def __repr__(self) -> str:
        # The value is a credential: never in a repr, a log line or a traceback's locals.
        return f"Token(expires_at={self.expires_at!r})"

    @classmethod
    def lasting(cls, value: str, seconds: object) -> Token:
        """A token good for ``seconds`` from now (an OAuth2 ``expires_in``); no expiry if that is unusable."""
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not 0 < seconds < 10**8:
            return cls(value)
        return cls(value, _now() + float(seconds))


def jwt_expiry(token: str) -> float | None:
    """The ``exp`` claim of a JWT (Unix time), read without checking the signature; None if absent.

    The signature is the issuer's business: the client only needs to know
    when to ask for a new token, and a wrong guess costs one 401 and a retry.
    """
    parts = token.split(".")
    if len(parts) != 3:
        return None
    payload = parts[1]
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (binascii.Error, ValueError, RecursionError):
        return None
    expiry = claims.get("exp") if isinstance(claims, dict) else None
    # 0 means "never expires" on the platforms that issue such tokens (Kazoo's token_auth_expiry_s).
    if isinstance(expiry, bool) or not isinstance(expiry, int | float) or not math.isfinite(expiry):
        return None
    return float(expiry) if expiry > 0 else None


class TokenAuth(httpx.Auth):
    """Puts a session token on every request; see the module's docstring for when it fetches one.

    ``fetch`` logs in and returns the new :class:`Token`; ``header`` and
    ``prefix`` say how the token is sent (``X-Auth-Token: <t>``,
    ``Authorization: Bearer <t>``).
    """

    def __init__(
        self,
        fetch: Callable[[], Awaitable[Token]],
        *,
        header: str = "Authorization",
        prefix: str = "Bearer ",
        ahead: float = 60.0,
    ) -> None:
        self._fetch = fetch
        self._header = header
        self._prefix = prefix
        self._ahead = ahead
        self._lock = anyio.Lock()
        self._token: Token | None = None
        self._renew_at = math.inf
        # Fetches finished so far, and the error of the last one if it failed.
        self._finished = 0
        self._failure: Exception | None = None
        #: how many times ``fetch`` was called: what single flight is about
        self.fetches = 0

    def __repr__(self) -> str:
        return f"<TokenAuth header={self._header!r} fetches={self.fetches}>"

    def _usable(self, stale: str | None) -> str | None:
        token = self._token
        if token is None or token.value == stale or _now() >= self._renew_at:
            return None
        return token.value

    async def token(self, *, stale: str | None = None) -> str:
        """The current token, fetched first if there is none, it expires soon, or it is ``stale``."""
        value = self._usable(stale)
        if value is not None:
            return value
        seen = self._finished
        async with self._lock:
            value = self._usable(stale)
            if value is not None:
                return value
            if self._finished > seen and self._failure is not None:
                # The fetch this request waited for failed: so does this request, without a new try
                # (a copy each: one exception object raised in many tasks grows one long traceback).
                raise copy.copy(self._failure).with_traceback(None)
            self.fetches += 1
            try:
                token = await self._fetch()
            except Exception as exc:  # not a cancellation: that is the fetching task's affair alone
                self._finished += 1
                self._failure = exc
                raise
            self._finished += 1
            self._failure = None
            self._token = token
            self._renew_at = self._renewal(token)
            return token.value

    def _renewal(self, token: Token) -> float:
        if token.expires_at is None:
            return math.inf
        now = _now()
        return token.expires_at - min(self._ahead, max(0.0, token.expires_at - now) / 2)

    def _sign(self, request: httpx.Request, value: str) -> None:
        request.headers[self._header] = f"{self._prefix}{value}"

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        raise RuntimeError("TokenAuth fetches tokens asynchronously: use an httpx.AsyncClient")
        yield request  # pragma: no cover - makes this a generator, as httpx expects

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        value = await self.token()
        self._sign(request, value)
        response = yield request
        if response.status_code == 401:
            self._sign(request, await self.token(stale=value))
            yield request
