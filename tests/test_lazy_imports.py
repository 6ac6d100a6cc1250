"""What a process pays for: ``import numbers_core`` and the CLI on the sandbox load only what they use.

Each check runs in a fresh interpreter, since this test process has imported everything already.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numbers_core
import pytest


def _loaded(*argv: str, watch: tuple[str, ...]) -> tuple[set[str], subprocess.CompletedProcess[str]]:
    code = (
        "import json, runpy, sys\n"
        "watch, args = json.loads(sys.argv[1]), sys.argv[2:]\n"
        "if args:\n"
        "    sys.argv = ['numbers', *args]\n"
        "    try:\n"
        "        runpy.run_module('numbers_core', run_name='__main__')\n"
        "    except SystemExit as exit:\n"
        "        assert exit.code in (0, None), exit.code\n"
        "else:\n"
        "    import numbers_core\n"
        "print(json.dumps([name for name in watch if name in sys.modules]), file=sys.stderr)\n"
    )
    done = subprocess.run(  # noqa: S603 - this interpreter, our own code
        [sys.executable, "-c", code, json.dumps(watch), *argv],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stderr.strip().splitlines()[-1])), done


HTTP_STACK = ("httpx", "httpcore", "h11", "trio")


def test_importing_the_package_loads_neither_models_nor_http() -> None:
    loaded, _ = _loaded(watch=("pydantic", "phonenumbers", *HTTP_STACK, "typer", "rich"))
    assert loaded == set()


def test_help_loads_neither_models_nor_http() -> None:
    loaded, done = _loaded("--help", watch=("pydantic", "phonenumbers", "rich.table", *HTTP_STACK))
    assert loaded == set()
    assert "search" in done.stdout


def test_a_sandbox_search_loads_no_http_stack_and_geocodes_once() -> None:
    watch = (*HTTP_STACK, "phonenumbers.geodata")
    first, found = _loaded("--json", "search", "--area-code", "415", "--limit", "3", watch=watch)
    assert first == {"phonenumbers.geodata"}
    again, found_again = _loaded("--json", "search", "--area-code", "415", "--limit", "3", watch=watch)
    assert again == set()  # the areas came from the cache
    assert json.loads(found_again.stdout) == json.loads(found.stdout)
    assert len(json.loads(found.stdout)) == 3


def test_the_public_names_resolve_on_first_use() -> None:
    assert numbers_core.ActiveNumber.__name__ == "ActiveNumber"
    assert numbers_core.connect.__module__ == "numbers_core._registry"
    assert isinstance(numbers_core.__version__, str)
    with pytest.raises(AttributeError, match="has no attribute 'nothing'"):
        _ = numbers_core.nothing  # type: ignore[attr-defined]
