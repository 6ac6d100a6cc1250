"""A plain install, checked as a new user meets it: ``nox -s install`` runs this in a fresh venv.

That venv holds the wheel built from the checkout and pytest, and none of the extras. The working
directory is a new project of the user's own, with a ``providers`` package of its own (a common name)
that must not shadow the adapters, and a test suite that must still run with numbers-core's pytest
plugin loaded. Exits non-zero, saying what broke, on the first failure.

Run as ``python tests/install_check.py WHEEL``; not collected by pytest (no ``test_`` prefix).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import textwrap
import zipfile
from pathlib import Path

TWILIO = {"account_sid": "AC" + "0" * 32, "auth_token": "f" * 32}


def run(*args: str, cwd: Path, expect: int = 0) -> str:
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False)  # noqa: S603
    output = done.stdout + done.stderr
    if done.returncode != expect:
        sys.exit(f"{' '.join(args)}: exit {done.returncode}, expected {expect}\n{output}")
    return output


def check_wheel_names(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        top = {name.split("/")[0] for name in archive.namelist()}
    foreign = sorted(name for name in top if not name.startswith("numbers_core"))
    if foreign:
        sys.exit(f"the wheel installs top-level names that are not the project's: {foreign}")
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("numbers_core/py.typed", "numbers_core/providers/twilio/__init__.py"):
        if needed not in names:
            sys.exit(f"the wheel lacks {needed}")
    if not any(name.endswith(".dist-info/licenses/LICENSE") for name in names):
        sys.exit("the wheel carries no LICENSE")


def main() -> None:
    check_wheel_names(Path(sys.argv[1]))
    python = sys.executable
    with tempfile.TemporaryDirectory() as temporary:
        project = Path(temporary)
        (project / "pyproject.toml").write_text(
            '[project]\nname = "my-service"\n\n[tool.pytest.ini_options]\n'
        )
        # The user's own package called providers, with a twilio module of its own.
        (project / "providers").mkdir()
        (project / "providers" / "__init__.py").write_text('"""The user\'s own providers."""\n')
        (project / "providers" / "twilio.py").write_text("raise ImportError('the user\\'s own module')\n")
        (project / "test_mine.py").write_text(
            textwrap.dedent(
                """
                def test_mine():
                    assert 1 + 1 == 2


                def test_with_the_emulator_fixture(numbers_emulator):
                    numbers_emulator("twilio")
                """
            )
        )
        out = run(python, "-m", "pytest", "-rs", "-p", "no:cacheprovider", cwd=project)
        if "1 passed, 1 skipped" not in out or "pip install 'numbers-core[emulator]'" not in out:
            sys.exit(f"pytest in the user's project: expected 1 passed and a skip naming the extra\n{out}")

        numbers = str(Path(python).with_name("numbers"))
        if "Usage" not in run(numbers, "--help", cwd=project):
            sys.exit("numbers --help printed no usage")
        out = run(python, "-m", "numbers_core", "providers", cwd=project)
        if "twilio" not in out or "sinch" not in out:
            sys.exit(f"python -m numbers_core providers lacks the built-in carriers\n{out}")

        script = textwrap.dedent(
            f"""
            import anyio
            import numbers_core as nc


            async def main():
                async with nc.connect("sandbox") as carrier:
                    [offer] = await carrier.search(area_code="415", limit=1)
                    await carrier.purchase(offer)
                async with nc.connect("twilio", **{TWILIO!r}) as carrier:
                    assert type(carrier).__module__.startswith("numbers_core.providers.twilio"), type(carrier)
                try:
                    import numbers_core.emulator
                except ImportError as exc:
                    assert "pip install '.[emulator]'" in str(exc), exc
                    assert exc.__cause__ is None and exc.__suppress_context__
                else:
                    raise AssertionError("numbers_core.emulator imported without its extra")
                print("ok")


            anyio.run(main)
            """
        )
        env = {**os.environ, "PYTHONPATH": ""}
        done = subprocess.run(  # noqa: S603
            [python, "-c", script], cwd=project, capture_output=True, text=True, env=env, check=False
        )
        if done.returncode != 0 or done.stdout.strip() != "ok":
            sys.exit(f"connecting from the user's project failed\n{done.stdout}{done.stderr}")
    print("install check: a plain install works beside the user's own providers package")


if __name__ == "__main__":
    main()
