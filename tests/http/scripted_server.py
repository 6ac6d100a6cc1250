"""A scripted raw HTTP/1.1 server on 127.0.0.1 for the HTTP core's integration tests.

The server runs in threads of its own, so it serves asyncio and trio tests
alike. Each request it receives is answered by the next behaviour of its
script (the last one repeats). Everything it does is bounded: every wait
ends when the test's teardown stops the server, or after ``MAX_HOLD``
seconds at most, and all sockets have timeouts.
"""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

# The longest any server thread holds a connection open waiting for the test to finish.
MAX_HOLD = 10.0


@dataclass(frozen=True)
class Received:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes


# A behaviour gets the connection and the server's stop event and returns
# True when the connection may carry another request (keep-alive).
Behaviour = Callable[[socket.socket, threading.Event], bool]


def answer(status: int, body: bytes = b"", headers: Sequence[tuple[str, str]] = ()) -> Behaviour:
    """A complete response with a Content-Length."""

    def behave(conn: socket.socket, stop: threading.Event) -> bool:
        reason = {200: "OK", 201: "Created", 429: "Too Many Requests", 503: "Service Unavailable"}
        lines = [f"HTTP/1.1 {status} {reason.get(status, 'Status')}", f"Content-Length: {len(body)}"]
        lines += [f"{name}: {value}" for name, value in headers]
        if not any(name.lower() == "content-type" for name, _ in headers):
            lines.append("Content-Type: application/json")
        conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        return True

    return behave


def hang(conn: socket.socket, stop: threading.Event) -> bool:
    """Accept the request, never answer."""
    stop.wait(MAX_HOLD)
    return False


def reset_mid_body(conn: socket.socket, stop: threading.Event) -> bool:
    """Promise 100 bytes, send 10, then reset the connection (RST, not FIN)."""
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
    conn.sendall(head + b'{"items": ')
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    return False


def trickle(size: int, gap: float) -> Behaviour:
    """Promise ``size`` bytes of body and send them one at a time, ``gap`` seconds apart."""

    def behave(conn: socket.socket, stop: threading.Event) -> bool:
        conn.sendall(f"HTTP/1.1 200 OK\r\nContent-Length: {size}\r\n\r\n".encode())
        for _ in range(size):
            if stop.wait(gap):
                return False
            conn.sendall(b"x")
        return True

    return behave


@dataclass
class ScriptedServer:
    script: Sequence[Behaviour]
    received: list[Received] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._spawn(self._accept_loop)

    @property
    def count(self) -> int:
        with self._lock:
            return len(self.received)

    def _spawn(self, target: Callable[..., None], *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:  # the listener was closed by stop()
                return
            self._spawn(self._serve, conn)

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(MAX_HOLD)
        buffer = b""
        try:
            with conn:
                while not self._stop.is_set():
                    request, buffer = _read_request(conn, buffer)
                    if request is None:
                        return
                    with self._lock:
                        self.received.append(request)
                        behaviour = self.script[min(len(self.received), len(self.script)) - 1]
                    if not behaviour(conn, self._stop):
                        return
        except OSError:  # the client gave up (timeout, reset): nothing left to serve
            return

    def stop(self) -> None:
        self._stop.set()
        self._listener.close()
        for thread in self._threads:
            thread.join(MAX_HOLD)


def _read_request(conn: socket.socket, buffer: bytes) -> tuple[Received | None, bytes]:
    while b"\r\n\r\n" not in buffer:
        chunk = conn.recv(65536)
        if not chunk:
            return None, b""
        buffer += chunk
    head, buffer = buffer.split(b"\r\n\r\n", 1)
    request_line, *header_lines = head.decode("latin-1").split("\r\n")
    method, target, _ = request_line.split(" ", 2)
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(buffer) < length:
        chunk = conn.recv(65536)
        if not chunk:
            return None, b""
        buffer += chunk
    return Received(method, target, headers, buffer[:length]), buffer[length:]
