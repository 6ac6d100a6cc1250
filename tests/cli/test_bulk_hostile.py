"""``numbers bulk`` against hostile input: job files, options and journals that are not what they
should be end in one line and exit 2, before anything is made; what the journal holds is shown inert.

The fuzz cases are seeded, so a failure names the case that reproduces it:

    pytest tests/cli/test_bulk_hostile.py -k fuzz     # FUZZ_BULK_CASES=2000 for more
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numbers_core as nc
import pytest
from numbers_core.bulk import JobFile
from numbers_core.bulk._limits import MAX_FILE_BYTES, MAX_ITEMS, MAX_NESTING
from typer.testing import Result

Cli = Callable[..., Result]

CASES = int(os.environ.get("FUZZ_BULK_CASES", "300"))
N1, N2 = "+14155550101", "+14155550102"


@pytest.fixture(autouse=True)
def journal_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sandbox_path: Path) -> Path:
    """The journal, the sandbox and every relative path in tmp_path, where a test sees what is made."""
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "jobs.sqlite3"
    monkeypatch.setenv("NUMBERS_JOURNAL", str(path))
    return path


def _everything(folder: Path) -> set[Path]:
    return set(folder.rglob("*"))


def _one_line_usage_error(result: Result) -> str:
    """The one line a command refused with, exit 2, and no traceback."""
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), lines
    assert "internal error" not in lines[0]
    return lines[0]


# -- options ----------------------------------------------------------------------------------------


# Running options, which numbers bulk run takes.
_RUNNING = [
    # Before: a job made, then "internal error: ValueError" from the rate limiter.
    (["--rate", "inf"], "--rate: inf is out of range: at most 10000"),
    (["--rate", "nan"], "--rate: nan is out of range"),
    # Before: accepted.
    (["--burst", "1" + "0" * 30], "--burst: 1000000000000000000000000000000 is out of range: at most 1000"),
    (["--grace", "inf"], "--grace: inf is out of range: at most 86400"),
    (["--lease", "inf"], "--lease: inf is out of range: at most 86400"),
]
# The job's options, which numbers bulk plan takes too.
_JOB = [
    (["--max-cost", "5 ZZZ"], "--max-cost: 'ZZZ' is no currency"),
    (["--label", "x" * 201], "--label: at most 200 characters, not 201"),
    # Before: MemoryError.
    (["-n", "1000000000000"], f"a job holds at most {MAX_ITEMS:,} numbers, not 1,000,000,000,000"),
    # No bulk command takes --limit (each search asks for what the job needs).
    (["--limit", "0"], "No such option: --limit"),
]


@pytest.mark.parametrize(
    ("command", "options", "message"),
    [("run", *case) for case in _RUNNING + _JOB] + [("plan", *case) for case in _JOB],
)
def test_an_option_out_of_bounds_is_refused_before_anything_is_made(
    cli: Cli, tmp_path: Path, command: str, options: list[str], message: str
) -> None:
    before = _everything(tmp_path)
    line = _one_line_usage_error(cli("bulk", command, "buy", "-n", "2", "--area-code", "415", *options))
    assert message in line
    assert _everything(tmp_path) == before


# -- journals ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", [["list"], ["status", "abc"], ["plan", "buy", "-n", "1"]])
def test_a_url_no_journal_has(cli: Cli, tmp_path: Path, command: list[str]) -> None:
    # Before: folders named "mysql:" and "x" made, and a journal in them.
    before = _everything(tmp_path)
    line = _one_line_usage_error(cli("bulk", *command, "--journal", "mysql://me:secret@x/y"))
    assert "journal 'mysql://me:***@x/y': not a journal location" in line
    assert _everything(tmp_path) == before


@pytest.mark.parametrize(
    "command", [["status", "abc"], ["report", "abc"], ["cancel", "abc"], ["resume", "abc"], ["worker"]]
)
def test_a_command_about_jobs_made_before_makes_no_journal(
    cli: Cli, tmp_path: Path, command: list[str]
) -> None:
    before = _everything(tmp_path)
    line = _one_line_usage_error(cli("bulk", *command, "--journal", "no/such/dir.sqlite3"))
    assert f"no journal at {str(tmp_path / 'no/such/dir.sqlite3')!r}" in line
    assert _everything(tmp_path) == before


def test_listing_where_there_is_no_journal_makes_none(cli: Cli, tmp_path: Path) -> None:
    # Before: the folders and an empty journal made.
    before = _everything(tmp_path)
    listed = cli("bulk", "list", "--journal", "no/such/dir.sqlite3")
    assert listed.exit_code == 0, listed.output
    assert "No jobs: no journal at no/such/dir.sqlite3 yet" in listed.stderr
    assert cli("--json", "bulk", "list", "--journal", "no/such/dir.sqlite3").stdout.strip() == "[]"
    assert _everything(tmp_path) == before


def test_a_job_that_is_not_there_in_a_journal_that_is(cli: Cli) -> None:
    assert cli("bulk", "plan", "buy", "-n", "1").exit_code == 0
    assert "no job 'nosuchjob'" in _one_line_usage_error(cli("bulk", "status", "nosuchjob"))


def test_another_applications_sqlite_file(cli: Cli, tmp_path: Path) -> None:
    # Before: the journal's tables added to it.
    path = tmp_path / "app.sqlite3"
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.execute("CREATE TABLE customers (name TEXT)")
        db.commit()
    before = path.read_bytes()
    for command in (["list"], ["plan", "buy", "-n", "1"]):
        line = _one_line_usage_error(cli("bulk", *command, "--journal", str(path)))
        assert "is a SQLite file of something else (its tables: customers), not a journal" in line
    assert path.read_bytes() == before


def _damage(path: Path, job_id: str) -> None:
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.execute("UPDATE jobs SET spec = '{not json' WHERE id = ?", (job_id,))
        db.commit()


def test_a_damaged_job_is_said_so_and_the_others_listed(cli: Cli, journal_path: Path) -> None:
    # Before: JSONDecodeError in list, status and resume alike.
    jobs = []
    for label in ("first", "second", "third"):
        planned = cli("--json", "bulk", "plan", "release", N1, "--label", label)
        assert planned.exit_code == 0, planned.output
        jobs.append(json.loads(planned.stdout)["job"])
    _damage(journal_path, jobs[1])
    listed = cli("bulk", "list")
    assert listed.exit_code == 0, listed.output
    assert "first" in listed.stdout
    assert "third" in listed.stdout
    assert "second" not in listed.stdout
    warning = f"warning: journal {str(journal_path)!r}: the record of job {jobs[1]!r} is damaged"
    assert listed.stderr.strip().splitlines() == [
        f"{warning} (its spec is not a JSON object): it cannot be read or run"
    ]
    assert [job["label"] for job in json.loads(cli("--json", "bulk", "list").stdout)] == ["first", "third"]
    for command in ("status", "resume", "cancel"):
        line = _one_line_usage_error(cli("bulk", command, jobs[1]))
        assert f"the record of job {jobs[1]!r} is damaged" in line
    assert cli("bulk", "report", jobs[1]).exit_code == 0  # its items are whole, and reported
    assert json.loads(cli("--json", "bulk", "status", jobs[0]).stdout)["job"] == jobs[0]


# -- what the journal holds, shown inert ------------------------------------------------------------

EVIL = "evil\x1b]0;pwned\x07\x1b[2J\u202etxt"
SHOWN = "evil\\x1b]0;pwned\\x07\\x1b[2J\\u202etxt"


def test_a_label_is_shown_inert(cli: Cli) -> None:
    # Before: printed raw in numbers bulk list, and in a job's summary line.
    planned = cli("--json", "bulk", "plan", "release", N1, "--label", EVIL)
    job = json.loads(planned.stdout)["job"]
    assert json.loads(planned.stdout)["label"] == EVIL  # JSON keeps it as given, escaped
    assert "\x1b" not in planned.stdout
    assert "\u202e" not in planned.stdout  # json.dumps escapes C0 only: before, written raw
    listed = cli("bulk", "list")
    assert SHOWN in listed.stdout
    assert "\x1b" not in listed.stdout
    status = cli("bulk", "status", job)
    assert f"Job {job} ({SHOWN}): planned" in status.stderr
    assert "\x1b" not in status.stderr


def test_a_carriers_message_is_shown_inert(capsys: pytest.CaptureFixture[str]) -> None:
    from numbers_core.bulk import ItemState, Job, JobState, Plan
    from numbers_core.bulk._journal import Item
    from numbers_core.cli._bulk import _show_plan

    job = Job("j1", EVIL, "purchase", "sandbox", {}, JobState.PLANNED, 0.0, 0.0)
    item = Item(0, "a", "+1415\x1b[31m", ItemState.FAILED, False, 1, "X", "1", EVIL, None, None, None, 0.0)
    _show_plan(Plan(job=job, items=[item], failed=1), json_output=False)
    shown = capsys.readouterr()
    assert "\x1b" not in shown.out + shown.err
    assert f"failed: {SHOWN}" in shown.out
    assert "+1415\\x1b[31m" in shown.out


def test_a_report_on_a_terminal_is_inert_and_in_a_file_as_said(
    cli: Cli, journal_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = json.loads(cli("--json", "bulk", "plan", "release", N1).stdout)["job"]
    with contextlib.closing(sqlite3.connect(journal_path)) as db:
        db.execute("UPDATE items SET state = 'failed', error_message = ?", (EVIL,))
        db.commit()
    piped = cli("bulk", "report", job)
    assert EVIL in piped.stdout  # for a program: as the carrier said it
    monkeypatch.setattr("numbers_core.cli._bulk._stdout_is_terminal", lambda: True)
    shown = cli("bulk", "report", job)
    assert SHOWN in shown.stdout
    assert "\x1b" not in shown.stdout
    assert cli("bulk", "report", job, "-o", str(tmp_path / "r.csv")).exit_code == 0
    assert EVIL in (tmp_path / "r.csv").read_text()


# -- job files: the fuzz ----------------------------------------------------------------------------


def _deep(rng: random.Random, depth: int) -> Any:
    value: Any = rng.choice([1, "x", True])
    for _ in range(depth):
        value = [value] if rng.random() < 0.5 else {"k": value}
    return value


def _base(rng: random.Random) -> dict[str, Any]:
    if rng.random() < 0.5:
        return {
            "kind": "buy",
            "label": "Spring",
            "criteria": {"sf": {"count": 2, "area_code": "415"}},
            "config": {"friendly_name": "Spring"},
        }
    return {"kind": "release", "numbers": [N1, N2]}


# Each makes the job wrong by itself: any of them, or several, must be refused.
_MUTATIONS: list[Callable[[random.Random, dict[str, Any]], None]] = [
    lambda rng, job: job.update(kind=rng.choice([1, True, [], {}, "sell", "", "BUY", "buy\x00"])),
    lambda rng, job: job.update(
        criteria={"a": {"count": 10 ** rng.randint(6, 60)}}, kind="buy", numbers=None
    ),
    lambda rng, job: job.update(
        criteria={"a": {"count": rng.choice([True, False, "5", 1.5, [], {}, -3, 0])}}
    ),
    lambda rng, job: job.update(criteria={f"s{n}": {"count": 1} for n in range(1_001)}, kind="buy"),
    lambda rng, job: job.update(criteria={"a": {"count": 1}}, numbers=[N1]),
    lambda rng, job: job.update(label=rng.choice([1, [], {}, False, "x" * rng.randint(201, 5000)])),
    lambda rng, job: job.update(numbers=rng.choice(["+14155550101", [1], [[]], [{}], ["+1" + "9" * 300]])),
    lambda rng, job: job.update(
        max_cost=rng.choice(["5 ZZZ", "lots", -5, [], {}, "1e400 USD", "-1 USD", True])
    ),
    lambda rng, job: job.update(config=rng.choice([[], 5, {"voice": 5}, {"colour": "red"}])),
    lambda rng, job: job.update(**{rng.choice(["colour", "count", "Kind", "numbers "]): 1}),
    lambda rng, job: job.update(matching=_deep(rng, rng.randint(MAX_NESTING, 3 * MAX_NESTING))),
    lambda rng, job: job.update(label=_deep(rng, rng.randint(1, 200))),
    lambda rng, job: job.update(
        criteria={"a": {"count": 1, "area_code": rng.choice(["4x5", [], "4" * 100, 4.15])}}
    ),
]


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a TOML basic string as well
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    return "{" + ", ".join(f"{json.dumps(key)} = {_toml_value(item)}" for key, item in value.items()) + "}"


def _text(rng: random.Random, job: dict[str, Any], suffix: str) -> str:
    job = {key: value for key, value in job.items() if value is not None}
    if suffix == ".toml":
        return "".join(f"{json.dumps(key)} = {_toml_value(value)}\n" for key, value in job.items())
    text = json.dumps(job)
    if rng.random() < 0.2:  # a key given twice: the second one what a parser keeping the last would see
        text = text[:-1] + ', "kind": "release"}'
    return text


def _hostile_file(rng: random.Random, folder: Path, case: int) -> Path:
    suffix = rng.choice([".json", ".toml"])
    file = folder / f"case{case}{suffix}"
    roll = rng.random()
    if roll < 0.1:  # not text, or not the file's syntax
        file.write_bytes(
            rng.choice(
                [
                    bytes(rng.randrange(256) for _ in range(rng.randint(1, 300))),
                    b"\xff\xfe" + "kind = 'buy'".encode("utf-16-le"),
                    b"",
                    b"kind = \x00",
                    json.dumps(_base(rng)).encode()[: rng.randint(1, 20)],
                ]
            )
        )
        return file
    if roll < 0.15:  # nested past what the parsers recurse through
        depth = rng.randint(1_000, 100_000)
        opening, closing = ("[", "]") if suffix == ".json" else ("a = " + "[", "]")
        file.write_text(opening + "[" * depth + "]" * depth + closing)
        return file
    job = _base(rng)
    for mutate in rng.sample(_MUTATIONS, rng.randint(1, 3)):
        mutate(rng, job)
    file.write_text(_text(rng, job, suffix))
    return file


def _outcome(file: Path) -> Exception | None:
    """What loading ``file`` raised (None: nothing, it was accepted)."""
    try:
        JobFile.load(file)
    except Exception as exc:  # whatever comes out is what the test looks at
        return exc
    return None


def test_fuzz_hostile_job_files_are_refused_by_the_loader_with_its_error(tmp_path: Path) -> None:
    rng = random.Random(29)
    for case in range(CASES):
        file = _hostile_file(rng, tmp_path, case)
        refused = _outcome(file)
        shown = (case, file.read_bytes()[:200])
        assert isinstance(refused, nc.InvalidInputError), (*shown, repr(refused))
        assert isinstance(refused, ValueError)
        assert "\n" not in refused.message, (*shown, refused.message)
        assert refused.message.startswith(f"job file {str(file)!r}: "), (*shown, refused.message)


def test_fuzz_hostile_job_files_end_in_one_line_and_nothing_made(cli: Cli, tmp_path: Path) -> None:
    rng = random.Random(2929)
    files = tmp_path / "files"
    files.mkdir()
    for case in range(max(CASES // 3, 20)):
        file = _hostile_file(rng, files, case)
        before = _everything(tmp_path)
        result = cli("bulk", rng.choice(["plan", "run"]), "--file", str(file))
        assert result.exit_code == 2, (case, file.read_bytes()[:200], result.output)
        assert len(result.stderr.strip().splitlines()) == 1, (case, result.stderr)
        assert "internal error" not in result.stderr, (case, result.stderr)
        assert "Traceback" not in result.output, (case, result.output)
        assert _everything(tmp_path) == before, case


def test_a_file_of_no_end(cli: Cli, tmp_path: Path) -> None:
    # Before: read forever.
    before = _everything(tmp_path)
    line = _one_line_usage_error(cli("bulk", "plan", "--file", "/dev/zero"))
    assert f"larger than a job file may be ({MAX_FILE_BYTES // 1024 // 1024} MiB)" in line
    assert _everything(tmp_path) == before
