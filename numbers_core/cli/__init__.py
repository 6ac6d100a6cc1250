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
        import sys

        # Exit 2, as for any command that cannot work as set up (1 is for carrier failures).
        sys.stderr.write(
            f"error: the numbers command needs the cli extra ({exc}): pip install 'numbers-core[cli]', "
            "or from a checkout of the source: pip install '.[cli]'\n"
        )
        raise SystemExit(2) from None
    app(prog_name="numbers")
