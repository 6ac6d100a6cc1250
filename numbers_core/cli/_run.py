"""Running a command: the carrier, the event loop, and how failures end the process.

Every failure ends in exactly one line on stderr and an exit code: 2 when the
command cannot work as given (usage, input, configuration, a feature the
provider lacks), 1 when the carrier or the network failed or the user said no
when asked, 130 on Ctrl-C.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar, cast

import anyio
import anyio.lowlevel
import typer
from typer.core import TyperCommand, TyperGroup

import numbers_core as nc
from numbers_core.errors import ConfigurationError, InvalidInputError, NumbersError, UnsupportedError

from ._output import Output, note
from ._visible import visible
from ._words import error_text

if TYPE_CHECKING:
    from numbers_core import Provider

__all__ = [
    "EXIT_CARRIER",
    "EXIT_DECLINED",
    "EXIT_INTERRUPTED",
    "EXIT_USAGE",
    "NumbersCommand",
    "NumbersGroup",
    "State",
    "Target",
    "UsageFailure",
    "Yes",
    "confirm",
    "default_journal_path",
    "default_sandbox_path",
    "exit_code",
    "fail_usage",
    "print_error",
    "print_warning",
    "run",
    "state_of",
]

T = TypeVar("T")

EXIT_CARRIER = 1
EXIT_DECLINED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

SANDBOX = "sandbox"

# How the models' messages start ("invalid SearchQuery: area_code: …", "list filter country: …").
_PREFIX = re.compile(r"^(?:invalid [A-Za-z]+: |list filter )")


def exit_code(error: NumbersError) -> int:
    """2 when the command as given cannot work; 1 when the carrier or the network failed."""
    if isinstance(error, ConfigurationError | InvalidInputError | UnsupportedError):
        return EXIT_USAGE
    return EXIT_CARRIER


def print_error(message: str) -> None:
    """One line on stderr, whatever the message holds (carrier bodies can be multi-line)."""
    typer.echo(
        typer.style("error:", fg="red", bold=True) + " " + visible(" ".join(message.split())), err=True
    )


def print_warning(message: str) -> None:
    """One line on stderr, as an error is, for what is wrong but did not stop the command."""
    typer.echo(
        typer.style("warning:", fg="yellow", bold=True) + " " + visible(" ".join(message.split())), err=True
    )


class _WarningLines(logging.Handler):
    """The library's warnings (a misspelt NUMBERS_* variable), one line each on stderr, as errors are."""

    def emit(self, record: logging.LogRecord) -> None:
        print_warning(self.format(record))


class UsageFailure(typer.TyperException):
    """The command line cannot work as given."""

    exit_code = EXIT_USAGE


def fail_usage(message: str) -> NoReturn:
    """Stop with a usage error (exit 2)."""
    raise UsageFailure(message)


class NumbersGroup(TyperGroup):
    """The ``numbers`` group: turns every failure into one line and an exit code.

    Runs click in non-standalone mode so that usage errors, library errors
    and Ctrl-C all come back here instead of becoming tracebacks or
    multi-line panels.
    """

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        library = logging.getLogger("numbers_core")
        warnings = _WarningLines(logging.WARNING)
        library.addHandler(warnings)
        try:
            code = self._run(args, prog_name, complete_var, windows_expand_args, extra)
        finally:
            library.removeHandler(warnings)
        if standalone_mode:
            raise SystemExit(code)
        return code

    def _run(
        self,
        args: Sequence[str] | None,
        prog_name: str | None,
        complete_var: str | None,
        windows_expand_args: bool,
        extra: dict[str, Any],
    ) -> int:
        try:
            result = super().main(
                args,
                prog_name,
                complete_var,
                standalone_mode=False,
                windows_expand_args=windows_expand_args,
                **extra,
            )
        except typer.TyperException as exc:
            # No command at all: the error's message is the help (click keeps that class private and
            # tells it by name as well).
            if type(exc).__name__ == "NoArgsIsHelpError":
                typer.echo(exc.format_message())
            else:
                print_error(self._usage_message(exc) + self._placement_hint(exc))
            return exc.exit_code
        except (typer.Abort, KeyboardInterrupt):
            return EXIT_INTERRUPTED
        except InvalidInputError as exc:
            print_error(self._in_cli_terms(exc))
            return EXIT_USAGE
        except NumbersError as exc:
            print_error(error_text(exc))
            return exit_code(exc)
        except Exception as exc:  # a bug of ours must still not end in a traceback
            print_error(f"internal error: {type(exc).__name__}: {exc}")
            return EXIT_CARRIER
        # Non-standalone click returns the exit code of typer.Exit, else the command's None.
        return result if isinstance(result, int) else 0

    def _in_cli_terms(self, error: InvalidInputError) -> str:
        """The library's message, with each field it names as the option that sets it."""
        options: dict[str, str] = {}
        for command in _commands(self):
            for param in command.params:
                longest = max(param.opts, key=len)
                if param.name and longest.startswith("--"):
                    options.setdefault(param.name, longest)
        parts = []
        for part in _PREFIX.sub("", error.message).split("; "):
            field, sep, problem = part.partition(": ")
            # The longest tail of the field's path that an option is named after: voice.url is
            # --voice-url, status_callback.url --status-callback, compliance.address_id
            # --address-id, and an adapter's config.emergency_address.street
            # --emergency-street (never the --street of another command).
            path = field.split(".")
            tails = ("_".join(path[start:]) for start in range(len(path)))
            keys = (key for tail in tails for key in (tail, tail.removesuffix("_url")))
            option = next((options[key] for key in keys if key in options), None)
            parts.append(f"{option}: {problem}" if sep and option else part)
        return "; ".join(parts)

    @staticmethod
    def _usage_message(exc: typer.TyperException) -> str:
        """click's message, but a value typer's pydantic refused in the option's and plain words."""
        cause = exc.__cause__
        param = getattr(exc, "param", None)
        if cause is None or param is None or type(cause).__name__ != "ValidationError":
            return exc.format_message()
        from pydantic import ValidationError

        from numbers_core._problems import problems

        if not isinstance(cause, ValidationError):
            return exc.format_message()
        opts = [opt for opt in param.opts if opt.startswith("--")]
        name = max(opts, key=len) if opts else (param.metavar or str(param.name).upper())
        return f"{name}: {problems(cause)[0][1]}"

    def _placement_hint(self, exc: typer.TyperException) -> str:
        # `numbers list --json` is the natural thing to type; say where the option goes.
        option = getattr(exc, "option_name", None)
        if option in {name for param in self.params for name in param.opts}:
            return f" ({option} goes before the command: numbers {option} … COMMAND)"
        return ""


#: The --yes option of a command that asks before it does what cannot be undone.
Yes = Annotated[
    bool, typer.Option("--yes", "-y", help="Do not ask for confirmation (it is asked on a terminal).")
]


def _at_a_terminal() -> bool:
    """Whether a person can answer a question (scripts and pipes cannot)."""
    return sys.stdin.isatty()


def confirm(question: str, declined: str, *, yes: bool) -> None:
    """Ask ``question`` on a terminal (unless ``yes``); stop, saying ``declined``, when the answer is no."""
    # Answering no is a decision, not an interruption (130 is Ctrl-C's, which still stops the question).
    if not yes and _at_a_terminal() and not typer.confirm(question, err=True):
        note(declined)
        raise typer.Exit(EXIT_DECLINED)


def _commands(group: Any) -> Iterator[Any]:
    """Every command of ``group``, those of its subgroups (``numbers addresses create``) included."""
    for command in group.commands.values():
        yield command
        if hasattr(command, "commands"):
            yield from _commands(command)


class NumbersCommand(TyperCommand):
    """A command whose help names every value as one word in capitals: NUMBER, TEXT, INTEGER, KIND.

    typer wraps a required argument in braces in the usage line (``{NUMBER}``) and shows each
    argument's Python type beside it (``JOB <str>``); here an argument is its name, in brackets
    when it may be left out (``[KIND]``). Options name their values by their own metavar, which
    every option that takes a value sets.
    """

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if param.param_type_name == "argument":
                pieces.append(_argument_usage(param))
            else:
                pieces.extend(param.get_usage_pieces(ctx))
        return pieces

    def format_options(self, ctx: Any, formatter: Any) -> None:
        arguments, options = [], []
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            if param.param_type_name == "argument":
                arguments.append((_argument_name(param), record[1]))
            else:
                options.append(record)
        for title, records in (("Arguments", arguments), ("Options", options)):
            if records:
                with formatter.section(title):
                    formatter.write_dl(records)


def _argument_name(param: Any) -> str:
    name = param.metavar or str(param.name).upper()
    return name + ("..." if param.nargs != 1 else "")


def _argument_usage(param: Any) -> str:
    return _argument_name(param) if param.required else f"[{_argument_name(param)}]"


@dataclass(frozen=True)
class Target:
    """Which carrier the global options chose (None: as configured)."""

    provider: str | None = None
    profile: str | None = None


@dataclass(frozen=True)
class State:
    """What the global options said: the carrier, and how to print."""

    target: Target
    output: Output


def state_of(ctx: typer.Context) -> State:
    """The global options, for a command of ``numbers`` or of one of its groups."""
    # Set by the root group's callback, which click runs before any command.
    return cast(State, ctx.find_root().obj)


def default_sandbox_path() -> Path:
    """Where the CLI keeps the sandbox when nothing says otherwise."""
    import platformdirs

    return Path(platformdirs.user_data_dir("numbers-core")) / "sandbox.sqlite3"


def default_journal_path() -> Path:
    """Where ``numbers bulk`` keeps its jobs when nothing says otherwise."""
    import platformdirs

    return Path(platformdirs.user_data_dir("numbers-core")) / "jobs.sqlite3"


def _named(provider: str | None) -> str | list[str] | None:
    """``--provider`` as connect() takes it: several names, comma-separated, are a routing provider."""
    if provider is None or "," not in provider:
        return provider
    return [name.strip() for name in provider.split(",")]


async def _connect(target: Target, pool: int | None) -> Provider:
    carrier = nc.connect(_named(target.provider), profile=target.profile)
    if not isinstance(carrier, nc.RoutingProvider):
        return await _adjusted(carrier, pool)
    members = {name: await _adjusted(member, pool) for name, member in carrier.members.items()}
    if all(members[name] is member for name, member in carrier.members.items()):
        return carrier
    return nc.RoutingProvider(members, **carrier.settings.model_dump(exclude_unset=True))


async def _adjusted(carrier: Provider, pool: int | None) -> Provider:
    """``carrier`` as a command needs it: a sandbox that keeps its state, a pool big enough."""
    settings = carrier.settings
    changes: dict[str, Any] = {}
    # An in-memory sandbox would forget between `numbers buy` and `numbers list`.
    if carrier.name == SANDBOX and getattr(settings, "path", None) is None:
        changes["path"] = str(default_sandbox_path())
    # Requests at once beyond the pool would wait for a connection, or reopen one each time.
    if pool is not None and settings.max_connections < pool:
        changes["max_connections"] = pool
    if not changes:
        return carrier
    await carrier.aclose()
    changed = type(settings).model_validate({**settings.model_dump(exclude_unset=True), **changes})
    return type(carrier)(changed)


async def connect_beside(
    target: Target, pool: int | None, beside: Callable[[], Coroutine[Any, Any, None]]
) -> Provider:
    """The target carrier, connected while ``beside()`` (which must not raise) runs in its own task.

    For a journal: it connects in a worker thread while the carrier's modules are imported and
    its client made here, instead of one after the other. A failure to connect the carrier is
    raised as it is once ``beside()`` is done, not inside an exception group.
    """
    failure: Exception | None = None
    carrier: Provider | None = None
    async with anyio.create_task_group() as group:
        group.start_soon(beside)
        # Until this task waits, nothing else runs: let ``beside()`` hand its work to its thread first.
        await anyio.lowlevel.checkpoint()
        try:
            carrier = await _connect(target, pool)
        except Exception as exc:
            failure = exc
    if failure is not None:
        raise failure
    return cast("Provider", carrier)


def run(target: Target, work: Callable[[Provider], Awaitable[T]], *, pool: int | None = None) -> T:
    """Connect to the target carrier, run ``work`` with it, and close it.

    ``pool``: the requests ``work`` sends at once, which the connection pool is made to hold.
    """

    async def main() -> T:
        async with await _connect(target, pool) as carrier:
            return await work(carrier)

    return anyio.run(main)
