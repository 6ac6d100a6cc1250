"""``python -m numbers_core``: the ``numbers`` command line."""

from numbers_core.cli import main

main()
