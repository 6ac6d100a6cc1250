"""Vonage's settings: every missing or malformed one is a ConfigurationError naming it, before any
request; the key and the secret stay out of reprs."""

from __future__ import annotations

from typing import Any

import numbers_core as nc
import pytest

KEY, SECRET = "ab12cd34", "Vonage0Secret9"
GOOD = {"api_key": KEY, "api_secret": SECRET}


@pytest.mark.parametrize(
    ("changes", "setting"),
    [
        ({"api_key": None}, "api_key"),
        ({"api_key": "has space"}, "api_key"),
        ({"api_secret": None}, "api_secret"),
        ({"api_secret": "short"}, "api_secret"),
        ({"base_url": "http://rest.nexmo.com"}, "base_url"),
        ({"base_url": "https://rest.nexmo.com/number"}, "base_url"),
        ({"api_url": "ftp://api.nexmo.com"}, "api_url"),
        ({"app_id": "x"}, "app_id"),
    ],
)
def test_bad_settings_name_the_setting(changes: dict[str, Any], setting: str) -> None:
    given = {key: value for key, value in {**GOOD, **changes}.items() if value is not None}
    with pytest.raises(nc.ConfigurationError) as raised:
        nc.connect("vonage", **given)
    assert raised.value.setting == setting
    assert SECRET not in str(raised.value)


def test_the_key_and_secret_stay_out_of_reprs() -> None:
    carrier = nc.connect("vonage", **GOOD)
    shown = (
        repr(carrier) + repr(carrier.settings) + str(carrier.settings) + carrier.settings.model_dump_json()
    )
    assert KEY not in shown
    assert SECRET not in shown


def test_plain_http_is_for_loopback() -> None:
    carrier = nc.connect("vonage", **GOOD, base_url="http://127.0.0.1:8080", api_url="http://127.0.0.1:8080")
    assert carrier.supports("transfer")
