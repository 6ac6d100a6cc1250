"""Emulator servers on a real socket: a request that never comes whole does not hold its connection."""

from __future__ import annotations

import asyncio
import logging
import socket
import sys
import time
import types

import pytest
from numbers_core.emulator import Emulator, serve


def _answer(sock: socket.socket) -> bytes:
    """The head of one whole answer (head and Content-Length body) read from ``sock``."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(
        next(line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:"))[15:]
    )
    while len(body) < length:
        body += sock.recv(65536)
    return head


def _read_until_closed(sock: socket.socket, limit: float) -> tuple[bytes, float]:
    sock.settimeout(limit)
    started = time.monotonic()
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data, time.monotonic() - started


@pytest.mark.parametrize(
    "sent",
    [
        b"",  # connected, and nothing more
        b"GET /_emulator/state HTTP/1.1\r\nHost: x\r\n",  # a head that never ends
        b"PATCH /_emulator/faults HTTP/1.1\r\nHost: x\r\nContent-Length: 20\r\n\r\n{",  # a body that stops
    ],
    ids=["nothing", "half a head", "half a body"],
)
def test_a_request_not_sent_whole_in_time_is_closed(sent: bytes, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    emulator = Emulator("twilio")
    with serve(emulator, request_timeout=0.3) as server:
        host, port = server.url.removeprefix("http://").rsplit(":", 1)
        with socket.create_connection((host, int(port))) as sock:
            sock.sendall(sent)
            answer, waited = _read_until_closed(sock, 5)
        assert 0.25 < waited < 2, waited
        if b"\r\n\r\n" not in sent:  # no request to answer yet: the server says why it closes
            assert answer.startswith(b"HTTP/1.1 408 "), answer
        # A request sent whole is answered as ever, and its connection kept for the next.
        with socket.create_connection((host, int(port))) as sock:
            sock.sendall(b"GET /_emulator/faults HTTP/1.1\r\nHost: x\r\n\r\n")
            sock.settimeout(5)
            assert _answer(sock).startswith(b"HTTP/1.1 200 ")
            time.sleep(0.5)  # past the request timeout, idle between requests: uvicorn's keep-alive
            sock.sendall(b"GET /_emulator/faults HTTP/1.1\r\nHost: x\r\n\r\n")
            assert _answer(sock).startswith(b"HTTP/1.1 200 ")
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


def test_a_head_trickled_byte_by_byte_is_not_waited_for_past_the_timeout() -> None:
    emulator = Emulator("twilio")
    with serve(emulator, request_timeout=0.3) as server:
        host, port = server.url.removeprefix("http://").rsplit(":", 1)
        with socket.create_connection((host, int(port))) as sock:
            started = time.monotonic()
            sock.settimeout(0.05)
            answer = b""
            for byte in b"GET /_emulator/state HTTP/1.1\r\nHost: x\r\n":
                sock.sendall(bytes([byte]))  # a byte every 50 ms, and never the whole head
                try:
                    answer = sock.recv(65536)
                except TimeoutError:
                    continue
                break
            assert time.monotonic() - started < 2
        assert answer.startswith(b"HTTP/1.1 408 ")


def test_the_server_runs_on_asyncio_s_loop_where_uvloop_is_installed_too(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # uvicorn takes uvloop wherever it finds it; the emulator behaves the same on every machine.
    made: list[asyncio.AbstractEventLoop] = []

    def new_event_loop() -> asyncio.AbstractEventLoop:
        made.append(asyncio.new_event_loop())
        return made[-1]

    monkeypatch.setitem(sys.modules, "uvloop", types.SimpleNamespace(new_event_loop=new_event_loop))
    monkeypatch.delitem(sys.modules, "uvicorn.loops.uvloop", raising=False)
    with serve(Emulator("twilio")) as server:
        host, port = server.url.removeprefix("http://").rsplit(":", 1)
        with socket.create_connection((host, int(port))) as sock:
            sock.settimeout(5)
            sock.sendall(b"GET /_emulator/faults HTTP/1.1\r\nHost: x\r\n\r\n")
            assert _answer(sock).startswith(b"HTTP/1.1 200 ")
    assert made == []
