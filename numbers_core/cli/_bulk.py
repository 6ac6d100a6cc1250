"""``numbers bulk``: jobs of many numbers, planned, journaled, resumable (numbers_core.bulk).

Exit codes, beyond those of every command (1 carrier or network, 2 usage):
0 every item done, 3 some items failed (the others done), 4 some items are
still unknown or unsent (``numbers bulk resume JOB`` finishes them), 75 the
journal's database stayed out of reach (start the command again once it is
back), 130 stopped by Ctrl-C or SIGTERM (resume finishes it too).
"""

from __future__ import annotations

import contextlib
import functools
import signal
import sys
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict, dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, cast

import anyio
import typer

from numbers_core import ComplianceRequiredError, ComplianceScope, PriceBasis
from numbers_core.errors import NumbersError

from ._options import (
    _add_params,
    _param,
    compliance_options,
    config_options,
    criteria_options,
    number_compliance,
    number_config,
    typed_number,
)
from ._output import note, stderr_console, stdout_console, write_json
from ._run import (
    EXIT_INTERRUPTED,
    NumbersCommand,
    Target,
    connect_beside,
    default_journal_path,
    exit_code,
    fail_usage,
    print_error,
    print_warning,
    run,
)
from ._visible import json_text, visible
from ._words import COMPLIANCE_OPTIONS, account_needs, carrier_details, error_text, requirement_field

if TYPE_CHECKING:
    from rich.console import Console

    from numbers_core import Provider
    from numbers_core.bulk import Event, Item, ItemState, Job, Journal, Plan, Runner
    from numbers_core.bulk._journal import Costs

__all__ = ["EXIT_JOURNAL_UNAVAILABLE", "EXIT_SOME_FAILED", "EXIT_SOME_UNKNOWN", "bulk_app"]

EXIT_SOME_FAILED = 3
EXIT_SOME_UNKNOWN = 4
# EX_TEMPFAIL (sysexits.h): try again later. A supervisor restarts the command on it.
EXIT_JOURNAL_UNAVAILABLE = 75

bulk_app = typer.Typer(
    name="bulk",
    help="Jobs of many numbers: planned, written down before every request, resumable after any crash.",
    no_args_is_help=True,
    rich_markup_mode=None,
    epilog="Exit status: 0 all done, 3 some failed, 4 some still unknown or unsent "
    "(numbers bulk resume JOB), 75 the journal's database stayed out of reach (start it again "
    "once the database is back), 130 stopped by Ctrl-C or SIGTERM.",
)

# Plain progress lines, when stderr is no terminal, at most this often.
_PLAIN_EVERY = 5.0
# How long numbers bulk list shows a plan that was never run: a dry run, or forgotten.
_PLAN_SHOWN = 24 * 3600.0
# The bounds of the running options: past them a value is a slip (inf, 1e30), not a wish.
_MOST_RATE = 10_000.0  # requests a second
_MOST_AT_ONCE = 1_000  # --concurrency and --burst
_MOST_SECONDS = 24 * 3600.0  # --grace, --lease and --journal-patience
_LIST_FILTERS = {"contains", "number_type", "country"}


# -- options ---------------------------------------------------------------------------------------

_JOB_PANEL = "Job"
_RUN_PANEL = "Running"

_JOB = [
    _param(
        "file",
        Annotated[
            Path | None,
            typer.Option(
                "--file",
                "-f",
                metavar="FILE",
                help="The job, as a TOML or JSON file.",
                rich_help_panel=_JOB_PANEL,
            ),
        ],
    ),
    _param(
        "count",
        Annotated[
            int | None,
            typer.Option(
                "--count",
                "-n",
                metavar="N",
                help="Buy N numbers matching the search criteria.",
                rich_help_panel=_JOB_PANEL,
            ),
        ],
    ),
    _param(
        "all_matching",
        Annotated[
            bool,
            typer.Option(
                "--all-matching",
                help="Configure or release every number the account owns that matches --contains, "
                "--type and --country (all of them when none is given).",
                rich_help_panel=_JOB_PANEL,
            ),
        ],
        False,
    ),
    _param(
        "label",
        Annotated[
            str | None,
            typer.Option("--label", metavar="TEXT", help="A name for the job.", rich_help_panel=_JOB_PANEL),
        ],
    ),
    _param(
        "max_cost",
        Annotated[
            str | None,
            typer.Option(
                "--max-cost",
                metavar="AMOUNT",
                help="Buy no number that would take the job's total monthly price past AMOUNT "
                "(USD unless written: '600 EUR').",
                rich_help_panel=_JOB_PANEL,
            ),
        ],
    ),
    _param(
        "yes",
        Annotated[
            bool,
            typer.Option(
                "--yes",
                "-y",
                help="Go ahead with an --all-matching job without asking.",
                rich_help_panel=_JOB_PANEL,
            ),
        ],
        False,
    ),
]


def _seconds(name: str, help: str, default: float, *, least: float = 0.0, envvar: str | None = None) -> Any:
    """A running option of some seconds, at most a day."""
    option = typer.Option(
        min=least, max=_MOST_SECONDS, metavar="SECONDS", envvar=envvar, help=help, rich_help_panel=_RUN_PANEL
    )
    return _param(name, Annotated[float, option], default)


_RUN = [
    _param(
        "journal",
        Annotated[
            str | None,
            typer.Option(
                "--journal",
                metavar="FILE|URL",
                envvar="NUMBERS_JOURNAL",
                help=(
                    "The jobs' SQLite file (default: jobs.sqlite3 in your data directory), or a "
                    "postgresql:// URL shared by many workers."
                ),
                rich_help_panel=_RUN_PANEL,
            ),
        ],
    ),
    _param(
        "concurrency",
        Annotated[
            int,
            typer.Option(
                min=1,
                max=_MOST_AT_ONCE,
                metavar="N",
                help="Requests at once (the connection pool is sized to it).",
                rich_help_panel=_RUN_PANEL,
            ),
        ],
        10,
    ),
    _param(
        "rate",
        Annotated[
            float | None,
            typer.Option(
                min=0.001,
                max=_MOST_RATE,
                metavar="PER_SECOND",
                help="Requests per second at most, the sandbox's too (default: the limit the carrier "
                "documents, else the rate its 429s show; none on the sandbox).",
                rich_help_panel=_RUN_PANEL,
            ),
        ],
    ),
    _param(
        "burst",
        Annotated[
            int,
            typer.Option(
                min=1,
                max=_MOST_AT_ONCE,
                metavar="N",
                help="Requests that may go at once under --rate (1).",
                rich_help_panel=_RUN_PANEL,
            ),
        ],
        1,
    ),
    _seconds(
        "grace",
        "On Ctrl-C, how long requests in flight may finish; the rest is left for resume.",
        10.0,
    ),
    _seconds(
        "lease",
        "In a postgresql:// journal, how long the items a worker claims stay its own unless it renews "
        "them: a dead worker's items go to the others after this.",
        30.0,
        least=1.0,
    ),
    _seconds(
        "journal_patience",
        "How long to wait for the journal's database when it is out of reach (a restart, a failover, "
        "a lost connection): nothing new is sent meanwhile, and what was in flight is written once it "
        "is back. Past this, exit 75.",
        300.0,
        envvar="NUMBERS_JOURNAL_PATIENCE",
    ),
]

_JOURNAL_ONLY = [_RUN[0]]


@dataclass(frozen=True)
class Running:
    journal: str | Path
    concurrency: int
    rate: float | None
    burst: int
    grace: float
    lease: float
    journal_patience: float


# How numbers bulk plan, which takes no running options, chooses numbers: as a run would by default.
_PLANNING = Running(
    journal="", concurrency=10, rate=None, burst=1, grace=10.0, lease=30.0, journal_patience=300.0
)


def _running(values: dict[str, Any]) -> Running:
    return Running(
        journal=values["journal"] or default_journal_path(),
        concurrency=values["concurrency"],
        rate=values["rate"],
        burst=values["burst"],
        grace=values["grace"],
        lease=values["lease"],
        journal_patience=values["journal_patience"],
    )


def _journal_path(values: dict[str, Any]) -> str | Path:
    return cast(str | Path, values["journal"] or default_journal_path())


def _job_options(command: Any) -> Any:
    return _add_params(_JOB, "job", dict)(command)


def _run_options(command: Any) -> Any:
    return _add_params(_RUN, "running", _running)(command)


def _journal_option(command: Any) -> Any:
    return _add_params(_JOURNAL_ONLY, "journal", _journal_path)(command)


_Kind = Annotated[
    str | None,
    typer.Argument(metavar="KIND", show_default=False, help="buy, configure or release (or give --file)."),
]
_Numbers = Annotated[list[str] | None, typer.Argument(metavar="NUMBER", show_default=False, hidden=True)]
_JobId = Annotated[
    str, typer.Argument(metavar="JOB", show_default=False, help="The job's id (numbers bulk list).")
]


# -- a job from the command line -----------------------------------------------------------------


@dataclass(frozen=True)
class _Request:
    """What to give create_job, and whether an --all-matching job was agreed to."""

    arguments: dict[str, Any]
    yes: bool


def _request(
    kind: str | None,
    numbers: list[str] | None,
    job: dict[str, Any],
    criteria: dict[str, Any],
    config: dict[str, Any],
    compliance: dict[str, Any],
) -> _Request:
    from numbers_core.bulk import JobFile
    from numbers_core.bulk._engine import with_compliance
    from numbers_core.bulk._file import parse_money

    if job["file"] is not None:
        if kind or numbers or job["count"] is not None or criteria or config or job["all_matching"]:
            fail_usage("give the job as --file or as options, not both")
        loaded = JobFile.load(job["file"]).arguments()
        if job["label"]:
            loaded["label"] = job["label"]
        if job["max_cost"]:
            loaded["max_cost"] = _money(job["max_cost"], parse_money)
        if compliance:  # the account's references, over the file's: one file serves many accounts
            loaded["config"] = with_compliance(loaded["config"], number_compliance(compliance))
        return _checked(loaded, job["yes"])
    if kind is None:
        fail_usage("give the job's KIND (buy, configure or release) or --file")
    kinds = {"buy": "purchase", "purchase": "purchase", "configure": "configure", "release": "release"}
    if kind not in kinds:
        fail_usage(f"KIND: expected buy, configure or release, got {kind!r}")
    arguments: dict[str, Any] = {"kind": kinds[kind], "label": job["label"]}
    ways = sum((bool(numbers), job["count"] is not None, job["all_matching"]))
    if ways != 1:
        fail_usage("give NUMBERs, --count N (buy) or --all-matching (configure, release): one of them")
    if numbers:
        if criteria.keys() - {"country"}:
            fail_usage("search criteria apply with --count, or as filters with --all-matching")
        arguments["numbers"] = [typed_number(number, criteria.get("country")) for number in numbers]
    elif job["count"] is not None:
        if kind != "buy":
            fail_usage("--count buys numbers: KIND must be buy")
        if job["count"] < 1:
            fail_usage(f"--count: give at least 1, not {job['count']}")
        from numbers_core import SearchQuery
        from numbers_core.adapter import build

        arguments["criteria"] = {"numbers": (build(SearchQuery, None, criteria), job["count"])}
    else:
        if kind == "buy":
            fail_usage("--all-matching selects owned numbers: KIND must be configure or release")
        extra = criteria.keys() - _LIST_FILTERS
        if extra:
            option = "--" + sorted(extra)[0].replace("_", "-")
            fail_usage(
                f"{option} does not select owned numbers; --all-matching takes --contains, --type, --country"
            )
        arguments["matching"] = criteria
    if compliance:
        config = {**config, "compliance": compliance}
    if config:
        if kind == "release":
            fail_usage("a release job takes no configuration options")
        arguments["config"] = number_config(config)
    elif kind == "configure":
        fail_usage("a configure job needs at least one configuration option")
    if job["max_cost"]:
        arguments["max_cost"] = _money(job["max_cost"], parse_money)
    return _checked(arguments, job["yes"])


def _checked(arguments: dict[str, Any], yes: bool) -> _Request:
    """The job, once its bounds are checked: refused before the carrier or the journal is opened."""
    from numbers_core.bulk._limits import check_job

    check_job(**arguments)
    return _Request(arguments, yes)


def _money(text: str, parse: Any) -> Any:
    try:
        return parse(text)
    except ValueError as exc:
        fail_usage(f"--max-cost: {exc}")


def _confirmation(request: _Request) -> Any:
    """What create_job asks before a job over every matching number: --yes, or the person."""
    if request.yes:
        return True
    if not sys.stdin.isatty():
        return False  # refused with the count, and the error says to confirm

    def ask(count: int) -> bool:
        kind = request.arguments["kind"]
        return typer.confirm(f"{kind.capitalize()} all {count} numbers matching?", err=True)

    return ask


async def _create(carrier: Provider, journal: Journal, request: _Request) -> Job:
    from numbers_core.bulk import create_job
    from numbers_core.errors import InvalidInputError

    try:
        return await create_job(journal, carrier, **request.arguments, confirm=_confirmation(request))
    except InvalidInputError as exc:
        if exc.field == "confirm":
            fail_usage(exc.message.replace("(confirm=True)", "(--yes)"))
        raise


# -- showing a job ---------------------------------------------------------------------------------


# Where a price comes from, in the user's words.
_BASES = {
    PriceBasis.OFFER: "the carrier's price for each number",
    PriceBasis.CATALOG: "the carrier's price list",
    PriceBasis.TABLE: "your prices setting",
    PriceBasis.QUOTE: "the carrier's quote",
}


def _bases(bases: dict[PriceBasis, int]) -> str | None:
    """Where the prices come from: one basis, or each with how many items it priced."""
    if len(bases) <= 1:
        return next((_BASES[basis] for basis in bases), None)
    return " and ".join(f"{_BASES[basis]} for {count}" for basis, count in sorted(bases.items()))


def _monthly(total: dict[str, Decimal], unpriced: int, bases: dict[PriceBasis, int], *notes: str) -> str:
    """A monthly total by currency, how many items had no price quoted, and where the prices
    come from (with ``notes``)."""
    parts = [f"{_amount(amount)} {currency}" for currency, amount in sorted(total.items())]
    if unpriced:
        parts.append(f"{unpriced} not quoted")
    text = (" + ".join(parts) if parts else "no prices quoted") + " a month"
    said = [note for note in (_bases(bases), *notes) if note]
    return text + (f" ({', '.join(said)})" if total and said else "")


def _amount(amount: Decimal) -> str:
    """An amount as money is written: two decimals at least, without the zeros past them that
    sums of prices quoted to five decimals leave (115.00000 is 115.00; 0.12345 stays)."""
    shown = amount.normalize()
    return f"{shown:.2f}" if -int(shown.as_tuple().exponent) <= 2 else f"{shown:f}"


def _bases_json(bases: dict[PriceBasis, int]) -> dict[str, int]:
    return {str(basis): count for basis, count in sorted(bases.items())}


def _failures(items: list[Item]) -> str | None:
    """Why these items failed, in one line."""
    return _commonest(Counter(item.error_message or item.error_class or "failed" for item in items))


def _commonest(reasons: Counter[str]) -> str | None:
    """The commonest reason, and how many had others; None when there is none."""
    if not reasons:
        return None
    (reason, _), *others = reasons.most_common()
    rest = sum(count for _, count in others)
    return reason + (f" ({rest} for other reasons)" if rest else "")


def _show_plan(plan: Plan, json_output: bool) -> None:
    job = plan.job
    if json_output:
        write_json(
            {
                "job": job.id,
                "label": job.label,
                "kind": job.kind,
                "provider": job.provider,
                "count": plan.count,
                "failed": plan.failed,
                "monthly_total": {currency: str(amount) for currency, amount in plan.total.items()},
                "unpriced": plan.unpriced,
                "cost_basis": _bases_json(plan.bases),
                "items": [
                    {
                        "item": item.seq,
                        "number": item.number,
                        "provider": item.provider,
                        "state": str(item.state),
                        "monthly_price": None if item.price is None else str(item.price),
                        "currency": item.currency,
                        "price_basis": None if item.price_basis is None else str(item.price_basis),
                        "error": item.error_message,
                    }
                    for item in plan.items
                ],
            }
        )
        return
    from rich.table import Table
    from rich.text import Text

    several = _several(job)
    table = Table(box=None, pad_edge=False)
    for header in ("Item", "Number", *(["Provider"] if several else []), "Monthly", "Basis", "State"):
        table.add_column(header)
    for item in plan.items:
        price = "" if item.price is None else f"{item.price} {item.currency}"
        basis = "" if item.price_basis is None else str(item.price_basis)
        state = str(item.state) if item.error_message is None else f"{item.state}: {item.error_message}"
        # The carrier's words (the number it offered, why it refused), and the carrier a journal
        # names: shown inert.
        carrier = [Text(visible(item.provider or ""))] if several else []
        table.add_row(
            str(item.seq), Text(visible(item.number or "")), *carrier, price, basis, Text(visible(state))
        )
    stdout_console().print(table)
    _plan_note(plan, _failures([item for item in plan.items if item.state == "failed"]))


def _plan_note(plan: Plan, reason: str | None) -> None:
    """The plan in one line: what the job will send and its monthly price; what cannot be bought,
    and why (``reason``)."""
    job = plan.job
    text = f"Job {job.id} ({job.label}): {plan.count} numbers to {_verb(job.kind)}"
    if job.kind == "purchase":
        text += ", " + _monthly(plan.total, plan.unpriced, plan.bases)
    if plan.failed:
        text += f"; {plan.failed} cannot be bought" + (f": {reason}" if reason else "")
    note(text + ".")


def _verb(kind: str) -> str:
    return "buy" if kind == "purchase" else kind


def _several(job: Job) -> bool:
    """Whether the job goes to several carriers (a routing provider's members)."""
    return "," in job.provider


async def _by_carrier(journal: Journal, job: Job) -> dict[str, dict[ItemState, int]] | None:
    """The items' counts by state for each carrier of a job across several; None for one carrier.
    Items not sent to any yet are under ""."""
    if not _several(job):
        return None
    counts = await journal.counts_by_provider(job.id)
    return {carrier or "": by_state for carrier, by_state in counts.items()}


def _counts_json(counts: dict[ItemState, int]) -> dict[str, int]:
    return {str(state): count for state, count in sorted(counts.items())}


async def _bought(journal: Journal, job: Job) -> Costs | None:
    """What a purchase job's bought numbers cost a month, as quoted when each was chosen."""
    from numbers_core.bulk import ItemState

    if job.kind != "purchase":
        return None
    return await journal.prices(job.id, ItemState.DONE)


def _summary(
    job: Job,
    counts: dict[ItemState, int],
    orphans: list[str],
    json_output: bool,
    bought: Costs | None = None,
    *,
    stopped: bool = False,
    carriers: dict[str, dict[ItemState, int]] | None = None,
) -> None:
    """The job's standing; ``carriers``: across several, the counts at each too."""
    if json_output:  # one line: after a run's events, the last of its JSON lines
        summary: dict[str, Any] = {
            "job": job.id,
            "label": job.label,
            "state": str(job.state),
            "counts": _counts_json(counts),
            "orphans": orphans,
            "stopped": stopped,
        }
        if carriers is not None:
            summary["providers"] = {name: _counts_json(by_state) for name, by_state in carriers.items()}
        if bought is not None:
            summary["monthly_cost"] = {currency: str(amount) for currency, amount in bought.total.items()}
            summary["unpriced"] = bought.unpriced
            summary["cost_basis"] = _bases_json(bought.bases)
        _json_line(summary)
        return
    from rich.table import Table
    from rich.text import Text

    console = stderr_console()
    console.print(visible(f"Job {job.id} ({job.label}): {job.state}"), markup=False, highlight=False)
    table = Table(box=None, pad_edge=False)
    table.add_column("Outcome")
    table.add_column("Items", justify="right")
    # Across several carriers, a column for each (items sent to none yet: "not sent").
    names = sorted(carriers or {}, key=lambda name: (not name, name))
    for name in names:  # a journal's text: shown inert
        table.add_column(Text(visible(name or "not sent")), justify="right")
    for state, count in sorted(counts.items()):
        at_each = [str((carriers or {})[name].get(state, 0)) for name in names]
        table.add_row(str(state), str(count), *at_each)
    console.print(table)
    if bought is not None and (bought.total or bought.unpriced):
        cost = _monthly(bought.total, bought.unpriced, bought.bases, "as quoted when the numbers were chosen")
        console.print(
            f"Bought: {cost}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    for number in orphans:
        print_error(f"{number} is owned by the account and pinned by this job, yet not recorded as bought")


def _json_line(value: dict[str, Any]) -> None:
    sys.stdout.write(json_text(value) + "\n")
    sys.stdout.flush()


def _exit_code(counts: dict[ItemState, int], orphans: list[str], stopped: bool) -> int:
    from numbers_core.bulk import ItemState

    if stopped:
        return EXIT_INTERRUPTED
    if orphans or any(counts.get(s) for s in (ItemState.UNKNOWN, ItemState.SENDING, ItemState.PLANNED)):
        return EXIT_SOME_UNKNOWN
    return EXIT_SOME_FAILED if counts.get(ItemState.FAILED) else 0


class _Progress:
    """What a job shows while it is planned or run: a bar on a terminal, a line now and then
    elsewhere, JSON with --json (a run's events; of a plan's, the items that failed).

    ``total`` items, of which ``done`` and ``failed`` are so already (a job resumed).
    """

    def __init__(
        self,
        job: Job,
        total: int,
        json_output: bool,
        *,
        planning: bool = False,
        done: int = 0,
        failed: int = 0,
    ) -> None:
        self.job = job
        self.total = total
        self.json = json_output
        self.planning = planning
        self.counts = {
            "done": done,
            "failed": failed,
            "unknown": 0,
            "retried": 0,
            "reconciled": 0,
            "pinned": 0,
        }
        self.reasons: Counter[str] = Counter()
        self.rates: dict[str, float] = {}  # by carrier, once a 429 slowed it
        self._bar: Any = None
        self._task: Any = None
        self._started = anyio.current_time()
        self._last_line = self._started

    @functools.cached_property
    def _console(self) -> Console:
        # Made when first written to: a --json run writes no line here, and rich's console is a
        # hundredth of a second of imports before a worker's first request.
        return stderr_console()

    def __enter__(self) -> _Progress:
        if not self.json and self._console.is_terminal:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            label = "Planning" if self.planning else f"{_verb(self.job.kind).capitalize()}ing"
            self._bar = Progress(
                TextColumn(label),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[summary]}"),
                TimeRemainingColumn(),
                console=self._console,
                transient=True,
            )
            self._bar.__enter__()
            self._task = self._bar.add_task("", total=self.total, summary="")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.__exit__(*exc)
        elif not self.json:
            self._line()

    @property
    def _finished(self) -> int:
        counts = self.counts
        return counts["failed"] + (counts["pinned"] if self.planning else counts["done"])

    def _summary(self) -> str:
        elapsed = max(anyio.current_time() - self._started, 1e-9)
        counts = self.counts
        if self.planning:
            return f"{counts['pinned']} numbers chosen, {counts['failed']} failed"
        text = (
            f"{counts['done']} done, {counts['failed']} failed, {counts['unknown']} unknown, "
            f"{self._finished / elapsed:.1f}/s"
        )
        if len(self.rates) == 1 and not _several(self.job):
            text += f" (rate limit now {next(iter(self.rates.values())):.1f}/s)"
        elif self.rates:
            each = ", ".join(f"{carrier} {rate:.1f}/s" for carrier, rate in sorted(self.rates.items()))
            text += f" (rate limits now {each})"
        return text

    def _line(self) -> None:
        what = "planning" if self.planning else "job"
        self._console.print(
            f"{what} {self.job.id}: {self._finished}/{self.total}: {self._summary()}",
            markup=False,
            highlight=False,
        )

    def event(self, event: Event) -> None:
        if event.state == "rate" and event.rate is not None:
            self.rates[event.provider or ""] = event.rate
        elif event.state in self.counts:
            self.counts[event.state] += 1
            # A number settled after an unknown answer is known now.
            if event.state == "reconciled":
                self.counts["done"] += 1
                self.counts["unknown"] = max(0, self.counts["unknown"] - 1)
            if event.state == "failed":
                self.reasons[(event.error or "failed").partition(": ")[2] or "failed"] += 1
        if self.json:
            if not self.planning or event.state == "failed":
                line = {
                    "event": event.state,
                    "item": event.seq,
                    "number": event.number,
                    "provider": event.provider,
                    "error": event.error,
                }
                if event.rate is not None:
                    line["rate"] = event.rate
                _json_line(line)
        elif self._bar is not None:
            self._bar.update(self._task, completed=self._finished, summary=self._summary())
        elif anyio.current_time() - self._last_line >= _PLAIN_EVERY:
            self._last_line = anyio.current_time()
            self._line()

    def reason(self) -> str | None:
        """Why items failed while this was shown."""
        return _commonest(self.reasons)


async def _until_stopped(stop: Any) -> None:
    """Ctrl-C (or SIGTERM) once: ``stop(False)``; again: ``stop(True)``."""
    with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        again = False
        async for _ in signals:
            stop(again)
            again = True


@contextlib.asynccontextmanager
async def _stopped_by_signals(stop: Any) -> AsyncIterator[None]:
    """The block, with Ctrl-C and SIGTERM calling ``stop`` (:func:`_until_stopped`); what it raises
    comes out as itself, not in the task group's ExceptionGroup."""
    from numbers_core.bulk._engine import _first

    try:
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(_until_stopped, stop)
            yield
            tasks.cancel_scope.cancel()
    except BaseExceptionGroup as group:
        raise _first(group) from None


def _stopper(runner: Runner, grace: float, what: str) -> Any:
    def stop(again: bool) -> None:
        if again:
            runner.stop(0.0)
            return
        note(f"Stopping: {what} in flight get {grace:g} s to finish (Ctrl-C again to stop now).")
        runner.stop(grace)

    return stop


def _limiter(running: Running) -> Any:
    from numbers_core.bulk import RateLimiter

    return RateLimiter(running.rate, burst=running.burst) if running.rate is not None else None


async def _plan(
    carrier: Provider, journal: Journal, job: Job, running: Running, json_output: bool
) -> Plan | None:
    """Plan the job, showing how far it got. None when Ctrl-C stopped it: what was chosen is
    kept, and that is said."""
    from numbers_core.bulk import Runner

    total = (await journal.open_slots(job.id)) if job.spec.get("criteria") else {}
    display = _Progress(job, sum(total.values()), json_output, planning=True)
    runner = Runner(
        carrier, journal, concurrency=running.concurrency, limiter=_limiter(running), on_event=display.event
    )
    async with _stopped_by_signals(_stopper(runner, running.grace, "searches")):
        with display:
            planned = await runner.plan(job.id)
    if not runner.stopped:
        return planned
    _summary(
        await journal.job(job.id),
        await journal.counts(job.id),
        [],
        json_output,
        stopped=True,
        carriers=await _by_carrier(journal, job),
    )
    note(f"Stopped while choosing numbers. numbers bulk resume {job.id} chooses the rest and runs the job.")
    return None


def _check_carrier(job: Job, carrier: Provider) -> None:
    from numbers_core.bulk._engine import job_provider

    reached = job_provider(carrier)
    # Several carriers in another order are the same carriers (the policy's order may change).
    if set(job.provider.split(",")) != set(reached.split(",")):
        fail_usage(
            f"job {job.id} is for {job.provider}; this command reached {reached} "
            f"(give --provider {job.provider}, or the profile it was made with)"
        )


async def _execute(
    carrier: Provider,
    journal: Journal,
    job: Job,
    running: Running,
    json_output: bool,
    again: Callable[[Job], str],
) -> int:
    """Run the job to its end, or until stopped; its exit code. ``again``: what takes the job up
    again, should its journal stay out of reach (EXIT_JOURNAL_UNAVAILABLE)."""
    from numbers_core.bulk import JournalUnavailableError

    try:
        return await _run_job(carrier, journal, job, running, json_output)
    except JournalUnavailableError as exc:
        print_error(f"{error_text(exc)}; once it is back, {again(job)}")
        return EXIT_JOURNAL_UNAVAILABLE


async def _run_job(carrier: Provider, journal: Journal, job: Job, running: Running, json_output: bool) -> int:
    from numbers_core.bulk import ItemState, JournalUnavailableError, Runner

    _check_carrier(job, carrier)
    counts = await journal.counts(job.id)
    display = _Progress(
        job,
        sum(counts.values()),
        json_output,
        done=counts.get(ItemState.DONE, 0),
        failed=counts.get(ItemState.FAILED, 0),
    )
    runner = Runner(
        carrier, journal, concurrency=running.concurrency, limiter=_limiter(running), on_event=display.event
    )
    stop_run = _stopper(runner, running.grace, "requests")
    sweep = anyio.CancelScope()
    sweeping = False

    def stop(again: bool) -> None:
        if sweeping:
            sweep.cancel()  # the final check only reads: nothing to finish
        else:
            stop_run(again)

    failure: NumbersError | None = None
    orphans: list[str] = []
    async with _stopped_by_signals(stop):
        try:
            with display:
                await runner.run(job.id)
        except NumbersError as exc:  # about the account (credentials, funds): raised out of the group
            failure = exc
        if failure is None and not runner.stopped:
            sweeping = True
            with sweep:
                orphans = await runner.orphans(job.id)
    if isinstance(failure, ComplianceRequiredError) and failure.scope is ComplianceScope.ACCOUNT:
        print_error(_lacking(job, failure))
        return exit_code(failure)
    if failure is not None:
        if not isinstance(failure, JournalUnavailableError):  # which says what to do itself
            note(f"Job {job.id} stopped; once this is fixed, numbers bulk resume {job.id} finishes it.")
        raise failure
    stopped = runner.stopped or sweep.cancelled_caught
    counts = await journal.counts(job.id)  # the sweep settles what it finds bought
    current = await journal.job(job.id)
    _summary(
        current,
        counts,
        orphans,
        json_output,
        await _bought(journal, current),
        stopped=stopped,
        carriers=await _by_carrier(journal, current),
    )
    reason = display.reason()
    if reason and not json_output:
        note(f"{display.counts['failed']} failed here: {reason}.")
    if sweep.cancelled_caught:
        note(f"Stopped during the final check. numbers bulk resume {job.id} checks the account again.")
    elif runner.stopped:
        note(f"Stopped. numbers bulk resume {job.id} looks up what was in flight, then finishes the job.")
    return _exit_code(counts, orphans, stopped)


def _lacking(job: Job, error: ComplianceRequiredError) -> str:
    """A job stopped at its first refusal for what the whole account lacks, in one line: what,
    and how resume goes on (with the reference, where the job has none of that kind)."""
    field = requirement_field(error.requirement)
    given = (job.spec.get("config") or {}).get("compliance") or {}
    resume = f"numbers bulk resume {job.id}"
    if field is not None and not given.get(field):
        resume += f" {COMPLIANCE_OPTIONS[field]} ID"
    return (
        f"job {job.id} stopped: {account_needs(error)}: {error.provider} says {error.message!r}"
        f"{carrier_details(error)}; once it has, {resume} goes on with the items left"
    )


# What a command about jobs made before says where there is no journal yet.
_MAKES_ONE = "numbers bulk plan or numbers bulk run makes one"


async def _in_journal(
    path: str | Path,
    work: Any,
    lease: float = 30.0,
    patience: float = 0.0,
    again: str = "try again",
    *,
    create: bool = True,
) -> Any:
    """``work(journal)``; the journal closed after. A journal out of reach for ``patience`` seconds
    ends the command with one line, saying to do ``again`` once it is back (exit 75). Without
    ``create`` (a command about jobs made before), a database holding no journal is given none:
    the command ends saying so (exit 2)."""
    from numbers_core._database import Absent
    from numbers_core.bulk import Journal, JournalUnavailableError

    journal = Journal(path, lease=lease, patience=patience, create=create)
    try:
        return await work(journal)
    except JournalUnavailableError as exc:
        print_error(f"{error_text(exc)}; once it is back, {again}")
        raise typer.Exit(EXIT_JOURNAL_UNAVAILABLE) from None
    except Absent as exc:
        fail_usage(f"{error_text(exc)} ({_MAKES_ONE})")
    finally:
        with contextlib.suppress(NumbersError):  # closing a connection already lost
            await journal.aclose()


def _journal_there(location: str | Path, *, needed: bool) -> bool:
    """Whether a journal is at ``location`` (a database URL is taken to hold one), checked before
    anything is opened: a URL no journal has is refused, and with ``needed`` (a command about jobs
    made before) so is a journal file not there, which would otherwise be made, empty."""
    from numbers_core.bulk._journal import journal_file

    path = journal_file(location)
    if path is None or path.exists():
        return True
    if needed:
        fail_usage(f"no journal at {str(path)!r} ({_MAKES_ONE})")
    return False


def _with_journal(
    running: Running, target: Target, work: Any, *, needed: bool, again: str = "try again"
) -> Any:
    """Run ``work(carrier, journal)``; with ``needed``, only in a journal that is there. ``again``:
    what to do once the journal is back, should it stay out of reach."""
    _journal_there(running.journal, needed=needed)

    async def with_carrier(journal: Journal) -> Any:
        async with await connect_beside(target, running.concurrency, journal.open) as carrier:
            return await work(carrier, journal)

    return anyio.run(
        functools.partial(
            _in_journal,
            running.journal,
            with_carrier,
            running.lease,
            running.journal_patience,
            again,
            create=not needed,
        )
    )


def _with_journal_only(path: str | Path, work: Any) -> Any:
    """Run ``work(journal)``, no carrier needed, in a journal that is there; one out of reach is
    not waited for (the command reads or changes a job as it stands: run it again)."""
    _journal_there(path, needed=True)
    return anyio.run(functools.partial(_in_journal, path, work, create=False))


async def _readable_jobs(journal: Journal) -> list[Job]:
    """The journal's jobs, oldest first; each one whose record is damaged is said, and left out."""
    from numbers_core.bulk._journal import DamagedJob

    jobs = []
    for job_id in await journal.job_ids():
        try:
            jobs.append(await journal.job(job_id))
        except DamagedJob as exc:
            print_warning(str(exc))
    return jobs


def _stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


def _resumed(job: Job) -> str:
    return f"numbers bulk resume {job.id} finishes the job"


# What a worker stopped by its journal out of reach is told to do.
_RESTART = "start this worker again: it takes its jobs up where the journal says they are"


def _target(ctx: typer.Context) -> tuple[Target, bool]:
    state = ctx.find_root().obj
    return state.target, state.output.json


# -- the commands ----------------------------------------------------------------------------------


@bulk_app.command(cls=NumbersCommand)
@_journal_option
@_job_options
@compliance_options
@config_options
@criteria_options
def plan(
    ctx: typer.Context,
    kind: _Kind = None,
    numbers: _Numbers = None,
    *,
    job: dict[str, Any],
    criteria: dict[str, Any],
    config: dict[str, Any],
    compliance: dict[str, Any],
    journal: str | Path,
) -> None:
    """Plan a job and show it (numbers chosen, monthly prices, total); nothing is bought or changed.

    Numbers to buy are chosen and kept for the job: numbers bulk resume JOB
    runs it and buys those (any taken meanwhile is replaced).
    """
    target, json_output = _target(ctx)
    request = _request(kind, numbers, job, criteria, config, compliance)
    _journal_there(journal, needed=False)

    async def work(carrier: Provider, opened: Journal) -> int:
        created = await _create(carrier, opened, request)
        planned = await _plan(carrier, opened, created, _PLANNING, json_output)
        if planned is None:
            return EXIT_INTERRUPTED
        _show_plan(planned, json_output)
        return EXIT_SOME_FAILED if planned.failed else 0

    code = run(
        target,
        lambda carrier: _in_journal(
            journal, lambda opened: work(carrier, opened), patience=_PLANNING.journal_patience
        ),
    )
    if code:
        raise typer.Exit(code)


@bulk_app.command("run", cls=NumbersCommand)
@_run_options
@_job_options
@compliance_options
@config_options
@criteria_options
def run_job(
    ctx: typer.Context,
    kind: _Kind = None,
    numbers: _Numbers = None,
    *,
    job: dict[str, Any],
    criteria: dict[str, Any],
    config: dict[str, Any],
    compliance: dict[str, Any],
    running: Running,
) -> None:
    """Make a job and run it: numbers bulk run buy --count 1000 --area-code 415 --voice-url URL.

    Every item is written down before its request; numbers to buy are chosen
    as the job goes (numbers bulk plan shows them first). Ctrl-C stops
    sending, gives requests in flight --grace seconds, and leaves the job for
    numbers bulk resume JOB.
    """
    target, json_output = _target(ctx)
    request = _request(kind, numbers, job, criteria, config, compliance)

    async def work(carrier: Provider, opened: Journal) -> int:
        created = await _create(carrier, opened, request)
        if not json_output:
            # Numbers are chosen as the job goes, while others are bought: not all first.
            count = sum((await opened.counts(created.id)).values())
            note(f"Job {created.id} ({created.label}): {count} numbers to {_verb(created.kind)}.")
        return await _execute(carrier, opened, created, running, json_output, _resumed)

    code = _with_journal(running, target, work, needed=False)
    if code:
        raise typer.Exit(code)


@bulk_app.command(cls=NumbersCommand)
@_run_options
@compliance_options
def resume(ctx: typer.Context, job_id: _JobId, *, compliance: dict[str, Any], running: Running) -> None:
    """Run a planned or interrupted job to its end: what was in flight is looked up first.

    A job stopped for want of a compliance reference (--bundle-id, --address-id,
    --identity-id) takes it here, for the numbers it has still to buy.
    """
    target, json_output = _target(ctx)

    async def work(carrier: Provider, opened: Journal) -> int:
        from numbers_core.bulk import JobState, amend_job

        job = await opened.job(job_id)
        if job.state is JobState.CANCELLED:
            fail_usage(f"job {job_id} was cancelled")
        if compliance:
            _check_carrier(job, carrier)
            job = await amend_job(opened, carrier, job_id, compliance=number_compliance(compliance))
        return await _execute(carrier, opened, job, running, json_output, _resumed)

    code = _with_journal(running, target, work, needed=True)
    if code:
        raise typer.Exit(code)


@bulk_app.command(cls=NumbersCommand)
@_run_options
def worker(
    ctx: typer.Context,
    job_id: Annotated[
        str | None,
        typer.Argument(metavar="JOB", show_default=False, help="The job (default: every job not done)."),
    ] = None,
    *,
    running: Running,
) -> None:
    """Work on a job beside other workers that share its journal (a postgresql:// URL).

    Each worker claims items under a lease it renews while it runs; a worker that dies has
    its items taken over by the others once its lease runs out, and looked up before
    anything is sent again; one stopped (SIGTERM, Ctrl-C) gives them back at once. Without
    JOB, every job not done yet, oldest first. The job is made beforehand, with numbers bulk
    plan. A database out of reach is waited for (--journal-patience); past that, exit 75:
    start the worker again.
    """
    target, json_output = _target(ctx)

    async def work(carrier: Provider, opened: Journal) -> int:
        from numbers_core.bulk import JobState

        if job_id is not None:
            jobs = [await opened.job(job_id)]
        else:
            open_states = (JobState.PLANNED, JobState.RUNNING)
            jobs = [job for job in await _readable_jobs(opened) if job.state in open_states]
        code = 0
        for job in jobs:
            if job.state is JobState.CANCELLED:
                fail_usage(f"job {job.id} was cancelled")
            code = max(code, await _execute(carrier, opened, job, running, json_output, lambda _: _RESTART))
            if code in (EXIT_INTERRUPTED, EXIT_JOURNAL_UNAVAILABLE):
                break
        return code

    code = _with_journal(running, target, work, needed=True, again=_RESTART)
    if code:
        raise typer.Exit(code)


@bulk_app.command(cls=NumbersCommand)
@_journal_option
def status(ctx: typer.Context, job_id: _JobId, *, journal: str | Path) -> None:
    """Where a job is: its items' counts by outcome, and what the numbers bought cost a month.

    Exit status, for scripts: 0 every item done, 3 some failed (the others done), 4 some
    still unknown or not sent yet (numbers bulk resume JOB finishes them).
    """
    _, json_output = _target(ctx)

    async def work(opened: Journal) -> int:
        job = await opened.job(job_id)
        counts = await opened.counts(job_id)
        _summary(
            job, counts, [], json_output, await _bought(opened, job), carriers=await _by_carrier(opened, job)
        )
        return _exit_code(counts, [], False)

    code = _with_journal_only(journal, work)
    if code:
        raise typer.Exit(code)


@bulk_app.command("list", cls=NumbersCommand)
@_journal_option
def list_jobs(
    ctx: typer.Context,
    show_all: Annotated[
        bool, typer.Option("--all", help="Show plans never run, however old (hidden after a day).")
    ] = False,
    *,
    journal: str | Path,
) -> None:
    """The jobs of the journal, oldest first; plans (numbers bulk plan) never run stop showing
    after a day."""
    import time

    from numbers_core.bulk import JobState

    _, json_output = _target(ctx)

    from numbers_core._database import Absent
    from numbers_core.bulk._postgres import redacted

    async def work(opened: Journal) -> list[tuple[Job, dict[ItemState, int]]] | None:
        try:
            jobs = await _readable_jobs(opened)
        except Absent:  # a database that holds no journal yet: a listing makes none
            return None
        return [(job, await opened.counts(job.id)) for job in jobs]

    listed = _with_journal_only(journal, work) if _journal_there(journal, needed=False) else None
    if listed is None:
        if json_output:
            write_json([])
        else:
            note(f"No jobs: no journal at {redacted(str(journal))} yet ({_MAKES_ONE}).")
        return
    stale = time.time() - _PLAN_SHOWN
    jobs = [
        (job, counts)
        for job, counts in listed
        if show_all or job.state is not JobState.PLANNED or job.created_at >= stale
    ]
    hidden = len(listed) - len(jobs)
    if hidden:
        note(f"{hidden} plans older than a day, never run, not shown (numbers bulk list --all).")
    if json_output:
        write_json(
            [
                {
                    "job": job.id,
                    "label": job.label,
                    "kind": job.kind,
                    "provider": job.provider,
                    "state": str(job.state),
                    "counts": _counts_json(counts),
                }
                for job, counts in jobs
            ]
        )
        return
    if not jobs:
        if not hidden:
            note("No jobs.")
        return
    from datetime import datetime

    from rich.table import Table
    from rich.text import Text

    table = Table(box=None, pad_edge=False)
    for header in ("Job", "Label", "Kind", "Provider", "State", "Items", "Created"):
        table.add_column(header)
    for job, counts in jobs:
        items = ", ".join(f"{count} {state}" for state, count in sorted(counts.items()))
        created = datetime.fromtimestamp(job.created_at).strftime("%Y-%m-%d %H:%M")
        # What the journal holds was typed by someone, or written by another program: shown inert.
        shown = (visible(text) for text in (job.id, job.label, job.kind, job.provider))
        table.add_row(*map(Text, shown), str(job.state), items, created)
    stdout_console().print(table)


@bulk_app.command(cls=NumbersCommand)
@_journal_option
def report(
    ctx: typer.Context,
    job_id: _JobId,
    output_format: Annotated[
        str | None,
        typer.Option("--format", metavar="FORMAT", help="csv (the default) or json (one object per line)."),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", metavar="FILE", help="Write it here, not to stdout.")
    ] = None,
    *,
    journal: Path,
) -> None:
    """A job's report: one row per item (number, outcome, error, carrier code, price, when)."""
    from numbers_core.bulk import report as job_report
    from numbers_core.bulk import write_csv
    from numbers_core.bulk import write_json as write_lines

    _, json_output = _target(ctx)
    chosen = output_format or ("json" if json_output else "csv")
    if chosen not in ("csv", "json"):
        fail_usage(f"--format: expected csv or json, got {chosen!r}")

    async def work(opened: Journal) -> Any:
        return await job_report(opened, job_id)

    rows = _with_journal_only(journal, work)
    writer = write_csv if chosen == "csv" else write_lines
    if output is None:
        if _stdout_is_terminal():  # a carrier's message must not act on the terminal; a file keeps it as said
            rows = [
                replace(row, **{k: visible(v) for k, v in asdict(row).items() if isinstance(v, str)})
                for row in rows
            ]
        writer(rows, sys.stdout)
        return
    with output.open("w", encoding="utf-8", newline="") as out:
        writer(rows, out)
    note(f"{len(rows)} rows written to {output}")


@bulk_app.command(cls=NumbersCommand)
@_journal_option
def cancel(ctx: typer.Context, job_id: _JobId, *, journal: str | Path) -> None:
    """Cancel a job: nothing more is sent for it (what was done stays done)."""
    _, json_output = _target(ctx)

    async def work(opened: Journal) -> dict[ItemState, int]:
        from numbers_core.bulk import JobState

        job = await opened.job(job_id)
        if job.state is JobState.DONE:
            fail_usage(f"job {job_id} is done already")
        await opened.set_state(job_id, JobState.CANCELLED)
        return await opened.counts(job_id)

    counts = _with_journal_only(journal, work)
    from numbers_core.bulk import ItemState

    if json_output:
        write_json({"job": job_id, "state": "cancelled", "counts": _counts_json(counts)})
        return
    note(f"Cancelled job {job_id}: {counts.get(ItemState.PLANNED, 0)} items were not sent.")
    unknown = counts.get(ItemState.UNKNOWN, 0) + counts.get(ItemState.SENDING, 0)
    if unknown:
        note(
            f"{unknown} items may have happened: numbers bulk report {job_id} lists them; "
            "check each with numbers show."
        )
