"""Sinch's settings: every missing or malformed one is a ConfigurationError naming it, before any request."""

from __future__ import annotations

from typing import Any

import numbers_core as nc
import pytest
from numbers_core.providers.sinch import SinchProvider
from sinch_fake import KEY_ID, KEY_SECRET, PROJECT

GOOD = {"project_id": PROJECT, "key_id": KEY_ID, "key_secret": KEY_SECRET}


@pytest.mark.parametrize(
    ("changes", "setting"),
    [
        ({"project_id": None}, "project_id"),
        ({"project_id": "my-project"}, "project_id"),
        ({"key_id": None}, "key_id"),
        ({"key_id": "key"}, "key_id"),
        ({"key_secret": None}, "key_secret"),
        ({"key_secret": "short"}, "key_secret"),
        ({"key_secret": "has spaces in it"}, "key_secret"),
        ({"auth": "token"}, "auth"),
        ({"base_url": "http://numbers.example.com"}, "base_url"),
        ({"base_url": "https://numbers.api.sinch.com/v1"}, "base_url"),
        ({"auth_url": "https://auth.sinch.com/oauth2/token"}, "auth_url"),
        ({"auth_url": "ftp://auth.sinch.com"}, "auth_url"),
        ({"servicePlanId": "x"}, "servicePlanId"),
    ],
)
def test_bad_settings_name_the_setting(changes: dict[str, Any], setting: str) -> None:
    given = {key: value for key, value in {**GOOD, **changes}.items() if value is not None}
    with pytest.raises(nc.ConfigurationError) as raised:
        nc.connect("sinch", **given)
    assert raised.value.setting == setting
    assert KEY_SECRET not in str(raised.value)


def test_ids_are_normalised_and_the_secret_stays_out_of_reprs() -> None:
    carrier = nc.connect("sinch", **{**GOOD, "project_id": PROJECT.upper(), "key_id": "{" + KEY_ID + "}"})
    assert isinstance(carrier, SinchProvider)
    assert carrier.settings.project_id == PROJECT  # type: ignore[attr-defined]
    assert carrier.settings.key_id == KEY_ID  # type: ignore[attr-defined]
    assert KEY_SECRET not in repr(carrier) + repr(carrier.settings) + str(carrier.settings)


def test_basic_auth_needs_no_auth_host() -> None:
    carrier = nc.connect("sinch", **GOOD, auth="basic", auth_url="not a url at all")
    assert isinstance(carrier, SinchProvider)
