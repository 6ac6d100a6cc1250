"""Development sessions: ``nox -s tests lint typing docs`` (all four are the default)."""

from __future__ import annotations

from pathlib import Path

import nox
from packaging.requirements import Requirement

nox.needs_version = ">=2024.10"

# Plain venv + pip: pip honours the machine's pip configuration (indexes, find-links, certificates),
# which uv does not read.
nox.options.default_venv_backend = "venv"
nox.options.reuse_venv = "yes"
nox.options.error_on_external_run = True
nox.options.sessions = ["tests", "lint", "typing", "docs"]

# Tool requirements are written once, in the ``dev`` extra; each session installs only the tools it runs.
PYPROJECT = nox.project.load_toml("pyproject.toml")
EXTRAS = PYPROJECT["project"]["optional-dependencies"]
DEV = {Requirement(spec).name: spec for spec in EXTRAS["dev"]}
DEV_TEST = {Requirement(spec).name: spec for spec in EXTRAS["test"]}


@nox.session
def tests(session: nox.Session) -> None:
    """The whole suite; every async test runs under asyncio and trio (tests/conftest.py)."""
    session.install(".[test]")

    session.run("pytest", *session.posargs)


@nox.session(reuse_venv=False)
def install(session: nox.Session) -> None:
    """A plain install as a new user makes it: the wheel and pytest in a fresh venv, no extras, run from
    a project that has its own ``providers`` package (tests/install_check.py)."""
    wheels = session.create_tmp()
    session.run("python", "-m", "pip", "wheel", "--no-deps", "--wheel-dir", wheels, ".", silent=True)
    [wheel] = Path(wheels).glob("numbers_core-*.whl")
    session.install(str(wheel), DEV_TEST["pytest"])

    session.run("python", "tests/install_check.py", str(wheel))


@nox.session
def lint(session: nox.Session) -> None:
    session.install(DEV["ruff"])

    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typing(session: nox.Session) -> None:
    """mypy --strict over the packages configured in pyproject.toml (the test extra: the pytest plugin)."""
    session.install(".[test]", DEV["mypy"])

    session.run("mypy")


@nox.session
def docs(session: nox.Session) -> None:
    # mkdocstrings formats the API reference's signatures with ruff.
    session.install(DEV["mkdocs-material"], DEV["mkdocstrings"], DEV["ruff"])

    # The variable silences Material's end-of-life banner, which is not about this build.
    session.run("mkdocs", "build", "--strict", *session.posargs, env={"NO_MKDOCS_2_WARNING": "1"})


# Only the bench installs these: twilio-python is what it compares against, aiohttp (on uvloop)
# serves the canned answers, httpx-aiohttp is one of the transport baselines, and trio runs the trio
# column. Pinned so that runs compare.
BENCH = ["twilio==9.13.0", "aiohttp==3.14.5", "httpx-aiohttp==0.2.0", "uvloop==0.23.0", "trio==0.35.0"]


@nox.session
def bench(session: nox.Session) -> None:
    """Client CPU per operation, numbers-core vs twilio-python (bench/); ``-- --quick`` for a smoke run."""
    session.install(".[emulator]", *BENCH)

    session.run("python", "-m", "bench", *session.posargs)
    # Bulk jobs against emulator servers (bench/bulk.py): ratio to the bound, rate held, batches, memory.
    session.run("python", "-m", "bench.bulk", *(["--quick"] if "--quick" in session.posargs else []))


# Only the SDK session installs the carriers' own SDKs; pinned so that runs compare.
SDKS = [
    "twilio==9.13.0",
    "sinch==2.3.0",
    # 4.176.0: the release the Telnyx wire notes read; 4.87.1 and 4.87.2 were malicious
    # (pypa/advisory-database#271).
    "telnyx==4.176.0",
    "vonage==4.9.1",
    "plivo==4.63.0",
]


@nox.session
def sdks(session: nox.Session) -> None:
    """twilio-python (sync and async), Sinch's, Telnyx's, Vonage's (over HTTPS) and Plivo's SDKs,
    unchanged, against the emulators (tests/sdks)."""
    session.install(".[test]", *SDKS)

    session.run("pytest", "tests/sdks", *session.posargs)


@nox.session
def instructions(session: nox.Session) -> None:
    """The bench's rows in instructions per operation (valgrind), which load does not move; slow."""
    session.install(".[emulator]", *BENCH)

    session.run("python", "-m", "bench.instructions", *session.posargs)
