"""Docs that match the code: every python example of README.md and docs/ runs as written, the API
reference renders every public name, and the bulk command pages name real commands and options."""

from __future__ import annotations

import ast
import importlib
import os
import re
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numbers_core
import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = ["README.md", *sorted(page.relative_to(ROOT).as_posix() for page in (ROOT / "docs").rglob("*.md"))]

# Every fence, whatever its language, so that each closing ``` pairs with its own opening.
FENCE = re.compile(
    r"^(?P<indent>[ \t]*)```(?P<info>[^`\n]*)\n(?P<code>.*?)^(?P=indent)```[ \t]*$", re.DOTALL | re.MULTILINE
)


@dataclass(frozen=True)
class Block:
    page: str
    line: int
    language: str
    title: str | None  # title="acme_numbers.py": the file the block goes into
    code: str


def blocks(page: str) -> list[Block]:
    text = (ROOT / page).read_text(encoding="utf-8")
    found = []
    for fence in FENCE.finditer(text):
        info = fence["info"].strip()
        title = re.search(r'title="([^"]+)"', info)
        found.append(
            Block(
                page=page,
                line=text.count("\n", 0, fence.start()) + 1,
                language=info.split()[0] if info else "",
                title=title[1] if title else None,
                code=textwrap.dedent(fence["code"]),
            )
        )
    return found


@dataclass(frozen=True)
class Example:
    """What a reader runs: one untitled block, or a page's titled blocks as the files they name."""

    page: str
    line: int
    index: int  # the page's first example is 0
    files: dict[str, str]

    def commands(self) -> list[list[str]]:
        tests = sorted(name for name, code in self.files.items() if defines_tests(code))
        if tests:
            return [[sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests]]
        return [[sys.executable, name] for name in self.files]


def defines_tests(code: str) -> bool:
    return any(
        isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test_")
        for node in ast.parse(code).body
    )


def examples() -> list[Example]:
    found: list[Example] = []
    for page in PAGES:
        python = [block for block in blocks(page) if block.language == "python"]
        untitled = [block for block in python if block.title is None]
        titled = [block for block in python if block.title is not None]
        runs = [(block.line, {f"example_{block.line}.py": block.code}) for block in untitled]
        if titled:
            files: dict[str, str] = {}
            for block in titled:  # blocks with the same title continue the same file
                assert block.title is not None
                files[block.title] = files.get(block.title, "") + block.code + "\n\n"
            runs.append((titled[0].line, files))
        for index, (line, code) in enumerate(sorted(runs, key=lambda run: run[0])):
            found.append(Example(page, line, index, code))
    return found


# What some examples print, checked beside their exit status.
PRINTS = {
    ("README.md", 0): r"^\+1415\d{7} Support line",
    ("docs/index.md", 0): r"^\+1415\d{7} Support line",
}


@pytest.fixture(scope="session")
def sandbox_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # One cache directory for every example: the sandbox's table of areas is derived once, not per
    # example (most of a second each), and still not in the developer's own cache.
    return tmp_path_factory.mktemp("cache")


@pytest.mark.parametrize("example", examples(), ids=lambda example: f"{example.page}:{example.line}")
def test_the_example_runs_as_written(example: Example, tmp_path: Path, sandbox_cache: Path) -> None:
    # In a fresh process and directory, with the temporary HOME and XDG directories and no
    # NUMBERS_* variables that tests/conftest.py gives every test: nothing of the user's is read or
    # written. A snippet that cannot run as written (it needs real credentials, or an application
    # around it) is fenced without a language, not as python.
    for name, code in example.files.items():
        (tmp_path / name).write_text(code, encoding="utf-8")
    environment = {**os.environ, "XDG_CACHE_HOME": str(sandbox_cache)}
    printed = ""
    for command in example.commands():
        done = subprocess.run(  # noqa: S603 - our own interpreter, our own docs
            command, cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=120, check=False
        )
        assert done.returncode == 0, f"{example.page}:{example.line}\n{done.stdout}{done.stderr}"
        printed += done.stdout
    expected = PRINTS.get((example.page, example.index))
    if expected is not None:
        assert re.search(expected, printed, flags=re.MULTILINE), printed


def test_python_is_fenced_as_python_only() -> None:
    # Every ```python block runs (above); a fragment fenced as py, python3 or pycon would escape that.
    others = [
        f"{block.page}:{block.line}: {block.language}"
        for page in PAGES
        for block in blocks(page)
        if block.language.startswith("py") and block.language != "python"
    ]
    assert others == []
    assert {"README.md", "docs/adapters.md", "docs/bulk.md"} <= {example.page for example in examples()}


def test_no_page_keeps_a_merge_conflict() -> None:
    # A merge once left both sides of a table in README.md and docs/compliance.md, markers and all.
    markers = re.compile(r"^(<{7}|={7}|>{7})( |$)", flags=re.MULTILINE)
    left = [
        f"{page}: {found.group(0)!r}"
        for page in PAGES
        for found in markers.finditer((ROOT / page).read_text())
    ]
    assert left == []


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
    "numbers_core.sync": "docs/reference/sync.md",
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
