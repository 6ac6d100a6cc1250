"""The ``numbers`` command line.

Run ``numbers --help``. The commands live in :mod:`numbers_core.cli._app`.
"""

from __future__ import annotations

import sys

__all__ = ["main"]


def main() -> None:
    """The ``numbers`` console script."""
    # httpx imports its own command line whenever click is installed (the emulator's uvicorn brings
    # it): click, pygments and rich's tables, syntax and progress, a tenth of a worker's start. No
    # command of this one runs httpx's. A None in sys.modules makes that import fail (the import
    # system's own way to block one), and httpx.main is then a stub saying how to install it.
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
    # Imported here: ``import numbers_core.cli`` stays cheap for tools that only look the script up.
    from ._app import app

    app(prog_name="numbers")
