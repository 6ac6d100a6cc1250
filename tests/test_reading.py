"""The checked reads of decoded JSON that codecs share (numbers_core.adapter.json_*)."""

from __future__ import annotations

import pytest
from numbers_core.adapter import Malformed, json_e164, json_flag, json_kind, json_list, json_object, json_text


def test_each_read_gives_the_value_of_its_type() -> None:
    assert json_kind(None) == "null"
    assert json_kind([1]) == "list"
    assert json_object({"a": 1}, "number") == {"a": 1}
    assert json_text("x", "name") == "x"
    assert json_text("", "name") is None
    assert json_text(None, "name") is None
    assert json_flag(True, "sms") is True
    assert json_flag(None, "sms") is None
    assert json_list(None, "numbers") == []
    assert json_list([1, 2], "numbers") == [1, 2]
    assert json_e164("+14155550123", "phone_number") == "+14155550123"


@pytest.mark.parametrize(
    ("read", "value", "message"),
    [
        (json_object, [], "number: expected an object, got list"),
        (json_text, 5, "number: expected a string, got int"),
        (json_flag, "true", "number: expected true or false, got str"),
        (json_list, {}, "number: expected a list, got dict"),
        (json_e164, "+1", "number: '+1' is not a phone number"),
        (json_e164, None, "number: null is not a phone number"),
    ],
)
def test_a_value_of_another_type_is_malformed_naming_the_field(
    read: object, value: object, message: str
) -> None:
    with pytest.raises(Malformed) as refused:
        read(value, "number")  # type: ignore[operator]
    assert str(refused.value) == message
