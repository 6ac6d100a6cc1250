"""Separate processes sharing one sandbox file, as the CLI's commands do."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import anyio
import numbers_core as nc

BUY = """
import sys, anyio, numbers_core as nc

async def main():
    async with nc.connect("sandbox", path=sys.argv[1], account_id=sys.argv[2]) as carrier:
        try:
            owned = await carrier.purchase(sys.argv[3])
        except nc.NumberUnavailableError as exc:
            print("unavailable", exc.code)
        else:
            print("bought", owned.phone_number, owned.account_id)

anyio.run(main)
"""


def buyer(path: Path, account: str, number: str) -> subprocess.Popen[str]:
    return subprocess.Popen(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", BUY, str(path), account, number],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def answer(process: subprocess.Popen[str]) -> str:
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    return out.strip()


def some_number() -> str:
    async def main() -> str:
        async with nc.connect("sandbox") as carrier:
            [number] = await carrier.search(number_type="toll_free", contains="7*7", limit=1)
            return number.phone_number

    return anyio.run(main)


def test_a_number_bought_in_one_process_is_listed_in_the_next(tmp_path: Path) -> None:
    path = tmp_path / "sandbox.db"
    number = some_number()
    assert answer(buyer(path, "sandbox", number)) == f"bought {number} sandbox"

    async def main() -> list[nc.ActiveNumber]:
        async with nc.connect("sandbox", path=str(path)) as carrier:
            return [n async for n in carrier.list()]

    [listed] = anyio.run(main)
    assert listed.phone_number == number
    assert answer(buyer(path, "someone-else", number)) == "unavailable number-unavailable"


def test_processes_racing_for_one_number_make_one_owner(tmp_path: Path) -> None:
    path = tmp_path / "sandbox.db"
    number = some_number()
    racers = [buyer(path, f"account-{n}", number) for n in range(4)]
    answers = sorted(answer(process) for process in racers)
    assert answers[0].startswith(f"bought {number} account-")
    assert answers[1:] == ["unavailable number-unavailable"] * 3
