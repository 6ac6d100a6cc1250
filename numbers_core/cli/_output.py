"""What the commands print: rich tables for people, JSON for programs.

Data goes to stdout; progress, notes and errors to stderr, so that
``numbers --json list | jq`` always sees clean JSON. Every value from a
carrier is shown as plain text, never as rich markup, and with its control
characters written out (see ``_visible``).
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from ._visible import json_text, visible

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from numbers_core import (
        ActiveNumber,
        Address,
        AvailableNumber,
        Capabilities,
        Coverage,
        EmergencyRegistration,
        Geography,
        Money,
        NumberCompliance,
        NumberConfig,
        NumberPrice,
        Provider,
        Requirement,
        Route,
    )

    from ._buy import Purchases

__all__ = [
    "NumberStream",
    "Output",
    "ProviderColumn",
    "note",
    "progress",
    "stderr_console",
    "stdout_console",
    "write_json",
]


_PIPE_WIDTH = 1000

M = TypeVar("M")


def stdout_console() -> Console:
    from rich.console import Console

    # Piped output goes to programs, files and pagers: a row is never wrapped at 80
    # columns there (COLUMNS still rules when set).
    wide = not sys.stdout.isatty() and "COLUMNS" not in os.environ
    return Console(highlight=False, emoji=False, width=_PIPE_WIDTH if wide else None)


def stderr_console() -> Console:
    from rich.console import Console

    return Console(stderr=True, highlight=False, emoji=False)


def note(message: str) -> None:
    """A remark for the person at the terminal, kept out of stdout."""
    stderr_console().print(visible(message), style="dim", markup=False, soft_wrap=True)


@contextlib.contextmanager
def progress(total: int, description: str) -> Iterator[Callable[[], None]]:
    """A progress bar on stderr for work of several steps; call the value after each step.

    Only shown on a terminal: in a pipe or a log it would be noise.
    """
    console = stderr_console()
    if total < 2 or not console.is_terminal:
        yield lambda: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(description, total=total)
        yield lambda: bar.advance(task)


class ProviderColumn(NamedTuple):
    """One provider in the feature matrix; ``features`` None when the class cannot tell."""

    name: str
    features: frozenset[str] | None
    note: str | None


def write_json(value: Any) -> None:
    sys.stdout.write(json_text(value, indent=2) + "\n")
    sys.stdout.flush()


def dump(model: Any) -> dict[str, Any]:
    """A model as JSON data (``raw``, the carrier's own answer, is left out by the models)."""
    data: dict[str, Any] = model.model_dump(mode="json")
    return data


# -- cell text --------------------------------------------------------------------------


def capabilities_text(capabilities: Capabilities) -> str:
    return " ".join(name for name in ("voice", "sms", "mms", "fax") if getattr(capabilities, name))


def place_text(geography: Geography) -> str:
    parts = (geography.locality, geography.region, geography.iso_country)
    return ", ".join(part for part in parts if part)


def address_text(address: Address) -> str:
    """An address on one line, as on an envelope: name, street, town and postal code, country."""
    parts = (address.customer_name, address.street, address.street2, _town_text(address), address.country)
    return ", ".join(part for part in parts if part)


def _money_text(money: Money | None) -> str:
    return str(money) if money is not None else ""


def _needs_text(number: AvailableNumber) -> str:
    """What buying the number needs on file, as far as its search result says."""
    from numbers_core import AddressRequirement

    needs = {
        AddressRequirement.ANY: "address",
        AddressRequirement.LOCAL: "local address",
        AddressRequirement.FOREIGN: "foreign address",
    }
    parts = [needs.get(number.address_requirement) if number.address_requirement else None]
    if number.documents_required:
        parts.append("documents")
    return ", ".join(part for part in parts if part)


def _town_text(address: Address) -> str:
    return " ".join(part for part in (address.locality, address.region, address.postal_code) if part)


def _available_cells(number: AvailableNumber) -> list[str]:
    return [
        number.phone_number,
        number.number_type.value,
        place_text(number.geography),
        capabilities_text(number.capabilities),
        _money_text(number.monthly_price),
        _money_text(number.setup_price),
        number.price_basis.value if number.price_basis else "",
        _needs_text(number),
    ]


def _price_cells(price: NumberPrice) -> list[str]:
    return [
        price.number_type.value,
        _money_text(price.monthly),
        _money_text(price.setup),
        _money_text(price.list_monthly),
        # Monthly is the rule; only another interval is worth a column.
        f"every {price.interval_months} months" if (price.interval_months or 1) > 1 else "",
        price.basis.value,
    ]


def _types(entry: Coverage) -> list[str]:
    """The number types sold, in the enumeration's order: the same in every run (a set's is not)."""
    from numbers_core import NumberType

    return [kind.value for kind in NumberType if kind in entry.number_types]


def _requirement_cells(requirement: Requirement) -> list[str]:
    from ._words import requirement_how, requirement_what

    return [
        requirement.number_type.value,
        requirement_what(requirement.kind),
        requirement_how(requirement.kind),
        requirement.name,
        requirement.end_user_type or "",
    ]


def _address_cells(address: Address) -> list[str]:
    return [
        address.id or "",
        address.customer_name or "",
        ", ".join(part for part in (address.street, address.street2) if part),
        _town_text(address),
        address.country,
        "yes" if address.emergency else "",
    ]


def _call_text(method: str | None, url: str | None) -> str:
    # A method says how a URL is called: alone (a carrier's default for a URL not set) it says nothing.
    return " ".join(part for part in (method, url) if part) if url else ""


def _route_text(route: Route) -> str:
    parts = [_call_text(route.method, route.url)]
    if route.fallback_url:
        parts.append(f"fallback {_call_text(route.fallback_method, route.fallback_url)}")
    if route.application_id:
        parts.append(f"application {route.application_id}")
    return "; ".join(part for part in parts if part)


def _config_rows(config: NumberConfig) -> list[tuple[str, str]]:
    rows = []
    if config.voice is not None:
        rows.append(("Voice", _route_text(config.voice)))
    if config.sms is not None:
        rows.append(("SMS", _route_text(config.sms)))
    if config.status_callback is not None:
        callback = config.status_callback
        rows.append(("Status callback", _call_text(callback.method, callback.url)))
    if config.extra:
        rows.append(("Extra", json.dumps(config.extra, ensure_ascii=False, sort_keys=True)))
    return rows


def _compliance_rows(compliance: NumberCompliance | None) -> list[tuple[str, str | None]]:
    # Labelled as the options that set them.
    if compliance is None:
        return []
    return [
        ("Address ID", compliance.address_id),
        ("Bundle ID", compliance.bundle_id),
        ("Identity ID", compliance.identity_id),
    ]


def _place_of(address_id: str | None, address: Address | None) -> str:
    return ": ".join(part for part in (address_id, address and address_text(address)) if part)


def _emergency_rows(number: ActiveNumber) -> list[tuple[str, str | None]]:
    registration: EmergencyRegistration | None = number.emergency
    if registration is None:
        # The carrier reports no registration: what the number's configuration asks for.
        config = number.config
        return [("Emergency address", _place_of(config.emergency_address_id, config.emergency_address))]
    status = registration.status.value
    if registration.carrier_status and registration.carrier_status != status:
        status += f" ({registration.carrier_status})"
    address = registration.address
    # The caller name is the address's own name as a rule; shown when it is not.
    caller = registration.caller_name
    return [
        ("Emergency", status),
        ("Emergency address", _place_of(registration.address_id, address)),
        ("Caller name", caller if address is None or caller != address.customer_name else None),
    ]


def detail_rows(number: ActiveNumber) -> list[tuple[str, str]]:
    """Everything known about an owned number, as label/value pairs (blank ones left out)."""
    geography = number.geography
    coordinates = (
        f"{geography.latitude}, {geography.longitude}"
        if geography.latitude is not None and geography.longitude is not None
        else None
    )
    rows: list[tuple[str, str | None]] = [
        ("Number", number.phone_number),
        ("ID", number.id),
        ("Provider", number.provider),
        ("Account", number.account_id),
        ("Type", number.number_type.value),
        ("Status", number.status.value),
        ("Name", number.friendly_name or number.config.friendly_name),
        ("Capabilities", capabilities_text(number.capabilities)),
        ("Location", place_text(geography)),
        ("Postal code", geography.postal_code),
        ("Rate center", geography.rate_center),
        ("LATA", geography.lata),
        ("Coordinates", coordinates),
        *_config_rows(number.config),
        *_compliance_rows(number.compliance or number.config.compliance),
        *_emergency_rows(number),
        ("Created", number.created_at.isoformat() if number.created_at else None),
        ("Updated", number.updated_at.isoformat() if number.updated_at else None),
        # When a number being released leaves the account (Sinch keeps it to the end of the period paid for).
        ("Expires", number.expires_at.isoformat() if number.expires_at else None),
    ]
    return [(label, value) for label, value in rows if value]


# -- tables -----------------------------------------------------------------------------

# Owned numbers, in `list`, `buy`: (header, width when streamed, narrowest it may get). On a
# terminal too narrow for them all, Name and Location give up room first; then Capabilities,
# then Type, are left out, so that a row never wraps.
_OWNED_COLUMNS = [
    ("Number", 16, 16),
    ("Type", 10, 10),
    ("Status", 9, 9),
    ("Name", 24, 8),
    ("Capabilities", 17, 17),
    ("Location", 28, 12),
]
_LEFT_OUT_FIRST = (4, 1)  # Capabilities, Type
# Across several carriers (a routing provider), each number's carrier: the member's name.
_PROVIDER_COLUMN = ("Provider", 12, 8)
_GAP = "   "


def _owned_columns(several: bool) -> list[tuple[str, int, int]]:
    return [*_OWNED_COLUMNS, _PROVIDER_COLUMN] if several else _OWNED_COLUMNS


def _line_width(widths: dict[int, int]) -> int:
    # A space at the edge, then the columns three spaces apart.
    return 1 + sum(widths.values()) + len(_GAP) * (len(widths) - 1)


def _owned_layout(width: int, columns: list[tuple[str, int, int]]) -> tuple[dict[int, int], bool]:
    """The ``columns`` that fit a line ``width`` wide ({index: width}), and whether all fit in full."""
    widest = {index: column[1] for index, column in enumerate(columns)}
    if _line_width(widest) <= width:
        return widest, True
    narrowest = {index: column[2] for index, column in enumerate(columns)}
    for index in _LEFT_OUT_FIRST:
        if _line_width(narrowest) <= width:
            break
        del narrowest[index]
    # What room is left goes back to the columns that gave it up, a character at a time in turn.
    spare = width - _line_width(narrowest)
    growing = [index for index in narrowest if narrowest[index] < widest[index]]
    while spare > 0 and growing:
        for index in list(growing):
            if spare == 0:
                break
            narrowest[index] += 1
            spare -= 1
            if narrowest[index] == widest[index]:
                growing.remove(index)
    return narrowest, False


def _owned_cells(number: ActiveNumber, several: bool) -> list[str]:
    return [
        number.phone_number,
        number.number_type.value,
        number.status.value,
        number.friendly_name or number.config.friendly_name or "",
        capabilities_text(number.capabilities),
        place_text(number.geography),
        *([number.provider] if several else []),
    ]


def _table(headers: Iterable[str], *, justify: str = "left") -> Table:
    from rich import box
    from rich.table import Table

    table = Table(box=box.SIMPLE_HEAD, header_style="bold", pad_edge=False)
    for index, header in enumerate(headers):
        # The first column (the phone number, the feature) must never be wrapped or cut.
        table.add_column(header, no_wrap=index == 0, justify="left" if index == 0 else justify)  # type: ignore[arg-type]
    return table


def _print_rows(headers: list[str], rows: list[list[str]]) -> None:
    """A table of ``rows``, leaving out columns no row has a value in."""
    from rich.text import Text

    kept = [index for index, _ in enumerate(headers) if index == 0 or any(row[index] for row in rows)]
    table = _table(headers[index] for index in kept)
    for row in rows:
        table.add_row(*(Text(visible(row[index])) for index in kept))
    stdout_console().print(table)


def _print_details(rows: Iterable[tuple[str, str | None]]) -> None:
    """One thing in full: a label and its value per line, blank values left out."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    table = Table(box=box.SIMPLE, show_header=False, pad_edge=False)
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    for label, value in rows:
        if value:
            table.add_row(label, Text(visible(value)))
    stdout_console().print(table)


class NumberStream:
    """Owned numbers printed as they arrive, in fixed-width columns that fit the terminal.

    A rich Table measures all rows before printing any; ``list`` must show
    the first page while the next is being fetched.
    """

    def __init__(self, console: Console, *, several: bool = False) -> None:
        self._console = console
        self._several = several
        self._headers = [header for header, *_ in _owned_columns(several)]
        self._columns, self._in_full = _owned_layout(console.width, _owned_columns(several))
        self.count = 0

    def _line(self, cells: list[str], style: str = "") -> None:
        from rich.text import Text

        # Laid out as _table lays out its rows: a space at the edge, columns three spaces apart.
        line = Text(" ", style=style)
        last = max(self._columns)
        for index, width in self._columns.items():
            text = Text(visible(cells[index]))
            if index != last:
                text.truncate(width, overflow="ellipsis", pad=True)
                text.append(_GAP)
            elif not self._in_full:  # with room to spare, the last column is never cut
                text.truncate(width, overflow="ellipsis")
            line.append_text(text)
        self._console.print(line, soft_wrap=True)

    def add(self, number: ActiveNumber) -> None:
        if self.count == 0:
            self._line(self._headers, style="bold")
            self._console.print(" " + "─" * (_line_width(self._columns) - 1), soft_wrap=True)
        self._line(_owned_cells(number, self._several))
        self.count += 1


class _JsonArrayStream:
    """A JSON array written one element per line as the elements arrive."""

    def __init__(self) -> None:
        self.count = 0

    def add(self, number: ActiveNumber) -> None:
        sys.stdout.write(("[\n" if self.count == 0 else ",\n") + json_text(dump(number)))
        sys.stdout.flush()
        self.count += 1

    def close(self) -> None:
        sys.stdout.write("[]\n" if self.count == 0 else "\n]\n")


class Output:
    """Prints command results, as tables or (``json=True``) as JSON."""

    def __init__(self, *, json: bool) -> None:
        self.json = json
        #: several carriers are in play (a routing provider): tables of numbers name each one's
        self.several = False

    def carriers_of(self, carrier: Provider) -> None:
        """Name each number's carrier in the tables when ``carrier`` is several (a routing provider)."""
        from numbers_core import RoutingProvider

        self.several = isinstance(carrier, RoutingProvider)

    def _listing(
        self,
        items: Sequence[M],
        empty: str,
        headers: list[str],
        cells: Callable[[M], list[str]],
        as_json: Callable[[M], dict[str, Any]] = dump,
    ) -> None:
        """``items`` as a JSON array, or as a table (its empty columns left out), or ``empty`` said."""
        if self.json:
            write_json([as_json(item) for item in items])
        elif not items:
            note(empty)
        else:
            _print_rows(headers, [cells(item) for item in items])

    def available(self, numbers: list[AvailableNumber]) -> None:
        headers = ["Number", "Type", "Location", "Capabilities", "Monthly", "Setup", "Basis", "Needs"]
        if not self.several:
            self._listing(numbers, "No numbers match.", headers, _available_cells)
            return
        self._listing(
            numbers,
            "No numbers match.",
            [*headers, "Provider"],
            lambda number: [*_available_cells(number), number.provider],
        )

    def prices(self, prices: list[NumberPrice], market: str) -> None:
        headers = ["Type", "Monthly", "Setup", "List price", "Billed", "Basis"]
        self._listing(prices, f"No price is given for {market}.", headers, _price_cells)

    def coverage(self, entries: list[Coverage]) -> None:
        headers = ["Country", "Name", "Number types", "Beta"]
        self._listing(
            entries,
            "No country is on sale.",
            headers,
            lambda entry: [
                entry.country,
                entry.name or "",
                " ".join(_types(entry)),
                "beta" if entry.beta else "",
            ],
            lambda entry: {**dump(entry), "number_types": _types(entry)},
        )

    def requirements(self, requirements: list[Requirement], market: str) -> None:
        headers = ["Type", "Needs", "Given with", "Carrier's name", "For"]
        self._listing(requirements, f"Buying {market} needs nothing on file.", headers, _requirement_cells)

    def addresses(self, addresses: list[Address]) -> None:
        headers = ["ID", "Name", "Street", "Town", "Country", "Emergency"]
        self._listing(addresses, "The address book is empty.", headers, _address_cells)

    def address(self, address: Address) -> None:
        if self.json:
            write_json(dump(address))
            return
        verdicts = {True: "yes", False: "no", None: None}
        _print_details(
            [
                ("ID", address.id),
                ("Name", address.customer_name),
                ("Street", address.street),
                ("", address.street2),
                ("Town", address.locality),
                ("Region", address.region),
                ("Postal code", address.postal_code),
                ("Country", address.country),
                ("Emergency", verdicts[address.emergency]),
                ("Validated", verdicts[address.validated]),
                ("Verified", verdicts[address.verified]),
            ]
        )

    def address_deleted(self, address_id: str) -> None:
        if self.json:
            write_json({"deleted": address_id})
        else:
            stdout_console().print(f"Deleted address {address_id}", markup=False)

    def owned(self, numbers: list[ActiveNumber]) -> None:
        if numbers:
            _print_rows(
                [header for header, *_ in _owned_columns(self.several)],
                [_owned_cells(number, self.several) for number in numbers],
            )

    @contextlib.contextmanager
    def stream(self) -> Iterator[Callable[[ActiveNumber], None]]:
        """A sink for owned numbers, printed as they come."""
        if self.json:
            array = _JsonArrayStream()
            yield array.add
            # Only a complete listing is closed: a cut-off one stays invalid JSON.
            array.close()
            return
        rows = NumberStream(stdout_console(), several=self.several)
        yield rows.add
        if rows.count == 0:
            note("No numbers.")

    def number(self, number: ActiveNumber) -> None:
        if self.json:
            write_json(dump(number))
            return
        _print_details(detail_rows(number))

    def released(self, e164: str) -> None:
        if self.json:
            write_json({"released": e164})
        else:
            stdout_console().print(f"Released {e164}", markup=False)

    def purchases(self, purchases: Purchases) -> None:
        if self.json:
            write_json(purchases.as_json())
        else:
            self.owned(purchases.bought)

    def providers(self, columns: list[ProviderColumn], groups: list[tuple[str, list[str]]]) -> None:
        """The feature matrix: features down, providers across."""
        if self.json:
            write_json(
                [
                    {
                        "name": column.name,
                        "features": sorted(column.features) if column.features is not None else None,
                        "note": column.note,
                    }
                    for column in columns
                ]
            )
            return
        console = stdout_console()
        yes = "✓" if console.encoding.lower().startswith("utf") else "yes"
        table = _table(["Feature", *(column.name for column in columns)], justify="center")
        for index, (title, features) in enumerate(groups):
            if index:
                table.add_section()
            table.add_row(title, style="bold")
            for feature in features:
                cells = [
                    "?" if column.features is None else (yes if feature in column.features else "-")
                    for column in columns
                ]
                table.add_row(f"  {feature}", *cells)
        console.print(table)
