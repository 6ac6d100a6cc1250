"""Option groups shared by several commands.

``search`` and ``buy --count`` take the same search criteria, ``configure`` and
``buy`` the same configuration options. Each group is declared once here and
added to a command by a decorator, which hands the command one finished value
(the criteria given, the configuration fields given) instead of twenty loose
parameters.
"""

from __future__ import annotations

import enum
import functools
import inspect
import json
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from numbers_core import NumberType
from numbers_core.errors import InvalidInputError

from ._run import fail_usage
from ._words import COMPLIANCE_OPTIONS

if TYPE_CHECKING:
    from numbers_core import NumberCompliance, NumberConfig

__all__ = [
    "DEFAULT_COUNTRY",
    "NUMBER_TYPES",
    "Clearable",
    "address_options",
    "compliance_options",
    "config_options",
    "criteria_options",
    "emergency_address_options",
    "number_compliance",
    "number_config",
    "search_options",
    "typed_number",
]

F = TypeVar("F", bound=Callable[..., Any])

#: The number types one can search or filter for; "unknown" only describes what a carrier reported.
#: Given as text and checked by the models, whose messages the command line shows in its own terms.
NUMBER_TYPES = ", ".join(kind.value for kind in NumberType if kind is not NumberType.UNKNOWN)


#: The country of numbers searched for, and of a NUMBER typed without + and its country code, when
#: --country does not say: SearchQuery's default.
DEFAULT_COUNTRY = "US"


def typed_number(number: str, country: str | None) -> str:
    """NUMBER as E.164, or a usage error that says what to type instead."""
    from numbers_core.adapter import parse_e164

    try:
        return parse_e164(number, country=country.strip().upper() if country else DEFAULT_COUNTRY)
    except InvalidInputError as exc:
        problem = exc.message.removeprefix("number: ")
        if country is None and not number.strip().startswith("+"):
            problem += f" (read as a {DEFAULT_COUNTRY} number; --country CC for another country)"
        fail_usage(f"NUMBER {problem}")


class Clearable(enum.StrEnum):
    """What ``configure --clear`` can remove: NumberConfig fields, and NumberCompliance's references."""

    FRIENDLY_NAME = "friendly_name"
    VOICE = "voice"
    SMS = "sms"
    STATUS_CALLBACK = "status_callback"
    EMERGENCY_ADDRESS_ID = "emergency_address_id"
    EMERGENCY_ADDRESS = "emergency_address"
    ADDRESS_ID = "address_id"
    BUNDLE_ID = "bundle_id"
    IDENTITY_ID = "identity_id"

    @property
    def compliance(self) -> bool:
        """Whether it is one of the compliance references (NumberConfig.compliance's fields)."""
        return self.value in COMPLIANCE_OPTIONS


_SEARCH_PANEL = "Search criteria"
_CONFIG_PANEL = "Configuration"
_COMPLIANCE_PANEL = "Compliance"
_ADDRESS_PANEL = "Address"


def _param(name: str, annotation: Any, default: Any = None) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)


def _text(name: str, flag: str, help_text: str, panel: str, metavar: str = "TEXT") -> inspect.Parameter:
    return _param(
        name,
        Annotated[str | None, typer.Option(flag, help=help_text, metavar=metavar, rich_help_panel=panel)],
    )


def _flag(name: str, flag: str, help_text: str, panel: str) -> inspect.Parameter:
    return _param(name, Annotated[bool, typer.Option(flag, help=help_text, rich_help_panel=panel)], False)


def _method(name: str, flag: str, help_text: str) -> inspect.Parameter:
    return _text(name, flag, f"{help_text}: GET or POST", _CONFIG_PANEL, "METHOD")


def _add_params(
    params: Sequence[inspect.Parameter], into: str, collect: Callable[[dict[str, Any]], Any]
) -> Callable[[F], F]:
    """Give a command ``params`` as options; it receives ``collect(values)`` as ``into``.

    typer reads a command's options from its signature, so the wrapper
    advertises the command's own parameters plus ``params``.
    """
    names = [param.name for param in params]

    def decorate(command: F) -> F:
        signature = inspect.signature(command, eval_str=True)
        own = [param for param in signature.parameters.values() if param.name != into]

        @functools.wraps(command)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            values = {name: kwargs.pop(name) for name in names}
            return command(*args, **kwargs, **{into: collect(values)})

        wrapper.__signature__ = signature.replace(parameters=[*own, *params])  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


# -- search criteria (the SearchQuery fields) ----------------------------------------------

_SEARCH = [
    _text(
        "country", "--country", f"ISO 3166 alpha-2 country (default {DEFAULT_COUNTRY})", _SEARCH_PANEL, "CC"
    ),
    _text("number_type", "--type", f"Number type (default local): {NUMBER_TYPES}", _SEARCH_PANEL, "TYPE"),
    _text(
        "area_code",
        "--area-code",
        "Area code: 3 digits in the US, Canada and the rest of the +1 plan (415); elsewhere the leading "
        "digits of the national number (20 for London)",
        _SEARCH_PANEL,
        "DIGITS",
    ),
    _text(
        "contains",
        "--contains",
        "Digits or letters (phone keypad) in the number; * is any one digit",
        _SEARCH_PANEL,
        "PATTERN",
    ),
    _text("starts_with", "--starts-with", "National number starts with", _SEARCH_PANEL, "DIGITS"),
    _text("ends_with", "--ends-with", "Number ends with", _SEARCH_PANEL, "DIGITS"),
    _text("region", "--region", "Region or state (CA)", _SEARCH_PANEL),
    _text("locality", "--locality", "City", _SEARCH_PANEL),
    _text("postal_code", "--postal-code", "Postal code", _SEARCH_PANEL),
    _text("rate_center", "--rate-center", "Rate center", _SEARCH_PANEL),
    _text("lata", "--lata", "LATA", _SEARCH_PANEL, "DIGITS"),
    _text("near_number", "--near-number", "Near this phone number", _SEARCH_PANEL, "NUMBER"),
    _text("near_lat_long", "--near-lat-long", "Near this point", _SEARCH_PANEL, "LAT,LONG"),
    _param(
        "distance",
        Annotated[
            int | None,
            typer.Option(
                "--distance",
                help="Miles around --near-number or --near-lat-long",
                metavar="MILES",
                rich_help_panel=_SEARCH_PANEL,
            ),
        ],
    ),
    _flag("voice", "--voice", "Must take voice calls", _SEARCH_PANEL),
    _flag("sms", "--sms", "Must take SMS", _SEARCH_PANEL),
    _flag("mms", "--mms", "Must take MMS", _SEARCH_PANEL),
    _flag("fax", "--fax", "Must take fax", _SEARCH_PANEL),
    _flag(
        "exclude_address_required",
        "--exclude-address-required",
        "Skip numbers that need an address on file",
        _SEARCH_PANEL,
    ),
]

# Only for `search`: what buys by criteria decides itself how many numbers to look at.
_LIMIT = [
    _param(
        "limit",
        Annotated[
            int | None,
            typer.Option(
                "--limit",
                metavar="N",
                help="At most N results, 1 to 1000 (default 20)",
                rich_help_panel=_SEARCH_PANEL,
            ),
        ],
    ),
]


def _given(values: dict[str, Any]) -> dict[str, Any]:
    # Only what the user gave: a default sent explicitly would count as a filter
    # the provider must support, or a field to change.
    return {name: value for name, value in values.items() if value is not None and value is not False}


def search_options(command: F) -> F:
    """Add the search criteria and --limit; the command receives them as ``criteria: dict``."""
    return _add_params([*_SEARCH, *_LIMIT], "criteria", _given)(command)


def criteria_options(command: F) -> F:
    """Add the search criteria without --limit, for commands that buy what matches."""
    return _add_params(_SEARCH, "criteria", _given)(command)


# -- configuration (the NumberConfig fields) -----------------------------------------------

_ROUTE_FIELDS = ("url", "method", "fallback_url", "fallback_method", "application_id")
_ROUTE_HELP = {
    "url": "URL {what} go to",
    "method": "HTTP method for the {kind} URL",
    "fallback_url": "URL {what} go to when the first fails",
    "fallback_method": "HTTP method for the {kind} fallback URL",
    "application_id": "Carrier application that handles {what} (Twilio app SID, Kazoo callflow, …)",
}


def _route_params(kind: str, what: str) -> list[inspect.Parameter]:
    params = []
    for field in _ROUTE_FIELDS:
        name, flag = f"{kind}_{field}", f"--{kind}-{field.replace('_', '-')}"
        help_text = _ROUTE_HELP[field].format(kind=kind, what=what)
        if field.endswith("method"):
            params.append(_method(name, flag, help_text))
        else:
            params.append(_text(name, flag, help_text, _CONFIG_PANEL, "URL" if "url" in field else "ID"))
    return params


_CONFIG = [
    _text("friendly_name", "--friendly-name", "Name shown for the number", _CONFIG_PANEL),
    *_route_params("voice", "calls"),
    *_route_params("sms", "messages"),
    _text("status_callback", "--status-callback", "URL told about status changes", _CONFIG_PANEL, "URL"),
    _method("status_callback_method", "--status-callback-method", "HTTP method for the status callback"),
    _text(
        "emergency_address_id",
        "--emergency-address-id",
        "Emergency (E911) address: an emergency address on file (numbers addresses list)",
        _CONFIG_PANEL,
        "ID",
    ),
    _param(
        "extra",
        Annotated[
            list[str] | None,
            typer.Option(
                "--extra",
                help="Provider-specific setting; VALUE is JSON where it parses (repeatable)",
                metavar="KEY=VALUE",
                rich_help_panel=_CONFIG_PANEL,
            ),
        ],
    ),
]


def _extra(pairs: list[str]) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or not key.strip():
            raise typer.BadParameter(f"expected KEY=VALUE, got {pair!r}", param_hint="'--extra'")
        try:
            extra[key.strip()] = json.loads(text)
        except ValueError:
            extra[key.strip()] = text
    return extra


def _config(values: dict[str, Any]) -> dict[str, Any]:
    """The NumberConfig fields given, as a dict (nested routes only with what was given)."""
    data: dict[str, Any] = {}
    if values["friendly_name"] is not None:
        data["friendly_name"] = values["friendly_name"]
    for kind in ("voice", "sms"):
        route = {
            field: values[f"{kind}_{field}"]
            for field in _ROUTE_FIELDS
            if values[f"{kind}_{field}"] is not None
        }
        if route:
            data[kind] = route
    callback = {
        field: value
        for field, value in (("url", values["status_callback"]), ("method", values["status_callback_method"]))
        if value is not None
    }
    if callback:
        data["status_callback"] = callback
    if values["emergency_address_id"] is not None:
        data["emergency_address_id"] = values["emergency_address_id"]
    if values["extra"]:
        data["extra"] = _extra(values["extra"])
    return data


def config_options(command: F) -> F:
    """Add the configuration options; the command receives ``config: dict`` (only what was given).

    Turn it into a NumberConfig with :func:`number_config` once any further
    fields (``--clear``) are merged in.
    """
    return _add_params(_CONFIG, "config", _config)(command)


def number_config(data: dict[str, Any]) -> NumberConfig:
    """A NumberConfig whose ``model_fields_set`` is exactly what ``data`` holds."""
    from numbers_core import NumberConfig
    from numbers_core.adapter import build

    return build(NumberConfig, None, data)


# -- compliance (the NumberCompliance fields) ----------------------------------------------

_COMPLIANCE_HELP = {
    "address_id": "Address on file the number is held under (numbers addresses list)",
    "bundle_id": "Approved regulatory bundle the number is held under",
    "identity_id": "Verified identity the number is held under",
}
_COMPLIANCE = [
    _text(field, flag, _COMPLIANCE_HELP[field], _COMPLIANCE_PANEL, "ID")
    for field, flag in COMPLIANCE_OPTIONS.items()
]


def number_compliance(data: dict[str, Any]) -> NumberCompliance:
    """The references given, as a NumberCompliance."""
    from numbers_core import NumberCompliance
    from numbers_core.adapter import build

    return build(NumberCompliance, None, data)


def compliance_options(command: F) -> F:
    """Add --address-id, --bundle-id and --identity-id; the command receives ``compliance: dict``
    (only those given), the fields of a NumberCompliance."""
    return _add_params(_COMPLIANCE, "compliance", _given)(command)


# -- a postal address (the Address fields) ----------------------------------------------------

_ADDRESS_FIELDS = {
    "customer_name": ("name of the person or business at the address", "TEXT"),
    "street": ("street and number", "TEXT"),
    "street2": ("second line: flat, floor, building", "TEXT"),
    "locality": ("town or city", "TEXT"),
    "region": ("region or state: its two-letter code in the US and Canada (CA)", "TEXT"),
    "postal_code": ("postal code", "TEXT"),
    "country": ("ISO 3166 alpha-2 country", "CC"),
}


def _address_params(prefix: str, help_prefix: str) -> list[inspect.Parameter]:
    # A parameter is named after its model field's path (emergency_address_street for
    # NumberConfig.emergency_address.street), so that the models' messages name the option.
    return [
        _text(
            f"{prefix.replace('-', '_')}{field}",
            f"--{prefix.removesuffix('address-')}{field.replace('_', '-')}",
            f"{help_prefix}{help_text}" if help_prefix else help_text[0].upper() + help_text[1:],
            _ADDRESS_PANEL,
            metavar,
        )
        for field, (help_text, metavar) in _ADDRESS_FIELDS.items()
    ]


def address_options(command: F) -> F:
    """Add the address fields as options (--street, --locality, …, --emergency); the command
    receives ``address: dict`` (only what was given)."""
    emergency = _flag(
        "emergency",
        "--emergency",
        "Fit for emergency calls: numbers can be registered with it (configure --emergency-address-id)",
        _ADDRESS_PANEL,
    )
    return _add_params([*_address_params("", ""), emergency], "address", _given)(command)


def emergency_address_options(command: F) -> F:
    """Add an emergency address given inline (--emergency-street, …), for carriers that keep it
    on the number; the command receives ``emergency_address: dict`` (only what was given)."""
    prefix = "emergency-address-"
    params = _address_params(prefix, "Emergency address, inline: ")
    fields = len(prefix.replace("-", "_"))
    return _add_params(
        params,
        "emergency_address",
        lambda values: {name[fields:]: value for name, value in _given(values).items()},
    )(command)
