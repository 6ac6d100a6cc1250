"""The ``numbers`` command line (``pip install numbers-core[cli]``).

Run ``numbers --help``. The commands live in :mod:`numbers_core.cli._app`.
"""

from __future__ import annotations

__all__ = ["main"]


def main() -> None:
    """The ``numbers`` console script."""
    try:
        from ._app import app
    except ImportError as exc:  # typer/rich are the optional `cli` extra
        raise SystemExit(
            f"error: the numbers CLI needs the cli extra: pip install 'numbers-core[cli]' ({exc})"
        ) from None
    app(prog_name="numbers")
