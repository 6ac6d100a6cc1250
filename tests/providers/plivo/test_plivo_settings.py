"""Plivo's settings: every missing or malformed one is a ConfigurationError naming it, before any
request; the token stays out of reprs."""

from __future__ import annotations

from typing import Any

import numbers_core as nc
import pytest

AUTH_ID, TOKEN = "MA" + "A1B2C3D4E5F6G7H8I9", "PlivoCanaryToken0123"
GOOD = {"auth_id": AUTH_ID, "auth_token": TOKEN}


@pytest.mark.parametrize(
    ("changes", "setting"),
    [
        ({"auth_id": None}, "auth_id"),
        ({"auth_id": "XX" + "1" * 18}, "auth_id"),
        ({"auth_id": "MA123"}, "auth_id"),
        ({"auth_token": None}, "auth_token"),
        ({"auth_token": "short"}, "auth_token"),
        ({"base_url": "http://api.plivo.com"}, "base_url"),
        ({"base_url": "https://api.plivo.com/v1"}, "base_url"),
        ({"app_id": "x"}, "app_id"),
    ],
)
def test_bad_settings_name_the_setting(changes: dict[str, Any], setting: str) -> None:
    given = {key: value for key, value in {**GOOD, **changes}.items() if value is not None}
    with pytest.raises(nc.ConfigurationError) as raised:
        nc.connect("plivo", **given)
    assert raised.value.setting == setting
    assert TOKEN not in str(raised.value)


def test_the_token_stays_out_of_reprs() -> None:
    carrier = nc.connect("plivo", **GOOD)
    assert TOKEN not in repr(carrier) + repr(carrier.settings) + str(carrier.settings)
    assert TOKEN not in carrier.settings.model_dump_json()
