"""``numbers bulk``: jobs planned, run, resumed, reported and cancelled from the command line."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from numbers_core.emulator import Emulator, Faults, serve
from numbers_core.emulator._server import Server
from typer.testing import Result

Cli = Callable[..., Result]


pytestmark = pytest.mark.usefixtures("journal_path")


def _only_job(cli: Cli) -> dict[str, Any]:
    listed = cli("--json", "bulk", "list")
    assert listed.exit_code == 0, listed.output
    (job,) = json.loads(listed.stdout)
    return job


def _owned(cli: Cli) -> list[str]:
    result = cli("--json", "list")
    assert result.exit_code == 0, result.output
    return sorted(number["phone_number"] for number in json.loads(result.stdout))


def test_a_plan_buys_nothing_and_resume_buys_exactly_what_it_showed(cli: Cli) -> None:
    planned = cli("--json", "bulk", "plan", "buy", "--count", "3", "--area-code", "415")
    assert planned.exit_code == 0, planned.output
    plan = json.loads(planned.stdout)
    assert plan["count"] == 3
    assert plan["monthly_total"] == {"USD": "3.45"}
    chosen = sorted(item["number"] for item in plan["items"])
    assert _owned(cli) == []
    shown = cli("bulk", "plan", "buy", "-n", "2", "--area-code", "510")
    assert "numbers to buy, 2.30 USD a month" in shown.stderr
    jobs = json.loads(cli("--json", "bulk", "list").stdout)
    assert [job["state"] for job in jobs] == ["planned", "planned"]
    resumed = cli("bulk", "resume", plan["job"])
    assert resumed.exit_code == 0, resumed.output
    assert _owned(cli) == chosen
    report = cli("bulk", "report", plan["job"])
    rows = list(csv.DictReader(io.StringIO(report.stdout)))
    assert sorted((row["number"], row["outcome"]) for row in rows) == [(n, "done") for n in chosen]
    status = cli("--json", "bulk", "status", plan["job"])
    assert status.exit_code == 0
    assert json.loads(status.stdout)["counts"] == {"done": 3}


def test_a_worker_without_a_job_works_through_every_job_not_done(cli: Cli) -> None:
    for area_code in ("415", "510"):
        assert cli("bulk", "plan", "buy", "--count", "2", "--area-code", area_code).exit_code == 0
    worked = cli("--json", "bulk", "worker")
    assert worked.exit_code == 0, worked.output
    assert [job["state"] for job in json.loads(cli("--json", "bulk", "list").stdout)] == ["done", "done"]
    assert len(_owned(cli)) == 4
    again = cli("bulk", "worker")  # nothing left to do
    assert again.exit_code == 0, again.output


def test_a_worker_opens_its_journal_while_it_connects_to_its_carrier(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 31: the journal's connection is made in a worker thread while the carrier's code is
    loaded and its client made, not after."""
    from numbers_core.bulk import Journal
    from numbers_core.cli import _run

    happened: list[str] = []
    opening, connecting = Journal.open, _run._connect

    async def open_journal(self: Journal) -> None:
        happened.append("journal opening")
        await opening(self)

    async def connect(*arguments: Any) -> Any:
        happened.append("carrier connecting")
        return await connecting(*arguments)

    monkeypatch.setattr(Journal, "open", open_journal)
    monkeypatch.setattr(_run, "_connect", connect)
    assert cli("bulk", "plan", "buy", "--count", "1", "--area-code", "415").exit_code == 0
    happened.clear()
    worked = cli("--json", "bulk", "worker")
    assert worked.exit_code == 0, worked.output
    assert happened == ["journal opening", "carrier connecting"]


def test_a_worker_whose_carrier_cannot_be_set_up_says_so_in_one_line(cli: Cli) -> None:
    assert cli("bulk", "plan", "buy", "--count", "1", "--area-code", "415").exit_code == 0
    worked = cli("--provider", "nosuch", "bulk", "worker")
    assert worked.exit_code == 2, worked.output  # a usage error, as for every command
    [line] = worked.stderr.splitlines()
    assert line.startswith("error: unknown provider 'nosuch'"), line


def test_a_worker_whose_journal_stays_out_of_reach_exits_75_saying_to_start_it_again(cli: Cli) -> None:
    pytest.importorskip("psycopg")
    unreachable = "postgresql://numbers:s3cret@127.0.0.1:1/jobs?connect_timeout=2"
    started = time.monotonic()
    worked = cli("bulk", "worker", "--journal", unreachable, "--journal-patience", "0.5")
    assert time.monotonic() - started >= 0.5  # waited for it, trying again
    assert worked.exit_code == 75, worked.output
    [line] = [line for line in worked.stderr.splitlines() if line.startswith("error:")]
    assert "out of reach for" in line
    assert "start this worker again" in line
    assert "s3cret" not in worked.stderr
    assert "internal error" not in worked.stderr
    # A command that reads or changes a job as it stands does not wait: run it again.
    status = cli("bulk", "status", "0123456789ab", "--journal", unreachable)
    assert status.exit_code == 75, status.output
    assert "once it is back, try again" in status.stderr


def test_commands_about_jobs_made_before_make_no_journal_in_a_database(cli: Cli, postgres_url: str) -> None:
    import psycopg

    def tables() -> list[str]:
        with psycopg.connect(postgres_url) as db:
            rows = db.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
            return [row[0] for row in rows]

    # Before: the journal's tables were made by the first command, whichever it was.
    listed = cli("bulk", "list", "--journal", postgres_url)
    assert listed.exit_code == 0, listed.output
    assert "No jobs: no journal at" in listed.output
    assert cli("--json", "bulk", "list", "--journal", postgres_url).stdout.strip() == "[]"
    for command in (["status", "0123456789ab"], ["report", "0123456789ab"], ["resume", "0123456789ab"]):
        refused = cli("bulk", *command, "--journal", postgres_url)
        assert refused.exit_code == 2, refused.output
        [line] = refused.stderr.splitlines()
        assert "the database holds no journal yet (numbers bulk plan or numbers bulk run makes one)" in line
    assert tables() == []
    assert (
        cli("bulk", "plan", "buy", "--count", "1", "--area-code", "415", "--journal", postgres_url).exit_code
        == 0
    )
    assert "numbers_schema" in tables()
    assert "purchase of 1" in cli("bulk", "list", "--journal", postgres_url).output


def test_a_job_file_with_two_criteria_sets_and_a_configuration(cli: Cli, tmp_path: Path) -> None:
    file = tmp_path / "job.toml"
    file.write_text(
        'kind = "buy"\nlabel = "Spring"\n'
        '[criteria.sf]\ncount = 3\narea_code = "415"\n'
        '[criteria.oakland]\ncount = 2\narea_code = "510"\n'
        '[config]\nfriendly_name = "Spring"\nvoice = { url = "https://example.com/voice" }\n'
    )
    result = cli("--json", "bulk", "run", "--file", str(file))
    assert result.exit_code == 0, result.output
    *events, summary = [json.loads(line) for line in result.stdout.splitlines()]
    assert [event["event"] for event in events] == ["done"] * 5
    assert summary["counts"] == {"done": 5}
    assert summary["label"] == "Spring"
    assert summary["orphans"] == []
    owned = json.loads(cli("--json", "list").stdout)
    assert sorted(n["phone_number"][:5] for n in owned) == ["+1415"] * 3 + ["+1510"] * 2
    assert {n["config"]["friendly_name"] for n in owned} == {"Spring"}
    assert {n["config"]["voice"]["url"] for n in owned} == {"https://example.com/voice"}


def test_a_bad_job_file_says_where(cli: Cli, tmp_path: Path) -> None:
    file = tmp_path / "job.toml"
    file.write_text('kind = "buy"\n[criteria.sf]\ncount = 0\narea_code = "415"\n')
    result = cli("bulk", "run", "--file", str(file))
    assert result.exit_code == 2
    assert "criteria.sf.count" in result.stderr
    assert "Traceback" not in result.output


def test_releasing_every_matching_number_needs_yes(cli: Cli) -> None:
    for area in ("415", "415", "510"):
        assert cli("buy", "--count", "1", "--area-code", area).exit_code == 0
    refused = cli("bulk", "run", "release", "--all-matching", "--contains", "1415")
    assert refused.exit_code == 2
    assert "release all 2 numbers" in refused.stderr
    assert "--yes" in refused.stderr
    assert len(_owned(cli)) == 3
    done = cli("bulk", "run", "release", "--all-matching", "--contains", "1415", "--yes")
    assert done.exit_code == 0, done.output
    assert [number[:5] for number in _owned(cli)] == ["+1510"]


def test_exit_codes_tell_some_failed_from_all_done(cli: Cli) -> None:
    assert cli("buy", "--count", "1", "--area-code", "415").exit_code == 0
    [owned] = _owned(cli)
    result = cli("bulk", "run", "release", owned, "+14155550199")
    assert result.exit_code == 3, result.output
    assert "failed" in result.stderr
    job = _only_job(cli)
    assert job["counts"] == {"done": 1, "failed": 1}
    status = cli("bulk", "status", job["job"])
    assert status.exit_code == 3


def test_a_cancelled_job_is_not_resumed(cli: Cli) -> None:
    planned = cli("--json", "bulk", "plan", "buy", "--count", "2", "--area-code", "415")
    job = json.loads(planned.stdout)["job"]
    cancelled = cli("bulk", "cancel", job)
    assert cancelled.exit_code == 0
    assert "2 items were not sent" in cancelled.stderr
    resumed = cli("bulk", "resume", job)
    assert resumed.exit_code == 2
    assert "cancelled" in resumed.stderr
    assert _owned(cli) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "configure", "+14155550100"], "needs at least one configuration option"),
        (["run", "buy"], "one of them"),
        (["run", "buy", "-n", "2", "--max-cost", "lots"], "--max-cost"),
        (["run", "release", "-n", "2"], "KIND must be buy"),
        (["run", "--file", "job.toml", "buy"], "not both"),
        (["run", "sell", "-n", "1"], "KIND"),
        (["run", "release", "--all-matching", "--area-code", "415"], "--area-code does not select"),
        (["status", "nosuchjob"], "no journal at"),  # nothing made yet: not even the journal
    ],
)
def test_usage_errors_are_one_line_and_exit_2(cli: Cli, args: list[str], message: str) -> None:
    result = cli("bulk", *args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_progress_lines_when_not_at_a_terminal(cli: Cli) -> None:
    result = cli("bulk", "run", "buy", "-n", "4", "--area-code", "415")
    assert result.exit_code == 0, result.output
    job = _only_job(cli)["job"]
    assert f"job {job}: 4/4: 4 done, 0 failed, 0 unknown" in result.stderr
    assert "done" in result.stderr


@pytest.fixture
def twilio_server() -> Iterator[Server]:
    with serve(Emulator("twilio", faults=Faults(latency=0.2))) as server:
        yield server


def _twilio_env(server: Server, **overrides: str) -> dict[str, str]:
    settings = {**server.settings, **overrides}
    return {f"NUMBERS_TWILIO_{key.upper()}": str(value) for key, value in settings.items()}


def _bought(server: Server) -> list[str]:
    """Every number the emulator's accounts own, as its control endpoint says."""
    state = httpx.get(f"{server.url}/_emulator/state").json()
    return sorted(number for numbers in state["numbers"].values() for number in numbers)


def test_an_account_wide_error_stops_the_job_and_resume_finishes_it(
    cli: Cli, twilio_server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    picks = ["+14155550100", "+14155550101", "+14155550102"]
    for key, value in _twilio_env(twilio_server, auth_token="0" * 32).items():
        monkeypatch.setenv(key, value)
    refused = cli("--provider", "twilio", "bulk", "run", "buy", *picks)
    assert refused.exit_code == 1, refused.output
    assert "resume" in refused.stderr
    job = _only_job(cli)
    assert job["state"] == "running"
    assert job["counts"] == {"planned": 3}
    for key, value in _twilio_env(twilio_server).items():
        monkeypatch.setenv(key, value)
    resumed = cli("--provider", "twilio", "bulk", "resume", job["job"])
    assert resumed.exit_code == 0, resumed.output
    assert _bought(twilio_server) == picks


def test_ctrl_c_stops_sending_and_resume_finishes_without_buying_twice(
    twilio_server: Server, tmp_path: Path, journal_path: Path
) -> None:
    async def search() -> list[str]:
        async with twilio_server.connect() as carrier:
            return sorted(n.phone_number for n in await carrier.search(area_code="415", limit=12))

    picks = anyio.run(search)
    env = {**os.environ, **_twilio_env(twilio_server), "NUMBERS_JOURNAL": str(journal_path)}
    command = [sys.executable, "-m", "numbers_core", "--provider", "twilio", "--json", "bulk"]
    process = subprocess.Popen(  # noqa: S603 - this interpreter, our own command
        [*command, "run", "buy", *picks, "--concurrency", "2", "--grace", "5"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    first = json.loads(process.stdout.readline())  # one purchase done: the job is under way
    assert first["event"] == "done"
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "Stopping" in err
    lines = [json.loads(line) for line in out.splitlines()]
    summary = lines[-1]
    # What was in flight had its grace to finish: nothing is left unknown, the rest is unsent.
    assert set(summary["counts"]) <= {"done", "planned"}
    assert 1 <= summary["counts"]["done"] < 12
    resumed = subprocess.run(  # noqa: S603 - this interpreter, our own command
        [*command, "resume", summary["job"]], env=env, capture_output=True, text=True, check=False
    )
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout.splitlines()[-1])["counts"] == {"done": 12}
    assert _bought(twilio_server) == picks  # each once


# -- at scale: past a search page, costs, what a plan cannot buy, Ctrl-C anywhere ----------------


@pytest.fixture
def quick_twilio() -> Iterator[Server]:
    with serve(Emulator("twilio")) as server:  # a search answers 30 numbers at most, as Twilio's
        yield server


def test_buying_more_than_a_search_shows_buys_them_all(
    cli: Cli, quick_twilio: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in _twilio_env(quick_twilio).items():
        monkeypatch.setenv(key, value)
    result = cli("--provider", "twilio", "bulk", "run", "buy", "--count", "70", "--area-code", "415")
    # Before: 30 bought, 40 failed ("no number matching the criteria is left to buy"), exit 3.
    assert result.exit_code == 0, result.output
    assert "70 numbers to buy" in result.stderr
    bought = _bought(quick_twilio)
    assert len(bought) == len(set(bought)) == 70
    assert all(number.startswith("+1415") for number in bought)


def test_the_summary_and_status_give_what_was_bought_costs_a_month(cli: Cli) -> None:
    result = cli("--json", "bulk", "run", "buy", "-n", "2", "--area-code", "415")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.splitlines()[-1])
    assert summary["monthly_cost"] == {"USD": "2.30"}
    assert summary["cost_basis"] == {"catalog": 2}  # the sandbox's price list priced both
    assert summary["unpriced"] == 0
    shown = cli("bulk", "status", summary["job"])
    assert shown.exit_code == 0
    assert (
        "Bought: 2.30 USD a month (the carrier's price list, as quoted when the numbers were chosen)"
        in shown.stderr
    )


def test_a_plan_whose_cap_refuses_everything_says_so_and_exits_non_zero(cli: Cli) -> None:
    result = cli("bulk", "plan", "buy", "-n", "3", "--area-code", "415", "--max-cost", "1 USD")
    # Before: "0 numbers to buy, no prices quoted a month", exit 0, and "(none left)" as the number.
    assert result.exit_code == 3, result.output
    assert "0 numbers to buy, no prices quoted a month; 3 cannot be bought: buying +1415" in result.stderr
    assert "would pass the job's cost cap of 1 USD" in result.stderr
    assert "(none left)" not in result.stdout


def test_a_cost_cap_the_carrier_cannot_price_is_refused_before_the_job_exists(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    # SignalWire's compatibility API has no price list (Twilio's has its Pricing API).
    with serve(Emulator("signalwire")) as server:
        for key, value in server.settings.items():
            monkeypatch.setenv(f"NUMBERS_SIGNALWIRE_{key.upper()}", str(value))
        buy = ["bulk", "run", "buy", "-n", "5", "--area-code", "415", "--max-cost", "50"]
        result = cli("--provider", "signalwire", *buy)
        assert result.exit_code == 2, result.output
        assert len(result.stderr.strip().splitlines()) == 1
        assert "signalwire does not price the numbers it offers (search.prices)" in result.stderr
        assert "give signalwire a prices setting" in result.stderr
        assert json.loads(cli("--json", "bulk", "list").stdout) == []
        assert server.emulator.requests == 0  # refused before any request: not even a search


def test_items_a_plan_cannot_pin_are_events_and_counted(cli: Cli) -> None:
    result = cli("--json", "bulk", "run", "buy", "-n", "15", "--starts-with", "415555012")
    assert result.exit_code == 3, result.output
    *events, summary = [json.loads(line) for line in result.stdout.splitlines()]
    failed = [event for event in events if event["event"] == "failed"]
    done = [event for event in events if event["event"] == "done"]
    # Before: no event for them, and the progress line said "10/10: 10 done, 0 failed".
    assert failed
    assert len(failed) + len(done) == 15
    assert all("no number matching the criteria is left to buy" in event["error"] for event in failed)
    assert summary["counts"] == {"done": len(done), "failed": len(failed)}
    plain = cli("bulk", "run", "buy", "-n", "15", "--starts-with", "415555013")
    assert plain.exit_code == 3
    assert "failed here: sandbox: no number matching the criteria is left to buy" in plain.stderr
    assert "/15:" in plain.stderr  # the progress line counts the whole job


def test_planning_shows_its_progress(cli: Cli) -> None:
    result = cli("bulk", "plan", "buy", "-n", "4", "--area-code", "415")
    assert result.exit_code == 0, result.output
    job = _only_job(cli)["job"]
    assert f"planning {job}: 4/4: 4 numbers chosen, 0 failed" in result.stderr


def test_plans_never_run_stop_showing_in_the_list_after_a_day(cli: Cli, journal_path: Path) -> None:
    import sqlite3

    for _ in range(3):
        assert cli("bulk", "plan", "buy", "-n", "1", "--area-code", "415").exit_code == 0
    assert cli("bulk", "run", "buy", "-n", "1", "--area-code", "510").exit_code == 0
    with sqlite3.connect(journal_path) as db:  # two of the plans were made two days ago
        db.execute("UPDATE jobs SET created_at = created_at - 172800 WHERE rowid <= 2")
    listed = cli("--json", "bulk", "list")
    assert [job["state"] for job in json.loads(listed.stdout)] == ["planned", "done"]
    assert "2 plans older than a day, never run, not shown (numbers bulk list --all)" in listed.stderr
    assert len(json.loads(cli("--json", "bulk", "list", "--all").stdout)) == 4


def _wait_for_a_job(journal_path: Path) -> None:
    """Until a job is written in the journal (a process starting up hears no Ctrl-C of ours)."""
    import sqlite3

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if journal_path.exists():
            with contextlib.suppress(sqlite3.Error), sqlite3.connect(journal_path) as db:
                if db.execute("SELECT count(*) FROM jobs").fetchone()[0]:
                    return
        time.sleep(0.05)
    raise AssertionError("no job was written")


def _subprocess_env(server: Server, journal_path: Path) -> dict[str, str]:
    return {**os.environ, **_twilio_env(server), "NUMBERS_JOURNAL": str(journal_path)}


_BULK = [sys.executable, "-m", "numbers_core", "--provider", "twilio", "--json", "bulk"]


def _bulk(env: dict[str, str], *arguments: str) -> subprocess.Popen[str]:
    """``numbers --provider twilio --json bulk ARGUMENTS`` in a process of its own."""
    return subprocess.Popen(  # noqa: S603 - this interpreter, our own command
        [*_BULK, *arguments], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _interrupted(process: subprocess.Popen[str]) -> dict[str, Any]:
    """Ctrl-C to a running ``numbers --json bulk`` command: it says which job, and how to go on.
    Its summary line."""
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    summary: dict[str, Any] = json.loads(out.splitlines()[-1])
    assert summary["stopped"] is True
    assert f"numbers bulk resume {summary['job']}" in err
    return summary


def test_ctrl_c_while_planning_says_the_job_and_how_to_resume_it(journal_path: Path) -> None:
    with serve(Emulator("twilio", faults=Faults(latency=1.0))) as server:
        env = _subprocess_env(server, journal_path)
        process = _bulk(env, "plan", "buy", "--count", "300", "--area-code", "415")
        _wait_for_a_job(journal_path)
        time.sleep(1.0)  # planning: its first searches out (a second each)
        # Before: exit 130 and nothing else, though the job existed.
        summary = _interrupted(process)
        assert summary["counts"] == {"planned": 300}
        resumed = _bulk(env, "resume", summary["job"], "--concurrency", "100")
        _, err = resumed.communicate(timeout=120)
        assert resumed.returncode == 0, err
        assert len(_bought(server)) == 300


def test_ctrl_c_during_the_final_check_says_the_job_and_how_to_resume_it(journal_path: Path) -> None:
    with serve(Emulator("twilio", faults=Faults(latency=1.0))) as server:
        process = _bulk(_subprocess_env(server, journal_path), "run", "buy", "+14155550100")
        assert process.stdout is not None
        assert json.loads(process.stdout.readline())["event"] == "done"  # then the account is listed
        time.sleep(0.3)
        assert _interrupted(process)["counts"] == {"done": 1}


def test_a_job_across_two_carriers_records_each_items_and_resumes_with_the_same_ones(
    cli: Cli, tmp_path: Path
) -> None:
    twilio, telnyx = Emulator("twilio"), Emulator("telnyx")
    twilio.set_stock({"+1415": 2})  # Twilio has two numbers of 415 left to sell
    with serve(twilio) as at_twilio, serve(telnyx) as at_telnyx:
        profiles = ['[profiles.both]\nproviders = ["twilio", "telnyx"]\n']
        for name, server in (("twilio", at_twilio), ("telnyx", at_telnyx)):
            settings = "".join(f"{key} = {json.dumps(value)}\n" for key, value in server.settings.items())
            profiles.append(f'[profiles.{name}]\nprovider = "{name}"\n{settings}')
        Path("numbers.toml").write_text("\n".join(profiles))

        # The dry run: every number chosen at the first carrier that shows one, nothing bought.
        planned = cli(
            "--json", "--profile", "both", "bulk", "plan", "buy", "--count", "4", "--area-code", "415"
        )
        assert planned.exit_code == 0, planned.output
        plan = json.loads(planned.stdout)
        assert [item["provider"] for item in plan["items"]] == ["twilio"] * 4
        shown = cli("--profile", "both", "bulk", "plan", "buy", "-n", "1", "--area-code", "510")
        assert "Provider" in shown.stdout  # the plan's table names each number's carrier

        # Another carrier than the job's: refused, saying which to give.
        other = cli("--profile", "telnyx", "bulk", "resume", plan["job"])
        assert other.exit_code == 2
        assert "give --provider twilio,telnyx" in other.stderr
        # The same two, named otherwise and in another order: Telnyx first now.
        resumed = cli("--json", "--provider", "telnyx,twilio", "bulk", "resume", plan["job"])
        assert resumed.exit_code == 0, resumed.output
        summary = json.loads(resumed.stdout.splitlines()[-1])
        assert summary["counts"] == {"done": 4}
        assert summary["orphans"] == []
        # Twilio sold its last two; the two it could not sell any more were bought at Telnyx.
        assert summary["providers"] == {"twilio": {"done": 2}, "telnyx": {"done": 2}}

        report = cli("bulk", "report", plan["job"])
        rows = list(csv.DictReader(io.StringIO(report.stdout)))
        owned = anyio.run(_owned_at, twilio, telnyx)
        assert {row["number"]: row["provider"] for row in rows} == owned
        status = cli("bulk", "status", plan["job"])
        assert status.exit_code == 0
        assert "twilio" in status.stderr  # a column for each
        assert "telnyx" in status.stderr

        listed = cli("--profile", "both", "list")
        assert "Provider" in listed.stdout
        assert "telnyx" in listed.stdout
        assert "twilio" in listed.stdout


async def _owned_at(*emulators: Emulator) -> dict[str, str]:
    """Each number the emulators' accounts own, with the carrier it is owned at."""
    return {
        number: emulator.dialect.name
        for emulator in emulators
        for numbers in (await emulator.state())["numbers"].values()
        for number in numbers
    }
