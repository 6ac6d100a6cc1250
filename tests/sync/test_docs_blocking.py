"""The runnable examples of the blocking API's page and README section run as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _fenced(page: str) -> list[tuple[str, str]]:
    """(language, code) of every fenced block of ``page``, in order."""
    blocks: list[tuple[str, str]] = []
    language: str | None = None
    lines: list[str] = []
    for line in (ROOT / page).read_text(encoding="utf-8").splitlines():
        if not line.startswith("```"):
            lines.append(line)
        elif language is None:
            language, lines = line.removeprefix("```").strip(), []
        else:
            blocks.append((language, "\n".join(lines)))
            language = None
    return blocks


def _python(page: str) -> list[str]:
    return [code for language, code in _fenced(page) if language == "python"]


@pytest.mark.parametrize(
    ("page", "index"), [("docs/blocking.md", 0), ("docs/blocking.md", 1), ("README.md", 1)]
)
def test_the_example_runs_on_the_sandbox(page: str, index: int, capsys: pytest.CaptureFixture[str]) -> None:
    code = _python(page)[index]
    assert "sync.connect" in code
    exec(compile(code, f"{page}[{index}]", "exec"), {"__name__": "example"})  # noqa: S102 - our own docs
    assert re.search(r"^\+1415\d{7}", capsys.readouterr().out, flags=re.MULTILINE)


def test_the_django_and_celery_fragments_are_not_fenced_as_python() -> None:
    # They need a Django project and a Celery app: plain fences, which a docs runner leaves alone.
    plain = [code for language, code in _fenced("docs/blocking.md") if not language]
    assert any("JsonResponse" in code for code in plain)
    assert any("worker_process_init" in code for code in plain)
