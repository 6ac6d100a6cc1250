"""The ``numbers`` command line. (stub: being written)"""


def main() -> None:
    raise SystemExit("not yet")
