"""``numbers addresses``: the carrier's address book (list, create, delete).

Addresses are what regulated numbers are bought under (``--address-id``) and
what emergency calls are routed to (``--emergency-address-id``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from ._options import address_options
from ._output import note
from ._run import NumbersCommand, Yes, confirm, run, state_of

if TYPE_CHECKING:
    from numbers_core import Address, Provider

__all__ = ["addresses_app"]

addresses_app = typer.Typer(
    name="addresses",
    help="The carrier's address book: addresses numbers are bought under and registered for emergency calls.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

_FIELDS = ("customer_name", "street", "street2", "locality", "region", "postal_code", "country")


@addresses_app.command("list", cls=NumbersCommand)
def list_addresses(ctx: typer.Context) -> None:
    """List the addresses on file, with their IDs."""
    state = state_of(ctx)

    async def work(carrier: Provider) -> list[Address]:
        return [address async for address in carrier.addresses()]

    state.output.addresses(run(state.target, work))


@addresses_app.command(cls=NumbersCommand)
@address_options
def create(ctx: typer.Context, *, address: dict[str, Any]) -> None:
    """Put an address on file; prints it as the carrier stored it, with its ID.

    --street, --locality and --country are needed; the carrier may correct the
    address on the way, or refuse it, saying what it would accept instead.
    """
    from numbers_core import Address
    from numbers_core.adapter import build

    state = state_of(ctx)
    given = build(Address, None, address)

    async def work(carrier: Provider) -> Address:
        return await carrier.create_address(given)

    stored = run(state.target, work)
    state.output.address(stored)
    corrected = [
        f"{field.replace('_', ' ')} {getattr(given, field)!r} as {getattr(stored, field)!r}"
        for field in _FIELDS
        if getattr(given, field) is not None and getattr(stored, field) != getattr(given, field)
    ]
    if corrected and not state.output.json:
        note(f"The carrier corrected the {'; the '.join(corrected)}.")


@addresses_app.command(cls=NumbersCommand)
def delete(
    ctx: typer.Context,
    address_id: Annotated[str, typer.Argument(metavar="ID", show_default=False, hidden=True)],
    yes: Yes = False,
) -> None:
    """Remove the address ID from the address book; refused while a number uses it."""
    state = state_of(ctx)
    confirm(f"Delete address {address_id}?", "Not deleted.", yes=yes)

    async def work(carrier: Provider) -> None:
        await carrier.delete_address(address_id)

    run(state.target, work)
    state.output.address_deleted(address_id)
