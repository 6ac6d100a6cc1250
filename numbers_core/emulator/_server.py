"""Emulators as real HTTP servers on 127.0.0.1 (uvicorn, HTTP/1.1 parsed by httptools)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sniffio
import uvicorn
from starlette.requests import ClientDisconnect
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from ._emulator import HANG_UP, Emulator
from ._tls import Certificate, make_certificate

__all__ = ["Server", "serve"]


class Server:
    """A running emulator server: its ``url``, and what a client needs to reach it."""

    def __init__(self, emulator: Emulator, url: str, *, ca_file: Path | None = None) -> None:
        self.emulator = emulator
        self.url = url
        #: served over HTTPS: the certificate of the authority that issued the server's, to trust
        self.ca_file = ca_file

    @property
    def settings(self) -> dict[str, Any]:
        """``nc.connect(server.emulator.dialect.name, **server.settings)``."""
        return self.emulator.client_settings(self.url)

    def connect(self, **settings: Any) -> Any:
        """A provider talking to this server over a socket."""
        from .. import connect

        return connect(self.emulator.dialect.name, **{**self.settings, **settings})


class _QuietCutOffs(logging.Filter):
    """The emulator cuts answers off on purpose (lost answers), and clients under test go away
    mid-request (killed, cancelled) while a control endpoint reads them (the carrier's routes count
    those as client_gone): uvicorn reports each as an error with its traceback, which says nothing
    about the emulator."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, ClientDisconnect):
            return False
        return not (isinstance(error, RuntimeError) and "shorter than Content-Length" in str(error))


_QUIET = _QuietCutOffs()


#: seconds a client has to send a whole request (head and body) once it begins one, or to begin
#: its first one once connected; uvicorn bounds neither, so a client that stops half way holds the
#: connection (and its slot) until it closes it
REQUEST_TIMEOUT = 10.0
_TOO_SLOW = b"the request came too slowly"
_TIMED_OUT = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"content-length: %d\r\nconnection: close\r\n\r\n%s" % (len(_TOO_SLOW), _TOO_SLOW)
)


class _Protocol(HttpToolsProtocol):
    """uvicorn's HTTP/1.1 over httptools, letting the app close a connection without answering
    (the ``numbers_core.hang_up`` extension): a connection cut before the server acts, or after.
    A request not whole within ``request_timeout`` seconds of its first byte closes the connection
    (with a 408 when not even its head came)."""

    request_timeout: float = REQUEST_TIMEOUT

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        # The server's thread runs asyncio's loop and nothing else (config() asks for it): said
        # once to sniffio, which anyio asks at every sleep, checkpoint, clock reading and event
        # (a dozen times a request), instead of being found out each time through asyncio.
        sniffio.thread_local.name = "asyncio"
        super().connection_made(transport)
        self._closed = asyncio.Event()
        self._deadline: asyncio.TimerHandle | None = None
        self._head = False  # whether the request under way has its head whole (an app acts on it)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)
        self._closed.set()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.scope["extensions"] = {HANG_UP: {"call": self._hang_up}}
        self._head = False
        self._arm()

    def on_headers_complete(self) -> None:
        self._head = True
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()

    def _arm(self) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(self.request_timeout, self._too_slow)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        if not self._head and (self.cycle is None or self.cycle.response_complete):
            self.transport.write(_TIMED_OUT)
        # Otherwise an app has the request (or an earlier one): it sees the client gone.
        self.transport.close()

    async def _hang_up(self) -> None:
        self.transport.close()
        # Once uvicorn has seen the connection go, it sends nothing for the request (no 500 for an
        # app that returns without answering).
        await self._closed.wait()


def config(
    emulator: Emulator,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    tls: Certificate | None = None,
    request_timeout: float = REQUEST_TIMEOUT,
) -> uvicorn.Config:
    # httptools always (not whatever uvicorn finds): a dropped connection must look the same on
    # every machine, and its C parser halves the server's time per request against h11. asyncio's
    # loop always, for the same reason: uvicorn would take uvloop wherever it is installed (the
    # bench's environment has it), and it saved no clear share of the server's CPU (0-10 % a
    # request, within the noise of runs on a shared machine; measured for purchases and searches).
    protocol = type("_Protocol", (_Protocol,), {"request_timeout": request_timeout})
    settings = uvicorn.Config(
        emulator,
        host=host,
        port=port,
        http=protocol,
        loop="asyncio",
        lifespan="off",
        log_level="warning",
        access_log=False,
        ssl_certfile=str(tls.cert_file) if tls else None,
        ssl_keyfile=str(tls.key_file) if tls else None,
    )
    # After the Config: it sets up uvicorn's loggers.
    logging.getLogger("uvicorn.error").addFilter(_QUIET)
    return settings


@contextlib.contextmanager
def serve(
    emulator: Emulator,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    tls: bool = False,
    request_timeout: float = REQUEST_TIMEOUT,
) -> Iterator[Server]:
    """Serve ``emulator`` from a background thread until the block ends (port 0: any free one).

    ``tls``: over HTTPS, with a certificate made for the occasion (``server.ca_file`` is its
    authority's, for the client to trust), for SDKs that speak nothing else.
    ``request_timeout``: seconds a client has to send a whole request once it begins it.
    """
    with contextlib.ExitStack() as stack:
        made = make_certificate(Path(stack.enter_context(tempfile.TemporaryDirectory()))) if tls else None
        yield from _serve(emulator, host, port, made, request_timeout)


def _serve(
    emulator: Emulator, host: str, port: int, tls: Certificate | None, request_timeout: float
) -> Iterator[Server]:
    settings = config(emulator, host=host, port=port, tls=tls, request_timeout=request_timeout)
    server = uvicorn.Server(settings)

    async def run() -> None:
        try:
            await emulator.warm()
            await server.serve()
        finally:
            await emulator.aclose()  # on the loop that used the state

    def thread_main() -> None:
        with asyncio.Runner(loop_factory=settings.get_loop_factory()) as runner:
            runner.run(run())

    thread = threading.Thread(target=thread_main, name=f"emulator-{emulator.dialect.name}", daemon=True)
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise OSError(f"the {emulator.dialect.name} emulator could not start on {host}:{port}")
            thread.join(0.01)
        bound = server.servers[0].sockets[0].getsockname()
        scheme = "https" if tls else "http"
        yield Server(emulator, f"{scheme}://{bound[0]}:{bound[1]}", ca_file=tls.ca_file if tls else None)
    finally:
        server.should_exit = True
        thread.join(10)
