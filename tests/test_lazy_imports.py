"""What a process pays for: ``import numbers_core`` and the CLI on the sandbox load only what they use.

Each check runs in a fresh interpreter, since this test process has imported everything already.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numbers_core
import pytest


def _loaded(
    *argv: str, watch: tuple[str, ...], env: dict[str, str] | None = None
) -> tuple[set[str], subprocess.CompletedProcess[str]]:
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
        # A None in sys.modules is a module kept out, not loaded.
        "print(json.dumps([name for name in watch if sys.modules.get(name)]), file=sys.stderr)\n"
    )
    done = subprocess.run(  # noqa: S603 - this interpreter, our own code
        [sys.executable, "-c", code, json.dumps(watch), *argv],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stderr.strip().splitlines()[-1])), done


# trio by its code: the console script puts trio itself in sys.modules unrun (cli/_startup.py).
HTTP_STACK = ("httpx", "httpcore", "h11", "trio._core")


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


def test_a_worker_loads_only_what_its_carrier_and_journal_need(tmp_path: Path) -> None:
    """A worker's start (issue 31: sending within a second) pays for no emulator, no other carrier,
    no rich (--json writes no line that needs it), and not httpx's own command line."""
    import anyio
    from numbers_core.bulk import Journal, create_job
    from numbers_core.emulator import Emulator, serve

    journal = str(tmp_path / "jobs.sqlite3")

    async def plan(settings: dict[str, Any]) -> str:
        opened = Journal(journal)
        async with numbers_core.connect("twilio", **settings) as carrier:
            query = numbers_core.SearchQuery(area_code="415", limit=5)
            job = await create_job(opened, carrier, "purchase", criteria={"415": (query, 2)})
        await opened.aclose()
        return job.id

    watch = (
        "starlette",
        "uvicorn",
        "numbers_core.emulator",
        "numbers_core.sandbox",
        "numbers_core.providers.kazoo",
        "numbers_core.providers.sinch",
        "httpx._main",
        "trio._core",
        "click",
        "pygments",
        "rich",
        "psycopg",
    )
    with serve(Emulator("twilio")) as server:
        job_id = anyio.run(plan, server.settings)
        env = {
            **os.environ,
            **{f"NUMBERS_TWILIO_{key.upper()}": str(value) for key, value in server.settings.items()},
        }
        arguments = ("--provider", "twilio", "--json", "bulk", "worker", job_id, "--journal", journal)
        loaded, done = _loaded(*arguments, watch=watch, env=env)
    assert loaded == set()
    assert [json.loads(line)["event"] for line in done.stdout.splitlines()[:2]] == ["done", "done"]


@pytest.mark.parametrize(
    "first_use",
    ["from trio import sleep", "import trio.lowlevel", "import trio\ntrio.sleep"],
)
def test_trio_is_loaded_at_its_first_use_in_the_console_scripts_process(first_use: str) -> None:
    """httpcore imports trio whenever it is installed; the console script runs it only once used."""
    code = (
        "import sys\n"
        "from numbers_core.cli._startup import prepare\n"
        "prepare()\n"
        "import httpx, tenacity.asyncio\n"
        "assert 'trio._core' not in sys.modules, 'trio ran on import'\n"
        f"{first_use}\n"
        "import anyio, trio, trio.lowlevel\n"
        "from trio import sleep\n"
        "async def nap() -> bool:\n"
        "    await sleep(0)\n"
        "    return trio.lowlevel.current_task() is not None\n"
        "assert trio.run(nap) and anyio.run(nap, backend='trio')\n"
        "assert type(sys.modules['trio']) is type(sys)\n"
    )
    done = subprocess.run(  # noqa: S603 - this interpreter, our own code
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
