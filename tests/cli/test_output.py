"""Rendering: tables keep carrier text literal, the streamed list stays aligned, JSON stays JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import numbers_core as nc
import pytest
from numbers_core.cli._output import Output, detail_rows

SHOUTY = "[bold red]Reception[/bold red] :phone: " + "x" * 40


def owned(phone_number: str, **fields: object) -> nc.ActiveNumber:
    return nc.ActiveNumber.model_validate(
        {
            "phone_number": phone_number,
            "id": "N1",
            "provider": "test",
            "number_type": "toll_free",
            "status": "active",
            "geography": {"iso_country": "US", "region": "CA", "locality": "San Francisco"},
            "capabilities": {"voice": True, "sms": False, "mms": None},
            **fields,
        }
    )


def test_streamed_rows_are_aligned_and_long_text_is_cut(capsys: pytest.CaptureFixture[str]) -> None:
    output = Output(json=False)
    with output.stream() as show:
        show(owned("+18005550100", friendly_name=SHOUTY))
        show(owned("+442071838750", friendly_name="Desk"))
    header, rule, first, second = capsys.readouterr().out.splitlines()
    location = header.index("Location")
    assert first.index("San Francisco") == second.index("San Francisco") == location
    assert set(rule.strip()) == {"─"}  # under the header, as the tables have it
    assert "…" in first  # the name did not fit its column
    assert first.startswith(" +18005550100 ")
    # Columns stand apart even when one is full ("voice sms mms fax" is as wide as its column).
    assert "fax   " in second or "fax" not in second
    assert "[bold red]Reception" in first  # literal text, not markup
    assert "voice " in first
    assert "sms" not in first


def test_json_stream_is_one_array(capsys: pytest.CaptureFixture[str]) -> None:
    output = Output(json=True)
    with output.stream() as show:
        show(owned("+18005550100"))
        show(owned("+18005550101"))
    listed = json.loads(capsys.readouterr().out)
    assert [entry["phone_number"] for entry in listed] == ["+18005550100", "+18005550101"]
    assert "raw" not in listed[0]


def test_json_stream_of_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    with Output(json=True).stream():
        pass
    captured = capsys.readouterr()
    assert json.loads(captured.out) == []
    assert captured.err == ""


def test_detail_shows_set_values_only_and_literally(capsys: pytest.CaptureFixture[str]) -> None:
    number = owned(
        "+18005550100",
        friendly_name=SHOUTY,
        created_at=datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
        config={
            "voice": {
                "url": "https://example.com/v",
                "method": "POST",
                "fallback_url": "https://example.com/f",
            },
            "status_callback": {"url": "https://example.com/s"},
            "extra": {"servicePlanId": "abc"},
        },
    )
    labels = dict(detail_rows(number))
    assert labels["Voice"] == "POST https://example.com/v; fallback https://example.com/f"
    assert labels["Status callback"] == "https://example.com/s"
    assert labels["Extra"] == '{"servicePlanId": "abc"}'
    assert labels["Capabilities"] == "voice"
    assert "SMS" not in labels
    assert "Account" not in labels
    assert "Updated" not in labels
    Output(json=False).number(number)
    out = capsys.readouterr().out
    assert "[bold red]Reception[/bold red] :phone:" in out
    assert "2024-01-02T03:04:05+00:00" in out


def test_search_table_leaves_out_empty_columns(capsys: pytest.CaptureFixture[str]) -> None:
    available = nc.AvailableNumber(
        phone_number="+18005550100",
        provider="test",
        number_type=nc.NumberType.TOLL_FREE,
        setup_price=nc.Money(amount="3.00", currency="EUR"),
        address_requirement=nc.AddressRequirement.LOCAL,
    )
    Output(json=False).available([available])
    header = capsys.readouterr().out.splitlines()[1]
    assert header.split() == ["Number", "Type", "Setup", "Address"]


def test_detail_shows_no_method_without_its_url_and_the_expiry() -> None:
    number = owned(
        "+18005550100",
        status="releasing",
        expires_at=datetime(2025, 3, 31, 23, 59, 59, tzinfo=UTC),
        config={
            "sms": {"method": "POST"},  # the carrier's default method, for a URL not set
            "voice": {"method": "GET", "application_id": "AP1"},
            "status_callback": {"method": "POST"},
        },
    )
    labels = dict(detail_rows(number))
    assert "SMS" not in labels
    assert labels["Voice"] == "application AP1"
    assert "Status callback" not in labels
    assert labels["Status"] == "releasing"
    assert labels["Expires"] == "2025-03-31T23:59:59+00:00"
