"""The draft's settings: a missing or malformed one is a ConfigurationError naming it, before any request."""

from __future__ import annotations

from typing import Any

import numbers_core as nc
import pytest
from draft_fake import ACCOUNT, BASE_URL, TOKEN
from numbers_core.providers.sinch import SinchDraftProvider

GOOD = {"base_url": BASE_URL, "account_id": ACCOUNT, "token": TOKEN}


@pytest.mark.parametrize(
    ("changes", "setting"),
    [
        ({"base_url": None}, "base_url"),
        ({"base_url": "http://numbers.example.com/v1"}, "base_url"),
        ({"base_url": "https://numbers.example.com/v1?x=1"}, "base_url"),
        ({"account_id": None}, "account_id"),
        ({"account_id": "../other"}, "account_id"),
        ({"account_id": "has space"}, "account_id"),
        ({"token": "   "}, "token"),
        ({"currency": "dollars"}, "currency"),
        ({"project_id": "x"}, "project_id"),
    ],
)
def test_bad_settings_name_the_setting(changes: dict[str, Any], setting: str) -> None:
    given = {key: value for key, value in {**GOOD, **changes}.items() if value is not None}
    with pytest.raises(nc.ConfigurationError) as raised:
        nc.connect("sinch-draft", **given)
    assert raised.value.setting == setting
    assert TOKEN not in str(raised.value)


def test_a_plain_http_base_url_is_taken_on_loopback_and_the_token_stays_out_of_reprs() -> None:
    carrier = nc.connect(
        "sinch-draft", **{**GOOD, "base_url": "http://127.0.0.1:8080/v1/", "currency": "eur"}
    )
    assert isinstance(carrier, SinchDraftProvider)
    assert carrier.settings.currency == "EUR"  # type: ignore[attr-defined]
    assert TOKEN not in repr(carrier) + repr(carrier.settings) + str(carrier.settings)


def test_the_token_is_optional() -> None:
    assert isinstance(nc.connect("sinch-draft", base_url=BASE_URL, account_id=ACCOUNT), SinchDraftProvider)
