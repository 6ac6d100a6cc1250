"""pydantic's validation errors in plain words (numbers_core._problems)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Literal

import pytest
from numbers_core._problems import location, problems
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, HttpUrl, ValidationError, field_validator

# pydantic's own turns of phrase, none of which a user should read.
_PYDANTIC = re.compile(
    r"Input should|Extra inputs|Value error|Field required|valid integer|unable to|String should"
)


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")

    count: int = 0
    share: float = 0.0
    flag: bool = False
    name: Annotated[str, Field(min_length=2, max_length=5)] = "ab"
    items: list[int] = []
    kind: Literal["buy", "sell"] = "buy"
    limit: Annotated[int, Field(ge=1, le=1000)] = 1
    price: Decimal = Decimal(0)
    url: HttpUrl | None = None
    when: AwareDatetime | None = None
    required: str
    checked: str = "x"

    @field_validator("checked")
    @classmethod
    def _checked(cls, value: str) -> str:
        if value == "bad":
            raise ValueError("'bad' is not allowed here")
        return value


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"count": "many"}, ("count", "expected a whole number, got 'many'")),
        ({"count": 1.5}, ("count", "expected a whole number, got 1.5")),
        ({"share": "x"}, ("share", "expected a number, got 'x'")),
        ({"flag": "maybe"}, ("flag", "expected true or false, got 'maybe'")),
        ({"name": "a"}, ("name", "expected at least 2 characters, got 'a'")),
        ({"name": "abcdefgh"}, ("name", "expected at most 5 characters")),
        ({"items": [1, "x"]}, ("items[1]", "expected a whole number, got 'x'")),
        ({"items": "x"}, ("items", "expected a list, got 'x'")),
        ({"kind": "rent"}, ("kind", "'rent' is not one of 'buy', 'sell'")),
        ({"limit": 0}, ("limit", "0 is out of range: at least 1")),
        ({"limit": "5000"}, ("limit", "5000 is out of range: at most 1000")),
        ({"price": "lots"}, ("price", "expected a decimal number, got 'lots'")),
        (
            {"url": "ftp://x.example"},
            ("url", "expected a URL starting with 'http', 'https', got 'ftp://x.example'"),
        ),
        (
            {"when": "2025-01-31T12:00:00"},
            (
                "when",
                "expected a date and time with its time zone (2025-01-31T12:00:00Z), "
                "got '2025-01-31T12:00:00'",
            ),
        ),
        ({"checked": "bad"}, ("checked", "'bad' is not allowed here")),
        ({"colour": "red"}, ("colour", "unknown field")),
        ({"required": ...}, ("required", "missing")),  # ...: left out
    ],
)
def test_each_kind_of_error_in_plain_words(data: dict[str, object], expected: tuple[str, str]) -> None:
    with pytest.raises(ValidationError) as caught:
        Model.model_validate({k: v for k, v in {"required": "r", **data}.items() if v is not ...})
    [(where, text, _)] = problems(caught.value)
    assert (where, text) == expected
    assert not _PYDANTIC.search(text), text


def test_the_value_stays_out_when_asked() -> None:
    with pytest.raises(ValidationError) as caught:
        Model.model_validate({"required": "r", "count": "secret-ish", "kind": "hidden"})
    texts = [text for _, text, _ in problems(caught.value, show_input=False)]
    assert texts == ["expected a whole number", "expected one of 'buy', 'sell'"]


def test_locations() -> None:
    assert location(("criteria", "sf", "count")) == "criteria.sf.count"
    assert location(("numbers", 2)) == "numbers[2]"
    assert location(()) == ""
