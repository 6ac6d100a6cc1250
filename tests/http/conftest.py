"""Fixtures for the HTTP core's tests."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator

import pytest
from scripted_server import Behaviour, ScriptedServer


@pytest.fixture
def serve() -> Iterator[Callable[..., ScriptedServer]]:
    """``serve(behaviour, ...)`` starts a scripted server; all are stopped after the test."""
    servers: list[ScriptedServer] = []

    def start(*script: Behaviour) -> ScriptedServer:
        server = ScriptedServer(script)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def refused_url() -> Iterator[str]:
    """A loopback URL where nothing listens: the port is bound (so nobody else takes it) but not listening."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        sock.close()
