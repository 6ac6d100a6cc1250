"""Exit codes, the one error line, and where the CLI keeps the sandbox."""

from __future__ import annotations

from pathlib import Path

import numbers_core as nc
import pytest
from numbers_core.cli._run import EXIT_CARRIER, EXIT_USAGE, default_sandbox_path, exit_code, print_error


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (nc.ConfigurationError("x"), EXIT_USAGE),
        (nc.InvalidInputError("x"), EXIT_USAGE),
        (nc.UnsupportedError("p", "search.fax"), EXIT_USAGE),
        (nc.TransportError("x"), EXIT_CARRIER),
        (nc.OutcomeUnknownError("x", operation="purchase"), EXIT_CARRIER),
        (nc.ProtocolError("x", provider="p"), EXIT_CARRIER),
        (nc.NotFoundError("x", provider="p"), EXIT_CARRIER),
        (nc.AuthenticationError("x", provider="p"), EXIT_CARRIER),
        (nc.RateLimitError("x", provider="p"), EXIT_CARRIER),
    ],
)
def test_exit_codes(error: nc.NumbersError, code: int) -> None:
    assert exit_code(error) == code


def test_an_error_is_always_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    print_error("twilio: bad request\n  body: {\n  'x': 1 }\n")
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == "error: twilio: bad request body: { 'x': 1 }\n"


def test_the_sandbox_lives_in_the_user_data_directory() -> None:
    import os

    expected = Path(os.environ["XDG_DATA_HOME"]) / "numbers-core" / "sandbox.sqlite3"
    assert default_sandbox_path() == expected
