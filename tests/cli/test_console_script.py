"""The installed ``numbers`` executable, one process per command, as a user runs it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from cli_checks import LONDON_OFFICE

EXECUTABLE = shutil.which("numbers", path=str(Path(sys.executable).parent))
pytestmark = pytest.mark.skipif(EXECUTABLE is None, reason="the numbers console script is not installed")

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def numbers() -> Run:
    """Run the executable with the test's environment (isolated HOME, data directory, NUMBERS_*)."""

    def run(*args: str, **environment: str) -> subprocess.CompletedProcess[str]:
        assert EXECUTABLE is not None
        # The timeout only keeps a hung process from hanging the suite.
        return subprocess.run(  # noqa: S603 - our own console script
            [EXECUTABLE, *args],
            capture_output=True,
            text=True,
            env={**os.environ, **environment},
            timeout=120,
            check=False,
        )

    return run


def test_a_number_bought_in_one_process_is_listed_by_the_next(numbers: Run, sandbox_path: Path) -> None:
    found = numbers("--json", "search", "--limit", "1")
    assert found.returncode == 0, found.stderr
    [offer] = json.loads(found.stdout)

    bought = numbers("buy", offer["phone_number"])
    assert bought.returncode == 0, bought.stderr
    assert offer["phone_number"] in bought.stdout
    assert sandbox_path.exists()

    listed = numbers("list")
    assert listed.returncode == 0, listed.stderr
    assert offer["phone_number"] in listed.stdout

    as_json = numbers("--json", "list")
    assert [entry["phone_number"] for entry in json.loads(as_json.stdout)] == [offer["phone_number"]]


def test_without_configuration_the_sandbox_is_kept_in_the_data_directory(numbers: Run) -> None:
    bought = numbers("--json", "buy", "--count", "2")
    assert bought.returncode == 0, bought.stderr
    wanted = sorted(entry["phone_number"] for entry in json.loads(bought.stdout)["bought"])
    assert len(wanted) == 2
    assert (Path(os.environ["XDG_DATA_HOME"]) / "numbers-core" / "sandbox.sqlite3").is_file()

    listed = numbers("--json", "list")
    assert sorted(entry["phone_number"] for entry in json.loads(listed.stdout)) == wanted


def test_bad_input_is_one_line_on_stderr_and_a_non_zero_exit(numbers: Run, sandbox_path: Path) -> None:
    result = numbers("buy", "+1415555")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == ["error: NUMBER '+1415555' is not a valid phone number"]
    assert "Traceback" not in result.stderr


def test_an_unknown_provider_is_one_line(numbers: Run) -> None:
    result = numbers("--provider", "nope", "list")
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert line.startswith("error: unknown provider 'nope'")


def test_version(numbers: Run) -> None:
    import numbers_core

    result = numbers("--version")
    assert result.returncode == 0
    assert result.stdout == f"numbers-core {numbers_core.__version__}\n"


def test_numbers_emulate_serves_until_interrupted(tmp_path: Path) -> None:
    import signal

    import anyio
    import numbers_core as nc

    assert EXECUTABLE is not None
    state = tmp_path / "twilio.db"
    server = subprocess.Popen(  # noqa: S603 - our own console script
        [EXECUTABLE, "--json", "emulate", "twilio", "--port", "0", "--state", str(state)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        announced = json.loads(server.stdout.readline())
        assert announced["url"].startswith("http://127.0.0.1:")

        async def buy() -> str:
            async with nc.connect("twilio", **announced["settings"]) as carrier:
                bought = await carrier.purchase_any(area_code="415")
                return bought.phone_number

        number = anyio.run(buy)
    finally:
        server.send_signal(signal.SIGINT)
        _, errors = server.communicate(timeout=30)
    assert server.returncode == 130, errors  # stopped by Ctrl-C, as a shell reports it
    assert "Traceback" not in errors
    assert state.exists()  # the number bought is kept there
    assert number.startswith("+1415")


def test_numbers_emulate_tls_serves_https_with_the_authority_it_prints() -> None:
    import signal
    import ssl

    import httpx

    assert EXECUTABLE is not None
    server = subprocess.Popen(  # noqa: S603 - our own console script
        [EXECUTABLE, "--json", "emulate", "vonage", "--port", "0", "--tls"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        announced = json.loads(server.stdout.readline())
        assert announced["url"].startswith("https://127.0.0.1:")
        authority = Path(announced["ca_file"])
        settings = announced["settings"]
        trusted = ssl.create_default_context(cafile=authority)
        with httpx.Client(verify=trusted) as http:
            answer = http.get(
                f"{announced['url']}/account/numbers", auth=(settings["api_key"], settings["api_secret"])
            )
        assert answer.json() == {}
    finally:
        server.send_signal(signal.SIGINT)
        _, errors = server.communicate(timeout=30)
    assert server.returncode == 130, errors
    assert "Traceback" not in errors
    assert not authority.exists()  # removed with the server


def test_numbers_emulate_refuses_an_unknown_dialect(numbers: Run) -> None:
    from numbers_core.emulator import dialect_names

    done = numbers("emulate", "acme")
    assert done.returncode != 0
    registered = ", ".join(sorted(dialect_names()))
    assert {"kazoo", "plivo", "sinch", "twilio", "vonage"} <= set(dialect_names())
    assert done.stderr.strip() == f"error: unknown emulator 'acme' (registered: {registered})"


def test_numbers_emulate_on_a_busy_port_says_so(numbers: Run) -> None:
    import socket

    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        done = numbers("emulate", "twilio", "--port", str(port))
    assert done.returncode == 2
    assert done.stderr.splitlines() == [f"error: port {port} is in use (try --port 0)"]


@pytest.mark.parametrize(("port", "message"), [("99999", "at most 65535"), ("-1", "at least 0")])
def test_numbers_emulate_refuses_a_port_out_of_range_at_once(numbers: Run, port: str, message: str) -> None:
    done = numbers("emulate", "twilio", "--port", port)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [f"error: --port: {port} is out of range: {message}"]


def test_numbers_emulate_listens_so_that_answers_are_not_held_back_by_nagle() -> None:
    # asyncio turns Nagle's algorithm off only on sockets whose proto says TCP; with create_server's
    # proto 0 every answer on a kept-alive connection waited for the client's delayed ACK (~40 ms).
    import asyncio
    import socket

    from numbers_core.cli._emulate import _listen

    listener = _listen("127.0.0.1", 0)
    nodelay: list[int] = []

    async def main() -> None:
        accepted = asyncio.Event()

        def made(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            nodelay.append(writer.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            accepted.set()
            writer.close()

        server = await asyncio.start_server(made, sock=listener)
        async with server:
            _, writer = await asyncio.open_connection(*listener.getsockname()[:2])
            await asyncio.wait_for(accepted.wait(), 10)
            writer.close()

    asyncio.run(main())
    assert nodelay == [1]


def test_a_british_landline_as_a_new_user_buys_one(numbers: Run, sandbox_path: Path) -> None:
    from numbers_core.sandbox import APPROVED_BUNDLE

    prices = numbers("prices", "GB")
    assert prices.returncode == 0, prices.stderr
    assert any(line.split()[:2] == ["local", "1.00"] for line in prices.stdout.splitlines())

    needs = numbers("requirements", "GB", "--type", "local")
    assert needs.returncode == 0, needs.stderr
    assert "--address-id" in needs.stdout
    assert "--bundle-id" in needs.stdout

    found = numbers("--json", "search", "--country", "GB", "--area-code", "20", "--limit", "1")
    [offer] = json.loads(found.stdout)
    number = offer["phone_number"]
    refused = numbers("buy", number)
    assert refused.returncode == 1
    [line] = refused.stderr.splitlines()
    assert line.startswith(
        f"error: could not buy {number}: sandbox: GB local numbers need an address on file"
    )

    created = numbers("--json", "addresses", "create", *LONDON_OFFICE)
    assert created.returncode == 0, created.stderr
    address = json.loads(created.stdout)["id"]

    bought = numbers("buy", number, "--address-id", address, "--bundle-id", APPROVED_BUNDLE)
    assert bought.returncode == 0, bought.stderr
    assert number in bought.stdout

    shown = numbers("show", number)
    assert shown.returncode == 0, shown.stderr
    details = {line.split()[0]: line.split()[-1] for line in shown.stdout.splitlines() if line.strip()}
    assert details["Address"] == address  # "Address ID  AD…"
    assert details["Bundle"] == APPROVED_BUNDLE
    assert details["Status"] == "active"
