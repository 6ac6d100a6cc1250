"""A job's report, as CSV and JSON lines, from a real run against the sandbox."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numbers_core as nc
import pytest
from numbers_core.bulk._engine import Runner, create_job
from numbers_core.bulk._journal import Journal
from numbers_core.bulk._report import COLUMNS, report, write_csv, write_json

pytestmark = pytest.mark.anyio


async def test_every_item_has_a_row_with_its_outcome_error_and_price(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "bulk.sqlite3")
    async with nc.connect("sandbox") as carrier:
        job = await create_job(
            journal, carrier, "purchase", criteria={"415": (nc.SearchQuery(area_code="415"), 2)}
        )
        await Runner(carrier, journal).run(job.id)
        released = await create_job(
            journal,
            carrier,
            "release",
            numbers=[n.phone_number async for n in carrier.list()] + ["+14155550199"],
        )
        await Runner(carrier, journal).run(released.id)
    bought = await report(journal, job.id)
    # attempts: how many times each was sent (before: 0 for an item done at the first try).
    seen = [
        (r.provider, r.outcome, r.monthly_price, r.currency, r.price_basis, r.error, r.attempts)
        for r in bought
    ]
    assert seen == [("sandbox", "done", "1.15", "USD", "catalog", "", 1)] * 2
    text = io.StringIO()
    write_csv(bought, text)
    # The price and where it came from (the sandbox's price list), in the CSV and the JSON lines.
    assert [(p["monthly_price"], p["price_basis"]) for p in csv.DictReader(io.StringIO(text.getvalue()))] == [
        ("1.15", "catalog")
    ] * 2
    lines = io.StringIO()
    write_json(bought, lines)
    assert {json.loads(line)["price_basis"] for line in lines.getvalue().splitlines()} == {"catalog"}
    rows = await report(journal, released.id)
    assert [r.outcome for r in rows] == ["done", "done", "failed"]
    assert (rows[2].number, rows[2].error) == ("+14155550199", "NotFoundError")
    assert "not a number of account" in rows[2].message

    text = io.StringIO()
    write_csv(rows, text)
    parsed = list(csv.DictReader(io.StringIO(text.getvalue())))
    assert tuple(parsed[0]) == COLUMNS
    assert [(p["outcome"], p["provider"]) for p in parsed] == [("done", "sandbox")] * 2 + [
        ("failed", "sandbox")
    ]
    lines = io.StringIO()
    write_json(rows, lines)
    assert [json.loads(line)["number"] for line in lines.getvalue().splitlines()] == [r.number for r in rows]
