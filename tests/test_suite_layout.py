"""The suite's own layout: pytest imports test modules by their base name (rootdir-less, no
``__init__``), so two of one name stop the whole run at collection."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

TESTS = Path(__file__).parent


def test_no_two_test_modules_share_a_name() -> None:
    places: defaultdict[str, list[str]] = defaultdict(list)
    for module in TESTS.rglob("test_*.py"):
        places[module.name].append(module.relative_to(TESTS).as_posix())
    assert {name: where for name, where in places.items() if len(where) > 1} == {}
