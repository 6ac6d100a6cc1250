"""The ``numbers`` commands."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

import numbers_core as nc
from numbers_core.errors import ConfigurationError, InvalidInputError

from ._addresses import addresses_app
from ._bulk import bulk_app
from ._buy import Purchases, check_purchase
from ._options import (
    DEFAULT_COUNTRY,
    NUMBER_TYPES,
    Clearable,
    compliance_options,
    config_options,
    criteria_options,
    emergency_address_options,
    number_compliance,
    number_config,
    search_options,
    typed_number,
)
from ._output import Output, ProviderColumn, note, progress
from ._run import (
    NumbersCommand,
    NumbersGroup,
    State,
    Target,
    Yes,
    confirm,
    fail_usage,
    print_error,
    run,
    state_of,
)

if TYPE_CHECKING:
    from numbers_core import ActiveNumber, AvailableNumber, Provider

# The library loads when a command runs, not for --help or a usage error (numbers_core.__init__).

__all__ = ["app"]

T = TypeVar("T")

app = typer.Typer(
    name="numbers",
    cls=NumbersGroup,
    help="Search, buy, configure, list and release phone numbers at any carrier.",
    epilog="With nothing configured, numbers uses the built-in sandbox carrier, kept in your data directory.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


app.add_typer(bulk_app)
app.add_typer(addresses_app)


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
            help="Use this provider, with its settings from NUMBERS_<PROVIDER>_<SETTING> variables; "
            "several, comma-separated (providers or profiles), are searched and bought from together.",
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
    ctx.obj = State(Target(provider=provider, profile=profile), Output(json=json_output))


# typer lists arguments with their Python type ("NUMBER <str>"): they are left to the usage line,
# and each command's docstring says what they are.
_Number = Annotated[str, typer.Argument(metavar="NUMBER", show_default=False, hidden=True)]
_Country = Annotated[
    str | None,
    typer.Option(
        "--country",
        metavar="CC",
        help=f"Country of a NUMBER typed without + and its country code (default {DEFAULT_COUNTRY}).",
    ),
]


@app.command(cls=NumbersCommand)
@search_options
def search(ctx: typer.Context, *, criteria: dict[str, Any]) -> None:
    """Find numbers that can be bought now."""
    state = state_of(ctx)

    async def work(carrier: Provider) -> list[AvailableNumber]:
        state.output.carriers_of(carrier)
        return await carrier.search(**criteria)

    state.output.available(run(state.target, work))


@app.command(cls=NumbersCommand)
@compliance_options
@config_options
@criteria_options
def buy(
    ctx: typer.Context,
    numbers: Annotated[
        list[str] | None,
        typer.Argument(metavar="NUMBER", show_default=False, hidden=True),
    ] = None,
    count: Annotated[
        int | None,
        typer.Option(
            "--count",
            "-n",
            metavar="N",
            help="Buy N numbers (1 to 1000) matching the search criteria.",
        ),
    ] = None,
    *,
    criteria: dict[str, Any],
    compliance: dict[str, Any],
    config: dict[str, Any],
) -> None:
    """Buy each NUMBER given (+14155550123), or --count N numbers matching the search criteria.

    Configuration options are applied in the same step. Regulated numbers are
    bought under the compliance references given (numbers requirements COUNTRY
    says which are needed). When not every number can be bought, those that
    were are still shown, and the exit status is non-zero. With NUMBERs,
    --country tells the country of those typed without their country code.
    """
    state = state_of(ctx)
    if numbers and count is not None:
        fail_usage("give NUMBERs or --count, not both")
    if numbers and criteria.keys() - {"country"}:
        fail_usage("search criteria only apply with --count")
    if not numbers and count is None:
        fail_usage("give a NUMBER to buy, or --count N with search criteria")
    if count is not None and not 1 <= count <= 1000:
        fail_usage(f"--count: give 1 to 1000, not {count}")
    if count is not None:
        from numbers_core import SearchQuery
        from numbers_core.adapter import build

        build(
            SearchQuery, None, criteria
        )  # criteria that cannot work are told as such, in the options' terms
    # Every number is checked before the first is bought.
    wanted = list(dict.fromkeys(typed_number(number, criteria.get("country")) for number in numbers or ()))
    if compliance:
        config = {**config, "compliance": compliance}
    settings = number_config(config) if config else None
    purchases = Purchases(requested=len(wanted) or count or 0)

    async def work(carrier: Provider) -> None:
        # A search costs a request: what the purchases would refuse is refused before it.
        check_purchase(carrier, settings)
        state.output.carriers_of(carrier)
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


@app.command(cls=NumbersCommand)
@compliance_options
@emergency_address_options
@config_options
def configure(
    ctx: typer.Context,
    number: _Number,
    country: _Country = None,
    clear: Annotated[
        list[Clearable] | None,
        typer.Option(
            "--clear",
            metavar="FIELD",
            help=f"Remove this setting (repeatable): {', '.join(field.value for field in Clearable)}.",
            rich_help_panel="Configuration",
        ),
    ] = None,
    *,
    compliance: dict[str, Any],
    emergency_address: dict[str, Any],
    config: dict[str, Any],
) -> None:
    """Change how the owned NUMBER is set up; only the options given change.

    An emergency address is registered by its id in the address book
    (--emergency-address-id), or, where the carrier keeps it on the number,
    given inline (--emergency-street, --emergency-locality, …).
    """
    state = state_of(ctx)
    e164 = typed_number(number, country)
    changes = dict(config)
    if emergency_address:
        if "emergency_address_id" in changes:
            fail_usage("give --emergency-address-id or an address inline (--emergency-street …), not both")
        changes["emergency_address"] = emergency_address
    references = dict(compliance)
    for field in clear or ():
        given = references if field.compliance else changes
        if field.value in given:
            fail_usage(f"--clear {field.value} contradicts the value given for it")
        given[field.value] = None
    if references:
        changes["compliance"] = references
    if not changes:
        fail_usage("nothing to change: give at least one option (see numbers configure --help)")
    settings = number_config(changes)

    async def work(carrier: Provider) -> ActiveNumber:
        return await carrier.configure(e164, settings)

    state.output.number(run(state.target, work))


@app.command(cls=NumbersCommand)
def release(
    ctx: typer.Context,
    number: _Number,
    country: _Country = None,
    yes: Yes = False,
) -> None:
    """Give the owned NUMBER back to the carrier; it may go to someone else at once."""
    state = state_of(ctx)
    e164 = typed_number(number, country)
    confirm(f"Release {e164}? It may not be yours to get back", "Not released.", yes=yes)

    async def work(carrier: Provider) -> None:
        await carrier.release(e164)

    run(state.target, work)
    state.output.released(e164)


@app.command(cls=NumbersCommand)
@compliance_options
def transfer(
    ctx: typer.Context,
    number: _Number,
    account: Annotated[str, typer.Argument(metavar="ACCOUNT", show_default=False, hidden=True)],
    country: _Country = None,
    *,
    compliance: dict[str, Any],
) -> None:
    """Move the owned NUMBER to another ACCOUNT of the same carrier (a Twilio AC… sid, …).

    A regulated number needs the receiving account's compliance references
    (--address-id, --bundle-id, --identity-id).
    """
    state = state_of(ctx)
    e164 = typed_number(number, country)
    references = number_compliance(compliance) if compliance else None

    async def work(carrier: Provider) -> ActiveNumber:
        return await carrier.transfer(e164, account, compliance=references)

    state.output.number(run(state.target, work))


@app.command(cls=NumbersCommand)
def reserve(ctx: typer.Context, number: _Number, country: _Country = None) -> None:
    """Hold NUMBER for the account without buying it yet; numbers buy NUMBER then buys it.

    Where the carrier holds numbers; the reserved number is listed with status
    reserved until it is bought or released.
    """
    state = state_of(ctx)
    e164 = typed_number(number, country)

    async def work(carrier: Provider) -> ActiveNumber:
        return await carrier.reserve(e164)

    state.output.number(run(state.target, work))


@app.command("list", cls=NumbersCommand)
def list_numbers(
    ctx: typer.Context,
    contains: Annotated[
        str | None,
        typer.Option(help="Digits or letters in the number; * is any one digit.", metavar="PATTERN"),
    ] = None,
    friendly_name: Annotated[
        str | None, typer.Option(metavar="NAME", help="Exactly this name (any case).")
    ] = None,
    number_type: Annotated[
        str | None, typer.Option("--type", metavar="TYPE", help=f"Only this type: {NUMBER_TYPES}.")
    ] = None,
    country: Annotated[str | None, typer.Option(help="Only this ISO 3166 country.", metavar="CC")] = None,
) -> None:
    """List the numbers the account owns, as they are fetched."""
    state = state_of(ctx)
    filters = {
        name: value
        for name, value in (
            ("contains", contains),
            ("friendly_name", friendly_name),
            ("number_type", number_type),
            ("country", country),
        )
        if value is not None
    }

    async def work(carrier: Provider) -> None:
        state.output.carriers_of(carrier)
        with state.output.stream() as show:
            async for number in carrier.list(**filters):
                show(number)

    run(state.target, work)


@app.command(cls=NumbersCommand)
def show(ctx: typer.Context, number: _Number, country: _Country = None) -> None:
    """Show everything about the owned NUMBER (+14155550123)."""
    state = state_of(ctx)
    e164 = typed_number(number, country)

    async def work(carrier: Provider) -> ActiveNumber:
        return await carrier.get(e164)

    state.output.number(run(state.target, work))


# -- commerce and compliance ---------------------------------------------------------------

_CountryArgument = Annotated[str, typer.Argument(metavar="COUNTRY", show_default=False, hidden=True)]
_Type = Annotated[
    str | None, typer.Option("--type", metavar="TYPE", help=f"Only this number type: {NUMBER_TYPES}.")
]


def _ask(ctx: typer.Context, question: Callable[[Provider], Awaitable[T]]) -> T:
    """The carrier's answer to ``question`` about a COUNTRY, which is named as the argument it is
    (not as --country) when the library refuses it."""
    try:
        return run(state_of(ctx).target, question)
    except InvalidInputError as exc:
        if exc.field != "country":
            raise
        fail_usage("COUNTRY " + exc.message.rpartition("country: ")[2])


def _market_text(country: str, number_type: str | None) -> str:
    kind = f" {number_type.strip().lower().replace('_', ' ')}" if number_type else ""
    return f"{country.strip().upper()}{kind} numbers"


@app.command(cls=NumbersCommand)
def prices(ctx: typer.Context, country: _CountryArgument, number_type: _Type = None) -> None:
    """What numbers cost in COUNTRY (ISO 3166 alpha-2: GB), per number type.

    Monthly and setup prices, the list price before the account's discounts
    where the carrier gives both, and the basis: catalog (the carrier's price
    list), table (the prices setting), offer or quote.
    """
    found = _ask(ctx, lambda carrier: carrier.prices(country, number_type))
    state_of(ctx).output.prices(found, _market_text(country, number_type))


@app.command(cls=NumbersCommand)
def coverage(
    ctx: typer.Context,
    country: Annotated[str | None, typer.Argument(metavar="COUNTRY", show_default=False, hidden=True)] = None,
) -> None:
    """The countries the carrier sells numbers in, with the types sold there (COUNTRY's only, if given)."""
    state_of(ctx).output.coverage(_ask(ctx, lambda carrier: carrier.coverage(country)))


@app.command(cls=NumbersCommand)
def requirements(ctx: typer.Context, country: _CountryArgument, number_type: _Type = None) -> None:
    """What buying COUNTRY's numbers (of every type, or of --type) needs on file.

    Each requirement says what to give when buying (--address-id, --bundle-id,
    --identity-id); numbers addresses create puts an address on file.
    """
    found = _ask(ctx, lambda carrier: carrier.requirements(country, number_type))
    state_of(ctx).output.requirements(found, _market_text(country, number_type))


# -- the feature matrix ----------------------------------------------------------------------

_GROUPS = {"search.": "Search filters", "number_type.": "Number types", "config.": "Configuration"}
# As docs/concepts/features.md groups them; search.prices is no search filter.
_COMMERCE = "Commerce and compliance"


def _is_commerce(feature: nc.Feature) -> bool:
    Feature = nc.Feature
    commerce = {
        Feature.PRICES,
        Feature.SEARCH_PRICES,
        Feature.COVERAGE,
        Feature.REQUIREMENTS,
        Feature.ADDRESSES,
        Feature.RESERVE,
    }
    return feature in commerce or feature.startswith("emergency.")


def _feature_groups() -> list[tuple[str, list[str]]]:
    groups: dict[str, list[str]] = {title: [] for title in ("Operations", *_GROUPS.values(), _COMMERCE)}
    for feature in nc.Feature:
        if _is_commerce(feature):
            title = _COMMERCE
        else:
            title = next(
                (title for prefix, title in _GROUPS.items() if feature.startswith(prefix)), "Operations"
            )
        groups[title].append(feature.value)
    return list(groups.items())


def _provider_column(name: str) -> ProviderColumn:
    """What ``name`` can do, read from its class: no settings, no credentials, no network."""
    from numbers_core._registry import load_provider

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


@app.command(cls=NumbersCommand)
def providers(ctx: typer.Context) -> None:
    """Show what every registered provider can do (the feature matrix)."""
    state = state_of(ctx)
    columns = [_provider_column(name) for name in nc.provider_names()]
    state.output.providers(columns, _feature_groups())
    if not state.output.json:
        for column in columns:
            if column.note:
                note(f"{column.name}: {column.note}")


@app.command(cls=NumbersCommand)
def emulate(
    ctx: typer.Context,
    dialect: Annotated[
        str, typer.Argument(metavar="DIALECT", help="The carrier to emulate: twilio, signalwire, …")
    ],
    host: Annotated[str, typer.Option(metavar="ADDRESS", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(min=0, max=65535, metavar="PORT", help="Port to listen on (0: any free one).")
    ] = 8080,
    state: Annotated[
        str | None, typer.Option(metavar="FILE", help="Keep who owns what in this SQLite file between runs.")
    ] = None,
    latency: Annotated[
        float, typer.Option(metavar="SECONDS", min=0.0, max=600.0, help="Added to every answer.")
    ] = 0.0,
    jitter: Annotated[
        float, typer.Option(metavar="SECONDS", min=0.0, max=600.0, help="Up to this much more, at random.")
    ] = 0.0,
    fault_rate: Annotated[
        float,
        typer.Option(
            metavar="SHARE",
            min=0.0,
            max=1.0,
            help="Share of requests that fail: 429s, 503s, dropped connections and lost answers alike.",
        ),
    ] = 0.0,
    seed: Annotated[int, typer.Option(metavar="INTEGER", help="The same seed fails the same requests.")] = 0,
    rate_limit: Annotated[
        float | None,
        typer.Option(metavar="PER_SECOND", min=0.001, help="Requests per second per account, then 429."),
    ] = None,
    burst: Annotated[
        int, typer.Option(min=1, metavar="N", help="Requests an account may send at once under --rate-limit.")
    ] = 10,
    tls: Annotated[
        bool,
        typer.Option(
            "--tls",
            help="Serve HTTPS with a certificate made on the spot (its authority's file is printed), "
            "for SDKs that speak nothing else.",
        ),
    ] = False,
) -> None:
    """Serve an emulated carrier on this machine (faults on demand) until Ctrl-C."""
    from ._emulate import emulate as serve_emulator

    share = fault_rate / 4
    faults = {
        "latency": latency,
        "jitter": jitter,
        "seed": seed,
        "rate_limit": rate_limit,
        "burst": burst,
        **dict.fromkeys(("throttled", "unavailable", "dropped", "lost"), share),
    }
    serve_emulator(
        dialect, host=host, port=port, state=state, faults=faults, tls=tls, as_json=state_of(ctx).output.json
    )
