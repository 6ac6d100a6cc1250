"""A job's report: one row per item (number, carrier, outcome, error, price and its basis, when), as
CSV or JSON lines."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import IO

from ._journal import DamagedJob, Item, ItemState, Journal

__all__ = ["COLUMNS", "ReportRow", "report", "write_csv", "write_json"]


@dataclass(frozen=True)
class ReportRow:
    """What happened to one item, in the user's terms."""

    item: int
    number: str
    provider: str  # the carrier it went to: a routing provider's member, else the job's carrier
    outcome: str  # done, failed, unknown (may have happened), planned (not sent yet)
    reconciled: bool  # settled by looking the number up after a lost answer or a crash
    attempts: int  # how many times it was sent (1 for an item done at the first try)
    error: str
    carrier_code: str
    message: str
    monthly_price: str
    currency: str
    price_basis: str  # where the price came from: offer, catalog, table, quote ("" with no price)
    updated_at: str  # ISO 8601, UTC

    @classmethod
    def of(cls, item: Item, provider: str = "") -> ReportRow:
        """``item``'s row; ``provider``: the job's carrier, for an item that records none (not sent
        yet across several carriers, or written by an older numbers-core)."""
        # Being sent when the job stopped: it may have happened, until resume looks.
        state = ItemState.UNKNOWN if item.state is ItemState.SENDING else item.state
        # A done item may carry the error of a try before the one that worked: not shown.
        said = item.state is not ItemState.DONE
        return cls(
            item=item.seq,
            number=item.number or "",
            provider=item.provider or provider,
            outcome=str(state),
            reconciled=item.reconciled,
            attempts=item.sends,
            error=(item.error_class or "") if said else "",
            carrier_code=(item.error_code or "") if said else "",
            message=(item.error_message or "") if said else "",
            monthly_price="" if item.price is None else str(item.price),
            currency=item.currency or "",
            price_basis="" if item.price_basis is None else str(item.price_basis),
            updated_at=datetime.fromtimestamp(item.updated_at, UTC).isoformat(timespec="seconds"),
        )


COLUMNS = tuple(ReportRow.__dataclass_fields__)


async def report(journal: Journal, job_id: str) -> list[ReportRow]:
    """The job's rows, in item order."""
    try:
        job = await journal.job(job_id)
    except DamagedJob:  # its record cannot be read, its items can: they say what carrier they know
        carrier = ""
    else:
        # Across several carriers, an item not sent yet has none of its own.
        carrier = "" if "," in job.provider else job.provider
    return [ReportRow.of(item, carrier) for item in await journal.items(job_id)]


def write_csv(rows: Iterable[ReportRow], out: IO[str]) -> None:
    """A header line, then one line per row."""
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    for row in rows:
        writer.writerow(asdict(row))


def write_json(rows: Iterable[ReportRow], out: IO[str]) -> None:
    """One JSON object per line."""
    for row in rows:
        out.write(json.dumps(asdict(row)) + "\n")
