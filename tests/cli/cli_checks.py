"""What the CLI tests check of a run's output, written once: imported by its module name, as
pytest puts this folder on the path of the tests in it."""

from __future__ import annotations

import re

from typer.testing import Result

__all__ = ["LONDON_OFFICE", "one_error_line", "rows"]

#: `numbers addresses create` options for an address in London, fit for emergency calls.
LONDON_OFFICE = (
    "--customer-name",
    "Acme Ltd",
    "--street",
    "1 Poultry",
    "--locality",
    "London",
    "--postal-code",
    "EC2R 8AH",
    "--country",
    "GB",
    "--emergency",
)


def one_error_line(result: Result) -> str:
    """The single stderr line of a failed run (checked to be exactly one, without a traceback)."""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.output
    return lines[0]


def rows(result: Result) -> list[list[str]]:
    """A table's rows (its header first), cells split at runs of two or more spaces."""
    lines = [line.strip() for line in result.stdout.splitlines()]
    return [re.split(r"\s{2,}", line) for line in lines if line and set(line) != {"─"}]
