"""Kazoo's settings: every missing or malformed one is a ConfigurationError naming it, before any request."""

from __future__ import annotations

import hashlib
from typing import Any

import numbers_core as nc
import pytest
from kazoo_fake import ACCOUNT, ACCOUNT_NAME, API_KEY, BASE_URL, PASSWORD, USERNAME
from numbers_core.providers.kazoo import KazooProvider, KazooSettings

USER = {"username": USERNAME, "password": PASSWORD, "account_name": ACCOUNT_NAME}


def connect(**settings: Any) -> nc.Provider:
    return nc.connect("kazoo", **{"base_url": BASE_URL, "account_id": ACCOUNT, **settings})


@pytest.mark.parametrize(
    ("settings", "setting"),
    [
        ({"api_key": API_KEY, "base_url": None}, "base_url"),
        ({"api_key": API_KEY, "account_id": None}, "account_id"),
        ({"api_key": API_KEY, "account_id": "not-hex"}, "account_id"),
        ({"api_key": API_KEY, "account_id": "a" * 31}, "account_id"),
        ({}, "api_key"),
        ({"api_key": "short"}, "api_key"),
        ({"api_key": API_KEY, **USER}, "api_key"),
        ({"username": USERNAME, "account_name": ACCOUNT_NAME}, "password"),
        ({"password": PASSWORD, "account_name": ACCOUNT_NAME}, "username"),
        ({"username": USERNAME, "password": PASSWORD}, "account_name"),
        ({**USER, "account_realm": "sip.example.com"}, "account_name"),
        ({"username": USERNAME, "password": PASSWORD, "account_realm": "x y"}, "account_realm"),
        ({"api_key": API_KEY, "base_url": "ftp://crossbar.example.com"}, "base_url"),
        ({"api_key": API_KEY, "base_url": "http://crossbar.example.com:8000"}, "base_url"),
        ({"api_key": API_KEY, "base_url": "https://crossbar.example.com/v2?x=1"}, "base_url"),
        ({"api_key": API_KEY, "batch_size": 0}, "batch_size"),
        ({"api_key": API_KEY, "acept_charges": True}, "acept_charges"),
    ],
)
def test_bad_settings_name_the_setting(settings: dict[str, Any], setting: str) -> None:
    given = {key: value for key, value in settings.items() if value is not None}
    if settings.get("base_url", "") is None:
        with pytest.raises(nc.ConfigurationError) as raised:
            nc.connect("kazoo", account_id=ACCOUNT, **given)
    elif settings.get("account_id", "") is None:
        with pytest.raises(nc.ConfigurationError) as raised:
            nc.connect("kazoo", base_url=BASE_URL, **given)
    else:
        with pytest.raises(nc.ConfigurationError) as raised:
            connect(**given)
    assert raised.value.setting == setting
    for secret in (API_KEY, PASSWORD):
        assert secret not in str(raised.value)


def test_an_account_id_is_lower_cased_and_the_api_root_added() -> None:
    carrier = connect(api_key=API_KEY, account_id=ACCOUNT.upper())
    assert isinstance(carrier, KazooProvider)
    assert carrier._numbers == f"/v2/accounts/{ACCOUNT}/phone_numbers"


@pytest.mark.parametrize(
    ("base_url", "root"),
    [
        ("https://crossbar.example.com:8443", "/v2"),
        ("https://crossbar.example.com:8443/", "/v2"),
        ("https://crossbar.example.com:8443/v2", "/v2"),
        ("https://crossbar.example.com/kazoo/v2/", "/kazoo/v2"),
        ("http://127.0.0.1:8000", "/v2"),  # plain http to loopback: a test rig
    ],
)
def test_the_api_root_is_found_under_any_prefix(base_url: str, root: str) -> None:
    carrier = connect(api_key=API_KEY, base_url=base_url)
    assert isinstance(carrier, KazooProvider)
    assert carrier._v2 == root


def test_the_user_login_hashes_the_lower_cased_user_name() -> None:
    settings = KazooSettings(base_url=BASE_URL, account_id=ACCOUNT, **USER)
    path, data = settings.login()
    expected = hashlib.md5(f"{USERNAME.lower()}:{PASSWORD}".encode(), usedforsecurity=False).hexdigest()
    assert (path, data) == ("user_auth", {"credentials": expected, "account_name": ACCOUNT_NAME})
    realm = KazooSettings(
        base_url=BASE_URL,
        account_id=ACCOUNT,
        username=USERNAME,
        password=PASSWORD,
        account_realm="sip.example.com",
    )
    assert realm.login()[1]["account_realm"] == "sip.example.com"
    assert expected in settings.secrets()  # the hash logs in as well as the password does


def test_secrets_stay_out_of_reprs() -> None:
    for settings in (
        KazooSettings(base_url=BASE_URL, account_id=ACCOUNT, api_key=API_KEY),
        KazooSettings(base_url=BASE_URL, account_id=ACCOUNT, **USER),
    ):
        shown = repr(settings) + str(settings) + repr(connect(**settings.model_dump(exclude_unset=True)))
        assert API_KEY not in shown
        assert PASSWORD not in shown
