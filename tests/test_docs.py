"""The examples in README.md and docs/ run as written: docs that match the code."""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import anyio
import numbers_core
import pytest

ROOT = Path(__file__).resolve().parents[1]


def python_blocks(page: str) -> list[str]:
    text = (ROOT / page).read_text(encoding="utf-8")
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.DOTALL | re.MULTILINE)


@pytest.mark.parametrize(("page", "index"), [("README.md", 0), ("docs/index.md", 0)])
def test_the_first_session_example_runs_on_the_sandbox(
    page: str, index: int, capsys: pytest.CaptureFixture[str]
) -> None:
    code = python_blocks(page)[index]
    exec(compile(code, f"{page}[{index}]", "exec"), {"__name__": "example"})  # noqa: S102 - our own docs
    printed = capsys.readouterr().out
    assert re.search(r"^\+1415\d{7} Support line", printed, flags=re.MULTILINE), printed


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_the_adapter_guide_builds_a_working_adapter(
    backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The guide's four steps: settings, error mapper, provider, and a test of it.
    settings, errors, provider, test = python_blocks("docs/adapters.md")
    (tmp_path / "acme_numbers.py").write_text("\n\n".join([settings, errors, provider]), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "acme_numbers", raising=False)
    namespace: dict[str, object] = {"__name__": "test_acme"}
    exec(compile(test, "docs/adapters.md", "exec"), namespace)  # noqa: S102 - our own docs
    anyio.run(namespace["test_a_taken_number_is_unavailable"], backend=backend)  # type: ignore[arg-type]


def test_the_package_namespace_stays_clean_under_pytests_assertion_rewriting(tmp_path: Path) -> None:
    # The package docstring is the API reference's text, so it no longer carries PYTEST_DONT_REWRITE:
    # pytest rewrites an installed copy of numbers_core in a user's test run (it registers a plugin),
    # and the names the rewrite adds must not show in dir().
    (tmp_path / "conftest.py").write_text('import pytest\n\npytest.register_assert_rewrite("numbers_core")\n')
    (tmp_path / "test_namespace.py").write_text(
        "import numbers_core\n\n\n"
        "def test_namespace():\n"
        '    assert "@py_builtins" in vars(numbers_core)  # rewritten, as in a user\'s test run\n'
        "    assert [name for name in dir(numbers_core) if not name.isidentifier()] == []\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:numbers_core", "-p", "no:cacheprovider"],
        cwd=tmp_path,
        env={**os.environ, "PYTEST_ADDOPTS": ""},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


# Each public module's reference page renders its objects one by one, in the order a reader needs
# them; a name added to __all__ must get its place there.
REFERENCE = {
    "numbers_core": "docs/reference/index.md",
    "numbers_core.bulk": "docs/reference/bulk.md",
    "numbers_core.emulator": "docs/reference/emulator.md",
}


def rendered(module: str) -> list[str]:
    page = (ROOT / REFERENCE[module]).read_text(encoding="utf-8")
    return re.findall(rf"^::: {re.escape(module)}\.(\w+)$", page, flags=re.MULTILINE)


@pytest.mark.parametrize("module", REFERENCE)
def test_the_api_reference_has_every_public_name(module: str) -> None:
    # The errors have their own page (docs/reference/errors.md renders numbers_core.errors whole).
    public = set(importlib.import_module(module).__all__) - set(numbers_core.errors.__all__) - {"__version__"}
    names = rendered(module)
    assert sorted(names) == sorted(public)


def test_the_api_reference_starts_with_connect_and_provider() -> None:
    assert rendered("numbers_core")[:3] == ["connect", "provider_names", "Provider"]
    assert "PYTEST" not in (numbers_core.__doc__ or "")  # the docstring is the reference's text


def section(page: str, heading: str) -> str:
    text = (ROOT / page).read_text(encoding="utf-8")
    return text.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]


@pytest.mark.parametrize(
    ("page", "heading"), [("docs/cli.md", "Bulk jobs"), ("docs/bulk.md", "The command line")]
)
def test_the_bulk_command_pages_name_real_commands_and_options(page: str, heading: str) -> None:
    from numbers_core.cli._app import app
    from typer.main import get_command

    numbers: Any = get_command(app)  # a click group
    bulk = numbers.commands["bulk"]
    text = section(page, heading)
    if page == "docs/cli.md":  # the reference of the commands: every one of them
        assert set(re.findall(r"`numbers bulk (\w+)", text)) == set(bulk.commands)
    commands = [numbers, *bulk.commands.values()]  # the global options too (--json)
    options = {option for command in commands for param in command.params for option in param.opts}
    assert set(re.findall(r"(?<![\w-])(--?[a-z][\w-]*)", text)) <= options
