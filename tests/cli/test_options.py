"""The shared option groups: what a command receives for what was typed."""

from __future__ import annotations

from typing import Any

import numbers_core as nc
import pytest
import typer
from numbers_core.cli._options import config_options, number_config, search_options
from typer.testing import CliRunner


def received(decorator: Any, *args: str) -> Any:
    """Run a one-command app decorated with ``decorator`` and return what the command got."""
    seen: list[Any] = []
    app = typer.Typer()

    @app.command()
    @decorator
    def command(name: str, *, criteria: Any = None, config: Any = None) -> None:
        seen.append((name, criteria if criteria is not None else config))

    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    [(name, value)] = seen
    assert name == "it"  # the command's own parameters still arrive
    return value


def test_search_options_pass_only_what_was_given() -> None:
    assert received(search_options, "it") == {}
    criteria = received(
        search_options, "it", "--type", "toll_free", "--sms", "--near-lat-long", "37.7,-122.4", "--limit", "5"
    )
    assert criteria == {"number_type": "toll_free", "sms": True, "near_lat_long": "37.7,-122.4", "limit": 5}
    assert type(criteria["number_type"]) is str
    query = nc.SearchQuery(**criteria)
    assert query.number_type is nc.NumberType.TOLL_FREE
    assert query.near_lat_long == (37.7, -122.4)


def test_every_search_query_field_has_an_option() -> None:
    app = typer.Typer(add_completion=False)

    @app.command()
    @search_options
    def command(*, criteria: Any) -> None: ...

    names = {param.name for param in typer.main.get_command(app).params}
    fields = set(nc.SearchQuery.model_fields)
    assert names == fields


def test_config_options_build_partial_routes() -> None:
    config = received(
        config_options,
        "it",
        "--voice-url",
        "https://example.com/v",
        "--sms-method",
        "get",
        "--sms-application-id",
        "AP123",
        "--status-callback-method",
        "post",
    )
    # As typed: the model checks and normalises the methods (and words any error).
    assert config == {
        "voice": {"url": "https://example.com/v"},
        "sms": {"method": "get", "application_id": "AP123"},
        "status_callback": {"method": "post"},
    }
    built = number_config(config)
    assert built.sms is not None
    assert built.sms.method == "GET"
    assert built.model_fields_set == {"voice", "sms", "status_callback"}
    assert built.sms is not None
    assert built.sms.model_fields_set == {"method", "application_id"}


def test_extra_values_are_json_where_they_parse() -> None:
    config = received(
        config_options,
        "it",
        "--extra",
        "servicePlanId=abc",
        "--extra",
        "limit=5",
        "--extra",
        'blocks={"cnam": {"display_name": "Desk"}}',
        "--extra",
        "empty=",
        "--extra",
        "eq==x",
    )
    assert config == {
        "extra": {
            "servicePlanId": "abc",
            "limit": 5,
            "blocks": {"cnam": {"display_name": "Desk"}},
            "empty": "",
            "eq": "=x",
        }
    }


@pytest.mark.parametrize("pair", ["novalue", "=value"])
def test_extra_without_a_key_is_a_usage_error(pair: str) -> None:
    app = typer.Typer()

    @app.command()
    @config_options
    def command(*, config: Any) -> None: ...

    result = CliRunner().invoke(app, ["--extra", pair])
    assert result.exit_code == 2
    assert "KEY=VALUE" in result.output


def test_number_config_turns_bad_values_into_invalid_input() -> None:
    with pytest.raises(nc.InvalidInputError, match=r"voice\.url"):
        number_config({"voice": {"url": "ftp://example.com"}})
