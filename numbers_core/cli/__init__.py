"""The ``numbers`` command line.

Run ``numbers --help``. The commands live in :mod:`numbers_core.cli._app`.
"""

from __future__ import annotations

__all__ = ["main"]


def main() -> None:
    """The ``numbers`` console script."""
    from ._startup import prepare

    prepare()
    # Imported here: ``import numbers_core.cli`` stays cheap for tools that only look the script up.
    from ._app import app

    app(prog_name="numbers")
