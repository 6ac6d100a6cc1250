"""The HTTP client the core uses when the user brings none.

Why not a plain ``httpx.AsyncClient``: profiling the bench (``nox -s bench``)
showed httpx's own per-request machinery (header objects, the auth flow,
cookie extraction, content decoders, httpcore's connection state machine
and h11) costing about 0.3 ms CPU per request, more than twilio-python
spends on a whole request over aiohttp; an aiohttp transport under httpx
keeps all of httpx's cost and adds aiohttp's.

So the core's own client is :class:`FastClient`, still an
``httpx.AsyncClient`` (everything that takes one keeps working), whose
:meth:`~FastClient.build_request` and :meth:`~FastClient.send` handle the
requests the core makes (method, URL, params, form or JSON body, headers,
basic auth, timeouts) with little Python in between, over
:class:`Http11Transport`: HTTP/1.1 with keep-alive, one code path for
asyncio and trio down to the socket, which is anyio's stream on trio and
asyncio's own transport on asyncio (see :class:`_AsyncioStream`).
Anything else (cookies, redirects, event hooks, other auth schemes,
streamed bodies) goes through httpx's own path, over the same transport.

What must not change, and is tested in tests/test_transport.py: timeouts
(connect, read, write, pool), failures raised as the httpx exception types
the retry logic tells apart (``ConnectError``/``ConnectTimeout``/
``PoolTimeout``: the request was never sent; ``ReadTimeout``/
``RemoteProtocolError``/…: it may have been), TLS verified against httpx's
CA bundle, and proxies: with a proxy configured in the environment the core
gets a plain ``httpx.AsyncClient``, which honours it. So does a test that
mocks httpx with respx or pytest-httpx: those replace httpx's own transport,
which the fast client does not use.
"""

from __future__ import annotations

import asyncio
import datetime
import errno
import functools
import json as jsonlib
import math
import os
import re
import select
import socket
import ssl
import sys
import time
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlencode

import anyio
import anyio.abc
import httpcore
import httpx
import sniffio

__all__ = ["FastClient", "Http11Transport", "create_client", "failure_text"]

_PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")
_DEFAULT_LIMITS = httpx.Limits()
# A response head larger than this is not an API answer.
_MAX_HEAD = 64 * 1024
_RECEIVE = 256 * 1024
_CHUNK_SIZE = re.compile(rb"[0-9A-Fa-f]{1,16}")
# Bodies up to this size go out in the same write as the head.
_COALESCE = 64 * 1024
_Origin = tuple[str, str, int]
_Timeouts = tuple[float | None, float | None, float | None, float | None]  # connect, read, write, pool
_RawHeaders = list[tuple[bytes, bytes]]
# (name, lowercased name, value): the form httpx.Headers keeps them in.
_HeaderItems = list[tuple[bytes, bytes, bytes]]
# anyio's delay between connection attempts to a host's addresses (RFC 6555).
_HAPPY_EYEBALLS_DELAY = 0.25


def create_client(
    *,
    timeout: httpx.Timeout,
    limits: httpx.Limits,
    transport: httpx.AsyncBaseTransport | None = None,
) -> httpx.AsyncClient:
    """The client the core owns: the fastest one that behaves as httpx would here.

    An explicit ``transport`` (tests, mocks) gets a plain client around it,
    and so do an environment that configures a proxy and a test double that
    has taken over httpx's own transport (respx, pytest-httpx).
    """
    if transport is not None or _proxy_configured() or _httpx_is_patched():
        return httpx.AsyncClient(
            timeout=timeout, limits=limits, transport=transport, follow_redirects=False, trust_env=True
        )
    return FastClient(timeout=timeout, limits=limits)


def _proxy_configured() -> bool:
    return any(os.environ.get(name) or os.environ.get(name.lower()) for name in _PROXY_VARIABLES)


# Where respx (httpcore's pool, or the client's transport lookup) and pytest-httpx (httpx's
# transport) hook in to answer requests; a replaced method no longer comes from its library.
_MOCK_TARGETS = (
    (httpcore.AsyncConnectionPool, "handle_async_request", "httpcore."),
    (httpx.AsyncHTTPTransport, "handle_async_request", "httpx."),
    (httpx.AsyncClient, "_transport_for_url", "httpx."),
)


def _httpx_is_patched() -> bool:
    return any(
        not str(getattr(getattr(owner, name, None), "__module__", "")).startswith(library)
        for owner, name, library in _MOCK_TARGETS
    )


# -- the transport --------------------------------------------------------------------------


class _Response:
    """A complete HTTP/1.1 response, body read."""

    __slots__ = ("body", "encoded", "headers", "reason", "status", "version")

    def __init__(
        self, status: int, reason: bytes, version: bytes, headers: _HeaderItems, body: bytes, encoded: bool
    ) -> None:
        self.status = status
        self.reason = reason
        self.version = version
        self.headers = headers
        self.body = body
        #: the body has a Content-Encoding to undo
        self.encoded = encoded


class _AsyncioStream(asyncio.Protocol, anyio.abc.AsyncResource):
    """A connection straight on asyncio's transport: the part of anyio's stream the pool uses.

    anyio's asyncio stream pauses and resumes reading around every receive
    (two ``epoll_ctl`` calls) and passes through the event loop once more
    per send to check for cancellation: per request, about a sixth of the
    core's instructions (callgrind), system calls aside. Here the loop reads
    whenever data comes, into a list the next :meth:`receive` takes.
    Cancellation still works: anyio's cancel scopes cancel the task, which
    interrupts the wait on the future.
    Errors and end of stream are raised as anyio's stream raises them, so
    :class:`_Connection` does not tell the two apart. Used only on asyncio;
    trio gets anyio's stream, which is thin there.
    """

    def __init__(self) -> None:
        self._transport: asyncio.Transport | None = None
        self.fd = -1
        self._chunks: list[bytes] = []
        self._waiter: asyncio.Future[None] | None = None
        self._drained: asyncio.Future[None] | None = None
        self._eof = False
        self._error: Exception | None = None

    # -- asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]
        self.fd = transport.get_extra_info("socket").fileno()

    def data_received(self, data: bytes) -> None:
        self._chunks.append(data)
        self._wake()

    def eof_received(self) -> bool:
        self._eof = True
        self._wake()
        return False  # close the transport: a half-open connection is of no use to HTTP/1.1

    def connection_lost(self, exc: Exception | None) -> None:
        self._eof = True
        self._error = exc
        self._wake()
        drained, self._drained = self._drained, None
        if drained is not None and not drained.done():
            drained.set_result(None)

    def pause_writing(self) -> None:
        self._drained = asyncio.get_running_loop().create_future()

    def resume_writing(self) -> None:
        drained, self._drained = self._drained, None
        if drained is not None and not drained.done():
            drained.set_result(None)

    def _wake(self) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    # -- what _Connection uses

    async def send(self, data: bytes) -> None:
        transport = self._transport
        if transport is None or transport.is_closing():
            raise anyio.BrokenResourceError from self._error
        transport.write(data)
        if self._drained is not None:  # the kernel's buffer is full: wait until it takes more
            await self._drained
            if transport.is_closing():
                raise anyio.BrokenResourceError from self._error

    async def receive(self, max_bytes: int) -> bytes:
        """All that has come so far, waiting for some if nothing has (``max_bytes`` is not a limit)."""
        chunks = self._chunks
        if not chunks:
            if self._eof:
                if self._error is not None:
                    raise anyio.BrokenResourceError from self._error
                raise anyio.EndOfStream
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
            return await self.receive(max_bytes)
        data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        chunks.clear()
        return data

    @property
    def spent(self) -> bool:
        """Closed by the peer, or it sent something unasked: of no use for another request."""
        return self._eof or bool(self._chunks)

    async def aclose(self) -> None:
        if self._transport is not None:
            self._transport.abort()


class _Connection:
    __slots__ = ("buffer", "fd", "idle_since", "stream", "waited")

    def __init__(self, stream: anyio.abc.ByteStream | _AsyncioStream) -> None:
        self.stream = stream
        self.fd: int = (
            stream.fd
            if isinstance(stream, _AsyncioStream)
            else stream.extra(anyio.abc.SocketAttribute.raw_socket).fileno()  # noqa: S610 - anyio, not Django
        )
        self.buffer = bytearray()
        self.idle_since = 0.0
        # Whether this response has waited for data once already (the read timeout restarts after each wait).
        self.waited = False

    def is_stale(self, now: float, expiry: float | None) -> bool:
        """Idle too long, or the server has closed it (or sent something unasked)."""
        if expiry is not None and now - self.idle_since > expiry:
            return True
        if isinstance(self.stream, _AsyncioStream) and self.stream.spent:
            return True  # and its socket may be closed already, its number another's by now
        return bool(self.buffer) or _readable(self.fd)

    async def exchange(
        self, head: bytes, body: bytes, method: str, timeouts: _Timeouts
    ) -> tuple[_Response, bool]:
        """Send one request and read its response: (response, connection reusable)."""
        _, read_timeout, write_timeout, _ = timeouts
        sent = False
        with anyio.CancelScope() as scope:
            if len(head) + len(body) > _COALESCE:
                # A smaller request fits the socket's buffers, which the last response emptied: its
                # write does not wait, and a timer would cost as much as the write. (The core's
                # exchange deadline still bounds it.)
                scope.deadline = _deadline(write_timeout)
            try:
                if len(body) <= _COALESCE:
                    await self.stream.send(head + body)
                else:
                    await self.stream.send(head)
                    await self.stream.send(body)
            except (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError) as exc:
                raise httpx.WriteError(_describe(exc, "connection lost while sending")) from exc
            sent = True
            scope.deadline = _deadline(read_timeout)
            self.waited = False
            return await self._read_response(method, scope, read_timeout)
        # Only this scope's own deadline ends up here.
        if sent:
            raise httpx.ReadTimeout("timed out waiting for the response")
        raise httpx.WriteTimeout("timed out sending the request")

    async def _receive(self, scope: anyio.CancelScope, read_timeout: float | None) -> bool:
        """Append what the server sends next to the buffer; False at end of stream."""
        if self.waited and read_timeout is not None:
            # As in httpx, the read timeout bounds each wait for data, not the whole body.
            scope.deadline = anyio.current_time() + read_timeout
        self.waited = True
        try:
            chunk = await self.stream.receive(_RECEIVE)
        except anyio.EndOfStream:
            return False
        except (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError) as exc:
            raise httpx.ReadError(_describe(exc, "connection lost while reading")) from exc
        self.buffer += chunk
        return True

    async def _more(self, scope: anyio.CancelScope, read_timeout: float | None) -> None:
        if not await self._receive(scope, read_timeout):
            raise httpx.RemoteProtocolError("peer closed connection without sending complete message body")

    async def _read_response(
        self, method: str, scope: anyio.CancelScope, read_timeout: float | None
    ) -> tuple[_Response, bool]:
        buffer = self.buffer
        while True:
            end = buffer.find(b"\r\n\r\n")
            while end < 0:
                if len(buffer) > _MAX_HEAD:
                    raise httpx.RemoteProtocolError("response head too large")
                if not await self._receive(scope, read_timeout):
                    raise httpx.RemoteProtocolError(
                        "Server disconnected without sending a response."
                        if not buffer
                        else "Server disconnected in the middle of the response head."
                    )
                end = buffer.find(b"\r\n\r\n")
            status, reason, version, headers = _parse_head(bytes(buffer[:end]))
            del buffer[: end + 4]
            # Interim responses (100 Continue, 103 Early Hints) come before the real one.
            if not 100 <= status < 200 or status == 101:
                break
        length, chunked, close, encoded = _framing(headers, version)
        if method == "HEAD" or status in (204, 304) or status == 101:
            body = b""
        elif chunked:
            body = await self._read_chunked(scope, read_timeout)
        elif length is not None:
            while len(buffer) < length:
                await self._more(scope, read_timeout)
            body = bytes(buffer[:length])
            del buffer[:length]
        else:
            # No framing: the body runs until the server closes the connection.
            while await self._receive(scope, read_timeout):
                pass
            body = bytes(buffer)
            buffer.clear()
            close = True
        # Bytes beyond the response would be taken for the answer to the next request.
        reusable = not close and not buffer and status != 101
        return _Response(status, reason, version, headers, body, encoded), reusable

    async def _read_chunked(self, scope: anyio.CancelScope, read_timeout: float | None) -> bytes:
        buffer = self.buffer
        parts: list[bytes] = []
        while True:
            line = await self._line(scope, read_timeout)
            size_text = line.split(b";", 1)[0].strip(b" \t")
            if not _CHUNK_SIZE.fullmatch(size_text):
                raise httpx.RemoteProtocolError(f"bad chunk size {size_text[:20]!r}")
            size = int(size_text, 16)
            if size == 0:
                # Trailers, if any, end with an empty line; httpx drops them too.
                while await self._line(scope, read_timeout):
                    pass
                return b"".join(parts)
            while len(buffer) < size + 2:
                await self._more(scope, read_timeout)
            if buffer[size : size + 2] != b"\r\n":
                raise httpx.RemoteProtocolError("chunk not terminated by CRLF")
            parts.append(bytes(buffer[:size]))
            del buffer[: size + 2]

    async def _line(self, scope: anyio.CancelScope, read_timeout: float | None) -> bytes:
        buffer = self.buffer
        end = buffer.find(b"\r\n")
        while end < 0:
            if len(buffer) > _MAX_HEAD:
                raise httpx.RemoteProtocolError("chunk header too large")
            await self._more(scope, read_timeout)
            end = buffer.find(b"\r\n")
        line = bytes(buffer[:end])
        del buffer[: end + 2]
        return line


def _readable(fd: int) -> bool:
    if sys.platform == "win32" or not hasattr(select, "poll"):  # pragma: no cover - the tests run on Linux
        return bool(select.select([fd], [], [], 0)[0])
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(0))


def _deadline(timeout: float | None) -> float:
    return math.inf if timeout is None else anyio.current_time() + timeout


def _describe(exc: BaseException, fallback: str) -> str:
    cause = exc.__cause__ or exc.__context__
    return str(exc) or (str(cause) if cause is not None else "") or fallback


def _parse_head(head: bytes) -> tuple[int, bytes, bytes, _HeaderItems]:
    lines = head.split(b"\r\n")
    parts = lines[0].split(b" ", 2)
    if (
        len(parts) < 2
        or parts[0] not in (b"HTTP/1.1", b"HTTP/1.0")
        or len(parts[1]) != 3
        or not parts[1].isdigit()
    ):
        raise httpx.RemoteProtocolError(f"malformed status line {lines[0][:60]!r}")
    headers = []
    for line in lines[1:]:
        name, colon, value = line.partition(b":")
        if not colon or not name or name != name.strip() or b"\n" in line:
            raise httpx.RemoteProtocolError(f"malformed header line {line[:60]!r}")
        headers.append((name, name.lower(), value.strip(b" \t")))
    return int(parts[1]), parts[2] if len(parts) > 2 else b"", parts[0], headers


def _framing(headers: _HeaderItems, version: bytes) -> tuple[int | None, bool, bool, bool]:
    """Content length (or None), chunked, whether the server closes the connection, and encoded."""
    length: int | None = None
    chunked = False
    close = version == b"HTTP/1.0"
    encoded = False
    for _, key, value in headers:
        if key == b"content-length":
            if not value.isdigit() or (length is not None and length != int(value)):
                raise httpx.RemoteProtocolError(f"bad Content-Length {value[:20]!r}")
            length = int(value)
        elif key == b"transfer-encoding":
            chunked = value.lower().rsplit(b",", 1)[-1].strip() == b"chunked"
            if not chunked:
                close = True  # any other final coding is delimited by the connection closing
        elif key == b"connection":
            tokens = {token.strip() for token in value.lower().split(b",")}
            if b"close" in tokens:
                close = True
            elif b"keep-alive" in tokens:
                close = False
        elif key == b"content-encoding":
            encoded = value.strip().lower() not in (b"", b"identity")
    if chunked:
        length = None
    return length, chunked, close, encoded


def _encode_head(method: str, target: bytes, headers: _RawHeaders) -> bytes:
    lines = [b"%s %s HTTP/1.1" % (method.encode("ascii"), target or b"/")]
    lines.extend(name + b": " + value for name, value in headers)
    lines.append(b"\r\n")
    head = b"\r\n".join(lines)
    # Every CR and LF must be one of ours: one in a name, value or target would smuggle in a header.
    if head.count(b"\r") != len(lines) or head.count(b"\n") != len(lines) or b"\0" in head:
        raise httpx.LocalProtocolError("invalid character in the request line or a header")
    if method.count(" ") or target.count(b" "):
        raise httpx.LocalProtocolError("invalid request line")
    return head


class Http11Transport(httpx.AsyncBaseTransport):
    """HTTP/1.1 with a keep-alive connection pool, under asyncio and trio.

    Bodies are read whole before the response is returned: API answers,
    not downloads. ``limits`` bound connections as in httpx's own
    transport; TLS uses httpx's CA bundle (``SSL_CERT_FILE``/
    ``SSL_CERT_DIR`` honoured) with verification always on.
    """

    def __init__(
        self, *, limits: httpx.Limits = _DEFAULT_LIMITS, ssl_context: ssl.SSLContext | None = None
    ) -> None:
        self._limits = limits
        self._ssl_context = ssl_context
        self._idle: dict[_Origin, list[_Connection]] = {}
        self._idle_count = 0
        self._slots: anyio.Semaphore | None = None
        self._closed = False

    # -- the pool -------------------------------------------------------------------------

    async def _acquire(self, pool_timeout: float | None) -> None:
        if self._closed:
            raise httpx.ConnectError("the transport is closed")
        if self._limits.max_connections is None:
            return
        if self._slots is None:
            self._slots = anyio.Semaphore(self._limits.max_connections)
        try:
            self._slots.acquire_nowait()
        except anyio.WouldBlock:
            with anyio.move_on_after(math.inf if pool_timeout is None else pool_timeout) as scope:
                await self._slots.acquire()
            if scope.cancelled_caught:
                raise httpx.PoolTimeout("timed out waiting for a free connection") from None

    def _release(self) -> None:
        if self._slots is not None:
            self._slots.release()

    async def _checkout(self, origin: _Origin, connect_timeout: float | None) -> _Connection:
        idle = self._idle.get(origin)
        if idle:
            now = time.monotonic()
            while idle:
                connection = idle.pop()
                self._idle_count -= 1
                if not connection.is_stale(now, self._limits.keepalive_expiry):
                    return connection
                await anyio.aclose_forcefully(connection.stream)
        return await self._connect(origin, connect_timeout)

    async def _checkin(self, origin: _Origin, connection: _Connection, reusable: bool) -> None:
        keep = self._limits.max_keepalive_connections
        if reusable and not self._closed and (keep is None or self._idle_count < keep):
            connection.idle_since = time.monotonic()
            self._idle.setdefault(origin, []).append(connection)
            self._idle_count += 1
        else:
            await anyio.aclose_forcefully(connection.stream)

    async def _connect(self, origin: _Origin, connect_timeout: float | None) -> _Connection:
        scheme, host, port = origin
        if scheme == "https" and self._ssl_context is None:
            # Built on first use: loading the CA bundle takes tens of milliseconds.
            self._ssl_context = httpx.create_ssl_context(verify=True, trust_env=True)
        context = self._ssl_context if scheme == "https" else None
        stream: anyio.abc.ByteStream | _AsyncioStream
        try:
            with anyio.fail_after(connect_timeout):
                if sniffio.current_async_library() == "asyncio":
                    loop = asyncio.get_running_loop()
                    connect = functools.partial(
                        loop.create_connection,
                        _AsyncioStream,
                        host,
                        port,
                        ssl=context,
                        server_hostname=host if context is not None else None,
                    )
                    # The standard loop's: uvloop's (a service's loop as often as not) takes no such
                    # argument, and tries a host's addresses one after the other.
                    if isinstance(loop, asyncio.BaseEventLoop):
                        connect = functools.partial(connect, happy_eyeballs_delay=_HAPPY_EYEBALLS_DELAY)
                    _, stream = await connect()
                elif context is not None:
                    stream = await anyio.connect_tcp(
                        host, port, ssl_context=context, tls_hostname=host, tls_standard_compatible=False
                    )
                else:
                    stream = await anyio.connect_tcp(host, port)
        except TimeoutError:
            raise httpx.ConnectTimeout(f"timed out connecting to {host}:{port}") from None
        except (OSError, anyio.BrokenResourceError) as exc:  # ssl.SSLError is an OSError
            raise httpx.ConnectError(f"cannot connect to {host}:{port}: {_describe(exc, 'failed')}") from exc
        return _Connection(stream)

    # -- requests -------------------------------------------------------------------------

    async def send_request(self, request: httpx.Request) -> _Response:
        """Send ``request`` as it is (its body already read) and read the whole response."""
        url = request.url
        if url.scheme not in ("http", "https"):
            raise httpx.UnsupportedProtocol(f"unsupported URL scheme {url.scheme!r}")
        origin = (
            url.scheme,
            url.raw_host.decode("ascii"),
            url.port or (443 if url.scheme == "https" else 80),
        )
        timeout = request.extensions.get("timeout", {})
        timeouts = (timeout.get("connect"), timeout.get("read"), timeout.get("write"), timeout.get("pool"))
        head = _encode_head(request.method, url.raw_path, request.headers.raw)
        await self._acquire(timeouts[3])
        try:
            connection = await self._checkout(origin, timeouts[0])
            try:
                trace = request.extensions.get("trace")
                if trace is not None:
                    # httpcore's event name: callers time the exchange from this moment.
                    await trace("http11.send_request_headers.started", {"request": request})
                body = await request.aread()
                response, reusable = await connection.exchange(head, body, request.method, timeouts)
            except BaseException:
                await anyio.aclose_forcefully(connection.stream)
                raise
            await self._checkin(origin, connection, reusable)
        finally:
            self._release()
        return response

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """The httpx transport interface, for the requests httpx builds and sends itself."""
        body = await request.aread()
        if "transfer-encoding" in request.headers:
            # A streamed body, now read whole: it goes out with a length instead.
            del request.headers["transfer-encoding"]
            request.headers["Content-Length"] = str(len(body))
        raw = await self.send_request(request)
        return httpx.Response(
            raw.status,
            headers=_headers(raw.headers),
            stream=httpx.ByteStream(raw.body),
            extensions={"http_version": raw.version, "reason_phrase": raw.reason},
        )

    async def aclose(self) -> None:
        self._closed = True
        idle, self._idle = self._idle, {}
        self._idle_count = 0
        for connections in idle.values():
            for connection in connections:
                await anyio.aclose_forcefully(connection.stream)


# -- the client -----------------------------------------------------------------------------


def _text(value: Any) -> str:
    # httpx's rule for form and query values: JSON-style booleans, None as empty.
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return ""
    return str(value)


def _pairs(values: Mapping[str, Any]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for key, value in values.items():
        if isinstance(value, list | tuple):
            pairs.extend((key, _text(item)) for item in value)
        else:
            pairs.append((key, _text(value)))
    return pairs


def _headers(items: _HeaderItems) -> httpx.Headers:
    """``httpx.Headers`` holding ``items`` as they are: names and values are bytes already.

    The public constructor normalises each name and value again with two
    Python calls per header (a twentieth of a request's CPU time for the
    fifteen or so an API sends back). ``httpx.Headers`` keeps exactly these
    triples in ``_list``; where that is not so, the constructor does the
    work (tests/test_transport.py compares the two).
    """
    headers = httpx.Headers()
    if type(getattr(headers, "_list", None)) is not list:
        return httpx.Headers([(name, value) for name, _, value in items])
    headers._list = items
    return headers


def _with_query(url: httpx.URL, query: str) -> httpx.URL:
    """``url.copy_with(query=query)`` for a query made by ``urlencode``, without parsing the URL again.

    ``copy_with`` validates every component of the URL afresh, character by
    character: a tenth of the CPU time of a whole search. A query made by
    ``urlencode`` is valid as it stands (unreserved characters, ``%XX``,
    ``+``, ``=`` and ``&``), so only the query of the parsed URL is replaced.
    That reaches into httpx's parsed form; where it is not there, or not as
    expected, ``copy_with`` does the work (tests/test_transport.py compares
    the two).
    """
    parsed = getattr(url, "_uri_reference", None)
    if not isinstance(parsed, tuple) or "query" not in getattr(parsed, "_fields", ()):
        return url.copy_with(query=query.encode("ascii"))
    result = httpx.URL.__new__(httpx.URL)
    result._uri_reference = parsed._replace(query=query)  # type: ignore[attr-defined]
    return result


class FastClient(httpx.AsyncClient):
    """An ``httpx.AsyncClient`` whose plain requests skip most of httpx's machinery.

    :meth:`build_request` takes the short path when there is no ``content``,
    ``files`` or ``cookies`` and the client has no base URL; :meth:`send`
    when the request is not streamed, does not follow redirects, has its
    body in memory and none or basic auth, and the client has no event
    hooks or cookies. The short paths put the bytes on the wire that httpx
    would and return ordinary ``httpx.Request``/``httpx.Response`` objects.
    Cookies that responses set are not kept (an API client has no use for
    them). Everything else goes through httpx unchanged, over the same
    transport.
    """

    def __init__(self, *, timeout: httpx.Timeout, limits: httpx.Limits) -> None:
        self._fast = Http11Transport(limits=limits)
        super().__init__(timeout=timeout, transport=self._fast, follow_redirects=False, trust_env=False)
        self._auth_cache: tuple[httpx.Auth, str] | None = None
        self._headers_cache: tuple[object, _HeaderItems, frozenset[str]] | None = None

    def build_request(
        self,
        method: str,
        url: httpx.URL | str,
        *,
        content: Any = None,
        data: Any = None,
        files: Any = None,
        json: Any = None,
        params: Any = None,
        headers: Any = None,
        cookies: Any = None,
        timeout: Any = httpx.USE_CLIENT_DEFAULT,
        extensions: Any = None,
    ) -> httpx.Request:
        target = url if isinstance(url, httpx.URL) else httpx.URL(url)
        if (
            content is not None
            or files is not None
            or cookies is not None
            or (params and target.query)
            or not (data is None or isinstance(data, Mapping))
            or not (params is None or isinstance(params, Mapping))
            or not (headers is None or isinstance(headers, Mapping))
            or self.params
            or self.cookies
            or self.base_url.host
            or self.base_url.raw_path not in (b"", b"/")
        ):
            return super().build_request(
                method,
                url,
                content=content,
                data=data,
                files=files,
                json=json,
                params=params,
                headers=headers,
                cookies=cookies,
                timeout=timeout,
                extensions=extensions,
            )
        if params:
            target = _with_query(target, urlencode(_pairs(params)))
        body = b""
        content_type: bytes | None = None
        if data:
            body = urlencode(_pairs(data)).encode("utf-8")
            content_type = b"application/x-www-form-urlencoded"
        elif json is not None:
            body = jsonlib.dumps(json, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
            content_type = b"application/json"
        merged, names = self._merged_headers(headers)
        # What httpx adds where the caller has not set it.
        items = merged if "host" in names else [(b"Host", b"host", target.netloc), *merged]
        if content_type is not None and "content-type" not in names:
            items.append((b"Content-Type", b"content-type", content_type))
        if (body or method.upper() in ("POST", "PUT", "PATCH")) and "content-length" not in names:
            items.append((b"Content-Length", b"content-length", b"%d" % len(body)))
        config = self.timeout if timeout is httpx.USE_CLIENT_DEFAULT else httpx.Timeout(timeout)
        request = httpx.Request(
            method,
            target,
            headers=_headers(items),
            stream=httpx.ByteStream(body),
            extensions={**(extensions or {}), "timeout": config.as_dict()},
        )
        request.read()  # the body is in memory: request.content works, as with httpx's own requests
        return request

    def _merged_headers(self, headers: Mapping[str, Any] | None) -> tuple[_HeaderItems, frozenset[str]]:
        """The client's headers updated with the request's, as httpx merges them, and their names.

        Cached: the core sends the same headers with every request.
        """
        key = (self.headers.raw, tuple(headers.items()) if headers else ())
        cached = self._headers_cache
        if cached is None or cached[0] != key:
            merged = httpx.Headers(self.headers)
            if headers:
                merged.update(headers)
            items = [(name, name.lower(), value) for name, value in merged.raw]
            cached = self._headers_cache = (key, items, frozenset(merged.keys()))
        return list(cached[1]), cached[2]

    async def send(
        self,
        request: httpx.Request,
        *,
        stream: bool = False,
        auth: Any = httpx.USE_CLIENT_DEFAULT,
        follow_redirects: Any = httpx.USE_CLIENT_DEFAULT,
    ) -> httpx.Response:
        credentials = self._basic_auth(self.auth if auth is httpx.USE_CLIENT_DEFAULT else auth)
        if (
            credentials is None
            or stream
            or follow_redirects is True
            or (self.follow_redirects and follow_redirects is httpx.USE_CLIENT_DEFAULT)
            or not isinstance(request.stream, httpx.ByteStream)
            or self.cookies
            or any(self.event_hooks.values())
        ):
            return await super().send(request, stream=stream, auth=auth, follow_redirects=follow_redirects)
        if self.is_closed:
            raise RuntimeError("Cannot send a request, as the client has been closed.")  # as httpx words it
        if credentials:
            request.headers["Authorization"] = credentials
        started = time.perf_counter()
        answer = await self._fast.send_request(request)
        response = httpx.Response(
            answer.status,
            headers=_headers(answer.headers),
            stream=httpx.ByteStream(answer.body),
            request=request,
            extensions={"http_version": answer.version, "reason_phrase": answer.reason},
        )
        if answer.encoded:
            # httpx's decoders undo the Content-Encoding; synchronously, since the body is all here:
            # a body that fails to decode then leaves no async generator of httpx's half-run, which
            # trio would report as a ResourceWarning.
            response.read()
        else:
            # What aread() leaves behind, without passing the body through httpx's decoder
            # chain to no effect (a sixth of this client's CPU time per request).
            response._content = answer.body
            response.is_stream_consumed = True
            response.is_closed = True
        response.elapsed = datetime.timedelta(seconds=time.perf_counter() - started)
        return response

    def _basic_auth(self, auth: Any) -> str | None:
        """The Authorization value for no auth (``""``) or basic auth; None for anything else."""
        if auth is None:
            return ""
        if isinstance(auth, tuple) and len(auth) == 2:
            auth = httpx.BasicAuth(*auth)
        if type(auth) is not httpx.BasicAuth:
            return None
        cached = self._auth_cache
        if cached is not None and cached[0] is auth:
            return cached[1]
        # httpx computes the header, once, through its public auth flow.
        value = next(auth.sync_auth_flow(httpx.Request("GET", "http://localhost/"))).headers["Authorization"]
        self._auth_cache = (auth, value)
        return value


# -- failures in the user's words -------------------------------------------------------------

# What the operating system's error numbers mean to someone who cannot reach a carrier.
_OS_REASONS = {
    errno.ECONNREFUSED: "connection refused",
    errno.ETIMEDOUT: "timed out",
    errno.EHOSTUNREACH: "host unreachable",
    errno.ENETUNREACH: "network unreachable",
    errno.ECONNRESET: "connection reset",
    errno.ECONNABORTED: "connection aborted",
    errno.EADDRNOTAVAIL: "address not available here",
    errno.EPIPE: "connection closed",
}
# Python 3.11's asyncio reports several failed addresses as one OSError without an errno.
_ERRNO_IN_TEXT = re.compile(r"\[Errno (-?\d+)\]")
# How httpx, httpcore and this transport word an answer cut short (the rest of their protocol
# errors are answers that are not HTTP).
_CUT_SHORT = ("closed", "disconnect", "incomplete")


def failure_text(exc: BaseException, request: httpx.Request) -> str:
    """What a failed exchange means, in words for the person who sent ``request``.

    The same words whichever client failed (this transport, httpx's own,
    a user's): no exception class, no errno tuple. The exchange's host and
    port are named, and the timeout that ran out.
    """
    url = request.url
    host = url.host
    where = f"{host}:{url.port or (443 if url.scheme == 'https' else 80)}"
    timeouts = request.extensions.get("timeout", {})
    if isinstance(exc, httpx.ConnectTimeout):
        return f"cannot connect to {where} (no reply{_within(timeouts.get('connect'))})"
    if isinstance(exc, httpx.ReadTimeout):
        return f"no answer from {where}{_within(timeouts.get('read'))}"
    if isinstance(exc, httpx.WriteTimeout):
        return f"sending the request to {where} did not finish{_within(timeouts.get('write'))}"
    if isinstance(exc, httpx.PoolTimeout):
        return f"no free connection to {where}{_within(timeouts.get('pool'))} (too many requests at once)"
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out talking to {where}"
    if isinstance(exc, httpx.ProxyError):
        return f"the proxy could not reach {where}"
    if isinstance(exc, httpx.UnsupportedProtocol):
        return f"cannot send a request to {url.scheme or 'a relative'}:// URLs: only http:// and https://"
    if isinstance(exc, httpx.LocalProtocolError):
        return "the request cannot be sent: a header or the URL holds a character HTTP forbids"
    causes = list(_causes(exc))
    if isinstance(exc, httpx.ConnectError):
        return _connect_failure(causes, host, where)
    if _os_errno(causes) == errno.ECONNRESET:
        return f"the connection was reset before the answer came from {where}"
    if isinstance(exc, httpx.RemoteProtocolError):
        if any(word in str(exc).lower() for word in _CUT_SHORT):
            return f"the connection closed before the answer came from {where}"
        return f"{where} answered something that is not HTTP"
    if isinstance(exc, httpx.WriteError):
        return f"the connection to {where} was lost while sending the request"
    if isinstance(exc, httpx.NetworkError):
        return f"the connection was lost before the answer came from {where}"
    if isinstance(exc, httpx.DecodingError):
        return f"the answer from {where} does not decode as its Content-Encoding says"
    if isinstance(exc, httpx.TooManyRedirects):
        return f"{where} redirected too many times"
    return f"the exchange with {where} failed"


def _within(seconds: float | None) -> str:
    return f" within {seconds:g} s" if seconds is not None else ""


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and everything it was raised from, exception groups' members included."""
    seen: set[int] = set()
    pending = [exc]
    while pending:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        if isinstance(current, BaseExceptionGroup):
            pending.extend(current.exceptions)
        pending.extend(link for link in (current.__cause__, current.__context__) if link is not None)


def _os_errno(causes: list[BaseException]) -> int | None:
    for cause in causes:
        if isinstance(cause, OSError) and not isinstance(cause, socket.gaierror) and cause.errno:
            return cause.errno
    found = {int(code) for cause in causes for code in _ERRNO_IN_TEXT.findall(str(cause))}
    return found.pop() if len(found) == 1 else None


def _connect_failure(causes: list[BaseException], host: str, where: str) -> str:
    for cause in causes:
        if isinstance(cause, socket.gaierror):
            if cause.errno == socket.EAI_AGAIN:
                return f"cannot find the host {host} (the name lookup failed for now: try again)"
            return f"cannot find the host {host} (no such name)"
        if isinstance(cause, ssl.SSLCertVerificationError):
            return (
                f"cannot connect securely to {where}: its certificate is not trusted "
                f"({cause.verify_message or 'verification failed'})"
            )
        if isinstance(cause, ssl.SSLError):
            reason = (getattr(cause, "reason", None) or "handshake failed").replace("_", " ").lower()
            return f"cannot connect securely to {where} (TLS: {reason})"
    code = _os_errno(causes)
    if code is None:
        return f"cannot connect to {where}"
    return f"cannot connect to {where} ({_OS_REASONS.get(code) or os.strerror(code).lower()})"
