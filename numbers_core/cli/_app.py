"""The ``numbers`` commands."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, cast

import typer

import numbers_core as nc
from numbers_core import ActiveNumber, AvailableNumber, ConfigurationError, Feature, Provider
from numbers_core._registry import load_provider
from numbers_core.adapter import parse_e164

from ._buy import Purchases
from ._options import Clearable, NumberTypeChoice, config_options, number_config, search_options
from ._output import Output, ProviderColumn, note, progress
from ._run import NumbersGroup, Target, fail_usage, print_error, run

__all__ = ["app"]

app = typer.Typer(
    name="numbers",
    cls=NumbersGroup,
    help="Search, buy, configure, list and release phone numbers at any carrier.",
    epilog="With nothing configured, numbers uses the built-in sandbox carrier, kept in your data directory.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@dataclass(frozen=True)
class _State:
    target: Target
    output: Output


def _state(ctx: typer.Context) -> _State:
    # Set by the group callback, which click runs before any command.
    return cast(_State, ctx.obj)


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"numbers-core {nc.__version__}")
        raise typer.Exit


@app.callback()
def _global_options(
    ctx: typer.Context,
    provider: Annotated[
        str | None,
        typer.Option(
            "--provider",
            metavar="NAME",
            help="Use this provider, with its settings from NUMBERS_<PROVIDER>_<SETTING> variables.",
        ),
    ] = None,
    profile: Annotated[
        str | None,
        typer.Option("--profile", metavar="NAME", help="Use this profile of numbers.toml / $NUMBERS_CONFIG."),
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_show_version, is_eager=True, help="Show the version and exit."),
    ] = False,
) -> None:
    if provider is not None and profile is not None:
        fail_usage("give --provider or --profile, not both")
    ctx.obj = _State(Target(provider=provider, profile=profile), Output(json=json_output))


_Number = Annotated[str, typer.Argument(metavar="NUMBER", help="The number in E.164 form (+14155550123).")]


@app.command()
@search_options
def search(ctx: typer.Context, *, criteria: dict[str, Any]) -> None:
    """Find numbers that can be bought now."""
    state = _state(ctx)

    async def work(carrier: Provider) -> list[AvailableNumber]:
        return await carrier.search(**criteria)

    state.output.available(run(state.target, work))


@app.command()
@config_options
@search_options
def buy(
    ctx: typer.Context,
    numbers: Annotated[
        list[str] | None,
        typer.Argument(metavar="NUMBER", help="Numbers to buy, in E.164 form.", show_default=False),
    ] = None,
    count: Annotated[
        int | None,
        typer.Option(
            "--count", "-n", min=1, max=1000, help="Buy this many numbers matching the search criteria."
        ),
    ] = None,
    *,
    criteria: dict[str, Any],
    config: dict[str, Any],
) -> None:
    """Buy the numbers given, or --count numbers matching the search criteria.

    Configuration options are applied in the same step. When not every number
    can be bought, those that were are still shown, and the exit status is
    non-zero.
    """
    state = _state(ctx)
    if numbers and count is not None:
        fail_usage("give NUMBERs or --count, not both")
    if numbers and criteria:
        fail_usage("search criteria only apply with --count")
    if not numbers and count is None:
        fail_usage("give a NUMBER to buy, or --count N with search criteria")
    # Every number is checked before the first is bought.
    wanted = list(dict.fromkeys(parse_e164(number) for number in numbers or ()))
    settings = number_config(config) if config else None
    purchases = Purchases(requested=len(wanted) or count or 0)

    async def work(carrier: Provider) -> None:
        with progress(purchases.requested, "Buying") as advance:
            if wanted:
                await purchases.buy_each(carrier, wanted, settings, advance)
            else:
                await purchases.buy_matching(carrier, criteria, settings, advance)

    try:
        run(state.target, work)
    except KeyboardInterrupt:
        purchases.interrupted = True
    state.output.purchases(purchases)
    for line in purchases.error_lines():
        print_error(line)
    if purchases.exit_code():
        raise typer.Exit(purchases.exit_code())


@app.command()
@config_options
def configure(
    ctx: typer.Context,
    number: _Number,
    clear: Annotated[
        list[Clearable] | None,
        typer.Option(
            "--clear",
            help="Remove this setting (repeatable).",
            rich_help_panel="Configuration",
        ),
    ] = None,
    *,
    config: dict[str, Any],
) -> None:
    """Change how an owned number is set up; only the options given change."""
    state = _state(ctx)
    changes = dict(config)
    for field in clear or ():
        if field.value in changes:
            fail_usage(f"--clear {field.value} contradicts the value given for it")
        changes[field.value] = None
    if not changes:
        fail_usage("nothing to change: give at least one option (see numbers configure --help)")
    settings = number_config(changes)

    async def work(carrier: Provider) -> ActiveNumber:
        return await carrier.configure(number, settings)

    state.output.number(run(state.target, work))


@app.command()
def release(ctx: typer.Context, number: _Number) -> None:
    """Give an owned number back to the carrier."""
    state = _state(ctx)
    e164 = parse_e164(number)

    async def work(carrier: Provider) -> None:
        await carrier.release(e164)

    run(state.target, work)
    state.output.released(e164)


@app.command("list")
def list_numbers(
    ctx: typer.Context,
    contains: Annotated[
        str | None,
        typer.Option(help="Digits or letters in the number; * is any one digit.", metavar="PATTERN"),
    ] = None,
    friendly_name: Annotated[str | None, typer.Option(help="Exactly this name (any case).")] = None,
    number_type: Annotated[NumberTypeChoice | None, typer.Option("--type", help="Only this type.")] = None,
    country: Annotated[str | None, typer.Option(help="Only this ISO 3166 country.", metavar="CC")] = None,
) -> None:
    """List the numbers the account owns, as they are fetched."""
    state = _state(ctx)
    filters = {
        name: value
        for name, value in (
            ("contains", contains),
            ("friendly_name", friendly_name),
            ("number_type", number_type.value if number_type else None),
            ("country", country),
        )
        if value is not None
    }

    async def work(carrier: Provider) -> None:
        with state.output.stream() as show:
            async for number in carrier.list(**filters):
                show(number)

    run(state.target, work)


@app.command()
def show(ctx: typer.Context, number: _Number) -> None:
    """Show everything about one owned number."""
    state = _state(ctx)

    async def work(carrier: Provider) -> ActiveNumber:
        return await carrier.get(number)

    state.output.number(run(state.target, work))


_GROUPS = {"search.": "Search filters", "number_type.": "Number types", "config.": "Configuration"}


def _feature_groups() -> list[tuple[str, list[str]]]:
    groups: dict[str, list[str]] = {title: [] for title in ("Operations", *_GROUPS.values())}
    for feature in Feature:
        title = next((title for prefix, title in _GROUPS.items() if feature.startswith(prefix)), "Operations")
        groups[title].append(feature.value)
    return list(groups.items())


def _provider_column(name: str) -> ProviderColumn:
    """What ``name`` can do, read from its class: no settings, no credentials, no network."""
    try:
        cls = load_provider(name)
    except ConfigurationError as exc:
        return ProviderColumn(name, None, str(exc))
    features = cls.features
    # A provider whose features depend on its settings sets them per instance (or as a
    # property); the class then holds nothing that describes it.
    if not isinstance(features, frozenset | set) or not features:
        return ProviderColumn(name, None, "depends on its settings")
    return ProviderColumn(name, frozenset(str(feature) for feature in features), None)


@app.command()
def providers(ctx: typer.Context) -> None:
    """Show what every registered provider can do (the feature matrix)."""
    state = _state(ctx)
    columns = [_provider_column(name) for name in nc.provider_names()]
    state.output.providers(columns, _feature_groups())
    if not state.output.json:
        for column in columns:
            if column.note:
                note(f"{column.name}: {column.note}")
