"""An emulated carrier: one dialect's routes over the sandbox's state, with faults on demand.

The :class:`Emulator` is an ASGI app. A request whose path or query no
carrier's client sends, or whose body is announced too large, is refused
first (:mod:`._requests`: 400 or 413, in the dialect's own error shape, or
the control endpoints' ``{"error": …}``). Requests under ``/_emulator/`` are its
control endpoints (state, reset, faults, stock), never faulted or authenticated;
every other request draws its fault first (latency, 429, 503, a dropped
connection, the account's rate limit), then goes to the dialect's routes; a
change whose answer is to be lost (or left unanswered) is made, and its
answer thrown away. A route the dialect does not emulate is answered 404 in
the dialect's own error format, saying so.

Closing a connection without any answer is not something ASGI can say: the
servers here (:func:`serve`, and the in-process transport) give the app a
``numbers_core.hang_up`` extension that does it.

A dialect (one per carrier wire format, in the carrier's package) holds the
wire knowledge only: routes, bodies, authentication, errors. What accounts
own is the sandbox's: one :class:`SandboxProvider` per account over one
shared store, in memory or in a SQLite state file.
"""

from __future__ import annotations

import abc
import itertools
import re
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import anyio
import httpx
import pydantic_core
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from .._models import ActiveNumber, AvailableNumber, NumberConfig, SearchQuery
from .._provider import _list_filter
from ..errors import ConfigurationError, NumbersError, UnsupportedError
from ..sandbox import SandboxProvider, SandboxSettings
from ..sandbox._inventory import describe
from ..sandbox._sqlite import SqliteStore
from ..sandbox._store import ListFilter, MemoryStore, Store
from ._faults import Faults, Kind, TokenBucket, problems
from ._requests import MAX_BODY, BadRequest, Violation, check_size, check_target, decode_json, too_large
from ._stock import Stock, StockedSandbox, StockedStore

__all__ = ["HANG_UP", "Dialect", "Emulator", "Exchange", "JSONAnswer", "World", "reason"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_CHANGES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: the ASGI extension that closes the request's connection without answering: in
#: ``scope["extensions"]``, ``{"call": f}`` with ``await f()`` returning once the server knows the
#: connection is gone
HANG_UP = "numbers_core.hang_up"
# What a lost answer sends: a head promising more body than ever comes. The server then closes the
# connection, and the client sees the answer cut off, as when a link fails.
_PROMISED = b"4096"


@dataclass
class Exchange:
    """One request the emulator answered itself (faults aside), as ``record=True`` keeps them."""

    method: str
    path: str
    query: str
    status: int = 0  # until the whole answer was given
    body: bytes = b""


class JSONAnswer(JSONResponse):
    """Starlette's ``JSONResponse``, its body written by pydantic_core: the same bytes for strings,
    integers, booleans, null, lists and objects with string keys, in a third of the time or less
    (a page of a thousand numbers, a search's thirty). Not for a body that may hold a float: json and
    pydantic_core write some of them apart (``1e-05``, ``0.00001``). The suite checks every
    emulator's answers are written as json writes them (tests/providers/emulated.py)."""

    def render(self, content: Any) -> bytes:
        return pydantic_core.to_json(content)


# The sandbox's name in its refusals: the emulators run over it, the carriers they emulate do not.
_SANDBOX = re.compile(r" in the sandbox\b|\bsandbox\b", re.IGNORECASE)


def reason(error: BaseException) -> str:
    """What a dialect's answer says of a refusal the world (the sandbox) or a model raised: one
    line, never the sandbox's name, never a validation library's dump or its links."""
    if isinstance(error, UnsupportedError):
        text = f"not emulated: {error.feature}"
    elif isinstance(error, ValidationError):
        text = "; ".join(
            f"{'.'.join(map(str, problem['loc'])) or 'value'}: "
            f"{problem['ctx']['error'] if problem['type'] == 'value_error' else problem['msg']}"
            for problem in error.errors(include_url=False)
        )
    else:
        text = error.message if isinstance(error, NumbersError) else str(error)
    line = text.splitlines()[0] if text else ""
    return _SANDBOX.sub(lambda found: "" if found.group().startswith(" ") else "emulator", line)


class World:
    """Who owns what: the sandbox, one provider per account, all over one store, selling what
    its ``stock`` has left."""

    def __init__(self, state: str | Path | None = None) -> None:
        self.path = Path(state).expanduser().absolute() if state is not None else None
        self.stock = Stock()
        owned = MemoryStore() if self.path is None else SqliteStore(self.path, timeout=10.0)
        self._stocked = StockedStore(owned, self.stock)
        self.store: Store = self._stocked
        self._accounts: dict[str, SandboxProvider] = {}

    def account(self, account_id: str) -> SandboxProvider:
        """The sandbox acting as ``account_id``; an id that cannot be one (from a request's path) is
        :class:`BadRequest`."""
        carrier = self._accounts.get(account_id)
        if carrier is None:
            try:
                settings = SandboxSettings(account_id=account_id)
            except ValidationError:
                raise BadRequest(Violation("account", "pattern", "not an account id")) from None
            carrier = StockedSandbox(settings, store=self._stocked)
            self._accounts[account_id] = carrier
        return carrier

    async def offer(self, e164: str) -> AvailableNumber | None:
        """``e164`` as it is for sale now; None when it is not sold at all, or someone holds it."""
        found = await anyio.to_thread.run_sync(describe, e164, SandboxProvider.name)
        if found is None or await self.store.taken([found.phone_number]):
            return None
        return found

    async def page(
        self,
        account_id: str,
        after: str | None,
        size: int,
        *,
        contains: str | None = None,
        friendly_name: str | None = None,
    ) -> tuple[list[ActiveNumber], str | None]:
        """At most ``size`` of the account's numbers, in purchase order, after the cursor ``after``
        (None: from the first), and the cursor of the rest (None when there are no more).

        The filters are ``Provider.list``'s. The work is the page's: an emulated listing of a big
        account, page by page, is not the whole account read again for every page.
        """
        where = ListFilter(
            contains=None if contains is None else _list_filter(SearchQuery, "contains", contains),
            friendly_name=(
                None if friendly_name is None else _list_filter(NumberConfig, "friendly_name", friendly_name)
            ),
        )
        # One more than asked for: whether there are more is known without another look.
        rows = await self.store.page(account_id, int(after or 0), size + 1, where)
        following = str(rows[size - 1].seq) if len(rows) > size else None
        return [row.number() for row in rows[:size]], following

    async def owned(self) -> dict[str, list[str]]:
        """Every account's numbers, in purchase order."""
        owned: dict[str, list[str]] = {}
        for account_id in sorted(await self.store.accounts()):
            owned[account_id] = [n.phone_number async for n in self.account(account_id).list()]
        return owned

    async def clear(self) -> None:
        await self.store.clear()

    async def aclose(self) -> None:
        for carrier in self._accounts.values():
            await carrier.aclose()
        await self.store.aclose()


class Dialect(abc.ABC):
    """One carrier's wire format, emulated: subclass it in the carrier's package.

    Register the subclass under the ``numbers_core.emulators`` entry points,
    by the name of the provider that speaks it. Its routes read a body with
    :func:`read_json` or :func:`read_form`, in the shape the carrier documents
    (a :class:`Shape`); what they refuse, :meth:`bad_request` answers.
    """

    #: the provider name (``nc.connect(name, …)``) of the adapter that speaks this dialect
    name: ClassVar[str] = ""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.world = emulator.world

    @abc.abstractmethod
    def routes(self) -> list[BaseRoute]:
        """The carrier's routes (Starlette), relative to the server's root."""

    @abc.abstractmethod
    def error(self, status: int, message: str, *, retry_after: int | None = None) -> Response:
        """An error answer in the carrier's own format (429 with ``Retry-After`` when given)."""

    def bad_request(self, request: Request, refusal: BadRequest) -> Response:
        """The carrier's answer to a malformed request (``refusal.status``: 400, or 413 for a body
        too large): :meth:`error` with its message, unless the carrier details the fields."""
        return self.error(refusal.status, refusal.message)

    @abc.abstractmethod
    def client_settings(self, base_url: str) -> dict[str, Any]:
        """What ``nc.connect(self.name, **settings)`` needs to reach the emulator at ``base_url``."""

    def account_of(self, request: Request) -> str | None:
        """Whose rate budget a request spends (None: nobody's, e.g. not authenticated)."""
        return None

    def describe(self) -> dict[str, Any]:
        """Dialect state worth showing at ``/_emulator/state`` (credentials, tokens…)."""
        return {}

    def reset(self) -> None:  # noqa: B027 - a hook: most dialects keep nothing of their own
        """Forget the dialect's own state (tokens, scheduled work…); ownership is the world's."""


class Emulator:
    """An emulated carrier for ``dialect``, as an ASGI app.

    In process: ``emulator.transport()`` for an ``httpx.AsyncClient``, or
    ``emulator.connect()`` for a provider wired to it. As a server:
    :func:`numbers_core.emulator.serve`, or ``numbers emulate DIALECT``.
    """

    def __init__(
        self,
        dialect: str | type[Dialect],
        *,
        state: str | Path | None = None,
        faults: Faults | None = None,
        record: bool = False,
    ) -> None:
        """``state``: a SQLite file keeping who owns what between runs (memory when None).
        ``record``: keep every answer in ``exchanges`` (for checking them against a spec)."""
        from ._registry import load_dialect

        cls = load_dialect(dialect) if isinstance(dialect, str) else dialect
        self.world = World(state)
        self.faults = faults or Faults()
        self.dialect: Dialect = cls(self)
        self.requests = 0
        self.answered: dict[str, int] = {}
        self.exchanges: list[Exchange] | None = [] if record else None
        self._sequence = itertools.count()
        self._buckets: dict[str, TokenBucket] = {}
        self._clients: list[httpx.AsyncClient] = []
        self._app = Starlette(
            routes=[
                Route("/_emulator/state", self._state, methods=["GET"]),
                Route("/_emulator/reset", self._reset, methods=["POST"]),
                Route("/_emulator/faults", self._faults, methods=["GET", "PUT", "PATCH"]),
                Route("/_emulator/stock", self._stock, methods=["GET", "PUT", "PATCH"]),
                *self.dialect.routes(),
            ],
            exception_handlers={
                404: self._not_emulated,
                405: self._not_emulated,
                BadRequest: self._bad_request,
            },
        )

    def __repr__(self) -> str:
        where = "memory" if self.world.path is None else str(self.world.path)
        return f"<Emulator {self.dialect.name!r} at {where}>"

    # -- from Python ---------------------------------------------------------------------------

    def set_faults(self, **changes: Any) -> Faults:
        """Change some faults (``set_faults(throttled=0.1)``); the others stay. Returns them all."""
        try:
            self.faults = Faults.model_validate({**self.faults.model_dump(), **changes})
        except ValidationError as exc:
            raise ConfigurationError(f"faults: {problems(exc)}", setting="faults") from None
        self._buckets.clear()
        return self.faults

    def set_stock(self, changes: dict[str, int | None]) -> dict[str, int]:
        """Sell only so many more numbers under each E.164 prefix given (``{"+1415": 300}``; None:
        no limit), the others as before: a carrier that runs dry of an area code. Searches stop
        showing a prefix's numbers once it has none left. Returns what is left under each."""
        return self.world.stock.set(changes)

    async def warm(self) -> None:
        """Load the number metadata the inventory is drawn from, before the first request needs it."""
        await self.world.account("warm-up").search(limit=1)

    async def reset(self) -> None:
        """Forget every owned number, token and count; the faults and the stock given stay (all
        of it for sale again)."""
        await self.world.clear()
        self.world.stock.restock()
        self.dialect.reset()
        self._buckets.clear()
        self.requests = 0
        self.answered.clear()

    async def state(self) -> dict[str, Any]:
        """What the emulator holds: numbers by account, requests answered, faults, dialect state."""
        return {
            "dialect": self.dialect.name,
            "numbers": await self.world.owned(),
            "requests": self.requests,
            "answered": dict(sorted(self.answered.items())),
            "faults": self.faults.model_dump(),
            "stock": dict(self.world.stock.left),
            **self.dialect.describe(),
        }

    def client_settings(self, base_url: str = "http://127.0.0.1") -> dict[str, Any]:
        """What a client needs to reach the emulator at ``base_url`` (in process: any loopback URL)."""
        return self.dialect.client_settings(base_url.rstrip("/"))

    def transport(self) -> httpx.AsyncBaseTransport:
        """An in-process transport to this emulator: no socket, the same answers and faults."""
        return _InProcess(self)

    def connect(self, **settings: Any) -> Any:
        """A provider wired to this emulator in process (``async with emulator.connect() as c: …``)."""
        from .. import connect

        client = httpx.AsyncClient(transport=self.transport())
        self._clients.append(client)
        return connect(self.dialect.name, http_client=client, **{**self.client_settings(), **settings})

    async def aclose(self) -> None:
        for client in self._clients:
            await client.aclose()
        await self.world.aclose()

    # -- ASGI ------------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        control = scope["path"].startswith("/_emulator/")
        try:
            # Before anything else (faults included): a carrier's front end refuses these first.
            check_target(scope.get("raw_path") or scope["path"].encode(), scope["query_string"])
            check_size(scope["headers"])
        except BadRequest as refused:
            if not control:
                self.requests += 1
                send = self._count(send, scope, _Client(receive))
            await self._refused(Request(scope), refused)(scope, receive, send)
            return
        if control:
            await self._app(scope, _bounded(receive), send)
            return
        self.requests += 1
        decision = self.faults.draw(next(self._sequence), change=scope["method"] in _CHANGES)
        answer: Send = send
        due = None
        if decision.delay:
            # The request reaches the carrier half way through the latency, and its answer is due a
            # latency after it was sent: the emulator's own work is part of that time, as a
            # carrier's is, instead of piling up on top of it whenever many requests meet.
            due = anyio.current_time() + decision.delay
            await anyio.sleep(decision.delay / 2)
            answer = _when_due(send, due)
        kind = decision.kind
        if kind is Kind.DROPPED:
            self._tally("dropped")
            await _drain(receive)
            await _hang_up(scope, answer, due)
            return
        client = _Client(_bounded(receive))
        try:
            refusal = self._refusal(kind, scope)
            if refusal is not None:
                await refusal(scope, client.receive, self._count(answer, scope, client))
            elif kind in (Kind.LOST, Kind.UNANSWERED):
                await self._app(scope, client.receive, _swallowed)
                self._tally(kind.value)
                await (_drop(answer) if kind is Kind.LOST else _hang_up(scope, answer, due))
            else:
                await self._app(scope, client.receive, self._count(answer, scope, client))
        except ClientDisconnect:
            pass  # gone while its request was read, so before anything was done: counted below
        if client.gone:
            self._tally("client_gone")

    def _refusal(self, kind: Kind, scope: Scope) -> Response | None:
        if kind is Kind.THROTTLED:
            return self.dialect.error(429, "Too many requests", retry_after=self.faults.retry_after)
        if kind is Kind.THROTTLED_BARE:
            return self.dialect.error(429, "Too many requests")
        if kind is Kind.UNAVAILABLE:
            return self.dialect.error(503, "Service unavailable")
        if self.faults.rate_limit is None:
            return None
        # The request is read to know whose budget it spends: with a rate limit only.
        account = self.dialect.account_of(Request(scope))
        if account is None:
            return None
        bucket = self._buckets.get(account)
        if bucket is None:
            bucket = self._buckets[account] = TokenBucket(self.faults.rate_limit, self.faults.burst)
        wait = bucket.take()
        if wait is None:
            return None
        return self.dialect.error(
            429, f"Rate limit of {self.faults.rate_limit:g}/s exceeded", retry_after=wait
        )

    def _tally(self, outcome: str) -> None:
        self.answered[outcome] = self.answered.get(outcome, 0) + 1

    def _count(self, send: Send, scope: Scope, client: _Client) -> Send:
        exchange = None
        if self.exchanges is not None:
            exchange = Exchange(scope["method"], scope["path"], scope["query_string"].decode("latin-1"))
            self.exchanges.append(exchange)

        status = 0

        async def counted(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                client.answered = True
            await send(message)  # first: an answer held back and never given is not counted
            if client.gone:
                return  # the answer to a client gone (Starlette's 500 for it): nobody got it
            if message["type"] == "http.response.start":
                status = message["status"]
                self._tally(str(status))
            elif exchange is not None:
                exchange.body += message.get("body", b"")
                if not message.get("more_body", False):
                    exchange.status = status

        return counted

    # -- control endpoints -----------------------------------------------------------------------

    async def _state(self, request: Request) -> Response:
        return JSONResponse(await self.state())

    async def _reset(self, request: Request) -> Response:
        await self.reset()
        return JSONResponse(await self.state())

    async def _faults(self, request: Request) -> Response:
        return await _control(
            request, "faults", lambda changes: self.set_faults(**changes), lambda: self.faults.model_dump()
        )

    async def _stock(self, request: Request) -> Response:
        return await _control(
            request, "prefixes and counts", self.set_stock, lambda: dict(self.world.stock.left)
        )

    def _refused(self, request: Request, refusal: BadRequest) -> Response:
        if request.url.path.startswith("/_emulator/"):
            return JSONResponse({"error": refusal.message}, status_code=refusal.status)
        return self.dialect.bad_request(request, refusal)

    async def _bad_request(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, BadRequest)  # noqa: S101 - the only exception this handler is for
        return self._refused(request, exc)

    async def _not_emulated(self, request: Request, exc: Exception) -> Response:
        status = getattr(exc, "status_code", 404)
        return self.dialect.error(
            status, f"not emulated: {request.method} {request.url.path} ({self.dialect.name} emulator)"
        )


async def _control(
    request: Request,
    what: str,
    change: Callable[[dict[str, Any]], object],
    shown: Callable[[], dict[str, Any]],
) -> Response:
    """A control endpoint: ``shown()`` after a GET, or after a PUT or PATCH whose JSON object of
    ``what`` ``change`` applied; what it refuses, a 400 saying why."""
    if request.method != "GET":
        body = await request.body()
        changes = decode_json(body) if body else {}  # not JSON: a BadRequest, answered 400
        if not isinstance(changes, dict):
            return JSONResponse({"error": f"expected a JSON object of {what}"}, status_code=400)
        try:
            change(changes)
        except ConfigurationError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
    return JSONResponse(shown())


def _when_due(send: Send, due: float) -> Send:
    """``send``, holding the answer back until ``due`` (anyio's clock)."""
    started = False

    async def held(message: Message) -> None:
        nonlocal started
        if not started:
            started = True
            await anyio.sleep_until(due)
        await send(message)

    return held


def _bounded(receive: Receive) -> Receive:
    """``receive``, refusing a body past :data:`MAX_BODY` (one sent without a Content-Length)."""
    read = 0

    async def bounded() -> Message:
        nonlocal read
        message = await receive()
        read += len(message.get("body", b""))
        if read > MAX_BODY:
            raise too_large()
        return message

    return bounded


async def _swallowed(message: Message) -> None:
    """The answer of a change whose answer is lost: made, and thrown away."""


class _Client:
    """A request's client as the app reads it: whether it went away before being answered."""

    def __init__(self, receive: Receive) -> None:
        self._receive = receive
        self.answered = False
        self.gone = False

    async def receive(self) -> Message:
        message = await self._receive()
        # After the answer, a disconnect is the end of the exchange (in process, always).
        if message["type"] == "http.disconnect" and not self.answered:
            self.gone = True
        return message


async def _drain(receive: Receive) -> None:
    """Read the request to its end, unseen by the carrier: a connection closed with some of it
    unread is reset, not closed, and a client would see a reset or a close by the timing of its
    request's last bytes (those the server has not read when it hangs up)."""
    read = 0
    while read <= MAX_BODY:
        message = await receive()
        read += len(message.get("body", b""))
        if not message.get("more_body", False):
            return


async def _hang_up(scope: Scope, send: Send, due: float | None) -> None:
    """Close the connection without answering (at ``due``, with latency), where the server lets the
    app; anywhere else, cut an answer off, the nearest an ASGI app can come to it."""
    extension = scope.get("extensions", {}).get(HANG_UP)
    if extension is None:
        await _drop(send)
        return
    if due is not None:
        await anyio.sleep_until(due)
    await extension["call"]()


async def _drop(send: Send) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", _PROMISED)],
        }
    )
    await send({"type": "http.response.body", "body": b"{", "more_body": False})


class _HungUp(Exception):
    """In process: the emulator closed the connection without answering."""


class _InProcess(httpx.AsyncBaseTransport):
    """``httpx.ASGITransport``, with a cut-off answer and a connection closed without an answer
    seen as a client sees them over a socket: protocol errors."""

    def __init__(self, emulator: Emulator) -> None:
        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            hung_up = False

            async def hang_up() -> None:
                nonlocal hung_up
                hung_up = True

            extensions = {**scope.get("extensions", {}), HANG_UP: {"call": hang_up}}
            await emulator({**scope, "extensions": extensions}, receive, send)
            if hung_up:
                raise _HungUp

        self._asgi = httpx.ASGITransport(app=app)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            response = await self._asgi.handle_async_request(request)
        except _HungUp:
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            ) from None
        promised = response.headers.get("content-length")
        if promised == _PROMISED.decode():
            body = await response.aread()
            if len(body) < int(promised):
                raise httpx.RemoteProtocolError(
                    "peer closed connection without sending complete message body", request=request
                )
        return response

    async def aclose(self) -> None:
        await self._asgi.aclose()
