"""The sandbox's cache of derived tables: a saving of time that can never change an answer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from numbers_core import NumberType
from numbers_core.sandbox import _cache, _inventory


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    return tmp_path / "numbers-core"


def test_a_stored_value_comes_back_under_its_key_only(cache_dir: Path) -> None:
    _cache.store("table", "key-1", [["415", "San Francisco", "CA"]])
    assert _cache.load("table", "key-1") == [["415", "San Francisco", "CA"]]
    assert _cache.load("table", "key-2") is None
    assert _cache.load("other", "key-1") is None
    assert [path.name for path in cache_dir.iterdir()] == ["table.json"]  # no temporary file left


@pytest.mark.parametrize("content", [b"", b"{", b"[1, 2]", b'"key"', b"\xff\xfe", b'{"value": 1}'])
def test_an_unreadable_table_is_no_table(cache_dir: Path, content: bytes) -> None:
    cache_dir.mkdir(parents=True)
    (cache_dir / "table.json").write_bytes(content)
    assert _cache.load("table", "key") is None


def test_a_cache_that_cannot_be_written_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    _cache.store("table", "key", [1])
    assert _cache.load("table", "key") is None


@pytest.fixture
def fresh_ranges() -> object:
    _inventory._number_range.cache_clear()
    yield
    _inventory._number_range.cache_clear()


def _area_table(country: str) -> dict[str, _inventory.Area | None]:
    number_range = _inventory.number_range(country, NumberType.LOCAL)
    assert number_range is not None
    assert number_range.areas is not None
    return number_range.areas


@pytest.mark.usefixtures("fresh_ranges")
def test_the_areas_of_a_country_are_derived_once_then_read_back(
    cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    derived = _area_table("US")
    assert derived["415202"] == _inventory.Area("415202", "San Francisco", "CA")
    assert (cache_dir / "areas-US.json").is_file()

    def refuse(*_: object) -> None:
        raise AssertionError("derived again although the cache holds the table")

    monkeypatch.setattr(_inventory, "_geocoded_areas", refuse)
    _inventory._number_range.cache_clear()
    assert _area_table("US") == derived


@pytest.mark.usefixtures("fresh_ranges")
@pytest.mark.parametrize(
    "rows",
    [
        {"415": "San Francisco"},
        [["415", "San Francisco"]],
        [["415", 7, "CA"]],
        [[415]],
        ["415"],
    ],
    ids=["not-a-list", "short-row", "number-field", "number-prefix", "bare-string"],
)
def test_a_damaged_or_stale_table_is_derived_again(cache_dir: Path, rows: object) -> None:
    key = _inventory._areas_key("US")
    cache_dir.mkdir(parents=True)
    (cache_dir / "areas-US.json").write_text(json.dumps({"key": key, "value": rows}))
    assert _area_table("US")["415202"] == _inventory.Area("415202", "San Francisco", "CA")
    assert _cache.load("areas-US", key) != rows  # rewritten with the derived table


@pytest.mark.usefixtures("fresh_ranges")
def test_a_table_from_other_data_is_not_used(cache_dir: Path) -> None:
    cache_dir.mkdir(parents=True)
    stale = [["415202", "Nowhere", "ZZ"]]
    (cache_dir / "areas-US.json").write_text(json.dumps({"key": "US/phonenumbers-0.0/old", "value": stale}))
    assert _area_table("US")["415202"] == _inventory.Area("415202", "San Francisco", "CA")
