"""``numbers emulate``: an emulated carrier served on this machine until Ctrl-C."""

from __future__ import annotations

import errno
import gc
import json
import socket
import tempfile
from pathlib import Path
from typing import Any

import anyio
import typer
from pydantic import ValidationError

from numbers_core._extras import missing_extra
from numbers_core._problems import problems
from numbers_core.errors import ConfigurationError

from ._run import fail_usage

__all__ = ["emulate"]


def _toml(value: Any) -> str:
    return json.dumps(value)  # a JSON string or number is TOML too


_LOOKUP_FAILURES = {
    getattr(socket, name)
    for name in ("EAI_NONAME", "EAI_NODATA", "EAI_AGAIN", "EAI_FAIL")
    if hasattr(socket, name)
}


def _listen(host: str, port: int) -> socket.socket:
    """A listening socket on ``host``:``port``, or a usage error that says what to change."""
    try:
        # Made with the protocol getaddrinfo names (IPPROTO_TCP), not create_server's 0: asyncio sets
        # TCP_NODELAY only on sockets whose proto says TCP, and without it every answer written in two
        # parts waited ~40 ms for the client's delayed ACK on a kept-alive connection.
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        listener = socket.socket(family, kind, proto)
        try:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(address)
            listener.listen()
        except OSError:
            listener.close()
            raise
    except OSError as exc:  # a failed name lookup is a gaierror, or a plain OSError on some systems
        if isinstance(exc, socket.gaierror) or exc.errno in _LOOKUP_FAILURES:
            fail_usage(f"--host: cannot find {host!r} (give an address of this machine, such as 127.0.0.1)")
        if exc.errno == errno.EADDRINUSE:
            fail_usage(f"port {port} is in use (try --port 0)")
        if exc.errno == errno.EACCES:
            fail_usage(f"port {port} needs privileges you do not have (try --port 0)")
        if exc.errno == errno.EADDRNOTAVAIL:
            fail_usage(f"--host: {host} is not an address of this machine")
        fail_usage(f"cannot listen on {host}:{port} ({(exc.strerror or 'failed').lower()})")
    return listener


def emulate(
    dialect: str,
    *,
    host: str,
    port: int,
    state: str | None,
    faults: dict[str, Any],
    tls: bool = False,
    as_json: bool,
) -> None:
    try:
        import uvicorn

        from numbers_core.emulator import Emulator, Faults
        from numbers_core.emulator._server import config
        from numbers_core.emulator._tls import make_certificate
    except ImportError as exc:
        raise ConfigurationError(
            str(missing_extra("numbers emulate", "emulator", exc)), setting="dialect"
        ) from None
    try:
        chosen = Faults(**faults)
    except ValidationError as exc:
        name, problem, _ = problems(exc)[0]
        raise ConfigurationError(f"--{name.replace('_', '-')}: {problem}", setting=name) from None
    emulator = Emulator(dialect, state=state, faults=chosen)
    # The number metadata, loaded before the address is announced (requests sent meanwhile would
    # queue, then reach the rate limit at once), lives as long as the server: kept out of the
    # collector's way, full collections stay short under load.
    anyio.run(emulator.warm)
    gc.freeze()
    # Then a young collection every 50,000 allocations, not 700: under load (200 requests at once)
    # each one walked the objects of every request in flight, a sixth of the server's CPU in all;
    # garbage cycles, rare here, wait a little longer.
    gc.set_threshold(50_000, 10, 10)
    # Bound here, so that port 0 (any free one) can be reported before serving.
    listener = _listen(host, port)
    bound_host, bound_port = listener.getsockname()[:2]
    # The certificate lives as long as the server (a directory removed when it stops).
    try:
        made = make_certificate(Path(tempfile.mkdtemp(prefix="numbers-emulator-"))) if tls else None
    except ImportError as exc:
        raise ConfigurationError(str(exc), setting="tls") from None
    url = f"{'https' if made else 'http'}://{bound_host}:{bound_port}"
    settings = emulator.client_settings(url)
    if as_json:
        shown: dict[str, Any] = {"dialect": dialect, "url": url, "settings": settings}
        if made is not None:
            shown["ca_file"] = str(made.ca_file)
        typer.echo(json.dumps(shown))
    else:
        where = f"state in {state}" if state else "state in memory"
        typer.echo(f"{dialect} emulator on {url} ({where}); Ctrl-C stops it.")
        if made is not None:
            typer.echo(
                f"Its certificate's authority: {made.ca_file} (for requests-based SDKs: "
                f"REQUESTS_CA_BUNDLE={made.ca_file})"
            )
        typer.echo("Its test credentials, for a profile in numbers.toml:\n")
        typer.echo(f"[profiles.{dialect}-emulator]")
        typer.echo(f'provider = "{dialect}"')
        for key, value in settings.items():
            typer.echo(f"{key} = {_toml(value)}")
        typer.echo(
            f"\nControl: {url}/_emulator/state, /_emulator/reset (POST), /_emulator/faults (PATCH), "
            "/_emulator/stock (PATCH)"
        )
    server = uvicorn.Server(config(emulator, host=bound_host, port=bound_port, tls=made))
    try:
        server.run(sockets=[listener])
    finally:
        if made is not None:
            for file in made:
                file.unlink(missing_ok=True)
            made.ca_file.parent.rmdir()
