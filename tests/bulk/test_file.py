"""Jobs described in TOML and JSON files: read whole, checked, turned into create_job's arguments."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import numbers_core as nc
import pytest
from numbers_core.bulk import JobFile, JobKind
from numbers_core.bulk._file import parse_money


def test_a_toml_job_with_criteria_sets_a_config_and_a_cap(tmp_path: Path) -> None:
    file = tmp_path / "job.toml"
    file.write_text(
        'kind = "buy"\nlabel = "Spring"\nmax_cost = "600 EUR"\n'
        '[criteria.sf]\ncount = 500\narea_code = "415"\nsms = true\n'
        '[criteria.oak]\ncount = 2\narea_code = "510"\n'
        '[config]\nfriendly_name = "Spring"\n'
    )
    arguments = JobFile.load(file).arguments()
    assert arguments["kind"] is JobKind.PURCHASE
    assert arguments["criteria"] == {
        "sf": (nc.SearchQuery(area_code="415", sms=True), 500),
        "oak": (nc.SearchQuery(area_code="510"), 2),
    }
    assert arguments["criteria"]["oak"][0].model_fields_set == {"area_code"}
    assert arguments["config"] == nc.NumberConfig(friendly_name="Spring")
    assert arguments["max_cost"] == nc.Money(amount=Decimal(600), currency="EUR")
    assert arguments["label"] == "Spring"


def test_a_compliance_table_is_the_references_each_number_is_bought_under(tmp_path: Path) -> None:
    file = tmp_path / "job.toml"
    file.write_text(
        'kind = "buy"\n[criteria.london]\ncount = 2\ncountry = "GB"\narea_code = "20"\n'
        '[config]\nfriendly_name = "London"\ncompliance = { address_id = "AD1", bundle_id = "BU1" }\n'
        '[compliance]\nbundle_id = "BU2"\nidentity_id = "RI1"\n'
    )
    config = JobFile.load(file).arguments()["config"]
    # The table's references over the config's own, field by field.
    assert config == nc.NumberConfig(
        friendly_name="London",
        compliance=nc.NumberCompliance(address_id="AD1", bundle_id="BU2", identity_id="RI1"),
    )
    file.write_text('kind = "buy"\nnumbers = ["+442079460000"]\n[compliance]\nbundle_id = "BU2"\n')
    config = JobFile.load(file).arguments()["config"]
    assert config.model_dump(exclude_unset=True) == {"compliance": {"bundle_id": "BU2"}}


def test_a_json_release_of_every_matching_number(tmp_path: Path) -> None:
    file = tmp_path / "job.json"
    file.write_text(json.dumps({"kind": "release", "matching": {"contains": "415"}}))
    arguments = JobFile.load(file).arguments()
    assert arguments["kind"] is JobKind.RELEASE
    assert arguments["matching"] == {"contains": "415"}
    assert arguments["criteria"] is None


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('kind = "sell"', "kind"),
        ('kind = "buy"\ncolour = "red"', "colour"),
        ('kind = "buy"\n[criteria.a]\narea_code = "415"', "criteria.a.count"),
        ('kind = "buy"\n[criteria.a]\ncount = 1\narea_code = "4x5"', "criteria.a.area_code"),
        ('kind = "buy"\nmax_cost = "lots"', "max_cost"),
        ('kind = "buy"\n[compliance]\nbundle = "BU1"', "compliance.bundle"),
        ("kind = ", "job.toml"),
    ],
)
def test_a_bad_file_says_what_is_wrong_where(tmp_path: Path, text: str, where: str) -> None:
    file = tmp_path / "job.toml"
    file.write_text(text)
    with pytest.raises(nc.InvalidInputError, match="job file") as refused:
        JobFile.load(file)
    assert where in refused.value.message


def test_a_file_that_is_not_text(tmp_path: Path) -> None:
    file = tmp_path / "job.toml"
    file.write_bytes(b"kind = \xff\xfe")
    with pytest.raises(nc.InvalidInputError, match="not UTF-8"):
        JobFile.load(file)


def test_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(nc.InvalidInputError, match="No such file"):
        JobFile.load(tmp_path / "nope.toml")


@pytest.mark.parametrize(
    ("text", "amount", "currency"),
    [("600", "600", "USD"), ("12.50 EUR", "12.50", "EUR"), ("7gbp", "7", "GBP")],
)
def test_money_as_people_write_it(text: str, amount: str, currency: str) -> None:
    assert parse_money(text) == nc.Money(amount=Decimal(amount), currency=currency)


def test_money_that_is_not() -> None:
    with pytest.raises(ValueError, match="such as '600 USD'"):
        parse_money("-5")


def test_a_bad_file_is_told_in_plain_words(tmp_path: Path) -> None:
    file = tmp_path / "job.toml"
    file.write_text('kind = "sell"\ncolour = "red"\n[criteria.a]\ncount = "many"\nnumber_type = "fixed"\n')
    with pytest.raises(nc.InvalidInputError) as refused:
        JobFile.load(file)
    message = refused.value.message
    assert "kind: 'sell' is not one of 'purchase', 'configure', 'release'" in message
    assert "colour: unknown field" in message
    assert "criteria.a.count: expected a whole number, got 'many'" in message
    assert "criteria.a.number_type: 'fixed' is not one of 'local', 'mobile'" in message
    for pydantic_words in ("Input should", "Extra inputs", "Value error", "valid integer", "unable to parse"):
        assert pydantic_words not in message
